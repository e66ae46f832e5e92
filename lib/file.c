#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int terra_file_write_all(int fd, const void *data, size_t n)
{
	const char *p = data;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int terra_file_sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = -1;

	if (!copy)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

int terra_file_replace(const char *path, const void *data, size_t len, mode_t mode, terra_err *e)
{
	size_t n = strlen(path) + sizeof ".XXXXXX";
	char *tmp = malloc(n);
	int fd = -1, rc = -1, created = 0;

	if (!tmp)
		return terra_err_sys(e, "create '%s'", path);
	snprintf(tmp, n, "%s.XXXXXX", path);
	fd = mkstemp(tmp); /* O_EXCL, mode 0600 */
	if (fd < 0) {
		terra_err_sys(e, "create '%s'", path);
		goto out;
	}
	created = 1;
	if ((mode & 0777) != 0600 && fchmod(fd, mode) < 0) {
		terra_err_sys(e, "chmod '%s'", tmp);
		goto out;
	}
	if (terra_file_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		terra_err_sys(e, "write '%s'", tmp);
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		terra_err_sys(e, "write '%s'", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		terra_err_sys(e, "rename '%s' to '%s'", tmp, path);
		goto out;
	}
	created = 0; /* the old file is replaced: nothing to take back */
	if (terra_file_sync_dir(path) < 0) {
		terra_err_sys(e, "sync directory of '%s'", path);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(tmp);
	free(tmp);
	return rc;
}
