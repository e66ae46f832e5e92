#include "settlecover.h"

#include "buf.h"
#include "entries.h"
#include "record.h"
#include "settlestore.h"
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
	if (terra_grow(&p->v, &p->cap, p->n, sizeof *p->v, 64) < 0)
		return terra_err_sys(e, "settled periods");
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

static int seq_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int count_settlement(void *ctx, const terra_entry *en, terra_err *e)
{
	(void)e;
	if (en->kind && !strcmp(en->kind, "settlement"))
		++*(int64_t *)ctx;
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
	terra_settle_seqs s;
	int64_t entries, indexed = 0;
	size_t i, n = 0;
	int rc = -1;

	if (terra_entries_count(db, "settlement", &entries, e) < 0 ||
	    terra_settle_seqs_load(db, &s, e) < 0)
		return -1;
	/* each entry counted once, as count(DISTINCT entry_seq) would */
	if (s.n) /* a ledger with no settlement has no array to sort */
		qsort(s.seq, s.n, sizeof *s.seq, seq_cmp);
	for (i = 0; i < s.n; i++)
		if (!n || s.seq[n - 1] != s.seq[i])
			s.seq[n++] = s.seq[i];
	if (terra_entries_get(db, s.seq, n, 0, count_settlement, &indexed, e) == 0) {
		*complete = entries == indexed;
		rc = 0;
	}
	free(s.seq);
	return rc;
}

static int period_add(terra_settle_periods *p, const char *period, int64_t seq, terra_err *e)
{
	struct span *sp;

	if (!period)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "entry %" PRId64 ": settlement without a period", seq);
	if (add(p, period, NULL, seq, &sp, e) < 0) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "entry %" PRId64 ": settlement", seq);
	}
	return 0;
}

static int row_period(void *ctx, const terra_settle_row *r, terra_err *e)
{
	return period_add(ctx, r->period, r->entry_seq, e);
}

static int entry_period(void *ctx, const terra_entry *en, terra_err *e)
{
	json_t *payload = en->payload ? json_loads(en->payload, 0, NULL) : NULL;
	int rc = period_add(ctx, json_string_value(json_object_get(payload, "period")), en->seq, e);

	json_decref(payload);
	return rc;
}

/* The settled periods of db's ledger into p (no covers). */
static int periods_load(sqlite3 *db, terra_settle_periods *p, terra_err *e)
{
	int complete;

	if (rows_complete(db, &complete, e) < 0)
		return -1;
	if (complete)
		return terra_settle_each_row(db, row_period, p, e);
	return terra_entries_each(db, "settlement", entry_period, p, e) ? -1 : 0;
}

/* What paid_load gathers: the covers paid for span o. */
struct paid_ctx {
	struct span *o;
	const char *old, *besides;
};

/* The settlement of old pays its covers; one adjusting old, its
 * adjusts_covers; the settlement of besides pays nothing here. */
static int paid_fn(void *ctx, const terra_entry *en, terra_err *e)
{
	struct paid_ctx *x = ctx;
	json_t *payload, *covers;
	const char *period, *adjusts;
	int own, got = 0;

	/* A canonical payload (terra-ledger verify holds every entry to it)
	 * spells a period without escapes: one that never names old is none of
	 * these, and the covers of all the others are not parsed. */
	if (!en->payload || !strstr(en->payload, x->old))
		return 0;
	payload = json_loads(en->payload, 0, NULL);
	period = json_string_value(json_object_get(payload, "period"));
	adjusts = json_string_value(json_object_get(payload, "adjusts"));
	own = period && !strcmp(period, x->old);
	if ((own || (adjusts && !strcmp(adjusts, x->old))) &&
	    (x->besides ? !period || strcmp(period, x->besides) : period != NULL)) {
		covers = json_object_get(payload, own ? "covers" : "adjusts_covers");
		covers = covers ? json_incref(covers) : json_array();
		got = covers ? covers_check("covers", covers, e) : -1;
		if (!covers)
			terra_err_set(e, TERRA_E_VERIFY, "covers: malformed");
		if (got == 0)
			got = rows_add(x->o, covers, en->seq, e);
		json_decref(covers);
	}
	json_decref(payload);
	if (got < 0) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "entry %" PRId64 ": settlement", en->seq);
	}
	return 0;
}

/* What db's ledger paid for the settled span o: its settlement's covers and
 * the adjusts_covers of the settlements adjusting it, but for the settlement
 * of period `besides` (when not NULL). */
static int paid_load(sqlite3 *db, struct span *o, const char *besides, terra_err *e)
{
	char old[TERRA_PERIOD_MAX];
	struct paid_ctx x = {o, old, besides};

	terra_period_format(o->from, o->to, old);
	return terra_entries_each(db, "settlement", paid_fn, &x, e) ? -1 : 0;
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

static int cmp_cover(const void *a, const void *b)
{
	return strcmp(json_string_value(json_array_get(*(json_t *const *)a, 0)),
	              json_string_value(json_array_get(*(json_t *const *)b, 0)));
}

int terra_settle_covers_sort(json_t **covers, terra_err *e)
{
	size_t i, n = json_array_size(*covers);
	json_t **v = malloc((n ? n : 1) * sizeof *v), *sorted = json_array(), *last = NULL;
	int rc = -1;

	if (!v || !sorted) {
		terra_err_sys(e, "settle: covers");
		goto out;
	}
	for (i = 0; i < n; i++)
		v[i] = json_array_get(*covers, i);
	qsort(v, n, sizeof *v, cmp_cover);
	for (i = 0; i < n; i++) {
		if (last && !cmp_cover(&last, &v[i])) {
			json_int_t f = json_integer_value(json_array_get(v[i], 1));
			json_int_t l = json_integer_value(json_array_get(v[i], 2));

			if (f < json_integer_value(json_array_get(last, 1)))
				json_array_set_new(last, 1, json_integer(f));
			if (l > json_integer_value(json_array_get(last, 2)))
				json_array_set_new(last, 2, json_integer(l));
			continue;
		}
		if (json_array_append(sorted, v[i]) < 0) {
			terra_err_sys(e, "settle: covers");
			goto out;
		}
		last = v[i];
	}
	json_decref(*covers);
	*covers = sorted;
	sorted = NULL;
	rc = 0;
out:
	json_decref(sorted);
	free(v);
	return rc;
}
