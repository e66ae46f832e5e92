#ifndef TERRA_NOTE_H
#define TERRA_NOTE_H
/*
 * Signed notes (C2SP signed-note v1.0.0), the checkpoints written in them
 * (C2SP tlog-checkpoint) and witness cosignatures on those (C2SP
 * tlog-cosignature, Ed25519 "cosignature/v1").
 *
 * A note is a text ending in a newline, a blank line, then one or more
 * signature lines "— <key name> <base64(key id || signature)>". The key id
 * is SHA-256(name || 0x0A || type || public key)[:4], big-endian; type 0x01
 * signs the text with Ed25519, type 0x04 signs
 * "cosignature/v1\ntime <T>\n" || text and puts the 8-byte big-endian T
 * before the signature. A verifier key ("vkey") is
 * "<name>+<8 hex digits of the key id>+<base64(type || public key)>", the
 * form golang.org/x/mod/sumdb/note reads.
 */
#include "err.h"
#include "key.h"
#include "sha256.h"

#include <stddef.h>
#include <stdint.h>

#define TERRA_NOTE_MAX      65536 /* a longer note is refused */
#define TERRA_NOTE_MAX_SIGS 64    /* the spec asks for at least 16 */
#define TERRA_NOTE_NAME_MAX 256   /* key names, origins */
#define TERRA_NOTE_LINE_MAX 512   /* one signature line, newline included */
#define TERRA_NOTE_VKEY_MAX 400

enum { TERRA_NOTE_ED25519 = 0x01, TERRA_NOTE_COSIGNATURE = 0x04 };

typedef struct terra_note_key {
	char name[TERRA_NOTE_NAME_MAX];
	uint8_t type; /* TERRA_NOTE_ED25519 or TERRA_NOTE_COSIGNATURE */
	uint8_t pk[TERRA_PK_BYTES];
	uint32_t id;
} terra_note_key;

/* Fills k, computing its id; refuses an empty name or one with a space or '+'. */
int terra_note_key_init(terra_note_key *k, const char *name, uint8_t type,
                        const uint8_t pk[TERRA_PK_BYTES], terra_err *e);
/* The vkey of k into out (TERRA_NOTE_VKEY_MAX bytes). */
void terra_note_vkey(const terra_note_key *k, char out[TERRA_NOTE_VKEY_MAX]);
/* Parses a vkey (trailing newline allowed); checks that its id is the one its name, type and key
 * give. */
int terra_note_vkey_parse(const char *s, terra_note_key *k, terra_err *e);

/*
 * One signature line (newline-terminated, NUL-terminated) over the note text
 * text[0..len) by k with secret sk (libsodium's 64 bytes). For a cosignature,
 * timestamp is the POSIX time it states. The text must be a valid note text.
 */
int terra_note_sign(const char *text, size_t len, const terra_note_key *k, const uint8_t *sk,
                    uint64_t timestamp, char line[TERRA_NOTE_LINE_MAX], terra_err *e);

/* What terra_note_open found. */
typedef struct terra_note {
	size_t text_len;    /* the text is msg[0..text_len), final newline included */
	size_t sigs_at;     /* offset of the first signature line */
	size_t nsigs;       /* signature lines, known or not */
	uint64_t verified;  /* bit i: keys[i] signed and verified */
	uint64_t times[64]; /* for cosignature keys: the timestamp signed */
} terra_note;

/*
 * Opens a signed note msg[0..len): its form (UTF-8, no control characters
 * but newline, at most TERRA_NOTE_MAX bytes and TERRA_NOTE_MAX_SIGS
 * signatures, canonical base64), then every signature whose name and id
 * match one of keys (at most 64) is verified. Signatures of other keys are
 * ignored. A known signature that fails, or no known signature at all,
 * fails the note. Every failure has kind TERRA_E_VERIFY.
 */
int terra_note_open(const char *msg, size_t len, const terra_note_key *keys, size_t nkeys,
                    terra_note *n, terra_err *e);

/* A checkpoint's text: origin, tree size, root (and extension lines, kept as they are). */
typedef struct terra_checkpoint {
	char origin[TERRA_NOTE_NAME_MAX];
	uint64_t size;
	uint8_t root[TERRA_HASH_BYTES];
} terra_checkpoint;

/* Writes "origin\nsize\nbase64(root)\n" into out (cap bytes); *len gets its length. */
int terra_checkpoint_text(const terra_checkpoint *c, char *out, size_t cap, size_t *len,
                          terra_err *e);
/* Parses a checkpoint text (the text of an opened note): three lines, then
 * non-empty extension lines. Decimal size without leading zeroes. */
int terra_checkpoint_parse(const char *text, size_t len, terra_checkpoint *c, terra_err *e);

/* Canonical base64 (RFC 4648 section 4, padded): *n gets the bytes decoded.
 * Refuses any spelling that does not re-encode to the same text. */
int terra_b64_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *n);
/* base64 of n bytes into out (sodium_base64_ENCODED_LEN bytes, NUL included). */
void terra_b64_encode(const uint8_t *in, size_t n, char *out, size_t cap);

#endif
