#include "ledger.h"

#include "buf.h"

#include "db.h"
#include "key.h"
#include "merkle.h"
#include "money.h"
#include "record.h"
#include "settle.h"
#include "time.h"

#include <csv.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define HASH     TERRA_HASH_BYTES
#define HEX_HASH (2 * HASH + 1)

static const char *const kinds[] = {"unit",       "transfer", "retire", "meter",
                                    "settlement", "payment",  NULL};

int terra_ledger_kind_ok(const char *kind)
{
	size_t i;

	for (i = 0; kind && kinds[i]; i++)
		if (!strcmp(kind, kinds[i]))
			return 1;
	return 0;
}

/*
 * The canonical entry record, built as text: its keys in bytewise order
 * are created_at, kind, payload, prev, seq, type, v. kind is one of the
 * fixed names and created_at a formatted time, so neither needs escaping;
 * payload is already canonical JSON.
 */
static int entry_line(terra_buf *b, int64_t seq, const char *kind, const char *payload,
                      size_t plen, const uint8_t prev[HASH], const char *created_at)
{
	char hex[HEX_HASH], num[32];

	terra_hex(prev, HASH, hex);
	snprintf(num, sizeof num, "%" PRId64, seq);
	b->len = 0;
	if (terra_buf_puts(b, "{\"created_at\":\"") || terra_buf_puts(b, created_at) ||
	    terra_buf_puts(b, "\",\"kind\":\"") || terra_buf_puts(b, kind) || terra_buf_puts(b, "\",\"payload\":") ||
	    terra_buf_put(b, payload, plen) || terra_buf_puts(b, ",\"prev\":\"") || terra_buf_puts(b, hex) ||
	    terra_buf_puts(b, "\",\"seq\":") || terra_buf_puts(b, num) ||
	    terra_buf_puts(b, ",\"type\":\"entry\",\"v\":1}"))
		return -1;
	return 0;
}

static void origin_of(const uint8_t pk[TERRA_PK_BYTES], char out[6 + TERRA_PK_HEX])
{
	memcpy(out, "terra:", 6);
	terra_hex(pk, TERRA_PK_BYTES, out + 6);
}

/*
 * The tip of the ledger: entry count, last leaf hash, and the Merkle
 * frontier stored with the last checkpoint, checked against that
 * checkpoint's root so a damaged frontier never signs a wrong root.
 */
static int load_tip(sqlite3 *db, int64_t *n, uint8_t prev[HASH], terra_merkle_acc *acc,
                    terra_err *e)
{
	sqlite3_stmt *st = NULL;
	uint8_t root[HASH], got[HASH];
	const void *blob;
	int rc, ret = -1;
	unsigned k;

	*n = 0;
	memset(prev, 0, HASH);
	terra_merkle_acc_init(acc);
	if (terra_db_prepare(db, "SELECT seq, leaf_hash FROM entries ORDER BY seq DESC LIMIT 1",
	                     &st, e))
		goto out;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		ret = 0;
		goto out;
	}
	if (rc != SQLITE_ROW) {
		terra_db_err(db, e, "ledger: read the last entry");
		goto out;
	}
	*n = sqlite3_column_int64(st, 0);
	blob = sqlite3_column_blob(st, 1);
	if (sqlite3_column_bytes(st, 1) != HASH || !blob) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "ledger: entry %" PRId64 ": bad leaf hash; run 'terra-ledger verify'",
		              *n);
		goto out;
	}
	memcpy(prev, blob, HASH);
	sqlite3_finalize(st);
	st = NULL;

	if (terra_db_prepare(db, "SELECT root, frontier FROM checkpoints WHERE size = ?", &st, e))
		goto out;
	sqlite3_bind_int64(st, 1, *n);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			terra_err_set(e, TERRA_E_VERIFY,
			              "ledger: no checkpoint for its %" PRId64
			              " entries; run 'terra-ledger verify'",
			              *n);
		else
			terra_db_err(db, e, "ledger: read the last checkpoint");
		goto out;
	}
	k = (unsigned)__builtin_popcountll((unsigned long long)*n);
	if (*n < 0 || sqlite3_column_bytes(st, 0) != HASH ||
	    sqlite3_column_bytes(st, 1) != (int)(k * HASH)) {
		terra_err_set(
		    e, TERRA_E_VERIFY,
		    "ledger: checkpoint %" PRId64 " is damaged; run 'terra-ledger verify'", *n);
		goto out;
	}
	memcpy(root, sqlite3_column_blob(st, 0), HASH);
	if (k)
		memcpy(acc->stack, sqlite3_column_blob(st, 1), (size_t)k * HASH);
	acc->n = (uint64_t)*n;
	terra_merkle_acc_root(acc, got);
	if (memcmp(got, root, HASH)) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "ledger: checkpoint %" PRId64
		              ": frontier does not match its root; run 'terra-ledger verify'",
		              *n);
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

/* Signs and stores the checkpoint for the tree in acc. */
static int put_checkpoint(terra_home *h, const terra_merkle_acc *acc, terra_err *e)
{
	char origin[6 + TERRA_PK_HEX], hex[HEX_HASH];
	uint8_t root[HASH];
	sqlite3_stmt *st = NULL;
	json_t *cp = NULL;
	char *body = NULL;
	unsigned k = (unsigned)__builtin_popcountll(acc->n);
	int ret = -1;

	origin_of(h->owner.pk, origin);
	terra_merkle_acc_root(acc, root);
	terra_hex(root, HASH, hex);
	cp = json_pack("{s:s, s:i, s:s, s:I, s:s}", "type", "checkpoint", "v", 1, "origin", origin,
	               "size", (json_int_t)acc->n, "root", hex);
	if (!cp) {
		terra_err_sys(e, "ledger: checkpoint");
		goto out;
	}
	if (terra_rec_sign(cp, &h->owner, e) || terra_rec_dumps(cp, &body, NULL, e))
		goto out;
	if (terra_db_prepare(h->db,
	                     "INSERT INTO checkpoints (size, root, signer, sig, body, "
	                     "frontier) VALUES (?, ?, ?, ?, ?, ?)",
	                     &st, e))
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)acc->n);
	sqlite3_bind_blob(st, 2, root, HASH, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, json_string_value(json_object_get(cp, "signer")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 4, json_string_value(json_object_get(cp, "sig")), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, body, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, acc->stack, (int)(k * HASH), SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		terra_db_err(h->db, e, "ledger: store checkpoint");
		goto out;
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	free(body);
	json_decref(cp);
	return ret;
}

int terra_ledger_append(terra_home *h, const char *kind, const json_t *payload, int64_t *seq,
                        terra_err *e)
{
	char created_at[TERRA_TIME_MAX];
	uint8_t prev[HASH], leaf[HASH];
	terra_merkle_acc acc;
	terra_buf line = {NULL, 0, 0};
	sqlite3_stmt *st = NULL;
	char *ptext = NULL;
	size_t plen;
	int64_t n, now;
	int ret = -1;

	if (!terra_ledger_kind_ok(kind))
		return terra_err_set(e, TERRA_E_INPUT, "ledger: unknown entry kind '%s'",
		                     kind ? kind : "");
	if (!json_is_object(payload))
		return terra_err_set(e, TERRA_E_INPUT, "ledger: entry payload must be an object");
	if (!h->owner.sk)
		return terra_err_set(e, TERRA_E_STATE,
		                     "ledger: the owner key is needed to sign checkpoints");
	if (sqlite3_get_autocommit(h->db))
		return terra_err_set(e, TERRA_E_STATE, "ledger: append outside a transaction");
	if (terra_time_now(&now, e))
		return terra_err_wrap(e, "ledger");
	terra_time_format(now, created_at);
	if (terra_rec_dumps(payload, &ptext, &plen, e))
		return terra_err_wrap(e, "ledger: entry payload");
	if (load_tip(h->db, &n, prev, &acc, e))
		goto out;
	if (entry_line(&line, n + 1, kind, ptext, plen, prev, created_at)) {
		terra_err_sys(e, "ledger: entry");
		goto out;
	}
	terra_merkle_leaf(line.p, line.len, leaf);
	if (terra_db_prepare(h->db,
	                     "INSERT INTO entries (seq, kind, payload, prev_hash, leaf_hash, "
	                     "created_at) VALUES (?, ?, ?, ?, ?, ?)",
	                     &st, e))
		goto out;
	sqlite3_bind_int64(st, 1, n + 1);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ptext, (int)plen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, prev, HASH, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, leaf, HASH, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, created_at, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		terra_db_err(h->db, e, "ledger: append entry");
		goto out;
	}
	terra_merkle_acc_push(&acc, leaf);
	if (put_checkpoint(h, &acc, e))
		goto out;
	if (seq)
		*seq = n + 1;
	ret = 0;
out:
	sqlite3_finalize(st);
	free(line.p);
	free(ptext);
	return ret;
}

/* ---- verification ----------------------------------------------------- */

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
	char origin[6 + TERRA_PK_HEX];
	int64_t n;           /* entries verified */
	int64_t checkpoints; /* checkpoints verified (sizes 1..checkpoints) */
	int64_t settlements;
	uint8_t prev[HASH];   /* leaf hash of entry n */
	terra_merkle_acc acc; /* tree of entries 1..n */
	json_t *balances;     /* account -> integer */
	terra_buf line;
	int64_t carry; /* carry_out of the last settlement verified */
	int64_t since_size;  /* the caller's kept checkpoint size, or -1 */
	uint8_t since_root[HASH]; /* the root of entries 1..since_size */
};

static int verifier_init(struct verifier *v, const uint8_t pk[TERRA_PK_BYTES], terra_err *e)
{
	memset(v, 0, sizeof *v);
	memcpy(v->pk, pk, TERRA_PK_BYTES);
	origin_of(pk, v->origin);
	terra_merkle_acc_init(&v->acc);
	v->balances = json_object();
	if (!v->balances)
		return terra_err_sys(e, "ledger: verify");
	return 0;
}

static void verifier_free(struct verifier *v)
{
	json_decref(v->balances);
	free(v->line.p);
}

static int verifier_report(struct verifier *v, terra_ledger_report *rep)
{
	rep->entries = v->n;
	memcpy(rep->since_root, v->since_root, HASH);
	rep->checkpoints = v->checkpoints;
	rep->settlements = v->settlements;
	terra_merkle_acc_root(&v->acc, rep->root);
	rep->balances = v->balances;
	v->balances = NULL;
	return 0;
}

static int safe_text(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

/* One posting as a callback sees it; role may be "" when absent. */
typedef int (*posting_fn)(void *ctx, const char *account, const char *role, int64_t amount,
                          terra_err *e);

struct expand_ctx {
	posting_fn fn;
	void *ctx;
};

static int expand_fn(void *ctx, const char *account, int64_t amount, terra_err *e)
{
	struct expand_ctx *x = ctx;

	return x->fn(x->ctx, account, "holder", amount, e);
}

/*
 * Hands each posting of a money entry to fn, the settlement's "holders"
 * posting expanded into one "holder" posting per paid holder, recomputed
 * from the snapshot body snap (DESIGN: terra_settle_holders_each). With
 * check_sum the recorded postings must sum to zero.
 */
static int each_posting(const json_t *payload, const void *snap, size_t len, int has_snap,
                        int64_t seq, int check_sum, posting_fn fn, void *ctx, terra_err *e)
{
	json_t *postings = json_object_get(payload, "postings"), *p;
	int64_t sum = 0, amount;
	const char *account, *role;
	size_t i;

	if (!json_is_array(postings) || json_array_size(postings) == 0)
		return terra_err_set(e, TERRA_E_VERIFY, "entry %" PRId64 ": no postings", seq);
	json_array_foreach(postings, i, p)
	{
		if (terra_rec_str(p, "account", &account, e) ||
		    terra_rec_amount(p, "amount", &amount, e)) {
			e->kind = TERRA_E_VERIFY;
			return terra_err_wrap(e, "entry %" PRId64 ": posting %zu", seq, i + 1);
		}
		role = json_string_value(json_object_get(p, "role"));
		if (terra_money_add(sum, amount, &sum, e)) {
			e->kind = TERRA_E_VERIFY;
			return terra_err_wrap(e, "entry %" PRId64 ": posting %zu", seq, i + 1);
		}
		if (role && !strcmp(role, "holders")) {
			struct expand_ctx x = {fn, ctx};

			if (!has_snap)
				return terra_err_set(e, TERRA_E_VERIFY,
				                     "entry %" PRId64 ": holders snapshot missing",
				                     seq);
			if (terra_settle_holders_each(payload, snap, len, expand_fn, &x, e)) {
				e->kind = TERRA_E_VERIFY;
				return terra_err_wrap(e, "entry %" PRId64, seq);
			}
			continue;
		}
		if (fn(ctx, account, role ? role : "", amount, e))
			return -1;
	}
	if (check_sum && sum != 0)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "entry %" PRId64 ": postings do not sum to zero", seq);
	return 0;
}

static int balance_add(void *ctx, const char *account, const char *role, int64_t amount,
                       terra_err *e)
{
	json_t *balances = ctx;
	int64_t bal = json_integer_value(json_object_get(balances, account));

	(void)role;
	if (terra_money_add(bal, amount, &bal, e)) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "account '%s'", account);
	}
	if (json_object_set_new(balances, account, json_integer(bal)))
		return terra_err_sys(e, "ledger: balances");
	return 0;
}

/* Adds a money entry's postings to the balances; they must sum to zero. */
static int apply_postings(json_t *balances, const json_t *payload, const void *snap, size_t len,
                          int has_snap, int64_t seq, terra_err *e)
{
	return each_posting(payload, snap, len, has_snap, seq, 1, balance_add, balances, e);
}

/* The holders snapshot of a settlement payload, from the database. */
static int load_snapshot(sqlite3 *db, const json_t *payload, int64_t seq, void **snap,
                         size_t *len, terra_err *e)
{
	const char *digest = json_string_value(
	    json_object_get(json_object_get(payload, "inputs"), "holders"));

	if (terra_settle_snapshot_load(db, digest, snap, len, e)) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "entry %" PRId64, seq);
	}
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
	uint8_t leaf[HASH];
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
	if (!created_at || !safe_text(created_at) || terra_time_parse(created_at, &at, e))
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
	if (memcmp(prev, v->prev, HASH)) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "entry %" PRId64 ": prev hash does not match entry %" PRId64
		              "'s leaf",
		              seq, seq - 1);
		goto out;
	}
	if (entry_line(&v->line, seq, kind, ptext, plen, prev, created_at)) {
		terra_err_sys(e, "ledger: verify");
		goto out;
	}
	terra_merkle_leaf(v->line.p, v->line.len, leaf);
	if (stored_leaf && memcmp(stored_leaf, leaf, HASH)) {
		terra_err_set(e, TERRA_E_VERIFY, "entry %" PRId64 ": leaf hash mismatch", seq);
		goto out;
	}
	if ((!strcmp(kind, "unit") || !strcmp(kind, "transfer") || !strcmp(kind, "retire")) &&
	    check_unit_payload(payload, seq, e))
		goto out;
	if (!strcmp(kind, "payment") && apply_postings(v->balances, payload, NULL, 0, 0, seq, e))
		goto out;
	if (!strcmp(kind, "settlement"))
		v->settlements++;
	terra_merkle_acc_push(&v->acc, leaf);
	if (v->n + 1 == v->since_size)
		terra_merkle_acc_root(&v->acc, v->since_root);
	memcpy(v->prev, leaf, HASH);
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
	uint8_t root[HASH], want[HASH];
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
	if (terra_rec_str(cp, "root", &root_hex, e) || terra_rec_hex(cp, "root", root, HASH, e))
		return terra_err_set(e, TERRA_E_VERIFY, "checkpoint %" PRId64 ": bad root", id);
	/* Signed, and checkpoints 1..size-1 matched: entry `size` is what changed. */
	terra_merkle_acc_root(&v->acc, want);
	if (memcmp(root, want, HASH))
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
	return apply_postings(v->balances, payload, snap, len, 1, seq, e);
}

static const char *str_of(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

static int blob32(sqlite3_stmt *st, int col, uint8_t out[HASH])
{
	if (sqlite3_column_type(st, col) != SQLITE_BLOB || sqlite3_column_bytes(st, col) != HASH)
		return -1;
	memcpy(out, sqlite3_column_blob(st, col), HASH);
	return 0;
}

/* A checkpoint row: its body parsed, its columns agreeing with the body. */
static int db_checkpoint(struct verifier *v, sqlite3_stmt *cs, terra_err *e)
{
	int64_t size = sqlite3_column_int64(cs, 0);
	const char *body = (const char *)sqlite3_column_text(cs, 4);
	const char *signer = (const char *)sqlite3_column_text(cs, 2);
	const char *sig = (const char *)sqlite3_column_text(cs, 3);
	uint8_t root[HASH], broot[HASH];
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
	if (terra_rec_int(cp, "size", &bsize, e) || bsize != size || blob32(cs, 1, root) ||
	    terra_rec_hex(cp, "root", broot, HASH, e) || memcmp(root, broot, HASH) || !signer ||
	    !sig || strcmp(signer, str_of(cp, "signer")) || strcmp(sig, str_of(cp, "sig"))) {
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

static int step_or_done(sqlite3 *db, sqlite3_stmt *st, int *row, terra_err *e)
{
	int rc = sqlite3_step(st);

	*row = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return terra_db_err(db, e, "ledger: verify");
	return 0;
}

/* Every settlements row names a settlement entry of its period. */
static int verify_settlement_rows(sqlite3 *db, int64_t n, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int row, ret = -1;

	if (terra_db_prepare(db,
	                     "SELECT s.period, s.entry_seq, e.kind, e.payload FROM settlements s "
	                     "LEFT JOIN entries e ON e.seq = s.entry_seq ORDER BY s.entry_seq",
	                     &st, e))
		goto out;
	for (;;) {
		const char *period, *kind, *ptext;
		json_t *payload, *pp;
		int64_t seq;
		int bad;
		if (step_or_done(db, st, &row, e))
			goto out;
		if (!row)
			break;
		period = (const char *)sqlite3_column_text(st, 0);
		seq = sqlite3_column_int64(st, 1);
		kind = (const char *)sqlite3_column_text(st, 2);
		ptext = (const char *)sqlite3_column_text(st, 3);
		if (!kind || strcmp(kind, "settlement") || seq > n) {
			terra_err_set(e, TERRA_E_VERIFY,
			              "entry %" PRId64 ": not the settlement of period %s", seq,
			              period ? period : "");
			goto out;
		}
		payload = json_loads(ptext, 0, NULL);
		pp = json_object_get(payload, "period");
		bad = !json_is_string(pp) || !period || strcmp(json_string_value(pp), period);
		json_decref(payload);
		if (bad) {
			terra_err_set(e, TERRA_E_VERIFY,
			              "entry %" PRId64 ": not the settlement of period %s", seq,
			              period);
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
	struct verifier v;
	sqlite3_stmt *es = NULL, *cs = NULL;
	json_t *payload = NULL, *inputs = NULL;
	void *snap = NULL;
	size_t snaplen = 0;
	int erow, crow, ret = -1;

	int64_t since = rep->since_size;

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
	if (step_or_done(h->db, cs, &crow, e))
		goto out;
	for (;;) {
		int64_t seq;
		const char *kind, *ptext, *created_at;
		uint8_t prev[HASH], leaf[HASH];
		if (step_or_done(h->db, es, &erow, e))
			goto out;
		if (!erow)
			break;
		seq = sqlite3_column_int64(es, 0);
		kind = (const char *)sqlite3_column_text(es, 1);
		ptext = (const char *)sqlite3_column_text(es, 2);
		created_at = (const char *)sqlite3_column_text(es, 5);
		if (!kind || !ptext || blob32(es, 3, prev) || blob32(es, 4, leaf)) {
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
			if (load_snapshot(h->db, payload, seq, &snap, &snaplen, e) ||
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
		if (db_checkpoint(&v, cs, e) || step_or_done(h->db, cs, &crow, e))
			goto out;
	}
	if (crow) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "checkpoint %" PRId64 ": beyond the last entry (%" PRId64 ")",
		              (int64_t)sqlite3_column_int64(cs, 0), v.n);
		goto out;
	}
	if (verify_settlement_rows(h->db, v.n, e))
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

/* ---- exports ---------------------------------------------------------- */

/* The fields of an exported entry record, whose line must be exactly the
 * canonical entry record (the leaf data). */
static int export_entry(struct verifier *v, const json_t *rec, const char *raw, size_t rawlen,
                        json_t **payload, int64_t *seq, terra_err *e)
{
	const char *kind, *created_at;
	json_t *pobj;
	uint8_t prev[HASH];
	char *ptext = NULL;
	size_t plen;
	int ret = -1;

	if (terra_rec_int(rec, "seq", seq, e) || terra_rec_str(rec, "kind", &kind, e) ||
	    terra_rec_obj(rec, "payload", &pobj, e) || terra_rec_hex(rec, "prev", prev, HASH, e) ||
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
	ret = verify_settlement(v, p->payload, p->inputs, p->snap.p ? p->snap.p : "",
	                        p->snap.len, p->seq, e);
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
	    terra_rec_amount(rec, "balance", &balance, e) || balance < 0 ||
	    strlen(account) > 256) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "holding record");
	}
	snprintf(num, sizeof num, "%" PRId64 "\n", balance);
	if (terra_buf_put(&p->snap, account, strlen(account) + 1) || terra_buf_puts(&p->snap, num))
		return terra_err_sys(e, "ledger: verify");
	p->holdings++;
	return 0;
}

int terra_ledger_verify_export(struct terra_reader *r, const uint8_t pk[32],
                               terra_ledger_report *rep, terra_err *e)
{
	struct verifier v;
	struct pending pend;
	json_t *rec = NULL;
	int64_t seq;
	const char *type, *raw;
	char *canon = NULL;
	size_t rawlen, clen;
	int rc, ret = -1;
	int64_t since = rep->since_size;

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

/* Walks the stored entries in order, handing each one's line and parsed payload to fn. */
typedef int (*entry_fn)(void *ctx, int64_t seq, const char *kind, const char *line, size_t len,
                        const json_t *payload, sqlite3_stmt *row, terra_err *e);

static int each_entry(sqlite3 *db, const char *kind, int want_payload, entry_fn fn, void *ctx,
                      terra_err *e)
{
	sqlite3_stmt *st = NULL;
	terra_buf line = {NULL, 0, 0};
	json_t *payload = NULL;
	int row, ret = -1;

	if (terra_db_prepare(db,
	                     "SELECT seq, kind, payload, prev_hash, leaf_hash, created_at "
	                     "FROM entries WHERE ?1 IS NULL OR kind = ?1 ORDER BY seq",
	                     &st, e))
		goto out;
	if (kind)
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	for (;;) {
		int64_t seq;
		const char *k, *ptext, *at;
		uint8_t prev[HASH];
		if (step_or_done(db, st, &row, e))
			goto out;
		if (!row)
			break;
		seq = sqlite3_column_int64(st, 0);
		k = (const char *)sqlite3_column_text(st, 1);
		ptext = (const char *)sqlite3_column_text(st, 2);
		at = (const char *)sqlite3_column_text(st, 5);
		if (!k || !ptext || !at || blob32(st, 3, prev) || !terra_ledger_kind_ok(k) ||
		    !safe_text(at)) {
			terra_err_set(e, TERRA_E_VERIFY,
			              "entry %" PRId64 ": malformed row; run 'terra-ledger verify'",
			              seq);
			goto out;
		}
		if (entry_line(&line, seq, k, ptext, (size_t)sqlite3_column_bytes(st, 2), prev,
		               at)) {
			terra_err_sys(e, "ledger");
			goto out;
		}
		if (want_payload) {
			payload = json_loads(ptext, JSON_REJECT_DUPLICATES, NULL);
			if (!json_is_object(payload)) {
				terra_err_set(
				    e, TERRA_E_VERIFY,
				    "entry %" PRId64
				    ": payload is not a JSON object; run 'terra-ledger verify'",
				    seq);
				goto out;
			}
		}
		if (fn(ctx, seq, k, line.p, line.len, payload, st, e))
			goto out;
		json_decref(payload);
		payload = NULL;
	}
	ret = 0;
out:
	json_decref(payload);
	free(line.p);
	sqlite3_finalize(st);
	return ret;
}

static int log_fn(void *ctx, int64_t seq, const char *kind, const char *line, size_t len,
                  const json_t *payload, sqlite3_stmt *row, terra_err *e)
{
	json_t *rows = ctx, *rec;

	(void)kind;
	(void)payload;
	(void)row;
	rec = json_loadb(line, len, 0, NULL);
	if (!rec || json_array_append_new(rows, rec))
		return terra_err_set(e, TERRA_E_VERIFY, "entry %" PRId64 ": unreadable", seq);
	return 0;
}

int terra_ledger_log(sqlite3 *db, const char *kind, json_t **rows, terra_err *e)
{
	*rows = json_array();
	if (!*rows)
		return terra_err_sys(e, "ledger: log");
	if (each_entry(db, kind, 0, log_fn, *rows, e)) {
		json_decref(*rows);
		*rows = NULL;
		return -1;
	}
	return 0;
}

struct balance_ctx {
	sqlite3 *db;
	json_t *balances;
};

static int balance_fn(void *ctx, int64_t seq, const char *kind, const char *line, size_t len,
                      const json_t *payload, sqlite3_stmt *row, terra_err *e)
{
	struct balance_ctx *b = ctx;
	void *snap = NULL;
	size_t slen = 0;
	int ret;

	(void)line;
	(void)len;
	(void)row;
	if (strcmp(kind, "settlement") && strcmp(kind, "payment"))
		return 0;
	if (!strcmp(kind, "settlement") && load_snapshot(b->db, payload, seq, &snap, &slen, e))
		return -1;
	ret = apply_postings(b->balances, payload, snap, slen, snap != NULL, seq, e);
	free(snap);
	return ret;
}

int terra_ledger_balances(sqlite3 *db, json_t **balances, terra_err *e)
{
	struct balance_ctx b = {db, NULL};

	*balances = json_object();
	if (!*balances)
		return terra_err_sys(e, "ledger: balances");
	b.balances = *balances;
	if (each_entry(db, NULL, 1, balance_fn, &b, e)) {
		json_decref(*balances);
		*balances = NULL;
		return -1;
	}
	return 0;
}

static json_t *balance_rec(const char *account, int64_t units)
{
	char amount[TERRA_AMOUNT_MAX];

	terra_money_format(units, amount);
	return json_pack("{s:s, s:i, s:s, s:s}", "type", "balance", "v", 1, "account", account,
	                 "amount", amount);
}

static const char **sorted_keys(const json_t *obj, size_t *n);

int terra_ledger_balance_rows(sqlite3 *db, const char *account, json_t **rows, terra_err *e)
{
	json_t *balances = NULL;
	const char **keys = NULL;
	size_t i, n;
	int ret = -1;

	*rows = json_array();
	if (!*rows || terra_ledger_balances(db, &balances, e))
		goto out;
	if (account) {
		json_t *v = json_object_get(balances, account);
		if (json_array_append_new(*rows, balance_rec(account, json_integer_value(v))))
			goto oom;
		ret = 0;
		goto out;
	}
	keys = sorted_keys(balances, &n);
	if (!keys)
		goto oom;
	for (i = 0; i < n; i++)
		if (json_array_append_new(
		        *rows, balance_rec(keys[i],
		                           json_integer_value(json_object_get(balances, keys[i])))))
			goto oom;
	ret = 0;
	goto out;
oom:
	terra_err_sys(e, "ledger: balances");
out:
	if (ret) {
		json_decref(*rows);
		*rows = NULL;
	}
	free(keys);
	json_decref(balances);
	return ret;
}

int terra_ledger_pay(terra_home *h, const char *account, int64_t amount, const char *ref,
                     int64_t *seq, terra_err *e)
{
	char due[TERRA_AMOUNT_MAX], paid[TERRA_AMOUNT_MAX], neg[TERRA_AMOUNT_MAX];
	json_t *balances = NULL, *payload = NULL;
	int64_t owed;
	int ret = -1;

	if (amount <= 0)
		return terra_err_set(e, TERRA_E_INPUT, "pay: the amount must be positive");
	if (!*account || !strcmp(account, "revenue") || !strcmp(account, "carry") ||
	    !strcmp(account, "paid"))
		return terra_err_set(e, TERRA_E_INPUT, "pay: '%s' is not an account to pay out",
		                     account);
	if (terra_db_begin(h->db, e))
		return -1;
	if (terra_ledger_balances(h->db, &balances, e))
		goto out;
	owed = json_integer_value(json_object_get(balances, account));
	terra_money_format(amount, paid);
	terra_money_format(-amount, neg);
	if (owed < amount) {
		terra_money_format(owed, due);
		terra_err_set(e, TERRA_E_STATE, "pay: '%s' is owed %s, not %s", account, due, paid);
		goto out;
	}
	payload = json_pack("{s:s, s:i, s:s, s:s, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}]}", "type",
	                    "payment", "v", 1, "account", account, "amount", paid, "postings",
	                    "account", account, "role", "payee", "amount", neg, "account", "paid",
	                    "role", "paid", "amount", paid);
	if (!payload || (ref && json_object_set_new(payload, "ref", json_string(ref)))) {
		terra_err_set(e, TERRA_E_INPUT, "pay: bad account or reference (not UTF-8?)");
		goto out;
	}
	if (terra_ledger_append(h, "payment", payload, seq, e) || terra_db_commit(h->db, e))
		goto out;
	ret = 0;
out:
	if (ret)
		terra_db_rollback(h->db);
	json_decref(payload);
	json_decref(balances);
	return ret;
}

struct export_ctx {
	sqlite3 *db;
	FILE *f;
	sqlite3_stmt *cp; /* checkpoint body by size */
	json_t *accounts; /* hledger: accounts seen */
	const char *period;
	json_t *sums; /* payouts: account -> integer */
	int64_t seq;  /* the entry being written */
};

static int put_line(FILE *f, const char *s, size_t n, terra_err *e)
{
	if (fwrite(s, 1, n, f) != n || putc('\n', f) == EOF)
		return terra_err_sys(e, "ledger: write");
	return 0;
}

/* Unit rows per settlement_inputs record: about 150 bytes each, far below 1 MiB a line. */
#define INPUTS_CHUNK 1000

/* The settlement's unit rows, in records of at most INPUTS_CHUNK rows (at least one record). */
static int write_inputs(struct export_ctx *x, int64_t seq, const char *period,
                        const json_t *inputs, terra_err *e)
{
	size_t i = 0, n = json_array_size(inputs), k;
	json_t *rec = NULL, *chunk = NULL;
	int ret = -1;

	do {
		chunk = json_array();
		for (k = 0; chunk && k < INPUTS_CHUNK && i < n; k++, i++)
			if (json_array_append(chunk, json_array_get(inputs, i))) {
				json_decref(chunk);
				chunk = NULL;
			}
		rec = chunk ? json_pack("{s:s, s:i, s:I, s:s, s:o}", "type", "settlement_inputs",
		                        "v", 1, "entry", (json_int_t)seq, "period", period,
		                        "inputs", chunk)
		            : NULL;
		if (!rec) {
			terra_err_sys(e, "ledger: export");
			goto out;
		}
		if (terra_rec_write(x->f, rec, e))
			goto out;
		json_decref(rec);
		rec = NULL;
	} while (i < n);
	ret = 0;
out:
	json_decref(rec);
	return ret;
}

/* The snapshot body as holding records, one per holder, in body order. */
static int write_holdings(struct export_ctx *x, int64_t seq, const char *snap, size_t len,
                          terra_err *e)
{
	const char *p = snap, *end = snap + len;
	char amount[TERRA_AMOUNT_MAX];

	while (p < end) {
		const char *nul = memchr(p, '\0', (size_t)(end - p)), *nl;
		char *stop;
		long long units;

		nl = nul ? memchr(nul, '\n', (size_t)(end - nul)) : NULL;
		if (!nl || !safe_text(p) || nl - nul > 20)
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "entry %" PRId64
			                     ": holders snapshot is malformed; run 'terra-ledger verify'",
			                     seq);
		errno = 0;
		units = strtoll(nul + 1, &stop, 10);
		if (stop != nl || errno || units < 0)
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "entry %" PRId64
			                     ": holders snapshot is malformed; run 'terra-ledger verify'",
			                     seq);
		terra_money_format((int64_t)units, amount);
		if (fprintf(x->f,
		            "{\"account\":\"%s\",\"balance\":\"%s\",\"entry\":%" PRId64
		            ",\"type\":\"holding\",\"v\":1}\n",
		            p, amount, seq) < 0)
			return terra_err_sys(e, "ledger: write");
		p = nl + 1;
	}
	return 0;
}

static int ndjson_fn(void *ctx, int64_t seq, const char *kind, const char *line, size_t len,
                     const json_t *payload, sqlite3_stmt *row, terra_err *e)
{
	struct export_ctx *x = ctx;
	json_t *inputs = NULL;
	const char *body, *period;
	void *snap = NULL;
	size_t slen = 0;
	int rc, ret = -1;

	(void)row;
	if (put_line(x->f, line, len, e))
		goto out;
	if (!strcmp(kind, "settlement")) {
		period = json_string_value(json_object_get(payload, "period"));
		if (!period) {
			terra_err_set(e, TERRA_E_VERIFY,
			              "entry %" PRId64 ": settlement without a period", seq);
			goto out;
		}
		if (terra_settle_inputs_load(x->db, period, &inputs, e) ||
		    write_inputs(x, seq, period, inputs, e) ||
		    load_snapshot(x->db, payload, seq, &snap, &slen, e) ||
		    write_holdings(x, seq, snap, slen, e))
			goto out;
	}
	sqlite3_reset(x->cp);
	sqlite3_bind_int64(x->cp, 1, seq);
	rc = sqlite3_step(x->cp);
	if (rc == SQLITE_ROW) {
		body = (const char *)sqlite3_column_text(x->cp, 0);
		if (body && put_line(x->f, body, strlen(body), e))
			goto out;
	} else if (rc != SQLITE_DONE) {
		terra_db_err(x->db, e, "ledger: export");
		goto out;
	}
	ret = 0;
out:
	free(snap);
	json_decref(inputs);
	return ret;
}

static int csv_fn(void *ctx, int64_t seq, const char *kind, const char *line, size_t len,
                  const json_t *payload, sqlite3_stmt *row, terra_err *e)
{
	struct export_ctx *x = ctx;
	char prev[HEX_HASH], leaf[HEX_HASH];
	uint8_t h[HASH];
	const char *ptext = (const char *)sqlite3_column_text(row, 2);

	(void)line;
	(void)len;
	(void)payload;
	blob32(row, 3, h);
	terra_hex(h, HASH, prev);
	if (blob32(row, 4, h))
		memset(h, 0, HASH);
	terra_hex(h, HASH, leaf);
	if (fprintf(x->f, "%" PRId64 ",%s,%s,%s,%s,", seq, kind,
	            (const char *)sqlite3_column_text(row, 5), prev, leaf) < 0 ||
	    csv_fwrite(x->f, ptext, strlen(ptext)) || putc('\n', x->f) == EOF)
		return terra_err_sys(e, "ledger: write");
	return 0;
}

/* An account name hledger reads back as the same account. */
static int journal_account(const char *a)
{
	if (!*a || *a == '(' || *a == '[' || *a == ';' || *a == '#' || *a == '*')
		return 0;
	for (; *a; a++)
		if (*a == ' ' || *a == '\t' || (unsigned char)*a < 0x20 || *a == ';')
			return 0;
	return 1;
}

static int hledger_posting(void *ctx, const char *account, const char *role, int64_t units,
                           terra_err *e)
{
	struct export_ctx *x = ctx;
	char amount[TERRA_AMOUNT_MAX];

	(void)role;
	if (!journal_account(account))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "entry %" PRId64 ": account '%s' cannot be written to a journal",
		                     x->seq, account);
	terra_money_format(units, amount);
	json_object_set_new(x->accounts, account, json_true());
	if (fprintf(x->f, "    %s  %s TERRA\n", account, amount) < 0)
		return terra_err_sys(e, "ledger: write");
	return 0;
}

static int hledger_fn(void *ctx, int64_t seq, const char *kind, const char *line, size_t len,
                      const json_t *payload, sqlite3_stmt *row, terra_err *e)
{
	struct export_ctx *x = ctx;
	const char *at = (const char *)sqlite3_column_text(row, 5);
	const char *period = json_string_value(json_object_get(payload, "period"));
	void *snap = NULL;
	size_t slen = 0;
	int ret;

	(void)line;
	(void)len;
	if (strcmp(kind, "settlement") && strcmp(kind, "payment"))
		return 0;
	if (!strcmp(kind, "settlement") && load_snapshot(x->db, payload, seq, &snap, &slen, e))
		return -1;
	if (fprintf(x->f, "%.10s %s%s%s  ; seq:%" PRId64 "\n", at, kind, period ? " | " : "",
	            period ? period : "", seq) < 0) {
		free(snap);
		return terra_err_sys(e, "ledger: write");
	}
	x->seq = seq;
	ret = each_posting(payload, snap, slen, snap != NULL, seq, 0, hledger_posting, x, e);
	free(snap);
	if (ret)
		return -1;
	if (putc('\n', x->f) == EOF)
		return terra_err_sys(e, "ledger: write");
	return 0;
}

static int payout_posting(void *ctx, const char *account, const char *role, int64_t units,
                          terra_err *e)
{
	json_t *sums = ctx;
	int64_t sum;

	(void)role;
	if (units <= 0 || !strcmp(account, "carry"))
		return 0;
	sum = json_integer_value(json_object_get(sums, account));
	if (terra_money_add(sum, units, &sum, e))
		return terra_err_wrap(e, "account '%s'", account);
	if (json_object_set_new(sums, account, json_integer(sum)))
		return terra_err_sys(e, "ledger: payouts");
	return 0;
}

/* Payouts of one settlement: positive postings summed by account. */
static int payouts_fn(void *ctx, int64_t seq, const char *kind, const char *line, size_t len,
                      const json_t *payload, sqlite3_stmt *row, terra_err *e)
{
	struct export_ctx *x = ctx;
	const char *period = json_string_value(json_object_get(payload, "period"));
	void *snap = NULL;
	size_t slen = 0;
	int ret;

	(void)kind;
	(void)line;
	(void)len;
	(void)row;
	if (!period || strcmp(period, x->period))
		return 0;
	if (load_snapshot(x->db, payload, seq, &snap, &slen, e))
		return -1;
	ret = each_posting(payload, snap, slen, 1, seq, 0, payout_posting, x->sums, e);
	free(snap);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of an object, sorted bytewise, in a malloc'd array. */
static const char **sorted_keys(const json_t *obj, size_t *n)
{
	const char **keys = malloc((json_object_size(obj) + 1) * sizeof *keys);
	const char *k;
	json_t *v;

	*n = 0;
	if (!keys)
		return NULL;
	json_object_foreach((json_t *)obj, k, v) keys[(*n)++] = k;
	qsort(keys, *n, sizeof *keys, cmp_str);
	return keys;
}

/* A CSV field, quoted (libcsv) only when it needs to be. */
static int csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n"))
		return csv_fwrite(f, s, strlen(s));
	return fputs(s, f) == EOF ? -1 : 0;
}

static int write_payouts(FILE *f, const json_t *sums, terra_err *e)
{
	char amount[TERRA_AMOUNT_MAX];
	const char **keys;
	size_t i, n;
	int64_t units;

	keys = sorted_keys(sums, &n);
	if (!keys)
		return terra_err_sys(e, "ledger: payouts");
	if (fputs("account,amount\n", f) == EOF)
		goto fail;
	for (i = 0; i < n; i++) {
		units = json_integer_value(json_object_get(sums, keys[i]));
		if (units <= 0 || !strcmp(keys[i], "carry") || !strcmp(keys[i], "paid"))
			continue;
		terra_money_format(units, amount);
		if (csv_field(f, keys[i]) || fprintf(f, ",%s\n", amount) < 0)
			goto fail;
	}
	free(keys);
	return 0;
fail:
	free(keys);
	return terra_err_sys(e, "ledger: write");
}

int terra_ledger_export(sqlite3 *db, FILE *f, const char *format, const char *period, terra_err *e)
{
	struct export_ctx x = {db, f, NULL, NULL, period, NULL, 0};
	const char **keys = NULL;
	size_t i, n;
	int ret = -1;

	if (terra_db_exec(db, "BEGIN", e))
		return -1;
	if (!strcmp(format, "ndjson")) {
		if (terra_db_prepare(db, "SELECT body FROM checkpoints WHERE size = ?", &x.cp, e) ||
		    each_entry(db, NULL, 1, ndjson_fn, &x, e))
			goto out;
	} else if (!strcmp(format, "csv")) {
		if (fputs("seq,kind,created_at,prev,leaf,payload\n", f) == EOF) {
			terra_err_sys(e, "ledger: write");
			goto out;
		}
		if (each_entry(db, NULL, 0, csv_fn, &x, e))
			goto out;
	} else if (!strcmp(format, "hledger")) {
		x.accounts = json_object();
		if (fputs("; Terra ledger: settlements and payments, amounts in TERRA\n"
		          "commodity 1.000000000 TERRA\n"
		          "payee settlement\n"
		          "payee payment\n\n",
		          f) == EOF) {
			terra_err_sys(e, "ledger: write");
			goto out;
		}
		if (!x.accounts || each_entry(db, NULL, 1, hledger_fn, &x, e))
			goto out;
		keys = sorted_keys(x.accounts, &n);
		if (!keys) {
			terra_err_sys(e, "ledger: export");
			goto out;
		}
		for (i = 0; i < n; i++)
			if (fprintf(f, "account %s\n", keys[i]) < 0) {
				terra_err_sys(e, "ledger: write");
				goto out;
			}
	} else if (!strcmp(format, "payouts")) {
		if (period) {
			x.sums = json_object();
			if (!x.sums || each_entry(db, "settlement", 1, payouts_fn, &x, e))
				goto out;
			if (json_object_size(x.sums) == 0) {
				terra_err_set(e, TERRA_E_NOTFOUND, "no settlement of period %s",
				              period);
				goto out;
			}
		} else if (terra_ledger_balances(db, &x.sums, e)) {
			goto out;
		}
		if (write_payouts(f, x.sums, e))
			goto out;
	} else {
		terra_err_set(e, TERRA_E_INPUT, "unknown export format '%s'", format);
		goto out;
	}
	ret = 0;
out:
	free(keys);
	json_decref(x.sums);
	json_decref(x.accounts);
	sqlite3_finalize(x.cp);
	terra_db_rollback(db);
	return ret;
}

/* ---- proofs ----------------------------------------------------------- */

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
                   const json_t *payload, sqlite3_stmt *row, terra_err *e)
{
	struct find_ctx *f = ctx;
	const char *period = json_string_value(json_object_get(payload, "period"));

	(void)kind;
	(void)row;
	if (f->entry || !period || strcmp(period, f->period))
		return 0;
	f->seq = seq;
	f->entry = json_loadb(line, len, 0, NULL);
	if (!f->entry)
		return terra_err_set(e, TERRA_E_VERIFY, "entry %" PRId64 ": unreadable", seq);
	return 0;
}

static json_t *path_json(const uint8_t (*path)[HASH], size_t len)
{
	json_t *a = json_array();
	char hex[HEX_HASH];
	size_t k;

	for (k = 0; a && k < len; k++) {
		terra_hex(path[k], HASH, hex);
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
	uint8_t path[64][HASH];
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
	if (load_snapshot(db, payload, seq, &snap, &slen, e))
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
	                    path_json((const uint8_t(*)[HASH])path, len));
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
	uint8_t(*leaves)[HASH] = NULL, path[64][HASH];
	char hex[HEX_HASH], amount[TERRA_AMOUNT_MAX];
	json_t *payouts = NULL, *cp = NULL, *jpath = NULL, *holder = NULL;
	const char *body;
	int64_t size = 0, sum, i;
	size_t len, k;
	int row, ret = -1;

	*proof = NULL;
	if (terra_db_exec(db, "BEGIN", e))
		return -1;
	if (each_entry(db, "settlement", 1, find_fn, &f, e))
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
	    step_or_done(db, st, &row, e))
		goto out;
	body = row ? (const char *)sqlite3_column_text(st, 1) : NULL;
	size = row ? sqlite3_column_int64(st, 0) : 0;
	if (!body || size < f.seq || terra_record_parse(body, strlen(body), &cp, e)) {
		terra_err_set(e, TERRA_E_VERIFY, "no checkpoint covers entry %" PRId64, f.seq);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	leaves = malloc((size_t)size * HASH);
	if (!leaves) {
		terra_err_sys(e, "ledger: proof");
		goto out;
	}
	if (terra_db_prepare(db, "SELECT seq, leaf_hash FROM entries WHERE seq <= ? ORDER BY seq",
	                     &st, e))
		goto out;
	sqlite3_bind_int64(st, 1, size);
	for (i = 0;; i++) {
		if (step_or_done(db, st, &row, e))
			goto out;
		if (!row)
			break;
		if (i >= size || sqlite3_column_int64(st, 0) != i + 1 || blob32(st, 1, leaves[i])) {
			terra_err_set(e, TERRA_E_VERIFY,
			              "entry %" PRId64 ": malformed; run 'terra-ledger verify'",
			              i + 1);
			goto out;
		}
	}
	if (i != size) {
		terra_err_set(e, TERRA_E_VERIFY, "entry %" PRId64 ": missing", i + 1);
		goto out;
	}
	if (terra_merkle_inclusion((const uint8_t(*)[HASH])leaves, (size_t)size,
	                           (size_t)(f.seq - 1), path, &len, e))
		goto out;
	jpath = json_array();
	for (k = 0; jpath && k < len; k++) {
		terra_hex(path[k], HASH, hex);
		json_array_append_new(jpath, json_string(hex));
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
                        const char *period, int64_t seq, json_t *mine, int64_t *sum,
                        terra_err *e)
{
	const json_t *h = json_object_get(proof, "holder"), *eh = json_object_get(payload, "holders");
	json_t *jpath, *rec;
	uint8_t root[HASH], leaf[HASH], path[64][HASH];
	int64_t units, index, count, ecount;
	size_t len, k;

	if (terra_rec_amount(h, "amount", &units, e) || terra_rec_int(h, "index", &index, e) ||
	    terra_rec_int(h, "count", &count, e) || terra_rec_arr(h, "path", &jpath, e) ||
	    terra_rec_int(eh, "count", &ecount, e) || terra_rec_hex(eh, "root", root, HASH, e)) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "proof: holder");
	}
	if (units <= 0 || count != ecount || index < 0 || index >= count)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "proof: holder: not a leaf of entry %" PRId64 "'s holders tree",
		                     seq);
	len = json_array_size(jpath);
	if (len > 64)
		return terra_err_set(e, TERRA_E_VERIFY, "proof: holder: path too long");
	for (k = 0; k < len; k++) {
		const char *hx = json_string_value(json_array_get(jpath, k));
		if (!hx || strlen(hx) != 2 * HASH || terra_unhex(hx, path[k], HASH, e))
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "proof: holder: path hash %zu is malformed", k + 1);
	}
	if (strlen(account) > 128)
		return terra_err_set(e, TERRA_E_VERIFY, "proof: holder: bad account");
	terra_settle_holder_leaf(account, units, leaf);
	if (terra_merkle_verify_inclusion(leaf, (uint64_t)index, (uint64_t)count,
	                                  (const uint8_t(*)[HASH])path, len, root, e)) {
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

int terra_ledger_verify_proof(const json_t *proof, const uint8_t pk[32], json_t **payouts,
                              terra_err *e)
{
	char origin[6 + TERRA_PK_HEX], *line = NULL;
	const char *account, *period, *kind, *origin_got, *pperiod;
	json_t *cp, *entry, *jpath, *payload, *mine = NULL;
	uint8_t root[HASH], leaf[HASH], path[64][HASH];
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
	origin_of(pk, origin);
	if (terra_rec_verify(cp, pk, e)) {
		e->kind = TERRA_E_VERIFY;
		terra_err_wrap(e, "proof: checkpoint");
		goto out;
	}
	if (terra_rec_str(cp, "origin", &origin_got, e) || strcmp(origin_got, origin) ||
	    terra_rec_int(cp, "size", &cpsize, e) || cpsize != size ||
	    terra_rec_hex(cp, "root", root, HASH, e)) {
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
	pperiod = json_string_value(json_object_get(payload, "period"));
	if (!pperiod || strcmp(pperiod, period)) {
		terra_err_set(e, TERRA_E_VERIFY, "proof: entry is not the settlement of period %s",
		              period);
		goto out;
	}
	if (json_array_size(jpath) > 64) {
		terra_err_set(e, TERRA_E_VERIFY, "proof: path too long");
		goto out;
	}
	len = json_array_size(jpath);
	for (k = 0; k < len; k++) {
		const char *h = json_string_value(json_array_get(jpath, k));
		if (!h || strlen(h) != 2 * HASH || terra_unhex(h, path[k], HASH, e)) {
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
	                                  (const uint8_t(*)[HASH])path, len, root, e)) {
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
