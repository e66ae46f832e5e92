#include "paid.h"

#include "buf.h"
#include "db.h"
#include "hex.h"
#include "record.h"
#include "settlestore.h"
#include "time.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct range {
	int64_t lo, hi;
	int64_t unit, seq;
	size_t period; /* index into periods, with unit -1 */
};

struct header {
	uint8_t id[32];
	struct range *v; /* sorted by lo, disjoint */
	size_t n, cap;
};

struct terra_paid {
	struct header *h; /* open addressing on the id */
	size_t nh, caph;
	char **periods;
	size_t np, capp;
};

terra_paid *terra_paid_new(void)
{
	return calloc(1, sizeof(terra_paid));
}

void terra_paid_free(terra_paid *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->caph; i++)
		free(p->h[i].v);
	for (i = 0; i < p->np; i++)
		free(p->periods[i]);
	free(p->periods);
	free(p->h);
	free(p);
}

static uint64_t id_hash(const uint8_t id[32])
{
	uint64_t x;

	memcpy(&x, id, sizeof x); /* a SHA-256: its bytes are as good as any hash */
	return x;
}

static int is_empty(const struct header *h)
{
	static const uint8_t zero[32];

	return !h->cap && !memcmp(h->id, zero, sizeof zero);
}

/* The slot of id: its header, or the empty slot where it would go. */
static struct header *slot(const terra_paid *p, const uint8_t id[32])
{
	size_t i = (size_t)id_hash(id) & (p->caph - 1);

	while (!is_empty(&p->h[i]) && memcmp(p->h[i].id, id, 32))
		i = (i + 1) & (p->caph - 1);
	return &p->h[i];
}

static int grow(terra_paid *p)
{
	size_t cap = p->caph ? 2 * p->caph : 64, i;
	terra_paid old = *p;

	if (!(p->h = calloc(cap, sizeof *p->h))) {
		p->h = old.h;
		return -1;
	}
	p->caph = cap;
	for (i = 0; i < old.caph; i++)
		if (!is_empty(&old.h[i]))
			*slot(p, old.h[i].id) = old.h[i];
	free(old.h);
	return 0;
}

/* The first range of h ending after lo. */
static size_t first_after(const struct header *h, int64_t lo)
{
	size_t a = 0, b = h->n;

	while (a < b) {
		size_t mid = a + (b - a) / 2;

		if (h->v[mid].hi <= lo)
			a = mid + 1;
		else
			b = mid;
	}
	return a;
}

int terra_paid_find(const terra_paid *p, const uint8_t id[32], int64_t lo, int64_t hi,
                    const char *besides, terra_paid_who *who)
{
	const struct header *h;
	size_t i;

	if (!p->caph || is_empty(h = slot(p, id)))
		return 0;
	for (i = first_after(h, lo); i < h->n && h->v[i].lo < hi; i++) {
		const struct range *r = &h->v[i];

		if (r->unit < 0 && besides && !strcmp(p->periods[r->period], besides))
			continue;
		who->unit = r->unit;
		who->seq = r->seq;
		who->period = r->unit < 0 ? p->periods[r->period] : NULL;
		return 1;
	}
	return 0;
}

static int period_index(terra_paid *p, const char *period, size_t *at)
{
	if (p->np && !strcmp(p->periods[p->np - 1], period)) {
		*at = p->np - 1;
		return 0;
	}
	if (terra_grow(&p->periods, &p->capp, p->np, sizeof *p->periods, 16) < 0)
		return -1;
	if (!(p->periods[p->np] = strdup(period)))
		return -1;
	*at = p->np++;
	return 0;
}

int terra_paid_add(terra_paid *p, const uint8_t id[32], int64_t lo, int64_t hi,
                   const terra_paid_who *who)
{
	struct range r = {lo, hi, who->unit, who->seq, 0};
	struct header *h;
	size_t i;

	if (lo >= hi)
		return 0;
	if (who->unit < 0 && period_index(p, who->period, &r.period) < 0)
		return -1;
	if ((2 * (p->nh + 1) > p->caph) && grow(p) < 0)
		return -1;
	h = slot(p, id);
	if (is_empty(h)) {
		memcpy(h->id, id, 32);
		p->nh++;
	}
	i = first_after(h, lo);
	/* The runs of one unit meet end to end: one range, named by its first seq. */
	if (i > 0 && h->v[i - 1].hi == lo && h->v[i - 1].unit == r.unit && r.unit >= 0) {
		h->v[i - 1].hi = hi;
		return 0;
	}
	if (terra_grow(&h->v, &h->cap, h->n, sizeof *h->v, 4) < 0)
		return -1;
	memmove(h->v + i + 1, h->v + i, (h->n - i) * sizeof *h->v);
	h->v[i] = r;
	h->n++;
	return 0;
}

/* ---- the settlement host's table --------------------------------------- */

static int has_table(sqlite3 *db, int *yes, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (terra_db_prepare(db,
	                     "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
	                     "name = 'paid_evidence'",
	                     &st, e) < 0)
		return -1;
	rc = sqlite3_step(st);
	*yes = rc == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : terra_db_err(db, e, "paid evidence");
}

/* Keeps in ctx (int64_t µs) the latest end of the settled periods. */
static int latest_end(void *ctx, const terra_settle_row *r, terra_err *e)
{
	int64_t *latest = ctx, from, to;
	const char *period = r->period;
	terra_err ignore;

	(void)e;
	if (period && terra_period_parse(period, &from, &to, &ignore) == 0 && to > *latest)
		*latest = to;
	return 0;
}

/* END - TERRA_PAID_KEEP_S, END the latest end of a settled period (0: none). */
static int horizon(sqlite3 *db, int64_t *out, terra_err *e)
{
	int64_t latest = 0;

	*out = 0;
	if (terra_settle_each_row(db, latest_end, &latest, e) < 0)
		return -1;
	if (latest)
		*out = latest / TERRA_US_PER_S - TERRA_PAID_KEEP_S;
	return 0;
}

int terra_paid_load(sqlite3 *db, terra_paid *p, int64_t *horizon_s, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int yes, rc;

	*horizon_s = 0;
	if (has_table(db, &yes, e) < 0)
		return -1;
	if (!yes)
		return 0;
	if (horizon(db, horizon_s, e) < 0)
		return -1;
	if (terra_db_prepare(db, "SELECT header, lo, hi, period FROM paid_evidence", &st, e) < 0)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		terra_paid_who who = {-1, 0, (const char *)sqlite3_column_text(st, 3)};

		if (sqlite3_column_bytes(st, 0) != 32 || !who.period) {
			sqlite3_finalize(st);
			return terra_err_set(e, TERRA_E_STATE, "paid evidence: a malformed row");
		}
		if (terra_paid_add(p, sqlite3_column_blob(st, 0), sqlite3_column_int64(st, 1),
		                   sqlite3_column_int64(st, 2), &who) < 0) {
			sqlite3_finalize(st);
			return terra_err_sys(e, "paid evidence");
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : terra_db_err(db, e, "paid evidence");
}

/* One [id_hex, ntime, lo, hi] of a meter record's evidence. */
static int range_parse(const json_t *row, uint8_t id[32], int64_t v[3], terra_err *e)
{
	const char *hex = json_string_value(json_array_get(row, 0));
	terra_err ignore;

	for (int i = 0; i < 3; i++) {
		const json_t *x = json_array_get(row, (size_t)i + 1);

		if (!json_is_integer(x))
			return terra_err_set(e, TERRA_E_INPUT, "evidence: a malformed range");
		v[i] = json_integer_value(x);
	}
	if (!json_is_array(row) || json_array_size(row) != 4 || !hex ||
	    terra_unhex(hex, id, 32, &ignore) < 0 || v[1] < 0 || v[2] <= v[1])
		return terra_err_set(e, TERRA_E_INPUT, "evidence: a malformed range");
	return 0;
}

/* The ranges of one meter record: refused when stale or paid (for another
 * period than `same`, when given), recorded with put when given. */
static int settle_one(sqlite3 *db, sqlite3_stmt *clash, sqlite3_stmt *put, const char *period,
                      const char *unit, const json_t *ranges, int64_t horizon_s, const char *same,
                      terra_err *e)
{
	const json_t *row;
	uint8_t id[32];
	int64_t v[3];
	size_t i;
	int rc;

	if (ranges && !json_is_array(ranges))
		return terra_err_set(e, TERRA_E_INPUT, "evidence: not an array");
	json_array_foreach(ranges, i, row)
	{
		if (range_parse(row, id, v, e) < 0)
			return -1;
		if (v[0] < horizon_s)
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "stale evidence: header %s is older than the paid "
			                     "evidence kept",
			                     json_string_value(json_array_get(row, 0)));
		sqlite3_reset(clash);
		sqlite3_bind_blob(clash, 1, id, 32, SQLITE_TRANSIENT);
		sqlite3_bind_int64(clash, 2, v[2]);
		sqlite3_bind_int64(clash, 3, v[1]);
		rc = sqlite3_step(clash);
		if (rc == SQLITE_ROW && same &&
		    !strcmp((const char *)sqlite3_column_text(clash, 0), same))
			rc = SQLITE_DONE;
		if (rc == SQLITE_ROW)
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "evidence already paid: nonces [%" PRId64 ", %" PRId64
			                     ") of header %s, paid for period %s",
			                     v[1], v[2], json_string_value(json_array_get(row, 0)),
			                     (const char *)sqlite3_column_text(clash, 0));
		if (rc != SQLITE_DONE)
			return terra_db_err(db, e, "paid evidence");
		if (!put)
			continue;
		sqlite3_reset(put);
		sqlite3_bind_blob(put, 1, id, 32, SQLITE_TRANSIENT);
		sqlite3_bind_int64(put, 2, v[1]);
		sqlite3_bind_int64(put, 3, v[2]);
		sqlite3_bind_int64(put, 4, v[0]);
		sqlite3_bind_text(put, 5, unit, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(put, 6, period, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(put) != SQLITE_DONE)
			return terra_db_err(db, e, "paid evidence");
	}
	return 0;
}

static int clash_prepare(sqlite3 *db, sqlite3_stmt **clash, terra_err *e)
{
	return terra_db_prepare(db,
	                        "SELECT period FROM paid_evidence WHERE header = ?1 AND lo < ?2 "
	                        "AND hi > ?3 LIMIT 1",
	                        clash, e);
}

struct terra_paid_checker {
	sqlite3 *db;
	sqlite3_stmt *clash; /* NULL: no paid evidence table, nothing to check */
	int64_t horizon_s;
};

int terra_paid_checker_open(sqlite3 *db, terra_paid_checker **out, terra_err *e)
{
	terra_paid_checker *c = calloc(1, sizeof *c);
	int yes;

	*out = NULL;
	if (!c)
		return terra_err_sys(e, "paid evidence");
	c->db = db;
	if (has_table(db, &yes, e) < 0 ||
	    (yes && (horizon(db, &c->horizon_s, e) < 0 || clash_prepare(db, &c->clash, e) < 0))) {
		terra_paid_checker_close(c);
		return -1;
	}
	*out = c;
	return 0;
}

int terra_paid_checker_run(terra_paid_checker *c, const json_t *meter, const char *period,
                           terra_err *e)
{
	if (!c->clash)
		return 0;
	return settle_one(c->db, c->clash, NULL, NULL, NULL, json_object_get(meter, "evidence"),
	                  c->horizon_s, period, e);
}

void terra_paid_checker_close(terra_paid_checker *c)
{
	if (!c)
		return;
	sqlite3_finalize(c->clash);
	free(c);
}

int terra_paid_settle(sqlite3 *db, const char *period, char *const *meters, size_t n, terra_err *e)
{
	sqlite3_stmt *clash = NULL, *put = NULL, *prune = NULL;
	int64_t horizon_s, from, to;
	size_t i;
	int rc = -1;

	if (horizon(db, &horizon_s, e) < 0 || terra_period_parse(period, &from, &to, e) < 0)
		return -1;
	if (clash_prepare(db, &clash, e) < 0 ||
	    terra_db_prepare(db,
	                     "INSERT INTO paid_evidence(header, lo, hi, ntime, unit, period) "
	                     "VALUES (?, ?, ?, ?, ?, ?)",
	                     &put, e) < 0 ||
	    terra_db_prepare(db, "DELETE FROM paid_evidence WHERE ntime < ?", &prune, e) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		/* one record parsed at a time: the settlement keeps canonical text */
		json_t *m = json_loads(meters[i], 0, NULL);
		const char *unit = json_string_value(json_object_get(m, "unit"));
		int got;

		if (!m) {
			terra_err_sys(e, "meter record %zu", i + 1);
			goto out;
		}
		got = settle_one(db, clash, put, period, unit ? unit : "",
		                 json_object_get(m, "evidence"), horizon_s, NULL, e);
		json_decref(m);
		if (got < 0) {
			terra_err_wrap(e, "meter record %zu", i + 1);
			goto out;
		}
	}
	/* What the horizon of this period leaves behind can never be paid again. */
	if (to / TERRA_US_PER_S - TERRA_PAID_KEEP_S > horizon_s) {
		sqlite3_bind_int64(prune, 1, to / TERRA_US_PER_S - TERRA_PAID_KEEP_S);
		if (sqlite3_step(prune) != SQLITE_DONE) {
			terra_db_err(db, e, "paid evidence");
			goto out;
		}
	}
	rc = 0;
out:
	sqlite3_finalize(clash);
	sqlite3_finalize(put);
	sqlite3_finalize(prune);
	return rc;
}
