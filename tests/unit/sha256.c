/* terra_sha256: the same digests as libsodium, for every length around the
 * block and padding boundaries, with and without the RFC 6962 prefixes. */
#include "lib/sha256.h"

#include "lib/merkle.h"
#include "tap.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	static uint8_t buf[300000];
	uint8_t a[32], b[32], l[32], r[32];
	size_t len, bad = 0, badleaf = 0;
	crypto_hash_sha256_state st;
	unsigned char z = 0;

	if (sodium_init() < 0)
		return 1;
	randombytes_buf(buf, sizeof buf);
	printf("# SHA extensions %s\n", terra_sha256_accelerated() ? "in use" : "not available");
	for (len = 0; len <= 300; len++) {
		terra_sha256(buf, len, a);
		crypto_hash_sha256(b, buf, len);
		bad += memcmp(a, b, 32) != 0;
		terra_sha256_leaf(buf, len, a);
		crypto_hash_sha256_init(&st);
		crypto_hash_sha256_update(&st, &z, 1);
		crypto_hash_sha256_update(&st, buf, len);
		crypto_hash_sha256_final(&st, b);
		badleaf += memcmp(a, b, 32) != 0;
	}
	is_int(bad, 0, "SHA-256 of 0 to 300 bytes: libsodium's digests");
	is_int(badleaf, 0, "leaf hashes of 0 to 300 bytes: libsodium's digests");
	terra_sha256(buf, sizeof buf, a);
	crypto_hash_sha256(b, buf, sizeof buf);
	ok(!memcmp(a, b, 32), "SHA-256 of 300000 bytes");
	terra_sha256("abc", 3, a);
	ok(!memcmp(a,
	           "\xba\x78\x16\xbf\x8f\x01\xcf\xea\x41\x41\x40\xde\x5d\xae\x22\x23"
	           "\xb0\x03\x61\xa3\x96\x17\x7a\x9c\xb4\x10\xff\x61\xf2\x00\x15\xad",
	           32),
	   "SHA-256(\"abc\"): the FIPS 180-2 example");
	memcpy(l, buf, 32);
	memcpy(r, buf + 32, 32);
	terra_sha256_node(l, r, a);
	terra_merkle_node(l, r, b);
	ok(!memcmp(a, b, 32), "node hashes: lib/merkle's");
	terra_sha256_leaf(buf, 77, a);
	terra_merkle_leaf(buf, 77, b);
	ok(!memcmp(a, b, 32), "leaf hashes: lib/merkle's");
	{
		/* in pieces of every size around a block, and of random sizes */
		terra_sha256_ctx c;
		size_t piece, at, n, badp = 0;

		for (piece = 1; piece <= 200; piece++) {
			n = 1000 + piece * 37;
			terra_sha256_init(&c);
			for (at = 0; at < n; at += piece)
				terra_sha256_update(&c, buf + at, at + piece < n ? piece : n - at);
			terra_sha256_final(&c, a);
			crypto_hash_sha256(b, buf, n);
			badp += memcmp(a, b, 32) != 0;
		}
		for (n = 0; n < 130; n++) {
			terra_sha256_init(&c);
			terra_sha256_update(&c, buf, n / 2);
			terra_sha256_update(&c, buf + n / 2, n - n / 2);
			terra_sha256_final(&c, a);
			crypto_hash_sha256(b, buf, n);
			badp += memcmp(a, b, 32) != 0;
		}
		terra_sha256_init(&c);
		for (at = 0; at < sizeof buf; at += n) {
			n = 1 + randombytes_uniform(70000);
			if (n > sizeof buf - at)
				n = sizeof buf - at;
			terra_sha256_update(&c, buf + at, n);
		}
		terra_sha256_final(&c, a);
		crypto_hash_sha256(b, buf, sizeof buf);
		badp += memcmp(a, b, 32) != 0;
		is_int(badp, 0,
		       "SHA-256 in pieces (1 to 200 bytes, halves, random sizes): "
		       "libsodium's digests");
	}
	{
		/* several at once: n = 0 to 9 (every count of the last group of
		 * four), leaves of 0 to 1100 bytes (past the longest done in step),
		 * each out[i] written over its own input */
		enum { MAX = 9 };
		const uint8_t *left[MAX], *right[MAX], *data[MAX];
		uint8_t *out[MAX], got[MAX][32], want[32], own[MAX][64];
		size_t n, i, badn = 0, badl = 0, bado = 0;

		for (n = 0; n <= MAX; n++) {
			for (i = 0; i < n; i++) {
				left[i] = buf + 1000 * i;
				right[i] = buf + 1000 * i + 500;
				out[i] = got[i];
			}
			terra_sha256_nodes(n, left, right, out);
			for (i = 0; i < n; i++) {
				crypto_hash_sha256_init(&st);
				z = 1;
				crypto_hash_sha256_update(&st, &z, 1);
				crypto_hash_sha256_update(&st, left[i], 32);
				crypto_hash_sha256_update(&st, right[i], 32);
				crypto_hash_sha256_final(&st, want);
				badn += memcmp(got[i], want, 32) != 0;
			}
			for (len = 0; len <= 1100; len += n == MAX ? 1 : 61) {
				for (i = 0; i < n; i++)
					data[i] = buf + 2000 * i + len;
				terra_sha256_leaves(n, data, len, out);
				for (i = 0; i < n; i++) {
					crypto_hash_sha256_init(&st);
					z = 0;
					crypto_hash_sha256_update(&st, &z, 1);
					crypto_hash_sha256_update(&st, data[i], len);
					crypto_hash_sha256_final(&st, want);
					badl += memcmp(got[i], want, 32) != 0;
				}
			}
			for (i = 0; i < n; i++) {
				memcpy(own[i], buf + 64 * i, 64);
				left[i] = own[i];
				right[i] = own[i] + 32;
				out[i] = own[i] + 32 * (i % 2);
			}
			terra_sha256_nodes(n, left, right, out);
			for (i = 0; i < n; i++) {
				terra_sha256_node(buf + 64 * i, buf + 64 * i + 32, want);
				bado += memcmp(own[i] + 32 * (i % 2), want, 32) != 0;
			}
		}
		is_int(badn, 0, "node hashes 0 to 9 at once: libsodium's digests");
		is_int(badl, 0,
		       "leaf hashes of 0 to 1100 bytes, 0 to 9 at once: libsodium's digests");
		is_int(bado, 0, "node hashes at once, each written over its left or right");
	}
	return done_testing();
}
