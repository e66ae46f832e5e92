/* Verified work per busy second from meter records; see unitrate.h. */
#include "unitrate.h"

#include "buf.h"
#include "reportuse.h"
#include "split.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec {
	int64_t start, busy_us, weight;
};

struct unitlist {
	struct rec *v;
	size_t n, cap;
};

struct ctx {
	json_t *units; /* unit -> integer: the index of its list in lists */
	struct unitlist *lists;
	size_t n, cap;
	void (*bad)(void *ctx, const terra_err *e);
	void *bad_ctx;
};

static int oom(terra_err *e)
{
	return terra_err_set(e, TERRA_E_SYS, "verified rate: out of memory");
}

static int add(void *arg, int64_t start, int64_t end, const char *unit, int64_t busy_us,
               int64_t work, int64_t weight, terra_err *e)
{
	struct ctx *c = arg;
	json_t *at = json_object_get(c->units, unit);
	struct unitlist *l;

	(void)end;
	(void)work;
	if (!at) {
		if (terra_grow(&c->lists, &c->cap, c->n, sizeof *c->lists, 16) < 0)
			return oom(e);
		memset(&c->lists[c->n], 0, sizeof c->lists[c->n]);
		if (json_object_set_new(c->units, unit, json_integer((json_int_t)c->n)) < 0)
			return oom(e);
		c->n++;
		at = json_object_get(c->units, unit);
	}
	l = &c->lists[json_integer_value(at)];
	if (terra_grow(&l->v, &l->cap, l->n, sizeof *l->v, 32) < 0)
		return oom(e);
	l->v[l->n++] = (struct rec){start, busy_us, weight};
	return 0;
}

static void bad_line(void *arg, const terra_err *e)
{
	struct ctx *c = arg;

	if (c->bad)
		c->bad(c->bad_ctx, e);
}

static int newest_first(const void *a, const void *b)
{
	int64_t x = ((const struct rec *)a)->start, y = ((const struct rec *)b)->start;

	return (x < y) - (x > y);
}

/* The sums over a unit's newest records: {busy_us, records, verified_mflops}. */
static json_t *sums(struct unitlist *l)
{
	terra_u128 weight = 0;
	int64_t busy = 0;
	size_t i, n = l->n < TERRA_UNITRATE_RECORDS ? l->n : TERRA_UNITRATE_RECORDS;
	json_t *s;

	qsort(l->v, l->n, sizeof *l->v, newest_first);
	for (i = 0; i < n; i++) {
		busy += l->v[i].busy_us; /* a period's busy time is at most its hour */
		weight += (terra_u128)l->v[i].weight;
	}
	s = json_pack("{s:I, s:I}", "busy_us", (json_int_t)busy, "records", (json_int_t)n);
	/* FLOPs per µs: MFLOPS, below int64 for any weight a period can hold */
	if (s && busy > 0 &&
	    json_object_set_new(s, "verified_mflops",
	                        json_integer((json_int_t)(weight / (terra_u128)busy))) < 0) {
		json_decref(s);
		s = NULL;
	}
	return s;
}

int terra_unitrate_read(terra_home *h, const char *const *files, int nfiles, json_t **rates,
                        void (*bad)(void *ctx, const terra_err *e), void *bad_ctx, terra_err *e)
{
	struct ctx c = {.units = json_object(), .bad = bad, .bad_ctx = bad_ctx};
	json_t *seen = json_object(), *out = json_object(), *v;
	const char *unit;
	int i, ret = -1;

	*rates = NULL;
	if (!c.units || !seen || !out) {
		oom(e);
		goto out;
	}
	for (i = 0; i < nfiles; i++)
		if (terra_reportuse_read(h, files[i], 0, 0, seen, add, bad_line, &c, e) < 0)
			goto out;
	json_object_foreach(c.units, unit, v)
	{
		json_t *s = sums(&c.lists[json_integer_value(v)]);

		if (!s || json_object_set_new(out, unit, s) < 0) {
			oom(e);
			goto out;
		}
	}
	*rates = out;
	out = NULL;
	ret = 0;
out:
	for (size_t k = 0; k < c.n; k++)
		free(c.lists[k].v);
	free(c.lists);
	json_decref(c.units);
	json_decref(seen);
	json_decref(out);
	return ret;
}

int terra_unitrate_annotate(const json_t *rates, json_t *rows, terra_err *e)
{
	json_t *row;
	size_t i;

	json_array_foreach(rows, i, row)
	{
		const json_t *r =
		    json_object_get(rates, json_string_value(json_object_get(row, "unit")));
		const json_t *mflops = json_object_get(r, "verified_mflops");

		if (!r)
			continue;
		if (json_object_set(row, "verified_records", json_object_get(r, "records")) < 0 ||
		    (mflops && json_object_set(row, "verified_mflops", (json_t *)mflops) < 0))
			return oom(e);
	}
	return 0;
}
