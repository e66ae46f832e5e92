#include "ocl.h"
#include "topo.h"

#include <CL/cl_ext.h>
#include <pthread.h>
#include <sched.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cl_nv_device_attribute_query: not in every cl_ext.h. */
#ifndef CL_DEVICE_PCI_BUS_ID_NV
#define CL_DEVICE_PCI_BUS_ID_NV    0x4008
#define CL_DEVICE_PCI_SLOT_ID_NV   0x4009
#define CL_DEVICE_PCI_DOMAIN_ID_NV 0x400A
#endif
#define CL_DEVICE_TOPOLOGY_TYPE_PCIE_AMD_ 1

const char *terra_ocl_strerror(cl_int status)
{
	switch (status) {
#define E(x)                                                                                       \
	case x:                                                                                    \
		return #x;
		E(CL_SUCCESS)
		E(CL_DEVICE_NOT_FOUND)
		E(CL_DEVICE_NOT_AVAILABLE)
		E(CL_COMPILER_NOT_AVAILABLE)
		E(CL_MEM_OBJECT_ALLOCATION_FAILURE)
		E(CL_OUT_OF_RESOURCES)
		E(CL_OUT_OF_HOST_MEMORY)
		E(CL_PROFILING_INFO_NOT_AVAILABLE)
		E(CL_MEM_COPY_OVERLAP)
		E(CL_IMAGE_FORMAT_MISMATCH)
		E(CL_IMAGE_FORMAT_NOT_SUPPORTED)
		E(CL_BUILD_PROGRAM_FAILURE)
		E(CL_MAP_FAILURE)
		E(CL_MISALIGNED_SUB_BUFFER_OFFSET)
		E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
		E(CL_COMPILE_PROGRAM_FAILURE)
		E(CL_LINKER_NOT_AVAILABLE)
		E(CL_LINK_PROGRAM_FAILURE)
		E(CL_DEVICE_PARTITION_FAILED)
		E(CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
		E(CL_INVALID_VALUE)
		E(CL_INVALID_DEVICE_TYPE)
		E(CL_INVALID_PLATFORM)
		E(CL_INVALID_DEVICE)
		E(CL_INVALID_CONTEXT)
		E(CL_INVALID_QUEUE_PROPERTIES)
		E(CL_INVALID_COMMAND_QUEUE)
		E(CL_INVALID_HOST_PTR)
		E(CL_INVALID_MEM_OBJECT)
		E(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR)
		E(CL_INVALID_IMAGE_SIZE)
		E(CL_INVALID_SAMPLER)
		E(CL_INVALID_BINARY)
		E(CL_INVALID_BUILD_OPTIONS)
		E(CL_INVALID_PROGRAM)
		E(CL_INVALID_PROGRAM_EXECUTABLE)
		E(CL_INVALID_KERNEL_NAME)
		E(CL_INVALID_KERNEL_DEFINITION)
		E(CL_INVALID_KERNEL)
		E(CL_INVALID_ARG_INDEX)
		E(CL_INVALID_ARG_VALUE)
		E(CL_INVALID_ARG_SIZE)
		E(CL_INVALID_KERNEL_ARGS)
		E(CL_INVALID_WORK_DIMENSION)
		E(CL_INVALID_WORK_GROUP_SIZE)
		E(CL_INVALID_WORK_ITEM_SIZE)
		E(CL_INVALID_GLOBAL_OFFSET)
		E(CL_INVALID_EVENT_WAIT_LIST)
		E(CL_INVALID_EVENT)
		E(CL_INVALID_OPERATION)
		E(CL_INVALID_GL_OBJECT)
		E(CL_INVALID_BUFFER_SIZE)
		E(CL_INVALID_MIP_LEVEL)
		E(CL_INVALID_GLOBAL_WORK_SIZE)
		E(CL_INVALID_PROPERTY)
		E(CL_INVALID_IMAGE_DESCRIPTOR)
		E(CL_INVALID_COMPILER_OPTIONS)
		E(CL_INVALID_LINKER_OPTIONS)
		E(CL_INVALID_DEVICE_PARTITION_COUNT)
		E(CL_PLATFORM_NOT_FOUND_KHR)
#undef E
	default:
		return "unknown OpenCL error";
	}
}

/*
 * PoCL's CPU driver runs kernels on a pool of one thread per CPU, and the
 * host's scheduler sometimes puts two of them on one CPU for a while: on a
 * 2-CPU VM, sgemm panels of 20 ms ran at 157-304 GFLOPS with the threads
 * free and at 267-320 with POCL_AFFINITY=1, which pins PoCL's thread i to
 * CPU i. So a probe's score moved with the scheduler, not the device.
 * PoCL pins without asking whether CPU i is one this process may run on;
 * where it may not (a cpuset, Slurm's task/affinity) the call fails, and
 * some PoCL versions abort on that. So ask for it only where CPUs 0 to n-1
 * are all ours, and never over the user's own POCL_AFFINITY. Other OpenCL
 * implementations do not read it.
 */
static void pocl_pin(void)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	const char *threads = getenv("POCL_MAX_PTHREAD_COUNT");
	cpu_set_t set;

	if (getenv("POCL_AFFINITY") || online < 1 || online > CPU_SETSIZE ||
	    (threads && atol(threads) > online) || sched_getaffinity(0, sizeof set, &set) != 0)
		return;
	for (long i = 0; i < online; i++)
		if (!CPU_ISSET((int)i, &set))
			return;
	setenv("POCL_AFFINITY", "1", 0);
}

int terra_ocl_platforms(cl_platform_id **ps, cl_uint *n, terra_err *e)
{
	static pthread_once_t pin = PTHREAD_ONCE_INIT;
	cl_uint count = 0;
	cl_int rc;

	pthread_once(&pin, pocl_pin);
	*ps = NULL;
	*n = 0;
	rc = clGetPlatformIDs(0, NULL, &count);
	/* The ICD loader says "no platform" this way when no ICD is installed. */
	if (rc == CL_PLATFORM_NOT_FOUND_KHR || (rc == CL_SUCCESS && count == 0))
		return 0;
	if (rc != CL_SUCCESS)
		return terra_err_set(e, TERRA_E_DEVICE, "opencl platforms: %s",
		                     terra_ocl_strerror(rc));
	*ps = calloc(count, sizeof **ps);
	if (!*ps)
		return terra_err_sys(e, "opencl platforms");
	rc = clGetPlatformIDs(count, *ps, NULL);
	if (rc != CL_SUCCESS) {
		free(*ps);
		*ps = NULL;
		return terra_err_set(e, TERRA_E_DEVICE, "opencl platforms: %s",
		                     terra_ocl_strerror(rc));
	}
	*n = count;
	return 0;
}

int terra_ocl_devices(cl_platform_id p, cl_device_id **ds, cl_uint *n, terra_err *e)
{
	cl_uint count = 0;
	cl_int rc;

	*ds = NULL;
	*n = 0;
	rc = clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, NULL, &count);
	if (rc == CL_DEVICE_NOT_FOUND || (rc == CL_SUCCESS && count == 0))
		return 0;
	if (rc != CL_SUCCESS)
		return terra_err_set(e, TERRA_E_DEVICE, "opencl devices: %s",
		                     terra_ocl_strerror(rc));
	*ds = calloc(count, sizeof **ds);
	if (!*ds)
		return terra_err_sys(e, "opencl devices");
	rc = clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, count, *ds, NULL);
	if (rc != CL_SUCCESS) {
		free(*ds);
		*ds = NULL;
		return terra_err_set(e, TERRA_E_DEVICE, "opencl devices: %s",
		                     terra_ocl_strerror(rc));
	}
	*n = count;
	return 0;
}

/*
 * String properties, malloc'd and trimmed; NULL if the platform or device will
 * not tell. The two getters differ only in their handle's type, so each is
 * wrapped to one signature and info_str does the rest.
 */
typedef cl_int (*info_fn)(const void *obj, cl_uint what, size_t size, void *out, size_t *len);

static cl_int get_platform_info(const void *obj, cl_uint what, size_t size, void *out, size_t *len)
{
	return clGetPlatformInfo(*(const cl_platform_id *)obj, what, size, out, len);
}

static cl_int get_device_info(const void *obj, cl_uint what, size_t size, void *out, size_t *len)
{
	return clGetDeviceInfo(*(const cl_device_id *)obj, what, size, out, len);
}

static char *info_str(info_fn get, const void *obj, cl_uint what)
{
	size_t len = 0;
	char *s;

	if (get(obj, what, 0, NULL, &len) != CL_SUCCESS || len == 0)
		return NULL;
	s = malloc(len + 1);
	if (!s)
		return NULL;
	if (get(obj, what, len, s, NULL) != CL_SUCCESS) {
		free(s);
		return NULL;
	}
	s[len] = '\0';
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\0'))
		s[--len] = '\0';
	return s;
}

static char *platform_str(cl_platform_id p, cl_platform_info what)
{
	return info_str(get_platform_info, &p, what);
}

static char *device_str(cl_device_id d, cl_device_info what)
{
	return info_str(get_device_info, &d, what);
}

static int set_str(json_t *o, const char *key, char *s)
{
	int rc = 0;

	if (s)
		rc = json_object_set_new(o, key, json_string(s));
	free(s);
	return rc;
}

int terra_ocl_describe_platform(cl_platform_id p, json_t **props, terra_err *e)
{
	json_t *o = json_object();

	if (!o)
		return terra_err_sys(e, "describe platform");
	if (set_str(o, "name", platform_str(p, CL_PLATFORM_NAME)) < 0 ||
	    set_str(o, "vendor", platform_str(p, CL_PLATFORM_VENDOR)) < 0 ||
	    set_str(o, "version", platform_str(p, CL_PLATFORM_VERSION)) < 0 ||
	    set_str(o, "extensions", platform_str(p, CL_PLATFORM_EXTENSIONS)) < 0) {
		json_decref(o);
		return terra_err_sys(e, "describe platform");
	}
	*props = o;
	return 0;
}

static int has_ext(const char *exts, const char *name)
{
	size_t n = strlen(name);
	const char *s = exts;

	while (s && (s = strstr(s, name))) {
		if ((s == exts || s[-1] == ' ') && (s[n] == ' ' || s[n] == '\0'))
			return 1;
		s += n;
	}
	return 0;
}

int terra_ocl_pci_bus_id(cl_device_id d, char out[16])
{
	char *exts = device_str(d, CL_DEVICE_EXTENSIONS);
	int found = 0;

	out[0] = '\0';
	if (has_ext(exts, "cl_khr_pci_bus_info")) {
		cl_device_pci_bus_info_khr info;

		if (clGetDeviceInfo(d, CL_DEVICE_PCI_BUS_INFO_KHR, sizeof info, &info, NULL) ==
		    CL_SUCCESS) {
			snprintf(out, 16, "%04x:%02x:%02x.%x", info.pci_domain & 0xffffu,
			         info.pci_bus & 0xffu, info.pci_device & 0x1fu,
			         info.pci_function & 0x7u);
			found = 1;
		}
	}
	if (!found && has_ext(exts, "cl_nv_device_attribute_query")) {
		cl_uint bus = 0, slot = 0, domain = 0;

		if (clGetDeviceInfo(d, CL_DEVICE_PCI_BUS_ID_NV, sizeof bus, &bus, NULL) ==
		        CL_SUCCESS &&
		    clGetDeviceInfo(d, CL_DEVICE_PCI_SLOT_ID_NV, sizeof slot, &slot, NULL) ==
		        CL_SUCCESS) {
			/* Older drivers have no domain query: domain 0 then. */
			if (clGetDeviceInfo(d, CL_DEVICE_PCI_DOMAIN_ID_NV, sizeof domain, &domain,
			                    NULL) != CL_SUCCESS)
				domain = 0;
			snprintf(out, 16, "%04x:%02x:%02x.%x", domain & 0xffffu, bus & 0xffu,
			         (slot >> 3) & 0x1fu, slot & 0x7u);
			found = 1;
		}
	}
	if (!found && has_ext(exts, "cl_amd_device_attribute_query")) {
		cl_device_topology_amd topo;

		if (clGetDeviceInfo(d, CL_DEVICE_TOPOLOGY_AMD, sizeof topo, &topo, NULL) ==
		        CL_SUCCESS &&
		    topo.raw.type == CL_DEVICE_TOPOLOGY_TYPE_PCIE_AMD_) {
			snprintf(out, 16, "0000:%02x:%02x.%x",
			         (unsigned)(unsigned char)topo.pcie.bus,
			         (unsigned)(unsigned char)topo.pcie.device & 0x1fu,
			         (unsigned)(unsigned char)topo.pcie.function & 0x7u);
			found = 1;
		}
	}
	free(exts);
	return 0;
}

static const char *kind_name(cl_device_type t)
{
	if (t & CL_DEVICE_TYPE_GPU)
		return "gpu";
	if (t & CL_DEVICE_TYPE_CPU)
		return "cpu";
	return "accelerator";
}

static int set_int(json_t *o, const char *key, int64_t v)
{
	return json_object_set_new(o, key, json_integer(v));
}

int terra_ocl_describe_device(cl_device_id d, json_t **props, terra_err *e)
{
	json_t *o = json_object();
	cl_device_type type = 0;
	cl_uint cu = 0, mhz = 0, w;
	cl_ulong gmem = 0, alloc = 0, lmem = 0;
	cl_device_fp_config fp64 = 0;
	size_t wg = 0;
	char pci[16];
	int rc = 0;
	static const struct {
		const char *key;
		cl_device_info what;
	} widths[] = {
	    {"vector_width_float", CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT},
	    {"vector_width_double", CL_DEVICE_PREFERRED_VECTOR_WIDTH_DOUBLE},
	    {"vector_width_int", CL_DEVICE_PREFERRED_VECTOR_WIDTH_INT},
	};

	if (!o)
		return terra_err_sys(e, "describe device");
	clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof type, &type, NULL);
	clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL);
	clGetDeviceInfo(d, CL_DEVICE_MAX_CLOCK_FREQUENCY, sizeof mhz, &mhz, NULL);
	clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof gmem, &gmem, NULL);
	clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof alloc, &alloc, NULL);
	clGetDeviceInfo(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof lmem, &lmem, NULL);
	clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
	if (clGetDeviceInfo(d, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof fp64, &fp64, NULL) != CL_SUCCESS)
		fp64 = 0;
	terra_ocl_pci_bus_id(d, pci);

	rc |= set_str(o, "name", device_str(d, CL_DEVICE_NAME));
	rc |= set_str(o, "vendor", device_str(d, CL_DEVICE_VENDOR));
	rc |= set_str(o, "driver_version", device_str(d, CL_DRIVER_VERSION));
	rc |= set_str(o, "device_version", device_str(d, CL_DEVICE_VERSION));
	rc |= set_str(o, "opencl_c_version", device_str(d, CL_DEVICE_OPENCL_C_VERSION));
	rc |= set_str(o, "extensions", device_str(d, CL_DEVICE_EXTENSIONS));
	rc |= json_object_set_new(o, "kind", json_string(kind_name(type)));
	rc |= set_int(o, "compute_units", cu);
	rc |= set_int(o, "clock_mhz", mhz);
	rc |= set_int(o, "global_mem_bytes", (int64_t)gmem);
	rc |= set_int(o, "max_alloc_bytes", (int64_t)alloc);
	rc |= set_int(o, "local_mem_bytes", (int64_t)lmem);
	rc |= set_int(o, "max_wg_size", (int64_t)wg);
	rc |= json_object_set_new(o, "fp64", json_boolean(fp64 != 0));
	for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
		w = 0;
		clGetDeviceInfo(d, widths[i].what, sizeof w, &w, NULL);
		rc |= set_int(o, widths[i].key, w);
	}
	if (pci[0])
		rc |= json_object_set_new(o, "pci_bus_id", json_string(pci));
	if (rc) {
		json_decref(o);
		return terra_err_sys(e, "describe device");
	}
	*props = o;
	return 0;
}

static void hash_field(crypto_hash_sha256_state *st, const char *s)
{
	char len[24];

	snprintf(len, sizeof len, "%zu:", strlen(s));
	crypto_hash_sha256_update(st, (const unsigned char *)len, strlen(len));
	crypto_hash_sha256_update(st, (const unsigned char *)s, strlen(s));
	crypto_hash_sha256_update(st, (const unsigned char *)",", 1);
}

void terra_ocl_fingerprint(const char *machine, const char *platform, const char *vendor,
                           const char *name, const char *kind, const char *pci_bus_id,
                           int platform_device_index, int64_t global_mem_bytes, char out[65])
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];
	char loc[64], mem[24];

	if (pci_bus_id && pci_bus_id[0])
		snprintf(loc, sizeof loc, "pci:%s", pci_bus_id);
	else
		snprintf(loc, sizeof loc, "index:%d", platform_device_index);
	if (kind && strcmp(kind, "cpu") == 0)
		global_mem_bytes = 0;
	snprintf(mem, sizeof mem, "%lld", (long long)global_mem_bytes);
	crypto_hash_sha256_init(&st);
	hash_field(&st, "terra-device-v1");
	hash_field(&st, machine);
	hash_field(&st, platform);
	hash_field(&st, vendor);
	hash_field(&st, name);
	hash_field(&st, loc);
	hash_field(&st, mem);
	crypto_hash_sha256_final(&st, h);
	for (size_t i = 0; i < sizeof h; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static const char *str_or_empty(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

int terra_ocl_list(terra_ocl_device **devs, size_t *n, terra_err *e)
{
	cl_platform_id *ps = NULL;
	cl_device_id *ds = NULL;
	cl_uint np = 0, nd = 0;
	terra_ocl_device *list = NULL, *grown;
	terra_topo *topo = NULL;
	terra_topo_place place;
	terra_err ignore;
	json_t *pprops = NULL, *dprops = NULL;
	char machine[65];
	size_t count = 0;
	int rc = -1;

	*devs = NULL;
	*n = 0;
	if (sodium_init() < 0)
		return terra_err_set(e, TERRA_E_SYS, "libsodium: initialisation failed");
	if (terra_topo_machine(machine, NULL, 0, e) < 0)
		return -1;
	if (terra_ocl_platforms(&ps, &np, e) < 0)
		return -1;
	/* Without a topology the devices are still usable, only unplaced. */
	if (np > 0 && terra_topo_load(&topo, &ignore) < 0)
		topo = NULL;
	for (cl_uint p = 0; p < np; p++) {
		if (terra_ocl_describe_platform(ps[p], &pprops, e) < 0)
			goto out;
		if (terra_ocl_devices(ps[p], &ds, &nd, e) < 0)
			goto out;
		grown = realloc(list, (count + nd + 1) * sizeof *list);
		if (!grown) {
			terra_err_sys(e, "opencl devices");
			goto out;
		}
		list = grown;
		for (cl_uint d = 0; d < nd; d++) {
			terra_ocl_device *dev = &list[count];

			if (terra_ocl_describe_device(ds[d], &dprops, e) < 0)
				goto out;
			memset(dev, 0, sizeof *dev);
			dev->platform = ps[p];
			dev->id = ds[d];
			dev->index = (int)count;
			dev->platform_index = (int)p;
			dev->device_index = (int)d;
			terra_ocl_fingerprint(
			    machine, str_or_empty(pprops, "name"), str_or_empty(dprops, "vendor"),
			    str_or_empty(dprops, "name"), str_or_empty(dprops, "kind"),
			    str_or_empty(dprops, "pci_bus_id"), (int)d,
			    json_integer_value(json_object_get(dprops, "global_mem_bytes")),
			    dev->fingerprint);
			dev->numa_node = -1;
			if (topo &&
			    terra_topo_place_device(topo, str_or_empty(dprops, "pci_bus_id"),
			                            &place, &ignore) == 0)
				dev->numa_node = place.numa_node;
			json_decref(dprops);
			dprops = NULL;
			count++;
		}
		free(ds);
		ds = NULL;
		json_decref(pprops);
		pprops = NULL;
	}
	*devs = list;
	*n = count;
	list = NULL;
	rc = 0;
out:
	json_decref(dprops);
	json_decref(pprops);
	free(list);
	free(ds);
	terra_topo_free(topo);
	free(ps);
	return rc;
}

void terra_ocl_list_free(terra_ocl_device *devs, size_t n)
{
	(void)n;
	free(devs);
}

int terra_ocl_find(const char *fingerprint, terra_ocl_device *dev, terra_err *e)
{
	terra_ocl_device *devs = NULL;
	size_t n = 0;
	int rc = -1;

	if (terra_ocl_list(&devs, &n, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(devs[i].fingerprint, fingerprint) == 0) {
			*dev = devs[i];
			rc = 0;
			goto out;
		}
	}
	terra_err_set(e, TERRA_E_NOTFOUND, "device %.16s...: not found on this machine",
	              fingerprint);
out:
	terra_ocl_list_free(devs, n);
	return rc;
}

int terra_ocl_build(cl_context ctx, cl_device_id dev, const char *src, const char *options,
                    cl_program *prog, terra_err *e)
{
	cl_program p;
	cl_int rc;
	size_t loglen = 0, used;
	char *log = NULL;

	*prog = NULL;
	p = clCreateProgramWithSource(ctx, 1, &src, NULL, &rc);
	if (rc != CL_SUCCESS)
		return terra_err_set(e, TERRA_E_DEVICE, "create program: %s",
		                     terra_ocl_strerror(rc));
	rc = clBuildProgram(p, 1, &dev, options, NULL, NULL);
	if (rc == CL_SUCCESS) {
		*prog = p;
		return 0;
	}
	terra_err_set(e, TERRA_E_DEVICE, "build program: %s", terra_ocl_strerror(rc));
	if (clGetProgramBuildInfo(p, dev, CL_PROGRAM_BUILD_LOG, 0, NULL, &loglen) == CL_SUCCESS &&
	    loglen > 1 && (log = malloc(loglen + 1))) {
		if (clGetProgramBuildInfo(p, dev, CL_PROGRAM_BUILD_LOG, loglen, log, NULL) ==
		    CL_SUCCESS) {
			log[loglen] = '\0';
			while (loglen > 0 && (log[loglen - 1] == '\n' || log[loglen - 1] == '\0' ||
			                      log[loglen - 1] == ' '))
				log[--loglen] = '\0';
			used = strlen(e->msg);
			if (loglen > 0)
				snprintf(e->msg + used, sizeof e->msg - used, ": %s", log);
		}
		free(log);
	}
	clReleaseProgram(p);
	return -1;
}

cl_int terra_ocl_event_ns(cl_event ev, cl_ulong *ns)
{
	cl_ulong t0 = 0, t1 = 0;
	cl_int rc;

	rc = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL);
	if (rc == CL_SUCCESS)
		rc = clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL);
	if (rc == CL_SUCCESS && t1 < t0)
		rc = CL_INVALID_VALUE;
	*ns = rc == CL_SUCCESS ? t1 - t0 : 0;
	return rc;
}
