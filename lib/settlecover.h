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
 * in each; within one period each (unit, seq) is paid at most once.
 *
 * Late usage (a file that arrived after its period was settled) is paid by
 * a later settlement that adjusts the period (terra-settle --adjust): its
 * payload holds "adjusts": OLD (a period settled before, ending before the
 * settlement's own starts) and "adjusts_covers": the late meter records'
 * rows, in the form of covers, none overlapping a range already paid for
 * OLD (its settlement's covers, earlier adjustments' adjusts_covers).
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
 * an earlier settlement's, when it adjusts a period not settled before it,
 * or not before its own, or pays usage already paid for that period, or
 * when covers or adjusts_covers is malformed.
 */
int terra_settle_periods_add(terra_settle_periods *p, const json_t *payload, int64_t seq,
                             terra_err *e);
/* The same checks for a settlement about to be appended to db's ledger:
 * period, covers, adjusts (NULL: none) and adjusts_covers as its payload
 * will hold them. Message without "entry". The settled periods come from
 * the settlements rows while every settlement entry has its row (cheap),
 * else from the entries' payloads; what was paid for adjusts, from the
 * entries' payloads. */
int terra_settle_periods_free_in(sqlite3 *db, const char *period, const char *adjusts,
                                 const json_t *covers, const json_t *adjusts_covers, terra_err *e);

/*
 * What db's ledger paid for the settled period old (the settlement of
 * period besides left out, when not NULL: settling it again with the same
 * inputs is its own check), for checking late meter records one by one:
 * open fails (TERRA_E_STATE) when old was never settled exactly; check
 * fails (TERRA_E_STATE) naming the range and the entry that paid it.
 */
typedef struct terra_settle_paid terra_settle_paid;

int terra_settle_paid_open(sqlite3 *db, const char *old, const char *besides,
                           terra_settle_paid **paid, terra_err *e);
int terra_settle_paid_check(const terra_settle_paid *paid, const char *unit, int64_t first,
                            int64_t last, terra_err *e);
void terra_settle_paid_close(terra_settle_paid *paid);

/* covers ([[UNIT, FIRST, LAST], ...], as the meter records gave them) in unit
 * order, one row per unit: the meter records of a unit that changed owner
 * (one per owner) cover their seqs together. *covers is replaced. */
int terra_settle_covers_sort(json_t **covers, terra_err *e);

#endif
