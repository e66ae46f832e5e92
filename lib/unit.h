#ifndef TERRA_UNIT_H
#define TERRA_UNIT_H
/*
 * The unit registry in terra.db: each registered device is a unit with its
 * own key (units/<unit>.key) and a signed unit record. The unit id is the
 * lowercase hex of BLAKE2b-128(owner_pk || fingerprint_hex), 32 characters,
 * so the same device registered by the same owner is the same unit.
 */
#include "err.h"
#include "home.h"
#include "key.h"

#include <jansson.h>
#include <stdint.h>

#define TERRA_UNIT_ID_HEX 33

typedef struct terra_unit {
	char id[TERRA_UNIT_ID_HEX];
	uint8_t owner[TERRA_PK_BYTES];
	uint8_t unit_pub[TERRA_PK_BYTES];
	char fingerprint[65];
	int64_t score;
	int retired;
	json_t *record; /* the latest signed unit record */
	/* Health as the device's latest registered probe that measured it saw it
	 * (a "busy" observation, of a unit in use, judges nothing): "ok",
	 * "degraded", "sick", or "" when there is none; when and why. */
	char health[10];
	char health_at[40];
	char health_reason[256];
} terra_unit;

/* Derives the unit id from an owner key and a device fingerprint. */
void terra_unit_id(const uint8_t owner[TERRA_PK_BYTES], const char *fingerprint,
                   char out[TERRA_UNIT_ID_HEX]);
/* Loads a unit and its latest health; kind TERRA_E_NOTFOUND "unknown unit 'X'" when absent. */
int terra_unit_get(sqlite3 *db, const char *id, terra_unit *u, terra_err *e);
void terra_unit_free(terra_unit *u);
/* All units' latest records (array), ordered by id. Each row must be the
 * latest unit, transfer or retire entry of its unit in the ledger and carry
 * the signature terra_unit_record_check wants (TERRA_E_VERIFY otherwise). */
int terra_unit_list(sqlite3 *db, json_t **records, terra_err *e);
/* The versions of unit id (NULL: of every unit) in the ledger, its entries
 * of the kinds terra_entries_is_unit_version names (lib/entries.h): an
 * array of records in ledger order (empty when there is none) into *out,
 * the caller's. terra-register history lists them all. */
int terra_unit_versions(sqlite3 *db, const char *id, json_t **out, terra_err *e);
/* One unit record's own signature: by transferred_from when present, else
 * by its owner, whose key and fingerprint then give its unit id. */
int terra_unit_record_check(const json_t *rec, terra_err *e);
/*
 * Looks up registered units by device fingerprint (terra-probe's baselines)
 * or by id (terra-settle, once per meter record): prepared once, then asked
 * many times.
 */
typedef struct terra_unit_finder terra_unit_finder;
int terra_unit_finder_open(sqlite3 *db, terra_unit_finder **f, terra_err *e);
/* The latest record of the active unit of that fingerprint (a new
 * reference), or NULL when there is none. */
json_t *terra_unit_finder_active(terra_unit_finder *f, const char *fingerprint);
/* 1 with unit's registered owner (key hex) and the time of its latest
 * version (updated_at, else registered_at), which stay valid until the
 * next call; 0 when the unit is not registered; -1 on a database error. */
int terra_unit_finder_owner(terra_unit_finder *f, const char *unit, const char **owner,
                            const char **since, terra_err *e);
void terra_unit_finder_close(terra_unit_finder *f);
/* Loads units/<id>.key (secret, sodium_malloc'd). */
int terra_unit_key(const terra_home *h, const char *id, terra_key *k, terra_err *e);
/* Reserves n usage seqs for a unit in its own committed transaction, so a
 * crash never reuses one; *first is the first reserved (seqs start at 1). */
int terra_unit_seq_reserve(sqlite3 *db, const char *id, int64_t n, int64_t *first, terra_err *e);
/* The next usage seq of unit id, as stored; and setting it (handover: a
 * rekeyed or imported unit's seqs go on from where its records left off). */
int terra_unit_seq_next(sqlite3 *db, const char *id, int64_t *next, terra_err *e);
int terra_unit_seq_set(sqlite3 *db, const char *id, int64_t next, terra_err *e);

/* One registered unit with its latest health, as terra_unit_each hands it
 * over (the strings live until fn returns). */
typedef struct terra_unit_row {
	const char *unit, *owner, *kind, *state;
	const char *device_name; /* "" when the device has no name */
	const char *health;      /* "unknown" when never checked */
	const char *checked_at;  /* "" when never checked */
	int64_t score;           /* MFLOPS */
} terra_unit_row;
typedef int (*terra_unit_fn)(void *ctx, const terra_unit_row *u, terra_err *e);
/* Every registered unit, ordered by id; stops at fn's first -1. */
int terra_unit_each(sqlite3 *db, terra_unit_fn fn, void *ctx, terra_err *e);

#endif
