#include "ledger.h"

#include "db.h"
#include "key.h"
#include "ledgerint.h"
#include "merkle.h"
#include "money.h"
#include "record.h"
#include "settlecover.h"
#include "settlement.h"
#include "settlestore.h"
#include "time.h"
#include "unitchain.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void terra_ledger_report_free(terra_ledger_report *rep)
{
	if (!rep)
		return;
	json_decref(rep->balances);
	rep->balances = NULL;
}

/* The state of a verification, fed entries and checkpoints in order. */
struct verifier {
	uint8_t pk[TERRA_PK_BYTES];
	char origin[TERRA_ORIGIN_MAX];
	int64_t n;           /* entries verified */
	int64_t checkpoints; /* checkpoints verified (sizes 1..checkpoints) */
	int64_t settlements;
	uint8_t prev[TERRA_HASH_BYTES]; /* leaf hash of entry n */
	terra_merkle_acc acc;           /* tree of entries 1..n */
	json_t *balances;               /* account -> integer */
	terra_buf line;
	int64_t carry;                        /* carry_out of the last settlement verified */
	terra_settle_periods *periods;        /* settled so far: none may overlap */
	int64_t since_size;                   /* the caller's kept checkpoint size, or -1 */
	uint8_t since_root[TERRA_HASH_BYTES]; /* the root of entries 1..since_size */
};

static int verifier_init(struct verifier *v, const uint8_t pk[TERRA_PK_BYTES], terra_err *e)
{
	memset(v, 0, sizeof *v);
	memcpy(v->pk, pk, TERRA_PK_BYTES);
	terra_ledger_origin(pk, v->origin);
	terra_merkle_acc_init(&v->acc);
	v->balances = json_object();
	v->periods = terra_settle_periods_new();
	if (!v->balances || !v->periods)
		return terra_err_sys(e, "ledger: verify");
	return 0;
}

static void verifier_free(struct verifier *v)
{
	json_decref(v->balances);
	terra_settle_periods_free(v->periods);
	free(v->line.p);
}

static int verifier_report(struct verifier *v, terra_ledger_report *rep)
{
	rep->entries = v->n;
	memcpy(rep->since_root, v->since_root, TERRA_HASH_BYTES);
	rep->checkpoints = v->checkpoints;
	rep->settlements = v->settlements;
	terra_merkle_acc_root(&v->acc, rep->root);
	rep->balances = v->balances;
	v->balances = NULL;
	return 0;
}

/* A unit record in a unit, transfer or retire entry: its signature and
 * signer rule (the previous owner for a transfer, else the owner). */
static int check_unit_payload(const json_t *payload, int64_t seq, terra_err *e)
{
	const char *owner, *from = NULL;
	uint8_t pk[TERRA_PK_BYTES];

	if (terra_rec_str(payload, "owner", &owner, e) ||
	    terra_rec_str_opt(payload, "transferred_from", &from, e) ||
	    terra_unhex(from ? from : owner, pk, sizeof pk, e) ||
	    terra_rec_verify(payload, pk, e)) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "entry %" PRId64 ": unit record", seq);
	}
	return 0;
}

/*
 * One entry: seq in order, canonical payload, prev hash, leaf hash (when
 * stored_leaf is given), then its kind's own checks. *payload_out gets the
 * parsed payload.
 */
static int verify_entry(struct verifier *v, int64_t seq, const char *kind, const char *ptext,
                        size_t plen, const uint8_t *prev, const char *created_at,
                        const uint8_t *stored_leaf, json_t **payload_out, terra_err *e)
{
	json_error_t jerr;
	json_t *payload = NULL;
	char *canon = NULL;
	size_t clen;
	uint8_t leaf[TERRA_HASH_BYTES];
	int64_t at;
	int ret = -1;

	*payload_out = NULL;
	if (seq != v->n + 1) {
		if (seq <= v->n)
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "entry %" PRId64
			                     ": expected here, found entry %" PRId64,
			                     v->n + 1, seq);
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "entry %" PRId64 ": missing (next is %" PRId64 ")", v->n + 1,
		                     seq);
	}
	if (!terra_ledger_kind_ok(kind))
		return terra_err_set(e, TERRA_E_VERIFY, "entry %" PRId64 ": unknown kind", seq);
	if (!created_at || !terra_ledger_safe_text(created_at) ||
	    terra_time_parse(created_at, &at, e))
		return terra_err_set(e, TERRA_E_VERIFY, "entry %" PRId64 ": bad created_at", seq);
	payload = json_loadb(ptext, plen, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(payload)) {
		terra_err_set(e, TERRA_E_VERIFY, "entry %" PRId64 ": payload is not a JSON object",
		              seq);
		goto out;
	}
	if (terra_rec_dumps(payload, &canon, &clen, e) || clen != plen ||
	    memcmp(canon, ptext, plen)) {
		terra_err_set(e, TERRA_E_VERIFY, "entry %" PRId64 ": payload is not canonical",
		              seq);
		goto out;
	}
	if (memcmp(prev, v->prev, TERRA_HASH_BYTES)) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "entry %" PRId64 ": prev hash does not match entry %" PRId64
		              "'s leaf",
		              seq, seq - 1);
		goto out;
	}
	if (terra_ledger_entry_line(&v->line, seq, kind, ptext, plen, prev, created_at)) {
		terra_err_sys(e, "ledger: verify");
		goto out;
	}
	terra_merkle_leaf(v->line.p, v->line.len, leaf);
	if (stored_leaf && memcmp(stored_leaf, leaf, TERRA_HASH_BYTES)) {
		terra_err_set(e, TERRA_E_VERIFY, "entry %" PRId64 ": leaf hash mismatch", seq);
		goto out;
	}
	if ((!strcmp(kind, "unit") || !strcmp(kind, "transfer") || !strcmp(kind, "retire") ||
	     !strcmp(kind, "rekey") || !strcmp(kind, "rescore")) &&
	    check_unit_payload(payload, seq, e))
		goto out;
	if (!strcmp(kind, "payment") &&
	    terra_ledger_apply_postings(v->balances, payload, NULL, 0, 0, seq, e))
		goto out;
	if (!strcmp(kind, "settlement"))
		v->settlements++;
	terra_merkle_acc_push(&v->acc, leaf);
	if (seq == v->since_size)
		terra_merkle_acc_root(&v->acc, v->since_root);
	memcpy(v->prev, leaf, TERRA_HASH_BYTES);
	v->n = seq;
	*payload_out = payload;
	payload = NULL;
	ret = 0;
out:
	free(canon);
	json_decref(payload);
	return ret;
}

/* The checkpoint of the next size: signed by the owner, its origin, size
 * and root those of the entries verified so far. */
static int verify_checkpoint(struct verifier *v, const json_t *cp, terra_err *e)
{
	const char *type, *origin, *root_hex;
	uint8_t root[TERRA_HASH_BYTES], want[TERRA_HASH_BYTES];
	int64_t size;
	int64_t id = v->checkpoints + 1;

	if (terra_rec_int(cp, "size", &size, e)) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "checkpoint %" PRId64, id);
	}
	id = size;
	if (size != v->checkpoints + 1) {
		if (size <= v->checkpoints || size < 1)
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "checkpoint %" PRId64
			                     ": out of order (after checkpoint %" PRId64 ")",
			                     size, v->checkpoints);
		return terra_err_set(e, TERRA_E_VERIFY, "checkpoint %" PRId64 ": missing",
		                     v->checkpoints + 1);
	}
	if (size > v->n)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "entry %" PRId64 ": missing (checkpoint %" PRId64
		                     " comes first)",
		                     v->n + 1, size);
	if (size < v->n)
		return terra_err_set(e, TERRA_E_VERIFY, "checkpoint %" PRId64 ": missing",
		                     size + 1);
	if (terra_rec_type(cp, &type, e) || strcmp(type, "checkpoint"))
		return terra_err_set(e, TERRA_E_VERIFY, "checkpoint %" PRId64 ": not a checkpoint",
		                     id);
	if (terra_rec_verify(cp, v->pk, e)) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "checkpoint %" PRId64, id);
	}
	if (terra_rec_str(cp, "origin", &origin, e) || strcmp(origin, v->origin))
		return terra_err_set(e, TERRA_E_VERIFY, "checkpoint %" PRId64 ": wrong origin", id);
	if (terra_rec_str(cp, "root", &root_hex, e) ||
	    terra_rec_hex(cp, "root", root, TERRA_HASH_BYTES, e))
		return terra_err_set(e, TERRA_E_VERIFY, "checkpoint %" PRId64 ": bad root", id);
	/* Signed, and checkpoints 1..size-1 matched: entry `size` is what changed. */
	terra_merkle_acc_root(&v->acc, want);
	if (memcmp(root, want, TERRA_HASH_BYTES))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "entry %" PRId64
		                     ": leaf hash does not match signed checkpoint %" PRId64,
		                     id, id);
	v->checkpoints = size;
	return 0;
}

/* Recomputes a settlement entry from its inputs (terra-settle's check),
 * checks the carry chain, then adds its postings to the balances. */
static int verify_settlement(struct verifier *v, const json_t *payload, const json_t *inputs,
                             const void *snap, size_t len, int64_t seq, terra_err *e)
{
	char have[TERRA_AMOUNT_MAX], want[TERRA_AMOUNT_MAX];
	int64_t carry_in, carry_out;

	if (terra_settle_check(payload, inputs, snap, len, e)) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "entry %" PRId64, seq);
	}
	if (terra_settle_periods_add(v->periods, payload, seq, e))
		return -1;
	if (terra_rec_amount(payload, "carry_in", &carry_in, e) ||
	    terra_rec_amount(payload, "carry_out", &carry_out, e)) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "entry %" PRId64 ": settlement", seq);
	}
	if (carry_in != v->carry) {
		terra_money_format(carry_in, have);
		terra_money_format(v->carry, want);
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "entry %" PRId64 ": settlement: carry_in %s, but the previous "
		                     "settlement's carry_out is %s",
		                     seq, have, want);
	}
	v->carry = carry_out;
	return terra_ledger_apply_postings(v->balances, payload, snap, len, 1, seq, e);
}

/* A checkpoint row: its body parsed, its columns agreeing with the body. */
static int db_checkpoint(struct verifier *v, sqlite3_stmt *cs, terra_err *e)
{
	int64_t size = sqlite3_column_int64(cs, 0);
	const char *body = (const char *)sqlite3_column_text(cs, 4);
	const char *signer = (const char *)sqlite3_column_text(cs, 2);
	const char *sig = (const char *)sqlite3_column_text(cs, 3);
	uint8_t root[TERRA_HASH_BYTES], broot[TERRA_HASH_BYTES];
	json_t *cp = NULL;
	char *canon = NULL;
	size_t clen;
	int64_t bsize;
	int ret = -1;

	if (!body || terra_record_parse(body, strlen(body), &cp, e) ||
	    terra_rec_dumps(cp, &canon, &clen, e) || strcmp(canon, body)) {
		terra_err_set(e, TERRA_E_VERIFY, "checkpoint %" PRId64 ": malformed body", size);
		goto out;
	}
	if (terra_rec_int(cp, "size", &bsize, e) || bsize != size ||
	    terra_ledger_blob32(cs, 1, root) ||
	    terra_rec_hex(cp, "root", broot, TERRA_HASH_BYTES, e) ||
	    memcmp(root, broot, TERRA_HASH_BYTES) || !signer || !sig ||
	    strcmp(signer, terra_ledger_str_of(cp, "signer")) ||
	    strcmp(sig, terra_ledger_str_of(cp, "sig"))) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "checkpoint %" PRId64 ": columns do not match its signed body", size);
		goto out;
	}
	ret = verify_checkpoint(v, cp, e);
out:
	free(canon);
	json_decref(cp);
	return ret;
}

/* Every settlement entry has its settlements row: a deleted row would let
 * terra-settle's fast path forget the period (it looks at the entries too). */
static int verify_settlement_entries(sqlite3 *db, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int row, ret = -1;

	if (terra_db_prepare(db,
	                     "SELECT e.seq, json_extract(e.payload, '$.period') FROM entries e "
	                     "WHERE e.kind = 'settlement' AND NOT EXISTS (SELECT 1 FROM "
	                     "settlements s WHERE s.entry_seq = e.seq) ORDER BY e.seq LIMIT 1",
	                     &st, e) ||
	    terra_ledger_step(db, st, &row, e))
		goto out;
	if (row) {
		const char *period = (const char *)sqlite3_column_text(st, 1);

		terra_err_set(e, TERRA_E_VERIFY,
		              "entry %" PRId64 ": settlement of period %s has no settlements row",
		              (int64_t)sqlite3_column_int64(st, 0), period ? period : "?");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

/* Every settlements row names a settlement entry of its period, with its inputs_digest. */
static int verify_settlement_rows(sqlite3 *db, int64_t n, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int row, ret = -1;

	if (terra_db_prepare(db,
	                     "SELECT s.period, s.entry_seq, e.kind, e.payload, s.inputs_digest "
	                     "FROM settlements s "
	                     "LEFT JOIN entries e ON e.seq = s.entry_seq ORDER BY s.entry_seq",
	                     &st, e))
		goto out;
	for (;;) {
		const char *period, *kind, *ptext, *digest;
		json_t *payload, *pp, *pd;
		int64_t seq;
		int bad;
		if (terra_ledger_step(db, st, &row, e))
			goto out;
		if (!row)
			break;
		period = (const char *)sqlite3_column_text(st, 0);
		seq = sqlite3_column_int64(st, 1);
		kind = (const char *)sqlite3_column_text(st, 2);
		ptext = (const char *)sqlite3_column_text(st, 3);
		digest = (const char *)sqlite3_column_text(st, 4);
		if (!kind || strcmp(kind, "settlement") || seq > n) {
			terra_err_set(e, TERRA_E_VERIFY,
			              "entry %" PRId64 ": not the settlement of period %s", seq,
			              period ? period : "");
			goto out;
		}
		payload = json_loads(ptext, 0, NULL);
		pp = json_object_get(payload, "period");
		pd = json_object_get(payload, "inputs_digest");
		bad = !json_is_string(pp) || !period || strcmp(json_string_value(pp), period);
		if (!bad && (!json_is_string(pd) || !digest || strcmp(json_string_value(pd), digest)))
			bad = 2;
		json_decref(payload);
		if (bad) {
			terra_err_set(e, TERRA_E_VERIFY,
			              bad == 2 ? "entry %" PRId64 ": settlements row of period %s: "
			                         "inputs_digest differs from the entry's"
			                       : "entry %" PRId64 ": not the settlement of period %s",
			              seq, period);
			goto out;
		}
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

int terra_ledger_verify(terra_home *h, terra_ledger_report *rep, terra_err *e)
{
	return terra_ledger_verify_since(h, 0, rep, e);
}

int terra_ledger_verify_since(terra_home *h, int64_t since, terra_ledger_report *rep,
                              terra_err *e)
{
	struct verifier v;
	sqlite3_stmt *es = NULL, *cs = NULL;
	json_t *payload = NULL, *inputs = NULL;
	void *snap = NULL;
	size_t snaplen = 0;
	int erow, crow, ret = -1;

	memset(rep, 0, sizeof *rep);
	if (verifier_init(&v, h->owner.pk, e))
		return -1;
	v.since_size = since;
	/* One read transaction: a consistent snapshot while others append. */
	if (terra_db_exec(h->db, "BEGIN", e))
		goto out;
	if (terra_db_prepare(h->db,
	                     "SELECT seq, kind, payload, prev_hash, leaf_hash, created_at "
	                     "FROM entries ORDER BY seq",
	                     &es, e) ||
	    terra_db_prepare(h->db,
	                     "SELECT size, root, signer, sig, body FROM checkpoints ORDER BY size",
	                     &cs, e))
		goto out;
	if (terra_ledger_step(h->db, cs, &crow, e))
		goto out;
	for (;;) {
		int64_t seq;
		const char *kind, *ptext, *created_at;
		uint8_t prev[TERRA_HASH_BYTES], leaf[TERRA_HASH_BYTES];
		if (terra_ledger_step(h->db, es, &erow, e))
			goto out;
		if (!erow)
			break;
		seq = sqlite3_column_int64(es, 0);
		kind = (const char *)sqlite3_column_text(es, 1);
		ptext = (const char *)sqlite3_column_text(es, 2);
		created_at = (const char *)sqlite3_column_text(es, 5);
		if (!kind || !ptext || terra_ledger_blob32(es, 3, prev) ||
		    terra_ledger_blob32(es, 4, leaf)) {
			terra_err_set(e, TERRA_E_VERIFY, "entry %" PRId64 ": malformed row", seq);
			goto out;
		}
		if (verify_entry(&v, seq, kind, ptext, (size_t)sqlite3_column_bytes(es, 2), prev,
		                 created_at, leaf, &payload, e))
			goto out;
		if (!strcmp(kind, "settlement")) {
			const char *period = json_string_value(json_object_get(payload, "period"));
			if (!period) {
				terra_err_set(e, TERRA_E_VERIFY,
				              "entry %" PRId64 ": settlement without a period",
				              seq);
				goto out;
			}
			if (terra_settle_inputs_load(h->db, period, &inputs, e)) {
				e->kind = TERRA_E_VERIFY;
				terra_err_wrap(e, "entry %" PRId64 ": settlement inputs", seq);
				goto out;
			}
			if (terra_ledger_load_snapshot(h->db, payload, seq, &snap, &snaplen, e) ||
			    verify_settlement(&v, payload, inputs, snap, snaplen, seq, e))
				goto out;
			json_decref(inputs);
			inputs = NULL;
			free(snap);
			snap = NULL;
		}
		json_decref(payload);
		payload = NULL;
		if (!crow || sqlite3_column_int64(cs, 0) > seq) {
			terra_err_set(e, TERRA_E_VERIFY, "checkpoint %" PRId64 ": missing", seq);
			goto out;
		}
		if (db_checkpoint(&v, cs, e) || terra_ledger_step(h->db, cs, &crow, e))
			goto out;
	}
	if (crow) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "checkpoint %" PRId64 ": beyond the last entry (%" PRId64 ")",
		              (int64_t)sqlite3_column_int64(cs, 0), v.n);
		goto out;
	}
	if (verify_settlement_rows(h->db, v.n, e) || verify_settlement_entries(h->db, e) ||
	    terra_unitchain_verify_db(h->db, e))
		goto out;
	verifier_report(&v, rep);
	ret = 0;
out:
	free(snap);
	json_decref(inputs);
	json_decref(payload);
	sqlite3_finalize(es);
	sqlite3_finalize(cs);
	terra_db_rollback(h->db);
	verifier_free(&v);
	return ret;
}

/* The fields of an exported entry record, whose line must be exactly the
 * canonical entry record (the leaf data). */
static int export_entry(struct verifier *v, const json_t *rec, const char *raw, size_t rawlen,
                        json_t **payload, int64_t *seq, terra_err *e)
{
	const char *kind, *created_at;
	json_t *pobj;
	uint8_t prev[TERRA_HASH_BYTES];
	char *ptext = NULL;
	size_t plen;
	int ret = -1;

	if (terra_rec_int(rec, "seq", seq, e) || terra_rec_str(rec, "kind", &kind, e) ||
	    terra_rec_obj(rec, "payload", &pobj, e) ||
	    terra_rec_hex(rec, "prev", prev, TERRA_HASH_BYTES, e) ||
	    terra_rec_str(rec, "created_at", &created_at, e)) {
		e->kind = TERRA_E_VERIFY;
		return -1;
	}
	if (!terra_ledger_kind_ok(kind))
		return terra_err_set(e, TERRA_E_VERIFY, "entry %" PRId64 ": unknown kind", *seq);
	if (terra_rec_dumps(pobj, &ptext, &plen, e))
		goto out;
	if (verify_entry(v, *seq, kind, ptext, plen, prev, created_at, NULL, payload, e))
		goto out;
	if (v->line.len != rawlen || memcmp(v->line.p, raw, rawlen)) {
		terra_err_set(e, TERRA_E_VERIFY, "entry %" PRId64 ": not in canonical form", *seq);
		goto out;
	}
	ret = 0;
out:
	free(ptext);
	return ret;
}

/* A settlement entry of an export, waiting for its inputs and holdings. */
struct pending {
	json_t *payload; /* NULL when none is pending */
	int64_t seq;
	json_t *inputs; /* unit rows, from its settlement_inputs records */
	int got_inputs;
	terra_buf snap; /* the snapshot body rebuilt from its holding records */
	int64_t holdings;
};

static void pending_clear(struct pending *p)
{
	json_decref(p->payload);
	json_decref(p->inputs);
	p->payload = NULL;
	p->inputs = NULL;
	p->got_inputs = 0;
	p->snap.len = 0;
	p->holdings = 0;
}

static int pending_finish(struct verifier *v, struct pending *p, terra_err *e)
{
	int ret;

	if (!p->payload)
		return 0;
	if (!p->got_inputs)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "entry %" PRId64 ": settlement inputs missing from the export",
		                     p->seq);
	ret = verify_settlement(v, p->payload, p->inputs, p->snap.p ? p->snap.p : "", p->snap.len,
	                        p->seq, e);
	pending_clear(p);
	return ret;
}

/* A holding record: one holder of the pending settlement's snapshot. */
static int pending_holding(struct pending *p, const json_t *rec, terra_err *e)
{
	const char *account;
	int64_t of = 0, balance;
	char num[24];

	if (p->payload && !p->got_inputs)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "entry %" PRId64 ": settlement inputs missing from the export",
		                     p->seq);
	if (!p->payload || terra_rec_int(rec, "entry", &of, e) || of != p->seq)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "holding record: not after its settlement entry's inputs");
	if (terra_rec_str(rec, "account", &account, e) ||
	    terra_rec_amount(rec, "balance", &balance, e) || balance < 0 || strlen(account) > 256) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "holding record");
	}
	snprintf(num, sizeof num, "%" PRId64 "\n", balance);
	if (terra_buf_put(&p->snap, account, strlen(account) + 1) || terra_buf_puts(&p->snap, num))
		return terra_err_sys(e, "ledger: verify");
	p->holdings++;
	return 0;
}

int terra_ledger_verify_export(struct terra_reader *r, const uint8_t pk[TERRA_PK_BYTES],
                               terra_ledger_report *rep, terra_err *e)
{
	return terra_ledger_verify_export_since(r, pk, 0, rep, e);
}

int terra_ledger_verify_export_since(struct terra_reader *r, const uint8_t pk[TERRA_PK_BYTES],
                                     int64_t since, terra_ledger_report *rep, terra_err *e)
{
	struct verifier v;
	struct pending pend;
	json_t *rec = NULL;
	int64_t seq;
	const char *type, *raw;
	char *canon = NULL;
	size_t rawlen, clen;
	int rc, ret = -1;

	memset(rep, 0, sizeof *rep);
	memset(&pend, 0, sizeof pend);
	if (verifier_init(&v, pk, e))
		return -1;
	v.since_size = since;
	while ((rc = terra_reader_next(r, &rec, e)) != 0) {
		if (rc == -2)
			goto out;
		if (rc < 0) {
			/* "FILE:LINE: why": keep why, named after what was due there */
			const char *why = strstr(e->msg, ": ");
			char msg[TERRA_ERR_MAX];
			snprintf(msg, sizeof msg, "%s", why ? why + 2 : e->msg);
			terra_err_set(e, TERRA_E_VERIFY, "%s", msg);
			goto bad_line;
		}
		raw = terra_reader_line(r, &rawlen);
		type = json_string_value(json_object_get(rec, "type"));
		if (pend.payload && strcmp(type, "settlement_inputs") && strcmp(type, "holding") &&
		    pending_finish(&v, &pend, e))
			goto bad_line;
		if (!strcmp(type, "entry")) {
			json_t *payload = NULL;
			if (export_entry(&v, rec, raw, rawlen, &payload, &seq, e))
				goto bad_line;
			if (!strcmp(json_string_value(json_object_get(rec, "kind")),
			            "settlement")) {
				pend.payload = payload;
				pend.seq = seq;
			} else {
				json_decref(payload);
			}
		} else if (!strcmp(type, "settlement_inputs")) {
			json_t *inputs = json_object_get(rec, "inputs");
			int64_t of = 0;
			if (!pend.payload || pend.holdings || terra_rec_int(rec, "entry", &of, e) ||
			    of != pend.seq || !json_is_array(inputs)) {
				terra_err_set(
				    e, TERRA_E_VERIFY,
				    "settlement_inputs record: not after its settlement entry");
				goto bad_line;
			}
			if (!pend.inputs && !(pend.inputs = json_array())) {
				terra_err_sys(e, "ledger: verify");
				goto out;
			}
			if (json_array_extend(pend.inputs, inputs)) {
				terra_err_sys(e, "ledger: verify");
				goto out;
			}
			pend.got_inputs = 1;
		} else if (!strcmp(type, "holding")) {
			if (pending_holding(&pend, rec, e))
				goto bad_line;
		} else if (!strcmp(type, "checkpoint")) {
			if (terra_rec_dumps(rec, &canon, &clen, e) || clen != rawlen ||
			    memcmp(canon, raw, rawlen)) {
				terra_err_set(e, TERRA_E_VERIFY,
				              "checkpoint: not in canonical form");
				goto bad_line;
			}
			free(canon);
			canon = NULL;
			if (verify_checkpoint(&v, rec, e))
				goto bad_line;
		} else {
			terra_err_set(e, TERRA_E_VERIFY, "unexpected %s record", type);
			goto bad_line;
		}
		json_decref(rec);
		rec = NULL;
	}
	if (pending_finish(&v, &pend, e))
		goto out;
	if (v.checkpoints != v.n) {
		terra_err_set(e, TERRA_E_VERIFY, "checkpoint %" PRId64 ": missing",
		              v.checkpoints + 1);
		goto out;
	}
	verifier_report(&v, rep);
	ret = 0;
	goto out;
bad_line:
	if (strncmp(e->msg, "entry ", 6) && strncmp(e->msg, "checkpoint ", 11)) {
		if (pend.payload)
			terra_err_wrap(e, "entry %" PRId64 ": settlement inputs", pend.seq);
		else if (v.checkpoints < v.n)
			terra_err_wrap(e, "checkpoint %" PRId64, v.n);
		else
			terra_err_wrap(e, "entry %" PRId64, v.n + 1);
	}
	e->kind = TERRA_E_VERIFY;
	terra_err_wrap(e, "%s:%ld", terra_reader_name(r), terra_reader_lineno(r));
out:
	free(canon);
	pending_clear(&pend);
	free(pend.snap.p);
	json_decref(rec);
	verifier_free(&v);
	return ret;
}
