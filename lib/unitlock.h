#ifndef TERRA_UNITLOCK_H
#define TERRA_UNITLOCK_H
/*
 * One process at a time signs usage for a unit: terra-run holds an
 * exclusive lock (flock(2)) on units/<unit>.lock in the home for every unit
 * it uses, and writes its pid there. Two runs on one unit would both sign
 * records with overlapping times, and the meter would refuse one of them.
 * The lock goes with the process: a run that dies leaves no stale lock.
 */
#include "err.h"
#include "home.h"

typedef struct terra_unitlock {
	int fd; /* -1: not held */
} terra_unitlock;

/*
 * Takes the unit's lock without waiting. Held by another process: kind
 * TERRA_E_BUSY, "unit 'X' is in use by another terra-run (pid N)".
 */
int terra_unitlock_take(const terra_home *h, const char *unit, terra_unitlock *l, terra_err *e);
void terra_unitlock_release(terra_unitlock *l);

#endif
