#include "kernelrun.h"

#include "ocl.h"
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KR_MAX_ARGS   64
#define KR_SOURCE_MAX (4 * 1024 * 1024)

struct kr_arg {
	cl_mem buf; /* NULL for a scalar */
	size_t size;
	int out;
};

struct terra_kernelrun {
	cl_command_queue queue;
	cl_program prog;
	cl_kernel kernel;
	struct kr_arg args[KR_MAX_ARGS];
	size_t nargs;
	cl_uint dims;
	size_t global[3], local[3];
	int has_local;
	int64_t items, iterations, done;
};

/* 1 when path (resolved) is dir or under it. */
static int under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return 1;
	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

/* The file the job names, resolved, into real; refused outside the fence. */
static int fenced_path(const char *file, const terra_kernel_fence *fence, char *real, terra_err *e)
{
	char dir[PATH_MAX], home[PATH_MAX];

	if (!fence || !fence->kernel_dir)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "kernel: '%s': kernel jobs are off: the operator allows them "
		                     "with terra-run --kernel-dir DIR",
		                     file);
	if (!realpath(fence->kernel_dir, dir))
		return terra_err_sys(e, "kernel: directory '%s'", fence->kernel_dir);
	if (!realpath(file, real))
		return terra_err_sys(e, "kernel: open '%s'", file);
	if (!under(real, dir))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "kernel: '%s': outside the kernel directory '%s'", file,
		                     fence->kernel_dir);
	if (fence->home_dir && realpath(fence->home_dir, home) && under(real, home))
		return terra_err_set(e, TERRA_E_INPUT, "kernel: '%s': in the Terra home '%s'", file,
		                     fence->home_dir);
	return 0;
}

static int read_source(const char *path, char **src, terra_err *e)
{
	/* resolved already: a link put there since is refused, not followed */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "rb");
	struct stat sb;
	size_t len = 0, n;
	char *buf = NULL;

	if (!f) {
		terra_err_sys(e, "kernel: open '%s'", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		fclose(f);
		return terra_err_set(e, TERRA_E_INPUT, "kernel: '%s': not a regular file", path);
	}
	if (!(buf = malloc(KR_SOURCE_MAX + 1))) {
		fclose(f);
		return terra_err_sys(e, "kernel: read '%s'", path);
	}
	while ((n = fread(buf + len, 1, KR_SOURCE_MAX + 1 - len, f)) > 0)
		len += n;
	if (ferror(f) || len > KR_SOURCE_MAX) {
		if (len > KR_SOURCE_MAX)
			terra_err_set(e, TERRA_E_INPUT, "kernel: '%s': larger than %d bytes", path,
			              KR_SOURCE_MAX);
		else
			terra_err_sys(e, "kernel: read '%s'", path);
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	buf[len] = '\0';
	*src = buf;
	return 0;
}

/* "global": N or [x], [x, y] or [x, y, z], every size positive. */
static int parse_sizes(const json_t *params, const char *field, size_t out[3], cl_uint *dims,
                       terra_err *e)
{
	const json_t *v = json_object_get(params, field);
	size_t n = json_is_array(v) ? json_array_size(v) : 1;

	if (!json_is_integer(v) && !(json_is_array(v) && n >= 1 && n <= 3))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "kernel: field '%s' must be an integer or 1 to 3 integers",
		                     field);
	for (size_t i = 0; i < 3; i++)
		out[i] = 1;
	for (size_t i = 0; i < n; i++) {
		const json_t *x = json_is_array(v) ? json_array_get(v, i) : v;
		if (!json_is_integer(x) || json_integer_value(x) < 1 ||
		    json_integer_value(x) > (json_int_t)1 << 40)
			return terra_err_set(e, TERRA_E_INPUT,
			                     "kernel: field '%s' must hold positive integers",
			                     field);
		out[i] = (size_t)json_integer_value(x);
	}
	*dims = (cl_uint)n;
	return 0;
}

static uint64_t splitmix64_next(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static int fill_buffer(unsigned char *p, size_t size, const char *fill, uint64_t seed, terra_err *e)
{
	if (!strcmp(fill, "zero")) {
		memset(p, 0, size);
	} else if (!strcmp(fill, "iota")) {
		for (size_t i = 0; i < size; i++) {
			uint32_t word = (uint32_t)(i / 4);
			p[i] = (unsigned char)(word >> (8 * (i % 4)));
		}
	} else if (!strcmp(fill, "random")) {
		uint64_t x = 0;
		for (size_t i = 0; i < size; i++) {
			if (i % 8 == 0)
				x = splitmix64_next(&seed);
			p[i] = (unsigned char)(x >> (8 * (i % 8)));
		}
	} else {
		return terra_err_set(e, TERRA_E_INPUT,
		                     "kernel: fill '%s': expected zero, iota or random", fill);
	}
	return 0;
}

static int set_buffer_arg(terra_kernelrun *kr, cl_context ctx, cl_device_id dev, cl_uint i,
                          const json_t *arg, terra_err *e)
{
	struct kr_arg *a = &kr->args[i];
	const char *fill = "zero";
	int64_t size = 0, seed = 0;
	cl_ulong max_alloc = 0;
	unsigned char *host = NULL;
	cl_int rc;
	int ret = -1;

	if (terra_rec_int(arg, "buffer", &size, e) < 0 ||
	    terra_rec_str_opt(arg, "fill", &fill, e) ||
	    terra_rec_int_opt(arg, "seed", &seed, e) < 0)
		return -1;
	if (size < 1)
		return terra_err_set(e, TERRA_E_INPUT, "buffer size must be positive");
	a->out = json_is_true(json_object_get(arg, "out"));
	a->size = (size_t)size;
	clGetDeviceInfo(dev, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof max_alloc, &max_alloc, NULL);
	if (max_alloc && (cl_ulong)size > max_alloc)
		return terra_err_set(e, TERRA_E_DEVICE,
		                     "buffer of %lld bytes: the device refuses it (largest "
		                     "allocation %llu bytes)",
		                     (long long)size, (unsigned long long)max_alloc);
	if (!(host = malloc(a->size)))
		return terra_err_sys(e, "buffer of %lld bytes", (long long)size);
	if (fill_buffer(host, a->size, fill, (uint64_t)seed, e) < 0)
		goto out;
	a->buf = clCreateBuffer(ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, a->size, host, &rc);
	if (rc != CL_SUCCESS) {
		a->buf = NULL;
		terra_err_set(e, TERRA_E_DEVICE, "buffer of %lld bytes: %s", (long long)size,
		              terra_ocl_strerror(rc));
		goto out;
	}
	rc = clSetKernelArg(kr->kernel, i, sizeof a->buf, &a->buf);
	if (rc != CL_SUCCESS) {
		terra_err_set(e, TERRA_E_INPUT, "%s", terra_ocl_strerror(rc));
		goto out;
	}
	ret = 0;
out:
	free(host);
	return ret;
}

static int set_scalar_arg(terra_kernelrun *kr, cl_uint i, const json_t *arg, terra_err *e)
{
	const char *s;
	int64_t v;
	cl_int rc;

	if (json_object_get(arg, "float")) {
		char *end;
		cl_float f;
		if (terra_rec_str(arg, "float", &s, e) < 0)
			return -1;
		errno = 0;
		f = strtof(s, &end);
		if (end == s || *end || errno)
			return terra_err_set(e, TERRA_E_INPUT, "float '%s' is not a number", s);
		rc = clSetKernelArg(kr->kernel, i, sizeof f, &f);
	} else if (json_object_get(arg, "int")) {
		cl_int x;
		if (terra_rec_int(arg, "int", &v, e) < 0)
			return -1;
		x = (cl_int)v;
		rc = clSetKernelArg(kr->kernel, i, sizeof x, &x);
	} else if (json_object_get(arg, "uint")) {
		cl_uint x;
		if (terra_rec_int(arg, "uint", &v, e) < 0)
			return -1;
		x = (cl_uint)v;
		rc = clSetKernelArg(kr->kernel, i, sizeof x, &x);
	} else if (json_object_get(arg, "long") || json_object_get(arg, "ulong")) {
		cl_long x;
		if (terra_rec_int(arg, json_object_get(arg, "long") ? "long" : "ulong", &v, e) < 0)
			return -1;
		x = (cl_long)v;
		rc = clSetKernelArg(kr->kernel, i, sizeof x, &x);
	} else {
		return terra_err_set(e, TERRA_E_INPUT,
		                     "expected buffer, int, uint, long, ulong or float");
	}
	if (rc != CL_SUCCESS)
		return terra_err_set(e, TERRA_E_INPUT, "%s", terra_ocl_strerror(rc));
	return 0;
}

int terra_kernelrun_open(terra_kernelrun **krp, cl_context ctx, cl_device_id dev,
                         cl_command_queue queue, const json_t *params,
                         const terra_kernel_fence *fence, terra_err *e)
{
	terra_kernelrun *kr = NULL;
	const char *file, *entry, *options = "";
	char real[PATH_MAX];
	json_t *args, *arg;
	char *src = NULL;
	cl_uint ldims;
	size_t i;
	cl_int rc;
	int ret = -1;

	if (terra_rec_str(params, "file", &file, e) < 0 ||
	    terra_rec_str(params, "entry", &entry, e) < 0 ||
	    terra_rec_str_opt(params, "options", &options, e) < 0 ||
	    terra_rec_arr(params, "args", &args, e) < 0)
		return terra_err_wrap(e, "kernel");
	if (json_array_size(args) > KR_MAX_ARGS)
		return terra_err_set(e, TERRA_E_INPUT, "kernel: more than %d arguments",
		                     KR_MAX_ARGS);
	if (!(kr = calloc(1, sizeof *kr)))
		return terra_err_sys(e, "kernel");
	kr->queue = queue;
	kr->iterations = 1;
	if (parse_sizes(params, "global", kr->global, &kr->dims, e) < 0)
		goto out;
	if (json_object_get(params, "local")) {
		if (parse_sizes(params, "local", kr->local, &ldims, e) < 0)
			goto out;
		if (ldims != kr->dims) {
			terra_err_set(e, TERRA_E_INPUT,
			              "kernel: 'local' must have as many sizes as 'global'");
			goto out;
		}
		kr->has_local = 1;
	}
	if (terra_rec_int_opt(params, "iterations", &kr->iterations, e) < 0) {
		terra_err_wrap(e, "kernel");
		goto out;
	}
	if (kr->iterations < 1) {
		terra_err_set(e, TERRA_E_INPUT, "kernel: iterations must be positive");
		goto out;
	}
	kr->items = (int64_t)(kr->global[0] * kr->global[1] * kr->global[2]);
	if (fenced_path(file, fence, real, e) < 0 || read_source(real, &src, e) < 0)
		goto out;
	if (terra_ocl_build(ctx, dev, src, options, &kr->prog, e) < 0) {
		terra_err_wrap(e, "kernel '%s'", file);
		goto out;
	}
	kr->kernel = clCreateKernel(kr->prog, entry, &rc);
	if (rc != CL_SUCCESS) {
		kr->kernel = NULL;
		terra_err_set(e, TERRA_E_INPUT, "kernel '%s': entry point '%s': %s", file, entry,
		              terra_ocl_strerror(rc));
		goto out;
	}
	json_array_foreach(args, i, arg)
	{
		int r = !json_is_object(arg) ? terra_err_set(e, TERRA_E_INPUT, "must be an object")
		        : json_object_get(arg, "buffer")
		            ? set_buffer_arg(kr, ctx, dev, (cl_uint)i, arg, e)
		            : set_scalar_arg(kr, (cl_uint)i, arg, e);
		kr->nargs = i + 1;
		if (r < 0) {
			terra_err_wrap(e, "kernel '%s': argument %zu", file, i);
			goto out;
		}
	}
	*krp = kr;
	kr = NULL;
	ret = 0;
out:
	free(src);
	terra_kernelrun_close(kr);
	return ret;
}

void terra_kernelrun_close(terra_kernelrun *kr)
{
	if (!kr)
		return;
	for (size_t i = 0; i < kr->nargs; i++)
		if (kr->args[i].buf)
			clReleaseMemObject(kr->args[i].buf);
	if (kr->kernel)
		clReleaseKernel(kr->kernel);
	if (kr->prog)
		clReleaseProgram(kr->prog);
	free(kr);
}

int terra_kernelrun_step(terra_kernelrun *kr, int64_t *work, int64_t *busy_us, terra_err *e)
{
	cl_ulong ns;
	cl_event ev = NULL;
	cl_int rc;

	*work = 0;
	*busy_us = 0;
	if (kr->done >= kr->iterations)
		return 0;
	rc = clEnqueueNDRangeKernel(kr->queue, kr->kernel, kr->dims, NULL, kr->global,
	                            kr->has_local ? kr->local : NULL, 0, NULL, &ev);
	if (rc == CL_SUCCESS)
		rc = clWaitForEvents(1, &ev);
	if (rc == CL_SUCCESS && terra_ocl_event_ns(ev, &ns) == CL_SUCCESS)
		*busy_us = (int64_t)(ns / 1000);
	if (ev)
		clReleaseEvent(ev);
	if (rc != CL_SUCCESS)
		return terra_err_set(e, TERRA_E_DEVICE, "kernel: launch: %s",
		                     terra_ocl_strerror(rc));
	kr->done++;
	*work = kr->items;
	return 0;
}

int terra_kernelrun_done(const terra_kernelrun *kr)
{
	return kr->done >= kr->iterations;
}

int terra_kernelrun_digest(terra_kernelrun *kr, uint8_t digest[TERRA_HASH_BYTES], terra_err *e)
{
	crypto_hash_sha256_state st;

	crypto_hash_sha256_init(&st);
	for (size_t i = 0; i < kr->nargs; i++) {
		struct kr_arg *a = &kr->args[i];
		void *p;
		cl_int rc;

		if (!a->buf || !a->out)
			continue;
		p = clEnqueueMapBuffer(kr->queue, a->buf, CL_TRUE, CL_MAP_READ, 0, a->size, 0, NULL,
		                       NULL, &rc);
		if (rc != CL_SUCCESS)
			return terra_err_set(e, TERRA_E_DEVICE, "kernel: read argument %zu: %s", i,
			                     terra_ocl_strerror(rc));
		crypto_hash_sha256_update(&st, p, a->size);
		clEnqueueUnmapMemObject(kr->queue, a->buf, p, 0, NULL, NULL);
	}
	clFinish(kr->queue);
	crypto_hash_sha256_final(&st, digest);
	return 0;
}
