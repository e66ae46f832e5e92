/* sgemm on the OpenCL device against a host reference computed in the same order,
 * and its evidence through the verifier (lib/sgemmproof.h). */
#include "lib/err.h"
#include "lib/sgemm.h"
#include "lib/sgemmproof.h"
#include "tests/unit/tap.h"

#include <math.h>
#include <sodium.h>
#include <stdlib.h>

static cl_context ctx;
static cl_device_id dev;
static cl_command_queue queue;

static int device_open(void)
{
	cl_platform_id p;
	cl_queue_properties props[] = {CL_QUEUE_PROPERTIES, CL_QUEUE_PROFILING_ENABLE, 0};
	cl_int rc;

	if (clGetPlatformIDs(1, &p, NULL) != CL_SUCCESS ||
	    clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 1, &dev, NULL) != CL_SUCCESS)
		return -1;
	ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &rc);
	if (rc != CL_SUCCESS)
		return -1;
	queue = clCreateCommandQueueWithProperties(ctx, dev, props, &rc);
	return rc == CL_SUCCESS ? 0 : -1;
}

/* The digest of rows [r0, r1) of C, each element an fma chain over l = 0..k-1. */
static void reference(int64_t m, int64_t n, int64_t k, uint64_t state, int64_t r0, int64_t r1,
                      uint8_t digest[32])
{
	crypto_hash_sha256_state st;
	float *a = malloc((size_t)(m * k) * sizeof *a), *b = malloc((size_t)(k * n) * sizeof *b);

	for (int64_t i = 0; i < m * k; i++)
		a[i] = terra_sgemm_value(state, (uint64_t)i);
	for (int64_t i = 0; i < k * n; i++)
		b[i] = terra_sgemm_value(state, (uint64_t)(m * k + i));
	crypto_hash_sha256_init(&st);
	for (int64_t i = r0; i < r1; i++) {
		for (int64_t j = 0; j < n; j++) {
			float acc = 0.0f;
			uint8_t le[4];
			uint32_t bits;
			for (int64_t l = 0; l < k; l++)
				acc = fmaf(a[i * k + l], b[l * n + j], acc);
			memcpy(&bits, &acc, 4);
			for (int x = 0; x < 4; x++)
				le[x] = (uint8_t)(bits >> (8 * x));
			crypto_hash_sha256_update(&st, le, 4);
		}
	}
	crypto_hash_sha256_final(&st, digest);
	free(b);
	free(a);
}

static void test_values(void)
{
	/* splitmix64 from state 0: first output 0xe220a8397b1dcdaf. */
	ok(terra_sgemm_value(0, 0) == (float)0xe220a8 / 8388608.0f - 1.0f,
	   "the first value is splitmix64's first output, scaled");
	ok(terra_sgemm_value(7, 3) != terra_sgemm_value(8, 3), "the seed changes the values");
	for (uint64_t i = 0; i < 1000; i++) {
		float v = terra_sgemm_value(42, i);
		if (!(v >= -1.0f && v < 1.0f)) {
			ok(0, "values lie in [-1, 1)");
			return;
		}
	}
	ok(1, "values lie in [-1, 1)");
}

#define STARTED "2026-11-21T10:00:00.000000Z"

/* The stretch's digest, its range and whether its evidence passes the verifier. */
static int take_checked(terra_sgemm *g, int64_t seed, int64_t seq, uint8_t digest[32], int64_t *r0,
                        int64_t *r1)
{
	terra_sgemm_claim c = {
	    .unit = "u1", .job = "j1", .started = STARTED, .seq = seq, .seed = seed};
	json_t *ev = json_object(), *rec;
	terra_err e;
	int64_t proved = -1;
	int good;

	if (terra_sgemm_take(g, &c, digest, ev, &e) < 0) {
		printf("# take: %s\n", e.msg);
		json_decref(ev);
		return 0;
	}
	*r0 = c.row_start;
	*r1 = c.row_end;
	json_object_set_new(ev, "m", json_integer(c.m));
	json_object_set_new(ev, "n", json_integer(c.n));
	json_object_set_new(ev, "k", json_integer(c.k));
	json_object_set_new(ev, "seed", json_integer(seed));
	json_object_set_new(ev, "row_start", json_integer(c.row_start));
	json_object_set_new(ev, "row_end", json_integer(c.row_end));
	rec = json_pack("{s:s, s:s, s:I, s:I, s:s, s:o}", "unit", "u1", "job", "j1", "seq",
	                (json_int_t)seq, "work",
	                (json_int_t)(2 * (c.row_end - c.row_start) * c.n * c.k), "start", STARTED,
	                "evidence", ev);
	good = terra_sgemm_evidence_check(rec, &proved, &e) == 0;
	if (!good)
		printf("# check: %s\n", e.msg);
	json_decref(rec);
	return good && proved == 2 * (c.row_end - c.row_start) * c.n * c.k;
}

static void test_product(int64_t m, int64_t n, int64_t k, int64_t seed)
{
	terra_sgemm *g = NULL;
	terra_err e;
	uint8_t got[32], want[32];
	uint64_t state = terra_sgemm_state(seed, "u1", "j1", STARTED);
	int64_t work = 0, w, busy, r0 = -1, r1 = -1;
	char name[128];
	int steps = 0, proved;

	snprintf(name, sizeof name, "%lldx%lldx%lld opens", (long long)m, (long long)n,
	         (long long)k);
	if (!ok(terra_sgemm_open(&g, ctx, dev, queue, m, n, k, state, &e) == 0, name)) {
		printf("# %s\n", e.msg);
		return;
	}
	while (!terra_sgemm_done(g) && steps++ < 100000) {
		if (terra_sgemm_step(g, &w, &busy, &e) < 0) {
			printf("# %s\n", e.msg);
			break;
		}
		work += w;
	}
	proved = take_checked(g, seed, 1, got, &r0, &r1);
	reference(m, n, k, state, 0, m, want);
	snprintf(name, sizeof name, "%lldx%lldx%lld: digest equals the host reference",
	         (long long)m, (long long)n, (long long)k);
	ok(!memcmp(got, want, 32), name);
	snprintf(name, sizeof name, "%lldx%lldx%lld: work is 2mnk", (long long)m, (long long)n,
	         (long long)k);
	is_int(work, 2 * m * n * k, name);
	is_int(r1 - r0, m, "the stretch covers every row");
	snprintf(name, sizeof name, "%lldx%lldx%lld: the evidence proves the work", (long long)m,
	         (long long)n, (long long)k);
	ok(proved, name);
	terra_sgemm_close(g);
}

static void test_panels(void)
{
	terra_sgemm *g = NULL;
	terra_err e;
	uint8_t got[32], want[32];
	uint64_t state = terra_sgemm_state(9, "u1", "j1", STARTED);
	int64_t w, busy, r0, r1, rows = 0, seq = 1;
	int good = 1, proved = 1, stretches = 0;

	setenv("TERRA_TEST_SGEMM_PANEL", "1", 1);
	if (!ok(terra_sgemm_open(&g, ctx, dev, queue, 150, 40, 30, state, &e) == 0,
	        "panels open")) {
		printf("# %s\n", e.msg);
		unsetenv("TERRA_TEST_SGEMM_PANEL");
		return;
	}
	while (!terra_sgemm_done(g)) {
		if (terra_sgemm_step(g, &w, &busy, &e) < 0) {
			printf("# %s\n", e.msg);
			good = 0;
			break;
		}
		proved &= take_checked(g, 9, seq++, got, &r0, &r1);
		reference(150, 40, 30, state, r0, r1, want);
		good &= !memcmp(got, want, 32) && r0 == rows && w == 2 * (r1 - r0) * 40 * 30;
		rows = r1;
		stretches++;
	}
	ok(good && rows == 150, "each panel's stretch has the digest of its rows");
	ok(stretches > 1, "small panels make several stretches");
	ok(proved, "each stretch's evidence proves its work");
	proved = take_checked(g, 9, seq++, got, &r0, &r1);
	ok(proved && r0 == r1, "a stretch without rows proves no work, and passes");
	terra_sgemm_close(g);
	unsetenv("TERRA_TEST_SGEMM_PANEL");
}

static void test_corrupt(void)
{
	terra_sgemm *g = NULL;
	terra_err e;
	int64_t w, busy;

	setenv("TERRA_TEST_SGEMM_CORRUPT", "17,3", 1);
	if (terra_sgemm_open(&g, ctx, dev, queue, 100, 90, 80, 5, &e) < 0) {
		ok(0, "corrupt: opens");
		printf("# %s\n", e.msg);
		return;
	}
	ok(terra_sgemm_step(g, &w, &busy, &e) < 0, "one wrong element fails Freivalds' check");
	is_int(e.kind, TERRA_E_VERIFY, "as a verification failure");
	like(e.msg, "row 17 fails Freivalds' check", "naming the row");
	is_int(w, 0, "no work counted");
	terra_sgemm_close(g);
	unsetenv("TERRA_TEST_SGEMM_CORRUPT");
}

static void test_refused(void)
{
	terra_sgemm *g = NULL;
	terra_err e;

	ok(terra_sgemm_open(&g, ctx, dev, queue, 0, 4, 4, 1, &e) < 0, "size 0 is refused");
	ok(terra_sgemm_open(&g, ctx, dev, queue, 65536, 65536, 1, 1, &e) < 0,
	   "a C larger than the device's largest allocation is refused");
	like(e.msg, "device refuses it", "with a message saying so");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_values();
	/* Under valgrind the OpenCL runtime compiles kernels far too slowly. */
	if (getenv("TERRA_VALGRIND")) {
		printf("ok %d - # SKIP the device under valgrind\n", ++tap_n);
		return done_testing();
	}
	if (device_open() < 0) {
		printf("ok %d - # SKIP no OpenCL device\n", ++tap_n);
		return done_testing();
	}
	test_product(1, 1, 1, 1);
	test_product(5, 3, 7, 2);
	test_product(37, 45, 29, 3);
	test_product(64, 64, 64, 4);
	test_product(130, 70, 200, 5);
	/* Neither m nor n a multiple of the CPU kernel's tile, and k past one k
	 * block: partial sums through C, padded panels of packed A and B. */
	test_product(37, 53, 29, 6);
	setenv("TERRA_SGEMM_KBLOCK", "128", 1);
	test_product(133, 101, 300, 7);
	unsetenv("TERRA_SGEMM_KBLOCK");
	test_panels();
	test_corrupt();
	test_refused();
	clReleaseCommandQueue(queue);
	clReleaseContext(ctx);
	return done_testing();
}
