#ifndef TERRA_REPORTUSE_H
#define TERRA_REPORTUSE_H
/*
 * Usage per unit for the dashboard (terra-ledger report --meter FILE): the
 * meter records terra-meter wrote for this home's settlements, which the
 * ledger does not hold (it keeps each unit's weight, not its busy time or
 * its workload's work). A record is used only when it is this home's and
 * settled here: signed by the home's owner key, its unit's weight for its
 * period equal to the one the settlement stored, and the first record of
 * that unit and period read. Anything else is a bad line, reported as
 * FILE:LINE and left out; records of other types are passed over.
 */
#include "err.h"
#include "home.h"

#include <jansson.h>
#include <stdint.h>

/* Called per meter record used: its period (µs), unit, busy time, work
 * (the workload's units) and weight (FLOP). */
typedef int (*terra_reportuse_fn)(void *ctx, int64_t start, int64_t end, const char *unit,
                                  int64_t busy_us, int64_t work, int64_t weight, terra_err *e);

/*
 * Reads the meter records of path whose period lies within [from, to)
 * (from = to = 0: all). seen (a JSON object) remembers the unit and period
 * pairs used, across files. A bad line goes to bad (e->msg "FILE:LINE:
 * meter record: why") and the rest is read; -1 only when the file cannot
 * be read or fn fails.
 */
int terra_reportuse_read(terra_home *h, const char *path, int64_t from, int64_t to, json_t *seen,
                         terra_reportuse_fn fn, void (*bad)(void *ctx, const terra_err *e),
                         void *ctx, terra_err *e);

#endif
