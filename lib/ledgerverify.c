#include "ledgerverify.h"

#include "batch.h"
#include "db.h"
#include "entries.h"
#include "ledgerint.h"
#include "money.h"
#include "record.h"
#include "settlement.h"
#include "settlestore.h"
#include "time.h"
#include "unitchain.h"

#include <inttypes.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void terra_ledger_report_free(terra_ledger_report *rep)
{
	if (!rep)
		return;
	(void)rep; /* holds nothing to free since the balances became a count */
}

/* The rows are checked on as many threads as this process may run on. */
static int threads_here(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof set, &set) == 0)
		return CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 && n < 1024 ? (int)n : 1;
}

int terra_verifier_init(terra_verifier *v, const uint8_t pk[TERRA_PK_BYTES], int64_t since,
                        terra_err *e)
{
	memset(v, 0, sizeof *v);
	memcpy(v->pk, pk, TERRA_PK_BYTES);
	v->keyname = "the key given";
	terra_ledger_origin(pk, v->origin);
	terra_merkle_acc_init(&v->acc);
	v->since_size = since;
	v->threads = threads_here();
	terra_acctmap_init(&v->balances);
	v->periods = terra_settle_periods_new();
	if (!v->periods) {
		terra_verifier_free(v);
		return terra_err_sys(e, "ledger: verify");
	}
	return 0;
}

void terra_verifier_free(terra_verifier *v)
{
	terra_acctmap_free(&v->balances);
	terra_settle_periods_free(v->periods);
	v->periods = NULL;
	free(v->line.p);
	v->line.p = NULL;
}

void terra_verifier_report(terra_verifier *v, terra_ledger_report *rep)
{
	rep->entries = v->n;
	memcpy(rep->since_root, v->since_root, TERRA_HASH_BYTES);
	rep->checkpoints = v->checkpoints;
	rep->settlements = v->settlements;
	rep->pinned = v->pinned;
	terra_merkle_acc_root(&v->acc, rep->root);
	rep->accounts = (int64_t)terra_acctmap_count(&v->balances);
}

/* ---- the ordered steps ---------------------------------------------------- */

static int seq_in_order(const terra_verifier *v, int64_t seq, terra_err *e)
{
	if (seq == v->n + 1)
		return 0;
	if (seq <= v->n)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "entry %" PRId64 ": expected here, found entry %" PRId64,
		                     v->n + 1, seq);
	return terra_err_set(e, TERRA_E_VERIFY, "entry %" PRId64 ": missing (next is %" PRId64 ")",
	                     v->n + 1, seq);
}

int terra_ledger_pin_check(const uint8_t prev[TERRA_HASH_BYTES], const uint8_t pk[TERRA_PK_BYTES],
                           const char *keyname, int *pinned, terra_err *e)
{
	static const uint8_t zeros[TERRA_HASH_BYTES];
	char pin[TERRA_PK_HEX], given[TERRA_PK_HEX];

	*pinned = !memcmp(prev, pk, TERRA_PK_BYTES);
	if (*pinned || !memcmp(prev, zeros, sizeof zeros))
		return 0;
	terra_hex(prev, TERRA_PK_BYTES, pin);
	terra_hex(pk, TERRA_PK_BYTES, given);
	return terra_err_set(e, TERRA_E_VERIFY,
	                     "entry 1: the ledger is pinned to owner key %s, not to %s %s", pin,
	                     keyname, given);
}

/* Entry 1's prev is the pin (lib/ledger.h), any other the leaf hash before it. */
static int prev_matches(terra_verifier *v, int64_t seq, const uint8_t *prev, terra_err *e)
{
	if (seq == 1)
		return terra_ledger_pin_check(prev, v->pk, v->keyname, &v->pinned, e);
	if (!memcmp(prev, v->prev, TERRA_HASH_BYTES))
		return 0;
	return terra_err_set(e, TERRA_E_VERIFY,
	                     "entry %" PRId64 ": prev hash does not match entry %" PRId64 "'s leaf",
	                     seq, seq - 1);
}

static int balance_add(void *ctx, const char *account, const char *role, int64_t amount,
                       terra_err *e)
{
	(void)role;
	return terra_acctmap_add(ctx, account, amount, e);
}

/* A money entry's postings, summing to zero, join the balances. */
static int postings_add(terra_verifier *v, const json_t *payload, const void *snap, size_t len,
                        int has_snap, int64_t seq, terra_err *e)
{
	return terra_ledger_each_posting(payload, snap, len, has_snap, seq, 1, balance_add,
	                                 &v->balances, e);
}

/* A verified entry joins the tree; a payment's postings join the balances. */
static int entry_add(terra_verifier *v, int64_t seq, const char *kind, const json_t *payload,
                     const uint8_t leaf[TERRA_HASH_BYTES], terra_err *e)
{
	if (!strcmp(kind, "payment") && postings_add(v, payload, NULL, 0, 0, seq, e))
		return -1;
	if (!strcmp(kind, "settlement"))
		v->settlements++;
	terra_merkle_acc_push(&v->acc, leaf);
	if (seq == v->since_size)
		terra_merkle_acc_root(&v->acc, v->since_root);
	memcpy(v->prev, leaf, TERRA_HASH_BYTES);
	v->n = seq;
	return 0;
}

int terra_verifier_take(terra_verifier *v, const terra_ledger_row *r, terra_err *e)
{
	if (seq_in_order(v, r->seq, e) || prev_matches(v, r->seq, r->prev, e))
		return -1;
	return entry_add(v, r->seq, r->kind, r->payload, r->leaf, e);
}

int terra_verifier_entry(terra_verifier *v, int64_t seq, const char *kind, const char *ptext,
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
	if (seq_in_order(v, seq, e))
		return -1;
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
	if (prev_matches(v, seq, prev, e))
		goto out;
	if (terra_ledger_entry_line(&v->line, seq, kind, ptext, plen, prev, created_at)) {
		terra_err_sys(e, "ledger: verify");
		goto out;
	}
	terra_merkle_leaf(v->line.p, v->line.len, leaf);
	if (stored_leaf && memcmp(stored_leaf, leaf, TERRA_HASH_BYTES)) {
		terra_err_set(e, TERRA_E_VERIFY, "entry %" PRId64 ": leaf hash mismatch", seq);
		goto out;
	}
	if (terra_entries_is_unit_version(kind) && terra_ledger_unit_check(payload, seq, e))
		goto out;
	if (entry_add(v, seq, kind, payload, leaf, e))
		goto out;
	*payload_out = payload;
	payload = NULL;
	ret = 0;
out:
	free(canon);
	json_decref(payload);
	return ret;
}

/* The next checkpoint's size: one more than the last, and the entries'. */
static int checkpoint_in_order(const terra_verifier *v, int64_t size, terra_err *e)
{
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
	return 0;
}

/* Signed, and checkpoints 1..size-1 matched: entry `size` is what changed. */
static int checkpoint_root(terra_verifier *v, int64_t size, const uint8_t root[TERRA_HASH_BYTES],
                           terra_err *e)
{
	uint8_t want[TERRA_HASH_BYTES];

	terra_merkle_acc_root(&v->acc, want);
	if (memcmp(root, want, TERRA_HASH_BYTES))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "entry %" PRId64
		                     ": leaf hash does not match signed checkpoint %" PRId64,
		                     size, size);
	v->checkpoints = size;
	return 0;
}

int terra_verifier_checkpoint_take(terra_verifier *v, int64_t size,
                                   const uint8_t root[TERRA_HASH_BYTES], terra_err *e)
{
	if (checkpoint_in_order(v, size, e))
		return -1;
	return checkpoint_root(v, size, root, e);
}

int terra_verifier_checkpoint(terra_verifier *v, const json_t *cp, terra_err *e)
{
	const char *type, *origin, *root_hex;
	uint8_t root[TERRA_HASH_BYTES];
	int64_t size;

	if (terra_rec_int(cp, "size", &size, e)) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "checkpoint %" PRId64, v->checkpoints + 1);
	}
	if (checkpoint_in_order(v, size, e))
		return -1;
	if (terra_rec_type(cp, &type, e) || strcmp(type, "checkpoint"))
		return terra_err_set(e, TERRA_E_VERIFY, "checkpoint %" PRId64 ": not a checkpoint",
		                     size);
	if (terra_rec_verify(cp, v->pk, e)) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "checkpoint %" PRId64, size);
	}
	if (terra_rec_str(cp, "origin", &origin, e) || strcmp(origin, v->origin))
		return terra_err_set(e, TERRA_E_VERIFY, "checkpoint %" PRId64 ": wrong origin",
		                     size);
	if (terra_rec_str(cp, "root", &root_hex, e) ||
	    terra_rec_hex(cp, "root", root, TERRA_HASH_BYTES, e))
		return terra_err_set(e, TERRA_E_VERIFY, "checkpoint %" PRId64 ": bad root", size);
	return checkpoint_root(v, size, root, e);
}

int terra_verifier_settlement(terra_verifier *v, const json_t *payload, const json_t *inputs,
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
	return postings_add(v, payload, snap, len, 1, seq, e);
}

/* ---- the home's rows ------------------------------------------------------ */

/*
 * A row of entries and the checkpoints row paired with it travel to the
 * worker threads as one batch item: this head, then the texts that are not
 * NULL, each with a NUL after it.
 */
enum { T_KIND, T_PAYLOAD, T_CREATED_AT, T_SIGNER, T_SIG, T_BODY, T_COUNT };
#define NO_TEXT UINT32_MAX

struct packed {
	int64_t seq, cp_size;
	uint32_t len[T_COUNT]; /* NO_TEXT for a NULL column */
	uint8_t prev_ok, leaf_ok, has_cp, cp_root_ok;
	uint8_t prev[TERRA_HASH_BYTES], leaf[TERRA_HASH_BYTES], cp_root[TERRA_HASH_BYTES];
};

struct row {
	struct packed h;
	const char *text[T_COUNT]; /* into the item */
};

/* Seqs of entries of one sort, ascending, as the pass meets them. */
struct seqs {
	int64_t *seq;
	size_t n, cap;
};

struct home {
	terra_verifier *v;
	sqlite3 *db;
	sqlite3_stmt *es, *cs;
	int crow; /* cs is on a row */
	terra_buf item;
	/* for the checks after the pass, which need not scan the entries again */
	struct seqs settled, units; /* settlement entries; unit versions */
};

/* A row checked on its own: fast when every check that needs no order held. */
struct home_slot {
	int fast;
	terra_ledger_row r;
	terra_ledger_cp cp;
};

struct scratch {
	terra_buf line;
	char *canon;
	size_t cap;
};

static int put_text(terra_buf *b, struct packed *p, int i, const char *s, size_t len)
{
	p->len[i] = NO_TEXT;
	if (!s)
		return 0;
	if (len >= NO_TEXT)
		return -1;
	p->len[i] = (uint32_t)len;
	return terra_buf_put(b, s, len) || terra_buf_put(b, "", 1) ? -1 : 0;
}

static const char *column(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

static size_t text_len(const char *s)
{
	return s ? strlen(s) : 0;
}

/* The next row of entries and the checkpoints row of its size, packed. */
static int home_next(void *ctx, const char **text, size_t *len, long *lineno, terra_err *e)
{
	struct home *hv = ctx;
	struct packed p;
	const char *s;
	int row, bad;

	if (terra_ledger_step(hv->db, hv->es, &row, e))
		return -1;
	if (!row)
		return 0;
	memset(&p, 0, sizeof p);
	hv->item.len = 0;
	if (terra_buf_put(&hv->item, (const char *)&p, sizeof p))
		return terra_err_sys(e, "ledger: verify");
	p.seq = sqlite3_column_int64(hv->es, 0);
	p.prev_ok = !terra_ledger_blob32(hv->es, 3, p.prev);
	p.leaf_ok = !terra_ledger_blob32(hv->es, 4, p.leaf);
	s = column(hv->es, 1);
	bad = put_text(&hv->item, &p, T_KIND, s, text_len(s));
	s = column(hv->es, 2);
	bad = bad || put_text(&hv->item, &p, T_PAYLOAD, s, (size_t)sqlite3_column_bytes(hv->es, 2));
	s = column(hv->es, 5);
	bad = bad || put_text(&hv->item, &p, T_CREATED_AT, s, text_len(s));
	if (hv->crow && sqlite3_column_int64(hv->cs, 0) <= p.seq) {
		p.has_cp = 1;
		p.cp_size = sqlite3_column_int64(hv->cs, 0);
		p.cp_root_ok = !terra_ledger_blob32(hv->cs, 1, p.cp_root);
		s = column(hv->cs, 2);
		bad = bad || put_text(&hv->item, &p, T_SIGNER, s, text_len(s));
		s = column(hv->cs, 3);
		bad = bad || put_text(&hv->item, &p, T_SIG, s, text_len(s));
		s = column(hv->cs, 4);
		bad = bad || put_text(&hv->item, &p, T_BODY, s, text_len(s));
		if (!bad && terra_ledger_step(hv->db, hv->cs, &hv->crow, e))
			return -1;
	} else {
		p.len[T_SIGNER] = p.len[T_SIG] = p.len[T_BODY] = NO_TEXT;
	}
	if (bad)
		return terra_err_sys(e, "ledger: verify");
	memcpy(hv->item.p, &p, sizeof p);
	*text = hv->item.p;
	*len = hv->item.len;
	*lineno = (long)p.seq;
	return 1;
}

static void unpack(const terra_batch_line *l, struct row *r)
{
	const char *p = l->text + sizeof r->h;
	int i;

	memcpy(&r->h, l->text, sizeof r->h);
	for (i = 0; i < T_COUNT; i++) {
		r->text[i] = r->h.len[i] == NO_TEXT ? NULL : p;
		if (r->text[i])
			p += r->h.len[i] + 1;
	}
}

static struct scratch *scratch_of(void **scratch, size_t need)
{
	struct scratch *sc = *scratch;

	if (!sc && !(sc = *scratch = calloc(1, sizeof *sc)))
		return NULL;
	if (need > sc->cap) {
		char *p = realloc(sc->canon, need);

		if (!p)
			return NULL;
		sc->canon = p;
		sc->cap = need;
	}
	return sc;
}

static void scratch_free(void *ctx, void *scratch)
{
	struct scratch *sc = scratch;

	(void)ctx;
	if (sc) {
		free(sc->line.p);
		free(sc->canon);
		free(sc);
	}
}

static int column_is(const char *col, const char *body, size_t at, size_t len)
{
	return col && strlen(col) == len && !memcmp(col, body + at, len);
}

/* On a worker thread: every check of the row that needs no order. */
static void home_check(void *ctx, const terra_batch_line *l, void **scratch)
{
	const struct home *hv = ctx;
	struct home_slot *s = l->slot;
	const char *body;
	struct scratch *sc;
	struct row r;

	unpack(l, &r);
	body = r.text[T_BODY];
	if (!r.h.prev_ok || !r.h.leaf_ok || !r.text[T_KIND] || !r.text[T_PAYLOAD] || !r.h.has_cp ||
	    !r.h.cp_root_ok || !body || !(sc = scratch_of(scratch, r.h.len[T_BODY])))
		return;
	if (!terra_ledger_entry_fast(r.h.seq, r.text[T_KIND], r.text[T_PAYLOAD], r.h.len[T_PAYLOAD],
	                             r.h.prev, r.text[T_CREATED_AT], r.h.leaf, &sc->line, &s->r))
		return;
	s->fast = terra_ledger_checkpoint_fast(body, r.h.len[T_BODY], hv->v->pk, hv->v->origin,
	                                       sc->canon, &s->cp) &&
	          s->cp.size == r.h.cp_size && !memcmp(s->cp.root, r.h.cp_root, TERRA_HASH_BYTES) &&
	          column_is(r.text[T_SIGNER], body, s->cp.signer, s->cp.signer_len) &&
	          column_is(r.text[T_SIG], body, s->cp.sig, s->cp.sig_len);
	if (!s->fast) {
		json_decref(s->r.payload);
		s->r.payload = NULL;
	}
}

static void home_drop(void *ctx, void *slot)
{
	(void)ctx;
	json_decref(((struct home_slot *)slot)->r.payload);
}

/* A checkpoint row, every check: its body parsed, its columns agreeing
 * with the body, then the checkpoint's own. */
static int row_checkpoint(terra_verifier *v, const struct row *r, terra_err *e)
{
	int64_t size = r->h.cp_size, bsize;
	const char *body = r->text[T_BODY], *signer = r->text[T_SIGNER], *sig = r->text[T_SIG];
	uint8_t broot[TERRA_HASH_BYTES];
	json_t *cp = NULL;
	char *canon = NULL;
	size_t clen;
	int ret = -1;

	if (!body || terra_record_parse(body, strlen(body), &cp, e) ||
	    terra_rec_dumps(cp, &canon, &clen, e) || strcmp(canon, body)) {
		terra_err_set(e, TERRA_E_VERIFY, "checkpoint %" PRId64 ": malformed body", size);
		goto out;
	}
	if (terra_rec_int(cp, "size", &bsize, e) || bsize != size || !r->h.cp_root_ok ||
	    terra_rec_hex(cp, "root", broot, TERRA_HASH_BYTES, e) ||
	    memcmp(r->h.cp_root, broot, TERRA_HASH_BYTES) || !signer || !sig ||
	    strcmp(signer, terra_ledger_str_of(cp, "signer")) ||
	    strcmp(sig, terra_ledger_str_of(cp, "sig"))) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "checkpoint %" PRId64 ": columns do not match its signed body", size);
		goto out;
	}
	ret = terra_verifier_checkpoint(v, cp, e);
out:
	free(canon);
	json_decref(cp);
	return ret;
}

/* A settlement entry recomputed from its stored inputs and snapshot. */
static int home_settlement(struct home *hv, const json_t *payload, int64_t seq, terra_err *e)
{
	const char *period = json_string_value(json_object_get(payload, "period"));
	json_t *inputs = NULL;
	void *snap = NULL;
	size_t snaplen = 0;
	int ret = -1;

	if (!period)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "entry %" PRId64 ": settlement without a period", seq);
	if (terra_settle_inputs_load(hv->db, period, &inputs, e)) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "entry %" PRId64 ": settlement inputs", seq);
	}
	if (terra_ledger_load_snapshot(hv->db, payload, seq, &snap, &snaplen, e) ||
	    terra_verifier_settlement(hv->v, payload, inputs, snap, snaplen, seq, e))
		goto out;
	ret = 0;
out:
	free(snap);
	json_decref(inputs);
	return ret;
}

static int seqs_add(struct seqs *s, int64_t seq, terra_err *e)
{
	if (terra_grow(&s->seq, &s->cap, s->n, sizeof *s->seq, 64))
		return terra_err_sys(e, "ledger: verify");
	s->seq[s->n++] = seq;
	return 0;
}

/* In order: a fast row's ordered steps, any other row's every check. */
static int home_consume(void *ctx, const terra_batch_line *l, terra_err *e)
{
	struct home *hv = ctx;
	struct home_slot *s = l->slot;
	json_t *payload = s->r.payload; /* this one frees it */
	struct row r;
	int ret = -1;

	unpack(l, &r);
	if (s->fast) {
		if (terra_verifier_take(hv->v, &s->r, e))
			goto out;
	} else if (!r.text[T_KIND] || !r.text[T_PAYLOAD] || !r.h.prev_ok || !r.h.leaf_ok) {
		terra_err_set(e, TERRA_E_VERIFY, "entry %" PRId64 ": malformed row", r.h.seq);
		goto out;
	} else if (terra_verifier_entry(hv->v, r.h.seq, r.text[T_KIND], r.text[T_PAYLOAD],
	                                r.h.len[T_PAYLOAD], r.h.prev, r.text[T_CREATED_AT],
	                                r.h.leaf, &payload, e)) {
		goto out;
	}
	if (!strcmp(r.text[T_KIND], "settlement") &&
	    (home_settlement(hv, payload, r.h.seq, e) || seqs_add(&hv->settled, r.h.seq, e)))
		goto out;
	if (terra_entries_is_unit_version(r.text[T_KIND]) && seqs_add(&hv->units, r.h.seq, e))
		goto out;
	if (!r.h.has_cp) {
		terra_err_set(e, TERRA_E_VERIFY, "checkpoint %" PRId64 ": missing", r.h.seq);
		goto out;
	}
	ret = s->fast ? terra_verifier_checkpoint_take(hv->v, s->cp.size, s->cp.root, e)
	              : row_checkpoint(hv->v, &r, e);
out:
	json_decref(payload);
	return ret;
}

/* Every settlement entry has its settlements row: a deleted row would let
 * terra-settle's fast path forget the period (it looks at the entries too).
 * rows: the rows' entry seqs, ascending; settled: the settlement entries'. */
static int verify_settlement_entries(sqlite3 *db, const terra_settle_seqs *rows,
                                     const struct seqs *settled, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	const char *period = NULL;
	size_t at = 0, i;
	int64_t seq;
	int row;

	for (i = 0; i < settled->n; i++) {
		seq = settled->seq[i];
		while (at < rows->n && rows->seq[at] < seq)
			at++;
		if (at >= rows->n || rows->seq[at] != seq)
			break;
	}
	if (i == settled->n)
		return 0;
	if (!terra_db_prepare(db,
	                      "SELECT json_extract(payload, '$.period') FROM entries WHERE seq = ?",
	                      &st, e)) {
		sqlite3_bind_int64(st, 1, seq);
		if (!terra_ledger_step(db, st, &row, e) && row)
			period = (const char *)sqlite3_column_text(st, 0);
		terra_err_set(e, TERRA_E_VERIFY,
		              "entry %" PRId64 ": settlement of period %s has no settlements row",
		              seq, period ? period : "?");
	}
	sqlite3_finalize(st);
	return -1;
}

struct rows_ctx {
	sqlite3 *db;
	sqlite3_stmt *st; /* an entry's kind and payload by seq */
	int64_t n;        /* entries verified */
};

/* A settlements row names a settlement entry of its period, with its inputs_digest. */
static int verify_settlement_row(void *ctx, const terra_settle_row *r, terra_err *e)
{
	struct rows_ctx *x = ctx;
	const char *period = r->period, *digest = r->inputs_digest, *kind = NULL, *ptext = NULL;
	json_t *payload, *pp, *pd;
	int64_t seq = r->entry_seq;
	int row, bad;

	sqlite3_reset(x->st);
	sqlite3_bind_int64(x->st, 1, seq);
	if (terra_ledger_step(x->db, x->st, &row, e))
		return -1;
	if (row) {
		kind = (const char *)sqlite3_column_text(x->st, 0);
		ptext = (const char *)sqlite3_column_text(x->st, 1);
	}
	if (!kind || strcmp(kind, "settlement") || seq > x->n)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "entry %" PRId64 ": not the settlement of period %s", seq,
		                     period ? period : "");
	payload = json_loads(ptext, 0, NULL);
	pp = json_object_get(payload, "period");
	pd = json_object_get(payload, "inputs_digest");
	bad = !json_is_string(pp) || !period || strcmp(json_string_value(pp), period);
	if (!bad && (!json_is_string(pd) || !digest || strcmp(json_string_value(pd), digest)))
		bad = 2;
	json_decref(payload);
	if (bad)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     bad == 2 ? "entry %" PRId64 ": settlements row of period %s: "
		                                "inputs_digest differs from the entry's"
		                              : "entry %" PRId64
		                                ": not the settlement of period %s",
		                     seq, period);
	return 0;
}

/* The settlements rows (settlement storage) against the entries, both ways. */
static int verify_settlements(sqlite3 *db, int64_t n, const struct seqs *settled, terra_err *e)
{
	struct rows_ctx x = {db, NULL, n};
	terra_settle_seqs rows = {0};
	int ret = -1;

	if (terra_db_prepare(db, "SELECT kind, payload FROM entries WHERE seq = ?", &x.st, e) ||
	    terra_settle_each_row(db, verify_settlement_row, &x, e) ||
	    terra_settle_seqs_load(db, &rows, e) ||
	    verify_settlement_entries(db, &rows, settled, e))
		goto out;
	ret = 0;
out:
	free(rows.seq);
	sqlite3_finalize(x.st);
	return ret;
}

int terra_ledger_verify(terra_home *h, terra_ledger_report *rep, terra_err *e)
{
	return terra_ledger_verify_since(h, 0, rep, e);
}

int terra_ledger_verify_since(terra_home *h, int64_t since, terra_ledger_report *rep, terra_err *e)
{
	terra_verifier v;
	struct home hv = {.v = &v, .db = h->db};
	terra_batch_opts o = {
	    .slot_size = sizeof(struct home_slot),
	    .what = "ledger: verify",
	    .check = home_check,
	    .consume = home_consume,
	    .drop = home_drop,
	    .scratch_free = scratch_free,
	    .ctx = &hv,
	};
	int ret = -1;

	memset(rep, 0, sizeof *rep);
	if (terra_verifier_init(&v, h->owner.pk, since, e))
		return -1;
	v.keyname = "owner.pub's key";
	o.threads = v.threads;
	/* One read transaction: a consistent snapshot while others append. */
	if (terra_db_exec(h->db, "BEGIN", e))
		goto out;
	if (terra_db_prepare(h->db,
	                     "SELECT seq, kind, payload, prev_hash, leaf_hash, created_at "
	                     "FROM entries ORDER BY seq",
	                     &hv.es, e) ||
	    terra_db_prepare(h->db,
	                     "SELECT size, root, signer, sig, body FROM checkpoints ORDER BY size",
	                     &hv.cs, e))
		goto out;
	if (terra_ledger_step(h->db, hv.cs, &hv.crow, e) ||
	    terra_batch_each(home_next, &hv, "ledger", &o, e))
		goto out;
	if (hv.crow) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "checkpoint %" PRId64 ": beyond the last entry (%" PRId64 ")",
		              (int64_t)sqlite3_column_int64(hv.cs, 0), v.n);
		goto out;
	}
	if (verify_settlements(h->db, v.n, &hv.settled, e) ||
	    terra_unitchain_verify_seqs(h->db, hv.units.seq, hv.units.n, e))
		goto out;
	terra_verifier_report(&v, rep);
	ret = 0;
out:
	free(hv.item.p);
	free(hv.settled.seq);
	free(hv.units.seq);
	sqlite3_finalize(hv.es);
	sqlite3_finalize(hv.cs);
	terra_db_rollback(h->db);
	terra_verifier_free(&v);
	return ret;
}
