/* terra-settle: split a period's revenue exactly and append it to the ledger, once. */
#include "cmd/settle/read.h"
#include "lib/cli.h"
#include "lib/filter.h"
#include "lib/holders.h"
#include "lib/home.h"
#include "lib/money.h"
#include "lib/record.h"
#include "lib/settle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "terra-settle [-p PERIOD [--adjust OLD]] [--revenue AMOUNT] --holders FILE\n"
    "       [--policy FILE | --contributors BPS --holders-share BPS --treasury BPS]\n"
    "       [--meter-key KEY]... [--strict] [--reject FILE] [-j N] [-n] [-H DIR] [FILE...]";

enum {
	OPT_REVENUE = 256,
	OPT_HOLDERS,
	OPT_POLICY,
	OPT_CONTRIB,
	OPT_HSHARE,
	OPT_TREASURY,
	OPT_STRICT,
	OPT_REJECT,
	OPT_METER_KEY,
	OPT_ADJUST
};

static const terra_cli_opt options[] = {
    {'p', "period", "PERIOD", "the period settled", NULL, NULL},
    {OPT_ADJUST, "adjust", "OLD", "also pay late usage of OLD, a settled period", NULL, NULL},
    {OPT_REVENUE, "revenue", "AMOUNT", "the period's revenue, in TERRA", NULL, NULL},
    {OPT_HOLDERS, "holders", "FILE", "the holders snapshot (CSV: account,balance)", NULL, NULL},
    {OPT_POLICY, "policy", "FILE", "the policy, from a file", NULL, NULL},
    {OPT_CONTRIB, "contributors", "BPS", "contributors' share, with the two below", NULL, NULL},
    {OPT_HSHARE, "holders-share", "BPS", "holders' share", NULL, NULL},
    {OPT_TREASURY, "treasury", "BPS", "treasury's share", NULL, NULL},
    {OPT_STRICT, "strict", NULL, "check all input first; at a bad line settle nothing", NULL, NULL},
    {OPT_REJECT, "reject", "FILE", "quarantine bad lines in FILE and settle the rest", NULL, NULL},
    {OPT_METER_KEY, "meter-key", "KEY", "also trust meter records signed by KEY, hex or file", NULL,
     NULL},
    {'j', "jobs", "N", "verify signatures in N threads", NULL, NULL},
    {'n', "dry-run", NULL, "print what would be appended and paid; change nothing", NULL, NULL},
    {'H', "home", "DIR", "the Terra home (terra(7))", NULL, NULL},
    {0, NULL, NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	terra_settle_policy policy;
	terra_holders hs;
	terra_settle *s = NULL;
	terra_home home;
	terra_err e;
	const char *home_dir = NULL, *holders = NULL, *policy_file = NULL, *period = NULL;
	const char *adjust = NULL;
	int64_t revenue = 0, pool, seq;
	const char *reject = NULL;
	int strict = 0, has_revenue = 0, nbps = 0, c, rc, status, dry = 0, quarantined, i;
	uint8_t keys[16][32];
	int nkeys = 0;
	size_t npay;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int threads = ncpu > 0 ? (int)ncpu : 1;

	terra_cli_init(argv[0]);
	terra_settle_policy_default(&policy);
	while ((c = terra_cli_getopt(argc, argv, options, usage_text)) != -1) {
		switch (c) {
		case 'p':
			period = optarg;
			break;
		case OPT_ADJUST:
			adjust = optarg;
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
			policy.contributors =
			    terra_cli_int(usage_text, "--contributors", optarg, 0, TERRA_SETTLE_BPS,
			                  "basis points, 0 to 10000");
			nbps |= 1;
			break;
		case OPT_HSHARE:
			policy.holders =
			    terra_cli_int(usage_text, "--holders-share", optarg, 0,
			                  TERRA_SETTLE_BPS, "basis points, 0 to 10000");
			nbps |= 2;
			break;
		case OPT_TREASURY:
			policy.treasury =
			    terra_cli_int(usage_text, "--treasury", optarg, 0, TERRA_SETTLE_BPS,
			                  "basis points, 0 to 10000");
			nbps |= 4;
			break;
		case OPT_STRICT:
			strict = 1;
			break;
		case OPT_REJECT:
			reject = optarg;
			break;
		case OPT_METER_KEY:
			if (nkeys == 16)
				terra_usage_error(usage_text, "--meter-key: at most 16 keys");
			terra_cli_pubkey(optarg, keys[nkeys++]);
			break;
		case 'j':
			threads = (int)terra_cli_int(usage_text, "-j", optarg, 1, 64, "1 to 64");
			break;
		case 'n':
			dry = 1;
			break;
		case 'H':
			home_dir = optarg;
			break;
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
	if (adjust && !period)
		terra_usage_error(usage_text, "--adjust needs the period paying it (-p)");
	if (adjust && terra_settle_set_adjusts(s, adjust, &e) < 0)
		terra_usage_error(usage_text, "--adjust '%s': %s", adjust, e.msg);
	if (has_revenue && terra_settle_set_revenue(s, revenue, &e) < 0)
		terra_die_err(&e);

	/* Every input is read and checked before the ledger is touched; the
	 * home is open first for the keys and units the meter records need. */
	terra_holders_init(&hs);
	if (terra_holders_load(&hs, holders, &e) < 0)
		terra_die_err(&e);
	terra_settle_set_holders(s, &hs);
	terra_cli_note_clock();
	if (terra_home_open(&home, home_dir, TERRA_HOME_SECRET, &e) < 0)
		terra_die_err(&e);
	if (terra_settle_trust(s, home.owner.pk, &e) < 0)
		terra_die_err(&e);
	for (i = 0; i < nkeys; i++)
		if (terra_settle_trust(s, keys[i], &e) < 0)
			terra_die_err(&e);
	terra_settle_set_registry(s, home.db);
	if (terra_settle_open_adjust(s, &e) < 0) {
		terra_warn_err(&e);
		terra_home_close(&home);
		terra_settle_free(s);
		return terra_cli_finish(terra_exit_status(&e));
	}
	terra_settle_set_dry(s, dry);
	terra_settle_set_jobs(s, threads);
	terra_settle_start_holders(s);
	status =
	    read_meters(s, argv + optind, argc - optind, reject, strict, threads, &quarantined);
	if (status != TERRA_EXIT_OK && !quarantined) {
		terra_home_close(&home);
		terra_settle_free(s);
		return terra_cli_finish(status);
	}
	rc = terra_settle_run(&home, s, &e);
	if (rc < 0) {
		terra_warn_err(&e);
		terra_home_close(&home);
		terra_settle_free(s);
		return terra_cli_finish(terra_exit_status(&e));
	}
	terra_settle_result(s, &pool, &seq, &npay);
	if (dry && rc == 0) {
		char amount[TERRA_AMOUNT_MAX];

		terra_money_format(pool, amount);
		terra_warnf("dry run: would append settlement entry %lld, pool %s, and pay the "
		            "%zu payouts on stdout: nothing changed",
		            (long long)seq, amount, npay);
	}
	if (rc == 1)
		terra_warnf(
		    "period already settled with the same inputs (entry %lld): nothing changed",
		    (long long)seq);
	if (!quarantined)
		status = TERRA_EXIT_OK; /* else the bad lines' status stays */
	if (terra_settle_write_payouts(stdout, s, &e) < 0) {
		terra_warn_err(&e);
		status = terra_exit_status(&e);
	}
	terra_home_close(&home);
	terra_settle_free(s);
	return terra_cli_finish(status);
}
