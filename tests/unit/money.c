#include "lib/money.h"

#include "tap.h"

#include <stdint.h>

static void test_parse(void)
{
	static const struct {
		const char *in;
		int strict;
		int64_t units;
		const char *canon;
	} good[] = {
	    {"12.500000000", 1, INT64_C(12500000000), "12.500000000"},
	    {"0.000000001", 1, 1, "0.000000001"},
	    {"-0.000000001", 1, -1, "-0.000000001"},
	    {"-0.000000000", 1, 0, "0.000000000"},
	    {"0.000000000", 1, 0, "0.000000000"},
	    {"1250.5", 0, INT64_C(1250500000000), "1250.500000000"},
	    {"123", 0, INT64_C(123000000000), "123.000000000"},
	    {"-7", 0, INT64_C(-7000000000), "-7.000000000"},
	    {"007.5", 0, INT64_C(7500000000), "7.500000000"},
	    {"0.1", 0, 100000000, "0.100000000"},
	    {"1.123456789", 0, INT64_C(1123456789), "1.123456789"},
	    {"9223372036.854775807", 1, INT64_MAX, "9223372036.854775807"},
	    {"-9223372036.854775808", 1, INT64_MIN, "-9223372036.854775808"},
	    {"00000000000000000000000000001.000000000", 1, INT64_C(1000000000), "1.000000000"},
	};
	static const struct {
		const char *in;
		int strict;
		const char *why;
	} bad[] = {
	    {"+1", 0, "expected digits"},
	    {"1.", 0, "expected digits"},
	    {".5", 0, "expected digits"},
	    {"1e3", 0, "expected digits"},
	    {" 1", 0, "expected digits"},
	    {"1 ", 0, "expected digits"},
	    {"1 000", 0, "expected digits"},
	    {"1,5", 0, "expected digits"},
	    {"", 0, "expected digits"},
	    {"-", 0, "expected digits"},
	    {"--1", 0, "expected digits"},
	    {"0x10", 0, "expected digits"},
	    {"1.0000000001", 0, "expected digits"},
	    {"1.5", 1, "exactly 9 decimals"},
	    {"1", 1, "exactly 9 decimals"},
	    {"1.0000000000", 1, "expected digits"},
	    {"9223372036.854775808", 1, "amount out of range"},
	    {"-9223372036.854775809", 1, "amount out of range"},
	    {"9223372037", 0, "amount out of range"},
	    {"99999999999999999999999999999", 0, "amount out of range"},
	};
	char out[TERRA_AMOUNT_MAX], name[128];
	terra_err e = {0};
	int64_t v;
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		v = 42;
		snprintf(name, sizeof name, "parse '%s'%s", good[i].in,
		         good[i].strict ? " strictly" : "");
		ok(terra_money_parse(good[i].in, good[i].strict, &v, &e) == 0, name);
		is_int(v, good[i].units, "... base units");
		terra_money_format(v, out);
		is_str(out, good[i].canon, "... formats back");
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		terra_err_clear(&e);
		v = 42;
		snprintf(name, sizeof name, "refuse '%s'%s", bad[i].in,
		         bad[i].strict ? " strictly" : "");
		ok(terra_money_parse(bad[i].in, bad[i].strict, &v, &e) < 0, name);
		like(e.msg, bad[i].why, "... saying why");
		is_int(v, 42, "... output untouched");
	}
	ok(terra_money_parse("1.500000000", 0, &v, &e) == 0 && v == INT64_C(1500000000),
	   "loose accepts 9 decimals too");
}

static void test_arith(void)
{
	char out[TERRA_AMOUNT_MAX];
	terra_err e = {0};
	int64_t v, q, r;

	terra_money_format(INT64_MIN, out);
	is_str(out, "-9223372036.854775808", "format INT64_MIN");
	ok(terra_money_add(INT64_MAX - 1, 1, &v, &e) == 0 && v == INT64_MAX, "add to the max");
	ok(terra_money_add(INT64_MAX, 1, &v, &e) < 0, "add past the max is an error");
	like(e.msg, "amount out of range", "... out of range");
	ok(terra_money_add(INT64_MIN, -1, &v, &e) < 0, "add past the min is an error");
	ok(terra_money_sub(INT64_MIN + 1, 1, &v, &e) == 0 && v == INT64_MIN, "sub to the min");
	ok(terra_money_sub(INT64_MIN, 1, &v, &e) < 0, "sub past the min is an error");
	ok(terra_money_sub(0, INT64_MIN, &v, &e) < 0, "negating the min is an error");
	ok(terra_money_sub(5, 7, &v, &e) == 0 && v == -2, "sub can go negative");

	ok(terra_money_muldiv(7, 10, 3, &q, &r, &e) == 0, "muldiv 7*10/3");
	is_int(q, 23, "... floor");
	is_int(r, 1, "... remainder");
	/* 70% of the max amount: the product needs more than 64 bits. */
	ok(terra_money_muldiv(INT64_MAX, 7000, 10000, &q, &r, &e) == 0,
	   "muldiv with a 128-bit product");
	is_int(q, INT64_C(6456360425798343064), "... exact quotient");
	is_int(r, 9000, "... exact remainder");
	ok(terra_money_muldiv(INT64_MAX, INT64_MAX, INT64_MAX, &q, &r, &e) == 0 && q == INT64_MAX &&
	       r == 0,
	   "max*max/max = max");
	ok(terra_money_muldiv(INT64_MAX, 2, 1, &q, &r, &e) < 0, "quotient past int64 is an error");
	like(e.msg, "amount out of range", "... out of range");
	ok(terra_money_muldiv(1, 1, 0, &q, &r, &e) < 0, "division by zero refused");
	ok(terra_money_muldiv(-1, 1, 1, &q, &r, &e) < 0, "negative a refused");
	ok(terra_money_muldiv(0, 5, 3, &q, &r, &e) == 0 && q == 0 && r == 0, "zero");
	ok(terra_money_muldiv(5, 3, 2, &q, NULL, &e) == 0 && q == 7, "r may be NULL");
}

/* The formatter writes digits by hand (settlements format a million
 * amounts): it must agree with printf everywhere, edges and signs included. */
static void test_format_printf(void)
{
	static const int64_t edge[] = {0,
	                               1,
	                               -1,
	                               9,
	                               10,
	                               99,
	                               100,
	                               999999999,
	                               1000000000,
	                               -1000000000,
	                               1000000001,
	                               9999999999,
	                               10000000000,
	                               INT64_MAX,
	                               INT64_MIN,
	                               INT64_MIN + 1,
	                               INT64_MAX - 1};
	char got[TERRA_AMOUNT_MAX], want[TERRA_AMOUNT_MAX];
	uint64_t x = 88172645463325252u;
	size_t i, len, nedge = sizeof edge / sizeof *edge;
	int bad = 0;

	for (i = 0; i < nedge + 200000; i++) {
		int64_t v;
		uint64_t mag;

		if (i < nedge) {
			v = edge[i];
		} else { /* xorshift, shifted to give every magnitude and both signs */
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			v = (int64_t)x >> (i % 64);
		}
		mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
		snprintf(want, sizeof want, "%s%" PRIu64 ".%09" PRIu64, v < 0 ? "-" : "",
		         mag / 1000000000u, mag % 1000000000u);
		memset(got, 'x', sizeof got);
		len = terra_money_format_len(v, got);
		if ((strcmp(got, want) || len != strlen(want)) && !bad++)
			printf("#   %" PRId64 ": got '%s' (%zu), want '%s'\n", v, got, len, want);
	}
	ok(!bad, "terra_money_format_len agrees with printf on edges and 200000 random amounts");
	terra_money_format(-1, got);
	is_str(got, "-0.000000001", "format -1 unit");
}

int main(void)
{
	test_parse();
	test_arith();
	test_format_printf();
	return done_testing();
}
