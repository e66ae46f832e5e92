/* terra-ledger status and earnings; see status.h. */
#include "cmd/ledger/status.h"

#include "lib/earnings.h"
#include "lib/home.h"
#include "lib/out.h"
#include "lib/record.h"
#include "lib/status.h"
#include "lib/time.h"

#include <stdio.h>
#include <string.h>

static const struct terra_col unit_cols[] = {
    {"unit", TERRA_COL_ID},       {"state", TERRA_COL_TEXT},     {"health", TERRA_COL_TEXT},
    {"running", TERRA_COL_TEXT},  {"last_work", TERRA_COL_AUTO}, {"periods", TERRA_COL_NUMBER},
    {"earned", TERRA_COL_AMOUNT}, {NULL, TERRA_COL_AUTO}};
static const char *const unit_csv[] = {"unit",    "state",     "kind",    "name",
                                       "health",  "health_at", "running", "last_work",
                                       "periods", "earned",    NULL};
static const struct terra_col home_cols[] = {
    {"home", TERRA_COL_TEXT}, {"value", TERRA_COL_TEXT}, {NULL, TERRA_COL_AUTO}};
static const char *const home_keys[] = {
    "units",   "sick",        "degraded",      "running",
    "entries", "settlements", "settled_until", "unsettled_hours",
    "owed",    "paid",        "verified",      "verify_error",
    NULL};

/* The home record as rows {home: KEY, value: TEXT} for a person. */
static json_t *home_rows(const json_t *rec)
{
	json_t *rows = json_array();
	size_t i;

	for (i = 0; rows && home_keys[i]; i++) {
		const json_t *v = json_object_get(rec, home_keys[i]);
		char text[TERRA_ERR_MAX + 16];

		if (!v)
			continue;
		if (json_is_integer(v))
			snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else if (json_is_boolean(v))
			snprintf(text, sizeof text, "%s", json_is_true(v) ? "yes" : "NO");
		else if (json_is_null(v))
			snprintf(text, sizeof text, "not checked");
		else if (!strcmp(home_keys[i], "owed") || !strcmp(home_keys[i], "paid"))
			snprintf(text, sizeof text, "%s TERRA", json_string_value(v));
		else
			snprintf(text, sizeof text, "%s", json_string_value(v));
		if (json_array_append_new(
		        rows, json_pack("{s:s, s:s}", "home", home_keys[i], "value", text)) < 0) {
			json_decref(rows);
			return NULL;
		}
	}
	return rows;
}

static const char *const earning_cols[] = {"period", "unit", "owner", "weight", "amount", NULL};

int ledger_status(const char *home, enum terra_out out, int verify)
{
	json_t *units = NULL, *rec = NULL, *one;
	enum terra_out mode = terra_out_resolve(out);
	terra_err e = {0};
	terra_home h;
	size_t i;
	int rc;

	if (terra_home_open(&h, home, TERRA_HOME_READONLY, &e) < 0)
		terra_die_err(&e);
	rc = terra_status(&h, verify, &units, &rec, &e);
	terra_home_close(&h);
	if (rc < 0)
		terra_die_err(&e);
	if (mode == TERRA_OUT_JSON) {
		json_array_foreach(units, i, one) if (terra_rec_write(stdout, one, &e) < 0)
		    terra_die_err(&e);
		rc = terra_rec_write(stdout, rec, &e);
	} else if (mode == TERRA_OUT_CSV) {
		rc = terra_out_rows(stdout, mode, unit_csv, units, &e);
	} else {
		json_t *homes = home_rows(rec);

		if (!homes)
			terra_dief("status: out of memory");
		rc = terra_out_table(stdout, mode, unit_cols, units, &e);
		if (rc == 0 && fputs("\n", stdout) != EOF)
			rc = terra_out_table(stdout, mode, home_cols, homes, &e);
		json_decref(homes);
	}
	if (rc < 0)
		terra_die_err(&e);
	if (json_is_false(json_object_get(rec, "verified")))
		terra_warnf("the ledger does not verify: %s",
		            json_string_value(json_object_get(rec, "verify_error")));
	rc = json_is_false(json_object_get(rec, "verified")) ? TERRA_EXIT_FAIL : TERRA_EXIT_OK;
	json_decref(units);
	json_decref(rec);
	return rc;
}

int ledger_earnings(const char *home, enum terra_out out, const char *usage_text,
                    const char *period)
{
	char canon[2 * TERRA_TIME_MAX];
	int64_t from = 0, to = 0;
	terra_err e = {0};
	json_t *rows = NULL;
	terra_home h;
	int rc;

	if (period) {
		terra_cli_period(usage_text, period, canon);
		if (terra_period_parse(canon, &from, &to, &e) < 0)
			terra_die_err(&e);
	}
	if (terra_home_open(&h, home, TERRA_HOME_READONLY, &e) < 0)
		terra_die_err(&e);
	rc = terra_earnings_rows(h.db, from, to, &rows, &e);
	terra_home_close(&h);
	if (rc < 0 || terra_out_rows(stdout, terra_out_resolve(out), earning_cols, rows, &e) < 0)
		terra_die_err(&e);
	json_decref(rows);
	return TERRA_EXIT_OK;
}
