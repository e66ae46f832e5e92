#ifndef TERRA_KERNELRUN_H
#define TERRA_KERNELRUN_H
/*
 * The kernel workload (terra-run(1)): the user's OpenCL C file run as a job
 * says, in params (terra-records(5)):
 *   file (path), entry (kernel name), global ([x] .. [x,y,z] or an integer),
 *   local (optional, same form), options (optional build options),
 *   iterations (optional, default 1), args: [ARG, ...] in the kernel's order:
 *     {"buffer": BYTES, "fill": "zero"|"iota"|"random", "seed": N, "out": true}
 *     {"int": N} {"uint": N} {"long": N} {"ulong": N} {"float": "1.5"}
 *   ("iota" fills 32-bit words 0, 1, 2, ..; "random" uses splitmix64 from seed.)
 * work = work-items launched (product of global) x iterations; the result
 * digest is SHA-256 over the bytes of every "out" buffer, in argument order,
 * after the last iteration done.
 */
#include "err.h"

#include <CL/cl.h>
#include <jansson.h>
#include <stdint.h>

typedef struct terra_kernelrun terra_kernelrun;

/*
 * Where a job's file may be: the job names it by path (relative to the
 * working directory), and a renter's job must not read the operator's
 * files (a failed build's log quotes the source it read, owner.key
 * included). So the file, its symbolic links followed, must be a regular
 * file under kernel_dir (the operator's terra-run --kernel-dir; NULL: no
 * kernel job is allowed) and not in the home directory home_dir (may be NULL).
 */
typedef struct terra_kernel_fence {
	const char *kernel_dir;
	const char *home_dir;
} terra_kernel_fence;

/* Reads the file (within the fence), builds it (a failed build's message
 * ends with the log), allocates and fills the buffers. */
int terra_kernelrun_open(terra_kernelrun **kr, cl_context ctx, cl_device_id dev,
                         cl_command_queue queue, const json_t *params,
                         const terra_kernel_fence *fence, terra_err *e);
void terra_kernelrun_close(terra_kernelrun *kr);
/* One launch; *work the work-items it ran, *busy_us its device time. */
int terra_kernelrun_step(terra_kernelrun *kr, int64_t *work, int64_t *busy_us, terra_err *e);
int terra_kernelrun_done(const terra_kernelrun *kr);
/* The digest of the output buffers as they are now. */
int terra_kernelrun_digest(terra_kernelrun *kr, uint8_t digest[32], terra_err *e);

#endif
