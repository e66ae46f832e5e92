#ifndef TERRA_HEX_H
#define TERRA_HEX_H
/*
 * Hex, the toolkit's one implementation: keys, signatures, hashes and ids
 * are written as lowercase hex. libsodium's constant-time coders do the
 * work (a secret key is decoded too).
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
/* 1 when hex[0, len) are all lowercase hex digits (the written form). */
int terra_hex_is_lower(const char *hex, size_t len);

#endif
