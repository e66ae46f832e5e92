#include "bench.h"
#include "ocl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Kernels. The multiply-add chains depend on each other (x feeds y feeds
 * x) at a fixed vector width so that the compiler can neither vectorize
 * across nor drop lanes; every lane is summed into the output. Each work
 * item does 4096 operations at every width (128 / W loops
 * of 16 multiply-adds over W lanes, 2 operations each).
 */
static const char compute_src[] =
    "#define XCAT(a, b) a##b\n"
    "#define CAT(a, b) XCAT(a, b)\n"
    "#define V(n) CAT(T, n)\n"
    "#define L1(a) (a)\n"
    "#define L2(a) (V(2))((a), (a) + 1)\n"
    "#define L4(a) (V(4))(L2(a), L2((a) + 2))\n"
    "#define L8(a) (V(8))(L4(a), L4((a) + 4))\n"
    "#define L16(a) (V(16))(L8(a), L8((a) + 8))\n"
    "#define S1(v) (v)\n"
    "#define S2(v) ((v).s0 + (v).s1)\n"
    "#define S4(v) (S2((v).lo) + S2((v).hi))\n"
    "#define S8(v) (S4((v).lo) + S4((v).hi))\n"
    "#define S16(v) (S8((v).lo) + S8((v).hi))\n"
    "#define MAD4(x, y) x = MAD(y, x, y); y = MAD(x, y, x); x = MAD(y, x, y); "
    "y = MAD(x, y, x);\n"
    "#define MAD16(x, y) MAD4(x, y) MAD4(x, y) MAD4(x, y) MAD4(x, y)\n"
    "#define COMPUTE(W, VT) \\\n"
    "__kernel void compute_v##W(__global T *out, T a) \\\n"
    "{ \\\n"
    "	VT x = L##W(a); \\\n"
    "	VT y = (VT)((T)get_local_id(0)); \\\n"
    "	for (int i = 0; i < 128 / W; i++) { \\\n"
    "		MAD16(x, y) \\\n"
    "	} \\\n"
    "	out[get_global_id(0) & (OUT_ITEMS - 1)] = S##W(y); \\\n"
    "}\n"
    "COMPUTE(1, T)\n"
    "COMPUTE(2, V(2))\n"
    "COMPUTE(4, V(4))\n"
    "COMPUTE(8, V(8))\n"
    "COMPUTE(16, V(16))\n";

/* Each work item reads 16 vectors: strided by the global size (go) or
 * within its work group's block (lo). */
static const char bandwidth_src[] =
    "#define S1(v) (v)\n"
    "#define S2(v) ((v).s0 + (v).s1)\n"
    "#define S4(v) (S2((v).lo) + S2((v).hi))\n"
    "#define S8(v) (S4((v).lo) + S4((v).hi))\n"
    "#define S16(v) (S8((v).lo) + S8((v).hi))\n"
    "#define BW(W, VT) \\\n"
    "__kernel void bw_go_v##W(__global const VT *in, __global float *out) \\\n"
    "{ \\\n"
    "	size_t id = get_global_id(0), step = get_global_size(0); \\\n"
    "	VT s = 0; \\\n"
    "	for (int i = 0; i < 16; i++) { s += in[id]; id += step; } \\\n"
    "	out[get_global_id(0)] = S##W(s); \\\n"
    "} \\\n"
    "__kernel void bw_lo_v##W(__global const VT *in, __global float *out) \\\n"
    "{ \\\n"
    "	size_t step = get_local_size(0); \\\n"
    "	size_t id = get_group_id(0) * step * 16 + get_local_id(0); \\\n"
    "	VT s = 0; \\\n"
    "	for (int i = 0; i < 16; i++) { s += in[id]; id += step; } \\\n"
    "	out[get_global_id(0)] = S##W(s); \\\n"
    "}\n"
    "BW(1, float)\n"
    "BW(2, float2)\n"
    "BW(4, float4)\n"
    "BW(8, float8)\n"
    "BW(16, float16)\n"
    "__kernel void empty(__global float *out) { }\n";

#define OPS_PER_WI   4096.0
#define FETCH_PER_WI 16
#define OUT_ITEMS    ((size_t)1 << 20) /* results kept; items beyond share them */
#define MAX_GLOBAL   ((size_t)1 << 32)

typedef struct bench_ctx {
	cl_context ctx;
	cl_command_queue q;
	cl_device_id dev;
	size_t max_wg;
	cl_ulong max_alloc;
	cl_uint cus;
	double target_s; /* the length one timed run is sized to */
	int runs;        /* timed runs, the best is kept */
} bench_ctx;

static int cl_fail(terra_err *e, const char *what, cl_int rc)
{
	return terra_err_set(e, TERRA_E_DEVICE, "%s: %s", what, terra_ocl_strerror(rc));
}

/* Runs k once over global items; *s gets its device time in seconds. */
static int run_once(const bench_ctx *b, cl_kernel k, size_t global, size_t local, double *s,
                    terra_err *e)
{
	cl_event ev = NULL;
	cl_ulong t0 = 0, t1 = 0;
	cl_int rc;

	rc = clEnqueueNDRangeKernel(b->q, k, 1, NULL, &global, &local, 0, NULL, &ev);
	if (rc != CL_SUCCESS)
		return cl_fail(e, "run kernel", rc);
	rc = clWaitForEvents(1, &ev);
	if (rc == CL_SUCCESS)
		rc = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
	if (rc == CL_SUCCESS)
		rc = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
	clReleaseEvent(ev);
	if (rc != CL_SUCCESS)
		return cl_fail(e, "time kernel", rc);
	*s = (double)(t1 > t0 ? t1 - t0 : 1) * 1e-9;
	return 0;
}

static size_t round_up(size_t n, size_t m)
{
	return (n + m - 1) / m * m;
}

/* Work groups of 256 (or fewer where the kernel or device allows fewer):
 * large enough for any GPU, small enough to size runs finely. */
static size_t kernel_wg(const bench_ctx *b, cl_kernel k)
{
	size_t wg = 0;

	if (clGetKernelWorkGroupInfo(k, b->dev, CL_KERNEL_WORK_GROUP_SIZE, sizeof wg, &wg, NULL) !=
	        CL_SUCCESS ||
	    wg == 0 || wg > b->max_wg)
		wg = b->max_wg;
	return wg > 256 ? 256 : wg;
}

/*
 * One compute kernel: grows or shrinks the number of work items until a
 * run takes about target_s, then keeps the best of b->runs runs. Returns
 * operations per second in *ops.
 */
static int measure_compute(const bench_ctx *b, cl_kernel k, cl_mem out, size_t elem, int is_int,
                           double *ops, terra_err *e)
{
	size_t local = kernel_wg(b, k), global, min_global, max_global = MAX_GLOBAL / local * local;
	double t = 0, best, scale;
	cl_int rc;

	if (elem == 8) {
		cl_double a = 1.3;
		rc = clSetKernelArg(k, 1, sizeof a, &a);
	} else if (is_int) {
		cl_int a = 3;
		rc = clSetKernelArg(k, 1, sizeof a, &a);
	} else {
		cl_float a = 1.3f;
		rc = clSetKernelArg(k, 1, sizeof a, &a);
	}
	if (rc == CL_SUCCESS)
		rc = clSetKernelArg(k, 0, sizeof out, &out);
	if (rc != CL_SUCCESS)
		return cl_fail(e, "compute kernel arguments", rc);
	min_global = b->cus * local;
	global = 2 * min_global;
	for (int step = 0; step < 12; step++) {
		if (run_once(b, k, global, local, &t, e) < 0)
			return -1;
		/* The first run includes compiling on some platforms: run again. */
		if (step == 0)
			continue;
		scale = b->target_s / t;
		if (scale > 64)
			scale = 64;
		if (scale < 0.5 && global > min_global) {
			/* Far too long (a slow width): shrink, down to a group per unit. */
			global = round_up((size_t)((double)global * scale), local);
			if (global < min_global)
				global = min_global;
			continue;
		}
		if (t >= b->target_s * 0.5 || global >= max_global)
			break;
		global = round_up((size_t)((double)global * scale), local);
		if (global > max_global)
			global = max_global;
	}
	best = t;
	for (int i = 1; i < b->runs; i++) {
		if (run_once(b, k, global, local, &t, e) < 0)
			return -1;
		if (t < best)
			best = t;
	}
	*ops = (double)global * OPS_PER_WI / best;
	return 0;
}

static int build(const bench_ctx *b, const char *prefix, const char *src, cl_program *prog,
                 terra_err *e)
{
	size_t n = strlen(prefix) + strlen(src) + 1;
	char *all = malloc(n);
	int rc;

	if (!all)
		return terra_err_sys(e, "build kernels");
	snprintf(all, n, "%s%s", prefix, src);
	rc = terra_ocl_build(b->ctx, b->dev, all, "", prog, e);
	free(all);
	return rc;
}

static const int all_widths[] = {1, 2, 4, 8, 16};

static int pow2_width(cl_uint w)
{
	int p = 1;

	while (p < 16 && (cl_uint)p * 2 <= w)
		p *= 2;
	return p;
}

/* Best operations per second over the widths of one element type. */
static int compute_peak(const bench_ctx *b, const char *what, const char *prefix, size_t elem,
                        int quick_width, double *peak, terra_err *e)
{
	cl_program prog = NULL;
	cl_kernel k = NULL;
	cl_mem out = NULL;
	cl_int rc;
	char name[32], defs[512];
	double ops = 0;
	int ret = -1;

	*peak = 0;
	snprintf(defs, sizeof defs, "%s#define OUT_ITEMS %zu\n", prefix, OUT_ITEMS);
	if (build(b, defs, compute_src, &prog, e) < 0) {
		terra_err_wrap(e, "%s kernels", what);
		return -1;
	}
	out = clCreateBuffer(b->ctx, CL_MEM_WRITE_ONLY, OUT_ITEMS * elem, NULL, &rc);
	if (rc != CL_SUCCESS) {
		cl_fail(e, "allocate benchmark output", rc);
		goto out;
	}
	for (size_t i = 0; i < sizeof all_widths / sizeof all_widths[0]; i++) {
		if (quick_width && all_widths[i] != quick_width)
			continue;
		snprintf(name, sizeof name, "compute_v%d", all_widths[i]);
		k = clCreateKernel(prog, name, &rc);
		if (rc != CL_SUCCESS) {
			cl_fail(e, name, rc);
			goto out;
		}
		if (measure_compute(b, k, out, elem, strstr(prefix, "T int") != NULL, &ops, e) <
		    0) {
			terra_err_wrap(e, "%s width %d", what, all_widths[i]);
			goto out;
		}
		if (ops > *peak)
			*peak = ops;
		clReleaseKernel(k);
		k = NULL;
	}
	ret = 0;
out:
	if (k)
		clReleaseKernel(k);
	if (out)
		clReleaseMemObject(out);
	clReleaseProgram(prog);
	return ret;
}

static int bandwidth_kernel(const bench_ctx *b, cl_kernel k, cl_mem in, cl_mem out, size_t global,
                            size_t local, double *best, terra_err *e)
{
	double t;
	cl_int rc;

	rc = clSetKernelArg(k, 0, sizeof in, &in);
	if (rc == CL_SUCCESS)
		rc = clSetKernelArg(k, 1, sizeof out, &out);
	if (rc != CL_SUCCESS)
		return cl_fail(e, "bandwidth kernel arguments", rc);
	/* Once untimed: the first run may include compiling. */
	if (run_once(b, k, global, local, &t, e) < 0)
		return -1;
	for (int i = 0; i < b->runs; i++) {
		if (run_once(b, k, global, local, &t, e) < 0)
			return -1;
		if (*best == 0 || t < *best)
			*best = t;
	}
	return 0;
}

static int bandwidth_and_latency(const bench_ctx *b, int quick_width, double *bytes_per_s,
                                 double *launch_s, terra_err *e)
{
	cl_program prog = NULL;
	cl_kernel k = NULL;
	cl_mem in = NULL, out = NULL;
	cl_int rc;
	cl_ulong bytes = b->max_alloc / 2;
	/* Quick mode halves the buffer, still well beyond caches: a buffer that
	 * fits one would measure the cache, and quick figures are held
	 * against full baselines. */
	cl_ulong cap = quick_width ? (cl_ulong)256 << 20 : (cl_ulong)512 << 20;
	size_t local = b->max_wg, items, global;
	float zero = 1.0f;
	double lat[32], best;
	char name[32];
	int nlat = quick_width ? 8 : 32, ret = -1;

	*bytes_per_s = 0;
	*launch_s = 0;
	if (build(b, "", bandwidth_src, &prog, e) < 0) {
		terra_err_wrap(e, "bandwidth kernels");
		return -1;
	}
	if (local > 256)
		local = 256;
	if (bytes > cap)
		bytes = cap;
	/* Whole work groups of 16 fetches at the widest width. */
	items = (size_t)(bytes / sizeof(float)) / (local * FETCH_PER_WI * 16) *
	        (local * FETCH_PER_WI * 16);
	if (items == 0) {
		terra_err_set(e, TERRA_E_DEVICE, "bandwidth: device memory too small");
		goto out;
	}
	in = clCreateBuffer(b->ctx, CL_MEM_READ_ONLY, items * sizeof(float), NULL, &rc);
	if (rc == CL_SUCCESS)
		out = clCreateBuffer(b->ctx, CL_MEM_WRITE_ONLY,
		                     items / FETCH_PER_WI * sizeof(float), NULL, &rc);
	if (rc == CL_SUCCESS)
		rc = clEnqueueFillBuffer(b->q, in, &zero, sizeof zero, 0, items * sizeof(float), 0,
		                         NULL, NULL);
	if (rc == CL_SUCCESS)
		rc = clFinish(b->q);
	if (rc != CL_SUCCESS) {
		cl_fail(e, "allocate bandwidth buffer", rc);
		goto out;
	}
	for (size_t i = 0; i < sizeof all_widths / sizeof all_widths[0]; i++) {
		int w = all_widths[i];

		if (quick_width && w != quick_width)
			continue;
		global = items / (size_t)w / FETCH_PER_WI;
		best = 0;
		for (int lo = 0; lo < 2; lo++) {
			snprintf(name, sizeof name, "bw_%s_v%d", lo ? "lo" : "go", w);
			k = clCreateKernel(prog, name, &rc);
			if (rc != CL_SUCCESS) {
				cl_fail(e, name, rc);
				goto out;
			}
			if (bandwidth_kernel(b, k, in, out, global, local, &best, e) < 0) {
				terra_err_wrap(e, "bandwidth width %d", w);
				goto out;
			}
			clReleaseKernel(k);
			k = NULL;
		}
		if ((double)items * sizeof(float) / best > *bytes_per_s)
			*bytes_per_s = (double)items * sizeof(float) / best;
	}

	/* Launch latency: queued to start of an empty kernel, the median. */
	k = clCreateKernel(prog, "empty", &rc);
	if (rc == CL_SUCCESS)
		rc = clSetKernelArg(k, 0, sizeof out, &out);
	if (rc != CL_SUCCESS) {
		cl_fail(e, "launch latency kernel", rc);
		goto out;
	}
	for (int i = -1; i < nlat; i++) {
		size_t one = 1;
		cl_event ev = NULL;
		cl_ulong tq = 0, ts = 0;

		rc = clEnqueueNDRangeKernel(b->q, k, 1, NULL, &one, &one, 0, NULL, &ev);
		if (rc == CL_SUCCESS)
			rc = clWaitForEvents(1, &ev);
		if (rc == CL_SUCCESS)
			rc = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_QUEUED, sizeof tq,
			                             &tq, NULL);
		if (rc == CL_SUCCESS)
			rc = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof ts, &ts,
			                             NULL);
		if (ev)
			clReleaseEvent(ev);
		if (rc != CL_SUCCESS) {
			cl_fail(e, "launch latency", rc);
			goto out;
		}
		if (i >= 0) /* the first launch warms up */
			lat[i] = (double)(ts > tq ? ts - tq : 0) * 1e-9;
	}
	for (int i = 1; i < nlat; i++) /* insertion sort, nlat is small */
		for (int j = i; j > 0 && lat[j] < lat[j - 1]; j--) {
			double x = lat[j];
			lat[j] = lat[j - 1];
			lat[j - 1] = x;
		}
	*launch_s = lat[nlat / 2];
	ret = 0;
out:
	if (k)
		clReleaseKernel(k);
	if (out)
		clReleaseMemObject(out);
	if (in)
		clReleaseMemObject(in);
	clReleaseProgram(prog);
	return ret;
}

static void progress(const terra_bench_opts *o, const char *what)
{
	if (o && o->progress)
		o->progress(o->arg, what);
}

int terra_bench_run(cl_context ctx, cl_command_queue q, cl_device_id dev, const terra_bench_opts *o,
                    terra_bench *res, terra_err *e)
{
	bench_ctx b = {.ctx = ctx, .q = q, .dev = dev};
	cl_device_fp_config fp64 = 0;
	cl_uint wf = 1, wd = 1, wi = 1;
	int quick = o && o->quick;
	double fp32 = 0, dp = 0, i32 = 0, bw = 0, lat = 0;

	memset(res, 0, sizeof *res);
	clGetDeviceInfo(dev, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof b.max_wg, &b.max_wg, NULL);
	clGetDeviceInfo(dev, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof b.max_alloc, &b.max_alloc, NULL);
	clGetDeviceInfo(dev, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof b.cus, &b.cus, NULL);
	clGetDeviceInfo(dev, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, sizeof wf, &wf, NULL);
	clGetDeviceInfo(dev, CL_DEVICE_PREFERRED_VECTOR_WIDTH_DOUBLE, sizeof wd, &wd, NULL);
	clGetDeviceInfo(dev, CL_DEVICE_PREFERRED_VECTOR_WIDTH_INT, sizeof wi, &wi, NULL);
	if (clGetDeviceInfo(dev, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof fp64, &fp64, NULL) !=
	    CL_SUCCESS)
		fp64 = 0;
	if (b.max_wg == 0)
		b.max_wg = 1;
	if (b.cus == 0)
		b.cus = 1;
	b.target_s = quick ? 0.005 : 0.020;
	b.runs = quick ? 3 : 5;

	progress(o, "fp32");
	if (compute_peak(&b, "fp32", "#define T float\n#define MAD(a, b, c) mad(a, b, c)\n", 4,
	                 quick ? pow2_width(wf) : 0, &fp32, e) < 0)
		return -1;
	if (fp64) {
		progress(o, "fp64");
		if (compute_peak(&b, "fp64",
		                 "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n"
		                 "#define T double\n#define MAD(a, b, c) mad(a, b, c)\n",
		                 8, quick ? pow2_width(wd) : 0, &dp, e) < 0)
			return -1;
	}
	progress(o, "int32");
	if (compute_peak(&b, "int32", "#define T int\n#define MAD(a, b, c) ((a) * (b) + (c))\n", 4,
	                 quick ? pow2_width(wi) : 0, &i32, e) < 0)
		return -1;
	progress(o, "bandwidth");
	if (bandwidth_and_latency(&b, quick ? (pow2_width(wf) < 4 ? 4 : pow2_width(wf)) : 0, &bw,
	                          &lat, e) < 0)
		return -1;
	res->fp32_mflops = (int64_t)(fp32 / 1e6 + 0.5);
	res->fp64_mflops = (int64_t)(dp / 1e6 + 0.5);
	res->int32_mops = (int64_t)(i32 / 1e6 + 0.5);
	res->mem_bw_mbps = (int64_t)(bw / 1e6 + 0.5);
	res->launch_us = (int64_t)(lat * 1e6 + 0.5);
	return 0;
}
