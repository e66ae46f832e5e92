#include "sgemm.h"

#include "ocl.h"
#include "sha256d.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Two kernels. For GPUs: a work-group of LX x LY items computes a BM x BN
 * tile of C (BM = LY * RM rows, BN = LX * V columns), staging BK-deep slices
 * of A and B in local memory; each item keeps RM x V results in registers
 * and reads B as V-wide vectors. For CPUs (DIRECT), whose caches stage
 * better than local memory emulated around barriers: each item keeps RM x
 * CN vectors of results in registers over k blocks of a few hundred, the
 * partial sums going through C between launches. Both accumulate each
 * element with fma in order of k, so they give the same bits. Sizes are
 * padded on the host to whole tiles.
 */
/* clang-format off */
static const char *const sgemm_src[] = {
	"#define CAT_(a, b) a##b\n"
	"#define CAT(a, b) CAT_(a, b)\n"
	"typedef CAT(float, V) floatV;\n"
	"#define VLOAD CAT(vload, V)\n"
	"#define VSTORE CAT(vstore, V)\n"
	"#define BM (LY * RM)\n"
	"#define BN (LX * V)\n"
	"#if DIRECT\n"
	/*
	 * No local memory, no barriers: for CPUs, whose caches do the staging.
	 * An item computes RM rows by CN vectors of V columns over k in
	 * [k0, k1), going on from C's partial sums past the first k block.
	 * Rows are dimension 0, so consecutive work-groups share a block of B.
	 */
	"__kernel __attribute__((reqd_work_group_size(LY, LX, 1)))\n"
	"void sgemm(const int N, const int K, const int row0, const int k0, const int k1,\n"
	"           __global const float *A, __global const float *B, __global float *C)\n"
	"{\n"
	"	const int row = row0 + get_global_id(0) * RM, col = get_global_id(1) * V * CN;\n"
	"	__global const float *a = A + (size_t)row * K;\n"
	"	floatV acc[RM][CN];\n"
	"	for (int r = 0; r < RM; r++)\n"
	"		for (int c = 0; c < CN; c++)\n"
	"			acc[r][c] = k0 ? VLOAD(0, C + (size_t)(row + r) * N + col + c * V)\n"
	"			               : (floatV)0.0f;\n"
	"	for (int k = k0; k < k1; k++) {\n"
	"		floatV b[CN];\n"
	"#pragma unroll\n"
	"		for (int c = 0; c < CN; c++)\n"
	"			b[c] = VLOAD(0, B + (size_t)k * N + col + c * V);\n"
	"#pragma unroll\n"
	"		for (int r = 0; r < RM; r++) {\n"
	"			const floatV x = (floatV)a[(size_t)r * K + k];\n"
	"#pragma unroll\n"
	"			for (int c = 0; c < CN; c++)\n"
	"				acc[r][c] = fma(x, b[c], acc[r][c]);\n"
	"		}\n"
	"	}\n"
	"	for (int r = 0; r < RM; r++)\n"
	"		for (int c = 0; c < CN; c++)\n"
	"			VSTORE(acc[r][c], 0, C + (size_t)(row + r) * N + col + c * V);\n"
	"}\n"
	"#else\n"
	"__kernel __attribute__((reqd_work_group_size(LX, LY, 1)))\n"
	"void sgemm(const int N, const int K, const int row0, const int k0, const int k1,\n"
	"           __global const float *A, __global const float *B, __global float *C)\n"
	"{\n"
	"	__local float As[BM * BK];\n"
	"	__local floatV Bs[BK * LX];\n"
	"	const int tx = get_local_id(0), ty = get_local_id(1), tid = ty * LX + tx;\n"
	"	const int bx = get_group_id(0), rowb = row0 + get_group_id(1) * BM;\n"
	"	floatV acc[RM];\n"
	"	for (int r = 0; r < RM; r++)\n"
	"		acc[r] = (floatV)0.0f;\n"
	"	for (int k0 = 0; k0 < K; k0 += BK) {\n"
	"		for (int i = tid; i < BM * BK; i += LX * LY)\n"
	"			As[i] = A[(size_t)(rowb + i / BK) * K + k0 + i % BK];\n"
	"		for (int i = tid; i < BK * LX; i += LX * LY)\n"
	"			Bs[i] = VLOAD(0, B + (size_t)(k0 + i / LX) * N + bx * BN + (i % LX) * V);\n"
	"		barrier(CLK_LOCAL_MEM_FENCE);\n"
	"#pragma unroll 4\n"
	"		for (int kk = 0; kk < BK; kk++) {\n"
	"			const floatV b = Bs[kk * LX + tx];\n"
	"#pragma unroll\n"
	"			for (int r = 0; r < RM; r++)\n"
	"				acc[r] = fma((floatV)As[(ty * RM + r) * BK + kk], b, acc[r]);\n"
	"		}\n"
	"		barrier(CLK_LOCAL_MEM_FENCE);\n"
	"	}\n"
	"	for (int r = 0; r < RM; r++)\n"
	"		VSTORE(acc[r], 0, C + (size_t)(rowb + ty * RM + r) * N + bx * BN + tx * V);\n"
	"}\n"
	"#endif\n",
};
/* clang-format on */

struct tiling {
	int lx, ly, rm, v, bk; /* bk 0: the kernel without local memory */
	int cn;                /* without local memory: V-wide column vectors per item */
};

struct terra_sgemm {
	cl_context ctx;
	cl_device_id dev;
	cl_command_queue queue;
	cl_program prog;
	cl_kernel kernel;
	cl_mem a, b, c;
	struct tiling t;
	int64_t m, n, k;        /* the job's sizes */
	int64_t mp, np, kp;     /* padded to whole tiles */
	int64_t panel;          /* rows per launch, a multiple of the tile's */
	int64_t kblock;         /* k per launch of the kernel without local memory */
	int64_t next_row;       /* rows [0, next_row) done and checked */
	int64_t take_row;       /* first row of the current stretch */
	float *ha, *hb, *hc;    /* host copies, padded; hc holds one panel */
	double *r, *br, *anorm; /* Freivalds: vectors, B r per round, row norms of A */
	double s[TERRA_SGEMM_ROUNDS];
	crypto_hash_sha256_state digest;
	uint8_t (*leaves)[TERRA_HASH_BYTES]; /* the stretch's row leaves (sgemmproof.h) */
	size_t cap_leaves;
	terra_sha256d_cl *scan; /* for the challenge's grinding, opened when first needed */
};

static void tiling_choose(cl_device_id dev, struct tiling *t)
{
	const char *env = getenv("TERRA_SGEMM_TILING"); /* "LX,LY,RM,V,BK[,CN]", for tuning */
	cl_device_type type = 0;

	clGetDeviceInfo(dev, CL_DEVICE_TYPE, sizeof type, &type, NULL);
	if (type & CL_DEVICE_TYPE_CPU)
		/* Measured best on PoCL with AVX-512: 24 vector accumulators per item,
		 * 16 row blocks per work-group sharing a block of B in cache. */
		*t = (struct tiling){.lx = 1, .ly = 16, .rm = 8, .v = 16, .bk = 0, .cn = 3};
	else
		*t = (struct tiling){.lx = 16, .ly = 16, .rm = 4, .v = 4, .bk = 16, .cn = 1};
	if (env) {
		struct tiling u = {.cn = 1};
		if (sscanf(env, "%d,%d,%d,%d,%d,%d", &u.lx, &u.ly, &u.rm, &u.v, &u.bk, &u.cn) >=
		        5 &&
		    u.cn >= 1 && (u.bk > 0 ? u.cn == 1 : 1) && u.lx > 0 && u.ly > 0 && u.rm > 0 &&
		    u.bk >= 0 && (u.v == 2 || u.v == 4 || u.v == 8 || u.v == 16))
			*t = u;
	}
}

static int64_t round_up(int64_t x, int64_t to)
{
	return (x + to - 1) / to * to;
}

static int dev_buffer(cl_context ctx, cl_device_id dev, cl_mem_flags flags, size_t bytes,
                      void *host, cl_mem *mem, const char *what, terra_err *e)
{
	cl_ulong max_alloc = 0;
	cl_int rc;

	clGetDeviceInfo(dev, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof max_alloc, &max_alloc, NULL);
	if (max_alloc && bytes > max_alloc)
		return terra_err_set(e, TERRA_E_DEVICE,
		                     "sgemm: buffer %s of %zu bytes: the device refuses it "
		                     "(largest allocation %llu bytes)",
		                     what, bytes, (unsigned long long)max_alloc);
	*mem = clCreateBuffer(ctx, flags | (host ? CL_MEM_COPY_HOST_PTR : 0), bytes, host, &rc);
	if (rc != CL_SUCCESS)
		return terra_err_set(e, TERRA_E_DEVICE, "sgemm: buffer %s of %zu bytes: %s", what,
		                     bytes, terra_ocl_strerror(rc));
	return 0;
}

static void *alloc_array(size_t count, size_t size)
{
	if (count && size > SIZE_MAX / count)
		return NULL;
	return calloc(count ? count : 1, size);
}

/* Random vectors for Freivalds' check, B r for each, and the scale of rounding errors. */
static void freivalds_setup(terra_sgemm *g)
{
	for (int t = 0; t < TERRA_SGEMM_ROUNDS; t++) {
		double *r = g->r + t * g->n, *br = g->br + t * g->k, s2 = 0;

		for (int64_t j = 0; j < g->n; j++) {
			uint32_t x = randombytes_random();
			r[j] = (x & 1 ? -1.0 : 1.0) * (1.0 + (double)(x >> 1) / 2147483648.0);
		}
		for (int64_t l = 0; l < g->k; l++) {
			const float *brow = g->hb + l * g->np;
			double sum = 0;
			for (int64_t j = 0; j < g->n; j++)
				sum += (double)brow[j] * r[j];
			br[l] = sum;
		}
		for (int64_t j = 0; j < g->n; j++) {
			double col = 0;
			for (int64_t l = 0; l < g->k; l++)
				col += (double)g->hb[l * g->np + j] * g->hb[l * g->np + j];
			s2 += r[j] * r[j] * col;
		}
		g->s[t] = sqrt(s2);
	}
	for (int64_t i = 0; i < g->m; i++) {
		double sum = 0;
		for (int64_t l = 0; l < g->k; l++)
			sum += (double)g->ha[i * g->kp + l] * g->ha[i * g->kp + l];
		g->anorm[i] = sqrt(sum);
	}
}

int terra_sgemm_open(terra_sgemm **gp, cl_context ctx, cl_device_id dev, cl_command_queue queue,
                     int64_t m, int64_t n, int64_t k, uint64_t seed, terra_err *e)
{
	terra_sgemm *g = NULL;
	char opts[200];
	cl_int rc;
	cl_float zero = 0;
	int64_t bm, flops_per_row;
	size_t cbytes;
	int ret = -1;

	if (m < 1 || n < 1 || k < 1 || m > TERRA_SGEMM_DIM_MAX || n > TERRA_SGEMM_DIM_MAX ||
	    k > TERRA_SGEMM_DIM_MAX)
		return terra_err_set(e, TERRA_E_INPUT, "sgemm: sizes m n k must be 1 to %d",
		                     TERRA_SGEMM_DIM_MAX);
	if (!(g = calloc(1, sizeof *g)))
		return terra_err_sys(e, "sgemm");
	g->ctx = ctx;
	g->dev = dev;
	g->queue = queue;
	g->m = m;
	g->n = n;
	g->k = k;
	tiling_choose(dev, &g->t);
	bm = (int64_t)g->t.ly * g->t.rm;
	g->mp = round_up(m, bm);
	g->np = round_up(n, (int64_t)g->t.lx * g->t.v * g->t.cn);
	g->kp = round_up(k, g->t.bk ? g->t.bk : 1);
	g->kblock = getenv("TERRA_SGEMM_KBLOCK") ? atoll(getenv("TERRA_SGEMM_KBLOCK")) : 256;
	if (g->kblock < 1)
		g->kblock = 256;
	/* Panels of about 2^32 flops keep a launch short enough for -t and signals. */
	flops_per_row = 2 * g->np * g->kp;
	g->panel = ((INT64_C(1) << 32) / flops_per_row) / bm * bm;
	if (getenv("TERRA_TEST_SGEMM_PANEL")) /* a test hook: panels of about this many rows */
		g->panel = atoll(getenv("TERRA_TEST_SGEMM_PANEL")) / bm * bm;
	if (g->panel < bm)
		g->panel = bm;
	cbytes = (size_t)(g->mp * g->np) * sizeof(float);
	g->ha = alloc_array((size_t)(g->mp * g->kp), sizeof(float));
	g->hb = alloc_array((size_t)(g->kp * g->np), sizeof(float));
	g->hc = alloc_array((size_t)(g->panel * g->np), sizeof(float));
	g->r = alloc_array((size_t)(TERRA_SGEMM_ROUNDS * n), sizeof(double));
	g->br = alloc_array((size_t)(TERRA_SGEMM_ROUNDS * k), sizeof(double));
	g->anorm = alloc_array((size_t)m, sizeof(double));
	if (!g->ha || !g->hb || !g->hc || !g->r || !g->br || !g->anorm) {
		terra_err_set(e, TERRA_E_SYS, "sgemm: %lld x %lld x %lld: out of memory",
		              (long long)m, (long long)n, (long long)k);
		goto out;
	}
	for (int64_t i = 0; i < m; i++)
		for (int64_t l = 0; l < k; l++)
			g->ha[i * g->kp + l] = terra_sgemm_value(seed, (uint64_t)(i * k + l));
	for (int64_t l = 0; l < k; l++)
		for (int64_t j = 0; j < n; j++)
			g->hb[l * g->np + j] =
			    terra_sgemm_value(seed, (uint64_t)(m * k + l * n + j));
	freivalds_setup(g);
	if (dev_buffer(ctx, dev, CL_MEM_READ_ONLY, (size_t)(g->mp * g->kp) * sizeof(float), g->ha,
	               &g->a, "A", e) < 0 ||
	    dev_buffer(ctx, dev, CL_MEM_READ_ONLY, (size_t)(g->kp * g->np) * sizeof(float), g->hb,
	               &g->b, "B", e) < 0 ||
	    dev_buffer(ctx, dev, CL_MEM_READ_WRITE, cbytes, NULL, &g->c, "C", e) < 0)
		goto out;
	/*
	 * C filled before the first launch, so that no launch pays for first
	 * touching it: on a CPU device a page fault per 4 KiB, which took half
	 * of the kernels' time at n = 1024 and made panels vary with the host's
	 * memory. OpenBLAS's figure in bench/sgemm.sh likewise comes after a
	 * call that touched its C.
	 */
	rc = clEnqueueFillBuffer(queue, g->c, &zero, sizeof zero, 0, cbytes, 0, NULL, NULL);
	if (rc == CL_SUCCESS)
		rc = clFinish(queue);
	if (rc != CL_SUCCESS) {
		terra_err_set(e, TERRA_E_DEVICE, "sgemm: buffer C: %s", terra_ocl_strerror(rc));
		goto out;
	}
	snprintf(opts, sizeof opts,
	         "-cl-mad-enable -DLX=%d -DLY=%d -DRM=%d -DV=%d -DBK=%d -DCN=%d -DDIRECT=%d",
	         g->t.lx, g->t.ly, g->t.rm, g->t.v, g->t.bk ? g->t.bk : 1, g->t.cn, g->t.bk == 0);
	if (terra_ocl_build(ctx, dev, sgemm_src[0], opts, &g->prog, e) < 0) {
		terra_err_wrap(e, "sgemm kernel");
		goto out;
	}
	g->kernel = clCreateKernel(g->prog, "sgemm", &rc);
	if (rc != CL_SUCCESS) {
		terra_err_set(e, TERRA_E_DEVICE, "sgemm kernel: %s", terra_ocl_strerror(rc));
		goto out;
	}
	crypto_hash_sha256_init(&g->digest);
	*gp = g;
	g = NULL;
	ret = 0;
out:
	terra_sgemm_close(g);
	return ret;
}

void terra_sgemm_close(terra_sgemm *g)
{
	if (!g)
		return;
	terra_sha256d_cl_close(g->scan);
	free(g->leaves);
	if (g->kernel)
		clReleaseKernel(g->kernel);
	if (g->prog)
		clReleaseProgram(g->prog);
	if (g->c)
		clReleaseMemObject(g->c);
	if (g->b)
		clReleaseMemObject(g->b);
	if (g->a)
		clReleaseMemObject(g->a);
	free(g->anorm);
	free(g->br);
	free(g->r);
	free(g->hc);
	free(g->hb);
	free(g->ha);
	free(g);
}

/* A test hook: TERRA_TEST_SGEMM_CORRUPT="ROW,COL" adds 1 to that element of C
 * as it comes back from the device, to show the check catches it. */
static void test_corrupt(terra_sgemm *g, int64_t row0, int64_t rows)
{
	const char *env = getenv("TERRA_TEST_SGEMM_CORRUPT");
	long long i, j;

	if (env && sscanf(env, "%lld,%lld", &i, &j) == 2 && i >= row0 && i < row0 + rows &&
	    j >= 0 && j < g->n)
		g->hc[(i - row0) * g->np + j] += 1.0f;
}

static int freivalds_check(const terra_sgemm *g, int64_t row0, int64_t rows, terra_err *e)
{
	const double u = 1.0 / 16777216.0; /* FP32 unit roundoff */

	for (int t = 0; t < TERRA_SGEMM_ROUNDS; t++) {
		const double *r = g->r + t * g->n, *br = g->br + t * g->k;

		for (int64_t i = 0; i < rows; i++) {
			const float *arow = g->ha + (row0 + i) * g->kp, *crow = g->hc + i * g->np;
			double abr = 0, cr = 0, tol;

			for (int64_t l = 0; l < g->k; l++)
				abr += (double)arow[l] * br[l];
			for (int64_t j = 0; j < g->n; j++)
				cr += (double)crow[j] * r[j];
			/* FP32 rounding moves each element by about u sqrt(k) |A_i| |B_j|;
			 * the bound is 4 times that, summed in quadrature over the row. */
			tol = 4 * u * sqrt((double)g->k) * g->anorm[row0 + i] * g->s[t] + 1e-30;
			if (!(fabs(cr - abr) <= tol))
				return terra_err_set(
				    e, TERRA_E_VERIFY,
				    "sgemm: the device's result is wrong: row %lld "
				    "fails Freivalds' check (off by %g, tolerance %g)",
				    (long long)(row0 + i), fabs(cr - abr), tol);
		}
	}
	return 0;
}

/* The leaves of rows just checked, for the stretch's commitment. */
static int commit_rows(terra_sgemm *g, int64_t row0, int64_t rows)
{
	size_t have = (size_t)(row0 - g->take_row), need = have + (size_t)rows;

	if (need > g->cap_leaves) {
		size_t cap = need > 2 * g->cap_leaves ? need : 2 * g->cap_leaves;
		void *p = realloc(g->leaves, cap * sizeof *g->leaves);
		if (!p)
			return -1;
		g->leaves = p;
		g->cap_leaves = cap;
	}
	for (int64_t i = 0; i < rows; i++)
		terra_sgemm_row_leaf(g->hc + i * g->np, g->n, NULL, NULL,
		                     g->leaves[have + (size_t)i]);
	return 0;
}

int terra_sgemm_step(terra_sgemm *g, int64_t *work, int64_t *busy_us, terra_err *e)
{
	int64_t row0 = g->next_row, rows = g->m - row0, kblock = g->kp;
	size_t global[2], local[2];
	cl_int n = (cl_int)g->np, k = (cl_int)g->kp, crow0 = (cl_int)row0;
	cl_int rc = CL_SUCCESS;

	*work = 0;
	*busy_us = 0;
	if (rows <= 0)
		return 0;
	if (rows > g->panel)
		rows = g->panel;
	if (g->t.bk == 0) { /* rows first; k in blocks that stay in cache */
		global[0] = (size_t)(round_up(rows, (int64_t)g->t.ly * g->t.rm) / g->t.rm);
		global[1] = (size_t)(g->np / g->t.v / g->t.cn);
		local[0] = (size_t)g->t.ly;
		local[1] = (size_t)g->t.lx;
		kblock = g->kblock;
	} else {
		global[0] = (size_t)(g->np / g->t.v);
		global[1] = (size_t)(round_up(rows, (int64_t)g->t.ly * g->t.rm) / g->t.rm);
		local[0] = (size_t)g->t.lx;
		local[1] = (size_t)g->t.ly;
	}
	for (int64_t kb = 0; kb < g->kp && rc == CL_SUCCESS; kb += kblock) {
		cl_int k0 = (cl_int)kb, k1 = (cl_int)(kb + kblock < g->kp ? kb + kblock : g->kp);
		cl_ulong ns;
		cl_event ev = NULL;
		int a = 0;

		rc = clSetKernelArg(g->kernel, a++, sizeof n, &n);
		rc |= clSetKernelArg(g->kernel, a++, sizeof k, &k);
		rc |= clSetKernelArg(g->kernel, a++, sizeof crow0, &crow0);
		rc |= clSetKernelArg(g->kernel, a++, sizeof k0, &k0);
		rc |= clSetKernelArg(g->kernel, a++, sizeof k1, &k1);
		rc |= clSetKernelArg(g->kernel, a++, sizeof g->a, &g->a);
		rc |= clSetKernelArg(g->kernel, a++, sizeof g->b, &g->b);
		rc |= clSetKernelArg(g->kernel, a++, sizeof g->c, &g->c);
		if (rc == CL_SUCCESS)
			rc = clEnqueueNDRangeKernel(g->queue, g->kernel, 2, NULL, global, local, 0,
			                            NULL, &ev);
		if (rc == CL_SUCCESS)
			rc = clWaitForEvents(1, &ev);
		if (rc == CL_SUCCESS && terra_ocl_event_ns(ev, &ns) == CL_SUCCESS)
			*busy_us += (int64_t)(ns / 1000);
		if (ev)
			clReleaseEvent(ev);
	}
	if (rc == CL_SUCCESS)
		rc = clEnqueueReadBuffer(
		    g->queue, g->c, CL_TRUE, (size_t)(row0 * g->np) * sizeof(float),
		    (size_t)(rows * g->np) * sizeof(float), g->hc, 0, NULL, NULL);
	if (rc != CL_SUCCESS) {
		*busy_us = 0;
		return terra_err_set(e, TERRA_E_DEVICE, "sgemm: %s", terra_ocl_strerror(rc));
	}
	test_corrupt(g, row0, rows);
	if (freivalds_check(g, row0, rows, e) < 0)
		return -1;
	if (commit_rows(g, row0, rows) < 0)
		return terra_err_sys(e, "sgemm: row leaves");
	for (int64_t i = 0; i < rows; i++) {
		const float *crow = g->hc + i * g->np;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		crypto_hash_sha256_update(&g->digest, (const uint8_t *)crow, (size_t)g->n * 4);
#else
		for (int64_t j = 0; j < g->n; j++) { /* little-endian float32 bytes */
			uint32_t bits;
			uint8_t le[4];
			memcpy(&bits, &crow[j], 4);
			for (int b = 0; b < 4; b++)
				le[b] = (uint8_t)(bits >> (8 * b));
			crypto_hash_sha256_update(&g->digest, le, 4);
		}
#endif
	}
	g->next_row = row0 + rows;
	*work = 2 * rows * g->n * g->k;
	return 0;
}

void terra_sgemm_rewind(terra_sgemm *g)
{
	g->next_row = 0;
	g->take_row = 0;
	crypto_hash_sha256_init(&g->digest);
}

int terra_sgemm_done(const terra_sgemm *g)
{
	return g->next_row >= g->m;
}

static int read_row(void *ctx, int64_t row, float *out, terra_err *e)
{
	terra_sgemm *g = ctx;
	cl_int rc =
	    clEnqueueReadBuffer(g->queue, g->c, CL_TRUE, (size_t)(row * g->np) * sizeof(float),
	                        (size_t)g->n * sizeof(float), out, 0, NULL, NULL);

	if (rc != CL_SUCCESS)
		return terra_err_set(e, TERRA_E_DEVICE, "sgemm: read row %lld: %s", (long long)row,
		                     terra_ocl_strerror(rc));
	return 0;
}

/* Host hashing up to 2^16 tries; past that the device's sha256d scanner. */
#define GRIND_HOST_BITS 16

static int grind(terra_sgemm *g, const uint8_t tmpl[TERRA_HEADER_BYTES], int bits, uint64_t *nonce,
                 terra_err *e)
{
	uint64_t shares[1024], start = 0, count = UINT64_C(1) << (bits + 2);
	size_t nshares = 0;

	if (bits <= GRIND_HOST_BITS) {
		*nonce = terra_sgemm_grind(tmpl, bits);
		return 0;
	}
	if (!g->scan && terra_sha256d_cl_open(&g->scan, g->ctx, g->dev, g->queue, e) < 0)
		return terra_err_wrap(e, "sgemm challenge");
	while (nshares == 0) {
		if (terra_sha256d_cl_scan(g->scan, tmpl, start, count, bits, shares, 1024, &nshares,
		                          NULL, e) < 0)
			return terra_err_wrap(e, "sgemm challenge");
		start += count;
	}
	*nonce = shares[0];
	return 0;
}

int terra_sgemm_take(terra_sgemm *g, terra_sgemm_claim *c, uint8_t digest[32], json_t *ev,
                     terra_err *e)
{
	uint8_t tmpl[TERRA_HEADER_BYTES];
	int64_t rows = g->next_row - g->take_row;
	uint64_t nonce = 0;

	crypto_hash_sha256_final(&g->digest, digest);
	crypto_hash_sha256_init(&g->digest);
	c->m = g->m;
	c->n = g->n;
	c->k = g->k;
	c->row_start = g->take_row;
	c->row_end = g->next_row;
	g->take_row = g->next_row;
	if (rows > 0) {
		uint8_t root[TERRA_HASH_BYTES];
		terra_merkle_root((const uint8_t(*)[TERRA_HASH_BYTES])g->leaves, (size_t)rows,
		                  root);
		terra_sgemm_header(c, root, tmpl);
		if (grind(g, tmpl, terra_sgemm_grind_bits(2 * rows * g->n * g->k), &nonce, e) < 0)
			return -1;
	}
	return terra_sgemm_evidence(c, (const uint8_t(*)[TERRA_HASH_BYTES])g->leaves, nonce,
	                            read_row, g, ev, e);
}
