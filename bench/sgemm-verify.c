/* bench/sgemm-verify.c: the sgemm verifier's CPU time on usage records
 * (lib/sgemmproof.h), one thread, best of RUNS passes over the file.
 * usage: sgemm-verify FILE [RUNS]; prints "records verify_us work busy_us". */
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

int main(int argc, char **argv)
{
	json_t *recs[4096];
	size_t n = 0;
	int runs = argc > 2 ? atoi(argv[2]) : 3;
	double best = -1;
	long long work = 0, busy = 0;
	json_error_t je;
	FILE *f;
	char line[1 << 20];

	if (argc < 2 || sodium_init() < 0 || !(f = fopen(argv[1], "r")))
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
		if (best < 0 || dt < best)
			best = dt;
	}
	printf("%zu %.0f %lld %lld\n", n, best, work, busy);
	for (size_t i = 0; i < n; i++)
		json_decref(recs[i]);
	return 0;
}
