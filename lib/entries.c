#include "entries.h"

#include "db.h"

#include <string.h>

/* The columns every walker selects, in this order. */
#define COLUMNS "seq, kind, payload, prev_hash, leaf_hash, created_at"
/* The unit version kinds as an SQL list: the one spelling of it in C. */
#define UNIT_KINDS_SQL "('unit', 'transfer', 'retire', 'rekey', 'rescore')"

int terra_entries_is_unit_version(const char *kind)
{
	return !strcmp(kind, "unit") || !strcmp(kind, "transfer") || !strcmp(kind, "retire") ||
	       !strcmp(kind, "rekey") || !strcmp(kind, "rescore");
}

static const void *hash_col(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) != SQLITE_BLOB ||
	    sqlite3_column_bytes(st, col) != TERRA_HASH_BYTES)
		return NULL;
	return sqlite3_column_blob(st, col);
}

/* The row st stands on. */
static void row_of(sqlite3_stmt *st, terra_entry *en)
{
	en->seq = sqlite3_column_int64(st, 0);
	en->kind = (const char *)sqlite3_column_text(st, 1);
	en->payload = (const char *)sqlite3_column_text(st, 2);
	en->payload_len = (size_t)sqlite3_column_bytes(st, 2);
	en->prev = hash_col(st, 3);
	en->leaf = hash_col(st, 4);
	en->created_at = (const char *)sqlite3_column_text(st, 5);
}

/* Hands each row of the prepared st to fn; finalizes st. */
static int walk(sqlite3 *db, sqlite3_stmt *st, terra_entry_fn fn, void *ctx, terra_err *e)
{
	terra_entry en;
	int rc, ret = -1;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_of(st, &en);
		if ((ret = fn(ctx, &en, e)) != 0)
			goto out;
	}
	ret = rc == SQLITE_DONE ? 0 : terra_db_err(db, e, "read the ledger");
out:
	sqlite3_finalize(st);
	return ret;
}

/* Prepares sql, its ?1 bound to text when not NULL (else NULL: any). */
static int prepare(sqlite3 *db, const char *sql, const char *text, sqlite3_stmt **st, terra_err *e)
{
	if (terra_db_prepare(db, sql, st, e) < 0)
		return -1;
	if (text)
		sqlite3_bind_text(*st, 1, text, -1, SQLITE_STATIC);
	return 0;
}

int terra_entries_each(sqlite3 *db, const char *kind, terra_entry_fn fn, void *ctx, terra_err *e)
{
	sqlite3_stmt *st = NULL;

	if (prepare(db,
	            "SELECT " COLUMNS " FROM entries WHERE ?1 IS NULL OR kind = ?1 ORDER BY seq",
	            kind, &st, e) < 0)
		return -1;
	return walk(db, st, fn, ctx, e);
}

int terra_entries_each_unit_version(sqlite3 *db, const char *unit, terra_entry_fn fn, void *ctx,
                                    terra_err *e)
{
	sqlite3_stmt *st = NULL;

	if (prepare(db,
	            "SELECT seq, kind, payload, NULL, NULL, created_at FROM entries"
	            " WHERE kind IN " UNIT_KINDS_SQL
	            " AND (?1 IS NULL OR json_extract(payload, '$.unit') = ?1) ORDER BY seq",
	            unit, &st, e) < 0)
		return -1;
	return walk(db, st, fn, ctx, e);
}

int terra_entries_get(sqlite3 *db, const int64_t *seqs, size_t n, int with_payload,
                      terra_entry_fn fn, void *ctx, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	terra_entry en;
	size_t i;
	int rc, ret = -1;

	if (terra_db_prepare(db,
	                     with_payload ? "SELECT " COLUMNS " FROM entries WHERE seq = ?"
	                                  : "SELECT seq, kind, NULL, prev_hash, leaf_hash,"
	                                    " created_at FROM entries WHERE seq = ?",
	                     &st, e) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, seqs[i]);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			row_of(st, &en);
		} else if (rc == SQLITE_DONE) {
			memset(&en, 0, sizeof en);
			en.seq = seqs[i];
		} else {
			terra_db_err(db, e, "read the ledger");
			goto out;
		}
		if ((ret = fn(ctx, &en, e)) != 0)
			goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int terra_entries_count(sqlite3 *db, const char *kind, int64_t *n, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	*n = 0;
	if (prepare(db, "SELECT count(*) FROM entries WHERE ?1 IS NULL OR kind = ?1", kind, &st,
	            e) < 0)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*n = sqlite3_column_int64(st, 0);
		ret = 0;
	} else {
		terra_db_err(db, e, "count the ledger's entries");
	}
	sqlite3_finalize(st);
	return ret;
}
