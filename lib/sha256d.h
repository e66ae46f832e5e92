#ifndef TERRA_SHA256D_H
#define TERRA_SHA256D_H
/*
 * Double SHA-256 over block headers through OpenCL (terra-run). The host
 * side (header, hash, target check) is lib/pow.h, included here so callers
 * of the scanner have both; accounting includes pow.h alone.
 */
#include "err.h"
#include "pow.h"

#include <CL/cl.h>
#include <stddef.h>
#include <stdint.h>

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
