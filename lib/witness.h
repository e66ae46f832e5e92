#ifndef TERRA_WITNESS_H
#define TERRA_WITNESS_H
/*
 * A witness (C2SP tlog-witness, tlog-cosignature): it cosigns a log's
 * checkpoint only when it is consistent with the last one it cosigned for
 * that log, so two views of one ledger can never both carry its
 * cosignature. Its home is a directory of its own:
 *   name          the witness's key name (one line)
 *   witness.key   its Ed25519 secret (terra-secret-key-v1, 0600)
 *   witness.pub   its public key
 *   logs          the vkeys of the logs it witnesses, one a line
 *   state/<h>     per log (h: SHA-256 hex of the origin) the latest
 *                 cosigned "origin\nsize\nroot\n", replaced by rename
 *   lock          held (flock) from reading a state to replacing it
 */
#include "err.h"
#include "note.h"

#include <stddef.h>
#include <stdint.h>

/* The answers of add-checkpoint, by the HTTP status the protocol gives them. */
enum terra_witness_answer {
	TERRA_WITNESS_COSIGNED = 200,
	TERRA_WITNESS_BAD_REQUEST = 400,
	TERRA_WITNESS_FORBIDDEN = 403, /* no signature of a known log key verifies */
	TERRA_WITNESS_UNKNOWN = 404,   /* no log of that origin is witnessed */
	TERRA_WITNESS_CONFLICT = 409,  /* old size is not the size last cosigned, or a fork */
	TERRA_WITNESS_BAD_PROOF = 422, /* the consistency proof does not verify */
};

/* Creates a witness home: directory (0700), key pair and name. */
int terra_witness_init(const char *dir, const char *name, terra_err *e);
/* The witness's cosignature vkey (type 0x04). */
int terra_witness_vkey(const char *dir, char out[TERRA_NOTE_VKEY_MAX], terra_err *e);
/* Adds a log's vkey (type 0x01) to the logs it witnesses. */
int terra_witness_trust(const char *dir, const char *vkey, terra_err *e);

/*
 * Answers an add-checkpoint request req[0..len): "old <size>\n", up to 63
 * consistency proof lines (base64), a blank line, the checkpoint note.
 * *answer gets the protocol's answer; *body (malloc'd) what it returns:
 * the cosignature line for COSIGNED, "<size>\n" for CONFLICT, else a
 * reason. `now` is the cosignature's POSIX time. Returns -1 only when the
 * witness itself fails (its home, a write): then nothing was cosigned and
 * its state is the one before.
 */
int terra_witness_add(const char *dir, const char *req, size_t len, uint64_t now,
                      enum terra_witness_answer *answer, char **body, terra_err *e);

#endif
