#ifndef TERRA_WORKBENCH_H
#define TERRA_WORKBENCH_H
/*
 * The workloads benchmarked on a device the way terra-run runs them
 * (terra-probe(1), SCORE): sgemm's kernel (lib/sgemm.h) on the default job's
 * shape, k = n = 1024, one sample a panel of rows; and sha256d's scanner
 * (lib/sha256d.h), one sample a scan of about sample_us of device time.
 * Both are timed as terra-run meters busy time, by the device time of
 * their kernels (profiling events); after a warm-up sample, each figure is
 * the median of the better half of its samples, so a compile, or a sample
 * slowed by another program on the host, moves it little.
 */
#include "err.h"

#include <CL/cl.h>
#include <jansson.h>
#include <stdint.h>

typedef struct terra_workbench_opts {
	int samples;       /* timed samples per workload, 1 to TERRA_WORKBENCH_SAMPLES_MAX */
	int64_t sample_us; /* sha256d: device time a sample is sized to */
} terra_workbench_opts;

#define TERRA_WORKBENCH_SAMPLES_MAX 64

/* What terra-probe uses: quick or full. */
void terra_workbench_defaults(int quick, terra_workbench_opts *o);

typedef struct terra_workbench {
	int64_t sgemm_mflops; /* flops per microsecond of device time */
	int64_t sha256d_khps; /* thousands of double SHA-256 hashes per second */
} terra_workbench;

/* Runs both workloads on dev through q (a profiling queue). */
int terra_workbench_run(cl_context ctx, cl_command_queue q, cl_device_id dev,
                        const terra_workbench_opts *o, terra_workbench *w, terra_err *e);

/*
 * terra_probe_opts.work_bench: terra_workbench_run with the defaults of
 * quick or full, its figures added to bench as sgemm_mflops and
 * sha256d_khps.
 */
int terra_workbench_probe(void *arg, cl_context ctx, cl_command_queue q, cl_device_id dev,
                          int quick, json_t *bench, terra_err *e);

#endif
