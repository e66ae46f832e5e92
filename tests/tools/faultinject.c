/*
 * A write-fault injector for tests, loaded with LD_PRELOAD. With
 * TERRA_FAULT="ERRNO:N" (ERRNO is ENOSPC or EIO), the first N writes to
 * regular files succeed and every later one fails with that errno, as a
 * full or failing disk would. Writes to pipes, terminals and sockets are
 * never touched, so the command can still report what happened.
 * TERRA_FAULT_FSYNC=1 makes fsync/fdatasync fail too once writes fail.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static atomic_long budget = -1; /* writes left before failing; -1 unset */
static int fault_errno;
static int fault_fsync;

static void setup(void)
{
	static atomic_int done;
	const char *spec, *colon;

	if (atomic_exchange(&done, 1))
		return;
	spec = getenv("TERRA_FAULT");
	if (!spec || !(colon = strchr(spec, ':')))
		return;
	if (!strncmp(spec, "ENOSPC", (size_t)(colon - spec)))
		fault_errno = ENOSPC;
	else if (!strncmp(spec, "EIO", (size_t)(colon - spec)))
		fault_errno = EIO;
	else
		return;
	fault_fsync = getenv("TERRA_FAULT_FSYNC") != NULL;
	atomic_store(&budget, strtol(colon + 1, NULL, 10));
}

static int is_regular(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* 1 when this write must fail. */
static int should_fail(int fd)
{
	setup();
	if (!fault_errno || !is_regular(fd))
		return 0;
	if (atomic_fetch_sub(&budget, 1) > 0)
		return 0;
	atomic_store(&budget, 0);
	errno = fault_errno;
	return 1;
}

#define NEXT(name, type) ((type)dlsym(RTLD_NEXT, name))

ssize_t write(int fd, const void *buf, size_t n)
{
	if (should_fail(fd))
		return -1;
	return NEXT("write", ssize_t(*)(int, const void *, size_t))(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (should_fail(fd))
		return -1;
	return NEXT("pwrite", ssize_t(*)(int, const void *, size_t, off_t))(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	if (should_fail(fd))
		return -1;
	return NEXT("pwrite64", ssize_t(*)(int, const void *, size_t, off_t))(fd, buf, n, off);
}

static int fsync_fails(int fd)
{
	setup();
	if (!fault_fsync || !fault_errno || atomic_load(&budget) > 0 || !is_regular(fd))
		return 0;
	errno = fault_errno;
	return 1;
}

int fsync(int fd)
{
	if (fsync_fails(fd))
		return -1;
	return NEXT("fsync", int (*)(int))(fd);
}

int fdatasync(int fd)
{
	if (fsync_fails(fd))
		return -1;
	return NEXT("fdatasync", int (*)(int))(fd);
}
