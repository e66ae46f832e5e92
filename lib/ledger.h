#ifndef TERRA_LEDGER_H
#define TERRA_LEDGER_H
/*
 * The ledger (DESIGN 7): append-only entries in terra.db, each with seq,
 * kind, canonical JSON payload, the previous entry's hash and its RFC 6962
 * leaf hash; after every append the home's owner key signs a checkpoint
 * (origin, size, root). Entry kinds: "unit" (registered), "transfer",
 * "retire", "meter", "settlement", "payment".
 *
 * The leaf data of an entry is its canonical entry record:
 *   {"type":"entry","v":1,"seq":N,"kind":K,"payload":{...},"prev":"<hex>"}
 * (prev of the first entry is 64 zeros); leaf = SHA-256(0x00 || that).
 */
#include "err.h"
#include "home.h"

#include <jansson.h>
#include <stdint.h>

/*
 * Appends one entry inside the caller's open transaction (terra_db_begin),
 * then writes the signed checkpoint for the new size. The home must have
 * been opened with TERRA_HOME_SECRET. *seq (may be NULL) gets the entry's seq.
 */
int terra_ledger_append(terra_home *h, const char *kind, const json_t *payload, int64_t *seq,
                        terra_err *e);

#endif
