#ifndef TERRA_ERR_H
#define TERRA_ERR_H
/*
 * Errors of libterra. The library never prints and never exits: a function
 * that fails returns -1 (or another documented negative value) and fills a
 * terra_err that the command prints as "terra-X: <msg>".
 * Messages are lowercase, say what failed then why, and end without a period.
 */
#include <stdarg.h>

#define TERRA_ERR_MAX 1024

/* What kind of failure, so a command can choose its exit status or retry. */
enum terra_errkind {
	TERRA_E_NONE = 0,
	TERRA_E_INPUT,    /* bad input: a record, a file, an argument */
	TERRA_E_SYS,      /* the system failed: I/O, memory */
	TERRA_E_NOTFOUND, /* no such unit, account, home */
	TERRA_E_EXISTS,   /* already there */
	TERRA_E_BUSY,     /* database locked by another writer */
	TERRA_E_VERIFY,   /* a signature, chain or proof did not verify */
	TERRA_E_STATE,    /* refused by state: retired unit, settled period */
	TERRA_E_DEVICE,   /* an OpenCL device failed */
};

typedef struct terra_err {
	enum terra_errkind kind;
	char msg[TERRA_ERR_MAX];
} terra_err;

/* Sets the message; returns -1 so callers can `return terra_err_set(...)`. */
int terra_err_set(terra_err *e, enum terra_errkind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* As terra_err_set, appending ": " and strerror(errno). */
int terra_err_sys(terra_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepends context: "what: " + existing message. Returns -1. */
int terra_err_wrap(terra_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void terra_err_clear(terra_err *e);

/*
 * A message of any length, malloc'd (the caller frees it): the reasons a
 * record is refused (lib/usage.c, lib/meter.c, lib/slurm.c). NULL when
 * memory runs out, so a caller whose NULL means "no reason" must not take
 * it for one.
 */
char *terra_msgf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
