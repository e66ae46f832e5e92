/*
 * bench/verify-raw: libsodium's crypto_sign_verify_detached on one core, the
 * ceiling for terra-meter's signature checks. Verifies a signed message of
 * LEN bytes (default 560, the canonical size of a usage record) for about
 * SECONDS (default 3) and prints verifications per second of wall time and
 * per second of CPU time (the two differ on a loaded machine).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	unsigned char sig[crypto_sign_BYTES], msg[4096];
	size_t len = argc > 1 ? (size_t)atol(argv[1]) : 560;
	double seconds = argc > 2 ? atof(argv[2]) : 3.0, t0, t, c0;
	long n = 0, i;

	if (sodium_init() < 0 || len > sizeof msg)
		return 1;
	crypto_sign_keypair(pk, sk);
	randombytes_buf(msg, len);
	crypto_sign_detached(sig, NULL, msg, len, sk);
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	t0 = now(CLOCK_MONOTONIC);
	do {
		for (i = 0; i < 256; i++)
			if (crypto_sign_verify_detached(sig, msg, len, pk) != 0)
				return 1;
		n += 256;
		t = now(CLOCK_MONOTONIC);
	} while (t - t0 < seconds);
	printf("%.0f %.0f\n", (double)n / (t - t0),
	       (double)n / (now(CLOCK_PROCESS_CPUTIME_ID) - c0));
	return 0;
}
