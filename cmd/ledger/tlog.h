#ifndef TERRA_CMD_LEDGER_TLOG_H
#define TERRA_CMD_LEDGER_TLOG_H
/*
 * terra-ledger's transparency-log commands (cmd/ledger/tlog.c, linked into
 * terra-ledger only): vkey, checkpoint, consistency, inclusion, export -f
 * tiles, verify --since and --tiles, and the witness mode.
 */
#include "lib/err.h"
#include "lib/note.h"
#include "lib/tlog.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>

struct tlog_opts {
	const char *home;
	const char *pubkey;
	const char *since;  /* verify --since NOTE */
	const char *tiles;  /* verify --tiles DIR */
	const char *size;   /* checkpoint --size N */
	const char *quorum; /* verify --quorum K */
	const char *witness[63];
	unsigned nwitness;
};

/* vkey | checkpoint | consistency OLD [NEW] | inclusion SEQ [SIZE]. */
int tlog_cmd(const struct tlog_opts *o, const char *usage_text, const char *sub, char **args,
             int nargs);
/* export -f tiles DIR. */
int tlog_export_tiles(const struct tlog_opts *o, const char *dir);
/* Opens the note of --since with the --witness keys and --quorum (a bad
 * key or quorum is a usage error); -1 and e when it does not hold. */
int tlog_kept(const struct tlog_opts *o, const char *usage_text, const uint8_t pk[32],
              terra_tlog_kept *kept, terra_err *e);
/* verify with --since or --tiles (the plain verify otherwise is the caller's). */
int tlog_verify(const struct tlog_opts *o, const char *usage_text);
/* prove --since NOTE: adds the consistency proof from the note's size; -1 on error (printed). */
int tlog_prove_since(const struct tlog_opts *o, sqlite3 *db, const uint8_t pk[32], json_t *proof);
/* verify-proof --since NOTE: the proof's checkpoint extends the note (e filled otherwise). */
int tlog_proof_extends(const struct tlog_opts *o, const uint8_t pk[32], const json_t *proof,
                       terra_err *e);
/* witness WDIR init NAME | vkey | trust VKEY | add-checkpoint [FILE]. */
int tlog_witness(const char *usage_text, char **args, int nargs);

#endif
