#ifndef TERRA_CMD_LEDGER_REPORT_H
#define TERRA_CMD_LEDGER_REPORT_H
/* terra-ledger report [-p PERIOD] [FILE] (cmd/ledger/report.c). */
int ledger_report(const char *home, const char *usage_text, const char *period, const char *file);
#endif
