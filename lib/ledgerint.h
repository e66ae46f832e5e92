#ifndef TERRA_LEDGERINT_H
#define TERRA_LEDGERINT_H
/*
 * What the ledger's files share (lib/ledger.c, ledgerverify.c, export.c,
 * proof.c): an entry's canonical record, a money entry's postings (the
 * walk over the stored entries is in lib/ledger.h, which metrics uses
 * too). Not a public API: the commands use lib/ledger.h.
 */
#include "buf.h"
#include "err.h"
#include "key.h"
#include "merkle.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TERRA_ORIGIN_MAX (6 + TERRA_PK_HEX) /* "terra:" and the owner key in hex */

/*
 * The canonical entry record, built as text into b (lib/ledger.h): its
 * keys in bytewise order are created_at, kind, payload, prev, seq, type, v.
 * kind is one of the fixed names and created_at a formatted time, so
 * neither needs escaping; payload is already canonical JSON.
 */
int terra_ledger_entry_line(terra_buf *b, int64_t seq, const char *kind, const char *payload,
                            size_t plen, const uint8_t prev[TERRA_HASH_BYTES],
                            const char *created_at);
/*
 * A holding record of the ndjson export, with its '\n', written by hand
 * (one per holder, a million is common) as the canonical writer would:
 * account must need no escape (terra_ledger_safe_text). fprintf's result.
 */
int terra_ledger_holding_write(FILE *f, const char *account, int64_t units, int64_t seq);
/*
 * The owner key pin (lib/ledger.h): entry 1's prev is the owner key the
 * ledger was begun with. 0 when prev is pk (*pinned 1) or 64 zeros, a
 * ledger begun before pins (*pinned 0); else TERRA_E_VERIFY naming both
 * keys, pk as keyname says ("owner.pub's key").
 */
int terra_ledger_pin_check(const uint8_t prev[TERRA_HASH_BYTES], const uint8_t pk[TERRA_PK_BYTES],
                           const char *keyname, int *pinned, terra_err *e);
/* "terra:<pk hex>", the checkpoints' origin. */
void terra_ledger_origin(const uint8_t pk[TERRA_PK_BYTES], char out[TERRA_ORIGIN_MAX]);
/* 1 when s needs no JSON escape. */
int terra_ledger_safe_text(const char *s);
/* A string member, or "" when it is missing or not a string. */
const char *terra_ledger_str_of(const json_t *obj, const char *key);

/* One posting as a callback sees it; role may be "" when absent. */
typedef int (*terra_ledger_posting_fn)(void *ctx, const char *account, const char *role,
                                       int64_t amount, terra_err *e);

/*
 * Hands each posting of a money entry to fn, the settlement's "holders"
 * posting expanded into one "holder" posting per paid holder, recomputed
 * from the snapshot body snap (terra_settle_holders_each). With check_sum
 * the recorded postings must sum to zero.
 */
int terra_ledger_each_posting(const json_t *payload, const void *snap, size_t len, int has_snap,
                              int64_t seq, int check_sum, terra_ledger_posting_fn fn, void *ctx,
                              terra_err *e);
/* Adds a money entry's postings to balances (account -> integer); they must sum to zero. */
int terra_ledger_apply_postings(json_t *balances, const json_t *payload, const void *snap,
                                size_t len, int has_snap, int64_t seq, terra_err *e);
/* The holders snapshot of a settlement payload, from the database. */
int terra_ledger_load_snapshot(sqlite3 *db, const json_t *payload, int64_t seq, void **snap,
                               size_t *len, terra_err *e);

/* Leaf hashes of entries 1..size (size 0: all), malloc'd; *n gets how many.
 * Fewer than size entries is TERRA_E_NOTFOUND; a gap or bad row TERRA_E_VERIFY. */
int terra_ledger_leaves(sqlite3 *db, int64_t size, uint8_t (**leaves)[TERRA_HASH_BYTES], int64_t *n,
                        terra_err *e);
/* A hash (TERRA_HASH_BYTES) blob column. */
int terra_ledger_blob32(sqlite3_stmt *st, int col, uint8_t out[TERRA_HASH_BYTES]);
/* sqlite3_step: *row 1 on a row, 0 when done; -1 on an error. */
int terra_ledger_step(sqlite3 *db, sqlite3_stmt *st, int *row, terra_err *e);
/* The keys of an object, sorted bytewise, in a malloc'd array (NULL: out of memory). */
const char **terra_ledger_sorted_keys(const json_t *obj, size_t *n);

#endif
