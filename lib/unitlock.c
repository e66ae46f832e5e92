#include "unitlock.h"

#include "hex.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* The pid the holder wrote, or 0 when it cannot be read. */
static long holder_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

int terra_unitlock_take(const terra_home *h, const char *unit, terra_unitlock *l, terra_err *e)
{
	char rel[sizeof TERRA_UNITS_DIR + TERRA_UNIT_ID_HEX + 8], path[PATH_MAX], pid[32];
	long other;
	int fd, n;

	l->fd = -1;
	if (strlen(unit) != TERRA_UNIT_ID_HEX - 1 || !terra_hex_is_lower(unit, strlen(unit)))
		return terra_err_set(e, TERRA_E_INPUT, "unit id '%s': expected 32 lowercase hex digits",
		                     unit);
	snprintf(rel, sizeof rel, "%s/%s.lock", TERRA_UNITS_DIR, unit);
	if (terra_home_file(h, rel, path, sizeof path, e) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return terra_err_sys(e, "unit '%s': lock '%s'", unit, path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			terra_err_sys(e, "unit '%s': lock '%s'", unit, path);
			close(fd);
			return -1;
		}
		other = holder_pid(fd);
		close(fd);
		if (other > 0)
			return terra_err_set(e, TERRA_E_BUSY,
			                     "unit '%s' is in use by another terra-run (pid %ld, lock "
			                     "'%s')",
			                     unit, other, path);
		return terra_err_set(e, TERRA_E_BUSY,
		                     "unit '%s' is in use by another terra-run (lock '%s')", unit,
		                     path);
	}
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		terra_err_sys(e, "unit '%s': lock '%s'", unit, path);
		close(fd);
		return -1;
	}
	l->fd = fd;
	return 0;
}

void terra_unitlock_release(terra_unitlock *l)
{
	if (l->fd >= 0)
		close(l->fd); /* the pid stays: the next holder rewrites it */
	l->fd = -1;
}
