/* The holders CSV reader: layouts it accepts, rows it refuses, and its digest. */
#include "lib/buf.h"
#include "lib/holders.h"
#include "lib/money.h"
#include "fixture.h"
#include "tap.h"

#include <sodium.h>
#include <stdlib.h>
#include <unistd.h>

/* Loads text; 0 on success with hs filled, else -1 with e. */
static int load(const char *text, terra_holders *hs, terra_err *e)
{
	terra_holders_init(hs);
	return terra_holders_load(hs, fixture_write("h.csv", text, strlen(text)), e);
}

/* The body of hs, gathered from terra_holders_body_each: terra_holders_body_len
 * bytes, valid until the next call but one. */
static int body_piece(void *ctx, const char *piece, size_t len, terra_err *e)
{
	(void)e;
	return terra_buf_put(ctx, piece, len);
}

static int holders_body(const terra_holders *hs, const char **body, size_t *len, terra_err *e)
{
	static terra_buf b[2];
	static int which;
	terra_buf *buf = &b[which ^= 1];
	size_t want;

	free(buf->p);
	memset(buf, 0, sizeof *buf);
	if (terra_holders_body_len(hs, &want, e) < 0 ||
	    terra_holders_body_each(hs, body_piece, buf, e) != 0)
		return -1;
	*body = buf->p ? buf->p : "";
	*len = buf->len;
	return *len == want ? 0 : -1;
}

static void digest_hex(const terra_holders *hs, char out[65])
{
	uint8_t d[32];
	int i;

	terra_holders_digest(hs, d);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void accepted_layouts(void)
{
	static const char *const layouts[] = {
	    "account,balance\nbob,2.5\nalice,100\n",
	    "bob,2.5\nalice,100\n",
	    "\xef\xbb\xbf"
	    "account,balance\r\nalice,100\r\nbob,2.500000000\r\n",
	    "\"account\",\"balance\"\r\n\"bob\",\"2.5\"\r\n\"alice\",\"100\"",
	    "ACCOUNT,Balance\n\nalice, 100\n\n  bob ,2.5\n\n",
	    "\xef\xbb\xbf\"alice\",100\r\n\"bob\",\"0002.50\"\r\n",
	    /* plain rows (read without libcsv) among quoted ones and blank lines */
	    "account,balance\n\n\"bob\",2.5\n\nalice,100\n",
	};
	char first[65] = "", hex[65];
	size_t i;

	for (i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
		terra_holders hs;
		terra_err e = {0};
		char name[64];
		int rc = load(layouts[i], &hs, &e);

		snprintf(name, sizeof name, "layout %zu loads", i + 1);
		if (!ok(rc == 0, name)) {
			printf("#   %s\n", e.msg);
			continue;
		}
		snprintf(name, sizeof name, "layout %zu: two holders, sorted, exact balances",
		         i + 1);
		ok(hs.n == 2 && !strcmp(terra_holders_account(&hs, 0), "alice") &&
		       hs.v[0].balance == 100000000000 &&
		       !strcmp(terra_holders_account(&hs, 1), "bob") &&
		       hs.v[1].balance == 2500000000,
		   name);
		digest_hex(&hs, hex);
		if (i == 0)
			memcpy(first, hex, sizeof hex);
		snprintf(name, sizeof name, "layout %zu: same digest as layout 1", i + 1);
		is_str(hex, first, name);
		terra_holders_free(&hs);
	}
}

static void refused(const char *text, const char *want, const char *name)
{
	terra_holders hs;
	terra_err e = {0};

	ok(load(text, &hs, &e) < 0 && hs.n == 0, name);
	like(e.msg, want, name);
}

static void refused_rows(void)
{
	refused("alice,100\nbob,-1\n", "h.csv:2: balance '-1'", "negative balance: FILE:LINE");
	refused("account,balance\nalice,1e5\n", "h.csv:2: balance '1e5'", "exponent refused");
	refused("alice,1.0000000001\n", "h.csv:1: balance", "more than 9 decimals refused");
	refused("alice,99999999999\n", "h.csv:1: balance", "over the int64 range refused");
	refused("alice,\n", "h.csv:1: balance ''", "empty balance refused");
	refused("alice,1\nbob\n", "h.csv:2: expected 2 fields (account,balance), got 1",
	        "one field refused");
	refused("alice,1,2\n", "h.csv:1: expected 2 fields", "three fields refused");
	/* plain rows after the header and blank lines: still their own lines */
	refused("account,balance\n\nalice,1\n\nbob,-1\n", "h.csv:5: balance '-1'",
	        "plain rows: a bad balance's line");
	refused("account,balance\nalice,1\n\"q\",1\n\nbob,2\nalice,3\n",
	        "h.csv:6: account 'alice' listed twice (first at line 2)",
	        "plain rows: a duplicate's lines");
	refused("alice,1\r\nbob,2\r\nalice,3\r\n",
	        "h.csv:3: account 'alice' listed twice (first at "
	        "line 1)",
	        "duplicate account: both lines");
	refused("treasury,1\n", "account 'treasury' is reserved", "reserved account refused");
	refused("paid,1\n", "account 'paid' is reserved", "'paid' is reserved");
	refused("holders,1\n", "account 'holders' is reserved", "'holders' is reserved");
	refused("a:b,1\n", "h.csv:1: account 'a:b': character 2 is not one of", "':' refused");
	refused("x,1\nAlice,1\nalice,2\n",
	        "h.csv:3: account 'alice' differs only by case from 'Alice' at line 2",
	        "accounts differing by case refused");
	refused("BOB,1\nx,1\nBob,2\n",
	        "h.csv:3: account 'Bob' differs only by case from 'BOB' at line 1",
	        "two upper-case spellings refused");
	refused("a,9223372036.854775808\n", "h.csv:1: balance '9223372036.854775808': out of range",
	        "a balance past the limit is out of range");
	{
		terra_holders stored;
		terra_err e = {0};

		/* stored before ':' was refused: verification still reads it */
		terra_holders_init(&stored);
		ok(terra_holders_from_body(&stored,
		                           "a:b\0"
		                           "1\n",
		                           6, &e) == 0 &&
		       stored.n == 1,
		   "a stored snapshot's account with ':' still reads back");
		terra_holders_free(&stored);
	}
	refused("\"al,ice\",1\n", "h.csv:1: account 'al,ice': character 3", "comma in account");
	refused("alice,1\n\n\"bo\nb\",2\n", "h.csv:3: account", "multi-line row: its first line");
	refused("alice,1\n\"bob,2\n", "h.csv:2: ", "unterminated quote refused");
	refused("account,amount\nalice,1\n", "h.csv:1: header: expected 'account,balance'",
	        "wrong header refused");
	refused(",5\n", "h.csv:1: empty account", "empty account refused");
}

static void edges(void)
{
	terra_holders hs;
	terra_err e = {0};
	char a[65], b[65];

	ok(load("", &hs, &e) == 0 && hs.n == 0, "empty file: no holders");
	terra_holders_free(&hs);
	ok(load("account,balance\r\n", &hs, &e) == 0 && hs.n == 0, "header only: no holders");
	terra_holders_free(&hs);
	ok(load("zed,0\nalice,0.000000001\n", &hs, &e) == 0 && hs.n == 2 && hs.v[0].balance == 1 &&
	       hs.v[1].balance == 0,
	   "zero and one-base-unit balances");
	digest_hex(&hs, a);
	terra_holders_free(&hs);
	ok(load("zed,0\nalice,0.000000002\n", &hs, &e) == 0, "another snapshot");
	digest_hex(&hs, b);
	ok(strcmp(a, b) != 0, "a different balance gives a different digest");
	terra_holders_free(&hs);
	ok(terra_holders_load(&hs, "/nonexistent/h.csv", &e) < 0, "missing file refused");
	like(e.msg, "open '/nonexistent/h.csv'", "message names the file");
}

/* The sorted holders make the snapshot body: exact bytes, its digest, and back again. */
static void body_form(void)
{
	static const char want[] = "abc\0"
	                           "5\n"
	                           "abcdefgh\0"
	                           "1000000000\n"
	                           "abcdefgh0\0"
	                           "2\n"
	                           "abcdefgh@\0"
	                           "0\n"
	                           "abcdefgi\0"
	                           "123456789012\n"
	                           "b\0"
	                           "1\n";
	terra_holders hs, back;
	terra_err e = {0};
	const char *body, *body2;
	size_t len, len2;
	uint8_t d[32], h[32];

	ok(load("abcdefgh@,0\nabcdefgi,123.456789012\nabc,0.000000005\nabcdefgh0,0.000000002\n"
	        "b,0.000000001\nabcdefgh,1\n",
	        &hs, &e) == 0,
	   "accounts sharing their first 8 bytes load");
	ok(holders_body(&hs, &body, &len, &e) == 0 && len == sizeof want - 1 &&
	       !memcmp(body, want, len),
	   "the body: account, NUL, digits, newline, in bytewise order");
	terra_holders_digest(&hs, d);
	crypto_hash_sha256(h, (const unsigned char *)body, len);
	ok(!memcmp(d, h, 32), "the digest is the body's SHA-256");
	terra_holders_init(&back);
	ok(terra_holders_from_body(&back, body, len, &e) == 0 && back.n == hs.n &&
	       back.v[4].balance == 123456789012 &&
	       !strcmp(terra_holders_account(&back, 4), "abcdefgi") &&
	       terra_holders_sort(&back, "test", &e) == 0 &&
	       holders_body(&back, &body2, &len2, &e) == 0 && len2 == len &&
	       !memcmp(body2, body, len),
	   "read back from the body: the same holders, and sorted, the same body");
	terra_holders_free(&back);
	ok(terra_holders_add(&hs, "zed", 1, 7, &e) == 0 && holders_body(&hs, &body, &len, &e) < 0 &&
	       e.kind == TERRA_E_STATE,
	   "after an add, no body until sorted again");
	ok(terra_holders_sort(&hs, "test", &e) == 0 && holders_body(&hs, &body, &len, &e) == 0 &&
	       len == sizeof want - 1 + 6 &&
	       !memcmp(body + len - 6,
	               "zed\0"
	               "1\n",
	               6),
	   "sorted again: the body has it");
	terra_holders_free(&hs);
	refused("abcdefgh1,1\nabcdefgh,2\nabcdefgh1,3\n",
	        "h.csv:3: account 'abcdefgh1' listed twice (first at line 1)",
	        "a duplicate among accounts sharing 8 bytes");
}

/*
 * The sort on more rows than the short-range insertion takes: accounts that
 * share 4, 8 and 20 bytes, some a prefix of others, in a scrambled order,
 * come out in strictly ascending bytewise order; the same account twice
 * among them, past the shared bytes, is named with both lines.
 */
static void many_sorted(void)
{
	static const char *const stem[] = {"", "abcd", "abcdefgh", "abcdefghijklmnopqrst"};
	size_t n = 6000, i, bad = 0;
	terra_buf b = {0};
	terra_holders hs;
	terra_err e = {0};
	char line[96], twice[64] = "";
	long twice_line = 0;

	for (i = 0; i < n; i++) {
		size_t k = (i * 7919) % n; /* every k once, out of order */

		snprintf(line, sizeof line, "%s%zx%s,1\n", stem[k % 4], k / 4,
		         k % 8 < 4 ? "" : "z");
		if (terra_buf_put(&b, line, strlen(line)) < 0)
			break;
		if (i == 4321) {
			snprintf(twice, sizeof twice, "%s%zx%s", stem[k % 4], k / 4,
			         k % 8 < 4 ? "" : "z");
			twice_line = (long)i + 1;
		}
	}
	ok(load(b.p, &hs, &e) == 0 && hs.n == n, "6000 accounts sharing long prefixes load");
	for (i = 1; i < hs.n; i++)
		bad +=
		    strcmp(terra_holders_account(&hs, i - 1), terra_holders_account(&hs, i)) >= 0;
	ok(bad == 0 && hs.sorted,
	   "6000 accounts sharing long prefixes: strictly ascending, bytewise");
	terra_holders_free(&hs);
	snprintf(line, sizeof line, "%s,2\n", twice);
	if (terra_buf_put(&b, line, strlen(line)) == 0) {
		char want[160];

		snprintf(want, sizeof want,
		         "h.csv:%zu: account '%s' listed twice (first at line %ld)", n + 1, twice,
		         twice_line);
		refused(b.p, want, "a duplicate past 20 shared bytes, among 6000 rows");
	}
	free(b.p);
}

/* Balances past the first row take a quick path: it must agree with terra_money_parse. */
static void balances(void)
{
	static const char *const cases[] = {
	    "0",
	    "7",
	    "007",
	    "1.5",
	    "0.000000001",
	    "999999999.999999999",
	    "1000000000",
	    "9223372036.854775807",
	    "9223372036.854775808",
	    "-0",
	    "-1",
	    "1.",
	    ".5",
	    "1.0000000000",
	    "1.000000000",
	    "12a",
	    "1e5",
	    "+1",
	    "0x10",
	    "00000000000000000000001",
	    "1..2",
	    "\"2.5\"",
	    " 3 ",
	};
	size_t i, bad = 0;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[128], plain[64];
		terra_holders hs;
		terra_err e = {0}, pe = {0};
		int64_t want = -1;
		int loaded, parsed;
		size_t j, k = 0;

		snprintf(text, sizeof text, "first,1\nsecond,%s\n", cases[i]);
		/* what the field holds once libcsv is done: no quotes, no surrounding blanks */
		for (j = 0; cases[i][j]; j++)
			if (cases[i][j] != '"' && cases[i][j] != ' ')
				plain[k++] = cases[i][j];
		plain[k] = '\0';
		parsed = terra_money_parse(plain, 0, &want, &pe) == 0 && want >= 0;
		loaded = load(text, &hs, &e) == 0;
		if (loaded != parsed || (loaded && hs.v[1].balance != want)) {
			printf("# balance '%s': loaded %d, terra_money_parse %d\n", cases[i],
			       loaded, parsed);
			bad++;
		} else if (!loaded && !strstr(e.msg, "h.csv:2: balance")) {
			printf("# balance '%s': %s\n", cases[i], e.msg);
			bad++;
		}
		terra_holders_free(&hs);
	}
	ok(bad == 0, "balances: the value or the refusal of terra_money_parse");
}

/* The file is read a megabyte at a time: line numbers hold across reads, and longer lines. */
static void long_files(void)
{
	size_t rows = 40000, i, n = 0;
	char *text = malloc(rows * 32 + (3 << 20)), *p;
	terra_holders hs;
	terra_err e = {0};

	if (!ok(text != NULL, "long files: memory"))
		return;
	/* 32-byte rows, but row 32768, which straddles the first megabyte */
	for (i = 1; i <= rows; i++)
		n += (size_t)sprintf(
		    text + n, i == 32768 ? "\"a%011zu\n%030zu\",1.5\n" : "acct%021zu,1.500\n", i,
		    i);
	ok(load(text, &hs, &e) < 0, "a multi-line row across the first megabyte refused");
	like(e.msg, "h.csv:32768: account", "named by its first line");
	terra_holders_free(&hs);
	n = 0;
	for (i = 1; i <= rows; i++)
		n += (size_t)sprintf(text + n, "acct%021zu,1.500\n", i);
	ok(load(text, &hs, &e) == 0 && hs.n == rows, "40000 rows over two reads: all there");
	terra_holders_free(&hs);
	sprintf(text + n, "acct%021d,1.500\n", 1);
	ok(load(text, &hs, &e) < 0, "the first row again after them refused");
	like(e.msg,
	     "h.csv:40001: account 'acct000000000000000000001' listed twice (first at line 1)",
	     "lines right past the second read");
	terra_holders_free(&hs);
	n = (size_t)sprintf(text, "a,1\n\"");
	p = text + n;
	memset(p, 'x', (size_t)2 << 20);
	sprintf(p + ((size_t)2 << 20), "\",1\nb,2\n");
	ok(load(text, &hs, &e) < 0, "a two-megabyte account refused");
	like(e.msg, "h.csv:2: account 'xxxx", "named with its line");
	like(e.msg, "longer than 128 characters", "and why");
	terra_holders_free(&hs);
	free(text);
}

/* A body of many pieces: the same bytes as one made by hand, its hash the digest. */
static void body_pieces(void)
{
	size_t n = 20000, i, len, used = 0;
	terra_buf csv = {0};
	char *want = malloc(n * 40), line[64];
	const char *body;
	terra_holders hs;
	terra_err e = {0};
	uint8_t d[32], h[32];

	if (!want) {
		ok(0, "many pieces: memory");
		return;
	}
	/* written in reverse account order: the body is sorted, the arena is not */
	for (i = n; i-- > 0;) {
		snprintf(line, sizeof line, "acct%06zu,%zu.%09zu\n", i, i % 97, i * 7);
		terra_buf_puts(&csv, line);
	}
	for (i = 0; i < n; i++) {
		int64_t units = (int64_t)(i % 97) * 1000000000 + (int64_t)(i * 7);

		used += (size_t)sprintf(want + used, "acct%06zu", i) + 1;
		used += (size_t)sprintf(want + used, "%lld\n", (long long)units);
	}
	terra_holders_init(&hs);
	ok(terra_holders_load(&hs, fixture_write("h.csv", csv.p, csv.len), &e) == 0 &&
	       holders_body(&hs, &body, &len, &e) == 0 && len == used && len > 4 * 65536 &&
	       !memcmp(body, want, len),
	   "a body of several pieces: the records in account order, none cut or repeated");
	terra_holders_digest(&hs, d);
	crypto_hash_sha256(h, (const unsigned char *)want, used);
	ok(!memcmp(d, h, 32), "its digest is the SHA-256 of those bytes");
	terra_holders_free(&hs);
	free(csv.p);
	free(want);
}

int main(void)
{
	fixture_tmpdir("holders");
	accepted_layouts();
	refused_rows();
	edges();
	body_form();
	many_sorted();
	body_pieces();
	balances();
	long_files();
	return done_testing();
}
