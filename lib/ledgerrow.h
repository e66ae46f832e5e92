#ifndef TERRA_LEDGERROW_H
#define TERRA_LEDGERROW_H
/*
 * The checks of a ledger verification that need no order: one entry or one
 * checkpoint on its own, so lib/ledgerverify.c runs them on worker threads
 * (lib/batch.h) and keeps for its one ordered pass only what depends on the
 * entries before: seqs, prev hashes, checkpoint sizes and roots, postings,
 * settlements.
 *
 * The fast checks read the form the toolkit writes (lib/canon.h), without a
 * tree, and say only "all of these hold": a row they refuse is verified
 * again in full by the ordered pass, which finds its fault and words it as
 * it always has.
 */
#include "buf.h"
#include "err.h"
#include "key.h"
#include "merkle.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define TERRA_LEDGER_KIND_MAX 16 /* the longest kind name and its NUL */

/* What the ordered pass takes of an entry that passed its own checks. */
typedef struct terra_ledger_row {
	int64_t seq;
	char kind[TERRA_LEDGER_KIND_MAX];
	uint8_t prev[TERRA_HASH_BYTES];
	uint8_t leaf[TERRA_HASH_BYTES];
	json_t *payload; /* parsed when the ordered pass needs it, else NULL */
} terra_ledger_row;

/*
 * An entry's own checks: a known kind, created_at a time, payload canonical,
 * its leaf hash (equal to stored_leaf unless that is NULL), and a unit,
 * transfer or retire entry's unit record signed. line: room for the entry
 * line. Returns 1 when all hold, with r->leaf and r->payload (a payment's or
 * settlement's); 0 otherwise.
 */
int terra_ledger_entry_fast(int64_t seq, const char *kind, const char *payload, size_t plen,
                            const uint8_t prev[TERRA_HASH_BYTES], const char *created_at,
                            const uint8_t *stored_leaf, terra_buf *line, terra_ledger_row *r);

/*
 * An entry record of an export, text[0, len): the same checks, and the line
 * exactly the canonical entry record. Returns 1 with *r filled, 0 when it is
 * not an entry record or any check fails.
 */
int terra_ledger_entry_line_fast(const char *text, size_t len, terra_buf *line,
                                 terra_ledger_row *r);

/* What the ordered pass takes of a checkpoint that passed its own checks;
 * the offsets are into its body. */
typedef struct terra_ledger_cp {
	int64_t size;
	uint8_t root[TERRA_HASH_BYTES];
	size_t signer, signer_len, sig, sig_len;
} terra_ledger_cp;

/*
 * A checkpoint body in written form, body[0, len): type "checkpoint", v 1,
 * an integer size, origin, a root, signed by pk. scratch: room for len
 * bytes. Returns 1 when all hold, with *cp filled; 0 otherwise.
 */
int terra_ledger_checkpoint_fast(const char *body, size_t len, const uint8_t pk[TERRA_PK_BYTES],
                                 const char *origin, char *scratch, terra_ledger_cp *cp);

/* The unit record of a unit, transfer or retire entry: its signature and
 * signer rule (the previous owner for a transfer, else the owner). */
int terra_ledger_unit_check(const json_t *payload, int64_t seq, terra_err *e);

#endif
