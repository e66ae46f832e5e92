#include "handover.h"

#include "db.h"
#include "hex.h"
#include "ledger.h"
#include "record.h"
#include "registerint.h"
#include "time.h"
#include "unit.h"
#include "unitchain.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* units/<id><suffix> in the home. */
static int unit_file(const terra_home *h, const char *id, const char *suffix, char *out,
                     terra_err *e)
{
	char rel[sizeof TERRA_UNITS_DIR + TERRA_UNIT_ID_HEX + 16];

	snprintf(rel, sizeof rel, "%s/%s%s", TERRA_UNITS_DIR, id, suffix);
	return terra_home_file(h, rel, out, PATH_MAX, e);
}

/*
 * A units/<id>.key.new left by a rekey killed after or before its commit:
 * the unit's key now (renamed over the old one), or never used (removed).
 */
static int finish_leftover(terra_home *h, const char *id, const char *newp, const char *keyp,
                           terra_err *e)
{
	terra_unit u = {0};
	terra_key k = {0};
	struct stat sb;
	int same, rc = -1;

	if (lstat(newp, &sb) < 0)
		return errno == ENOENT ? 0 : terra_err_sys(e, "unit key '%s'", newp);
	if (terra_unit_get(h->db, id, &u, e) < 0 || terra_key_load(&k, newp, e) < 0)
		goto out;
	same = !memcmp(k.pk, u.unit_pub, TERRA_PK_BYTES);
	if (same ? rename(newp, keyp) : unlink(newp)) {
		terra_err_sys(e, "unit key '%s'", newp);
		goto out;
	}
	rc = 0;
out:
	terra_key_wipe(&k);
	terra_unit_free(&u);
	return rc;
}

/* The rekey version of u: the new key, its first seq, the old key's unit_sig. */
static json_t *rekey_version(terra_home *h, const terra_unit *u, const terra_key *old,
                             const uint8_t pk[TERRA_PK_BYTES], terra_err *e)
{
	char now[TERRA_TIME_MAX], hex[TERRA_PK_HEX], sighex[TERRA_SIG_HEX];
	uint8_t sig[TERRA_SIG_BYTES];
	json_t *rec = NULL;
	char *msg = NULL;
	int64_t seq_from;
	size_t len;

	if (terra_register_now(now, e) < 0 || terra_unit_seq_next(h->db, u->id, &seq_from, e) < 0 ||
	    !(rec = terra_register_next_version(u, now, e)))
		return NULL;
	terra_hex(pk, TERRA_PK_BYTES, hex);
	if (terra_rec_set(rec, "unit_pub", json_string(hex), e) < 0 ||
	    terra_rec_set(rec, "seq_from", json_integer(seq_from), e) < 0 ||
	    terra_unitchain_unit_sig(rec, &msg, &len, e) < 0 ||
	    terra_key_sign(old, msg, len, sig, e) < 0)
		goto fail;
	terra_hex(sig, sizeof sig, sighex);
	if (terra_rec_set(rec, "unit_sig", json_string(sighex), e) < 0)
		goto fail;
	free(msg);
	return rec;
fail:
	free(msg);
	json_decref(rec);
	return NULL;
}

int terra_handover_rekey(terra_home *h, const char *id, const char *new_pub, int dry, json_t **unit,
                         terra_err *e)
{
	char newp[PATH_MAX], keyp[PATH_MAX];
	uint8_t pk[TERRA_PK_BYTES];
	terra_key old = {0}, fresh = {0};
	terra_unit u = {0};
	json_t *rec = NULL;
	int rc = -1, began = 0, wrote = 0;

	*unit = NULL;
	if (new_pub &&
	    (strlen(new_pub) != 2 * TERRA_PK_BYTES || terra_unhex(new_pub, pk, sizeof pk, e) < 0))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "rekey unit '%s': new unit key '%s' is not a public key"
		                     " (64 hex digits)",
		                     id, new_pub);
	if (unit_file(h, id, ".key.new", newp, e) < 0 || unit_file(h, id, ".key", keyp, e) < 0 ||
	    (!dry && finish_leftover(h, id, newp, keyp, e) < 0))
		goto out;
	if (terra_unit_key(h, id, &old, e) < 0)
		goto out;
	if (!new_pub) {
		if (terra_key_generate(&fresh, e) < 0)
			goto out;
		memcpy(pk, fresh.pk, sizeof pk);
		if (!dry && terra_key_save(&fresh, newp, NULL, 0, e) < 0)
			goto out;
		wrote = !dry;
	}
	if (terra_db_begin(h->db, e) < 0)
		goto out;
	began = 1;
	if (terra_register_get_owned(h, id, &u, e) < 0)
		goto out;
	if (memcmp(old.pk, u.unit_pub, TERRA_PK_BYTES)) {
		terra_err_set(
		    e, TERRA_E_STATE,
		    "its key in this home (%s) is not its unit_pub: only the key's holder "
		    "can rotate it",
		    keyp);
		goto out;
	}
	if (!memcmp(pk, u.unit_pub, TERRA_PK_BYTES)) {
		terra_err_set(e, TERRA_E_STATE, "the new key is the unit's key already");
		goto out;
	}
	if (!(rec = rekey_version(h, &u, &old, pk, e)) ||
	    terra_register_store_version(h, id, "rekey", rec, e) < 0)
		goto out;
	began = 0;
	/* committed: the new key is the unit's, the old one signs nothing more */
	if (!dry && (new_pub ? unlink(keyp) : rename(newp, keyp)) < 0) {
		terra_err_sys(e, "the new key is committed, but unit key '%s'",
		              new_pub ? keyp : newp);
		wrote = 0;
		goto out;
	}
	wrote = 0;
	*unit = rec;
	rec = NULL;
	rc = 0;
out:
	if (began)
		terra_db_rollback(h->db);
	if (wrote)
		unlink(newp); /* never committed */
	if (rc < 0)
		terra_err_wrap(e, "rekey unit '%s'", id);
	json_decref(rec);
	terra_unit_free(&u);
	terra_key_wipe(&old);
	terra_key_wipe(&fresh);
	return rc;
}

int terra_handover_unitkey(terra_home *h, const char *id, char pub[TERRA_PK_HEX], terra_err *e)
{
	char path[PATH_MAX];
	terra_key k = {0};
	int rc = -1;

	if (strlen(id) != TERRA_UNIT_ID_HEX - 1 || !terra_hex_is_lower(id, strlen(id)))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "unit id '%s': expected 32 lowercase hex digits", id);
	if (unit_file(h, id, ".key", path, e) < 0 || terra_key_generate(&k, e) < 0)
		return -1;
	if (terra_key_save(&k, path, NULL, 0, e) == 0) {
		terra_hex(k.pk, TERRA_PK_BYTES, pub);
		rc = 0;
	}
	terra_key_wipe(&k);
	return rc;
}

/* Whether rec is one of versions (the same record, signature and all). */
static int known(const json_t *versions, const json_t *rec)
{
	const json_t *v;
	size_t i;

	json_array_foreach(versions, i, v) if (json_equal(v, rec)) return 1;
	return 0;
}

/* The ledger entry kind of next after prev; NULL for none. */
static const char *kind_of(const json_t *prev, const json_t *next)
{
	if (!prev)
		return "unit";
	if (json_object_get(next, "transferred_from"))
		return "transfer";
	if (json_object_get(next, "retired_at"))
		return "retire";
	if (!json_equal(json_object_get(prev, "unit_pub"), json_object_get(next, "unit_pub")))
		return "rekey";
	return NULL;
}

/* Appends the versions the ledger does not have; *latest the unit's last. */
static int append_new(terra_home *h, const json_t *have, const json_t *versions,
                      const char *const *where, const json_t **latest, size_t *added, terra_err *e)
{
	const json_t *v;
	const char *kind, *id;
	int64_t now;
	size_t i;

	if (terra_time_now(&now, e) < 0)
		return -1;
	json_array_foreach(versions, i, v)
	{
		if (known(have, v))
			continue;
		id = json_string_value(json_object_get(v, "unit"));
		if (terra_unitchain_next(*latest, v, now, e) < 0)
			return terra_err_wrap(e, "%s: unit record: unit '%s'", where[i], id);
		if (!(kind = kind_of(*latest, v)))
			return terra_err_set(e, TERRA_E_INPUT,
			                     "%s: unit record: unit '%s': a version that changes "
			                     "neither owner, key nor state",
			                     where[i], id);
		if (terra_ledger_append(h, kind, (json_t *)v, NULL, e) < 0)
			return -1;
		*latest = v;
		(*added)++;
	}
	return 0;
}

int terra_handover_import(terra_home *h, const json_t *versions, const char *const *where,
                          size_t *added, terra_err *e)
{
	const json_t *latest;
	json_t *have = NULL;
	const char *id = json_string_value(json_object_get(json_array_get(versions, 0), "unit"));
	char mine[TERRA_PK_HEX];
	int64_t seq_from = 1, next;
	int rc = -1, began = 0;

	*added = 0;
	if (!id)
		return terra_err_set(e, TERRA_E_INPUT, "%s: unit record: no unit", where[0]);
	if (terra_db_begin(h->db, e) < 0)
		return -1;
	began = 1;
	if (terra_unit_versions(h->db, id, &have, e) < 0)
		goto out;
	latest = json_array_get(have, json_array_size(have) - 1);
	if (append_new(h, have, versions, where, &latest, added, e) < 0)
		goto out;
	if (!*added) {
		rc = 0;
		goto out;
	}
	terra_hex(h->owner.pk, TERRA_PK_BYTES, mine);
	if (strcmp(json_string_value(json_object_get(latest, "owner")), mine)) {
		terra_err_set(
		    e, TERRA_E_STATE,
		    "unit '%s' is owned by %s, not by this home's owner key: not imported", id,
		    json_string_value(json_object_get(latest, "owner")));
		goto out;
	}
	if (terra_rec_int_opt(latest, "seq_from", &seq_from, e) < 0)
		goto out;
	if (seq_from < 1)
		seq_from = 1;
	if (json_array_size(have) == 0) {
		if (terra_register_insert_row(h, id, latest, seq_from, e) < 0)
			goto out;
	} else if (terra_register_update_row(h, id, latest, e) < 0 ||
	           terra_unit_seq_next(h->db, id, &next, e) < 0 ||
	           (next < seq_from && terra_unit_seq_set(h->db, id, seq_from, e) < 0)) {
		goto out;
	}
	if (terra_db_commit(h->db, e) < 0)
		goto out;
	began = 0;
	rc = 0;
out:
	if (began)
		terra_db_rollback(h->db);
	json_decref(have);
	return rc;
}

/* The unit records read, by unit: {"ids": [ID...], ID: {"recs": [...], "where": [...]}}. */
static int read_units(const char *const *paths, int n, json_t *units,
                      void (*report)(void *ctx, const terra_err *e), void *ctx, long *bad,
                      terra_err *e)
{
	terra_reader *r = NULL;
	json_t *rec = NULL, *slot;
	const char *type = "", *id;
	char where[PATH_MAX + 32];
	int k, got, rc = -1;

	for (k = 0; k < n; k++) {
		if (terra_reader_open(&r, paths[k], e) < 0)
			return -1;
		while ((got = terra_reader_next(r, &rec, e)) != 0) {
			if (got == -2)
				goto out;
			if (got == -1 ||
			    (terra_rec_type(rec, &type, e) == 0 && !strcmp(type, "unit") &&
			     terra_rec_str(rec, "unit", &id, e) < 0)) {
				if (got == 1)
					terra_reader_reject(r, e, "unit", e->msg);
				report(ctx, e);
				(*bad)++;
			} else if (!strcmp(type, "unit")) {
				snprintf(where, sizeof where, "%s:%ld", terra_reader_name(r),
				         terra_reader_lineno(r));
				if (!(slot = json_object_get(units, id))) {
					slot = json_pack("{s:[],s:[]}", "recs", "where");
					if (json_object_set_new(units, id, slot) < 0 ||
					    json_array_append_new(json_object_get(units, "ids"),
					                          json_string(id)) < 0)
						slot = NULL;
				}
				if (!slot ||
				    json_array_append(json_object_get(slot, "recs"), rec) < 0 ||
				    json_array_append_new(json_object_get(slot, "where"),
				                          json_string(where)) < 0) {
					terra_err_sys(e, "unit records");
					goto out;
				}
			}
			json_decref(rec);
			rec = NULL;
		}
		terra_reader_close(r);
		r = NULL;
	}
	rc = 0;
out:
	json_decref(rec);
	terra_reader_close(r);
	return rc;
}

/* Whether units/<id>.key is the unit's key. */
static int key_held(terra_home *h, const char *id)
{
	terra_unit u = {0};
	terra_key k = {0};
	terra_err ignore;
	int held = terra_unit_get(h->db, id, &u, &ignore) == 0 &&
	           terra_unit_key(h, id, &k, &ignore) == 0 &&
	           !memcmp(k.pk, u.unit_pub, TERRA_PK_BYTES);

	terra_key_wipe(&k);
	terra_unit_free(&u);
	return held;
}

int terra_handover_import_files(terra_home *h, const char *const *paths, int n,
                                const terra_handover_io *io, long *bad, terra_err *e)
{
	json_t *units = json_pack("{s:[]}", "ids"), *id, *slot, *where;
	const char **w = NULL;
	size_t i, j, added;
	int rc = -1;

	if (!units)
		return terra_err_sys(e, "unit records");
	if (read_units(paths, n, units, io->report, io->ctx, bad, e) < 0)
		goto out;
	json_array_foreach(json_object_get(units, "ids"), i, id)
	{
		slot = json_object_get(units, json_string_value(id));
		where = json_object_get(slot, "where");
		free(w);
		if (!(w = malloc(json_array_size(where) * sizeof *w))) {
			terra_err_sys(e, "unit records");
			goto out;
		}
		for (j = 0; j < json_array_size(where); j++)
			w[j] = json_string_value(json_array_get(where, j));
		if (terra_handover_import(h, json_object_get(slot, "recs"), w, &added, e) < 0) {
			if (e->kind == TERRA_E_SYS || e->kind == TERRA_E_BUSY)
				goto out;
			io->report(io->ctx, e);
			(*bad)++;
			continue;
		}
		io->imported(io->ctx, json_string_value(id), added,
		             key_held(h, json_string_value(id)));
	}
	rc = 0;
out:
	free(w);
	json_decref(units);
	return rc;
}
