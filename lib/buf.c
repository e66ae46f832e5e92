#include "buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int terra_buf_put(terra_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int terra_buf_puts(terra_buf *b, const char *s)
{
	return terra_buf_put(b, s, strlen(s));
}

int terra_grow(void *arr, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t want = *cap ? 2 * *cap : first;
	void *p, *grown;

	if (n < *cap)
		return 0;
	if (want < *cap || want > SIZE_MAX / size) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(&p, arr, sizeof p); /* arr points at a T *, whatever T is */
	if (!(grown = realloc(p, want * size)))
		return -1;
	memcpy(arr, &grown, sizeof grown);
	*cap = want;
	return 0;
}
