#ifndef TERRA_DB_H
#define TERRA_DB_H
/*
 * terra.db (terra(7), The home): SQLite in WAL mode, synchronous=FULL,
 * foreign keys on, application_id TERRA_APP_ID, schema versioned by user_version and
 * migrated in one transaction. A file with another application_id is
 * refused untouched; a schema newer than this binary knows is refused.
 * Every write is one BEGIN IMMEDIATE transaction with a busy timeout
 * (TERRA_BUSY_TIMEOUT_MS in the environment overrides the default 5000 ms).
 *
 * Tables (migration 1):
 *   units(unit PK, owner, unit_pub, fingerprint, score, state, kind,
 *         registered_at, device JSON, record = latest signed unit record line)
 *   unit_seq(unit PK -> units, next_seq): usage seq reserved per unit
 *   entries(seq PK, kind, payload, prev_hash, leaf_hash, created_at)
 *   checkpoints(size PK, root, signer, sig, body)
 *   settlements(period PK, inputs_digest, entry_seq -> entries)
 * Triggers refuse UPDATE and DELETE on entries and checkpoints.
 * Migration 2: unit_health(unit PK, status, checked_at, reason), the latest.
 * Migration 3: unit_health_history(id PK, unit, status, checked_at, reason),
 *   every observation, the newest 1000 per unit (lib/healthlog.h).
 */
#include "err.h"

#include <sqlite3.h>

#define TERRA_APP_ID  0x54657261 /* "Tera" */
#define TERRA_DB_FILE "terra.db"

enum { TERRA_DB_OPEN = 0, TERRA_DB_CREATE = 1, TERRA_DB_READONLY = 2 };

/* Names the program in "schema version N is newer than this PROGRAM knows"
 * ("terra" until set; terra_cli_init sets the command's name). */
void terra_db_set_program(const char *name);
/* Opens (and with TERRA_DB_CREATE creates) the database at path and migrates it. */
int terra_db_open(sqlite3 **db, const char *path, int flags, terra_err *e);
void terra_db_close(sqlite3 *db);
/* The schema version this binary writes. */
int terra_db_schema_version(void);

/* BEGIN IMMEDIATE; on a lock held past the timeout, kind TERRA_E_BUSY,
 * "database is locked by another terra command". */
int terra_db_begin(sqlite3 *db, terra_err *e);
int terra_db_commit(sqlite3 *db, terra_err *e);
void terra_db_rollback(sqlite3 *db);
/* Runs SQL without results; message names `what` on failure. */
int terra_db_exec(sqlite3 *db, const char *sql, terra_err *e);
/* Prepares a statement; on failure sets e with sqlite's message. */
int terra_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, terra_err *e);
/* Fills e from sqlite's last error on db (BUSY -> TERRA_E_BUSY). Returns -1. */
int terra_db_err(sqlite3 *db, terra_err *e, const char *what);
/* *has = 1 when the database holds rows that tie it to an owner key (units
 * or ledger entries), else 0: the schema module names every table, so the
 * home asks here rather than naming the registry's and the ledger's. */
int terra_db_has_history(sqlite3 *db, int *has, terra_err *e);

#endif
