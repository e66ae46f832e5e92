/* terra-meter's output: bad lines, records passed through, tables; see output.h. */
#include "cmd/meter/output.h"

#include "lib/cli.h"
#include "lib/record.h"

int meter_report(void *ctx, enum terra_meter_event ev, const char *line, size_t len,
                 const char *msg)
{
	struct sink *s = ctx;
	terra_err e;

	terra_warnf("%s", msg);
	if (ev != TERRA_METER_BAD)
		return 0;
	if (s->reject && terra_rec_write_raw(s->reject, line, len, &e) < 0 && !s->write_failed) {
		terra_warnf("write '%s': %s", s->reject_path, e.msg);
		s->write_failed = 1;
	}
	return s->strict;
}

int meter_pass(void *ctx, const char *line, size_t len)
{
	struct sink *s = ctx;
	terra_err e;

	if (terra_rec_write_raw(s->held ? s->held : stdout, line, len, &e) < 0)
		terra_die_err(&e);
	return 0;
}

/* The meter records as a table or CSV: the columns a person reads first. */
int meter_write_rows(terra_meter *m, enum terra_out mode)
{
	static const char *const cols[] = {"period", "unit",   "busy_us", "utilization_ppm",
	                                   "score",  "weight", "records", "work",
	                                   "charge", NULL};
	json_t *rows = json_array();
	terra_err e;
	int rc = 0;

	if (!rows)
		terra_dief("meter records: out of memory");
	if (terra_meter_rows(m, rows, &e) < 0) {
		terra_warn_err(&e);
		rc = -1;
	}
	if (terra_out_rows(stdout, mode, cols, rows, &e) < 0) {
		terra_warn_err(&e);
		rc = -1;
	}
	json_decref(rows);
	return rc;
}
