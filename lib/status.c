/* The status view; see status.h. */
#include "status.h"

#include "earnings.h"
#include "healthlog.h"
#include "ledger.h"
#include "money.h"
#include "settlestore.h"
#include "time.h"
#include "unit.h"
#include "unitlock.h"

#include <string.h>

/* Per unit: the latest end with work, settled periods, and the sum earned. */
static int tally(void *ctx, const char *period, int64_t start, int64_t end, const char *unit,
                 const char *owner, int64_t weight, int64_t amount, terra_err *e)
{
	json_t *t = json_object_get(ctx, unit), *v;
	int64_t sum;

	(void)period;
	(void)start;
	(void)owner;
	if (!t) {
		t = json_pack("{s:I, s:I, s:I}", "last", (json_int_t)-1, "n", (json_int_t)0, "sum",
		              (json_int_t)0);
		if (!t || json_object_set_new(ctx, unit, t) < 0)
			return terra_err_set(e, TERRA_E_SYS, "status: out of memory");
	}
	v = json_object_get(t, "n");
	json_integer_set(v, json_integer_value(v) + 1);
	if (weight > 0 && end > json_integer_value(json_object_get(t, "last")))
		json_integer_set(json_object_get(t, "last"), end);
	if (terra_money_add(json_integer_value(json_object_get(t, "sum")), amount, &sum, e) < 0)
		return -1;
	json_integer_set(json_object_get(t, "sum"), sum);
	return 0;
}

struct unit_rows {
	terra_home *h;
	json_t *tallies, *rows;
};

/* One unit-status row: its state and device, whether a command holds it,
 * and what its settlements earned (from the tallies). */
static int unit_row(void *ctx, const terra_unit_row *u, terra_err *e)
{
	struct unit_rows *x = ctx;
	json_t *t = json_object_get(x->tallies, u->unit), *r;
	int64_t last = t ? json_integer_value(json_object_get(t, "last")) : -1;
	char when[TERRA_TIME_MAX] = "", amount[TERRA_AMOUNT_MAX], who[32], running[64] = "";
	long pid = terra_unitlock_holder(x->h, u->unit, who, sizeof who);

	if (pid > 0)
		snprintf(running, sizeof running, "%s (pid %ld)", who, pid);
	if (last >= 0)
		terra_time_format(last, when);
	terra_money_format(t ? json_integer_value(json_object_get(t, "sum")) : 0, amount);
	r = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "type", "unit-status",
	              "v", 1, "unit", u->unit, "state", u->state, "kind", u->kind, "name",
	              u->device_name, "running", running, "last_work", when, "periods",
	              (json_int_t)(t ? json_integer_value(json_object_get(t, "n")) : 0), "earned",
	              amount);
	if (!r || json_array_append_new(x->rows, r) < 0)
		return terra_err_set(e, TERRA_E_SYS, "status: out of memory");
	return 0;
}

static int unit_rows(terra_home *h, json_t *tallies, json_t **rows, terra_err *e)
{
	struct unit_rows x = {h, tallies, json_array()};

	*rows = NULL;
	if (!x.rows)
		return terra_err_set(e, TERRA_E_SYS, "status: out of memory");
	if (terra_unit_each(h->db, unit_row, &x, e) < 0) {
		json_decref(x.rows);
		return -1;
	}
	*rows = x.rows;
	return terra_healthlog_annotate(h->db, *rows, e);
}

static int64_t count_of(const json_t *rows, const char *health)
{
	const json_t *r;
	int64_t n = 0;
	size_t i;

	json_array_foreach(rows, i, r) n +=
	    !strcmp(json_string_value(json_object_get(r, "health")), health);
	return n;
}

static int64_t running_of(const json_t *rows)
{
	const json_t *r;
	int64_t n = 0;
	size_t i;

	json_array_foreach(rows, i, r) n += *json_string_value(json_object_get(r, "running")) != 0;
	return n;
}

static int home_row(terra_home *h, int verify, const json_t *units, json_t **out, terra_err *e)
{
	json_t *bal = NULL, *v, *ver = json_null();
	int64_t owed = 0, until = -1, now = 0, hours = 0;
	char owed_s[TERRA_AMOUNT_MAX], paid_s[TERRA_AMOUNT_MAX], until_s[TERRA_TIME_MAX] = "";
	char why[TERRA_ERR_MAX] = "";
	const char *acct;
	char last[64];
	int64_t entries = 0, settlements = 0, checkpoint;

	if (terra_ledger_balances(h->db, &bal, e) < 0 || terra_time_now(&now, e) < 0)
		goto fail;
	json_object_foreach(bal, acct, v)
	{
		if (json_integer_value(v) > 0 && strcmp(acct, "paid") && strcmp(acct, "carry") &&
		    terra_money_add(owed, json_integer_value(v), &owed, e) < 0)
			goto fail;
	}
	terra_money_format(owed, owed_s);
	terra_money_format(json_integer_value(json_object_get(bal, "paid")), paid_s);
	if (terra_ledger_sizes(h->db, &entries, &checkpoint, e) < 0 ||
	    terra_settle_summary(h->db, &settlements, last, e) < 0)
		goto fail;
	if (*last && terra_time_parse(last, &until, e) == 0) {
		terra_time_format(until, until_s);
		hours = now > until ? (now - until) / 3600000000 : 0;
	}
	if (verify) {
		terra_ledger_report rep;
		terra_err ve = {0};

		if (terra_ledger_verify(h, &rep, &ve) == 0) {
			terra_ledger_report_free(&rep);
			ver = json_true();
		} else {
			ver = json_false();
			snprintf(why, sizeof why, "%s", ve.msg);
		}
	}
	*out =
	    json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:I, s:s, s:s, s:o}", "type",
	              "status", "v", 1, "units", (json_int_t)json_array_size(units), "sick",
	              (json_int_t)count_of(units, "sick"), "degraded",
	              (json_int_t)count_of(units, "degraded"), "running",
	              (json_int_t)running_of(units), "entries", (json_int_t)entries, "settlements",
	              (json_int_t)settlements, "settled_until", until_s, "unsettled_hours",
	              (json_int_t)hours, "owed", owed_s, "paid", paid_s, "verified", ver);
	if (*out && *why && json_object_set_new(*out, "verify_error", json_string(why)) < 0) {
		json_decref(*out); /* never a status saying "verified": false without why */
		*out = NULL;
	}
	json_decref(bal);
	if (!*out)
		return terra_err_set(e, TERRA_E_SYS, "status: out of memory");
	return 0;
fail:
	json_decref(bal);
	json_decref(ver);
	return -1;
}

int terra_status(terra_home *h, int verify, json_t **units, json_t **home, terra_err *e)
{
	json_t *tallies = json_object();

	*units = *home = NULL;
	if (!tallies)
		return terra_err_set(e, TERRA_E_SYS, "status: out of memory");
	if (terra_earnings_each(h->db, 0, 0, tally, tallies, e) < 0 ||
	    unit_rows(h, tallies, units, e) < 0 || home_row(h, verify, *units, home, e) < 0) {
		json_decref(tallies);
		json_decref(*units);
		*units = NULL;
		return -1;
	}
	json_decref(tallies);
	return 0;
}
