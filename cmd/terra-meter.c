/* terra-meter: verified usage records in, one meter record per unit and period out. */
#include "cmd/meter/output.h"
#include "lib/cli.h"
#include "lib/home.h"
#include "lib/meter.h"
#include "lib/slurm.h"
#include "lib/money.h"
#include "lib/out.h"
#include "lib/record.h"
#include "lib/time.h"
#include "lib/unitfiles.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "terra-meter [-p PERIOD | --from TIME --to TIME] [--every DURATION] [-u UNITS]\n"
    "       [--owners FILE] [--price AMOUNT] [-j N] [--reject FILE] [--strict]\n"
    "       [-o json|csv|table] [--slurm FILE]\n"
    "       [-H DIR] [FILE...]";

enum { OPT_FROM = 256, OPT_TO, OPT_EVERY, OPT_PRICE, OPT_REJECT, OPT_STRICT, OPT_OWNERS };
enum { OPT_SLURM = 300 };

static int64_t parse_time(const char *opt, const char *arg)
{
	terra_err e;
	int64_t us;

	if (terra_time_parse(arg, &us, &e) < 0)
		terra_usage_error(usage_text, "%s '%s': %s", opt, arg, e.msg);
	return us;
}

static const terra_cli_opt options[] = {
    {'p', "period", "PERIOD", "the period metered", NULL, NULL},
    {OPT_FROM, "from", "TIME", "the period's start, with --to", NULL, NULL},
    {OPT_TO, "to", "TIME", "the period's end", NULL, NULL},
    {OPT_EVERY, "every", "DURATION", "one meter record per unit and DURATION", NULL, NULL},
    {'u', "units", "FILE", "unit records from FILE, not the home", NULL, NULL},
    {OPT_OWNERS, "owners", "FILE", "with -u: only units of the owner keys in FILE", NULL, NULL},
    {OPT_PRICE, "price", "AMOUNT", "charge AMOUNT per TFLOP-hour", NULL, NULL},
    {'j', "jobs", "N", "verify in N threads", NULL, NULL},
    {OPT_REJECT, "reject", "FILE", "also write each bad line to FILE", NULL, NULL},
    {OPT_STRICT, "strict", NULL, "check all input first; at a bad line meter nothing", NULL, NULL},
    {'o', "output", "FORMAT", "json, csv or table", NULL, NULL},
    {OPT_SLURM, "slurm", "FILE", "check usage against Slurm's job records in FILE", NULL, NULL},
    {'H', "home", "DIR", "the Terra home (terra(7))", NULL, NULL},
    {0, NULL, NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	terra_meter_opts o = {0};
	terra_meter_io io;
	struct sink sink = {0};
	terra_meter *m = NULL;
	terra_home home;
	terra_err e;
	const char *home_dir = NULL, *units[64], *owners_path = NULL;
	terra_owners *owners = NULL;
	long units_bad = 0;
	int nunits = 0, have_home = 0, have_from = 0, have_to = 0, have_period = 0, c, i,
	    status = 0, got;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	enum terra_out out_mode = TERRA_OUT_AUTO;
	const char *slurm_path = NULL;
	terra_slurm_jobs *slurm = NULL;

	terra_cli_init(argv[0]);
	o.threads = ncpu > 0 ? (int)ncpu : 1;
	while ((c = terra_cli_getopt(argc, argv, options, usage_text)) != -1) {
		switch (c) {
		case 'p':
			if (terra_period_parse(optarg, &o.from, &o.to, &e) < 0)
				terra_usage_error(usage_text, "-p '%s': %s", optarg, e.msg);
			have_period = 1;
			break;
		case OPT_FROM:
			o.from = parse_time("--from", optarg);
			have_from = 1;
			break;
		case OPT_TO:
			o.to = parse_time("--to", optarg);
			have_to = 1;
			break;
		case OPT_EVERY:
			if (terra_duration_parse(optarg, &o.every, &e) < 0)
				terra_usage_error(usage_text, "--every '%s': %s", optarg, e.msg);
			if (o.every <= 0)
				terra_usage_error(usage_text, "--every '%s': must be positive",
				                  optarg);
			break;
		case 'u':
			if (nunits == (int)(sizeof units / sizeof units[0]))
				terra_usage_error(usage_text, "-u: at most 64 files");
			units[nunits++] = optarg;
			break;
		case OPT_OWNERS:
			owners_path = optarg;
			break;
		case OPT_PRICE:
			if (terra_money_parse(optarg, 0, &o.price, &e) < 0)
				terra_usage_error(usage_text, "--price '%s': %s", optarg, e.msg);
			if (o.price < 0)
				terra_usage_error(usage_text, "--price '%s': must not be negative",
				                  optarg);
			o.has_price = 1;
			break;
		case 'j':
			o.threads =
			    (int)terra_cli_int(usage_text, "-j", optarg, 1, 1024, "1 to 1024");
			break;
		case OPT_REJECT:
			sink.reject_path = optarg;
			break;
		case OPT_STRICT:
			sink.strict = 1;
			break;
		case OPT_SLURM:
			slurm_path = optarg;
			break;
		case 'o':
			out_mode = terra_cli_out(optarg, usage_text);
			break;
		case 'H':
			home_dir = optarg;
			break;
		}
	}
	if (have_period && (have_from || have_to))
		terra_usage_error(usage_text, "-p and --from/--to exclude each other");
	if (!have_period && !(have_from && have_to))
		terra_usage_error(usage_text, "a period is needed: -p PERIOD or --from and --to");
	if (o.to <= o.from)
		terra_usage_error(usage_text, "the period ends before it starts");
	if (!o.every)
		o.every = o.to - o.from;
	if (owners_path && !nunits)
		terra_usage_error(usage_text, "--owners applies to unit files (-u) only");
	if (owners_path && terra_owners_load(&owners, owners_path, &e) < 0)
		terra_die_err(&e);
	if (terra_meter_new(&m, &o, &e) < 0)
		terra_usage_error(usage_text, "%s", e.msg);

	sink.reject = terra_cli_reject_open(sink.reject_path);
	if (sink.strict && !(sink.held = open_memstream(&sink.held_buf, &sink.held_len)))
		terra_dief("--strict: %s", strerror(errno));
	terra_cli_stdin_notice_args("usage records", argv + optind, argc - optind);
	io.report = meter_report;
	io.pass = meter_pass;
	io.ctx = &sink;
	/* Meter records are signed by the home's owner key: the home is needed
	 * for it even with -u. A table or CSV is for reading: no key. */
	out_mode = terra_out_resolve(out_mode);
	if (terra_home_open(
	        &home, home_dir,
	        TERRA_HOME_READONLY | (out_mode == TERRA_OUT_JSON ? TERRA_HOME_SECRET : 0), &e) < 0)
		terra_die_err(&e);
	have_home = 1;
	if (out_mode == TERRA_OUT_JSON)
		terra_meter_set_signer(m, &home.owner);
	io.admit = NULL;
	if (slurm_path) { /* --slurm: lib/slurm.h */
		if (terra_slurm_jobs_load(&slurm, slurm_path, &e) < 0)
			terra_die_err(&e);
		io.admit = terra_slurm_check;
		io.admit_arg = slurm;
	}
	if (nunits) {
		got = terra_unitfiles_load(m, units, nunits, owners, &io, &units_bad, &e);
		if (got < 0)
			terra_die_err(&e);
		if (got > 0)
			goto done;
	} else if (terra_meter_units_db(m, home.db, &e) < 0) {
		terra_die_err(&e);
	}
	if (optind == argc) {
		got = terra_meter_feed(m, NULL, &io, &e);
	} else {
		for (got = 0, i = optind; i < argc && got == 0; i++)
			got = terra_meter_feed(m, argv[i], &io, &e);
	}
	if (got < 0) {
		terra_warn_err(&e);
		status = terra_exit_status(&e);
		goto done;
	}
	if (got > 0)
		goto done; /* --strict: no meter record from a bad input */
	if (sink.held) {
		if (fclose(sink.held) != 0)
			terra_dief("--strict: %s", strerror(errno));
		sink.held = NULL;
		fwrite(sink.held_buf, 1, sink.held_len, stdout);
	}
	if (out_mode == TERRA_OUT_JSON) {
		if (terra_meter_write(m, stdout, &e) < 0) {
			terra_warn_err(&e);
			status = TERRA_EXIT_FAIL;
		}
	} else if (meter_write_rows(m, out_mode) < 0) {
		status = TERRA_EXIT_FAIL;
	}
done:
	if (sink.held)
		fclose(sink.held);
	free(sink.held_buf);
	terra_owners_free(owners);
	if (terra_meter_bad(m) || units_bad || sink.write_failed)
		status = terra_exit_worse(status, TERRA_EXIT_FAIL);
	terra_cli_reject_close(sink.reject, sink.reject_path, &status);
	terra_meter_free(m);
	if (have_home)
		terra_home_close(&home);
	terra_slurm_jobs_free(slurm);
	return terra_cli_finish(status);
}
