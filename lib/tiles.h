#ifndef TERRA_TILES_H
#define TERRA_TILES_H
/*
 * Static tiles of a log (C2SP tlog-tiles): DIR/checkpoint (the signed note),
 * DIR/tile/<L>/<N>[.p/<W>] (256 hashes of level L, each the Merkle tree hash
 * of 256^L leaves) and DIR/tile/entries/<N>[.p/<W>] (the entries of level-0
 * tile N, each as a big-endian uint16 length then its bytes). N is written
 * in 3-digit path elements, all but the last prefixed with "x"
 * (1234067 -> x001/x234/067); W, the width of a partial tile, is 1..255.
 */
#include "err.h"
#include "sha256.h"

#include <stddef.h>
#include <stdint.h>

#define TERRA_TILE_WIDTH     256
#define TERRA_TILE_ENTRIES   (-1) /* the level of entry bundles */
#define TERRA_TILE_ENTRY_MAX 65535

/* The path below DIR of tile (level, index), partial when 0 < width < 256. */
int terra_tile_path(int level, uint64_t index, unsigned width, char *out, size_t cap);

/* Entry `index` (0-based) of the log: its bytes, valid until the next call. */
typedef int (*terra_tile_entry_fn)(void *ctx, uint64_t index, const void **data, size_t *len,
                                   terra_err *e);

/*
 * Writes the tiles of a log of `size` entries with leaf hashes leaves[0..size)
 * into dir, then the checkpoint note (note[0..note_len)) as dir/checkpoint,
 * last, each file through a temporary and a rename. A tile already there
 * must hold the same bytes (otherwise the directory shows another history:
 * TERRA_E_VERIFY, nothing more written), so exporting again after appends
 * only adds or completes tiles. *written (may be NULL) counts files written.
 */
int terra_tiles_write(const char *dir, uint64_t size, const uint8_t (*leaves)[TERRA_HASH_BYTES],
                      terra_tile_entry_fn entry, void *ctx, const char *note, size_t note_len,
                      uint64_t *written, terra_err *e);

/*
 * Reads the log of `size` entries from the tiles in dir: its leaf hashes
 * (*leaves, malloc'd, size of them) after checking that every level-0 hash
 * is the hash of its entry and every higher tile's hashes are those of the
 * tiles below. Each entry is given to fn (may be NULL) in order. The caller
 * checks the root against a checkpoint. Failures have kind TERRA_E_VERIFY
 * and name the tile.
 */
int terra_tiles_read(const char *dir, uint64_t size, uint8_t (**leaves)[TERRA_HASH_BYTES],
                     int (*fn)(void *ctx, uint64_t index, const void *data, size_t len,
                               terra_err *e),
                     void *ctx, terra_err *e);

#endif
