/*
 * bench/ledger-gen HOME N: appends N "meter" entries (each with its signed
 * checkpoint) to the ledger of HOME through terra_ledger_append, 1000 per
 * transaction, so bench/ledger.sh has a large ledger to verify. Prints the
 * append rate (entries/s) on stdout.
 */
#include "lib/db.h"
#include "lib/home.h"
#include "lib/ledger.h"
#include "lib/time.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	terra_err e = {0};
	terra_home h;
	int64_t n, i, t0;
	json_t *p;
	char unit[33], owner[65];

	if (argc != 3 || sodium_init() < 0)
		return 2;
	n = strtoll(argv[2], NULL, 10);
	if (terra_home_open(&h, argv[1], TERRA_HOME_SECRET, &e) < 0)
		goto fail;
	terra_hex(h.owner.pk, 32, owner);
	t0 = terra_time_mono();
	for (i = 0; i < n; i++) {
		if (i % 1000 == 0 && terra_db_begin(h.db, &e) < 0)
			goto fail;
		snprintf(unit, sizeof unit, "%032" PRIx64, (uint64_t)(i % 64));
		p = json_pack("{s:s, s:i, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}",
		              "type", "meter", "v", 1, "period",
		              "2026-11-21T10:00:00.000000Z/2026-11-21T11:00:00.000000Z", "unit",
		              unit, "owner", owner, "busy_us", (json_int_t)(3000000000 - i),
		              "utilization_ppm", (json_int_t)833333, "score", (json_int_t)51234000,
		              "weight", (json_int_t)(51234000 * (3000000000 - i) / 1000), "records",
		              (json_int_t)60, "first_seq", (json_int_t)(i * 60 + 1), "last_seq",
		              (json_int_t)(i * 60 + 60), "usage_root",
		              "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
		if (!p || terra_ledger_append(&h, "meter", p, NULL, &e) < 0)
			goto fail;
		json_decref(p);
		if ((i % 1000 == 999 || i == n - 1) && terra_db_commit(h.db, &e) < 0)
			goto fail;
	}
	printf("%.0f\n", (double)n * 1e6 / (double)(terra_time_mono() - t0 + 1));
	terra_home_close(&h);
	return 0;
fail:
	fprintf(stderr, "ledger-gen: %s\n", e.msg);
	return 1;
}
