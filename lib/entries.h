#ifndef TERRA_ENTRIES_H
#define TERRA_ENTRIES_H
/*
 * The ledger's stored entries, read: the one walker of the entries table
 * (lib/ledger.h describes the table and writes it). It lives in the store
 * layer, below the ledger, because the unit registry there keeps each
 * unit's versions as entries (lib/unitchain.h) and must read them without
 * an include up a layer; settlement storage, which the ledger itself
 * includes, reads its entries here too, without an include cycle.
 */
#include "err.h"
#include "sha256.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* One stored entry as a walker hands it over: the pointers live until fn
 * returns. kind is NULL for a seq with no entry (terra_entries_get); in a
 * malformed row any text may be NULL, and prev and leaf are NULL unless
 * their blob is a hash (TERRA_HASH_BYTES). */
typedef struct terra_entry {
	int64_t seq;
	const char *kind, *payload, *created_at;
	size_t payload_len;
	const void *prev, *leaf;
} terra_entry;
typedef int (*terra_entry_fn)(void *ctx, const terra_entry *en, terra_err *e);

/* 1 when an entry of this kind is a version of a unit: "unit", "transfer",
 * "retire", "rekey" or "rescore". The view units_latest_entry (migration
 * 8, lib/db.c) spells the same list; a migration is never edited. */
int terra_entries_is_unit_version(const char *kind);

/* Every entry of kind (NULL: of every kind), in seq order; stops at fn's
 * first non-zero, which it returns. */
int terra_entries_each(sqlite3 *db, const char *kind, terra_entry_fn fn, void *ctx, terra_err *e);
/* The entries that are versions of unit (NULL: of every unit), in seq
 * order; as terra_entries_each. prev and leaf are NULL. */
int terra_entries_each_unit_version(sqlite3 *db, const char *unit, terra_entry_fn fn, void *ctx,
                                    terra_err *e);
/* Entries seqs[0..n-1], in that order, on one statement; without
 * with_payload, payload is NULL (a large one is not read). */
int terra_entries_get(sqlite3 *db, const int64_t *seqs, size_t n, int with_payload,
                      terra_entry_fn fn, void *ctx, terra_err *e);
/* How many entries of kind there are. */
int terra_entries_count(sqlite3 *db, const char *kind, int64_t *n, terra_err *e);

#endif
