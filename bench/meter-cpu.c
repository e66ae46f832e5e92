/*
 * bench/meter-cpu: terra-meter's cost per record against libsodium's raw
 * crypto_sign_verify_detached, in one thread, interleaved, so that a load
 * that comes and goes on a shared machine weighs on both alike.
 *   meter-cpu FILE PERIOD ROUNDS
 * Each round meters FILE (a few thousand usage records of the home's
 * units, TERRA_HOME) in one thread with a fresh meter, units loaded from
 * the home, as terra-meter -j 1 does, then verifies as many signatures of
 * the same canonical length, each over its own random message by its own
 * key. Prints records per CPU-second, verifies per CPU-second and their
 * ratio, over all rounds.
 */
#include "lib/home.h"
#include "lib/meter.h"
#include "lib/time.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POOL 256

struct signed_msg {
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sig[crypto_sign_BYTES];
	unsigned char msg[4096];
};

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int report(void *ctx, enum terra_meter_event ev, const char *line, size_t len,
                  const char *msg)
{
	(void)line;
	(void)len;
	(void)msg;
	if (ev == TERRA_METER_BAD)
		++*(long *)ctx;
	return 0;
}

/* Records in the file and the mean length of their canonical form (the
 * line less ,"sig":"<128 hex>"). */
static long count(const char *path, size_t *msglen)
{
	FILE *f = fopen(path, "r");
	long n = 0, bytes = 0, c;

	if (!f)
		return -1;
	while ((c = getc(f)) != EOF) {
		bytes++;
		if (c == '\n')
			n++;
	}
	fclose(f);
	*msglen = n ? (size_t)((bytes - n) / n - 137) : 0;
	return n;
}

int main(int argc, char **argv)
{
	static struct signed_msg pool[POOL];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	terra_meter_opts o = {0};
	terra_meter_io io = {report, NULL, NULL};
	double meter_cpu = 0, raw_cpu = 0, t;
	long records, bad = 0, rounds, r, i, verified = 0;
	size_t msglen;
	terra_home home;
	terra_err e;
	FILE *devnull = fopen("/dev/null", "w");

	if (argc != 4 || !devnull || sodium_init() < 0 ||
	    (records = count(argv[1], &msglen)) <= 0 || msglen > sizeof pool[0].msg ||
	    terra_period_parse(argv[2], &o.from, &o.to, &e) < 0) {
		fprintf(stderr, "usage: meter-cpu FILE PERIOD ROUNDS\n");
		return 2;
	}
	rounds = atol(argv[3]);
	o.every = o.to - o.from;
	o.threads = 1;
	io.ctx = &bad;
	for (i = 0; i < POOL; i++) {
		crypto_sign_keypair(pool[i].pk, sk);
		randombytes_buf(pool[i].msg, msglen);
		crypto_sign_detached(pool[i].sig, NULL, pool[i].msg, msglen, sk);
	}
	for (r = 0; r < rounds; r++) {
		terra_meter *m = NULL;

		t = cpu_now();
		if (terra_meter_new(&m, &o, &e) < 0 ||
		    terra_home_open(&home, NULL, TERRA_HOME_READONLY, &e) < 0) {
			fprintf(stderr, "meter-cpu: %s\n", e.msg);
			return 1;
		}
		if (terra_meter_units_db(m, home.db, &e) < 0 ||
		    terra_meter_feed(m, argv[1], &io, &e) != 0 ||
		    terra_meter_write(m, devnull, &e) < 0) {
			fprintf(stderr, "meter-cpu: %s\n", e.msg);
			return 1;
		}
		terra_home_close(&home);
		terra_meter_free(m);
		meter_cpu += cpu_now() - t;

		t = cpu_now();
		for (i = 0; i < records; i++, verified++) {
			const struct signed_msg *s = &pool[verified % POOL];

			if (crypto_sign_verify_detached(s->sig, s->msg, msglen, s->pk) != 0)
				return 1;
		}
		raw_cpu += cpu_now() - t;
	}
	if (bad) {
		fprintf(stderr, "meter-cpu: %ld bad lines in %s\n", bad, argv[1]);
		return 1;
	}
	printf("%.0f %.0f %.3f\n", (double)(records * rounds) / meter_cpu,
	       (double)verified / raw_cpu, raw_cpu / meter_cpu);
	return 0;
}
