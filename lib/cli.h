#ifndef TERRA_CLI_H
#define TERRA_CLI_H
/*
 * Helpers for the commands in cmd/: the one module of libterra that prints
 * and exits, on behalf of a command's main(). Everything else in lib/
 * returns errors through terra_err.
 *
 * Exit statuses (terra(7), EXIT STATUS), chosen here only, from terra_err.kind:
 *   0  success
 *   1  failure (a bad input line, a refused change, a system error)
 *   2  usage error
 *   3  a verification failed: tampered or inconsistent data, a signature
 *      or proof that does not check (TERRA_E_VERIFY)
 *  75  EX_TEMPFAIL: worth retrying later, e.g. a database locked by
 *      another process (TERRA_E_BUSY)
 */
#include "err.h"
#include "key.h"

#include <getopt.h> /* optarg, optind of terra_cli_getopt */
#include <stdint.h>
#include <stdio.h>

enum {
	TERRA_EXIT_OK = 0,
	TERRA_EXIT_FAIL = 1,
	TERRA_EXIT_USAGE = 2,
	TERRA_EXIT_VERIFY = 3,
	TERRA_EXIT_TEMPFAIL = 75
};

/* The exit status for a failure of e's kind: the one map of kinds to statuses. */
int terra_exit_status(const terra_err *e);
/*
 * The status of a run that met both: usage over verification over failure
 * over a retryable failure over success (retrying cannot mend a bad line).
 */
int terra_exit_worse(int a, int b);

/* Output form chosen by -o; AUTO is a table on a terminal, records otherwise. */
enum terra_out { TERRA_OUT_AUTO = 0, TERRA_OUT_JSON, TERRA_OUT_CSV, TERRA_OUT_TABLE };

extern const char *terra_progname;

/* Sets the program name for messages and initialises libsodium. */
void terra_cli_init(const char *progname);

/* "terra-X: <fmt>" on stderr. */
void terra_warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void terra_warn_err(const terra_err *e);
/* As above, then exit 1 (terra_dief) or e's status (terra_die_err). */
_Noreturn void terra_dief(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void terra_die_err(const terra_err *e);

/*
 * A report function for lib/filter.h and the like: prints e and worsens
 * *(int *)status by e's exit status.
 */
void terra_cli_report(void *status, const terra_err *e);
/*
 * When standard input is a terminal, says on stderr that the command waits
 * there for `what`: "terra-X: reading WHAT from standard input (a
 * terminal); end with Ctrl-D". Silent otherwise.
 */
void terra_cli_stdin_notice(const char *what);
/* As terra_cli_stdin_notice when the operands name standard input: none, or "-". */
void terra_cli_stdin_notice_args(const char *what, char *const *files, int nfiles);
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

/* An integer option argument from min to max, else exit 2 saying
 * "OPT 'ARG': expected WHAT". */
int64_t terra_cli_int(const char *usage_text, const char *opt, const char *arg, int64_t min,
                      int64_t max, const char *what);
/* A positive number of seconds ("10", "0.5") as microseconds, else exit 2. */
int64_t terra_cli_seconds(const char *usage_text, const char *opt, const char *arg);
/* --reject FILE opened for writing (NULL for no path), else exit 1. */
FILE *terra_cli_reject_open(const char *path);
/* Closes it; a write error is reported and worsens *status. */
void terra_cli_reject_close(FILE *f, const char *path, int *status);

/*
 * A command's options, one table for the parser and -h alike, so the two
 * cannot disagree. Ends with a zeroed entry; -h and -V are added.
 */
typedef struct terra_cli_opt {
	int val;          /* the short option character, or a value from 256 for a long one only */
	const char *name; /* the long name */
	const char *arg;  /* the argument's name in -h; NULL: none */
	const char *help; /* one line */
	const char **str; /* where the argument goes, without returning; or NULL */
	int *flag;        /* set to 1, without returning; or NULL */
} terra_cli_opt;
/*
 * getopt_long over opts: stores the options that have str or flag, returns
 * the next other option's val (optarg set), -1 at the end. -h prints the usage and every option
 * (exit 0), -V the version; an unknown option or a missing argument prints the usage (exit 2).
 */
int terra_cli_getopt(int argc, char **argv, const terra_cli_opt *opts, const char *usage_text);

/* The long name of the option of opts whose val is val. */
const char *terra_cli_optname(const terra_cli_opt *opts, int val);

/* --pubkey: 64 hex digits, or a file holding them (owner.pub); else exit 1. */
void terra_cli_pubkey(const char *arg, uint8_t pk[TERRA_PK_BYTES]);
/* A period in canonical "START/END" form (out: 2 * TERRA_TIME_MAX bytes),
 * else exit 2 saying "bad period 'ARG': why". */
void terra_cli_period(const char *usage_text, const char *arg, char *out);

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
