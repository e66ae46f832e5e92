#ifndef TERRA_SLURM_H
#define TERRA_SLURM_H
/*
 * Slurm, the scheduler of most GPU clusters, as terra-run and terra-meter
 * meet it (terra-run(1), terra-meter(1), terra-records(5)):
 *   - inside a job, the SLURM_* environment says which job, step and node,
 *     and which GPUs the job was given; terra-run uses exactly the units on
 *     those GPUs and signs the job into each usage record;
 *   - on the settlement side, Slurm's own job records (sacct --parsable2, or
 *     the jobcomp/filetxt log) say when each job ran and on which nodes, and
 *     a usage record that claims a job must lie within it.
 */
#include "err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define TERRA_SLURM_NAME_MAX 64

/* A Slurm job as its environment tells it; fields "" or 0 when unset. */
typedef struct terra_slurm_env {
	int active; /* SLURM_JOB_ID is set */
	int64_t job_id, array_job_id, array_task_id;
	int has_array;
	char step_id[24];                   /* SLURM_STEP_ID, else "batch" */
	char cluster[TERRA_SLURM_NAME_MAX]; /* SLURM_CLUSTER_NAME */
	char node[TERRA_SLURM_NAME_MAX];    /* SLURMD_NODENAME */
	char gpus[512];                     /* the GPUs allocated, as Slurm listed them */
	const char *gpus_from;              /* the variable they came from; NULL: no GRES */
} terra_slurm_env;

/*
 * Reads the job from getenv. Not in a job is 0 with s->active 0. A variable
 * Slurm would never write ("SLURM_JOB_ID 'x'") fails with TERRA_E_INPUT.
 * The GPUs come from SLURM_STEP_GPUS or SLURM_JOB_GPUS (the node's GPU
 * numbers), else CUDA_VISIBLE_DEVICES, ROCR_VISIBLE_DEVICES or
 * GPU_DEVICE_ORDINAL.
 */
int terra_slurm_from_env(terra_slurm_env *s, terra_err *e);

/*
 * Which of n units are the job's. pci[i] is unit i's device PCI bus id
 * ("0000:65:00.0"), NULL or "" for a unit on no GPU. Without GRES every
 * unit is the job's. With it, each GPU Slurm names, a PCI bus id or a
 * number (the node's GPUs numbered in PCI bus id order, as the driver
 * numbers them), must be one unit's; only those units are the job's.
 * Sets mine[i] to 1 or 0. Fails with TERRA_E_NOTFOUND naming a GPU no unit
 * is on, TERRA_E_INPUT for a GPU Slurm named in a form not understood.
 */
int terra_slurm_units(const terra_slurm_env *s, const char *const *pci, size_t n,
                      unsigned char *mine, terra_err *e);

/* The "slurm" object of a usage record (terra-records(5)); NULL: no memory. */
json_t *terra_slurm_json(const terra_slurm_env *s);

/*
 * Slurm's job records, and usage records checked against them (terra-meter
 * --slurm). The file is sacct --parsable2 output with a header line naming
 * at least JobIDRaw (or JobID), Start, End and NodeList (Cluster when
 * there), or a jobcomp/filetxt log (JobId=, StartTime=, EndTime=,
 * NodeList=, Cluster=). Times without a zone are the local time of TZ.
 */
typedef struct terra_slurm_jobs terra_slurm_jobs;

/* Loads path; a bad line fails with TERRA_E_INPUT "PATH:LINE: why". */
int terra_slurm_jobs_load(terra_slurm_jobs **j, const char *path, terra_err *e);
void terra_slurm_jobs_free(terra_slurm_jobs *j);
size_t terra_slurm_jobs_count(const terra_slurm_jobs *j);

/*
 * Checks one verified usage record (its line, its unit, its [start, end) in
 * microseconds) in input order. A record without a "slurm" object is no
 * claim, and passes. Returns NULL when it passes, else a malloc'd
 * "usage record: why" (or "" when out of memory): the job is not in the
 * file, the record's node is not one of the job's, it lies outside the
 * job's start and end, or the unit was already counted busy in another job
 * at the same time.
 */
char *terra_slurm_check(void *jobs, const char *line, size_t len, const char *unit, int64_t start,
                        int64_t end);

#endif
