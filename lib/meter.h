#ifndef TERRA_METER_H
#define TERRA_METER_H
/*
 * Metering (terra-meter(1)): verifies signed usage records, splits them over
 * periods and sums them into one meter record per unit per period. A pure
 * filter: the same input always gives the same output, nothing stored is
 * changed, and memory grows with units x periods, not with records.
 *
 * The rules, each documented in terra-meter(1):
 *   - a usage record is signed by the unit_pub of a known unit; a retired
 *     unit's usage is refused when it ends after retired_at;
 *   - start < end, 0 <= busy_us <= end - start, work >= 0;
 *   - seqs of one unit are unique: the same record again (same seq and
 *     signature) is a duplicate, counted once; another record with a seq
 *     already counted is a "replayed seq";
 *   - a unit is never busy twice at once, and its records follow each other
 *     in time in the order of their seqs ("overlapping busy time");
 *   - sha256d: every share re-hashed and in range, no share twice, enough
 *     shares for the claimed work (terra_meter_shares_enough) and no more
 *     work than the unit's benchmark allows (terra_meter_rate_ok).
 * Records that do not touch [from, to) are skipped without verification.
 */
#include "err.h"
#include "key.h"
#include "usage.h" /* the rules: terra_meter_part, _shares_enough, _rate_ok */

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Most periods one run may cut (--every). */
#define TERRA_METER_PERIODS_MAX 1000000
/* FLOPs in one TFLOP-hour: --price is per TFLOP-hour of weight. */
#define TERRA_METER_TFLOP_HOUR INT64_C(3600000000000000)

typedef struct terra_meter terra_meter;

typedef struct terra_meter_opts {
	int64_t from, to; /* the metered range [from, to), microseconds */
	int64_t every;    /* period length; divides to - from */
	int has_price;
	int64_t price; /* base units per TFLOP-hour (with has_price) */
	int threads;   /* verification threads; 1 or less: none, all inline */
} terra_meter_opts;

enum terra_meter_event {
	TERRA_METER_BAD,       /* a rejected line: counted in terra_meter_bad */
	TERRA_METER_DUPLICATE, /* a record seen before: counted once, not bad */
};

/*
 * Called in input order. `msg` is "FILE:LINE: usage record: why" (or the
 * parser's message); `line` the raw line without '\n'. A non-zero return
 * stops the input (--strict).
 */
typedef int (*terra_meter_report_fn)(void *ctx, enum terra_meter_event ev, const char *line,
                                     size_t len, const char *msg);
/* A record of another type, to pass through unchanged. Non-zero stops. */
typedef int (*terra_meter_pass_fn)(void *ctx, const char *line, size_t len);

typedef struct terra_meter_io {
	terra_meter_report_fn report;
	terra_meter_pass_fn pass; /* NULL: other records are ignored */
	void *ctx;
	/* A further check of each verified usage record, in input order (terra-meter
	 * --slurm: terra_slurm_check); NULL: none. Returns NULL to count it, else a
	 * malloc'd "usage record: why" that makes it a bad line. */
	char *(*admit)(void *arg, const char *line, size_t len, const char *unit, int64_t start,
	               int64_t end);
	void *admit_arg;
} terra_meter_io;

/* Checks the options (range, every dividing it, period count). */
int terra_meter_new(terra_meter **m, const terra_meter_opts *o, terra_err *e);
void terra_meter_free(terra_meter *m);
/* Signs every meter record terra_meter_write writes with k (the metering
 * home's owner key: terra-settle trusts only signed meter records); k must
 * outlive m. */
void terra_meter_set_signer(terra_meter *m, const terra_key *k);

/* Units from the home's registry (terra_unit_list), trusted as stored.
 * Units are loaded before the first terra_meter_feed. */
int terra_meter_units_db(terra_meter *m, sqlite3 *db, terra_err *e);
/* One unit record, as the unit files (lib/unitfiles.h) are checked (msg without file:line). */
int terra_meter_unit_add(terra_meter *m, const json_t *rec, terra_err *e);

/*
 * Reads usage records from `path` (NULL or "-": stdin). Returns 0 at the end
 * of the input, 1 when io stopped it, -1 when it could not be read.
 */
int terra_meter_feed(terra_meter *m, const char *path, const terra_meter_io *io, terra_err *e);
/* Bad lines reported so far (usage and unit records). */
long terra_meter_bad(const terra_meter *m);

/*
 * Writes the meter records, ordered by period then unit id, one per unit and
 * period with counted usage, each signed by the terra_meter_set_signer key
 * when set. A record that cannot be made (weight or work overflowing int64)
 * is left out and makes the call return -1 with e set, after the others are
 * written.
 */
int terra_meter_write(terra_meter *m, FILE *out, terra_err *e);
/* The same records appended to the JSON array rows (for a table or CSV). */
int terra_meter_rows(terra_meter *m, json_t *rows, terra_err *e);

#endif
