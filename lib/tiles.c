/* Static tiles of the ledger (C2SP tlog-tiles); see tiles.h. */
#include "tiles.h"

#include "file.h"
#include "merkle.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int terra_tile_path(int level, uint64_t index, unsigned width, char *out, size_t cap)
{
	unsigned group[8];
	int ngroups = 0, n;
	size_t at;

	do {
		group[ngroups++] = (unsigned)(index % 1000);
		index /= 1000;
	} while (index);
	if (level == TERRA_TILE_ENTRIES)
		n = snprintf(out, cap, "tile/entries/");
	else
		n = snprintf(out, cap, "tile/%d/", level);
	/* Three digits a group, most significant first, "x" on all but the last. */
	while (n >= 0 && (size_t)n < cap && ngroups-- > 0)
		n +=
		    snprintf(out + n, cap - (size_t)n, ngroups ? "x%03u/" : "%03u", group[ngroups]);
	at = n < 0 ? cap : (size_t)n;
	if (at < cap && width > 0 && width < TERRA_TILE_WIDTH)
		at += (size_t)snprintf(out + at, cap - at, ".p/%u", width);
	return at >= cap ? -1 : 0;
}

static int make_parents(char *path, terra_err *e)
{
	for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0755) && errno != EEXIST) {
			terra_err_sys(e, "tiles: create '%s'", path);
			*s = '/';
			return -1;
		}
		*s = '/';
	}
	return 0;
}

/* Compares the file at path with data: 1 same, 0 absent, -1 different or unreadable. */
static int same_file(const char *path, const void *data, size_t len, terra_err *e)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	size_t got;
	int same;

	if (!f)
		return errno == ENOENT ? 0 : terra_err_sys(e, "tiles: open '%s'", path);
	buf = malloc(len + 1);
	if (!buf) {
		fclose(f);
		return terra_err_sys(e, "tiles");
	}
	got = fread(buf, 1, len + 1, f);
	same = got == len && !memcmp(buf, data, len);
	free(buf);
	fclose(f);
	if (!same)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "tiles: '%s' holds other data: this directory shows another "
		                     "history of the log",
		                     path);
	return 1;
}

/* Writes path whole (terra_file_replace), so a reader never sees half a file. */
static int put_file(const char *path, const void *data, size_t len, terra_err *e)
{
	return terra_file_replace(path, data, len, 0644, e) < 0 ? terra_err_wrap(e, "tiles") : 0;
}

struct writer {
	const char *dir;
	uint64_t written;
	terra_err *e;
};

/* One tile file: left alone when it holds these bytes already. */
static int put_tile(struct writer *w, int level, uint64_t index, unsigned width, const void *data,
                    size_t len)
{
	char rel[128], path[PATH_MAX];
	int rc;

	if (terra_tile_path(level, index, width, rel, sizeof rel) ||
	    (size_t)snprintf(path, sizeof path, "%s/%s", w->dir, rel) >= sizeof path)
		return terra_err_set(w->e, TERRA_E_INPUT, "tiles: path too long under '%s'",
		                     w->dir);
	rc = same_file(path, data, len, w->e);
	if (rc)
		return rc < 0 ? -1 : 0;
	if (make_parents(path, w->e) || put_file(path, data, len, w->e))
		return -1;
	w->written++;
	return 0;
}

/* The entry bundle of level-0 tile t: entries [256 t, 256 t + width). */
static int put_bundle(struct writer *w, uint64_t t, unsigned width, terra_tile_entry_fn entry,
                      void *ctx, unsigned char **buf, size_t *cap)
{
	size_t len = 0;

	for (unsigned i = 0; i < width; i++) {
		const void *data;
		size_t n;

		if (entry(ctx, t * TERRA_TILE_WIDTH + i, &data, &n, w->e))
			return -1;
		if (n > TERRA_TILE_ENTRY_MAX)
			return terra_err_set(w->e, TERRA_E_INPUT,
			                     "tiles: entry %" PRIu64 " is %zu bytes, more than a "
			                     "bundle's 65535",
			                     t * TERRA_TILE_WIDTH + i + 1, n);
		if (len + 2 + n > *cap) {
			size_t ncap = (len + 2 + n) * 2;
			unsigned char *nb = realloc(*buf, ncap);
			if (!nb)
				return terra_err_sys(w->e, "tiles");
			*buf = nb;
			*cap = ncap;
		}
		(*buf)[len++] = (unsigned char)(n >> 8);
		(*buf)[len++] = (unsigned char)n;
		memcpy(*buf + len, data, n);
		len += n;
	}
	return put_tile(w, TERRA_TILE_ENTRIES, t, width, *buf, len);
}

/* The hash of full tile t of a level becomes hash t of the level above, in place. */
static void up(uint8_t (*hashes)[TERRA_HASH_BYTES], uint64_t t)
{
	uint8_t root[TERRA_HASH_BYTES];

	terra_merkle_root((const uint8_t(*)[TERRA_HASH_BYTES])hashes[t * TERRA_TILE_WIDTH],
	                  TERRA_TILE_WIDTH, root);
	memcpy(hashes[t], root, TERRA_HASH_BYTES);
}

/* hashes[0..count) of one level: the tiles of that level, and in place the next level's hashes. */
static int put_level(struct writer *w, int level, uint8_t (*hashes)[TERRA_HASH_BYTES],
                     uint64_t count)
{
	for (uint64_t t = 0; t * TERRA_TILE_WIDTH < count; t++) {
		uint64_t left = count - t * TERRA_TILE_WIDTH;
		unsigned width = left < TERRA_TILE_WIDTH ? (unsigned)left : TERRA_TILE_WIDTH;

		if (put_tile(w, level, t, width, hashes[t * TERRA_TILE_WIDTH],
		             (size_t)width * TERRA_HASH_BYTES))
			return -1;
		if (width == TERRA_TILE_WIDTH) /* only full tiles go up a level */
			up(hashes, t);
	}
	return 0;
}

int terra_tiles_write(const char *dir, uint64_t size, const uint8_t (*leaves)[TERRA_HASH_BYTES],
                      terra_tile_entry_fn entry, void *ctx, const char *note, size_t note_len,
                      uint64_t *written, terra_err *e)
{
	struct writer w = {dir, 0, e};
	uint8_t(*level)[TERRA_HASH_BYTES] = NULL;
	unsigned char *buf = NULL;
	size_t cap = 0;
	char path[PATH_MAX];
	int ret = -1;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return terra_err_sys(e, "tiles: create '%s'", dir);
	for (uint64_t t = 0; t * TERRA_TILE_WIDTH < size; t++) {
		uint64_t left = size - t * TERRA_TILE_WIDTH;
		if (put_bundle(&w, t, left < TERRA_TILE_WIDTH ? (unsigned)left : TERRA_TILE_WIDTH,
		               entry, ctx, &buf, &cap))
			goto out;
	}
	if (size) {
		level = malloc((size_t)size * TERRA_HASH_BYTES);
		if (!level) {
			terra_err_sys(e, "tiles");
			goto out;
		}
		memcpy(level, leaves, (size_t)size * TERRA_HASH_BYTES);
	}
	for (int l = 0; size > 0; l++, size /= TERRA_TILE_WIDTH)
		if (put_level(&w, l, level, size))
			goto out;
	if ((size_t)snprintf(path, sizeof path, "%s/checkpoint", dir) >= sizeof path) {
		terra_err_set(e, TERRA_E_INPUT, "tiles: path too long under '%s'", dir);
		goto out;
	}
	if (put_file(path, note, note_len, e))
		goto out;
	w.written++;
	if (written)
		*written = w.written;
	ret = 0;
out:
	free(level);
	free(buf);
	return ret;
}

/* Reads tile (level, index, width) whole: exactly `len` bytes for a hash tile,
 * any length for a bundle (*got gets it). */
static int read_tile(const char *dir, int level, uint64_t index, unsigned width,
                     unsigned char **data, size_t *got, terra_err *e)
{
	char rel[128], path[PATH_MAX];
	struct stat sb;
	FILE *f;
	int ok;

	if (terra_tile_path(level, index, width, rel, sizeof rel) ||
	    (size_t)snprintf(path, sizeof path, "%s/%s", dir, rel) >= sizeof path)
		return terra_err_set(e, TERRA_E_INPUT, "tiles: path too long under '%s'", dir);
	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &sb) || !S_ISREG(sb.st_mode) || sb.st_size > (1 << 26)) {
		if (f)
			fclose(f);
		return terra_err_set(e, TERRA_E_VERIFY, "tiles: cannot read '%s'", rel);
	}
	*got = (size_t)sb.st_size;
	*data = malloc(*got ? *got : 1);
	ok = *data && fread(*data, 1, *got, f) == *got;
	fclose(f);
	if (!ok) {
		free(*data);
		*data = NULL;
		return terra_err_set(e, TERRA_E_VERIFY, "tiles: cannot read '%s'", rel);
	}
	return 0;
}

/* Checks the hash tiles of one level against hashes[0..count), computed from below. */
static int check_level(const char *dir, int level, uint8_t (*hashes)[TERRA_HASH_BYTES],
                       uint64_t count, terra_err *e)
{
	for (uint64_t t = 0; t * TERRA_TILE_WIDTH < count; t++) {
		uint64_t left = count - t * TERRA_TILE_WIDTH;
		unsigned width = left < TERRA_TILE_WIDTH ? (unsigned)left : TERRA_TILE_WIDTH;
		unsigned char *data;
		size_t got;
		int same;

		if (read_tile(dir, level, t, width, &data, &got, e))
			return -1;
		same = got == (size_t)width * TERRA_HASH_BYTES &&
		       !memcmp(data, hashes[t * TERRA_TILE_WIDTH], got);
		free(data);
		if (!same) {
			char rel[128];
			terra_tile_path(level, t, width, rel, sizeof rel);
			return terra_err_set(
			    e, TERRA_E_VERIFY,
			    "tiles: '%s' does not hold the hashes of the tiles below", rel);
		}
		if (width == TERRA_TILE_WIDTH)
			up(hashes, t);
	}
	return 0;
}

int terra_tiles_read(const char *dir, uint64_t size, uint8_t (**leaves)[TERRA_HASH_BYTES],
                     int (*fn)(void *ctx, uint64_t index, const void *data, size_t len,
                               terra_err *e),
                     void *ctx, terra_err *e)
{
	uint8_t(*out)[TERRA_HASH_BYTES] = malloc(size ? (size_t)size * TERRA_HASH_BYTES : 1),
	(*level)[TERRA_HASH_BYTES] = NULL;
	int ret = -1;

	if (!out)
		return terra_err_sys(e, "tiles");
	/* Level 0 from the entries themselves; then each tile must agree with them. */
	for (uint64_t t = 0; t * TERRA_TILE_WIDTH < size; t++) {
		uint64_t left = size - t * TERRA_TILE_WIDTH;
		unsigned width = left < TERRA_TILE_WIDTH ? (unsigned)left : TERRA_TILE_WIDTH;
		unsigned char *data;
		size_t got, at = 0;
		char rel[128];

		terra_tile_path(TERRA_TILE_ENTRIES, t, width, rel, sizeof rel);
		if (read_tile(dir, TERRA_TILE_ENTRIES, t, width, &data, &got, e))
			goto out;
		for (unsigned i = 0; i < width; i++) {
			uint64_t idx = t * TERRA_TILE_WIDTH + i;
			size_t n;

			if (got - at < 2 ||
			    got - at - 2 < (n = (size_t)data[at] << 8 | data[at + 1])) {
				terra_err_set(e, TERRA_E_VERIFY,
				              "tiles: '%s': entry %" PRIu64 " cut short", rel,
				              idx + 1);
				free(data);
				goto out;
			}
			terra_merkle_leaf(data + at + 2, n, out[idx]);
			if (fn && fn(ctx, idx, data + at + 2, n, e)) {
				free(data);
				goto out;
			}
			at += 2 + n;
		}
		free(data);
		if (at != got) {
			terra_err_set(e, TERRA_E_VERIFY, "tiles: '%s': bytes after its %u entries",
			              rel, width);
			goto out;
		}
	}
	if (size) {
		level = malloc((size_t)size * TERRA_HASH_BYTES);
		if (!level) {
			terra_err_sys(e, "tiles");
			goto out;
		}
		memcpy(level, out, (size_t)size * TERRA_HASH_BYTES);
	}
	for (int l = 0; size > 0; l++, size /= TERRA_TILE_WIDTH)
		if (check_level(dir, l, level, size, e))
			goto out;
	*leaves = out;
	out = NULL;
	ret = 0;
out:
	free(level);
	free(out);
	return ret;
}
