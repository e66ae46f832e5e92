#ifndef TERRA_REPORT_H
#define TERRA_REPORT_H
/*
 * The dashboard (terra-ledger report): one self-contained HTML page, its
 * styles, data, scripts and charts inline, that opens from disk with no
 * network. Per period of the range: revenue and its split (contributors,
 * holders, treasury, carry), earnings per owner and per unit, metered work
 * per unit; with meter records (reportuse.h), usage per unit and period:
 * busy hours, utilization of the settled time, verified work; each unit's
 * benchmark score, busy hours, verified work and verified rate (work per
 * busy second) over the range, and health history; balances; and the
 * ledger's state (entries, latest checkpoint, root, whether it verifies,
 * and with a kept checkpoint note whether the ledger extends it and how
 * many witnesses cosigned it). Every chart has its exact figures in a
 * table beside it (<table id="revenue">, "owners", "units", "unit-totals",
 * "usage", "health", "bench", "balances", "ledger"), amounts as the
 * ledger's 9-decimal strings.
 *
 * Periods: one row per settlement up to TERRA_REPORT_MAX_PERIODS settled
 * hours in the range, else per UTC day up to as many days, else per week
 * (Monday to Monday); then a day, or a week, while the owners', units' or
 * usage table would pass max_rows rows (reportrows.h). Per period, at most
 * TERRA_REPORT_TOP units and owners, the rest summed in one row
 * (reporttop.h), so a year of hourly settlements for a thousand units is
 * a page of some thousand rows that a browser draws in seconds.
 */
#include "err.h"
#include "home.h"
#include "tlog.h"

#include <stdint.h>
#include <stdio.h>

#define TERRA_REPORT_MAX_PERIODS 744  /* 31 days of hours */
#define TERRA_REPORT_MAX_ROWS    2500 /* rows of a per-period table, by default */

/* The charting script (Chart.js) to inline, and the range (from = to = 0:
 * everything); the meter record files; a kept checkpoint note opened with
 * nwitness witness keys, or NULL; where bad meter lines go. */
typedef struct terra_report_opts {
	const char *chart_js;
	size_t chart_js_len;
	int64_t from, to;
	const char *const *meter;
	int nmeter;
	const terra_tlog_kept *kept;
	unsigned nwitness;
	size_t max_rows; /* 0: TERRA_REPORT_MAX_ROWS */
	void (*bad)(void *arg, const terra_err *e);
	void *bad_arg;
} terra_report_opts;

int terra_report_write(terra_home *h, const terra_report_opts *o, FILE *f, terra_err *e);

#endif
