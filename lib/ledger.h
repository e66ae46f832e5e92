#ifndef TERRA_LEDGER_H
#define TERRA_LEDGER_H
/*
 * The ledger (terra-ledger(1), terra-records(5)): append-only entries in
 * terra.db, each with seq, kind, canonical JSON payload, the previous
 * entry's hash and its RFC 6962 leaf hash; after every append the home's owner key signs a
 * checkpoint (origin, size, root). Entry kinds: "unit" (registered), "transfer", "retire", "rekey",
 * "rescore" (re-benchmarked), "meter", "settlement", "payment".
 *
 * The leaf data of an entry is its canonical entry record:
 *   {"type":"entry","v":1,"seq":N,"kind":K,"payload":{...},"prev":"<hex>",
 *    "created_at":"<time>"}
 * (canonical key order; seqs start at 1; prev is the leaf hash of entry
 * N - 1); leaf = SHA-256(0x00 || that). Entry N is leaf N - 1 of the
 * Merkle tree. The first entry's prev is the owner public key that began
 * the ledger, pinned under every root: verify checks checkpoints against
 * it, and an append under another key is refused. 64 zeros there is a
 * ledger begun before pins (rep->pinned 0), which pins nothing.
 *
 * The checkpoint of size N is the signed record
 *   {"type":"checkpoint","v":1,"origin":"terra:<owner pubkey hex>",
 *    "size":N,"root":"<hex>","signer":"<hex>","sig":"<hex>"}
 * Entries that move money ("settlement", "payment") carry "postings":
 * [{"account","amount"[,"role"]}...] summing to zero; balances are their sums.
 */
#include "entries.h"
#include "err.h"
#include "home.h"
#include "key.h"
#include "merkle.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Appends one entry inside the caller's open transaction (terra_db_begin),
 * then writes the signed checkpoint for the new size. The home must have
 * been opened with TERRA_HOME_SECRET. *seq (may be NULL) gets the entry's seq.
 */
int terra_ledger_append(terra_home *h, const char *kind, const json_t *payload, int64_t *seq,
                        terra_err *e);

/* 1 when kind is one of the entry kinds above. */
int terra_ledger_kind_ok(const char *kind);

/* What a verification saw. accounts: how many accounts had a posting. */
typedef struct terra_ledger_report {
	int64_t entries;
	int64_t checkpoints;
	int64_t settlements;
	int pinned; /* entry 1 pins the owner key verified with (0: begun before pins, or empty) */
	uint8_t root[TERRA_HASH_BYTES]; /* root of all entries */
	/* With the _since verifiers: the root of the first `since` entries, to
	 * check that the ledger extends a checkpoint kept earlier. */
	uint8_t since_root[TERRA_HASH_BYTES];
	int64_t accounts;
} terra_ledger_report;
void terra_ledger_report_free(terra_ledger_report *rep);

/*
 * Verifies the ledger of an open home: every entry's seq, payload form,
 * prev hash and leaf hash; every unit record's signature; postings; one
 * signed checkpoint per size whose root is recomputed; every settlement
 * recomputed from its recorded inputs and snapshot (terra_settle_check),
 * and the carry chain (each carry_in the previous carry_out). On the first
 * problem: -1, kind TERRA_E_VERIFY, e->msg naming it ("entry 7: leaf hash
 * mismatch", "checkpoint 3: bad signature").
 */
int terra_ledger_verify(terra_home *h, terra_ledger_report *rep, terra_err *e);
/* As terra_ledger_verify; rep->since_root gets the root of entries 1..since. */
int terra_ledger_verify_since(terra_home *h, int64_t since, terra_ledger_report *rep, terra_err *e);

struct terra_reader;
/* The same checks over an ndjson export (terra_ledger_export, "ndjson")
 * read from r, against the owner public key pk; messages name the line. */
int terra_ledger_verify_export(struct terra_reader *r, const uint8_t pk[TERRA_PK_BYTES],
                               terra_ledger_report *rep, terra_err *e);
/* As terra_ledger_verify_export; rep->since_root as with terra_ledger_verify_since. */
int terra_ledger_verify_export_since(struct terra_reader *r, const uint8_t pk[TERRA_PK_BYTES],
                                     int64_t since, terra_ledger_report *rep, terra_err *e);

/*
 * Records that `amount` (base units, > 0) was paid out to `account`, in
 * its own transaction: a "payment" entry with postings account -amount,
 * "paid" +amount, and ref (may be NULL: a transfer id) in the payload.
 * Refused (TERRA_E_STATE) beyond the account's balance, and for the
 * accounts "revenue", "carry" and "paid".
 */
int terra_ledger_pay(terra_home *h, const char *account, int64_t amount, const char *ref,
                     int64_t *seq, terra_err *e);

/* Entry records (as the export writes them), oldest first; kind may be NULL. */
int terra_ledger_log(sqlite3 *db, const char *kind, json_t **rows, terra_err *e);

/* How many entries the ledger holds and the size of its latest signed
 * checkpoint (0 when none). */
int terra_ledger_sizes(sqlite3 *db, int64_t *entries, int64_t *checkpoint, terra_err *e);
/*
 * Walks the stored entries of kind (NULL: every kind) in order
 * (lib/entries.h), handing fn each one's canonical entry record (line,
 * len), its payload parsed when want_payload (else NULL) and the stored
 * row. A malformed row, or with want_payload a payload that is not a JSON
 * object, stops it: kind TERRA_E_VERIFY "entry N: ...; run 'terra-ledger
 * verify'".
 */
typedef int (*terra_ledger_entry_fn)(void *ctx, int64_t seq, const char *kind, const char *line,
                                     size_t len, const json_t *payload, const terra_entry *en,
                                     terra_err *e);
int terra_ledger_each_entry(sqlite3 *db, const char *kind, int want_payload,
                            terra_ledger_entry_fn fn, void *ctx, terra_err *e);

/* Balances from the postings: object account -> integer base units. */
int terra_ledger_balances(sqlite3 *db, json_t **balances, terra_err *e);
/* The same as balance records {"type":"balance","v":1,"account","amount"},
 * sorted by account; with account, just that one (amount 0 when unknown). */
int terra_ledger_balance_rows(sqlite3 *db, const char *account, json_t **rows, terra_err *e);

/*
 * Writes the ledger to f: "ndjson" (entry records; after a settlement
 * entry its settlement_inputs records, unit rows at most 1000 a record,
 * and one holding record {"account","balance","entry"} per holder of its
 * snapshot, so no line nears 1 MiB; checkpoint records: what verify
 * --pubkey reads), "csv" (one row per
 * entry), "hledger" (a journal of the postings), "payouts" (CSV
 * account,amount: what is owed, or with period the payouts of that
 * settlement). period (canonical START/END) only for "payouts".
 */
int terra_ledger_export(sqlite3 *db, FILE *f, const char *format, const char *period, terra_err *e);

/*
 * An inclusion proof record of the settlement of `period` that pays
 * `account`, up to the latest checkpoint:
 *   {"type":"proof","v":1,"account","period","amount","postings":[...],
 *    "entry":{entry record},"index":seq-1,"size":N,"path":["<hex>"...],
 *    "checkpoint":{signed checkpoint record}}
 * and, when account is a paid holder (whose payout is recomputed from the
 * stored snapshot, not a posting), "holder":{"amount","index","count",
 * "path"}: the inclusion path of its payout leaf in the entry's holders
 * tree (lib/settlement.h). TERRA_E_NOTFOUND when there is no such settlement
 * or payout.
 */
int terra_ledger_prove(sqlite3 *db, const char *account, const char *period, json_t **proof,
                       terra_err *e);
/* Checks a proof record alone against the owner key pk: checkpoint
 * signature and origin, the inclusion path, the holder leaf's path to the
 * entry's holders root if any, and that the entry pays account amount in
 * period. *payouts (may be NULL) gets payout records. */
int terra_ledger_verify_proof(const json_t *proof, const uint8_t pk[TERRA_PK_BYTES],
                              json_t **payouts, terra_err *e);

#endif
