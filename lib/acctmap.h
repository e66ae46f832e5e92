#ifndef TERRA_ACCTMAP_H
#define TERRA_ACCTMAP_H
/*
 * Account balances as a ledger verification keeps them: account name ->
 * int64 base units, compact. A settlement pays a million holders; a jansson
 * object spent ~160 bytes an account on them (key pair, integer, bucket,
 * malloc's heads), this ~60: the names back to back in one arena, one
 * 24-byte item each, a table of 4-byte indexes at most half full.
 */
#include "buf.h"
#include "err.h"

#include <stddef.h>
#include <stdint.h>

typedef struct terra_acctmap {
	struct terra_acct *item; /* in order of first posting */
	size_t n, icap;
	uint32_t *slot; /* item index + 1, 0: empty; mask + 1 of them */
	size_t mask;
	terra_buf names; /* each name and its NUL */
} terra_acctmap;

void terra_acctmap_init(terra_acctmap *m);
void terra_acctmap_free(terra_acctmap *m);
/* Adds amount to account's balance (0 when new). Overflow: TERRA_E_VERIFY
 * "account 'NAME': ..." as terra_money_add words it; memory: TERRA_E_SYS. */
int terra_acctmap_add(terra_acctmap *m, const char *account, int64_t amount, terra_err *e);
/* account's balance, 0 when it has had no posting. */
int64_t terra_acctmap_balance(const terra_acctmap *m, const char *account);
/* Accounts that have had a posting. */
size_t terra_acctmap_count(const terra_acctmap *m);

#endif
