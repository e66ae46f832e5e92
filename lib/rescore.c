#include "rescore.h"

#include "db.h"
#include "hostload.h"
#include "registerint.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/*
 * The full probe of unit `id` past the rescore margin that waits for the
 * next to agree: *mflops its figure, 0 when there is none. With mflops > 0,
 * pending_put keeps that figure; with 0, it forgets any.
 */
static int pending_get(terra_home *h, const char *id, int64_t *mflops, terra_err *e)
{
	sqlite3_stmt *st;
	int rc;

	*mflops = 0;
	if (terra_db_prepare(h->db, "SELECT sgemm_mflops FROM rescore_pending WHERE unit = ?", &st,
	                     e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*mflops = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
	                                             : terra_db_err(h->db, e, "rescore_pending");
}

static int pending_put(terra_home *h, const char *id, int64_t mflops, terra_err *e)
{
	char now[TERRA_TIME_MAX];
	sqlite3_stmt *st;
	int rc;

	if (mflops > 0 && terra_register_now(now, e) < 0)
		return -1;
	if (terra_db_prepare(h->db,
	                     mflops > 0 ? "INSERT OR REPLACE INTO rescore_pending"
	                                  " (unit, sgemm_mflops, probed_at) VALUES (?, ?, ?)"
	                                : "DELETE FROM rescore_pending WHERE unit = ?",
	                     &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (mflops > 0) {
		sqlite3_bind_int64(st, 2, mflops);
		sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : terra_db_err(h->db, e, "rescore_pending");
}

int terra_rescore_wants(terra_home *h, const terra_unit *u, const json_t *device, int64_t score,
                        int *yes, char *kept, size_t len, terra_err *e)
{
	const json_t *bench = json_object_get(device, "bench");
	const json_t *old = json_object_get(u->record, "bench");
	const char *health =
	    json_string_value(json_object_get(json_object_get(device, "health"), "status"));
	const char *mode = json_string_value(json_object_get(bench, "mode"));
	const json_t *others = json_object_get(bench, "host_others_pct");
	int64_t diff = score - u->score, pending;
	int has_work = score > 0; /* a rescore's score is a positive sgemm_mflops (unitchain.h) */
	int had_work = json_is_integer(json_object_get(old, "sgemm_mflops"));
	int first = !had_work || u->score == 0;
	int full = mode && !strcmp(mode, "full");
	int past = (diff < 0 ? -diff : diff) * 100 > u->score * TERRA_RESCORE_PCT;

	*yes = 0;
	*kept = '\0';
	if (!bench || u->retired || sodium_memcmp(u->owner, h->owner.pk, TERRA_PK_BYTES) != 0)
		return 0;
	if (!has_work) { /* the score is sgemm's figure: nothing to score by */
		if (had_work)
			snprintf(kept, len, "the benchmark has no workload figures (sgemm_mflops)");
		return 0;
	}
	/* A score changes on evidence that survives noise (terra-register(1),
	 * Rescoring): two full probes in a row, on a quiet host, past the
	 * margin the same way. Quick probes (cron's) say nothing: they are not
	 * meant to rescore. The first figures score a unit without any, as
	 * registration does. */
	if (!first && (!full || !past)) {
		/* a full probe within the margin: the score holds, nothing waits */
		return full ? pending_put(h, u->id, 0, e) : 0;
	}
	if (health && strcmp(health, "ok")) {
		snprintf(kept, len, "the probe found the device %s", health);
		return 0;
	}
	if (first) {
		*yes = 1;
		return pending_put(h, u->id, 0, e);
	}
	if (!json_is_integer(others)) {
		snprintf(kept, len, "the probe did not measure the host's load (host_others_pct)");
		return 0;
	}
	if (json_integer_value(others) >= TERRA_HOSTLOAD_QUIET_PCT) {
		snprintf(kept, len,
		         "the host was not quiet: other programs took %" JSON_INTEGER_FORMAT
		         "%% of its CPUs (under %d%% rescores)",
		         json_integer_value(others), TERRA_HOSTLOAD_QUIET_PCT);
		return 0;
	}
	if (pending_get(h, u->id, &pending, e) < 0)
		return -1;
	if (pending > 0 && (pending - u->score < 0) == (diff < 0)) {
		*yes = 1;
		return pending_put(h, u->id, 0, e);
	}
	snprintf(kept, len,
	         "sgemm_mflops %lld is the first full probe past %d%% of the score %lld; the "
	         "next one past it the same way rescores the unit",
	         (long long)score, TERRA_RESCORE_PCT, (long long)u->score);
	return pending_put(h, u->id, score, e);
}
