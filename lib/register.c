#include "register.h"
#include "registerint.h"

#include "db.h"
#include "ledger.h"
#include "hex.h"
#include "record.h"
#include "rescore.h"
#include "time.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const device_strings[] = {"host", "platform", "name", "vendor", NULL};
static const char *const device_counts[] = {"compute_units", "clock_mhz", "global_mem_bytes", NULL};
static const char *const device_opt_counts[] = {"index", "max_alloc_bytes", "local_mem_bytes",
                                                NULL};
static const char *const bench_fields[] = {
    "fp32_mflops",  "fp64_mflops",  "int32_mops", "mem_bw_mbps",     "launch_us",
    "sgemm_mflops", "sha256d_khps", "samples",    "host_others_pct", NULL};
/* The device fields a unit record keeps, in its "device" object. */
static const char *const summary_fields[] = {
    "host",      "platform",         "name", "vendor",     "kind",      "compute_units",
    "clock_mhz", "global_mem_bytes", "fp64", "pci_bus_id", "numa_node", "index",
    NULL};

static int check_count(const json_t *rec, const char *field, int optional, terra_err *e)
{
	int64_t v = 0;

	if (optional ? terra_rec_int_opt(rec, field, &v, e) : terra_rec_int(rec, field, &v, e))
		return -1;
	if (v < 0)
		return terra_err_set(e, TERRA_E_INPUT, "field '%s' must not be negative", field);
	return 0;
}

/* PCI address as OpenCL and sysfs write it: "0000:65:00.0". */
static int check_pci(const char *s)
{
	static const char pattern[] = "xxxx:xx:xx.x";
	size_t i;

	if (strlen(s) != sizeof pattern - 1)
		return -1;
	for (i = 0; pattern[i]; i++) {
		if (pattern[i] != 'x'
		        ? s[i] != pattern[i]
		        : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return -1;
	}
	return s[11] <= '7' ? 0 : -1;
}

static int check_bench(const json_t *device, terra_err *e)
{
	const char *mode = NULL;
	int64_t others = 0;
	json_t *bench;
	size_t i;

	if (!json_object_get(device, "bench"))
		return 0;
	if (terra_rec_obj(device, "bench", &bench, e) < 0)
		return -1;
	for (i = 0; bench_fields[i]; i++)
		if (check_count(bench, bench_fields[i], 1, e) < 0)
			return terra_err_wrap(e, "bench");
	if (terra_rec_int_opt(bench, "host_others_pct", &others, e) < 0 ||
	    terra_rec_str_opt(bench, "mode", &mode, e) < 0)
		return terra_err_wrap(e, "bench");
	if (others > 100)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "bench: field 'host_others_pct' must be 0 to 100");
	if (mode && strcmp(mode, "full") && strcmp(mode, "quick"))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "bench: field 'mode' must be \"full\" or \"quick\"");
	return 0;
}

/* health, when present: {"status": ok|degraded|sick|busy, "checks": [{name, status, ..}]}. */
static int check_health(const json_t *device, terra_err *e)
{
	const json_t *health = json_object_get(device, "health"), *checks, *c;
	const char *status;
	size_t i;

	if (!health)
		return 0;
	status = json_string_value(json_object_get(health, "status"));
	if (!json_is_object(health) || !status ||
	    (strcmp(status, "ok") && strcmp(status, "degraded") && strcmp(status, "sick") &&
	     strcmp(status, "busy")))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "field 'health' must be an object whose 'status' is one of "
		                     "ok, degraded, sick, busy");
	checks = json_object_get(health, "checks");
	if (checks && !json_is_array(checks))
		return terra_err_set(e, TERRA_E_INPUT, "field 'health.checks' must be an array");
	json_array_foreach(checks, i, c)
	{
		if (!json_is_string(json_object_get(c, "name")) ||
		    !json_is_string(json_object_get(c, "status")))
			return terra_err_set(
			    e, TERRA_E_INPUT,
			    "health check %zu must have string 'name' and 'status'", i + 1);
	}
	return 0;
}

int terra_register_check_device(const json_t *device, terra_err *e)
{
	const char *s = NULL;
	json_t *v;
	int64_t numa = -1;
	size_t i;

	for (i = 0; device_strings[i]; i++)
		if (terra_rec_str(device, device_strings[i], &s, e) < 0)
			return -1;
	for (i = 0; device_counts[i]; i++)
		if (check_count(device, device_counts[i], 0, e) < 0)
			return -1;
	for (i = 0; device_opt_counts[i]; i++)
		if (check_count(device, device_opt_counts[i], 1, e) < 0)
			return -1;
	if (terra_rec_str(device, "fingerprint", &s, e) < 0)
		return -1;
	if (strlen(s) != 64 || !terra_hex_is_lower(s, 64))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "field 'fingerprint' must be 64 lowercase hex digits");
	if (terra_rec_str(device, "kind", &s, e) < 0)
		return -1;
	if (strcmp(s, "gpu") && strcmp(s, "cpu") && strcmp(s, "accelerator"))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "field 'kind' must be one of gpu, cpu, accelerator");
	if ((v = json_object_get(device, "fp64")) && !json_is_boolean(v))
		return terra_err_set(e, TERRA_E_INPUT, "field 'fp64' must be true or false");
	s = NULL;
	if (terra_rec_str_opt(device, "pci_bus_id", &s, e) < 0)
		return -1;
	if (s && check_pci(s) < 0)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "field 'pci_bus_id' must look like \"0000:65:00.0\"");
	if (terra_rec_int_opt(device, "numa_node", &numa, e) < 0)
		return -1;
	if (numa < -1)
		return terra_err_set(e, TERRA_E_INPUT, "field 'numa_node' must be -1 or more");
	if (check_health(device, e) < 0)
		return -1;
	return check_bench(device, e);
}

static int set_new(json_t *obj, const char *key, json_t *value, terra_err *e)
{
	if (!value || json_object_set_new(obj, key, value) < 0)
		return terra_err_set(e, TERRA_E_SYS, "build unit record: out of memory");
	return 0;
}

int terra_register_now(char out[TERRA_TIME_MAX], terra_err *e)
{
	int64_t now;

	if (terra_time_now(&now, e) < 0)
		return -1;
	terra_time_format(now, out);
	return 0;
}

int64_t terra_register_score(const json_t *bench)
{
	const json_t *v = json_object_get(bench, "sgemm_mflops");

	return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : 0;
}

/* The first version of a unit record, unsigned. */
static json_t *new_unit_record(const json_t *device, const char *id, const uint8_t *owner,
                               const uint8_t *unit_pub, terra_err *e)
{
	char owner_hex[TERRA_PK_HEX], pub_hex[TERRA_PK_HEX], now[TERRA_TIME_MAX];
	json_t *rec, *summary, *bench;
	size_t i;

	if (terra_register_now(now, e) < 0)
		return NULL;
	terra_hex(owner, TERRA_PK_BYTES, owner_hex);
	terra_hex(unit_pub, TERRA_PK_BYTES, pub_hex);
	if (!(rec = json_object()) || !(summary = json_object())) {
		json_decref(rec);
		terra_err_set(e, TERRA_E_SYS, "build unit record: out of memory");
		return NULL;
	}
	if (set_new(rec, "device", summary, e) < 0)
		goto fail;
	for (i = 0; summary_fields[i]; i++) {
		json_t *v = json_object_get(device, summary_fields[i]);

		if (v && set_new(summary, summary_fields[i], json_deep_copy(v), e) < 0)
			goto fail;
	}
	bench = json_object_get(device, "bench");
	if (bench && set_new(rec, "bench", json_deep_copy(bench), e) < 0)
		goto fail;
	if (set_new(rec, "type", json_string("unit"), e) < 0 ||
	    set_new(rec, "v", json_integer(1), e) < 0 ||
	    set_new(rec, "unit", json_string(id), e) < 0 ||
	    set_new(rec, "owner", json_string(owner_hex), e) < 0 ||
	    set_new(rec, "unit_pub", json_string(pub_hex), e) < 0 ||
	    set_new(rec, "fingerprint", json_deep_copy(json_object_get(device, "fingerprint")), e) <
	        0 ||
	    set_new(rec, "score", json_integer(terra_register_score(bench)), e) < 0 ||
	    set_new(rec, "state", json_string("active"), e) < 0 ||
	    set_new(rec, "registered_at", json_string(now), e) < 0)
		goto fail;
	return rec;
fail:
	json_decref(rec);
	return NULL;
}

static int unit_exists(sqlite3 *db, const char *id)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	if (sqlite3_prepare_v2(db, "SELECT 1 FROM units WHERE unit = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return 1; /* unknown: the caller must then keep what it made */
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	found = sqlite3_step(st) != SQLITE_DONE;
	sqlite3_finalize(st);
	return found;
}

/*
 * The unit's key: a fresh one, or one left by a registration that was
 * killed between writing the key and committing. Such a key was never in a
 * record, so taking it over is safe, and it keeps "no unit without its key".
 */
static int make_unit_key(const terra_home *h, const char *id, terra_key *k, char *path,
                         size_t pathlen, int *created, terra_err *e)
{
	char rel[sizeof TERRA_UNITS_DIR + TERRA_UNIT_ID_HEX + 8];
	struct stat sb;

	*created = 0;
	snprintf(rel, sizeof rel, "%s/%s.key", TERRA_UNITS_DIR, id);
	if (terra_home_file(h, rel, path, pathlen, e) < 0)
		return -1;
	if (lstat(path, &sb) == 0)
		return terra_unit_key(h, id, k, e);
	if (errno != ENOENT)
		return terra_err_sys(e, "unit key '%s'", path);
	if (terra_key_generate(k, e) < 0)
		return -1;
	if (terra_key_save(k, path, NULL, 0, e) < 0) {
		terra_key_wipe(k);
		return -1;
	}
	*created = 1; /* terra_key_save synced the directory */
	return 0;
}

int terra_register_insert_row(terra_home *h, const char *id, const json_t *rec, int64_t next_seq,
                              terra_err *e)
{
	sqlite3_stmt *st = NULL;
	char *line = NULL, *device = NULL;
	size_t len;
	int rc = -1;

	if (terra_rec_dumps(rec, &line, &len, e) < 0)
		goto out;
	if (!(device = json_dumps(json_object_get(rec, "device"), JSON_SORT_KEYS | JSON_COMPACT))) {
		terra_err_set(e, TERRA_E_SYS, "store unit: out of memory");
		goto out;
	}
	if (terra_db_prepare(h->db,
	                     "INSERT INTO units (unit, owner, unit_pub, fingerprint, score, state,"
	                     " kind, registered_at, device, record) VALUES (?, ?, ?, ?, ?, ?, ?,"
	                     " ?, ?, ?)",
	                     &st, e) < 0)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, json_string_value(json_object_get(rec, "owner")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 3, json_string_value(json_object_get(rec, "unit_pub")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 4, json_string_value(json_object_get(rec, "fingerprint")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, json_integer_value(json_object_get(rec, "score")));
	sqlite3_bind_text(st, 6, "active", -1, SQLITE_STATIC);
	sqlite3_bind_text(
	    st, 7, json_string_value(json_object_get(json_object_get(rec, "device"), "kind")), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 8, json_string_value(json_object_get(rec, "registered_at")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 9, device, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, line, (int)len, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		terra_db_err(h->db, e, "store unit");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (terra_db_prepare(h->db, "INSERT INTO unit_seq (unit, next_seq) VALUES (?, ?)", &st, e) <
	    0)
		goto out;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, next_seq);
	if (sqlite3_step(st) != SQLITE_DONE) {
		terra_db_err(h->db, e, "store unit");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	free(device);
	free(line);
	return rc;
}

/* The ledger first: the units row must be its latest unit entry (db.c). */
static int store_new(terra_home *h, const char *id, const json_t *rec, terra_err *e)
{
	if (terra_ledger_append(h, "unit", rec, NULL, e) < 0)
		return -1;
	return terra_register_insert_row(h, id, rec, 1, e);
}

/* Appends "; name status: detail" to reason, cutting it at its size. */
static void add_reason(char *reason, size_t size, const char *name, const char *status,
                       const char *detail)
{
	size_t n = strlen(reason);

	snprintf(reason + n, size - n, "%s%s %s%s%s", n ? "; " : "", name, status,
	         detail ? ": " : "", detail ? detail : "");
}

/*
 * Keeps the device's health as this probe saw it, replacing the last one:
 * the status and the checks that did not pass. A device record without
 * health (not written by terra-probe) leaves the last one in place.
 */
static int store_health(terra_home *h, const char *id, const json_t *device, terra_err *e)
{
	const json_t *health = json_object_get(device, "health"), *c;
	const char *status = json_string_value(json_object_get(health, "status"));
	char reason[256] = "", now[TERRA_TIME_MAX];
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = -1;

	if (!status)
		return 0;
	json_array_foreach(json_object_get(health, "checks"), i, c)
	{
		const char *cs = json_string_value(json_object_get(c, "status"));
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *detail = json_string_value(json_object_get(c, "detail"));

		/* busy: the reason is why it was not measured (who holds it) or
		 * not judged (the host's load) */
		if (!strcmp(status, "busy") && !strcmp(cs, "skip") &&
		    (!strcmp(name, "busy") || !strcmp(name, "baseline")))
			snprintf(reason, sizeof reason, "%s", detail ? detail : "in use");
		else if (strcmp(cs, "ok") && strcmp(cs, "skip"))
			add_reason(reason, sizeof reason,
			           json_string_value(json_object_get(c, "name")), cs,
			           json_string_value(json_object_get(c, "detail")));
	}
	if (terra_register_now(now, e) < 0 ||
	    terra_db_prepare(h->db,
	                     "INSERT OR REPLACE INTO unit_health (unit, status, checked_at, reason)"
	                     " VALUES (?, ?, ?, ?)",
	                     &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		terra_db_err(h->db, e, "store unit health");
	else
		rc = 0;
	sqlite3_finalize(st);
	return rc;
}

static int rescore(terra_home *h, const terra_unit *u, const json_t *bench, json_t **unit,
                   terra_err *e);

int terra_register_device(terra_home *h, const json_t *device, json_t **unit,
                          terra_register_result *r, terra_err *e)
{
	char id[TERRA_UNIT_ID_HEX], keypath[PATH_MAX];
	const char *fingerprint;
	terra_key k = {0};
	terra_unit u = {0};
	json_t *rec = NULL;
	int rc = -1, in_tx = 0, key_created = 0;

	*unit = NULL;
	memset(r, 0, sizeof *r);
	if (terra_register_check_device(device, e) < 0)
		return terra_err_wrap(e, "device record");
	fingerprint = json_string_value(json_object_get(device, "fingerprint"));
	terra_unit_id(h->owner.pk, fingerprint, id);
	if (terra_db_begin(h->db, e) < 0)
		goto out;
	in_tx = 1;
	if (terra_unit_get(h->db, id, &u, e) == 0) {
		int yes;

		r->existed = 1;
		if (store_health(h, id, device, e) < 0)
			goto out;
		if (terra_rescore_wants(h, &u, device,
		                        terra_register_score(json_object_get(device, "bench")),
		                        &yes, r->kept, sizeof r->kept, e) < 0)
			goto out;
		if (yes) {
			if (rescore(h, &u, json_object_get(device, "bench"), unit, e) < 0)
				goto out;
			r->rescored = 1;
		} else {
			if (terra_db_commit(h->db, e) < 0)
				goto out;
			*unit = json_incref(u.record);
		}
		in_tx = 0;
		rc = 0;
		goto out;
	}
	if (e->kind != TERRA_E_NOTFOUND)
		goto out;
	terra_err_clear(e);
	if (make_unit_key(h, id, &k, keypath, sizeof keypath, &key_created, e) < 0)
		goto out;
	if (!(rec = new_unit_record(device, id, h->owner.pk, k.pk, e)))
		goto out;
	if (terra_rec_sign(rec, &h->owner, e) < 0 || store_new(h, id, rec, e) < 0 ||
	    store_health(h, id, device, e) < 0 || terra_db_commit(h->db, e) < 0)
		goto out;
	in_tx = 0;
	*unit = rec;
	rec = NULL;
	rc = 0;
out:
	if (in_tx)
		terra_db_rollback(h->db);
	if (rc < 0 && key_created && !unit_exists(h->db, id))
		unlink(keypath);
	json_decref(rec);
	terra_key_wipe(&k);
	terra_unit_free(&u);
	return rc;
}

int terra_register_find(sqlite3 *db, const char *arg, char id[TERRA_UNIT_ID_HEX], terra_err *e)
{
	char prefix[TERRA_UNIT_ID_HEX];
	sqlite3_stmt *st = NULL;
	size_t len = strlen(arg), i;
	int rc = -1, found = 0, step;

	for (i = 0; i < len && i < sizeof prefix - 1; i++)
		prefix[i] = (char)(arg[i] >= 'A' && arg[i] <= 'F' ? arg[i] - 'A' + 'a' : arg[i]);
	prefix[i] = '\0';
	if (len == 0 || len >= sizeof prefix || !terra_hex_is_lower(prefix, len))
		return terra_err_set(
		    e, TERRA_E_INPUT,
		    "unit '%s': expected a unit id (32 hex digits) or a prefix of one", arg);
	if (terra_db_prepare(db,
	                     "SELECT unit FROM units WHERE substr(unit, 1, length(?1)) = ?1"
	                     " ORDER BY unit LIMIT 2",
	                     &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (found++ == 0)
			snprintf(id, TERRA_UNIT_ID_HEX, "%s",
			         (const char *)sqlite3_column_text(st, 0));
	}
	if (step != SQLITE_DONE) {
		terra_db_err(db, e, "find unit");
		goto out;
	}
	if (found == 0)
		terra_err_set(e, TERRA_E_NOTFOUND, "unknown unit '%s'", arg);
	else if (found > 1)
		terra_err_set(e, TERRA_E_INPUT,
		              "unit '%s' is ambiguous: more than one unit starts so", arg);
	else
		rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

/* Loads a unit inside the open transaction and checks that this home may change it. */
int terra_register_get_owned(terra_home *h, const char *id, terra_unit *u, terra_err *e)
{
	char owner_hex[TERRA_PK_HEX];

	if (terra_unit_get(h->db, id, u, e) < 0)
		return -1;
	if (u->retired)
		return terra_err_set(e, TERRA_E_STATE, "the unit is retired");
	if (sodium_memcmp(u->owner, h->owner.pk, TERRA_PK_BYTES) != 0) {
		terra_hex(u->owner, TERRA_PK_BYTES, owner_hex);
		return terra_err_set(e, TERRA_E_STATE,
		                     "it is owned by %s, not by this home's owner key", owner_hex);
	}
	return 0;
}

int terra_register_update_row(terra_home *h, const char *id, const json_t *rec, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	char *line = NULL;
	size_t len;
	int rc = -1;

	if (terra_rec_dumps(rec, &line, &len, e) < 0)
		goto out;
	if (terra_db_prepare(h->db,
	                     "UPDATE units SET owner = ?, state = ?, record = ?, unit_pub = ?,"
	                     " score = ?"
	                     " WHERE unit = ?",
	                     &st, e) < 0)
		goto out;
	sqlite3_bind_text(st, 1, json_string_value(json_object_get(rec, "owner")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 2, json_string_value(json_object_get(rec, "state")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 3, line, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, json_string_value(json_object_get(rec, "unit_pub")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, json_integer_value(json_object_get(rec, "score")));
	sqlite3_bind_text(st, 6, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE || sqlite3_changes(h->db) != 1) {
		terra_db_err(h->db, e, "store unit");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	free(line);
	return rc;
}

int terra_register_store_version(terra_home *h, const char *id, const char *kind, json_t *rec,
                                 terra_err *e)
{
	if (terra_rec_sign(rec, &h->owner, e) < 0 ||
	    terra_ledger_append(h, kind, rec, NULL, e) < 0 ||
	    terra_register_update_row(h, id, rec, e) < 0)
		return -1;
	return terra_db_commit(h->db, e);
}

/* The record of the next version: the last one without its signature and
 * without the fields that belong to one kind of change only. */
json_t *terra_register_next_version(const terra_unit *u, const char *now, terra_err *e)
{
	json_t *rec = json_deep_copy(u->record);

	if (!rec) {
		terra_err_set(e, TERRA_E_SYS, "build unit record: out of memory");
		return NULL;
	}
	json_object_del(rec, "sig");
	json_object_del(rec, "signer");
	json_object_del(rec, "transferred_from");
	json_object_del(rec, "unit_sig");
	json_object_del(rec, "rescored_from");
	if (set_new(rec, "updated_at", json_string(now), e) < 0) {
		json_decref(rec);
		return NULL;
	}
	return rec;
}

int terra_register_transfer(terra_home *h, const char *id, const char *new_owner, json_t **unit,
                            terra_err *e)
{
	char now[TERRA_TIME_MAX], old_hex[TERRA_PK_HEX], new_hex[TERRA_PK_HEX];
	uint8_t pk[TERRA_PK_BYTES];
	terra_unit u = {0};
	json_t *rec = NULL;
	int rc = -1;

	*unit = NULL;
	if (strlen(new_owner) != 2 * TERRA_PK_BYTES || terra_unhex(new_owner, pk, sizeof pk, e) < 0)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "transfer unit '%s': new owner '%s' is not a public key"
		                     " (64 hex digits)",
		                     id, new_owner);
	terra_hex(pk, sizeof pk, new_hex);
	if (terra_register_now(now, e) < 0 || terra_db_begin(h->db, e) < 0)
		return terra_err_wrap(e, "transfer unit '%s'", id);
	if (terra_register_get_owned(h, id, &u, e) < 0)
		goto out;
	if (sodium_memcmp(pk, u.owner, sizeof pk) == 0) {
		terra_err_set(e, TERRA_E_STATE, "it is already owned by %s", new_hex);
		goto out;
	}
	terra_hex(u.owner, TERRA_PK_BYTES, old_hex);
	if (!(rec = terra_register_next_version(&u, now, e)) ||
	    set_new(rec, "owner", json_string(new_hex), e) < 0 ||
	    set_new(rec, "transferred_from", json_string(old_hex), e) < 0)
		goto out;
	if (terra_register_store_version(h, id, "transfer", rec, e) < 0)
		goto out;
	*unit = rec;
	rec = NULL;
	rc = 0;
out:
	if (rc < 0) {
		terra_db_rollback(h->db);
		terra_err_wrap(e, "transfer unit '%s'", id);
	}
	json_decref(rec);
	terra_unit_free(&u);
	return rc;
}

int terra_register_retire(terra_home *h, const char *id, json_t **unit, terra_err *e)
{
	char now[TERRA_TIME_MAX];
	terra_unit u = {0};
	json_t *rec = NULL;
	int rc = -1;

	*unit = NULL;
	if (terra_register_now(now, e) < 0 || terra_db_begin(h->db, e) < 0)
		return terra_err_wrap(e, "retire unit '%s'", id);
	if (terra_register_get_owned(h, id, &u, e) < 0)
		goto out;
	if (!(rec = terra_register_next_version(&u, now, e)) ||
	    set_new(rec, "state", json_string("retired"), e) < 0 ||
	    set_new(rec, "retired_at", json_string(now), e) < 0)
		goto out;
	if (terra_register_store_version(h, id, "retire", rec, e) < 0)
		goto out;
	*unit = rec;
	rec = NULL;
	rc = 0;
out:
	if (rc < 0) {
		terra_db_rollback(h->db);
		terra_err_wrap(e, "retire unit '%s'", id);
	}
	json_decref(rec);
	terra_unit_free(&u);
	return rc;
}

/* The next version with the device's bench and its score, inside the open
 * transaction, which store_version commits. */
static int rescore(terra_home *h, const terra_unit *u, const json_t *bench, json_t **unit,
                   terra_err *e)
{
	char now[TERRA_TIME_MAX];
	json_t *rec = NULL;

	if (terra_register_now(now, e) < 0 || !(rec = terra_register_next_version(u, now, e)) ||
	    set_new(rec, "bench", json_deep_copy(bench), e) < 0 ||
	    set_new(rec, "score", json_integer(terra_register_score(bench)), e) < 0 ||
	    set_new(rec, "rescored_from", json_integer(u->score), e) < 0 ||
	    terra_register_store_version(h, u->id, "rescore", rec, e) < 0) {
		json_decref(rec);
		return terra_err_wrap(e, "rescore unit '%s'", u->id);
	}
	*unit = rec;
	return 0;
}
