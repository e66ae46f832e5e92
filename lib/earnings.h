#ifndef TERRA_EARNINGS_H
#define TERRA_EARNINGS_H
/*
 * Per-unit earnings over time, recomputed exactly from the ledger: each
 * settlement's contributors' part (its pool by its policy,
 * terra_settle_groups) split over its stored unit inputs by weight
 * (terra_split_run), as terra-settle split it before summing per owner.
 * An earning record per unit and settled period:
 *   {"type":"earning","v":1,"period","unit","owner","weight","amount"}
 * (weight: the unit's metered work, FLOP; amount: 9-decimal TERRA).
 */
#include "err.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>

/* Called per earning; period is the canonical START/END, start and end in µs. */
typedef int (*terra_earning_fn)(void *ctx, const char *period, int64_t start, int64_t end,
                                const char *unit, const char *owner, int64_t weight, int64_t amount,
                                terra_err *e);

/* Walks the settlements (oldest first) whose period lies within [from, to)
 * (from = to = 0: all), handing fn every unit's earning. */
int terra_earnings_each(sqlite3 *db, int64_t from, int64_t to, terra_earning_fn fn, void *ctx,
                        terra_err *e);

/* The same as an array of earning records. */
int terra_earnings_rows(sqlite3 *db, int64_t from, int64_t to, json_t **rows, terra_err *e);

#endif
