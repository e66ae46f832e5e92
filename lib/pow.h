#ifndef TERRA_POW_H
#define TERRA_POW_H
/*
 * Bitcoin-style double SHA-256 over 80-byte block headers (terra-records(5),
 * usage), on the host: what checking a share needs, without the OpenCL scanner
 * (lib/sha256d.h) and its headers. Nonce n of a scan: header bytes 76..79 =
 * n & 0xffffffff (LE), header bytes 68..71 (ntime, LE) = template ntime +
 * (n >> 32). The 32-byte hash is read as a little-endian 256-bit number; it
 * meets `bits` when that number is below 2^(256 - bits).
 */
#include "sha256.h"

#include <stddef.h>
#include <stdint.h>

#define TERRA_HEADER_BYTES 80
/* A share has 1 to this many leading zero bits: what terra-run looks for and
 * terra-meter accepts, one constant for both. */
#define TERRA_SHARE_BITS_MAX 32

/*
 * Headers the toolkit makes are bound to their unit, job and roll, so their
 * evidence is theirs alone (terra-records(5)): version TERRA_SHA256D_BOUND
 * (bytes 0..3, little-endian), a zero previous hash, as merkle root
 * SHA-256("terra-sha256d-v2" 0x00 unit 0x00 job 0x00 roll as 8 bytes LE),
 * as time the second the roll began, bits 0x1d00ffff. A roll is one such
 * header: terra-run starts roll r + 1 when roll r's 2^40 nonces run out or
 * it is TERRA_SHA256D_ROLL_S old.
 */
#define TERRA_SHA256D_BOUND  0x32617274u /* "tra2" */
#define TERRA_SHA256D_ROLL_S 3600
/* Nonces per template: the header's time moves on by one second per 2^32. */
#define TERRA_SHA256D_NONCES (INT64_C(1) << 40)

void terra_sha256d_bound_root(const char *unit, const char *job, int64_t roll, uint8_t root[32]);
void terra_sha256d_bound_header(const char *unit, const char *job, int64_t roll, uint32_t ntime,
                                uint8_t out[TERRA_HEADER_BYTES]);
/* The template's version and time fields. */
uint32_t terra_sha256d_version(const uint8_t tmpl[TERRA_HEADER_BYTES]);
uint32_t terra_sha256d_time(const uint8_t tmpl[TERRA_HEADER_BYTES]);

/* Writes the header of nonce n from the template into out. */
void terra_sha256d_header(const uint8_t tmpl[TERRA_HEADER_BYTES], uint64_t n,
                          uint8_t out[TERRA_HEADER_BYTES]);
/* SHA-256(SHA-256(header of nonce n)). */
void terra_sha256d_hash(const uint8_t tmpl[TERRA_HEADER_BYTES], uint64_t n,
                        uint8_t out[TERRA_HASH_BYTES]);
/* 1 when hash has at least `bits` leading zero bits as a LE 256-bit number. */
int terra_sha256d_meets(const uint8_t hash[TERRA_HASH_BYTES], int bits);

#endif
