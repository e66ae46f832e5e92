#ifndef TERRA_REPORTROWS_H
#define TERRA_REPORTROWS_H
/*
 * The dashboard's periods (report.h): one row per settled period, per UTC
 * day or per week (from Monday), and the regrouping of its per-period maps
 * into coarser periods when the tables would pass a number of rows.
 */
#include "err.h"

#include <jansson.h>
#include <stdint.h>

enum { TERRA_REPORT_BY_PERIOD, TERRA_REPORT_BY_DAY, TERRA_REPORT_BY_WEEK };

#define TERRA_REPORT_LABEL_MAX 40

/* The label of the period of `by` that holds the instant start (µs):
 * "2026-11-03T07:00", "2026-11-03" or "week of 2026-11-02". */
void terra_reportrows_label(int by, int64_t start, char out[TERRA_REPORT_LABEL_MAX]);

/* The rows a per-period table of by_label (label -> {key -> value}) shows
 * once past TERRA_REPORT_TOP keys a period are summed in one row: the sum
 * over the labels of min(keys, TERRA_REPORT_TOP + 1). */
size_t terra_reportrows_count(const json_t *by_label);

/*
 * Regroups per the coarser `by`: each of the nmaps maps label -> value
 * (objects, arrays and integers, summed member by member, element by
 * element) is replaced by one whose labels are by's, labels (the labels in
 * order) too, and starts (label -> an instant within it, µs) is the map of
 * the old labels; starts becomes the map of the new labels. Returns -1
 * when memory runs out, -2 when a sum would pass int64 (work in FLOP: a
 * week of a unit can), the maps as they were either way.
 */
int terra_reportrows_regroup(int by, json_t **starts, json_t **labels, json_t **maps, size_t nmaps,
                             terra_err *e);

/* Regroups into a day, then a week (*by the grouping), while one of the
 * maps from maps[counted] on counts more than max rows; where a longer
 * period's sum would pass int64, the shorter periods stay. */
int terra_reportrows_fit(int *by, size_t max, json_t **starts, json_t **labels, json_t **maps,
                         size_t nmaps, size_t counted, terra_err *e);

#endif
