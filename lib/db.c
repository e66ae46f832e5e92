#include "db.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * SCHEMA: one SQL string per schema version; migrations[i] takes the
 * database from user_version i to i + 1 inside one BEGIN IMMEDIATE
 * transaction. Never edit a migration that has shipped: append a new one.
 * Helpers owning a table may edit its statements here while version 1 is
 * still unreleased.
 */
static const char *const migrations[] = {
    /* 1: units, usage seqs, the ledger and settlements */
    "CREATE TABLE units ("
    "  unit TEXT PRIMARY KEY,"
    "  owner TEXT NOT NULL,"
    "  unit_pub TEXT NOT NULL,"
    "  fingerprint TEXT NOT NULL,"
    "  score INTEGER NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('active', 'retired')),"
    "  kind TEXT NOT NULL,"
    "  registered_at TEXT NOT NULL,"
    "  device TEXT NOT NULL,"
    "  record TEXT NOT NULL"
    ");"
    "CREATE TABLE unit_seq ("
    "  unit TEXT PRIMARY KEY REFERENCES units(unit),"
    "  next_seq INTEGER NOT NULL"
    ");"
    "CREATE TABLE entries ("
    "  seq INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL,"
    "  payload TEXT NOT NULL,"
    "  prev_hash BLOB NOT NULL,"
    "  leaf_hash BLOB NOT NULL,"
    "  created_at TEXT NOT NULL"
    ");"
    "CREATE TABLE checkpoints ("
    "  size INTEGER PRIMARY KEY,"
    "  root BLOB NOT NULL,"
    "  signer TEXT NOT NULL,"
    "  sig TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  frontier BLOB NOT NULL"
    ");"
    "CREATE TABLE settlements ("
    "  period TEXT PRIMARY KEY,"
    "  inputs_digest TEXT NOT NULL,"
    "  entry_seq INTEGER NOT NULL REFERENCES entries(seq)"
    ");"
    "CREATE TABLE settlement_inputs ("
    "  period TEXT NOT NULL REFERENCES settlements(period),"
    "  role TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  owner TEXT,"
    "  weight INTEGER NOT NULL,"
    "  PRIMARY KEY (period, role, id)"
    ") WITHOUT ROWID;" /* settle: one b-tree, not a table and an index */
    "CREATE TABLE snapshots ("
    "  digest TEXT PRIMARY KEY," /* SHA-256 hex of body: the settlement's inputs.holders */
    "  body BLOB NOT NULL"
    ");"
    "CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries"
    "  BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;"
    "CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries"
    "  BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;"
    "CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints"
    "  BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;"
    "CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints"
    "  BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;"
    "CREATE TRIGGER settlements_no_update BEFORE UPDATE ON settlements"
    "  BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;"
    "CREATE TRIGGER settlements_no_delete BEFORE DELETE ON settlements"
    "  BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;"
    "CREATE TRIGGER settlement_inputs_no_update BEFORE UPDATE ON settlement_inputs"
    "  BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;"
    "CREATE TRIGGER settlement_inputs_no_delete BEFORE DELETE ON settlement_inputs"
    "  BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;"
    "CREATE TRIGGER snapshots_no_update BEFORE UPDATE ON snapshots"
    "  BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;"
    "CREATE TRIGGER snapshots_no_delete BEFORE DELETE ON snapshots"
    "  BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;",
    /* 2: each unit's health as its latest probe saw it (terra-probe | terra-register);
     * an observation, not history: replaced on every registration of the device. */
    "CREATE TABLE unit_health ("
    "  unit TEXT PRIMARY KEY REFERENCES units(unit),"
    "  status TEXT NOT NULL CHECK (status IN ('ok', 'degraded', 'sick')),"
    "  checked_at TEXT NOT NULL,"
    "  reason TEXT NOT NULL"
    ");",
    /* 3: a units row is the latest unit, transfer or retire entry of its unit
     * in the ledger (lib/unitchain.h), columns and record: written after the
     * entry is appended, never deleted. terra-ledger verify checks it too. */
    "CREATE TRIGGER units_no_delete BEFORE DELETE ON units"
    "  BEGIN SELECT RAISE(ABORT, 'units: a unit is never deleted'); END;"
    "CREATE VIEW units_latest_entry AS"
    "  SELECT json_extract(payload, '$.unit') AS unit, seq, payload FROM entries"
    "  WHERE kind IN ('unit', 'transfer', 'retire');"
    "CREATE TRIGGER units_insert_from_ledger BEFORE INSERT ON units"
    "  WHEN NEW.record IS NOT (SELECT payload FROM units_latest_entry l"
    "    WHERE l.unit = NEW.unit ORDER BY seq DESC LIMIT 1)"
    "  OR NEW.owner IS NOT json_extract(NEW.record, '$.owner')"
    "  OR NEW.unit_pub IS NOT json_extract(NEW.record, '$.unit_pub')"
    "  OR NEW.fingerprint IS NOT json_extract(NEW.record, '$.fingerprint')"
    "  OR NEW.score IS NOT json_extract(NEW.record, '$.score')"
    "  OR NEW.state IS NOT json_extract(NEW.record, '$.state')"
    "  OR NEW.kind IS NOT json_extract(NEW.record, '$.device.kind')"
    "  OR NEW.registered_at IS NOT json_extract(NEW.record, '$.registered_at')"
    "  BEGIN SELECT RAISE(ABORT, 'units: a row is the latest ledger entry of its unit'); END;"
    "CREATE TRIGGER units_update_from_ledger BEFORE UPDATE ON units"
    "  WHEN NEW.unit IS NOT OLD.unit OR NEW.device IS NOT OLD.device"
    "  OR NEW.record IS NOT (SELECT payload FROM units_latest_entry l"
    "    WHERE l.unit = NEW.unit ORDER BY seq DESC LIMIT 1)"
    "  OR NEW.owner IS NOT json_extract(NEW.record, '$.owner')"
    "  OR NEW.unit_pub IS NOT json_extract(NEW.record, '$.unit_pub')"
    "  OR NEW.fingerprint IS NOT json_extract(NEW.record, '$.fingerprint')"
    "  OR NEW.score IS NOT json_extract(NEW.record, '$.score')"
    "  OR NEW.state IS NOT json_extract(NEW.record, '$.state')"
    "  OR NEW.kind IS NOT json_extract(NEW.record, '$.device.kind')"
    "  OR NEW.registered_at IS NOT json_extract(NEW.record, '$.registered_at')"
    "  BEGIN SELECT RAISE(ABORT, 'units: a row is the latest ledger entry of its unit'); END;",
    /* 4: health kept as history: every observation stored in unit_health is
     * also appended here (by trigger, so every writer keeps it), and only the
     * newest TERRA_HEALTH_KEEP (1000) per unit are kept. The observations
     * already in unit_health start it. */
    "CREATE TABLE unit_health_history ("
    "  id INTEGER PRIMARY KEY,"
    "  unit TEXT NOT NULL REFERENCES units(unit),"
    "  status TEXT NOT NULL CHECK (status IN ('ok', 'degraded', 'sick')),"
    "  checked_at TEXT NOT NULL,"
    "  reason TEXT NOT NULL"
    ");"
    "CREATE INDEX unit_health_history_unit ON unit_health_history (unit, id);"
    "INSERT INTO unit_health_history (unit, status, checked_at, reason)"
    "  SELECT unit, status, checked_at, reason FROM unit_health ORDER BY checked_at;"
    "CREATE TRIGGER unit_health_keep AFTER INSERT ON unit_health BEGIN"
    "  INSERT INTO unit_health_history (unit, status, checked_at, reason)"
    "    VALUES (NEW.unit, NEW.status, NEW.checked_at, NEW.reason);"
    "  DELETE FROM unit_health_history WHERE unit = NEW.unit AND id <="
    "    (SELECT id FROM unit_health_history WHERE unit = NEW.unit"
    "     ORDER BY id DESC LIMIT 1 OFFSET 1000);"
    "END;",
    /* 5: a unit that changed owner within a period has one input row per
     * owner (terra-meter splits its usage at the transfer): the key of
     * settlement_inputs takes the owner in. */
    "CREATE TABLE settlement_inputs_5 ("
    "  period TEXT NOT NULL REFERENCES settlements(period),"
    "  role TEXT NOT NULL,"
    "  id TEXT NOT NULL,"
    "  owner TEXT NOT NULL,"
    "  weight INTEGER NOT NULL,"
    "  PRIMARY KEY (period, role, id, owner)"
    ") WITHOUT ROWID;"
    "INSERT INTO settlement_inputs_5 (period, role, id, owner, weight)"
    "  SELECT period, role, id, coalesce(owner, ''), weight FROM settlement_inputs;"
    "DROP TABLE settlement_inputs;"
    "ALTER TABLE settlement_inputs_5 RENAME TO settlement_inputs;"
    "CREATE TRIGGER settlement_inputs_no_update BEFORE UPDATE ON settlement_inputs"
    "  BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;"
    "CREATE TRIGGER settlement_inputs_no_delete BEFORE DELETE ON settlement_inputs"
    "  BEGIN SELECT RAISE(ABORT, 'ledger is append-only'); END;"
    /* ... and a unit's key may be rotated: "rekey" entries are versions too. */
    "DROP VIEW units_latest_entry;"
    "CREATE VIEW units_latest_entry AS"
    "  SELECT json_extract(payload, '$.unit') AS unit, seq, payload FROM entries"
    "  WHERE kind IN ('unit', 'transfer', 'retire', 'rekey');",
    /* 6: the sha256d evidence the settlement host has paid, so no nonce is paid
     * twice (lib/paid.h): one row per header range of a settled meter record,
     * header the SHA-256 of the template. Memory, not history: rows whose
     * header time fell behind the horizon are deleted at each settlement. */
    "CREATE TABLE paid_evidence ("
    "  header BLOB NOT NULL,"
    "  lo INTEGER NOT NULL,"
    "  hi INTEGER NOT NULL CHECK (hi > lo),"
    "  ntime INTEGER NOT NULL,"
    "  unit TEXT NOT NULL,"
    "  period TEXT NOT NULL,"
    "  PRIMARY KEY (header, lo)"
    ") WITHOUT ROWID;"
    "CREATE INDEX paid_evidence_ntime ON paid_evidence (ntime);",
    /* 7: "busy", a health observation of a unit in use (terra-probe did not
     * measure it, unitlock.h): the two tables rebuilt with the wider CHECK,
     * their rows, index and trigger kept. */
    "CREATE TABLE unit_health_new ("
    "  unit TEXT PRIMARY KEY REFERENCES units(unit),"
    "  status TEXT NOT NULL CHECK (status IN ('ok', 'degraded', 'sick', 'busy')),"
    "  checked_at TEXT NOT NULL,"
    "  reason TEXT NOT NULL"
    ");"
    "INSERT INTO unit_health_new SELECT unit, status, checked_at, reason FROM unit_health;"
    "DROP TABLE unit_health;"
    "ALTER TABLE unit_health_new RENAME TO unit_health;"
    "CREATE TABLE unit_health_history_new ("
    "  id INTEGER PRIMARY KEY,"
    "  unit TEXT NOT NULL REFERENCES units(unit),"
    "  status TEXT NOT NULL CHECK (status IN ('ok', 'degraded', 'sick', 'busy')),"
    "  checked_at TEXT NOT NULL,"
    "  reason TEXT NOT NULL"
    ");"
    "INSERT INTO unit_health_history_new SELECT id, unit, status, checked_at, reason"
    "  FROM unit_health_history;"
    "DROP TABLE unit_health_history;"
    "ALTER TABLE unit_health_history_new RENAME TO unit_health_history;"
    "CREATE INDEX unit_health_history_unit ON unit_health_history (unit, id);"
    "CREATE TRIGGER unit_health_keep AFTER INSERT ON unit_health BEGIN"
    "  INSERT INTO unit_health_history (unit, status, checked_at, reason)"
    "    VALUES (NEW.unit, NEW.status, NEW.checked_at, NEW.reason);"
    "  DELETE FROM unit_health_history WHERE unit = NEW.unit AND id <="
    "    (SELECT id FROM unit_health_history WHERE unit = NEW.unit"
    "     ORDER BY id DESC LIMIT 1 OFFSET 1000);"
    "END;",
    /* 8: a re-benchmark is a version of its unit too, a "rescore" entry
     * (lib/unitchain.h): the units row follows it like the others. */
    "DROP VIEW units_latest_entry;"
    "CREATE VIEW units_latest_entry AS"
    "  SELECT json_extract(payload, '$.unit') AS unit, seq, payload FROM entries"
    "  WHERE kind IN ('unit', 'transfer', 'retire', 'rekey', 'rescore');",
    /* 9: a full probe past the rescore margin waits for the next one to
     * agree (lib/register.c, terra-register(1) Rescoring): the figure it
     * measured, per unit. An observation, not history: the next full probe
     * of the unit settles it either way. */
    "CREATE TABLE rescore_pending ("
    "  unit TEXT PRIMARY KEY REFERENCES units(unit),"
    "  sgemm_mflops INTEGER NOT NULL CHECK (sgemm_mflops > 0),"
    "  probed_at TEXT NOT NULL"
    ");",
};

#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int terra_db_schema_version(void)
{
	return N_MIGRATIONS;
}

int terra_db_err(sqlite3 *db, terra_err *e, const char *what)
{
	int code = db ? sqlite3_extended_errcode(db) & 0xff : SQLITE_ERROR;
	const char *msg = db ? sqlite3_errmsg(db) : "out of memory";
	enum terra_errkind kind = TERRA_E_SYS;

	if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
		kind = TERRA_E_BUSY;
		msg = "database is locked by another terra command";
	} else if (code == SQLITE_CONSTRAINT) {
		kind = TERRA_E_STATE;
	} else if ((code == SQLITE_IOERR || code == SQLITE_FULL || code == SQLITE_CANTOPEN) &&
	           sqlite3_system_errno(db)) {
		/* "disk I/O error" alone hides a full disk: say what the system said. */
		const char *sys = strerror(sqlite3_system_errno(db));

		if (what && *what)
			return terra_err_set(e, kind, "%s: %s (%s)", what, msg, sys);
		return terra_err_set(e, kind, "%s (%s)", msg, sys);
	}
	if (what && *what)
		return terra_err_set(e, kind, "%s: %s", what, msg);
	return terra_err_set(e, kind, "%s", msg);
}

int terra_db_exec(sqlite3 *db, const char *sql, terra_err *e)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return terra_db_err(db, e, NULL);
	return 0;
}

int terra_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, terra_err *e)
{
	*st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
		return terra_db_err(db, e, "prepare statement");
	return 0;
}

int terra_db_begin(sqlite3 *db, terra_err *e)
{
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return terra_db_err(db, e, "begin transaction");
	return 0;
}

int terra_db_commit(sqlite3 *db, terra_err *e)
{
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		terra_db_err(db, e, "commit");
		terra_db_rollback(db);
		return -1;
	}
	return 0;
}

void terra_db_rollback(sqlite3 *db)
{
	if (db && !sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

void terra_db_close(sqlite3 *db)
{
	sqlite3_close_v2(db);
}

/* One integer from a query returning one row (a pragma, a count). */
static int query_int(sqlite3 *db, const char *sql, int64_t *out, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;

	if (terra_db_prepare(db, sql, &st, e))
		goto out;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		terra_db_err(db, e, NULL);
		goto out;
	}
	*out = sqlite3_column_int64(st, 0);
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

static int busy_timeout_ms(void)
{
	const char *s = getenv("TERRA_BUSY_TIMEOUT_MS");
	char *end;
	long v;

	if (!s || !*s)
		return 5000;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 24L * 3600 * 1000)
		return 5000;
	return (int)v;
}

/* One text value from a query returning one row, into out. */
static int query_text(sqlite3 *db, const char *sql, char *out, size_t outlen, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *text;
	int ret = -1;

	if (terra_db_prepare(db, sql, &st, e))
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		terra_db_err(db, e, NULL);
		goto out;
	}
	text = sqlite3_column_text(st, 0);
	snprintf(out, outlen, "%s", text ? (const char *)text : "");
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

/*
 * Switching to WAL writes the header: only done when it is not WAL already.
 * SQLite answers BUSY at once, without the busy handler, when another
 * connection is converting the same new file, so this waits by itself.
 */
static int set_wal(sqlite3 *db, int timeout_ms, terra_err *e)
{
	char mode[32];
	int waited = 0;

	for (;;) {
		if (query_text(db, "PRAGMA journal_mode", mode, sizeof mode, e) == 0) {
			if (!strcmp(mode, "wal"))
				return 0;
			if (query_text(db, "PRAGMA journal_mode = WAL", mode, sizeof mode, e) == 0)
				break;
		}
		if (e->kind != TERRA_E_BUSY || waited >= timeout_ms)
			return -1;
		sqlite3_sleep(10);
		waited += 10;
	}
	if (strcmp(mode, "wal"))
		return terra_err_set(e, TERRA_E_SYS, "cannot use WAL mode (journal mode is %s)",
		                     mode);
	return 0;
}

/* Takes the schema from version v - 1 to v in one transaction. */
static int migrate_step(sqlite3 *db, int v, terra_err *e)
{
	char sql[128];
	int64_t cur;
	int ret = -1;

	if (terra_db_begin(db, e))
		return -1;
	/* Another process may have migrated while we waited for the lock. */
	if (query_int(db, "PRAGMA user_version", &cur, e))
		goto out;
	if (cur >= v) {
		ret = 0;
		goto out;
	}
	if (cur != v - 1) {
		terra_err_set(e, TERRA_E_STATE, "schema version %" PRId64 " is unexpected", cur);
		goto out;
	}
	if (terra_db_exec(db, migrations[v - 1], e))
		goto out;
	if (v == 1) {
		snprintf(sql, sizeof sql, "PRAGMA application_id = %d", TERRA_APP_ID);
		if (terra_db_exec(db, sql, e))
			goto out;
	}
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v);
	if (terra_db_exec(db, sql, e))
		goto out;
	ret = terra_db_commit(db, e);
out:
	terra_db_rollback(db); /* a no-op after the commit */
	if (ret)
		terra_err_wrap(e, "migrate to schema version %d", v);
	return ret;
}

static const char *program = "terra";

void terra_db_set_program(const char *name)
{
	program = name ? name : "terra";
}

/* Refuses, without changing anything, a file that is not ours or is too new. */
static int check_file(sqlite3 *db, const char *path, int flags, int64_t *version, terra_err *e)
{
	/* One statement, so the three values come from one snapshot even while
	 * another process is creating the same database. */
	static const char sql[] = "SELECT (SELECT application_id FROM pragma_application_id),"
	                          " (SELECT user_version FROM pragma_user_version),"
	                          " (SELECT count(*) FROM sqlite_master)";
	sqlite3_stmt *st = NULL;
	int64_t app, ver, ntables;

	if (terra_db_prepare(db, sql, &st, e))
		return terra_err_wrap(e, "open '%s'", path);
	if (sqlite3_step(st) != SQLITE_ROW) {
		terra_db_err(db, e, NULL);
		sqlite3_finalize(st);
		return terra_err_wrap(e, "open '%s'", path);
	}
	app = sqlite3_column_int64(st, 0);
	ver = sqlite3_column_int64(st, 1);
	ntables = sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	if (app != TERRA_APP_ID && (app != 0 || ntables > 0))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "'%s' is not a Terra database (application_id 0x%08" PRIx32
		                     ")",
		                     path, (uint32_t)app);
	if (ver > N_MIGRATIONS)
		return terra_err_set(e, TERRA_E_STATE,
		                     "'%s': schema version %" PRId64
		                     " is newer than this %s knows (%d)",
		                     path, ver, program, N_MIGRATIONS);
	if (ver < N_MIGRATIONS && (flags & TERRA_DB_READONLY))
		return terra_err_set(e, TERRA_E_STATE,
		                     "'%s': schema version %" PRId64
		                     " must be migrated to %d, which a read-only open cannot do",
		                     path, ver, N_MIGRATIONS);
	*version = ver;
	return 0;
}

/*
 * A read-only open of a database in WAL mode needs the -shm file, which
 * SQLite creates next to it: in a directory this process cannot write (a
 * read-only mount, another user's home) that fails with "unable to open
 * database file". There, when no WAL holds changes that are not yet in
 * the database (a clean close removes it), the file is opened as
 * immutable: no lock, no -shm. Fills uri (a "file:" URI, the path
 * percent-encoded) and returns 1 then, else 0.
 */
static int immutable_uri(const char *path, char *uri, size_t len)
{
	char dir[PATH_MAX], wal[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat sb;
	size_t n = 0;

	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if ((size_t)snprintf(dir, sizeof dir, "%.*s", (int)(slash - path + 1), path) >=
	         sizeof dir)
		return 0;
	if (access(dir, W_OK) == 0)
		return 0;
	if ((size_t)snprintf(wal, sizeof wal, "%s-wal", path) >= sizeof wal ||
	    (stat(wal, &sb) == 0 && sb.st_size > 0))
		return 0;
	n = (size_t)snprintf(uri, len, "file:");
	for (; *path && n + 4 < len; path++) {
		unsigned char c = (unsigned char)*path;

		if (strchr("?#%", c) || c < 0x21 || c >= 0x7f)
			n += (size_t)snprintf(uri + n, len - n, "%%%02X", c);
		else
			uri[n++] = (char)c;
	}
	if (*path || (size_t)snprintf(uri + n, len - n, "?immutable=1") >= len - n)
		return 0;
	return 1;
}

int terra_db_open(sqlite3 **dbp, const char *path, int flags, terra_err *e)
{
	char uri[3 * PATH_MAX + 32];
	int immutable = 0;
	sqlite3 *db = NULL;
	struct stat sb;
	int64_t version = 0;
	int oflags, timeout_ms, v, ret = -1;

	*dbp = NULL;
	if (flags & TERRA_DB_READONLY)
		oflags = SQLITE_OPEN_READONLY;
	else if (flags & TERRA_DB_CREATE)
		oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	else
		oflags = SQLITE_OPEN_READWRITE;
	if (!(oflags & SQLITE_OPEN_CREATE) && stat(path, &sb)) {
		terra_err_sys(e, "open '%s'", path);
		if (errno == ENOENT)
			e->kind = TERRA_E_NOTFOUND;
		return -1;
	}
	if (flags & TERRA_DB_READONLY)
		immutable = immutable_uri(path, uri, sizeof uri);
	if (sqlite3_open_v2(immutable ? uri : path, &db, oflags | (immutable ? SQLITE_OPEN_URI : 0),
	                    NULL) != SQLITE_OK) {
		terra_db_err(db, e, NULL);
		terra_err_wrap(e, "open '%s'", path);
		goto out;
	}
	sqlite3_extended_result_codes(db, 1);
	/* Connection settings only: nothing is written to the file yet. */
	timeout_ms = busy_timeout_ms();
	sqlite3_busy_timeout(db, timeout_ms);
	if (check_file(db, path, flags, &version, e))
		goto out;
	if (terra_db_exec(db, "PRAGMA foreign_keys = ON", e) ||
	    terra_db_exec(db, "PRAGMA synchronous = FULL", e)) {
		terra_err_wrap(e, "open '%s'", path);
		goto out;
	}
	if (!(flags & TERRA_DB_READONLY)) {
		if (set_wal(db, timeout_ms, e)) {
			terra_err_wrap(e, "open '%s'", path);
			goto out;
		}
		for (v = (int)version + 1; v <= N_MIGRATIONS; v++) {
			if (migrate_step(db, v, e)) {
				terra_err_wrap(e, "open '%s'", path);
				goto out;
			}
		}
	}
	*dbp = db;
	db = NULL;
	ret = 0;
out:
	sqlite3_close_v2(db);
	return ret;
}

int terra_db_has_history(sqlite3 *db, int *has, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	if (terra_db_prepare(
	        db, "SELECT EXISTS (SELECT 1 FROM units) OR EXISTS (SELECT 1 FROM entries)", &st,
	        e))
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		terra_db_err(db, e, "read terra.db");
		goto out;
	}
	*has = sqlite3_column_int(st, 0);
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}
