#include "lib/db.h"

#include "fixture.h"
#include "tap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int64_t pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A plain SQLite file written with the sqlite3 API, as another program would. */
static void make_foreign(const char *path, const char *extra)
{
	sqlite3 *db;

	sqlite3_open(path, &db);
	sqlite3_exec(db, extra, NULL, NULL, NULL);
	sqlite3_close(db);
}

static void test_fresh(void)
{
	sqlite3 *db = NULL;
	terra_err e = {0};
	char mode[16] = "";
	sqlite3_stmt *st;
	struct stat sb;

	ok(terra_db_open(&db, fixture_path("missing.db"), TERRA_DB_OPEN, &e) < 0,
	   "open without CREATE of a missing file fails");
	is_int(e.kind, TERRA_E_NOTFOUND, "... as not found");
	like(e.msg, "missing.db", "... naming the file");
	ok(stat(fixture_path("missing.db"), &sb) < 0, "... and does not create it");
	ok(terra_db_open(&db, fixture_path("missing.db"), TERRA_DB_READONLY, &e) < 0,
	   "read-only open of a missing file fails");
	ok(stat(fixture_path("missing.db"), &sb) < 0, "... and does not create it");

	ok(terra_db_open(&db, fixture_path("fresh.db"), TERRA_DB_CREATE, &e) == 0,
	   "create a database");
	is_int(terra_db_schema_version(), 9, "schema version is 9");
	is_int(pragma_int(db, "PRAGMA application_id"), TERRA_APP_ID, "application_id set");
	is_int(pragma_int(db, "PRAGMA user_version"), terra_db_schema_version(),
	       "user_version is the schema version");
	is_int(pragma_int(db, "PRAGMA foreign_keys"), 1, "foreign keys on");
	is_int(pragma_int(db, "PRAGMA synchronous"), 2, "synchronous FULL");
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	is_str(mode, "wal", "journal mode WAL");
	is_int(pragma_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
	                      "('units','unit_seq','entries','checkpoints','settlements',"
	                      "'settlement_inputs')"),
	       6, "the six tables exist");
	ok(terra_db_exec(db, "INSERT INTO unit_seq VALUES ('nosuchunit', 1)", &e) < 0,
	   "foreign keys enforced");
	terra_db_close(db);

	ok(terra_db_open(&db, fixture_path("fresh.db"), TERRA_DB_OPEN, &e) == 0, "reopen");
	terra_db_close(db);
	ok(terra_db_open(&db, fixture_path("fresh.db"), TERRA_DB_READONLY, &e) == 0,
	   "reopen read-only");
	ok(terra_db_exec(db, "INSERT INTO entries VALUES (1, 'x', '{}', x'00', x'00', 't')", &e) <
	       0,
	   "read-only connection refuses writes");
	terra_db_close(db);

	/* An empty SQLite file (0 bytes) is a new database: migrated on a normal open. */
	fclose(fopen(fixture_path("empty.db"), "w"));
	ok(terra_db_open(&db, fixture_path("empty.db"), TERRA_DB_READONLY, &e) < 0,
	   "read-only open of an unmigrated file refused");
	like(e.msg, "read-only", "... saying why");
	ok(stat(fixture_path("empty.db"), &sb) == 0 && sb.st_size == 0, "... and leaves it empty");
	ok(terra_db_open(&db, fixture_path("empty.db"), TERRA_DB_OPEN, &e) == 0,
	   "an empty file is migrated on open");
	is_int(pragma_int(db, "PRAGMA user_version"), 9, "... to version 9");
	terra_db_close(db);

	/* Schema 4: settlement_inputs keyed without the owner; 5 keeps its rows
	 * and takes one row per owner of a unit. */
	ok(terra_db_open(&db, fixture_path("v4.db"), TERRA_DB_CREATE, &e) == 0,
	   "create a database");
	ok(terra_db_exec(db,
	                 "DROP TABLE settlement_inputs; CREATE TABLE settlement_inputs ("
	                 " period TEXT NOT NULL REFERENCES settlements(period), role TEXT NOT NULL,"
	                 " id TEXT NOT NULL, owner TEXT, weight INTEGER NOT NULL,"
	                 " PRIMARY KEY (period, role, id)) WITHOUT ROWID;"
	                 "DROP TABLE paid_evidence; DROP TABLE rescore_pending;"
	                 "INSERT INTO entries VALUES (1, 'settlement', '{}', x'00', x'00', 't');"
	                 "INSERT INTO settlements VALUES ('p', 'd', 1);"
	                 "INSERT INTO settlement_inputs VALUES ('p', 'unit', 'u1', 'o1', 7);"
	                 "PRAGMA user_version = 4",
	                 &e) == 0,
	   "make it a schema 4 database with a settlement input");
	terra_db_close(db);
	ok(terra_db_open(&db, fixture_path("v4.db"), TERRA_DB_OPEN, &e) == 0, "open it");
	is_int(pragma_int(db, "PRAGMA user_version"), 9, "... migrated to version 9");
	is_int(pragma_int(db, "SELECT weight FROM settlement_inputs WHERE owner = 'o1'"), 7,
	       "... its input row kept");
	ok(terra_db_exec(db, "INSERT INTO settlement_inputs VALUES ('p', 'unit', 'u1', 'o2', 3)",
	                 &e) == 0,
	   "... a second owner of the unit takes a row");
	ok(terra_db_exec(db, "DELETE FROM settlement_inputs", &e) < 0,
	   "... and rows are never deleted");
	terra_db_close(db);

	/* A home of schema 1 (no unit_health) is migrated to 2 on open, its data kept. */
	ok(terra_db_open(&db, fixture_path("v1.db"), TERRA_DB_CREATE, &e) == 0,
	   "create a database");
	ok(terra_db_exec(
	       db,
	       "DROP TABLE unit_health_history; DROP TABLE unit_health; DROP TRIGGER units_no_delete;"
	       "DROP TRIGGER units_insert_from_ledger; DROP TRIGGER units_update_from_ledger;"
	       "DROP VIEW units_latest_entry; DROP TABLE paid_evidence; DROP TABLE rescore_pending;"
	       "PRAGMA user_version = 1;"
	       "INSERT INTO units VALUES ('u1', 'o', 'p', 'f', 1, 'active', 'cpu', 't', '{}',"
	       " '{}')",
	       &e) == 0,
	   "make it a schema 1 database with a unit");
	terra_db_close(db);
	ok(terra_db_open(&db, fixture_path("v1.db"), TERRA_DB_OPEN, &e) == 0,
	   "open the schema 1 database");
	is_int(pragma_int(db, "PRAGMA user_version"), 9, "... migrated to version 9");
	is_int(pragma_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'unit_health'"), 1,
	       "... unit_health exists");
	is_int(pragma_int(db, "SELECT count(*) FROM units"), 1, "... the unit is still there");
	ok(terra_db_exec(db, "INSERT INTO unit_health VALUES ('u1', 'unwell', 't', '')", &e) < 0,
	   "a health status other than ok, degraded, sick, busy is refused");
	/* Schema 7: "busy" is an observation too, in both tables. */
	ok(terra_db_exec(db, "INSERT OR REPLACE INTO unit_health VALUES ('u1', 'busy', 't0', 'r')",
	                 &e) == 0,
	   "a busy observation is stored");
	is_int(pragma_int(db, "SELECT count(*) FROM unit_health_history WHERE status = 'busy'"), 1,
	       "... and kept in the history by the trigger");
	ok(terra_db_exec(db,
	                 "INSERT INTO unit_health_history (unit, status, checked_at, reason)"
	                 " VALUES ('u1', 'unwell', 't', '')",
	                 &e) < 0,
	   "the history refuses another status");
	/* Schema 3: every observation kept in unit_health_history, the newest 1000. */
	for (int i = 1; i <= 1005; i++) {
		char sql[200];

		snprintf(sql, sizeof sql,
		         "INSERT OR REPLACE INTO unit_health VALUES ('u1', '%s', 't%d', '')",
		         i == 1005 ? "sick" : "ok", i);
		if (terra_db_exec(db, sql, &e) < 0)
			break;
	}
	is_int(pragma_int(db, "SELECT count(*) FROM unit_health_history"), 1000,
	       "1005 observations: the history keeps 1000");
	is_int(pragma_int(db, "SELECT count(*) FROM unit_health_history WHERE checked_at = 't6'"),
	       1, "... from the sixth");
	is_int(pragma_int(db, "SELECT count(*) FROM unit_health_history WHERE checked_at = 't5'"),
	       0, "... the fifth dropped");
	is_int(pragma_int(db, "SELECT count(*) FROM unit_health_history WHERE status = 'sick'"
	                      " AND id = (SELECT max(id) FROM unit_health_history)"),
	       1, "... the newest last");
	is_int(pragma_int(db, "SELECT count(*) FROM unit_health"), 1,
	       "unit_health keeps the latest");
	terra_db_close(db);
}

static void test_foreign(void)
{
	const char *p = fixture_path("foreign.db"), *q = fixture_path("otherapp.db"),
	           *t = fixture_path("text.db");
	char *before, *after;
	size_t nb, na;
	sqlite3 *db = NULL;
	terra_err e = {0};

	make_foreign(p, "CREATE TABLE t(x); INSERT INTO t VALUES (42);");
	before = fixture_slurp(p, &nb);
	ok(terra_db_open(&db, p, TERRA_DB_OPEN, &e) < 0, "foreign SQLite file refused");
	like(e.msg, "is not a Terra database (application_id 0x00000000)", "... with the reason");
	like(e.msg, p, "... naming the file");
	ok(terra_db_open(&db, p, TERRA_DB_CREATE, &e) < 0, "... also with CREATE");
	after = fixture_slurp(p, &na);
	ok(before && after && nb == na && !memcmp(before, after, nb), "... left byte-identical");
	free(before);
	free(after);

	make_foreign(q, "PRAGMA application_id = 305419896;");
	before = fixture_slurp(q, &nb);
	ok(terra_db_open(&db, q, TERRA_DB_CREATE, &e) < 0, "file of another application refused");
	like(e.msg, "(application_id 0x12345678)", "... naming its application_id");
	after = fixture_slurp(q, &na);
	ok(before && after && nb == na && !memcmp(before, after, nb), "... left byte-identical");
	free(before);
	free(after);

	{
		FILE *f = fopen(t, "w");
		fputs("this is not a database at all, just some text that is long enough to "
		      "look like a header to sqlite, more than a hundred bytes of it ........\n",
		      f);
		fclose(f);
	}
	before = fixture_slurp(t, &nb);
	ok(terra_db_open(&db, t, TERRA_DB_OPEN, &e) < 0, "a text file is refused");
	like(e.msg, t, "... naming the file");
	after = fixture_slurp(t, &na);
	ok(before && after && nb == na && !memcmp(before, after, nb), "... left byte-identical");
	free(before);
	free(after);
}

static void test_newer(void)
{
	const char *p = fixture_path("newer.db");
	sqlite3 *db = NULL;
	terra_err e = {0};
	char *before, *after;
	size_t nb, na;

	ok(terra_db_open(&db, p, TERRA_DB_CREATE, &e) == 0, "create for the newer test");
	sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	terra_db_close(db);
	before = fixture_slurp(p, &nb);
	ok(terra_db_open(&db, p, TERRA_DB_OPEN, &e) < 0, "newer schema refused");
	like(e.msg, "schema version 99 is newer than this terra knows (9)", "... with the reason");
	is_int(e.kind, TERRA_E_STATE, "... kind STATE");
	terra_db_set_program("terra-meter");
	ok(terra_db_open(&db, p, TERRA_DB_OPEN, &e) < 0, "refused again");
	like(e.msg, "is newer than this terra-meter knows (9)",
	     "... naming the program it was given");
	terra_db_set_program(NULL);
	after = fixture_slurp(p, &na);
	ok(before && after && nb == na && !memcmp(before, after, nb), "... left byte-identical");
	free(before);
	free(after);
}

static void test_triggers(void)
{
	sqlite3 *db = NULL;
	terra_err e = {0};
	int i;
	static const char *const refused[] = {
	    "UPDATE entries SET kind = 'forged'",         "DELETE FROM entries",
	    "UPDATE checkpoints SET sig = 'x'",           "DELETE FROM checkpoints",
	    "UPDATE settlements SET inputs_digest = 'x'", "DELETE FROM settlements",
	    "UPDATE settlement_inputs SET weight = 0",    "DELETE FROM settlement_inputs",
	};

	ok(terra_db_open(&db, fixture_path("trig.db"), TERRA_DB_CREATE, &e) == 0,
	   "create for triggers");
	ok(terra_db_exec(db,
	                 "INSERT INTO entries VALUES (1, 'unit', '{}', x'00', x'01', 't');"
	                 "INSERT INTO checkpoints (size, root, signer, sig, body, frontier)"
	                 " VALUES (1, x'01', 's', 'sig', '{}', x'');"
	                 "INSERT INTO settlements VALUES ('p', 'd', 1);"
	                 "INSERT INTO settlement_inputs VALUES ('p', 'unit', 'u', 'o', 5);",
	                 &e) == 0,
	   "appending works");
	for (i = 0; i < (int)(sizeof refused / sizeof refused[0]); i++) {
		char name[128];

		terra_err_clear(&e);
		snprintf(name, sizeof name, "refused: %s", refused[i]);
		ok(terra_db_exec(db, refused[i], &e) < 0, name);
		like(e.msg, "ledger is append-only", "... ledger is append-only");
	}
	is_int(pragma_int(db, "SELECT count(*) FROM entries WHERE kind = 'unit'"), 1,
	       "entry unchanged");
	terra_db_close(db);
}

static void test_busy(void)
{
	sqlite3 *a = NULL, *b = NULL, *c = NULL;
	terra_err e = {0};

	setenv("TERRA_BUSY_TIMEOUT_MS", "50", 1);
	ok(terra_db_open(&a, fixture_path("busy.db"), TERRA_DB_CREATE, &e) == 0, "open first");
	ok(terra_db_open(&b, fixture_path("busy.db"), TERRA_DB_OPEN, &e) == 0, "open second");
	ok(terra_db_begin(a, &e) == 0, "first begins");
	ok(terra_db_exec(a, "INSERT INTO entries VALUES (1, 'k', '{}', x'00', x'01', 't')", &e) ==
	       0,
	   "first writes");
	ok(terra_db_begin(b, &e) < 0, "second cannot begin while the first holds the lock");
	is_int(e.kind, TERRA_E_BUSY, "... kind BUSY");
	like(e.msg, "database is locked by another terra command", "... with the message");
	ok(terra_db_open(&c, fixture_path("busy.db"), TERRA_DB_OPEN, &e) == 0,
	   "opening while another holds the write lock works");
	terra_db_close(c);
	ok(terra_db_commit(a, &e) == 0, "first commits");
	ok(terra_db_begin(b, &e) == 0, "second begins after the commit");
	is_int(pragma_int(b, "SELECT count(*) FROM entries"), 1, "... and sees the entry");
	terra_db_rollback(b);
	terra_db_rollback(b); /* harmless without a transaction */
	terra_db_close(b);
	terra_db_close(a);
	unsetenv("TERRA_BUSY_TIMEOUT_MS");
}

/* Processes creating the same new database at once all succeed. */
static void test_race(void)
{
	int round, i, status, fails = 0;

	for (round = 0; round < 10; round++) {
		char name[32];
		const char *p;

		snprintf(name, sizeof name, "race%d.db", round);
		p = fixture_path(name);
		fflush(stdout);
		for (i = 0; i < 4; i++) {
			if (fork() == 0) {
				sqlite3 *db;
				terra_err e = {0};

				if (terra_db_open(&db, p, TERRA_DB_CREATE, &e)) {
					printf("# child: %s\n", e.msg);
					_exit(1);
				}
				terra_db_close(db);
				_exit(0);
			}
		}
		while (wait(&status) > 0)
			fails += !WIFEXITED(status) || WEXITSTATUS(status);
	}
	is_int(fails, 0, "40 processes creating 10 new databases in fours all succeed");
}

int main(void)
{
	fixture_tmpdir("db");
	test_fresh();
	test_foreign();
	test_newer();
	test_triggers();
	test_busy();
	test_race();
	return done_testing();
}
