/*
 * The verifier's balances (lib/acctmap.h): one balance per distinct name,
 * however many names and in whatever order they come, the sums exact, and
 * an overflow refused with the account named and its balance kept.
 */
#include "lib/acctmap.h"

#include "tap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	terra_acctmap m;
	terra_err e = {0};
	size_t n = getenv("TERRA_VALGRIND") ? 5000 : 200000, i, before;
	char name[40];
	int all = 1, pass;

	terra_acctmap_init(&m);
	is_int((int64_t)terra_acctmap_count(&m), 0, "empty: no accounts");
	/* Each name three times, in three passes: n accounts, each summing 3i. */
	for (pass = 0; pass < 3; pass++)
		for (i = 0; i < n; i++) {
			snprintf(name, sizeof name, "%08zx%s", i * 2654435761u % 4294967296u,
			         i % 3 ? "" : "-holder");
			all &= terra_acctmap_add(&m, name, (int64_t)i, &e) == 0;
		}
	ok(all, "names added three times each, in three passes");
	is_int((int64_t)terra_acctmap_count(&m), (int64_t)n, "one account per distinct name");
	for (i = 0; i < n && all; i++) {
		snprintf(name, sizeof name, "%08zx%s", i * 2654435761u % 4294967296u,
		         i % 3 ? "" : "-holder");
		all &= terra_acctmap_balance(&m, name) == 3 * (int64_t)i;
	}
	ok(all, "every balance the sum of its postings");
	ok(terra_acctmap_balance(&m, "nobody") == 0, "a name never posted: 0");
	ok(terra_acctmap_add(&m, "", 5, &e) == 0 && terra_acctmap_balance(&m, "") == 5,
	   "the empty name is a name like any other");
	ok(terra_acctmap_add(&m, "big", INT64_MAX, &e) == 0, "a balance of INT64_MAX");
	before = terra_acctmap_count(&m);
	ok(terra_acctmap_add(&m, "big", 1, &e) < 0 && e.kind == TERRA_E_VERIFY &&
	       strstr(e.msg, "account 'big'") != NULL,
	   "one more base unit: refused, naming the account");
	ok(terra_acctmap_balance(&m, "big") == INT64_MAX && terra_acctmap_count(&m) == before,
	   "... its balance and the count as they were");
	terra_acctmap_free(&m);
	is_int((int64_t)terra_acctmap_count(&m), 0, "freed: empty again");
	return done_testing();
}
