/* terra-ledger verify and verify-proof; see verify.h. */
#include "cmd/ledger/verify.h"

#include "lib/cli.h"
#include "lib/filter.h"
#include "lib/home.h"
#include "lib/key.h"
#include "lib/ledger.h"
#include "lib/receipt.h"
#include "lib/record.h"

#include <stdio.h>
#include <string.h>

int ledger_verify(const struct tlog_opts *t, const char *usage_text)
{
	terra_ledger_report rep;
	terra_reader *r = NULL;
	terra_err e = {0};
	terra_home h;
	json_t *rec;
	uint8_t pk[TERRA_PK_BYTES];
	int rc;

	if (t->since || t->tiles)
		return tlog_verify(t, usage_text);
	if (t->pubkey) {
		terra_cli_pubkey(t->pubkey, pk);
		terra_cli_stdin_notice("a ledger export");
		if (terra_reader_open(&r, NULL, &e) < 0)
			terra_die_err(&e);
		rc = terra_ledger_verify_export(r, pk, &rep, &e);
		terra_reader_close(r);
		if (rc == 0 && !rep.entries) { /* an empty or cut-away export proves nothing */
			terra_ledger_report_free(&rep);
			rc = terra_err_set(&e, TERRA_E_VERIFY,
			                   "the export holds no entries: nothing "
			                   "verified");
		}
	} else {
		if (terra_home_open(&h, t->home, TERRA_HOME_READONLY, &e) < 0)
			terra_die_err(&e);
		memcpy(pk, h.owner.pk, TERRA_PK_BYTES);
		rc = terra_ledger_verify(&h, &rep, &e);
		terra_home_close(&h);
	}
	if (rc < 0) {
		terra_warnf("verify: %s", e.msg);
		return terra_exit_status(&e);
	}
	if (rep.entries && !rep.pinned)
		terra_warnf("verify: note: entry 1 pins no owner key (a ledger begun before pins): "
		            "its checkpoints were checked against %s as it is; keep a checkpoint "
		            "note and verify --since it to detect a replaced key",
		            t->pubkey ? "the --pubkey key" : "owner.pub");
	rc = terra_receipt_verified(&rep, pk, &rec, &e);
	terra_ledger_report_free(&rep);
	if (rc < 0 || terra_rec_write(stdout, rec, &e) < 0)
		terra_die_err(&e);
	json_decref(rec);
	return TERRA_EXIT_OK;
}

struct proofs {
	uint8_t pk[TERRA_PK_BYTES];
	int status;
	const struct tlog_opts *t; /* --since: the kept note the proofs must extend */
};

/* A proof that checks: its payouts out. */
static int check_proof(void *arg, json_t *rec, const char *where, terra_err *e)
{
	struct proofs *p = arg;
	json_t *payouts = NULL, *pay;
	size_t i;

	(void)where;
	if (terra_ledger_verify_proof(rec, p->pk, &payouts, e) < 0 ||
	    (p->t->since && tlog_proof_extends(p->t, p->pk, rec, e) < 0)) {
		json_decref(payouts);
		return TERRA_FILTER_BAD;
	}
	json_array_foreach(payouts, i, pay)
	{
		if (terra_rec_write(stdout, pay, e) < 0) {
			json_decref(payouts);
			return TERRA_FILTER_STOP;
		}
	}
	json_decref(payouts);
	return 0;
}

static void report(void *arg, const terra_err *e)
{
	terra_cli_report(&((struct proofs *)arg)->status, e);
}

int ledger_verify_proof(const struct tlog_opts *t, const char *usage_text, char *file)
{
	terra_filter_opts fo = {.type = "proof", .others_bad = 1, .apply = check_proof};
	struct proofs p = {.status = TERRA_EXIT_OK, .t = t};
	terra_filter_counts c;

	if (!t->pubkey)
		terra_usage_error(usage_text, "verify-proof needs --pubkey KEY");
	terra_cli_pubkey(t->pubkey, p.pk);
	fo.report = report;
	fo.arg = &p;
	terra_cli_stdin_notice_args("proof records", &file, file ? 1 : 0);
	terra_filter_run((const char *const *)&file, file ? 1 : 0, &fo, &c);
	if (c.records == 0 && c.bad == 0 && c.failed == 0) {
		terra_warnf("verify-proof: no proof record in the input");
		p.status = terra_exit_worse(p.status, TERRA_EXIT_FAIL);
	}
	return p.status;
}
