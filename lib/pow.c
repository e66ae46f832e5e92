#include "pow.h"

#include "sha256.h"

#include <sodium.h>
#include <string.h>

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t terra_sha256d_version(const uint8_t tmpl[TERRA_HEADER_BYTES])
{
	return le32(tmpl);
}

uint32_t terra_sha256d_time(const uint8_t tmpl[TERRA_HEADER_BYTES])
{
	return le32(tmpl + 68);
}

void terra_sha256d_bound_root(const char *unit, const char *job, int64_t roll, uint8_t root[32])
{
	static const char domain[] = "terra-sha256d-v2";
	crypto_hash_sha256_state st;
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)((uint64_t)roll >> (8 * i));
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)domain, sizeof domain);
	crypto_hash_sha256_update(&st, (const uint8_t *)unit, strlen(unit) + 1);
	crypto_hash_sha256_update(&st, (const uint8_t *)job, strlen(job) + 1);
	crypto_hash_sha256_update(&st, le, sizeof le);
	crypto_hash_sha256_final(&st, root);
}

void terra_sha256d_bound_header(const char *unit, const char *job, int64_t roll, uint32_t ntime,
                                uint8_t out[TERRA_HEADER_BYTES])
{
	memset(out, 0, TERRA_HEADER_BYTES);
	put_le32(out, TERRA_SHA256D_BOUND);
	terra_sha256d_bound_root(unit, job, roll, out + 36);
	put_le32(out + 68, ntime);
	put_le32(out + 72, 0x1d00ffffu);
}

void terra_sha256d_header(const uint8_t tmpl[TERRA_HEADER_BYTES], uint64_t n,
                          uint8_t out[TERRA_HEADER_BYTES])
{
	uint32_t ntime = (uint32_t)tmpl[68] | (uint32_t)tmpl[69] << 8 | (uint32_t)tmpl[70] << 16 |
	                 (uint32_t)tmpl[71] << 24;
	uint32_t nonce = (uint32_t)(n & 0xffffffffu);

	/* ntime rolling: nonces past 2^32 advance the header's time by one second each */
	ntime += (uint32_t)(n >> 32);
	memcpy(out, tmpl, TERRA_HEADER_BYTES);
	for (int i = 0; i < 4; i++) {
		out[68 + i] = (uint8_t)(ntime >> (8 * i));
		out[76 + i] = (uint8_t)(nonce >> (8 * i));
	}
}

void terra_sha256d_hash(const uint8_t tmpl[TERRA_HEADER_BYTES], uint64_t n,
                        uint8_t out[TERRA_HASH_BYTES])
{
	uint8_t header[TERRA_HEADER_BYTES];
	uint8_t first[TERRA_HASH_BYTES];

	/* lib/sha256.c: SHA-NI where the CPU has it (the meter re-hashes every share). */
	terra_sha256d_header(tmpl, n, header);
	terra_sha256(header, sizeof header, first);
	terra_sha256(first, sizeof first, out);
}

int terra_sha256d_meets(const uint8_t hash[TERRA_HASH_BYTES], int bits)
{
	/* Little-endian: the most significant byte is hash[31]. */
	int i = 31;

	if (bits <= 0)
		return 1;
	if (bits > 256)
		return 0;
	for (; bits >= 8; bits -= 8, i--)
		if (hash[i] != 0)
			return 0;
	if (bits > 0 && (hash[i] >> (8 - bits)) != 0)
		return 0;
	return 1;
}
