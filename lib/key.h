#ifndef TERRA_KEY_H
#define TERRA_KEY_H
/*
 * Ed25519 keys (libsodium). A secret key lives only in sodium_malloc'd
 * memory and is wiped by terra_key_wipe. Files: the secret key file holds
 * one line "terra-secret-key-v1 <128 hex chars>" (libsodium's 64-byte secret,
 * seed then public key), created 0600 with O_EXCL; the public key file one
 * line of 64 hex chars. A secret key file that group or others can read is
 * refused.
 */
#include "err.h"
#include "hex.h" /* terra_hex, terra_unhex: keys are written in hex */

#include <stddef.h>
#include <stdint.h>

#define TERRA_PK_BYTES  32
#define TERRA_SK_BYTES  64
#define TERRA_SIG_BYTES 64
#define TERRA_PK_HEX    65 /* 64 hex chars + NUL */
#define TERRA_SIG_HEX   129

typedef struct terra_key {
	uint8_t pk[TERRA_PK_BYTES];
	uint8_t *sk; /* TERRA_SK_BYTES, sodium_malloc'd; NULL for a public key only */
} terra_key;

int terra_key_generate(terra_key *k, terra_err *e);
/* Writes the secret (0600, O_EXCL unless `force`) and, if pk_path, the public key.
 * Every key file is written whole or not at all: with `force` a temporary
 * file is synced and renamed over the old one, and the directory synced. */
int terra_key_save(const terra_key *k, const char *sk_path, const char *pk_path, int force,
                   terra_err *e);
/* The public key file alone (0644), the same way. */
int terra_key_save_pub(const terra_key *k, const char *pk_path, int force, terra_err *e);
/* Loads a secret key file (refused if group/other can read it). */
int terra_key_load(terra_key *k, const char *sk_path, terra_err *e);
/* Loads a public key file into k->pk, k->sk = NULL. */
int terra_key_load_pub(terra_key *k, const char *pk_path, terra_err *e);
/* Wipes and frees the secret; safe on a zeroed or public-only key. */
void terra_key_wipe(terra_key *k);

int terra_key_sign(const terra_key *k, const void *msg, size_t len, uint8_t sig[TERRA_SIG_BYTES],
                   terra_err *e);
int terra_key_verify(const uint8_t pk[TERRA_PK_BYTES], const void *msg, size_t len,
                     const uint8_t sig[TERRA_SIG_BYTES]);

#define TERRA_KEY_ID_HEX 17
/* A short id for a public key, for people: the first 8 bytes of
 * BLAKE2b-256(pk) in hex. Never used where a full key must match. */
void terra_key_id(const uint8_t pk[TERRA_PK_BYTES], char out[TERRA_KEY_ID_HEX]);

#endif
