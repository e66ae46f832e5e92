#include "lib/out.h"

#include "tap.h"

#include <csv.h>
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
	static const char *const cols[] = {"unit",    "score", "fp64", "note",
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
	is_str(rb.text,
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

	out = render(TERRA_OUT_TABLE, cols, rows_json, &rc, &e);
	is_int(rc, 0, "table rows");
	is_str(out,
	       "UNIT                              SCORE  NAME        BALANCE  FP64\n"
	       "0123456789abcdef0123456789abcdef   1200  Tesla  12.500000000  true\n"
	       "ffff                                  7  -      -1.000000000  false\n",
	       "... capitals, aligned, numbers right, absent '-', ids whole");
	free(out);
	out = render(TERRA_OUT_TABLE, (const char *const[]){"name", "n", NULL},
	             "[{\"name\":\"caf\xc3\xa9\",\"n\":1},{\"name\":\"a\\tb\",\"n\":22}]", &rc, &e);
	is_str(out,
	       "NAME   N\n"
	       "caf\xc3\xa9   1\n"
	       "a?b   22\n",
	       "... UTF-8 counted by characters, control characters kept off the line");
	free(out);
}

int main(void)
{
	test_json();
	test_csv();
	test_table();
	return done_testing();
}
