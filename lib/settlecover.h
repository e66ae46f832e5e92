#ifndef TERRA_SETTLECOVER_H
#define TERRA_SETTLECOVER_H
/*
 * What settlements cover, so that usage is paid once (terra-settle(1),
 * terra-ledger(1) verify): settled periods never overlap, whatever their
 * spelling (PT1H inside P1D, an hour shifted by a microsecond), and each
 * settlement entry records the usage it pays in "covers":
 *   [[UNIT, FIRST_SEQ, LAST_SEQ], ...]   sorted by unit, one row per unit
 * from its meter record (the seqs of the unit's usage records counted in
 * the period). A usage record that straddles two periods is paid its part
 * in each; within one period each (unit, seq) is paid at most once: a late
 * settlement ("late": true, lib/settle.h) pays only seqs outside every
 * range already paid for its period.
 */
#include "err.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>

/* The settlement entries seen so far, fed in ledger order. */
typedef struct terra_settle_periods terra_settle_periods;

terra_settle_periods *terra_settle_periods_new(void);
void terra_settle_periods_free(terra_settle_periods *p);
/*
 * Adds settlement entry seq: kind TERRA_E_VERIFY when its period overlaps
 * an earlier settlement's, when a late one names a period not settled
 * before or covers a seq already paid for it, or when covers is malformed.
 */
int terra_settle_periods_add(terra_settle_periods *p, const json_t *payload, int64_t seq,
                             terra_err *e);
/* The same checks for a settlement about to be appended to db's ledger:
 * period and covers as its payload will hold them. Message without "entry".
 * The settled periods come from the settlements rows while every settlement
 * entry has its row (cheap), else from the entries' payloads. */
int terra_settle_periods_free_in(sqlite3 *db, const char *period, int late, const json_t *covers,
                                 terra_err *e);

#endif
