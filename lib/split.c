#include "split.h"

#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

/* An item that may receive one of the leftover base units. */
struct cand {
	u128 rem;
	const char *id;
	size_t index;
};

/* Larger remainder first, then smaller id; the index only orders duplicate ids. */
static int cand_before(const struct cand *a, const struct cand *b)
{
	int c;

	if (a->rem != b->rem)
		return a->rem > b->rem;
	c = strcmp(a->id, b->id);
	if (c)
		return c < 0;
	return a->index < b->index;
}

static int cand_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;

	if (cand_before(a, b))
		return -1;
	return cand_before(b, a) ? 1 : 0;
}

static void cand_swap(struct cand *a, struct cand *b)
{
	struct cand t = *a;

	*a = *b;
	*b = t;
}

/*
 * Moves the k first candidates in cand_before order to c[0..k), in no
 * particular order among themselves: introselect (quickselect with a
 * median-of-three pivot, falling back to a full sort of the range when the
 * partitions keep coming out lopsided), so O(n) expected, O(n log n) worst.
 */
static void select_first(struct cand *c, size_t n, size_t k)
{
	size_t lo = 0, hi = n; /* the k-th boundary lies in [lo, hi) */
	int budget = 2 * 64;

	while (hi - lo > 16) {
		size_t mid = lo + (hi - lo) / 2, i, j;
		struct cand pivot;

		if (budget-- == 0) {
			qsort(c + lo, hi - lo, sizeof *c, cand_cmp);
			return;
		}
		if (cand_before(&c[mid], &c[lo]))
			cand_swap(&c[mid], &c[lo]);
		if (cand_before(&c[hi - 1], &c[lo]))
			cand_swap(&c[hi - 1], &c[lo]);
		if (cand_before(&c[hi - 1], &c[mid]))
			cand_swap(&c[hi - 1], &c[mid]);
		pivot = c[mid];
		/* Hoare partition: [lo, j] before-or-equal pivot, [j+1, hi) after-or-equal. */
		i = lo;
		j = hi - 1;
		for (;;) {
			while (cand_before(&c[i], &pivot))
				i++;
			while (cand_before(&pivot, &c[j]))
				j--;
			if (i >= j)
				break;
			cand_swap(&c[i], &c[j]);
			i++;
			j--;
		}
		if (k <= j)
			hi = j + 1;
		else
			lo = j + 1;
	}
	qsort(c + lo, hi - lo, sizeof *c, cand_cmp);
}

int terra_split_run(int64_t pool, terra_split_item *items, size_t n, int64_t *left, terra_err *e)
{
	struct cand *c = NULL;
	u128 total = 0;
	int64_t given = 0;
	size_t i, nc = 0, extra;

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
	c = malloc((n ? n : 1) * sizeof *c);
	if (!c)
		return terra_err_sys(e, "split: %zu items", n);
	for (i = 0; i < n; i++) {
		u128 prod = (u128)pool * (u128)items[i].weight;
		u128 q = prod / total, r = prod - q * total;

		/* q <= pool because weight <= total, so it fits, as does the sum below. */
		items[i].amount = (int64_t)q;
		given += (int64_t)q;
		if (r) {
			c[nc].rem = r;
			c[nc].id = items[i].id;
			c[nc].index = i;
			nc++;
		}
	}
	/* Sum of remainders = (pool - given) * total, each < total: fewer units left than nc. */
	extra = (size_t)(pool - given);
	if (extra > 0) {
		if (extra < nc)
			select_first(c, nc, extra);
		for (i = 0; i < extra; i++)
			items[c[i].index].amount++;
	}
	free(c);
	return 0;
}
