#include "canon.h"

#include "canonint.h"
#include "hex.h"
#include "record.h"

#include <string.h>

/*
 * The grammar of written form, each rule what put_value in lib/record.c
 * writes and nothing more. A NUL byte is never valid where `peek` returns
 * it, so the end of the text reads as one (lib/canonint.h).
 */

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
int terra_canon_scan_int(struct cursor *c, int64_t *out)
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

int terra_canon_scan_literal(struct cursor *c)
{
	unsigned ch = peek(c);
	const char *word = ch == 't' ? "true" : ch == 'f' ? "false" : "null";
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
		if (terra_canon_scan_literal(c) < 0)
			return -1;
		break;
	default:
		m->kind = TERRA_CANON_INT;
		if (terra_canon_scan_int(c, &m->num) < 0)
			return -1;
		break;
	}
	m->val_len = c->pos - m->val;
	return 0;
}

int terra_canon_key_cmp(const unsigned char *a, size_t alen, const unsigned char *b, size_t blen)
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
		if (n && terra_canon_key_cmp(c->s + prev, prev_len, c->s + k.key, k.key_len) >= 0)
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
		if (terra_canon_scan_int(&c, &out[n++]) < 0)
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
