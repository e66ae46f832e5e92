#ifndef TERRA_HEALTHLOG_H
#define TERRA_HEALTHLOG_H
/*
 * Units' health as history (schema 3, lib/db.c): every health observation
 * registered (terra-probe | terra-register) is kept, the newest
 * TERRA_HEALTH_KEEP per unit; older ones are dropped as new ones come.
 * A health record:
 *   {"type":"health","v":1,"unit","status","checked_at","reason"}
 * (reason: the checks that did not pass, "" when none).
 */
#include "err.h"

#include <jansson.h>
#include <sqlite3.h>

#define TERRA_HEALTH_KEEP 1000

/* One unit's health records, oldest first; unit NULL: every unit's, by unit. */
int terra_healthlog_rows(sqlite3 *db, const char *unit, json_t **rows, terra_err *e);

/* Sets "health" (status, or "unknown" when never observed) and
 * "health_at" ("" then) on each object of rows, found by its "unit". */
int terra_healthlog_annotate(sqlite3 *db, json_t *rows, terra_err *e);

/*
 * Keeps, of the kept health observations (ordered by unit, then as
 * registered), each unit's first and every one whose status differs from
 * the unit's one before: a unit probed every hour for a year and always ok
 * is one row, not 1,000, so the page stays small with many units, and every
 * sick or degraded period still shows where it starts and ends. Replaces
 * *rows (an array from terra_healthlog_rows).
 */
int terra_healthlog_changes(json_t **rows, terra_err *e);

#endif
