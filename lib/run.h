#ifndef TERRA_RUN_H
#define TERRA_RUN_H
/*
 * Jobs and the workloads that run them (terra-run(1)). A job comes from a job
 * record or from terra-run's options; a task is one job running on one
 * OpenCL device, advanced in short steps so time bounds, signals and
 * interim usage records are honoured between them. Each stretch of steps
 * ends in the result and evidence of a usage record (terra-records(5)).
 */
#include "err.h"
#include "job.h"

#include <CL/cl.h>
#include <jansson.h>
#include <stdint.h>

typedef struct terra_task terra_task;

/* Context of the task: where it runs and who runs it (the default sha256d
 * header derives from unit, job id and start time). */
typedef struct terra_task_env {
	cl_context ctx;
	cl_device_id dev;
	cl_command_queue queue; /* with profiling enabled */
	const char *unit;
	int64_t start_us;
	const char *kernel_dir; /* where kernel jobs' files may be; NULL: none (kernelrun.h) */
	const char *home_dir;   /* never a kernel file from there (may be NULL) */
} terra_task_env;

/* Builds the workload's kernel and inputs; errors name the job's params. */
int terra_task_open(terra_task **t, const terra_job *job, const terra_task_env *env, terra_err *e);
void terra_task_close(terra_task *t);
/* One step of at most max_work units of work (0: no bound), sized to end
 * within about budget_us where the workload can tell (0: its own step). */
int terra_task_step(terra_task *t, int64_t max_work, int64_t budget_us, int64_t *work,
                    int64_t *busy_us, terra_err *e);
/* 1 when the job's work is all done (sha256d never is, unless bounded). */
int terra_task_done(const terra_task *t);
/* 1 when the stretch holds so many shares that its record must end now
 * (a record line stays well under TERRA_LINE_MAX). */
#define TERRA_TASK_SHARES_MAX 40000
int terra_task_full(const terra_task *t);
/* Ends a stretch: sets "result" and "evidence" of the usage record rec. */
int terra_task_take(terra_task *t, json_t *rec, terra_err *e);

#endif
