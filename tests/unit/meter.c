/* lib/meter.c: exact splits, the share bound, the rate bound. */
#include "lib/meter.h"
#include "tap.h"

#include <stdlib.h>

__extension__ typedef __int128 i128;

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int64_t below(int64_t n)
{
	return (int64_t)(next() % (uint64_t)n);
}

/* The parts of all cells touched sum to the amount, each within one unit of
 * its exact share, and the cells outside get nothing. */
static int split_ok(int64_t amount, int64_t start, int64_t end, int64_t origin, int64_t every)
{
	int64_t c0 = (start - origin) / every - 2, c1 = (end - origin) / every + 2, c, sum = 0;
	i128 exact;

	if (start - origin < 0)
		c0 = -((origin - start) / every) - 2;
	for (c = c0; c <= c1; c++) {
		int64_t cs = origin + c * every, ce = cs + every;
		int64_t lo = cs > start ? cs : start, hi = ce < end ? ce : end;
		int64_t part = terra_meter_part(amount, start, end, origin, every, c);
		int64_t overlap = hi > lo ? hi - lo : 0;

		exact = (i128)amount * overlap;
		if (part < 0 || (i128)part * (end - start) > exact + (end - start) ||
		    (i128)part * (end - start) < exact - (end - start))
			return 0;
		if (!overlap && part)
			return 0;
		sum += part;
	}
	return sum == amount;
}

int main(void)
{
	int i, good;

	/* 3 us over a boundary: 1 us before, 2 after; 100 units of busy time. */
	is_int(terra_meter_part(100, 9, 12, 0, 10, 0), 33, "part before the boundary");
	is_int(terra_meter_part(100, 9, 12, 0, 10, 1), 67, "part after the boundary");
	is_int(terra_meter_part(100, 9, 12, 0, 10, 2), 0, "no part in a cell not touched");
	is_int(terra_meter_part(7, 3, 8, 0, 10, 0), 7, "inside one cell: all of it");
	/* Three equal cells, one unit left over: the earliest gets it. */
	is_int(terra_meter_part(1, 0, 30, 0, 10, 0), 1, "tie: the earlier cell");
	is_int(terra_meter_part(1, 0, 30, 0, 10, 1), 0, "tie: not the later cells");
	is_int(terra_meter_part(2, 0, 30, 0, 10, 1), 1, "two left over: the first two cells");
	is_int(terra_meter_part(2, 0, 30, 0, 10, 2), 0, "two left over: not the third");
	/* Cells before the origin (negative indices). */
	is_int(terra_meter_part(10, -15, -5, 0, 10, -2), 5, "negative cell");
	is_int(terra_meter_part(10, -15, -5, 0, 10, -1), 5, "negative cell, second");
	/* Large values: 128-bit intermediates. */
	is_int(terra_meter_part(INT64_MAX, 0, INT64_MAX, 0, INT64_MAX / 2, 0), INT64_MAX / 2,
	       "no overflow with int64 extremes");

	good = 1;
	for (i = 0; i < 20000 && good; i++) {
		int64_t every = 1 + below(i % 2 ? 1000 : 5000000000);
		int64_t start = below(100000000000) - 50000000000;
		int64_t end = start + 1 + below(i % 3 ? every * 5 : 100000);
		int64_t amount = i % 4 ? below(end - start + 1) : below(INT64_MAX);
		int64_t origin = below(1000000) - 500000;

		good = split_ok(amount, start, end, origin, every);
		if (!good)
			printf("# amount %lld [%lld, %lld) origin %lld every %lld\n",
			       (long long)amount, (long long)start, (long long)end,
			       (long long)origin, (long long)every);
	}
	ok(good, "20000 random splits: parts sum exactly, each within one of its share");

	/* shares: E = work / 2^bits; refused when shares < E - 6 sqrt(E) - 6 */
	ok(terra_meter_shares_enough(4096, 8, 0), "16 expected: none needed (16 - 24 - 6 < 0)");
	ok(!terra_meter_shares_enough(102400, 8, 0), "400 expected: 0 refused");
	ok(!terra_meter_shares_enough(102400, 8, 273), "400 expected: 273 refused");
	ok(terra_meter_shares_enough(102400, 8, 274), "400 expected: 274 enough");
	ok(terra_meter_shares_enough(102400, 8, 400), "400 expected: 400 enough");
	ok(!terra_meter_shares_enough(INT64_C(1) << 40, 32, 153), "256 expected: 153 refused");
	ok(terra_meter_shares_enough(INT64_C(1) << 40, 32, 154), "256 expected: 154 enough");

	/* rate: sha256d work * 64 <= int32_mops * busy_us */
	ok(terra_meter_rate_ok("sha256d", 404218750, 1000, 25870000, 0), "sha256d at the bound");
	ok(!terra_meter_rate_ok("sha256d", 404218751, 1000, 25870000, 0), "sha256d past the bound");
	ok(terra_meter_rate_ok("sha256d", INT64_MAX, 1, 0, 0), "no benchmark: no bound");
	ok(terra_meter_rate_ok("sgemm", 8000, 10, 0, 100), "sgemm at 8x the benchmark");
	ok(!terra_meter_rate_ok("sgemm", 8001, 10, 0, 100), "sgemm past 8x the benchmark");
	ok(terra_meter_rate_ok("kernel", INT64_MAX, 0, 1, 1), "kernel work is not bounded");
	return done_testing();
}
