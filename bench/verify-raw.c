/*
 * bench/verify-raw: libsodium's crypto_sign_verify_detached on one core, the
 * ceiling for terra-meter's signature checks. Verifies signed messages of
 * LEN bytes (default 560, the canonical size of a usage record) for about
 * SECONDS (default 3) and prints verifications per second of wall time and
 * per second of CPU time (the two differ on a loaded machine).
 *
 * It cycles through POOL messages (default 256), each random and signed by
 * its own key, as a stream of records is: verifying one signature over and
 * over lets the CPU learn its branches (the scalar multiplication branches
 * on the signature's digits) and runs some 5 to 10% faster than any real
 * stream can. A POOL of 1 measures that.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define LEN_MAX  4096
#define POOL_MAX 4096

struct signed_msg {
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sig[crypto_sign_BYTES];
	unsigned char msg[LEN_MAX];
};

static double now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	size_t len = argc > 1 ? (size_t)atol(argv[1]) : 560;
	double seconds = argc > 2 ? atof(argv[2]) : 3.0, t0, t, c0;
	long pool = argc > 3 ? atol(argv[3]) : 256, n = 0, i;
	struct signed_msg *m;

	if (sodium_init() < 0 || len > LEN_MAX || pool < 1 || pool > POOL_MAX ||
	    !(m = malloc((size_t)pool * sizeof *m)))
		return 1;
	for (i = 0; i < pool; i++) {
		crypto_sign_keypair(m[i].pk, sk);
		randombytes_buf(m[i].msg, len);
		crypto_sign_detached(m[i].sig, NULL, m[i].msg, len, sk);
	}
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	t0 = now(CLOCK_MONOTONIC);
	do {
		for (i = 0; i < 256; i++) {
			const struct signed_msg *s = &m[(n + i) % pool];

			if (crypto_sign_verify_detached(s->sig, s->msg, len, s->pk) != 0)
				return 1;
		}
		n += 256;
		t = now(CLOCK_MONOTONIC);
	} while (t - t0 < seconds);
	printf("%.0f %.0f\n", (double)n / (t - t0),
	       (double)n / (now(CLOCK_PROCESS_CPUTIME_ID) - c0));
	free(m);
	return 0;
}
