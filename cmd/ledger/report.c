/* terra-ledger report: the HTML dashboard; see report.h. */
#include "cmd/ledger/report.h"

#include "lib/cli.h"
#include "lib/home.h"
#include "lib/report.h"
#include "lib/time.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Chart.js, from Debian's libjs-chart.js, inlined into every report: a
 * well-kept charting library whose single UMD file draws on a canvas with
 * no network and no build step, so the page stays one file that opens
 * from disk. TERRA_CHART_JS names another copy.
 */
#define CHART_JS "/usr/share/javascript/chart.js/chart.min.js"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* A bad meter line: said on stderr, and the exit status becomes 1. */
static void bad_meter(void *arg, const terra_err *e)
{
	terra_warnf("report: %s", e->msg);
	*(int *)arg = TERRA_EXIT_FAIL;
}

int ledger_report(const char *home, const char *usage_text, const char *period,
                  const char *const *meter, int nmeter, const struct tlog_opts *t, const char *file)
{
	const char *js = getenv("TERRA_CHART_JS") ? getenv("TERRA_CHART_JS") : CHART_JS;
	const char *rows = getenv("TERRA_REPORT_ROWS");
	char *end;
	terra_report_opts o = {0};
	char canon[2 * TERRA_TIME_MAX];
	terra_tlog_kept kept;
	terra_err e = {0};
	terra_home h;
	FILE *f = stdout;
	int rc, status = TERRA_EXIT_OK;

	if (period) {
		terra_cli_period(usage_text, period, canon);
		if (terra_period_parse(canon, &o.from, &o.to, &e) < 0)
			terra_die_err(&e);
	}
	o.chart_js = slurp(js, &o.chart_js_len);
	if (!o.chart_js)
		terra_dief("report: cannot read '%s' (Debian: apt-get install libjs-chart.js)", js);
	if (terra_home_open(&h, home, TERRA_HOME_READONLY, &e) < 0)
		terra_die_err(&e);
	if (t->since) {
		if (tlog_kept(t, usage_text, h.owner.pk, &kept, &e) < 0)
			terra_die_err(&e);
		o.kept = &kept;
		o.nwitness = t->nwitness;
	}
	if (rows && *rows) {
		errno = 0;
		o.max_rows = strtoull(rows, &end, 10);
		if (errno || *end || o.max_rows == 0 || *rows == '-')
			terra_dief("report: TERRA_REPORT_ROWS '%s' is not a count above 0", rows);
	}
	o.meter = meter;
	o.nmeter = nmeter;
	o.bad = bad_meter;
	o.bad_arg = &status;
	if (file && !(f = fopen(file, "w")))
		terra_dief("report: open '%s': %s", file, strerror(errno));
	rc = terra_report_write(&h, &o, f, &e);
	if (file && fclose(f) != 0 && rc == 0)
		rc = terra_err_sys(&e, "report: write '%s'", file);
	terra_home_close(&h);
	free((char *)o.chart_js);
	if (rc < 0)
		terra_die_err(&e);
	return status;
}
