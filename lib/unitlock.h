#ifndef TERRA_UNITLOCK_H
#define TERRA_UNITLOCK_H
/*
 * One process at a time uses a unit: terra-run holds an exclusive lock
 * (flock(2)) on units/<unit>.lock in the home for every unit it uses, and
 * writes "PID PROGRAM" there. Two runs on one unit would both sign records
 * with overlapping times, and the meter would refuse one of them. terra-probe
 * takes the same lock while it measures a unit's device, and reports the unit
 * "busy" instead of measuring it when a run holds it, so a benchmark never
 * competes with paid work. The lock goes with the process: one that dies
 * leaves no stale lock.
 */
#include "err.h"
#include "home.h"

typedef struct terra_unitlock {
	int fd; /* -1: not held */
} terra_unitlock;

/*
 * Takes the unit's lock without waiting, for the program me ("terra-run").
 * Held by another process: kind TERRA_E_BUSY, "unit 'X' is in use by
 * another terra-run (pid N, lock 'FILE')" ("by terra-probe (pid N, ...)"
 * when the holder is another program). Only h->dir is used.
 */
int terra_unitlock_take(const terra_home *h, const char *unit, const char *me, terra_unitlock *l,
                        terra_err *e);
void terra_unitlock_release(terra_unitlock *l);

/*
 * Who holds the unit's lock, without touching it (a lock taken to find out
 * would turn away a run starting at that moment): the holder's pid and
 * program from the lock file when the kernel's list of locks
 * (/proc/locks) has a lock on that file; 0 and "" when none holds it.
 */
long terra_unitlock_holder(const terra_home *h, const char *unit, char *who, size_t who_size);

#endif
