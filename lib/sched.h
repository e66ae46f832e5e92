#ifndef TERRA_SCHED_H
#define TERRA_SCHED_H
/*
 * terra-run's scheduler (terra-run(1)): one worker thread per eligible unit,
 * bound to its device's nearest NUMA node, each running one job at a time.
 * A job goes to the idle unit with the highest score that meets its
 * requirements, waiting for one when all such units are busy. Usage records
 * are signed by the unit's key, their seqs reserved in terra.db before use,
 * and written whole, one line at a time, under one lock.
 *
 * Eligible: registered, active, not reported sick in its unit record, and
 * its device (by fingerprint) present on this machine.
 */
#include "err.h"
#include "home.h"
#include "run.h"

#include <stdint.h>
#include <stdio.h>

typedef struct terra_sched_opts {
	const char *unit;      /* -u: only this unit; NULL: any eligible unit */
	int64_t deadline_mono; /* terra_time_mono() when the run ends; 0: none */
	int64_t interval_us;   /* interim usage every so often; 0: one record per job */
	int (*stop)(void);     /* nonzero: end the run (terra_stop_requested); NULL: never */
	FILE *out;
	const char *kernel_dir; /* --kernel-dir: kernel jobs' files only from there; NULL: none */
	/* A job that failed, called under the output lock (never NULL). */
	void (*on_error)(void *arg, const terra_err *e);
	void *arg;
} terra_sched_opts;

typedef struct terra_sched terra_sched;

/* Loads the units and starts their workers. Fails (unknown unit, retired
 * unit, no eligible unit) before any work. */
int terra_sched_open(terra_sched **s, terra_home *h, const terra_sched_opts *o, terra_err *e);
/*
 * Hands a job (its ownership too, even on failure) to a unit, waiting for
 * one to be idle. Fails without running it when no unit meets its
 * requirements, or when the run is ending (stop, deadline).
 */
int terra_sched_submit(terra_sched *s, terra_job *job, terra_err *e);
/*
 * Hands a copy of the job, pinned to its unit, to each unit that meets its
 * requirements, the best first (highest score, then lower id), at most
 * max_units of them (0: all): the job runs on every such unit at once, each
 * with its own signed usage. Takes ownership of job; *started (unless NULL)
 * is the number of copies handed out. Fails as terra_sched_submit does.
 */
int terra_sched_submit_each(terra_sched *s, terra_job *job, size_t max_units, size_t *started,
                            terra_err *e);
/* Waits for the jobs to end and stops the workers; returns the number of jobs that failed. */
int terra_sched_finish(terra_sched *s);
void terra_sched_close(terra_sched *s);
/* Writes a line passed through unchanged, under the output lock. */
int terra_sched_write_raw(terra_sched *s, const char *line, size_t len, terra_err *e);
/* Units the scheduler drives, for messages. */
size_t terra_sched_units(const terra_sched *s);

#endif
