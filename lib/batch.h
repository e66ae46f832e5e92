#ifndef TERRA_BATCH_H
#define TERRA_BATCH_H
/*
 * Ordered parallel reading of a stream of lines: the lines are read in
 * batches, each line is checked on its own on a worker thread into a result
 * slot of its own, and the checked lines are consumed on the calling thread
 * in input order. What a line means is the caller's: checking (the costly,
 * independent part: parsing, signatures) runs in parallel, consuming (state
 * that depends on the order: seqs, sums, output) runs in one thread, so the
 * result is the same with any number of threads.
 */
#include "err.h"

#include <stddef.h>
#include <stdio.h>

typedef struct terra_batch_line {
	const char *name; /* the input's name, for "NAME:LINENO: why" */
	long lineno;      /* from 1 */
	const char *text; /* the line without its '\n', NUL-terminated */
	size_t len;
	void *slot; /* the line's result: slot_size bytes, zeroed before the check */
} terra_batch_line;

/*
 * Checks one line into l->slot, on a worker thread (or on the calling thread
 * with threads <= 1): it may write only the slot and the batch's scratch.
 * *scratch is the caller's room kept from line to line of one batch (NULL at
 * first; freed by scratch_free at the end), so a check need not allocate.
 */
typedef void (*terra_batch_check_fn)(void *ctx, const terra_batch_line *l, void **scratch);
/*
 * Takes one checked line, on the calling thread, in input order; what the
 * slot holds is the consumer's from here. Returns 0 to go on, 1 to stop the
 * input, -1 on a failure with e set.
 */
typedef int (*terra_batch_consume_fn)(void *ctx, const terra_batch_line *l, terra_err *e);
/* Frees what the check left in a slot that is never consumed (the input stopped). */
typedef void (*terra_batch_drop_fn)(void *ctx, void *slot);
typedef void (*terra_batch_scratch_free_fn)(void *ctx, void *scratch);

typedef struct terra_batch_opts {
	int threads;      /* worker threads; 1 or less: none, all checked inline */
	size_t slot_size; /* bytes of one line's result */
	size_t line_max;  /* a longer line is cut to line_max + 1 bytes, so the check
	                     sees it too long; 0: no limit */
	const char *what; /* names the caller in "WHAT: out of memory" */
	terra_batch_check_fn check;
	terra_batch_consume_fn consume;
	terra_batch_drop_fn drop;                 /* may be NULL */
	terra_batch_scratch_free_fn scratch_free; /* may be NULL */
	void *ctx;
} terra_batch_opts;

/* Lines per batch and the bytes after which a batch is closed early. */
#define TERRA_BATCH_LINES 256
#define TERRA_BATCH_BYTES (1024 * 1024)

/*
 * Reads f to its end ("name" in messages and in each line). A last line
 * without '\n' is a line; an empty input has none. Returns 0 at the end of
 * the input, 1 when consume stopped it, -1 when f could not be read
 * ("read 'NAME': why"), memory or a thread ran out, or consume failed.
 */
int terra_batch_read(FILE *f, const char *name, const terra_batch_opts *o, terra_err *e);

/*
 * The caller's next item, in place of a line of a file: its bytes (copied
 * at once, so they need last only until the next call) and its number for
 * messages. Called on the calling thread, between consumes. Returns 1, 0 at
 * the end, -1 on a failure with e set.
 */
typedef int (*terra_batch_next_fn)(void *ctx, const char **text, size_t *len, long *lineno,
                                   terra_err *e);
/*
 * As terra_batch_read, the items coming from next (line_max does not
 * apply). Returns 0 at the end of the items, 1 when consume stopped them,
 * -1 when next or consume failed or memory or a thread ran out.
 */
int terra_batch_each(terra_batch_next_fn next, void *next_ctx, const char *name,
                     const terra_batch_opts *o, terra_err *e);

#endif
