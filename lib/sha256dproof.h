#ifndef TERRA_SHA256DPROOF_H
#define TERRA_SHA256DPROOF_H
/*
 * What a sha256d usage record's evidence proves (terra-meter(1)): the
 * hashes its shares stand for, whose nonces they are, and that they are
 * fresh. The meter's workload dispatch (lib/usage.c) calls it for every
 * sha256d record, on either of its two paths.
 *
 * The rules, in order, each refusing the record with its reason:
 *   - share_bits in [1, TERRA_SHARE_BITS_MAX], roll >= 0, the nonces
 *     [nonce_start, nonce_start + work) inside [0, 2^40);
 *   - bound: a header of version TERRA_SHA256D_BOUND has the merkle root
 *     of the record's unit, job and roll (lib/pow.h); any other header was
 *     given by a job, never rolls (roll 0), and is bound by its nonces only;
 *   - fresh: the header's time T (seconds) is at most
 *     TERRA_SHA256D_AHEAD_S after the record's start, the record ends at
 *     most TERRA_SHA256D_LIFE_S after T, and T is not before the paid
 *     memory's horizon (lib/paid.h);
 *   - every share a nonce of the range, once, meeting share_bits;
 *   - the shares agree with the claimed work (terra_sha256dproof_agrees).
 * Proven hashes are shares x 2^share_bits.
 */
#include "pow.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* A header's time may run this far ahead of the record (Bitcoin's 2 hours). */
#define TERRA_SHA256D_AHEAD_S 7200
/* Evidence is used within a day of its header's time. */
#define TERRA_SHA256D_LIFE_S 86400

/* The evidence object, parsed; shares point into the caller's buffer. */
typedef struct terra_sha256d_ev {
	uint8_t header[TERRA_HEADER_BYTES];
	int64_t nonce_start, share_bits, roll;
	int64_t *shares;
	size_t nshares;
} terra_sha256d_ev;

/* The record around it. */
typedef struct terra_sha256d_claim {
	const char *unit, *job;
	int64_t work, start_us, end_us;
	int64_t horizon_s; /* evidence whose header time is earlier is refused (0: none) */
} terra_sha256d_claim;

/* What it proves. */
typedef struct terra_sha256d_proof {
	int64_t hashes; /* shares x 2^share_bits */
	uint8_t id[32]; /* SHA-256 of the header template: whose nonces */
	int64_t lo, hi; /* the nonces scanned, [lo, hi) */
	int64_t ntime;  /* the template's time, seconds */
} terra_sha256d_proof;

/*
 * Checks ev (its shares sorted in place) for claim c. Returns 0 with *p set,
 * or -1 with *why the reason, malloc'd ("bad share: ...", "evidence: ...",
 * "too few shares: ..."; NULL when out of memory).
 */
int terra_sha256dproof_check(const terra_sha256d_claim *c, terra_sha256d_ev *ev,
                             terra_sha256d_proof *p, char **why);

/*
 * Parses the evidence object of a usage record into ev; the shares go into
 * *buf (grown as needed, *cap entries). 0, or -1 with *why as above.
 */
int terra_sha256dproof_parse(const json_t *evidence, terra_sha256d_ev *ev, int64_t **buf,
                             size_t *cap, char **why);

/*
 * 1 when `shares` shares under `bits` agree with `work` hashes: with
 * E = work / 2^bits shares expected, |shares - E| <= 6 sqrt(E) + 6. An
 * honest count falls outside with probability below 2e-9 for every E.
 */
int terra_sha256dproof_agrees(int64_t work, int bits, int64_t shares);

#endif
