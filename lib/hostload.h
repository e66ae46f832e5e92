#ifndef TERRA_HOSTLOAD_H
#define TERRA_HOSTLOAD_H
/*
 * How quiet the host was while this process measured something: the share
 * of the host's CPU time that other programs took, from the busy time of
 * /proc/stat (user, nice, system, irq, softirq) less this process's own
 * (getrusage, all its threads: a PoCL device's workers are among them),
 * over the wall time times the CPUs online. The same figure as
 * bench/score.sh's "others". It sees the host's CPUs only: a GPU shared
 * with another process slows its benchmark unseen (OpenCL has no query
 * for a device's other users).
 */
#include <stdint.h>

/* Share of the CPUs below which a host counts as quiet, in percent. */
#define TERRA_HOSTLOAD_QUIET_PCT 5

typedef struct terra_hostload {
	int64_t busy_us; /* the host's busy CPU time, from /proc/stat; -1: unreadable */
	int64_t self_us; /* this process's CPU time */
	int64_t wall_us; /* CLOCK_MONOTONIC */
} terra_hostload;

/* Notes the counters at the start of a measurement. */
void terra_hostload_start(terra_hostload *h);

/*
 * Others' share of the host's CPUs since terra_hostload_start, in percent
 * rounded to the nearest, 0 to 100; -1 when /proc/stat cannot be read.
 */
int terra_hostload_others_pct(const terra_hostload *h);

#endif
