#include "sha256dproof.h"

#include "hex.h"
#include "record.h"
#include "sha256.h"
#include "time.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

static int refuse(char **why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(char **why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(why, fmt, ap) < 0)
		*why = NULL;
	va_end(ap);
	return -1;
}

int terra_sha256dproof_agrees(int64_t work, int bits, int64_t shares)
{
	double expected = ldexp((double)work, -bits), slack = 6.0 * sqrt(expected) + 6.0;

	return !((double)shares < expected - slack || (double)shares > expected + slack);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Seconds, rounded down, of a time in microseconds. */
static int64_t seconds(int64_t us)
{
	return us / TERRA_US_PER_S - (us % TERRA_US_PER_S < 0);
}

static int check_binding(const terra_sha256d_claim *c, const terra_sha256d_ev *ev, char **why)
{
	uint8_t root[32];

	if (terra_sha256d_version(ev->header) != TERRA_SHA256D_BOUND) {
		if (ev->roll != 0)
			return refuse(why,
			              "evidence: roll %lld of a header given by a job (only "
			              "the toolkit's headers roll)",
			              (long long)ev->roll);
		return 0;
	}
	terra_sha256d_bound_root(c->unit, c->job, ev->roll, root);
	if (memcmp(root, ev->header + 36, sizeof root))
		return refuse(why,
		              "evidence: header not bound to unit '%s', job '%s', roll %lld (its "
		              "merkle root is another's)",
		              c->unit, c->job, (long long)ev->roll);
	return 0;
}

static int check_fresh(const terra_sha256d_claim *c, int64_t t, char **why)
{
	char when[TERRA_TIME_MAX];

	terra_time_format(t * TERRA_US_PER_S, when);
	if (t > seconds(c->start_us) + TERRA_SHA256D_AHEAD_S)
		return refuse(why,
		              "evidence from the future: header time %s is more than %d s after "
		              "the record's start",
		              when, TERRA_SHA256D_AHEAD_S);
	if (seconds(c->end_us - 1) - t >= TERRA_SHA256D_LIFE_S)
		return refuse(why,
		              "stale evidence: the record ends %d s or more after its header "
		              "time %s",
		              TERRA_SHA256D_LIFE_S, when);
	if (t < c->horizon_s) {
		char horizon[TERRA_TIME_MAX];

		terra_time_format(c->horizon_s * TERRA_US_PER_S, horizon);
		return refuse(why,
		              "stale evidence: header time %s is before %s, the paid evidence "
		              "kept",
		              when, horizon);
	}
	return 0;
}

int terra_sha256dproof_check(const terra_sha256d_claim *c, terra_sha256d_ev *ev,
                             terra_sha256d_proof *p, char **why)
{
	const int64_t limit = TERRA_SHA256D_NONCES;
	uint8_t hash[32];
	size_t i, n = ev->nshares;
	int bits = (int)ev->share_bits;
	u128 proven;

	*why = NULL;
	if (ev->share_bits < 1 || ev->share_bits > TERRA_SHARE_BITS_MAX)
		return refuse(why, "bad share: share_bits %lld is not in [1, %d]",
		              (long long)ev->share_bits, TERRA_SHARE_BITS_MAX);
	if (ev->roll < 0)
		return refuse(why, "evidence: roll %lld is negative", (long long)ev->roll);
	if (ev->nonce_start < 0 || c->work > limit || ev->nonce_start > limit - c->work)
		return refuse(why, "bad share: nonces [%lld, %lld + %lld) go beyond 2^40",
		              (long long)ev->nonce_start, (long long)ev->nonce_start,
		              (long long)c->work);
	if (check_binding(c, ev, why) < 0 ||
	    check_fresh(c, (int64_t)terra_sha256d_time(ev->header), why) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (ev->shares[i] < ev->nonce_start || ev->shares[i] - ev->nonce_start >= c->work)
			return refuse(
			    why, "bad share: nonce %lld is outside the scanned range [%lld, %lld)",
			    (long long)ev->shares[i], (long long)ev->nonce_start,
			    (long long)(ev->nonce_start + c->work));
	if (n > 1)
		qsort(ev->shares, n, sizeof *ev->shares, cmp_i64);
	for (i = 1; i < n; i++)
		if (ev->shares[i] == ev->shares[i - 1])
			return refuse(why, "bad share: nonce %lld is listed twice",
			              (long long)ev->shares[i]);
	for (i = 0; i < n; i++) {
		terra_sha256d_hash(ev->header, (uint64_t)ev->shares[i], hash);
		if (!terra_sha256d_meets(hash, bits))
			return refuse(why, "bad share: nonce %lld does not meet share_bits %d",
			              (long long)ev->shares[i], bits);
	}
	if (!terra_sha256dproof_agrees(c->work, bits, (int64_t)n))
		return refuse(why,
		              "too %s shares: %zu shares of %d bits cannot back %lld hashes (%.1f "
		              "expected)",
		              ldexp((double)n, bits) < (double)c->work ? "few" : "many", n, bits,
		              (long long)c->work, ldexp((double)c->work, -bits));
	proven = (u128)n << bits;
	if (proven > (u128)INT64_MAX)
		return refuse(why, "bad share: %zu shares of %d bits overflow", n, bits);
	p->hashes = (int64_t)proven;
	terra_sha256(ev->header, TERRA_HEADER_BYTES, p->id);
	p->lo = ev->nonce_start;
	p->hi = ev->nonce_start + c->work;
	p->ntime = (int64_t)terra_sha256d_time(ev->header);
	return 0;
}

int terra_sha256dproof_parse(const json_t *evidence, terra_sha256d_ev *ev, int64_t **buf,
                             size_t *cap, char **why)
{
	terra_err e;
	json_t *shares, *v;
	size_t i, n;

	*why = NULL;
	ev->roll = 0;
	if (terra_rec_hex(evidence, "header", ev->header, sizeof ev->header, &e) < 0 ||
	    terra_rec_int(evidence, "nonce_start", &ev->nonce_start, &e) < 0 ||
	    terra_rec_int(evidence, "share_bits", &ev->share_bits, &e) < 0 ||
	    terra_rec_int_opt(evidence, "roll", &ev->roll, &e) < 0 ||
	    terra_rec_arr(evidence, "shares", &shares, &e) < 0)
		return refuse(why, "evidence: %s", e.msg);
	n = json_array_size(shares);
	if (n > *cap) {
		int64_t *more = realloc(*buf, n * sizeof *more);

		if (!more)
			return -1;
		*buf = more;
		*cap = n;
	}
	json_array_foreach(shares, i, v)
	{
		if (!json_is_integer(v))
			return refuse(why, "bad share: share %zu is not an integer", i + 1);
		(*buf)[i] = json_integer_value(v);
	}
	ev->shares = *buf;
	ev->nshares = n;
	return 0;
}
