#include "lib/reportrows.h"

#include "tap.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>

#define HOUR INT64_C(3600000000)
#define DAY  (24 * HOUR)

/* Hours of 2025-01-05 (a Sunday) and 2025-01-06 (Monday) into day and week
 * labels: every sum the hours', the labels in order, and a week whose sum
 * would pass int64 refused with the days as they were. */
static void test_regroup(void)
{
	int64_t sun = INT64_C(1736035200000000); /* 2025-01-05T00:00:00Z */
	json_t *starts = json_object(), *labels = json_array(), *maps[2];
	json_t *rev = json_object(), *units = json_object(), *before;
	char b[TERRA_REPORT_LABEL_MAX];
	terra_err e = {0};
	int h, by = TERRA_REPORT_BY_PERIOD;

	for (h = 0; h < 48; h++) {
		terra_reportrows_label(TERRA_REPORT_BY_PERIOD, sun + h * HOUR, b);
		json_object_set_new(starts, b, json_integer(sun + h * HOUR));
		json_array_append_new(labels, json_string(b));
		json_object_set_new(rev, b, json_pack("{s:I}", "revenue", (json_int_t)(h + 1)));
		json_object_set_new(
		    units, b,
		    json_pack("{s:[I,I],s:[I,I]}", "a", (json_int_t)1, (json_int_t)h, "b",
		              (json_int_t)INT64_C(100000000000000000), (json_int_t)2));
	}
	is_int(terra_reportrows_count(units), 96, "48 hours of 2 units: 96 rows");
	maps[0] = rev;
	maps[1] = units;
	ok(terra_reportrows_fit(&by, 50, &starts, &labels, maps, 2, 1, &e) == 0,
	   "fit into 50 rows");
	is_int(by, TERRA_REPORT_BY_DAY, "... a row per day");
	is_int(json_array_size(labels), 2, "... two days");
	is_str(json_string_value(json_array_get(labels, 0)), "2025-01-05", "... the Sunday first");
	is_int(
	    json_integer_value(json_object_get(json_object_get(maps[0], "2025-01-06"), "revenue")),
	    (25 + 48) * 24 / 2, "... the Monday's revenue, the sum of its 24 hours'");
	is_int(json_integer_value(
	           json_array_get(json_object_get(json_object_get(maps[1], "2025-01-05"), "a"), 1)),
	       23 * 24 / 2, "... a unit's earnings on the Sunday, the sum of its hours'");
	/* Sunday's week began 2024-12-30, Monday's 2025-01-06: two weeks. */
	ok(terra_reportrows_regroup(TERRA_REPORT_BY_WEEK, &starts, &labels, maps, 2, &e) == 0,
	   "regroup the days into weeks");
	is_str(json_string_value(json_array_get(labels, 1)), "week of 2025-01-06",
	       "... Monday starts a week");
	is_int(json_array_size(labels), 2, "... Sunday in the week before");
	/* A sum past int64: refused, the maps kept. */
	json_integer_set(
	    json_array_get(json_object_get(json_object_get(maps[1], "week of 2025-01-06"), "b"), 0),
	    INT64_MAX);
	before = json_deep_copy(maps[1]);
	json_object_set_new(starts, "later", json_integer(sun + DAY));
	json_object_set_new(maps[1], "later",
	                    json_pack("{s:[I,I]}", "b", (json_int_t)1, (json_int_t)0));
	ok(terra_reportrows_regroup(TERRA_REPORT_BY_WEEK, &starts, &labels, maps, 2, &e) == -2,
	   "a week's sum past int64: -2");
	like(e.msg, "past int64", "... saying so");
	ok(json_object_get(maps[1], "later") != NULL, "... the maps as they were");
	json_object_del(maps[1], "later");
	ok(json_equal(maps[1], before), "... every figure unchanged");
	json_decref(before);
	json_decref(maps[0]);
	json_decref(maps[1]);
	json_decref(starts);
	json_decref(labels);
}

int main(void)
{
	test_regroup();
	return done_testing();
}
