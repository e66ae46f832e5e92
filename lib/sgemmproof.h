#ifndef TERRA_SGEMMPROOF_H
#define TERRA_SGEMMPROOF_H
/*
 * What an sgemm result proves, and its check without the provider
 * (terra-records(5), terra-meter(1)). C = A x B in FP32, A m x k and B k x n,
 * row-major. A and B come from a 64-bit state: splitmix64 gives A's elements
 * in row-major order then B's, each output x becoming the float
 * (x >> 40) / 2^23 - 1, exactly, in [-1, 1). The state is drawn from the
 * job's seed, the unit, the job and the run's start time, so no two runs
 * compute the same C.
 *
 * The provider commits to the rows [row_start, row_end) of C it computed in
 * a stretch: each row is cut into pieces of TERRA_SGEMM_PIECE columns (the
 * last may be shorter), a piece's leaf hash is RFC 6962's over its values as
 * little-endian IEEE-754 binary32, the row's root is the Merkle root of its
 * pieces, the row's leaf is SHA-256(0x00 || row root), and the stretch's root
 * is the Merkle root of the row leaves (lib/merkle.h). Only then is the
 * challenge known: a double SHA-256 over a header that holds the root and
 * everything the record is (unit, job, seq, the sizes, the rows), with a
 * nonce that makes the hash meet terra_sgemm_grind_bits(work) leading zero
 * bits, so trying another root costs about work / 2^17 double SHA-256s.
 * The hash makes TERRA_SGEMM_CHALLENGES draws (with replacement), each a
 * piece and a column within it; the evidence opens each picked piece once:
 * its values, its row's root and both inclusion paths. The verifier checks
 * the paths, regenerates row i of A and column j of B for each draw's
 * element and checks |c_ij - a_i . b_j| <= TERRA_SGEMM_TOLERANCE u |a_i|
 * |b_j|, u = 2^-24: FP32 rounding in any summation order stays far inside,
 * a wrong element or a lower precision (TF32, BF16) does not. With n a
 * multiple of the piece, every element of the stretch is drawn alike, so a
 * fraction f of wrong elements passes with probability (1 - f)^64.
 */
#include "err.h"
#include "merkle.h"
#include "pow.h"

#include <jansson.h>
#include <stdint.h>

#define TERRA_SGEMM_DIM_MAX     65536
#define TERRA_SGEMM_PIECE       64 /* columns a leaf holds */
#define TERRA_SGEMM_CHALLENGES  64 /* elements a record's challenge draws (with replacement) */
#define TERRA_SGEMM_TOLERANCE   16 /* in units of u |a_i| |b_j| */
#define TERRA_SGEMM_GRIND_SHIFT 17 /* 2^bits >= work / 2^17 */

/* What a stretch's evidence is bound to: the record and the inputs. */
typedef struct terra_sgemm_claim {
	const char *unit, *job;
	const char *started; /* the run's start, as written in the evidence */
	int64_t seq, seed;
	int64_t m, n, k;
	int64_t row_start, row_end;
} terra_sgemm_claim;

/* The generator's state for a run (see above). */
uint64_t terra_sgemm_state(int64_t seed, const char *unit, const char *job, const char *started);
/* Element i of the stream from state (A's m k elements, then B's k n). */
float terra_sgemm_value(uint64_t state, uint64_t i);

/* Pieces in a row of n columns. */
int64_t terra_sgemm_pieces(int64_t n);
/* The leaf of a row of n values (each piece hashed, their root, 0x00 || root
 * hashed); pieces gets each piece's leaf hash (terra_sgemm_pieces(n) of
 * them) and root the row's root when not NULL. */
void terra_sgemm_row_leaf(const float *row, int64_t n, uint8_t (*pieces)[TERRA_HASH_BYTES],
                          uint8_t root[TERRA_HASH_BYTES], uint8_t leaf[TERRA_HASH_BYTES]);

/* Leading zero bits the challenge hash needs for `work` flops:
 * ceil(log2 work) - 17, at least 0. */
int terra_sgemm_grind_bits(int64_t work);
/* The header whose double SHA-256 (nonce in it, lib/pow.h) is the challenge. */
void terra_sgemm_header(const terra_sgemm_claim *c, const uint8_t root[TERRA_HASH_BYTES],
                        uint8_t tmpl[TERRA_HEADER_BYTES]);
/* The first nonce from 0 whose hash meets bits, on the host (small works). */
uint64_t terra_sgemm_grind(const uint8_t tmpl[TERRA_HEADER_BYTES], int bits);
/* The pieces a challenge picks, as indexes row * pieces + piece among the
 * stretch's `leaves` pieces of rows of n columns, in the order drawn, and
 * for each the column (0 to n - 1, within that piece) of the element it
 * checks. */
void terra_sgemm_challenges(const uint8_t challenge[32], uint64_t leaves, int64_t n,
                            uint64_t picked[TERRA_SGEMM_CHALLENGES],
                            int64_t column[TERRA_SGEMM_CHALLENGES]);

/* Reads row `row` (absolute) of C into out (n values), for the evidence. */
typedef int (*terra_sgemm_row_fn)(void *ctx, int64_t row, float *out, terra_err *e);
/*
 * The evidence of a stretch into ev: "started", "root", "nonce" and
 * "opened", beside the sizes, seed and rows the caller sets. row_leaves
 * are the stretch's row leaves (row_end - row_start of them); nonce meets
 * the grind bits of the stretch's work.
 */
int terra_sgemm_evidence(const terra_sgemm_claim *c, const uint8_t (*row_leaves)[TERRA_HASH_BYTES],
                         uint64_t nonce, terra_sgemm_row_fn read, void *ctx, json_t *ev,
                         terra_err *e);

/*
 * Checks the sgemm evidence of a usage record (its signature is the
 * caller's): *work gets the flops it proves, 2 (row_end - row_start) n k,
 * which the record's "work" must equal. Fails with TERRA_E_VERIFY (or
 * TERRA_E_INPUT for a malformed field, TERRA_E_SYS for memory), e->msg
 * saying why. Thread-safe; costs 2 k values of the generator a draw.
 */
int terra_sgemm_evidence_check(const json_t *rec, int64_t *work, terra_err *e);

/*
 * What names a checked record's work for the replay memory (lib/paid.h):
 * id the SHA-256 of the run's inputs (seed, unit, job, started, m, n, k),
 * so the same product has the same id whoever signs it and under any seq;
 * [*row_lo, *row_hi) the rows of C it proves, *started_s the run's start
 * in seconds (its evidence is stale once the settlement host forgets that
 * far back). Call after terra_sgemm_evidence_check passed.
 */
int terra_sgemm_work_id(const json_t *rec, uint8_t id[32], int64_t *row_lo, int64_t *row_hi,
                        int64_t *started_s, terra_err *e);

#endif
