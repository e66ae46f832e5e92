#include "job.h"

#include "record.h"
#include "sha256.h"
#include "time.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The job's digest: its canonical form without "unit" (replicas are pinned
 * to units, and are still one job). */
static int job_digest(const json_t *rec, uint8_t out[32], terra_err *e)
{
	json_t *copy = json_copy((json_t *)rec);
	char *text = NULL;
	size_t len;

	if (!copy)
		return terra_err_sys(e, "job");
	json_object_del(copy, "unit");
	if (terra_rec_canonical(copy, &text, &len, e) < 0) {
		json_decref(copy);
		return -1;
	}
	terra_sha256(text, len, out);
	free(text);
	json_decref(copy);
	return 0;
}

int terra_job_from_record(const json_t *rec, terra_job *job, terra_err *e)
{
	const char *id, *workload, *unit = NULL, *kind = NULL;
	json_t *params = NULL, *req = NULL, *fp64;
	int64_t replicas = 1;

	memset(job, 0, sizeof *job);
	if (terra_rec_str(rec, "id", &id, e) < 0 ||
	    terra_rec_str(rec, "workload", &workload, e) < 0 ||
	    terra_workload_parse(workload, &job->workload, e) < 0 ||
	    terra_rec_str_opt(rec, "unit", &unit, e) < 0 ||
	    terra_rec_int_opt(rec, "seconds", &job->seconds, e) < 0 ||
	    terra_rec_int_opt(rec, "work", &job->work, e) < 0 ||
	    terra_rec_int_opt(rec, "replicas", &replicas, e) < 0)
		return -1;
	if (replicas < 1 || replicas > TERRA_REPLICAS_MAX)
		return terra_err_set(e, TERRA_E_INPUT, "field 'replicas' must be 1 to %d",
		                     TERRA_REPLICAS_MAX);
	if (replicas > 1 && job->workload != TERRA_WL_KERNEL)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "field 'replicas': only a kernel job is replicated (%s work "
		                     "carries its own evidence)",
		                     workload);
	job->replicas = (int)replicas;
	if (job_digest(rec, job->digest, e) < 0)
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

int terra_job_record(const terra_job_spec *spec, json_t **out, terra_err *e)
{
	json_t *rec = json_object(), *params = NULL, *req = json_object();
	json_error_t jerr;
	char id[64], when[TERRA_TIME_MAX];
	terra_job check;
	int rc = -1;

	*out = NULL;
	if (!rec || !req) {
		terra_err_sys(e, "job record");
		goto out;
	}
	if (spec->params) {
		params = json_loads(spec->params, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(params)) {
			terra_err_set(e, TERRA_E_INPUT, "--params: not a JSON object: %s",
			              params ? "another kind of value" : jerr.text);
			goto out;
		}
	} else if (!(params = json_object())) {
		terra_err_sys(e, "job record");
		goto out;
	}
	if (spec->extra && json_object_update(params, (json_t *)spec->extra) < 0) {
		terra_err_sys(e, "job record: params");
		goto out;
	}
	if (spec->id) {
		snprintf(id, sizeof id, "%s", spec->id);
	} else {
		terra_time_format(spec->now_us, when);
		snprintf(id, sizeof id, "%s-%s", spec->workload, when);
	}
	if (terra_rec_set(rec, "type", json_string("job"), e) < 0 ||
	    terra_rec_set(rec, "v", json_integer(1), e) < 0 ||
	    terra_rec_set(rec, "id", json_string(id), e) < 0 ||
	    terra_rec_set(rec, "workload", json_string(spec->workload), e) < 0 ||
	    terra_rec_set(rec, "params", json_incref(params), e) < 0 ||
	    (spec->kind && terra_rec_set(req, "kind", json_string(spec->kind), e) < 0) ||
	    (spec->fp64 && terra_rec_set(req, "fp64", json_true(), e) < 0) ||
	    (spec->min_mem_bytes &&
	     terra_rec_set(req, "min_mem_bytes", json_integer(spec->min_mem_bytes), e) < 0) ||
	    terra_rec_set(rec, "requires", json_incref(req), e) < 0 ||
	    (spec->work && terra_rec_set(rec, "work", json_integer(spec->work), e) < 0) ||
	    (spec->replicas > 1 &&
	     terra_rec_set(rec, "replicas", json_integer(spec->replicas), e) < 0))
		goto out;
	if (terra_job_from_record(rec, &check, e) < 0)
		goto out;
	terra_job_free(&check);
	*out = json_incref(rec);
	rc = 0;
out:
	json_decref(params);
	json_decref(req);
	json_decref(rec);
	return rc;
}

int terra_job_param(json_t *params, const char *option, const char *arg, terra_err *e)
{
	static const struct {
		const char *option, *field;
		long long min;
	} ints[] = {{"nonce-start", "nonce_start", 0},
	            {"share-bits", "share_bits", 1},
	            {"seed", "seed", 0}};
	long long m, n, k, v;
	char *end;
	size_t i;

	if (!strcmp(option, "header"))
		return terra_rec_set(params, "header", json_string(arg), e);
	if (!strcmp(option, "size")) {
		if (sscanf(arg, "%lld,%lld,%lld", &m, &n, &k) != 3 &&
		    sscanf(arg, "%lldx%lldx%lld", &m, &n, &k) != 3)
			return terra_err_set(e, TERRA_E_INPUT, "--size '%s': expected M,N,K", arg);
		return terra_rec_set(params, "m", json_integer(m), e) < 0 ||
		               terra_rec_set(params, "n", json_integer(n), e) < 0 ||
		               terra_rec_set(params, "k", json_integer(k), e) < 0
		           ? -1
		           : 0;
	}
	for (i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		if (strcmp(option, ints[i].option))
			continue;
		errno = 0;
		v = strtoll(arg, &end, 10);
		if (end == arg || *end || errno || v < ints[i].min)
			return terra_err_set(e, TERRA_E_INPUT,
			                     "--%s '%s': expected an integer of at least %lld",
			                     option, arg, ints[i].min);
		if (!strcmp(option, "share-bits") && v > TERRA_SHARE_BITS_MAX)
			return terra_err_set(e, TERRA_E_INPUT, "--share-bits '%s': at most %d", arg,
			                     TERRA_SHARE_BITS_MAX);
		return terra_rec_set(params, ints[i].field, json_integer(v), e);
	}
	return terra_err_set(e, TERRA_E_INPUT, "--%s: not a workload option", option);
}
