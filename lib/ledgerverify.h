#ifndef TERRA_LEDGERVERIFY_H
#define TERRA_LEDGERVERIFY_H
/*
 * The ordered pass of a ledger verification (lib/ledger.h), shared by the
 * home's (lib/ledgerverify.c) and an export's (lib/exportverify.c): the
 * state fed entries and checkpoints in order. Rows are checked on their own
 * first, on worker threads (lib/ledgerrow.h); a row that passed those
 * checks takes the _take steps, any other the full ones, which find its
 * fault and word it.
 */
#include "acctmap.h"
#include "buf.h"
#include "err.h"
#include "key.h"
#include "ledger.h"
#include "ledgerint.h"
#include "ledgerrow.h"
#include "merkle.h"
#include "settlecover.h"

#include <jansson.h>
#include <stdint.h>

typedef struct terra_verifier {
	uint8_t pk[TERRA_PK_BYTES];
	const char *keyname; /* where pk came from, for the pin's message: "owner.pub's key" */
	int pinned;          /* entry 1's prev is pk (0: a ledger begun before pins) */
	char origin[TERRA_ORIGIN_MAX];
	int64_t n;           /* entries verified */
	int64_t checkpoints; /* checkpoints verified (sizes 1..checkpoints) */
	int64_t settlements;
	uint8_t prev[TERRA_HASH_BYTES]; /* leaf hash of entry n */
	terra_merkle_acc acc;           /* tree of entries 1..n */
	terra_acctmap balances;         /* account -> base units */
	terra_buf line;
	int64_t carry;                        /* carry_out of the last settlement verified */
	terra_settle_periods *periods;        /* settled so far: none may overlap */
	int64_t since_size;                   /* the caller's kept checkpoint size, or -1 */
	uint8_t since_root[TERRA_HASH_BYTES]; /* the root of entries 1..since_size */
	int threads;                          /* for the checks of rows on their own */
} terra_verifier;

int terra_verifier_init(terra_verifier *v, const uint8_t pk[TERRA_PK_BYTES], int64_t since,
                        terra_err *e);
void terra_verifier_free(terra_verifier *v);
/* What was verified, into rep (the balances as their count). */
void terra_verifier_report(terra_verifier *v, terra_ledger_report *rep);

/*
 * One entry, every check: seq in order, canonical payload, prev hash, leaf
 * hash (when stored_leaf is given), then its kind's own checks. *payload_out
 * gets the parsed payload.
 */
int terra_verifier_entry(terra_verifier *v, int64_t seq, const char *kind, const char *ptext,
                         size_t plen, const uint8_t *prev, const char *created_at,
                         const uint8_t *stored_leaf, json_t **payload_out, terra_err *e);
/* An entry that passed its own checks: what depends on the order. */
int terra_verifier_take(terra_verifier *v, const terra_ledger_row *r, terra_err *e);

/* The checkpoint of the next size, every check: signed by the owner, its
 * origin, size and root those of the entries verified so far. */
int terra_verifier_checkpoint(terra_verifier *v, const json_t *cp, terra_err *e);
/* A checkpoint that passed its own checks: its size and root in order. */
int terra_verifier_checkpoint_take(terra_verifier *v, int64_t size,
                                   const uint8_t root[TERRA_HASH_BYTES], terra_err *e);

/* A settlement recomputed from its inputs, the carry chain, its postings. */
int terra_verifier_settlement(terra_verifier *v, const json_t *payload, const json_t *inputs,
                              const void *snap, size_t len, int64_t seq, terra_err *e);

#endif
