#include "settlestore.h"

#include "buf.h"
#include "db.h"
#include "entries.h"
#include "key.h"
#include "money.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The payload of one settlement entry, parsed. */
struct payload_of {
	json_t *payload; /* NULL when the entry is missing */
	const char *what;
};

static int payload_fn(void *ctx, const terra_entry *en, terra_err *e)
{
	struct payload_of *x = ctx;
	json_error_t jerr;

	if (!en->kind)
		return 0;
	x->payload = json_loadb(en->payload, en->payload_len, 0, &jerr);
	if (!x->payload)
		return terra_err_set(e, TERRA_E_VERIFY, "entry %lld: %s: %s", (long long)en->seq,
		                     x->what, jerr.text);
	return 0;
}

int terra_settle_stored(sqlite3 *db, const char *period, char digest[TERRA_HASH_HEX], int64_t *seq,
                        json_t **payload, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	struct payload_of x = {NULL, "settlement payload"};
	int rc = -1, step;

	*payload = NULL;
	if (terra_db_prepare(db,
	                     "SELECT inputs_digest, entry_seq FROM settlements WHERE period = ?",
	                     &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		rc = 0;
		goto out;
	}
	if (step != SQLITE_ROW) {
		terra_db_err(db, e, "read settlements");
		goto out;
	}
	snprintf(digest, TERRA_HASH_HEX, "%s", (const char *)sqlite3_column_text(st, 0));
	*seq = sqlite3_column_int64(st, 1);
	if (terra_entries_get(db, seq, 1, 1, payload_fn, &x, e))
		goto out;
	/* a row whose entry is missing settles nothing (terra-ledger verify says so) */
	*payload = x.payload;
	rc = x.payload != NULL;
out:
	sqlite3_finalize(st);
	return rc;
}

int terra_settle_carry_balance(sqlite3 *db, int64_t *carry, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	struct payload_of x = {NULL, "settlement payload"};
	const char *v;
	int64_t seq;
	int rc = -1, step;
	terra_err sub = {0};

	*carry = 0;
	if (terra_db_prepare(db, "SELECT max(entry_seq) FROM settlements", &st, e) < 0)
		return -1;
	step = sqlite3_step(st);
	if (step != SQLITE_ROW) {
		terra_db_err(db, e, "read carry balance");
		goto out;
	}
	seq = sqlite3_column_int64(st, 0);
	if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		rc = 0;
		goto out;
	}
	if (terra_entries_get(db, &seq, 1, 1, payload_fn, &x, e))
		goto out;
	v = json_string_value(json_object_get(x.payload, "carry_out"));
	if (!v || terra_money_parse(v, 1, carry, &sub) < 0 || *carry < 0) {
		terra_err_set(e, TERRA_E_VERIFY, "entry %lld: settlement carry_out: %s",
		              (long long)seq, v ? sub.msg : "missing");
		goto out;
	}
	rc = 0;
out:
	json_decref(x.payload);
	sqlite3_finalize(st);
	return rc;
}

/* Where the next piece of a snapshot body goes. */
struct blob_out {
	sqlite3_blob *blob;
	int at;
};

static int blob_piece(void *ctx, const char *piece, size_t len, terra_err *e)
{
	struct blob_out *o = ctx;

	(void)e;
	if (sqlite3_blob_write(o->blob, piece, (int)len, o->at) != SQLITE_OK)
		return -1;
	o->at += (int)len; /* the whole body is at most INT_MAX bytes */
	return 0;
}

/* Writes hs's body into the (zero-filled, len bytes) body of the snapshots row
 * rowid, as it is made: never whole in memory. */
static int snapshot_write(sqlite3 *db, sqlite3_int64 rowid, const terra_holders *hs, terra_err *e)
{
	struct blob_out o = {NULL, 0};
	int rc = -1;

	if (sqlite3_blob_open(db, "main", "snapshots", "body", rowid, 1, &o.blob) != SQLITE_OK ||
	    terra_holders_body_each(hs, blob_piece, &o, e) != 0) {
		terra_db_err(db, e, "record holders snapshot");
		goto out;
	}
	rc = 0;
out:
	sqlite3_blob_close(o.blob);
	return rc;
}

int terra_settle_store_snapshot(sqlite3 *db, const uint8_t holders_digest[TERRA_HASH_BYTES],
                                const terra_holders *hs, terra_err *e)
{
	char hhex[TERRA_HASH_HEX];
	sqlite3_stmt *st = NULL;
	size_t snaplen;
	int rc = -1;

	if (terra_holders_body_len(hs, &snaplen, e) < 0)
		return -1;
	/* SQLite holds no blob this long (SQLITE_MAX_LENGTH) */
	if (snaplen > INT_MAX)
		return terra_err_set(e, TERRA_E_INPUT, "holders snapshot: %zu bytes", snaplen);
	terra_hex(holders_digest, TERRA_HASH_BYTES, hhex);
	/*
	 * The snapshot, once per digest: the same snapshot may serve several
	 * periods. The row is made with room for the body, which is then
	 * written into its pages as it is made: bound as a value, it would
	 * be held whole, and SQLite would copy the tens of megabytes into a
	 * record of its own.
	 */
	if (terra_db_prepare(db, "INSERT OR IGNORE INTO snapshots(digest, body) VALUES (?, ?)", &st,
	                     e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, hhex, -1, SQLITE_STATIC);
	sqlite3_bind_zeroblob64(st, 2, snaplen);
	if (sqlite3_step(st) != SQLITE_DONE) {
		terra_db_err(db, e, "record holders snapshot");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_changes(db) > 0 && snaplen &&
	    snapshot_write(db, sqlite3_last_insert_rowid(db), hs, e) < 0)
		goto out;
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

int terra_settle_store_entry(sqlite3 *db, const char *period, const char *inputs_digest,
                             int64_t entry_seq, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (terra_db_prepare(db,
	                     "INSERT INTO settlements(period, inputs_digest, entry_seq)"
	                     " VALUES (?, ?, ?)",
	                     &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, inputs_digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, entry_seq);
	if (sqlite3_step(st) != SQLITE_DONE)
		terra_db_err(db, e, "record settlement");
	else
		rc = 0;
	sqlite3_finalize(st);
	return rc;
}

int terra_settle_store_units(sqlite3 *db, const char *period, const terra_settle_unit *units,
                             size_t n, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = -1;

	if (terra_db_prepare(db,
	                     "INSERT INTO settlement_inputs(period, role, id, owner, weight)"
	                     " VALUES (?1, 'unit', ?2, ?3, ?4)",
	                     &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
	for (i = 0; i < n; i++) {
		sqlite3_bind_text(st, 2, units[i].unit, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, units[i].owner, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, units[i].weight);
		if (sqlite3_step(st) != SQLITE_DONE) {
			terra_db_err(db, e, "record settlement inputs");
			goto out;
		}
		sqlite3_reset(st);
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

int terra_settle_inputs_load(sqlite3 *db, const char *period, json_t **inputs, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	json_t *rows = json_array(), *jrole = NULL;
	int rc = -1, step;

	*inputs = NULL;
	if (!rows)
		return terra_err_sys(e, "settlement inputs");
	if (terra_db_prepare(db,
	                     "SELECT role, id, owner, weight FROM settlement_inputs"
	                     " WHERE period = ? ORDER BY role, id",
	                     &st, e) < 0)
		goto out;
	sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *role = (const char *)sqlite3_column_text(st, 0);
		const char *id = (const char *)sqlite3_column_text(st, 1);
		const char *owner = (const char *)sqlite3_column_text(st, 2);
		json_t *row = json_array();

		/* rows come by role: they share its string */
		if (!jrole || strcmp(json_string_value(jrole), role ? role : "")) {
			json_decref(jrole);
			jrole = json_string(role ? role : "");
		}
		/* json_pack would parse its format a million times over */
		if (!row || json_array_append_new(rows, row) < 0 ||
		    json_array_append_new(row, json_incref(jrole)) < 0 ||
		    json_array_append_new(row, json_string(id ? id : "")) < 0 ||
		    json_array_append_new(row, owner ? json_string(owner) : json_null()) < 0 ||
		    json_array_append_new(row, json_integer(sqlite3_column_int64(st, 3))) < 0) {
			terra_err_sys(e, "settlement inputs");
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		terra_db_err(db, e, "read settlement inputs");
		goto out;
	}
	*inputs = rows;
	rows = NULL;
	rc = 0;
out:
	sqlite3_finalize(st);
	json_decref(jrole);
	json_decref(rows);
	return rc;
}

int terra_settle_snapshot_load(sqlite3 *db, const char *digest, void **body, size_t *len,
                               terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int rc = -1, step;

	*body = NULL;
	*len = 0;
	if (terra_db_prepare(db, "SELECT body FROM snapshots WHERE digest = ?", &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, digest ? digest : "", -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		terra_err_set(e, TERRA_E_NOTFOUND, "holders snapshot %.16s...: missing",
		              digest ? digest : "");
		goto out;
	}
	if (step != SQLITE_ROW) {
		terra_db_err(db, e, "read holders snapshot");
		goto out;
	}
	*len = (size_t)sqlite3_column_bytes(st, 0);
	*body = malloc(*len ? *len : 1);
	if (!*body) {
		terra_err_sys(e, "holders snapshot: %zu bytes", *len);
		goto out;
	}
	if (*len)
		memcpy(*body, sqlite3_column_blob(st, 0), *len);
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

int terra_settle_summary(sqlite3 *db, int64_t *count, char last[64], terra_err *e)
{
	sqlite3_stmt *st = NULL;
	const char *end;

	*count = 0;
	last[0] = '\0';
	if (terra_db_prepare(db,
	                     "SELECT count(*), max(substr(period, instr(period, '/') + 1))"
	                     " FROM settlements",
	                     &st, e) < 0)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		end = (const char *)sqlite3_column_text(st, 1);
		if (end)
			snprintf(last, 64, "%s", end);
	}
	sqlite3_finalize(st);
	return 0;
}

int terra_settle_each_row(sqlite3 *db, terra_settle_row_fn fn, void *ctx, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	terra_settle_row r;
	int rc, ret = -1;

	if (terra_db_prepare(db,
	                     "SELECT period, entry_seq, inputs_digest FROM settlements"
	                     " ORDER BY entry_seq",
	                     &st, e) < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r.period = (const char *)sqlite3_column_text(st, 0);
		r.entry_seq = sqlite3_column_int64(st, 1);
		r.inputs_digest = (const char *)sqlite3_column_text(st, 2);
		if (fn(ctx, &r, e) < 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		terra_db_err(db, e, "settled periods");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

static int seq_fn(void *ctx, const terra_settle_row *r, terra_err *e)
{
	struct terra_settle_seqs *s = ctx;

	if (terra_grow(&s->seq, &s->cap, s->n, sizeof *s->seq, 64) < 0)
		return terra_err_sys(e, "settled periods");
	s->seq[s->n++] = r->entry_seq;
	return 0;
}

int terra_settle_seqs_load(sqlite3 *db, terra_settle_seqs *s, terra_err *e)
{
	memset(s, 0, sizeof *s);
	if (terra_settle_each_row(db, seq_fn, s, e) < 0) {
		free(s->seq);
		memset(s, 0, sizeof *s);
		return -1;
	}
	return 0;
}

struct each_payload {
	terra_settle_payload_fn fn;
	void *ctx;
};

static int each_payload_fn(void *ctx, const terra_entry *en, terra_err *e)
{
	struct each_payload *x = ctx;

	/* a row whose entry is missing is no settlement (terra-ledger verify says so) */
	return en->kind ? x->fn(x->ctx, en->payload, e) : 0;
}

int terra_settle_each_payload(sqlite3 *db, terra_settle_payload_fn fn, void *ctx, terra_err *e)
{
	struct each_payload x = {fn, ctx};
	terra_settle_seqs s;
	int ret;

	if (terra_settle_seqs_load(db, &s, e) < 0)
		return -1;
	ret = terra_entries_get(db, s.seq, s.n, 1, each_payload_fn, &x, e) ? -1 : 0;
	free(s.seq);
	return ret;
}

struct terra_settle_reader {
	sqlite3_stmt *weight, *units;
};

int terra_settle_reader_open(sqlite3 *db, terra_settle_reader **r, terra_err *e)
{
	*r = calloc(1, sizeof **r);
	if (!*r)
		return terra_err_sys(e, "settlement inputs");
	if (terra_db_prepare(db,
	                     "SELECT weight FROM settlement_inputs"
	                     " WHERE period = ? AND role = 'unit' AND id = ?",
	                     &(*r)->weight, e) < 0 ||
	    terra_db_prepare(db,
	                     "SELECT id, coalesce(owner, ''), weight FROM settlement_inputs"
	                     " WHERE period = ? AND role = 'unit' ORDER BY id, owner",
	                     &(*r)->units, e) < 0) {
		terra_settle_reader_close(*r);
		*r = NULL;
		return -1;
	}
	return 0;
}

int terra_settle_reader_weight(terra_settle_reader *r, const char *period, const char *unit,
                               int64_t *weight)
{
	int found;

	sqlite3_reset(r->weight);
	sqlite3_bind_text(r->weight, 1, period, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(r->weight, 2, unit, -1, SQLITE_TRANSIENT);
	found = sqlite3_step(r->weight) == SQLITE_ROW;
	if (found)
		*weight = sqlite3_column_int64(r->weight, 0);
	return found;
}

int terra_settle_reader_units(terra_settle_reader *r, const char *period, terra_settle_unit_fn fn,
                              void *ctx, terra_err *e)
{
	sqlite3_stmt *st = r->units;
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, period, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(ctx, (const char *)sqlite3_column_text(st, 0),
		       (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2),
		       e) < 0)
			return -1;
	if (rc != SQLITE_DONE)
		return terra_err_set(e, TERRA_E_SYS, "read the inputs of %s", period);
	return 0;
}

void terra_settle_reader_close(terra_settle_reader *r)
{
	if (!r)
		return;
	sqlite3_finalize(r->weight);
	sqlite3_finalize(r->units);
	free(r);
}
