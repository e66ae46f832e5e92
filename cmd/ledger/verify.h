#ifndef TERRA_CMD_LEDGER_VERIFY_H
#define TERRA_CMD_LEDGER_VERIFY_H
/* terra-ledger verify and verify-proof (cmd/ledger/verify.c). */
#include "cmd/ledger/tlog.h"

/* verify [--pubkey KEY] (--since and --tiles go to tlog_verify). */
int ledger_verify(const struct tlog_opts *t, const char *usage_text);
/* verify-proof --pubkey KEY [--since NOTE] [FILE]; file may be NULL (stdin). */
int ledger_verify_proof(const struct tlog_opts *t, const char *usage_text, char *file);
#endif
