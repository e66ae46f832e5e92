#include "unitchain.h"

#include "db.h"
#include "entries.h"
#include "hex.h"
#include "key.h"
#include "record.h"
#include "time.h"
#include "unit.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* The fields a version never changes; unit_pub and seq_from change only
 * together, with the old unit key's signature (unit_sig, rekey_check). */
static const char *const fixed_fields[] = {"unit", "fingerprint", "registered_at", NULL};
/* What only a rescore version (one with rescored_from) changes. */
static const char *const score_fields[] = {"score", "bench", NULL};

int terra_unitchain_stamp(const json_t *rec, int64_t *us, terra_err *e)
{
	if (json_object_get(rec, "updated_at"))
		return terra_rec_time(rec, "updated_at", us, e);
	return terra_rec_time(rec, "registered_at", us, e);
}

/* Whether the field is the same in both, or absent from both. */
static int same_field(const json_t *a, const json_t *b, const char *field)
{
	const json_t *x = json_object_get(a, field), *y = json_object_get(b, field);

	return x == y || json_equal(x, y);
}

/* The fields every version has, well formed; *stamp when it takes effect. */
static int check_fields(const json_t *rec, int64_t now, int64_t *stamp, terra_err *e)
{
	uint8_t pk[TERRA_PK_BYTES];
	const char *type, *id, *state;
	int64_t score = 0, at;

	if (terra_rec_type(rec, &type, e) < 0)
		return -1;
	if (strcmp(type, "unit"))
		return terra_err_set(e, TERRA_E_INPUT, "not a unit record (type '%s')", type);
	if (terra_rec_str(rec, "unit", &id, e) < 0 ||
	    terra_rec_hex(rec, "owner", pk, sizeof pk, e) < 0 ||
	    terra_rec_hex(rec, "unit_pub", pk, sizeof pk, e) < 0 ||
	    terra_rec_str(rec, "fingerprint", &type, e) < 0 ||
	    terra_rec_int_opt(rec, "score", &score, e) < 0 ||
	    terra_rec_str(rec, "state", &state, e) < 0 || terra_unitchain_stamp(rec, stamp, e) < 0)
		return -1;
	if (strlen(id) != TERRA_UNIT_ID_HEX - 1 || !terra_hex_is_lower(id, strlen(id)))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "field 'unit' must be 32 lowercase hex digits");
	if (strcmp(state, "active") && strcmp(state, "retired"))
		return terra_err_set(e, TERRA_E_INPUT, "field 'state' must be active or retired");
	if (!strcmp(state, "retired") != !!json_object_get(rec, "retired_at"))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "field 'retired_at' must be there exactly when retired");
	if (json_object_get(rec, "retired_at")) {
		if (terra_rec_time(rec, "retired_at", &at, e) < 0)
			return -1;
		if (at > *stamp)
			*stamp = at;
	}
	if (*stamp > now && *stamp - now > TERRA_UNIT_FUTURE_US) {
		char when[TERRA_TIME_MAX];

		terra_time_format(now, when);
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "dated more than 5 minutes after %s (in the future)", when);
	}
	return 0;
}

/* The signature by the 64-hex key named in field `who`. */
static int signed_by(const json_t *rec, const char *who, const char *what, terra_err *e)
{
	uint8_t pk[TERRA_PK_BYTES];

	if (terra_rec_hex(rec, who, pk, sizeof pk, e) < 0)
		return -1;
	if (terra_rec_verify(rec, pk, e) < 0) {
		if (e->kind == TERRA_E_VERIFY)
			return terra_err_set(e, TERRA_E_VERIFY, "bad signature: not signed by %s",
			                     what);
		return -1;
	}
	return 0;
}

/*
 * score and bench change only in a rescore: a version with rescored_from,
 * the score it replaces, that is neither a transfer nor a retirement, and
 * whose score is its bench's measured sgemm rate (terra-probe(1), SCORE),
 * not a figure of the owner's choosing.
 */
static int check_rescore(const json_t *prev, const json_t *next, terra_err *e)
{
	const json_t *from = json_object_get(next, "rescored_from");
	const json_t *sgemm = json_object_get(json_object_get(next, "bench"), "sgemm_mflops");
	size_t i;

	if (!from) {
		for (i = 0; score_fields[i]; i++)
			if (!same_field(prev, next, score_fields[i]))
				return terra_err_set(e, TERRA_E_VERIFY,
				                     "field '%s' differs from the unit's earlier "
				                     "record without a rescore",
				                     score_fields[i]);
		return 0;
	}
	if (!json_is_integer(from) ||
	    json_integer_value(from) != json_integer_value(json_object_get(prev, "score")))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "field 'rescored_from' is not the score of the unit's earlier "
		                     "record");
	if (json_object_get(next, "transferred_from") ||
	    strcmp(json_string_value(json_object_get(next, "state")), "active"))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "a rescore that is also a transfer or a retirement");
	if (!json_is_integer(sgemm) || json_integer_value(sgemm) <= 0 ||
	    !json_equal(sgemm, json_object_get(next, "score")))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "a rescore whose score is not its bench.sgemm_mflops");
	return 0;
}

static int check_first(const json_t *rec, terra_err *e)
{
	uint8_t owner[TERRA_PK_BYTES];
	char want[TERRA_UNIT_ID_HEX];

	if (json_object_get(rec, "transferred_from"))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "a transfer without the unit's earlier record");
	if (json_object_get(rec, "rescored_from"))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "a rescore without the unit's earlier record");
	if (strcmp(json_string_value(json_object_get(rec, "state")), "active"))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "a retirement without the unit's earlier "
		                     "record");
	if (terra_rec_hex(rec, "owner", owner, sizeof owner, e) < 0)
		return -1;
	terra_unit_id(owner, json_string_value(json_object_get(rec, "fingerprint")), want);
	if (strcmp(want, json_string_value(json_object_get(rec, "unit"))))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "unit id is not that of its owner and fingerprint");
	return signed_by(rec, "owner", "the owner", e);
}

int terra_unitchain_unit_sig(const json_t *rec, char **msg, size_t *len, terra_err *e)
{
	json_t *copy = json_deep_copy(rec);
	int rc;

	if (!copy)
		return terra_err_set(e, TERRA_E_SYS, "unit record: out of memory");
	json_object_del(copy, "signer");
	json_object_del(copy, "unit_sig");
	rc = terra_rec_canonical(copy, msg, len, e);
	json_decref(copy);
	return rc;
}

/*
 * The unit key: kept, with seq_from, and no unit_sig; or changed by the old
 * key, whose unit_sig covers the new version, with a seq_from above the
 * old one's (the new key's seqs follow the old key's).
 */
static int rekey_check(const json_t *prev, const json_t *next, terra_err *e)
{
	uint8_t old_pub[TERRA_PK_BYTES], sig[TERRA_SIG_BYTES];
	int64_t seq_from = 0, prev_from = 0;
	char *msg = NULL;
	size_t len;
	int rc;

	if (terra_rec_int_opt(next, "seq_from", &seq_from, e) < 0 ||
	    terra_rec_int_opt(prev, "seq_from", &prev_from, e) < 0)
		return -1;
	if (same_field(prev, next, "unit_pub")) {
		if (json_object_get(next, "unit_sig"))
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "field 'unit_sig' without a new unit key");
		if (!same_field(prev, next, "seq_from"))
			return terra_err_set(
			    e, TERRA_E_VERIFY,
			    "field 'seq_from' differs from the unit's earlier record");
		return 0;
	}
	if (!json_object_get(next, "unit_sig"))
		return terra_err_set(
		    e, TERRA_E_VERIFY,
		    "field 'unit_pub' changed without the old unit key's signature");
	if (json_object_get(next, "transferred_from") || json_object_get(next, "retired_at"))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "a new unit key in a transfer or a retirement: a rekey is a "
		                     "version of its own");
	if (!json_is_integer(json_object_get(next, "seq_from")) || seq_from <= prev_from ||
	    seq_from < 1)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "a new unit key needs a field 'seq_from' above %lld",
		                     (long long)(prev_from > 0 ? prev_from : 0));
	if (terra_rec_hex(prev, "unit_pub", old_pub, sizeof old_pub, e) < 0 ||
	    terra_rec_hex(next, "unit_sig", sig, sizeof sig, e) < 0 ||
	    terra_unitchain_unit_sig(next, &msg, &len, e) < 0)
		return -1;
	rc = terra_key_verify(old_pub, msg, len, sig);
	free(msg);
	if (rc < 0)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "bad signature: field 'unit_sig' is not by the old unit key");
	return 0;
}

int terra_unitchain_next(const json_t *prev, const json_t *next, int64_t now, terra_err *e)
{
	const char *owner, *prev_owner, *from = NULL;
	int64_t stamp, prev_stamp;
	size_t i;

	if (check_fields(next, now, &stamp, e) < 0)
		return -1;
	if (!prev)
		return check_first(next, e);
	if (terra_unitchain_stamp(prev, &prev_stamp, e) < 0)
		return -1;
	if (!strcmp(json_string_value(json_object_get(prev, "state")), "retired"))
		return terra_err_set(e, TERRA_E_VERIFY, "the unit is retired: retirement is final");
	for (i = 0; fixed_fields[i]; i++)
		if (!same_field(prev, next, fixed_fields[i]))
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "field '%s' differs from the unit's earlier record",
			                     fixed_fields[i]);
	if (rekey_check(prev, next, e) < 0 || check_rescore(prev, next, e) < 0)
		return -1;
	if (stamp < prev_stamp)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "dated before the unit's earlier record it follows");
	owner = json_string_value(json_object_get(next, "owner"));
	prev_owner = json_string_value(json_object_get(prev, "owner"));
	if (terra_rec_str_opt(next, "transferred_from", &from, e) < 0)
		return -1;
	if (!from) {
		if (strcmp(owner, prev_owner))
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "owner changed without a transfer from %s",
			                     prev_owner);
		return signed_by(next, "owner", "the owner", e);
	}
	if (strcmp(from, prev_owner))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "transfer from %s, but the unit is owned by %s", from,
		                     prev_owner);
	if (!strcmp(owner, prev_owner))
		return terra_err_set(e, TERRA_E_VERIFY, "transfer to the owner it is from");
	return signed_by(next, "transferred_from", "the owner it is transferred from", e);
}

const char *terra_unitchain_owner_at(const json_t *versions, int64_t t, int *retired)
{
	const char *owner = NULL;
	const json_t *v;
	int64_t stamp, at;
	terra_err e;
	size_t i;

	*retired = 0;
	json_array_foreach(versions, i, v)
	{
		if (terra_unitchain_stamp(v, &stamp, &e) < 0 || stamp > t)
			break;
		owner = json_string_value(json_object_get(v, "owner"));
		if (terra_rec_time(v, "retired_at", &at, &e) == 0 && at <= t)
			*retired = 1;
	}
	return owner;
}

/* ---- the units table against the ledger -------------------------------- */

/* One unit entry: the next link of its unit's chain; latest (the ctx)
 * maps unit id to {"rec": latest version, "seq": its entry}. */
static int chain_fn(void *ctx, const terra_entry *en, terra_err *e)
{
	json_t *latest = ctx, *prev, *slot;
	int64_t seq = en->seq, at;
	const char *kind = en->kind;
	json_t *rec = en->payload ? json_loads(en->payload, JSON_REJECT_DUPLICATES, NULL) : NULL;
	const char *id = json_string_value(json_object_get(rec, "unit"));

	if (!rec || !id || !en->created_at || terra_time_parse(en->created_at, &at, e) < 0) {
		json_decref(rec);
		return terra_err_set(e, TERRA_E_VERIFY, "entry %" PRId64 ": bad unit record", seq);
	}
	prev = json_object_get(json_object_get(latest, id), "rec");
	if (!strcmp(kind, "unit")       ? prev != NULL
	    : !strcmp(kind, "transfer") ? !json_object_get(rec, "transferred_from")
	    : !strcmp(kind, "rekey")    ? !prev || same_field(prev, rec, "unit_pub")
	    : !strcmp(kind, "rescore")
	        ? !json_object_get(rec, "rescored_from")
	        : strcmp(json_string_value(json_object_get(rec, "state")), "retired")) {
		json_decref(rec);
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "entry %" PRId64 ": unit '%s': not a %s of the unit", seq, id,
		                     !strcmp(kind, "unit") ? "first registration" : kind);
	}
	if (prev && strcmp(kind, "rekey") && !same_field(prev, rec, "unit_pub")) {
		json_decref(rec);
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "entry %" PRId64 ": unit '%s': a new unit key in a %s entry",
		                     seq, id, kind);
	}
	if (terra_unitchain_next(prev, rec, at, e) < 0) {
		json_decref(rec);
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "entry %" PRId64 ": unit '%s'", seq, id);
	}
	slot = json_pack("{s:o,s:I}", "rec", rec, "seq", (json_int_t)seq);
	if (!slot || json_object_set_new(latest, id, slot) < 0)
		return terra_err_set(e, TERRA_E_SYS, "verify units: out of memory");
	return 0;
}

/* The name of the first column of a units row that is not what rec says. */
static const char *row_mismatch(sqlite3_stmt *st, const json_t *rec, const char *text)
{
	static const char *const cols[] = {"owner", "unit_pub",      "fingerprint",
	                                   "state", "registered_at", NULL};
	const json_t *device = json_object_get(rec, "device");
	const unsigned char *s;
	size_t i;

	for (i = 0; cols[i]; i++) {
		s = sqlite3_column_text(st, (int)i + 1);
		if (!s ||
		    strcmp((const char *)s, json_string_value(json_object_get(rec, cols[i]))
		                                ? json_string_value(json_object_get(rec, cols[i]))
		                                : ""))
			return cols[i];
	}
	if (sqlite3_column_int64(st, 6) != json_integer_value(json_object_get(rec, "score")))
		return "score";
	s = sqlite3_column_text(st, 7);
	if (!s || strcmp((const char *)s, json_string_value(json_object_get(device, "kind"))
	                                      ? json_string_value(json_object_get(device, "kind"))
	                                      : ""))
		return "kind";
	s = sqlite3_column_text(st, 8);
	if (!s || strcmp((const char *)s, text))
		return "record";
	return NULL;
}

static int rows_match(sqlite3 *db, json_t *latest, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	const char *bad;
	char *text = NULL;
	size_t len, rows = 0;
	int rc = -1, step;

	if (terra_db_prepare(db,
	                     "SELECT unit, owner, unit_pub, fingerprint, state, registered_at,"
	                     " score, kind, record FROM units ORDER BY unit",
	                     &st, e) < 0)
		return -1;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		json_t *slot = json_object_get(latest, id ? id : "");
		json_t *rec = json_object_get(slot, "rec");

		if (!rec) {
			terra_err_set(e, TERRA_E_VERIFY,
			              "units: unit '%s' has no unit entry in the ledger",
			              id ? id : "");
			goto out;
		}
		free(text);
		text = NULL;
		if (terra_rec_dumps(rec, &text, &len, e) < 0)
			goto out;
		if ((bad = row_mismatch(st, rec, text))) {
			terra_err_set(e, TERRA_E_VERIFY,
			              "units: unit '%s': column '%s' is not the ledger's latest "
			              "version (entry %" JSON_INTEGER_FORMAT ")",
			              id, bad, json_integer_value(json_object_get(slot, "seq")));
			goto out;
		}
		rows++;
	}
	if (step != SQLITE_DONE) {
		terra_db_err(db, e, "verify units");
		goto out;
	}
	if (rows != json_object_size(latest)) {
		const char *id;
		json_t *slot = NULL;

		sqlite3_finalize(st);
		if (terra_db_prepare(db, "SELECT 1 FROM units WHERE unit = ?", &st, e) < 0)
			goto out;
		json_object_foreach(latest, id, slot)
		{
			sqlite3_reset(st);
			sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
			if (sqlite3_step(st) != SQLITE_ROW)
				break;
		}
		terra_err_set(e, TERRA_E_VERIFY,
		              "units: unit '%s' of ledger entry %" JSON_INTEGER_FORMAT
		              " has no row",
		              id ? id : "", json_integer_value(json_object_get(slot, "seq")));
		goto out;
	}
	rc = 0;
out:
	free(text);
	sqlite3_finalize(st);
	return rc;
}

/* seqs NULL: the unit versions found by a scan. */
static int verify_units(sqlite3 *db, const int64_t *seqs, size_t n, terra_err *e)
{
	json_t *latest = json_object();
	int rc;

	if (!latest)
		return terra_err_set(e, TERRA_E_SYS, "verify units: out of memory");
	rc = (seqs ? terra_entries_get(db, seqs, n, 1, chain_fn, latest, e)
	           : terra_entries_each_unit_version(db, NULL, chain_fn, latest, e)) < 0 ||
	             rows_match(db, latest, e) < 0
	         ? -1
	         : 0;
	json_decref(latest);
	return rc;
}

int terra_unitchain_verify_db(sqlite3 *db, terra_err *e)
{
	return verify_units(db, NULL, 0, e);
}

int terra_unitchain_verify_seqs(sqlite3 *db, const int64_t *seqs, size_t n, terra_err *e)
{
	static const int64_t none[1];

	return verify_units(db, seqs ? seqs : none, n, e);
}

/* (unitchain.h) */
int terra_unitchain_owned_during(sqlite3 *db, const char *unit, const char *owner_hex, int64_t from,
                                 int64_t to, terra_err *e)
{
	json_t *versions = NULL, *v;
	const char *at;
	int64_t stamp;
	size_t i;
	int rc = -1, retired;

	if (terra_unit_versions(db, unit, &versions, e) < 0)
		return -1;
	/* usage before the registration is the first owner's, as the meter counts it */
	if (!(at = terra_unitchain_owner_at(versions, from, &retired)))
		at = json_string_value(json_object_get(json_array_get(versions, 0), "owner"));
	rc = at && !strcmp(at, owner_hex);
	json_array_foreach(versions, i, v)
	{
		if (rc || terra_unitchain_stamp(v, &stamp, e) < 0)
			break;
		if (stamp > from && stamp < to)
			rc = !strcmp(json_string_value(json_object_get(v, "owner")), owner_hex);
	}
	json_decref(versions);
	return rc;
}
