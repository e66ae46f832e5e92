/* terra-settle: split a period's revenue exactly and append it to the ledger, once. */
#include "lib/cli.h"
#include "lib/holders.h"
#include "lib/home.h"
#include "lib/money.h"
#include "lib/record.h"
#include "lib/settle.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "terra-settle [-p PERIOD] [--revenue AMOUNT] --holders FILE\n"
    "       [--policy FILE | --contributors BPS --holders-share BPS --treasury BPS]\n"
    "       [--strict] [--reject FILE] [-H DIR] [FILE...]";

enum {
	OPT_REVENUE = 256,
	OPT_HOLDERS,
	OPT_POLICY,
	OPT_CONTRIB,
	OPT_HSHARE,
	OPT_TREASURY,
	OPT_STRICT,
	OPT_REJECT
};

static int64_t parse_bps(const char *opt, const char *arg)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (end == arg || *end || v < 0 || v > TERRA_SETTLE_BPS)
		terra_usage_error(usage_text, "%s '%s': expected basis points, 0 to 10000", opt,
		                  arg);
	return v;
}

/* Where bad meter lines go, besides the message on stderr. */
struct rejects {
	FILE *f;
	const char *path;
	long bad;
	int strict;
};

static void reject(struct rejects *rj, const terra_reader *r, const terra_err *e)
{
	const char *line;
	size_t len;
	terra_err we;

	terra_warn_err(e);
	rj->bad++;
	if (!rj->f)
		return;
	line = terra_reader_line(r, &len);
	if (terra_rec_write_raw(rj->f, line, len, &we) < 0)
		terra_dief("write '%s': %s", rj->path, we.msg);
}

/*
 * Reads the meter records of every input into s; other records pass
 * through. Counts the bad lines (each reported) in rj->bad; stops at the
 * first with strict.
 */
static void read_meters(terra_settle *s, char **files, int nfiles, struct rejects *rj)
{
	static char dash[] = "-", *stdin_only[] = {dash};
	int i;

	if (nfiles == 0) {
		files = stdin_only;
		nfiles = 1;
	}
	for (i = 0; i < nfiles && !(rj->strict && rj->bad); i++) {
		terra_reader *r = NULL;
		terra_err e;
		json_t *rec;
		int got;

		if (terra_reader_open(&r, files[i], &e) < 0)
			terra_die_err(&e);
		while ((got = terra_reader_next(r, &rec, &e)) != 0) {
			const char *type;
			size_t len;
			const char *line;

			if (got == -2)
				terra_die_err(&e);
			if (got == -1) {
				reject(rj, r, &e);
			} else if (terra_rec_type(rec, &type, &e) == 0 && strcmp(type, "meter")) {
				line = terra_reader_line(r, &len);
				if (terra_rec_write_raw(stdout, line, len, &e) < 0)
					terra_die_err(&e);
			} else if (terra_settle_add_meter(s, rec, &e) < 0) {
				terra_err why = e;

				terra_reader_reject(r, &e, "meter", why.msg);
				reject(rj, r, &e);
			}
			if (got == 1)
				json_decref(rec);
			if (rj->strict && rj->bad)
				break;
		}
		terra_reader_close(r);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"period", required_argument, NULL, 'p'},
	    {"revenue", required_argument, NULL, OPT_REVENUE},
	    {"holders", required_argument, NULL, OPT_HOLDERS},
	    {"policy", required_argument, NULL, OPT_POLICY},
	    {"contributors", required_argument, NULL, OPT_CONTRIB},
	    {"holders-share", required_argument, NULL, OPT_HSHARE},
	    {"treasury", required_argument, NULL, OPT_TREASURY},
	    {"strict", no_argument, NULL, OPT_STRICT},
	    {"reject", required_argument, NULL, OPT_REJECT},
	    {"home", required_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	terra_settle_policy policy;
	terra_holders hs;
	terra_settle *s = NULL;
	terra_home home;
	terra_err e;
	const char *home_dir = NULL, *holders = NULL, *policy_file = NULL, *period = NULL;
	int64_t revenue = 0, pool, seq;
	struct rejects rj = {0};
	int has_revenue = 0, nbps = 0, c, rc, status;
	size_t npay;

	terra_cli_init(argv[0]);
	terra_settle_policy_default(&policy);
	while ((c = getopt_long(argc, argv, "p:H:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			period = optarg;
			break;
		case OPT_REVENUE:
			if (terra_money_parse(optarg, 0, &revenue, &e) < 0)
				terra_usage_error(usage_text, "--revenue '%s': %s", optarg, e.msg);
			if (revenue < 0)
				terra_usage_error(usage_text,
				                  "--revenue '%s': must not be negative", optarg);
			has_revenue = 1;
			break;
		case OPT_HOLDERS:
			holders = optarg;
			break;
		case OPT_POLICY:
			policy_file = optarg;
			break;
		case OPT_CONTRIB:
			policy.contributors = parse_bps("--contributors", optarg);
			nbps |= 1;
			break;
		case OPT_HSHARE:
			policy.holders = parse_bps("--holders-share", optarg);
			nbps |= 2;
			break;
		case OPT_TREASURY:
			policy.treasury = parse_bps("--treasury", optarg);
			nbps |= 4;
			break;
		case OPT_STRICT:
			rj.strict = 1;
			break;
		case OPT_REJECT:
			rj.path = optarg;
			break;
		case 'H':
			home_dir = optarg;
			break;
		case 'h':
			terra_usage(usage_text, 0);
		case 'V':
			terra_version();
		default:
			terra_usage(usage_text, TERRA_EXIT_USAGE);
		}
	}
	if (!holders)
		terra_usage_error(usage_text, "--holders FILE is required");
	if (policy_file && nbps)
		terra_usage_error(usage_text, "give --policy or the three shares, not both");
	if (nbps && nbps != 7)
		terra_usage_error(usage_text,
		                  "give --contributors, --holders-share and --treasury together");
	if (policy_file && terra_settle_policy_load(policy_file, &policy, &e) < 0)
		terra_die_err(&e);
	if (terra_settle_new(&s, &e) < 0)
		terra_die_err(&e);
	if (terra_settle_set_policy(s, &policy, &e) < 0) {
		if (nbps)
			terra_usage_error(usage_text, "%s", e.msg);
		terra_die_err(&e);
	}
	if (period && terra_settle_set_period(s, period, &e) < 0)
		terra_usage_error(usage_text, "-p '%s': %s", period, e.msg);
	if (has_revenue && terra_settle_set_revenue(s, revenue, &e) < 0)
		terra_die_err(&e);

	/* Every input is read and checked before the ledger is touched. */
	terra_holders_init(&hs);
	if (terra_holders_load(&hs, holders, &e) < 0)
		terra_die_err(&e);
	terra_settle_set_holders(s, &hs);
	if (rj.path && !(rj.f = fopen(rj.path, "w")))
		terra_dief("open '%s': %s", rj.path, strerror(errno));
	read_meters(s, argv + optind, argc - optind, &rj);
	if (rj.f && fclose(rj.f))
		terra_dief("write '%s': %s", rj.path, strerror(errno));
	if (rj.bad)
		terra_dief("%ld bad meter record%s: nothing settled", rj.bad,
		           rj.bad == 1 ? "" : "s");

	terra_cli_note_clock();
	if (terra_home_open(&home, home_dir, TERRA_HOME_SECRET, &e) < 0)
		terra_die_err(&e);
	rc = terra_settle_run(&home, s, &e);
	if (rc < 0) {
		terra_warn_err(&e);
		terra_home_close(&home);
		terra_settle_free(s);
		return terra_cli_finish(TERRA_EXIT_FAIL);
	}
	terra_settle_result(s, &pool, &seq, &npay);
	(void)pool;
	if (rc == 1)
		terra_warnf(
		    "period already settled with the same inputs (entry %lld): nothing changed",
		    (long long)seq);
	status = TERRA_EXIT_OK;
	if (terra_settle_write_payouts(stdout, s, &e) < 0) {
		terra_warn_err(&e);
		status = TERRA_EXIT_FAIL;
	}
	terra_home_close(&home);
	terra_settle_free(s);
	return terra_cli_finish(status);
}
