#include "utf8.h"

#include <stdint.h>
#include <string.h>

size_t terra_utf8_len(const unsigned char *p, size_t left)
{
	unsigned lead = p[0];
	size_t n, i;
	uint32_t cp;

	if (lead < 0xc2 || lead > 0xf4)
		return 0;
	n = lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
	if (left < n)
		return 0;
	cp = lead & (0x7fu >> n);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
		return 0;
	if (n == 4 && (cp < 0x10000 || cp > 0x10ffff))
		return 0;
	return n;
}

#define BYTES(b) (0x0101010101010101ull * (b))
/* Some byte of w is below n (n <= 0x80), exactly: a borrow only ever runs
 * on above a byte that is below n. */
#define ANY_BELOW(w, n) (((w)-BYTES(n)) & ~(w)&BYTES(0x80))

/* 1 when none of the 8 bytes at p is below 0x20, at or above 0x80, '"' or '\\'. */
static int plain8(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof w);
	return !(ANY_BELOW(w, 0x20) | ANY_BELOW(w ^ BYTES('"'), 1) | ANY_BELOW(w ^ BYTES('\\'), 1) |
	         (w & BYTES(0x80)));
}

size_t terra_json_plain_run(const unsigned char *p, size_t left)
{
	size_t n = 0;

	while (left - n >= 8 && plain8(p + n))
		n += 8;
	while (n < left && p[n] >= 0x20 && p[n] < 0x80 && p[n] != '"' && p[n] != '\\')
		n++;
	return n;
}
