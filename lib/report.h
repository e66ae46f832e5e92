#ifndef TERRA_REPORT_H
#define TERRA_REPORT_H
/*
 * The dashboard (terra-ledger report): one self-contained HTML page, its
 * styles, data, scripts and charts inline, that opens from disk with no
 * network. Per period of the range: revenue and its split (contributors,
 * holders, treasury, carry), earnings per owner and per unit, metered work
 * per unit; each unit's benchmark score and health history; balances; and
 * the ledger's state (entries, latest checkpoint size and root, whether it
 * verifies). Every chart has its exact figures in a table beside it
 * (<table id="revenue">, "owners", "units", "health", "bench",
 * "balances", "ledger"), amounts as the ledger's 9-decimal strings.
 *
 * Periods: one row per settlement up to TERRA_REPORT_MAX_ROWS settled
 * hours in the range, else per UTC day, else per week (Monday to Monday),
 * so a year of hourly settlements for many units stays a page a browser
 * draws in a moment.
 */
#include "err.h"
#include "home.h"

#include <stdint.h>
#include <stdio.h>

#define TERRA_REPORT_MAX_ROWS 744 /* 31 days of hours */

/* The charting script (Chart.js) to inline, and the range (from = to = 0:
 * everything). */
typedef struct terra_report_opts {
	const char *chart_js;
	size_t chart_js_len;
	int64_t from, to;
} terra_report_opts;

int terra_report_write(terra_home *h, const terra_report_opts *o, FILE *f, terra_err *e);

#endif
