/*
 * The ledger's appends: the O(log n) frontier kept with each checkpoint
 * gives the same root as hashing every leaf again, at every size; old
 * checkpoints are consistent with new ones (RFC 9162 proofs); appends that
 * break the rules are refused and change nothing.
 */
#include "lib/db.h"
#include "lib/home.h"
#include "lib/ledger.h"
#include "lib/ledgerint.h"
#include "lib/merkle.h"
#include "lib/money.h"
#include "lib/record.h"
#include "fixture.h"
#include "tap.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { N = 300 };

static uint8_t leaves[N][TERRA_HASH_BYTES];

static json_t *meter_payload(int i)
{
	return json_pack("{s:s, s:i, s:s, s:I}", "type", "meter", "v", 1, "note", "bench", "i",
	                 (json_int_t)i);
}

/* The signed root of checkpoint `size`, from its body. */
static int checkpoint_root(sqlite3 *db, int size, uint8_t root[TERRA_HASH_BYTES])
{
	sqlite3_stmt *st;
	terra_err e = {0};
	json_t *cp = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(db, "SELECT body FROM checkpoints WHERE size = ?", -1, &st, NULL))
		return -1;
	sqlite3_bind_int(st, 1, size);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *body = (const char *)sqlite3_column_text(st, 0);
		if (terra_record_parse(body, strlen(body), &cp, &e) == 0 &&
		    terra_rec_hex(cp, "root", root, TERRA_HASH_BYTES, &e) == 0)
			rc = 0;
	}
	json_decref(cp);
	sqlite3_finalize(st);
	return rc;
}

/* The canonical writer's line for rec, with no '\n'; malloc'd. */
static char *dumps(json_t *rec, size_t *len)
{
	terra_err e = {0};
	char *s = NULL;

	if (!rec || terra_rec_dumps(rec, &s, len, &e) < 0)
		s = NULL;
	json_decref(rec);
	return s;
}

/*
 * The entry record (the leaf data of every entry) and the export's holding
 * records are canonical JSON written by hand: byte for byte what the
 * canonical writer makes of the same records.
 */
static void test_hand_writers(void)
{
	static const char *const kinds[] = {"unit",  "transfer",   "retire",
	                                    "meter", "settlement", "payment"};
	static const char *const payloads[] = {
	    "{}", "{\"account\":\"alice\",\"amount\":\"1.000000000\",\"postings\":[]}",
	    "{\"a\":[1,-2,{\"b\":null,\"c\":true}],\"s\":\"tab\\tq\\\"\\\\ caf\xc3\xa9 \xe2\x82\xac\"}",
	    "{\"n\":-9223372036854775808,\"x\":9223372036854775807}"};
	static const char *const times[] = {"2026-11-21T10:00:00.000000Z",
	                                    "1970-01-01T00:00:00.000000Z"};
	static const int64_t seqs[] = {1, 2, 300, INT64_MAX};
	static const char *const accounts[] = {"a", "alice", "A-Z.a_z:0@9+x",
	                                       "0123456789abcdef0123456789abcdef"};
	static const int64_t units[] = {0, 1, 1000000000, INT64_MAX, -1, INT64_MIN};
	uint8_t prev[TERRA_HASH_BYTES];
	char hex[TERRA_HASH_HEX];
	terra_buf b = {NULL, 0, 0};
	size_t k, p, t, q, a, u, n = 0, bad = 0, len;

	for (k = 0; k < sizeof kinds / sizeof *kinds; k++)
		for (p = 0; p < sizeof payloads / sizeof *payloads; p++)
			for (t = 0; t < sizeof times / sizeof *times; t++)
				for (q = 0; q < sizeof seqs / sizeof *seqs; q++) {
					json_t *pl = json_loads(payloads[p], 0, NULL);
					char *want;

					memset(prev, (int)(k * 16 + q), sizeof prev);
					terra_hex(prev, sizeof prev, hex);
					want = dumps(json_pack("{s:s,s:i,s:I,s:s,s:o,s:s,s:s}",
					                       "type", "entry", "v", 1, "seq",
					                       (json_int_t)seqs[q], "kind",
					                       kinds[k], "payload", pl, "prev", hex,
					                       "created_at", times[t]),
					             &len);
					/* the payload as the ledger stores it: canonical text */
					{
						char *ptext = dumps(
						    json_loads(payloads[p], 0, NULL), &(size_t){0});

						n++;
						if (!want || !ptext ||
						    terra_ledger_entry_line(&b, seqs[q], kinds[k],
						                            ptext, strlen(ptext),
						                            prev, times[t]) < 0 ||
						    b.len != len || memcmp(b.p, want, len)) {
							if (!bad++)
								printf(
								    "#   got  %.*s\n#   want %s\n",
								    (int)b.len, b.p,
								    want ? want : "(null)");
						}
						free(ptext);
					}
					free(want);
				}
	ok(n == 192 && !bad, "hand-written entry records equal the canonical writer's bytes");
	free(b.p);

	for (a = 0, bad = 0; a < sizeof accounts / sizeof *accounts; a++)
		for (u = 0; u < sizeof units / sizeof *units; u++)
			for (q = 0; q < sizeof seqs / sizeof *seqs; q++) {
				char amount[TERRA_AMOUNT_MAX], *want, *got = NULL;
				size_t glen = 0;
				FILE *f = open_memstream(&got, &glen);

				terra_money_format(units[u], amount);
				want = dumps(json_pack("{s:s,s:i,s:s,s:s,s:I}", "type", "holding",
				                       "v", 1, "account", accounts[a], "balance",
				                       amount, "entry", (json_int_t)seqs[q]),
				             &len);
				if (!f || terra_ledger_holding_write(f, accounts[a], units[u],
				                                     seqs[q]) < 0)
					bad++;
				if (f)
					fclose(f);
				if (!want || !got || glen != len + 1 || memcmp(got, want, len) ||
				    got[len] != '\n')
					bad++;
				free(want);
				free(got);
			}
	ok(!bad, "hand-written holding records equal the canonical writer's bytes");
}

/* Entry 1's prev pins the owner key: another key neither appends nor verifies. */
static void test_pin(terra_home *h)
{
	static const uint8_t zeros[TERRA_HASH_BYTES];
	terra_ledger_report rep = {0};
	terra_key mine = h->owner, other = {{0}, NULL};
	terra_err e = {0};
	int64_t seq = 0, before;
	json_t *p = meter_payload(0);
	int pinned = -1;
	char want[TERRA_PK_HEX], got[TERRA_PK_HEX];
	sqlite3_stmt *st;

	sqlite3_prepare_v2(h->db, "SELECT prev_hash FROM entries WHERE seq = 1", -1, &st, NULL);
	ok(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == TERRA_PK_BYTES &&
	       !memcmp(sqlite3_column_blob(st, 0), mine.pk, TERRA_PK_BYTES),
	   "entry 1's prev is the owner public key");
	sqlite3_finalize(st);
	ok(terra_ledger_pin_check(zeros, mine.pk, "k", &pinned, &e) == 0 && pinned == 0,
	   "64 zeros: a ledger begun before pins, not pinned");
	ok(terra_ledger_pin_check(mine.pk, mine.pk, "k", &pinned, &e) == 0 && pinned == 1,
	   "the key itself: pinned");
	if (terra_key_generate(&other, &e) < 0) {
		ok(0, "another key pair");
		json_decref(p);
		return;
	}
	ok(terra_ledger_pin_check(mine.pk, other.pk, "owner.pub's key", &pinned, &e) < 0 &&
	       e.kind == TERRA_E_VERIFY,
	   "another key: refused as a verification failure");
	terra_hex(mine.pk, TERRA_PK_BYTES, want);
	terra_hex(other.pk, TERRA_PK_BYTES, got);
	ok(!strncmp(e.msg, "entry 1: the ledger is pinned to owner key ", 43) &&
	       strstr(e.msg, want) && strstr(e.msg, got) &&
	       strstr(e.msg, ", not to owner.pub's key "),
	   "naming both keys");

	before = fixture_sql_int(h->db, "SELECT count(*) FROM entries");
	h->owner = other;
	terra_db_begin(h->db, &e);
	ok(terra_ledger_append(h, "meter", p, &seq, &e) < 0,
	   "an append under another key is refused");
	ok(!strncmp(e.msg, "ledger: entry 1: the ledger is pinned to owner key ", 51) &&
	       strstr(e.msg, "not to this home's key "),
	   "and says why");
	terra_db_rollback(h->db);
	is_int(fixture_sql_int(h->db, "SELECT count(*) FROM entries"), before, "nothing appended");
	ok(terra_ledger_verify(h, &rep, &e) < 0 && e.kind == TERRA_E_VERIFY,
	   "verify against another key fails");
	ok(!strncmp(e.msg, "entry 1: the ledger is pinned", 29),
	   "at entry 1, before any checkpoint");
	terra_ledger_report_free(&rep);
	h->owner = mine;
	terra_key_wipe(&other);
	json_decref(p);
}

int main(void)
{
	const char *dir;
	terra_ledger_report rep = {0};
	terra_err e = {0};
	terra_home h;
	sqlite3_stmt *st;
	json_t *p;
	uint8_t root[TERRA_HASH_BYTES], want[TERRA_HASH_BYTES], old[TERRA_HASH_BYTES];
	uint8_t path[64][TERRA_HASH_BYTES];
	int created, i, bad_roots = 0, bad_appends = 0;
	int64_t seq = 0;
	size_t len;

	if (sodium_init() < 0)
		return 1;
	dir = fixture_tmpdir("ledger-unit");
	setenv("TERRA_NOW", "2026-11-21T10:00:00Z", 1);
	if (!ok(terra_home_init(dir, 0, &created, &e) == 0, "a home to append to"))
		printf("#   %s\n", e.msg);
	if (!ok(terra_home_open(&h, dir, TERRA_HOME_SECRET, &e) == 0, "opened with its key")) {
		printf("#   %s\n", e.msg);
		return done_testing();
	}

	p = meter_payload(0);
	ok(terra_ledger_append(&h, "meter", p, &seq, &e) < 0,
	   "append outside a transaction refused");
	terra_db_begin(h.db, &e);
	ok(terra_ledger_append(&h, "gossip", p, &seq, &e) < 0, "an unknown kind is refused");
	like(e.msg, "unknown entry kind", "and says so");
	terra_db_rollback(h.db);
	json_decref(p);

	for (i = 0; i < N; i++) {
		if (i % 37 == 0)
			terra_db_begin(h.db, &e);
		p = meter_payload(i);
		if (terra_ledger_append(&h, "meter", p, &seq, &e) < 0 || seq != i + 1) {
			bad_appends++;
			printf("#   append %d: %s\n", i, e.msg);
		}
		json_decref(p);
		if (i % 37 == 36 || i == N - 1)
			terra_db_commit(h.db, &e);
	}
	is_int(bad_appends, 0, "300 appends, seqs 1..300, in transactions of 37");
	is_int(fixture_sql_int(h.db, "SELECT count(*) FROM checkpoints"), N,
	       "one checkpoint per append");

	sqlite3_prepare_v2(h.db, "SELECT leaf_hash FROM entries ORDER BY seq", -1, &st, NULL);
	for (i = 0; i < N && sqlite3_step(st) == SQLITE_ROW; i++)
		memcpy(leaves[i], sqlite3_column_blob(st, 0), TERRA_HASH_BYTES);
	sqlite3_finalize(st);
	for (i = 1; i <= N; i++) {
		terra_merkle_root((const uint8_t(*)[TERRA_HASH_BYTES])leaves, (size_t)i, want);
		if (checkpoint_root(h.db, i, root) < 0 || memcmp(root, want, TERRA_HASH_BYTES))
			bad_roots++;
	}
	is_int(bad_roots, 0, "every signed root equals the root of all leaves at its size");

	checkpoint_root(h.db, 100, old);
	checkpoint_root(h.db, N, root);
	ok(terra_merkle_consistency((const uint8_t(*)[TERRA_HASH_BYTES])leaves, 100, N, path, &len,
	                            &e) == 0 &&
	       terra_merkle_verify_consistency(
	           100, N, old, root, (const uint8_t(*)[TERRA_HASH_BYTES])path, len, &e) == 0,
	   "checkpoint 100 is consistent with checkpoint 300");

	ok(terra_ledger_verify(&h, &rep, &e) == 0, "the ledger verifies");
	is_int(rep.entries, N, "of 300 entries");
	ok(!memcmp(rep.root, root, TERRA_HASH_BYTES), "its root is the last checkpoint's");
	ok(rep.pinned, "and entry 1 pins the owner key");
	terra_ledger_report_free(&rep);
	test_pin(&h);

	terra_home_close(&h);
	test_hand_writers();
	return done_testing();
}
