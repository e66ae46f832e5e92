#include "canon.h"

#include "canonint.h"
#include "record.h"

#include <string.h>

/*
 * terra_canon_rewrite reads an object twice per level: a dry pass that
 * checks each member and finds where it ends, then, the keys sorted, a
 * pass that writes each value from its start. A value nested d levels
 * deep is read d times; records nest a few levels at most.
 */

/* Members of all the objects open at once, and of one object. */
#define RW_POOL    512
#define RW_MEMBERS 128

struct rw_member {
	size_t key, key_end; /* the key's bytes between its quotes */
	size_t val, end;     /* its value's bytes */
	int escaped;         /* the key holds escapes */
	int plain;           /* the value is written as it is read */
};

struct rw {
	struct cursor c;
	char *out; /* NULL: the dry pass */
	size_t cap, o;
	struct rw_member pool[RW_POOL];
	size_t top;
	int escaped; /* the last string read held escapes */
	/* terra_canon_rewrite_split: the top-level members written, as
	 * terra_canon_split finds them in the output (m NULL: none kept) */
	terra_canon_member *m;
	size_t mcap, mn;
	int unsplit; /* a key written with an escape: split refuses the output */
};

/*
 * Member m of the top level, written at out[at, w->o) with its value from
 * val, as terra_canon_split describes it.
 */
static void keep_member(struct rw *w, size_t at, size_t val)
{
	terra_canon_member *f = &w->m[w->mn++];
	unsigned ch = (unsigned char)w->out[val];

	f->at = at;
	f->key = at + 1;
	f->key_len = val - 2 - f->key; /* less the quote and the colon */
	f->end = w->o;
	f->val = val;
	f->val_len = w->o - val;
	f->escaped = 0;
	f->num = 0;
	if (ch == '"') {
		f->kind = TERRA_CANON_STRING;
		f->val++;
		f->val_len -= 2;
		f->escaped = memchr(w->out + f->val, '\\', f->val_len) != NULL;
	} else if (ch == '{' || ch == '[') {
		f->kind = ch == '{' ? TERRA_CANON_OBJECT : TERRA_CANON_ARRAY;
	} else if (ch == 't' || ch == 'f' || ch == 'n') {
		f->kind = TERRA_CANON_LITERAL;
	} else {
		struct cursor c = {(const unsigned char *)w->out, w->o, val};

		f->kind = TERRA_CANON_INT;
		terra_canon_scan_int(&c, &f->num); /* read once already: an int64 */
	}
}

static int is_ws(unsigned ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static void skip_ws(struct cursor *c)
{
	while (c->pos < c->len && is_ws(c->s[c->pos]))
		c->pos++;
}

static int put(struct rw *w, const void *p, size_t n)
{
	if (!w->out)
		return 0;
	if (w->cap - w->o < n)
		return -1;
	memcpy(w->out + w->o, p, n);
	w->o += n;
	return 0;
}

static int hex4(const unsigned char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned ch = p[i], d;

		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/*
 * The escape at s[pos] (its backslash), any spelling JSON allows, as a
 * code point into *cp; returns its length, or 0 when jansson would refuse
 * it (\u0000, a lone or reversed surrogate) or it is no escape.
 */
static size_t any_escape(const unsigned char *s, size_t pos, size_t end, uint32_t *cp)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	unsigned hi, lo;

	if (end - pos < 2)
		return 0;
	if (s[pos + 1] != 'u') {
		hit = s[pos + 1] ? strchr(from, s[pos + 1]) : NULL;
		if (!hit)
			return 0;
		*cp = (unsigned char)to[hit - from];
		return 2;
	}
	if (end - pos < 6 || hex4(s + pos + 2, &hi) < 0 || hi == 0 ||
	    (hi >= 0xdc00 && hi <= 0xdfff))
		return 0;
	if (hi < 0xd800 || hi > 0xdbff) {
		*cp = hi;
		return 6;
	}
	if (end - pos < 12 || s[pos + 6] != '\\' || s[pos + 7] != 'u' ||
	    hex4(s + pos + 8, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
		return 0;
	*cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	return 12;
}

/* A code point as the canonical writer spells it inside a string, into buf;
 * returns the length. */
static size_t spell(uint32_t cp, unsigned char *buf)
{
	static const char hexd[] = "0123456789abcdef";
	static const char short_form[0x20] = {
	    ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r',
	};

	if (cp == '"' || cp == '\\') {
		buf[0] = '\\';
		buf[1] = (unsigned char)cp;
		return 2;
	}
	if (cp < 0x20) {
		buf[0] = '\\';
		if (short_form[cp]) {
			buf[1] = (unsigned char)short_form[cp];
			return 2;
		}
		memcpy(buf + 1, "u00", 3);
		buf[4] = (unsigned char)hexd[cp >> 4];
		buf[5] = (unsigned char)hexd[cp & 15];
		return 6;
	}
	if (cp < 0x80) {
		buf[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		buf[0] = (unsigned char)(0xc0 | cp >> 6);
		buf[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		buf[0] = (unsigned char)(0xe0 | cp >> 12);
		buf[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		buf[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	buf[0] = (unsigned char)(0xf0 | cp >> 18);
	buf[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	buf[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	buf[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string from its opening quote, checked, and written in canonical
 * spelling unless dry; *escaped says whether it held escapes. */
static int rw_string(struct rw *w, int *escaped)
{
	struct cursor *c = &w->c;
	size_t run;

	*escaped = w->escaped = 0;
	c->pos++;
	if (put(w, "\"", 1) < 0)
		return -1;
	run = c->pos;
	while (c->pos < c->len) {
		unsigned ch = c->s[c->pos];
		unsigned char buf[6];
		uint32_t cp;
		size_t n;

		if (ch >= 0x20 && ch < 0x80 && ch != '"' && ch != '\\') {
			c->pos += terra_json_plain_run(c->s + c->pos, c->len - c->pos);
			continue;
		}
		if (ch == '"') {
			if (put(w, c->s + run, c->pos - run) < 0 || put(w, "\"", 1) < 0)
				return -1;
			c->pos++;
			return 0;
		}
		if (ch < 0x20)
			return -1;
		if (ch != '\\') {
			if (!(n = terra_utf8_len(c->s + c->pos, c->len - c->pos)))
				return -1;
			c->pos += n;
			continue;
		}
		*escaped = w->escaped = 1;
		if (!(n = any_escape(c->s, c->pos, c->len, &cp)) ||
		    put(w, c->s + run, c->pos - run) < 0 || put(w, buf, spell(cp, buf)) < 0)
			return -1;
		c->pos += n;
		run = c->pos;
	}
	return -1;
}

/* The next byte of a checked key's decoded bytes, or -1 at its end. */
struct key_bytes {
	const unsigned char *s;
	size_t pos, end;
	unsigned char buf[6];
	size_t n, i;
};

static int key_next(struct key_bytes *k)
{
	uint32_t cp;

	if (k->i < k->n)
		return k->buf[k->i++];
	if (k->pos >= k->end)
		return -1;
	if (k->s[k->pos] != '\\')
		return k->s[k->pos++];
	k->pos += any_escape(k->s, k->pos, k->end, &cp);
	/* the decoded bytes, not their spelling: raw UTF-8, or the control */
	if (cp < 0x80) {
		k->n = 1;
		k->buf[0] = (unsigned char)cp;
	} else {
		k->n = spell(cp, k->buf);
	}
	k->i = 1;
	return k->buf[0];
}

/* Keys compared as strcmp compares their decoded bytes. */
static int rw_key_cmp(const unsigned char *s, const struct rw_member *a, const struct rw_member *b)
{
	struct key_bytes x, y;

	if (!a->escaped && !b->escaped) {
		/* keys of a record mostly differ in their first byte */
		if (a->key < a->key_end && b->key < b->key_end && s[a->key] != s[b->key])
			return s[a->key] < s[b->key] ? -1 : 1;
		return terra_canon_key_cmp(s + a->key, a->key_end - a->key, s + b->key,
		                           b->key_end - b->key);
	}
	x = (struct key_bytes){s, a->key, a->key_end, {0}, 0, 0};
	y = (struct key_bytes){s, b->key, b->key_end, {0}, 0, 0};
	for (;;) {
		int p = key_next(&x), q = key_next(&y);

		if (p != q)
			return p < q ? -1 : 1;
		if (p < 0)
			return 0;
	}
}

static int rw_value(struct rw *w, int depth);

/* An object from its '{', its members at `depth`. */
static int rw_object(struct rw *w, int depth)
{
	struct cursor *c = &w->c;
	struct rw_member *m = w->pool + w->top;
	size_t n = 0, i, j, end;
	int rc = -1;

	c->pos++;
	skip_ws(c);
	if (peek(c) != '}') {
		for (;;) {
			char *out = w->out;
			int escaped;

			if (n == RW_MEMBERS || w->top + n == RW_POOL || peek(c) != '"')
				return -1;
			m[n].key = c->pos + 1;
			w->out = NULL; /* the dry pass */
			if (rw_string(w, &escaped) < 0) {
				w->out = out;
				return -1;
			}
			m[n].key_end = c->pos - 1;
			m[n].escaped = escaped;
			skip_ws(c);
			if (peek(c) != ':') {
				w->out = out;
				return -1;
			}
			c->pos++;
			skip_ws(c);
			m[n].val = c->pos;
			w->top += n + 1; /* keep this object's members below nested ones */
			rc = rw_value(w, depth);
			w->top -= n + 1;
			w->out = out;
			if (rc < 0)
				return -1;
			/* A scalar without escapes is already in written form. */
			m[n].end = c->pos;
			m[n].plain = c->s[m[n].val] == '"'
			                 ? !w->escaped
			                 : c->s[m[n].val] != '{' && c->s[m[n].val] != '[';
			n++;
			skip_ws(c);
			if (peek(c) == '}')
				break;
			if (peek(c) != ',')
				return -1;
			c->pos++;
			skip_ws(c);
		}
	}
	end = ++c->pos;
	/* Insertion sort, objects being small: a key after its predecessor
	 * stays (a sorted object costs n - 1 comparisons), another is placed by
	 * binary search (one written in reverse, as a Python dict of a sorted
	 * one may be, costs n log n, not n^2 / 2). */
	for (i = 1; i < n; i++) {
		struct rw_member t = m[i];
		size_t lo = 0, hi = i - 1;

		if (rw_key_cmp(c->s, &m[i - 1], &t) <= 0)
			continue;
		while (lo < hi) {
			j = lo + (hi - lo) / 2;
			if (rw_key_cmp(c->s, &m[j], &t) > 0)
				hi = j;
			else
				lo = j + 1;
		}
		memmove(&m[lo + 1], &m[lo], (i - lo) * sizeof *m);
		m[lo] = t;
	}
	for (i = 1; i < n; i++)
		if (!rw_key_cmp(c->s, &m[i - 1], &m[i]))
			return -1; /* a key twice */
	if (put(w, "{", 1) < 0)
		return -1;
	if (w->out) {
		w->top += n;
		for (i = 0; i < n; i++) {
			size_t at, vat;
			int escaped;

			c->pos = m[i].key - 1;
			if (i && put(w, ",", 1) < 0)
				break;
			at = w->o;
			if ((m[i].escaped
			         ? rw_string(w, &escaped)
			         : put(w, c->s + m[i].key - 1, m[i].key_end - m[i].key + 2)) < 0 ||
			    put(w, ":", 1) < 0)
				break;
			/* split reads no key with an escape; an escaped key is most
			 * often written without one */
			if (m[i].escaped && memchr(w->out + at + 1, '\\', w->o - at - 3))
				w->unsplit = 1;
			vat = w->o;
			c->pos = m[i].val;
			if (m[i].plain ? put(w, c->s + m[i].val, m[i].end - m[i].val) < 0
			               : rw_value(w, depth) < 0)
				break;
			if (depth == 1 && w->m) {
				if (w->mn == w->mcap)
					w->unsplit = 1;
				else
					keep_member(w, at, vat);
			}
		}
		w->top -= n;
		if (i < n)
			return -1;
	}
	c->pos = end;
	return put(w, "}", 1);
}

/* An array from its '[', its elements at `depth`. */
static int rw_array(struct rw *w, int depth)
{
	struct cursor *c = &w->c;

	c->pos++;
	if (put(w, "[", 1) < 0)
		return -1;
	skip_ws(c);
	if (peek(c) != ']') {
		for (;;) {
			if (rw_value(w, depth) < 0)
				return -1;
			skip_ws(c);
			if (peek(c) != ',')
				break;
			c->pos++;
			skip_ws(c);
			if (put(w, ",", 1) < 0)
				return -1;
		}
		if (peek(c) != ']')
			return -1;
	}
	c->pos++;
	return put(w, "]", 1);
}

/* A value inside a container at `depth`, with split's depth rule. */
static int rw_value(struct rw *w, int depth)
{
	struct cursor *c = &w->c;
	unsigned ch = peek(c);
	size_t at = c->pos;
	int64_t num;
	int escaped;

	if ((ch == '{' || ch == '[') && depth + 1 >= TERRA_DEPTH_MAX)
		return -1;
	switch (ch) {
	case '"':
		return rw_string(w, &escaped);
	case '{':
		return rw_object(w, depth + 1);
	case '[':
		return rw_array(w, depth + 1);
	case 't':
	case 'f':
	case 'n':
		if (terra_canon_scan_literal(c) < 0)
			return -1;
		break;
	default:
		/* an int64 as it is written, or refused: "-0", 1.0, 1e3, 01 */
		if (terra_canon_scan_int(c, &num) < 0)
			return -1;
		break;
	}
	return put(w, c->s + at, c->pos - at);
}

ssize_t terra_canon_rewrite_split(const char *text, size_t len, char *out, size_t cap,
                                  terra_canon_member *m, size_t mcap, int *nm)
{
	static _Thread_local struct rw w; /* its pool: 16 KiB, kept off the stack */

	w.c = (struct cursor){(const unsigned char *)text, len, 0};
	w.out = out;
	w.cap = cap;
	w.o = 0;
	w.top = 0;
	w.m = m;
	w.mcap = mcap;
	w.mn = 0;
	w.unsplit = 0;
	if (nm)
		*nm = -1;
	if (len > TERRA_LINE_MAX)
		return -1;
	skip_ws(&w.c);
	if (peek(&w.c) != '{' || rw_object(&w, 1) < 0)
		return -1;
	skip_ws(&w.c);
	if (w.c.pos != len)
		return -1;
	if (nm && !w.unsplit)
		*nm = (int)w.mn;
	return (ssize_t)w.o;
}

ssize_t terra_canon_rewrite(const char *text, size_t len, char *out, size_t cap)
{
	return terra_canon_rewrite_split(text, len, out, cap, NULL, 0, NULL);
}
