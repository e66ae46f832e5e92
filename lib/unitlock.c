#include "unitlock.h"

#include "hex.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The pid and program the holder wrote ("PID PROGRAM\n"; a lock of an
 * older terra-run has the pid alone); pid 0 when it cannot be read. */
static long holder(int fd, char *who, size_t size)
{
	char buf[64], *end;
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	long pid;

	snprintf(who, size, "terra-run");
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	if (*end == ' ' && end[1] && end[1] != '\n')
		snprintf(who, size, "%.*s", (int)strcspn(end + 1, "\n"), end + 1);
	return pid;
}

int terra_unitlock_take(const terra_home *h, const char *unit, const char *me, terra_unitlock *l,
                        terra_err *e)
{
	char rel[sizeof TERRA_UNITS_DIR + TERRA_UNIT_ID_HEX + 8], path[PATH_MAX], pid[64], who[32];
	long other;
	int fd, n;

	l->fd = -1;
	if (strlen(unit) != TERRA_UNIT_ID_HEX - 1 || !terra_hex_is_lower(unit, strlen(unit)))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "unit id '%s': expected 32 lowercase hex digits", unit);
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
		other = holder(fd, who, sizeof who);
		close(fd);
		if (other > 0)
			return terra_err_set(
			    e, TERRA_E_BUSY, "unit '%s' is in use by %s%s (pid %ld, lock '%s')",
			    unit, strcmp(who, me) ? "" : "another ", who, other, path);
		return terra_err_set(e, TERRA_E_BUSY, "unit '%s' is in use by %s%s (lock '%s')",
		                     unit, strcmp(who, me) ? "" : "another ", who, path);
	}
	n = snprintf(pid, sizeof pid, "%ld %s\n", (long)getpid(), me);
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

/* 1 when /proc/locks lists a flock(2) lock on inode ino. */
static int locked_in_kernel(ino_t ino)
{
	FILE *f = fopen("/proc/locks", "re");
	char line[256], kind[16], dev[64];
	unsigned long long lino;
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof line, f)) {
		char *colon, *p = strchr(line, ':');

		/* "1: FLOCK  ADVISORY  WRITE 5416 fe:00:10953351 0 EOF"; "->" marks waiters */
		if (!p || strstr(line, "->") ||
		    sscanf(p + 1, "%15s %*s %*s %*d %63s", kind, dev) != 2 || strcmp(kind, "FLOCK"))
			continue;
		colon = strrchr(dev, ':');
		found = colon && sscanf(colon + 1, "%llu", &lino) == 1 &&
		        lino == (unsigned long long)ino;
	}
	fclose(f);
	return found;
}

long terra_unitlock_holder(const terra_home *h, const char *unit, char *who, size_t who_size)
{
	char rel[sizeof TERRA_UNITS_DIR + TERRA_UNIT_ID_HEX + 8], path[PATH_MAX];
	terra_err ignored;
	struct stat st;
	long pid = 0;
	int fd;

	who[0] = '\0';
	snprintf(rel, sizeof rel, "%s/%s.lock", TERRA_UNITS_DIR, unit);
	if (terra_home_file(h, rel, path, sizeof path, &ignored) < 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && locked_in_kernel(st.st_ino))
		pid = holder(fd, who, who_size);
	close(fd);
	if (!pid)
		who[0] = '\0';
	return pid;
}
