#include "settlecover.h"

#include "db.h"
#include "record.h"
#include "time.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct span {
	int64_t from, to, seq;
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
	free(p->v);
	free(p);
}

/* covers: [[UNIT, FIRST, LAST], ...], units strictly ascending, 1 <= FIRST <= LAST. */
static int covers_check(const json_t *covers, terra_err *e)
{
	const char *prev = "";
	const json_t *row;
	size_t i;

	if (!json_is_array(covers))
		return terra_err_set(e, TERRA_E_INPUT, "covers: not an array");
	json_array_foreach(covers, i, row)
	{
		const json_t *u = json_array_get(row, 0), *f = json_array_get(row, 1),
		             *l = json_array_get(row, 2);

		if (!json_is_array(row) || json_array_size(row) != 3 || !json_is_string(u) ||
		    !json_is_integer(f) || !json_is_integer(l) || json_integer_value(f) < 1 ||
		    json_integer_value(l) < json_integer_value(f))
			return terra_err_set(e, TERRA_E_INPUT, "covers: row %zu is malformed",
			                     i + 1);
		if (strcmp(json_string_value(u), prev) <= 0)
			return terra_err_set(e, TERRA_E_INPUT,
			                     "covers: unit '%s' not after '%s' (sorted, once each)",
			                     json_string_value(u), prev);
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
	p->v[at] = (struct span){from, to, seq};
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

/* Adds one settlement (period text, late, covers) to p. */
static int add(terra_settle_periods *p, const char *period, int late, const json_t *covers,
               int64_t seq, terra_err *e)
{
	const struct span *clash;
	int64_t from, to;
	size_t at;

	if (terra_period_parse(period, &from, &to, e) < 0)
		return terra_err_wrap(e, "period");
	if (covers && covers_check(covers, e) < 0)
		return -1;
	if (late)
		return terra_err_set(e, TERRA_E_INPUT, "late settlements are not supported");
	at = span_find(p, from, to, &clash);
	if (clash)
		return overlap_error(from, to, clash, e);
	return span_insert(p, at, from, to, seq, e);
}

int terra_settle_periods_add(terra_settle_periods *p, const json_t *payload, int64_t seq,
                             terra_err *e)
{
	const char *period = json_string_value(json_object_get(payload, "period"));

	if (!period || add(p, period, json_is_true(json_object_get(payload, "late")),
	                   json_object_get(payload, "covers"), seq, e) < 0) {
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

int terra_settle_periods_free_in(sqlite3 *db, const char *period, int late, const json_t *covers,
                                 terra_err *e)
{
	terra_settle_periods *p = terra_settle_periods_new();
	sqlite3_stmt *st = NULL;
	int rc = -1, step, complete;

	if (!p)
		return terra_err_sys(e, "settled periods");
	if (rows_complete(db, &complete, e) < 0)
		goto out;
	if (terra_db_prepare(db,
	                     complete ? "SELECT entry_seq, period, NULL FROM settlements"
	                              : "SELECT seq, json_extract(payload, '$.period'), "
	                                "json_extract(payload, '$.late') FROM entries "
	                                "WHERE kind = 'settlement' ORDER BY seq",
	                     &st, e) < 0)
		goto out;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *other = (const char *)sqlite3_column_text(st, 1);
		int64_t seq = sqlite3_column_int64(st, 0);

		if (!other) {
			terra_err_set(e, TERRA_E_VERIFY,
			              "entry %" PRId64 ": settlement without a period", seq);
			goto out;
		}
		if (sqlite3_column_int(st, 2) == 1)
			continue;
		if (add(p, other, 0, NULL, seq, e) < 0) {
			e->kind = TERRA_E_VERIFY;
			terra_err_wrap(e, "entry %" PRId64 ": settlement", seq);
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		terra_db_err(db, e, "settled periods");
		goto out;
	}
	rc = add(p, period, late, covers, 0, e);
out:
	sqlite3_finalize(st);
	terra_settle_periods_free(p);
	return rc;
}
