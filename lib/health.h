#ifndef TERRA_HEALTH_H
#define TERRA_HEALTH_H
/*
 * Device health. Checks are JSON objects {name, status "ok"|"fail"|"skip",
 * detail} appended to an array, as the device record carries them:
 *   known-answer  integer and float kernels whose results the host checks
 *   memory        a pattern written by the device over a share of its
 *                 memory, read back and checked by the host, then inverted
 *   baseline      measured figures against the unit's registered baseline
 *   bench         the benchmarks themselves (a kernel that did not build,
 *                 a buffer the device refused)
 * A failed baseline check makes a device "degraded"; any other failed
 * check makes it "sick".
 */
#include "bench.h"
#include "err.h"

#include <CL/cl.h>
#include <jansson.h>

/* A device is degraded below this share of a registered figure. */
#define TERRA_HEALTH_DEGRADED_PCT 80

/* Appends a check; returns -1 (and fills e) only when memory runs out. */
int terra_health_add(json_t *checks, const char *name, const char *status, const char *detail,
                     terra_err *e);

/*
 * Runs the known-answer and memory checks on dev (mem_percent of its
 * global memory, at most one allocation; 0 skips the memory check). A
 * device that fails a check is not an error: the check says "fail".
 */
int terra_health_run(cl_context ctx, cl_command_queue q, cl_device_id dev, int mem_percent,
                     json_t *checks, terra_err *e);

/*
 * Compares a device's bench object with its registered baseline (a unit's
 * bench object): sgemm_mflops or sha256d_khps (the workloads' figures,
 * lib/workbench.h) below TERRA_HEALTH_DEGRADED_PCT percent of the baseline
 * fail the check; the clpeak-style figures are not judged. others_pct is
 * the share of the host's CPUs other programs took while a CPU device was
 * measured (hostload.h), -1 for any other device or when unknown: from
 * TERRA_HOSTLOAD_QUIET_PCT up, figures below the baseline are the load's,
 * not the device's, so the check is skipped, saying so, and *busy set (the
 * device is "busy", not "degraded").
 */
int terra_health_baseline(const json_t *bench, const json_t *baseline, int others_pct,
                          json_t *checks, int *busy, terra_err *e);

/* "ok", "degraded" or "sick" for a checks array. */
const char *terra_health_status(const json_t *checks);

#endif
