/* Property tests of the largest-remainder split over seeded random cases. */
#include "lib/split.h"
#include "tap.h"

#include <stdint.h>
#include <stdlib.h>

__extension__ typedef unsigned __int128 u128;

static uint64_t rng_state;

static uint64_t rng(void) /* splitmix64 */
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return n ? rng() % n : 0;
}

#define MAXN 64

struct kase {
	size_t n;
	int64_t pool;
	char ids[MAXN][32];
	terra_split_item it[MAXN];
};

/* A random case; `big` draws weights near INT64_MAX (then n <= 4 so the
 * exact checks below fit in 128 bits). */
static void make_case(struct kase *k, int big)
{
	size_t i;
	int ties = below(3) == 0;

	k->n = big ? 1 + below(4) : below(MAXN + 1);
	switch (below(4)) {
	case 0:
		k->pool = (int64_t)below(100);
		break;
	case 1:
		k->pool = INT64_MAX - (int64_t)below(1000);
		break;
	default:
		k->pool = (int64_t)(rng() >> 1);
	}
	for (i = 0; i < k->n; i++) {
		/* ids distinct, in an order unrelated to the index */
		snprintf(k->ids[i], sizeof k->ids[i], "%02x-%zu", (unsigned)below(256), i);
		k->it[i].id = k->ids[i];
		if (below(5) == 0)
			k->it[i].weight = 0;
		else if (big)
			k->it[i].weight = INT64_MAX - (int64_t)below(1000);
		else if (ties)
			k->it[i].weight = 7;
		else
			k->it[i].weight = (int64_t)below(UINT64_C(1) << below(57));
	}
}

/* All the properties of one split; returns 0 when they hold, else says why. */
static const char *check_case(const struct kase *k, int64_t left)
{
	u128 total = 0, sum = 0;
	size_t i, j;

	for (i = 0; i < k->n; i++)
		total += (u128)k->it[i].weight;
	for (i = 0; i < k->n; i++)
		sum += (u128)k->it[i].amount;
	if (total == 0)
		return left == k->pool && sum == 0 ? NULL : "zero total: all to left";
	if (left != 0 || sum != (u128)k->pool)
		return "amounts sum exactly to the pool";
	for (i = 0; i < k->n; i++) {
		const terra_split_item *a = &k->it[i];
		u128 exact = (u128)k->pool * (u128)a->weight; /* share * total */
		u128 got = (u128)a->amount * total;
		u128 diff = got > exact ? got - exact : exact - got;

		if (a->amount < 0 || diff >= total)
			return "each amount within one base unit of its exact share";
		if (a->weight == 0 && a->amount != 0)
			return "weight 0 gets 0";
	}
	/* Largest remainder: whoever got a unit over the floor ranks before
	 * everyone who did not, by remainder then id. */
	for (i = 0; i < k->n; i++) {
		u128 pi = (u128)k->pool * (u128)k->it[i].weight;
		int up_i = (u128)k->it[i].amount * total > pi;

		if (!up_i)
			continue;
		for (j = 0; j < k->n; j++) {
			u128 pj = (u128)k->pool * (u128)k->it[j].weight;
			int up_j = (u128)k->it[j].amount * total > pj;
			u128 ri = pi % total, rj = pj % total;

			if (up_j || rj == 0)
				continue;
			if (rj > ri || (rj == ri && strcmp(k->it[j].id, k->it[i].id) < 0))
				return "leftover units go to the largest remainders, ties by id";
		}
	}
	return NULL;
}

static int same_by_id(const struct kase *a, const struct kase *b)
{
	size_t i, j;

	for (i = 0; i < a->n; i++)
		for (j = 0; j < b->n; j++)
			if (!strcmp(a->it[i].id, b->it[j].id) && a->it[i].amount != b->it[j].amount)
				return 0;
	return 1;
}

static void random_cases(int big, int count, const char *label)
{
	static struct kase k, p;
	const char *why = NULL;
	int c, perm_ok = 1, runs_ok = 1;
	char name[128];

	for (c = 0; c < count && !why && perm_ok && runs_ok; c++) {
		terra_err e = {0};
		int64_t left = -1, left2 = -1;
		size_t i;

		make_case(&k, big);
		if (terra_split_run(k.pool, k.it, k.n, &left, &e) < 0) {
			runs_ok = 0;
			printf("# case %d: %s\n", c, e.msg);
			break;
		}
		why = check_case(&k, left);
		/* the same items shuffled: the same amount for every id */
		p = k;
		for (i = 0; i < p.n; i++)
			p.it[i].id = p.ids[i];
		for (i = p.n; i > 1; i--) {
			size_t j = (size_t)below(i);
			terra_split_item t = p.it[i - 1];

			p.it[i - 1] = p.it[j];
			p.it[j] = t;
		}
		if (terra_split_run(p.pool, p.it, p.n, &left2, &e) < 0 || left2 != left ||
		    !same_by_id(&k, &p))
			perm_ok = 0;
		if (why)
			printf("# case %d (pool %lld, n %zu): %s\n", c, (long long)k.pool, k.n,
			       why);
	}
	snprintf(name, sizeof name, "%s: %d seeded cases split without error", label, count);
	ok(runs_ok, name);
	snprintf(name, sizeof name,
	         "%s: exact sum, within one unit, zero weight gets zero, largest "
	         "remainders win",
	         label);
	ok(!why, name);
	snprintf(name, sizeof name, "%s: permuted inputs give the same amounts", label);
	ok(perm_ok, name);
}

/* A large split exercises the selection path against a check by counting. */
static void large_case(void)
{
	size_t n = 200000, i, up = 0;
	terra_split_item *it = calloc(n, sizeof *it);
	char(*ids)[16] = calloc(n, sizeof *ids);
	int64_t left = -1, pool = INT64_C(1000000000000000007);
	u128 total = 0, sum = 0;
	int within = 1;
	terra_err e = {0};

	if (!it || !ids) {
		ok(0, "large case: memory");
		return;
	}
	for (i = 0; i < n; i++) {
		snprintf(ids[i], sizeof ids[i], "a%07zu", (i * 7919) % n);
		it[i].id = ids[i];
		it[i].weight = (int64_t)(1 + below(3)); /* many equal remainders: ties by id */
		total += (u128)it[i].weight;
	}
	ok(terra_split_run(pool, it, n, &left, &e) == 0 && left == 0, "200000 items split");
	for (i = 0; i < n; i++) {
		u128 exact = (u128)pool * (u128)it[i].weight, got = (u128)it[i].amount * total;

		sum += (u128)it[i].amount;
		if ((got > exact ? got - exact : exact - got) >= total)
			within = 0;
		if (got > exact)
			up++;
	}
	ok(sum == (u128)pool, "200000 items: exact sum");
	ok(within, "200000 items: each within one base unit");
	/* Among items of equal weight the leftover goes to the smaller ids. */
	{
		int order_ok = 1;
		int64_t w;

		for (w = 1; w <= 3; w++) {
			const char *max_up = "", *min_down = NULL;

			for (i = 0; i < n; i++) {
				u128 exact = (u128)pool * (u128)it[i].weight;

				if (it[i].weight != w || exact % total == 0)
					continue;
				if ((u128)it[i].amount * total > exact) {
					if (strcmp(it[i].id, max_up) > 0)
						max_up = it[i].id;
				} else if (!min_down || strcmp(it[i].id, min_down) < 0) {
					min_down = it[i].id;
				}
			}
			if (min_down && strcmp(max_up, min_down) > 0)
				order_ok = 0;
		}
		ok(order_ok, "200000 items: equal remainders broken by id");
	}
	printf("# %zu of %zu items got a leftover unit\n", up, n);
	free(ids);
	free(it);
}

/* The rule written out plainly: every remainder sorted, the first `left over` get a unit. */
struct ref_cand {
	u128 rem;
	const char *id;
	size_t index;
};

static int ref_cmp(const void *pa, const void *pb)
{
	const struct ref_cand *a = pa, *b = pb;
	int c;

	if (a->rem != b->rem)
		return a->rem > b->rem ? -1 : 1;
	c = strcmp(a->id, b->id);
	return c ? c : (a->index > b->index) - (a->index < b->index);
}

static void reference_split(int64_t pool, const terra_split_item *it, size_t n, int64_t *amount)
{
	struct ref_cand *c = calloc(n ? n : 1, sizeof *c);
	u128 total = 0;
	int64_t given = 0;
	size_t i;

	for (i = 0; i < n; i++)
		total += (u128)it[i].weight;
	for (i = 0; i < n; i++) {
		u128 prod = (u128)pool * (u128)it[i].weight;

		amount[i] = total ? (int64_t)(prod / total) : 0;
		given += amount[i];
		c[i] = (struct ref_cand){total ? prod % total : 0, it[i].id, i};
	}
	qsort(c, n, sizeof *c, ref_cmp);
	for (i = 0; total && i < (size_t)(pool - given); i++)
		amount[c[i].index]++;
	free(c);
}

/*
 * Against the plain rule, on splits where remainders tie a lot (few
 * distinct weights), ids in order (holders, units) or not.
 */
static void reference_cases(void)
{
	size_t n, i, c, bad = 0;
	char(*ids)[16] = calloc(3000, sizeof *ids);
	terra_split_item *it = calloc(3000, sizeof *it);
	int64_t *want = calloc(3000, sizeof *want), left;
	terra_err e = {0};

	if (!ids || !it || !want) {
		ok(0, "reference cases: memory");
		return;
	}
	for (c = 0; c < 300; c++) {
		int sorted = (int)(c % 2);
		uint64_t kinds = 1 + below(4);
		int64_t pool = c % 3 == 0 ? (int64_t)below(5000) : (int64_t)(rng() >> 2);

		n = (size_t)below(3000);
		for (i = 0; i < n; i++) {
			if (sorted)
				snprintf(ids[i], sizeof ids[i], "h%06zu", i);
			else
				snprintf(ids[i], sizeof ids[i], "%02x-%zu", (unsigned)below(256),
				         i);
			it[i].id = ids[i];
			it[i].weight = (int64_t)(below(kinds) * 1000 + 1);
		}
		reference_split(pool, it, n, want);
		if (terra_split_run(pool, it, n, &left, &e) < 0) {
			bad++;
			continue;
		}
		for (i = 0; i < n; i++)
			if (it[i].amount != want[i]) {
				bad++;
				break;
			}
	}
	ok(bad == 0, "300 splits with many ties: the amounts of the plain rule");
	{
		/* a million equal weights, ids in order: every remainder ties */
		size_t big = 1000000;
		terra_split_item *b = calloc(big, sizeof *b);
		char(*bids)[12] = calloc(big, sizeof *bids);
		int first_ok;

		if (!b || !bids) {
			ok(0, "a million ties: memory");
		} else {
			for (i = 0; i < big; i++) {
				snprintf(bids[i], sizeof bids[i], "h%07zu", i);
				b[i] = (terra_split_item){bids[i], 5, 0};
			}
			first_ok = terra_split_run(999999, b, big, &left, &e) == 0 && left == 0;
			for (i = 0; i < big && first_ok; i++)
				first_ok = b[i].amount == (i < big - 1);
			ok(first_ok,
			   "999999 over a million equal weights: all but the last id get one");
		}
		free(bids);
		free(b);
	}
	free(want);
	free(it);
	free(ids);
}

static void fixed_cases(void)
{
	terra_split_item it[3] = {{"b", 1, 0}, {"a", 1, 0}, {"c", 1, 0}};
	terra_split_item g[3] = {
	    {"contributors", 7000, 0}, {"holders", 2000, 0}, {"treasury", 1000, 0}};
	terra_split_item z[2] = {{"x", 0, 0}, {"y", 0, 0}};
	terra_split_item neg[1] = {{"x", -1, 0}};
	int64_t left = -1;
	terra_err e = {0};

	ok(terra_split_run(10, it, 3, &left, &e) == 0, "10 over three equal weights");
	ok(it[1].amount == 4 && it[0].amount == 3 && it[2].amount == 3,
	   "the leftover unit goes to the smallest id");
	ok(terra_split_run(1, it, 3, &left, &e) == 0 && it[1].amount == 1 && it[0].amount == 0,
	   "1 over three: to 'a'");
	ok(terra_split_run(12505000000001, g, 3, &left, &e) == 0 &&
	       g[0].amount + g[1].amount + g[2].amount == 12505000000001,
	   "policy split sums to the pool");
	is_int(g[0].amount, 8753500000001, "contributors 70%, with the leftover unit");
	is_int(g[1].amount, 2501000000000, "holders 20%");
	is_int(g[2].amount, 1250500000000, "treasury 10%");
	ok(terra_split_run(99, z, 2, &left, &e) == 0 && left == 99 && z[0].amount == 0,
	   "zero total weight: everything left for carry");
	ok(terra_split_run(99, NULL, 0, &left, &e) == 0 && left == 99, "no items: all left");
	ok(terra_split_run(5, neg, 1, &left, &e) < 0, "negative weight refused");
	like(e.msg, "negative weight", "message says why");
	ok(terra_split_run(-1, it, 3, &left, &e) < 0, "negative pool refused");
	{
		terra_split_item m[2] = {{"a", INT64_MAX, 0}, {"b", INT64_MAX, 0}};

		ok(terra_split_run(INT64_MAX, m, 2, &left, &e) == 0 &&
		       m[0].amount == INT64_MAX / 2 + 1 && m[1].amount == INT64_MAX / 2,
		   "INT64_MAX over two INT64_MAX weights: exact, leftover to 'a'");
	}
}

/*
 * terra_split_ordered against terra_split_run on the same items with ids in
 * ascending order: the same amounts and left, whether the remainders are
 * all distinct, tie a lot, or come from weights near INT64_MAX (a total
 * past 2^64).
 */
struct weighted {
	char pad[5]; /* the weight at an offset, as in a holder */
	int64_t weight;
};

static int ordered_same(int64_t pool, terra_split_item *it, size_t n, struct weighted *w,
                        int64_t *amount)
{
	int64_t left = -1, left2 = -2, left3 = -3;
	terra_split_cut cut;
	terra_err e = {0};
	size_t i;

	for (i = 0; i < n; i++)
		w[i].weight = it[i].weight;
	if (terra_split_run(pool, it, n, &left, &e) < 0 ||
	    terra_split_ordered(pool, n ? &w[0].weight : NULL, sizeof *w, n, amount, &left2, &e) <
	        0 ||
	    left != left2 ||
	    terra_split_ordered_cut(pool, n ? &w[0].weight : NULL, sizeof *w, n, &cut, &left3, &e) <
	        0 ||
	    left != left3)
		return 0;
	/* kept or recomputed from the cut, the same amounts */
	for (i = 0; i < n; i++)
		if (amount[i] != it[i].amount ||
		    terra_split_cut_amount(&cut, w[i].weight, i) != it[i].amount)
			return 0;
	return 1;
}

static void ordered_cases(void)
{
	size_t big = 200000, n, i, c, bad = 0;
	char(*ids)[12] = calloc(big, sizeof *ids);
	terra_split_item *it = calloc(big, sizeof *it);
	struct weighted *w = calloc(big, sizeof *w);
	int64_t *amount = calloc(big, sizeof *amount), left;
	terra_err e = {0};

	if (!ids || !it || !w || !amount) {
		ok(0, "ordered cases: memory");
		return;
	}
	for (i = 0; i < big; i++)
		snprintf(ids[i], sizeof ids[i], "h%07zu", i);
	for (c = 0; c < 2000; c++) {
		int kind = (int)(c % 4);
		int64_t pool = c % 3 == 0 ? (int64_t)below(5000) : (int64_t)(rng() >> 1);

		n = (size_t)below(kind == 3 ? 6 : 300);
		for (i = 0; i < n; i++) {
			it[i].id = ids[i];
			if (below(7) == 0)
				it[i].weight = 0;
			else if (kind == 0)
				it[i].weight = (int64_t)(below(3) * 1000 + 1); /* ties */
			else if (kind == 3)
				it[i].weight = INT64_MAX - (int64_t)below(1000); /* total > 2^64 */
			else
				it[i].weight = (int64_t)below(UINT64_C(1) << below(62));
		}
		bad += !ordered_same(pool, it, n, w, amount);
	}
	ok(bad == 0, "2000 splits of items in id order: terra_split_ordered and "
	             "terra_split_ordered_cut give terra_split_run's amounts");
	for (c = 0; c < 3; c++) {
		/* many candidates share the last bits: every pass, then the ties */
		for (i = 0; i < big; i++) {
			it[i].id = ids[i];
			it[i].weight = c == 0   ? (int64_t)(1 + below(3))
			               : c == 1 ? (int64_t)below(1000000000)
			                        : (int64_t)(rng() >> 1);
		}
		ok(ordered_same(INT64_C(250100000000) + (int64_t)c, it, big, w, amount),
		   c == 0   ? "200000 items in order, three weights: the same amounts"
		   : c == 1 ? "200000 items in order, distinct balances: the same amounts"
		            : "200000 items in order, weights near 2^62: the same amounts");
	}
	ok(terra_split_ordered(-1, &w[0].weight, sizeof *w, 1, amount, &left, &e) < 0,
	   "ordered: negative pool refused");
	w[0].weight = -1;
	ok(terra_split_ordered(5, &w[0].weight, sizeof *w, 1, amount, &left, &e) < 0,
	   "ordered: negative weight refused");
	like(e.msg, "negative weight", "ordered: the message says why");
	ok(terra_split_ordered(7, NULL, sizeof *w, 0, amount, &left, &e) == 0 && left == 7,
	   "ordered: no items, all left");
	{
		terra_split_cut cut;

		ok(terra_split_ordered_cut(-1, &w[0].weight, sizeof *w, 1, &cut, &left, &e) < 0,
		   "ordered cut: negative pool refused");
		w[0].weight = 0;
		ok(terra_split_ordered_cut(7, &w[0].weight, sizeof *w, 1, &cut, &left, &e) == 0 &&
		       left == 7 && terra_split_cut_amount(&cut, 0, 0) == 0,
		   "ordered cut: weights all 0, all left, amounts 0");
	}
	free(amount);
	free(w);
	free(it);
	free(ids);
}

int main(void)
{
	rng_state = 20261121;
	fixed_cases();
	random_cases(0, 5000, "small weights");
	random_cases(1, 2000, "weights near INT64_MAX");
	large_case();
	reference_cases();
	ordered_cases();
	return done_testing();
}
