#ifndef TERRA_WORKBENCH_H
#define TERRA_WORKBENCH_H
/*
 * The workloads benchmarked on a device the way terra-run runs them
 * (terra-probe(1), SCORE): sgemm's kernel (lib/sgemm.h) on the default job's
 * shape, k = n = 1024, one sample a panel of rows; and sha256d's scanner
 * (lib/sha256d.h), one sample a scan of about sample_us of device time.
 * Both are timed as terra-run meters busy time, by the device time of
 * their kernels (profiling events), a sample of each in turn (so both see
 * the same host) until each has `samples` and `seconds` have passed; after
 * a warm-up sample, each figure is the median of the better half of its
 * samples, so a compile, or a sample slowed by another program on the
 * host, moves it little.
 */
#include "err.h"

#include <CL/cl.h>
#include <jansson.h>
#include <stdint.h>

typedef struct terra_workbench_opts {
	int samples;       /* timed samples per workload, at least: 1 to SAMPLES_MAX */
	int64_t sample_us; /* sha256d: device time a sample is sized to */
	int seconds;       /* and at least this long: 0 to SECONDS_MAX */
} terra_workbench_opts;

#define TERRA_WORKBENCH_SAMPLES_MAX  4096
#define TERRA_WORKBENCH_SECONDS_MAX  600
#define TERRA_WORKBENCH_FULL_SECONDS 10 /* terra-probe(1), Score: what agreement took here */

/* What terra-probe uses: quick or full. */
void terra_workbench_defaults(int quick, terra_workbench_opts *o);

typedef struct terra_workbench {
	int64_t sgemm_mflops; /* flops per microsecond of device time */
	int64_t sha256d_khps; /* thousands of double SHA-256 hashes per second */
	int samples;          /* samples of each workload */
} terra_workbench;

/* Runs both workloads on dev through q (a profiling queue). */
int terra_workbench_run(cl_context ctx, cl_command_queue q, cl_device_id dev,
                        const terra_workbench_opts *o, terra_workbench *w, terra_err *e);

/*
 * The defaults' overrides from the environment, TERRA_WORKBENCH_SAMPLES and
 * TERRA_WORKBENCH_SECONDS (for bench/score.sh: how many samples and seconds
 * a stable figure takes), -1 where unset; a value out of range fails
 * (TERRA_E_INPUT, naming the variable).
 */
typedef struct terra_workbench_env {
	int samples, seconds;
} terra_workbench_env;
int terra_workbench_env_read(terra_workbench_env *w, terra_err *e);

/*
 * terra_probe_opts.work_bench: terra_workbench_run with the defaults of
 * quick or full (arg, when not NULL, a terra_workbench_env over them), its
 * figures added to bench as sgemm_mflops, sha256d_khps and samples.
 */
int terra_workbench_probe(void *arg, cl_context ctx, cl_command_queue q, cl_device_id dev,
                          int quick, json_t *bench, terra_err *e);

#endif
