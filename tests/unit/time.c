#include "lib/time.h"

#include "tap.h"

#include <stdint.h>
#include <stdlib.h>

/* Epoch values computed independently with Python's datetime (UTC). */
static const struct {
	const char *in, *canon;
	int64_t us;
} good[] = {
    {"2026-11-21T10:00:00Z", "2026-11-21T10:00:00.000000Z", INT64_C(1795255200000000)},
    {"2026-11-21T10:00:00.000000Z", "2026-11-21T10:00:00.000000Z", INT64_C(1795255200000000)},
    {"2026-11-21t10:00:00z", "2026-11-21T10:00:00.000000Z", INT64_C(1795255200000000)},
    {"2026-11-21 10:00:00Z", "2026-11-21T10:00:00.000000Z", INT64_C(1795255200000000)},
    {"2026-11-21T11:30:00+01:30", "2026-11-21T10:00:00.000000Z", INT64_C(1795255200000000)},
    {"2026-11-21T05:00:00-05:00", "2026-11-21T10:00:00.000000Z", INT64_C(1795255200000000)},
    {"2026-11-21T10:00:00-00:00", "2026-11-21T10:00:00.000000Z", INT64_C(1795255200000000)},
    {"2026-11-22T00:30:00+14:30", "2026-11-21T10:00:00.000000Z", INT64_C(1795255200000000)},
    {"2026-11-21T10:00:00.5Z", "2026-11-21T10:00:00.500000Z", INT64_C(1795255200500000)},
    {"2026-11-21T10:00:00.123456789Z", "2026-11-21T10:00:00.123456Z", INT64_C(1795255200123456)},
    {"1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000Z", 0},
    {"1969-12-31T23:59:59Z", "1969-12-31T23:59:59.000000Z", INT64_C(-1000000)},
    {"1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z", INT64_C(-1)},
    {"2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000000Z", INT64_C(951782400000000)},
    {"2024-02-29T12:00:00Z", "2024-02-29T12:00:00.000000Z", INT64_C(1709208000000000)},
    {"0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000Z", INT64_C(-62135596800000000)},
    {"9999-12-31T23:59:59Z", "9999-12-31T23:59:59.000000Z", INT64_C(253402300799000000)},
};

static const struct {
	const char *in, *why;
} bad[] = {
    {"2026-02-29T00:00:00Z", "day 29 does not exist in 2026-02"},
    {"2026-02-30T00:00:00Z", "day 30 does not exist"},
    {"1900-02-29T00:00:00Z", "day 29 does not exist in 1900-02"},
    {"2026-04-31T00:00:00Z", "day 31 does not exist"},
    {"2026-13-01T00:00:00Z", "month"},
    {"2026-00-01T00:00:00Z", "month"},
    {"2026-11-00T00:00:00Z", "day 00"},
    {"2026-11-21T24:00:00Z", "hour"},
    {"2026-11-21T10:60:00Z", "minute"},
    {"2016-12-31T23:59:60Z", "leap seconds"},
    {"0000-01-01T00:00:00Z", "year"},
    {"2026-11-21T10:00:00", "missing the offset"},
    {"2026-11-21", "expected RFC 3339"},
    {"2026-11-21T10:00Z", "expected RFC 3339"},
    {"2026-11-21T10:00:00.Z", "fraction"},
    {"2026-11-21T10:00:00.1234567890Z", "fraction"},
    {"2026-11-21T10:00:00+0100", "offset"},
    {"2026-11-21T10:00:00+24:00", "offset out of range"},
    {"2026-11-21T10:00:00Z ", "expected RFC 3339"},
    {" 2026-11-21T10:00:00Z", "expected RFC 3339"},
    {"26-11-21T10:00:00Z", "expected RFC 3339"},
    {"", "expected RFC 3339"},
};

static void test_times(void)
{
	char out[TERRA_TIME_MAX], name[160];
	terra_err e = {0};
	int64_t us;
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		us = 42;
		snprintf(name, sizeof name, "parse %s", good[i].in);
		ok(terra_time_parse(good[i].in, &us, &e) == 0, name);
		is_int(us, good[i].us, "... microseconds");
		terra_time_format(us, out);
		is_str(out, good[i].canon, "... formats canonically");
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		terra_err_clear(&e);
		snprintf(name, sizeof name, "refuse '%s'", bad[i].in);
		ok(terra_time_parse(bad[i].in, &us, &e) < 0, name);
		like(e.msg, bad[i].why, "... saying why");
		is_int(e.kind, TERRA_E_INPUT, "... kind INPUT");
	}
	/* Every day of 400 years round trips through the calendar. */
	{
		int64_t t, bad_days = 0;

		terra_time_parse("2000-01-01T00:00:00Z", &t, &e);
		for (i = 0; i < 146097; i++) {
			int64_t back;

			terra_time_format(t, out);
			if (terra_time_parse(out, &back, &e) || back != t)
				bad_days++;
			t += INT64_C(86400000000);
		}
		is_int(bad_days, 0, "146097 consecutive days round trip");
		terra_time_format(t, out);
		is_str(out, "2400-01-01T00:00:00.000000Z", "... and land 400 years later");
	}
}

static void test_now(void)
{
	terra_err e = {0};
	int64_t us, a, b;

	setenv("TERRA_NOW", "2026-11-21T10:00:00Z", 1);
	ok(terra_time_now(&us, &e) == 0, "TERRA_NOW is used");
	is_int(us, INT64_C(1795255200000000), "... its value");
	setenv("TERRA_NOW", "yesterday", 1);
	ok(terra_time_now(&us, &e) < 0, "a bad TERRA_NOW is an error");
	like(e.msg, "TERRA_NOW: time 'yesterday'", "... naming TERRA_NOW");
	unsetenv("TERRA_NOW");
	ok(terra_time_now(&us, &e) == 0, "the clock without TERRA_NOW");
	ok(us > INT64_C(1700000000000000), "... a plausible time");
	setenv("TERRA_NOW", "", 1);
	ok(terra_time_now(&us, &e) == 0 && us > INT64_C(1700000000000000),
	   "an empty TERRA_NOW is unset");
	unsetenv("TERRA_NOW");
	a = terra_time_mono();
	b = terra_time_mono();
	ok(b >= a, "monotonic clock does not go back");
}

static void test_durations(void)
{
	static const struct {
		const char *in;
		int64_t us;
	} durs[] = {
	    {"PT1H", INT64_C(3600000000)},
	    {"PT90M", INT64_C(5400000000)},
	    {"PT1.5S", INT64_C(1500000)},
	    {"PT0.000001S", 1},
	    {"PT0,25S", 250000},
	    {"P1D", INT64_C(86400000000)},
	    {"P1W", INT64_C(604800000000)},
	    {"P1W1D", INT64_C(691200000000)},
	    {"P1DT12H", INT64_C(129600000000)},
	    {"PT1H30M15S", INT64_C(5415000000)},
	    {"PT0S", 0},
	    {"P0D", 0},
	};
	static const struct {
		const char *in, *why;
	} bads[] = {
	    {"P1M", "years and months are refused"},
	    {"P1Y", "years and months are refused"},
	    {"P1Y2D", "years and months are refused"},
	    {"1H", "expected ISO 8601"},
	    {"P", "at least one"},
	    {"PT", "'T' must be followed"},
	    {"P1DT", "'T' must be followed"},
	    {"P1H", "go after 'T'"},
	    {"PT1D", "go before 'T'"},
	    {"PT1M1H", "in that order"},
	    {"PT1H1H", "in that order"},
	    {"P1", "must end with a designator"},
	    {"PT1.5H", "only seconds may have a fraction"},
	    {"PT1.S", "fraction"},
	    {"P-1D", "expected a number"},
	    {"-P1D", "negative"},
	    {"PT99999999999999999999S", "too long"},
	    {"P99999999999999W", "too long"},
	    {"pt1h", "expected ISO 8601"},
	};
	char name[128];
	terra_err e = {0};
	int64_t us;
	size_t i;

	for (i = 0; i < sizeof durs / sizeof durs[0]; i++) {
		snprintf(name, sizeof name, "duration %s", durs[i].in);
		us = -1;
		ok(terra_duration_parse(durs[i].in, &us, &e) == 0, name);
		is_int(us, durs[i].us, "... microseconds");
	}
	for (i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		terra_err_clear(&e);
		snprintf(name, sizeof name, "refuse duration '%s'", bads[i].in);
		ok(terra_duration_parse(bads[i].in, &us, &e) < 0, name);
		like(e.msg, bads[i].why, "... saying why");
	}
}

static void test_periods(void)
{
	char out[2 * TERRA_TIME_MAX];
	terra_err e = {0};
	int64_t s, t;
	const int64_t t0 = INT64_C(1795255200000000);

	ok(terra_period_parse("2026-11-21T10:00:00Z/PT1H", &s, &t, &e) == 0, "START/PT1H");
	is_int(s, t0, "... start");
	is_int(t - s, INT64_C(3600000000), "... one hour");
	terra_period_format(s, t, out);
	is_str(out, "2026-11-21T10:00:00.000000Z/2026-11-21T11:00:00.000000Z",
	       "... canonical form");
	ok(terra_period_parse("2026-11-21T00:00:00Z/P1D", &s, &t, &e) == 0, "START/P1D");
	is_int(t - s, INT64_C(86400000000), "... one day");
	ok(terra_period_parse("2026-11-21T10:00:00.000000Z/2026-11-21T11:00:00.000000Z", &s, &t,
	                      &e) == 0,
	   "START/END");
	is_int(s, t0, "... start");
	is_int(t, t0 + INT64_C(3600000000), "... end");
	ok(terra_period_parse("PT1H/2026-11-21T11:00:00Z", &s, &t, &e) == 0, "DURATION/END");
	is_int(s, t0, "... start");
	ok(terra_period_parse("2026-11-21T12:00:00+02:00/PT30M", &s, &t, &e) == 0,
	   "offset in the start");
	is_int(s, t0, "... converted to UTC");

	ok(terra_period_parse("2026-11-21T10:00:00Z/PT0S", &s, &t, &e) < 0,
	   "zero duration refused");
	like(e.msg, "must not be zero", "... saying why");
	ok(terra_period_parse("2026-11-21T10:00:00Z/2026-11-21T10:00:00Z", &s, &t, &e) < 0,
	   "empty period refused");
	like(e.msg, "end must be after the start", "... saying why");
	ok(terra_period_parse("2026-11-21T11:00:00Z/2026-11-21T10:00:00Z", &s, &t, &e) < 0,
	   "backwards period refused");
	ok(terra_period_parse("2026-11-21T10:00:00Z/P1M", &s, &t, &e) < 0, "P1M period refused");
	like(e.msg, "years and months are refused", "... saying why");
	ok(terra_period_parse("2026-11-21T10:00:00Z", &s, &t, &e) < 0, "no slash refused");
	like(e.msg, "START/DURATION or START/END", "... saying what is expected");
	ok(terra_period_parse("2026-11-21T10:00:00Z/PT1H/PT1H", &s, &t, &e) < 0,
	   "two slashes refused");
	ok(terra_period_parse("PT1H/PT1H", &s, &t, &e) < 0, "two durations refused");
	ok(terra_period_parse("2026-02-30T10:00:00Z/PT1H", &s, &t, &e) < 0, "bad start refused");
	like(e.msg, "period '2026-02-30T10:00:00Z/PT1H': time", "... naming period and time");
}

int main(void)
{
	test_times();
	test_now();
	test_durations();
	test_periods();
	return done_testing();
}
