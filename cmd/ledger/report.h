#ifndef TERRA_CMD_LEDGER_REPORT_H
#define TERRA_CMD_LEDGER_REPORT_H
/*
 * terra-ledger report [-p PERIOD] [--meter FILE]... [--since NOTE
 * [--witness VKEY]... [--quorum K]] [FILE] (cmd/ledger/report.c).
 */
#include "cmd/ledger/tlog.h"

int ledger_report(const char *home, const char *usage_text, const char *period,
                  const char *const *meter, int nmeter, const struct tlog_opts *t,
                  const char *file);
#endif
