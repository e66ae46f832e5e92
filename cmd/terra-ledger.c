/* terra-ledger: verify, query, prove and export the ledger. */
#include "lib/cli.h"
#include "lib/home.h"
#include "lib/key.h"
#include "lib/ledger.h"
#include "lib/money.h"
#include "lib/out.h"
#include "lib/record.h"
#include "lib/time.h"
#include "lib/tlog.h"
#include "lib/witness.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage_text[] =
    "terra-ledger [-H DIR] verify\n"
    "       terra-ledger verify --pubkey KEY < export.ndjson\n"
    "       terra-ledger [-H DIR] [-o json|csv|table] log [--kind KIND] | balance [ACCOUNT]\n"
    "       terra-ledger [-H DIR] export -f ndjson|csv|hledger|payouts [-p PERIOD]\n"
    "       terra-ledger [-H DIR] prove --account ACCOUNT -p PERIOD\n"
    "       terra-ledger [-H DIR] pay ACCOUNT AMOUNT [--ref REF]\n"
    "       terra-ledger verify-proof --pubkey KEY [FILE]\n"
    "       terra-ledger [-H DIR] vkey | checkpoint [--size N] | consistency OLD [NEW] |\n"
    "                    inclusion SEQ [SIZE]\n"
    "       terra-ledger [-H DIR] verify --since NOTE [--witness VKEY]... [--quorum K]\n"
    "       terra-ledger [-H DIR] export -f tiles DIR | verify --tiles DIR [--pubkey KEY]\n"
    "       terra-ledger witness WDIR init NAME | vkey | trust VKEY | add-checkpoint [FILE]";

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
	const char *since;
	const char *tiles;
	const char *size;
	terra_note_key witness[63];
	unsigned nwitness, quorum;
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

static int verify_failed(const terra_err *e)
{
	terra_warnf("verify: %s", e->msg);
	return e->kind == TERRA_E_VERIFY ? 3 : TERRA_EXIT_FAIL;
}

/* verify --tiles DIR: the published log, with the home's key or --pubkey. */
static int verify_tiles(const struct opts *o)
{
	char root[65], origin[TERRA_NOTE_NAME_MAX];
	uint8_t pk[TERRA_PK_BYTES], r[32];
	terra_err e = {0};
	terra_home h;
	int64_t size;

	if (o->pubkey) {
		load_pubkey(o->pubkey, pk);
	} else {
		open_home(&h, o);
		memcpy(pk, h.owner.pk, TERRA_PK_BYTES);
		terra_home_close(&h);
	}
	if (terra_tlog_verify_tiles(o->tiles, pk, &size, r, &e) < 0)
		return verify_failed(&e);
	terra_hex(r, 32, root);
	terra_tlog_origin(pk, origin);
	printf("{\"origin\":\"%s\",\"root\":\"%s\",\"size\":%lld,\"type\":\"verified\",\"v\":1}\n",
	       origin, root, (long long)size);
	return TERRA_EXIT_OK;
}

static int cmd_verify(const struct opts *o)
{
	terra_ledger_report rep;
	terra_reader *r = NULL;
	terra_err e = {0};
	terra_home h;
	uint8_t pk[TERRA_PK_BYTES];
	int rc;

	terra_tlog_kept kept;
	uint8_t kept_root[32];

	memset(&rep, 0, sizeof rep);
	if (o->tiles)
		return verify_tiles(o);
	if (o->pubkey) {
		load_pubkey(o->pubkey, pk);
		if (o->since && terra_tlog_kept_open(o->since, pk, o->witness, o->nwitness, o->quorum,
		                                     &kept, &e) < 0)
			return verify_failed(&e);
		rep.since_size = o->since ? (int64_t)kept.cp.size : -1;
		if (terra_reader_open(&r, NULL, &e) < 0)
			terra_die_err(&e);
		rc = terra_ledger_verify_export(r, pk, &rep, &e);
		terra_reader_close(r);
		memcpy(kept_root, rep.since_root, 32);
	} else {
		open_home(&h, o);
		memcpy(pk, h.owner.pk, TERRA_PK_BYTES);
		if (o->since && terra_tlog_kept_open(o->since, pk, o->witness, o->nwitness, o->quorum,
		                                     &kept, &e) < 0)
			return verify_failed(&e);
		rep.since_size = o->since ? (int64_t)kept.cp.size : -1;
		rc = terra_ledger_verify(&h, &rep, &e);
		terra_home_close(&h);
		memcpy(kept_root, rep.since_root, 32);
	}
	if (rc == 0 && o->since)
		rc = terra_tlog_extends(&kept, rep.entries, kept_root, &e);
	if (rc < 0)
		return verify_failed(&e);
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

static int export_tiles(const struct opts *o)
{
	terra_err e = {0};
	terra_home h;
	uint64_t written = 0;
	int64_t size;

	if (!o->tiles)
		terra_usage_error(usage_text, "export -f tiles needs a directory");
	if (terra_home_open(&h, o->home, TERRA_HOME_SECRET | TERRA_HOME_READONLY, &e) < 0)
		terra_die_err(&e);
	if (terra_tlog_export_tiles(&h, o->tiles, &written, &size, &e) < 0) {
		terra_warn_err(&e);
		return e.kind == TERRA_E_VERIFY ? 3 : TERRA_EXIT_FAIL;
	}
	terra_warnf("export: a log of %lld entries in '%s': wrote %llu files", (long long)size,
	            o->tiles, (unsigned long long)written);
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
	if (!strcmp(o->format, "tiles"))
		return export_tiles(o);
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

/* A tree size operand: a decimal count. */
static int64_t size_arg(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || v < 0 || errno)
		terra_usage_error(usage_text, "'%s' is not a tree size", s);
	return v;
}

/* vkey, checkpoint, consistency, inclusion: the ledger as a C2SP log. */
static int cmd_tlog(const struct opts *o, const char *sub, char **args, int nargs)
{
	char vkey[TERRA_NOTE_VKEY_MAX], *text = NULL;
	terra_note_key k;
	terra_err e = {0};
	terra_home h;
	size_t len;
	int64_t size;
	int rc;

	if (terra_home_open(&h, o->home,
	                    TERRA_HOME_READONLY | (!strcmp(sub, "checkpoint") ? TERRA_HOME_SECRET : 0),
	                    &e) < 0)
		terra_die_err(&e);
	if (!strcmp(sub, "vkey")) {
		rc = terra_tlog_key(h.owner.pk, &k, &e);
		if (rc == 0) {
			terra_note_vkey(&k, vkey);
			printf("%s\n", vkey);
		}
	} else if (!strcmp(sub, "checkpoint")) {
		rc = terra_tlog_note(&h, o->size ? size_arg(o->size) : 0, &text, &len, &e);
		if (rc == 0 && o->size && size_arg(o->size) == 0)
			rc = terra_err_set(&e, TERRA_E_INPUT, "checkpoint: --size must be at least 1");
	} else if (!strcmp(sub, "consistency")) {
		rc = terra_tlog_consistency(h.db, size_arg(args[0]), nargs > 1 ? size_arg(args[1]) : 0,
		                            &text, &size, &e);
	} else {
		rc = terra_tlog_inclusion(h.db, size_arg(args[0]), nargs > 1 ? size_arg(args[1]) : 0,
		                          &text, &size, &e);
	}
	terra_home_close(&h);
	if (rc < 0) {
		terra_warn_err(&e);
		return e.kind == TERRA_E_VERIFY ? 3 : TERRA_EXIT_FAIL;
	}
	if (text)
		fputs(text, stdout);
	free(text);
	return TERRA_EXIT_OK;
}

/* witness WDIR init NAME | vkey | trust VKEY | add-checkpoint [FILE]. */
static int cmd_witness(char **args, int nargs)
{
	static const int exit_of[] = {[TERRA_WITNESS_FORBIDDEN - 400] = 3,
	                              [TERRA_WITNESS_UNKNOWN - 400] = 4,
	                              [TERRA_WITNESS_CONFLICT - 400] = 5,
	                              [TERRA_WITNESS_BAD_PROOF - 400] = 6,
	                              [TERRA_WITNESS_BAD_REQUEST - 400] = 7};
	enum terra_witness_answer a;
	char vkey[TERRA_NOTE_VKEY_MAX], *req = NULL, *body = NULL;
	const char *dir = args[0], *sub = nargs > 1 ? args[1] : "";
	terra_err e = {0};
	size_t len = 0;
	FILE *f;

	if (!strcmp(sub, "init") && nargs == 3) {
		if (terra_witness_init(dir, args[2], &e) < 0)
			terra_die_err(&e);
	} else if (!strcmp(sub, "vkey") && nargs == 2) {
		if (terra_witness_vkey(dir, vkey, &e) < 0)
			terra_die_err(&e);
		printf("%s\n", vkey);
	} else if (!strcmp(sub, "trust") && nargs == 3) {
		if (terra_witness_trust(dir, args[2], &e) < 0)
			terra_die_err(&e);
	} else if (!strcmp(sub, "add-checkpoint") && nargs <= 3) {
		f = nargs == 3 ? fopen(args[2], "rb") : stdin;
		if (!f)
			terra_dief("open '%s': %s", args[2], strerror(errno));
		req = malloc(2 * TERRA_NOTE_MAX + 4096);
		len = req ? fread(req, 1, 2 * TERRA_NOTE_MAX + 4096, f) : 0;
		if (!req || ferror(f))
			terra_dief("read the request: %s", strerror(errno));
		if (f != stdin)
			fclose(f);
		if (terra_witness_add(dir, req, len, (uint64_t)time(NULL), &a, &body, &e) < 0)
			terra_die_err(&e);
		free(req);
		if (a != TERRA_WITNESS_COSIGNED) {
			terra_warnf("add-checkpoint: %d: %s", (int)a, body);
			if (a == TERRA_WITNESS_CONFLICT)
				fputs(body, stdout);
			free(body);
			return exit_of[a - 400];
		}
		fputs(body, stdout);
		free(body);
	} else {
		terra_usage_error(usage_text, "witness: unknown command or wrong arguments");
	}
	return TERRA_EXIT_OK;
}

static void want_args(const char *sub, int got, int min, int max)
{
	if (got < min || got > max)
		terra_usage_error(usage_text, "%s: wrong number of arguments", sub);
}

int main(int argc, char **argv)
{
	enum { OPT_ACCOUNT = 256, OPT_PUBKEY, OPT_KIND, OPT_REF, OPT_SINCE, OPT_TILES, OPT_SIZE,
	       OPT_WITNESS, OPT_QUORUM };
	static const struct option longopts[] = {
	    {"home", required_argument, NULL, 'H'},
	    {"output", required_argument, NULL, 'o'},
	    {"format", required_argument, NULL, 'f'},
	    {"period", required_argument, NULL, 'p'},
	    {"account", required_argument, NULL, OPT_ACCOUNT},
	    {"pubkey", required_argument, NULL, OPT_PUBKEY},
	    {"kind", required_argument, NULL, OPT_KIND},
	    {"ref", required_argument, NULL, OPT_REF},
	    {"since", required_argument, NULL, OPT_SINCE},
	    {"tiles", required_argument, NULL, OPT_TILES},
	    {"size", required_argument, NULL, OPT_SIZE},
	    {"witness", required_argument, NULL, OPT_WITNESS},
	    {"quorum", required_argument, NULL, OPT_QUORUM},
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
		case OPT_SINCE:
			o.since = optarg;
			break;
		case OPT_TILES:
			o.tiles = optarg;
			break;
		case OPT_SIZE:
			o.size = optarg;
			size_arg(optarg);
			break;
		case OPT_WITNESS: {
			terra_err e = {0};
			if (o.nwitness == 63 || terra_note_vkey_parse(optarg, &o.witness[o.nwitness], &e) < 0 ||
			    o.witness[o.nwitness].type != TERRA_NOTE_COSIGNATURE)
				terra_usage_error(usage_text, "--witness: not a witness vkey: '%s' %s", optarg,
				                  e.msg);
			o.nwitness++;
			break;
		}
		case OPT_QUORUM:
			o.quorum = (unsigned)size_arg(optarg);
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
		want_args(sub, nargs - 1, 0, 1);
		o.tiles = nargs > 1 ? args[1] : NULL;
		if (o.tiles && (!o.format || strcmp(o.format, "tiles")))
			terra_usage_error(usage_text, "export: a directory only with -f tiles");
		status = cmd_export(&o);
	} else if (!strcmp(sub, "prove")) {
		want_args(sub, nargs - 1, 0, 0);
		status = cmd_prove(&o);
	} else if (!strcmp(sub, "pay")) {
		want_args(sub, nargs - 1, 2, 2);
		status = cmd_pay(&o, args[1], args[2]);
	} else if (!strcmp(sub, "vkey") || !strcmp(sub, "checkpoint")) {
		want_args(sub, nargs - 1, 0, 0);
		status = cmd_tlog(&o, sub, args + 1, nargs - 1);
	} else if (!strcmp(sub, "consistency") || !strcmp(sub, "inclusion")) {
		want_args(sub, nargs - 1, 1, 2);
		status = cmd_tlog(&o, sub, args + 1, nargs - 1);
	} else if (!strcmp(sub, "witness")) {
		want_args(sub, nargs - 1, 2, 3);
		status = cmd_witness(args + 1, nargs - 1);
	} else if (!strcmp(sub, "verify-proof")) {
		want_args(sub, nargs - 1, 0, 1);
		status = cmd_verify_proof(&o, nargs > 1 ? args[1] : NULL);
	} else {
		terra_usage_error(usage_text, "unknown command '%s'", sub);
	}
	return terra_cli_finish(status);
}
