/* terra-ledger: verify, query, prove and export the ledger. */
#include "cmd/ledger/metrics.h"
#include "cmd/ledger/pay.h"
#include "cmd/ledger/report.h"
#include "cmd/ledger/status.h"
#include "cmd/ledger/tlog.h"
#include "cmd/ledger/verify.h"
#include "lib/cli.h"
#include "lib/home.h"
#include "lib/ledger.h"
#include "lib/out.h"
#include "lib/record.h"
#include "lib/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "terra-ledger [-H DIR] verify\n"
    "       terra-ledger verify --pubkey KEY < export.ndjson\n"
    "       terra-ledger [-H DIR] [-o json|csv|table] log [--kind KIND] | balance [ACCOUNT]\n"
    "       terra-ledger [-H DIR] export -f ndjson|csv|hledger|payouts [-p PERIOD]\n"
    "       terra-ledger [-H DIR] prove --account ACCOUNT -p PERIOD [--since NOTE]\n"
    "       terra-ledger [-H DIR] pay [-n | --yes] ACCOUNT AMOUNT [--ref REF]\n"
    "       terra-ledger verify-proof --pubkey KEY [--since NOTE] [FILE]\n"
    "       terra-ledger [-H DIR] vkey | checkpoint [--size N] | consistency OLD [NEW]\n"
    "                    | inclusion SEQ [SIZE] | export -f tiles DIR\n"
    "       terra-ledger [-H DIR] verify --since NOTE [--witness VKEY]... [--quorum K]\n"
    "       terra-ledger [-H DIR] verify --tiles DIR [--pubkey KEY]\n"
    "       terra-ledger witness WDIR init NAME | vkey | trust VKEY | add-checkpoint [FILE]\n"
    "       terra-ledger [-H DIR] metrics [--textfile DIR] [--no-verify] [--meter FILE]...\n"
    "       terra-ledger [-H DIR] [-o json|csv|table] status [--no-verify]\n"
    "       terra-ledger [-H DIR] [-o json|csv|table] earnings [-p PERIOD]\n"
    "       terra-ledger [-H DIR] report [-p PERIOD] [--meter FILE]...\n"
    "                    [--since NOTE [--witness VKEY]... [--quorum K]] [FILE]";

static const char *const log_cols[] = {"seq",          "kind",           "created_at",
                                       "payload.unit", "payload.period", NULL};
static const char *const balance_cols[] = {"account", "amount", NULL};

struct opts {
	const char *home;
	const char *format;
	const char *period;
	const char *account;
	const char *pubkey;
	const char *kind;
	const char *ref;
	int dry, yes; /* pay -n, --yes */
	const char *textfile;
	int no_verify;
	enum terra_out out;
	struct tlog_opts t;
	const char *meter[63];
	int nmeter;
};

static void open_home(terra_home *h, const struct opts *o)
{
	terra_err e = {0};

	if (terra_home_open(h, o->home, TERRA_HOME_READONLY, &e) < 0)
		terra_die_err(&e);
}

/* log and balance: rows as records, CSV or a table. */
static int cmd_rows(const struct opts *o, const char *account)
{
	terra_err e = {0};
	json_t *rows = NULL;
	terra_home h;
	int rc;

	if (!account && o->kind && !terra_ledger_kind_ok(o->kind))
		terra_usage_error(usage_text, "unknown entry kind '%s'", o->kind);
	open_home(&h, o);
	rc = account ? terra_ledger_balance_rows(h.db, *account ? account : NULL, &rows, &e)
	             : terra_ledger_log(h.db, o->kind, &rows, &e);
	if (rc < 0 || terra_out_rows(stdout, terra_out_resolve(o->out),
	                             account ? balance_cols : log_cols, rows, &e) < 0)
		terra_die_err(&e);
	json_decref(rows);
	terra_home_close(&h);
	return TERRA_EXIT_OK;
}

static int cmd_export(const struct opts *o, const char *dir)
{
	char period[2 * TERRA_TIME_MAX];
	terra_err e = {0};
	terra_home h;

	if (!o->format)
		terra_usage_error(usage_text, "export needs -f FORMAT");
	if ((dir != NULL) != !strcmp(o->format, "tiles"))
		terra_usage_error(usage_text, "export: a directory with -f tiles, and only there");
	if (dir)
		return tlog_export_tiles(&o->t, dir);
	if (strcmp(o->format, "ndjson") && strcmp(o->format, "csv") &&
	    strcmp(o->format, "hledger") && strcmp(o->format, "payouts"))
		terra_usage_error(usage_text, "unknown export format '%s'", o->format);
	if (o->period && strcmp(o->format, "payouts"))
		terra_usage_error(usage_text, "-p is only for -f payouts");
	if (o->period)
		terra_cli_period(usage_text, o->period, period);
	open_home(&h, o);
	if (terra_ledger_export(h.db, stdout, o->format, o->period ? period : NULL, &e) < 0)
		terra_die_err(&e);
	terra_home_close(&h);
	return TERRA_EXIT_OK;
}

static int cmd_prove(const struct opts *o)
{
	char period[2 * TERRA_TIME_MAX];
	terra_err e = {0};
	json_t *proof = NULL;
	terra_home h;

	if (!o->account || !o->period)
		terra_usage_error(usage_text, "prove needs --account ACCOUNT and -p PERIOD");
	terra_cli_period(usage_text, o->period, period);
	open_home(&h, o);
	if (terra_ledger_prove(h.db, o->account, period, &proof, &e) < 0 ||
	    (o->t.since && tlog_prove_since(&o->t, h.db, h.owner.pk, proof) < 0) ||
	    terra_rec_write(stdout, proof, &e) < 0)
		terra_die_err(&e);
	json_decref(proof);
	terra_home_close(&h);
	return TERRA_EXIT_OK;
}
static void want_args(const char *sub, int got, int min, int max)
{
	if (got < min || got > max)
		terra_usage_error(usage_text, "%s: wrong number of arguments", sub);
}

enum {
	OPT_ACCOUNT = 256,
	OPT_PUBKEY,
	OPT_KIND,
	OPT_REF,
	OPT_WITNESS,
	OPT_YES,
	OPT_NO_VERIFY,
	OPT_METER
};

static struct opts opt;

static const terra_cli_opt options[] = {
    {'H', "home", "DIR", "the Terra home (terra(7))", &opt.home, NULL},
    {'o', "output", "FORMAT", "log, balance, status and earnings as json, csv or table", NULL,
     NULL},
    {'f', "format", "FORMAT", "export: ndjson, csv, hledger or payouts", &opt.format, NULL},
    {'p', "period", "PERIOD", "export -f payouts, prove, earnings and report: the period",
     &opt.period, NULL},
    {OPT_ACCOUNT, "account", "ACCOUNT", "prove: the account", &opt.account, NULL},
    {OPT_PUBKEY, "pubkey", "KEY", "verify and verify-proof: the owner key, hex or file",
     &opt.pubkey, NULL},
    {OPT_KIND, "kind", "KIND", "log: only entries of this kind", &opt.kind, NULL},
    {OPT_REF, "ref", "REF", "pay: the transfer's reference", &opt.ref, NULL},
    {'n', "dry-run", NULL, "pay: print the payment, change nothing", NULL, &opt.dry},
    {OPT_YES, "yes", NULL, "pay: do not ask on a terminal", NULL, &opt.yes},
    {0x100 + 's', "since", "NOTE",
     "verify, prove, verify-proof, report: a checkpoint note kept earlier", &opt.t.since, NULL},
    {OPT_WITNESS, "witness", "VKEY", "verify, report --since: a witness's key (repeatable)", NULL,
     NULL},
    {0x100 + 'q', "quorum", "K", "verify, report --since: how many witnesses must have cosigned",
     &opt.t.quorum, NULL},
    {OPT_METER, "meter", "FILE", "report, metrics: meter records for usage per unit (repeatable)",
     NULL, NULL},
    {0x100 + 't', "tiles", "DIR", "verify: the published tiles in DIR", &opt.t.tiles, NULL},
    {0x100 + 'z', "size", "N", "checkpoint: the tree size of the note", &opt.t.size, NULL},
    {0x100 + 'x', "textfile", "DIR", "metrics: write DIR/terra-ledger.prom atomically",
     &opt.textfile, NULL},
    {OPT_NO_VERIFY, "no-verify", NULL, "metrics and status: leave out verifying the ledger", NULL,
     &opt.no_verify},
    {0, NULL, NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	const char *sub;
	char **args;
	int c, nargs, status;

	terra_cli_init(argv[0]);
	while ((c = terra_cli_getopt(argc, argv, options, usage_text)) != -1) {
		if (c == 'o')
			opt.out = terra_cli_out(optarg, usage_text);
		if (c == OPT_WITNESS && opt.t.nwitness == 63)
			terra_usage_error(usage_text, "--witness: at most 63 keys");
		if (c == OPT_WITNESS)
			opt.t.witness[opt.t.nwitness++] = optarg;
		if (c == OPT_METER && opt.nmeter == 63)
			terra_usage_error(usage_text, "--meter: at most 63 files");
		if (c == OPT_METER)
			opt.meter[opt.nmeter++] = optarg;
	}
	opt.t.home = opt.home;
	opt.t.pubkey = opt.pubkey;
	args = argv + optind;
	nargs = argc - optind;
	if (nargs < 1)
		terra_usage_error(usage_text, "missing command");
	sub = args[0];
	if ((opt.dry || opt.yes) && strcmp(sub, "pay"))
		terra_usage_error(usage_text, "%s: -n and --yes apply to pay only", sub);
	if (opt.nmeter && strcmp(sub, "report") && strcmp(sub, "metrics"))
		terra_usage_error(usage_text, "%s: --meter applies to report and metrics only",
		                  sub);
	if (!strcmp(sub, "verify")) {
		want_args(sub, nargs - 1, 0, 0);
		status = ledger_verify(&opt.t, usage_text);
	} else if (!strcmp(sub, "log")) {
		want_args(sub, nargs - 1, 0, 0);
		status = cmd_rows(&opt, NULL);
	} else if (!strcmp(sub, "balance")) {
		want_args(sub, nargs - 1, 0, 1);
		status = cmd_rows(&opt, nargs > 1 ? args[1] : "");
	} else if (!strcmp(sub, "export")) {
		want_args(sub, nargs - 1, 0, 1);
		status = cmd_export(&opt, nargs > 1 ? args[1] : NULL);
	} else if (!strcmp(sub, "prove")) {
		want_args(sub, nargs - 1, 0, 0);
		status = cmd_prove(&opt);
	} else if (!strcmp(sub, "pay")) {
		want_args(sub, nargs - 1, 2, 2);
		if (opt.dry && opt.yes)
			terra_usage_error(usage_text, "pay: -n and --yes exclude each other");
		status =
		    ledger_pay(opt.home, usage_text, opt.dry, opt.yes, args[1], args[2], opt.ref);
	} else if (!strcmp(sub, "vkey") || !strcmp(sub, "checkpoint")) {
		want_args(sub, nargs - 1, 0, 0);
		status = tlog_cmd(&opt.t, usage_text, sub, args + 1, nargs - 1);
	} else if (!strcmp(sub, "consistency") || !strcmp(sub, "inclusion")) {
		want_args(sub, nargs - 1, 1, 2);
		status = tlog_cmd(&opt.t, usage_text, sub, args + 1, nargs - 1);
	} else if (!strcmp(sub, "witness")) {
		want_args(sub, nargs - 1, 2, 3);
		status = tlog_witness(usage_text, args + 1, nargs - 1);
	} else if (!strcmp(sub, "verify-proof")) {
		want_args(sub, nargs - 1, 0, 1);
		status = ledger_verify_proof(&opt.t, usage_text, nargs > 1 ? args[1] : NULL);
	} else if (!strcmp(sub, "status")) {
		want_args(sub, nargs - 1, 0, 0);
		status = ledger_status(opt.home, opt.out, !opt.no_verify);
	} else if (!strcmp(sub, "earnings")) {
		want_args(sub, nargs - 1, 0, 0);
		status = ledger_earnings(opt.home, opt.out, usage_text, opt.period);
	} else if (!strcmp(sub, "report")) {
		want_args(sub, nargs - 1, 0, 1);
		status = ledger_report(opt.home, usage_text, opt.period, opt.meter, opt.nmeter,
		                       &opt.t, nargs > 1 ? args[1] : NULL);
	} else if (!strcmp(sub, "metrics")) {
		want_args(sub, nargs - 1, 0, 0);
		status =
		    ledger_metrics(opt.home, opt.textfile, !opt.no_verify, opt.meter, opt.nmeter);
	} else {
		terra_usage_error(usage_text, "unknown command '%s'", sub);
	}
	return terra_cli_finish(status);
}
