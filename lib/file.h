#ifndef TERRA_FILE_H
#define TERRA_FILE_H
/*
 * Files written whole: the one atomic writer of libterra (keys, the
 * transparency log's tiles, the witness's state, metrics textfiles).
 */
#include "err.h"

#include <stddef.h>
#include <sys/types.h>

/*
 * Writes `data` to a fresh temporary file next to `path` (PATH.XXXXXX,
 * O_EXCL, mode 0600 until it is all written, then `mode`), syncs it,
 * renames it over `path` and syncs the directory: a reader sees the old
 * file or the new one, never half of one, a crash keeps one of them, and a
 * secret is never readable by others, not even for a moment. On failure
 * no new file is left and `path` is as it was.
 */
int terra_file_replace(const char *path, const void *data, size_t len, mode_t mode, terra_err *e);

/* Writes all n bytes to fd, through EINTR and short writes; -1 with errno. */
int terra_file_write_all(int fd, const void *data, size_t n);

/* fsync the directory holding `path`, so a new or renamed entry survives a
 * crash; -1 with errno. */
int terra_file_sync_dir(const char *path);

#endif
