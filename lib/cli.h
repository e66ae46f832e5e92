#ifndef TERRA_CLI_H
#define TERRA_CLI_H
/*
 * Helpers for the commands in cmd/: the one module of libterra that prints
 * and exits, on behalf of a command's main(). Everything else in lib/
 * returns errors through terra_err.
 *
 * Exit statuses (DESIGN 8): 0 success, 1 failure, 2 usage error.
 */
#include "err.h"

#include <stdio.h>

enum { TERRA_EXIT_OK = 0, TERRA_EXIT_FAIL = 1, TERRA_EXIT_USAGE = 2 };

/* Output form chosen by -o; AUTO is a table on a terminal, records otherwise. */
enum terra_out { TERRA_OUT_AUTO = 0, TERRA_OUT_JSON, TERRA_OUT_CSV, TERRA_OUT_TABLE };

extern const char *terra_progname;

/* Sets the program name for messages and initialises libsodium. */
void terra_cli_init(const char *progname);

/* "terra-X: <fmt>" on stderr. */
void terra_warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void terra_warn_err(const terra_err *e);
/* As above, then exit 1. */
_Noreturn void terra_dief(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void terra_die_err(const terra_err *e);

/*
 * For a command that signs: when TERRA_NOW is set, one line on stderr
 * saying that the clock is fixed, so signed times that are not the real
 * time never pass unnoticed.
 */
void terra_cli_note_clock(void);

/* Usage: "usage: <text>" on stderr (or stdout for -h) and exit 2 (0 for -h). */
_Noreturn void terra_usage(const char *usage_text, int status);
/* "terra-X: <why>" then the usage line, exit 2: for a bad option or operand. */
_Noreturn void terra_usage_error(const char *usage_text, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints "terra-X <version>" and exits 0. */
_Noreturn void terra_version(void);

/* Parses the argument of -o; exits 2 with a message on a bad value. */
enum terra_out terra_cli_out(const char *arg, const char *usage_text);
/* AUTO becomes TABLE when stdout is a terminal, JSON otherwise. */
enum terra_out terra_out_resolve(enum terra_out mode);

/*
 * Flushes stdout and checks it for write errors (a full disk, a closed
 * pipe). Returns `status`, or 1 if stdout could not be written.
 */
int terra_cli_finish(int status);

#endif
