/* terra_ledger_verify_export: the ledger verified from its ndjson export. */
#include "ledgerverify.h"

#include "batch.h"
#include "record.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* The fields of an exported entry record, whose line must be exactly the
 * canonical entry record (the leaf data). */
static int export_entry(terra_verifier *v, const json_t *rec, const char *raw, size_t rawlen,
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
	if (terra_verifier_entry(v, *seq, kind, ptext, plen, prev, created_at, NULL, payload, e))
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

static int pending_finish(terra_verifier *v, struct pending *p, terra_err *e)
{
	int ret;

	if (!p->payload)
		return 0;
	if (!p->got_inputs)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "entry %" PRId64 ": settlement inputs missing from the export",
		                     p->seq);
	ret = terra_verifier_settlement(v, p->payload, p->inputs, p->snap.p ? p->snap.p : "",
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

static int pending_inputs(struct pending *p, const json_t *rec, terra_err *e)
{
	json_t *inputs = json_object_get(rec, "inputs");
	int64_t of = 0;

	if (!p->payload || p->holdings || terra_rec_int(rec, "entry", &of, e) || of != p->seq ||
	    !json_is_array(inputs))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "settlement_inputs record: not after its settlement entry");
	if ((!p->inputs && !(p->inputs = json_array())) || json_array_extend(p->inputs, inputs)) {
		terra_err_sys(e, "ledger: verify");
		return -2;
	}
	p->got_inputs = 1;
	return 0;
}

/* ---- the lines, checked on their own, then taken in order ----------------- */

/* What a line is after the checks it needs no order for. */
enum line_kind {
	LINE_TOO_LONG,
	LINE_BAD,        /* not a record: why */
	LINE_RECORD,     /* parsed into rec, for the full checks */
	LINE_ENTRY,      /* an entry that passed its own checks: r */
	LINE_CHECKPOINT, /* a checkpoint that passed its own checks: cp */
};

struct line_slot {
	enum line_kind kind;
	terra_ledger_row r;
	terra_ledger_cp cp;
	json_t *rec;
	char *why;
};

struct export
{
	terra_verifier *v;
	terra_reader *in;
	struct pending pend;
};

struct scratch {
	terra_buf line;
	char *canon;
	size_t cap;
};

static int next_line(void *ctx, const char **text, size_t *len, long *lineno, terra_err *e)
{
	struct export *x = ctx;
	int rc = terra_reader_next_line(x->in, e);

	if (rc <= 0)
		return rc == 0 ? 0 : -1;
	*text = terra_reader_line(x->in, len);
	*lineno = terra_reader_lineno(x->in);
	return 1;
}

static int starts(const terra_batch_line *l, const char *s)
{
	return !strncmp(l->text, s, strlen(s));
}

/* On a worker thread: an entry or checkpoint in written form checked on
 * its own, any other line parsed. */
static void line_check(void *ctx, const terra_batch_line *l, void **scratch)
{
	const struct export *x = ctx;
	struct line_slot *s = l->slot;
	struct scratch *sc = *scratch;
	terra_err e;

	if (l->len > TERRA_LINE_MAX) {
		s->kind = LINE_TOO_LONG;
		return;
	}
	if (!sc)
		sc = *scratch = calloc(1, sizeof *sc);
	if (sc && l->len > sc->cap) {
		char *p = realloc(sc->canon, l->len);

		if (p) {
			sc->canon = p;
			sc->cap = l->len;
		}
	}
	if (sc && starts(l, "{\"created_at\":") &&
	    terra_ledger_entry_line_fast(l->text, l->len, &sc->line, &s->r)) {
		s->kind = LINE_ENTRY;
		return;
	}
	if (sc && sc->cap >= l->len && starts(l, "{\"origin\":") &&
	    terra_ledger_checkpoint_fast(l->text, l->len, x->v->pk, x->v->origin, sc->canon,
	                                 &s->cp)) {
		s->kind = LINE_CHECKPOINT;
		return;
	}
	s->kind = LINE_RECORD;
	if (terra_record_parse(l->text, l->len, &s->rec, &e) < 0) {
		s->kind = LINE_BAD;
		s->why = strdup(e.msg);
	}
}

static void line_drop(void *ctx, void *slot)
{
	struct line_slot *s = slot;

	(void)ctx;
	json_decref(s->r.payload);
	json_decref(s->rec);
	free(s->why);
	s->r.payload = s->rec = NULL;
	s->why = NULL;
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

/* A parsed record, every check. 0, -1 on a fault of the line, -2 on
 * another failure. */
static int take_record(struct export *x, json_t *rec, const char *raw, size_t rawlen, terra_err *e)
{
	terra_verifier *v = x->v;
	const char *type = json_string_value(json_object_get(rec, "type"));
	char *canon = NULL;
	size_t clen;
	int64_t seq;

	if (!strcmp(type, "entry")) {
		json_t *payload = NULL;

		if (export_entry(v, rec, raw, rawlen, &payload, &seq, e))
			return -1;
		if (!strcmp(json_string_value(json_object_get(rec, "kind")), "settlement")) {
			x->pend.payload = payload;
			x->pend.seq = seq;
		} else {
			json_decref(payload);
		}
		return 0;
	}
	if (!strcmp(type, "settlement_inputs"))
		return pending_inputs(&x->pend, rec, e);
	if (!strcmp(type, "holding"))
		return pending_holding(&x->pend, rec, e);
	if (!strcmp(type, "checkpoint")) {
		int bad = terra_rec_dumps(rec, &canon, &clen, e) || clen != rawlen ||
		          memcmp(canon, raw, rawlen);

		free(canon);
		if (bad)
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "checkpoint: not in canonical form");
		return terra_verifier_checkpoint(v, rec, e);
	}
	return terra_err_set(e, TERRA_E_VERIFY, "unexpected %s record", type);
}

/* One line in order. 0, -1 on a fault of the line, -2 on another failure. */
static int take_line(struct export *x, struct line_slot *s, const terra_batch_line *l, terra_err *e)
{
	const char *type;

	switch (s->kind) {
	case LINE_TOO_LONG:
		return terra_err_set(e, TERRA_E_VERIFY, "line longer than 1 MiB");
	case LINE_BAD:
		return terra_err_set(e, TERRA_E_VERIFY, "%s", s->why ? s->why : "out of memory");
	case LINE_ENTRY:
		type = "entry";
		break;
	case LINE_CHECKPOINT:
		type = "checkpoint";
		break;
	default:
		type = json_string_value(json_object_get(s->rec, "type"));
	}
	if (x->pend.payload && strcmp(type, "settlement_inputs") && strcmp(type, "holding") &&
	    pending_finish(x->v, &x->pend, e))
		return -1;
	if (s->kind == LINE_ENTRY) {
		if (terra_verifier_take(x->v, &s->r, e))
			return -1;
		if (!strcmp(s->r.kind, "settlement")) {
			x->pend.payload = s->r.payload;
			x->pend.seq = s->r.seq;
			s->r.payload = NULL;
		}
		return 0;
	}
	if (s->kind == LINE_CHECKPOINT)
		return terra_verifier_checkpoint_take(x->v, s->cp.size, s->cp.root, e);
	return take_record(x, s->rec, l->text, l->len, e);
}

static int line_consume(void *ctx, const terra_batch_line *l, terra_err *e)
{
	struct export *x = ctx;
	terra_verifier *v = x->v;
	int rc = take_line(x, l->slot, l, e);

	line_drop(ctx, l->slot);
	if (rc == -1) {
		/* "FILE:LINE: what was due there: why" */
		if (strncmp(e->msg, "entry ", 6) && strncmp(e->msg, "checkpoint ", 11)) {
			if (x->pend.payload)
				terra_err_wrap(e, "entry %" PRId64 ": settlement inputs",
				               x->pend.seq);
			else if (v->checkpoints < v->n)
				terra_err_wrap(e, "checkpoint %" PRId64, v->n);
			else
				terra_err_wrap(e, "entry %" PRId64, v->n + 1);
		}
		e->kind = TERRA_E_VERIFY;
		terra_err_wrap(e, "%s:%ld", l->name, l->lineno);
	}
	return rc < 0 ? -1 : 0;
}

int terra_ledger_verify_export(struct terra_reader *r, const uint8_t pk[TERRA_PK_BYTES],
                               terra_ledger_report *rep, terra_err *e)
{
	return terra_ledger_verify_export_since(r, pk, 0, rep, e);
}

int terra_ledger_verify_export_since(struct terra_reader *r, const uint8_t pk[TERRA_PK_BYTES],
                                     int64_t since, terra_ledger_report *rep, terra_err *e)
{
	terra_verifier v;
	struct export x = {.v = &v, .in = r};
	terra_batch_opts o = {
	    .slot_size = sizeof(struct line_slot),
	    .what = "ledger: verify",
	    .check = line_check,
	    .consume = line_consume,
	    .drop = line_drop,
	    .scratch_free = scratch_free,
	    .ctx = &x,
	};
	int ret = -1;

	memset(rep, 0, sizeof *rep);
	if (terra_verifier_init(&v, pk, since, e))
		return -1;
	v.keyname = "the --pubkey key";
	o.threads = v.threads;
	if (terra_batch_each(next_line, &x, terra_reader_name(r), &o, e) ||
	    pending_finish(&v, &x.pend, e))
		goto out;
	if (v.checkpoints != v.n) {
		terra_err_set(e, TERRA_E_VERIFY, "checkpoint %" PRId64 ": missing",
		              v.checkpoints + 1);
		goto out;
	}
	terra_verifier_report(&v, rep);
	ret = 0;
out:
	pending_clear(&x.pend);
	free(x.pend.snap.p);
	terra_verifier_free(&v);
	return ret;
}
