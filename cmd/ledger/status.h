#ifndef TERRA_CMD_LEDGER_STATUS_H
#define TERRA_CMD_LEDGER_STATUS_H
/* terra-ledger status and earnings (cmd/ledger/status.c). */
#include "lib/cli.h"

/* status [--no-verify]: the units, then the home. */
int ledger_status(const char *home, enum terra_out out, int verify);
/* earnings [-p PERIOD]: per unit and settled period; period may be NULL. */
int ledger_earnings(const char *home, enum terra_out out, const char *usage_text,
                    const char *period);
#endif
