#include "sha256d.h"

#include "ocl.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/*
 * The OpenCL scanner. Kernel source as short pieces (ISO C caps the length of
 * one string literal), joined at build time. u32x is uint or uintVEC: each
 * work-item hashes VEC consecutive nonces as explicit vector lanes, LANES
 * being (0, 1, .., VEC-1), so a CPU runtime need not vectorise on its own.
 */
/* clang-format off */
static const char *const scan_src[] = {
	"#define CAT_(a, b) a##b\n"
	"#define CAT(a, b) CAT_(a, b)\n"
	"#if VEC == 1\n"
	"typedef uint u32x;\n"
	"#else\n"
	"typedef CAT(uint, VEC) u32x;\n"
	"#endif\n"
	"#define ROTR(x, n) rotate((x), (u32x)(32u - (n)))\n"
	"#define BS0(x) (ROTR(x, 2) ^ ROTR(x, 13) ^ ROTR(x, 22))\n"
	"#define BS1(x) (ROTR(x, 6) ^ ROTR(x, 11) ^ ROTR(x, 25))\n"
	"#define SS0(x) (ROTR(x, 7) ^ ROTR(x, 18) ^ ((x) >> 3))\n"
	"#define SS1(x) (ROTR(x, 17) ^ ROTR(x, 19) ^ ((x) >> 10))\n"
	/* Written with xor, not bitselect: a compiler turns the disjoint or of
	 * bitselect into an add and then cannot fuse it into one logic op. */
	"#define CH(e, f, g) ((g) ^ ((e) & ((f) ^ (g))))\n"
	/*
	 * Maj(a, b, c). AVX-512 computes any function of three words in one
	 * instruction, but compilers fuse at most two logic operations, so the
	 * 16-lane kernel asks for it by name where the compiler targets AVX-512.
	 * Elsewhere Maj(a, b, c) is b ^ ((a ^ b) & (b ^ c)), and a round's b ^ c
	 * is the last round's a ^ b: x carries it from round to round.
	 */
	"#if VEC == 16 && defined(__clang__) && defined(__AVX512F__)\n"
	"#define MAJ(a, b, c, ab) as_uint16(__builtin_ia32_pternlogd512_mask( \\\n"
	"	as_int16(a), as_int16(b), as_int16(c), 0xe8, (ushort)0xffff))\n"
	"#else\n"
	"#define MAJ(a, b, c, ab) ((b) ^ ((ab) & x))\n"
	"#endif\n"
	"#define BSWAP(x) (rotate((x) & (u32x)0x00ff00ffu, (u32x)24u) | \\\n"
	"                  rotate((x) & (u32x)0xff00ff00u, (u32x)8u))\n",

	"__constant uint K[64] = {\n"
	"0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,\n"
	"0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,\n"
	"0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,\n"
	"0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,\n"
	"0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,\n"
	"0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,\n"
	"0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,\n"
	"0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,\n"
	"0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,\n"
	"0xc67178f2};\n"
	/* One round; the caller rotates the names, so no moves are needed. */
	"#define RND(a, b, c, d, e, f, g, h, w, i) { \\\n"
	"	u32x t1 = (h) + BS1(e) + CH(e, f, g) + (u32x)K[i] + (w); \\\n"
	"	u32x ab = (a) ^ (b); \\\n"
	"	(d) += t1; (h) = t1 + BS0(a) + MAJ(a, b, c, ab); x = ab; }\n"
	/* A round for its new e only: the last rounds' new a is never read. */
	"#define RNDE(a, b, c, d, e, f, g, h, w, i) { \\\n"
	"	(d) += (h) + BS1(e) + CH(e, f, g) + (u32x)K[i] + (w); }\n"
	"#define R8(i, w0, w1, w2, w3, w4, w5, w6, w7) \\\n"
	"	RND(a, b, c, d, e, f, g, h, w0, i) RND(h, a, b, c, d, e, f, g, w1, i + 1) \\\n"
	"	RND(g, h, a, b, c, d, e, f, w2, i + 2) RND(f, g, h, a, b, c, d, e, w3, i + 3) \\\n"
	"	RND(e, f, g, h, a, b, c, d, w4, i + 4) RND(d, e, f, g, h, a, b, c, w5, i + 5) \\\n"
	"	RND(c, d, e, f, g, h, a, b, w6, i + 6) RND(b, c, d, e, f, g, h, a, w7, i + 7)\n"
	"#define EXP(i) (w[(i) & 15] += SS1(w[((i) - 2) & 15]) + w[((i) - 7) & 15] + \\\n"
	"                SS0(w[((i) - 15) & 15]))\n"
	"#define R8X(i) R8(i, EXP(i), EXP(i + 1), EXP(i + 2), EXP(i + 3), EXP(i + 4), \\\n"
	"                 EXP(i + 5), EXP(i + 6), EXP(i + 7))\n"
	"#define R8W(i) R8(i, w[i], w[i + 1], w[i + 2], w[i + 3], w[i + 4], w[i + 5], \\\n"
	"                 w[i + 6], w[i + 7])\n",

	/*
	 * mid: the state after the header's first 64 bytes. st4: the state after
	 * rounds 0..3 of the second block computed with word 3, the nonce, at
	 * zero: the nonce enters round 3 only as an addend to the new a and e.
	 * pre: words 16..19 of that block less their nonce terms (SS0(w3) in 18,
	 * w3 in 19). Words 4..15 are padding and length: constants the compiler
	 * folds, as it does the second hash's words 8..15 and initial state; they
	 * are set one by one, as a loop filling w can leave it in memory. The
	 * second hash stops at round 60's new e, the last word of the hash before
	 * the feed-forward (rounds 61..63 only move it along); mask is the share
	 * mask byte-swapped to match. The host checks each reported nonce in full.
	 */
	"__kernel void sha256d_scan(uint8 mid, uint8 st4, uint4 pre, uint base, uint count,\n"
	"                           uint mask, __global uint *out, uint max, uint iters)\n"
	"{\n"
	"	uint gid = (uint)get_global_id(0);\n"
	"	for (uint it = 0; it < iters; it++) {\n"
	"	u32x off = (u32x)((gid * iters + it) * VEC) + LANES;\n"
	"	u32x nonce = BSWAP((u32x)base + off);\n"
	/* After four rounds the state's A..H sit in e, f, g, h, a, b, c, d. */
	"	u32x e = st4.s0 + nonce, f = st4.s1, g = st4.s2, h = st4.s3;\n"
	"	u32x a = st4.s4 + nonce, b = st4.s5, c = st4.s6, d = st4.s7;\n"
	"	u32x w[16], x = f ^ g;\n"
	"	w[3] = nonce;\n"
	"	w[4] = 0x80000000u;\n"
	"	w[5] = w[6] = w[7] = w[8] = w[9] = w[10] = w[11] = w[12] = w[13] = w[14] = 0;\n"
	"	w[15] = 640;\n"
	"	RND(e, f, g, h, a, b, c, d, w[4], 4) RND(d, e, f, g, h, a, b, c, w[5], 5)\n"
	"	RND(c, d, e, f, g, h, a, b, w[6], 6) RND(b, c, d, e, f, g, h, a, w[7], 7)\n"
	"	R8W(8)\n"
	"	w[0] = pre.s0; w[1] = pre.s1; w[2] = pre.s2 + SS0(w[3]); w[3] += pre.s3;\n"
	"	R8(16, w[0], w[1], w[2], w[3], EXP(20), EXP(21), EXP(22), EXP(23))\n"
	"	R8X(24) R8X(32) R8X(40) R8X(48) R8X(56)\n"
	"	w[0] = a + mid.s0; w[1] = b + mid.s1; w[2] = c + mid.s2; w[3] = d + mid.s3;\n"
	"	w[4] = e + mid.s4; w[5] = f + mid.s5; w[6] = g + mid.s6; w[7] = h + mid.s7;\n"
	"	w[8] = 0x80000000u;\n"
	"	w[9] = w[10] = w[11] = w[12] = w[13] = w[14] = 0;\n"
	"	w[15] = 256;\n"
	"	a = 0x6a09e667u; b = 0xbb67ae85u; c = 0x3c6ef372u; d = 0xa54ff53au;\n"
	"	e = 0x510e527fu; f = 0x9b05688cu; g = 0x1f83d9abu; h = 0x5be0cd19u;\n"
	"	x = b ^ c;\n"
	"	R8W(0) R8W(8) R8X(16) R8X(24) R8X(32) R8X(40) R8X(48)\n"
	"	RND(a, b, c, d, e, f, g, h, EXP(56), 56) RNDE(h, a, b, c, d, e, f, g, EXP(57), 57)\n"
	"	RNDE(g, h, a, b, c, d, e, f, EXP(58), 58) RNDE(f, g, h, a, b, c, d, e, EXP(59), 59)\n"
	"	RNDE(e, f, g, h, a, b, c, d, EXP(60), 60)\n"
	"	u32x top = h + (u32x)0x5be0cd19u;\n",

	"#if VEC == 1\n"
	"	if ((top & mask) == 0 && off < count) {\n"
	"		uint i = atomic_inc(out);\n"
	"		if (i < max) out[1 + i] = off;\n"
	"	}\n"
	"#else\n"
	"	if (any(((top & mask) == 0) & (off < count))) {\n"
	"		uint t[VEC], o[VEC];\n"
	"		CAT(vstore, VEC)(top, 0, t);\n"
	"		CAT(vstore, VEC)(off, 0, o);\n"
	"		for (int l = 0; l < VEC; l++) {\n"
	"			if ((t[l] & mask) == 0 && o[l] < count) {\n"
	"				uint i = atomic_inc(out);\n"
	"				if (i < max) out[1 + i] = o[l];\n"
	"			}\n"
	"		}\n"
	"	}\n"
	"#endif\n"
	"	}\n"
	"}\n",
};
/* clang-format on */

enum { SCAN_MAX_HITS = 4096 };

struct terra_sha256d_cl {
	cl_context ctx;
	cl_command_queue queue;
	cl_program prog;
	cl_kernel kernel;
	cl_mem out;
	unsigned vec;
	unsigned iters; /* nonce vectors per work-item: many on a CPU, to amortise its scheduling */
	size_t local;   /* work-group size, fixed: a CPU runtime compiles once per size */
	uint32_t *hits; /* SCAN_MAX_HITS + 1 */
};

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotr(uint32_t x, int n)
{
	return x >> n | x << (32 - n);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t ss0(uint32_t x)
{
	return rotr(x, 7) ^ rotr(x, 18) ^ x >> 3;
}

static uint32_t ss1(uint32_t x)
{
	return rotr(x, 17) ^ rotr(x, 19) ^ x >> 10;
}

static uint32_t bswap32(uint32_t x)
{
	return x >> 24 | (x >> 8 & 0xff00u) | (x << 8 & 0xff0000u) | x << 24;
}

/* Rounds [0, n) of a compression from state s over words w (n <= 16). */
static void rounds(uint32_t s[8], const uint32_t *w, int n)
{
	for (int i = 0; i < n; i++) {
		uint32_t t1 = s[7] + (rotr(s[4], 6) ^ rotr(s[4], 11) ^ rotr(s[4], 25)) +
		              ((s[4] & s[5]) ^ (~s[4] & s[6])) + sha256_k[i] + w[i];
		uint32_t t2 = (rotr(s[0], 2) ^ rotr(s[0], 13) ^ rotr(s[0], 22)) +
		              ((s[0] & s[1]) ^ (s[0] & s[2]) ^ (s[1] & s[2]));
		memmove(s + 1, s, 7 * sizeof *s);
		s[4] += t1;
		s[0] = t1 + t2;
	}
}

static unsigned scan_vec(cl_device_id dev)
{
	const char *env = getenv("TERRA_SHA256D_VEC");
	cl_uint pref = 1;

	if (env && (!strcmp(env, "1") || !strcmp(env, "2") || !strcmp(env, "4") ||
	            !strcmp(env, "8") || !strcmp(env, "16")))
		return (unsigned)atoi(env);
	if (clGetDeviceInfo(dev, CL_DEVICE_PREFERRED_VECTOR_WIDTH_INT, sizeof pref, &pref, NULL) !=
	    CL_SUCCESS)
		return 1;
	return pref >= 16 ? 16 : pref >= 8 ? 8 : pref >= 4 ? 4 : pref >= 2 ? 2 : 1;
}

static int scan_launch(terra_sha256d_cl *s, const uint8_t tmpl[TERRA_HEADER_BYTES], uint64_t start,
                       uint32_t count, int bits, uint64_t *shares, size_t max, size_t *nshares,
                       int64_t *busy_ns, terra_err *e);

static unsigned scan_iters(cl_device_id dev)
{
	const char *env = getenv("TERRA_SHA256D_ITERS");
	cl_device_type type = 0;

	if (env && atoi(env) > 0 && atoi(env) <= 65536)
		return (unsigned)atoi(env);
	if (clGetDeviceInfo(dev, CL_DEVICE_TYPE, sizeof type, &type, NULL) != CL_SUCCESS)
		return 1;
	return (type & CL_DEVICE_TYPE_CPU) ? 256 : 1;
}

int terra_sha256d_cl_open(terra_sha256d_cl **sp, cl_context ctx, cl_device_id dev,
                          cl_command_queue queue, terra_err *e)
{
	terra_sha256d_cl *s = calloc(1, sizeof *s);
	char opts[256], lanes[96];
	static const uint8_t zero_header[TERRA_HEADER_BYTES];
	uint64_t ignore;
	int64_t busy = 0;
	size_t nignore = 0;
	char *src = NULL;
	size_t len = 0;
	cl_int rc;
	int ret = -1;

	if (!s)
		return terra_err_sys(e, "sha256d");
	s->ctx = ctx;
	s->queue = queue;
	s->vec = scan_vec(dev);
	s->iters = scan_iters(dev);
	s->local = s->iters > 1 ? 4 : 64;
	for (size_t i = 0; i < sizeof scan_src / sizeof *scan_src; i++)
		len += strlen(scan_src[i]);
	if (!(src = malloc(len + 1)) ||
	    !(s->hits = malloc((SCAN_MAX_HITS + 1) * sizeof(uint32_t)))) {
		terra_err_sys(e, "sha256d");
		goto out;
	}
	src[0] = '\0';
	for (size_t i = 0; i < sizeof scan_src / sizeof *scan_src; i++)
		strcat(src, scan_src[i]);
	lanes[0] = '\0';
	for (unsigned i = 0; i < s->vec; i++)
		snprintf(lanes + strlen(lanes), sizeof lanes - strlen(lanes), "%s%u", i ? "," : "",
		         i);
	if (s->vec == 1)
		snprintf(opts, sizeof opts, "-DVEC=1 -DLANES=0u");
	else
		snprintf(opts, sizeof opts, "-DVEC=%u -DLANES=(uint%u)(%s)", s->vec, s->vec, lanes);
	if (terra_ocl_build(ctx, dev, src, opts, &s->prog, e) < 0) {
		terra_err_wrap(e, "sha256d kernel");
		goto out;
	}
	s->kernel = clCreateKernel(s->prog, "sha256d_scan", &rc);
	if (rc != CL_SUCCESS) {
		terra_err_set(e, TERRA_E_DEVICE, "sha256d kernel: %s", terra_ocl_strerror(rc));
		goto out;
	}
	s->out = clCreateBuffer(ctx, CL_MEM_READ_WRITE, (SCAN_MAX_HITS + 1) * sizeof(cl_uint), NULL,
	                        &rc);
	if (rc != CL_SUCCESS) {
		terra_err_set(e, TERRA_E_DEVICE, "sha256d buffer: %s", terra_ocl_strerror(rc));
		goto out;
	}
	/* One small launch now, so the first real one does not pay for compiling. */
	if (scan_launch(s, zero_header, 0, 1, 32, &ignore, 1, &nignore, &busy, e) < 0)
		goto out;
	*sp = s;
	s = NULL;
	ret = 0;
out:
	free(src);
	terra_sha256d_cl_close(s);
	return ret;
}

void terra_sha256d_cl_close(terra_sha256d_cl *s)
{
	if (!s)
		return;
	if (s->out)
		clReleaseMemObject(s->out);
	if (s->kernel)
		clReleaseKernel(s->kernel);
	if (s->prog)
		clReleaseProgram(s->prog);
	free(s->hits);
	free(s);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* One launch: nonces [start, start + count) within one 2^32 block. */
static int scan_launch(terra_sha256d_cl *s, const uint8_t tmpl[TERRA_HEADER_BYTES], uint64_t start,
                       uint32_t count, int bits, uint64_t *shares, size_t max, size_t *nshares,
                       int64_t *busy_ns, terra_err *e)
{
	uint8_t header[TERRA_HEADER_BYTES];
	crypto_hash_sha256_state st;
	uint32_t mid[8], st4[8], w[16] = {0}, pre[4];
	cl_uint8 clmid, clst4;
	cl_uint4 clpre;
	cl_uint base = (cl_uint)(start & 0xffffffffu), clcount = count, zero = 0;
	/* The kernel compares the hash's last word before its byte swap. */
	cl_uint mask = bswap32(bits >= 32 ? 0xffffffffu : ~(0xffffffffu >> bits));
	cl_uint hmax = SCAN_MAX_HITS;
	cl_uint iters = s->iters;
	size_t per_item = (size_t)s->vec * iters;
	size_t global = ((count + per_item - 1) / per_item + s->local - 1) / s->local * s->local;
	cl_ulong ns;
	cl_event ev = NULL;
	cl_int rc;
	cl_uint a = 0;

	terra_sha256d_header(tmpl, start, header);
	/* libsodium's state after one whole block is the midstate (big-endian words). */
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, header, 64);
	memcpy(mid, st.state, sizeof mid);
	/* The second block with the nonce (word 3) at zero, padded to 640 bits. */
	for (int i = 0; i < 3; i++)
		w[i] = be32(header + 64 + 4 * i);
	w[4] = 0x80000000u;
	w[15] = 640;
	memcpy(st4, mid, sizeof st4);
	rounds(st4, w, 4);
	pre[0] = ss1(w[14]) + w[9] + ss0(w[1]) + w[0];
	pre[1] = ss1(w[15]) + w[10] + ss0(w[2]) + w[1];
	pre[2] = ss1(pre[0]) + w[11] + w[2];
	pre[3] = ss1(pre[1]) + w[12] + ss0(w[4]);
	for (int i = 0; i < 8; i++) {
		clmid.s[i] = mid[i];
		clst4.s[i] = st4[i];
	}
	for (int i = 0; i < 4; i++)
		clpre.s[i] = pre[i];
	rc = clEnqueueWriteBuffer(s->queue, s->out, CL_FALSE, 0, sizeof zero, &zero, 0, NULL, NULL);
	if (rc == CL_SUCCESS) {
		rc |= clSetKernelArg(s->kernel, a++, sizeof clmid, &clmid);
		rc |= clSetKernelArg(s->kernel, a++, sizeof clst4, &clst4);
		rc |= clSetKernelArg(s->kernel, a++, sizeof clpre, &clpre);
		rc |= clSetKernelArg(s->kernel, a++, sizeof base, &base);
		rc |= clSetKernelArg(s->kernel, a++, sizeof clcount, &clcount);
		rc |= clSetKernelArg(s->kernel, a++, sizeof mask, &mask);
		rc |= clSetKernelArg(s->kernel, a++, sizeof s->out, &s->out);
		rc |= clSetKernelArg(s->kernel, a++, sizeof hmax, &hmax);
		rc |= clSetKernelArg(s->kernel, a++, sizeof iters, &iters);
	}
	if (rc == CL_SUCCESS)
		rc = clEnqueueNDRangeKernel(s->queue, s->kernel, 1, NULL, &global, &s->local, 0,
		                            NULL, &ev);
	if (rc == CL_SUCCESS)
		rc = clEnqueueReadBuffer(s->queue, s->out, CL_TRUE, 0,
		                         (SCAN_MAX_HITS + 1) * sizeof(cl_uint), s->hits, 0, NULL,
		                         NULL);
	/* Device time from the kernel's event; -1 once a launch cannot tell. */
	if (rc == CL_SUCCESS && *busy_ns >= 0 && terra_ocl_event_ns(ev, &ns) == CL_SUCCESS)
		*busy_ns += (int64_t)ns;
	else
		*busy_ns = -1;
	if (ev)
		clReleaseEvent(ev);
	if (rc != CL_SUCCESS)
		return terra_err_set(e, TERRA_E_DEVICE, "sha256d scan: %s", terra_ocl_strerror(rc));
	if (s->hits[0] > SCAN_MAX_HITS)
		return terra_err_set(e, TERRA_E_DEVICE,
		                     "sha256d scan: %u shares in one launch, more than %d: "
		                     "raise the share bits",
		                     s->hits[0], SCAN_MAX_HITS);
	qsort(s->hits + 1, s->hits[0], sizeof(uint32_t), cmp_u32);
	for (uint32_t i = 0; i < s->hits[0]; i++) {
		uint64_t n = start + s->hits[1 + i];
		uint8_t hash[TERRA_HASH_BYTES];

		/* The device's word is checked again here: a device that
		 * miscomputes is found out, never trusted. */
		terra_sha256d_hash(tmpl, n, hash);
		if (!terra_sha256d_meets(hash, bits)) {
			if (bits <= 32)
				return terra_err_set(
				    e, TERRA_E_DEVICE,
				    "sha256d scan: the device reported nonce %llu, "
				    "whose hash misses the share target",
				    (unsigned long long)n);
			continue;
		}
		if (*nshares >= max)
			return terra_err_set(
			    e, TERRA_E_INPUT,
			    "sha256d scan: more than %zu shares: raise the share bits", max);
		shares[(*nshares)++] = n;
	}
	return 0;
}

int terra_sha256d_cl_scan(terra_sha256d_cl *s, const uint8_t tmpl[TERRA_HEADER_BYTES],
                          uint64_t start, uint64_t count, int share_bits, uint64_t *shares,
                          size_t max, size_t *nshares, int64_t *busy_us, terra_err *e)
{
	/* Launches small enough that a few hundred hits at most are expected. */
	uint64_t per = share_bits >= 24 ? UINT64_C(1) << 32 : UINT64_C(256) << share_bits;
	int64_t busy_ns = 0;

	if (share_bits < 1 || share_bits > 64)
		return terra_err_set(e, TERRA_E_INPUT, "share bits %d: must be 1 to 64",
		                     share_bits);
	while (count > 0) {
		uint64_t block_end = (start | 0xffffffffu) + 1;
		uint64_t n = count;

		if (n > block_end - start)
			n = block_end - start;
		if (n > per)
			n = per;
		if (n > 0xffffffffu)
			n = UINT64_C(1) << 31;
		if (scan_launch(s, tmpl, start, (uint32_t)n, share_bits, shares, max, nshares,
		                &busy_ns, e) < 0)
			return -1;
		start += n;
		count -= n;
	}
	if (busy_us)
		*busy_us = busy_ns >= 0 ? busy_ns / 1000 : -1;
	return 0;
}
