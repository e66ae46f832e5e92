/* terra-settle's reading of the meter records (linked into terra-settle only). */
#include "read.h"

#include "lib/cli.h"
#include "lib/filter.h"

struct reading {
	terra_settle *s;
	int status;
};

/* The signature, on a worker thread; the rest in input order. */
static void check_sig(void *arg, const json_t *rec, void *slot)
{
	(void)arg;
	terra_settle_pre_check(rec, slot);
}

static int add_meter(void *arg, json_t *rec, void *slot, const char *where, terra_err *e)
{
	(void)where;
	return terra_settle_add_meter_pre(((struct reading *)arg)->s, rec, slot, e) < 0
	           ? TERRA_FILTER_BAD
	           : 0;
}

static void free_sig(void *arg, void *slot)
{
	(void)arg;
	terra_settle_pre_free(slot);
}

static void report(void *arg, const terra_err *e)
{
	terra_cli_report(&((struct reading *)arg)->status, e);
}

/*
 * Reads the meter records of every input into s; other records pass
 * through, but for the types only a trusted stage makes (payout, entry...),
 * refused. With --reject (not --strict) bad lines are quarantined there and
 * the rest is settled; the exit status still says there were some.
 */
int read_meters(terra_settle *s, char **files, int nfiles, const char *reject, int strict,
                int threads, int *quarantined)
{
	terra_filter_opts fo = {
	    .type = "meter", .refuse_trusted = 1, .strict = strict, .reject_name = reject};
	terra_filter_counts c;
	struct reading rd = {s, TERRA_EXIT_OK};

	fo.threads = threads;
	fo.pre_size = sizeof(terra_settle_pre);
	fo.pre = check_sig;
	fo.check_pre = add_meter;
	fo.pre_free = free_sig;
	fo.report = report;
	fo.arg = &rd;
	fo.reject = terra_cli_reject_open(reject);
	terra_cli_stdin_notice_args("meter records", files, nfiles);
	*quarantined = 0;
	if (terra_filter_run((const char *const *)files, nfiles, &fo, &c) < 0) {
		if (c.bad && !c.failed && reject && !strict) {
			terra_warnf("%ld bad line%s quarantined in '%s': settling the rest", c.bad,
			            c.bad == 1 ? "" : "s", reject);
			*quarantined = 1;
		} else if (c.bad)
			terra_warnf("%ld bad meter record%s: nothing settled", c.bad,
			            c.bad == 1 ? "" : "s");
		else
			terra_warnf("nothing settled");
	}
	if (fo.reject && (fflush(fo.reject) != 0 || ferror(fo.reject)))
		*quarantined = 0; /* the bad lines are not kept: nothing settled */
	terra_cli_reject_close(fo.reject, reject, &rd.status);
	return rd.status;
}
