#include "limit.h"

#include "db.h"
#include "money.h"
#include "time.h"

#include <stddef.h>

int terra_limit_revenue(sqlite3 *db, int64_t revenue, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int64_t total = 0, v;
	char have[TERRA_AMOUNT_MAX], add[TERRA_AMOUNT_MAX];
	terra_err sub = {0};
	int rc = -1, step;

	if (terra_db_prepare(db,
	                     "SELECT seq, json_extract(payload, '$.revenue') FROM entries"
	                     " WHERE kind = 'settlement'",
	                     &st, e) < 0)
		return -1;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 1);

		if (!s || terra_money_parse(s, 1, &v, &sub) < 0 || v < 0 ||
		    terra_money_add(total, v, &total, &sub) < 0) {
			terra_err_set(e, TERRA_E_VERIFY, "entry %lld: settlement revenue: %s",
			              (long long)sqlite3_column_int64(st, 0),
			              s ? sub.msg : "missing");
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		terra_db_err(db, e, "read the settled revenue");
		goto out;
	}
	if (revenue < 0 || total > TERRA_REVENUE_MAX - revenue) {
		terra_money_format(total, have);
		terra_money_format(revenue, add);
		terra_err_set(e, TERRA_E_STATE,
		              "revenue: amount out of range: %s already settled + %s exceeds the "
		              "ledger's limit of 9223372036.854775807 in all",
		              have, add);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

int terra_limit_created_at(sqlite3 *db, int64_t now, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	char at[TERRA_TIME_MAX];
	int64_t last;
	terra_err sub = {0};
	int rc = -1, step;

	if (terra_db_prepare(db, "SELECT seq, created_at FROM entries ORDER BY seq DESC LIMIT 1",
	                     &st, e) < 0)
		return -1;
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 1);

		if (!s || terra_time_parse(s, &last, &sub) < 0) {
			terra_err_set(e, TERRA_E_VERIFY, "entry %lld: bad created_at",
			              (long long)sqlite3_column_int64(st, 0));
			goto out;
		}
		if (now < last) {
			terra_time_format(now, at);
			terra_err_set(e, TERRA_E_STATE,
			              "the clock (%s) is before the last entry's created_at (%s): "
			              "ledger times never go backwards",
			              at, s);
			goto out;
		}
	} else if (step != SQLITE_DONE) {
		terra_db_err(db, e, "read the last entry");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}
