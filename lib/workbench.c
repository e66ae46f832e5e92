#include "workbench.h"

#include "sgemm.h"
#include "sha256d.h"

#include <stdlib.h>
#include <string.h>

#define SGEMM_NK       1024 /* terra-run's default sgemm job is 1024 x 1024 x 1024 */
#define SGEMM_ROWS     2048 /* about one panel of rows at that k and n (lib/sgemm.c) */
#define SGEMM_PANELS   8    /* timed panels per matrix: 36 MiB of A and C at most */
#define SHA_SHARE_BITS 32   /* a share per 2^32 hashes: few for the host to check */
#define SHA_MAX_SHARES 1024
#define SHA_WARMUP     (UINT64_C(1) << 20)

void terra_workbench_defaults(int quick, terra_workbench_opts *o)
{
	/* Measured on PoCL (bench/score.sh, bench/RESULTS.md). */
	o->samples = quick ? 7 : 15;
	o->sample_us = quick ? 30000 : 50000;
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

/*
 * sgemm: rows enough for a warm-up panel and up to SGEMM_PANELS more,
 * computed and checked panel by panel as terra-run does, as often as the
 * samples need; each full panel after the first is a sample (a last, shorter
 * one is not: its launch is smaller).
 */
static int bench_sgemm(cl_context ctx, cl_command_queue q, cl_device_id dev, int samples,
                       double *mflops, terra_err *e)
{
	double rate[TERRA_WORKBENCH_SAMPLES_MAX];
	int64_t work, busy, first;
	int n = 0;

	while (n < samples) {
		int want = samples - n < SGEMM_PANELS ? samples - n : SGEMM_PANELS, got = 0;
		terra_sgemm *g = NULL;

		if (terra_sgemm_open(&g, ctx, dev, q, (int64_t)(want + 1) * SGEMM_ROWS, SGEMM_NK,
		                     SGEMM_NK, 1, e) < 0)
			return -1;
		for (first = 0; !terra_sgemm_done(g) && got < want;) {
			if (terra_sgemm_step(g, &work, &busy, e) < 0) {
				terra_sgemm_close(g);
				return -1;
			}
			if (first == 0) {
				first = work; /* the warm-up: a first launch may compile */
				continue;
			}
			if (work < first)
				break;
			rate[n + got++] = (double)work / (double)(busy > 0 ? busy : 1);
		}
		terra_sgemm_close(g);
		if (got == 0)
			return terra_err_set(e, TERRA_E_DEVICE, "no full panel to time");
		n += got;
	}
	*mflops = figure(rate, n);
	return 0;
}

/* One scan of count nonces; *mhps its rate in hashes per microsecond. */
static int scan(terra_sha256d_cl *s, const uint8_t *header, uint64_t *start, uint64_t count,
                uint64_t *shares, double *per_us, terra_err *e)
{
	size_t nshares = 0;
	int64_t busy = 0;

	if (terra_sha256d_cl_scan(s, header, *start, count, SHA_SHARE_BITS, shares, SHA_MAX_SHARES,
	                          &nshares, &busy, e) < 0)
		return -1;
	if (busy < 0)
		return terra_err_set(e, TERRA_E_DEVICE, "the queue does not time its kernels");
	*start += count;
	*per_us = (double)count / (double)(busy > 0 ? busy : 1);
	return 0;
}

/* sha256d: a warm-up scan sizes the samples to sample_us each. */
static int bench_sha256d(cl_context ctx, cl_command_queue q, cl_device_id dev,
                         const terra_workbench_opts *o, double *khps, terra_err *e)
{
	terra_sha256d_cl *s = NULL;
	uint8_t header[TERRA_HEADER_BYTES];
	uint64_t *shares = malloc(SHA_MAX_SHARES * sizeof *shares), start = 0, count;
	double rate[TERRA_WORKBENCH_SAMPLES_MAX], warm;
	int ret = -1;

	if (!shares)
		return terra_err_sys(e, "sha256d");
	/* Any header will do: the hashes are timed, not kept. */
	memset(header, 0, sizeof header);
	memcpy(header + 4, "terra-probe workbench", 21);
	if (terra_sha256d_cl_open(&s, ctx, dev, q, e) < 0)
		goto out;
	if (scan(s, header, &start, SHA_WARMUP, shares, &warm, e) < 0)
		goto out;
	count = (uint64_t)(warm * (double)o->sample_us);
	count = (count + 0xffff) & ~(uint64_t)0xffff; /* whole 2^16s, at least one */
	for (int i = 0; i < o->samples; i++)
		if (scan(s, header, &start, count, shares, &rate[i], e) < 0)
			goto out;
	*khps = figure(rate, o->samples) * 1000;
	ret = 0;
out:
	terra_sha256d_cl_close(s);
	free(shares);
	return ret;
}

int terra_workbench_run(cl_context ctx, cl_command_queue q, cl_device_id dev,
                        const terra_workbench_opts *o, terra_workbench *w, terra_err *e)
{
	double mflops = 0, khps = 0;

	memset(w, 0, sizeof *w);
	if (o->samples < 1 || o->samples > TERRA_WORKBENCH_SAMPLES_MAX || o->sample_us < 1)
		return terra_err_set(e, TERRA_E_INPUT, "workbench: samples must be 1 to %d",
		                     TERRA_WORKBENCH_SAMPLES_MAX);
	if (bench_sgemm(ctx, q, dev, o->samples, &mflops, e) < 0)
		return terra_err_wrap(e, "sgemm");
	if (bench_sha256d(ctx, q, dev, o, &khps, e) < 0)
		return terra_err_wrap(e, "sha256d");
	w->sgemm_mflops = (int64_t)(mflops + 0.5);
	w->sha256d_khps = (int64_t)(khps + 0.5);
	return 0;
}

int terra_workbench_probe(void *arg, cl_context ctx, cl_command_queue q, cl_device_id dev,
                          int quick, json_t *bench, terra_err *e)
{
	terra_workbench_opts o;
	terra_workbench w;

	(void)arg;
	terra_workbench_defaults(quick, &o);
	if (getenv("TERRA_WORKBENCH_SAMPLES")) /* for bench/score.sh: how many it takes */
		o.samples = atoi(getenv("TERRA_WORKBENCH_SAMPLES"));
	if (terra_workbench_run(ctx, q, dev, &o, &w, e) < 0)
		return -1;
	if (json_object_set_new(bench, "sgemm_mflops", json_integer(w.sgemm_mflops)) < 0 ||
	    json_object_set_new(bench, "sha256d_khps", json_integer(w.sha256d_khps)) < 0 ||
	    json_object_set_new(bench, "samples", json_integer(o.samples)) < 0)
		return terra_err_set(e, TERRA_E_SYS, "workbench: out of memory");
	return 0;
}
