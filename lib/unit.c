#include "unit.h"

#include "db.h"
#include "entries.h"
#include "hex.h"
#include "record.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define UNIT_ID_BYTES 16

void terra_unit_id(const uint8_t owner[TERRA_PK_BYTES], const char *fingerprint,
                   char out[TERRA_UNIT_ID_HEX])
{
	crypto_generichash_state st;
	uint8_t id[UNIT_ID_BYTES];

	crypto_generichash_init(&st, NULL, 0, sizeof id);
	crypto_generichash_update(&st, owner, TERRA_PK_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)fingerprint, strlen(fingerprint));
	crypto_generichash_final(&st, id, sizeof id);
	terra_hex(id, sizeof id, out);
}

/* A unit id is 32 lowercase hex characters; anything else names no unit and
 * must never reach a file name. */
static int check_id(const char *id, terra_err *e)
{
	size_t i;

	for (i = 0; id[i]; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			break;
	if (i != TERRA_UNIT_ID_HEX - 1 || id[i])
		return terra_err_set(e, TERRA_E_INPUT,
		                     "unit id '%s': expected 32 lowercase hex digits", id);
	return 0;
}

static const char *column_text(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s ? (const char *)s : "";
}

int terra_unit_get(sqlite3 *db, const char *id, terra_unit *u, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	json_error_t jerr;
	int rc = -1, step;

	memset(u, 0, sizeof *u);
	if (check_id(id, e) < 0)
		return -1;
	if (terra_db_prepare(db,
	                     "SELECT u.unit, owner, unit_pub, fingerprint, score, state, record,"
	                     " h.status, h.checked_at, h.reason"
	                     " FROM units u LEFT JOIN unit_health_history h ON h.id ="
	                     " (SELECT max(id) FROM unit_health_history"
	                     "  WHERE unit = u.unit AND status != 'busy')"
	                     " WHERE u.unit = ?",
	                     &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		terra_err_set(e, TERRA_E_NOTFOUND, "unknown unit '%s'", id);
		goto out;
	}
	if (step != SQLITE_ROW) {
		terra_db_err(db, e, "read unit");
		goto out;
	}
	snprintf(u->id, sizeof u->id, "%s", column_text(st, 0));
	if (terra_unhex(column_text(st, 1), u->owner, sizeof u->owner, e) < 0 ||
	    terra_unhex(column_text(st, 2), u->unit_pub, sizeof u->unit_pub, e) < 0) {
		terra_err_wrap(e, "unit '%s' in the database", id);
		goto out;
	}
	snprintf(u->fingerprint, sizeof u->fingerprint, "%s", column_text(st, 3));
	u->score = sqlite3_column_int64(st, 4);
	u->retired = !strcmp(column_text(st, 5), "retired");
	snprintf(u->health, sizeof u->health, "%s", column_text(st, 7));
	snprintf(u->health_at, sizeof u->health_at, "%s", column_text(st, 8));
	snprintf(u->health_reason, sizeof u->health_reason, "%s", column_text(st, 9));
	u->record = json_loads(column_text(st, 6), JSON_REJECT_DUPLICATES, &jerr);
	if (!u->record || !json_is_object(u->record)) {
		terra_err_set(e, TERRA_E_INPUT, "unit '%s' in the database: bad record: %s", id,
		              u->record ? "not an object" : jerr.text);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	if (rc < 0)
		terra_unit_free(u);
	return rc;
}

void terra_unit_free(terra_unit *u)
{
	if (!u)
		return;
	json_decref(u->record);
	u->record = NULL;
}

/* The payload of the latest version of each unit, by unit id: what its
 * units row must hold. */
static int latest_fn(void *ctx, const terra_entry *en, terra_err *e)
{
	json_t *latest = ctx;
	const char *id;
	json_t *rec = en->payload ? json_loads(en->payload, 0, NULL) : NULL;

	id = json_string_value(json_object_get(rec, "unit"));
	if (json_object_set_new(latest, id ? id : "", json_string(en->payload ? en->payload : "")) <
	    0) {
		json_decref(rec);
		return terra_err_set(e, TERRA_E_SYS, "list units: out of memory");
	}
	json_decref(rec);
	return 0;
}

static int ledger_latest(sqlite3 *db, json_t **latest, terra_err *e)
{
	if (!(*latest = json_object()))
		return terra_err_set(e, TERRA_E_SYS, "list units: out of memory");
	return terra_entries_each_unit_version(db, NULL, latest_fn, *latest, e);
}

struct versions {
	json_t *all;
	const char *what;
};

static int version_fn(void *ctx, const terra_entry *en, terra_err *e)
{
	struct versions *v = ctx;
	json_t *rec = en->payload ? json_loads(en->payload, JSON_REJECT_DUPLICATES, NULL) : NULL;

	if (!json_is_object(rec) || json_array_append_new(v->all, rec) < 0) {
		if (!json_is_object(rec))
			json_decref(rec);
		return terra_err_set(e, TERRA_E_INPUT, "%s: a ledger entry is not a record",
		                     v->what);
	}
	return 0;
}

int terra_unit_versions(sqlite3 *db, const char *id, json_t **out, terra_err *e)
{
	struct versions v = {json_array(), id ? "unit records" : "unit history"};

	*out = NULL;
	if (!v.all)
		return terra_err_sys(e, "%s", v.what);
	if (terra_entries_each_unit_version(db, id, version_fn, &v, e)) {
		json_decref(v.all);
		return -1;
	}
	*out = v.all;
	return 0;
}

int terra_unit_record_check(const json_t *rec, terra_err *e)
{
	uint8_t pk[TERRA_PK_BYTES];
	char want[TERRA_UNIT_ID_HEX];
	const char *id, *fingerprint;
	int transfer = json_object_get(rec, "transferred_from") != NULL;

	if (terra_rec_hex(rec, transfer ? "transferred_from" : "owner", pk, sizeof pk, e) < 0)
		return -1;
	if (!transfer) {
		if (terra_rec_str(rec, "unit", &id, e) < 0 ||
		    terra_rec_str(rec, "fingerprint", &fingerprint, e) < 0)
			return -1;
		terra_unit_id(pk, fingerprint, want);
		if (strcmp(want, id))
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "unit id is not that of its owner and fingerprint");
	}
	if (terra_rec_verify(rec, pk, e) < 0) {
		if (e->kind == TERRA_E_VERIFY)
			return terra_err_set(e, TERRA_E_VERIFY, "bad signature: not signed by %s",
			                     transfer ? "transferred_from" : "the owner");
		return -1;
	}
	return 0;
}

int terra_unit_list(sqlite3 *db, json_t **records, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	json_t *all = NULL, *latest = NULL;
	json_error_t jerr;
	const char *id, *want;
	int rc = -1, step;

	*records = NULL;
	if (ledger_latest(db, &latest, e) < 0)
		goto out;
	if (terra_db_prepare(db, "SELECT unit, record FROM units ORDER BY unit", &st, e) < 0)
		goto out;
	if (!(all = json_array())) {
		terra_err_set(e, TERRA_E_SYS, "list units: out of memory");
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *rec = json_loads(column_text(st, 1), JSON_REJECT_DUPLICATES, &jerr);

		id = column_text(st, 0);
		if (!rec || !json_is_object(rec)) {
			terra_err_set(e, TERRA_E_INPUT, "unit '%s' in the database: bad record: %s",
			              id, rec ? "not an object" : jerr.text);
			json_decref(rec);
			goto out;
		}
		/* The registry is a cache of the ledger: a row edited by hand is refused. */
		want = json_string_value(json_object_get(latest, id));
		if (!want || strcmp(column_text(st, 1), want))
			terra_err_set(e, TERRA_E_VERIFY,
			              "the row is not the ledger's latest entry of the unit"
			              " (see terra-ledger verify)");
		if (!want || strcmp(column_text(st, 1), want) ||
		    terra_unit_record_check(rec, e) < 0) {
			e->kind = TERRA_E_VERIFY;
			terra_err_wrap(e, "unit '%s' in the database", id);
			json_decref(rec);
			goto out;
		}
		if (json_array_append_new(all, rec) < 0) {
			terra_err_set(e, TERRA_E_SYS, "list units: out of memory");
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		terra_db_err(db, e, "list units");
		goto out;
	}
	*records = all;
	all = NULL;
	rc = 0;
out:
	json_decref(latest);
	json_decref(all);
	sqlite3_finalize(st);
	return rc;
}

int terra_unit_key(const terra_home *h, const char *id, terra_key *k, terra_err *e)
{
	char rel[sizeof TERRA_UNITS_DIR + TERRA_UNIT_ID_HEX + 8];
	char path[PATH_MAX];

	memset(k, 0, sizeof *k);
	if (check_id(id, e) < 0)
		return -1;
	snprintf(rel, sizeof rel, "%s/%s.key", TERRA_UNITS_DIR, id);
	if (terra_home_file(h, rel, path, sizeof path, e) < 0)
		return -1;
	if (terra_key_load(k, path, e) < 0)
		return terra_err_wrap(e, "unit '%s'", id);
	return 0;
}

int terra_unit_seq_next(sqlite3 *db, const char *id, int64_t *next, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (terra_db_prepare(db, "SELECT next_seq FROM unit_seq WHERE unit = ?", &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*next = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		terra_db_err(db, e, "usage seqs");
	}
	sqlite3_finalize(st);
	return rc;
}

int terra_unit_seq_set(sqlite3 *db, const char *id, int64_t next, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (terra_db_prepare(db, "UPDATE unit_seq SET next_seq = ? WHERE unit = ?", &st, e) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, next);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	else
		terra_db_err(db, e, "usage seqs");
	sqlite3_finalize(st);
	return rc;
}

int terra_unit_seq_reserve(sqlite3 *db, const char *id, int64_t n, int64_t *first, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int64_t next;
	int rc = -1, step;

	if (n < 1)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "reserve usage seqs: count %lld must be positive",
		                     (long long)n);
	if (terra_db_begin(db, e) < 0)
		return -1;
	if (terra_db_prepare(db, "SELECT next_seq FROM unit_seq WHERE unit = ?", &st, e) < 0)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		terra_err_set(e, TERRA_E_NOTFOUND, "unknown unit '%s'", id);
		goto out;
	}
	if (step != SQLITE_ROW) {
		terra_db_err(db, e, "reserve usage seqs");
		goto out;
	}
	next = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (next < 1 || next > INT64_MAX - n) {
		terra_err_set(e, TERRA_E_STATE, "unit '%s': usage seq %lld cannot grow by %lld", id,
		              (long long)next, (long long)n);
		goto out;
	}
	if (terra_db_prepare(db, "UPDATE unit_seq SET next_seq = ? WHERE unit = ?", &st, e) < 0)
		goto out;
	sqlite3_bind_int64(st, 1, next + n);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		terra_db_err(db, e, "reserve usage seqs");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (terra_db_commit(db, e) < 0)
		goto out;
	*first = next;
	rc = 0;
out:
	sqlite3_finalize(st);
	if (rc < 0)
		terra_db_rollback(db);
	return rc;
}

struct terra_unit_finder {
	sqlite3 *db;
	sqlite3_stmt *active, *owner;
};

int terra_unit_finder_open(sqlite3 *db, terra_unit_finder **fp, terra_err *e)
{
	terra_unit_finder *f;

	*fp = NULL;
	if (!(f = calloc(1, sizeof *f)))
		return terra_err_set(e, TERRA_E_SYS, "units: out of memory");
	f->db = db;
	if (terra_db_prepare(db,
	                     "SELECT record FROM units WHERE fingerprint = ?1 AND "
	                     "state = 'active' ORDER BY registered_at DESC LIMIT 1",
	                     &f->active, e) < 0 ||
	    terra_db_prepare(db,
	                     "SELECT owner, coalesce(json_extract(record, '$.updated_at'),"
	                     " registered_at) FROM units WHERE unit = ?",
	                     &f->owner, e) < 0) {
		terra_unit_finder_close(f);
		return -1;
	}
	*fp = f;
	return 0;
}

json_t *terra_unit_finder_active(terra_unit_finder *f, const char *fingerprint)
{
	const unsigned char *text;
	json_t *rec = NULL;

	sqlite3_reset(f->active);
	sqlite3_bind_text(f->active, 1, fingerprint, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(f->active) == SQLITE_ROW && (text = sqlite3_column_text(f->active, 0)))
		rec = json_loads((const char *)text, 0, NULL);
	return rec;
}

int terra_unit_finder_owner(terra_unit_finder *f, const char *unit, const char **owner,
                            const char **since, terra_err *e)
{
	int got;

	sqlite3_reset(f->owner);
	sqlite3_bind_text(f->owner, 1, unit, -1, SQLITE_TRANSIENT);
	got = sqlite3_step(f->owner);
	if (got == SQLITE_DONE)
		return 0;
	if (got != SQLITE_ROW)
		return terra_db_err(f->db, e, "units");
	*owner = (const char *)sqlite3_column_text(f->owner, 0);
	*since = (const char *)sqlite3_column_text(f->owner, 1);
	return 1;
}

void terra_unit_finder_close(terra_unit_finder *f)
{
	if (!f)
		return;
	sqlite3_finalize(f->active);
	sqlite3_finalize(f->owner);
	free(f);
}

int terra_unit_each(sqlite3 *db, terra_unit_fn fn, void *ctx, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	if (terra_db_prepare(db,
	                     "SELECT u.unit, u.owner, u.kind, u.state, u.score,"
	                     " coalesce(json_extract(u.device, '$.name'), ''),"
	                     " coalesce(h.status, 'unknown'), coalesce(h.checked_at, '')"
	                     " FROM units u LEFT JOIN unit_health h ON h.unit = u.unit"
	                     " ORDER BY u.unit",
	                     &st, e) < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		terra_unit_row u = {
		    (const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2),
		    (const char *)sqlite3_column_text(st, 3),
		    (const char *)sqlite3_column_text(st, 5),
		    (const char *)sqlite3_column_text(st, 6),
		    (const char *)sqlite3_column_text(st, 7),
		    sqlite3_column_int64(st, 4),
		};

		if (fn(ctx, &u, e) < 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		terra_db_err(db, e, "read units");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}
