#ifndef TERRA_FILTER_H
#define TERRA_FILTER_H
/*
 * The record filter every reading command shares: records of one type
 * from files or standard input go to the command's function, records of
 * other types pass through unchanged, a bad line is reported as
 * "FILE:LINE: ..." and copied to a reject file, and the good lines are
 * never lost because of it (terra(7), Conventions).
 *
 * --strict (terra_filter_opts.strict) means one thing everywhere: every
 * input is read and checked before any record is acted upon; at the first
 * bad line reading stops and no record is acted upon, none passed through.
 */
#include "err.h"

#include <jansson.h>
#include <stdio.h>

/* What a record function returns besides 0. */
enum {
	TERRA_FILTER_BAD = -1,  /* the record is bad: e says why; the line is rejected */
	TERRA_FILTER_STOP = -2, /* stop reading everything: e holds the whole message */
};

/*
 * The record types only a trusted stage makes (terra-meter, terra-settle,
 * terra-ledger): meter, payout, entry, checkpoint, settlement_inputs,
 * holding, verified, balance, payment. 1 when type is one of them.
 */
int terra_filter_trusted_type(const char *type);

typedef struct terra_filter_opts {
	const char *type; /* the records handled; other records pass through */
	int others_bad;   /* 1: a record of another type is a bad line instead */
	/* 1: a record of a trusted type other than `type` is a bad line
	 * ("made only by a trusted stage"), never passed through */
	int refuse_trusted;
	int strict;
	FILE *reject; /* where bad lines are copied, verbatim; NULL: nowhere */
	const char *reject_name;
	/*
	 * Called for each record of `type`, `where` being "FILE:LINE": check
	 * first (it may keep what it needs, but acts on nothing outside the
	 * caller's memory), apply once the record may be acted upon (with
	 * strict: after every input was checked). Either may be NULL.
	 */
	int (*check)(void *arg, json_t *rec, const char *where, terra_err *e);
	int (*apply)(void *arg, json_t *rec, const char *where, terra_err *e);
	/* Writes a line passed through; NULL: to stdout. */
	int (*pass)(void *arg, const char *line, size_t len, terra_err *e);
	/* Told each problem: a bad line, an input that cannot be opened or read
	 * (the library never prints). Never NULL. */
	void (*report)(void *arg, const terra_err *e);
	void *arg;
	/* Nonzero: end quietly, as when an input ends (NULL: never). A read
	 * waiting for input then gives up when cancel_fd is readable. */
	int (*stop)(void);
	int cancel_fd;
} terra_filter_opts;

typedef struct terra_filter_counts {
	long records; /* records of `type` acted upon */
	long bad;     /* bad lines */
	long failed;  /* inputs that could not be opened or read, and stops */
} terra_filter_counts;

/*
 * Reads `files` in turn (none: standard input; "-" is standard input).
 * Returns 0 when every line was good and every record acted upon, -1 when
 * something was reported (counts say what; c may be NULL).
 */
int terra_filter_run(const char *const *files, int nfiles, const terra_filter_opts *o,
                     terra_filter_counts *c);

#endif
