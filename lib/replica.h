#ifndef TERRA_REPLICA_H
#define TERRA_REPLICA_H
/*
 * Replicated kernel jobs (terra-meter(1), Replicas): the records of a job
 * that asked for N replicas are held until the whole input is read, then
 * judged together. A job is one job digest and replica count; a unit's
 * replica of it is its records of the job, its result that of its final
 * record. The job is credited when one result is held by at least N units,
 * of at least min(N, the registry's owners) owners, and by units of more
 * than half of the owners of units with a final record; each of those units
 * is credited
 * min over them of (score x busy time) / its own score, spread over its
 * records of the job by busy time. Every other record of the job is
 * dissenting (its unit's result is another) or unmatched.
 */
#include "unit.h"
#include "usage.h"

#include <stddef.h>
#include <stdint.h>

enum terra_replica_class {
	TERRA_REPLICA_NONE = 0,   /* not a record of a replicated job */
	TERRA_REPLICA_CREDITED,   /* in the agreeing group */
	TERRA_REPLICA_DISSENTING, /* its unit's result is not the agreeing one, or none agree */
	TERRA_REPLICA_UNMATCHED,  /* too few replicas, owners or final records to agree */
};

typedef struct terra_replica {
	terra_usage_verdict u; /* as checked (u.msg NULL) */
	char unit_id[TERRA_UNIT_ID_HEX];
	char owner_hex[TERRA_PK_HEX];
	int64_t score;
	size_t order;     /* the order it was held in */
	int64_t credited; /* judged: the busy time credited to it */
	int cls;          /* judged: enum terra_replica_class */
} terra_replica;

typedef struct terra_replicas {
	terra_replica *r;
	size_t n, cap;
} terra_replicas;

/* Holds a record (its unit, the unit's owner at its start, its score). -1: out of memory. */
int terra_replicas_hold(terra_replicas *rs, const terra_usage_verdict *u, const char *unit_id,
                        const char *owner_hex, int64_t score);
/*
 * Judges every job held, `owners` the distinct owners of the registry's
 * units; note(ctx, msg) is called once per job and unit not credited, with
 * why. The records are left in the order they were held. -1: out of memory.
 */
int terra_replicas_judge(terra_replicas *rs, size_t owners,
                         void (*note)(void *ctx, const char *msg), void *ctx);
void terra_replicas_free(terra_replicas *rs);

#endif
