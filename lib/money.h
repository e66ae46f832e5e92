#ifndef TERRA_MONEY_H
#define TERRA_MONEY_H
/*
 * TERRA amounts (terra-records(5)): decimal strings with exactly 9 decimals
 * ("12.500000000"), held as int64 base units (1 TERRA = 10^9 units).
 * Intermediates are 128-bit; an overflow is an error, never a wrap.
 */
#include "err.h"

#include <stddef.h>
#include <stdint.h>

#define TERRA_UNITS_PER_TERRA INT64_C(1000000000)
#define TERRA_AMOUNT_MAX      32 /* formatted length incl. sign and NUL */

/*
 * Parses "123", "123.5", "-0.000000001". With `strict`, exactly 9 decimals
 * are required (record fields); otherwise 0 to 9 (command-line options).
 */
int terra_money_parse(const char *s, int strict, int64_t *units, terra_err *e);
/*
 * The usual non-negative amount, "DIGITS" or "DIGITS.DECIMALS" with at most
 * 9 integer digits and 1 to 9 decimals, s[0..len) not NUL-terminated: 1
 * with *units, fast (a holders file has a million); 0 for anything else,
 * which terra_money_parse then decides (same value, and its refusals).
 */
int terra_money_parse_quick(const char *s, size_t len, int64_t *units);
/* Always 9 decimals: 12500000000 -> "12.500000000". */
void terra_money_format(int64_t units, char out[TERRA_AMOUNT_MAX]);
/* The same, returning the length written (without the NUL). */
size_t terra_money_format_len(int64_t units, char out[TERRA_AMOUNT_MAX]);
int terra_money_add(int64_t a, int64_t b, int64_t *sum, terra_err *e);
int terra_money_sub(int64_t a, int64_t b, int64_t *diff, terra_err *e);
/* q = floor(a * b / c), r = a * b - q * c, 128-bit intermediate; a,b >= 0, c > 0. */
int terra_money_muldiv(int64_t a, int64_t b, int64_t c, int64_t *q, int64_t *r, terra_err *e);

#endif
