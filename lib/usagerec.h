#ifndef TERRA_USAGEREC_H
#define TERRA_USAGEREC_H
/*
 * Usage records (terra-records(5)): what terra-run writes for each stretch
 * of a job on a unit. Built here whole or not at all, before the task adds
 * its result and evidence and the unit signs it; terra-meter reads them.
 */
#include "err.h"

#include <jansson.h>
#include <stdint.h>

typedef struct terra_usage_fields {
	const char *unit;
	const char *job;
	const char *workload;
	int64_t start_us, end_us; /* the stretch [start, end) */
	int64_t busy_us;
	int64_t work;
	int final;           /* the job's last record */
	const json_t *slurm; /* the Slurm job it ran in (slurm.h), or NULL */
} terra_usage_fields;

/* The unsigned usage record of u, without result, evidence and seq. */
int terra_usage_record(const terra_usage_fields *u, json_t **rec, terra_err *e);

#endif
