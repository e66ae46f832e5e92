#ifndef TERRA_DRYRUN_H
#define TERRA_DRYRUN_H
/*
 * Dry runs (-n): the command runs as usual against a private in-memory copy
 * of the home's database, so what it would append is computed by the very
 * code that appends it, and the home is not changed. Only for changes that
 * write nothing but the database (transfer, retire, pay).
 */
#include "err.h"
#include "home.h"

/* Replaces h->db by an in-memory copy of it (one consistent snapshot); the
 * home's database is closed. terra_home_close then drops the copy. */
int terra_dryrun_begin(terra_home *h, terra_err *e);

#endif
