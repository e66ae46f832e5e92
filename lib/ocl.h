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
#include <stddef.h>

typedef struct terra_ocl_device {
	cl_platform_id platform;
	cl_device_id id;
	int index;          /* order across all platforms, as terra-probe numbers them */
	int platform_index; /* platform number, and the device's number on it */
	int device_index;
	char fingerprint[65]; /* as in the device record (DESIGN 4) */
	int numa_node;        /* nearest NUMA node, -1 unknown */
} terra_ocl_device;

int terra_ocl_list(terra_ocl_device **devs, size_t *n, terra_err *e);
void terra_ocl_list_free(terra_ocl_device *devs, size_t n);
/* The real device with this fingerprint; TERRA_E_NOTFOUND if none. */
int terra_ocl_find(const char *fingerprint, terra_ocl_device *dev, terra_err *e);
/* Builds src for one device; on a build failure e->msg ends with the build log. */
int terra_ocl_build(cl_context ctx, cl_device_id dev, const char *src, const char *options,
                    cl_program *prog, terra_err *e);
/* "CL_OUT_OF_RESOURCES" etc. */
const char *terra_ocl_strerror(cl_int status);

#endif
