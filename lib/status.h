#ifndef TERRA_STATUS_H
#define TERRA_STATUS_H
/*
 * What an operator looks at first (terra-ledger status). One unit-status
 * record per unit:
 *   {"type":"unit-status","v":1,"unit","state","kind","name","running",
 *    "last_work","periods","earned","health","health_at"}
 * running: what holds the unit now, "terra-run (pid N)" or "terra-probe
 * (pid N)", "" when nothing does (unitlock.h); health as terra-register
 * list shows it ("busy" when the latest probe found it working); last_work: the end of the latest
 * settled period in which the unit did metered work ("" when none);
 * periods: the settled periods in which it did;
 * earned: its earnings over every settlement (lib/earnings.h). And one
 * record for the home:
 *   {"type":"status","v":1,"units","sick","degraded","running","entries",
 *    "settlements","settled_until","unsettled_hours","owed","paid",
 *    "verified"[,"verify_error"]}
 * settled_until: the end of the latest settled period; unsettled_hours:
 * whole hours from then to now (usage records are kept outside the home,
 * so these are hours not settled, not hours known to hold usage); owed:
 * the sum of the positive balances of every account but "paid" and
 * "carry"; paid: what terra-ledger pay recorded; verified: true, false
 * (with the reason), or null when not asked.
 */
#include "err.h"
#include "home.h"

#include <jansson.h>

int terra_status(terra_home *h, int verify, json_t **units, json_t **home, terra_err *e);

#endif
