/* terra-register: give devices a signed identity (units); list, show, transfer, retire them. */
#include "cmd/register/register.h"
#include "lib/cli.h"
#include "lib/filter.h"
#include "lib/home.h"
#include "lib/out.h"
#include "lib/record.h"
#include "lib/register.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "terra-register [-H DIR] [-q] [--strict] [--reject FILE] [FILE...]\n"
    "       terra-register [-H DIR] init [--force]\n"
    "       terra-register [-H DIR] [-o json|csv|table] [--meter FILE]... list |\n"
    "                      show UNIT\n"
    "       terra-register [-H DIR] [-o json|csv|table] history | health UNIT\n"
    "       terra-register [-H DIR] [-n | --yes] transfer UNIT PUBKEY | retire UNIT |\n"
    "                      rekey UNIT [PUBKEY]\n"
    "       terra-register [-H DIR] unitkey UNIT | import FILE...";

static int check(void *arg, json_t *rec, const char *where, terra_err *e)
{
	(void)arg;
	(void)where;
	return terra_register_check_device(rec, e) < 0 ? TERRA_FILTER_BAD : 0;
}

/* Registers a checked device record; a failure here (a locked database) stops the run. */
static int apply(void *arg, json_t *rec, const char *where, terra_err *e)
{
	struct run *run = arg;
	terra_register_result r;
	json_t *unit = NULL;
	const char *state, *id;

	if (terra_register_device(&run->home, rec, &unit, &r, e) < 0) {
		terra_err_wrap(e, "%s: register device", where);
		return TERRA_FILTER_STOP;
	}
	id = json_string_value(json_object_get(unit, "unit"));
	if (r.rescored) {
		if (!run->quiet)
			terra_warnf("%s: unit %s rescored: score %" JSON_INTEGER_FORMAT
			            " (was %" JSON_INTEGER_FORMAT ")",
			            where, id, json_integer_value(json_object_get(unit, "score")),
			            json_integer_value(json_object_get(unit, "rescored_from")));
	} else if (r.existed && !run->quiet) {
		state = json_string_value(json_object_get(unit, "state"));
		terra_warnf("%s: device already registered as unit %s%s%s%s", where, id,
		            state && !strcmp(state, "retired") ? " (retired)" : "",
		            *r.kept ? "; its new benchmark is not taken: " : "", r.kept);
	} else if (!r.existed) {
		run->registered++;
	}
	if (json_integer_value(json_object_get(unit, "score")) <= 0)
		terra_warnf(
		    "%s: unit %s has no sgemm benchmark (score 0): terra-run ranks it below "
		    "every benchmarked unit; terra-probe | terra-register scores it",
		    where, id);
	state = json_string_value(json_object_get(json_object_get(rec, "health"), "status"));
	if (state && !strcmp(state, "sick"))
		terra_warnf("%s: unit %s is sick: terra-run will not use it until a probe finds it "
		            "healthy",
		            where, id);
	if (terra_rec_write(stdout, unit, e) < 0) {
		json_decref(unit);
		return TERRA_FILTER_STOP;
	}
	json_decref(unit);
	return 0;
}

static void report(void *arg, const terra_err *e)
{
	terra_cli_report(&((struct run *)arg)->status, e);
}

/* Registers the devices of every input; with --strict only if all are good. */
static int cmd_register(struct run *run, const struct opts *o, char *const *files, int nfiles)
{
	terra_filter_opts fo = {.type = "device", .strict = o->strict, .reject_name = o->reject};

	fo.check = check;
	fo.apply = apply;
	fo.report = report;
	fo.arg = run;
	fo.reject = terra_cli_reject_open(o->reject);
	terra_cli_stdin_notice_args("device records", files, nfiles);
	terra_filter_run((const char *const *)files, nfiles, &fo, NULL);
	terra_cli_reject_close(fo.reject, o->reject, &run->status);
	if (o->strict && run->status != TERRA_EXIT_OK && !run->registered)
		terra_warnf("--strict: nothing registered");
	return run->status;
}

static int cmd_init(const struct opts *o)
{
	char dir[PATH_MAX], pk[TERRA_PK_HEX];
	terra_home h;
	terra_err e = {0};
	int created = 0;

	if (terra_home_path(o->home, dir, sizeof dir, &e) < 0 ||
	    terra_home_init(o->home, o->force, &created, &e) < 0)
		terra_die_err(&e);
	if (!created) {
		terra_warnf("home '%s' already exists; nothing changed", dir);
		return TERRA_EXIT_OK;
	}
	if (terra_home_open(&h, o->home, TERRA_HOME_READONLY, &e) < 0)
		terra_die_err(&e);
	terra_hex(h.owner.pk, sizeof h.owner.pk, pk);
	terra_home_close(&h);
	terra_warnf("created home '%s'; owner key %s", dir, pk);
	return TERRA_EXIT_OK;
}

/* Checks the operand count of a subcommand and that its options apply to it. */
static void want_args(const struct opts *o, const char *sub, int nargs, int want, int records)
{
	if (nargs != want)
		terra_usage_error(usage_text, "%s: expected %d operand%s, got %d", sub, want,
		                  want == 1 ? "" : "s", nargs);
	if (o->out_set && !records)
		terra_usage_error(usage_text, "%s: -o applies to list and show only", sub);
	if (o->strict || o->reject || o->quiet)
		terra_usage_error(usage_text,
		                  "%s: -q, --strict and --reject apply to registering only", sub);
	if (o->nmeter && strcmp(sub, "list") && strcmp(sub, "show"))
		terra_usage_error(usage_text, "%s: --meter applies to list and show only", sub);
	if (o->force && strcmp(sub, "init"))
		terra_usage_error(usage_text, "%s: --force applies to init only", sub);
	if ((o->dry || o->yes) && strcmp(sub, "transfer") && strcmp(sub, "retire") &&
	    strcmp(sub, "rekey"))
		terra_usage_error(usage_text,
		                  "%s: -n and --yes apply to transfer, retire and rekey only", sub);
}

enum { OPT_REJECT = 256, OPT_STRICT, OPT_FORCE, OPT_YES, OPT_METER };

static struct opts opt;

static const terra_cli_opt options[] = {
    {'H', "home", "DIR", "the Terra home (terra(7))", &opt.home, NULL},
    {'o', "output", "FORMAT", "list and show as json, csv or table", NULL, NULL},
    {'q', "quiet", NULL, "no note for a device already registered", NULL, &opt.quiet},
    {OPT_REJECT, "reject", "FILE", "also write each bad input line to FILE", &opt.reject, NULL},
    {OPT_STRICT, "strict", NULL, "check all input first; at a bad line register nothing", NULL,
     &opt.strict},
    {OPT_FORCE, "force", NULL, "init: repair a home whose owner.pub is missing or wrong", NULL,
     &opt.force},
    {'n', "dry-run", NULL, "transfer, retire, rekey: print the record, change nothing", NULL,
     &opt.dry},
    {OPT_YES, "yes", NULL, "transfer, retire, rekey: do not ask on a terminal", NULL, &opt.yes},
    {OPT_METER, "meter", "FILE", "list, show: verified rate from these meter records (repeatable)",
     NULL, NULL},
    {0, NULL, NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	struct run run = {0};
	const char *sub;
	char **args;
	int c, nargs, status;

	terra_cli_init(argv[0]);
	while ((c = terra_cli_getopt(argc, argv, options, usage_text)) != -1) {
		switch (c) {
		case 'o':
			opt.out = terra_cli_out(optarg, usage_text);
			opt.out_set = 1;
			break;
		case OPT_METER:
			if (opt.nmeter == TERRA_REGISTER_MAX_METER)
				terra_usage_error(usage_text, "--meter: at most %d files",
				                  TERRA_REGISTER_MAX_METER);
			opt.meter[opt.nmeter++] = optarg;
			break;
		}
	}
	args = argv + optind;
	nargs = argc - optind;
	sub = nargs > 0 ? args[0] : "";
	if (!strcmp(sub, "init")) {
		want_args(&opt, sub, nargs - 1, 0, 0);
		return terra_cli_finish(cmd_init(&opt));
	}
	if (!strcmp(sub, "list")) {
		want_args(&opt, sub, nargs - 1, 0, 1);
		status = register_rows(&run, &opt, NULL, 0);
	} else if (!strcmp(sub, "history")) {
		want_args(&opt, sub, nargs - 1, 0, 1);
		status = register_rows(&run, &opt, NULL, 1);
	} else if (!strcmp(sub, "show")) {
		want_args(&opt, sub, nargs - 1, 1, 1);
		status = register_rows(&run, &opt, args[1], 0);
	} else if (!strcmp(sub, "health")) {
		want_args(&opt, sub, nargs - 1, 1, 1);
		status = register_health(&run, &opt, args[1]);
	} else if (!strcmp(sub, "transfer")) {
		want_args(&opt, sub, nargs - 1, 2, 0);
		status = register_change(&run, &opt, args[1], args[2]);
	} else if (!strcmp(sub, "retire")) {
		want_args(&opt, sub, nargs - 1, 1, 0);
		status = register_change(&run, &opt, args[1], NULL);
	} else if (!strcmp(sub, "rekey")) {
		want_args(&opt, sub, nargs - 1, nargs == 3 ? 2 : 1, 0);
		status = register_rekey(&run, &opt, args[1], nargs == 3 ? args[2] : NULL);
	} else if (!strcmp(sub, "unitkey")) {
		want_args(&opt, sub, nargs - 1, 1, 0);
		status = register_unitkey(&run, &opt, args[1]);
	} else if (!strcmp(sub, "import")) {
		if (nargs < 2)
			terra_usage_error(usage_text, "import: expected one or more files");
		want_args(&opt, sub, 0, 0, 0);
		status = register_import(&run, &opt, args + 1, nargs - 1);
	} else {
		if (opt.out_set)
			terra_usage_error(usage_text, "-o applies to list and show only");
		if (opt.nmeter)
			terra_usage_error(usage_text, "--meter applies to list and show only");
		if (opt.force)
			terra_usage_error(usage_text, "--force applies to init only");
		if (opt.dry || opt.yes)
			terra_usage_error(usage_text,
			                  "-n and --yes apply to transfer, retire and rekey only");
		register_open_home(&run, &opt, TERRA_HOME_SECRET);
		run.quiet = opt.quiet;
		status = cmd_register(&run, &opt, args, nargs);
	}
	terra_home_close(&run.home);
	return terra_cli_finish(status);
}
