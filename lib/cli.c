#include "cli.h"

#include <errno.h>
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

_Noreturn void terra_help(const char *usage_text, const char *options_text)
{
	printf("usage: %s\noptions:\n%s", usage_text, options_text);
	exit(terra_cli_finish(TERRA_EXIT_OK));
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
