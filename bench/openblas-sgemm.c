/*
 * The CPU peer for bench/sgemm.sh: OpenBLAS's cblas_sgemm (C = A x B, FP32,
 * row-major, n x n) on the host CPU with all its cores (OpenBLAS's own
 * threads), timed around the call, after one warm-up call (threads started,
 * pages touched). Prints "BEST MEDIAN CORE": GFLOPS of the best and of the
 * median of RUNS runs, and the kernel set OpenBLAS chose for this CPU.
 *
 * usage: openblas-sgemm N [RUNS]
 */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

char *openblas_get_corename(void);

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1024;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	size_t nn;
	float *a, *b, *c;
	double *g;

	if (n < 1 || runs < 1) {
		fprintf(stderr, "usage: openblas-sgemm N [RUNS]\n");
		return 2;
	}
	nn = (size_t)n * (size_t)n;
	a = malloc(nn * sizeof *a);
	b = malloc(nn * sizeof *b);
	c = malloc(nn * sizeof *c);
	g = malloc((size_t)runs * sizeof *g);
	if (!a || !b || !c || !g) {
		fprintf(stderr, "openblas-sgemm: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < nn; i++) {
		a[i] = (float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
		b[i] = (float)((i * 40503u) % 1999) / 1000.0f - 1.0f;
	}
	for (int r = 0; r <= runs; r++) {
		double t0 = now(), t1;

		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n,
		            0.0f, c, n);
		t1 = now();
		if (r > 0) /* run 0 is the warm-up */
			g[r - 1] = 2.0 * (double)n * n * n / ((t1 - t0) * 1e9);
	}
	qsort(g, (size_t)runs, sizeof *g, cmp);
	printf("%.2f %.2f %s\n", g[runs - 1], g[runs / 2], openblas_get_corename());
	free(g);
	free(c);
	free(b);
	free(a);
	return 0;
}
