#include "cli.h"

#include "db.h"
#include "key.h"
#include "time.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *terra_progname = "terra";

void terra_cli_init(const char *progname)
{
	const char *slash = strrchr(progname, '/');

	terra_progname = slash ? slash + 1 : progname;
	terra_db_set_program(terra_progname);
	if (sodium_init() < 0)
		terra_dief("libsodium: initialisation failed");
}

static void vwarn(const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", terra_progname);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void terra_warnf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void terra_cli_note_clock(void)
{
	const char *now = getenv("TERRA_NOW");

	if (now && *now)
		terra_warnf("TERRA_NOW is set: the clock is fixed at '%.64s'", now);
}

void terra_warn_err(const terra_err *e)
{
	terra_warnf("%s", e->msg[0] ? e->msg : "unknown error");
}

void terra_cli_report(void *status, const terra_err *e)
{
	int *st = status;

	terra_warn_err(e);
	*st = terra_exit_worse(*st, terra_exit_status(e));
}

void terra_cli_stdin_notice(const char *what)
{
	if (isatty(STDIN_FILENO))
		terra_warnf("reading %s from standard input (a terminal); end with Ctrl-D", what);
}

void terra_cli_stdin_notice_args(const char *what, char *const *files, int nfiles)
{
	int i;

	for (i = 0; i < nfiles; i++)
		if (!strcmp(files[i], "-"))
			break;
	if (nfiles == 0 || i < nfiles)
		terra_cli_stdin_notice(what);
}

_Noreturn void terra_dief(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(terra_cli_finish(TERRA_EXIT_FAIL));
}

int terra_exit_status(const terra_err *e)
{
	switch (e ? e->kind : TERRA_E_NONE) {
	case TERRA_E_VERIFY:
		return TERRA_EXIT_VERIFY;
	case TERRA_E_BUSY:
		return TERRA_EXIT_TEMPFAIL;
	default:
		return TERRA_EXIT_FAIL;
	}
}

static int severity(int status)
{
	switch (status) {
	case TERRA_EXIT_OK:
		return 0;
	case TERRA_EXIT_TEMPFAIL:
		return 1;
	case TERRA_EXIT_VERIFY:
		return 3;
	case TERRA_EXIT_USAGE:
		return 4;
	default:
		return 2;
	}
}

int terra_exit_worse(int a, int b)
{
	return severity(b) > severity(a) ? b : a;
}

_Noreturn void terra_die_err(const terra_err *e)
{
	terra_warn_err(e);
	exit(terra_cli_finish(terra_exit_status(e)));
}

_Noreturn void terra_usage(const char *usage_text, int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f, "usage: %s\n", usage_text);
	exit(terra_cli_finish(status));
}

_Noreturn void terra_usage_error(const char *usage_text, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	terra_usage(usage_text, TERRA_EXIT_USAGE);
}

_Noreturn void terra_version(void)
{
	printf("%s %s\n", terra_progname, TERRA_VERSION);
	exit(terra_cli_finish(TERRA_EXIT_OK));
}

enum terra_out terra_cli_out(const char *arg, const char *usage_text)
{
	if (!strcmp(arg, "json") || !strcmp(arg, "ndjson"))
		return TERRA_OUT_JSON;
	if (!strcmp(arg, "csv"))
		return TERRA_OUT_CSV;
	if (!strcmp(arg, "table"))
		return TERRA_OUT_TABLE;
	terra_usage_error(usage_text, "-o '%s': expected json, csv or table", arg);
}

enum terra_out terra_out_resolve(enum terra_out mode)
{
	if (mode != TERRA_OUT_AUTO)
		return mode;
	return isatty(STDOUT_FILENO) ? TERRA_OUT_TABLE : TERRA_OUT_JSON;
}

int terra_cli_finish(int status)
{
	/* A write error on stdout loses records: it must not pass as success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		int saved = errno;
		fprintf(stderr, "%s: write standard output: %s\n", terra_progname,
		        strerror(saved ? saved : EIO));
		return terra_exit_worse(status, TERRA_EXIT_FAIL);
	}
	return status;
}

int64_t terra_cli_int(const char *usage_text, const char *opt, const char *arg, int64_t min,
                      int64_t max, const char *what)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (end == arg || *end || errno || v < min || v > max)
		terra_usage_error(usage_text, "%s '%s': expected %s", opt, arg, what);
	return v;
}

int64_t terra_cli_seconds(const char *usage_text, const char *opt, const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end || errno || !(v > 0) || v > 1e9)
		terra_usage_error(usage_text, "%s '%s': expected a positive number of seconds", opt,
		                  arg);
	return (int64_t)llround(v * 1e6);
}

FILE *terra_cli_reject_open(const char *path)
{
	FILE *f;

	if (!path)
		return NULL;
	if (!(f = fopen(path, "w")))
		terra_dief("open '%s': %s", path, strerror(errno));
	return f;
}

void terra_cli_reject_close(FILE *f, const char *path, int *status)
{
	if (f && fclose(f) != 0) {
		terra_warnf("write '%s': %s", path, strerror(errno));
		*status = terra_exit_worse(*status, TERRA_EXIT_FAIL);
	}
}

#define OPTS_MAX 40

static void help(const char *usage_text, const terra_cli_opt *opts)
{
	static const terra_cli_opt std[] = {
	    {'h', "help", NULL, "print this help and exit", NULL, NULL},
	    {'V', "version", NULL, "print the version and exit", NULL, NULL},
	    {0, NULL, NULL, NULL, NULL, NULL}};
	const terra_cli_opt *o;
	char col[64];
	int pass;

	printf("usage: %s\noptions:\n", usage_text);
	for (pass = 0; pass < 2; pass++) {
		for (o = pass ? std : opts; o->name; o++) {
			snprintf(col, sizeof col, "%s%c%s--%s%s%s", o->val < 256 ? "-" : " ",
			         o->val < 256 ? o->val : ' ', o->val < 256 ? ", " : "  ", o->name,
			         o->arg ? " " : "", o->arg ? o->arg : "");
			printf("  %-26s %s\n", col, o->help);
		}
	}
	exit(terra_cli_finish(TERRA_EXIT_OK));
}

int terra_cli_getopt(int argc, char **argv, const terra_cli_opt *opts, const char *usage_text)
{
	static struct option longopts[OPTS_MAX + 3];
	static char shortopts[2 * OPTS_MAX + 8];
	static const terra_cli_opt *built;
	int c;

	if (built != opts) {
		size_t n = 0, k = 0;

		for (; opts[n].name && n < OPTS_MAX; n++) {
			longopts[n].name = opts[n].name;
			longopts[n].has_arg = opts[n].arg ? required_argument : no_argument;
			longopts[n].flag = NULL;
			longopts[n].val = opts[n].val;
			if (opts[n].val < 256) {
				shortopts[k++] = (char)opts[n].val;
				if (opts[n].arg)
					shortopts[k++] = ':';
			}
		}
		longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
		longopts[n++] = (struct option){"version", no_argument, NULL, 'V'};
		longopts[n] = (struct option){NULL, 0, NULL, 0};
		memcpy(shortopts + k, "hV", 3);
		built = opts;
	}
	for (;;) {
		const terra_cli_opt *o;

		c = getopt_long(argc, argv, shortopts, longopts, NULL);
		for (o = opts; o->name && o->val != c; o++)
			;
		if (!o->name || !(o->str || o->flag))
			break;
		if (o->str)
			*o->str = optarg;
		else
			*o->flag = 1;
	}
	if (c == 'h')
		help(usage_text, opts);
	if (c == 'V')
		terra_version();
	if (c == '?' || c == ':')
		terra_usage(usage_text, TERRA_EXIT_USAGE);
	return c;
}

void terra_cli_pubkey(const char *arg, uint8_t pk[TERRA_PK_BYTES])
{
	terra_key k = {{0}, NULL};
	terra_err e = {0};

	if (strlen(arg) == 2 * TERRA_PK_BYTES && terra_unhex(arg, pk, TERRA_PK_BYTES, &e) == 0)
		return;
	if (terra_key_load_pub(&k, arg, &e) < 0)
		terra_die_err(&e);
	memcpy(pk, k.pk, TERRA_PK_BYTES);
}

void terra_cli_period(const char *usage_text, const char *arg, char *out)
{
	terra_err e = {0};
	int64_t start, end;

	if (terra_period_parse(arg, &start, &end, &e) < 0)
		terra_usage_error(usage_text, "bad period '%s': %s", arg, e.msg);
	terra_period_format(start, end, out);
}

const char *terra_cli_optname(const terra_cli_opt *opts, int val)
{
	for (; opts->name; opts++)
		if (opts->val == val)
			return opts->name;
	return "";
}
