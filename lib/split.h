#ifndef TERRA_SPLIT_H
#define TERRA_SPLIT_H
/*
 * Exact proportional split by largest remainder (terra-settle(1), The
 * split), in integer base units with 128-bit intermediates.
 *
 * Each item first gets q = floor(pool * weight / W), W the sum of the
 * weights; the base units left over (fewer than the number of items with a
 * non-zero remainder) go one each to the items with the largest remainders
 * pool * weight mod W, ties broken by id, bytewise ascending. So:
 *   - the amounts sum exactly to pool;
 *   - every amount is within one base unit of pool * weight / W (below it
 *     by less than one, or above it by less than one);
 *   - an item of weight 0 gets 0;
 *   - the result depends on the set of (id, weight) pairs, not their order.
 * pool <= INT64_MAX and weights <= INT64_MAX: every intermediate fits in
 * 128 bits, so the split itself cannot overflow.
 */
#include "err.h"

#include <stddef.h>
#include <stdint.h>

typedef struct terra_split_item {
	const char *id; /* tie-break key; ids must be distinct */
	int64_t weight; /* >= 0 */
	int64_t amount; /* out: this item's part */
} terra_split_item;

/*
 * Splits pool (>= 0) over items[0..n) by weight. When n is 0 or every
 * weight is 0, all amounts are 0 and *left is pool (the caller sends it to
 * the carry account); otherwise *left is 0. A negative pool or weight is
 * TERRA_E_INPUT. Allocates one scratch array (no allocation per item).
 */
int terra_split_run(int64_t pool, terra_split_item *items, size_t n, int64_t *left, terra_err *e);

/*
 * The same split for items whose ids are distinct and already in ascending
 * order (a sorted holders snapshot), so that ties go to the earlier item:
 * weight i is the int64_t at (const char *)weights + i * stride, its part
 * goes to amount[i]. No id is read and nothing of n's size is allocated:
 * the remainders are recomputed in a few passes instead of kept (the k-th
 * largest found by its bits, 11 at a time). The same amounts and *left as
 * terra_split_run on those items: terra_split_ordered_cut's, written out.
 */
int terra_split_ordered(int64_t pool, const void *weights, size_t stride, size_t n, int64_t *amount,
                        int64_t *left, terra_err *e);

/*
 * terra_split_ordered without the amounts: what decides them, so that item
 * i's amount is recomputed from its weight when it is needed
 * (terra_split_cut_amount) instead of kept, 8 bytes an item. The same
 * amounts and *left as terra_split_ordered.
 */
__extension__ typedef unsigned __int128 terra_u128;
typedef struct terra_split_cut {
	int64_t pool;
	terra_u128 total; /* the weights' sum; 0: every amount is 0 */
	/* one unit more to the items whose remainder is above last, and to
	 * those whose remainder equals it and index is below tie_end */
	terra_u128 last;
	size_t tie_end;
} terra_split_cut;
int terra_split_ordered_cut(int64_t pool, const void *weights, size_t stride, size_t n,
                            terra_split_cut *cut, int64_t *left, terra_err *e);
int64_t terra_split_cut_amount(const terra_split_cut *cut, int64_t weight, size_t i);

/*
 * Splits amount over n pieces of the given lengths, summing to total, by
 * largest remainder, ties to the earlier: how the meter shares a record's
 * busy time and work between the owners of its time. rem: n remainders
 * of scratch.
 */
void terra_split_lengths(int64_t amount, const int64_t *len, size_t n, int64_t total, int64_t *out,
                         terra_u128 *rem);

#endif
