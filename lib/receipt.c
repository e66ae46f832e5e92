#include "receipt.h"

#include "key.h"
#include "ledgerint.h"
#include "money.h"
#include "record.h"

#include <stdio.h>

int terra_receipt_verified(const terra_ledger_report *rep, const uint8_t pk[TERRA_PK_BYTES],
                           json_t **out, terra_err *e)
{
	char root[TERRA_HASH_HEX], origin[TERRA_ORIGIN_MAX];
	json_t *rec = json_object();

	*out = NULL;
	if (!rec)
		return terra_err_sys(e, "verified record");
	terra_hex(rep->root, TERRA_HASH_BYTES, root);
	terra_ledger_origin(pk, origin);
	if (terra_rec_set(rec, "type", json_string("verified"), e) < 0 ||
	    terra_rec_set(rec, "v", json_integer(1), e) < 0 ||
	    terra_rec_set(rec, "origin", json_string(origin), e) < 0 ||
	    terra_rec_set(rec, "size", json_integer(rep->entries), e) < 0 ||
	    terra_rec_set(rec, "root", json_string(root), e) < 0 ||
	    terra_rec_set(rec, "checkpoints", json_integer(rep->checkpoints), e) < 0 ||
	    terra_rec_set(rec, "settlements", json_integer(rep->settlements), e) < 0 ||
	    terra_rec_set(rec, "accounts", json_integer((json_int_t)rep->accounts), e) < 0) {
		json_decref(rec);
		return -1;
	}
	*out = rec;
	return 0;
}

int terra_receipt_payment(const char *account, int64_t amount, const char *ref, int64_t seq,
                          json_t **out, terra_err *e)
{
	char text[TERRA_AMOUNT_MAX];
	json_t *rec = json_object();

	*out = NULL;
	if (!rec)
		return terra_err_sys(e, "payment record");
	terra_money_format(amount, text);
	if (terra_rec_set(rec, "type", json_string("payment"), e) < 0 ||
	    terra_rec_set(rec, "v", json_integer(1), e) < 0 ||
	    terra_rec_set(rec, "account", json_string(account), e) < 0 ||
	    terra_rec_set(rec, "amount", json_string(text), e) < 0 ||
	    terra_rec_set(rec, "entry", json_integer(seq), e) < 0 ||
	    (ref && terra_rec_set(rec, "ref", json_string(ref), e) < 0)) {
		json_decref(rec);
		return -1;
	}
	*out = rec;
	return 0;
}
