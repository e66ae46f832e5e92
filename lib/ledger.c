#include "ledger.h"

#include "buf.h"
#include "db.h"
#include "key.h"
#include "ledgerint.h"
#include "limit.h"
#include "merkle.h"
#include "money.h"
#include "record.h"
#include "settlement.h"
#include "settlestore.h"
#include "time.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(TERRA_PK_BYTES == TERRA_HASH_BYTES, "entry 1's prev holds the owner key");

static const char *const kinds[] = {"unit",  "transfer",   "retire",  "rekey", "rescore",
                                    "meter", "settlement", "payment", NULL};

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
int terra_ledger_entry_line(terra_buf *b, int64_t seq, const char *kind, const char *payload,
                            size_t plen, const uint8_t prev[TERRA_HASH_BYTES],
                            const char *created_at)
{
	char hex[TERRA_HASH_HEX], num[32];

	terra_hex(prev, TERRA_HASH_BYTES, hex);
	snprintf(num, sizeof num, "%" PRId64, seq);
	b->len = 0;
	if (terra_buf_puts(b, "{\"created_at\":\"") || terra_buf_puts(b, created_at) ||
	    terra_buf_puts(b, "\",\"kind\":\"") || terra_buf_puts(b, kind) ||
	    terra_buf_puts(b, "\",\"payload\":") || terra_buf_put(b, payload, plen) ||
	    terra_buf_puts(b, ",\"prev\":\"") || terra_buf_puts(b, hex) ||
	    terra_buf_puts(b, "\",\"seq\":") || terra_buf_puts(b, num) ||
	    terra_buf_puts(b, ",\"type\":\"entry\",\"v\":1}"))
		return -1;
	return 0;
}

void terra_ledger_origin(const uint8_t pk[TERRA_PK_BYTES], char out[TERRA_ORIGIN_MAX])
{
	memcpy(out, "terra:", 6);
	terra_hex(pk, TERRA_PK_BYTES, out + 6);
}

/*
 * The tip of the ledger: entry count, last leaf hash, and the Merkle
 * frontier stored with the last checkpoint, checked against that
 * checkpoint's root so a damaged frontier never signs a wrong root.
 */
static int load_tip(sqlite3 *db, int64_t *n, uint8_t prev[TERRA_HASH_BYTES], terra_merkle_acc *acc,
                    terra_err *e)
{
	sqlite3_stmt *st = NULL;
	uint8_t root[TERRA_HASH_BYTES], got[TERRA_HASH_BYTES];
	const void *blob;
	int rc, ret = -1;
	unsigned k;

	*n = 0;
	memset(prev, 0, TERRA_HASH_BYTES);
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
	if (sqlite3_column_bytes(st, 1) != TERRA_HASH_BYTES || !blob) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "ledger: entry %" PRId64 ": bad leaf hash; run 'terra-ledger verify'",
		              *n);
		goto out;
	}
	memcpy(prev, blob, TERRA_HASH_BYTES);
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
	if (*n < 0 || sqlite3_column_bytes(st, 0) != TERRA_HASH_BYTES ||
	    sqlite3_column_bytes(st, 1) != (int)(k * TERRA_HASH_BYTES)) {
		terra_err_set(
		    e, TERRA_E_VERIFY,
		    "ledger: checkpoint %" PRId64 " is damaged; run 'terra-ledger verify'", *n);
		goto out;
	}
	memcpy(root, sqlite3_column_blob(st, 0), TERRA_HASH_BYTES);
	if (k)
		memcpy(acc->stack, sqlite3_column_blob(st, 1), (size_t)k * TERRA_HASH_BYTES);
	acc->n = (uint64_t)*n;
	terra_merkle_acc_root(acc, got);
	if (memcmp(got, root, TERRA_HASH_BYTES)) {
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

/*
 * An append under another owner key than the one entry 1 pins is refused:
 * a replaced owner key signs nothing (lib/ledger.h).
 */
static int check_pin(terra_home *h, int64_t n, terra_err *e)
{
	uint8_t prev[TERRA_HASH_BYTES];
	sqlite3_stmt *st = NULL;
	int pinned, ret = -1;

	if (n < 1)
		return 0;
	if (terra_db_prepare(h->db, "SELECT prev_hash FROM entries WHERE seq = 1", &st, e))
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW || terra_ledger_blob32(st, 0, prev)) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "ledger: entry 1: missing or malformed; run 'terra-ledger verify'");
		goto out;
	}
	if (terra_ledger_pin_check(prev, h->owner.pk, "this home's key", &pinned, e)) {
		terra_err_wrap(e, "ledger");
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
	char origin[TERRA_ORIGIN_MAX], hex[TERRA_HASH_HEX];
	uint8_t root[TERRA_HASH_BYTES];
	sqlite3_stmt *st = NULL;
	json_t *cp = NULL;
	char *body = NULL;
	unsigned k = (unsigned)__builtin_popcountll(acc->n);
	int ret = -1;

	terra_ledger_origin(h->owner.pk, origin);
	terra_merkle_acc_root(acc, root);
	terra_hex(root, TERRA_HASH_BYTES, hex);
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
	sqlite3_bind_blob(st, 2, root, TERRA_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, json_string_value(json_object_get(cp, "signer")), -1,
	                  SQLITE_STATIC);
	sqlite3_bind_text(st, 4, json_string_value(json_object_get(cp, "sig")), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, body, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, acc->stack, (int)(k * TERRA_HASH_BYTES), SQLITE_STATIC);
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
	uint8_t prev[TERRA_HASH_BYTES], leaf[TERRA_HASH_BYTES];
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
	if (load_tip(h->db, &n, prev, &acc, e) || check_pin(h, n, e))
		goto out;
	if (n == 0) /* the first entry pins the owner key */
		memcpy(prev, h->owner.pk, TERRA_PK_BYTES);
	if (terra_limit_created_at(h->db, now, e))
		goto out;
	if (terra_ledger_entry_line(&line, n + 1, kind, ptext, plen, prev, created_at)) {
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
	sqlite3_bind_blob(st, 4, prev, TERRA_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, leaf, TERRA_HASH_BYTES, SQLITE_STATIC);
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

int terra_ledger_safe_text(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20)
			return 0;
	return 1;
}

struct expand_ctx {
	terra_ledger_posting_fn fn;
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
 * from the snapshot body snap (terra_settle_holders_each). With
 * check_sum the recorded postings must sum to zero.
 */
int terra_ledger_each_posting(const json_t *payload, const void *snap, size_t len, int has_snap,
                              int64_t seq, int check_sum, terra_ledger_posting_fn fn, void *ctx,
                              terra_err *e)
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
int terra_ledger_apply_postings(json_t *balances, const json_t *payload, const void *snap,
                                size_t len, int has_snap, int64_t seq, terra_err *e)
{
	return terra_ledger_each_posting(payload, snap, len, has_snap, seq, 1, balance_add,
	                                 balances, e);
}

/* The holders snapshot of a settlement payload, from the database. */
int terra_ledger_load_snapshot(sqlite3 *db, const json_t *payload, int64_t seq, void **snap,
                               size_t *len, terra_err *e)
{
	const char *digest =
	    json_string_value(json_object_get(json_object_get(payload, "inputs"), "holders"));

	if (terra_settle_snapshot_load(db, digest, snap, len, e)) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "entry %" PRId64, seq);
	}
	return 0;
}

const char *terra_ledger_str_of(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

int terra_ledger_blob32(sqlite3_stmt *st, int col, uint8_t out[TERRA_HASH_BYTES])
{
	if (sqlite3_column_type(st, col) != SQLITE_BLOB ||
	    sqlite3_column_bytes(st, col) != TERRA_HASH_BYTES)
		return -1;
	memcpy(out, sqlite3_column_blob(st, col), TERRA_HASH_BYTES);
	return 0;
}

int terra_ledger_step(sqlite3 *db, sqlite3_stmt *st, int *row, terra_err *e)
{
	int rc = sqlite3_step(st);

	*row = rc == SQLITE_ROW;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return terra_db_err(db, e, "ledger: verify");
	return 0;
}

struct each_entry {
	int want_payload;
	terra_ledger_entry_fn fn;
	void *ctx;
	terra_buf line;
};

static int each_entry_fn(void *ctx, const terra_entry *en, terra_err *e)
{
	struct each_entry *w = ctx;
	json_t *payload = NULL;
	int ret;

	if (!en->kind || !en->payload || !en->created_at || !en->prev ||
	    !terra_ledger_kind_ok(en->kind) || !terra_ledger_safe_text(en->created_at))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "entry %" PRId64 ": malformed row; run 'terra-ledger verify'",
		                     en->seq);
	if (terra_ledger_entry_line(&w->line, en->seq, en->kind, en->payload, en->payload_len,
	                            en->prev, en->created_at))
		return terra_err_sys(e, "ledger");
	if (w->want_payload) {
		payload = json_loads(en->payload, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(payload)) {
			json_decref(payload);
			return terra_err_set(
			    e, TERRA_E_VERIFY,
			    "entry %" PRId64
			    ": payload is not a JSON object; run 'terra-ledger verify'",
			    en->seq);
		}
	}
	ret = w->fn(w->ctx, en->seq, en->kind, w->line.p, w->line.len, payload, en, e);
	json_decref(payload);
	return ret;
}

int terra_ledger_each_entry(sqlite3 *db, const char *kind, int want_payload,
                            terra_ledger_entry_fn fn, void *ctx, terra_err *e)
{
	struct each_entry w = {want_payload, fn, ctx, {NULL, 0, 0}};
	int ret = terra_entries_each(db, kind, each_entry_fn, &w, e) ? -1 : 0;

	free(w.line.p);
	return ret;
}

static int log_fn(void *ctx, int64_t seq, const char *kind, const char *line, size_t len,
                  const json_t *payload, const terra_entry *en, terra_err *e)
{
	json_t *rows = ctx, *rec;

	(void)kind;
	(void)payload;
	(void)en;
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
	if (terra_ledger_each_entry(db, kind, 0, log_fn, *rows, e)) {
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
                      const json_t *payload, const terra_entry *en, terra_err *e)
{
	struct balance_ctx *b = ctx;
	void *snap = NULL;
	size_t slen = 0;
	int ret;

	(void)line;
	(void)len;
	(void)en;
	if (strcmp(kind, "settlement") && strcmp(kind, "payment"))
		return 0;
	if (!strcmp(kind, "settlement") &&
	    terra_ledger_load_snapshot(b->db, payload, seq, &snap, &slen, e))
		return -1;
	ret = terra_ledger_apply_postings(b->balances, payload, snap, slen, snap != NULL, seq, e);
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
	if (terra_ledger_each_entry(db, NULL, 1, balance_fn, &b, e)) {
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
	keys = terra_ledger_sorted_keys(balances, &n);
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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of an object, sorted bytewise, in a malloc'd array. */
const char **terra_ledger_sorted_keys(const json_t *obj, size_t *n)
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

int terra_ledger_leaves(sqlite3 *db, int64_t size, uint8_t (**leaves)[TERRA_HASH_BYTES], int64_t *n,
                        terra_err *e)
{
	sqlite3_stmt *st = NULL;
	uint8_t(*out)[TERRA_HASH_BYTES] = NULL;
	int64_t count = 0, cap = 0;
	int row, ret = -1;

	if (terra_db_prepare(db,
	                     "SELECT seq, leaf_hash FROM entries WHERE ?1 = 0 OR seq <= ?1 "
	                     "ORDER BY seq",
	                     &st, e))
		return -1;
	sqlite3_bind_int64(st, 1, size);
	for (;;) {
		if (terra_ledger_step(db, st, &row, e))
			goto out;
		if (!row)
			break;
		if (count == cap) {
			void *p;
			cap = cap ? cap * 2 : 1024;
			p = realloc(out, (size_t)cap * 32);
			if (!p) {
				terra_err_sys(e, "ledger");
				goto out;
			}
			out = p;
		}
		if (sqlite3_column_int64(st, 0) != count + 1 ||
		    terra_ledger_blob32(st, 1, out[count])) {
			terra_err_set(e, TERRA_E_VERIFY,
			              "entry %" PRId64
			              ": missing or malformed; run 'terra-ledger verify'",
			              count + 1);
			goto out;
		}
		count++;
	}
	if (size && count != size) {
		terra_err_set(e, TERRA_E_NOTFOUND,
		              "the ledger has %" PRId64 " entries, not %" PRId64, count, size);
		goto out;
	}
	*leaves = out;
	*n = count;
	out = NULL;
	ret = 0;
out:
	free(out);
	sqlite3_finalize(st);
	return ret;
}

int terra_ledger_sizes(sqlite3 *db, int64_t *entries, int64_t *checkpoint, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int ret = -1;

	*entries = *checkpoint = 0;
	if (terra_db_prepare(db,
	                     "SELECT (SELECT count(*) FROM entries),"
	                     " (SELECT coalesce(max(size), 0) FROM checkpoints)",
	                     &st, e) < 0)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*entries = sqlite3_column_int64(st, 0);
		*checkpoint = sqlite3_column_int64(st, 1);
		ret = 0;
	} else {
		terra_db_err(db, e, "ledger sizes");
	}
	sqlite3_finalize(st);
	return ret;
}
