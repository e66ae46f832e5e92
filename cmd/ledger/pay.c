/* terra-ledger pay: record a payment made outside; see pay.h. */
#include "cmd/ledger/pay.h"

#include "lib/cli.h"
#include "lib/confirm.h"
#include "lib/dryrun.h"
#include "lib/home.h"
#include "lib/ledger.h"
#include "lib/money.h"
#include "lib/receipt.h"
#include "lib/record.h"

#include <stdio.h>

int ledger_pay(const char *home, const char *usage_text, int dry, int yes, const char *account,
               const char *amount_arg, const char *ref)
{
	terra_err e = {0};
	terra_home h;
	int64_t units, seq;
	json_t *rec = NULL;

	if (terra_money_parse(amount_arg, 0, &units, &e) < 0)
		terra_usage_error(usage_text, "bad amount '%s': %s", amount_arg, e.msg);
	terra_cli_note_clock();
	if (terra_home_open(&h, home, TERRA_HOME_SECRET, &e) < 0)
		terra_die_err(&e);
	if (dry && terra_dryrun_begin(&h, &e) < 0)
		terra_die_err(&e);
	if (!dry &&
	    !terra_confirm(yes, "record a payment of %s TERRA to '%s'?", amount_arg, account)) {
		terra_warnf("nothing changed");
		terra_home_close(&h);
		return TERRA_EXIT_FAIL;
	}
	if (terra_ledger_pay(&h, account, units, ref, &seq, &e) < 0)
		terra_die_err(&e);
	if (terra_receipt_payment(account, units, ref, seq, &rec, &e) < 0 ||
	    terra_rec_write(stdout, rec, &e) < 0)
		terra_die_err(&e);
	json_decref(rec);
	terra_home_close(&h);
	if (dry)
		terra_warnf("dry run (-n): the payment above would be appended; nothing changed");
	return TERRA_EXIT_OK;
}
