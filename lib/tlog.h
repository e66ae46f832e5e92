#ifndef TERRA_TLOG_H
#define TERRA_TLOG_H
/*
 * The ledger as a transparency log the C2SP world can check: its checkpoint
 * as a signed note (origin "terra:<owner key hex>", the owner key's Ed25519
 * note signature under that name), RFC 6962 consistency and inclusion
 * proofs between any sizes, static tiles, and the check that the ledger (or
 * an export) extends a checkpoint note kept earlier, with a quorum of
 * witness cosignatures when asked.
 */
#include "err.h"
#include "home.h"
#include "key.h"
#include "note.h"
#include "sha256.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>

/* The origin of the log of owner key pk: "terra:<64 hex>". */
void terra_tlog_origin(const uint8_t pk[TERRA_PK_BYTES], char out[TERRA_NOTE_NAME_MAX]);
/* The owner's note key for that origin (type Ed25519). */
int terra_tlog_key(const uint8_t pk[TERRA_PK_BYTES], terra_note_key *k, terra_err *e);

/*
 * The signed checkpoint note of the ledger at `size` (0: its current size),
 * malloc'd in *note. It is signed only after the root recomputed from the
 * entries is found equal to the root of the stored, owner-signed checkpoint
 * of that size, so a damaged database never gets a note. Needs the secret.
 */
int terra_tlog_note(terra_home *h, int64_t size, char **note, size_t *len, terra_err *e);

/* Proofs of the ledger as base64 lines, one hash a line, malloc'd in *text:
 * consistency from size old to size cur (cur 0: the current size), and
 * inclusion of entry seq (leaf seq - 1) in the tree of size cur. */
int terra_tlog_consistency(sqlite3 *db, int64_t old, int64_t cur, char **text, int64_t *size,
                           terra_err *e);
int terra_tlog_inclusion(sqlite3 *db, int64_t seq, int64_t cur, char **text, int64_t *size,
                         terra_err *e);

/* What a kept note says, opened with the owner key and witness keys. */
typedef struct terra_tlog_kept {
	terra_checkpoint cp;
	unsigned cosigned; /* how many of the witness keys cosigned it */
} terra_tlog_kept;

/*
 * Opens the note file `path` kept earlier: signed by the owner key pk, and
 * cosigned by at least `quorum` of the nwit witness vkeys (each a
 * cosignature/v1 key). Failures have kind TERRA_E_VERIFY.
 */
int terra_tlog_kept_open(const char *path, const uint8_t pk[TERRA_PK_BYTES],
                         const terra_note_key *wit, size_t nwit, unsigned quorum,
                         terra_tlog_kept *k, terra_err *e);

/*
 * Checks that a log of `size` entries, whose root at the kept note's size
 * is root_at_kept (ignored when size < kept size), extends the kept
 * checkpoint: a smaller size is a rollback, another root at the kept size
 * a fork (TERRA_E_VERIFY, the message says which).
 */
int terra_tlog_extends(const terra_tlog_kept *k, int64_t size,
                       const uint8_t root_at_kept[TERRA_HASH_BYTES], terra_err *e);

/* Writes the ledger's tiles and checkpoint note into dir (terra_tiles_write). */
int terra_tlog_export_tiles(terra_home *h, const char *dir, uint64_t *written, int64_t *size,
                            terra_err *e);

/*
 * Verifies a tiles directory against the owner key pk: the checkpoint note,
 * every tile and entry bundle, the root, and each entry's seq and prev
 * chain. *size gets the tree size. The settlements themselves are
 * recomputed only by verify over the database or an ndjson export.
 */
int terra_tlog_verify_tiles(const char *dir, const uint8_t pk[TERRA_PK_BYTES], int64_t *size,
                            uint8_t root[TERRA_HASH_BYTES], terra_err *e);

/*
 * A holder's proof made for a kept note: adds to the proof record (from
 * terra_ledger_prove) "consistency": {"from": since, "path": [hex...]}, the
 * RFC 6962 proof from tree size `since` to the proof's checkpoint.
 */
int terra_tlog_prove_since(sqlite3 *db, json_t *proof, int64_t since, terra_err *e);
/*
 * Checks that a proof record's checkpoint (already verified by
 * terra_ledger_verify_proof) extends the kept note: not smaller (rollback),
 * the same root at the same size, or a consistency proof from the note's
 * size that verifies (else a fork). Kind TERRA_E_VERIFY.
 */
int terra_tlog_proof_extends(const json_t *proof, const terra_tlog_kept *k, terra_err *e);

#endif
