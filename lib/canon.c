#include "canon.h"

#include "hex.h"
#include "record.h"

#include <string.h>

/*
 * The grammar of written form, each rule what put_value in lib/record.c
 * writes and nothing more. A NUL byte is never valid where `peek` returns
 * it, so the end of the text reads as one.
 */
struct cursor {
	const unsigned char *s;
	size_t len, pos;
};

static unsigned peek(const struct cursor *c)
{
	return c->pos < c->len ? c->s[c->pos] : 0;
}

/* Length of the escape at the cursor as the canonical writer spells it, or
 * 0: a short form, or \u00xx in lowercase for a control without one
 * (jansson refuses \u0000, so it is refused here too). */
static size_t escape_len(const struct cursor *c)
{
	const unsigned char *p = c->s + c->pos;
	size_t left = c->len - c->pos;
	unsigned code;

	if (left < 2)
		return 0;
	if (p[1] && strchr("\"\\btnfr", p[1]))
		return 2;
	if (p[1] != 'u' || left < 6 || p[2] != '0' || p[3] != '0' || (p[4] != '0' && p[4] != '1') ||
	    !terra_hex_is_lower((const char *)p + 5, 1))
		return 0;
	code = (p[4] - '0') * 16u + (unsigned)(p[5] <= '9' ? p[5] - '0' : p[5] - 'a' + 10);
	if (code == 0 || code == '\b' || code == '\t' || code == '\n' || code == '\f' ||
	    code == '\r')
		return 0;
	return 6;
}

/* A string from its opening quote; the cursor ends past the closing one. */
static int scan_string(struct cursor *c, int *escaped)
{
	*escaped = 0;
	c->pos++;
	while (c->pos < c->len) {
		unsigned ch = c->s[c->pos];
		size_t n;

		if (ch >= 0x20 && ch < 0x80 && ch != '"' && ch != '\\') {
			c->pos += terra_json_plain_run(c->s + c->pos, c->len - c->pos);
			continue;
		}
		if (ch == '"') {
			c->pos++;
			return 0;
		}
		if (ch < 0x20)
			return -1;
		if (ch == '\\') {
			n = escape_len(c);
			*escaped = 1;
		} else {
			n = terra_utf8_len(c->s + c->pos, c->len - c->pos);
		}
		if (!n)
			return -1;
		c->pos += n;
	}
	return -1;
}

/* An int64 as "%lld" writes it: no sign but '-', no leading zero, no "-0". */
static int scan_int(struct cursor *c, int64_t *out)
{
	uint64_t v = 0, limit = (uint64_t)INT64_MAX;
	size_t digits = 0;
	int neg = 0;

	if (peek(c) == '-') {
		neg = 1;
		limit++;
		c->pos++;
	}
	if (peek(c) == '0') {
		if (neg)
			return -1;
		c->pos++;
		*out = 0;
		return peek(c) >= '0' && peek(c) <= '9' ? -1 : 0;
	}
	while (peek(c) >= '0' && peek(c) <= '9') {
		/* 19 digits hold any int64 and cannot overflow 64 bits */
		if (++digits > 19)
			return -1;
		v = v * 10 + (peek(c) - '0');
		c->pos++;
	}
	if (!digits || v > limit)
		return -1;
	if (!neg)
		*out = (int64_t)v;
	else
		*out = v == limit ? INT64_MIN : -(int64_t)v;
	return 0;
}

static int scan_literal(struct cursor *c, const char *word)
{
	size_t n = strlen(word);

	if (c->len - c->pos < n || memcmp(c->s + c->pos, word, n))
		return -1;
	c->pos += n;
	return 0;
}

static int scan_object(struct cursor *c, int depth, terra_canon_member *m, size_t cap);
static int scan_value(struct cursor *c, int depth, terra_canon_member *m);

/* An array from its '[', its elements inside it at `depth`. */
static int scan_array(struct cursor *c, int depth)
{
	c->pos++;
	if (peek(c) != ']') {
		for (;;) {
			if (scan_value(c, depth, NULL) < 0)
				return -1;
			if (peek(c) != ',')
				break;
			c->pos++;
		}
		if (peek(c) != ']')
			return -1;
	}
	c->pos++;
	return 0;
}

/*
 * A value inside a container at `depth` (the record is at 1). Containers
 * stop below TERRA_DEPTH_MAX, so every value stays within the depth the
 * writer accepts.
 */
static int scan_value(struct cursor *c, int depth, terra_canon_member *m)
{
	terra_canon_member dummy;
	unsigned ch = peek(c);
	int escaped = 0;

	if (!m)
		m = &dummy;
	m->val = c->pos;
	if ((ch == '{' || ch == '[') && depth + 1 >= TERRA_DEPTH_MAX)
		return -1;
	switch (ch) {
	case '"':
		m->kind = TERRA_CANON_STRING;
		if (scan_string(c, &escaped) < 0)
			return -1;
		m->escaped = escaped;
		m->val++;
		m->val_len = c->pos - 1 - m->val;
		return 0;
	case '{':
		m->kind = TERRA_CANON_OBJECT;
		if (scan_object(c, depth + 1, NULL, 0) < 0)
			return -1;
		break;
	case '[':
		m->kind = TERRA_CANON_ARRAY;
		if (scan_array(c, depth + 1) < 0)
			return -1;
		break;
	case 't':
	case 'f':
	case 'n':
		m->kind = TERRA_CANON_LITERAL;
		if (scan_literal(c, ch == 't' ? "true" : ch == 'f' ? "false" : "null") < 0)
			return -1;
		break;
	default:
		m->kind = TERRA_CANON_INT;
		if (scan_int(c, &m->num) < 0)
			return -1;
		break;
	}
	m->val_len = c->pos - m->val;
	return 0;
}

static int key_cmp(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
{
	int d = memcmp(a, b, alen < blen ? alen : blen);

	if (d)
		return d;
	return alen < blen ? -1 : alen > blen;
}

/* An object from its '{', its members into m when m is not NULL. Returns
 * the number of members. */
static int scan_object(struct cursor *c, int depth, terra_canon_member *m, size_t cap)
{
	size_t n = 0, prev = 0, prev_len = 0;

	c->pos++;
	if (peek(c) == '}') {
		c->pos++;
		return 0;
	}
	for (;;) {
		terra_canon_member k;
		int escaped;

		k.at = c->pos;
		if (peek(c) != '"' || scan_string(c, &escaped) < 0 || escaped)
			return -1;
		k.key = k.at + 1;
		k.key_len = c->pos - 1 - k.key;
		/* Strictly increasing: sorted, and no key twice. */
		if (n && key_cmp(c->s + prev, prev_len, c->s + k.key, k.key_len) >= 0)
			return -1;
		prev = k.key;
		prev_len = k.key_len;
		if (peek(c) != ':')
			return -1;
		c->pos++;
		k.escaped = 0;
		k.num = 0;
		if (scan_value(c, depth, &k) < 0)
			return -1;
		k.end = c->pos;
		if (m) {
			if (n == cap)
				return -1;
			m[n] = k;
		}
		n++;
		if (peek(c) == '}')
			break;
		if (peek(c) != ',')
			return -1;
		c->pos++;
	}
	c->pos++;
	return (int)n; /* at most one per 4 bytes of a line of at most 1 MiB */
}

int terra_canon_split(const char *text, size_t len, terra_canon_member *m, size_t cap)
{
	struct cursor c = {(const unsigned char *)text, len, 0};
	int n;

	if (len > TERRA_LINE_MAX || peek(&c) != '{')
		return -1;
	n = scan_object(&c, 1, m, cap);
	return n >= 0 && c.pos == len ? n : -1;
}

const terra_canon_member *terra_canon_find(const char *text, const terra_canon_member *m, size_t n,
                                           const char *key)
{
	size_t klen = strlen(key), i;

	for (i = 0; i < n; i++)
		if (m[i].key_len == klen && !memcmp(text + m[i].key, key, klen))
			return &m[i];
	return NULL;
}

int terra_canon_is(const char *text, const terra_canon_member *m, const char *s)
{
	size_t n = strlen(s);

	return m && m->kind == TERRA_CANON_STRING && !m->escaped && m->val_len == n &&
	       !memcmp(text + m->val, s, n);
}

long terra_canon_ints(const char *text, const terra_canon_member *m, int64_t *out)
{
	struct cursor c = {(const unsigned char *)text, m->val + m->val_len - 1, m->val + 1};
	long n = 0;

	if (m->kind != TERRA_CANON_ARRAY)
		return -1;
	if (c.pos == c.len)
		return 0;
	/* Split already checked the array: only its elements' kinds are in doubt. */
	for (;;) {
		if (peek(&c) != '-' && (peek(&c) < '0' || peek(&c) > '9'))
			return -1;
		if (scan_int(&c, &out[n++]) < 0)
			return -1;
		if (c.pos == c.len)
			return n;
		c.pos++; /* ',' */
	}
}

size_t terra_canon_without(const char *text, size_t len, const terra_canon_member *m, size_t n,
                           size_t i, char *out)
{
	size_t from, to;

	if (i > 0) {
		from = m[i - 1].end; /* the comma before it */
		to = m[i].end;
	} else {
		from = m[0].at;
		to = n > 1 ? m[1].at : m[0].end; /* the comma after it */
	}
	memcpy(out, text, from);
	memcpy(out + from, text + to, len - to);
	return len - (to - from);
}

/* ---- any spelling into written form ------------------------------------ */

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
};

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
			c->pos++;
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
	struct key_bytes x = {s, a->key, a->key_end, {0}, 0, 0};
	struct key_bytes y = {s, b->key, b->key_end, {0}, 0, 0};

	if (!a->escaped && !b->escaped)
		return key_cmp(s + a->key, a->key_end - a->key, s + b->key, b->key_end - b->key);
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
	/* Insertion sort: objects are small, and often nearly sorted. */
	for (i = 1; i < n; i++) {
		struct rw_member t = m[i];

		for (j = i; j > 0 && rw_key_cmp(c->s, &m[j - 1], &t) > 0; j--)
			m[j] = m[j - 1];
		m[j] = t;
	}
	for (i = 1; i < n; i++)
		if (!rw_key_cmp(c->s, &m[i - 1], &m[i]))
			return -1; /* a key twice */
	if (put(w, "{", 1) < 0)
		return -1;
	if (w->out) {
		w->top += n;
		for (i = 0; i < n; i++) {
			int escaped;

			c->pos = m[i].key - 1;
			if ((i && put(w, ",", 1) < 0) ||
			    (m[i].escaped
			         ? rw_string(w, &escaped)
			         : put(w, c->s + m[i].key - 1, m[i].key_end - m[i].key + 2)) < 0 ||
			    put(w, ":", 1) < 0)
				break;
			c->pos = m[i].val;
			if (m[i].plain ? put(w, c->s + m[i].val, m[i].end - m[i].val) < 0
			               : rw_value(w, depth) < 0)
				break;
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
		if (scan_literal(c, ch == 't' ? "true" : ch == 'f' ? "false" : "null") < 0)
			return -1;
		break;
	default:
		/* an int64 as it is written, or refused: "-0", 1.0, 1e3, 01 */
		if (scan_int(c, &num) < 0)
			return -1;
		break;
	}
	return put(w, c->s + at, c->pos - at);
}

ssize_t terra_canon_rewrite(const char *text, size_t len, char *out, size_t cap)
{
	static _Thread_local struct rw w; /* its pool: 16 KiB, kept off the stack */

	w.c = (struct cursor){(const unsigned char *)text, len, 0};
	w.out = out;
	w.cap = cap;
	w.o = 0;
	w.top = 0;
	if (len > TERRA_LINE_MAX)
		return -1;
	skip_ws(&w.c);
	if (peek(&w.c) != '{' || rw_object(&w, 1) < 0)
		return -1;
	skip_ws(&w.c);
	return w.c.pos == len ? (ssize_t)w.o : -1;
}

int terra_canon_is_str(const terra_canon_member *f)
{
	return f && f->kind == TERRA_CANON_STRING && !f->escaped;
}

int terra_canon_is_int(const terra_canon_member *f)
{
	return f && f->kind == TERRA_CANON_INT;
}

int terra_canon_str(const char *text, const terra_canon_member *f, char *out, size_t cap)
{
	if (!terra_canon_is_str(f) || f->val_len >= cap)
		return -1;
	memcpy(out, text + f->val, f->val_len);
	out[f->val_len] = '\0';
	return 0;
}

int terra_canon_hex(const char *text, const terra_canon_member *f, uint8_t *out, size_t n)
{
	if (!terra_canon_is_str(f))
		return -1;
	return terra_unhex_lower(text + f->val, f->val_len, out, n);
}
