#ifndef TERRA_SGEMM_H
#define TERRA_SGEMM_H
/*
 * The sgemm workload (terra-run(1), terra-records(5)): C = A x B in FP32,
 * A m x k and B k x n, row-major, filled from a generator state
 * (lib/sgemmproof.h).
 *
 * C is computed on the device in panels of rows; the host checks every
 * panel with Freivalds' algorithm (TERRA_SGEMM_ROUNDS random vectors with
 * entries of magnitude in [1, 2), so a single wrong element moves the check
 * by more than its own error) before it counts as work. The digest of a
 * stretch of rows is SHA-256 over their bytes (little-endian float32,
 * row-major); over all rows it is the digest of C.
 */
#include "err.h"
#include "sha256.h"
#include "sgemmproof.h"

#include <CL/cl.h>
#include <jansson.h>
#include <stdint.h>

#define TERRA_SGEMM_ROUNDS 4

typedef struct terra_sgemm terra_sgemm;

/*
 * Fills A and B, allocates the device buffers (TERRA_E_DEVICE naming the
 * size when the device refuses one) and builds the kernel.
 */
int terra_sgemm_open(terra_sgemm **g, cl_context ctx, cl_device_id dev, cl_command_queue queue,
                     int64_t m, int64_t n, int64_t k, uint64_t seed, terra_err *e);
void terra_sgemm_close(terra_sgemm *g);
/*
 * Computes and checks the next panel of rows. *work gets its flops
 * (2 * rows * n * k) and *busy_us the device time its kernels took. A panel
 * that fails the check is an error (TERRA_E_VERIFY): no work is counted.
 */
int terra_sgemm_step(terra_sgemm *g, int64_t *work, int64_t *busy_us, terra_err *e);
/* Starts over from row 0, for a benchmark that times more panels than the
 * product has rows: the stretch so far is dropped. */
void terra_sgemm_rewind(terra_sgemm *g);
/* 1 when every row of C is done. */
int terra_sgemm_done(const terra_sgemm *g);
/*
 * Ends the current stretch: the digest of the rows done since the last call
 * (SHA-256 over them as little-endian binary32, row-major) and its evidence
 * into ev (sgemmproof.h), for the claim c whose unit, job, started, seq and
 * seed the caller has set; the sizes and the rows are set here. Grinding the
 * challenge runs on the host for small stretches, else on the device.
 */
int terra_sgemm_take(terra_sgemm *g, terra_sgemm_claim *c, uint8_t digest[32], json_t *ev,
                     terra_err *e);

#endif
