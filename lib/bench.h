#ifndef TERRA_BENCH_H
#define TERRA_BENCH_H
/*
 * Device benchmarks measured the way clpeak measures them: dependent
 * multiply-add chains at vector widths 1, 2, 4, 8 and 16, each kernel
 * sized until one run takes a few tens of milliseconds, the best of
 * several runs timed with OpenCL profiling events; global memory
 * bandwidth as float vectors read from a large buffer, both with
 * work-group-local and with global strides; launch latency as the median
 * queued-to-start time of an empty kernel. Each figure is the best width.
 * Quick mode tries only the device's preferred vector width, with shorter
 * runs and a smaller buffer.
 */
#include "err.h"

#include <CL/cl.h>
#include <stdint.h>

typedef struct terra_bench {
	int64_t fp32_mflops, fp64_mflops, int32_mops, mem_bw_mbps, launch_us;
} terra_bench;

typedef struct terra_bench_opts {
	int quick;
	/* Called before each part ("fp32", "bandwidth", ...); may be NULL. */
	void (*progress)(void *arg, const char *what);
	void *arg;
} terra_bench_opts;

/*
 * Benchmarks dev through a queue created with profiling enabled. fp64 is
 * measured only when the device has it (0 otherwise). A kernel that does
 * not build or a buffer the device refuses fails with e saying which.
 */
int terra_bench_run(cl_context ctx, cl_command_queue q, cl_device_id dev, const terra_bench_opts *o,
                    terra_bench *b, terra_err *e);

#endif
