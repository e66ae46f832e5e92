#include "lib/out.h"

#include "tap.h"

#include <csv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *render(enum terra_out mode, const char *const *cols, const char *rows_json, int *rc,
                    terra_err *e)
{
	json_t *rows = json_loads(rows_json, 0, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*rc = terra_out_rows(f, mode, cols, rows, e);
	fclose(f);
	json_decref(rows);
	return buf;
}

/* Fields read back by libcsv, joined with '|', rows ended by ';'. */
struct readback {
	char text[1024];
};

static void on_field(void *s, size_t n, void *data)
{
	struct readback *rb = data;
	size_t len = strlen(rb->text);

	snprintf(rb->text + len, sizeof rb->text - len, "%.*s|", (int)n, (const char *)s);
}

static void on_row(int c, void *data)
{
	struct readback *rb = data;
	size_t len = strlen(rb->text);

	(void)c;
	snprintf(rb->text + len, sizeof rb->text - len, ";");
}

static const char *rows_json =
    "[{\"unit\":\"0123456789abcdef0123456789abcdef\",\"score\":1200,\"fp64\":true,"
    "\"note\":\"a, \\\"quoted\\\"\\nline\",\"device\":{\"name\":\"Tesla\"},\"balance\":"
    "\"12.500000000\"},"
    "{\"unit\":\"ffff\",\"score\":7,\"fp64\":false,\"device\":{}, \"balance\":\"-1.000000000\","
    "\"tags\":[\"a\",\"b\"]}]";

static void test_json(void)
{
	static const char *const cols[] = {"unit", "score", NULL};
	terra_err e = {0};
	char *out;
	int rc;

	out = render(TERRA_OUT_JSON, cols, "[{\"b\":1,\"a\":\"x\"},{\"z\":{\"y\":2,\"x\":1}}]", &rc,
	             &e);
	is_int(rc, 0, "json rows");
	is_str(out, "{\"a\":\"x\",\"b\":1}\n{\"z\":{\"x\":1,\"y\":2}}\n",
	       "... one sorted compact object per line, whole rows");
	free(out);
	out = render(TERRA_OUT_JSON, cols, "[]", &rc, &e);
	is_str(out, "", "no rows, no output");
	free(out);
	out = render(TERRA_OUT_JSON, cols, "{\"a\":1}", &rc, &e);
	ok(rc < 0, "rows must be an array");
	free(out);
	out = render(TERRA_OUT_CSV, cols, "[1]", &rc, &e);
	ok(rc < 0, "rows must be objects");
	like(e.msg, "row 1 is not an object", "... saying which");
	free(out);
}

static void test_csv(void)
{
	static const char *const cols[] = {"unit",        "score",   "fp64", "note",
	                                   "device.name", "balance", "tags", NULL};
	struct csv_parser p;
	struct readback rb = {""};
	terra_err e = {0};
	char *out;
	int rc;

	out = render(TERRA_OUT_CSV, cols, rows_json, &rc, &e);
	is_int(rc, 0, "csv rows");
	is_str(out,
	       "unit,score,fp64,note,device.name,balance,tags\n"
	       "0123456789abcdef0123456789abcdef,1200,true,\"a, \"\"quoted\"\"\nline\",Tesla,"
	       "12.500000000,\n"
	       "ffff,7,false,,,-1.000000000,\"[\"\"a\"\",\"\"b\"\"]\"\n",
	       "... header, quoting only where needed, absent empty, nested by dots");
	csv_init(&p, CSV_STRICT | CSV_STRICT_FINI);
	ok(csv_parse(&p, out, strlen(out), on_field, on_row, &rb) == strlen(out) &&
	       csv_fini(&p, on_field, on_row, &rb) == 0,
	   "... libcsv reads it back strictly");
	is_str(
	    rb.text,
	    "unit|score|fp64|note|device.name|balance|tags|;"
	    "0123456789abcdef0123456789abcdef|1200|true|a, \"quoted\"\nline|Tesla|12.500000000||;"
	    "ffff|7|false|||-1.000000000|[\"a\",\"b\"]|;",
	    "... with the same values");
	csv_free(&p);
	free(out);
	out = render(TERRA_OUT_CSV, cols, "[]", &rc, &e);
	is_str(out, "unit,score,fp64,note,device.name,balance,tags\n", "no rows: header only");
	free(out);
}

static void test_table(void)
{
	static const char *const cols[] = {"unit", "score", "device.name", "balance", "fp64", NULL};
	terra_err e = {0};
	char *out;
	int rc;

	unsetenv("COLUMNS");
	out = render(TERRA_OUT_TABLE, cols, rows_json, &rc, &e);
	is_int(rc, 0, "table rows");
	is_str(out,
	       "UNIT                                    SCORE NAME       BALANCE FP64\n"
	       "0123456789abcdef0123456789abcdef   1.2 GFLOPS Tesla 12.500000000 true\n"
	       "ffff                             0.007 GFLOPS -     -1.000000000 false\n",
	       "... capitals, aligned, numbers right, score in GFLOPS, absent '-', ids whole");
	free(out);
	setenv("LC_ALL", "C.UTF-8", 1);
	out = render(TERRA_OUT_TABLE, (const char *const[]){"name", "n", NULL},
	             "[{\"name\":\"caf\xc3\xa9\",\"n\":1},{\"name\":\"a\\tb\",\"n\":22}]", &rc, &e);
	is_str(out,
	       "NAME    N\n"
	       "caf\xc3\xa9    1\n"
	       "a\\x09b 22\n",
	       "... UTF-8 counted by characters, control characters escaped off the line");
	free(out);
	unsetenv("LC_ALL");
}

/* Every line of s at most w characters (bytes: the text here is ASCII). */
static int lines_within(const char *s, size_t w)
{
	while (*s) {
		size_t n = strcspn(s, "\n");

		if (n > w)
			return 0;
		s += n + (s[n] == '\n');
	}
	return 1;
}

static void test_units_and_width(void)
{
	static const char *const cols[] = {"period", "unit",   "busy_us", "utilization_ppm",
	                                   "weight", "charge", "owner",   NULL};
	const char *rows =
	    "[{\"period\":\"2026-11-21T10:00:00.000000Z/2026-11-21T12:00:00.000000Z\","
	    "\"unit\":\"35cbf276f53cb8e5fca5ab52171a0409\",\"busy_us\":1200000001,"
	    "\"utilization_ppm\":166666,\"weight\":61480800000000000,\"charge\":\"17.077999999\","
	    "\"owner\":\"ab94f1e0d31b57b1f0f1d80e1ec7b34ba8d3f2a5b1c3d8e9f7a6b5c4d3e2f1a0\"}]";
	terra_err e = {0};
	FILE *f;
	char *out;
	int rc;

	setenv("COLUMNS", "100", 1);
	is_int((int)terra_out_width(stdout), 100, "COLUMNS sets the width");
	out = render(TERRA_OUT_TABLE, cols, rows, &rc, &e);
	is_int(rc, 0, "meter-like table");
	ok(lines_within(out, 100), "... fits 100 columns");
	like(out, "\n2026-11-21T10", "... the period cut, not dropped");
	like(out, " 35cbf276", "... the unit cut, not dropped");
	like(out, " 1200.000001 s ", "... busy_us in seconds, exactly");
	like(out, " 16.6666 % ", "... utilization in percent, exactly");
	like(out, " 61480.8 TFLOP ", "... weight in TFLOP");
	like(out, " 17.077999999 TERRA", "... amounts in TERRA");
	like(out, " ab94f1e0", "... a long key cut, not dropped");
	free(out);
	setenv("COLUMNS", "40", 1);
	out = render(TERRA_OUT_TABLE, (const char *const[]){"owner", "n", NULL}, rows, &rc, &e);
	ok(lines_within(out, 40), "a long text column is cut to fit 40 columns");
	free(out);
	out = render(TERRA_OUT_CSV, cols, rows, &rc, &e);
	like(out, ",1200000001,166666,61480800000000000,17.077999999,",
	     "CSV keeps the exact integers and amounts");
	free(out);
	setenv("COLUMNS", "junk", 1);
	f = fopen("/dev/null", "w");
	ok(terra_out_width(f) == SIZE_MAX, "a bad COLUMNS, no terminal: no limit");
	fclose(f);
	unsetenv("COLUMNS");
}

int main(void)
{
	test_json();
	test_csv();
	test_table();
	test_units_and_width();
	return done_testing();
}
