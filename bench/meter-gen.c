/*
 * bench/meter-gen: writes signed usage records fast, for bench/meter.sh.
 *   meter-gen UNITS_DIR FIRST COUNT UNIT...
 * Record i (FIRST <= i < FIRST + COUNT) belongs to unit i % n, seq i / n + 1,
 * and covers one minute from 2026-11-21T10:00:00Z + (i / n) minutes, 50 s
 * busy; one in 16 (one in METER_GEN_SHA_EVERY) is sha256d, the rest kernel (no evidence).
 * A sha256d record hashes 2048 nonces of the header terra-run makes for its
 * unit, job ("bench-H", H the hour) and roll 0, timed at the hour's start,
 * the minute M of the hour scanning nonces [2048 M, 2048 (M + 1)), as one
 * run an hour would; it lists the shares of 8 bits found (8 expected; the
 * meter re-hashes each and checks the binding, time, count and that no
 * nonce is counted twice). The line is built in canonical form directly (keys sorted, no
 * whitespace), signed with the unit's key, and "sig" put in its place, so
 * ranges can be made in parallel and concatenated.
 */
#include "lib/key.h"
#include "lib/sha256d.h"
#include "lib/time.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0        INT64_C(1795255200000000)
#define MAX_UNITS 64

int main(int argc, char **argv)
{
	char tmpl_hex[2 * TERRA_HEADER_BYTES + 1], job[64];
	const char *every_env = getenv("METER_GEN_SHA_EVERY");
	long long every = every_env && atoll(every_env) > 0 ? atoll(every_env) : 16;
	terra_key keys[MAX_UNITS];
	char pk_hex[MAX_UNITS][TERRA_PK_HEX], path[4096], canon[4096], shares[512];
	char start[TERRA_TIME_MAX], end[TERRA_TIME_MAX], sig_hex[TERRA_SIG_HEX], result[65];
	uint8_t tmpl[TERRA_HEADER_BYTES], hash[32], sig[TERRA_SIG_BYTES];
	long long first, count, i;
	int n, u, found;
	size_t len;
	terra_err e;

	if (argc < 5 || argc - 4 > MAX_UNITS || sodium_init() < 0) {
		fprintf(stderr, "usage: meter-gen UNITS_DIR FIRST COUNT UNIT...\n");
		return 2;
	}
	first = atoll(argv[2]);
	count = atoll(argv[3]);
	n = argc - 4;
	for (u = 0; u < n; u++) {
		snprintf(path, sizeof path, "%s/%s.key", argv[1], argv[4 + u]);
		if (terra_key_load(&keys[u], path, &e) < 0) {
			fprintf(stderr, "meter-gen: %s\n", e.msg);
			return 1;
		}
		terra_hex(keys[u].pk, TERRA_PK_BYTES, pk_hex[u]);
	}
	for (i = first; i < first + count; i++) {
		long long k = i / n, j;
		int sha = i % every == 0, at;
		char *p;

		u = (int)(i % n);
		if (sha) {
			snprintf(job, sizeof job, "bench-%lld", k / 60);
			terra_sha256d_bound_header(argv[4 + u], job, 0,
			                           (uint32_t)((T0 + k / 60 * 3600000000) / 1000000),
			                           tmpl);
			terra_hex(tmpl, sizeof tmpl, tmpl_hex);
			len = (size_t)snprintf(shares, sizeof shares, "[");
			for (j = k % 60 * 2048, found = 0; j < k % 60 * 2048 + 2048; j++) {
				terra_sha256d_hash(tmpl, (uint64_t)j, hash);
				if (terra_sha256d_meets(hash, 8) && len < sizeof shares - 24)
					len += (size_t)snprintf(shares + len, sizeof shares - len,
					                        "%s%lld", found++ ? "," : "", j);
			}
			snprintf(shares + len, sizeof shares - len, "]");
		}
		terra_time_format(T0 + k * 60000000, start);
		terra_time_format(T0 + (k + 1) * 60000000, end);
		crypto_generichash((uint8_t *)hash, 32, (const uint8_t *)&i, sizeof i, NULL, 0);
		terra_hex(hash, 32, result);
		if (sha)
			snprintf(
			    canon, sizeof canon,
			    "{\"busy_us\":50000000,\"end\":\"%s\",\"evidence\":{\"header\":\"%s\","
			    "\"nonce_start\":%lld,\"roll\":0,\"share_bits\":8,\"shares\":%s},"
			    "\"final\":true,\"job\":\"bench-%lld\",\"result\":\"%s\",\"seq\":%lld,"
			    "\"signer\":\"%s\",\"start\":\"%s\",\"type\":\"usage\",\"unit\":\"%s\","
			    "\"v\":1,\"work\":2048,\"workload\":\"sha256d\"}",
			    end, tmpl_hex, k % 60 * 2048, shares, k / 60, result, k + 1, pk_hex[u],
			    start, argv[4 + u]);
		else
			snprintf(canon, sizeof canon,
			         "{\"busy_us\":50000000,\"end\":\"%s\",\"final\":true,"
			         "\"job\":\"bench-%lld\",\"result\":\"%s\",\"seq\":%lld,\"signer\":"
			         "\"%s\","
			         "\"start\":\"%s\",\"type\":\"usage\",\"unit\":\"%s\",\"v\":1,"
			         "\"work\":2147483648,\"workload\":\"kernel\"}",
			         end, k, result, k + 1, pk_hex[u], start, argv[4 + u]);
		if (terra_key_sign(&keys[u], canon, strlen(canon), sig, &e) < 0) {
			fprintf(stderr, "meter-gen: %s\n", e.msg);
			return 1;
		}
		terra_hex(sig, sizeof sig, sig_hex);
		p = strstr(canon, ",\"signer\"");
		at = (int)(p - canon);
		printf("%.*s,\"sig\":\"%s\"%s\n", at, canon, sig_hex, p);
	}
	for (u = 0; u < n; u++)
		terra_key_wipe(&keys[u]);
	return fflush(stdout) || ferror(stdout) ? 1 : 0;
}
