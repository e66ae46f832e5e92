/* Meter records for the dashboard, checked against the home; see reportuse.h. */
#include "reportuse.h"

#include "record.h"
#include "settlestore.h"
#include "time.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Checks one meter record; 0 and the fields when usable, else -1 with why in e. */
static int check(terra_home *h, terra_settle_reader *sr, json_t *seen, const json_t *rec,
                 char period[TERRA_PERIOD_MAX], const char **unit, int64_t *start, int64_t *end,
                 int64_t nums[3], terra_err *e)
{
	const char *p;
	int64_t stored = 0;
	char key[TERRA_PERIOD_MAX + 40];

	if (terra_rec_str(rec, "period", &p, e) < 0 || terra_rec_str(rec, "unit", unit, e) < 0 ||
	    terra_rec_int(rec, "busy_us", &nums[0], e) < 0 ||
	    terra_rec_int(rec, "work", &nums[1], e) < 0 ||
	    terra_rec_int(rec, "weight", &nums[2], e) < 0)
		return -1;
	if (nums[0] < 0 || nums[1] < 0 || nums[2] < 0)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "busy_us, work and weight must not be negative");
	if (terra_period_canonical(p, period, e) < 0 ||
	    terra_period_parse(period, start, end, e) < 0)
		return -1;
	if (terra_rec_verify(rec, h->owner.pk, e) < 0)
		return terra_err_wrap(e, "not signed by this home's owner");
	if (!terra_settle_reader_weight(sr, period, *unit, &stored))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "unit '%s' has no settled input for %s in this ledger", *unit,
		                     period);
	if (stored != nums[2])
		return terra_err_set(e, TERRA_E_INPUT,
		                     "weight %" PRId64 " is not the %" PRId64
		                     " this ledger settled",
		                     nums[2], stored);
	snprintf(key, sizeof key, "%s %s", period, *unit);
	if (json_object_get(seen, key))
		return terra_err_set(e, TERRA_E_INPUT, "a second record of unit '%s' for %s", *unit,
		                     period);
	if (json_object_set_new(seen, key, json_true()) < 0)
		return terra_err_set(e, TERRA_E_SYS, "report: out of memory");
	return 0;
}

int terra_reportuse_read(terra_home *h, const char *path, int64_t from, int64_t to, json_t *seen,
                         terra_reportuse_fn fn, void (*bad)(void *ctx, const terra_err *e),
                         void *ctx, terra_err *e)
{
	terra_reader *r = NULL;
	terra_settle_reader *sr = NULL;
	json_t *rec = NULL;
	const char *type, *unit;
	char period[TERRA_PERIOD_MAX];
	int64_t start, end, nums[3];
	int got, ret = -1;

	if (terra_settle_reader_open(h->db, &sr, e) < 0)
		return -1;
	if (terra_reader_open(&r, path, e) < 0)
		goto out;
	while ((got = terra_reader_next(r, &rec, e)) != 0) {
		if (got == -2)
			goto out;
		if (got == -1) {
			bad(ctx, e);
			continue;
		}
		terra_rec_type(rec, &type, e);
		if (strcmp(type, "meter") != 0) {
			json_decref(rec);
			rec = NULL;
			continue;
		}
		if (check(h, sr, seen, rec, period, &unit, &start, &end, nums, e) < 0) {
			if (e->kind == TERRA_E_SYS)
				goto out;
			terra_reader_reject(r, e, "meter", e->msg);
			bad(ctx, e);
		} else if ((!from && !to) || (start >= from && end <= to)) {
			if (fn(ctx, start, end, unit, nums[0], nums[1], nums[2], e) < 0)
				goto out;
		}
		json_decref(rec);
		rec = NULL;
	}
	ret = 0;
out:
	json_decref(rec);
	terra_reader_close(r);
	terra_settle_reader_close(sr);
	return ret;
}
