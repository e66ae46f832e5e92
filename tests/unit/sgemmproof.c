/* The sgemm evidence on the host, without a device (lib/sgemmproof.h): an
 * honest C always passes; a C with a fraction f of its elements wrong, in
 * whole pieces or spread, passes at the rate terra-records(5) states,
 * (1 - f)^64, over many seeded trials;
 * tampered evidence is refused with its reason. */
#include "lib/err.h"
#include "lib/merkle.h"
#include "lib/sgemmproof.h"
#include "tests/unit/tap.h"

#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define M       50
#define N       128 /* 2 pieces a row: 100 pieces in all */
#define K       16
#define STARTED "2026-11-21T10:00:00.000000Z"

static float c_rows[M * N];

/* C = A B from the generator, in double then rounded: well inside tolerance. */
static void product(uint64_t state)
{
	for (int i = 0; i < M; i++)
		for (int j = 0; j < N; j++) {
			double s = 0;
			for (int l = 0; l < K; l++)
				s +=
				    (double)terra_sgemm_value(state, (uint64_t)(i * K + l)) *
				    (double)terra_sgemm_value(state, (uint64_t)(M * K + l * N + j));
			c_rows[i * N + j] = (float)s;
		}
}

static int read_row(void *ctx, int64_t row, float *out, terra_err *e)
{
	(void)ctx;
	(void)e;
	memcpy(out, &c_rows[row * N], N * sizeof *out);
	return 0;
}

/* The usage record of rows [0, M) with its evidence, as terra-run writes it
 * (less the signature, which is the meter's). */
static json_t *record(int64_t seed)
{
	terra_sgemm_claim c = {.unit = "u1",
	                       .job = "j1",
	                       .started = STARTED,
	                       .seq = 1,
	                       .seed = seed,
	                       .m = M,
	                       .n = N,
	                       .k = K,
	                       .row_start = 0,
	                       .row_end = M};
	uint8_t leaves[M][TERRA_HASH_BYTES], tmpl[TERRA_HEADER_BYTES], root[TERRA_HASH_BYTES];
	int64_t work = 2 * (int64_t)M * N * K;
	json_t *ev = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "m", (json_int_t)M, "n",
	                       (json_int_t)N, "k", (json_int_t)K, "seed", (json_int_t)seed,
	                       "row_start", (json_int_t)0, "row_end", (json_int_t)M);
	terra_err e;

	for (int i = 0; i < M; i++)
		terra_sgemm_row_leaf(&c_rows[i * N], N, NULL, NULL, leaves[i]);
	terra_merkle_root((const uint8_t(*)[TERRA_HASH_BYTES])leaves, M, root);
	terra_sgemm_header(&c, root, tmpl);
	if (terra_sgemm_evidence(&c, (const uint8_t(*)[TERRA_HASH_BYTES])leaves,
	                         terra_sgemm_grind(tmpl, terra_sgemm_grind_bits(work)), read_row,
	                         NULL, ev, &e) < 0) {
		printf("# evidence: %s\n", e.msg);
		json_decref(ev);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:I, s:I, s:s, s:o}", "unit", "u1", "job", "j1", "seq",
	                 (json_int_t)1, "work", (json_int_t)work, "start", STARTED, "evidence", ev);
}

static int passes(const json_t *rec, terra_err *e)
{
	int64_t work;

	return terra_sgemm_evidence_check(rec, &work, e) == 0 && work == 2 * (int64_t)M * N * K;
}

static void test_honest(void)
{
	terra_err e;
	int good = 1;

	for (int64_t seed = 1; seed <= 50 && good; seed++) {
		json_t *rec;

		product(terra_sgemm_state(seed, "u1", "j1", STARTED));
		rec = record(seed);
		good = rec && passes(rec, &e);
		if (!good)
			printf("# seed %lld: %s\n", (long long)seed, rec ? e.msg : "no record");
		json_decref(rec);
	}
	ok(good, "an honest C passes, 50 seeds out of 50");
}

/*
 * `wrong` of C's 6400 elements off by 1, at positions drawn from the trial's
 * seed: whole pieces of 64 (wrong / 64 of the 100 pieces, the errors
 * together) or single elements anywhere (spread). Either way every element
 * is drawn alike, so the pass rate over `trials` must be within 5 standard
 * deviations of (1 - wrong / 6400)^64.
 */
static void test_rate(int wrong, int whole, int trials)
{
	double f = wrong / (double)(M * N), p = pow(1.0 - f, TERRA_SGEMM_CHALLENGES);
	double sd = sqrt(trials * p * (1 - p));
	int pass = 0, reasons = 0;
	char name[200];
	terra_err e;

	for (int t = 0; t < trials; t++) {
		int64_t seed = 1000 + t;
		uint64_t pick = (uint64_t)seed * 0x9e3779b97f4a7c15u;
		static char hit[M * N];
		json_t *rec;

		product(terra_sgemm_state(seed, "u1", "j1", STARTED));
		memset(hit, 0, sizeof hit);
		for (int w = 0; w < wrong;) {
			int at = whole ? (int)((pick >> 7) % (M * N / 64)) * 64
			               : (int)((pick >> 7) % (M * N));

			pick = pick * 6364136223846793005u + 1442695040888963407u;
			if (hit[at])
				continue;
			for (int j = 0; j < (whole ? 64 : 1); j++) {
				hit[at + j] = 1;
				c_rows[at + j] += 1.0f;
			}
			w += whole ? 64 : 1;
		}
		rec = record(seed);
		if (rec && passes(rec, &e))
			pass++;
		else if (rec && strstr(e.msg, "is wrong: off by"))
			reasons++;
		json_decref(rec);
	}
	snprintf(name, sizeof name,
	         "%d of 6400 elements wrong (%s): %d of %d trials pass, (1 - %.4f)^64 x %d = %.1f "
	         "+- 5 x %.1f",
	         wrong, whole ? "whole pieces" : "spread", pass, trials, f, trials, p * trials, sd);
	ok(fabs(pass - p * trials) <= 5 * sd + 1, name);
	ok(reasons == trials - pass, "every failing trial names a wrong element");
}

static void tamper(const char *field, json_t *v, const char *want)
{
	json_t *rec;
	terra_err e;
	char name[120];

	product(terra_sgemm_state(7, "u1", "j1", STARTED));
	rec = record(7);
	if (!rec) {
		ok(0, "tamper: the record builds");
		return;
	}
	if (!strcmp(field, "work"))
		json_object_set_new(rec, "work", v);
	else if (!strcmp(field, "values")) {
		json_t *o =
		    json_array_get(json_object_get(json_object_get(rec, "evidence"), "opened"), 0);
		char *s = strdup(json_string_value(json_object_get(o, "values")));

		s[0] = s[0] == '0' ? '1' : '0';
		json_object_set_new(o, "values", json_string(s));
		free(s);
		json_decref(v);
	} else
		json_object_set_new(json_object_get(rec, "evidence"), field, v);
	snprintf(name, sizeof name, "tampered %s is refused: %s", field, want);
	ok(!passes(rec, &e) && strstr(e.msg, want), name);
	printf("# %s\n", e.msg);
	json_decref(rec);
}

/* The id of rec's run with one field changed (evidence's when ev). */
static void id_with(json_t *rec, int ev, const char *field, json_t *v, uint8_t id[32])
{
	json_t *r = json_deep_copy(rec);
	int64_t lo, hi, s;
	terra_err e;

	json_object_set_new(ev ? json_object_get(r, "evidence") : r, field, v);
	if (terra_sgemm_work_id(r, id, &lo, &hi, &s, &e) < 0)
		memset(id, 0, 32);
	json_decref(r);
}

/*
 * The work id names the product: the same for any seq, rows or record
 * times, another for any other input that defines A, B or C's shape.
 */
static void test_work_id(void)
{
	static const struct {
		int ev;
		const char *field;
	} inputs[] = {{0, "unit"}, {0, "job"}, {1, "started"}, {1, "seed"},
	              {1, "m"},    {1, "n"},   {1, "k"}};
	uint8_t id[32], other[32];
	int64_t lo, hi, s;
	terra_err e;
	json_t *rec;
	int same = 1, differ = 1;

	product(terra_sgemm_state(3, "u1", "j1", STARTED));
	rec = record(3);
	ok(rec && terra_sgemm_work_id(rec, id, &lo, &hi, &s, &e) == 0 && lo == 0 && hi == M &&
	       s == 1795255200,
	   "work id: rows [0, M), the run's start in seconds");
	id_with(rec, 0, "seq", json_integer(9), other);
	same &= !memcmp(id, other, 32);
	id_with(rec, 0, "start", json_string("2026-11-21T11:00:00Z"), other);
	same &= !memcmp(id, other, 32);
	id_with(rec, 1, "row_start", json_integer(10), other);
	same &= !memcmp(id, other, 32);
	ok(same, "work id: the same under another seq, start or rows");
	for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
		json_t *v = !strcmp(inputs[i].field, "unit")  ? json_string("u2")
		            : !strcmp(inputs[i].field, "job") ? json_string("j2")
		            : !strcmp(inputs[i].field, "started")
		                ? json_string("2026-11-21T09:00:00Z")
		                : json_integer(M + 1);

		id_with(rec, inputs[i].ev, inputs[i].field, v, other);
		if (!memcmp(id, other, 32)) {
			printf("# same id with another %s\n", inputs[i].field);
			differ = 0;
		}
	}
	ok(differ, "work id: another unit, job, start of run, seed, m, n or k is another id");
	json_decref(rec);
}

int main(void)
{
	/* memcheck runs each trial some 30 times slower and learns nothing new
	 * from the 2000th: a quarter of the trials there, the same bound */
	int quarter = getenv("TERRA_VALGRIND") != NULL;

	if (sodium_init() < 0)
		return 1;
	test_honest();
	test_rate(2 * 64, 1, quarter ? 100 : 400);
	test_rate(5 * 64, 1, quarter ? 100 : 400);
	test_rate(10 * 64, 1, quarter ? 50 : 200);
	test_rate(128, 0, quarter ? 100 : 400);
	test_rate(320, 0, quarter ? 100 : 400);
	test_rate(640, 0, quarter ? 50 : 200);
	test_work_id();
	tamper("work", json_integer(2 * M * N * K + 2), "is not 2 (row_end - row_start) n k");
	tamper("seed", json_integer(8), "challenge");
	tamper("nonce", json_integer(123456789), "challenge");
	tamper("row_end", json_integer(M - 1), "is not 2 (row_end - row_start) n k");
	tamper("values", json_null(), "inclusion proof");
	tamper("root",
	       json_string("00000000000000000000000000000000000000000000000000000000000000"
	                   "00"),
	       "challenge");
	return done_testing();
}
