/*
 * lib/canon.c terra_canon_rewrite: a record in any spelling into written
 * form, against lib/record.c's writer on the tree jansson reads. Records of
 * the usage shape (nested evidence) and random ones are written back as a
 * signer in another language might write them: keys in any order at every
 * depth, whitespace between tokens, "sig" last, escapes spelled every way
 * JSON allows. Whatever the rewriter accepts must be the writer's bytes;
 * what jansson refuses, or what the writer would not write, it refuses.
 */
#include "lib/canon.h"
#include "lib/record.h"

#include "tap.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x2545f4914f6cdd1du;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t below(size_t n)
{
	return (size_t)(next() % n);
}

/* ---- a foreign writer ------------------------------------------------- */

struct sb {
	char *p;
	size_t n, cap;
};

static void add(struct sb *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void adds(struct sb *b, const char *s)
{
	add(b, s, strlen(s));
}

static void ws(struct sb *b)
{
	static const char *const w[] = {"", "", "", " ", "\t", "\r\n  ", "  ", "\n"};

	adds(b, w[below(sizeof w / sizeof *w)]);
}

static void u_escape(struct sb *b, unsigned v)
{
	char e[8];

	snprintf(e, sizeof e, below(2) ? "\\u%04x" : "\\u%04X", v);
	add(b, e, 6);
}

/* The code point of the valid UTF-8 sequence at s; *n its length. */
static unsigned decode(const unsigned char *s, size_t *n)
{
	if (s[0] < 0x80)
		return *n = 1, s[0];
	if (s[0] < 0xe0)
		return *n = 2, (s[0] & 0x1fu) << 6 | (s[1] & 0x3fu);
	if (s[0] < 0xf0)
		return *n = 3, (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu);
	return *n = 4,
	       (s[0] & 0x07u) << 18 | (s[1] & 0x3fu) << 12 | (s[2] & 0x3fu) << 6 | (s[3] & 0x3fu);
}

/* A string in a spelling chosen at random per character. */
static void foreign_string(struct sb *b, const char *s, size_t len)
{
	static const char short_form[0x20] = {
	    ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r',
	};
	size_t i = 0, n;

	adds(b, "\"");
	while (i < len) {
		unsigned cp = decode((const unsigned char *)s + i, &n);
		char two[2] = {'\\', 0};

		if (cp < 0x20 && short_form[cp] && below(2)) {
			two[1] = short_form[cp];
			add(b, two, 2);
		} else if (cp < 0x20 || ((cp == '"' || cp == '\\' || cp == '/') && below(3) == 0)) {
			u_escape(b, cp);
		} else if (cp == '"' || cp == '\\') {
			two[1] = (char)cp;
			add(b, two, 2);
		} else if (cp == '/' && below(2)) {
			adds(b, "\\/");
		} else if (below(4)) {
			add(b, s + i, n); /* as it is, raw UTF-8 included */
		} else if (cp < 0x10000) {
			u_escape(b, cp);
		} else {
			u_escape(b, 0xd800 + ((cp - 0x10000) >> 10));
			u_escape(b, 0xdc00 + ((cp - 0x10000) & 0x3ff));
		}
		i += n;
	}
	adds(b, "\"");
}

static void foreign_value(struct sb *b, const json_t *v, int top)
{
	char num[32];
	size_t i, n;

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key, **keys = malloc((json_object_size(v) + 1) * sizeof *keys);
		const char *sig = NULL;
		json_t *item;

		n = 0;
		json_object_foreach((json_t *)v, key, item)
		{
			if (top && !strcmp(key, "sig") && below(2))
				sig = key; /* written last, as many signers do */
			else
				keys[n++] = key;
		}
		for (i = n; i > 1; i--) { /* shuffled */
			size_t j = below(i);
			const char *t = keys[i - 1];

			keys[i - 1] = keys[j];
			keys[j] = t;
		}
		if (sig)
			keys[n++] = sig;
		adds(b, "{");
		for (i = 0; i < n; i++) {
			ws(b);
			foreign_string(b, keys[i], strlen(keys[i]));
			ws(b);
			adds(b, ":");
			ws(b);
			foreign_value(b, json_object_get(v, keys[i]), 0);
			ws(b);
			if (i + 1 < n)
				adds(b, ",");
		}
		ws(b);
		adds(b, "}");
		free(keys);
		return;
	}
	case JSON_ARRAY:
		adds(b, "[");
		for (i = 0; i < json_array_size(v); i++) {
			ws(b);
			foreign_value(b, json_array_get(v, i), 0);
			ws(b);
			if (i + 1 < json_array_size(v))
				adds(b, ",");
		}
		adds(b, "]");
		return;
	case JSON_STRING:
		foreign_string(b, json_string_value(v), json_string_length(v));
		return;
	case JSON_INTEGER:
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		adds(b, num);
		return;
	case JSON_TRUE:
		adds(b, "true");
		return;
	case JSON_FALSE:
		adds(b, "false");
		return;
	default:
		adds(b, "null");
		return;
	}
}

/* ---- records ---------------------------------------------------------- */

static const char *const texts[] = {"",
                                    "job-1",
                                    "a/b \xc3\xa9\n\t\x01 \"q\" \\",
                                    "\x7f\x1f\b\f\r",
                                    "\xef\xbf\xbf",
                                    "\xe2\x80\xa8",
                                    "\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf",
                                    "//",
                                    "sig"};
static const char *const keys[] = {
    "",        "a", "ab", "b",        "sig",          "signer",           "type",
    "v",       "B", "_",  "\xc3\xa9", "\xef\xbc\xa1", "\xf0\x9f\x98\x80", "\x7f",
    "a\"/\\\n"};

static void hex(char *out, size_t bytes)
{
	size_t i;

	for (i = 0; i < 2 * bytes; i++)
		out[i] = "0123456789abcdef"[below(16)];
	out[2 * bytes] = '\0';
}

static json_t *random_value(int depth);

static json_t *random_object(int depth)
{
	json_t *o = json_object();
	size_t n = below(6), i;

	for (i = 0; i < n; i++)
		json_object_set_new(o, keys[below(sizeof keys / sizeof *keys)],
		                    random_value(depth + 1));
	return o;
}

static json_t *random_value(int depth)
{
	static const json_int_t ints[] = {0, 1, -1, 9, 10, -10, INT64_MAX, INT64_MIN, 1795255200};
	json_t *a;
	size_t i, n;

	switch (below(depth > 6 ? 4 : 6)) {
	case 0:
		return json_string(texts[below(sizeof texts / sizeof *texts)]);
	case 1:
		return json_integer(below(2) ? ints[below(sizeof ints / sizeof *ints)]
		                             : (json_int_t)next());
	case 2:
		return below(3) == 0 ? json_null() : json_boolean(below(2));
	case 3:
		return json_string("x");
	case 4:
		return random_object(depth);
	default:
		a = json_array();
		n = below(4);
		for (i = 0; i < n; i++)
			json_array_append_new(a, random_value(depth + 1));
		return a;
	}
}

/* A usage record as terra-run writes it, sha256d evidence or another
 * workload's nested evidence. */
static json_t *usage_record(void)
{
	char unit[33], signer[65], sig[129], header[161];
	json_t *shares = json_array(), *rec;
	size_t i, n = below(40);

	hex(unit, 16);
	hex(signer, 32);
	hex(sig, 64);
	hex(header, 80);
	for (i = 0; i < n; i++)
		json_array_append_new(shares, json_integer((json_int_t)(next() % 4096)));
	rec = json_pack("{s:s, s:i, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:s, s:s, s:s}", "type",
	                "usage", "v", 1, "unit", unit, "workload", below(2) ? "sha256d" : "kernel",
	                "seq", (json_int_t)(1 + below(100000)), "start", "2026-11-21T10:00:00Z",
	                "end", "2026-11-21T10:10:00.5Z", "busy_us", (json_int_t)600000000, "work",
	                (json_int_t)(next() >> 1), "job",
	                texts[below(sizeof texts / sizeof *texts)], "signer", signer, "sig", sig);
	json_object_set_new(rec, "evidence",
	                    json_pack("{s:s, s:i, s:i, s:o, s:i}", "header", header, "nonce_start",
	                              0, "share_bits", 8, "shares", shares, "roll", 3));
	if (below(2))
		json_object_set_new(json_object_get(rec, "evidence"), "extra", random_object(3));
	return rec;
}

/* ---- checks ----------------------------------------------------------- */

/* 1 when the rewrite of text[0, len) is terra_rec_dumps of the tree jansson
 * reads from it, 0 when not, -1 when the rewriter refused it. */
static int rewrite_agrees(const char *text, size_t len, const json_t *want)
{
	char *out = malloc(len + 1), *back = NULL;
	size_t back_len;
	ssize_t n = terra_canon_rewrite(text, len, out, len);
	terra_err e;
	int good = 0;

	if (n < 0) {
		free(out);
		return -1;
	}
	if (terra_rec_dumps(want, &back, &back_len, &e) == 0 && (size_t)n == back_len &&
	    !memcmp(out, back, back_len))
		good = 1;
	else
		printf("# in:   %.*s\n# out:  %.*s\n# want: %s\n", (int)len, text, (int)n, out,
		       back ? back : "(none)");
	free(back);
	free(out);
	return good;
}

static int same_member(const terra_canon_member *a, const terra_canon_member *b)
{
	return a->at == b->at && a->end == b->end && a->key == b->key && a->key_len == b->key_len &&
	       a->val == b->val && a->val_len == b->val_len && a->kind == b->kind &&
	       a->escaped == b->escaped && a->num == b->num;
}

/*
 * 1 when terra_canon_rewrite_split writes what terra_canon_rewrite writes
 * and keeps the members terra_canon_split finds in that output, or refuses
 * the members where split refuses the output; 0 when not. *kept says
 * whether it kept them. mcap: room for members.
 */
static int split_agrees(const char *text, size_t len, size_t mcap, int *kept)
{
	terra_canon_member a[TERRA_CANON_MEMBERS], b[TERRA_CANON_MEMBERS];
	char *out = malloc(len + 1), *out2 = malloc(len + 1);
	ssize_t n = terra_canon_rewrite(text, len, out, len);
	int na = 0, nb, i, good;
	ssize_t n2 = terra_canon_rewrite_split(text, len, out2, len, a, mcap, &na);

	good = n == n2 && (n < 0 || !memcmp(out, out2, (size_t)n));
	nb = n < 0 ? -1 : terra_canon_split(out, (size_t)n, b, mcap);
	good = good && na == nb;
	for (i = 0; good && i < na; i++)
		good = same_member(&a[i], &b[i]);
	if (!good)
		printf("# in: %.*s\n# members %d, split finds %d\n", (int)len, text, na, nb);
	*kept = na >= 0;
	free(out);
	free(out2);
	return good;
}

static int refused(const char *text)
{
	char out[4096];

	return terra_canon_rewrite(text, strlen(text), out, sizeof out) == -1;
}

/*
 * Strings are read eight plain bytes at a time (terra_json_plain_run):
 * one byte of each kind, at every offset in and across those words, must be
 * read as the byte-wise loop reads it. Returns how many readings were wrong.
 */
static int test_words(void)
{
	static const struct {
		const char *s;
		int good, escaped;
	} kinds[] = {
	    {" ", 1, 0},    {"~", 1, 0},        {"\x7f", 1, 0}, {"\x1f", 0, 0},
	    {"\x80", 0, 0}, {"\xc3\xa9", 1, 0}, {"\\n", 1, 1},  {"\\u00e9", 0, 1},
	    {"\\\"", 1, 1}, {"\"", 0, 0},       {"\t", 0, 0},   {"\xf0\x9f\x98\x80", 1, 0},
	};
	terra_canon_member m[2];
	char text[128], out[128];
	size_t k, at, len;
	int wrong = 0;

	for (k = 0; k < sizeof kinds / sizeof *kinds; k++)
		for (at = 0; at < 20; at++) {
			int n;

			len = (size_t)snprintf(text, sizeof text, "{\"a\":\"%.*s%s%.*s\"}", (int)at,
			                       "0123456789abcdef0123", kinds[k].s, (int)(23 - at),
			                       "0123456789abcdef0123456");
			n = terra_canon_split(text, len, m, 2);
			/* \u00e9 is valid JSON but not the writer's spelling of it */
			if ((n == 1) != kinds[k].good ||
			    (n == 1 && m[0].escaped != kinds[k].escaped))
				wrong++;
			/* the rewriter takes every valid spelling, the writer's bytes kept */
			if (kinds[k].good &&
			    (terra_canon_rewrite(text, len, out, sizeof out) != (ssize_t)len ||
			     memcmp(out, text, len)))
				wrong++;
			if (!kinds[k].good && !kinds[k].escaped &&
			    terra_canon_rewrite(text, len, out, sizeof out) != -1)
				wrong++;
		}
	return wrong;
}

static void test_vectors(void)
{
	const char *top = getenv("TERRA_TOP");
	char path[4096], line[8192];
	FILE *f;
	int n = 0, good = 0, skipped = 0;

	snprintf(path, sizeof path, "%s/tests/fixtures/canonical/vectors.ndjson", top ? top : ".");
	f = fopen(path, "r");
	if (!f) {
		ok(0, "canonical vectors readable");
		return;
	}
	while (fgets(line, sizeof line, f)) {
		json_t *v = json_loads(line, 0, NULL), *in;
		const char *text = json_string_value(json_object_get(v, "in"));
		const char *want = json_string_value(json_object_get(v, "out"));
		char out[8192];
		ssize_t len;

		n++;
		in = text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
		len = text ? terra_canon_rewrite(text, strlen(text), out, sizeof out) : -1;
		/* Refused on purpose: \u0000, which terra_record_parse refuses,
		 * and -0, which the writer spells 0. */
		if (len < 0 && text && (strstr(text, "\\u0000") || strstr(text, ":-0"))) {
			skipped++;
			json_decref(in);
			json_decref(v);
			continue;
		}
		/* "out" drops the top-level "sig"; the rewrite keeps it */
		if (in && len >= 0 && rewrite_agrees(text, strlen(text), in) == 1 &&
		    (json_object_get(in, "sig") ||
		     ((size_t)len == strlen(want) && !memcmp(out, want, (size_t)len))))
			good++;
		else
			printf("# vector '%s' not rewritten\n",
			       json_string_value(json_object_get(v, "name")));
		json_decref(in);
		json_decref(v);
	}
	fclose(f);
	ok(n >= 18 && good + skipped == n && skipped <= 2,
	   "every canonical vector rewritten to the writer's bytes, but \\u0000 and -0 refused");
}

/*
 * A string's bytes are read eight at a time while all are plain: each kind
 * of byte that ends the run, at every offset of a 40-byte string, with the
 * string's end at every offset too, is seen as the byte-wise scan sees it.
 */
static void test_string_runs(void)
{
	static const struct {
		const char *bytes, *what;
		int taken;
	} cut[] = {
	    {"\\\"", "an escaped quote", 1},
	    {"\\\\", "an escaped backslash", 1},
	    {"\\u00e9", "a \\u escape", 0},
	    {"\xc3\xa9", "two-byte UTF-8", 1},
	    {"\xe2\x82\xac", "three-byte UTF-8", 1},
	    {"\x1f", "a control byte", 0},
	    {"\x80", "a lone continuation byte", 0},
	    {"\xff", "a byte never in UTF-8", 0},
	    {"\x7f", "DEL, plain", 1},
	    {" ", "a space, plain", 1},
	};
	char line[128], name[128];
	size_t k, at, len;
	terra_canon_member m[2];
	int all;

	for (k = 0; k < sizeof cut / sizeof cut[0]; k++) {
		all = 1;
		for (at = 0; at <= 40; at++)
			for (len = at; len <= 41; len += 7) {
				int n = snprintf(
				    line, sizeof line, "{\"k\":\"%.*s%s%.*s\"}", (int)at,
				    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO", cut[k].bytes,
				    (int)(len - at), "0123456789012345678901234567890123456789");

				all &=
				    (terra_canon_split(line, (size_t)n, m, 2) == 1) == cut[k].taken;
			}
		snprintf(name, sizeof name, "a string with %s at each offset: %s", cut[k].what,
		         cut[k].taken ? "taken" : "refused");
		ok(all, name);
	}
}

int main(void)
{
	int i, j, bad = 0, took = 0, split_bad = 0, kept = 0, unkept = 0;
	char out[64];

	test_vectors();
	is_int(test_words(), 0,
	       "strings read eight bytes at a time: a byte of each kind at every offset read as "
	       "one at a time reads it");
	test_string_runs();

	for (i = 0; i < 3000 && !bad; i++) {
		json_t *rec = i % 2 ? usage_record() : random_object(0);
		struct sb b = {0};

		for (j = 0; j < 4 && !bad; j++) {
			json_t *back;
			int rc;

			b.n = 0;
			ws(&b);
			foreign_value(&b, rec, 1);
			ws(&b);
			back = json_loadb(b.p, b.n, JSON_REJECT_DUPLICATES, NULL);
			if (!back || !json_equal(back, rec)) {
				printf("# the foreign writer is wrong: %s\n", b.p);
				bad = 1;
			}
			rc = rewrite_agrees(b.p, b.n, rec);
			if (rc == 0)
				bad = 1;
			took += rc == 1;
			if (rc == 1) {
				int k;

				split_bad += !split_agrees(b.p, b.n, TERRA_CANON_MEMBERS, &k);
				kept += k;
				unkept += !k;
			}
			json_decref(back);
		}
		free(b.p);
		json_decref(rec);
	}
	ok(!bad, "12000 spellings of 3000 records: each rewritten to the writer's bytes");
	/* Deep random values can pass the depth bound; usage records never do. */
	ok(took > 11000, "nearly all of them taken, not refused");
	ok(!split_bad, "each rewrite's members are what terra_canon_split finds in its output");
	/* a key that keeps an escape when written ("a\"/\\\n") is split's to refuse */
	ok(kept > 9000 && unkept > 100, "members kept for most, refused where split refuses");
	{
		static const char *const spellings[] = {
		    "{\"sig\": \"ab\", \"v\": 1, \"job\": \"\\u00e9\\/x\", \"\\u0074ype\": \"usage\"}",
		    "{\"a\":{\"b\\\"\":1},\"c\":2}",
		    "{\"c\":[1, {\"z\":true, \"y\":null}], \"b\":-9223372036854775808, \"a\":\"\\t\"}",
		    " { \"\\ud83d\\ude00\" : \"\\u00E9\" , \"\\u00e9\" : 1 } "};
		int k, all = 1, nk = 0;

		for (i = 0; i < (int)(sizeof spellings / sizeof *spellings); i++) {
			all &= split_agrees(spellings[i], strlen(spellings[i]), TERRA_CANON_MEMBERS,
			                    &k);
			nk += k;
		}
		ok(all && nk == 3,
		   "escaped keys and values, nested objects, INT64_MIN: members as split finds "
		   "them; a nested key that keeps an escape: refused");
		ok(split_agrees(spellings[0], strlen(spellings[0]), 3, &k) && !k,
		   "more members than room: refused, as split refuses them");
		ok(split_agrees(spellings[0], strlen(spellings[0]), 4, &k) && k,
		   "as many members as room: kept");
	}

	ok(refused("{\"a\":1,\"a\":2}"), "refused: a key twice");
	ok(refused("{\"a\":1,\"\\u0061\":2}"), "refused: a key twice, one of them escaped");
	ok(refused("{\"b\":{\"x\":1,\"y\":2,\"x\":3}}"), "refused: a key twice in a nested object");
	ok(refused("{\"a\":1.5}"), "refused: a fraction");
	ok(refused("{\"a\":1e3}"), "refused: an exponent");
	ok(refused("{\"a\":1.0}"), "refused: a float that is whole");
	ok(refused("{\"a\":-0}"), "refused: -0 (jansson reads it, the writer writes 0)");
	ok(refused("{\"a\":01}"), "refused: a leading zero");
	ok(refused("{\"a\":+1}"), "refused: a plus sign");
	ok(refused("{\"a\":9223372036854775808}"), "refused: past INT64_MAX");
	ok(refused("{\"a\":-9223372036854775809}"), "refused: past INT64_MIN");
	ok(refused("{\"a\":\"\xc3\"}"), "refused: UTF-8 cut short");
	ok(refused("{\"a\":\"\xc0\xaf\"}"), "refused: overlong UTF-8");
	ok(refused("{\"a\":\"\xed\xa0\x80\"}"), "refused: a surrogate in UTF-8");
	ok(refused("{\"a\":\"\xff\"}"), "refused: a byte that is never UTF-8");
	ok(refused("{\"a\":\"\\ud800\"}"), "refused: a lone high surrogate");
	ok(refused("{\"a\":\"\\udc00\\ud800\"}"), "refused: surrogates reversed");
	ok(refused("{\"a\":\"\\ud800\\u0041\"}"), "refused: a high surrogate before no low one");
	ok(refused("{\"a\":\"\\u0000\"}"), "refused: \\u0000");
	ok(refused("{\"a\":\"\\x41\"}"), "refused: an escape JSON has not");
	ok(refused("{\"a\":\"\\u00g1\"}"), "refused: \\u with a bad digit");
	ok(refused("{\"a\":\"\t\"}"), "refused: a raw control in a string");
	ok(refused("{\"a\":1} x"), "refused: trailing garbage");
	ok(refused("{\"a\":1}{}"), "refused: two objects");
	ok(refused("{\"a\":1,}"), "refused: a trailing comma");
	ok(refused("{\"a\" 1}"), "refused: no colon");
	ok(refused("{\"a\":[1,]}"), "refused: a trailing comma in an array");
	ok(refused("{\"a\":tru}"), "refused: a literal cut short");
	ok(refused("[1]"), "refused: not an object");
	ok(refused(""), "refused: nothing");
	ok(refused("{\"a\":1"), "refused: cut short");
	ok(refused("{\"a\":\"\\u00e9"), "refused: cut short in an escape");
	ok(refused("{\"a\":\v1}"), "refused: a vertical tab as whitespace");
	{
		char deep[256];
		int d;
		ssize_t n;

		for (d = 1; d < TERRA_DEPTH_MAX + 2; d++) {
			char buf[256];

			/* d containers: the record and d - 1 arrays */
			snprintf(deep, sizeof deep, "{\"a\":%.*s1%.*s}", d - 1,
			         "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", d - 1,
			         "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
			n = terra_canon_rewrite(deep, strlen(deep), buf, sizeof buf);
			if ((n >= 0) != (d < TERRA_DEPTH_MAX))
				break;
		}
		ok(d == TERRA_DEPTH_MAX + 2,
		   "containers nested below TERRA_DEPTH_MAX taken, TERRA_DEPTH_MAX of them refused");
	}
	is_int(terra_canon_rewrite("{ \"b\" : 1 , \"a\" : 2 }", 21, out, 12), -1,
	       "a buffer one byte short: refused");
	is_int(terra_canon_rewrite("{ \"b\" : 1 , \"a\" : 2 }", 21, out, 13), 13,
	       "a buffer just long enough: the written form");
	ok(!memcmp(out, "{\"a\":2,\"b\":1}", 13), "its bytes");
	return done_testing();
}
