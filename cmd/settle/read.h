#ifndef TERRA_CMD_SETTLE_READ_H
#define TERRA_CMD_SETTLE_READ_H
/* terra-settle's reading of the meter records (cmd/settle/read.c). */
#include "lib/settle.h"

/*
 * Reads the meter records of files (none: standard input) into s, their
 * signatures checked in `threads` threads; other records pass through, but
 * for the types only a trusted stage makes (payout, entry...), refused.
 * With reject (not strict) bad lines are quarantined there and the rest is
 * settled (*quarantined = 1); the exit status still says there were some.
 * Returns the exit status so far.
 */
int read_meters(terra_settle *s, char **files, int nfiles, const char *reject, int strict,
                int threads, int *quarantined);

#endif
