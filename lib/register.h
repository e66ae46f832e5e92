#ifndef TERRA_REGISTER_H
#define TERRA_REGISTER_H
/*
 * Registration (terra-register): a device record becomes a unit, a unit
 * changes owner or is retired. Each change is one BEGIN IMMEDIATE
 * transaction that stores the new signed unit record in `units` and
 * appends it to the ledger (entry kinds "unit", "transfer", "retire").
 * The home must be opened with TERRA_HOME_SECRET: every unit record is
 * signed by the owner key.
 */
#include "err.h"
#include "home.h"
#include "unit.h"

#include <jansson.h>
#include <stdint.h>

/*
 * Checks the fields of a device record that a unit is built from. On a bad
 * field, e->msg says why without a position ("field 'kind' must be one of
 * gpu, cpu, accelerator"), for terra_reader_reject.
 */
int terra_register_check_device(const json_t *device, terra_err *e);

/*
 * A unit's score from a bench object (terra-probe(1), SCORE): its
 * sgemm_mflops, the workload terra-probe measured, else 0. Never the
 * clpeak-style fp32_mflops: that figure misranks devices and, taken from
 * any device record, let a hand-made one claim any score.
 */
int64_t terra_register_score(const json_t *bench);

typedef struct terra_register_result {
	int existed;  /* the device was a unit already */
	int rescored; /* and its new benchmark became a "rescore" version */
	/* Why a benchmark that would have rescored the unit was not taken, or "". */
	char kept[200];
} terra_register_result;

/*
 * Registers a checked device record. A new unit gets its key file
 * units/<id>.key (written before the transaction commits, removed if it
 * does not) and a signed unit record: *unit, r->existed = 0. A device the
 * owner already registered is the same unit, r->existed = 1, and *unit its
 * latest record. Its benchmark rescores it (a new version with the
 * device's bench, its score and rescored_from, signed by the owner and
 * appended as a "rescore" entry; r->rescored = 1) when the unit is active
 * and owned by this home, the probe found the device ok, and either the
 * unit has no workload figures yet and the device has, or the bench is a
 * full probe's (bench.mode "full") taken while other programs took less
 * than TERRA_HOSTLOAD_QUIET_PCT percent of the host's CPUs
 * (bench.host_others_pct) and its score differs from the unit's by more
 * than TERRA_RESCORE_PCT percent (rescore.h), as did the full probe taken before it,
 * the same way (the first waits in the home's rescore_pending; a full probe
 * within the margin clears it). A quick probe never rescores and says
 * nothing; a full one past the margin that is not taken says why in
 * r->kept (the first of two, the device degraded or sick, the host busy or
 * its load not measured), as does a bench without the workload figures the
 * unit has.
 * A rescore is the owner's statement, not evidence: pay follows verified
 * work, never the score. Either way the device record's health (if any)
 * becomes the unit's latest (terra_unit.health). The caller json_decref's
 * *unit.
 */
int terra_register_device(terra_home *h, const json_t *device, json_t **unit,
                          terra_register_result *r, terra_err *e);

/* A unit id, or an unambiguous prefix of one (hex), to the full id. */
int terra_register_find(sqlite3 *db, const char *arg, char id[TERRA_UNIT_ID_HEX], terra_err *e);

/*
 * Gives the unit to new_owner (64 hex): the new record has owner =
 * new_owner, transferred_from = the old owner and is signed by it, so only
 * the home whose key owns the unit can transfer it. Refused (TERRA_E_STATE)
 * for a retired unit, a unit this home does not own, or the same owner.
 */
int terra_register_transfer(terra_home *h, const char *id, const char *new_owner, json_t **unit,
                            terra_err *e);

/* Retires the unit: state "retired", retired_at, signed by its owner.
 * Refused (TERRA_E_STATE) when already retired or not owned by this home. */
int terra_register_retire(terra_home *h, const char *id, json_t **unit, terra_err *e);

#endif
