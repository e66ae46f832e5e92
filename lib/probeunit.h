#ifndef TERRA_PROBEUNIT_H
#define TERRA_PROBEUNIT_H
/*
 * What terra-probe asks of the home about a device: the registered unit of
 * its fingerprint, for the baseline its figures are judged against, and
 * that unit's lock (unitlock.h), which the probe holds while it measures
 * the device. A unit whose lock another process holds is working: the
 * probe reports it "busy" and neither measures nor judges it.
 */
#include "err.h"
#include "unitlock.h"

#include <jansson.h>
#include <limits.h>

typedef struct terra_probeunit terra_probeunit;

/* Opens the home of dir (NULL: $TERRA_HOME or the default) read-only. A
 * home that does not exist is not an error: no device then has a unit. */
int terra_probeunit_open(const char *dir, terra_probeunit **pu, terra_err *e);
void terra_probeunit_close(terra_probeunit *pu);

/* Why no device can have a baseline ("no terra home"), or NULL. */
const char *terra_probeunit_why_not(const terra_probeunit *pu);

/* The latest record of the active unit of a fingerprint (a new
 * reference), or NULL when there is none. */
json_t *terra_probeunit_find(terra_probeunit *pu, const char *fingerprint);

/*
 * Takes the lock of the active unit of a fingerprint for measuring. 0: taken
 * (or no unit to lock); 1: the unit is in use, busy holds why ("unit 'X' is
 * in use by terra-run (pid N, lock 'FILE')"); -1: the lock could not be
 * taken for another reason (e says why).
 */
int terra_probeunit_lock(terra_probeunit *pu, const char *fingerprint, terra_unitlock *l,
                         char *busy, size_t busy_size, terra_err *e);

#endif
