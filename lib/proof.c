#include "ledger.h"

#include "db.h"
#include "key.h"
#include "ledgerint.h"
#include "merkle.h"
#include "money.h"
#include "record.h"
#include "settlement.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* The postings of payload to account, as payout records, and their sum. */
static int payouts_of(const json_t *payload, const char *account, int64_t seq, json_t **out,
                      int64_t *sum, terra_err *e)
{
	const char *a, *role, *period = json_string_value(json_object_get(payload, "period"));
	int64_t units;
	json_t *p, *rec;
	size_t i;

	*sum = 0;
	*out = json_array();
	if (!*out)
		return terra_err_sys(e, "ledger: proof");
	json_array_foreach(json_object_get(payload, "postings"), i, p)
	{
		if (terra_rec_str(p, "account", &a, e) || terra_rec_amount(p, "amount", &units, e))
			goto fail;
		role = json_string_value(json_object_get(p, "role"));
		if (strcmp(a, account) || (role && !strcmp(role, "holders")))
			continue;
		if (terra_money_add(*sum, units, sum, e))
			goto fail;
		rec = json_pack("{s:s, s:i, s:s, s:s, s:s, s:O, s:I}", "type", "payout", "v", 1,
		                "period", period ? period : "", "account", a, "role",
		                role ? role : "", "amount", json_object_get(p, "amount"), "entry",
		                (json_int_t)seq);
		if (!rec || json_array_append_new(*out, rec)) {
			terra_err_sys(e, "ledger: proof");
			goto fail;
		}
	}
	return 0;
fail:
	json_decref(*out);
	*out = NULL;
	return -1;
}

struct find_ctx {
	const char *period;
	int64_t seq;
	json_t *entry; /* the entry record */
};

static int find_fn(void *ctx, int64_t seq, const char *kind, const char *line, size_t len,
                   const json_t *payload, const terra_entry *en, terra_err *e)
{
	struct find_ctx *f = ctx;
	const char *period = json_string_value(json_object_get(payload, "period"));

	(void)kind;
	(void)en;
	if (f->entry || !period || strcmp(period, f->period))
		return 0;
	f->seq = seq;
	f->entry = json_loadb(line, len, 0, NULL);
	if (!f->entry)
		return terra_err_set(e, TERRA_E_VERIFY, "entry %" PRId64 ": unreadable", seq);
	return 0;
}

static json_t *path_json(const uint8_t (*path)[TERRA_HASH_BYTES], size_t len)
{
	json_t *a = json_array();
	char hex[TERRA_HASH_HEX];
	size_t k;

	for (k = 0; a && k < len; k++) {
		terra_hex(path[k], TERRA_HASH_BYTES, hex);
		if (json_array_append_new(a, json_string(hex))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/*
 * A holder's payout in a settlement: recomputed from the stored snapshot,
 * with its inclusion path in the entry's holders tree. Adds the payout
 * record to payouts, its amount to *sum, and *holder = {"amount","count",
 * "index","path"}; nothing when account is not a paid holder.
 */
static int holder_part(sqlite3 *db, const json_t *payload, int64_t seq, const char *account,
                       json_t *payouts, int64_t *sum, json_t **holder, terra_err *e)
{
	const char *period = json_string_value(json_object_get(payload, "period"));
	uint8_t path[TERRA_MERKLE_PATH_MAX][TERRA_HASH_BYTES];
	char amount[TERRA_AMOUNT_MAX];
	uint64_t index, count;
	int64_t units;
	size_t len;
	void *snap = NULL;
	size_t slen = 0;
	json_t *rec;
	int rc, ret = -1;

	*holder = NULL;
	if (json_integer_value(json_object_get(json_object_get(payload, "holders"), "count")) <= 0)
		return 0;
	if (terra_ledger_load_snapshot(db, payload, seq, &snap, &slen, e))
		return -1;
	rc = terra_settle_holder_proof(payload, snap, slen, account, &units, &index, &count, path,
	                               &len, e);
	if (rc && e->kind == TERRA_E_NOTFOUND) {
		ret = 0;
		goto out;
	}
	if (rc) {
		e->kind = TERRA_E_VERIFY;
		terra_err_wrap(e, "entry %" PRId64, seq);
		goto out;
	}
	terra_money_format(units, amount);
	rec = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:I}", "type", "payout", "v", 1, "period",
	                period ? period : "", "account", account, "role", "holder", "amount",
	                amount, "entry", (json_int_t)seq);
	*holder = json_pack("{s:s, s:I, s:I, s:o}", "amount", amount, "count", (json_int_t)count,
	                    "index", (json_int_t)index, "path",
	                    path_json((const uint8_t(*)[TERRA_HASH_BYTES])path, len));
	if (!rec || !*holder || json_array_append_new(payouts, rec) ||
	    terra_money_add(*sum, units, sum, e)) {
		terra_err_sys(e, "ledger: proof");
		goto out;
	}
	ret = 0;
out:
	free(snap);
	return ret;
}

int terra_ledger_prove(sqlite3 *db, const char *account, const char *period, json_t **proof,
                       terra_err *e)
{
	struct find_ctx f = {period, 0, NULL};
	sqlite3_stmt *st = NULL;
	uint8_t(*leaves)[TERRA_HASH_BYTES] = NULL, path[TERRA_MERKLE_PATH_MAX][TERRA_HASH_BYTES];
	char hex[TERRA_HASH_HEX], amount[TERRA_AMOUNT_MAX];
	json_t *payouts = NULL, *cp = NULL, *jpath = NULL, *holder = NULL;
	const char *body;
	int64_t size = 0, sum;
	size_t len, k;
	int row, ret = -1;

	*proof = NULL;
	if (terra_db_exec(db, "BEGIN", e))
		return -1;
	if (terra_ledger_each_entry(db, "settlement", 1, find_fn, &f, e))
		goto out;
	if (!f.entry) {
		terra_err_set(e, TERRA_E_NOTFOUND, "no settlement of period %s", period);
		goto out;
	}
	if (payouts_of(json_object_get(f.entry, "payload"), account, f.seq, &payouts, &sum, e))
		goto out;
	if (holder_part(db, json_object_get(f.entry, "payload"), f.seq, account, payouts, &sum,
	                &holder, e))
		goto out;
	if (json_array_size(payouts) == 0) {
		terra_err_set(e, TERRA_E_NOTFOUND, "no payout to '%s' in period %s", account,
		              period);
		goto out;
	}
	if (terra_db_prepare(db, "SELECT size, body FROM checkpoints ORDER BY size DESC LIMIT 1",
	                     &st, e) ||
	    terra_ledger_step(db, st, &row, e))
		goto out;
	body = row ? (const char *)sqlite3_column_text(st, 1) : NULL;
	size = row ? sqlite3_column_int64(st, 0) : 0;
	if (!body || size < f.seq || terra_record_parse(body, strlen(body), &cp, e)) {
		terra_err_set(e, TERRA_E_VERIFY, "no checkpoint covers entry %" PRId64, f.seq);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (terra_ledger_leaves(db, size, &leaves, &size, e)) {
		if (e->kind == TERRA_E_NOTFOUND) /* the checkpoint covers entries that are gone */
			terra_err_set(e, TERRA_E_VERIFY,
			              "entries missing below checkpoint %" PRId64, size);
		goto out;
	}
	if (terra_merkle_inclusion((const uint8_t(*)[TERRA_HASH_BYTES])leaves, (size_t)size,
	                           (size_t)(f.seq - 1), path, &len, e))
		goto out;
	jpath = json_array();
	for (k = 0; jpath && k < len; k++) {
		terra_hex(path[k], TERRA_HASH_BYTES, hex);
		if (json_array_append_new(jpath, json_string(hex)) < 0) {
			json_decref(jpath); /* no proof with a short path: json_pack fails below */
			jpath = NULL;
		}
	}
	terra_money_format(sum, amount);
	*proof = json_pack("{s:s, s:i, s:s, s:s, s:s, s:O, s:O, s:I, s:I, s:O, s:O}", "type",
	                   "proof", "v", 1, "account", account, "period", period, "amount", amount,
	                   "postings", payouts, "entry", f.entry, "index", (json_int_t)(f.seq - 1),
	                   "size", (json_int_t)size, "path", jpath, "checkpoint", cp);
	if (!*proof || (holder && json_object_set(*proof, "holder", holder))) {
		terra_err_sys(e, "ledger: proof");
		goto out;
	}
	ret = 0;
out:
	json_decref(holder);
	json_decref(jpath);
	json_decref(cp);
	json_decref(payouts);
	json_decref(f.entry);
	free(leaves);
	sqlite3_finalize(st);
	terra_db_rollback(db);
	return ret;
}

/* The holder part of a proof: the leaf of account's payout is in the entry's holders tree. */
static int check_holder(const json_t *proof, const json_t *payload, const char *account,
                        const char *period, int64_t seq, json_t *mine, int64_t *sum, terra_err *e)
{
	const json_t *h = json_object_get(proof, "holder"),
	             *eh = json_object_get(payload, "holders");
	json_t *jpath, *rec;
	uint8_t root[TERRA_HASH_BYTES], leaf[TERRA_HASH_BYTES],
	    path[TERRA_MERKLE_PATH_MAX][TERRA_HASH_BYTES];
	int64_t units, index, count, ecount;
	size_t len, k;

	if (terra_rec_amount(h, "amount", &units, e) || terra_rec_int(h, "index", &index, e) ||
	    terra_rec_int(h, "count", &count, e) || terra_rec_arr(h, "path", &jpath, e) ||
	    terra_rec_int(eh, "count", &ecount, e) ||
	    terra_rec_hex(eh, "root", root, TERRA_HASH_BYTES, e)) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "proof: holder");
	}
	if (units <= 0 || count != ecount || index < 0 || index >= count)
		return terra_err_set(
		    e, TERRA_E_VERIFY,
		    "proof: holder: not a leaf of entry %" PRId64 "'s holders tree", seq);
	len = json_array_size(jpath);
	if (len > TERRA_MERKLE_PATH_MAX)
		return terra_err_set(e, TERRA_E_VERIFY, "proof: holder: path too long");
	for (k = 0; k < len; k++) {
		const char *hx = json_string_value(json_array_get(jpath, k));
		if (!hx || strlen(hx) != 2 * TERRA_HASH_BYTES ||
		    terra_unhex(hx, path[k], TERRA_HASH_BYTES, e))
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "proof: holder: path hash %zu is malformed", k + 1);
	}
	if (strlen(account) > 128)
		return terra_err_set(e, TERRA_E_VERIFY, "proof: holder: bad account");
	terra_settle_holder_leaf(account, units, leaf);
	if (terra_merkle_verify_inclusion(leaf, (uint64_t)index, (uint64_t)count,
	                                  (const uint8_t(*)[TERRA_HASH_BYTES])path, len, root, e)) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "proof: holder payout in entry %" PRId64, seq);
	}
	rec = json_pack("{s:s, s:i, s:s, s:s, s:s, s:O, s:I}", "type", "payout", "v", 1, "period",
	                period, "account", account, "role", "holder", "amount",
	                json_object_get(h, "amount"), "entry", (json_int_t)seq);
	if (!rec || json_array_append_new(mine, rec))
		return terra_err_sys(e, "ledger: proof");
	if (terra_money_add(*sum, units, sum, e)) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "proof");
	}
	return 0;
}

int terra_ledger_verify_proof(const json_t *proof, const uint8_t pk[TERRA_PK_BYTES],
                              json_t **payouts, terra_err *e)
{
	char origin[TERRA_ORIGIN_MAX], *line = NULL;
	const char *account, *period, *kind, *origin_got, *pperiod;
	json_t *cp, *entry, *jpath, *payload, *mine = NULL;
	uint8_t root[TERRA_HASH_BYTES], leaf[TERRA_HASH_BYTES],
	    path[TERRA_MERKLE_PATH_MAX][TERRA_HASH_BYTES];
	int64_t size, index, seq, amount, sum, cpsize;
	size_t len, k;
	int ret = -1;

	if (payouts)
		*payouts = NULL;
	if (terra_rec_str(proof, "account", &account, e) ||
	    terra_rec_str(proof, "period", &period, e) ||
	    terra_rec_amount(proof, "amount", &amount, e) ||
	    terra_rec_int(proof, "index", &index, e) || terra_rec_int(proof, "size", &size, e) ||
	    terra_rec_arr(proof, "path", &jpath, e) || terra_rec_obj(proof, "entry", &entry, e) ||
	    terra_rec_obj(proof, "checkpoint", &cp, e)) {
		terra_err_wrap(e, "proof record");
		goto out;
	}
	e->kind = TERRA_E_VERIFY;
	terra_ledger_origin(pk, origin);
	if (terra_rec_verify(cp, pk, e)) {
		e->kind = TERRA_E_VERIFY;
		terra_err_wrap(e, "proof: checkpoint");
		goto out;
	}
	if (terra_rec_str(cp, "origin", &origin_got, e) || strcmp(origin_got, origin) ||
	    terra_rec_int(cp, "size", &cpsize, e) || cpsize != size ||
	    terra_rec_hex(cp, "root", root, TERRA_HASH_BYTES, e)) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "proof: checkpoint is not of this ledger's tree of size %" PRId64,
		              size);
		goto out;
	}
	if (terra_rec_int(entry, "seq", &seq, e) || seq != index + 1 ||
	    terra_rec_str(entry, "kind", &kind, e) || strcmp(kind, "settlement") ||
	    terra_rec_obj(entry, "payload", &payload, e)) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "proof: entry is not the settlement entry at index %" PRId64, index);
		goto out;
	}
	if (seq == 1) { /* entry 1 pins the owner key */
		uint8_t prev[TERRA_HASH_BYTES];
		int pinned;
		if (terra_rec_hex(entry, "prev", prev, TERRA_HASH_BYTES, e) ||
		    terra_ledger_pin_check(prev, pk, "the --pubkey key", &pinned, e)) {
			e->kind = TERRA_E_VERIFY;
			terra_err_wrap(e, "proof");
			goto out;
		}
	}
	pperiod = json_string_value(json_object_get(payload, "period"));
	if (!pperiod || strcmp(pperiod, period)) {
		terra_err_set(e, TERRA_E_VERIFY, "proof: entry is not the settlement of period %s",
		              period);
		goto out;
	}
	if (json_array_size(jpath) > TERRA_MERKLE_PATH_MAX) {
		terra_err_set(e, TERRA_E_VERIFY, "proof: path too long");
		goto out;
	}
	len = json_array_size(jpath);
	for (k = 0; k < len; k++) {
		const char *h = json_string_value(json_array_get(jpath, k));
		if (!h || strlen(h) != 2 * TERRA_HASH_BYTES ||
		    terra_unhex(h, path[k], TERRA_HASH_BYTES, e)) {
			terra_err_set(e, TERRA_E_VERIFY, "proof: path hash %zu is malformed",
			              k + 1);
			goto out;
		}
	}
	if (terra_rec_dumps(entry, &line, NULL, e))
		goto out;
	terra_merkle_leaf(line, strlen(line), leaf);
	if (index < 0 || size < 1 ||
	    terra_merkle_verify_inclusion(leaf, (uint64_t)index, (uint64_t)size,
	                                  (const uint8_t(*)[TERRA_HASH_BYTES])path, len, root, e)) {
		e->kind = TERRA_E_VERIFY;
		terra_err_wrap(e, "proof: entry %" PRId64, seq);
		goto out;
	}
	if (payouts_of(payload, account, seq, &mine, &sum, e))
		goto out;
	if (json_object_get(proof, "holder") &&
	    check_holder(proof, payload, account, period, seq, mine, &sum, e))
		goto out;
	if (json_array_size(mine) == 0 || sum != amount) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "proof: entry %" PRId64 " does not pay '%s' that amount", seq,
		              account);
		goto out;
	}
	if (payouts) {
		*payouts = mine;
		mine = NULL;
	}
	ret = 0;
out:
	json_decref(mine);
	free(line);
	return ret;
}
