/* Units' health as history; see healthlog.h. */
#include "healthlog.h"

#include "db.h"

#include <string.h>

static const char *text(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s ? (const char *)s : "";
}

int terra_healthlog_rows(sqlite3 *db, const char *unit, json_t **rows, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (terra_db_prepare(db,
	                     "SELECT unit, status, checked_at, reason FROM unit_health_history"
	                     " WHERE ?1 IS NULL OR unit = ?1 ORDER BY unit, id",
	                     &st, e) < 0)
		return -1;
	if (unit)
		sqlite3_bind_text(st, 1, unit, -1, SQLITE_STATIC);
	*rows = json_array();
	while (*rows && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *r = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s}", "type", "health", "v", 1,
		                      "unit", text(st, 0), "status", text(st, 1), "checked_at",
		                      text(st, 2), "reason", text(st, 3));

		if (!r || json_array_append_new(*rows, r) < 0) {
			json_decref(*rows);
			*rows = NULL;
		}
	}
	sqlite3_finalize(st);
	if (!*rows)
		return terra_err_set(e, TERRA_E_SYS, "health history: out of memory");
	if (rc != SQLITE_DONE) {
		json_decref(*rows);
		*rows = NULL;
		return terra_db_err(db, e, "read health history");
	}
	return 0;
}

int terra_healthlog_annotate(sqlite3 *db, json_t *rows, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	json_t *r;
	size_t i;
	int ret = -1;

	if (terra_db_prepare(db, "SELECT status, checked_at FROM unit_health WHERE unit = ?", &st,
	                     e) < 0)
		return -1;
	json_array_foreach(rows, i, r)
	{
		const char *unit = json_string_value(json_object_get(r, "unit"));
		int found;

		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, unit ? unit : "", -1, SQLITE_TRANSIENT);
		found = sqlite3_step(st) == SQLITE_ROW;
		if (json_object_set_new(r, "health", json_string(found ? text(st, 0) : "unknown")) <
		        0 ||
		    json_object_set_new(r, "health_at", json_string(found ? text(st, 1) : "")) <
		        0) {
			terra_err_set(e, TERRA_E_SYS, "health: out of memory");
			goto out;
		}
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

/* (healthlog.h) */ int terra_healthlog_changes(json_t **rows, terra_err *e)
{
	const char *unit = NULL, *status = NULL;
	json_t *kept = json_array(), *row;
	size_t i;

	if (!kept)
		return terra_err_set(e, TERRA_E_SYS, "health history: out of memory");
	json_array_foreach(*rows, i, row)
	{
		const char *u = json_string_value(json_object_get(row, "unit"));
		const char *s = json_string_value(json_object_get(row, "status"));

		if (!u || !s) {
			json_decref(kept);
			return terra_err_set(e, TERRA_E_SYS,
			                     "health history: a health row without unit or status");
		}
		if (unit && !strcmp(u, unit) && !strcmp(s, status))
			continue;
		if (json_array_append(kept, row) < 0) {
			json_decref(kept);
			return terra_err_set(e, TERRA_E_SYS, "health history: out of memory");
		}
		unit = u;
		status = s;
	}
	json_decref(*rows);
	*rows = kept;
	return 0;
}
