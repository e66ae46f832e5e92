/*
 * Unit tests for lib/batch: lines checked on N threads are consumed in input
 * order with their own results; a bad line keeps its name:line; a stop or a
 * failure drops what was checked and not consumed; a last line without '\n',
 * an empty input, a cut long line and a read error.
 */
#include "lib/batch.h"

#include "tap.h"

#include <stdlib.h>
#include <string.h>

struct result {
	long value; /* the number the line holds */
	int bad;
	char *note; /* allocated by the check, freed by consume or drop */
};

struct run {
	long consumed, expect_lineno, stop_at, fail_at;
	int out_of_order, wrong_value;
	long allocs, frees, scratches, scratch_frees; /* touched from several threads */
	char first_bad[128];
	char last_text[64];
	size_t last_len;
};

static void check(void *ctx, const terra_batch_line *l, void **scratch)
{
	struct run *r = ctx;
	struct result *res = l->slot;
	volatile unsigned spin = 0;
	unsigned i, n;
	char *end;

	if (!*scratch) {
		*scratch = malloc(1);
		__atomic_add_fetch(&r->scratches, 1, __ATOMIC_SEQ_CST);
	}
	res->value = strtol(l->text, &end, 10);
	res->bad = end == l->text || *end != '\0';
	/* Uneven work, so the threads finish their batches out of order. */
	n = (unsigned)((unsigned long)res->value * 7919u % 997u) * 50;
	for (i = 0; i < n; i++)
		spin += i;
	if ((res->note = malloc(16)))
		__atomic_add_fetch(&r->allocs, 1, __ATOMIC_SEQ_CST);
}

static void release(struct run *r, struct result *res)
{
	if (res->note) {
		free(res->note);
		res->note = NULL;
		r->frees++;
	}
}

static int consume(void *ctx, const terra_batch_line *l, terra_err *e)
{
	struct run *r = ctx;
	struct result *res = l->slot;

	release(r, res);
	if (l->lineno != r->expect_lineno++)
		r->out_of_order = 1;
	if (!res->bad && res->value != l->lineno)
		r->wrong_value = 1;
	if (res->bad && !r->first_bad[0])
		snprintf(r->first_bad, sizeof r->first_bad, "%s:%ld: bad line", l->name, l->lineno);
	snprintf(r->last_text, sizeof r->last_text, "%.*s", (int)(l->len < 60 ? l->len : 60),
	         l->text);
	r->last_len = l->len;
	r->consumed++;
	if (r->fail_at && l->lineno == r->fail_at)
		return terra_err_set(e, TERRA_E_INPUT, "consume failed at %ld", l->lineno);
	return r->stop_at && l->lineno == r->stop_at;
}

static void drop(void *ctx, void *slot)
{
	struct run *r = ctx;
	struct result *res = slot;

	if (res->note) {
		free(res->note);
		res->note = NULL;
		__atomic_add_fetch(&r->frees, 1, __ATOMIC_SEQ_CST);
	}
}

static void scratch_free(void *ctx, void *scratch)
{
	struct run *r = ctx;

	free(scratch);
	r->scratch_frees++;
}

static int read_text(const char *text, size_t len, int threads, size_t line_max, struct run *r,
                     terra_err *e)
{
	terra_batch_opts o = {.threads = threads,
	                      .slot_size = sizeof(struct result),
	                      .line_max = line_max,
	                      .what = "test",
	                      .check = check,
	                      .consume = consume,
	                      .drop = drop,
	                      .scratch_free = scratch_free,
	                      .ctx = r};
	FILE *f = fmemopen((void *)text, len ? len : 1, "r");
	int rc;

	r->expect_lineno = 1;
	if (!len) /* fmemopen refuses size 0: an empty file instead */
		f = (fclose(f), tmpfile());
	rc = terra_batch_read(f, "in", &o, e);
	fclose(f);
	return rc;
}

/* Lines "1" .. "n", each with '\n'. */
static char *numbers(long n, size_t *len)
{
	char *s = malloc((size_t)n * 12 + 1), *p = s;
	long i;

	for (i = 1; i <= n; i++)
		p += sprintf(p, "%ld\n", i);
	*len = (size_t)(p - s);
	return s;
}

static void test_order(void)
{
	static const int threads[] = {0, 1, 2, 4, 8};
	size_t len, i;
	char *text = numbers(5000, &len), name[80];
	terra_err e;

	for (i = 0; i < sizeof threads / sizeof *threads; i++) {
		struct run r = {0};
		int rc = read_text(text, len, threads[i], 0, &r, &e);

		snprintf(name, sizeof name, "%d threads: 5000 lines read", threads[i]);
		is_int(rc, 0, name);
		is_int(r.consumed, 5000, "... every line consumed once");
		ok(!r.out_of_order, "... in input order");
		ok(!r.wrong_value, "... each with its own result");
		is_int(r.allocs, r.frees, "... every result released");
		is_int(r.scratches, r.scratch_frees, "... every scratch freed");
	}
	free(text);
}

static void test_bad_line(void)
{
	static const char text[] = "1\n2\nthree\n4\n";
	struct run r = {0};
	terra_err e;

	is_int(read_text(text, strlen(text), 4, 0, &r, &e), 0,
	       "a bad line does not stop the input");
	is_int(r.consumed, 4, "... all four lines consumed");
	is_str(r.first_bad, "in:3: bad line", "... the bad one known by name:line");
}

static void test_stop_and_fail(void)
{
	size_t len;
	char *text = numbers(20000, &len);
	struct run r = {.stop_at = 1000};
	terra_err e;

	is_int(read_text(text, len, 4, 0, &r, &e), 1, "consume stops the input: returns 1");
	is_int(r.consumed, 1000, "... nothing consumed after the stop");
	is_int(r.allocs, r.frees, "... results checked and not consumed are dropped");
	memset(&r, 0, sizeof r);
	r.fail_at = 300;
	is_int(read_text(text, len, 0, 0, &r, &e), -1, "consume fails inline: returns -1");
	is_str(e.msg, "consume failed at 300", "... with consume's error");
	is_int(r.allocs, r.frees, "... and the rest dropped");
	memset(&r, 0, sizeof r);
	r.fail_at = 7000;
	is_int(read_text(text, len, 3, 0, &r, &e), -1, "consume fails on 3 threads: returns -1");
	is_int(r.allocs, r.frees, "... and the rest dropped");
	free(text);
}

static void test_edges(void)
{
	struct run r = {0};
	terra_err e;
	char *big;
	size_t i;

	is_int(read_text("1\n2", 3, 2, 0, &r, &e), 0, "a last line without newline");
	is_int(r.consumed, 2, "... is a line");
	is_str(r.last_text, "2", "... with its text");
	memset(&r, 0, sizeof r);
	is_int(read_text("", 0, 2, 0, &r, &e), 0, "an empty input");
	is_int(r.consumed, 0, "... has no line");
	memset(&r, 0, sizeof r);
	is_int(read_text("\n", 1, 0, 0, &r, &e), 0, "a lone newline");
	is_int(r.consumed, 1, "... is one empty line");
	is_int((long)r.last_len, 0, "... of length 0");

	/* 200000 digits then "\n2\n": over the 64 KiB read chunk and over line_max. */
	big = malloc(200010);
	for (i = 0; i < 200000; i++)
		big[i] = '7';
	memcpy(big + 200000, "\n2\n", 3);
	memset(&r, 0, sizeof r);
	is_int(read_text(big, 200003, 2, 1000, &r, &e), 0, "a line over line_max");
	is_int(r.consumed, 2, "... is consumed whole as one line");
	is_str(r.last_text, "2", "... and the next line is intact");
	memset(&r, 0, sizeof r);
	r.stop_at = 1;
	read_text(big, 200003, 0, 1000, &r, &e);
	is_int((long)r.last_len, 1001, "... cut to line_max + 1 bytes");
	memset(&r, 0, sizeof r);
	r.stop_at = 1;
	read_text(big, 200003, 0, 0, &r, &e);
	is_int((long)r.last_len, 200000, "without a limit, a line across chunks is whole");
	free(big);
}

static void test_read_error(void)
{
	terra_batch_opts o = {.threads = 2,
	                      .slot_size = sizeof(struct result),
	                      .what = "test",
	                      .check = check,
	                      .consume = consume,
	                      .drop = drop,
	                      .scratch_free = scratch_free};
	struct run r = {.expect_lineno = 1};
	FILE *dir = fopen("/", "r");
	terra_err e;

	o.ctx = &r;
	if (!dir) {
		ok(1, "# skip: cannot open / as a file");
		return;
	}
	is_int(terra_batch_read(dir, "/", &o, &e), -1, "a read error");
	like(e.msg, "read '/': ", "... says what could not be read");
	fclose(dir);
}

int main(void)
{
	test_order();
	test_bad_line();
	test_stop_and_fail();
	test_edges();
	test_read_error();
	return done_testing();
}
