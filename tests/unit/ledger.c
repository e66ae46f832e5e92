/*
 * The ledger's appends: the O(log n) frontier kept with each checkpoint
 * gives the same root as hashing every leaf again, at every size; old
 * checkpoints are consistent with new ones (RFC 9162 proofs); appends that
 * break the rules are refused and change nothing.
 */
#include "lib/db.h"
#include "lib/home.h"
#include "lib/ledger.h"
#include "lib/merkle.h"
#include "lib/record.h"
#include "fixture.h"
#include "tap.h"

#include <sodium.h>
#include <stdlib.h>
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
	terra_ledger_report_free(&rep);

	terra_home_close(&h);
	return done_testing();
}
