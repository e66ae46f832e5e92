#include "buf.h"

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
