#include "settlecover.h"

#include "db.h"
#include "record.h"
#include "time.h"
#include "unit.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* A usage range paid for a period: by its settlement or an adjustment. */
struct cov {
	char unit[TERRA_UNIT_ID_HEX];
	int64_t first, last, seq;
};

struct span {
	int64_t from, to, seq;
	struct cov *rows; /* what was paid for the period, sorted by unit, first */
	size_t nrows;
};

struct terra_settle_periods {
	struct span *v; /* sorted by from, never overlapping */
	size_t n, cap;
};

terra_settle_periods *terra_settle_periods_new(void)
{
	return calloc(1, sizeof(terra_settle_periods));
}

void terra_settle_periods_free(terra_settle_periods *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].rows);
	free(p->v);
	free(p);
}

/* covers: [[UNIT, FIRST, LAST], ...], units strictly ascending, 1 <= FIRST <= LAST. */
static int covers_check(const char *what, const json_t *covers, terra_err *e)
{
	const char *prev = "";
	const json_t *row;
	size_t i;

	if (!json_is_array(covers))
		return terra_err_set(e, TERRA_E_INPUT, "%s: not an array", what);
	json_array_foreach(covers, i, row)
	{
		const json_t *u = json_array_get(row, 0), *f = json_array_get(row, 1),
		             *l = json_array_get(row, 2);

		if (!json_is_array(row) || json_array_size(row) != 3 || !json_is_string(u) ||
		    !json_is_integer(f) || !json_is_integer(l) || json_integer_value(f) < 1 ||
		    json_integer_value(l) < json_integer_value(f) ||
		    strlen(json_string_value(u)) >= TERRA_UNIT_ID_HEX)
			return terra_err_set(e, TERRA_E_INPUT, "%s: row %zu is malformed", what,
			                     i + 1);
		if (strcmp(json_string_value(u), prev) <= 0)
			return terra_err_set(e, TERRA_E_INPUT,
			                     "%s: unit '%s' not after '%s' (sorted, once each)",
			                     what, json_string_value(u), prev);
		prev = json_string_value(u);
	}
	return 0;
}

/* Where [from, to) goes among the spans; *clash the span it overlaps, or NULL. */
static size_t span_find(const terra_settle_periods *p, int64_t from, int64_t to,
                        const struct span **clash)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->v[mid].from < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	*clash = NULL;
	if (lo > 0 && p->v[lo - 1].to > from)
		*clash = &p->v[lo - 1];
	else if (lo < p->n && p->v[lo].from < to)
		*clash = &p->v[lo];
	return lo;
}

static int span_insert(terra_settle_periods *p, size_t at, int64_t from, int64_t to, int64_t seq,
                       terra_err *e)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct span *v = realloc(p->v, cap * sizeof *v);

		if (!v)
			return terra_err_sys(e, "settled periods");
		p->v = v;
		p->cap = cap;
	}
	memmove(p->v + at + 1, p->v + at, (p->n - at) * sizeof *p->v);
	p->v[at] = (struct span){from, to, seq, NULL, 0};
	p->n++;
	return 0;
}

static int overlap_error(int64_t from, int64_t to, const struct span *s, terra_err *e)
{
	char mine[TERRA_PERIOD_MAX], theirs[TERRA_PERIOD_MAX];

	terra_period_format(from, to, mine);
	terra_period_format(s->from, s->to, theirs);
	if (s->from == from && s->to == to)
		return terra_err_set(e, TERRA_E_STATE,
		                     "period %s already settled (entry %" PRId64 ")", mine, s->seq);
	return terra_err_set(e, TERRA_E_STATE,
	                     "period %s overlaps period %s, settled in entry %" PRId64, mine,
	                     theirs, s->seq);
}

static int cov_cmp(const void *a, const void *b)
{
	const struct cov *x = a, *y = b;
	int c = strcmp(x->unit, y->unit);

	if (c)
		return c;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Adds the rows of covers (checked) to span sp, paid by entry seq. */
static int rows_add(struct span *sp, const json_t *covers, int64_t seq, terra_err *e)
{
	size_t i, n = json_array_size(covers);
	const json_t *row;
	struct cov *v;

	if (!n)
		return 0;
	if (!(v = realloc(sp->rows, (sp->nrows + n) * sizeof *v)))
		return terra_err_sys(e, "settled usage");
	sp->rows = v;
	json_array_foreach(covers, i, row)
	{
		struct cov *c = &sp->rows[sp->nrows++];

		snprintf(c->unit, sizeof c->unit, "%s", json_string_value(json_array_get(row, 0)));
		c->first = json_integer_value(json_array_get(row, 1));
		c->last = json_integer_value(json_array_get(row, 2));
		c->seq = seq;
	}
	qsort(sp->rows, sp->nrows, sizeof *sp->rows, cov_cmp);
	return 0;
}

/* Whether [first, last] of unit overlaps a range paid in span sp: -1 naming it. */
static int rows_free(const struct span *sp, const char *unit, int64_t first, int64_t last,
                     terra_err *e)
{
	size_t lo = 0, hi = sp->nrows;
	char period[TERRA_PERIOD_MAX];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(sp->rows[mid].unit, unit) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < sp->nrows && !strcmp(sp->rows[lo].unit, unit); lo++) {
		const struct cov *c = &sp->rows[lo];

		if (c->first > last || c->last < first)
			continue;
		terra_period_format(sp->from, sp->to, period);
		return terra_err_set(e, TERRA_E_STATE,
		                     "usage seqs %" PRId64 " to %" PRId64
		                     " of unit %s: seqs %" PRId64 " to %" PRId64
		                     " already paid for period %s by settlement "
		                     "entry %" PRId64,
		                     first, last, unit, c->first, c->last, period, c->seq);
	}
	return 0;
}

/* Adds one settlement (period text, covers when kept) to p: *sp its span. */
static int add(terra_settle_periods *p, const char *period, const json_t *covers, int64_t seq,
               struct span **sp, terra_err *e)
{
	const struct span *clash;
	int64_t from, to;
	size_t at;

	if (terra_period_parse(period, &from, &to, e) < 0)
		return terra_err_wrap(e, "period");
	if (covers && covers_check("covers", covers, e) < 0)
		return -1;
	at = span_find(p, from, to, &clash);
	if (clash)
		return overlap_error(from, to, clash, e);
	if (span_insert(p, at, from, to, seq, e) < 0)
		return -1;
	*sp = &p->v[at];
	return covers ? rows_add(*sp, covers, seq, e) : 0;
}

/* The span settled as exactly old, or NULL with e saying why. */
static struct span *settled(terra_settle_periods *p, const char *old, terra_err *e)
{
	const struct span *clash;
	int64_t from, to;
	size_t at;

	if (terra_period_parse(old, &from, &to, e) < 0) {
		terra_err_wrap(e, "adjusts");
		return NULL;
	}
	at = span_find(p, from, to, &clash);
	if (!clash || clash->from != from || clash->to != to) {
		terra_err_set(e, TERRA_E_STATE,
		              "adjusts period %s, which was never settled: an adjustment pays late "
		              "usage of a settled period",
		              old);
		return NULL;
	}
	(void)at;
	return (struct span *)clash; /* one of p's spans */
}

/*
 * A settlement of period (span sp) that adjusts period old: old was settled
 * before and ends before the period starts, and no row of adj (checked) was
 * paid for old; then they are.
 */
static int adjust(terra_settle_periods *p, const struct span *sp, const char *old,
                  const json_t *adj, int64_t seq, terra_err *e)
{
	struct span *o;
	char period[TERRA_PERIOD_MAX];
	const json_t *row;
	int64_t sfrom = sp->from, sseq = sp->seq;
	size_t i;

	if (covers_check("adjusts_covers", adj, e) < 0)
		return -1;
	if (!json_array_size(adj))
		return terra_err_set(e, TERRA_E_INPUT, "adjusts_covers: empty");
	if (!(o = settled(p, old, e)))
		return -1;
	if (o->to > sfrom || o->seq == sseq) {
		terra_period_format(sp->from, sp->to, period);
		return terra_err_set(e, TERRA_E_STATE,
		                     "adjusts period %s, which does not end before period %s "
		                     "starts: an adjustment pays late usage in a later settlement",
		                     old, period);
	}
	json_array_foreach(adj, i, row)
	{
		if (rows_free(o, json_string_value(json_array_get(row, 0)),
		              json_integer_value(json_array_get(row, 1)),
		              json_integer_value(json_array_get(row, 2)), e) < 0)
			return -1;
	}
	return rows_add(o, adj, seq, e);
}

int terra_settle_periods_add(terra_settle_periods *p, const json_t *payload, int64_t seq,
                             terra_err *e)
{
	const char *period = json_string_value(json_object_get(payload, "period"));
	const json_t *old = json_object_get(payload, "adjusts");
	struct span *sp;

	if (!period || add(p, period, json_object_get(payload, "covers"), seq, &sp, e) < 0 ||
	    (old && !json_is_string(old) &&
	     terra_err_set(e, TERRA_E_INPUT, "adjusts: not a period") < 0) ||
	    (!old && json_object_get(payload, "adjusts_covers") &&
	     terra_err_set(e, TERRA_E_INPUT, "adjusts_covers without adjusts") < 0) ||
	    (old && adjust(p, sp, json_string_value(old),
	                   json_object_get(payload, "adjusts_covers"), seq, e) < 0)) {
		if (!period)
			terra_err_set(e, TERRA_E_VERIFY, "settlement without a period");
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "entry %" PRId64 ": settlement", seq);
	}
	return 0;
}

/*
 * The settlements rows index the settlement entries: when every settlement
 * entry has its row (two counts that read no payload), the rows' periods
 * are the entries' (terra-ledger verify checks each). Otherwise, a row
 * deleted, the periods are read from the entries themselves: slow on a
 * large ledger, but a missing row never lets a period be settled twice.
 */
static int rows_complete(sqlite3 *db, int *complete, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (terra_db_prepare(db,
	                     "SELECT (SELECT count(*) FROM entries WHERE kind = 'settlement'), "
	                     "(SELECT count(DISTINCT s.entry_seq) FROM settlements s JOIN entries "
	                     "e ON e.seq = s.entry_seq WHERE e.kind = 'settlement')",
	                     &st, e) < 0)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		terra_db_err(db, e, "settled periods");
		goto out;
	}
	*complete = sqlite3_column_int64(st, 0) == sqlite3_column_int64(st, 1);
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

/* The settled periods of db's ledger into p (no covers). */
static int periods_load(sqlite3 *db, terra_settle_periods *p, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	struct span *sp;
	int rc = -1, step, complete;

	if (rows_complete(db, &complete, e) < 0)
		return -1;
	if (terra_db_prepare(db,
	                     complete
	                         ? "SELECT entry_seq, period FROM settlements"
	                         : "SELECT seq, json_extract(payload, '$.period') FROM entries "
	                           "WHERE kind = 'settlement' ORDER BY seq",
	                     &st, e) < 0)
		return -1;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *other = (const char *)sqlite3_column_text(st, 1);
		int64_t seq = sqlite3_column_int64(st, 0);

		if (!other) {
			terra_err_set(e, TERRA_E_VERIFY,
			              "entry %" PRId64 ": settlement without a period", seq);
			goto out;
		}
		if (add(p, other, NULL, seq, &sp, e) < 0) {
			e->kind = TERRA_E_VERIFY;
			terra_err_wrap(e, "entry %" PRId64 ": settlement", seq);
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		terra_db_err(db, e, "settled periods");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

/* What db's ledger paid for the settled span o: its settlement's covers and
 * the adjusts_covers of the settlements adjusting it, but for the settlement
 * of period `besides` (when not NULL). */
static int paid_load(sqlite3 *db, struct span *o, const char *besides, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	char old[TERRA_PERIOD_MAX];
	int rc = -1, step;

	terra_period_format(o->from, o->to, old);
	if (terra_db_prepare(db,
	                     "SELECT seq, CASE json_extract(payload, '$.period') WHEN ?1 THEN "
	                     "json_extract(payload, '$.covers') ELSE json_extract(payload, "
	                     "'$.adjusts_covers') END FROM entries WHERE kind = 'settlement' AND "
	                     "(json_extract(payload, '$.period') = ?1 OR json_extract(payload, "
	                     "'$.adjusts') = ?1) AND json_extract(payload, '$.period') IS NOT ?2 "
	                     "ORDER BY seq",
	                     &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, old, -1, SQLITE_TRANSIENT);
	if (besides)
		sqlite3_bind_text(st, 2, besides, -1, SQLITE_TRANSIENT);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(st, 1);
		int64_t seq = sqlite3_column_int64(st, 0);
		json_t *covers = text ? json_loads(text, 0, NULL) : json_array();
		int got = covers ? covers_check("covers", covers, e) : -1;

		if (!covers)
			terra_err_set(e, TERRA_E_VERIFY, "covers: malformed");
		if (got == 0)
			got = rows_add(o, covers, seq, e);
		json_decref(covers);
		if (got < 0) {
			e->kind = TERRA_E_VERIFY;
			terra_err_wrap(e, "entry %" PRId64 ": settlement", seq);
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		terra_db_err(db, e, "settled usage");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

int terra_settle_periods_free_in(sqlite3 *db, const char *period, const char *adjusts,
                                 const json_t *covers, const json_t *adj, terra_err *e)
{
	terra_settle_periods *p = terra_settle_periods_new();
	struct span *sp, *o;
	int rc = -1;

	if (!p)
		return terra_err_sys(e, "settled periods");
	if (periods_load(db, p, e) < 0)
		goto out;
	if (adjusts && (!(o = settled(p, adjusts, e)) || paid_load(db, o, NULL, e) < 0))
		goto out;
	if (add(p, period, covers, 0, &sp, e) < 0)
		goto out;
	rc = adjusts ? adjust(p, sp, adjusts, adj, 0, e) : 0;
out:
	terra_settle_periods_free(p);
	return rc;
}

struct terra_settle_paid {
	terra_settle_periods *p;
	struct span *old;
};

int terra_settle_paid_open(sqlite3 *db, const char *old, const char *besides,
                           terra_settle_paid **paid, terra_err *e)
{
	terra_settle_paid *q = calloc(1, sizeof *q);

	*paid = q;
	if (!q || !(q->p = terra_settle_periods_new()))
		return terra_err_sys(e, "settled usage");
	if (periods_load(db, q->p, e) < 0 || !(q->old = settled(q->p, old, e)))
		return -1;
	return paid_load(db, q->old, besides, e);
}

int terra_settle_paid_check(const terra_settle_paid *paid, const char *unit, int64_t first,
                            int64_t last, terra_err *e)
{
	return rows_free(paid->old, unit, first, last, e);
}

void terra_settle_paid_close(terra_settle_paid *paid)
{
	if (!paid)
		return;
	terra_settle_periods_free(paid->p);
	free(paid);
}
