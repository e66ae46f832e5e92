#ifndef TERRA_CANONINT_H
#define TERRA_CANONINT_H
/*
 * What lib/canon.c (written form, read in place) and lib/canonrw.c (any
 * spelling rewritten into written form) share: a cursor over a line and the
 * tokens both read alike.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/*
 * How many of the bytes at c (at most to its end) are plain string content,
 * taken as they are: printable ASCII but '"' and '\\'. Eight at a time, as
 * hex digits, the most of a record's bytes, are: a word that holds any other
 * byte is left to the byte-wise loop of the caller (each test below is
 * exact for the word as a whole).
 */
static inline size_t plain_run(const struct cursor *c)
{
	const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
	size_t pos = c->pos;

	while (c->len - pos >= 8) {
		uint64_t x, q, b;

		memcpy(&x, c->s + pos, 8);
		q = x ^ (ones * '"');
		b = x ^ (ones * '\\');
		/* a byte >= 0x80, a byte < 0x20, a '"', a '\\' */
		if ((x & high) || ((x - ones * 0x20) & ~x & high) || ((q - ones) & ~q & high) ||
		    ((b - ones) & ~b & high))
			break;
		pos += 8;
	}
	return pos - c->pos;
}

/* An int64 as "%lld" writes it: no sign but '-', no leading zero, no "-0".
 * 0 with the cursor past it, or -1. */
int terra_canon_scan_int(struct cursor *c, int64_t *out);
/* The literal `word` (true, false, null) at the cursor: 0 past it, or -1. */
int terra_canon_scan_literal(struct cursor *c, const char *word);
/* Keys as strcmp orders their bytes (a prefix first). */
int terra_canon_key_cmp(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen);

#endif
