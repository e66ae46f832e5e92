#ifndef TERRA_UNITRATE_H
#define TERRA_UNITRATE_H
/*
 * Each unit's verified rate beside its benchmark (terra-register list and
 * show --meter FILE): the weight of its newest TERRA_UNITRATE_RECORDS meter
 * records over their busy time, in MFLOPS. A meter record's weight is its
 * verified work in FLOPs (terra-meter(1), Verified work and weight: the
 * sha256d rate is set so that a hash weighs what the same device does of
 * sgemm meanwhile), so the figure reads beside the score, the device's
 * claimed sgemm_mflops: a unit whose work never matches its benchmark
 * stands out. The records are read by reportuse.h, the dashboard's reader:
 * only this home's, settled here, once each.
 */
#include "err.h"
#include "home.h"

#include <jansson.h>

/* A day of hourly periods. */
#define TERRA_UNITRATE_RECORDS 24

/*
 * Reads the meter records of files and gives *rates: {unit: {"busy_us",
 * "records", "verified_mflops" (the weight, summed in 128 bits, over
 * busy_us, rounded down; absent without busy time)}} over each unit's
 * newest TERRA_UNITRATE_RECORDS. A bad line goes to bad (FILE:LINE: why)
 * and the rest is read; -1 only when a file cannot be read.
 */
int terra_unitrate_read(terra_home *h, const char *const *files, int nfiles, json_t **rates,
                        void (*bad)(void *ctx, const terra_err *e), void *ctx, terra_err *e);

/* Sets "verified_mflops" and "verified_records" in each row (an object
 * with "unit") whose unit rates has. */
int terra_unitrate_annotate(const json_t *rates, json_t *rows, terra_err *e);

#endif
