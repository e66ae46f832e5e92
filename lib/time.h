#ifndef TERRA_TIME_H
#define TERRA_TIME_H
/*
 * Times are int64 microseconds since 1970-01-01T00:00:00Z, written as
 * RFC 3339 UTC with microseconds ("2026-11-21T10:00:00.000000Z").
 * TERRA_NOW (RFC 3339) replaces the clock for every command.
 */
#include "err.h"

#include <stdint.h>

#define TERRA_TIME_MAX   32
#define TERRA_US_PER_S   INT64_C(1000000)
#define TERRA_PERIOD_MAX (2 * TERRA_TIME_MAX) /* "START/END" and its NUL */

/* The clock, or TERRA_NOW when set (a bad TERRA_NOW is an error). */
int terra_time_now(int64_t *us, terra_err *e);
/* A monotonic clock in microseconds, for durations (never TERRA_NOW). */
int64_t terra_time_mono(void);
/* RFC 3339: date, 'T' or 't' or ' ', time, optional fraction (<= 9 digits,
 * truncated to microseconds), 'Z' or +hh:mm offset. */
int terra_time_parse(const char *s, int64_t *us, terra_err *e);
void terra_time_format(int64_t us, char out[TERRA_TIME_MAX]);

/* ISO 8601 duration: PnW, PnDTnHnMnS (seconds may have a fraction). P1M
 * and P1Y are refused: their length depends on the calendar. */
int terra_duration_parse(const char *s, int64_t *us, terra_err *e);
/* ISO 8601 interval "START/DURATION" or "START/END" -> [start, end). */
int terra_period_parse(const char *s, int64_t *start, int64_t *end, terra_err *e);
/* Canonical form "START/END" with both times formatted. */
void terra_period_format(int64_t start, int64_t end, char out[TERRA_PERIOD_MAX]);
/* Any form terra_period_parse takes, in the canonical form: the one
 * spelling of a period that records and the ledger hold. */
int terra_period_canonical(const char *s, char out[TERRA_PERIOD_MAX], terra_err *e);

#endif
