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

_Noreturn void terra_dief(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(terra_cli_finish(TERRA_EXIT_FAIL));
}

_Noreturn void terra_die_err(const terra_err *e)
{
	terra_warn_err(e);
	exit(terra_cli_finish(TERRA_EXIT_FAIL));
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
		return TERRA_EXIT_FAIL;
	}
	return status;
}
