#ifndef TERRA_RESCORE_H
#define TERRA_RESCORE_H
/*
 * Whether a registered unit's new benchmark rescores it (terra-register(1),
 * Rescoring): on evidence that survives the noise of a shared host, two
 * full probes in a row, each on a quiet host, past the margin the same way.
 * The first waits in the home (rescore_pending, one figure a unit); a full
 * probe within the margin clears it.
 */
#include "err.h"
#include "home.h"
#include "unit.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* A score moves by more than this percentage, in two full probes in a row
 * on a quiet host, before it changes: the agreement aimed at between probes
 * of an idle device (terra-probe(1), Stability: not held by this shared
 * host, whose device moved by 6% to 10% between probes). */
#define TERRA_RESCORE_PCT 5

/*
 * For unit u, registered again from device (its bench scoring `score`,
 * terra_register_score): *yes 1 to rescore it, or 0 with why in kept (len
 * bytes; empty when there is nothing to say), the pending figure kept or
 * cleared as the rules say. Inside the caller's transaction.
 */
int terra_rescore_wants(terra_home *h, const terra_unit *u, const json_t *device, int64_t score,
                        int *yes, char *kept, size_t len, terra_err *e);

#endif
