#ifndef TERRA_CMD_LEDGER_METRICS_H
#define TERRA_CMD_LEDGER_METRICS_H
/* terra-ledger metrics [--textfile DIR] [--no-verify] (cmd/ledger/metrics.c). */
int ledger_metrics(const char *home, const char *textfile, int verify);
#endif
