#ifndef TERRA_SETTLESTORE_H
#define TERRA_SETTLESTORE_H
/*
 * Settlement storage in terra.db, beside the ledger entries: what
 * terra-settle writes (lib/settle.h) and terra-ledger verify reads back to
 * recompute each settlement (lib/settlement.h).
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
 */
#include "err.h"
#include "merkle.h"
#include "settlement.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The settlement of period, if any: 1 with its inputs digest (hex), entry
 * seq and payload (caller json_decref's it), 0 when there is none.
 */
int terra_settle_stored(sqlite3 *db, const char *period, char digest[TERRA_HASH_HEX], int64_t *seq,
                        json_t **payload, terra_err *e);
/* The carry balance: carry_out of the latest settlement, 0 when none. */
int terra_settle_carry_balance(sqlite3 *db, int64_t *carry, terra_err *e);
/* The holders snapshot, once per digest (the body of the sorted hs,
 * terra_holders_body_each), inside the caller's transaction; it needs
 * nothing of the settlement, so it may be written before the entry. */
int terra_settle_store_snapshot(sqlite3 *db, const uint8_t holders_digest[TERRA_HASH_BYTES],
                                const terra_holders *hs, terra_err *e);
/* The settlements row, inside the caller's transaction. */
int terra_settle_store_entry(sqlite3 *db, const char *period, const char *inputs_digest,
                             int64_t entry_seq, terra_err *e);
/* The settlement_inputs rows of the units, inside the caller's transaction. */
int terra_settle_store_units(sqlite3 *db, const char *period, const terra_settle_unit *units,
                             size_t n, terra_err *e);

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

/* How many periods are settled, and the end (as stored) of the latest one;
 * last gets "" when none is. */
int terra_settle_summary(sqlite3 *db, int64_t *count, char last[64], terra_err *e);
/* Each settlements row, in ledger order (entry seq); the strings live
 * until fn returns. */
typedef struct terra_settle_row {
	const char *period, *inputs_digest;
	int64_t entry_seq;
} terra_settle_row;
typedef int (*terra_settle_row_fn)(void *ctx, const terra_settle_row *r, terra_err *e);
int terra_settle_each_row(sqlite3 *db, terra_settle_row_fn fn, void *ctx, terra_err *e);
/* The entry seqs of the settlements rows, in ledger order: seq[0..n-1],
 * malloc'd (the caller frees seq). */
typedef struct terra_settle_seqs {
	int64_t *seq;
	size_t n, cap;
} terra_settle_seqs;
int terra_settle_seqs_load(sqlite3 *db, terra_settle_seqs *s, terra_err *e);
/* Each settlement's payload text, in ledger order (entry seq). */
typedef int (*terra_settle_payload_fn)(void *ctx, const char *payload, terra_err *e);
int terra_settle_each_payload(sqlite3 *db, terra_settle_payload_fn fn, void *ctx, terra_err *e);

/*
 * Repeated look-ups of the unit inputs of settled periods, on statements
 * prepared once: the weight one unit had in a period, and every unit row of
 * a period (ordered by id, then owner; a missing owner is "").
 */
typedef struct terra_settle_reader terra_settle_reader;
int terra_settle_reader_open(sqlite3 *db, terra_settle_reader **r, terra_err *e);
/* 1 and *weight when period settled unit, else 0. */
int terra_settle_reader_weight(terra_settle_reader *r, const char *period, const char *unit,
                               int64_t *weight);
typedef int (*terra_settle_unit_fn)(void *ctx, const char *id, const char *owner, int64_t weight,
                                    terra_err *e);
int terra_settle_reader_units(terra_settle_reader *r, const char *period, terra_settle_unit_fn fn,
                              void *ctx, terra_err *e);
void terra_settle_reader_close(terra_settle_reader *r);

#endif
