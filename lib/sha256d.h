#ifndef TERRA_SHA256D_H
#define TERRA_SHA256D_H
/*
 * Bitcoin-style double SHA-256 over 80-byte block headers (DESIGN 5), on the
 * host (share checks, tests) and through OpenCL (terra-run). Nonce n of a
 * scan: header bytes 76..79 = n & 0xffffffff (LE), header bytes 68..71
 * (ntime, LE) = template ntime + (n >> 32). The 32-byte hash is read as a
 * little-endian 256-bit number; it meets `bits` when that number is below
 * 2^(256 - bits).
 */
#include "err.h"

#include <CL/cl.h>
#include <stddef.h>
#include <stdint.h>

#define TERRA_HEADER_BYTES 80

/* Writes the header of nonce n from the template into out. */
void terra_sha256d_header(const uint8_t tmpl[TERRA_HEADER_BYTES], uint64_t n,
                          uint8_t out[TERRA_HEADER_BYTES]);
/* SHA-256(SHA-256(header of nonce n)). */
void terra_sha256d_hash(const uint8_t tmpl[TERRA_HEADER_BYTES], uint64_t n, uint8_t out[32]);
/* 1 when hash has at least `bits` leading zero bits as a LE 256-bit number. */
int terra_sha256d_meets(const uint8_t hash[32], int bits);

/*
 * The OpenCL scanner (terra-run). The host computes the midstate of the
 * header's first 64 bytes and the first rounds of the second block; each
 * work-item hashes VEC nonces (per nonce two compressions: the header's
 * second block, then the hash of its digest) as far as the hash's last word,
 * and reports those whose last word meets the share target; the host checks
 * each in full, so targets past 32 bits are exact too.
 */
typedef struct terra_sha256d_cl terra_sha256d_cl;

/* Builds the kernel for dev in ctx; work goes through queue. */
int terra_sha256d_cl_open(terra_sha256d_cl **s, cl_context ctx, cl_device_id dev,
                          cl_command_queue queue, terra_err *e);
void terra_sha256d_cl_close(terra_sha256d_cl *s);
/*
 * Hashes nonces [start, start + count) of tmpl and appends to shares (sorted,
 * each checked on the host) those meeting share_bits (1..64); *nshares is in/out,
 * max the capacity. Fails when more shares turn up than fit. busy_us (may be
 * NULL) gets the device time of the kernels, from profiling events when the
 * queue has them, -1 when it does not.
 */
int terra_sha256d_cl_scan(terra_sha256d_cl *s, const uint8_t tmpl[TERRA_HEADER_BYTES],
                          uint64_t start, uint64_t count, int share_bits, uint64_t *shares,
                          size_t max, size_t *nshares, int64_t *busy_us, terra_err *e);

#endif
