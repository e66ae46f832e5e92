#include "lib/home.h"

#include "lib/db.h"
#include "fixture.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int mode_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? -1 : (int)(sb.st_mode & 07777);
}

static int is_there(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static void test_path(void)
{
	char out[PATH_MAX];
	terra_err e = {0};

	setenv("TERRA_HOME", "/env/home", 1);
	setenv("XDG_DATA_HOME", "/xdg", 1);
	setenv("HOME", "/users/me", 1);
	ok(terra_home_path("/opt/dir/", out, sizeof out, &e) == 0, "path from -H");
	is_str(out, "/opt/dir", "... -H wins, trailing slash dropped");
	terra_home_path(NULL, out, sizeof out, &e);
	is_str(out, "/env/home", "TERRA_HOME next");
	unsetenv("TERRA_HOME");
	terra_home_path("", out, sizeof out, &e);
	is_str(out, "/xdg/terra", "then XDG_DATA_HOME/terra");
	setenv("XDG_DATA_HOME", "relative", 1);
	terra_home_path(NULL, out, sizeof out, &e);
	is_str(out, "/users/me/.local/share/terra", "a relative XDG_DATA_HOME is ignored");
	unsetenv("XDG_DATA_HOME");
	terra_home_path(NULL, out, sizeof out, &e);
	is_str(out, "/users/me/.local/share/terra", "then HOME/.local/share/terra");
	unsetenv("HOME");
	ok(terra_home_path(NULL, out, sizeof out, &e) < 0, "no HOME at all is an error");
	like(e.msg, "TERRA_HOME", "... suggesting TERRA_HOME");
	ok(terra_home_path("/a/long/directory", out, 8, &e) < 0, "a path too long is an error");
	like(e.msg, "too long", "... saying so");
}

static void test_missing(void)
{
	terra_home h;
	terra_err e = {0};
	char want[600];

	ok(terra_home_open(&h, fixture_path("nohome"), 0, &e) < 0, "open without a home fails");
	is_int(e.kind, TERRA_E_NOTFOUND, "... kind NOTFOUND");
	snprintf(want, sizeof want, "no Terra home at '%s': run 'terra-register init' first",
	         fixture_path("nohome"));
	is_str(e.msg, want, "... telling to run terra-register init");
	ok(!is_there(fixture_path("nohome")), "... and creates nothing");
	mkdir(fixture_path("emptyhome"), 0700);
	ok(terra_home_open(&h, fixture_path("emptyhome"), 0, &e) < 0, "open of an empty dir fails");
	like(e.msg, "run 'terra-register init' first", "... with the same advice");
}

static void test_init(void)
{
	const char *home = fixture_path("a/b/home");
	char keyp[600], pubp[600], dbp[600], unitsp[600], file[PATH_MAX], hex[TERRA_PK_HEX];
	char *key1, *pub1, *db1, *key2, *pub2, *db2;
	size_t nk1, np1, nd1, nk2, np2, nd2;
	struct stat sk1, sp1, sd1, sk2, sp2, sd2;
	terra_err e = {0};
	terra_home h;
	int created = -1;

	snprintf(keyp, sizeof keyp, "%s/owner.key", home);
	snprintf(pubp, sizeof pubp, "%s/owner.pub", home);
	snprintf(dbp, sizeof dbp, "%s/terra.db", home);
	snprintf(unitsp, sizeof unitsp, "%s/units", home);
	ok(terra_home_init(home, 0, &created, &e) == 0, "init creates a home");
	if (e.msg[0])
		printf("# %s\n", e.msg);
	is_int(created, 1, "... created = 1");
	is_int(mode_of(home), 0700, "home is 0700");
	is_int(mode_of(fixture_path("a")), 0700, "parents created 0700");
	is_int(mode_of(keyp), 0600, "owner.key is 0600");
	ok(is_there(pubp), "owner.pub exists");
	is_int(mode_of(unitsp), 0700, "units/ is 0700");
	ok(is_there(dbp), "terra.db exists");

	key1 = fixture_slurp(keyp, &nk1);
	pub1 = fixture_slurp(pubp, &np1);
	db1 = fixture_slurp(dbp, &nd1);
	stat(keyp, &sk1);
	stat(pubp, &sp1);
	stat(dbp, &sd1);
	ok(pub1 && np1 == 65 && pub1[64] == '\n', "owner.pub is one line of 64 hex");
	usleep(20000);
	created = -1;
	ok(terra_home_init(home, 0, &created, &e) == 0, "init again succeeds");
	is_int(created, 0, "... created = 0");
	key2 = fixture_slurp(keyp, &nk2);
	pub2 = fixture_slurp(pubp, &np2);
	db2 = fixture_slurp(dbp, &nd2);
	stat(keyp, &sk2);
	stat(pubp, &sp2);
	stat(dbp, &sd2);
	ok(nk1 == nk2 && !memcmp(key1, key2, nk1), "... owner.key unchanged");
	ok(np1 == np2 && !memcmp(pub1, pub2, np1), "... owner.pub unchanged");
	ok(nd1 == nd2 && !memcmp(db1, db2, nd1), "... terra.db unchanged");
	ok(sk1.st_mtim.tv_sec == sk2.st_mtim.tv_sec && sk1.st_mtim.tv_nsec == sk2.st_mtim.tv_nsec &&
	       sp1.st_mtim.tv_nsec == sp2.st_mtim.tv_nsec &&
	       sd1.st_mtim.tv_nsec == sd2.st_mtim.tv_nsec,
	   "... no mtime changed");
	free(key2);
	free(pub2);
	free(db2);

	ok(terra_home_open(&h, home, 0, &e) == 0, "open the home");
	terra_hex(h.owner.pk, TERRA_PK_BYTES, hex);
	ok(!strncmp(hex, pub1, 64), "... owner public key loaded");
	ok(h.owner.sk == NULL, "... no secret without TERRA_HOME_SECRET");
	ok(h.db && terra_db_exec(h.db, "SELECT count(*) FROM units", &e) == 0, "... db usable");
	ok(terra_home_file(&h, "units/x.key", file, sizeof file, &e) == 0, "home file path");
	ok(strstr(file, "/home/units/x.key") != NULL, "... under the home");
	terra_home_close(&h);
	ok(terra_home_open(&h, home, TERRA_HOME_SECRET, &e) == 0, "open with the secret");
	ok(h.owner.sk != NULL, "... secret loaded");
	terra_home_close(&h);
	ok(terra_home_open(&h, home, TERRA_HOME_READONLY, &e) == 0, "open read-only");
	ok(terra_db_exec(h.db, "INSERT INTO entries VALUES (1, 'k', '{}', x'00', x'01', 't')", &e) <
	       0,
	   "... refuses writes");
	terra_home_close(&h);

	/* Partial homes are completed without touching what is there. */
	unlink(pubp);
	ok(terra_home_init(home, 0, &created, &e) == 0 && created == 1,
	   "owner.pub missing: init completes");
	pub2 = fixture_slurp(pubp, &np2);
	ok(pub2 && np1 == np2 && !memcmp(pub1, pub2, np1), "... owner.pub re-derived from the key");
	free(pub2);
	key2 = fixture_slurp(keyp, &nk2);
	ok(nk1 == nk2 && !memcmp(key1, key2, nk1), "... owner.key unchanged");
	free(key2);
	rmdir(unitsp);
	ok(terra_home_init(home, 0, &created, &e) == 0 && created == 1 && mode_of(unitsp) == 0700,
	   "units/ missing: init recreates it");

	/* Group-readable secret: refused. */
	chmod(keyp, 0640);
	ok(terra_home_init(home, 0, &created, &e) < 0, "group-readable owner.key refused by init");
	like(e.msg, "owner.key", "... naming the file");
	ok(terra_home_open(&h, home, TERRA_HOME_SECRET, &e) < 0, "... and by open with the secret");
	chmod(keyp, 0600);

	/* A mismatched owner.pub. */
	{
		FILE *f = fopen(pubp, "w");
		fputs("0000000000000000000000000000000000000000000000000000000000000000\n", f);
		fclose(f);
	}
	ok(terra_home_init(home, 0, &created, &e) < 0, "mismatched owner.pub refused");
	like(e.msg, "owner.pub does not match owner.key", "... saying so");
	ok(terra_home_open(&h, home, TERRA_HOME_SECRET, &e) < 0,
	   "... also by open with the secret");
	ok(terra_home_init(home, 1, &created, &e) == 0, "... --force rewrites owner.pub");
	pub2 = fixture_slurp(pubp, &np2);
	ok(pub2 && np1 == np2 && !memcmp(pub1, pub2, np1), "... from owner.key");
	free(pub2);
	key2 = fixture_slurp(keyp, &nk2);
	ok(nk1 == nk2 && !memcmp(key1, key2, nk1), "... owner.key never replaced");
	free(key2);
	free(key1);
	free(pub1);
	free(db1);
}

static void test_inconsistent(void)
{
	const char *home = fixture_path("incons");
	char keyp[600], pubp[600], dbp[600];
	terra_err e = {0};
	terra_home h;
	int created;
	sqlite3 *db;

	snprintf(keyp, sizeof keyp, "%s/owner.key", home);
	snprintf(pubp, sizeof pubp, "%s/owner.pub", home);
	snprintf(dbp, sizeof dbp, "%s/terra.db", home);

	mkdir(home, 0700);
	ok(terra_home_init(home, 0, &created, &e) == 0 && created == 1,
	   "an existing empty dir is completed");
	unlink(keyp);
	ok(terra_home_open(&h, home, 0, &e) == 0, "a home without owner.key opens for public use");
	terra_home_close(&h);
	ok(terra_home_init(home, 0, &created, &e) < 0, "owner.pub without owner.key refused");
	like(e.msg, "owner.pub exists but owner.key does not", "... naming what is wrong");
	ok(!is_there(keyp), "... no key made");
	ok(terra_home_init(home, 1, &created, &e) == 0 && is_there(keyp),
	   "... --force makes a new owner key");

	/* A database with history but no owner key. */
	terra_db_open(&db, dbp, TERRA_DB_OPEN, &e);
	terra_db_exec(db, "INSERT INTO entries VALUES (1, 'k', '{}', x'00', x'01', 't')", &e);
	terra_db_close(db);
	unlink(keyp);
	unlink(pubp);
	ok(terra_home_init(home, 0, &created, &e) < 0, "database with entries but no key refused");
	like(e.msg, "owner.key is missing", "... naming what is wrong");
	ok(!is_there(keyp) && !is_there(pubp), "... no key made");

	/* A foreign terra.db. */
	unlink(dbp);
	sqlite3_open(dbp, &db);
	sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
	sqlite3_close(db);
	ok(terra_home_init(home, 0, &created, &e) < 0, "foreign terra.db refused");
	like(e.msg, "is not a Terra database", "... saying so");
	ok(!is_there(keyp), "... nothing created");

	/* A file where the home should be. */
	fclose(fopen(fixture_path("afile"), "w"));
	ok(terra_home_init(fixture_path("afile"), 0, &created, &e) < 0,
	   "home path that is a file refused");
	like(e.msg, "not a directory", "... saying so");
}

int main(void)
{
	fixture_tmpdir("home");
	test_path();
	test_missing();
	test_init();
	test_inconsistent();
	return done_testing();
}
