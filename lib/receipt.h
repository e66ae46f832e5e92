#ifndef TERRA_RECEIPT_H
#define TERRA_RECEIPT_H
/*
 * The records terra-ledger writes about what it did (terra-records(5)):
 * "verified", the summary of a verification, and "payment", a payout
 * recorded. Built whole or not at all: a field that cannot be set fails
 * the build (TERRA_E_SYS) instead of leaving the record short of it.
 */
#include "err.h"
#include "ledger.h"

#include <jansson.h>
#include <stdint.h>

/* The verified record of rep, the ledger of owner key pk. */
int terra_receipt_verified(const terra_ledger_report *rep, const uint8_t pk[TERRA_PK_BYTES],
                           json_t **rec, terra_err *e);
/* The payment record of `amount` base units to account, ledger entry seq; ref may be NULL. */
int terra_receipt_payment(const char *account, int64_t amount, const char *ref, int64_t seq,
                          json_t **rec, terra_err *e);

#endif
