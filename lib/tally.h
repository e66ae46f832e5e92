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
/*
 * Adds the part [start, end) of a placed record, with the busy time and work
 * it has there, to the cells of `slot` (what the caller counts apart: the
 * meter's (unit, owner) pairs) of each period that part touches, split over
 * them as terra_meter_part does. -1: out of memory.
 */
int terra_tally_count(terra_tally *t, const terra_usage_verdict *u, uint32_t slot, int64_t start,
                      int64_t end, int64_t busy, int64_t work);

typedef struct terra_tally_cell {
	size_t slot;
	int64_t period;
	int64_t busy, work, records, first, last;
	int overflow; /* busy or work overflowed int64 */
	uint8_t root[TERRA_HASH_BYTES];
} terra_tally_cell;

/* Orders the cells by period then slot. -1: out of memory. */
int terra_tally_sort(terra_tally *t);
size_t terra_tally_cells(const terra_tally *t);
/* The i-th cell in that order, its root computed. */
void terra_tally_cell_at(const terra_tally *t, size_t i, terra_tally_cell *c);

#endif
