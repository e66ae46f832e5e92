#ifndef TERRA_UNITCHAIN_H
#define TERRA_UNITCHAIN_H
/*
 * The versions of a unit record form a chain, and only a chain is believed:
 * the first version is signed by its owner and carries the unit id of that
 * owner and fingerprint; each later one keeps the unit, fingerprint and
 * registered_at of the one before, its score and bench unless it is a
 * rescore (rescored_from, the score it replaces; neither a transfer nor a
 * retirement; its score is its bench.sgemm_mflops), and its unit key (unit_pub, seq_from) unless
 * the old unit key signs the new version (unit_sig: a rekey), is signed by that version's owner (a
 * transfer names it in transferred_from), never follows a retired version, and is not dated before
 * the one it follows. No version is dated more than TERRA_UNIT_FUTURE_US after the time it is
 * checked at. Both the ledger (terra-ledger verify) and the unit files of two-host mode
 * (terra-meter -u) are held to it.
 */
#include "err.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>

/* Five minutes: clocks of two hosts may differ by that much. */
#define TERRA_UNIT_FUTURE_US (5 * 60 * INT64_C(1000000))

/*
 * Checks that next may follow prev (NULL: next is a first version), at
 * time now (microseconds since the epoch). On refusal e->msg says why,
 * without a position; kind TERRA_E_VERIFY for a signature or chain that
 * does not hold, TERRA_E_INPUT for a malformed record.
 */
int terra_unitchain_next(const json_t *prev, const json_t *next, int64_t now, terra_err *e);

/* What unit_sig signs: the canonical form of rec without signer, sig and
 * unit_sig (malloc'd). */
int terra_unitchain_unit_sig(const json_t *rec, char **msg, size_t *len, terra_err *e);

/* The time a version takes effect: updated_at, else registered_at. */
int terra_unitchain_stamp(const json_t *rec, int64_t *us, terra_err *e);

/*
 * The `units` table against the ledger: the unit, transfer and retire
 * entries of each unit form a chain (each checked at its entry's
 * created_at), and every units row is the latest version of its unit, no
 * more and no less (columns and record). Kind TERRA_E_VERIFY on a mismatch.
 * Runs inside the caller's read transaction, if any.
 */
int terra_unitchain_verify_db(sqlite3 *db, terra_err *e);
/* The same, the unit versions (the unit, transfer, retire, rekey and
 * rescore entries) being seqs[0..n-1], ascending, as the caller's own pass
 * over the entries found them: they are read by seq, not found by a scan. */
int terra_unitchain_verify_seqs(sqlite3 *db, const int64_t *seqs, size_t n, terra_err *e);

/*
 * The owner (64 hex, pointing into versions) of a unit at time t, given its
 * versions in chain order: the owner of the last version that took effect
 * at or before t; NULL when t is before the first one. *retired is set when
 * that version is a retirement that took effect at or before t.
 */
const char *terra_unitchain_owner_at(const json_t *versions, int64_t t, int *retired);

/* Whether owner_hex owned the unit (whose versions are in db's ledger) at
 * some time in [from, to): 1 or 0, -1 on error; usage before the
 * registration is the first owner's, as the meter counts it. */
int terra_unitchain_owned_during(sqlite3 *db, const char *unit, const char *owner_hex, int64_t from,
                                 int64_t to, terra_err *e);

#endif
