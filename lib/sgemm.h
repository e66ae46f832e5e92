#ifndef TERRA_SGEMM_H
#define TERRA_SGEMM_H
/*
 * The sgemm workload (terra-run(1), terra-records(5)): C = A x B in FP32,
 * A m x k and B k x n, row-major, filled from a seed: splitmix64 from state `seed` gives A's
 * elements in row-major order then B's; each 64-bit output x becomes the
 * float (x >> 40) / 2^23 - 1, exactly, in [-1, 1).
 *
 * C is computed on the device in panels of rows; the host checks every
 * panel with Freivalds' algorithm (TERRA_SGEMM_ROUNDS random vectors with
 * entries of magnitude in [1, 2), so a single wrong element moves the check
 * by more than its own error) before it counts as work. The digest of a
 * stretch of rows is SHA-256 over their bytes (little-endian float32,
 * row-major); over all rows it is the digest of C.
 */
#include "err.h"

#include <CL/cl.h>
#include <stdint.h>

#define TERRA_SGEMM_ROUNDS  4
#define TERRA_SGEMM_DIM_MAX 65536

typedef struct terra_sgemm terra_sgemm;

/* Element i of the seeded stream (A then B), for checks on the host. */
float terra_sgemm_value(uint64_t seed, uint64_t i);

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
/* 1 when every row of C is done. */
int terra_sgemm_done(const terra_sgemm *g);
/*
 * Ends the current stretch: the digest of the rows done since the last call,
 * and their range [*row_start, *row_end).
 */
void terra_sgemm_take(terra_sgemm *g, uint8_t digest[32], int64_t *row_start, int64_t *row_end);

#endif
