#ifndef TERRA_CMD_LEDGER_PAY_H
#define TERRA_CMD_LEDGER_PAY_H
/* terra-ledger pay [-n | --yes] ACCOUNT AMOUNT [--ref REF] (cmd/ledger/pay.c). */
int ledger_pay(const char *home, const char *usage_text, int dry, int yes, const char *account,
               const char *amount_arg, const char *ref);
#endif
