#ifndef TERRA_PROBE_H
#define TERRA_PROBE_H
/*
 * terra-probe's work: describe the machine and its OpenCL devices, measure
 * them, and build the host and device records (terra-probe(1),
 * terra-records(5)).
 *
 * Everything measured or queried first becomes a recording, the same
 * structure --record writes and --replay reads, and the records are built
 * from it alone; so a replayed recording yields exactly the records the
 * live run that wrote it would have. The recording is newline-delimited
 * JSON (terra-probe(1), REPLAY FORMAT):
 *   {"type":"probe-host","v":1,"host":...,"machine":...}
 *   {"type":"probe-topology","v":1,"xml":"<hwloc XML>"} or "xml_file":PATH
 *   {"type":"probe-platform","v":1,"platform":N,"name":...,...}
 *   {"type":"probe-device","v":1,"platform":N,"device":M,<properties>,
 *    "bench":{...},"checks":[...]}
 */
#include "err.h"

#include <CL/cl.h>
#include <jansson.h>

enum terra_probe_bench {
	TERRA_PROBE_BENCH_FULL = 0,
	TERRA_PROBE_BENCH_QUICK,
	TERRA_PROBE_BENCH_NONE
};

typedef struct terra_probe_opts {
	enum terra_probe_bench bench;
	int mem_percent;    /* share of device memory the pattern test covers */
	int device;         /* probe only this device index; -1 all */
	const char *replay; /* a recording to read instead of the hardware */
	const char *record; /* where to write the recording of a live run */
	const char *home;   /* -H DIR or NULL: where registered baselines are */
	/*
	 * Benchmarks of the workloads themselves (lib/workbench.h, a layer up:
	 * the command passes terra_workbench_probe), run after the clpeak-style
	 * figures and adding theirs to bench; NULL leaves them out. A failure
	 * is the device's "bench" check failing.
	 */
	int (*work_bench)(void *arg, cl_context ctx, cl_command_queue q, cl_device_id dev,
	                  int quick, json_t *bench, terra_err *e);
	void *work_arg;
	/* Progress of a live run; may be NULL. */
	void (*progress)(void *arg, int device, const char *what);
	void *arg;
} terra_probe_opts;

typedef struct terra_probe_result {
	json_t *host;    /* host record; NULL when there is no device */
	json_t *devices; /* array of device records, in probe order */
	json_t *notes;   /* array of strings for stderr ("no OpenCL platform") */
	int unhealthy;   /* devices whose health is not "ok" */
} terra_probe_result;

/* Fails only when nothing can be probed: a bad recording, no memory, a
 * bad -d; a failing device is reported in its record instead. */
int terra_probe_run(const terra_probe_opts *o, terra_probe_result *res, terra_err *e);
void terra_probe_result_free(terra_probe_result *res);

#endif
