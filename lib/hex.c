#include "hex.h"

#include "clones.h"

#include <sodium.h>
#include <string.h>

void terra_hex(const uint8_t *in, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, in, n);
}

int terra_unhex_n(const char *hex, size_t len, uint8_t *out, size_t n)
{
	const char *end = NULL;
	size_t got = 0;

	if (len != 2 * n || sodium_hex2bin(out, n, hex, len, NULL, &got, &end) != 0 || got != n ||
	    end != hex + len)
		return -1;
	return 0;
}

int terra_unhex(const char *hex, uint8_t *out, size_t n, terra_err *e)
{
	if (!hex || terra_unhex_n(hex, strlen(hex), out, n) < 0)
		return terra_err_set(e, TERRA_E_INPUT, "bad hex: want %zu hex characters", 2 * n);
	return 0;
}

int terra_hex_is_lower(const char *hex, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return 0;
	return 1;
}

/* A lowercase digit's value plus one; 0 for any other byte. */
static const uint8_t digit1[256] = {
    ['0'] = 1, ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

typedef uint8_t u8x32 __attribute__((vector_size(32)));
typedef int8_t i8x32 __attribute__((vector_size(32)));
typedef uint16_t u16x16 __attribute__((vector_size(32)));
typedef uint8_t u8x16 __attribute__((vector_size(16)));

/*
 * 32 digits at a time in the compiler's 32-byte vectors (AVX2 where the CPU
 * has it, picked when the program loads; two SSE2 halves otherwise), then
 * the table for the rest. A digit c with c - '0' < 10 or c - 'a' < 6 is
 * good, compared signed after flipping the top bit (x86 has no unsigned
 * byte compare, and the compiler would go one byte at a time); each pair
 * becomes hi << 4 | lo in a 16-bit lane, narrowed to its byte. A bad digit
 * anywhere fails the whole string.
 */
TERRA_WIDE_CLONES
static int unhex_lower(const char *hex, size_t len, uint8_t *out, size_t n)
{
	u8x32 bad = {0};
	unsigned tail = 0;
	size_t i = 0;

	if (len != 2 * n)
		return -1;
	for (; i + 16 <= n; i += 16) {
		u8x32 c, d, l, isd, isl, v;
		u16x16 w;
		u8x16 o;

		memcpy(&c, hex + 2 * i, sizeof c);
		d = c - '0';
		l = c - 'a';
		isd = (u8x32)((i8x32)(d ^ 0x80) < -128 + 10);
		isl = (u8x32)((i8x32)(l ^ 0x80) < -128 + 6);
		bad |= ~(isd | isl);
		v = (d & isd) | ((l + 10) & isl);
		memcpy(&w, &v, sizeof w);
		w = (w & 0xff) << 4 | w >> 8;
		o = __builtin_convertvector(w, u8x16);
		memcpy(out + i, &o, sizeof o);
	}
	for (; i < n; i++) {
		unsigned hi = digit1[(unsigned char)hex[2 * i]],
		         lo = digit1[(unsigned char)hex[2 * i + 1]];

		tail |= !hi | !lo;
		out[i] = (uint8_t)((hi - 1) << 4 | ((lo - 1) & 15));
	}
	for (size_t b = 0; b < sizeof bad; b++)
		tail |= bad[b];
	return tail ? -1 : 0;
}

/* Outside the clones: clang resolves a cloned function only within its file. */
int terra_unhex_lower(const char *hex, size_t len, uint8_t *out, size_t n)
{
	return unhex_lower(hex, len, out, n);
}
