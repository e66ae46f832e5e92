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
 *   - work is at least 1 and the workload known; what the evidence proves is
 *     the record's verified work (lib/usage.c: sha256d by lib/sha256dproof.h,
 *     sgemm by lib/sgemmproof.h; kernel 0), and no more work than the
 *     unit's benchmark allows (terra_meter_rate_ok);
 *   - no sha256d nonce, and no row of an sgemm run's product, is counted
 *     twice, in this run or paid before by the settlement host (lib/paid.h,
 *     terra_meter_paid_db).
 * Records that do not touch [from, to) are skipped without verification.
 *
 * A unit's weight in a period is its verified work in one unit, FLOPs, by
 * per-workload rates (terra_meter_weigh): what terra-settle splits by.
 */
#include "err.h"
#include "key.h"
#include "meterio.h"
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
/* Default rates, FLOPs of weight per unit of verified work: a double SHA-256
 * (terra-meter(1) says how it was measured), an sgemm FLOP. */
#define TERRA_METER_RATE_SHA256D 2048
#define TERRA_METER_RATE_SGEMM   1

/*
 * weight = rates[sha256d] x verified[sha256d] + rates[sgemm] x verified[sgemm]
 *        + rates[kernel] x score x kernel_us + score x replicated_us, in 128
 * bits; -1 when it overflows int64 or a factor is negative. kernel_us is
 * kernel busy time not credited by replicas, replicated_us what agreeing
 * replicas credit (lib/replica.h).
 */
int terra_meter_weigh(const terra_meter_rates *rates, const int64_t verified[3], int64_t score,
                      int64_t kernel_us, int64_t replicated_us, int64_t *weight);
/* The same from a meter record's fields (terra-settle checks its weight): -1 with e. */
int terra_meter_record_weight(const json_t *meter, int64_t *weight, terra_err *e);
/* The names of the rates, by enum terra_workload, as records spell them. */
extern const char *const terra_meter_rate_names[3];

typedef struct terra_meter terra_meter;

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
/* The settlement host's paid evidence (lib/paid.h), from its database;
 * before the first terra_meter_feed. */
int terra_meter_paid_db(terra_meter *m, sqlite3 *db, terra_err *e);
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
