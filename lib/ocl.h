#ifndef TERRA_OCL_H
#define TERRA_OCL_H
/*
 * OpenCL devices through the ICD loader. Shared by terra-probe (which
 * describes and benchmarks them) and terra-run (which finds a registered
 * unit's device by its fingerprint and runs work on it). No ICD or no
 * platform is zero devices, not an error.
 */
#include "err.h"

#include <CL/cl.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct terra_ocl_device {
	cl_platform_id platform;
	cl_device_id id;
	int index;          /* order across all platforms, as terra-probe numbers them */
	int platform_index; /* platform number, and the device's number on it */
	int device_index;
	char fingerprint[65]; /* as in the device record (terra-records(5)) */
	int numa_node;        /* nearest NUMA node, -1 unknown */
} terra_ocl_device;

int terra_ocl_list(terra_ocl_device **devs, size_t *n, terra_err *e);
void terra_ocl_list_free(terra_ocl_device *devs, size_t n);
/* The real device with this fingerprint; TERRA_E_NOTFOUND if none. */
int terra_ocl_find(const char *fingerprint, terra_ocl_device *dev, terra_err *e);
/* Builds src for one device; on a build failure e->msg ends with the build log. */
int terra_ocl_build(cl_context ctx, cl_device_id dev, const char *src, const char *options,
                    cl_program *prog, terra_err *e);
/*
 * Device time of a finished command from its profiling event: END - START in
 * nanoseconds. CL_INVALID_VALUE when the device reports an end before the start.
 */
cl_int terra_ocl_event_ns(cl_event ev, cl_ulong *ns);
/* "CL_OUT_OF_RESOURCES" etc. */
const char *terra_ocl_strerror(cl_int status);

/* The platforms; none (no ICD, no platform) is 0 and *n = 0. */
int terra_ocl_platforms(cl_platform_id **ps, cl_uint *n, terra_err *e);
/* A platform's devices; none is 0 and *n = 0. */
int terra_ocl_devices(cl_platform_id p, cl_device_id **ds, cl_uint *n, terra_err *e);

/*
 * What terra-probe records of a platform and of a device: a JSON object of
 * its properties (name, vendor, versions, kind, compute_units, clock_mhz,
 * memory sizes, fp64, max_wg_size, preferred vector widths, extensions,
 * pci_bus_id when the platform tells it). A property a device will not
 * report is left out.
 */
int terra_ocl_describe_platform(cl_platform_id p, json_t **props, terra_err *e);
int terra_ocl_describe_device(cl_device_id d, json_t **props, terra_err *e);
/* "0000:65:00.0" through cl_khr_pci_bus_info or the NVIDIA and AMD
 * attribute queries; 0 and out[0] = '\0' when the device has none. */
int terra_ocl_pci_bus_id(cl_device_id d, char out[16]);

/*
 * The device fingerprint (terra-probe(1), Fingerprint): lowercase hex SHA-256 over
 * "terra-device-v1" and then machine, platform, vendor, name, locator and
 * memory size, each written as its byte length in decimal, ':', the bytes
 * and ',' (a netstring), so no two field lists hash the same input. The
 * locator is "pci:" + pci_bus_id, or "index:" + the device's number on its
 * platform when the bus id is absent (NULL or ""). The memory size is 0 for
 * a CPU device (kind "cpu"): its memory is the host's, and the size a CPU
 * runtime reports (PoCL) follows the host's free memory from run to run.
 */
void terra_ocl_fingerprint(const char *machine, const char *platform, const char *vendor,
                           const char *name, const char *kind, const char *pci_bus_id,
                           int platform_device_index, int64_t global_mem_bytes, char out[65]);

#endif
