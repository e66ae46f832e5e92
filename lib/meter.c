#include "meter.h"

#include "batch.h"
#include "money.h"
#include "record.h"
#include "tally.h"
#include "time.h"
#include "unit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

struct munit {
	terra_usage_unit c; /* first: the checks see an array of these (lib/usage.h) */
	char owner_hex[TERRA_PK_HEX];
	int64_t score;
	int64_t stamp; /* updated_at, else registered_at: the latest record wins */
	long order;    /* position among the records read, for ties */
};

struct terra_meter {
	terra_meter_opts o;
	int64_t nperiods;
	struct munit *units;
	size_t nunits, capunits;
	int units_sorted;
	int fed; /* usage read: the unit table is fixed */
	long unit_order;
	terra_tally *tally;
	long bad;
	const terra_key *signer;
};

static int cmp_unit_id(const void *a, const void *b)
{
	const struct munit *x = a, *y = b;
	int c = strcmp(x->c.id, y->c.id);

	if (c)
		return c;
	if (x->stamp != y->stamp)
		return x->stamp < y->stamp ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* ---- setup ------------------------------------------------------------- */

int terra_meter_new(terra_meter **mp, const terra_meter_opts *o, terra_err *e)
{
	terra_meter *m;
	int64_t span;

	*mp = NULL;
	if (o->to <= o->from)
		return terra_err_set(e, TERRA_E_INPUT, "period: the end is not after the start");
	if (__builtin_sub_overflow(o->to, o->from, &span))
		return terra_err_set(e, TERRA_E_INPUT, "period: too long");
	if (o->every <= 0)
		return terra_err_set(e, TERRA_E_INPUT, "--every: must be a positive duration");
	if (span % o->every)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "--every: the range is not a whole number of periods");
	if (span / o->every > TERRA_METER_PERIODS_MAX)
		return terra_err_set(e, TERRA_E_INPUT, "--every: more than %d periods",
		                     TERRA_METER_PERIODS_MAX);
	if (o->has_price && o->price < 0)
		return terra_err_set(e, TERRA_E_INPUT, "--price: must not be negative");
	if (!(m = calloc(1, sizeof *m)))
		return terra_err_set(e, TERRA_E_SYS, "meter: out of memory");
	m->o = *o;
	m->nperiods = span / o->every;
	*mp = m;
	return 0;
}

void terra_meter_free(terra_meter *m)
{
	if (!m)
		return;
	free(m->units);
	terra_tally_free(m->tally);
	free(m);
}

void terra_meter_set_signer(terra_meter *m, const terra_key *k)
{
	m->signer = k;
}

long terra_meter_bad(const terra_meter *m)
{
	return m->bad;
}

/* ---- units ------------------------------------------------------------- */

static int unit_parse(const json_t *rec, struct munit *u, terra_err *e)
{
	const char *id, *owner, *state;
	uint8_t owner_pk[TERRA_PK_BYTES];
	json_t *bench = NULL;
	int64_t stamp;

	memset(u, 0, sizeof *u);
	if (terra_rec_str(rec, "unit", &id, e) < 0 ||
	    terra_rec_hex(rec, "owner", owner_pk, sizeof owner_pk, e) < 0 ||
	    terra_rec_str(rec, "owner", &owner, e) < 0 ||
	    terra_rec_hex(rec, "unit_pub", u->c.unit_pub, sizeof u->c.unit_pub, e) < 0 ||
	    terra_rec_int_opt(rec, "score", &u->score, e) < 0 ||
	    terra_rec_str(rec, "state", &state, e) < 0 ||
	    terra_rec_time(rec, "registered_at", &u->stamp, e) < 0)
		return -1;
	if (strlen(id) != TERRA_UNIT_ID_HEX - 1 || strspn(id, "0123456789abcdef") != strlen(id))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "field 'unit' must be 32 lowercase hex digits");
	if (strcmp(state, "active") && strcmp(state, "retired"))
		return terra_err_set(e, TERRA_E_INPUT, "field 'state' must be active or retired");
	if (u->score < 0)
		return terra_err_set(e, TERRA_E_INPUT, "field 'score' must not be negative");
	if (json_object_get(rec, "updated_at")) {
		if (terra_rec_time(rec, "updated_at", &stamp, e) < 0)
			return -1;
		u->stamp = stamp;
	}
	u->c.retired = !strcmp(state, "retired");
	if (json_object_get(rec, "retired_at")) {
		if (terra_rec_time(rec, "retired_at", &u->c.retired_at, e) < 0)
			return -1;
		u->c.has_retired_at = 1;
	}
	if (json_object_get(rec, "bench")) {
		if (terra_rec_obj(rec, "bench", &bench, e) < 0 ||
		    terra_rec_int_opt(bench, "int32_mops", &u->c.int32_mops, e) < 0 ||
		    terra_rec_int_opt(bench, "fp32_mflops", &u->c.fp32_mflops, e) < 0)
			return terra_err_wrap(e, "bench");
	}
	snprintf(u->c.id, sizeof u->c.id, "%s", id);
	terra_hex(owner_pk, sizeof owner_pk, u->owner_hex);
	return 0;
}

static int unit_push(terra_meter *m, const struct munit *u, terra_err *e)
{
	if (m->fed)
		return terra_err_set(e, TERRA_E_STATE, "units: loaded after the usage");
	if (m->nunits == m->capunits) {
		size_t cap = m->capunits ? 2 * m->capunits : 16;
		struct munit *n = realloc(m->units, cap * sizeof *n);

		if (!n)
			return terra_err_set(e, TERRA_E_SYS, "units: out of memory");
		m->units = n;
		m->capunits = cap;
	}
	m->units[m->nunits] = *u;
	m->units[m->nunits].order = m->unit_order++;
	m->nunits++;
	m->units_sorted = 0;
	return 0;
}

/* Sorts by id and keeps the latest record of each unit. */
static void units_settle(terra_meter *m)
{
	size_t i, n = 0;

	if (m->units_sorted)
		return;
	if (m->nunits > 1)
		qsort(m->units, m->nunits, sizeof *m->units, cmp_unit_id);
	for (i = 0; i < m->nunits; i++) {
		if (i + 1 < m->nunits && !strcmp(m->units[i].c.id, m->units[i + 1].c.id))
			continue;
		m->units[n++] = m->units[i];
	}
	m->nunits = n;
	m->units_sorted = 1;
}

int terra_meter_units_db(terra_meter *m, sqlite3 *db, terra_err *e)
{
	json_t *all = NULL, *rec;
	struct munit u;
	size_t i;
	int rc = -1;

	if (terra_unit_list(db, &all, e) < 0)
		return -1;
	json_array_foreach(all, i, rec)
	{
		if (unit_parse(rec, &u, e) < 0) {
			terra_err_wrap(e, "unit record %zu in the database", i + 1);
			goto out;
		}
		if (unit_push(m, &u, e) < 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(all);
	return rc;
}

int terra_meter_unit_add(terra_meter *m, const json_t *rec, terra_err *e)
{
	uint8_t signer[TERRA_PK_BYTES], owner[TERRA_PK_BYTES];
	char want[TERRA_UNIT_ID_HEX];
	const char *fingerprint;
	struct munit u;

	if (unit_parse(rec, &u, e) < 0)
		return -1;
	if (terra_rec_hex(rec, "owner", owner, sizeof owner, e) < 0)
		return -1;
	if (json_object_get(rec, "transferred_from")) {
		if (terra_rec_hex(rec, "transferred_from", signer, sizeof signer, e) < 0)
			return -1;
	} else {
		if (terra_rec_str(rec, "fingerprint", &fingerprint, e) < 0)
			return -1;
		terra_unit_id(owner, fingerprint, want);
		if (strcmp(want, u.c.id))
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "unit id is not that of its owner and fingerprint");
		memcpy(signer, owner, sizeof signer);
	}
	if (terra_rec_verify(rec, signer, e) < 0) {
		if (e->kind == TERRA_E_VERIFY && strcmp(e->msg, "bad signature"))
			return terra_err_set(e, TERRA_E_VERIFY, "bad signature: not signed by %s",
			                     json_object_get(rec, "transferred_from")
			                         ? "transferred_from"
			                         : "the owner");
		return -1;
	}
	return unit_push(m, &u, e);
}

/* ---- usage --------------------------------------------------------------- */

static char *fmt_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *fmt_msg(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* Usage lines go through lib/batch.h: each checked on a worker thread
 * (lib/usage.h), then taken here in input order. */
struct feed {
	terra_meter *m;
	terra_usage_rules rules;
	const terra_meter_io *io;
};

static void feed_check(void *ctx, const terra_batch_line *l, void **scratch)
{
	const struct feed *f = ctx;
	terra_usage_scratch *sc = *scratch;

	terra_usage_check(&f->rules, l->text, l->len, l->slot, &sc);
	*scratch = sc;
}

static void feed_drop(void *ctx, void *slot)
{
	(void)ctx;
	free(((terra_usage_verdict *)slot)->msg);
}

static void feed_scratch_free(void *ctx, void *scratch)
{
	(void)ctx;
	terra_usage_scratch_free(scratch);
}

/* Why a verified record's seq cannot be counted. */
static char *seq_why(int got, const char *id, int64_t seq, int64_t other)
{
	if (got == TERRA_TALLY_STARTS_EARLY)
		return fmt_msg("usage record: overlapping busy time: unit '%s' seq %lld starts "
		               "before seq %lld ends",
		               id, (long long)seq, (long long)other);
	if (got == TERRA_TALLY_ENDS_LATE)
		return fmt_msg("usage record: overlapping busy time: unit '%s' seq %lld ends "
		               "after seq %lld starts",
		               id, (long long)seq, (long long)other);
	return fmt_msg("usage record: replayed seq %lld of unit '%s'%s", (long long)seq, id,
	               got == TERRA_TALLY_REPLAYED_OTHER ? ": another record was counted with it"
	                                                 : "");
}

/* Takes one checked line in input order. Returns 1 when io stops the input. */
static int feed_consume(void *ctx, const terra_batch_line *l, terra_err *e)
{
	struct feed *f = ctx;
	terra_meter *m = f->m;
	const terra_meter_io *io = f->io;
	terra_usage_verdict *u = l->slot;
	char *why = u->msg, *msg;
	const char *id;
	int64_t other = 0;
	int got, stop = 0;

	u->msg = NULL;
	switch (u->kind) {
	case TERRA_USAGE_PASS:
		return io->pass && io->pass(io->ctx, l->text, l->len) ? 1 : 0;
	case TERRA_USAGE_OK:
		if (io->admit && (why = io->admit(io->admit_arg, l->text, l->len,
		                                  m->units[u->unit].c.id, u->start, u->end)))
			break;
		got = terra_tally_seq(m->tally, u, &other);
		if (got < 0 || (got == TERRA_TALLY_NEW && terra_tally_count(m->tally, u) < 0))
			return terra_err_set(e, TERRA_E_SYS, "meter: out of memory");
		if (got == TERRA_TALLY_NEW)
			return 0;
		id = m->units[u->unit].c.id;
		if (got == TERRA_TALLY_DUP) {
			msg = fmt_msg("%s:%ld: usage record: duplicate of an earlier record "
			              "(unit '%s' seq %lld), counted once",
			              l->name, l->lineno, id, (long long)u->seq);
			if (io->report && msg &&
			    io->report(io->ctx, TERRA_METER_DUPLICATE, l->text, l->len, msg))
				stop = 1;
			free(msg);
			return stop;
		}
		why = seq_why(got, id, u->seq, other);
		break;
	case TERRA_USAGE_BAD:
		break;
	default:
		return 0;
	}
	m->bad++;
	msg = fmt_msg("%s:%ld: %s", l->name, l->lineno, why ? why : "out of memory");
	if (io->report &&
	    io->report(io->ctx, TERRA_METER_BAD, l->text, l->len, msg ? msg : "out of memory"))
		stop = 1;
	free(msg);
	free(why);
	return stop;
}

int terra_meter_feed(terra_meter *m, const char *path, const terra_meter_io *io, terra_err *e)
{
	struct feed f = {.m = m, .io = io};
	terra_batch_opts o = {
	    .threads = m->o.threads,
	    .slot_size = sizeof(terra_usage_verdict),
	    .line_max = TERRA_LINE_MAX,
	    .what = "meter",
	    .check = feed_check,
	    .consume = feed_consume,
	    .drop = feed_drop,
	    .scratch_free = feed_scratch_free,
	    .ctx = &f,
	};
	const char *name = path && strcmp(path, "-") ? path : "<stdin>";
	FILE *in = stdin;
	int rc;

	units_settle(m);
	m->fed = 1;
	if (!m->tally &&
	    !(m->tally = terra_tally_new(m->nunits, m->o.from, m->o.every, m->nperiods)))
		return terra_err_set(e, TERRA_E_SYS, "meter: out of memory");
	f.rules = (terra_usage_rules){m->units, m->nunits, sizeof *m->units, m->o.from, m->o.to};
	if (path && strcmp(path, "-") && !(in = fopen(path, "rb")))
		return terra_err_sys(e, "open '%s'", path);
	rc = terra_batch_read(in, name, &o, e);
	if (in != stdin)
		fclose(in);
	return rc;
}

/* ---- output --------------------------------------------------------------- */

static json_t *meter_record(const terra_meter *m, const terra_tally_cell *a, int sign, terra_err *e)
{
	const struct munit *u = &m->units[a->unit];
	int64_t start = m->o.from + (int64_t)a->period * m->o.every, end = start + m->o.every;
	int64_t weight, charge, rem;
	char period[2 * TERRA_TIME_MAX], ts[TERRA_TIME_MAX], te[TERRA_TIME_MAX];
	char root_hex[2 * TERRA_HASH_BYTES + 1], amount[TERRA_AMOUNT_MAX];
	json_t *r;

	if (a->overflow)
		return terra_err_set(e, TERRA_E_INPUT, "unit '%s': work overflows int64", u->c.id),
		       NULL;
	if (__builtin_mul_overflow(u->score, a->busy, &weight))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "unit '%s': weight (score x busy_us) overflows int64",
		                     u->c.id),
		       NULL;
	terra_period_format(start, end, period);
	terra_time_format(start, ts);
	terra_time_format(end, te);
	terra_hex(a->root, sizeof a->root, root_hex);
	r = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	              "s:s, s:I}",
	              "type", "meter", "v", 1, "period", period, "start", ts, "end", te, "unit",
	              u->c.id, "owner", u->owner_hex, "busy_us", (json_int_t)a->busy,
	              "utilization_ppm", (json_int_t)((u128)a->busy * 1000000 / (u128)m->o.every),
	              "score", (json_int_t)u->score, "weight", (json_int_t)weight, "records",
	              (json_int_t)a->records, "first_seq", (json_int_t)a->first, "last_seq",
	              (json_int_t)a->last, "usage_root", root_hex, "work", (json_int_t)a->work);
	if (!r)
		return terra_err_set(e, TERRA_E_SYS, "meter record: out of memory"), NULL;
	if (m->o.has_price) {
		if (terra_money_muldiv(m->o.price, weight, TERRA_METER_TFLOP_HOUR, &charge, &rem,
		                       e) < 0) {
			json_decref(r);
			return terra_err_wrap(e, "unit '%s': charge", u->c.id), NULL;
		}
		terra_money_format(charge, amount);
		if (json_object_set_new(r, "charge", json_string(amount)) < 0) {
			json_decref(r);
			return terra_err_set(e, TERRA_E_SYS, "meter record: out of memory"), NULL;
		}
	}
	if (sign && m->signer && terra_rec_sign(r, m->signer, e) < 0) {
		json_decref(r);
		return terra_err_wrap(e, "unit '%s': sign the meter record", u->c.id), NULL;
	}
	return r;
}

static int put(FILE *out, json_t *rows, json_t *r, terra_err *e)
{
	if (out)
		return terra_rec_write(out, r, e);
	if (json_array_append(rows, r) < 0)
		return terra_err_set(e, TERRA_E_SYS, "meter records: out of memory");
	return 0;
}

/* Writes each meter record to out, or appends it to rows when out is NULL. */
static int emit(terra_meter *m, FILE *out, json_t *rows, terra_err *e)
{
	terra_tally_cell cell;
	terra_err first;
	size_t i, n;
	int rc = 0;

	terra_err_clear(&first);
	if (!m->tally)
		return 0;
	if (terra_tally_sort(m->tally) < 0)
		return terra_err_set(e, TERRA_E_SYS, "meter: out of memory");
	n = terra_tally_cells(m->tally);
	for (i = 0; i < n; i++) {
		json_t *r;

		terra_tally_cell_at(m->tally, i, &cell);
		r = meter_record(m, &cell, out != NULL, e);
		if (!r || put(out, rows, r, e) < 0) {
			if (!rc)
				first = *e;
			rc = -1;
			if (e->kind == TERRA_E_SYS) {
				json_decref(r);
				break;
			}
		}
		json_decref(r);
	}
	if (rc)
		*e = first;
	return rc;
}

int terra_meter_write(terra_meter *m, FILE *out, terra_err *e)
{
	return emit(m, out, NULL, e);
}

int terra_meter_rows(terra_meter *m, json_t *rows, terra_err *e)
{
	return emit(m, NULL, rows, e);
}
