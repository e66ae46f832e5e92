/* lib/usage.c: exact splits, the share bound, the rate bound, and the two
 * paths that check a usage line agreeing; lib/canon.c: the written form it
 * reads usage lines in, against lib/record.c. */
#include "lib/canon.h"
#include "lib/meter.h"
#include "lib/record.h"
#include "lib/usage.h"
#include "lib/paid.h"
#include "lib/pow.h"
#include "lib/sha256dproof.h"
#include "tap.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef __int128 i128;

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int64_t below(int64_t n)
{
	return (int64_t)(next() % (uint64_t)n);
}

/* The parts of all cells touched sum to the amount, each within one unit of
 * its exact share, and the cells outside get nothing. */
static int split_ok(int64_t amount, int64_t start, int64_t end, int64_t origin, int64_t every)
{
	int64_t c0 = (start - origin) / every - 2, c1 = (end - origin) / every + 2, c, sum = 0;
	i128 exact;

	if (start - origin < 0)
		c0 = -((origin - start) / every) - 2;
	for (c = c0; c <= c1; c++) {
		int64_t cs = origin + c * every, ce = cs + every;
		int64_t lo = cs > start ? cs : start, hi = ce < end ? ce : end;
		int64_t part = terra_meter_part(amount, start, end, origin, every, c);
		int64_t overlap = hi > lo ? hi - lo : 0;

		exact = (i128)amount * overlap;
		if (part < 0 || (i128)part * (end - start) > exact + (end - start) ||
		    (i128)part * (end - start) < exact - (end - start))
			return 0;
		if (!overlap && part)
			return 0;
		sum += part;
	}
	return sum == amount;
}

/* ---- lib/canon.c -------------------------------------------------------- */

/*
 * What terra_canon_split accepts is JSON that jansson reads (duplicates
 * refused) and terra_rec_dumps writes back byte for byte, with the members
 * split where they are; cutting "sig" out gives terra_rec_canonical. A line
 * it refuses makes no claim. Returns 1 when that holds, -1 when the line
 * was refused, 0 on a disagreement.
 */
static int canon_agrees(const char *line, size_t len)
{
	terra_canon_member m[TERRA_CANON_MEMBERS];
	const terra_canon_member *sig;
	json_t *rec = NULL;
	terra_err e;
	char *back = NULL, *canon = NULL, *cut = NULL;
	size_t back_len, canon_len, cut_len, i;
	int n = terra_canon_split(line, len, m, TERRA_CANON_MEMBERS), good = 0;

	if (n < 0)
		return -1;
	if (!(rec = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL)) || !json_is_object(rec) ||
	    json_object_size(rec) != (size_t)n || terra_rec_dumps(rec, &back, &back_len, &e) < 0 ||
	    back_len != len || memcmp(back, line, len))
		goto out;
	for (i = 0; i < (size_t)n; i++) {
		char key[256];
		json_t *v;

		if (m[i].key_len >= sizeof key)
			goto out;
		memcpy(key, line + m[i].key, m[i].key_len);
		key[m[i].key_len] = '\0';
		v = json_object_get(rec, key);
		if (!v || (m[i].kind == TERRA_CANON_INT &&
		           (!json_is_integer(v) || json_integer_value(v) != m[i].num)))
			goto out;
		if (m[i].kind == TERRA_CANON_STRING && !m[i].escaped &&
		    (!json_is_string(v) || json_string_length(v) != m[i].val_len ||
		     memcmp(json_string_value(v), line + m[i].val, m[i].val_len)))
			goto out;
	}
	if ((sig = terra_canon_find(line, m, (size_t)n, "sig"))) {
		if (!(cut = malloc(len)) || terra_rec_canonical(rec, &canon, &canon_len, &e) < 0)
			goto out;
		cut_len = terra_canon_without(line, len, m, (size_t)n, (size_t)(sig - m), cut);
		if (cut_len != canon_len || memcmp(cut, canon, canon_len))
			goto out;
	}
	good = 1;
out:
	free(cut);
	free(canon);
	free(back);
	json_decref(rec);
	return good;
}

static const char *const keys[] = {
    "",  "a", "ab", "b",        "sig",          "signer",           "type",
    "v", "B", "_",  "\xc3\xa9", "\xef\xbc\xa1", "\xf0\x9f\x98\x80", "\x7f"};
static const char *const pieces[] = {"x",    "\"",       "\\",           "/",
                                     "\n",   "\t",       "\x01",         "\x1f",
                                     "\x7f", "\xc3\xa9", "\xe2\x80\xa8", "\xf0\x9f\x98\x80",
                                     " ",    "9"};

static json_t *random_value(int depth);

static json_t *random_object(int depth)
{
	json_t *o = json_object();
	int n = (int)below(5), i;

	for (i = 0; i < n; i++)
		json_object_set_new(o, keys[below(sizeof keys / sizeof *keys)],
		                    random_value(depth + 1));
	return o;
}

static json_t *random_value(int depth)
{
	static const int64_t ints[] = {0, 1, -1, 10, INT64_MAX, INT64_MIN, INT64_MAX - 1, -10};
	char s[64];
	json_t *a;
	int n, i, len = 0;

	switch (below(depth > 4 ? 6 : 8)) {
	case 0:
		return json_integer(ints[below(8)]);
	case 1:
		return json_integer((json_int_t)next());
	case 2:
		n = (int)below(6);
		for (i = 0; i < n; i++)
			len += snprintf(s + len, sizeof s - (size_t)len, "%s",
			                pieces[below(sizeof pieces / sizeof *pieces)]);
		return json_stringn(s, (size_t)len);
	case 3:
		return json_true();
	case 4:
		return json_false();
	case 5:
		return json_null();
	case 6:
		a = json_array();
		n = (int)below(4);
		for (i = 0; i < n; i++)
			json_array_append_new(a, random_value(depth + 1));
		return a;
	default:
		return random_object(depth);
	}
}

/* One byte changed, added, dropped or swapped with the next. */
static size_t mutate(char *s, size_t len)
{
	static const char bytes[] =
	    " \"\\0123456789-+.eE,:{}[]utfnl\x80\xbf\xc0\xc3\xed\xf4\xff\x01"
	    "A";
	size_t at = (size_t)below((int64_t)len);
	char c = bytes[below(sizeof bytes)]; /* the final NUL too */

	switch (below(4)) {
	case 0:
		s[at] = c;
		return len;
	case 1:
		memmove(s + at + 1, s + at, len - at);
		s[at] = c;
		return len + 1;
	case 2:
		memmove(s + at, s + at + 1, len - at - 1);
		return len - 1;
	default:
		if (at + 1 < len) {
			c = s[at];
			s[at] = s[at + 1];
			s[at + 1] = c;
		}
		return len;
	}
}

static void test_canon(void)
{
	static const struct {
		const char *line;
		int accepted;
	} cases[] = {
	    {"{}", 1},
	    {"{\"a\":1,\"b\":[1,-2,{\"c\":null}],\"c\":\"x\"}", 1},
	    {"{\"b\":1,\"a\":2}", 0},
	    {"{\"a\":1,\"a\":2}", 0},
	    {"{\"a\":1,\"ab\":2,\"b\":3}", 1},
	    {"{\"a\" :1}", 0},
	    {"{\"a\":1} ", 0},
	    {"{\"a\":1}x", 0},
	    {"{\"a\":1,}", 0},
	    {"[1]", 0},
	    {"{\"a\":-0}", 0},
	    {"{\"a\":01}", 0},
	    {"{\"a\":1.0}", 0},
	    {"{\"a\":1e5}", 0},
	    {"{\"a\":9223372036854775807,\"b\":-9223372036854775808}", 1},
	    {"{\"a\":9223372036854775808}", 0},
	    {"{\"a\":-9223372036854775809}", 0},
	    {"{\"a\":99999999999999999999}", 0},
	    {"{\"a\":\"\\\"\\\\\\b\\t\\n\\f\\r\\u0001\\u001f\\u000b\"}", 1},
	    {"{\"a\":\"\\u0000\"}", 0},
	    {"{\"a\":\"\\u001F\"}", 0},
	    {"{\"a\":\"\\u0041\"}", 0},
	    {"{\"a\":\"\\u000a\"}", 0},
	    {"{\"a\":\"\\/\"}", 0},
	    {"{\"a\":\"\x01\"}", 0},
	    {"{\"a\":\"\x7f\xc3\xa9\xf0\x9f\x98\x80\"}", 1},
	    {"{\"a\":\"\xc0\xaf\"}", 0},
	    {"{\"a\":\"\xe0\x80\xaf\"}", 0},
	    {"{\"a\":\"\xed\xa0\x80\"}", 0},
	    {"{\"a\":\"\xf4\x90\x80\x80\"}", 0},
	    {"{\"a\":\"\xc3\"}", 0},
	    {"{\"a\":\"\xff\"}", 0},
	    {"{\"\\n\":1}", 0},
	    {"{\"a\":tru}", 0},
	    {"{\"a\":\"x}", 0},
	};
	char deep[256], line[4096];
	size_t i, len;
	int good, accepted, d;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		int got = canon_agrees(cases[i].line, strlen(cases[i].line));

		if (!ok(got == (cases[i].accepted ? 1 : -1), "canon: a crafted line"))
			printf("#   %s: got %d\n", cases[i].line, got);
	}
	/* A NUL inside, and a line cut short. */
	is_int(canon_agrees("{\"a\":\"\0\"}", 7), -1, "canon: a NUL byte is refused");
	is_int(canon_agrees("{\"a\":1}", 6), -1, "canon: a cut line is refused");
	/* d objects, the record's own among them, around an integer: the writer
	 * refuses a value deeper than TERRA_DEPTH_MAX, so d = TERRA_DEPTH_MAX is. */
	for (d = TERRA_DEPTH_MAX - 1; d <= TERRA_DEPTH_MAX; d++) {
		len = 0;
		for (i = 0; i < (size_t)d; i++)
			len += (size_t)sprintf(deep + len, "{\"a\":");
		deep[len++] = '1';
		for (i = 0; i < (size_t)d; i++)
			deep[len++] = '}';
		is_int(canon_agrees(deep, len), d < TERRA_DEPTH_MAX ? 1 : -1,
		       d < TERRA_DEPTH_MAX ? "canon: deep nesting within the limit"
		                           : "canon: nesting at the limit refused");
	}

	/* Random records as the writer spells them: all accepted (keys are
	 * never escaped here), and every mutant either refused or agreed. */
	good = 1;
	accepted = 0;
	for (i = 0; i < 3000 && good; i++) {
		json_t *rec = random_object(1);
		char *text;
		int k;

		if (below(2))
			json_object_set_new(rec, "sig", json_string("00ff"));
		if (terra_rec_dumps(rec, &text, &len, NULL) < 0 || len + 64 > sizeof line) {
			json_decref(rec);
			continue;
		}
		memcpy(line, text, len);
		free(text);
		json_decref(rec);
		if (canon_agrees(line, len) != 1) {
			printf("# written form refused or misread: %.*s\n", (int)len, line);
			good = 0;
		}
		for (k = 0; k < 30 && good; k++) {
			char mutant[4096];
			size_t mlen;
			int got;

			memcpy(mutant, line, len);
			mlen = mutate(mutant, len);
			got = canon_agrees(mutant, mlen);
			accepted += got == 1;
			if (!got) {
				printf("# mutant accepted but misread: %.*s\n", (int)mlen, mutant);
				good = 0;
			}
		}
	}
	ok(good, "canon: 3000 random written records accepted, 90000 mutants refused or agreed");
	ok(accepted > 0, "canon: some mutants are written form too");

	/* Arrays of integers. */
	{
		const char *t = "{\"s\":[5,-3,0,9223372036854775807],\"t\":[],\"u\":[1,\"2\"]}";
		terra_canon_member m[4];
		int64_t out[8];
		int n = terra_canon_split(t, strlen(t), m, 4);

		is_int(n, 3, "canon: three members");
		is_int(terra_canon_ints(t, &m[0], out), 4, "canon: four integers");
		ok(out[0] == 5 && out[1] == -3 && out[2] == 0 && out[3] == INT64_MAX,
		   "canon: their values");
		is_int(terra_canon_ints(t, &m[1], out), 0, "canon: an empty array");
		is_int(terra_canon_ints(t, &m[2], out), -1, "canon: a string among them");
		is_int(terra_canon_split(t, strlen(t), m, 2), -1, "canon: more members than room");
	}
}

static int same_verdict(const terra_usage_verdict *a, const terra_usage_verdict *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind != TERRA_USAGE_OK)
		return 1;
	return a->unit == b->unit && a->seq == b->seq && a->start == b->start && a->end == b->end &&
	       a->busy == b->busy && a->work == b->work && !memcmp(a->sig, b->sig, sizeof a->sig) &&
	       !memcmp(a->leaf, b->leaf, sizeof a->leaf) && a->workload == b->workload &&
	       a->proven == b->proven && a->has_nonces == b->has_nonces &&
	       a->nonce_lo == b->nonce_lo && a->nonce_hi == b->nonce_hi && a->ntime == b->ntime &&
	       !memcmp(a->header_id, b->header_id, sizeof a->header_id);
}

/* A signed sha256d record of unit id: 2048 nonces of the toolkit's header for
 * it, job "j", roll 0, timed at its start, with the shares of 8 bits. */
static json_t *sha256d_record(const char *id, const terra_key *k, terra_err *e)
{
	uint8_t tmpl[TERRA_HEADER_BYTES], hash[32];
	char hex[2 * TERRA_HEADER_BYTES + 1];
	json_t *shares = json_array(), *rec;

	terra_sha256d_bound_header(id, "j", 0, 1795255200u, tmpl); /* 2026-11-21T10:00:00Z */
	terra_hex(tmpl, sizeof tmpl, hex);
	for (int i = 0; shares && i < 2048; i++) {
		terra_sha256d_hash(tmpl, (uint64_t)i, hash);
		if (terra_sha256d_meets(hash, 8))
			json_array_append_new(shares, json_integer(i));
	}
	rec = json_pack("{s:s, s:i, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:i, s:{s:s, s:i, s:i, "
	                "s:i, s:o}}",
	                "type", "usage", "v", 1, "unit", id, "job", "j", "workload", "sha256d",
	                "seq", 7, "start", "2026-11-21T10:00:00Z", "end", "2026-11-21T10:01:00Z",
	                "busy_us", 1000, "work", 2048, "evidence", "header", hex, "nonce_start", 0,
	                "roll", 0, "share_bits", 8, "shares", shares);
	if (rec && terra_rec_sign(rec, k, e) < 0) {
		json_decref(rec);
		return NULL;
	}
	return rec;
}

/* The written-form path (with scratch) and the jansson path (without) give
 * the same verdict on a signed line and on every one-byte mutant of it:
 * hex in upper case, a digit out of range, a quote or a brace in its place. */
static void test_usage_paths(int sha256d)
{
	static const char subst[] = "0aAfFgG\"}:,";
	terra_usage_unit unit = {.id = "00112233445566778899aabbccddeeff"};
	terra_usage_rules rules = {&unit, 1, sizeof unit, 0, INT64_MAX, 0};
	terra_usage_scratch *sc = NULL;
	terra_usage_verdict fast, slow;
	terra_key k;
	terra_err e;
	json_t *rec;
	char *line = NULL, *mut;
	size_t len = 0, i, j;
	int good = 1, ok_fast = 0;

	if (terra_key_generate(&k, &e) < 0) {
		ok(0, e.msg);
		return;
	}
	memcpy(unit.unit_pub, k.pk, sizeof unit.unit_pub);
	rec = sha256d ? sha256d_record(unit.id, &k, &e)
	              : json_pack("{s:s, s:i, s:s, s:s, s:i, s:s, s:s, s:i, s:i}", "type", "usage",
	                          "v", 1, "unit", unit.id, "workload", "kernel", "seq", 7, "start",
	                          "2026-11-21T10:00:00Z", "end", "2026-11-21T10:01:00Z", "busy_us",
	                          1000, "work", 5);
	if (!rec || (!sha256d && terra_rec_sign(rec, &k, &e) < 0) ||
	    terra_rec_dumps(rec, &line, &len, &e) < 0) {
		ok(0, "usage: a signed line");
		json_decref(rec);
		terra_key_wipe(&k);
		return;
	}
	memset(&fast, 0, sizeof fast);
	memset(&slow, 0, sizeof slow);
	terra_usage_check(&rules, line, len, &fast, &sc);
	terra_usage_check(&rules, line, len, &slow, NULL);
	is_int(fast.kind, TERRA_USAGE_OK,
	       sha256d ? "usage: a sha256d line is accepted in written form"
	               : "usage: a signed line is accepted in written form");
	ok(same_verdict(&fast, &slow), "usage: ... with the verdict of the jansson path");
	if (sha256d)
		ok(fast.has_nonces && fast.nonce_lo == 0 && fast.nonce_hi == 2048 &&
		       fast.proven > 0 && fast.proven % 256 == 0 && fast.ntime == 1795255200,
		   "usage: sha256d: nonces [0, 2048), proven shares x 2^8, the header's time");
	mut = malloc(len + 1);
	for (i = 0; mut && i < len && good; i++)
		for (j = 0; j < sizeof subst - 1 && good; j++) {
			memcpy(mut, line, len + 1);
			if (mut[i] == subst[j])
				continue;
			mut[i] = subst[j];
			memset(&fast, 0, sizeof fast);
			memset(&slow, 0, sizeof slow);
			terra_usage_check(&rules, mut, len, &fast, &sc);
			terra_usage_check(&rules, mut, len, &slow, NULL);
			ok_fast += fast.kind == TERRA_USAGE_OK;
			if (!same_verdict(&fast, &slow)) {
				printf("# paths disagree (%d, %d): %s\n", fast.kind, slow.kind,
				       mut);
				good = 0;
			}
			free(fast.msg);
			free(slow.msg);
		}
	ok(good, "usage: every one-byte mutant gets the same verdict on both paths");
	ok(ok_fast == 0, "usage: no mutant is accepted (the signature covers it)");
	free(mut);
	free(line);
	terra_usage_scratch_free(sc);
	json_decref(rec);
	terra_key_wipe(&k);
}

/* A record's nonces over the cells of a grid: adjacent, in order, all of them. */
static int nonces_partition(int64_t lo, int64_t work, int64_t start, int64_t end, int64_t origin,
                            int64_t every)
{
	terra_usage_verdict u = {.start = start, .end = end, .nonce_lo = lo, .nonce_hi = lo + work};
	int64_t c0 = terra_meter_cell(start, origin, every),
	        c1 = terra_meter_cell(end - 1, origin, every);
	int64_t at = lo, a, b;

	for (int64_t c = c0; c <= c1; c++) {
		terra_meter_nonces(&u, origin + c * every, origin + (c + 1) * every, &a, &b);
		if (a != at || b < a)
			return 0;
		at = b;
	}
	return at == lo + work;
}

static void test_paid(void)
{
	static const uint8_t h1[32] = {1}, h2[32] = {2};
	terra_paid *p = terra_paid_new();
	terra_paid_who who, run = {3, 7, NULL}, paid = {-1, 0, "P1"};
	int good = 1;

	ok(p != NULL, "paid: a set");
	if (!p)
		return;
	ok(!terra_paid_find(p, h1, 0, 10, NULL, &who), "paid: nothing in an empty set");
	ok(terra_paid_add(p, h1, 0, 100, &paid) == 0 && terra_paid_add(p, h1, 200, 300, &run) == 0,
	   "paid: two ranges of one header");
	ok(terra_paid_find(p, h1, 99, 101, NULL, &who) && who.unit == -1 &&
	       !strcmp(who.period, "P1"),
	   "paid: an overlap found, with the period it was paid for");
	ok(!terra_paid_find(p, h1, 100, 200, NULL, &who), "paid: the gap between is free");
	ok(!terra_paid_find(p, h2, 0, 1000, NULL, &who), "paid: another header is another's");
	ok(terra_paid_find(p, h1, 250, 251, NULL, &who) && who.unit == 3 && who.seq == 7,
	   "paid: a run's range names its unit and seq");
	ok(!terra_paid_find(p, h1, 50, 60, "P1", &who),
	   "paid: a range paid for the same period passes");
	for (int i = 0; i < 2000 && good; i++) {
		uint8_t id[32] = {0};

		id[0] = (uint8_t)(i % 251);
		id[1] = (uint8_t)(i / 251 + 3);
		good = terra_paid_add(p, id, 0, 1, &run) == 0 &&
		       terra_paid_find(p, id, 0, 1, NULL, &who);
	}
	ok(good, "paid: 2000 headers, each found after the table grows");
	ok(terra_paid_find(p, h1, 0, 1, NULL, &who), "paid: ... the first ones still there");
	terra_paid_free(p);
}

int main(void)
{
	int i, good;

	if (sodium_init() < 0)
		return 1;
	test_canon();
	test_usage_paths(0);
	test_usage_paths(1);
	test_paid();
	good = 1;
	for (i = 0; i < 20000 && good; i++) {
		int64_t every = 1 + below(i % 2 ? 1000 : 5000000000);
		int64_t start = below(100000000000) - 50000000000;
		int64_t end = start + 1 + below(i % 3 ? every * 5 : 100000);

		good = nonces_partition(below(INT64_C(1) << 40), 1 + below(INT64_C(1) << 40), start,
		                        end, below(1000000) - 500000, every);
	}
	ok(good, "20000 random records: their nonces split over the cells, adjacent, all of them");

	/* 3 us over a boundary: 1 us before, 2 after; 100 units of busy time. */
	is_int(terra_meter_part(100, 9, 12, 0, 10, 0), 33, "part before the boundary");
	is_int(terra_meter_part(100, 9, 12, 0, 10, 1), 67, "part after the boundary");
	is_int(terra_meter_part(100, 9, 12, 0, 10, 2), 0, "no part in a cell not touched");
	is_int(terra_meter_part(7, 3, 8, 0, 10, 0), 7, "inside one cell: all of it");
	/* Three equal cells, one unit left over: the earliest gets it. */
	is_int(terra_meter_part(1, 0, 30, 0, 10, 0), 1, "tie: the earlier cell");
	is_int(terra_meter_part(1, 0, 30, 0, 10, 1), 0, "tie: not the later cells");
	is_int(terra_meter_part(2, 0, 30, 0, 10, 1), 1, "two left over: the first two cells");
	is_int(terra_meter_part(2, 0, 30, 0, 10, 2), 0, "two left over: not the third");
	/* Cells before the origin (negative indices). */
	is_int(terra_meter_part(10, -15, -5, 0, 10, -2), 5, "negative cell");
	is_int(terra_meter_part(10, -15, -5, 0, 10, -1), 5, "negative cell, second");
	/* Large values: 128-bit intermediates. */
	is_int(terra_meter_part(INT64_MAX, 0, INT64_MAX, 0, INT64_MAX / 2, 0), INT64_MAX / 2,
	       "no overflow with int64 extremes");

	good = 1;
	for (i = 0; i < 20000 && good; i++) {
		int64_t every = 1 + below(i % 2 ? 1000 : 5000000000);
		int64_t start = below(100000000000) - 50000000000;
		int64_t end = start + 1 + below(i % 3 ? every * 5 : 100000);
		int64_t amount = i % 4 ? below(end - start + 1) : below(INT64_MAX);
		int64_t origin = below(1000000) - 500000;

		good = split_ok(amount, start, end, origin, every);
		if (!good)
			printf("# amount %lld [%lld, %lld) origin %lld every %lld\n",
			       (long long)amount, (long long)start, (long long)end,
			       (long long)origin, (long long)every);
	}
	ok(good, "20000 random splits: parts sum exactly, each within one of its share");

	/* shares: E = work / 2^bits; refused when shares < E - 6 sqrt(E) - 6 */
	ok(terra_sha256dproof_agrees(4096, 8, 0), "16 expected: none needed (16 - 24 - 6 < 0)");
	ok(!terra_sha256dproof_agrees(102400, 8, 0), "400 expected: 0 refused");
	ok(!terra_sha256dproof_agrees(102400, 8, 273), "400 expected: 273 refused");
	ok(terra_sha256dproof_agrees(102400, 8, 274), "400 expected: 274 enough");
	ok(terra_sha256dproof_agrees(102400, 8, 400), "400 expected: 400 enough");
	ok(terra_sha256dproof_agrees(102400, 8, 526), "400 expected: 526 not too many");
	ok(!terra_sha256dproof_agrees(102400, 8, 527), "400 expected: 527 too many");
	ok(!terra_sha256dproof_agrees(INT64_C(1) << 40, 32, 153), "256 expected: 153 refused");
	ok(terra_sha256dproof_agrees(INT64_C(1) << 40, 32, 154), "256 expected: 154 enough");
	ok(terra_sha256dproof_agrees(INT64_C(1) << 40, 32, 358), "256 expected: 358 enough");
	ok(!terra_sha256dproof_agrees(INT64_C(1) << 40, 32, 359), "256 expected: 359 too many");
	ok(!terra_sha256dproof_agrees(1, 8, 13), "1/256 expected: 13 too many");

	ok(terra_meter_rate_ok("sha256d", 404218750, 1000, 25870000, 0), "sha256d at the bound");
	ok(!terra_meter_rate_ok("sha256d", 404218751, 1000, 25870000, 0), "sha256d past the bound");
	ok(terra_meter_rate_ok("sha256d", INT64_MAX, 1, 0, 0), "no benchmark: no bound");
	ok(terra_meter_rate_ok("sgemm", 32000, 10, 0, 100), "sgemm at 32x the benchmark");
	ok(!terra_meter_rate_ok("sgemm", 32001, 10, 0, 100), "sgemm past 32x the benchmark");
	/* Seen in make demo: a 512-cube sgemm on PoCL at 8.8x its unit's terra-probe --quick FP32.
	 */
	ok(terra_meter_rate_ok("sgemm", 268435456, 2364, 0, 12830), "an honest PoCL sgemm passes");
	ok(terra_meter_rate_ok("kernel", INT64_MAX, 0, 1, 1), "kernel work is not bounded");
	return done_testing();
}
