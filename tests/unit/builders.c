/*
 * The records built in lib/ (job, usage, verified, payment) under failing
 * allocations: jansson's allocator fails the Nth allocation (only that
 * one), for every N until a build makes no more than N. Each build either fails (TERRA_E_SYS or,
 * for a job, the check's error) or gives a record with every field: never
 * a record short of one, which would then be signed.
 */
#include "lib/job.h"
#include "lib/receipt.h"
#include "lib/usagerec.h"

#include "tap.h"

#include <stdlib.h>

static long allocs_left = -1; /* allocations before the one that fails; -1: none fails */
static int failed_one;

static void *failing_malloc(size_t n)
{
	if (allocs_left == 0) {
		allocs_left = -1;
		failed_one = 1;
		return NULL;
	}
	if (allocs_left > 0)
		allocs_left--;
	return malloc(n);
}

static int has_all(const json_t *rec, const char *const *fields)
{
	for (; *fields; fields++)
		if (!json_object_get(rec, *fields))
			return 0;
	return 1;
}

typedef int (*build_fn)(json_t **rec, terra_err *e);

static int build_usage(json_t **rec, terra_err *e)
{
	terra_usage_fields u = {.unit = "0123456789abcdef0123456789abcdef",
	                        .job = "j1",
	                        .workload = "sha256d",
	                        .start_us = 1000000,
	                        .end_us = 2000000,
	                        .busy_us = 500000,
	                        .work = 7,
	                        .final = 1};
	return terra_usage_record(&u, rec, e);
}

static int build_payment(json_t **rec, terra_err *e)
{
	return terra_receipt_payment("alice", 1500000000, "tx-9", 12, rec, e);
}

static int build_verified(json_t **rec, terra_err *e)
{
	terra_ledger_report rep = {.entries = 5, .checkpoints = 5, .settlements = 1};
	uint8_t pk[32] = {1, 2, 3};

	return terra_receipt_verified(&rep, pk, rec, e);
}

static int build_job(json_t **rec, terra_err *e)
{
	json_t *extra = json_pack("{s:I}", "seed", (json_int_t)3);
	terra_job_spec spec = {.workload = "sgemm",
	                       .params = "{\"m\":64,\"n\":64,\"k\":64}",
	                       .kind = "cpu",
	                       .min_mem_bytes = 1024,
	                       .fp64 = 1,
	                       .work = 10,
	                       .now_us = 1000000};
	int rc;

	if (!extra)
		return -1;
	spec.extra = extra;
	rc = terra_job_record(&spec, rec, e);
	json_decref(extra);
	return rc;
}

static void under_failures(const char *name, build_fn fn, const char *const *fields)
{
	int short_of_field = 0, wrong_kind = 0, succeeded = 0;
	char msg[128];
	long n;

	for (n = 0; n < 400 && !succeeded; n++) {
		terra_err e = {0};
		json_t *rec = NULL;

		allocs_left = n;
		failed_one = 0;
		if (fn(&rec, &e) == 0) {
			succeeded = !failed_one;
			if (!has_all(rec, fields))
				short_of_field++;
		} else if (rec) {
			short_of_field++;
		} else if (e.kind != TERRA_E_SYS && e.kind != TERRA_E_NONE) {
			/* The job's own check may refuse what a failed copy left. */
			if (strcmp(name, "job"))
				wrong_kind++;
		}
		allocs_left = -1;
		json_decref(rec);
	}
	snprintf(msg, sizeof msg, "%s: built in the end (%ld allocations)", name, n - 1);
	ok(succeeded, msg);
	snprintf(msg, sizeof msg, "%s: no record short of a field at any failing allocation", name);
	is_int(short_of_field, 0, msg);
	snprintf(msg, sizeof msg, "%s: a failed allocation fails as TERRA_E_SYS", name);
	is_int(wrong_kind, 0, msg);
}

int main(void)
{
	static const char *const usage[] = {"type", "v",       "unit", "job",   "workload", "start",
	                                    "end",  "busy_us", "work", "final", NULL};
	static const char *const payment[] = {"type",  "v",   "account", "amount",
	                                      "entry", "ref", NULL};
	static const char *const verified[] = {
	    "type", "v", "origin", "size", "root", "checkpoints", "settlements", "accounts", NULL};
	static const char *const job[] = {"type",   "v",        "id",   "workload",
	                                  "params", "requires", "work", NULL};
	terra_err e = {0};
	json_t *rec = NULL;

	json_set_alloc_funcs(failing_malloc, free);
	under_failures("usage", build_usage, usage);
	under_failures("payment", build_payment, payment);
	under_failures("verified", build_verified, verified);
	under_failures("job", build_job, job);

	/* The job record's params and requires, whole. */
	ok(build_job(&rec, &e) == 0, "job: builds");
	is_int(json_integer_value(json_object_get(json_object_get(rec, "params"), "seed")), 3,
	       "job: the workload options merged into params");
	ok(json_is_true(json_object_get(json_object_get(rec, "requires"), "fp64")),
	   "job: requires.fp64");
	like(json_string_value(json_object_get(rec, "id")), "sgemm-", "job: a default id");
	json_decref(rec);
	{
		terra_job_spec bad = {.workload = "sgemm", .params = "[1]"};

		ok(terra_job_record(&bad, &rec, &e) < 0 && !rec,
		   "job: --params not an object fails");
		like(e.msg, "--params: not a JSON object", "job: saying so");
		is_int(e.kind, TERRA_E_INPUT, "job: as bad input");
	}
	{
		json_t *p = json_object();

		ok(terra_job_param(p, "size", "2x3x4", &e) == 0 &&
		       json_integer_value(json_object_get(p, "k")) == 4,
		   "--size MxNxK into m, n, k");
		ok(terra_job_param(p, "share-bits", "0", &e) < 0, "--share-bits 0 refused");
		like(e.msg, "--share-bits '0': expected an integer of at least 1", "saying so");
		json_decref(p);
	}
	return done_testing();
}
