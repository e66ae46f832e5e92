#ifndef TERRA_HOME_H
#define TERRA_HOME_H
/*
 * TERRA_HOME (terra(7), The home): -H DIR, else $TERRA_HOME, else
 * $XDG_DATA_HOME/terra, else ~/.local/share/terra. Holds owner.key,
 * owner.pub, units/<unit>.key and terra.db. Created by terra_home_init
 * (terra-register init); every other command opens an existing one and is
 * told to run 'terra-register init' when there is none.
 */
#include "err.h"
#include "key.h"

#include <limits.h>
#include <sqlite3.h>

#define TERRA_OWNER_KEY "owner.key"
#define TERRA_OWNER_PUB "owner.pub"
#define TERRA_UNITS_DIR "units"

typedef struct terra_home {
	char dir[PATH_MAX];
	sqlite3 *db;
	terra_key owner; /* owner.sk only with TERRA_HOME_SECRET */
} terra_home;

enum {
	TERRA_HOME_SECRET = 1,  /* load owner.key too */
	TERRA_HOME_READONLY = 2 /* open terra.db read-only (no migration) */
};

/* Resolves the home directory from -H (may be NULL) and the environment. */
int terra_home_path(const char *opt_dir, char *out, size_t outlen, terra_err *e);
/* Creates the home; *created is 0 if a complete home already existed (nothing changed). */
int terra_home_init(const char *dir, int force, int *created, terra_err *e);
/* Opens an existing home: db, owner.pub, and owner.key with TERRA_HOME_SECRET. */
int terra_home_open(terra_home *h, const char *opt_dir, unsigned flags, terra_err *e);
void terra_home_close(terra_home *h);
/* Path of a file in the home ("units/<id>.key" etc.) into out. */
int terra_home_file(const terra_home *h, const char *rel, char *out, size_t outlen, terra_err *e);

#endif
