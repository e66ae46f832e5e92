/* The dashboard's periods; see reportrows.h. */
#include "reportrows.h"

#include "reporttop.h"
#include "time.h"

#include <stdio.h>
#include <string.h>

void terra_reportrows_label(int by, int64_t start, char out[TERRA_REPORT_LABEL_MAX])
{
	char t[TERRA_TIME_MAX];
	int64_t day = start / 86400000000, monday;

	if (by == TERRA_REPORT_BY_WEEK) {
		monday = day - ((day + 3) % 7); /* 1970-01-01 was a Thursday */
		terra_time_format(monday * 86400000000, t);
		snprintf(out, TERRA_REPORT_LABEL_MAX, "week of %.10s", t);
		return;
	}
	terra_time_format(start, t);
	if (by == TERRA_REPORT_BY_DAY)
		snprintf(out, TERRA_REPORT_LABEL_MAX, "%.10s", t);
	else
		snprintf(out, TERRA_REPORT_LABEL_MAX, "%.13s:00", t);
}

size_t terra_reportrows_count(const json_t *by_label)
{
	const char *label;
	json_t *m;
	size_t rows = 0, n;

	json_object_foreach((json_t *)by_label, label, m)
	{
		n = json_object_size(m);
		rows += n > TERRA_REPORT_TOP + 1 ? TERRA_REPORT_TOP + 1 : n;
	}
	return rows;
}

/* Adds src into dst, the same shape: integers summed, arrays element by
 * element, objects member by member (a member dst lacks copied). */
static int add_into(json_t *dst, json_t *src)
{
	const char *key;
	json_t *v, *d;
	json_int_t sum;
	size_t i;
	int r;

	if (json_is_integer(src)) {
		if (!json_is_integer(dst))
			return -1;
		if (__builtin_add_overflow(json_integer_value(dst), json_integer_value(src), &sum))
			return -2;
		return json_integer_set(dst, sum);
	}
	if (json_is_array(src)) {
		if (!json_is_array(dst) || json_array_size(dst) != json_array_size(src))
			return -1;
		json_array_foreach(src, i,
		                   v) if ((r = add_into(json_array_get(dst, i), v)) < 0) return r;
		return 0;
	}
	if (!json_is_object(src) || !json_is_object(dst))
		return -1;
	json_object_foreach(src, key, v)
	{
		if ((d = json_object_get(dst, key))) {
			if ((r = add_into(d, v)) < 0)
				return r;
		} else if (json_object_set_new(dst, key, json_deep_copy(v)) < 0) {
			return -1;
		}
	}
	return 0;
}

int terra_reportrows_regroup(int by, json_t **starts, json_t **labels, json_t **maps, size_t nmaps,
                             terra_err *e)
{
	json_t *out[8] = {NULL}, *nl = json_array(), *ns = json_object(), *seen = json_object();
	json_t *old, *v, *d;
	char b[TERRA_REPORT_LABEL_MAX];
	const char *label;
	size_t i, k;
	int bad = !nl || !ns || !seen || nmaps > 8, r = 0;

	for (k = 0; k < nmaps && !bad; k++)
		bad = !(out[k] = json_object());
	/* the new labels in the order of the old, each with an instant within it */
	json_object_foreach(*starts, label, v)
	{
		if (bad)
			break;
		terra_reportrows_label(by, json_integer_value(v), b);
		if (!json_object_get(ns, b))
			bad = json_object_set_new(ns, b, json_integer(json_integer_value(v))) < 0;
	}
	json_array_foreach(*labels, i, old)
	{
		if (bad)
			break;
		terra_reportrows_label(
		    by, json_integer_value(json_object_get(*starts, json_string_value(old))), b);
		if (!json_object_get(seen, b))
			bad = json_array_append_new(nl, json_string(b)) < 0 ||
			      json_object_set_new(seen, b, json_true()) < 0;
	}
	for (k = 0; k < nmaps && !bad; k++)
		json_object_foreach(maps[k], label, v)
		{
			terra_reportrows_label(
			    by, json_integer_value(json_object_get(*starts, label)), b);
			if ((d = json_object_get(out[k], b)))
				bad = (r = add_into(d, v)) < 0;
			else
				bad = json_object_set_new(out[k], b, json_deep_copy(v)) < 0;
			if (bad)
				break;
		}
	json_decref(seen);
	if (bad) {
		for (k = 0; k < nmaps; k++)
			json_decref(out[k]);
		json_decref(nl);
		json_decref(ns);
		if (r == -2) {
			terra_err_set(e, TERRA_E_INPUT,
			              "report: a sum past int64 regrouping periods");
			return -2;
		}
		return terra_err_set(e, TERRA_E_SYS, "report: out of memory");
	}
	for (k = 0; k < nmaps; k++) {
		json_decref(maps[k]);
		maps[k] = out[k];
	}
	json_decref(*labels);
	*labels = nl;
	json_decref(*starts);
	*starts = ns;
	return 0;
}

int terra_reportrows_fit(int *by, size_t max, json_t **starts, json_t **labels, json_t **maps,
                         size_t nmaps, size_t counted, terra_err *e)
{
	size_t k, rows, most;
	int r;

	while (*by < TERRA_REPORT_BY_WEEK) {
		for (most = 0, k = counted; k < nmaps; k++)
			if ((rows = terra_reportrows_count(maps[k])) > most)
				most = rows;
		if (most <= max)
			break;
		if ((r = terra_reportrows_regroup(*by + 1, starts, labels, maps, nmaps, e)) == -2)
			return 0; /* the shorter periods stay */
		if (r < 0)
			return -1;
		++*by;
	}
	return 0;
}
