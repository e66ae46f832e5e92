#ifndef TERRA_UNITFILES_H
#define TERRA_UNITFILES_H
/*
 * The unit records of two-host mode (terra-meter -u FILE...): every version
 * a provider shipped (terra-register history), from any number of files,
 * believed only as a chain (lib/unitchain.h). The versions of each unit are
 * taken in the order they take effect; one that does not follow the last
 * accepted one (a transfer its owner did not sign, a version after a
 * retirement, a changed unit key, a date more than five minutes ahead) is
 * refused with its file and line, and the rest of the chain goes on. The
 * last accepted version of each unit is what the meter uses.
 */
#include "err.h"
#include "meter.h"

/* Owner keys allowed (--owners FILE): one 64-hex key a line; blank lines
 * and lines starting with '#' are skipped. */
typedef struct terra_owners terra_owners;
int terra_owners_load(terra_owners **o, const char *path, terra_err *e);
int terra_owners_has(const terra_owners *o, const char *owner_hex);
void terra_owners_free(terra_owners *o);

/*
 * Reads the unit records of n files, checks their chains at the current
 * time, and adds the last accepted version of each unit to the meter. With
 * owners (may be NULL), a unit whose owner (the last accepted version's
 * parsed "owner" field) is not one of them is refused too. Each refused
 * line is reported through io (TERRA_METER_BAD) and counted in *bad.
 * Returns 1 when io stopped the input, 0 when done, -1 on a read error.
 */
int terra_unitfiles_load(terra_meter *m, const char *const *paths, int n,
                         const terra_owners *owners, const terra_meter_io *io, long *bad,
                         terra_err *e);

#endif
