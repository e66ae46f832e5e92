/* The dashboard's top units and the rest summed; see reporttop.h. */
#include "reporttop.h"

#include "money.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Work over a range or many units passes int64 (a year of one fast GPU's
 * weight does): its sums are 128-bit, written as decimal text. */
__extension__ typedef __int128 wide_t;

static void wide_format(wide_t v, char out[48])
{
	char tmp[48];
	size_t n = 0, i = 0;
	int neg = v < 0;

	do {
		int d = (int)(v % 10);

		tmp[n++] = (char)('0' + (d < 0 ? -d : d));
		v /= 10;
	} while (v);
	if (neg)
		out[i++] = '-';
	while (n)
		out[i++] = tmp[--n];
	out[i] = '\0';
}

static int64_t value_of(const json_t *v, int idx)
{
	return json_integer_value(idx < 0 ? v : json_array_get(v, (size_t)idx));
}

json_t *terra_reporttop_wide_sums(const json_t *by_label, int idx)
{
	json_t *sums = json_object(), *m, *v, *out = json_object();
	const char *label, *key;
	char text[48];

	if (!sums || !out)
		goto fail;
	/* the running sums as two int64 halves in an array: [high, low] */
	json_object_foreach((json_t *)by_label, label, m)
	{
		json_object_foreach(m, key, v)
		{
			json_t *n = json_object_get(sums, key);
			wide_t w;

			if (!n && json_object_set_new(
			              sums, key,
			              n = json_pack("[I,I]", (json_int_t)0, (json_int_t)0)) < 0)
				goto fail;
			if (!n)
				goto fail;
			w = (wide_t)json_integer_value(json_array_get(n, 0)) * ((wide_t)1 << 62) +
			    json_integer_value(json_array_get(n, 1)) + value_of(v, idx);
			json_integer_set(json_array_get(n, 0), (json_int_t)(w / ((wide_t)1 << 62)));
			json_integer_set(json_array_get(n, 1), (json_int_t)(w % ((wide_t)1 << 62)));
		}
	}
	json_object_foreach(sums, key, v)
	{
		wide_format((wide_t)json_integer_value(json_array_get(v, 0)) * ((wide_t)1 << 62) +
		                json_integer_value(json_array_get(v, 1)),
		            text);
		if (json_object_set_new(out, key, json_string(text)) < 0)
			goto fail;
	}
	json_decref(sums);
	return out;
fail:
	json_decref(sums);
	json_decref(out);
	return NULL;
}

json_t *terra_reporttop_sums(const json_t *by_label, int idx)
{
	json_t *sums = json_object(), *m, *v, *n;
	const char *label, *key;

	if (!sums)
		return NULL;
	json_object_foreach((json_t *)by_label, label, m)
	{
		json_object_foreach(m, key, v)
		{
			n = json_object_get(sums, key);
			if (!n && json_object_set_new(sums, key, n = json_integer(0)) < 0) {
				json_decref(sums);
				return NULL;
			}
			json_integer_set(n, json_integer_value(n) + value_of(v, idx));
		}
	}
	return sums;
}

struct ranked {
	const char *key;
	int64_t sum;
};

static int by_sum(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->sum != y->sum)
		return x->sum > y->sum ? -1 : 1;
	return strcmp(x->key, y->key);
}

json_t *terra_reporttop_order(const json_t *sums)
{
	size_t n = json_object_size(sums), i = 0;
	struct ranked *r = calloc(n ? n : 1, sizeof *r);
	json_t *order = json_array(), *v;
	const char *key;
	int bad = !r || !order;

	if (!bad) {
		json_object_foreach((json_t *)sums, key, v)
		{
			r[i].key = key;
			r[i++].sum = json_integer_value(v);
		}
		qsort(r, n, sizeof *r, by_sum);
		for (i = 0; i < n && !bad; i++)
			bad = json_array_append_new(order, json_string(r[i].key)) < 0;
	}
	free(r);
	if (bad) {
		json_decref(order);
		return NULL;
	}
	return order;
}

/* Adds v (integer or array) into the other slot of m. */
static int add_other(json_t *m, const char *other, const json_t *v)
{
	json_t *o = json_object_get(m, other);
	size_t i, n = json_array_size(v);

	int64_t sum;

	if (json_is_integer(v)) {
		if (!o)
			return json_object_set_new(m, other, json_integer(json_integer_value(v)));
		if (__builtin_add_overflow(json_integer_value(o), json_integer_value(v), &sum))
			return -1;
		return json_integer_set(o, sum);
	}
	if (!o) {
		if (!(o = json_array()) || json_object_set_new(m, other, o) < 0)
			return -1;
		for (i = 0; i <= n; i++)
			if (json_array_append_new(o, json_integer(0)) < 0)
				return -1;
	}
	for (i = 0; i < n; i++) {
		if (__builtin_add_overflow(value_of(o, (int)i), value_of(v, (int)i), &sum))
			return -1;
		json_integer_set(json_array_get(o, i), sum);
	}
	return json_integer_set(json_array_get(o, n), value_of(o, (int)n) + 1);
}

int terra_reporttop_fold(json_t *by_label, const json_t *order, size_t n, const char *other,
                         size_t *folded, terra_err *e)
{
	json_t *keep, *drop, *m, *v;
	const char *label, *key;
	size_t i;
	int bad = 0;

	*folded = 0;
	if (json_array_size(order) <= n)
		return 0;
	*folded = json_array_size(order) - n;
	keep = json_object();
	drop = json_array();
	if (!keep || !drop) {
		json_decref(keep);
		json_decref(drop);
		return terra_err_set(e, TERRA_E_SYS, "report: out of memory");
	}
	for (i = 0; i < n && !bad; i++)
		bad = json_object_set_new(keep, json_string_value(json_array_get(order, i)),
		                          json_true()) < 0;
	json_object_foreach((json_t *)by_label, label, m)
	{
		/* the keys to fold first: m does not change while iterated */
		json_array_clear(drop);
		json_object_foreach(m, key, v)
		{
			if (!bad && !json_object_get(keep, key) && strcmp(key, other) != 0)
				bad = json_array_append_new(drop, json_string(key)) < 0;
		}
		json_array_foreach(drop, i, v)
		{
			key = json_string_value(v);
			bad = bad || add_other(m, other, json_object_get(m, key)) < 0 ||
			      json_object_del(m, key) < 0;
		}
	}
	json_decref(keep);
	json_decref(drop);
	return bad ? terra_err_set(
	                 e, TERRA_E_SYS,
	                 "report: out of memory, or the other units' sum in a period past "
	                 "2^63 - 1")
	           : 0;
}

int terra_reporttop_apply(terra_reporttop *t, json_t *units, json_t *usage, json_t *owners,
                          terra_err *e)
{
	json_t *own = terra_reporttop_sums(owners, -1);
	json_t *owner_order = own ? terra_reporttop_order(own) : NULL;
	size_t ignored;
	int ret = -1;

	t->work = terra_reporttop_wide_sums(units, 0);
	t->earned = terra_reporttop_sums(units, 1);
	t->order = t->earned ? terra_reporttop_order(t->earned) : NULL;
	if (!owner_order || !t->work || !t->order)
		terra_err_set(e, TERRA_E_SYS, "report: out of memory");
	else if (terra_reporttop_fold(units, t->order, TERRA_REPORT_TOP, TERRA_REPORT_OTHER_UNITS,
	                              &t->other_units, e) == 0 &&
	         terra_reporttop_fold(usage, t->order, TERRA_REPORT_TOP, TERRA_REPORT_OTHER_UNITS,
	                              &ignored, e) == 0 &&
	         terra_reporttop_fold(owners, owner_order, TERRA_REPORT_TOP,
	                              TERRA_REPORT_OTHER_OWNERS, &t->other_owners, e) == 0)
		ret = 0;
	json_decref(own);
	json_decref(owner_order);
	return ret;
}

void terra_reporttop_free(terra_reporttop *t)
{
	json_decref(t->work);
	json_decref(t->earned);
	json_decref(t->order);
}

int64_t terra_reporttop_count(const json_t *pair)
{
	return json_array_size(pair) > 2 ? json_integer_value(json_array_get(pair, 2)) : 1;
}

void terra_reporttop_note(FILE *f, const char *id, const char *what, size_t other, const char *row)
{
	if (!other)
		return;
	fprintf(f,
	        "<p class=\"note\" id=\"%s\">%zu %s: the tables and charts per period show "
	        "the %d that earned the most over the range and sum the other %zu as one row, "
	        "&quot;%s&quot;. <code>terra-ledger earnings -o csv</code> gives every unit's "
	        "figures per settled period.</p>\n",
	        id, other + TERRA_REPORT_TOP, what, TERRA_REPORT_TOP, other, row);
}

static void id_td(FILE *f, const char *s)
{
	fputs("<td class=\"id\">", f);
	for (; *s; s++) {
		if (*s == '<' || *s == '>' || *s == '&' || *s == '"')
			fprintf(f, "&#%d;", *s);
		else
			putc(*s, f);
	}
	fputs("</td>", f);
}

void terra_reporttop_totals(FILE *f, const terra_reporttop *t, const json_t *usage)
{
	const json_t *work = t->work, *earned = t->earned, *order = t->order;
	char a[TERRA_AMOUNT_MAX];
	json_t *k, *u;
	size_t i;

	fputs("<div class=\"fig\"><table id=\"unit-totals\"><caption>each unit over the range, "
	      "most earned first</caption><thead><tr><th>unit</th><th>work</th><th>earned</th>"
	      "<th>busy (h)</th><th>verified work</th><th>verified rate (work/s)</th></tr>"
	      "</thead><tbody>\n",
	      f);
	json_array_foreach((json_t *)order, i, k)
	{
		const char *unit = json_string_value(k);
		int64_t busy, vw;

		fputs("<tr>", f);
		id_td(f, unit);
		terra_money_format(json_integer_value(json_object_get(earned, unit)), a);
		fprintf(f, "<td class=\"n\">%s</td><td class=\"n\">%s</td>",
		        json_string_value(json_object_get(work, unit)), a);
		if (!(u = json_object_get(usage, unit))) {
			fputs("<td></td><td></td><td></td></tr>\n", f);
			continue;
		}
		busy = json_integer_value(json_array_get(u, 0));
		vw = json_integer_value(json_array_get(u, 1));
		fprintf(f,
		        "<td class=\"n\">%" PRId64 ".%06" PRId64 "</td><td class=\"n\">%" PRId64
		        "</td><td class=\"n\">%.3Lf</td></tr>\n",
		        busy / 3600000000, busy % 3600000000 / 3600, vw,
		        busy > 0 ? (long double)vw * 1e6L / (long double)busy : 0.0L);
	}
	fputs("</tbody></table></div>\n", f);
}
