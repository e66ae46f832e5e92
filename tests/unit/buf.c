/*
 * The growable buffer and terra_grow, the one way lib/ grows an array:
 * capacities double from the first, elements survive each move, and a size
 * that cannot be allocated fails with ENOMEM leaving the array as it was.
 */
#include "lib/buf.h"

#include "tap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct pair {
	int64_t a, b;
};

int main(void)
{
	struct pair *v = NULL, *before;
	size_t n = 0, cap = 0, growths = 0, i;
	int kept = 1, doubling = 1;
	terra_buf b = {0};
	char big[1000];

	for (i = 0; i < 1000; i++) {
		size_t had = cap;

		if (terra_grow(&v, &cap, n, sizeof *v, 4) < 0)
			break;
		if (cap != had) {
			growths++;
			doubling &= cap == (had ? 2 * had : 4);
		}
		v[n++] = (struct pair){(int64_t)i, -(int64_t)i};
	}
	is_int((int64_t)n, 1000, "1000 elements added one at a time");
	is_int((int64_t)cap, 1024, "capacity 4, doubled to 1024");
	ok(growths == 9 && doubling, "nine growths: 4, then doubling each time");
	for (i = 0; i < n; i++)
		kept &= v[i].a == (int64_t)i && v[i].b == -(int64_t)i;
	ok(kept, "every element kept through each move");
	ok(terra_grow(&v, &cap, 10, sizeof *v, 4) == 0 && cap == 1024, "room left: nothing moves");

	before = v;
	cap = SIZE_MAX / 2 + 1;
	errno = 0;
	ok(terra_grow(&v, &cap, cap, sizeof *v, 4) < 0 && errno == ENOMEM,
	   "a capacity that would overflow: ENOMEM");
	ok(v == before && cap == SIZE_MAX / 2 + 1, "... with the array and capacity as they were");
	cap = SIZE_MAX / sizeof *v / 2 + 1;
	errno = 0;
	ok(terra_grow(&v, &cap, cap, sizeof *v, 4) < 0 && errno == ENOMEM,
	   "a byte size that would overflow: ENOMEM");
	free(v);

	memset(big, 'x', sizeof big);
	ok(terra_buf_put(&b, big, sizeof big) == 0 && terra_buf_puts(&b, "end") == 0,
	   "buffer: 1003 bytes put");
	ok(b.len == 1003 && b.p[1003] == '\0' && !strcmp(b.p + 1000, "end"),
	   "buffer: all there, NUL-terminated");
	free(b.p);
	return done_testing();
}
