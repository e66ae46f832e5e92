#ifndef TERRA_HEX_H
#define TERRA_HEX_H
/*
 * Hex, the toolkit's one implementation: keys, signatures, hashes and ids
 * are written as lowercase hex. libsodium's constant-time coders do the
 * work (a secret key is decoded too), except terra_unhex_lower, for the
 * bulk of public data a verifier reads (records, evidence, exports).
 */
#include "err.h"

#include <stddef.h>
#include <stdint.h>

/* Lowercase hex of n bytes into out, which has room for 2n + 1 (the NUL). */
void terra_hex(const uint8_t *in, size_t n, char *out);
/* Exactly 2n hex digits (either case), NUL-terminated, into n bytes;
 * "bad hex: want 2n hex characters" otherwise. */
int terra_unhex(const char *hex, uint8_t *out, size_t n, terra_err *e);
/* The same over hex[0, len), no message: 0, or -1 when it is not 2n digits. */
int terra_unhex_n(const char *hex, size_t len, uint8_t *out, size_t n);
/*
 * Exactly 2n lowercase hex digits, hex[0, len), into n bytes: 0, or -1 (out
 * then holds garbage). A table lookup per digit, several times faster than
 * the constant-time coder and not constant-time: for public data only
 * (hashes, signatures, evidence), never a secret key.
 */
int terra_unhex_lower(const char *hex, size_t len, uint8_t *out, size_t n);
/* 1 when hex[0, len) are all lowercase hex digits (the written form). */
int terra_hex_is_lower(const char *hex, size_t len);

#endif
