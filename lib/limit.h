#ifndef TERRA_LIMIT_H
#define TERRA_LIMIT_H
/*
 * Limits a new ledger entry must keep, checked inside the appending
 * transaction so that nothing is written when one is broken:
 *   - money: balances are int64 base units. Every account but "revenue"
 *     holds 0 or more and together they hold what "revenue" gave, the sum
 *     of the revenue of all settlements; so while that sum fits in int64
 *     (TERRA_REVENUE_MAX, 9223372036.854775807 TERRA) no balance can
 *     overflow. A settlement that would take it past is refused;
 *   - time: created_at never goes backwards: an entry is not appended with
 *     a clock (or TERRA_NOW) earlier than the last entry's created_at.
 */
#include "err.h"

#include <sqlite3.h>
#include <stdint.h>

#define TERRA_REVENUE_MAX INT64_MAX

/* 0 when the settlements' revenue plus `revenue` stays within TERRA_REVENUE_MAX;
 * else -1, TERRA_E_STATE naming both. */
int terra_limit_revenue(sqlite3 *db, int64_t revenue, terra_err *e);
/* 0 when `now` is not before the last entry's created_at; else -1, TERRA_E_STATE. */
int terra_limit_created_at(sqlite3 *db, int64_t now, terra_err *e);

#endif
