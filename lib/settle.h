#ifndef TERRA_SETTLE_H
#define TERRA_SETTLE_H
/*
 * Settling (terra-settle(1)): gather a period's meter records, holders and
 * revenue, compute the settlement (lib/settlement.h, where the algorithm
 * and the entry payload are described), append it to the ledger once and
 * store its inputs (lib/settlestore.h), then write the payouts.
 *
 * Everything (entry, checkpoint, settlements row, snapshot, inputs rows) is
 * written in one BEGIN IMMEDIATE transaction: a crash leaves all of it or
 * none.
 *
 * Test hook: with TERRA_CRASH_AT set to "after-begin", "mid-insert" (after
 * the snapshot, before the unit rows) or "before-commit", terra_settle_run
 * kills its own process with SIGKILL at that point.
 */
#include "err.h"
#include "holders.h"
#include "home.h"
#include "settlement.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* The inputs of one settlement being gathered, then its result. */
typedef struct terra_settle terra_settle;

int terra_settle_new(terra_settle **s, terra_err *e);
void terra_settle_free(terra_settle *s);
/* The period from -p (any form terra_period_parse takes). */
int terra_settle_set_period(terra_settle *s, const char *period, terra_err *e);
/* The revenue (base units, >= 0); without it, the sum of the meter charges. */
int terra_settle_set_revenue(terra_settle *s, int64_t revenue, terra_err *e);
int terra_settle_set_policy(terra_settle *s, const terra_settle_policy *p, terra_err *e);
/* Takes the (sorted) holders over; *hs is left empty. */
void terra_settle_set_holders(terra_settle *s, terra_holders *hs);
/* Trusts meter records signed by pk (the home's owner key, --meter-key). */
int terra_settle_trust(terra_settle *s, const uint8_t pk[TERRA_PK_BYTES], terra_err *e);
/* The home's database: a meter record's unit, when registered there, must
 * be registered to the record's owner. */
void terra_settle_set_registry(terra_settle *s, sqlite3 *db);
/*
 * Starts making what needs only the holders, the revenue and the policy
 * (set them first) on a thread of its own, while the meter records are read
 * (terra_settle_ahead_start, lib/settlement.h); the carry balance it splits
 * for is read from the registry now (set it first). terra_settle_run waits
 * for it. Optional: terra_settle_run makes what is missing.
 */
void terra_settle_start_holders(terra_settle *s);
/* -j: with 1 (or less) terra_settle_run and terra_settle_start_holders
 * start no thread; by default they do. */
void terra_settle_set_jobs(terra_settle *s, int jobs);
/* Nonzero: terra_settle_run computes, checks and rolls back (-n). */
void terra_settle_set_dry(terra_settle *s, int dry);
/*
 * --adjust: the settlement of the period (set first) also pays late usage
 * of the earlier period old, settled before (lib/settlecover.h): the meter
 * records of period old are those late records, paid from this settlement's
 * pool and recorded in its entry's "adjusts" and "adjusts_covers". Refused
 * (TERRA_E_INPUT) when old does not end before the period starts.
 * terra_settle_open_adjust, after terra_settle_set_registry, refuses
 * (TERRA_E_STATE) an old period that was never settled, and from then on a
 * late record whose seqs were paid for old is refused by
 * terra_settle_add_meter, naming the entry that paid them.
 */
int terra_settle_set_adjusts(terra_settle *s, const char *old, terra_err *e);
int terra_settle_open_adjust(terra_settle *s, terra_err *e);
/*
 * Adds one meter record: period (all the same, and equal to -p), unit,
 * owner, weight, and charge (needed when no revenue is set). A unit twice
 * is refused. The record must be signed by a trusted key (kind
 * TERRA_E_VERIFY otherwise), its weight must be score x busy_us and its
 * unit registered to its owner when registered at all; first_seq and
 * last_seq go into the entry's covers (lib/settlecover.h). The message
 * names the field, without FILE:LINE.
 */
int terra_settle_add_meter(terra_settle *s, const json_t *meter, terra_err *e);
/*
 * The same in two steps, so that the costly part can run on worker
 * threads (terra-settle's -j): terra_settle_pre_check reads only meter and
 * writes only p (its signature and canonical form), on any thread;
 * terra_settle_add_meter_pre then adds the record as above, in input order,
 * with the same messages; terra_settle_pre_free frees what p still holds.
 */
typedef struct terra_settle_pre {
	int rc; /* 0: signed, by signer; -1: e says why */
	terra_err e;
	uint8_t signer[TERRA_PK_BYTES];
	char *canon;
} terra_settle_pre;

void terra_settle_pre_check(const json_t *meter, terra_settle_pre *p);
int terra_settle_add_meter_pre(terra_settle *s, const json_t *meter, terra_settle_pre *p,
                               terra_err *e);
void terra_settle_pre_free(terra_settle_pre *p);

/*
 * Settles: returns 0 when it appended the settlement (with dry: would have,
 * and rolled it back), 1 when the period was
 * already settled with the same inputs (nothing changed, the stored result
 * is loaded), -1 on error: kind TERRA_E_STATE "period P already settled with
 * other inputs", "period P already settled (entry N)" or "period P overlaps
 * period Q, settled in entry N" (lib/settlecover.h), TERRA_E_BUSY when
 * another command held the database past the busy timeout, TERRA_E_INPUT
 * for inputs that cannot be settled. The home must be open with
 * TERRA_HOME_SECRET.
 */
int terra_settle_run(terra_home *h, terra_settle *s, terra_err *e);
/*
 * Writes the result as payout records, one per posting with a positive
 * amount, in posting order, the "holders" posting as one record per paid
 * holder (role "holder", account order):
 *   {"type":"payout","v":1,"period":P,"account":A,"role":R,"amount":X,"entry":SEQ}
 */
int terra_settle_write_payouts(FILE *f, const terra_settle *s, terra_err *e);
/* The result's totals: pool, and the ledger seq of the settlement entry. */
void terra_settle_result(const terra_settle *s, int64_t *pool, int64_t *entry_seq,
                         size_t *npayouts);

#endif
