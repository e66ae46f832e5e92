/*
 * The FP32 peak of this CPU for bench/sgemm.sh, from two measurements on
 * one thread, each the best of several tries in thread CPU time (so other
 * processes on the machine do not count against it):
 *   clock: a chain of dependent integer adds, one per cycle on any x86 core
 *          since the P6 (an add's latency is one cycle), so adds/s = Hz;
 *   FMA units: 16 independent chains of vector FMAs (more than latency x
 *          units on any current core), FMA instructions per cycle = the
 *          number of FMA pipes that take that vector width.
 * Prints "GHZ FMA_PER_CYCLE WIDTH": WIDTH floats per vector (16 where the
 * CPU has AVX-512F, else 8 with AVX2 and FMA, else 0 and no FMA figure).
 * peak GFLOPS = cores x FMA_PER_CYCLE x WIDTH x 2 x GHZ.
 *
 * usage: cpu-peak
 */
#define _POSIX_C_SOURCE 200809L
#include <immintrin.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile float sink; /* keeps the FMA chains' results live */

static double cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#define ADD10                                                                                      \
	"add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"                   \
	"add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"

/* Dependent adds per second of thread CPU time, the best of 5 tries. */
static double clock_hz(void)
{
	const long iters = 20000000; /* x 50 adds: 1e9 adds, ~0.3 s at 3 GHz */
	double best = 0;

	for (int t = 0; t < 5; t++) {
		unsigned long x = 0;
		double t0 = cpu_now(), dt;

		for (long i = 0; i < iters; i++)
			__asm__ volatile(ADD10 ADD10 ADD10 ADD10 ADD10 : "+r"(x));
		dt = cpu_now() - t0;
		if (dt > 0 && 50.0 * (double)iters / dt > best)
			best = 50.0 * (double)iters / dt;
	}
	return best;
}

#define FMA16(f)                                                                                   \
	do {                                                                                       \
		a0 = f(a0, m, c);                                                                  \
		a1 = f(a1, m, c);                                                                  \
		a2 = f(a2, m, c);                                                                  \
		a3 = f(a3, m, c);                                                                  \
		a4 = f(a4, m, c);                                                                  \
		a5 = f(a5, m, c);                                                                  \
		a6 = f(a6, m, c);                                                                  \
		a7 = f(a7, m, c);                                                                  \
		a8 = f(a8, m, c);                                                                  \
		a9 = f(a9, m, c);                                                                  \
		a10 = f(a10, m, c);                                                                \
		a11 = f(a11, m, c);                                                                \
		a12 = f(a12, m, c);                                                                \
		a13 = f(a13, m, c);                                                                \
		a14 = f(a14, m, c);                                                                \
		a15 = f(a15, m, c);                                                                \
	} while (0)

#define FMA_RATE(name, T, set1, f, add, attr)                                                      \
	attr static double name(void)                                                              \
	{                                                                                          \
		const long iters = 10000000;                                                       \
		double best = 0;                                                                   \
		float out[16];                                                                     \
                                                                                                   \
		for (int t = 0; t < 5; t++) {                                                      \
			T a0 = set1(1), a1 = set1(2), a2 = set1(3), a3 = set1(4), a4 = set1(5),    \
			  a5 = set1(6), a6 = set1(7), a7 = set1(8), a8 = set1(9), a9 = set1(10),   \
			  a10 = set1(11), a11 = set1(12), a12 = set1(13), a13 = set1(14),          \
			  a14 = set1(15), a15 = set1(16), m = set1(0.999999f), c = set1(1e-7f);    \
			double t0 = cpu_now(), dt;                                                 \
			for (long i = 0; i < iters; i++) {                                         \
				FMA16(f);                                                          \
				__asm__ volatile("" : "+x"(a0), "+x"(a8));                         \
			}                                                                          \
			dt = cpu_now() - t0;                                                       \
			a0 = add(add(add(a0, a1), add(a2, a3)), add(add(a4, a5), add(a6, a7)));    \
			a8 = add(add(add(a8, a9), add(a10, a11)),                                  \
			         add(add(a12, a13), add(a14, a15)));                               \
			memcpy(out, &a0, sizeof(float));                                           \
			sink += out[0];                                                            \
			memcpy(out, &a8, sizeof(float));                                           \
			sink += out[0];                                                            \
			if (dt > 0 && 16.0 * (double)iters / dt > best)                            \
				best = 16.0 * (double)iters / dt;                                  \
		}                                                                                  \
		return best;                                                                       \
	}

FMA_RATE(fma512_per_s, __m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps,
         __attribute__((target("avx512f"))))
FMA_RATE(fma256_per_s, __m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps,
         __attribute__((target("avx2,fma"))))

int main(void)
{
	double hz = clock_hz(), fma = 0;
	int width = 0;

	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f")) {
		width = 16;
		fma = fma512_per_s();
	} else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
		width = 8;
		fma = fma256_per_s();
	}
	printf("%.3f %.2f %d\n", hz / 1e9, hz > 0 ? fma / hz : 0, width);
	return 0;
}
