#include "workbench.h"

#include "sgemm.h"
#include "sha256d.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SGEMM_NK       1024 /* terra-run's default sgemm job is 1024 x 1024 x 1024 */
#define SGEMM_ROWS     2048 /* about one panel of rows at that k and n (lib/sgemm.c) */
#define SHA_SHARE_BITS 32   /* a share per 2^32 hashes: few for the host to check */
#define SHA_MAX_SHARES 1024
#define SHA_WARMUP     (UINT64_C(1) << 20)

void terra_workbench_defaults(int quick, terra_workbench_opts *o)
{
	/* Measured on PoCL (bench/score.sh, bench/RESULTS.md). */
	o->samples = quick ? 7 : 15;
	o->sample_us = quick ? 30000 : 50000;
	o->seconds = quick ? 0 : TERRA_WORKBENCH_FULL_SECONDS;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The figure of n samples: the median of the better half. Another program
 * on the host (or on a shared device) only ever slows a sample, so the
 * slower half says more about the load than about the device; the median of
 * the rest, not their best, so that one sample timed wrong cannot make it.
 */
static double figure(double *v, int n)
{
	int best = (n + 1) / 2;

	qsort(v, (size_t)n, sizeof *v, cmp_double);
	v += n - best;
	return best % 2 ? v[best / 2] : (v[best / 2 - 1] + v[best / 2]) / 2;
}

/* Both workloads open on the device, and their samples so far. */
struct bench {
	terra_sgemm *g;
	int64_t first; /* the first panel's flops: a full panel */
	terra_sha256d_cl *s;
	uint8_t header[TERRA_HEADER_BYTES];
	uint64_t start, count, *shares;
	double *sgemm, *sha; /* per microsecond of device time, n of each */
	int n;
};

/*
 * sgemm: a product of two panels' rows, computed and checked panel by panel
 * as terra-run does, and started over when done (A and B stay: filling them
 * takes longer than a panel). The first panel is a warm-up (a first launch
 * may compile); a shorter last panel is not a sample (its launch is
 * smaller).
 */
static int sgemm_sample(struct bench *b, terra_err *e)
{
	int64_t work, busy;

	for (;;) {
		if (terra_sgemm_done(b->g))
			terra_sgemm_rewind(b->g);
		if (terra_sgemm_step(b->g, &work, &busy, e) < 0)
			return -1;
		if (b->first == 0) {
			b->first = work;
			continue;
		}
		if (work < b->first)
			continue;
		b->sgemm[b->n] = (double)work / (double)(busy > 0 ? busy : 1);
		return 0;
	}
}

/* sha256d: one scan of count nonces. */
static int sha_scan(struct bench *b, uint64_t count, double *per_us, terra_err *e)
{
	size_t nshares = 0;
	int64_t busy = 0;

	if (terra_sha256d_cl_scan(b->s, b->header, b->start, count, SHA_SHARE_BITS, b->shares,
	                          SHA_MAX_SHARES, &nshares, &busy, e) < 0)
		return -1;
	if (busy < 0)
		return terra_err_set(e, TERRA_E_DEVICE, "the queue does not time its kernels");
	b->start += count;
	*per_us = (double)count / (double)(busy > 0 ? busy : 1);
	return 0;
}

/* Opens both workloads; a warm-up scan sizes sha256d's samples to sample_us. */
static int bench_open(struct bench *b, cl_context ctx, cl_command_queue q, cl_device_id dev,
                      const terra_workbench_opts *o, terra_err *e)
{
	double warm;

	if (!(b->shares = malloc(SHA_MAX_SHARES * sizeof *b->shares)) ||
	    !(b->sgemm = malloc(TERRA_WORKBENCH_SAMPLES_MAX * sizeof *b->sgemm)) ||
	    !(b->sha = malloc(TERRA_WORKBENCH_SAMPLES_MAX * sizeof *b->sha)))
		return terra_err_sys(e, "workbench");
	if (terra_sgemm_open(&b->g, ctx, dev, q, 2 * SGEMM_ROWS, SGEMM_NK, SGEMM_NK, 1, e) < 0)
		return terra_err_wrap(e, "sgemm");
	/* Any header will do: the hashes are timed, not kept. */
	memcpy(b->header + 4, "terra-probe workbench", 21);
	if (terra_sha256d_cl_open(&b->s, ctx, dev, q, e) < 0 ||
	    sha_scan(b, SHA_WARMUP, &warm, e) < 0)
		return terra_err_wrap(e, "sha256d");
	b->count = (uint64_t)(warm * (double)o->sample_us);
	b->count = (b->count + 0xffff) & ~(uint64_t)0xffff; /* whole 2^16s, at least one */
	return 0;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int terra_workbench_run(cl_context ctx, cl_command_queue q, cl_device_id dev,
                        const terra_workbench_opts *o, terra_workbench *w, terra_err *e)
{
	struct bench b = {0};
	double until;
	int ret = -1;

	memset(w, 0, sizeof *w);
	if (o->samples < 1 || o->samples > TERRA_WORKBENCH_SAMPLES_MAX || o->sample_us < 1 ||
	    o->seconds < 0 || o->seconds > TERRA_WORKBENCH_SECONDS_MAX)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "workbench: samples must be 1 to %d, seconds 0 to %d",
		                     TERRA_WORKBENCH_SAMPLES_MAX, TERRA_WORKBENCH_SECONDS_MAX);
	if (bench_open(&b, ctx, q, dev, o, e) < 0)
		goto out;
	/*
	 * The two in turn, so both see the same host: as many samples as asked
	 * and for as long as asked, whichever is more (the host's clock moves
	 * over tens of seconds; a longer stretch averages it, terra-probe(1)).
	 */
	until = now_s() + o->seconds;
	for (; b.n < TERRA_WORKBENCH_SAMPLES_MAX && (b.n < o->samples || now_s() < until); b.n++) {
		if (sgemm_sample(&b, e) < 0) {
			terra_err_wrap(e, "sgemm");
			goto out;
		}
		if (sha_scan(&b, b.count, &b.sha[b.n], e) < 0) {
			terra_err_wrap(e, "sha256d");
			goto out;
		}
	}
	w->sgemm_mflops = (int64_t)(figure(b.sgemm, b.n) + 0.5);
	w->sha256d_khps = (int64_t)(figure(b.sha, b.n) * 1000 + 0.5);
	w->samples = b.n;
	ret = 0;
out:
	terra_sgemm_close(b.g);
	terra_sha256d_cl_close(b.s);
	free(b.shares);
	free(b.sgemm);
	free(b.sha);
	return ret;
}

/* Environment variable `name` as an integer lo to hi into *out, or -1 unset. */
static int env_int(const char *name, int lo, int hi, int *out, terra_err *e)
{
	const char *s = getenv(name);
	char *end;
	long v;

	*out = -1;
	if (!s)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return terra_err_set(e, TERRA_E_INPUT, "%s: '%s' is not a whole number %d to %d",
		                     name, s, lo, hi);
	*out = (int)v;
	return 0;
}

int terra_workbench_env_read(terra_workbench_env *w, terra_err *e)
{
	if (env_int("TERRA_WORKBENCH_SAMPLES", 1, TERRA_WORKBENCH_SAMPLES_MAX, &w->samples, e) < 0)
		return -1;
	return env_int("TERRA_WORKBENCH_SECONDS", 0, TERRA_WORKBENCH_SECONDS_MAX, &w->seconds, e);
}

int terra_workbench_probe(void *arg, cl_context ctx, cl_command_queue q, cl_device_id dev,
                          int quick, json_t *bench, terra_err *e)
{
	const terra_workbench_env *env = arg;
	terra_workbench_opts o;
	terra_workbench w;

	terra_workbench_defaults(quick, &o);
	if (env && env->samples >= 0)
		o.samples = env->samples;
	if (env && env->seconds >= 0)
		o.seconds = env->seconds;
	if (terra_workbench_run(ctx, q, dev, &o, &w, e) < 0)
		return -1;
	if (json_object_set_new(bench, "sgemm_mflops", json_integer(w.sgemm_mflops)) < 0 ||
	    json_object_set_new(bench, "sha256d_khps", json_integer(w.sha256d_khps)) < 0 ||
	    json_object_set_new(bench, "samples", json_integer(w.samples)) < 0)
		return terra_err_set(e, TERRA_E_SYS, "workbench: out of memory");
	return 0;
}
