#ifndef TERRA_REGISTERINT_H
#define TERRA_REGISTERINT_H
/*
 * What lib/register.c shares with lib/handover.c: the steps of a change to
 * a unit, each inside the caller's BEGIN IMMEDIATE transaction.
 */
#include "err.h"
#include "home.h"
#include "time.h"
#include "unit.h"

#include <jansson.h>
#include <stdint.h>

/* The current time (TERRA_NOW) as a record time. */
int terra_register_now(char out[TERRA_TIME_MAX], terra_err *e);
/* Loads a unit and checks that this home may change it: active, owned by
 * its owner key (TERRA_E_STATE otherwise, saying why). */
int terra_register_get_owned(terra_home *h, const char *id, terra_unit *u, terra_err *e);
/* The record of the next version: the last one without its signatures and
 * the fields that belong to one kind of change only, updated_at now. */
json_t *terra_register_next_version(const terra_unit *u, const char *now, terra_err *e);
/* Signs rec with the owner key, appends it as a `kind` entry, makes it the
 * units row and commits. */
int terra_register_store_version(terra_home *h, const char *id, const char *kind, json_t *rec,
                                 terra_err *e);
/* A new units row (and its usage seqs from next_seq) for the latest ledger
 * entry of the unit, rec. */
int terra_register_insert_row(terra_home *h, const char *id, const json_t *rec, int64_t next_seq,
                              terra_err *e);
/* The units row of a known unit made rec, its latest ledger entry. */
int terra_register_update_row(terra_home *h, const char *id, const json_t *rec, terra_err *e);

#endif
