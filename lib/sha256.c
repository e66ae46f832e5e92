#include "sha256.h"

#include <sodium.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

/*
 * Rounds 4i to 4i + 3 of a block at p: its message words 4i to 4i + 3 into
 * w[i & 3] (read from p for i < 4, else from the four before: w holds
 * W[i-4], W[i-3], W[i-2], W[i-1] in turn), then the rounds on the state s0
 * (ABEF) and s1 (CDGH). Inlined into loops unrolled over i, so i is known.
 */
__attribute__((target("sha,sse4.1,ssse3"), always_inline)) static inline void
rounds4(int i, const uint8_t *p, __m128i w[4], __m128i *s0, __m128i *s1)
{
	const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i msg;

	if (i < 4) {
		w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), mask);
	} else {
		__m128i a = w[i & 3], b = w[(i + 1) & 3], c = w[(i + 2) & 3], d = w[(i + 3) & 3];

		a = _mm_sha256msg1_epu32(a, b);
		a = _mm_add_epi32(a, _mm_alignr_epi8(d, c, 4));
		w[i & 3] = _mm_sha256msg2_epu32(a, d);
	}
	msg = _mm_add_epi32(w[i & 3], _mm_loadu_si128((const __m128i *)&K[4 * i]));
	*s1 = _mm_sha256rnds2_epu32(*s1, *s0, msg);
	msg = _mm_shuffle_epi32(msg, 0x0E);
	*s0 = _mm_sha256rnds2_epu32(*s0, *s1, msg);
}

/* The compression function over n 64-byte blocks, with the SHA extensions. */
__attribute__((target("sha,sse4.1,ssse3"))) static void blocks_ni(uint32_t st[8], const uint8_t *p,
                                                                  size_t n)
{
	__m128i s0, s1, tmp, w[4], save0, save1;
	int i;

	tmp = _mm_loadu_si128((const __m128i *)&st[0]);
	s1 = _mm_loadu_si128((const __m128i *)&st[4]);
	tmp = _mm_shuffle_epi32(tmp, 0xB1);  /* CDAB */
	s1 = _mm_shuffle_epi32(s1, 0x1B);    /* EFGH */
	s0 = _mm_alignr_epi8(tmp, s1, 8);    /* ABEF */
	s1 = _mm_blend_epi16(s1, tmp, 0xF0); /* CDGH */
	for (; n; n--, p += 64) {
		save0 = s0;
		save1 = s1;
#if defined(__clang__)
#pragma unroll
#else
#pragma GCC unroll 16
#endif
		for (i = 0; i < 16; i++)
			rounds4(i, p, w, &s0, &s1);
		s0 = _mm_add_epi32(s0, save0);
		s1 = _mm_add_epi32(s1, save1);
	}
	tmp = _mm_shuffle_epi32(s0, 0x1B);   /* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xB1);    /* DCHG */
	s0 = _mm_blend_epi16(tmp, s1, 0xF0); /* DCBA */
	s1 = _mm_alignr_epi8(s1, tmp, 8);    /* HGFE */
	_mm_storeu_si128((__m128i *)&st[0], s0);
	_mm_storeu_si128((__m128i *)&st[4], s1);
}

static int have_ni = -1;

int terra_sha256_accelerated(void)
{
	unsigned a, b, c, d;

	if (have_ni < 0) {
		/* CPUID: leaf 1 ECX bit 9 SSSE3, bit 19 SSE4.1; leaf 7 EBX bit 29 SHA */
		have_ni = __get_cpuid(1, &a, &b, &c, &d) && (c >> 9 & 1) && (c >> 19 & 1) &&
		          __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b >> 29 & 1);
	}
	return have_ni;
}

/* SHA-256 of prefix (0 or 1 byte, -1 for none) || data, with the extensions. */
static void sha256_ni(int prefix, const uint8_t *data, size_t len, uint8_t out[TERRA_HASH_BYTES])
{
	uint32_t st[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	uint8_t tail[128];
	size_t total = len + (prefix >= 0), t = 0, full, rest;
	uint64_t bits = (uint64_t)total * 8;
	int i;

	if (prefix >= 0) {
		/* the prefix byte shifts the data: gather the first block by hand */
		tail[t++] = (uint8_t)prefix;
		rest = len < 63 ? len : 63;
		memcpy(tail + t, data, rest);
		t += rest;
		data += rest;
		len -= rest;
		if (t == 64) {
			blocks_ni(st, tail, 1);
			t = 0;
		}
	}
	if (t == 0) {
		full = len / 64;
		if (full)
			blocks_ni(st, data, full);
		data += full * 64;
		len -= full * 64;
		if (len)
			memcpy(tail, data, len);
		t = len;
	}
	/* t bytes pending in tail (and len == 0 when the prefix path left bytes) */
	tail[t++] = 0x80;
	if (t > 56) {
		memset(tail + t, 0, 128 - t);
		t = 128;
	} else {
		memset(tail + t, 0, 64 - t);
		t = 64;
	}
	for (i = 0; i < 8; i++)
		tail[t - 1 - i] = (uint8_t)(bits >> (8 * i));
	blocks_ni(st, tail, t / 64);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(st[i] >> 24);
		out[4 * i + 1] = (uint8_t)(st[i] >> 16);
		out[4 * i + 2] = (uint8_t)(st[i] >> 8);
		out[4 * i + 3] = (uint8_t)st[i];
	}
}
#else
int terra_sha256_accelerated(void)
{
	return 0;
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
/* The len-byte message at the start of buf padded in place (buf has room
 * for its last block); returns its blocks. */
static size_t pad_in_place(uint8_t *buf, size_t len)
{
	uint64_t bits = (uint64_t)len * 8;
	size_t t = (len + 9 + 63) / 64 * 64;

	buf[len] = 0x80;
	memset(buf + len + 1, 0, t - len - 1);
	for (int i = 0; i < 8; i++)
		buf[t - 1 - i] = (uint8_t)(bits >> (8 * i));
	return t / 64;
}

/* A message of at most 119 bytes, padded in place into one or two blocks. */
static void sha256_ni_short(uint8_t *buf, size_t len, uint8_t out[TERRA_HASH_BYTES])
{
	uint32_t st[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	int i;

	blocks_ni(st, buf, pad_in_place(buf, len));
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(st[i] >> 24);
		out[4 * i + 1] = (uint8_t)(st[i] >> 16);
		out[4 * i + 2] = (uint8_t)(st[i] >> 8);
		out[4 * i + 3] = (uint8_t)st[i];
	}
}
#endif

static void sha256_any(int prefix, const void *data, size_t len, uint8_t out[TERRA_HASH_BYTES])
{
	crypto_hash_sha256_state st;
	unsigned char b;

#if defined(__x86_64__) && defined(__GNUC__)
	if (terra_sha256_accelerated()) {
		if (prefix >= 0 && len <= 118) {
			uint8_t buf[128];

			buf[0] = (uint8_t)prefix;
			memcpy(buf + 1, data, len);
			sha256_ni_short(buf, len + 1, out);
			return;
		}
		sha256_ni(prefix, data, len, out);
		return;
	}
#endif
	crypto_hash_sha256_init(&st);
	if (prefix >= 0) {
		b = (unsigned char)prefix;
		crypto_hash_sha256_update(&st, &b, 1);
	}
	crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, out);
}

void terra_sha256(const void *data, size_t len, uint8_t out[TERRA_HASH_BYTES])
{
	sha256_any(-1, data ? data : "", len, out);
}

void terra_sha256_leaf(const void *data, size_t len, uint8_t out[TERRA_HASH_BYTES])
{
	sha256_any(0, data ? data : "", len, out);
}

void terra_sha256_node(const uint8_t left[TERRA_HASH_BYTES], const uint8_t right[TERRA_HASH_BYTES],
                       uint8_t out[TERRA_HASH_BYTES])
{
	uint8_t b[64];

	memcpy(b, left, TERRA_HASH_BYTES);
	memcpy(b + TERRA_HASH_BYTES, right, TERRA_HASH_BYTES);
	sha256_any(1, b, 64, out);
}

/* ---- several at once ------------------------------------------------------- */

#if defined(__x86_64__) && defined(__GNUC__)
#define WAYS 4 /* messages in step: each block's rounds are one chain of latency */

/*
 * The compression function over one block of each of WAYS messages, their
 * states in the extensions' ABEF/CDGH form: the ways' instructions
 * interleave, so one message's rounds run while another's wait.
 */
__attribute__((target("sha,sse4.1,ssse3"))) static inline void
block_ways(__m128i s0[WAYS], __m128i s1[WAYS], const uint8_t *p[WAYS])
{
	__m128i w[WAYS][4], save0[WAYS], save1[WAYS];
	int i, j;

	for (j = 0; j < WAYS; j++) {
		save0[j] = s0[j];
		save1[j] = s1[j];
	}
#if defined(__clang__)
#pragma unroll
#else
#pragma GCC unroll 16
#endif
	for (i = 0; i < 16; i++) {
#if defined(__clang__)
#pragma unroll
#else
#pragma GCC unroll 4
#endif
		for (j = 0; j < WAYS; j++)
			rounds4(i, p[j], w[j], &s0[j], &s1[j]);
	}
	for (j = 0; j < WAYS; j++) {
		s0[j] = _mm_add_epi32(s0[j], save0[j]);
		s1[j] = _mm_add_epi32(s1[j], save1[j]);
	}
}

/*
 * SHA-256 of WAYS messages, each already padded to `blocks` blocks (msg[j]
 * its first byte), into out[j] for the first `ways` (the rest are hashed
 * for the step and dropped).
 */
__attribute__((target("sha,sse4.1,ssse3"))) static void
padded_ways(const uint8_t *msg[WAYS], size_t blocks, int ways, uint8_t *const out[WAYS])
{
	/* The initial state, as blocks_ni arranges it: ABEF and CDGH. */
	const __m128i iv0 = _mm_set_epi32(0x6a09e667, 0xbb67ae85, 0x510e527f, 0x9b05688c);
	const __m128i iv1 = _mm_set_epi32(0x3c6ef372, 0xa54ff53a, 0x1f83d9ab, 0x5be0cd19);
	const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i s0[WAYS], s1[WAYS];
	const uint8_t *p[WAYS];
	int j;

	for (j = 0; j < WAYS; j++) {
		s0[j] = iv0;
		s1[j] = iv1;
		p[j] = msg[j < ways ? j : 0];
	}
	for (size_t b = 0; b < blocks; b++) {
		block_ways(s0, s1, p);
		for (j = 0; j < WAYS; j++)
			p[j] += 64;
	}
	for (j = 0; j < ways; j++) {
		__m128i t = _mm_shuffle_epi32(s0[j], 0x1B); /* FEBA */
		__m128i u = _mm_shuffle_epi32(s1[j], 0xB1); /* DCHG */
		__m128i abcd = _mm_blend_epi16(t, u, 0xF0); /* DCBA */
		__m128i efgh = _mm_alignr_epi8(u, t, 8);    /* HGFE */

		/* words A..H, each big-endian */
		abcd = _mm_shuffle_epi8(abcd, swap);
		efgh = _mm_shuffle_epi8(efgh, swap);
		_mm_storeu_si128((__m128i *)out[j], abcd);
		_mm_storeu_si128((__m128i *)(out[j] + 16), efgh);
	}
}

#define MANY_MAX 1024 /* longest message hashed in step; longer ones one by one */

static void many(size_t n, uint8_t prefix, const uint8_t *const *a, const uint8_t *const *b,
                 size_t len, uint8_t *const *out)
{
	static _Thread_local uint8_t buf[WAYS][MANY_MAX + 128];

	for (size_t i = 0; i < n; i += WAYS) {
		int ways = n - i < WAYS ? (int)(n - i) : WAYS;
		const uint8_t *msg[WAYS];
		uint8_t *o[WAYS], hashes[WAYS][TERRA_HASH_BYTES];
		size_t blocks = 0;

		if (ways < 3) { /* four in step take about the time of two in turn */
			for (int j = 0; j < ways; j++)
				if (b)
					terra_sha256_node(a[i + j], b[i + j], out[i + j]);
				else
					sha256_any(prefix, a[i + j], len, out[i + j]);
			break;
		}
		for (int j = 0; j < ways; j++) {
			buf[j][0] = prefix;
			if (b) { /* a node: left || right */
				memcpy(buf[j] + 1, a[i + j], TERRA_HASH_BYTES);
				memcpy(buf[j] + 1 + TERRA_HASH_BYTES, b[i + j], TERRA_HASH_BYTES);
			} else {
				memcpy(buf[j] + 1, a[i + j], len);
			}
			blocks = pad_in_place(buf[j], len + 1);
			msg[j] = buf[j];
			o[j] = hashes[j]; /* out[i + j] may be an input of its own */
		}
		padded_ways(msg, blocks, ways, o);
		for (int j = 0; j < ways; j++)
			memcpy(out[i + j], hashes[j], TERRA_HASH_BYTES);
	}
}
#endif

void terra_sha256_nodes(size_t n, const uint8_t *const *left, const uint8_t *const *right,
                        uint8_t *const *out)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (terra_sha256_accelerated()) {
		many(n, 1, left, right, 2 * TERRA_HASH_BYTES, out);
		return;
	}
#endif
	for (size_t i = 0; i < n; i++)
		terra_sha256_node(left[i], right[i], out[i]);
}

void terra_sha256_leaves(size_t n, const uint8_t *const *data, size_t len, uint8_t *const *out)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (terra_sha256_accelerated() && len <= MANY_MAX) {
		many(n, 0, data, NULL, len, out);
		return;
	}
#endif
	for (size_t i = 0; i < n; i++)
		terra_sha256_leaf(data[i], len, out[i]);
}

/* ---- in pieces ------------------------------------------------------------ */

void terra_sha256_init(terra_sha256_ctx *c)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

	memset(c, 0, sizeof *c);
	c->ni = terra_sha256_accelerated();
	memcpy(c->st, iv, sizeof iv);
	if (!c->ni)
		crypto_hash_sha256_init(&c->sodium);
}

void terra_sha256_update(terra_sha256_ctx *c, const void *data, size_t len)
{
#if defined(__x86_64__) && defined(__GNUC__)
	const uint8_t *p = data;
	size_t take, full;

	if (c->ni) {
		c->total += len;
		if (c->used) {
			take = 64 - c->used < len ? 64 - c->used : len;
			memcpy(c->buf + c->used, p, take);
			c->used += take;
			p += take;
			len -= take;
			if (c->used < 64)
				return;
			blocks_ni(c->st, c->buf, 1);
			c->used = 0;
		}
		full = len / 64;
		if (full)
			blocks_ni(c->st, p, full);
		memcpy(c->buf, p + full * 64, len - full * 64);
		c->used = len - full * 64;
		return;
	}
#endif
	crypto_hash_sha256_update(&c->sodium, data, len);
}

void terra_sha256_final(terra_sha256_ctx *c, uint8_t out[TERRA_HASH_BYTES])
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (c->ni) {
		uint8_t tail[128];
		uint64_t bits = c->total * 8;
		size_t t = c->used;
		int i;

		memcpy(tail, c->buf, t);
		tail[t++] = 0x80;
		memset(tail + t, 0, 128 - t);
		t = t > 56 ? 128 : 64;
		for (i = 0; i < 8; i++)
			tail[t - 1 - i] = (uint8_t)(bits >> (8 * i));
		blocks_ni(c->st, tail, t / 64);
		for (i = 0; i < 8; i++) {
			out[4 * i] = (uint8_t)(c->st[i] >> 24);
			out[4 * i + 1] = (uint8_t)(c->st[i] >> 16);
			out[4 * i + 2] = (uint8_t)(c->st[i] >> 8);
			out[4 * i + 3] = (uint8_t)c->st[i];
		}
		return;
	}
#endif
	crypto_hash_sha256_final(&c->sodium, out);
}
