#ifndef TERRA_TALLY_H
#define TERRA_TALLY_H
/*
 * What the meter accumulates from verified usage records, in input order
 * (one thread): per unit, the seqs already counted (runs of consecutive
 * seqs with their busy time, and a ring of recent signatures to tell a
 * duplicate from a replay); per unit and period, the sums and the usage
 * root. Memory grows with units x periods and the gaps between seqs, not
 * with records. The sums are kept per slot: a unit whose owner changed has
 * one slot per owner.
 */
#include "merkle.h"
#include "usage.h"

#include <stddef.h>
#include <stdint.h>

/* Seqs per unit whose signatures are kept to tell a duplicate from a replay. */
#define TERRA_METER_SEQ_WINDOW 4096

typedef struct terra_tally terra_tally;

/* nunits units (indexes of terra_usage_verdict.unit); periods [from + k*every,
 * from + (k+1)*every) for k in [0, nperiods). */
terra_tally *terra_tally_new(size_t nunits, int64_t from, int64_t every, int64_t nperiods);
void terra_tally_free(terra_tally *t);

enum terra_tally_seq {
	TERRA_TALLY_NEW,            /* placed: count it */
	TERRA_TALLY_DUP,            /* the same record again */
	TERRA_TALLY_REPLAYED,       /* its seq was counted with another record */
	TERRA_TALLY_REPLAYED_OTHER, /* ... and the ring still holds that one */
	TERRA_TALLY_STARTS_EARLY,   /* starts before seq *other ends */
	TERRA_TALLY_ENDS_LATE,      /* ends after seq *other starts */
};

/* Places u's seq among its unit's. Returns an enum terra_tally_seq, -1 when
 * out of memory; *other is the seq it conflicts with. */
int terra_tally_seq(terra_tally *t, const terra_usage_verdict *u, int64_t *other);
/* The same verdict, u's seq not placed (TERRA_TALLY_NEW: terra_tally_seq will place it). */
int terra_tally_seq_peek(const terra_tally *t, const terra_usage_verdict *u, int64_t *other);

/* What a part of a record brings: its busy time, claimed work, proven work
 * and the busy time its evidence backs; for a kernel record, the busy time
 * its agreeing replicas credit (lib/replica.h) and what the record is to its
 * replicated job (enum terra_replica_class; 0: not replicated). */
typedef struct terra_tally_part {
	int64_t busy, work, proven, backed, replicated;
	int replica;
} terra_tally_part;
/*
 * Adds the part [start, end) of a placed record, with what it has there (p),
 * to the cells of `slot` (what the caller counts apart: the meter's (unit,
 * owner) pairs) of each period that part touches, split over them as
 * terra_meter_part does, with the sha256d nonces of that time. -1: out of
 * memory.
 */
int terra_tally_count(terra_tally *t, const terra_usage_verdict *u, uint32_t slot, int64_t start,
                      int64_t end, const terra_tally_part *p);

/* sha256d nonces credited in a period: [lo, hi) of the header SHA-256 id. */
typedef struct terra_tally_nonces {
	uint8_t id[32];
	int64_t ntime, lo, hi;
} terra_tally_nonces;

typedef struct terra_tally_cell {
	size_t slot;
	int64_t period;
	int64_t busy, work, records, first, last;
	int64_t proven[3]; /* by enum terra_workload: what the evidence proves, split like busy */
	int64_t kernel_us; /* busy time of kernel records not credited as replicated */
	int64_t replicated_us; /* busy time credited by agreeing replicas */
	/* records of replicated kernel jobs: credited, dissenting, unmatched */
	int64_t replica_records[3];
	int64_t backed; /* busy time the evidence backs */
	int overflow;   /* a sum overflowed int64 */
	uint8_t root[TERRA_HASH_BYTES];
	const terra_tally_nonces *nonces; /* sorted by id then lo, adjacent ranges joined */
	size_t nnonces;
} terra_tally_cell;

/* Orders the cells by period then slot. -1: out of memory. */
int terra_tally_sort(terra_tally *t);
size_t terra_tally_cells(const terra_tally *t);
/* The i-th cell in that order, its root computed. */
void terra_tally_cell_at(const terra_tally *t, size_t i, terra_tally_cell *c);

#endif
