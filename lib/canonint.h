#ifndef TERRA_CANONINT_H
#define TERRA_CANONINT_H
/*
 * What lib/canon.c (written form, read in place) and lib/canonrw.c (any
 * spelling rewritten into written form) share: a cursor over a line and the
 * tokens both read alike.
 */
#include <stddef.h>
#include <stdint.h>

struct cursor {
	const unsigned char *s;
	size_t len, pos;
};

/* The byte at the cursor, or 0 at the end: a NUL byte is never valid where
 * peek returns it, so the end of the text reads as one. */
static inline unsigned peek(const struct cursor *c)
{
	return c->pos < c->len ? c->s[c->pos] : 0;
}

/* An int64 as "%lld" writes it: no sign but '-', no leading zero, no "-0".
 * 0 with the cursor past it, or -1. */
int terra_canon_scan_int(struct cursor *c, int64_t *out);
/* The literal true, false or null that the byte at the cursor begins (any
 * other byte: null): 0 past it, or -1. */
int terra_canon_scan_literal(struct cursor *c);
/* Keys as strcmp orders their bytes (a prefix first). */
int terra_canon_key_cmp(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen);

#endif
