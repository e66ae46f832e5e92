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
#include <stddef.h>
#include <stdint.h>

#define TERRA_HEADER_BYTES 80
/* A share has 1 to this many leading zero bits: what terra-run looks for and
 * terra-meter accepts, one constant for both. */
#define TERRA_SHARE_BITS_MAX 32

/* Writes the header of nonce n from the template into out. */
void terra_sha256d_header(const uint8_t tmpl[TERRA_HEADER_BYTES], uint64_t n,
                          uint8_t out[TERRA_HEADER_BYTES]);
/* SHA-256(SHA-256(header of nonce n)). */
void terra_sha256d_hash(const uint8_t tmpl[TERRA_HEADER_BYTES], uint64_t n, uint8_t out[32]);
/* 1 when hash has at least `bits` leading zero bits as a LE 256-bit number. */
int terra_sha256d_meets(const uint8_t hash[32], int bits);

#endif
