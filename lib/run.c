#include "run.h"

#include "kernelrun.h"
#include "key.h"
#include "record.h"
#include "sgemm.h"
#include "sha256d.h"
#include "time.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define NONCE_LIMIT    TERRA_SHA256D_NONCES
#define STEP_TARGET_US 250000 /* a step's length: short enough for -t and signals */

struct terra_task {
	enum terra_workload workload;
	int64_t work_bound; /* 0: none */
	int64_t work_done;
	/* sha256d */
	terra_sha256d_cl *scan;
	uint8_t header[TERRA_HEADER_BYTES];
	int share_bits;
	int64_t nonce_next, stretch_nonce;
	int bound;               /* the toolkit's header (lib/pow.h): it rolls */
	int64_t roll, roll_mono; /* the roll and when it began (monotonic us) */
	int64_t wall0, mono0;    /* the clock at the task's start, for each roll's time */
	char *unit, *job;        /* owned: what headers, inputs and challenges are bound to */
	int64_t batch;
	uint64_t *shares;
	size_t nshares, max_shares;
	/* sgemm */
	terra_sgemm *gemm;
	int64_t m, n, k, seed;
	char started[TERRA_TIME_MAX]; /* the run's start */
	/* kernel */
	terra_kernelrun *kr;
	const char *entry;
	int64_t launches;
	int replicas;           /* the job's; 1: not replicated */
	uint8_t job_digest[32]; /* the job's (lib/job.h), with replicas > 1 */
};

static int param_int(const json_t *params, const char *field, int64_t def, int64_t lo, int64_t hi,
                     int64_t *out, terra_err *e)
{
	*out = def;
	if (terra_rec_int_opt(params, field, out, e) < 0)
		return -1;
	if (*out < lo || *out > hi)
		return terra_err_set(e, TERRA_E_INPUT, "field '%s' must be %lld to %lld", field,
		                     (long long)lo, (long long)hi);
	return 0;
}

/* Starts roll r of the toolkit's header, timed now: nonces from 0 again. */
static void roll_to(terra_task *t, int64_t r)
{
	int64_t now = terra_time_mono();
	int64_t wall = t->wall0 + (now - t->mono0);

	t->roll = r;
	t->roll_mono = now;
	terra_sha256d_bound_header(t->unit, t->job, r, (uint32_t)(wall / TERRA_US_PER_S),
	                           t->header);
	if (r > 0)
		t->nonce_next = t->stretch_nonce = 0;
}

/* The stretch must end before the header rolls: its nonces are used up, or
 * the toolkit's header is TERRA_SHA256D_ROLL_S old. */
static int roll_due(const terra_task *t)
{
	if (t->workload != TERRA_WL_SHA256D || !t->bound)
		return 0;
	return t->nonce_next >= NONCE_LIMIT ||
	       terra_time_mono() - t->roll_mono >= (int64_t)TERRA_SHA256D_ROLL_S * TERRA_US_PER_S;
}

static int open_sha256d(terra_task *t, const terra_job *job, const terra_task_env *env,
                        terra_err *e)
{
	const json_t *p = job->params;
	const char *hex = NULL;
	int64_t bits;

	if (terra_rec_str_opt(p, "header", &hex, e) < 0 ||
	    param_int(p, "nonce_start", 0, 0, NONCE_LIMIT - 1, &t->nonce_next, e) < 0 ||
	    param_int(p, "share_bits", TERRA_SHARE_BITS_DEFAULT, 1, TERRA_SHARE_BITS_MAX, &bits,
	              e) < 0)
		return -1;
	if (hex && terra_unhex(hex, t->header, TERRA_HEADER_BYTES, e) < 0)
		return terra_err_wrap(e, "field 'header'");
	t->wall0 = env->start_us;
	t->mono0 = terra_time_mono();
	if (!hex) {
		if (!(t->unit = strdup(env->unit)) || !(t->job = strdup(job->id)))
			return terra_err_sys(e, "sha256d");
		t->bound = 1;
		roll_to(t, 0);
	}
	t->share_bits = (int)bits;
	t->stretch_nonce = t->nonce_next;
	/* The first step is the smallest; the steps then grow (at most four
	 * times each) toward STEP_TARGET_US. Started at 2^20, a device doing
	 * 200 kH/s (PoCL under valgrind, a small CPU) ran a one-second job
	 * for five. */
	t->batch = INT64_C(1) << 16;
	t->max_shares = 1 << 16;
	if (!(t->shares = malloc(t->max_shares * sizeof *t->shares)))
		return terra_err_sys(e, "sha256d");
	return terra_sha256d_cl_open(&t->scan, env->ctx, env->dev, env->queue, e);
}

static int open_sgemm(terra_task *t, const terra_job *job, const terra_task_env *env, terra_err *e)
{
	const json_t *p = job->params;

	if (param_int(p, "m", 1024, 1, TERRA_SGEMM_DIM_MAX, &t->m, e) < 0 ||
	    param_int(p, "n", 1024, 1, TERRA_SGEMM_DIM_MAX, &t->n, e) < 0 ||
	    param_int(p, "k", 1024, 1, TERRA_SGEMM_DIM_MAX, &t->k, e) < 0 ||
	    param_int(p, "seed", 1, 0, INT64_MAX, &t->seed, e) < 0)
		return -1;
	if (!(t->unit = strdup(env->unit)) || !(t->job = strdup(job->id)))
		return terra_err_sys(e, "sgemm task");
	terra_time_format(env->start_us, t->started);
	return terra_sgemm_open(&t->gemm, env->ctx, env->dev, env->queue, t->m, t->n, t->k,
	                        terra_sgemm_state(t->seed, t->unit, t->job, t->started), e);
}

int terra_task_open(terra_task **tp, const terra_job *job, const terra_task_env *env, terra_err *e)
{
	terra_task *t = calloc(1, sizeof *t);
	int r;

	if (!t)
		return terra_err_sys(e, "task");
	t->workload = job->workload;
	t->work_bound = job->work;
	switch (job->workload) {
	case TERRA_WL_SHA256D:
		r = open_sha256d(t, job, env, e);
		break;
	case TERRA_WL_SGEMM:
		r = open_sgemm(t, job, env, e);
		break;
	default:
		t->entry = json_string_value(json_object_get(job->params, "entry"));
		t->replicas = job->replicas;
		memcpy(t->job_digest, job->digest, sizeof t->job_digest);
		r = terra_kernelrun_open(&t->kr, env->ctx, env->dev, env->queue, job->params,
		                         &(terra_kernel_fence){env->kernel_dir, env->home_dir}, e);
		break;
	}
	if (r < 0) {
		terra_task_close(t);
		return terra_err_wrap(e, "job '%s'", job->id);
	}
	*tp = t;
	return 0;
}

void terra_task_close(terra_task *t)
{
	if (!t)
		return;
	terra_kernelrun_close(t->kr);
	terra_sgemm_close(t->gemm);
	terra_sha256d_cl_close(t->scan);
	free(t->shares);
	free(t->unit);
	free(t->job);
	free(t);
}

static int step_sha256d(terra_task *t, int64_t max_work, int64_t budget_us, int64_t *work,
                        int64_t *busy_us, terra_err *e)
{
	int64_t n = t->batch, t0, dt, busy;
	size_t need;

	/* A new roll once the last stretch of the old one is taken (terra_task_full). */
	if (roll_due(t) && t->stretch_nonce == t->nonce_next)
		roll_to(t, t->roll + 1);
	t0 = terra_time_mono();
	/* A step never runs far past the end of the run or of the stretch. */
	if (budget_us > 0 && budget_us < STEP_TARGET_US) {
		int64_t fit = (int64_t)((double)t->batch * (double)budget_us / STEP_TARGET_US);
		n = fit < 4096 ? 4096 : fit;
	}
	if (max_work > 0 && n > max_work)
		n = max_work;
	if (n > NONCE_LIMIT - t->nonce_next)
		n = NONCE_LIMIT - t->nonce_next;
	if (n <= 0)
		return 0;
	/* Room for several times the shares expected, so a lucky step never fails. */
	need = t->nshares + 4096 +
	       4 * (size_t)((uint64_t)n >> (t->share_bits > 40 ? 40 : t->share_bits));
	if (need > t->max_shares) {
		uint64_t *more = realloc(t->shares, need * sizeof *more);
		if (!more)
			return terra_err_sys(e, "sha256d shares");
		t->shares = more;
		t->max_shares = need;
	}
	if (terra_sha256d_cl_scan(t->scan, t->header, (uint64_t)t->nonce_next, (uint64_t)n,
	                          t->share_bits, t->shares, t->max_shares, &t->nshares, &busy,
	                          e) < 0)
		return -1;
	/* The kernels' own time; the step's where the queue cannot tell. */
	*busy_us = busy >= 0 ? busy : terra_time_mono() - t0;
	t->nonce_next += n;
	*work = n;
	/* Aim the next batch at STEP_TARGET_US. */
	dt = terra_time_mono() - t0;
	if (n == t->batch && dt > 0) {
		int64_t want = (int64_t)((double)n * STEP_TARGET_US / (double)dt);
		if (want > 4 * n)
			want = 4 * n;
		t->batch = want < (1 << 16)            ? (1 << 16)
		           : want > (INT64_C(1) << 36) ? INT64_C(1) << 36
		                                       : want;
	}
	return 0;
}

int terra_task_step(terra_task *t, int64_t max_work, int64_t budget_us, int64_t *work,
                    int64_t *busy_us, terra_err *e)
{
	int r;

	*work = 0;
	*busy_us = 0;
	if (t->work_bound > 0) {
		int64_t left = t->work_bound - t->work_done;
		if (left <= 0)
			return 0;
		if (max_work <= 0 || max_work > left)
			max_work = left;
	}
	switch (t->workload) {
	case TERRA_WL_SHA256D:
		r = step_sha256d(t, max_work, budget_us, work, busy_us, e);
		break;
	case TERRA_WL_SGEMM:
		r = terra_sgemm_step(t->gemm, work, busy_us, e);
		break;
	default:
		r = terra_kernelrun_step(t->kr, work, busy_us, e);
		if (r == 0 && *work > 0)
			t->launches++;
		break;
	}
	if (r < 0)
		return -1;
	t->work_done += *work;
	return 0;
}

int terra_task_full(const terra_task *t)
{
	return t->nshares >= TERRA_TASK_SHARES_MAX ||
	       (roll_due(t) && t->stretch_nonce < t->nonce_next);
}

int terra_task_done(const terra_task *t)
{
	if (t->work_bound > 0 && t->work_done >= t->work_bound)
		return 1;
	switch (t->workload) {
	case TERRA_WL_SHA256D:
		/* the toolkit's header rolls on; a job's own header ends with its nonces */
		return !t->bound && t->nonce_next >= NONCE_LIMIT;
	case TERRA_WL_SGEMM:
		return terra_sgemm_done(t->gemm);
	default:
		return terra_kernelrun_done(t->kr);
	}
}

static int take_sha256d(terra_task *t, json_t *ev, uint8_t digest[TERRA_HASH_BYTES], terra_err *e)
{
	crypto_hash_sha256_state st;
	char hex[2 * TERRA_HEADER_BYTES + 1];
	json_t *shares = json_array();

	if (!shares)
		return terra_err_sys(e, "usage record");
	crypto_hash_sha256_init(&st);
	for (size_t i = 0; i < t->nshares; i++) {
		uint8_t hash[TERRA_HASH_BYTES];
		terra_sha256d_hash(t->header, t->shares[i], hash);
		crypto_hash_sha256_update(&st, hash, sizeof hash);
		if (json_array_append_new(shares, json_integer((json_int_t)t->shares[i])) < 0) {
			json_decref(shares);
			return terra_err_set(e, TERRA_E_SYS, "usage record: shares: out of memory");
		}
	}
	crypto_hash_sha256_final(&st, digest);
	terra_hex(t->header, TERRA_HEADER_BYTES, hex);
	if (terra_rec_set(ev, "header", json_string(hex), e) < 0 ||
	    terra_rec_set(ev, "nonce_start", json_integer(t->stretch_nonce), e) < 0 ||
	    terra_rec_set(ev, "roll", json_integer(t->roll), e) < 0 ||
	    terra_rec_set(ev, "share_bits", json_integer(t->share_bits), e) < 0) {
		json_decref(shares);
		return -1;
	}
	if (terra_rec_set(ev, "shares", shares, e) < 0)
		return -1;
	t->nshares = 0;
	t->stretch_nonce = t->nonce_next;
	return 0;
}

static int take_sgemm(terra_task *t, const json_t *rec, json_t *ev, uint8_t digest[32],
                      terra_err *e)
{
	terra_sgemm_claim c = {
	    .unit = t->unit, .job = t->job, .started = t->started, .seed = t->seed};

	if (terra_rec_int(rec, "seq", &c.seq, e) < 0 ||
	    terra_sgemm_take(t->gemm, &c, digest, ev, e) < 0)
		return -1;
	if (terra_rec_set(ev, "m", json_integer(c.m), e) < 0 ||
	    terra_rec_set(ev, "n", json_integer(c.n), e) < 0 ||
	    terra_rec_set(ev, "k", json_integer(c.k), e) < 0 ||
	    terra_rec_set(ev, "seed", json_integer(c.seed), e) < 0 ||
	    terra_rec_set(ev, "row_start", json_integer(c.row_start), e) < 0)
		return -1;
	return terra_rec_set(ev, "row_end", json_integer(c.row_end), e);
}

int terra_task_take(terra_task *t, json_t *rec, terra_err *e)
{
	json_t *ev = json_object();
	uint8_t digest[TERRA_HASH_BYTES];
	char hex[65];

	if (!ev)
		return terra_err_sys(e, "usage record");
	switch (t->workload) {
	case TERRA_WL_SHA256D:
		if (take_sha256d(t, ev, digest, e) < 0) {
			json_decref(ev);
			return -1;
		}
		break;
	case TERRA_WL_SGEMM:
		if (take_sgemm(t, rec, ev, digest, e) < 0) {
			json_decref(ev);
			return -1;
		}
		break;
	default:
		if (terra_kernelrun_digest(t->kr, digest, e) < 0) {
			json_decref(ev);
			return -1;
		}
		if (terra_rec_set(ev, "entry", json_string(t->entry ? t->entry : ""), e) < 0 ||
		    terra_rec_set(ev, "launches", json_integer(t->launches), e) < 0) {
			json_decref(ev);
			return -1;
		}
		/* A replica names its job, so the meter can compare it with the others. */
		terra_hex(t->job_digest, sizeof t->job_digest, hex);
		if (t->replicas > 1 &&
		    (terra_rec_set(ev, "replicas", json_integer(t->replicas), e) < 0 ||
		     terra_rec_set(ev, "job_digest", json_string(hex), e) < 0)) {
			json_decref(ev);
			return -1;
		}
		t->launches = 0;
		break;
	}
	terra_hex(digest, sizeof digest, hex);
	if (terra_rec_set(rec, "result", json_string(hex), e) < 0) {
		json_decref(ev);
		return -1;
	}
	return terra_rec_set(rec, "evidence", ev, e);
}
