#include "home.h"

#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int join(char *out, size_t outlen, const char *dir, const char *rel, terra_err *e)
{
	int n = snprintf(out, outlen, "%s/%s", dir, rel);

	if (n < 0 || (size_t)n >= outlen)
		return terra_err_set(e, TERRA_E_INPUT, "path too long: '%s/%s'", dir, rel);
	return 0;
}

int terra_home_path(const char *opt_dir, char *out, size_t outlen, terra_err *e)
{
	const char *v;
	size_t n;
	int len;

	if (opt_dir && *opt_dir)
		len = snprintf(out, outlen, "%s", opt_dir);
	else if ((v = getenv("TERRA_HOME")) && *v)
		len = snprintf(out, outlen, "%s", v);
	else if ((v = getenv("XDG_DATA_HOME")) && *v == '/') /* XDG: relative is invalid */
		len = snprintf(out, outlen, "%s/terra", v);
	else if ((v = getenv("HOME")) && *v)
		len = snprintf(out, outlen, "%s/.local/share/terra", v);
	else
		return terra_err_set(e, TERRA_E_INPUT,
		                     "no Terra home: set TERRA_HOME or HOME, or use -H DIR");
	if (len < 0 || (size_t)len >= outlen)
		return terra_err_set(e, TERRA_E_INPUT, "home directory path too long");
	n = strlen(out);
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	return 0;
}

int terra_home_file(const terra_home *h, const char *rel, char *out, size_t outlen, terra_err *e)
{
	return join(out, outlen, h->dir, rel, e);
}

/* 1 if path exists, 0 if not, -1 on another error. */
static int exists(const char *path, struct stat *sb, terra_err *e)
{
	if (!stat(path, sb))
		return 1;
	if (errno == ENOENT)
		return 0;
	return terra_err_sys(e, "'%s'", path);
}

/*
 * Refuses a home, or its units directory, that someone else could change:
 * writable by group or others (they could swap terra.db or plant a unit
 * key), or units/ a symbolic link (to anywhere). The message has the fix.
 */
static int check_dirs(const char *dir, terra_err *e)
{
	char units[PATH_MAX];
	struct stat sb;

	if (stat(dir, &sb))
		return terra_err_sys(e, "home '%s'", dir);
	if (sb.st_mode & 022)
		return terra_err_set(e, TERRA_E_STATE,
		                     "home '%s' is writable by %s: chmod go-w '%s'", dir,
		                     sb.st_mode & 002 ? "others" : "its group", dir);
	if (join(units, sizeof units, dir, TERRA_UNITS_DIR, e))
		return -1;
	if (lstat(units, &sb)) {
		if (errno == ENOENT)
			return 0;
		return terra_err_sys(e, "home '%s': '%s'", dir, units);
	}
	if (S_ISLNK(sb.st_mode))
		return terra_err_set(e, TERRA_E_STATE,
		                     "home '%s': '%s' is a symbolic link: make it a directory "
		                     "of the home",
		                     dir, units);
	if (S_ISDIR(sb.st_mode) && (sb.st_mode & 022))
		return terra_err_set(e, TERRA_E_STATE,
		                     "home '%s': '%s' is writable by %s: chmod go-w '%s'", dir,
		                     units, sb.st_mode & 002 ? "others" : "its group", units);
	return 0;
}

/* mkdir -p with mode 0700 for every directory it creates. */
static int make_dirs(const char *dir, terra_err *e)
{
	char path[PATH_MAX];
	struct stat sb;
	size_t i, n = strlen(dir);

	if (n >= sizeof path)
		return terra_err_set(e, TERRA_E_INPUT, "home directory path too long");
	memcpy(path, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			return terra_err_sys(e, "create directory '%s'", path);
		if (i == n && (stat(path, &sb) || !S_ISDIR(sb.st_mode)))
			return terra_err_set(e, TERRA_E_INPUT,
			                     "create home: '%s' is not a directory", path);
		path[i] = dir[i];
	}
	return 0;
}

/*
 * Creates what is missing and changes nothing that is there. A home that
 * does not hang together (owner.pub without owner.key, keys that do not
 * match, a database with history but no owner key) is refused before
 * anything is written. `force` allows a new owner key pair when owner.key is
 * missing but owner.pub is there, and rewriting an owner.pub that does not
 * match owner.key; an existing owner.key is never replaced.
 */
int terra_home_init(const char *dir_opt, int force, int *created, terra_err *e)
{
	char dir[PATH_MAX], skp[PATH_MAX], pkp[PATH_MAX], unitsp[PATH_MAX], dbp[PATH_MAX];
	terra_key key = {{0}, NULL}, pub = {{0}, NULL};
	struct stat sb;
	sqlite3 *db = NULL;
	int has_sk, has_pk, has_units, has_db, has_rows = 0, rewrite_pub = 0;
	int made = 0, ret = -1;

	*created = 0;
	if (terra_home_path(dir_opt, dir, sizeof dir, e))
		return -1;
	if (join(skp, sizeof skp, dir, TERRA_OWNER_KEY, e) ||
	    join(pkp, sizeof pkp, dir, TERRA_OWNER_PUB, e) ||
	    join(unitsp, sizeof unitsp, dir, TERRA_UNITS_DIR, e) ||
	    join(dbp, sizeof dbp, dir, TERRA_DB_FILE, e))
		return -1;

	switch (exists(dir, &sb, e)) {
	case -1:
		return -1;
	case 0:
		if (make_dirs(dir, e))
			return -1;
		made = 1;
		break;
	default:
		if (!S_ISDIR(sb.st_mode))
			return terra_err_set(e, TERRA_E_INPUT, "home '%s' is not a directory", dir);
	}

	/* Look at everything before changing anything. */
	if (check_dirs(dir, e))
		return -1;
	if ((has_sk = exists(skp, &sb, e)) < 0 || (has_pk = exists(pkp, &sb, e)) < 0 ||
	    (has_units = exists(unitsp, &sb, e)) < 0)
		goto out;
	if (has_units && !S_ISDIR(sb.st_mode)) {
		terra_err_set(e, TERRA_E_STATE, "home '%s': '%s' is not a directory", dir, unitsp);
		goto out;
	}
	if ((has_db = exists(dbp, &sb, e)) < 0)
		goto out;
	if (has_sk && terra_key_load(&key, skp, e))
		goto out;
	if (has_pk && terra_key_load_pub(&pub, pkp, e))
		goto out;
	if (has_sk && has_pk && memcmp(key.pk, pub.pk, TERRA_PK_BYTES)) {
		if (!force) {
			terra_err_set(e, TERRA_E_STATE,
			              "home '%s': owner.pub does not match owner.key "
			              "(--force rewrites owner.pub from owner.key)",
			              dir);
			goto out;
		}
		rewrite_pub = 1;
	}
	if (!has_sk && has_pk) {
		if (!force) {
			terra_err_set(e, TERRA_E_STATE,
			              "home '%s': owner.pub exists but owner.key does not "
			              "(restore owner.key, or --force to make a new owner key)",
			              dir);
			goto out;
		}
		rewrite_pub = 1;
	}
	if (has_db) {
		if (terra_db_open(&db, dbp, TERRA_DB_OPEN, e) ||
		    terra_db_has_history(db, &has_rows, e))
			goto out;
		if (has_rows && !has_sk) {
			terra_err_set(e, TERRA_E_STATE,
			              "home '%s': terra.db holds units or ledger entries but "
			              "owner.key is missing",
			              dir);
			goto out;
		}
	}

	if (!has_sk) {
		if (terra_key_generate(&key, e) || terra_key_save(&key, skp, NULL, 0, e))
			goto out;
		made = 1;
	}
	if (!has_pk || rewrite_pub) {
		if (terra_key_save_pub(&key, pkp, has_pk, e))
			goto out;
		made = 1;
	}
	if (!has_units) {
		if (mkdir(unitsp, 0700)) {
			terra_err_sys(e, "create directory '%s'", unitsp);
			goto out;
		}
		made = 1;
	}
	if (!has_db) {
		if (terra_db_open(&db, dbp, TERRA_DB_CREATE, e))
			goto out;
		made = 1;
	}
	*created = made;
	ret = 0;
out:
	terra_db_close(db);
	terra_key_wipe(&pub);
	terra_key_wipe(&key);
	return ret;
}

int terra_home_open(terra_home *h, const char *opt_dir, unsigned flags, terra_err *e)
{
	char path[PATH_MAX];
	struct stat sb;
	terra_key sk = {{0}, NULL};
	int dbflags = (flags & TERRA_HOME_READONLY) ? TERRA_DB_READONLY : TERRA_DB_OPEN;
	int ret = -1;

	memset(h, 0, sizeof *h);
	if (terra_home_path(opt_dir, h->dir, sizeof h->dir, e))
		return -1;
	if (stat(h->dir, &sb) || !S_ISDIR(sb.st_mode))
		return terra_err_set(e, TERRA_E_NOTFOUND,
		                     "no Terra home at '%s': run 'terra-register init' first",
		                     h->dir);
	if (check_dirs(h->dir, e))
		goto out;
	if (join(path, sizeof path, h->dir, TERRA_DB_FILE, e))
		goto out;
	if (stat(path, &sb)) {
		terra_err_set(e, TERRA_E_NOTFOUND,
		              "no Terra home at '%s' (no %s): run 'terra-register init' first",
		              h->dir, TERRA_DB_FILE);
		goto out;
	}
	if (join(path, sizeof path, h->dir, TERRA_OWNER_PUB, e))
		goto out;
	if (stat(path, &sb)) {
		terra_err_set(e, TERRA_E_NOTFOUND,
		              "no Terra home at '%s' (no %s): run 'terra-register init' first",
		              h->dir, TERRA_OWNER_PUB);
		goto out;
	}
	if (terra_key_load_pub(&h->owner, path, e))
		goto out;
	if (flags & TERRA_HOME_SECRET) {
		if (join(path, sizeof path, h->dir, TERRA_OWNER_KEY, e))
			goto out;
		if (terra_key_load(&sk, path, e))
			goto out;
		if (memcmp(sk.pk, h->owner.pk, TERRA_PK_BYTES)) {
			terra_err_set(e, TERRA_E_STATE,
			              "home '%s': owner.pub does not match owner.key", h->dir);
			goto out;
		}
		h->owner.sk = sk.sk;
		sk.sk = NULL;
	}
	if (join(path, sizeof path, h->dir, TERRA_DB_FILE, e) ||
	    terra_db_open(&h->db, path, dbflags, e))
		goto out;
	ret = 0;
out:
	terra_key_wipe(&sk);
	if (ret)
		terra_home_close(h);
	return ret;
}

void terra_home_close(terra_home *h)
{
	if (!h)
		return;
	terra_db_close(h->db);
	h->db = NULL;
	terra_key_wipe(&h->owner);
}
