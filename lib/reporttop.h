#ifndef TERRA_REPORTTOP_H
#define TERRA_REPORTTOP_H
/*
 * Keeps the dashboard (report.h) to a size of about periods + units: past
 * TERRA_REPORT_TOP units (or owners), the tables and charts per period
 * show the TERRA_REPORT_TOP that earned most over the range and sum the
 * rest into one row, "other units" ("other owners"); one table holds every
 * unit's totals over the range. terra-ledger earnings gives the full
 * per-unit per-period figures.
 */
#include "err.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#define TERRA_REPORT_TOP          10
#define TERRA_REPORT_OTHER_UNITS  "other units"
#define TERRA_REPORT_OTHER_OWNERS "other owners"

/*
 * by_label maps a period label to {key -> value}, the value an integer or
 * an array of integers. Returns {key -> sum over the labels} of the value
 * (idx < 0) or its element idx; NULL when memory runs out.
 */
json_t *terra_reporttop_sums(const json_t *by_label, int idx);

/* The same sums in 128 bits, as decimal text ({key -> "digits"}): work
 * over a range passes int64. NULL when memory runs out. */
json_t *terra_reporttop_wide_sums(const json_t *by_label, int idx);

/* The keys of sums, largest sum first, equal sums by key; NULL when memory runs out. */
json_t *terra_reporttop_order(const json_t *sums);

/*
 * When order holds more than n keys, replaces in every label's map the
 * keys past the first n of order with one key, other: integers summed;
 * arrays summed element by element, with one element more, the count of
 * keys summed. Sets *folded to the count of keys past n (0 when none).
 */
int terra_reporttop_fold(json_t *by_label, const json_t *order, size_t n, const char *other,
                         size_t *folded, terra_err *e);

/* Each unit's metered work (unit -> decimal text) and earnings (unit ->
 * integer) over the range,
 * the units most earned first, and how many units and owners were summed
 * into one row. */
typedef struct terra_reporttop {
	json_t *work, *earned, *order;
	size_t other_units, other_owners;
} terra_reporttop;

/*
 * The dashboard's maps label -> {unit -> [work, earned]}, label -> {unit ->
 * [busy_us, work]} and label -> {owner -> earned}: fills t and folds each
 * past its TERRA_REPORT_TOP units (owners) most earned over the range.
 */
int terra_reporttop_apply(terra_reporttop *t, json_t *units, json_t *usage, json_t *owners,
                          terra_err *e);
void terra_reporttop_free(terra_reporttop *t);

/* How many units a folded usage pair sums: 1, or the count "other units" holds. */
int64_t terra_reporttop_count(const json_t *pair);

/* <p class="note" id="id">: past TERRA_REPORT_TOP, other of what in one row. */
void terra_reporttop_note(FILE *f, const char *id, const char *what, size_t other, const char *row);

/*
 * Writes <table id="unit-totals">: one row per unit, most earned first, its
 * metered work and earnings over the range and, with usage (unit ->
 * [busy_us, work]), its busy hours, verified work and verified rate.
 */
void terra_reporttop_totals(FILE *f, const terra_reporttop *t, const json_t *usage);

#endif
