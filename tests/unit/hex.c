/*
 * terra_unhex_lower, the decoder a verifier runs over every hash, signature
 * and evidence value it reads: 32 digits at a time in vectors, the rest one
 * pair at a time. It must agree with libsodium's decoder on every good
 * string of every length across the vector boundary, and refuse a string
 * with any one bad byte, wherever it sits (uppercase digits included).
 */
#include "lib/hex.h"

#include "tap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXN 80

int main(void)
{
	uint8_t in[MAXN], got[MAXN], want[MAXN];
	char hex[2 * MAXN + 1], name[120];
	int same = 1, refused = 1, lengths = 0, tried = 0;
	uint64_t x = 88172645463325252u;
	int slow = getenv("TERRA_VALGRIND") != NULL;

	for (size_t n = 0; n <= MAXN; n++) {
		for (int round = 0; round < 20; round++) {
			for (size_t i = 0; i < n; i++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				in[i] = (uint8_t)x;
			}
			terra_hex(in, n, hex);
			memset(got, 0xaa, sizeof got);
			same &= terra_unhex_lower(hex, 2 * n, got, n) == 0 &&
			        terra_unhex_n(hex, 2 * n, want, n) == 0 &&
			        memcmp(got, in, n) == 0 && memcmp(want, in, n) == 0;
		}
		/* each position in turn takes each byte that is not a lowercase
		 * digit (under valgrind, those next to the digits' ranges) */
		for (size_t p = 0; p < 2 * n; p++) {
			char keep = hex[p];

			for (int c = 0; c < 256; c++) {
				if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))
					continue;
				if (slow && !strchr("/:`gAF", c) && c != 0 && c != 0x80 &&
				    c != 0xff)
					continue;
				hex[p] = (char)c;
				refused &= terra_unhex_lower(hex, 2 * n, got, n) < 0;
				tried++;
			}
			hex[p] = keep;
		}
		lengths++;
	}
	snprintf(name, sizeof name,
	         "%d lengths (0 to %d bytes), 20 strings each: decoded as libsodium does", lengths,
	         MAXN);
	ok(same, name);
	snprintf(name, sizeof name,
	         "%d strings with one bad byte, each position in turn: each refused", tried);
	ok(refused, name);

	terra_hex((const uint8_t *)"\x01\xab\xcd\xef\x10\x32\x54\x76\x98\xba\xdc\xfe\x00\xff", 14,
	          hex);
	is_str(hex, "01abcdef1032547698badcfe00ff", "terra_hex writes lowercase");
	ok(terra_unhex_lower("01ABCDEF1032547698BADCFE00FF", 28, got, 14) < 0,
	   "uppercase digits: refused (the written form is lowercase)");
	ok(terra_unhex_n("01ABCDEF1032547698BADCFE00FF", 28, got, 14) == 0 &&
	       memcmp(got, "\x01\xab\xcd\xef\x10\x32\x54\x76\x98\xba\xdc\xfe\x00\xff", 14) == 0,
	   "... which terra_unhex_n, for keys typed by hand, takes");
	ok(terra_unhex_lower("0123", 4, got, 3) < 0 && terra_unhex_lower("012", 3, got, 1) < 0,
	   "a length that is not two digits a byte: refused");
	return done_testing();
}
