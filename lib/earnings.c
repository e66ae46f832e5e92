/* Per-unit earnings recomputed from the ledger; see earnings.h. */
#include "earnings.h"

#include "buf.h"
#include "db.h"
#include "money.h"
#include "settlement.h"
#include "settlestore.h"
#include "split.h"
#include "time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A settlement's unit inputs, read into storage kept from one settlement
 * to the next: a year of hourly settlements for a thousand units is 8.76
 * million inputs, and two allocations each were a third of the time of
 * terra-ledger report. */
struct unit_in {
	size_t id, owner; /* offsets into the list's text */
	int64_t weight;
};

struct unit_list {
	struct unit_in *u;
	size_t n, cap;
	char *text;
	size_t len, textcap;
};

static int add_text(struct unit_list *l, const char *s, size_t *off)
{
	size_t n = strlen(s) + 1, cap;
	char *grown;

	if (l->textcap - l->len < n) {
		for (cap = l->textcap ? l->textcap : 4096; cap - l->len < n; cap *= 2)
			;
		if (!(grown = realloc(l->text, cap)))
			return -1;
		l->text = grown;
		l->textcap = cap;
	}
	memcpy(l->text + l->len, s, n);
	*off = l->len;
	l->len += n;
	return 0;
}

static int add_unit(void *ctx, const char *id, const char *owner, int64_t weight, terra_err *e)
{
	struct unit_list *l = ctx;

	if (terra_grow(&l->u, &l->cap, l->n, sizeof *l->u, 16) < 0)
		return terra_err_sys(e, "earnings");
	if (add_text(l, id, &l->u[l->n].id) < 0 || add_text(l, owner, &l->u[l->n].owner) < 0)
		return terra_err_sys(e, "earnings");
	l->u[l->n++].weight = weight;
	return 0;
}

static void units_free(struct unit_list *l)
{
	free(l->u);
	free(l->text);
}

/* The settlement's inputs into l, replacing what it held. */
static int load_units(terra_settle_reader *sr, const char *period, struct unit_list *l,
                      terra_err *e)
{
	l->n = 0;
	l->len = 0;
	if (terra_settle_reader_units(sr, period, add_unit, l, e) < 0) {
		l->n = 0;
		return terra_err_wrap(e, "earnings: %s", period);
	}
	return 0;
}

#define ID(l, i)    ((l)->text + (l)->u[i].id)
#define OWNER(l, i) ((l)->text + (l)->u[i].owner)

/* One settlement: its contributors' part split over its units. */
static int one(terra_settle_reader *ust, struct unit_list *l, const json_t *payload, int64_t from,
               int64_t to, terra_earning_fn fn, void *ctx, terra_err *e)
{
	const char *period = json_string_value(json_object_get(payload, "period"));
	terra_split_item groups[3], *items = NULL;
	char(*keys)[TERRA_UNIT_ID_HEX + TERRA_PK_HEX] = NULL;
	terra_settle_policy pol;
	int64_t pool, start, end, left;
	size_t n, i;
	int ret = -1;

	if (!period || terra_period_parse(period, &start, &end, e) < 0 ||
	    terra_money_parse(json_string_value(json_object_get(payload, "pool")), 1, &pool, e) <
	        0 ||
	    terra_settle_policy_from_json(json_object_get(payload, "policy"), &pol, 0, e) < 0)
		return terra_err_wrap(e, "earnings: settlement %s", period ? period : "?");
	if ((from || to) && (start < from || end > to))
		return 0;
	if (terra_settle_groups(pool, &pol, groups, &left, e) < 0 ||
	    load_units(ust, period, l, e) < 0)
		return -1;
	n = l->n;
	items = calloc(n ? n : 1, sizeof *items);
	if (!items) {
		terra_err_sys(e, "earnings: %s", period);
		goto out;
	}
	for (i = 0; i < n; i++)
		items[i] = (terra_split_item){ID(l, i), l->u[i].weight, 0};
	for (i = 1; i < n && strcmp(ID(l, i - 1), ID(l, i)); i++)
		;
	if (i < n) { /* a unit with a part per owner: split as terra-settle does */
		if (!(keys = calloc(n, sizeof *keys))) {
			terra_err_sys(e, "earnings: %s", period);
			goto out;
		}
		for (i = 0; i < n; i++) {
			snprintf(keys[i], sizeof keys[i], "%s%s", ID(l, i), OWNER(l, i));
			items[i].id = keys[i];
		}
	}
	if (terra_split_run(groups[0].amount, items, n, &left, e) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (fn(ctx, period, start, end, ID(l, i), OWNER(l, i), l->u[i].weight,
		       items[i].amount, e) < 0)
			goto out;
	ret = 0;
out:
	free(keys);
	free(items);
	return ret;
}

struct each {
	terra_settle_reader *sr;
	struct unit_list units;
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
	r = one(x->sr, &x->units, p, x->from, x->to, x->fn, x->ctx, e);
	json_decref(p);
	return r;
}

int terra_earnings_each(sqlite3 *db, int64_t from, int64_t to, terra_earning_fn fn, void *ctx,
                        terra_err *e)
{
	struct each x = {NULL, {NULL, 0, 0, NULL, 0, 0}, from, to, fn, ctx};
	int ret;

	if (terra_settle_reader_open(db, &x.sr, e) < 0)
		return -1;
	ret = terra_settle_each_payload(db, each_payload, &x, e);
	units_free(&x.units);
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
