/* bench/sgemm-verify.c: the sgemm verifier's CPU time on usage records
 * (lib/sgemmproof.h), one thread, over PASSES passes over the file (the
 * first warms the caches as a meter's stream of records does).
 * usage: sgemm-verify FILE [PASSES]; prints
 * "records best_us median_us work busy_us", each _us a pass's. */
#include "lib/err.h"
#include "lib/sgemmproof.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	json_t *recs[4096];
	size_t n = 0;
	int runs = argc > 2 ? atoi(argv[2]) : 3;
	double took[1000];
	long long work = 0, busy = 0;
	json_error_t je;
	FILE *f;
	char line[1 << 20];

	if (argc < 2 || runs < 1 || runs > 1000 || sodium_init() < 0 || !(f = fopen(argv[1], "r")))
		return 2;
	while (n < 4096 && fgets(line, sizeof line, f)) {
		json_t *r = json_loads(line, 0, &je);

		if (!r)
			return 2;
		work += json_integer_value(json_object_get(r, "work"));
		busy += json_integer_value(json_object_get(r, "busy_us"));
		recs[n++] = r;
	}
	fclose(f);
	for (int t = 0; t < runs; t++) {
		double t0 = now_us(), dt;

		for (size_t i = 0; i < n; i++) {
			terra_err e;
			int64_t w;

			if (terra_sgemm_evidence_check(recs[i], &w, &e) < 0) {
				fprintf(stderr, "record %zu: %s\n", i + 1, e.msg);
				return 1;
			}
		}
		dt = now_us() - t0;
		took[t] = dt;
	}
	qsort(took, (size_t)runs, sizeof *took, cmp);
	printf("%zu %.0f %.0f %lld %lld\n", n, took[0], took[runs / 2], work, busy);
	for (size_t i = 0; i < n; i++)
		json_decref(recs[i]);
	return 0;
}
