/* terra_settle_run and terra_settle_check: a settlement recomputes from its
 * recorded inputs, and any change to the entry or the inputs is caught. */
#include "lib/settle.h"
#include "lib/settlecover.h"
#include "lib/settlestore.h"

#include "lib/db.h"
#include "lib/home.h"
#include "lib/record.h"
#include "fixture.h"
#include "tap.h"

#include <sodium.h>
#include <stdlib.h>
#include <unistd.h>

#define PERIOD "2026-11-21T09:00:00.000000Z/2026-11-21T10:00:00.000000Z"

static void *snap;              /* the stored holders snapshot */
static const terra_key *signer; /* the home's owner key: signs the meter records */
static size_t snaplen;

static json_t *meter(const char *unit, const char *owner, long long weight)
{
	char line[512];
	json_t *rec = NULL;
	terra_err e;

	snprintf(line, sizeof line,
	         "{\"type\":\"meter\",\"v\":1,\"period\":\"%s\",\"unit\":\"%s\",\"owner\":\"%s\","
	         "\"weight\":%lld,\"score\":%lld,\"busy_us\":1,\"first_seq\":1,\"last_seq\":1,"
	         "\"verified\":{\"sha256d\":%lld,\"sgemm\":0,\"kernel_us\":0},"
	         "\"rates\":{\"sha256d\":1,\"sgemm\":0,\"kernel\":0},\"charge\":\"1.000000000\"}",
	         PERIOD, unit, owner, weight, weight, weight);
	if (terra_record_parse(line, strlen(line), &rec, &e) < 0 ||
	    terra_rec_sign(rec, signer, &e) < 0)
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

/* The canonical writer's line for a payout record, with its '\n'. */
static char *canonical_payout(const char *account, const char *role, int64_t amount, int64_t entry,
                              const char *period)
{
	char amt[TERRA_AMOUNT_MAX], *line = NULL, *nl;
	size_t len;
	terra_err e = {0};
	json_t *o;

	terra_money_format(amount, amt);
	o = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:I}", "type", "payout", "v", 1, "period", period,
	              "account", account, "role", role, "amount", amt, "entry", (json_int_t)entry);
	if (!o || terra_rec_dumps(o, &line, &len, &e) < 0 || !(nl = malloc(len + 2))) {
		json_decref(o);
		free(line);
		return NULL;
	}
	memcpy(nl, line, len);
	memcpy(nl + len, "\n", 2);
	free(line);
	json_decref(o);
	return nl;
}

/*
 * The payout lines and holder leaves are canonical JSON written by hand:
 * byte for byte what the canonical writer (lib/record.c) makes of the same
 * records, over every kind of account, role, amount and entry; and what
 * the hand writers cannot write (escapes, non-ASCII) is refused before
 * them, since it would come out differently.
 */
static void test_hand_writers(void)
{
	static const char *const accounts[] = {
	    "a",
	    "alice",
	    "treasury",
	    "carry",
	    "holders",
	    "A-Z.a_z:0@9+x",
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};
	static const char *const roles[] = {"holder", "contributor", "treasury", "carry"};
	static const char *const periods[] = {
	    "2026-11-21T09:00:00.000000Z/2026-11-21T10:00:00.000000Z",
	    "1970-01-01T00:00:00.000000Z/9999-12-31T23:59:59.999999Z"};
	static const int64_t amounts[] = {1, 999999999, 1000000000, 1250500000000, -1, -1000000000,
	                                  0, INT64_MAX, INT64_MIN,  INT64_MIN + 1};
	static const int64_t entries[] = {0, 1, 42, INT64_MAX};
	static const char *const unplain[] = {"a\"b",  "a\\b", "caf\xc3\xa9", "\xe2\x82\xac",
	                                      "tab\t", "nl\n", "\x01",        "del\x7f"};
	char long_acct[TERRA_ACCOUNT_MAX + 1], tail[TERRA_SETTLE_PAYOUT_TAIL_MAX];
	char line[TERRA_SETTLE_PAYOUT_LINE_MAX], leaf[TERRA_SETTLE_LEAF_MAX];
	uint8_t h1[32], h2[32];
	uint64_t x = 0x9e3779b97f4a7c15u;
	size_t a, r, p, k, t, len, n = 0, bad = 0, badleaf = 0;
	terra_err e = {0};

	memset(long_acct, 'z', TERRA_ACCOUNT_MAX);
	long_acct[TERRA_ACCOUNT_MAX] = '\0';
	for (a = 0; a <= sizeof accounts / sizeof *accounts; a++) {
		const char *acct = a < sizeof accounts / sizeof *accounts ? accounts[a] : long_acct;

		for (k = 0; k < sizeof amounts / sizeof *amounts + 64; k++) {
			int64_t amount = amounts[k % (sizeof amounts / sizeof *amounts)];
			char *want, *canon = NULL;
			json_t *o;

			if (k >= sizeof amounts / sizeof *amounts) { /* random, any size and sign */
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				amount = (int64_t)x >> (k % 64);
			}
			for (p = 0; p < 2; p++)
				for (t = 0; t < sizeof entries / sizeof *entries; t++) {
					int tl =
					    terra_settle_payout_tail(entries[t], periods[p], tail);

					for (r = 0; r < sizeof roles / sizeof *roles; r++) {
						want = canonical_payout(acct, roles[r], amount,
						                        entries[t], periods[p]);
						len = terra_settle_payout_line(
						    line, acct, strlen(acct), roles[r],
						    strlen(roles[r]), amount, tail, (size_t)tl);
						n++;
						if (tl < 0 || !want || len != strlen(want) ||
						    memcmp(line, want, len)) {
							if (!bad++)
								printf("#   got  %.*s#   want %s",
								       (int)len, line,
								       want ? want : "(null)\n");
						}
						free(want);
					}
				}
			/* the holder leaf's data and hash */
			len = terra_settle_holder_leaf_data(acct, strlen(acct), amount, leaf);
			{
				char amt[TERRA_AMOUNT_MAX];
				size_t clen = 0;

				terra_money_format(amount, amt);
				o = json_pack("{s:s,s:s}", "account", acct, "amount", amt);
				if (!o || terra_rec_canonical(o, &canon, &clen, &e) < 0 ||
				    clen != len || memcmp(canon, leaf, len))
					badleaf++;
				terra_settle_holder_leaf(acct, amount, h1);
				terra_merkle_leaf(canon ? canon : "", clen, h2);
				if (memcmp(h1, h2, 32))
					badleaf++;
				free(canon);
				json_decref(o);
			}
		}
	}
	ok(n > 10000 && !bad, "hand-written payout lines equal the canonical writer's bytes");
	printf("#   %zu payout lines compared\n", n);
	ok(!badleaf, "hand-written holder leaves equal the canonical writer's bytes and hash");

	/* JSON-escaped or non-ASCII bytes: the hand writer would copy them raw */
	for (k = 0, bad = 0; k < sizeof unplain / sizeof *unplain; k++)
		bad += terra_settle_plain(unplain[k]) != 0;
	ok(!bad, "accounts with escapes, controls, DEL or UTF-8 are not plain: refused before the "
	         "hand writer");
	ok(terra_settle_plain("A-Z.a_z:0@9+x") && terra_settle_plain(""),
	   "plain accounts are plain");
	ok(terra_settle_payout_tail(1, "a\"b", tail) < 0, "a period needing escapes has no tail");
}

/* terra-ledger verify's rule: settlement entries' periods never overlap. */
static void test_periods(void)
{
	static const char *const refused[] = {
	    "2026-11-21T00:00:00Z/P1D",                                /* a day around the hour */
	    "2026-11-21T10:00:00.000001Z/PT1H",                        /* shifted by 1 us */
	    "2026-11-21T10:30:00Z/PT1M",                               /* a minute inside */
	    "2026-11-21T10:00:00.000000Z/2026-11-21T11:00:00.000000Z", /* the hour again */
	};
	terra_settle_periods *p = terra_settle_periods_new();
	json_t *payload;
	terra_err e;
	size_t i;

	payload = json_pack("{s:s}", "period", "2026-11-21T10:00:00Z/PT1H");
	ok(terra_settle_periods_add(p, payload, 5, &e) == 0, "periods: an hour");
	json_decref(payload);
	for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		payload = json_pack("{s:s}", "period", refused[i]);
		ok(terra_settle_periods_add(p, payload, 6, &e) < 0 && e.kind == TERRA_E_VERIFY,
		   "periods: an overlapping one fails verification");
		like(e.msg, "entry 6: settlement: period 2026-11-21T",
		     "periods: named with the entry");
		like(e.msg, "entry 5", "periods: and the entry it overlaps");
		json_decref(payload);
	}
	payload = json_pack("{s:s}", "period", "2026-11-21T11:00:00Z/PT1H");
	ok(terra_settle_periods_add(p, payload, 7, &e) == 0, "periods: the next hour");
	json_decref(payload);
	payload = json_pack("{s:s, s:[[s,i,i],[s,i,i]]}", "period", "2026-11-21T12:00:00Z/PT1H",
	                    "covers", "b", 1, 2, "a", 1, 1);
	ok(terra_settle_periods_add(p, payload, 8, &e) < 0, "periods: covers out of unit order");
	like(e.msg, "covers: unit 'a' not after 'b'", "periods: covers named");
	json_decref(payload);
	/* adjustments: of a period settled before this one, usage not paid for it */
	payload = json_pack("{s:s, s:[[s,i,i]]}", "period", "2026-11-21T13:00:00Z/PT1H", "covers",
	                    "u1", 1, 4);
	ok(terra_settle_periods_add(p, payload, 9, &e) == 0, "periods: an hour with covers");
	json_decref(payload);
	payload = json_pack("{s:s, s:s, s:[[s,i,i],[s,i,i]]}", "period",
	                    "2026-11-21T14:00:00Z/PT1H", "adjusts", "2026-11-21T13:00:00Z/PT1H",
	                    "adjusts_covers", "u1", 5, 6, "u2", 1, 1);
	ok(terra_settle_periods_add(p, payload, 10, &e) == 0,
	   "periods: an adjustment of unpaid seqs");
	json_decref(payload);
	payload = json_pack("{s:s, s:s, s:[[s,i,i]]}", "period", "2026-11-21T15:00:00Z/PT1H",
	                    "adjusts", "2026-11-21T13:00:00Z/PT1H", "adjusts_covers", "u1", 4, 5);
	ok(terra_settle_periods_add(p, payload, 11, &e) < 0 && e.kind == TERRA_E_VERIFY,
	   "periods: seqs paid by the settlement and the adjustment fail verification");
	like(e.msg,
	     "entry 11: settlement: usage seqs 4 to 5 of unit u1: seqs 1 to 4 already paid for "
	     "period 2026-11-21T13:00:00.000000Z/2026-11-21T14:00:00.000000Z by settlement "
	     "entry 9",
	     "periods: the first range paid is named");
	json_decref(payload);
	payload = json_pack("{s:s, s:s, s:[[s,i,i]]}", "period", "2026-11-21T16:00:00Z/PT1H",
	                    "adjusts", "2026-11-21T13:00:00Z/PT1H", "adjusts_covers", "u2", 1, 1);
	ok(terra_settle_periods_add(p, payload, 12, &e) < 0, "periods: adjusted twice fails");
	like(e.msg, "by settlement entry 10", "periods: naming the adjustment that paid it");
	json_decref(payload);
	payload = json_pack("{s:s, s:s, s:[[s,i,i]]}", "period", "2026-11-21T17:00:00Z/PT1H",
	                    "adjusts", "2026-11-21T09:00:00Z/PT1H", "adjusts_covers", "u2", 1, 1);
	ok(terra_settle_periods_add(p, payload, 13, &e) < 0,
	   "periods: an unsettled period adjusted");
	like(e.msg, "which was never settled", "periods: said so");
	json_decref(payload);
	payload = json_pack("{s:s, s:s, s:[[s,i,i]]}", "period", "2026-11-21T18:00:00Z/PT1H",
	                    "adjusts", "2026-11-21T23:00:00Z/PT1H", "adjusts_covers", "u2", 1, 1);
	ok(terra_settle_periods_add(p, payload, 14, &e) < 0, "periods: a later period adjusted");
	like(e.msg, "which was never settled", "periods: (not settled before it)");
	json_decref(payload);
	payload = json_pack("{s:s, s:s, s:[]}", "period", "2026-11-21T19:00:00Z/PT1H", "adjusts",
	                    "2026-11-21T13:00:00Z/PT1H", "adjusts_covers");
	ok(terra_settle_periods_add(p, payload, 15, &e) < 0, "periods: an empty adjustment fails");
	json_decref(payload);
	payload = json_pack("{s:s, s:[[s,i,i]]}", "period", "2026-11-21T21:00:00Z/PT1H",
	                    "adjusts_covers", "u2", 9, 9);
	ok(terra_settle_periods_add(p, payload, 18, &e) < 0, "periods: adjusts_covers alone fails");
	like(e.msg, "adjusts_covers without adjusts", "periods: said so");
	json_decref(payload);
	payload = json_pack("{s:s, s:s, s:[[s,i,i]]}", "period", "2026-11-21T20:00:00Z/PT1H",
	                    "adjusts", "2026-11-21T13:00:00Z/PT1H", "adjusts_covers", "u2", 2, 2);
	ok(terra_settle_periods_add(p, payload, 16, &e) == 0,
	   "periods: another unpaid seq adjusted");
	json_decref(payload);
	payload = json_pack("{s:s, s:s, s:[[s,i,i]]}", "period", "2026-11-21T08:00:00Z/PT1H",
	                    "adjusts", "2026-11-21T13:00:00Z/PT1H", "adjusts_covers", "u2", 3, 3);
	ok(terra_settle_periods_add(p, payload, 17, &e) < 0,
	   "periods: a settled later period adjusted");
	like(e.msg, "does not end before period 2026-11-21T08:00:00", "periods: said so");
	json_decref(payload);
	terra_settle_periods_free(p);
}

/* The holders' split made ahead (terra_settle_ahead) is the one the
 * transaction would make: kept for the same holders' part, made again for
 * another (a carry balance that changed in between). */
static void test_ahead(void)
{
	terra_settle_calc ref, c;
	terra_settle_ahead *a;
	terra_holders hs;
	uint8_t want[TERRA_HASH_BYTES], got[TERRA_HASH_BYTES];
	terra_settle_policy p;
	terra_err e = {0};
	int64_t carries[2] = {7, 1000000003}, i;

	terra_holders_init(&hs);
	for (i = 0; i < 7; i++) {
		char name[16];

		snprintf(name, sizeof name, "h%lld", (long long)i);
		terra_holders_add(&hs, name, 1000003 * (i + 1) + 17 * i * i, i + 1, &e);
	}
	ok(terra_holders_sort(&hs, "ahead", &e) == 0, "ahead: seven holders");
	terra_holders_digest(&hs, want);
	terra_settle_policy_default(&p);
	for (i = 0; i < 2; i++) {
		memset(&ref, 0, sizeof ref);
		ref.revenue = 1250500000001;
		ref.carry_in = carries[i];
		ref.policy = p;
		ref.hs = &hs;
		ref.want_root = 1;
		c = ref;
		ok(terra_settle_compute(&ref, &e) == 0, "ahead: the split in the transaction");
		/* made ahead for the first carry, used with carries[i] */
		terra_settle_ahead_start(&a, &hs, 1, ref.revenue, carries[0], &p);
		ok(a != NULL, "ahead: a thread");
		terra_settle_ahead_finish(a, &c, got);
		ok(!memcmp(got, want, sizeof want), "ahead: the holders' digest");
		ok(c.hready, "ahead: the split made");
		ok(terra_settle_compute(&c, &e) == 0, "ahead: computed");
		is_int(c.htotal, ref.htotal,
		       i ? "ahead, carry changed: split again, same total"
		         : "ahead: the same holders' total");
		is_int(c.carry_out, ref.carry_out, "ahead: the same carry out");
		is_int(c.hcount, ref.hcount, "ahead: the same holders paid");
		ok(!memcmp(c.hroot, ref.hroot, sizeof c.hroot), "ahead: the same Merkle root");
		terra_settle_calc_free(&ref);
		terra_settle_calc_free(&c);
	}
	terra_holders_free(&hs);
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

	if (sodium_init() < 0)
		return 1;
	fixture_tmpdir("settle");
	setenv("TERRA_NOW", "2026-11-21T10:00:00Z", 1);
	snprintf(home_path, sizeof home_path, "%s", fixture_path("home"));
	ok(terra_home_init(home_path, 0, &created, &e) == 0, "a home");
	ok(terra_home_open(&h, home_path, TERRA_HOME_SECRET, &e) == 0, "opened with its key");
	terra_hex(h.owner.pk, sizeof h.owner.pk, owner);
	signer = &h.owner;
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
	terra_settle_trust(s, h.owner.pk, &e);
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
	out = tmpfile();
	ok(out && terra_settle_write_payouts(out, s, &e) == 0, "payouts written");
	if (out) {
		char buf[1024], *canon = NULL;
		size_t lines = 0, same = 0, clen;
		json_t *rec = NULL;

		rewind(out);
		while (fgets(buf, sizeof buf, out)) {
			size_t len = strlen(buf) - 1;

			lines++;
			if (terra_record_parse(buf, len, &rec, &e) == 0 &&
			    terra_rec_dumps(rec, &canon, &clen, &e) == 0 && clen == len &&
			    !memcmp(canon, buf, len))
				same++;
			free(canon);
			canon = NULL;
			json_decref(rec);
			rec = NULL;
		}
		is_int(lines, 6, "six payout lines");
		is_int(same, lines, "each one exactly as the canonical writer writes its record");
		fclose(out);
	}
	terra_settle_free(s);

	payload = stored_payload(h.db);
	ok(payload != NULL, "the entry is stored");
	ok(terra_settle_inputs_load(h.db, PERIOD, &inputs, &e) == 0 && json_array_size(inputs) == 3,
	   "its inputs: 3 units");
	ok(terra_settle_snapshot_load(
	       h.db,
	       json_string_value(json_object_get(json_object_get(payload, "inputs"), "holders")),
	       &snap, &snaplen, &e) == 0,
	   "and the holders snapshot");
	is_int(snaplen, 19 + 16 + 18 + 7,
	       "the snapshot holds 4 holders: account, NUL, balance, newline");
	ok(snap && !memcmp(snap,
	                   "alice\0"
	                   "100000000000\n",
	                   19),
	   "in account order");
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
	like(check_changed(
	         payload, inputs, "holders.root",
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
	ok(terra_settle_check(payload, bad, snap, snaplen, &e) < 0,
	   "a changed unit weight is caught");
	like(e.msg, "unit_rows digest", "by the unit rows digest");
	json_decref(bad);
	bad = json_deep_copy(inputs);
	json_array_remove(bad, 0);
	ok(terra_settle_check(payload, bad, snap, snaplen, &e) < 0,
	   "a missing input row is caught");
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
	terra_settle_trust(s, h.owner.pk, &e);
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
	test_hand_writers();
	test_periods();
	test_ahead();
	return done_testing();
}
