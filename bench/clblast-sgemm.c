/*
 * The peer for bench/sgemm.sh: CLBlast's sgemm (C = A x B, FP32, row-major,
 * n x n) on one OpenCL device, the best of several runs after a warm-up call
 * (CLBlast compiles its kernels on the first). Each run is timed from the
 * call to clFinish: CLBlast may run helper kernels (padding, transposes)
 * besides the one whose event it returns, and all of them are its work.
 * Prints the best GFLOPS.
 *
 * usage: clblast-sgemm N [RUNS [PLATFORM DEVICE]]
 */
#define _POSIX_C_SOURCE          200809L
#define CL_TARGET_OPENCL_VERSION 300
#include <clblast_c.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	cl_uint pi = argc > 4 ? (cl_uint)atoi(argv[3]) : 0,
	        di = argc > 4 ? (cl_uint)atoi(argv[4]) : 0;
	cl_platform_id ps[16];
	cl_device_id ds[16];
	cl_uint np = 0, nd = 0;
	cl_int rc;
	double best = 0;

	if (clGetPlatformIDs(16, ps, &np) != CL_SUCCESS || pi >= np ||
	    clGetDeviceIDs(ps[pi], CL_DEVICE_TYPE_ALL, 16, ds, &nd) != CL_SUCCESS || di >= nd) {
		fprintf(stderr, "clblast-sgemm: no such OpenCL device\n");
		return 1;
	}
	cl_context ctx = clCreateContext(NULL, 1, &ds[di], NULL, NULL, &rc);
	cl_queue_properties props[] = {CL_QUEUE_PROPERTIES, CL_QUEUE_PROFILING_ENABLE, 0};
	cl_command_queue q = clCreateCommandQueueWithProperties(ctx, ds[di], props, &rc);
	float *h = malloc(n * n * sizeof *h);
	for (size_t i = 0; i < n * n; i++)
		h[i] = (float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
	cl_mem a = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, n * n * 4, h, &rc);
	cl_mem b = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, n * n * 4, h, &rc);
	cl_mem c = clCreateBuffer(ctx, CL_MEM_READ_WRITE, n * n * 4, NULL, &rc);
	for (int r = 0; r <= runs; r++) {
		double t0 = now(), t1;
		CLBlastStatusCode st =
		    CLBlastSgemm(CLBlastLayoutRowMajor, CLBlastTransposeNo, CLBlastTransposeNo, n,
		                 n, n, 1.0f, a, 0, n, b, 0, n, 0.0f, c, 0, n, &q, NULL);
		if (st != CLBlastSuccess) {
			fprintf(stderr, "clblast-sgemm: CLBlastSgemm failed: %d\n", (int)st);
			return 1;
		}
		clFinish(q);
		t1 = now();
		if (r > 0 && t1 > t0) { /* run 0 is the warm-up */
			double gflops = 2.0 * (double)n * n * n / ((t1 - t0) * 1e9);
			if (gflops > best)
				best = gflops;
		}
	}
	printf("%.2f\n", best);
	return 0;
}
