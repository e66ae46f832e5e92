#ifndef TERRA_METERINT_H
#define TERRA_METERINT_H
/*
 * The meter's state, shared by lib/meter.c (units and usage in) and
 * lib/meterout.c (replicated jobs judged, meter records out). Nothing else
 * includes it.
 */
#include "key.h"
#include "meterio.h"
#include "paid.h"
#include "replica.h"
#include "tally.h"

#include <stddef.h>
#include <stdint.h>

struct version;

/* A unit from its latest version, with the owners of its chain. */
struct munit {
	terra_usage_unit c; /* first: the checks see an array of these (lib/usage.h) */
	int64_t score;
	size_t epoch0, nepochs; /* its owners in time, in m->epochs */
	size_t key0;            /* with c.nkeys: its keys, in m->keys */
};

/* From `from` on (INT64_MIN for the first), the unit is owned by slot's owner. */
struct epoch {
	int64_t from;
	uint32_t slot;
};

/* A (unit, owner) pair: one meter record per period. */
struct slot {
	size_t unit;
	char owner_hex[TERRA_PK_HEX];
};

struct terra_meter {
	terra_meter_opts o;
	int64_t nperiods;
	struct version *vers; /* every version given, until units_settle */
	size_t nvers, capvers;
	struct munit *units;
	size_t nunits;
	struct epoch *epochs;
	struct slot *slots;
	size_t nepochs, nslots;
	terra_usage_key *keys; /* of the units whose key was rotated */
	size_t nkeys;
	int units_sorted;
	int fed; /* usage read: the unit table is fixed */
	long unit_order;
	terra_tally *tally;
	long bad;
	const terra_key *signer;
	terra_meter_rates rates;
	terra_paid *paid; /* sha256d nonces counted in this run or paid before */
	int64_t horizon_s;
	terra_meter_io io;       /* the last feed's: replicated jobs are reported through it */
	terra_replicas replicas; /* records of replicated kernel jobs, held until all are read */
	int judged;              /* replicas judged and counted */
};

/*
 * Counts a placed record, backed of its busy time backed by evidence,
 * replicated of it credited by agreeing replicas and replica its enum
 * terra_replica_class. -1: out of memory.
 */
int terra_meter_count(struct terra_meter *m, const terra_usage_verdict *u, int64_t backed,
                      int64_t replicated, int replica);

#endif
