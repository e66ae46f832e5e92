#ifndef TERRA_CMD_LEDGER_METRICS_H
#define TERRA_CMD_LEDGER_METRICS_H
/* terra-ledger metrics [--textfile DIR] [--no-verify] (cmd/ledger/metrics.c). */
/* With meter files: each unit's verified rate too (lib/unitrate.h). */
int ledger_metrics(const char *home, const char *textfile, int verify, const char *const *meter,
                   int nmeter);
#endif
