#ifndef TERRA_USAGE_H
#define TERRA_USAGE_H
/*
 * The metering rules (terra-meter(1)) and the check of one usage record
 * against them, each on its own line, so any number of threads can check
 * lines at once (lib/meter.c through lib/batch.h). Two paths give the same
 * verdict: one reads the line in place in its written form (lib/canon.h),
 * the fast path for records as terra-run writes them; the other parses it
 * with jansson and words every fault; a line the first does not accept goes
 * to the second.
 */
#include "job.h"
#include "key.h"
#include "merkle.h"
#include "pow.h"
#include "unit.h"

#include <stddef.h>
#include <stdint.h>

/* sha256d: share_bits must lie in [1, TERRA_SHARE_BITS_MAX] (pow.h). */
/* Benchmark integer operations credited to one double SHA-256 for the rate
 * bound (a real one takes about 6000; see terra-meter(1) for the margin). */
#define TERRA_METER_SHA256D_OPS 64
/* sgemm: FLOPs per microsecond allowed per benchmarked MFLOPS. */
#define TERRA_METER_SGEMM_MARGIN 32
/* A job id the written-form path reads in place (a longer one: the other path). */
#define TERRA_USAGE_JOB_MAX 256
/* Hex digits of a signature kept per record to tell a duplicate from a replay. */
#define TERRA_USAGE_SIG_KEPT 32

/*
 * One key of a unit whose key was rotated (terra-records(5), unit_sig): it
 * signs the records that start in [from, until) with seqs in [seq_from,
 * seq_until), each counted up to until. The first key's from and seq_from
 * are INT64_MIN and 0, the current key's until and seq_until INT64_MAX.
 */
typedef struct terra_usage_key {
	uint8_t pub[TERRA_PK_BYTES];
	int64_t from, until, seq_from, seq_until;
} terra_usage_key;

/* A known unit, as the checks need it. A retired unit's records count up
 * to retired_at; one that starts there or later is refused. */
typedef struct terra_usage_unit {
	char id[TERRA_UNIT_ID_HEX];
	uint8_t unit_pub[TERRA_PK_BYTES]; /* the current key */
	int64_t int32_mops, fp32_mflops;
	int retired, has_retired_at;
	int64_t retired_at;
	/* a unit whose key was rotated: every key in order, the last unit_pub */
	const terra_usage_key *keys; /* NULL: never rotated */
	size_t nkeys;
} terra_usage_unit;

/* What the checks see: the units sorted by id (stride bytes apart, the
 * first at units) and the metered range [from, to). */
typedef struct terra_usage_rules {
	const void *units;
	size_t nunits, stride;
	int64_t from, to;
	int64_t horizon_s; /* evidence made before this is stale (lib/paid.h); 0: none */
} terra_usage_rules;

enum terra_usage_kind {
	TERRA_USAGE_BLANK, /* an empty line */
	TERRA_USAGE_BAD,   /* msg says why */
	TERRA_USAGE_PASS,  /* a record of another type */
	TERRA_USAGE_SKIP,  /* outside [from, to): not verified */
	TERRA_USAGE_OK,    /* a verified usage record, the fields below set */
};

typedef struct terra_usage_verdict {
	int kind;
	char *msg;   /* TERRA_USAGE_BAD: "usage record: why" (malloc'd; NULL: out of memory) */
	size_t unit; /* index among the rules' units */
	int64_t seq, start, end, busy, work;
	int64_t until; /* counted up to here: end, or earlier when the unit was retired
	                  or its key rotated out inside the record */
	char sig[TERRA_USAGE_SIG_KEPT];
	uint8_t leaf[TERRA_HASH_BYTES];
	int workload;   /* enum terra_workload */
	int64_t proven; /* the work its evidence proves: hashes, FLOPs; 0 for kernel */
	/* sha256d: the nonces [nonce_lo, nonce_hi) of the header SHA-256 header_id,
	 * whose time is ntime (lib/sha256dproof.h); sgemm: the rows of C
	 * [nonce_lo, nonce_hi) of the run whose work id is header_id, ntime
	 * the run's start in seconds (terra_sgemm_work_id) */
	int has_nonces;
	uint8_t header_id[32];
	int64_t nonce_lo, nonce_hi, ntime;
	/* kernel: the replicas its job asked for (1: not replicated); with more,
	 * the job's digest, the record's result and whether it is the job's last */
	int replicas, final;
	uint8_t job_digest[32], result[32];
} terra_usage_verdict;

/* Room one thread's checks reuse from line to line. */
typedef struct terra_usage_scratch terra_usage_scratch;
void terra_usage_scratch_free(terra_usage_scratch *sc);

/*
 * Checks one line (len bytes, NUL at line[len]) into u, which starts zeroed.
 * *sc is created on first use. With sc NULL only the jansson path runs (so
 * tests can hold the two paths against each other).
 */
void terra_usage_check(const terra_usage_rules *r, const char *line, size_t len,
                       terra_usage_verdict *u, terra_usage_scratch **sc);

/*
 * The part of `amount` (busy_us or work of a record over [start, end)) that
 * falls into grid cell `cell`, the cells being [origin + k*every,
 * origin + (k+1)*every) for every integer k. Each cell first gets
 * floor(amount * overlap / (end - start)); the units left over go one each to
 * the cells with the largest remainders, ties to the earlier cell. The parts
 * of all cells sum to amount exactly. start < end, every > 0, amount >= 0.
 */
/* The grid cell holding time t: floor((t - origin) / every). */
int64_t terra_meter_cell(int64_t t, int64_t origin, int64_t every);
int64_t terra_meter_part(int64_t amount, int64_t start, int64_t end, int64_t origin, int64_t every,
                         int64_t cell);
/*
 * The nonces of a sha256d record (has_nonces) credited to [t0, t1):
 * [nonce_lo + F(t0), nonce_lo + F(t1)) with F(t) = floor(work x (t - start)
 * / (end - start)), t clamped to [start, end]: the ranges of adjacent
 * intervals meet, so a record's nonces are credited once over any grid.
 */
void terra_meter_nonces(const terra_usage_verdict *it, int64_t t0, int64_t t1, int64_t *lo,
                        int64_t *hi);
/*
 * 1 when `work` in `busy_us` is within the benchmark: sha256d needs
 * work * TERRA_METER_SHA256D_OPS <= int32_mops * busy_us; sgemm needs
 * work <= TERRA_METER_SGEMM_MARGIN * fp32_mflops * busy_us. A bound of 0
 * (no benchmark) or another workload allows anything.
 */
int terra_meter_rate_ok(const char *workload, int64_t work, int64_t busy_us, int64_t int32_mops,
                        int64_t fp32_mflops);

#endif
