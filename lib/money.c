#include "money.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define DECIMALS 9

__extension__ typedef unsigned __int128 u128;

/*
 * Grammar: ["-"] DIGIT+ ["." DIGIT{1,9}]; strict requires "." and exactly 9
 * decimals. Leading zeros are accepted ("007.5" is 7.5): they are harmless
 * and spreadsheets write them. No "+", exponent, spaces or bare ".5"/"1.".
 */
int terra_money_parse(const char *s, int strict, int64_t *units, terra_err *e)
{
	const u128 max_pos = INT64_MAX, max_neg = (u128)INT64_MAX + 1;
	u128 v = 0;
	const char *p = s;
	int neg = 0, ndec = 0, range = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (*p < '0' || *p > '9')
		goto out;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > max_neg) {
			range = 1;
			goto out;
		}
	}
	v *= TERRA_UNITS_PER_TERRA;
	if (*p == '.') {
		u128 frac = 0;

		for (p++; *p >= '0' && *p <= '9' && ndec < DECIMALS; p++, ndec++)
			frac = frac * 10 + (unsigned)(*p - '0');
		if (ndec == 0 || (*p >= '0' && *p <= '9'))
			goto out;
		for (int i = ndec; i < DECIMALS; i++)
			frac *= 10;
		v += frac;
	}
	if (*p)
		goto out;
	if (strict && ndec != DECIMALS)
		return terra_err_set(
		    e, TERRA_E_INPUT,
		    "amount '%.64s': must have exactly 9 decimals, like \"12.500000000\"", s);
	if (v > (neg ? max_neg : max_pos)) {
		range = 1;
		goto out;
	}
	*units = neg ? (int64_t)(0 - (uint64_t)v) : (int64_t)v;
	return 0;
out:
	if (range)
		return terra_err_set(e, TERRA_E_INPUT, "amount out of range: '%.64s'", s);
	return terra_err_set(e, TERRA_E_INPUT,
	                     "amount '%.64s': expected digits, optionally '.' and 1 to 9 decimals",
	                     s);
}

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

/*
 * Without printf (a million amounts in a settlement is common): written
 * from the end, two digits at a time, once the length is known.
 */
size_t terra_money_format_len(int64_t units, char out[TERRA_AMOUNT_MAX])
{
	uint64_t mag = units < 0 ? 0 - (uint64_t)units : (uint64_t)units;
	uint64_t whole = mag / (uint64_t)TERRA_UNITS_PER_TERRA, w;
	uint32_t frac = (uint32_t)(mag % (uint64_t)TERRA_UNITS_PER_TERRA);
	size_t len = 11 + (units < 0); /* sign, "0." and 9 decimals */
	char *p;
	int i;

	for (w = whole; w >= 10; w /= 10)
		len++;
	p = out + len;
	*p = '\0';
	for (i = 0; i < 4; i++, frac /= 100) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * (frac % 100), 2);
	}
	*--p = (char)('0' + frac);
	*--p = '.';
	for (; whole >= 100; whole /= 100) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * (whole % 100), 2);
	}
	if (whole >= 10) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * whole, 2);
	} else {
		*--p = (char)('0' + whole);
	}
	if (units < 0)
		*--p = '-';
	return len;
}

void terra_money_format(int64_t units, char out[TERRA_AMOUNT_MAX])
{
	terra_money_format_len(units, out);
}

static int overflow(terra_err *e, int64_t a, const char *op, int64_t b)
{
	char sa[TERRA_AMOUNT_MAX], sb[TERRA_AMOUNT_MAX];

	terra_money_format(a, sa);
	terra_money_format(b, sb);
	return terra_err_set(e, TERRA_E_INPUT, "amount out of range: %s %s %s overflows", sa, op,
	                     sb);
}

int terra_money_add(int64_t a, int64_t b, int64_t *sum, terra_err *e)
{
	if (__builtin_add_overflow(a, b, sum))
		return overflow(e, a, "+", b);
	return 0;
}

int terra_money_sub(int64_t a, int64_t b, int64_t *diff, terra_err *e)
{
	if (__builtin_sub_overflow(a, b, diff))
		return overflow(e, a, "-", b);
	return 0;
}

int terra_money_muldiv(int64_t a, int64_t b, int64_t c, int64_t *q, int64_t *r, terra_err *e)
{
	u128 prod, quot;

	if (a < 0 || b < 0 || c <= 0)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "muldiv %" PRId64 " * %" PRId64 " / %" PRId64
		                     ": needs a, b >= 0 and c > 0",
		                     a, b, c);
	prod = (u128)a * (u128)b;
	quot = prod / (u128)c;
	if (quot > INT64_MAX)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "amount out of range: %" PRId64 " * %" PRId64 " / %" PRId64
		                     " overflows",
		                     a, b, c);
	*q = (int64_t)quot;
	if (r)
		*r = (int64_t)(prod - quot * (u128)c);
	return 0;
}

int terra_money_parse_quick(const char *s, size_t len, int64_t *units)
{
	int64_t whole = 0, frac = 0;
	size_t i = 0, nint, ndec;

	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		whole = whole * 10 + (s[i] - '0');
	nint = i;
	if (nint == 0 || nint > 9)
		return 0;
	if (i < len) {
		if (s[i++] != '.')
			return 0;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			frac = frac * 10 + (s[i] - '0');
		ndec = i - nint - 1;
		if (i < len || ndec == 0 || ndec > 9)
			return 0;
		for (; ndec < 9; ndec++)
			frac *= 10;
	}
	*units = whole * 1000000000 + frac;
	return 1;
}
