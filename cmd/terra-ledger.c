/* terra-ledger: verify, query, prove and export the ledger. */
#include "lib/cli.h"
#include "lib/home.h"
#include "lib/key.h"
#include "lib/ledger.h"
#include "lib/money.h"
#include "lib/out.h"
#include "lib/record.h"
#include "lib/time.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "terra-ledger [-H DIR] verify\n"
    "       terra-ledger verify --pubkey KEY < export.ndjson\n"
    "       terra-ledger [-H DIR] [-o json|csv|table] log [--kind KIND] | balance [ACCOUNT]\n"
    "       terra-ledger [-H DIR] export -f ndjson|csv|hledger|payouts [-p PERIOD]\n"
    "       terra-ledger [-H DIR] prove --account ACCOUNT -p PERIOD\n"
    "       terra-ledger [-H DIR] pay ACCOUNT AMOUNT [--ref REF]\n"
    "       terra-ledger verify-proof --pubkey KEY [FILE]";

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
	enum terra_out out;
};

/* --pubkey: 64 hex characters, or a file holding them (owner.pub). */
static void load_pubkey(const char *arg, uint8_t pk[TERRA_PK_BYTES])
{
	terra_key k = {{0}, NULL};
	terra_err e = {0};

	if (strlen(arg) == 2 * TERRA_PK_BYTES && terra_unhex(arg, pk, TERRA_PK_BYTES, &e) == 0)
		return;
	if (terra_key_load_pub(&k, arg, &e) < 0)
		terra_die_err(&e);
	memcpy(pk, k.pk, TERRA_PK_BYTES);
}

/* The period as the ledger stores it: "START/END" in canonical form. */
static void canonical_period(const char *arg, char out[2 * TERRA_TIME_MAX])
{
	terra_err e = {0};
	int64_t start, end;

	if (terra_period_parse(arg, &start, &end, &e) < 0)
		terra_usage_error(usage_text, "bad period '%s': %s", arg, e.msg);
	terra_period_format(start, end, out);
}

static void open_home(terra_home *h, const struct opts *o)
{
	terra_err e = {0};

	if (terra_home_open(h, o->home, TERRA_HOME_READONLY, &e) < 0)
		terra_die_err(&e);
}

static void write_summary(const terra_ledger_report *rep, const uint8_t pk[TERRA_PK_BYTES])
{
	char root[2 * 32 + 1], pkhex[TERRA_PK_HEX], origin[6 + TERRA_PK_HEX];
	terra_err e = {0};
	json_t *rec;

	terra_hex(rep->root, 32, root);
	terra_hex(pk, TERRA_PK_BYTES, pkhex);
	snprintf(origin, sizeof origin, "terra:%s", pkhex);
	rec = json_pack("{s:s, s:i, s:s, s:I, s:s, s:I, s:I, s:I}", "type", "verified", "v", 1,
	                "origin", origin, "size", (json_int_t)rep->entries, "root", root,
	                "checkpoints", (json_int_t)rep->checkpoints, "settlements",
	                (json_int_t)rep->settlements, "accounts",
	                (json_int_t)json_object_size(rep->balances));
	if (!rec || terra_rec_write(stdout, rec, &e) < 0)
		terra_die_err(&e);
	json_decref(rec);
}

static int cmd_verify(const struct opts *o)
{
	terra_ledger_report rep;
	terra_reader *r = NULL;
	terra_err e = {0};
	terra_home h;
	uint8_t pk[TERRA_PK_BYTES];
	int rc;

	if (o->pubkey) {
		load_pubkey(o->pubkey, pk);
		if (terra_reader_open(&r, NULL, &e) < 0)
			terra_die_err(&e);
		rc = terra_ledger_verify_export(r, pk, &rep, &e);
		terra_reader_close(r);
	} else {
		open_home(&h, o);
		memcpy(pk, h.owner.pk, TERRA_PK_BYTES);
		rc = terra_ledger_verify(&h, &rep, &e);
		terra_home_close(&h);
	}
	if (rc < 0) {
		terra_warnf("verify: %s", e.msg);
		return TERRA_EXIT_FAIL;
	}
	write_summary(&rep, pk);
	terra_ledger_report_free(&rep);
	return TERRA_EXIT_OK;
}

static int cmd_log(const struct opts *o)
{
	terra_err e = {0};
	json_t *rows = NULL;
	terra_home h;

	if (o->kind && !terra_ledger_kind_ok(o->kind))
		terra_usage_error(usage_text, "unknown entry kind '%s'", o->kind);
	open_home(&h, o);
	if (terra_ledger_log(h.db, o->kind, &rows, &e) < 0 ||
	    terra_out_rows(stdout, terra_out_resolve(o->out), log_cols, rows, &e) < 0)
		terra_die_err(&e);
	json_decref(rows);
	terra_home_close(&h);
	return TERRA_EXIT_OK;
}

static int cmd_balance(const struct opts *o, const char *account)
{
	terra_err e = {0};
	json_t *rows = NULL;
	terra_home h;

	open_home(&h, o);
	if (terra_ledger_balance_rows(h.db, account, &rows, &e) < 0 ||
	    terra_out_rows(stdout, terra_out_resolve(o->out), balance_cols, rows, &e) < 0)
		terra_die_err(&e);
	json_decref(rows);
	terra_home_close(&h);
	return TERRA_EXIT_OK;
}

static int cmd_export(const struct opts *o)
{
	char period[2 * TERRA_TIME_MAX];
	terra_err e = {0};
	terra_home h;

	if (!o->format)
		terra_usage_error(usage_text, "export needs -f FORMAT");
	if (strcmp(o->format, "ndjson") && strcmp(o->format, "csv") &&
	    strcmp(o->format, "hledger") && strcmp(o->format, "payouts"))
		terra_usage_error(usage_text, "unknown export format '%s'", o->format);
	if (o->period && strcmp(o->format, "payouts"))
		terra_usage_error(usage_text, "-p is only for -f payouts");
	if (o->period)
		canonical_period(o->period, period);
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
	canonical_period(o->period, period);
	open_home(&h, o);
	if (terra_ledger_prove(h.db, o->account, period, &proof, &e) < 0 ||
	    terra_rec_write(stdout, proof, &e) < 0)
		terra_die_err(&e);
	json_decref(proof);
	terra_home_close(&h);
	return TERRA_EXIT_OK;
}

static int cmd_verify_proof(const struct opts *o, const char *file)
{
	terra_reader *r = NULL;
	terra_err e = {0};
	json_t *rec = NULL, *payouts = NULL, *p;
	const char *type;
	uint8_t pk[TERRA_PK_BYTES];
	size_t i;
	int rc, status = TERRA_EXIT_OK, n = 0;

	if (!o->pubkey)
		terra_usage_error(usage_text, "verify-proof needs --pubkey KEY");
	load_pubkey(o->pubkey, pk);
	if (terra_reader_open(&r, file, &e) < 0)
		terra_die_err(&e);
	while ((rc = terra_reader_next(r, &rec, &e)) != 0) {
		if (rc == -2)
			terra_die_err(&e);
		if (rc < 0) {
			terra_warn_err(&e);
			status = TERRA_EXIT_FAIL;
			continue;
		}
		n++;
		type = json_string_value(json_object_get(rec, "type"));
		if (strcmp(type, "proof")) {
			terra_warnf("%s:%ld: not a proof record", terra_reader_name(r),
			            terra_reader_lineno(r));
			status = TERRA_EXIT_FAIL;
		} else if (terra_ledger_verify_proof(rec, pk, &payouts, &e) < 0) {
			terra_warnf("%s:%ld: %s", terra_reader_name(r), terra_reader_lineno(r),
			            e.msg);
			status = TERRA_EXIT_FAIL;
		} else {
			json_array_foreach(payouts, i, p) if (terra_rec_write(stdout, p, &e) < 0)
			    terra_die_err(&e);
			json_decref(payouts);
			payouts = NULL;
		}
		json_decref(rec);
		rec = NULL;
	}
	terra_reader_close(r);
	if (n == 0) {
		terra_warnf("verify-proof: no proof record in the input");
		status = TERRA_EXIT_FAIL;
	}
	return status;
}

static int cmd_pay(const struct opts *o, const char *account, const char *amount_arg)
{
	char amount[TERRA_AMOUNT_MAX];
	terra_err e = {0};
	terra_home h;
	int64_t units, seq;
	json_t *rec;

	if (terra_money_parse(amount_arg, 0, &units, &e) < 0)
		terra_usage_error(usage_text, "bad amount '%s': %s", amount_arg, e.msg);
	terra_cli_note_clock();
	if (terra_home_open(&h, o->home, TERRA_HOME_SECRET, &e) < 0)
		terra_die_err(&e);
	if (terra_ledger_pay(&h, account, units, o->ref, &seq, &e) < 0)
		terra_die_err(&e);
	terra_money_format(units, amount);
	rec = json_pack("{s:s, s:i, s:s, s:s, s:I}", "type", "payment", "v", 1, "account", account,
	                "amount", amount, "entry", (json_int_t)seq);
	if (o->ref)
		json_object_set_new(rec, "ref", json_string(o->ref));
	if (terra_rec_write(stdout, rec, &e) < 0)
		terra_die_err(&e);
	json_decref(rec);
	terra_home_close(&h);
	return TERRA_EXIT_OK;
}

static void want_args(const char *sub, int got, int min, int max)
{
	if (got < min || got > max)
		terra_usage_error(usage_text, "%s: wrong number of arguments", sub);
}

int main(int argc, char **argv)
{
	enum { OPT_ACCOUNT = 256, OPT_PUBKEY, OPT_KIND, OPT_REF };
	static const struct option longopts[] = {
	    {"home", required_argument, NULL, 'H'},
	    {"output", required_argument, NULL, 'o'},
	    {"format", required_argument, NULL, 'f'},
	    {"period", required_argument, NULL, 'p'},
	    {"account", required_argument, NULL, OPT_ACCOUNT},
	    {"pubkey", required_argument, NULL, OPT_PUBKEY},
	    {"kind", required_argument, NULL, OPT_KIND},
	    {"ref", required_argument, NULL, OPT_REF},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct opts o = {0};
	const char *sub;
	char **args;
	int c, nargs, status;

	terra_cli_init(argv[0]);
	while ((c = getopt_long(argc, argv, "H:o:f:p:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			o.home = optarg;
			break;
		case 'o':
			o.out = terra_cli_out(optarg, usage_text);
			break;
		case 'f':
			o.format = optarg;
			break;
		case 'p':
			o.period = optarg;
			break;
		case OPT_ACCOUNT:
			o.account = optarg;
			break;
		case OPT_PUBKEY:
			o.pubkey = optarg;
			break;
		case OPT_KIND:
			o.kind = optarg;
			break;
		case OPT_REF:
			o.ref = optarg;
			break;
		case 'h':
			terra_usage(usage_text, TERRA_EXIT_OK);
		case 'V':
			terra_version();
		default:
			terra_usage(usage_text, TERRA_EXIT_USAGE);
		}
	}
	args = argv + optind;
	nargs = argc - optind;
	if (nargs < 1)
		terra_usage_error(usage_text, "missing command");
	sub = args[0];
	if (!strcmp(sub, "verify")) {
		want_args(sub, nargs - 1, 0, 0);
		status = cmd_verify(&o);
	} else if (!strcmp(sub, "log")) {
		want_args(sub, nargs - 1, 0, 0);
		status = cmd_log(&o);
	} else if (!strcmp(sub, "balance")) {
		want_args(sub, nargs - 1, 0, 1);
		status = cmd_balance(&o, nargs > 1 ? args[1] : NULL);
	} else if (!strcmp(sub, "export")) {
		want_args(sub, nargs - 1, 0, 0);
		status = cmd_export(&o);
	} else if (!strcmp(sub, "prove")) {
		want_args(sub, nargs - 1, 0, 0);
		status = cmd_prove(&o);
	} else if (!strcmp(sub, "pay")) {
		want_args(sub, nargs - 1, 2, 2);
		status = cmd_pay(&o, args[1], args[2]);
	} else if (!strcmp(sub, "verify-proof")) {
		want_args(sub, nargs - 1, 0, 1);
		status = cmd_verify_proof(&o, nargs > 1 ? args[1] : NULL);
	} else {
		terra_usage_error(usage_text, "unknown command '%s'", sub);
	}
	return terra_cli_finish(status);
}
