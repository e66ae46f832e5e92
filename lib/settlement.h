#ifndef TERRA_SETTLEMENT_H
#define TERRA_SETTLEMENT_H
/*
 * The settlement computation (terra-settle(1)), with no storage: split a period's
 * pool exactly between contributors (by unit weight), holders (by balance)
 * and the treasury, the entry payload that records it, and its check.
 * terra-settle computes a settlement (lib/settle.h); terra-ledger verify
 * recomputes every settlement entry from its recorded inputs
 * (terra_settle_check), read back by lib/settlestore.h.
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
 *                  and of the holders snapshot body (terra_holders_body_each,
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
 *
 * How the inputs are stored is lib/settlestore.h.
 */
#include "err.h"
#include "holders.h"
#include "key.h"
#include "merkle.h"
#include "money.h"
#include "split.h"
#include "unit.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

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
/* The same object read from a payload's "policy"; strict_keys refuses other keys. */
int terra_settle_policy_from_json(const json_t *o, terra_settle_policy *p, int strict_keys,
                                  terra_err *e);
json_t *terra_settle_policy_json(const terra_settle_policy *p);

/* One unit's input: its id, owner and meter weight. */
typedef struct terra_settle_unit {
	char unit[TERRA_UNIT_ID_HEX];
	char owner[TERRA_PK_HEX];
	int64_t weight;
} terra_settle_unit;

typedef struct terra_settle_posting {
	const char *account;
	const char *role;
	int64_t amount;
} terra_settle_posting;

/* One computation: the inputs in, the postings out (pointing into the inputs). */
typedef struct terra_settle_calc {
	int64_t revenue, carry_in;
	terra_settle_policy policy;
	terra_settle_unit *units; /* sorted by unit */
	size_t nunits;
	const terra_holders *hs; /* sorted by account */
	int64_t pool, carry_out;
	terra_settle_posting *post;
	size_t npost;
	/* the holders' split: what decides each holder's amount
	 * (terra_settle_hamount, in hs order, the account is hs's), their sum,
	 * how many got more than 0, and (with want_root) the Merkle root of those */
	terra_split_cut hcut;
	int64_t htotal;
	size_t hcount;
	int want_root;
	uint8_t hroot[TERRA_HASH_BYTES];
	/* hready: the holders' split above (root included) was made ahead for
	 * the holders' part hpart, leaving hleft (terra_settle_ahead_finish);
	 * terra_settle_compute keeps it when its part is the same */
	int hready;
	int64_t hpart, hleft;
} terra_settle_calc;

/* Holder i's amount: recomputed, not kept (8 bytes a holder, a million holders). */
#define terra_settle_hamount(c, i) terra_split_cut_amount(&(c)->hcut, (c)->hs->v[(i)].balance, (i))

/* Frees what a computation allocated (post), not its inputs. */
void terra_settle_calc_free(terra_settle_calc *c);
/* Sorts units by id and refuses one listed twice. */
int terra_settle_units_sort(terra_settle_unit *units, size_t n, terra_err *e);
/* Adds more (nmore units) to *units (*n, realloc'd): sorted by id, a unit
 * and owner in both once, with the sum of its weights (a settlement that
 * also pays late usage of an earlier period, terra-settle --adjust). */
int terra_settle_units_join(terra_settle_unit **units, size_t *n, const terra_settle_unit *more,
                            size_t nmore, terra_err *e);
/* The algorithm above (terra-settle(1), The split): fills pool, carry_out, the postings and
 * the holders' split. */
int terra_settle_compute(terra_settle_calc *c, terra_err *e);
/* The pool over the three groups by the policy (groups[i].amount), what is left in *left. */
int terra_settle_groups(int64_t pool, const terra_settle_policy *p, terra_split_item groups[3],
                        int64_t *left, terra_err *e);
/* The holders' part over c->hs: c->hcut, htotal, hcount and
 * (want_root) hroot. */
int terra_settle_holders_split(terra_settle_calc *c, int64_t part, int64_t *left, terra_err *e);

/*
 * What needs only the holders, made ahead on a thread of its own while the
 * meter records are read (~0.4 s of CPU for a million holders, and the
 * reading leaves the second processor idle much of the time): the holders'
 * digest (terra_holders_digest) and, when the revenue is known, their split
 * and Merkle root for the pool revenue + carry_in, carry_in being the carry
 * balance read before the settlement's transaction. The split is exact
 * arithmetic on those inputs: terra_settle_compute uses it only when the
 * holders' part it computes in the transaction is the same, and splits
 * again otherwise (another settlement committed in between).
 * terra_settle_ahead_start never fails: without a thread nothing is made
 * ahead (*a NULL). hs must not change until terra_settle_ahead_finish,
 * which waits for the thread, fills c's holders' split (hready) when one was
 * made, writes the digest and frees a.
 */
typedef struct terra_settle_ahead terra_settle_ahead;

void terra_settle_ahead_start(terra_settle_ahead **a, const terra_holders *hs, int has_revenue,
                              int64_t revenue, int64_t carry_in, const terra_settle_policy *p);
void terra_settle_ahead_finish(terra_settle_ahead *a, terra_settle_calc *c,
                               uint8_t digest[TERRA_HASH_BYTES]);

/* SHA-256 over the canonical forms of the meter records (canon[i], NUL-
 * terminated; sorted here, bytewise), each followed by '\n', so the order
 * of the input does not matter. */
int terra_settle_meter_digest(char **canon, size_t n, uint8_t out[TERRA_HASH_BYTES], terra_err *e);
/* inputs_digest (above), hex. */
int terra_settle_inputs_digest(const char *period, int64_t revenue, const terra_settle_policy *p,
                               const char *meter_hex, const char *holders_hex,
                               char out[TERRA_HASH_HEX], terra_err *e);
/* SHA-256 hex over the unit inputs sorted by unit: unit, 0x00, owner, 0x00,
 * weight digits, '\n' (the payload's inputs.unit_rows). */
int terra_settle_units_digest(const terra_settle_unit *u, size_t n, char out[TERRA_HASH_HEX],
                              terra_err *e);
/* The settlement entry payload of a computation; NULL when out of memory. */
json_t *terra_settle_payload(const terra_settle_calc *c, const char *period,
                             const uint8_t meter_digest[TERRA_HASH_BYTES],
                             const uint8_t holders_digest[TERRA_HASH_BYTES],
                             const char *inputs_digest);

/*
 * Recomputes the settlement entry payload from the unit inputs and the
 * snapshot body; 0 when it matches exactly, -1 (kind TERRA_E_VERIFY) naming
 * the first difference otherwise. It checks the snapshot against the
 * holders digest, pool = revenue + carry_in, the policy, the counts,
 * inputs_digest, carry_out, every posting and the holders count, total and
 * root. inputs: one array per row, ["unit", ID, OWNER, WEIGHT]
 * (terra_settle_inputs_load, lib/settlestore.h).
 */
int terra_settle_check(const json_t *payload, const json_t *inputs, const void *snap, size_t len,
                       terra_err *e);

/* The leaf hash of a holder's payout: RFC 6962 leaf of {"account":A,"amount":X}. */
void terra_settle_holder_leaf(const char *account, int64_t amount, uint8_t out[TERRA_HASH_BYTES]);
/* That leaf's data, the canonical JSON written by hand (a million of them is
 * common), into out (room for TERRA_SETTLE_LEAF_MAX); its length. */
#define TERRA_SETTLE_LEAF_MAX (TERRA_ACCOUNT_MAX + TERRA_AMOUNT_MAX + 32)
size_t terra_settle_holder_leaf_data(const char *account, size_t alen, int64_t amount, char *out);
/*
 * Calls fn for every holder paid by a settlement entry (amount > 0, account
 * order), recomputed from its payload and snapshot body; the snapshot must
 * hash to the payload's holders digest and the amounts sum to its holders
 * total (TERRA_E_VERIFY otherwise). Cheap: no tree is built.
 */
typedef int (*terra_settle_holder_fn)(void *ctx, const char *account, int64_t amount, terra_err *e);
int terra_settle_holders_each(const json_t *payload, const void *snap, size_t len,
                              terra_settle_holder_fn fn, void *ctx, terra_err *e);
/*
 * The inclusion proof of account's holder payout in the entry's holders
 * tree: its amount, index among the paid holders, their count, and the
 * audit path (TERRA_MERKLE_PATH_MAX hashes of room). TERRA_E_NOTFOUND if it is not paid.
 */
int terra_settle_holder_proof(const json_t *payload, const void *snap, size_t len,
                              const char *account, int64_t *amount, uint64_t *index,
                              uint64_t *count, uint8_t (*path)[TERRA_HASH_BYTES], size_t *pathlen,
                              terra_err *e);

/*
 * The payout line written by hand (a million of them is common), for
 * terra_settle_write_payouts and its test, which compares the bytes with
 * the canonical writer's (lib/record.h). terra_settle_payout_tail makes what
 * every line of a settlement shares, ","entry":SEQ,"period":"P","role":",
 * and returns its length, or -1 when the period is not plain or too long.
 * terra_settle_payout_line writes one line with its '\n' into out (room for
 * TERRA_SETTLE_PAYOUT_LINE_MAX) and returns its length; account (at most
 * TERRA_ACCOUNT_MAX bytes) and role (at most 16) must be plain:
 * terra_settle_plain, no byte that JSON escapes, nor one >= 0x7f.
 */
#define TERRA_SETTLE_PAYOUT_TAIL_MAX 160
#define TERRA_SETTLE_PAYOUT_LINE_MAX 512
int terra_settle_plain(const char *s);
int terra_settle_payout_tail(int64_t entry, const char *period,
                             char out[TERRA_SETTLE_PAYOUT_TAIL_MAX]);
size_t terra_settle_payout_line(char *out, const char *account, size_t alen, const char *role,
                                size_t rlen, int64_t amount, const char *tail, size_t tail_len);

#endif
