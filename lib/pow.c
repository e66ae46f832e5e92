#include "pow.h"

#include "sha256.h"

#include <string.h>

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

void terra_sha256d_hash(const uint8_t tmpl[TERRA_HEADER_BYTES], uint64_t n, uint8_t out[TERRA_HASH_BYTES])
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
