/* Per-unit earnings recomputed from the ledger; see earnings.h. */
#include "earnings.h"

#include "db.h"
#include "money.h"
#include "settlement.h"
#include "settlestore.h"
#include "split.h"
#include "time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct unit_in {
	char *id, *owner;
	int64_t weight;
};

static void units_free(struct unit_in *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(u[i].id);
		free(u[i].owner);
	}
	free(u);
}

struct unit_list {
	struct unit_in *u;
	size_t n, cap;
};

static int add_unit(void *ctx, const char *id, const char *owner, int64_t weight, terra_err *e)
{
	struct unit_list *l = ctx;
	struct unit_in *grown;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		if (!(grown = realloc(l->u, l->cap * sizeof *l->u)))
			return terra_err_sys(e, "earnings");
		l->u = grown;
	}
	l->u[l->n].id = strdup(id);
	l->u[l->n].owner = strdup(owner);
	l->u[l->n].weight = weight;
	l->n++;
	if (!l->u[l->n - 1].id || !l->u[l->n - 1].owner)
		return terra_err_sys(e, "earnings");
	return 0;
}

static int load_units(terra_settle_reader *sr, const char *period, struct unit_in **out, size_t *n,
                      terra_err *e)
{
	struct unit_list l = {NULL, 0, 0};

	if (terra_settle_reader_units(sr, period, add_unit, &l, e) < 0) {
		units_free(l.u, l.n);
		*n = 0;
		return terra_err_wrap(e, "earnings: %s", period);
	}
	*out = l.u;
	*n = l.n;
	return 0;
}

/* One settlement: its contributors' part split over its units. */
static int one(terra_settle_reader *ust, const json_t *payload, int64_t from, int64_t to,
               terra_earning_fn fn, void *ctx, terra_err *e)
{
	const char *period = json_string_value(json_object_get(payload, "period"));
	terra_split_item groups[3], *items = NULL;
	char(*keys)[TERRA_UNIT_ID_HEX + TERRA_PK_HEX] = NULL;
	terra_settle_policy pol;
	struct unit_in *u = NULL;
	int64_t pool, start, end, left;
	size_t n = 0, i;
	int ret = -1;

	if (!period || terra_period_parse(period, &start, &end, e) < 0 ||
	    terra_money_parse(json_string_value(json_object_get(payload, "pool")), 1, &pool, e) <
	        0 ||
	    terra_settle_policy_from_json(json_object_get(payload, "policy"), &pol, 0, e) < 0)
		return terra_err_wrap(e, "earnings: settlement %s", period ? period : "?");
	if ((from || to) && (start < from || end > to))
		return 0;
	if (terra_settle_groups(pool, &pol, groups, &left, e) < 0 ||
	    load_units(ust, period, &u, &n, e) < 0)
		return -1;
	items = calloc(n ? n : 1, sizeof *items);
	if (!items) {
		terra_err_sys(e, "earnings: %s", period);
		goto out;
	}
	for (i = 0; i < n; i++)
		items[i] = (terra_split_item){u[i].id, u[i].weight, 0};
	for (i = 1; i < n && strcmp(u[i - 1].id, u[i].id); i++)
		;
	if (i < n) { /* a unit with a part per owner: split as terra-settle does */
		if (!(keys = calloc(n, sizeof *keys))) {
			terra_err_sys(e, "earnings: %s", period);
			goto out;
		}
		for (i = 0; i < n; i++) {
			snprintf(keys[i], sizeof keys[i], "%s%s", u[i].id, u[i].owner);
			items[i].id = keys[i];
		}
	}
	if (terra_split_run(groups[0].amount, items, n, &left, e) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (fn(ctx, period, start, end, u[i].id, u[i].owner, u[i].weight, items[i].amount,
		       e) < 0)
			goto out;
	ret = 0;
out:
	free(keys);
	free(items);
	units_free(u, n);
	return ret;
}

struct each {
	terra_settle_reader *sr;
	int64_t from, to;
	terra_earning_fn fn;
	void *ctx;
};

static int each_payload(void *ctx, const char *text, terra_err *e)
{
	struct each *x = ctx;
	json_t *p = json_loads(text, 0, NULL);
	int r;

	if (!p)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "earnings: a settlement payload is not JSON");
	r = one(x->sr, p, x->from, x->to, x->fn, x->ctx, e);
	json_decref(p);
	return r;
}

int terra_earnings_each(sqlite3 *db, int64_t from, int64_t to, terra_earning_fn fn, void *ctx,
                        terra_err *e)
{
	struct each x = {NULL, from, to, fn, ctx};
	int ret;

	if (terra_settle_reader_open(db, &x.sr, e) < 0)
		return -1;
	ret = terra_settle_each_payload(db, each_payload, &x, e);
	terra_settle_reader_close(x.sr);
	return ret;
}

static int add_row(void *ctx, const char *period, int64_t start, int64_t end, const char *unit,
                   const char *owner, int64_t weight, int64_t amount, terra_err *e)
{
	char a[TERRA_AMOUNT_MAX];
	json_t *r;

	(void)start;
	(void)end;
	terra_money_format(amount, a);
	r = json_pack("{s:s, s:i, s:s, s:s, s:s, s:I, s:s}", "type", "earning", "v", 1, "period",
	              period, "unit", unit, "owner", owner, "weight", (json_int_t)weight, "amount",
	              a);
	if (!r || json_array_append_new(ctx, r) < 0)
		return terra_err_set(e, TERRA_E_SYS, "earnings: out of memory");
	return 0;
}

int terra_earnings_rows(sqlite3 *db, int64_t from, int64_t to, json_t **rows, terra_err *e)
{
	*rows = json_array();
	if (!*rows)
		return terra_err_set(e, TERRA_E_SYS, "earnings: out of memory");
	if (terra_earnings_each(db, from, to, add_row, *rows, e) < 0) {
		json_decref(*rows);
		*rows = NULL;
		return -1;
	}
	return 0;
}
