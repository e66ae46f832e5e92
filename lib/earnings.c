/* Per-unit earnings recomputed from the ledger; see earnings.h. */
#include "earnings.h"

#include "db.h"
#include "money.h"
#include "settlement.h"
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

static int load_units(sqlite3_stmt *st, const char *period, struct unit_in **out, size_t *n,
                      terra_err *e)
{
	struct unit_in *u = NULL, *grown;
	size_t cap = 0;
	int rc;

	*n = 0;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, period, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			if (!(grown = realloc(u, cap * sizeof *u)))
				goto oom;
			u = grown;
		}
		u[*n].id = strdup((const char *)sqlite3_column_text(st, 0));
		u[*n].owner = strdup((const char *)sqlite3_column_text(st, 1));
		u[*n].weight = sqlite3_column_int64(st, 2);
		(*n)++;
		if (!u[*n - 1].id || !u[*n - 1].owner)
			goto oom;
	}
	if (rc != SQLITE_DONE) {
		units_free(u, *n);
		return terra_err_set(e, TERRA_E_SYS, "earnings: read the inputs of %s", period);
	}
	*out = u;
	return 0;
oom:
	units_free(u, *n);
	return terra_err_sys(e, "earnings: %s", period);
}

/* One settlement: its contributors' part split over its units. */
static int one(sqlite3_stmt *ust, const json_t *payload, int64_t from, int64_t to,
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

int terra_earnings_each(sqlite3 *db, int64_t from, int64_t to, terra_earning_fn fn, void *ctx,
                        terra_err *e)
{
	sqlite3_stmt *st = NULL, *ust = NULL;
	int rc, ret = -1;

	if (terra_db_prepare(
	        db,
	        "SELECT e.payload FROM settlements s JOIN entries e ON e.seq = s.entry_seq"
	        " ORDER BY e.seq",
	        &st, e) < 0 ||
	    terra_db_prepare(db,
	                     "SELECT id, coalesce(owner, ''), weight FROM settlement_inputs"
	                     " WHERE period = ? AND role = 'unit' ORDER BY id, owner",
	                     &ust, e) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *p = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
		int r;

		if (!p) {
			terra_err_set(e, TERRA_E_INPUT,
			              "earnings: a settlement payload is not JSON");
			goto out;
		}
		r = one(ust, p, from, to, fn, ctx, e);
		json_decref(p);
		if (r < 0)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		terra_db_err(db, e, "earnings: read settlements");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(ust);
	sqlite3_finalize(st);
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
