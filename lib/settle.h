#ifndef TERRA_SETTLE_H
#define TERRA_SETTLE_H
/*
 * Settlement (DESIGN 6): split a period's pool exactly between contributors
 * (by unit weight), holders (by balance) and the treasury, append it to the
 * ledger once. terra-ledger verify calls terra_settle_check to recompute
 * every settlement entry from its recorded inputs.
 *
 * The algorithm, all in integer base units (lib/split.h, largest remainder,
 * ties by id bytewise):
 *   pool = revenue + carry_in, carry_in the carry account's balance (the
 *   carry_out of the latest settlement entry, 0 if none);
 *   the pool is split over the groups "contributors", "holders", "treasury"
 *   by the policy's basis points; the contributors' part over the units by
 *   meter weight, each unit's amount credited to the unit's owner; the
 *   holders' part over the holders by balance; a group with nobody in it, or
 *   only zero weights, sends its part to the "carry" account (carry_out),
 *   which joins the next settlement's pool.
 *
 * The ledger entry (kind "settlement") has this payload (settlement v2: its
 * size depends on the number of owners, not of holders); amounts are
 * 9-decimal strings (lib/money.h):
 *   period         "START/END" (terra_period_format)
 *   revenue        the period's revenue (--revenue or the sum of charges)
 *   carry_in       the carry balance that joined the pool
 *   pool           revenue + carry_in
 *   carry_out      what went to carry: the new carry balance
 *   policy         {"contributors":BPS,"holders":BPS,"treasury":BPS}
 *   inputs         {"meter":HEX,"holders":HEX,"units":N,"holders_count":N}:
 *                  SHA-256 of the meter records (terra_settle_meter_digest)
 *                  and of the holders snapshot body (terra_holders_body,
 *                  whose hash is terra_holders_digest); holders_count counts
 *                  every holder of the snapshot, zero balances included
 *   inputs_digest  HEX, as stored in settlements.inputs_digest (below)
 *   holders        {"count":N,"total":AMOUNT,"root":HEX}: the holders paid
 *                  (amount > 0), the sum of their payouts, and the RFC 6962
 *                  Merkle root over their payout leaves in account order,
 *                  leaf data the canonical JSON {"account":A,"amount":X}
 *                  (terra_settle_holder_leaf); an empty tree's root is
 *                  SHA-256("")
 *   postings       [{"account":A,"role":R,"amount":AMOUNT}, ...] summing to
 *                  exactly zero, in this order:
 *                    {"revenue", "source", -revenue}          always
 *                    {"carry", "carry_in", -carry_in}         if carry_in > 0
 *                    {OWNER, "contributor", +x}  one per owner, by account
 *                    {"holders", "holders", +total}  the holders' payouts,
 *                                  one posting for all of them
 *                    {"treasury", "treasury", +x}
 *                    {"carry", "carry", +carry_out}
 *                  credits of zero are left out. An account's balance is
 *                  the sum of its postings over all entries, the "holders"
 *                  posting counted as one credit per paid holder, recomputed
 *                  from the snapshot (terra_settle_holders_each): the split
 *                  is deterministic, so the per-holder amounts are never
 *                  stored, only their root.
 *
 * The settlements row: (period, inputs_digest, entry_seq). inputs_digest is
 * the SHA-256 hex of the canonical JSON (lib/record.h) of
 *   {"holders":HEX,"meter":HEX,"period":P,"policy":{...},"revenue":AMOUNT}
 * so the same period settled again with the same inputs is recognised.
 *
 * The holders snapshot is stored once per digest: the snapshots row
 * (digest, body), body exactly the bytes whose SHA-256 is the digest.
 * The settlement_inputs rows (period, role, id, owner, weight): one per unit
 * (role "unit", id the unit, owner its owner, weight its meter weight),
 * zero weights included.
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

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#define TERRA_SETTLE_BPS 10000

typedef struct terra_settle_policy {
	int64_t contributors, holders, treasury; /* basis points; sum 10000 */
} terra_settle_policy;

/* 7000 / 2000 / 1000. */
void terra_settle_policy_default(terra_settle_policy *p);
/* Each in [0, 10000], summing to 10000. */
int terra_settle_policy_check(const terra_settle_policy *p, terra_err *e);
/* A policy file: one JSON object {"contributors":BPS,"holders":BPS,"treasury":BPS}
 * (other keys refused; "type" and "v" allowed). */
int terra_settle_policy_load(const char *path, terra_settle_policy *p, terra_err *e);

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
/*
 * Adds one meter record: period (all the same, and equal to -p), unit,
 * owner, weight, and charge (needed when no revenue is set). A unit twice
 * is refused. The message names the field, without FILE:LINE.
 */
int terra_settle_add_meter(terra_settle *s, const json_t *meter, terra_err *e);

/*
 * Settles: returns 0 when it appended the settlement, 1 when the period was
 * already settled with the same inputs (nothing changed, the stored result
 * is loaded), -1 on error: kind TERRA_E_STATE "period P already settled with
 * other inputs", TERRA_E_BUSY when another command held the database past
 * the busy timeout, TERRA_E_INPUT for inputs that cannot be settled. The
 * home must be open with TERRA_HOME_SECRET.
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

/* SHA-256 over the canonical forms of the meter records, sorted bytewise,
 * each followed by '\n' (so the order of the input does not matter). */
int terra_settle_meter_digest(const json_t *const *meters, size_t n, uint8_t out[32], terra_err *e);

/*
 * The recorded unit inputs of the settlement of `period` (from
 * settlement_inputs), as a JSON array in the form terra_settle_check reads:
 * one array per row, ["unit", ID, OWNER, WEIGHT], ordered by id.
 */
int terra_settle_inputs_load(sqlite3 *db, const char *period, json_t **inputs, terra_err *e);
/* The holders snapshot body of that digest (hex), malloc'd; TERRA_E_NOTFOUND
 * when there is none. */
int terra_settle_snapshot_load(sqlite3 *db, const char *digest, void **body, size_t *len,
                               terra_err *e);
/*
 * Recomputes the settlement entry payload from the unit inputs and the
 * snapshot body; 0 when it matches exactly, -1 (kind TERRA_E_VERIFY) naming
 * the first difference otherwise. It checks the snapshot against the
 * holders digest, pool = revenue + carry_in, the policy, the counts,
 * inputs_digest, carry_out, every posting and the holders count, total and
 * root.
 */
int terra_settle_check(const json_t *payload, const json_t *inputs, const void *snap, size_t len,
                       terra_err *e);

/* The leaf hash of a holder's payout: RFC 6962 leaf of {"account":A,"amount":X}. */
void terra_settle_holder_leaf(const char *account, int64_t amount, uint8_t out[32]);
/*
 * Calls fn for every holder paid by a settlement entry (amount > 0, account
 * order), recomputed from its payload and snapshot body; the snapshot must
 * hash to the payload's holders digest and the amounts sum to its holders
 * total (TERRA_E_VERIFY otherwise). Cheap: no tree is built.
 */
typedef int (*terra_settle_holder_fn)(void *ctx, const char *account, int64_t amount,
                                      terra_err *e);
int terra_settle_holders_each(const json_t *payload, const void *snap, size_t len,
                              terra_settle_holder_fn fn, void *ctx, terra_err *e);
/*
 * The inclusion proof of account's holder payout in the entry's holders
 * tree: its amount, index among the paid holders, their count, and the
 * audit path (64 hashes of room). TERRA_E_NOTFOUND if it is not paid.
 */
int terra_settle_holder_proof(const json_t *payload, const void *snap, size_t len,
                              const char *account, int64_t *amount, uint64_t *index,
                              uint64_t *count, uint8_t (*path)[32], size_t *pathlen, terra_err *e);

#endif
