#include "health.h"
#include "hostload.h"
#include "ocl.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char health_src[] =
    "__kernel void known_answer(__global const uint *in, __global uint *outu,\n"
    "                           __global float *outf)\n"
    "{\n"
    "	uint i = get_global_id(0);\n"
    "	uint x = in[i];\n"
    "	x ^= x << 13;\n"
    "	x ^= x >> 17;\n"
    "	x ^= x << 5;\n"
    "	outu[i] = x * 2654435761u + i;\n"
    "	outf[i] = mad((float)(i & 1023u), 0.5f, 3.0f) * 2.0f;\n"
    "}\n"
    "__kernel void pattern(__global uint *m, uint seed)\n"
    "{\n"
    "	size_t i = get_global_id(0);\n"
    "	m[i] = ((uint)i * 2654435761u) ^ seed;\n"
    "}\n";

#define KAT_ITEMS   65536
#define CHUNK_BYTES ((size_t)64 << 20)

int terra_health_add(json_t *checks, const char *name, const char *status, const char *detail,
                     terra_err *e)
{
	json_t *c = json_pack("{s:s, s:s, s:s}", "name", name, "status", status, "detail", detail);

	if (!c || json_array_append_new(checks, c) < 0)
		return terra_err_set(e, TERRA_E_SYS, "health check: out of memory");
	return 0;
}

static int fail_cl(json_t *checks, const char *name, const char *what, cl_int rc, terra_err *e)
{
	char detail[256];

	snprintf(detail, sizeof detail, "%s: %s", what, terra_ocl_strerror(rc));
	return terra_health_add(checks, name, "fail", detail, e);
}

static uint32_t kat_u(uint32_t i)
{
	uint32_t x = i * 0x9e3779b9u + 1u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x * 2654435761u + i;
}

static int known_answer(cl_context ctx, cl_command_queue q, cl_kernel k, json_t *checks,
                        terra_err *e)
{
	uint32_t *in = NULL, *outu = NULL;
	float *outf = NULL;
	cl_mem bin = NULL, bu = NULL, bf = NULL;
	size_t n = KAT_ITEMS, bad = 0, first = 0;
	char detail[256];
	cl_int rc = CL_SUCCESS;
	int ret = -1;

	in = malloc(n * sizeof *in);
	outu = malloc(n * sizeof *outu);
	outf = malloc(n * sizeof *outf);
	if (!in || !outu || !outf) {
		terra_err_set(e, TERRA_E_SYS, "known-answer check: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		in[i] = (uint32_t)i * 0x9e3779b9u + 1u;
	bin = clCreateBuffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, n * sizeof *in, in, &rc);
	if (rc == CL_SUCCESS)
		bu = clCreateBuffer(ctx, CL_MEM_WRITE_ONLY, n * sizeof *outu, NULL, &rc);
	if (rc == CL_SUCCESS)
		bf = clCreateBuffer(ctx, CL_MEM_WRITE_ONLY, n * sizeof *outf, NULL, &rc);
	if (rc != CL_SUCCESS) {
		ret = fail_cl(checks, "known-answer", "allocate", rc, e);
		goto out;
	}
	rc = clSetKernelArg(k, 0, sizeof bin, &bin);
	if (rc == CL_SUCCESS)
		rc = clSetKernelArg(k, 1, sizeof bu, &bu);
	if (rc == CL_SUCCESS)
		rc = clSetKernelArg(k, 2, sizeof bf, &bf);
	if (rc == CL_SUCCESS)
		rc = clEnqueueNDRangeKernel(q, k, 1, NULL, &n, NULL, 0, NULL, NULL);
	if (rc == CL_SUCCESS)
		rc = clEnqueueReadBuffer(q, bu, CL_TRUE, 0, n * sizeof *outu, outu, 0, NULL, NULL);
	if (rc == CL_SUCCESS)
		rc = clEnqueueReadBuffer(q, bf, CL_TRUE, 0, n * sizeof *outf, outf, 0, NULL, NULL);
	if (rc != CL_SUCCESS) {
		ret = fail_cl(checks, "known-answer", "run", rc, e);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		float want = ((float)(i & 1023u) * 0.5f + 3.0f) * 2.0f;

		if (outu[i] != kat_u((uint32_t)i) || outf[i] != want) {
			if (bad++ == 0)
				first = i;
		}
	}
	if (bad) {
		snprintf(detail, sizeof detail,
		         "%zu of %zu results wrong, first at item %zu: got 0x%08" PRIx32
		         " %g, want 0x%08" PRIx32 " %g",
		         bad, n, first, outu[first], (double)outf[first], kat_u((uint32_t)first),
		         (double)(((float)(first & 1023u) * 0.5f + 3.0f) * 2.0f));
		ret = terra_health_add(checks, "known-answer", "fail", detail, e);
	} else {
		snprintf(detail, sizeof detail, "%zu integer and float results correct", n);
		ret = terra_health_add(checks, "known-answer", "ok", detail, e);
	}
out:
	if (bf)
		clReleaseMemObject(bf);
	if (bu)
		clReleaseMemObject(bu);
	if (bin)
		clReleaseMemObject(bin);
	free(outf);
	free(outu);
	free(in);
	return ret;
}

/* Writes the pattern for seed on the device, reads it back in chunks. */
static int pattern_pass(cl_command_queue q, cl_kernel k, cl_mem m, size_t words, uint32_t seed,
                        uint32_t *host, size_t *bad, size_t *first, uint32_t *got, cl_int *rc)
{
	size_t chunk = CHUNK_BYTES / sizeof(uint32_t);

	*rc = clSetKernelArg(k, 0, sizeof m, &m);
	if (*rc == CL_SUCCESS)
		*rc = clSetKernelArg(k, 1, sizeof seed, &seed);
	if (*rc == CL_SUCCESS)
		*rc = clEnqueueNDRangeKernel(q, k, 1, NULL, &words, NULL, 0, NULL, NULL);
	if (*rc != CL_SUCCESS)
		return -1;
	for (size_t off = 0; off < words; off += chunk) {
		size_t len = words - off < chunk ? words - off : chunk;

		*rc = clEnqueueReadBuffer(q, m, CL_TRUE, off * sizeof *host, len * sizeof *host,
		                          host, 0, NULL, NULL);
		if (*rc != CL_SUCCESS)
			return -1;
		for (size_t i = 0; i < len; i++) {
			uint32_t want = ((uint32_t)(off + i) * 2654435761u) ^ seed;

			if (host[i] != want && (*bad)++ == 0) {
				*first = off + i;
				*got = host[i];
			}
		}
	}
	return 0;
}

static int memory_check(cl_context ctx, cl_command_queue q, cl_device_id dev, cl_kernel k,
                        int percent, json_t *checks, terra_err *e)
{
	cl_ulong gmem = 0, alloc = 0, bytes;
	uint32_t *host = NULL, got = 0;
	size_t words, bad = 0, first = 0;
	cl_mem m = NULL;
	cl_int rc = CL_SUCCESS;
	char detail[256], what[64];
	int ret = -1;

	if (percent <= 0)
		return terra_health_add(checks, "memory", "skip", "--mem-test 0", e);
	clGetDeviceInfo(dev, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof gmem, &gmem, NULL);
	clGetDeviceInfo(dev, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof alloc, &alloc, NULL);
	bytes = gmem / 100 * (cl_ulong)percent;
	if (bytes > alloc)
		bytes = alloc;
	words = (size_t)(bytes / sizeof(uint32_t)) / 1024 * 1024;
	if (words == 0)
		return terra_health_add(checks, "memory", "skip", "device memory too small", e);
	snprintf(what, sizeof what, "allocate %zu MiB", words * sizeof(uint32_t) >> 20);
	m = clCreateBuffer(ctx, CL_MEM_READ_WRITE, words * sizeof(uint32_t), NULL, &rc);
	if (rc != CL_SUCCESS) {
		ret = fail_cl(checks, "memory", what, rc, e);
		goto out;
	}
	host = malloc(CHUNK_BYTES);
	if (!host) {
		terra_err_set(e, TERRA_E_SYS, "memory check: out of memory");
		goto out;
	}
	if (pattern_pass(q, k, m, words, 0, host, &bad, &first, &got, &rc) < 0 ||
	    pattern_pass(q, k, m, words, 0xffffffffu, host, &bad, &first, &got, &rc) < 0) {
		/* A device that cannot hold an allocation it granted is a memory failure. */
		ret = fail_cl(checks, "memory",
		              rc == CL_MEM_OBJECT_ALLOCATION_FAILURE ? what : "run", rc, e);
		goto out;
	}
	if (bad) {
		snprintf(detail, sizeof detail,
		         "%zu of %zu words wrong, first at byte 0x%zx: got 0x%08" PRIx32, bad,
		         2 * words, first * sizeof(uint32_t), got);
		ret = terra_health_add(checks, "memory", "fail", detail, e);
	} else {
		snprintf(detail, sizeof detail, "%zu MiB written and read back twice",
		         words * sizeof(uint32_t) >> 20);
		ret = terra_health_add(checks, "memory", "ok", detail, e);
	}
out:
	free(host);
	if (m)
		clReleaseMemObject(m);
	return ret;
}

int terra_health_run(cl_context ctx, cl_command_queue q, cl_device_id dev, int mem_percent,
                     json_t *checks, terra_err *e)
{
	cl_program prog = NULL;
	cl_kernel kat = NULL, pat = NULL;
	terra_err be;
	cl_int rc;
	int ret = -1;

	if (terra_ocl_build(ctx, dev, health_src, "", &prog, &be) < 0) {
		terra_err_wrap(&be, "build health kernels");
		if (terra_health_add(checks, "known-answer", "fail", be.msg, e) < 0)
			return -1;
		return terra_health_add(checks, "memory", "fail", be.msg, e);
	}
	kat = clCreateKernel(prog, "known_answer", &rc);
	if (rc == CL_SUCCESS)
		pat = clCreateKernel(prog, "pattern", &rc);
	if (rc != CL_SUCCESS) {
		ret = fail_cl(checks, "known-answer", "create kernel", rc, e);
		goto out;
	}
	if (known_answer(ctx, q, kat, checks, e) < 0)
		goto out;
	ret = memory_check(ctx, q, dev, pat, mem_percent, checks, e);
out:
	if (pat)
		clReleaseKernel(pat);
	if (kat)
		clReleaseKernel(kat);
	clReleaseProgram(prog);
	return ret;
}

static int compare(const json_t *bench, const json_t *baseline, const char *field, char *detail,
                   size_t len, int *failed)
{
	json_t *m = json_object_get(bench, field), *b = json_object_get(baseline, field);
	json_int_t mv, bv;
	size_t used = strlen(detail);

	if (!json_is_integer(m) || !json_is_integer(b) || json_integer_value(b) <= 0)
		return 0;
	mv = json_integer_value(m);
	bv = json_integer_value(b);
	if (mv * 100 < bv * TERRA_HEALTH_DEGRADED_PCT)
		*failed = 1;
	snprintf(detail + used, len - used, "%s%s %lld of %lld (%lld%%)", used ? ", " : "", field,
	         (long long)mv, (long long)bv, (long long)(mv * 100 / bv));
	return 1;
}

int terra_health_baseline(const json_t *bench, const json_t *baseline, int others_pct,
                          json_t *checks, int *busy, terra_err *e)
{
	char detail[320] = "";
	int failed = 0, compared = 0;

	*busy = 0;
	/* Only the workloads' figures: the clpeak-style ones (fp32_mflops,
	 * mem_bw_mbps) differ by a factor of two between probes of one idle PoCL
	 * device (bench/score.sh), and would call a healthy device degraded. */
	compared += compare(bench, baseline, "sgemm_mflops", detail, sizeof detail, &failed);
	compared += compare(bench, baseline, "sha256d_khps", detail, sizeof detail, &failed);
	if (!compared)
		return terra_health_add(checks, "baseline", "skip",
		                        "no workload figures registered or measured to compare"
		                        " (terra-probe | terra-register rescores the unit)",
		                        e);
	if (failed) {
		size_t used = strlen(detail);

		snprintf(detail + used, sizeof detail - used,
		         ": below %d%% of the registered baseline", TERRA_HEALTH_DEGRADED_PCT);
		/* a CPU device shares the host: slower while others ran is busy */
		if (others_pct >= TERRA_HOSTLOAD_QUIET_PCT) {
			used = strlen(detail);
			snprintf(detail + used, sizeof detail - used,
			         ", not judged: other programs took %d%% of the host's CPUs",
			         others_pct);
			*busy = 1;
			return terra_health_add(checks, "baseline", "skip", detail, e);
		}
	}
	return terra_health_add(checks, "baseline", failed ? "fail" : "ok", detail, e);
}

const char *terra_health_status(const json_t *checks)
{
	const char *status = "ok";
	size_t i;

	for (i = 0; i < json_array_size(checks); i++) {
		const json_t *c = json_array_get(checks, i);
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *st = json_string_value(json_object_get(c, "status"));

		if (!st || strcmp(st, "fail") != 0)
			continue;
		if (name && strcmp(name, "baseline") == 0)
			status = strcmp(status, "sick") == 0 ? status : "degraded";
		else
			status = "sick";
	}
	return status;
}
