#ifndef TERRA_JOB_H
#define TERRA_JOB_H
/*
 * Job records (terra-records(5)): checked into a terra_job, and built from
 * terra-run's -w options, so both come through the same checks.
 */
#include "err.h"
#include "pow.h" /* TERRA_SHARE_BITS_MAX */

#include <jansson.h>
#include <stdint.h>

enum terra_workload { TERRA_WL_SHA256D = 0, TERRA_WL_SGEMM, TERRA_WL_KERNEL };

#define TERRA_SHARE_BITS_DEFAULT 24
/* Most replicas a kernel job may ask for (terra-records(5), job). */
#define TERRA_REPLICAS_MAX 8

typedef struct terra_job {
	char *id;
	enum terra_workload workload;
	json_t *params;        /* the record's params object (a reference), never NULL */
	int64_t min_mem_bytes; /* requires: 0 any */
	int fp64;              /* requires: 1 needs fp64, 0 any */
	char kind[16];         /* requires: "" any, else gpu, cpu or accelerator */
	char unit[64];         /* "" any unit */
	int64_t seconds;       /* 0: no time bound */
	int64_t work;          /* 0: no work bound */
	int replicas;          /* kernel: run on this many distinct units; 1 otherwise */
	/* SHA-256 over the record's canonical form less its "unit": the same on
	 * every replica of the job, whichever unit it is pinned to */
	uint8_t digest[32];
} terra_job;

const char *terra_workload_name(enum terra_workload w);
int terra_workload_parse(const char *name, enum terra_workload *w, terra_err *e);

/* Checks a job record's fields and fills job (free with terra_job_free). */
int terra_job_from_record(const json_t *rec, terra_job *job, terra_err *e);
void terra_job_free(terra_job *job);

/* What terra-run's -w options say about a job; unset fields are NULL or 0. */
typedef struct terra_job_spec {
	const char *workload;
	const char *id;      /* NULL: WORKLOAD-TIME of now_us */
	const char *params;  /* JSON object text, or NULL */
	const json_t *extra; /* workload options, merged into params; may be NULL */
	const char *kind;
	int64_t min_mem_bytes;
	int fp64;
	int64_t work;
	int64_t replicas; /* 0 or 1: not replicated */
	int64_t now_us;
} terra_job_spec;

/*
 * terra-run's workload option --OPTION ARG (header, nonce-start, share-bits,
 * size, seed) into the params object: a bad ARG fails with TERRA_E_INPUT,
 * "--OPTION 'ARG': expected ...".
 */
int terra_job_param(json_t *params, const char *option, const char *arg, terra_err *e);

/* Builds the job record of spec and checks it as terra_job_from_record
 * does (*rec to json_decref). Nothing half-built is returned. */
int terra_job_record(const terra_job_spec *spec, json_t **rec, terra_err *e);

#endif
