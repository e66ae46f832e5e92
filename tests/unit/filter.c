/*
 * Unit tests for lib/filter: records of one type to the command's
 * functions, others passed through, bad lines reported with FILE:LINE and
 * rejected, --strict acting on nothing after a bad line, a stop.
 */
#include "lib/filter.h"

#include "fixture.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

struct seen {
	char log[4096];  /* "pass:TYPE apply:N ..." in order */
	char msgs[4096]; /* every report, one a line */
	int reports;
	enum terra_errkind last_kind;
};

static void log_add(struct seen *s, const char *what)
{
	strncat(s->log, what, sizeof s->log - strlen(s->log) - 1);
}

static int check(void *arg, json_t *rec, const char *where, terra_err *e)
{
	(void)arg;
	(void)where;
	if (json_object_get(rec, "bad"))
		return terra_err_set(e, TERRA_E_INPUT, "field 'bad' set"), TERRA_FILTER_BAD;
	if (json_object_get(rec, "forged"))
		return terra_err_set(e, TERRA_E_VERIFY, "bad signature"), TERRA_FILTER_BAD;
	return 0;
}

static int apply(void *arg, json_t *rec, const char *where, terra_err *e)
{
	char buf[64];

	if (json_object_get(rec, "stop"))
		return terra_err_set(e, TERRA_E_BUSY, "%s: stopped", where), TERRA_FILTER_STOP;
	snprintf(buf, sizeof buf, "apply:%lld ",
	         (long long)json_integer_value(json_object_get(rec, "n")));
	log_add(arg, buf);
	return 0;
}

static int pass(void *arg, const char *line, size_t len, terra_err *e)
{
	(void)e;
	(void)line;
	(void)len;
	log_add(arg, "pass ");
	return 0;
}

static void report(void *arg, const terra_err *e)
{
	struct seen *s = arg;

	s->reports++;
	s->last_kind = e->kind;
	strncat(s->msgs, e->msg, sizeof s->msgs - strlen(s->msgs) - 2);
	strcat(s->msgs, "\n");
}

static const char *file_with(const char *name, const char *text)
{
	return fixture_write(name, text, strlen(text));
}

static char *slurp(const char *path)
{
	static char buf[4096];

	fixture_read(path, buf, sizeof buf);
	return buf;
}

static const char mixed[] = "{\"type\":\"note\",\"v\":1}\n"
                            "{\"type\":\"item\",\"v\":1,\"n\":1}\n"
                            "not json\n"
                            "{\"type\":\"item\",\"v\":1,\"n\":2,\"bad\":1}\n"
                            "{\"type\":\"item\",\"v\":1,\"n\":3}\n";

/* Runs the filter over files with the options given; fills s and c. */
static int run(terra_filter_opts *o, const char *const *files, int n, struct seen *s,
               terra_filter_counts *c)
{
	memset(s, 0, sizeof *s);
	o->type = "item";
	o->check = check;
	o->apply = apply;
	o->pass = pass;
	o->report = report;
	o->arg = s;
	return terra_filter_run(files, n, o, c);
}

int main(void)
{
	terra_filter_opts o;
	terra_filter_counts c;
	struct seen s;
	const char *files[3];
	char rej[512];
	int rc;

	fixture_tmpdir("filter");
	snprintf(rej, sizeof rej, "%s", fixture_path("rejects"));
	files[0] = file_with("mixed", mixed);

	/* Without --strict: the good lines go on. */
	memset(&o, 0, sizeof o);
	o.reject = fopen(rej, "w");
	o.reject_name = rej;
	rc = run(&o, files, 1, &s, &c);
	fclose(o.reject);
	is_int(rc, -1, "a bad line: -1");
	is_str(s.log, "pass apply:1 apply:3 ",
	       "others passed through, good records applied in order");
	is_int(c.records, 2, "two records acted upon");
	is_int(c.bad, 2, "two bad lines");
	is_int(c.failed, 0, "no failure besides");
	like(s.msgs, "mixed:3: ", "the malformed line named by FILE:LINE");
	like(s.msgs, "mixed:4: item record: field 'bad' set",
	     "the refused record: FILE:LINE: TYPE record: why");
	is_str(slurp(rej), "not json\n{\"type\":\"item\",\"v\":1,\"n\":2,\"bad\":1}\n",
	       "both bad lines copied to the reject file verbatim");

	/* --strict: nothing acted upon, nothing passed through. */
	memset(&o, 0, sizeof o);
	o.strict = 1;
	o.reject = fopen(rej, "w");
	rc = run(&o, files, 1, &s, &c);
	fclose(o.reject);
	is_int(rc, -1, "--strict, a bad line: -1");
	is_str(s.log, "", "--strict: nothing applied, nothing passed");
	is_int(c.bad, 1, "--strict: stops at the first bad line");
	is_str(slurp(rej), "not json\n", "--strict: that line rejected");

	/* --strict, all good: everything, in order, once all is read. */
	files[0] =
	    file_with("good", "{\"type\":\"item\",\"v\":1,\"n\":1}\n{\"type\":\"note\",\"v\":1}\n");
	files[1] = file_with("good2", "{\"type\":\"item\",\"v\":1,\"n\":2}\n");
	memset(&o, 0, sizeof o);
	o.strict = 1;
	rc = run(&o, files, 2, &s, &c);
	is_int(rc, 0, "--strict, all good: 0");
	is_str(s.log, "apply:1 pass apply:2 ", "--strict, all good: all of it, in order");

	/* --strict: a bad line in the second file stops the first's records too. */
	files[1] = file_with("bad2", "{\"type\":\"item\",\"v\":1,\"n\":9,\"bad\":1}\n");
	rc = run(&o, files, 2, &s, &c);
	is_str(s.log, "", "--strict: a bad line in a later file, nothing applied");
	like(s.msgs, "bad2:1: item record:", "and named");

	/* A record's kind is kept: a verification failure stays one. */
	files[0] = file_with("forged", "{\"type\":\"item\",\"v\":1,\"n\":1,\"forged\":1}\n");
	memset(&o, 0, sizeof o);
	run(&o, files, 1, &s, &c);
	is_int(s.last_kind, TERRA_E_VERIFY, "a forged record reported as TERRA_E_VERIFY");
	like(s.msgs, "forged:1: item record: bad signature", "named");

	/* A stop: no more reading, its kind kept. */
	files[0] = file_with("stop", "{\"type\":\"item\",\"v\":1,\"n\":1}\n"
	                             "{\"type\":\"item\",\"v\":1,\"n\":2,\"stop\":1}\n"
	                             "{\"type\":\"item\",\"v\":1,\"n\":3}\n");
	files[1] = file_with("after", "{\"type\":\"item\",\"v\":1,\"n\":4}\n");
	rc = run(&o, files, 2, &s, &c);
	is_int(rc, -1, "a stop: -1");
	is_str(s.log, "apply:1 ", "a stop: nothing read after it");
	is_int(c.failed, 1, "counted as a failure");
	is_int(s.last_kind, TERRA_E_BUSY, "its kind kept");
	like(s.msgs, "stop:2: stopped", "its message as the function wrote it");

	/* others_bad: a record of another type is a bad line. */
	files[0] = file_with("other", "{\"type\":\"note\",\"v\":1}\n");
	o.others_bad = 1;
	rc = run(&o, files, 1, &s, &c);
	is_int(c.bad, 1, "others_bad: another type is a bad line");
	like(s.msgs, "other:1: not a item record", "named");
	is_str(s.log, "", "and not passed through");

	/* An input that cannot be opened: reported, the others read. */
	memset(&o, 0, sizeof o);
	files[0] = "/nonexistent/terra-filter";
	files[1] = file_with("fine", "{\"type\":\"item\",\"v\":1,\"n\":5}\n");
	rc = run(&o, files, 2, &s, &c);
	is_int(rc, -1, "a missing input: -1");
	is_int(c.failed, 1, "one failure");
	like(s.msgs, "/nonexistent/terra-filter", "naming it");
	is_str(s.log, "apply:5 ", "the next input still read");
	o.strict = 1;
	rc = run(&o, files, 2, &s, &c);
	is_str(s.log, "", "--strict: nothing read after it");
	return done_testing();
}
