#ifndef TERRA_SETTLE_H
#define TERRA_SETTLE_H
/*
 * Settlement (DESIGN 6): split a period's pool exactly between contributors
 * (by unit weight), holders (by balance) and the treasury, append it to the
 * ledger once. terra-ledger verify calls terra_settle_check to recompute
 * every settlement entry from its recorded inputs.
 */
#include "err.h"

#include <jansson.h>
#include <sqlite3.h>

/* The recorded inputs of the settlement of `period` (from settlement_inputs),
 * as a JSON array in the form terra_settle_check reads. */
int terra_settle_inputs_load(sqlite3 *db, const char *period, json_t **inputs, terra_err *e);
/* Recomputes the settlement entry payload from inputs; 0 when it matches exactly,
 * -1 (kind TERRA_E_VERIFY) naming the first difference otherwise. */
int terra_settle_check(const json_t *payload, const json_t *inputs, terra_err *e);

#endif
