#include "split.h"

#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

static void rem_swap(u128 *a, u128 *b)
{
	u128 t = *a;

	*a = *b;
	*b = t;
}

static int rem_desc(const void *pa, const void *pb)
{
	u128 a = *(const u128 *)pa, b = *(const u128 *)pb;

	return a > b ? -1 : a < b;
}

/*
 * The k-th largest of r[0..n) (1 <= k <= n), reordering r: quickselect with
 * a median-of-three pivot and a three-way partition (many equal remainders
 * are common: equal balances), falling back to sorting the range when the
 * partitions keep coming out lopsided. O(n) expected, O(n log n) worst.
 */
static u128 select_kth(u128 *r, size_t n, size_t k)
{
	size_t lo = 0, hi = n, want = k - 1;
	int budget = 2 * 64;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2, gt = lo, i = lo, lt = hi;
		u128 a = r[lo], b = r[mid], c = r[hi - 1], pivot;

		if (budget-- == 0) {
			qsort(r + lo, hi - lo, sizeof *r, rem_desc);
			return r[want];
		}
		pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
		/* [lo, gt) > pivot, [gt, i) == pivot, [lt, hi) < pivot */
		while (i < lt) {
			if (r[i] > pivot)
				rem_swap(&r[gt++], &r[i++]);
			else if (r[i] < pivot)
				rem_swap(&r[i], &r[--lt]);
			else
				i++;
		}
		if (want < gt)
			hi = gt;
		else if (want < lt)
			return pivot;
		else
			lo = lt;
	}
	return r[want];
}

#define SELECT_BITS 11

/*
 * The k-th largest of r[0..n), every one below total, reordering r: the
 * remainders counted by their top bits first (a pass without a branch to
 * mispredict), then only those in the bucket that holds it selected among.
 */
static u128 kth_largest(u128 *r, size_t n, size_t k, u128 total)
{
	size_t count[1 << SELECT_BITS] = {0}, above = 0, i, m = 0, b;
	int shift = 0;
	u128 top = total - 1;

	while (top >> shift >> SELECT_BITS)
		shift++;
	for (i = 0; i < n; i++)
		count[(size_t)(r[i] >> shift)]++;
	for (b = (1 << SELECT_BITS) - 1; above + count[b] < k; b--)
		above += count[b];
	for (i = 0; i < n; i++)
		if ((size_t)(r[i] >> shift) == b)
			r[m++] = r[i];
	return select_kth(r, m, k - above);
}

/* An item whose remainder ties with the last one to get a unit. */
struct tie {
	const char *id;
	size_t index;
};

/* Smaller id first; the index only orders duplicate ids. */
static int tie_cmp(const void *pa, const void *pb)
{
	const struct tie *a = pa, *b = pb;
	int c = strcmp(a->id, b->id);

	if (c)
		return c;
	return a->index < b->index ? -1 : a->index > b->index;
}

/*
 * Gives one unit to each of the `need` first ties by id. They come in item
 * order, which is id order for sorted items (holders, units): then the first
 * ones are the answer; otherwise they are sorted.
 */
static void give_ties(terra_split_item *items, struct tie *t, size_t nt, size_t need)
{
	size_t i;

	for (i = 1; i < nt && need < nt; i++)
		if (strcmp(t[i - 1].id, t[i].id) >= 0) {
			qsort(t, nt, sizeof *t, tie_cmp);
			break;
		}
	for (i = 0; i < need; i++)
		items[t[i].index].amount++;
}

int terra_split_run(int64_t pool, terra_split_item *items, size_t n, int64_t *left, terra_err *e)
{
	u128 total = 0, *rem = NULL, last;
	struct tie *ties;
	int64_t given = 0;
	size_t i, nr = 0, nt = 0, extra, above = 0;

	*left = 0;
	if (pool < 0)
		return terra_err_set(e, TERRA_E_INPUT, "split: negative pool");
	for (i = 0; i < n; i++) {
		items[i].amount = 0;
		if (items[i].weight < 0)
			return terra_err_set(e, TERRA_E_INPUT, "split: '%s' has a negative weight",
			                     items[i].id);
		total += (u128)items[i].weight;
	}
	if (total == 0) {
		*left = pool;
		return 0;
	}
	/* a remainder per item, or a tie: the larger of the two */
	rem = malloc((n ? n : 1) * (sizeof *rem > sizeof *ties ? sizeof *rem : sizeof *ties));
	if (!rem)
		return terra_err_sys(e, "split: %zu items", n);
	for (i = 0; i < n; i++) {
		u128 prod = (u128)pool * (u128)items[i].weight;
		u128 q = prod / total, r = prod - q * total;

		/* q <= pool because weight <= total, so it fits, as does the sum below. */
		items[i].amount = (int64_t)q;
		given += (int64_t)q;
		if (r)
			rem[nr++] = r;
	}
	/*
	 * Sum of remainders = (pool - given) * total, each < total: fewer units
	 * left than nr. They go to the items whose remainder is above the
	 * extra-th largest, `last`, then to those equal to it, by id.
	 */
	extra = (size_t)(pool - given);
	if (extra == 0)
		goto out;
	last = kth_largest(rem, nr, extra, total);
	/* the remainders are done with: their room holds the ties */
	ties = (struct tie *)(void *)rem;
	for (i = 0; i < n; i++) {
		u128 r = (u128)pool * (u128)items[i].weight - (u128)items[i].amount * total;

		if (r > last) {
			items[i].amount++;
			above++;
		} else if (r == last) {
			ties[nt].id = items[i].id;
			ties[nt].index = i;
			nt++;
		}
	}
	give_ties(items, ties, nt, extra - above);
out:
	free(rem);
	return 0;
}

/*
 * Splits amount over pieces of the given lengths, summing to total, by
 * largest remainder: each gets floor(amount * len / total), and the units
 * left over go one each to the largest remainders, ties to the earlier.
 */
void terra_split_lengths(int64_t amount, const int64_t *len, size_t n, int64_t total, int64_t *out,
                         terra_u128 *rem)
{
	int64_t left = amount;
	size_t i, best;

	for (i = 0; i < n; i++) {
		u128 x = (u128)amount * (u128)len[i];

		out[i] = (int64_t)(x / (u128)total);
		rem[i] = x % (u128)total;
		left -= out[i];
	}
	for (; left > 0; left--) {
		for (best = 0, i = 1; i < n; i++)
			if (rem[i] > rem[best])
				best = i;
		out[best]++;
		rem[best] = 0;
	}
}

/* ---- items in id order, no scratch ------------------------------------------ */

struct ordered {
	int64_t pool;
	const char *w; /* weight i at w + i * stride */
	size_t stride, n;
	u128 total;
};

static int64_t ordered_weight(const struct ordered *o, size_t i)
{
	int64_t w;

	memcpy(&w, o->w + i * o->stride, sizeof w);
	return w;
}

/* Item i's remainder, pool * weight mod total. */
static u128 ordered_rem(const struct ordered *o, size_t i)
{
	return (u128)o->pool * (u128)ordered_weight(o, i) % o->total;
}

#define ORDERED_SMALL 4096

/*
 * The k-th largest remainder (1 <= k <= the number of non-zero ones): the
 * remainders below total have `bits` significant bits; each pass counts,
 * among those that share the bits already chosen (prefix, above pshift), the
 * next 11 bits, and keeps the bucket that holds the k-th. Once few enough
 * share the prefix they are gathered and selected among.
 */
static int ordered_kth(const struct ordered *o, size_t k, u128 *kth, terra_err *e)
{
	size_t count[1 << SELECT_BITS], i, b, m;
	u128 prefix = 0, *few;
	int pshift = 0;

	while (pshift < 127 && (o->total - 1) >> pshift)
		pshift++;
	while (pshift > 0) {
		int take = pshift < SELECT_BITS ? pshift : SELECT_BITS, shift = pshift - take;
		size_t above = 0;

		memset(count, 0, sizeof count);
		for (i = 0; i < o->n; i++) {
			u128 r = ordered_rem(o, i);

			if (r >> pshift == prefix)
				count[(size_t)(r >> shift) & (((size_t)1 << take) - 1)]++;
		}
		for (b = ((size_t)1 << take) - 1; above + count[b] < k; b--)
			above += count[b];
		k -= above;
		prefix = prefix << take | b;
		pshift = shift;
		if (pshift == 0 || count[b] > ORDERED_SMALL)
			continue;
		if (!(few = malloc(count[b] * sizeof *few)))
			return terra_err_sys(e, "split: %zu remainders", count[b]);
		for (i = 0, m = 0; i < o->n; i++) {
			u128 r = ordered_rem(o, i);

			if (r >> pshift == prefix)
				few[m++] = r;
		}
		*kth = select_kth(few, m, k);
		free(few);
		return 0;
	}
	*kth = prefix;
	return 0;
}

int terra_split_ordered(int64_t pool, const void *weights, size_t stride, size_t n, int64_t *amount,
                        int64_t *left, terra_err *e)
{
	struct ordered o = {pool, weights, stride, n, 0};
	terra_split_cut cut;

	if (terra_split_ordered_cut(pool, weights, stride, n, &cut, left, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		amount[i] = terra_split_cut_amount(&cut, ordered_weight(&o, i), i);
	return 0;
}

int terra_split_ordered_cut(int64_t pool, const void *weights, size_t stride, size_t n,
                            terra_split_cut *cut, int64_t *left, terra_err *e)
{
	struct ordered o = {pool, weights, stride, n, 0};
	int64_t given = 0;
	size_t i, extra, above = 0;

	*left = 0;
	*cut = (terra_split_cut){pool, 0, 0, 0};
	if (pool < 0)
		return terra_err_set(e, TERRA_E_INPUT, "split: negative pool");
	for (i = 0; i < n; i++) {
		int64_t w = ordered_weight(&o, i);

		if (w < 0)
			return terra_err_set(e, TERRA_E_INPUT,
			                     "split: item %zu has a negative weight", i + 1);
		o.total += (u128)w;
	}
	if (o.total == 0) {
		*left = pool;
		return 0;
	}
	cut->total = o.total;
	for (i = 0; i < n; i++)
		given += (int64_t)((u128)pool * (u128)ordered_weight(&o, i) / o.total);
	extra = (size_t)(pool - given);
	/* no unit more to anyone: no remainder reaches total */
	cut->last = o.total;
	if (extra == 0)
		return 0;
	if (ordered_kth(&o, extra, &cut->last, e) < 0)
		return -1;
	for (i = 0; i < n; i++)
		above += ordered_rem(&o, i) > cut->last;
	/* the ties to the last remainder paid, in item (id) order, up to extra */
	for (i = 0; i < n && above < extra; i++)
		if (ordered_rem(&o, i) == cut->last)
			above++;
	cut->tie_end = i;
	return 0;
}

int64_t terra_split_cut_amount(const terra_split_cut *cut, int64_t weight, size_t i)
{
	u128 x, q, r;

	if (!cut->total)
		return 0;
	x = (u128)cut->pool * (u128)weight;
	q = x / cut->total;
	r = x - q * cut->total;
	return (int64_t)q + (r > cut->last || (r == cut->last && i < cut->tie_end));
}
