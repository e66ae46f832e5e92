#ifndef TERRA_SHA256_H
#define TERRA_SHA256_H
/*
 * One-shot SHA-256 (FIPS 180-4) for bulk hashing: the holders snapshot and
 * Merkle trees, usage leaves, re-hashed shares. On x86-64 CPUs with the
 * SHA extensions it uses them (several times libsodium's portable code);
 * elsewhere it is libsodium's crypto_hash_sha256. Same results either way.
 */
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#define TERRA_HASH_BYTES 32 /* a SHA-256 hash, every hash of the toolkit */

void terra_sha256(const void *data, size_t len, uint8_t out[TERRA_HASH_BYTES]);
/* RFC 6962 leaf hash SHA-256(0x00 || data) and node hash SHA-256(0x01 || l || r),
 * as lib/merkle.h computes them. */
void terra_sha256_leaf(const void *data, size_t len, uint8_t out[TERRA_HASH_BYTES]);
void terra_sha256_node(const uint8_t left[TERRA_HASH_BYTES], const uint8_t right[TERRA_HASH_BYTES],
                       uint8_t out[TERRA_HASH_BYTES]);
/*
 * n node hashes, out[i] = SHA-256(0x01 || left[i] || right[i]), and n leaf
 * hashes of len bytes each, out[i] = SHA-256(0x00 || data[i]): with the
 * extensions, four messages in step (a block's rounds are one chain of
 * latency, so four interleaved take about 0.4 of the time of four in turn
 * on an AMD EPYC). out[i] may be left[i], right[i] or data[i], no other
 * input.
 */
void terra_sha256_nodes(size_t n, const uint8_t *const *left, const uint8_t *const *right,
                        uint8_t *const *out);
void terra_sha256_leaves(size_t n, const uint8_t *const *data, size_t len, uint8_t *const *out);
/*
 * The same hash over data given in pieces (a body made as it is hashed,
 * never whole in memory): init, update any number of times, final. The
 * extensions when the CPU has them, libsodium's otherwise.
 */
typedef struct terra_sha256_ctx {
	int ni;
	uint32_t st[8];
	uint8_t buf[64];
	size_t used;    /* bytes pending in buf */
	uint64_t total; /* bytes hashed */
	crypto_hash_sha256_state sodium;
} terra_sha256_ctx;
void terra_sha256_init(terra_sha256_ctx *c);
void terra_sha256_update(terra_sha256_ctx *c, const void *data, size_t len);
void terra_sha256_final(terra_sha256_ctx *c, uint8_t out[TERRA_HASH_BYTES]);
/* 1 when the SHA extensions are in use (for the tests). */
int terra_sha256_accelerated(void);

#endif
