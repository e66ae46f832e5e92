#include "run.h"

#include "kernelrun.h"
#include "key.h"
#include "meter.h"
#include "record.h"
#include "sgemm.h"
#include "sha256d.h"
#include "time.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define NONCE_LIMIT    (INT64_C(1) << 40)
#define STEP_TARGET_US 250000 /* a step's length: short enough for -t and signals */

/* a share the meter would refuse is not worth finding */
_Static_assert(TERRA_SHARE_BITS_MAX == TERRA_METER_SHARE_BITS_MAX,
               "share_bits: run and meter differ");

static const char *const workload_names[] = {"sha256d", "sgemm", "kernel"};

const char *terra_workload_name(enum terra_workload w)
{
	return workload_names[w];
}

int terra_workload_parse(const char *name, enum terra_workload *w, terra_err *e)
{
	for (size_t i = 0; i < sizeof workload_names / sizeof *workload_names; i++) {
		if (!strcmp(name, workload_names[i])) {
			*w = (enum terra_workload)i;
			return 0;
		}
	}
	return terra_err_set(e, TERRA_E_INPUT,
	                     "unknown workload '%s': expected sha256d, sgemm or kernel", name);
}

int terra_job_from_record(const json_t *rec, terra_job *job, terra_err *e)
{
	const char *id, *workload, *unit = NULL, *kind = NULL;
	json_t *params = NULL, *req = NULL, *fp64;

	memset(job, 0, sizeof *job);
	if (terra_rec_str(rec, "id", &id, e) < 0 ||
	    terra_rec_str(rec, "workload", &workload, e) < 0 ||
	    terra_workload_parse(workload, &job->workload, e) < 0 ||
	    terra_rec_str_opt(rec, "unit", &unit, e) < 0 ||
	    terra_rec_int_opt(rec, "seconds", &job->seconds, e) < 0 ||
	    terra_rec_int_opt(rec, "work", &job->work, e) < 0)
		return -1;
	if (json_object_get(rec, "params") && terra_rec_obj(rec, "params", &params, e) < 0)
		return -1;
	if (json_object_get(rec, "requires")) {
		if (terra_rec_obj(rec, "requires", &req, e) < 0 ||
		    terra_rec_int_opt(req, "min_mem_bytes", &job->min_mem_bytes, e) < 0 ||
		    terra_rec_str_opt(req, "kind", &kind, e) < 0)
			return -1;
		fp64 = json_object_get(req, "fp64");
		if (fp64 && !json_is_boolean(fp64))
			return terra_err_set(e, TERRA_E_INPUT,
			                     "field 'requires.fp64' must be a boolean");
		job->fp64 = json_is_true(fp64);
		if (kind && strcmp(kind, "gpu") && strcmp(kind, "cpu") &&
		    strcmp(kind, "accelerator"))
			return terra_err_set(
			    e, TERRA_E_INPUT,
			    "field 'requires.kind' must be gpu, cpu or accelerator");
	}
	if (job->seconds < 0 || job->work < 0 || job->min_mem_bytes < 0)
		return terra_err_set(
		    e, TERRA_E_INPUT,
		    "fields 'seconds', 'work' and 'min_mem_bytes' must not be negative");
	if (unit && strlen(unit) >= sizeof job->unit)
		return terra_err_set(e, TERRA_E_INPUT, "unknown unit '%s'", unit);
	snprintf(job->kind, sizeof job->kind, "%s", kind ? kind : "");
	snprintf(job->unit, sizeof job->unit, "%s", unit ? unit : "");
	job->params = params ? json_incref(params) : json_object();
	if (!(job->id = strdup(id)) || !job->params) {
		terra_job_free(job);
		return terra_err_sys(e, "job");
	}
	return 0;
}

void terra_job_free(terra_job *job)
{
	free(job->id);
	json_decref(job->params);
	memset(job, 0, sizeof *job);
}

struct terra_task {
	enum terra_workload workload;
	int64_t work_bound; /* 0: none */
	int64_t work_done;
	/* sha256d */
	terra_sha256d_cl *scan;
	uint8_t header[TERRA_HEADER_BYTES];
	int share_bits;
	int64_t nonce_next, stretch_nonce;
	int64_t batch;
	uint64_t *shares;
	size_t nshares, max_shares;
	/* sgemm */
	terra_sgemm *gemm;
	int64_t m, n, k, seed;
	/* kernel */
	terra_kernelrun *kr;
	const char *entry;
	int64_t launches;
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

/*
 * The default header: version 0x20000000, a zero previous hash, a merkle
 * root of SHA-256(unit || job || start time), that time as ntime, bits
 * 0x1d00ffff. Like a pool's extranonce, it keeps every run's work its own.
 */
static void default_header(uint8_t h[TERRA_HEADER_BYTES], const char *unit, const char *job,
                           int64_t start_us)
{
	crypto_hash_sha256_state st;
	char when[TERRA_TIME_MAX];
	uint32_t ntime = (uint32_t)(start_us / TERRA_US_PER_S);

	memset(h, 0, TERRA_HEADER_BYTES);
	h[3] = 0x20;
	terra_time_format(start_us, when);
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)unit, strlen(unit) + 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)job, strlen(job) + 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)when, strlen(when));
	crypto_hash_sha256_final(&st, h + 36);
	for (int i = 0; i < 4; i++)
		h[68 + i] = (uint8_t)(ntime >> (8 * i));
	h[72] = 0xff;
	h[73] = 0xff;
	h[75] = 0x1d;
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
	if (!hex)
		default_header(t->header, env->unit, job->id, env->start_us);
	t->share_bits = (int)bits;
	t->stretch_nonce = t->nonce_next;
	t->batch = INT64_C(1) << 20;
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
	return terra_sgemm_open(&t->gemm, env->ctx, env->dev, env->queue, t->m, t->n, t->k,
	                        (uint64_t)t->seed, e);
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
	free(t);
}

static int step_sha256d(terra_task *t, int64_t max_work, int64_t budget_us, int64_t *work,
                        int64_t *busy_us, terra_err *e)
{
	int64_t n = t->batch, t0 = terra_time_mono(), dt, busy;
	size_t need;

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
	return t->nshares >= TERRA_TASK_SHARES_MAX;
}

int terra_task_done(const terra_task *t)
{
	if (t->work_bound > 0 && t->work_done >= t->work_bound)
		return 1;
	switch (t->workload) {
	case TERRA_WL_SHA256D:
		return t->nonce_next >= NONCE_LIMIT;
	case TERRA_WL_SGEMM:
		return terra_sgemm_done(t->gemm);
	default:
		return terra_kernelrun_done(t->kr);
	}
}

static int take_sha256d(terra_task *t, json_t *ev, uint8_t digest[32], terra_err *e)
{
	crypto_hash_sha256_state st;
	char hex[2 * TERRA_HEADER_BYTES + 1];
	json_t *shares = json_array();

	if (!shares)
		return terra_err_sys(e, "usage record");
	crypto_hash_sha256_init(&st);
	for (size_t i = 0; i < t->nshares; i++) {
		uint8_t hash[32];
		terra_sha256d_hash(t->header, t->shares[i], hash);
		crypto_hash_sha256_update(&st, hash, sizeof hash);
		json_array_append_new(shares, json_integer((json_int_t)t->shares[i]));
	}
	crypto_hash_sha256_final(&st, digest);
	terra_hex(t->header, TERRA_HEADER_BYTES, hex);
	json_object_set_new(ev, "header", json_string(hex));
	json_object_set_new(ev, "nonce_start", json_integer(t->stretch_nonce));
	json_object_set_new(ev, "share_bits", json_integer(t->share_bits));
	json_object_set_new(ev, "shares", shares);
	t->nshares = 0;
	t->stretch_nonce = t->nonce_next;
	return 0;
}

int terra_task_take(terra_task *t, json_t *rec, terra_err *e)
{
	json_t *ev = json_object();
	uint8_t digest[32];
	char hex[65];
	int64_t r0, r1;

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
		terra_sgemm_take(t->gemm, digest, &r0, &r1);
		json_object_set_new(ev, "m", json_integer(t->m));
		json_object_set_new(ev, "n", json_integer(t->n));
		json_object_set_new(ev, "k", json_integer(t->k));
		json_object_set_new(ev, "seed", json_integer(t->seed));
		json_object_set_new(ev, "row_start", json_integer(r0));
		json_object_set_new(ev, "row_end", json_integer(r1));
		break;
	default:
		if (terra_kernelrun_digest(t->kr, digest, e) < 0) {
			json_decref(ev);
			return -1;
		}
		json_object_set_new(ev, "entry", json_string(t->entry ? t->entry : ""));
		json_object_set_new(ev, "launches", json_integer(t->launches));
		t->launches = 0;
		break;
	}
	terra_hex(digest, sizeof digest, hex);
	json_object_set_new(rec, "result", json_string(hex));
	json_object_set_new(rec, "evidence", ev);
	return 0;
}
