/* terra_settle_run and terra_settle_check: a settlement recomputes from its
 * recorded inputs, and any change to the entry or the inputs is caught. */
#include "lib/settle.h"
#include "lib/settlestore.h"

#include "lib/db.h"
#include "lib/home.h"
#include "lib/record.h"
#include "tap.h"

#include <sodium.h>
#include <stdlib.h>
#include <unistd.h>

#define PERIOD "2026-11-21T09:00:00.000000Z/2026-11-21T10:00:00.000000Z"

static char dir[] = "/tmp/terra-settle.XXXXXX";
static void *snap; /* the stored holders snapshot */
static size_t snaplen;

static json_t *meter(const char *unit, const char *owner, long long weight)
{
	char line[512];
	json_t *rec = NULL;
	terra_err e;

	snprintf(line, sizeof line,
	         "{\"type\":\"meter\",\"v\":1,\"period\":\"%s\",\"unit\":\"%s\",\"owner\":\"%s\","
	         "\"weight\":%lld,\"charge\":\"1.000000000\"}",
	         PERIOD, unit, owner, weight);
	if (terra_record_parse(line, strlen(line), &rec, &e) < 0)
		abort();
	return rec;
}

static int add(terra_settle *s, const char *unit, const char *owner, long long weight, terra_err *e)
{
	json_t *m = meter(unit, owner, weight);
	int rc = terra_settle_add_meter(s, m, e);

	json_decref(m);
	return rc;
}

/* The stored payload of the settlement of PERIOD. */
static json_t *stored_payload(sqlite3 *db)
{
	sqlite3_stmt *st;
	json_t *p = NULL;

	if (sqlite3_prepare_v2(db,
	                       "SELECT e.payload FROM settlements s JOIN entries e"
	                       " ON e.seq = s.entry_seq WHERE s.period = '" PERIOD "'",
	                       -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		p = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	sqlite3_finalize(st);
	return p;
}

/* Checks payload after `edit` changed a copy of it; returns the message. */
static const char *check_changed(const json_t *payload, const json_t *inputs, const char *path,
                                 json_t *value)
{
	static terra_err e;
	json_t *p = json_deep_copy(payload), *o = p;
	char key[64], *dot;
	const char *k = path;

	/* path: "a.b" objects, "postings.N.field" array elements */
	while ((dot = strchr(k, '.'))) {
		snprintf(key, sizeof key, "%.*s", (int)(dot - k), k);
		o = json_is_array(o) ? json_array_get(o, (size_t)atoi(key))
		                     : json_object_get(o, key);
		k = dot + 1;
	}
	json_object_set_new(o, k, value);
	memset(&e, 0, sizeof e);
	if (terra_settle_check(p, inputs, snap, snaplen, &e) == 0)
		snprintf(e.msg, sizeof e.msg, "(accepted)");
	else if (e.kind != TERRA_E_VERIFY)
		snprintf(e.msg, sizeof e.msg, "(wrong kind)");
	json_decref(p);
	return e.msg;
}

int main(void)
{
	terra_home h;
	terra_settle *s = NULL;
	terra_holders hs;
	terra_err e = {0};
	json_t *payload, *inputs = NULL, *bad;
	char owner[65], other[65], home_path[512];
	int created, rc;
	int64_t pool, seq;
	size_t npay;
	FILE *out;

	if (sodium_init() < 0 || !mkdtemp(dir))
		return 1;
	setenv("TERRA_NOW", "2026-11-21T10:00:00Z", 1);
	snprintf(home_path, sizeof home_path, "%s/home", dir);
	ok(terra_home_init(home_path, 0, &created, &e) == 0, "a home");
	ok(terra_home_open(&h, home_path, TERRA_HOME_SECRET, &e) == 0, "opened with its key");
	terra_hex(h.owner.pk, sizeof h.owner.pk, owner);
	memset(other, 'b', 64);
	other[64] = '\0';

	terra_holders_init(&hs);
	terra_holders_add(&hs, "alice", 100000000000, 1, &e);
	terra_holders_add(&hs, "bob", 25000000000, 2, &e);
	terra_holders_add(&hs, "carol", 25000000000, 3, &e);
	terra_holders_add(&hs, "dave", 0, 4, &e);
	ok(terra_holders_sort(&hs, "test", &e) == 0, "four holders");
	ok(terra_settle_new(&s, &e) == 0 && terra_settle_set_revenue(s, 1250500000000, &e) == 0,
	   "a settlement of 1250.5");
	terra_settle_set_holders(s, &hs);
	add(s, "0123456789abcdef0123456789abcdef", owner, 3, &e);
	add(s, "1123456789abcdef0123456789abcdef", owner, 1, &e);
	rc = add(s, "2123456789abcdef0123456789abcdef", other, 2, &e);
	ok(rc == 0, "three units of two owners");
	rc = terra_settle_run(&h, s, &e);
	if (!ok(rc == 0, "settled"))
		printf("#   %s\n", e.msg);
	terra_settle_result(s, &pool, &seq, &npay);
	is_int(pool, 1250500000000, "pool = revenue");
	is_int(npay, 6, "two owners, three holders, the treasury");
	out = fopen("/dev/null", "w");
	ok(out && terra_settle_write_payouts(out, s, &e) == 0, "payouts written");
	if (out)
		fclose(out);
	terra_settle_free(s);

	payload = stored_payload(h.db);
	ok(payload != NULL, "the entry is stored");
	ok(terra_settle_inputs_load(h.db, PERIOD, &inputs, &e) == 0 && json_array_size(inputs) == 3,
	   "its inputs: 3 units");
	ok(terra_settle_snapshot_load(
	       h.db, json_string_value(json_object_get(json_object_get(payload, "inputs"), "holders")),
	       &snap, &snaplen, &e) == 0,
	   "and the holders snapshot");
	is_int(snaplen, 19 + 16 + 18 + 7,
	       "the snapshot holds 4 holders: account, NUL, balance, newline");
	ok(snap && !memcmp(snap, "alice\0" "100000000000\n", 19), "in account order");
	rc = terra_settle_check(payload, inputs, snap, snaplen, &e);
	if (!ok(rc == 0, "the settlement recomputes exactly"))
		printf("#   %s\n", e.msg);

	like(check_changed(payload, inputs, "postings.2.amount", json_string("612.850000000")),
	     "posting 3: recorded contributor", "a changed amount: the posting named");
	like(check_changed(payload, inputs, "postings.3.account", json_string("mallory")),
	     "posting 4", "a changed account: named");
	like(check_changed(payload, inputs, "carry_out", json_string("1.000000000")), "carry_out",
	     "a changed carry_out");
	like(check_changed(payload, inputs, "pool", json_string("1250.500000001")), "pool",
	     "a pool that is not revenue + carry_in");
	like(check_changed(payload, inputs, "policy.treasury", json_integer(1001)), "10000",
	     "a policy not summing to 10000");
	like(check_changed(payload, inputs, "inputs.meter", json_string("00")), "inputs_digest",
	     "a changed meter digest: inputs_digest no longer matches");
	like(check_changed(payload, inputs, "inputs.holders_count", json_integer(5)), "holders",
	     "a changed holder count");
	like(check_changed(payload, inputs, "holders.count", json_integer(4)), "holders: count",
	     "a changed count of paid holders");
	like(check_changed(payload, inputs, "holders.total", json_string("250.100000001")),
	     "holders: total", "a changed holders total");
	like(check_changed(payload, inputs, "holders.root",
	                   json_string("0000000000000000000000000000000000000000000000000000000000000000")),
	     "holders: root", "a changed holders root");
	like(check_changed(payload, inputs, "revenue", json_string("1250.400000000")),
	     "inputs_digest", "a changed revenue: inputs_digest no longer matches");

	/* the inputs changed instead */
	((char *)snap)[19 + 4] = '3'; /* bob's balance, 25000000000 -> 35000000000 */
	ok(terra_settle_check(payload, inputs, snap, snaplen, &e) < 0 && e.kind == TERRA_E_VERIFY,
	   "a changed holder balance in the snapshot is caught");
	like(e.msg, "holders digest", "by the holders digest");
	((char *)snap)[19 + 4] = '2';
	ok(terra_settle_check(payload, inputs, snap, snaplen - 2, &e) < 0,
	   "a truncated snapshot is caught");
	ok(terra_settle_check(payload, inputs, snap, snaplen, &e) == 0, "the snapshot restored");
	bad = json_deep_copy(inputs);
	json_array_set_new(json_array_get(bad, 1), 3, json_integer(4));
	ok(terra_settle_check(payload, bad, snap, snaplen, &e) < 0, "a changed unit weight is caught");
	like(e.msg, "unit_rows digest", "by the unit rows digest");
	json_decref(bad);
	bad = json_deep_copy(inputs);
	json_array_remove(bad, 0);
	ok(terra_settle_check(payload, bad, snap, snaplen, &e) < 0, "a missing input row is caught");
	json_decref(bad);

	/* the same inputs again: a no-op with the stored result */
	terra_holders_init(&hs);
	terra_holders_add(&hs, "dave", 0, 1, &e);
	terra_holders_add(&hs, "carol", 25000000000, 2, &e);
	terra_holders_add(&hs, "bob", 25000000000, 3, &e);
	terra_holders_add(&hs, "alice", 100000000000, 4, &e);
	terra_holders_sort(&hs, "test", &e);
	terra_settle_new(&s, &e);
	terra_settle_set_revenue(s, 1250500000000, &e);
	terra_settle_set_holders(s, &hs);
	add(s, "2123456789abcdef0123456789abcdef", other, 2, &e);
	add(s, "1123456789abcdef0123456789abcdef", owner, 1, &e);
	add(s, "0123456789abcdef0123456789abcdef", owner, 3, &e);
	is_int(terra_settle_run(&h, s, &e), 1, "the same inputs in another order: already settled");
	terra_settle_result(s, &pool, &seq, &npay);
	is_int(npay, 6, "with the stored payouts");
	terra_settle_free(s);

	json_decref(inputs);
	json_decref(payload);
	free(snap);
	terra_home_close(&h);
	{
		char cmd[600];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return done_testing();
}
