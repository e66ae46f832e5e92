#include "time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define US_PER_DAY (INT64_C(86400) * TERRA_US_PER_S)

/*
 * Proleptic Gregorian calendar without the C library (timegm is not
 * standard and time_t may be narrow): Howard Hinnant's days_from_civil
 * and civil_from_days, public domain algorithms,
 * https://howardhinnant.github.io/date_algorithms.html
 */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
	static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

/* Exactly n digits at *p, advancing it; -1 if they are not there. */
static int digits(const char **p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	return v;
}

static int bad_time(terra_err *e, const char *s, const char *why)
{
	return terra_err_set(e, TERRA_E_INPUT, "time '%.64s': %s", s, why);
}

int terra_time_parse(const char *s, int64_t *us, terra_err *e)
{
	static const char *const shape =
	    "expected RFC 3339 like 2026-11-21T10:00:00Z or 2026-11-21T10:00:00.5+01:00";
	const char *p = s;
	int64_t frac = 0, secs, days;
	int y, mo, d, h, mi, sec, off = 0, n;

	if ((y = digits(&p, 4)) < 0 || *p++ != '-' || (mo = digits(&p, 2)) < 0 || *p++ != '-' ||
	    (d = digits(&p, 2)) < 0)
		return bad_time(e, s, shape);
	if (*p != 'T' && *p != 't' && *p != ' ')
		return bad_time(e, s, shape);
	p++;
	if ((h = digits(&p, 2)) < 0 || *p++ != ':' || (mi = digits(&p, 2)) < 0 || *p++ != ':' ||
	    (sec = digits(&p, 2)) < 0)
		return bad_time(e, s, shape);
	if (*p == '.') {
		p++;
		for (n = 0; *p >= '0' && *p <= '9'; p++, n++) {
			if (n < 6)
				frac = frac * 10 + (*p - '0');
		}
		if (n == 0 || n > 9)
			return bad_time(e, s, "the fraction of a second must have 1 to 9 digits");
		for (; n < 6; n++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om;

		if ((oh = digits(&p, 2)) < 0 || *p++ != ':' || (om = digits(&p, 2)) < 0)
			return bad_time(e, s, "the offset must be Z or +hh:mm or -hh:mm");
		if (oh > 23 || om > 59)
			return bad_time(e, s, "offset out of range");
		off = sign * (oh * 60 + om);
	} else {
		return bad_time(e, s, *p ? shape : "missing the offset: add Z for UTC");
	}
	if (*p)
		return bad_time(e, s, shape);
	if (y < 1)
		return bad_time(e, s, "year must be 0001 to 9999");
	if (mo < 1 || mo > 12)
		return bad_time(e, s, "month must be 01 to 12");
	if (d < 1 || d > days_in_month(y, mo)) {
		char why[64];

		snprintf(why, sizeof why, "day %02d does not exist in %04d-%02d", d, y, mo);
		return bad_time(e, s, why);
	}
	if (h > 23)
		return bad_time(e, s, "hour must be 00 to 23");
	if (mi > 59)
		return bad_time(e, s, "minute must be 00 to 59");
	if (sec == 60)
		return bad_time(e, s, "leap seconds are not supported");
	if (sec > 59)
		return bad_time(e, s, "second must be 00 to 59");
	days = days_from_civil(y, mo, d);
	secs = days * 86400 + h * 3600 + mi * 60 + sec - (int64_t)off * 60;
	*us = secs * TERRA_US_PER_S + frac;
	return 0;
}

void terra_time_format(int64_t us, char out[TERRA_TIME_MAX])
{
	int64_t days = us / US_PER_DAY, rem = us % US_PER_DAY, y;
	char buf[80];
	size_t n;
	int m, d;

	if (rem < 0) {
		rem += US_PER_DAY;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, sizeof buf, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%06dZ", y, m, d,
	         (int)(rem / (3600 * TERRA_US_PER_S)), (int)(rem / (60 * TERRA_US_PER_S) % 60),
	         (int)(rem / TERRA_US_PER_S % 60), (int)(rem % TERRA_US_PER_S));
	n = strlen(buf); /* fits: |year| <= 292278 */
	if (n >= TERRA_TIME_MAX)
		n = TERRA_TIME_MAX - 1;
	memcpy(out, buf, n);
	out[n] = '\0';
}

int terra_time_now(int64_t *us, terra_err *e)
{
	const char *env = getenv("TERRA_NOW");
	struct timespec ts;

	if (env && *env) {
		if (terra_time_parse(env, us, e))
			return terra_err_wrap(e, "TERRA_NOW");
		if (*us < 0)
			return terra_err_set(e, TERRA_E_INPUT,
			                     "TERRA_NOW: time '%.64s': before 1970", env);
		return 0;
	}
	if (clock_gettime(CLOCK_REALTIME, &ts))
		return terra_err_sys(e, "read the clock");
	*us = (int64_t)ts.tv_sec * TERRA_US_PER_S + ts.tv_nsec / 1000;
	return 0;
}

int64_t terra_time_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * TERRA_US_PER_S + ts.tv_nsec / 1000;
}

static int bad_duration(terra_err *e, const char *s, const char *why)
{
	return terra_err_set(e, TERRA_E_INPUT, "duration '%.64s': %s", s, why);
}

/*
 * Designators in the order ISO 8601 writes them, with their length in
 * microseconds; Y and M (before T) have no fixed length and are refused.
 */
int terra_duration_parse(const char *s, int64_t *us, terra_err *e)
{
	static const char date_units[] = "WD", time_units[] = "HMS";
	static const int64_t date_us[] = {7 * US_PER_DAY, US_PER_DAY};
	static const int64_t time_us[] = {3600 * TERRA_US_PER_S, 60 * TERRA_US_PER_S,
	                                  TERRA_US_PER_S};
	const char *p = s, *units = date_units;
	const int64_t *lens = date_us;
	int64_t total = 0;
	int next = 0, any = 0, in_time = 0;

	if (*p == '-')
		return bad_duration(e, s, "a negative duration is not allowed");
	if (*p++ != 'P')
		return bad_duration(e, s, "expected ISO 8601 like PT1H, P1D, P1W or PT90M");
	while (*p) {
		int64_t n = 0, frac = 0, part;
		const char *where;
		int nd = 0, nf = 0;

		if (*p == 'T') {
			if (in_time)
				return bad_duration(e, s, "'T' appears twice");
			in_time = 1;
			units = time_units;
			lens = time_us;
			next = 0;
			if (!*++p)
				return bad_duration(
				    e, s, "'T' must be followed by hours, minutes or seconds");
			continue;
		}
		for (; *p >= '0' && *p <= '9'; p++, nd++) {
			if (__builtin_mul_overflow(n, 10, &n) ||
			    __builtin_add_overflow(n, *p - '0', &n))
				return bad_duration(e, s, "too long");
		}
		if (*p == '.' || *p == ',') {
			for (p++; *p >= '0' && *p <= '9'; p++, nf++) {
				if (nf < 6)
					frac = frac * 10 + (*p - '0');
			}
			if (nf == 0 || nf > 9)
				return bad_duration(e, s, "a fraction must have 1 to 9 digits");
			for (int i = nf; i < 6; i++)
				frac *= 10;
		}
		if (nd == 0)
			return bad_duration(e, s, "expected a number before each designator");
		if (!in_time && (*p == 'Y' || *p == 'M'))
			return bad_duration(
			    e, s,
			    "years and months are refused: their length depends on the "
			    "calendar; use weeks, days or hours");
		where = *p ? strchr(units + next, *p) : NULL;
		if (!where) {
			if (!*p)
				return bad_duration(e, s, "a number must end with a designator");
			if (!in_time && strchr("HS", *p))
				return bad_duration(e, s,
				                    "hours, minutes and seconds go after 'T'");
			if (in_time && strchr("WD", *p))
				return bad_duration(e, s, "weeks and days go before 'T'");
			return bad_duration(e, s,
			                    "designators must be W, D, then T, H, M, S in that "
			                    "order, each at most once");
		}
		if (nf && *where != 'S')
			return bad_duration(e, s, "only seconds may have a fraction");
		next = (int)(where - units) + 1;
		if (__builtin_mul_overflow(n, lens[where - units], &part) ||
		    __builtin_add_overflow(part, frac, &part) ||
		    __builtin_add_overflow(total, part, &total))
			return bad_duration(e, s, "too long");
		any = 1;
		p++;
	}
	if (!any)
		return bad_duration(e, s, "expected at least one number and designator after 'P'");
	*us = total;
	return 0;
}

static int period_part(const char *part, int *is_duration, int64_t *v, terra_err *e)
{
	*is_duration = part[0] == 'P' || part[0] == '-';
	if (*is_duration)
		return terra_duration_parse(part, v, e);
	return terra_time_parse(part, v, e);
}

int terra_period_parse(const char *s, int64_t *start, int64_t *end, terra_err *e)
{
	char a[128], b[128];
	const char *slash = strchr(s, '/');
	int64_t va, vb, st, en;
	int da, db;
	size_t na;

	if (!slash || strchr(slash + 1, '/'))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "period '%.64s': expected START/DURATION or START/END, "
		                     "like 2026-11-21T10:00:00Z/PT1H",
		                     s);
	na = (size_t)(slash - s);
	if (na >= sizeof a || strlen(slash + 1) >= sizeof b)
		return terra_err_set(e, TERRA_E_INPUT, "period '%.64s': too long", s);
	memcpy(a, s, na);
	a[na] = '\0';
	strcpy(b, slash + 1);
	if (period_part(a, &da, &va, e) || period_part(b, &db, &vb, e))
		return terra_err_wrap(e, "period '%.64s'", s);
	if (da && db)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "period '%.64s': one side must be a time, not both durations",
		                     s);
	if (da) { /* DURATION/END */
		en = vb;
		if (__builtin_sub_overflow(vb, va, &st))
			return terra_err_set(e, TERRA_E_INPUT, "period '%.64s': out of range", s);
	} else if (db) { /* START/DURATION */
		st = va;
		if (__builtin_add_overflow(va, vb, &en))
			return terra_err_set(e, TERRA_E_INPUT, "period '%.64s': out of range", s);
	} else {
		st = va;
		en = vb;
	}
	if ((da || db) && st == en)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "period '%.64s': the duration must not be zero", s);
	if (en <= st)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "period '%.64s': the end must be after the start", s);
	if (st < 0 || en > days_from_civil(10000, 1, 1) * US_PER_DAY)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "period '%.64s': outside the years 1970 to 9999", s);
	*start = st;
	*end = en;
	return 0;
}

void terra_period_format(int64_t start, int64_t end, char out[TERRA_PERIOD_MAX])
{
	char a[TERRA_TIME_MAX], b[TERRA_TIME_MAX];

	terra_time_format(start, a);
	terra_time_format(end, b);
	snprintf(out, TERRA_PERIOD_MAX, "%s/%s", a, b);
}

int terra_period_canonical(const char *s, char out[TERRA_PERIOD_MAX], terra_err *e)
{
	int64_t start, end;

	if (terra_period_parse(s, &start, &end, e) < 0)
		return -1;
	terra_period_format(start, end, out);
	return 0;
}
