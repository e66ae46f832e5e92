#ifndef TERRA_PAID_H
#define TERRA_PAID_H
/*
 * Evidence counted or paid, so that no sha256d nonce, and no row of an
 * sgemm run's product, is paid twice (terra-meter(1), terra-settle(1)). A
 * nonce is named by its header template's SHA-256 and its number, a row by
 * its run's work id (terra_sgemm_work_id: the SHA-256 of the run's inputs,
 * which name its product) and its number; a set holds, per id ("header"),
 * disjoint ranges with who had them: a unit and seq of this meter run, or a
 * settled period. An sgemm run's time is its start.
 *
 * The settlement host keeps what it paid in the paid_evidence table, one
 * row per header range of a settled meter record. Memory is bounded by
 * time: with END the end of the latest settled period, evidence whose
 * header time is before END - TERRA_PAID_KEEP_S is refused as stale
 * (lib/sha256dproof.h), so the rows of such headers are deleted at each
 * settlement. The table holds the ranges of the headers made in the last
 * TERRA_PAID_KEEP_S seconds before END: a unit rolls its header every
 * TERRA_SHA256D_ROLL_S at most, so a unit has about KEEP / ROLL = 168
 * headers there, each in the one or two periods its records touch, about
 * 340 rows per unit with hourly periods (more for a device that exhausts
 * 2^40 nonces sooner than it rolls by time: one header per 2^40 hashes).
 * An sgemm run adds one id, one row per period its records touch (its
 * stretches follow each other, so their rows join): a unit that ran R sgemm
 * runs in the last TERRA_PAID_KEEP_S adds about R + the periods they span.
 */
#include "err.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define TERRA_PAID_KEEP_S (7 * 86400)

typedef struct terra_paid terra_paid;

/* Who had a range: a unit (index) and seq of this run, or a settled period. */
typedef struct terra_paid_who {
	int64_t unit; /* -1: paid in a settlement of period */
	int64_t seq;
	const char *period; /* unit -1: owned by the set */
} terra_paid_who;

terra_paid *terra_paid_new(void);
void terra_paid_free(terra_paid *p);

/* 1 when a range of header id overlaps [lo, hi) (*who: its holder), else 0;
 * ranges paid for period `besides` (when not NULL) do not count. */
int terra_paid_find(const terra_paid *p, const uint8_t id[32], int64_t lo, int64_t hi,
                    const char *besides, terra_paid_who *who);
/* Adds [lo, hi) of id (it overlaps nothing: find with besides NULL first).
 * -1: out of memory. */
int terra_paid_add(terra_paid *p, const uint8_t id[32], int64_t lo, int64_t hi,
                   const terra_paid_who *who);

/*
 * Loads the settlement host's paid evidence from db into p (a database
 * without the table holds none) and sets *horizon_s to END - TERRA_PAID_KEEP_S
 * (0 with nothing settled).
 */
int terra_paid_load(sqlite3 *db, terra_paid *p, int64_t *horizon_s, terra_err *e);

/* The same checks of meter records, nothing recorded (terra-settle reading
 * its input, so a refusal names the file and line); ranges paid for `period`
 * itself pass (settling the same inputs again gives the stored result). The
 * table is looked up, the horizon computed and the query prepared once, at
 * open (each is a scan of the settlements). Close it before the database. */
typedef struct terra_paid_checker terra_paid_checker;
int terra_paid_checker_open(sqlite3 *db, terra_paid_checker **out, terra_err *e);
int terra_paid_checker_run(terra_paid_checker *c, const json_t *meter, const char *period,
                           terra_err *e);
void terra_paid_checker_close(terra_paid_checker *c);

/*
 * In the transaction that settles period: records the evidence of each
 * meter record (its "evidence" field, terra-records(5)), refusing a range
 * already paid or one whose header time is before the horizon (kind
 * TERRA_E_VERIFY, naming the record's index), then forgets the ranges
 * behind the horizon the new period gives.
 */
int terra_paid_settle(sqlite3 *db, const char *period, char *const *meters, size_t n, terra_err *e);

#endif
