#include "meter.h"

#include "buf.h"
#include "meterint.h"

#include "batch.h"
#include "money.h"
#include "paid.h"
#include "split.h"
#include "record.h"
#include "tally.h"
#include "time.h"
#include "unit.h"
#include "unitchain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

/* One version of a unit record, as read (units_settle makes units of them). */
struct version {
	terra_usage_unit c;
	char owner_hex[TERRA_PK_HEX];
	int64_t score;
	int64_t stamp;    /* updated_at, else registered_at */
	int64_t seq_from; /* a version with a new unit key: its first seq */
	long order;       /* position among the records read, for ties */
};

static int cmp_version(const void *a, const void *b)
{
	const struct version *x = a, *y = b;
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
	if (o->rate_sha256d < 0 || o->rate_sgemm < 0)
		return terra_err_set(e, TERRA_E_INPUT, "--rate: must be positive");
	if (!(m = calloc(1, sizeof *m)) || !(m->paid = terra_paid_new())) {
		free(m);
		return terra_err_set(e, TERRA_E_SYS, "meter: out of memory");
	}
	m->o = *o;
	m->rates.r[TERRA_WL_SHA256D] = o->rate_sha256d ? o->rate_sha256d : TERRA_METER_RATE_SHA256D;
	m->rates.r[TERRA_WL_SGEMM] = o->rate_sgemm ? o->rate_sgemm : TERRA_METER_RATE_SGEMM;
	m->rates.r[TERRA_WL_KERNEL] = o->pay_kernel_time ? 1 : 0;
	m->nperiods = span / o->every;
	*mp = m;
	return 0;
}

void terra_meter_free(terra_meter *m)
{
	if (!m)
		return;
	free(m->vers);
	free(m->units);
	free(m->epochs);
	free(m->slots);
	free(m->keys);
	terra_tally_free(m->tally);
	terra_paid_free(m->paid);
	terra_replicas_free(&m->replicas);
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

static int unit_parse(const json_t *rec, struct version *u, terra_err *e)
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
	    terra_rec_int_opt(rec, "seq_from", &u->seq_from, e) < 0 ||
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

static int unit_push(terra_meter *m, const struct version *u, terra_err *e)
{
	if (m->fed)
		return terra_err_set(e, TERRA_E_STATE, "units: loaded after the usage");
	if (terra_grow(&m->vers, &m->capvers, m->nvers, sizeof *m->vers, 16) < 0)
		return terra_err_set(e, TERRA_E_SYS, "units: out of memory");
	m->vers[m->nvers] = *u;
	m->vers[m->nvers].order = m->unit_order++;
	m->nvers++;
	m->units_sorted = 0;
	return 0;
}

static int cmp_owner(const void *a, const void *b)
{
	return strcmp(((const struct slot *)a)->owner_hex, ((const struct slot *)b)->owner_hex);
}

/* The slot of owner among the unit's, [from, to) of m->slots. */
static uint32_t slot_of(const terra_meter *m, size_t from, size_t to, const char *owner)
{
	size_t i;

	for (i = from; i < to && strcmp(m->slots[i].owner_hex, owner); i++)
		;
	return (uint32_t)i;
}

/* The unit of the versions v[0..n) (one unit, in the order they take
 * effect): the latest version, its owners in time (each a slot, ordered by
 * owner key) and, when its key changed, every key with what it may sign. */
static int unit_make(terra_meter *m, const struct version *v, size_t n, terra_err *e)
{
	struct munit *u = &m->units[m->nunits];
	size_t i, s0 = m->nslots, k0 = m->nkeys;
	terra_usage_key *key;

	u->c = v[n - 1].c;
	u->score = v[n - 1].score;
	for (i = 0; i < n; i++)
		if (slot_of(m, s0, m->nslots, v[i].owner_hex) == m->nslots) {
			m->slots[m->nslots].unit = m->nunits;
			memcpy(m->slots[m->nslots].owner_hex, v[i].owner_hex, TERRA_PK_HEX);
			m->nslots++;
		}
	if (m->nslots - s0 > 1)
		qsort(m->slots + s0, m->nslots - s0, sizeof *m->slots, cmp_owner);
	u->epoch0 = m->nepochs;
	for (i = 0; i < n; i++) {
		if (i && !strcmp(v[i].owner_hex, v[i - 1].owner_hex))
			continue;
		m->epochs[m->nepochs].from = i ? v[i].stamp : INT64_MIN;
		m->epochs[m->nepochs].slot = slot_of(m, s0, m->nslots, v[i].owner_hex);
		m->nepochs++;
	}
	u->nepochs = m->nepochs - u->epoch0;
	for (i = 1; i < n && !memcmp(v[i].c.unit_pub, v[0].c.unit_pub, TERRA_PK_BYTES); i++)
		;
	if (i < n) { /* rotated: keys[] are placed once all units are made */
		for (i = 0; i < n; i++) {
			if (i && !memcmp(v[i].c.unit_pub, v[i - 1].c.unit_pub, TERRA_PK_BYTES))
				continue;
			if (i && v[i].seq_from < 1)
				return terra_err_set(e, TERRA_E_INPUT,
				                     "unit '%s': a new unit key without seq_from",
				                     u->c.id);
			key = &m->keys[m->nkeys++];
			memcpy(key->pub, v[i].c.unit_pub, TERRA_PK_BYTES);
			key->from = i ? v[i].stamp : INT64_MIN;
			key->seq_from = i ? v[i].seq_from : 0;
			key->until = key->seq_until = INT64_MAX;
			if (i) {
				key[-1].until = key->from;
				key[-1].seq_until = key->seq_from;
			}
		}
		u->c.nkeys = m->nkeys - k0;
		u->key0 = k0; /* c.keys is set once m->keys is complete */
	}
	m->nunits++;
	return 0;
}

/* Makes the units of the versions given, once, before the usage. */
static int units_settle(terra_meter *m, terra_err *e)
{
	size_t i, j;

	if (m->units_sorted)
		return 0;
	if (m->nvers > 1)
		qsort(m->vers, m->nvers, sizeof *m->vers, cmp_version);
	free(m->units);
	free(m->epochs);
	free(m->slots);
	free(m->keys);
	m->units = calloc(m->nvers + 1, sizeof *m->units);
	m->epochs = calloc(m->nvers + 1, sizeof *m->epochs);
	m->slots = calloc(m->nvers + 1, sizeof *m->slots);
	m->keys = calloc(m->nvers + 1, sizeof *m->keys);
	m->nunits = m->nepochs = m->nslots = m->nkeys = 0;
	if (!m->units || !m->epochs || !m->slots || !m->keys)
		return terra_err_set(e, TERRA_E_SYS, "units: out of memory");
	for (i = 0; i < m->nvers; i = j) {
		for (j = i + 1; j < m->nvers && !strcmp(m->vers[i].c.id, m->vers[j].c.id); j++)
			;
		if (unit_make(m, m->vers + i, j - i, e) < 0)
			return -1;
	}
	for (i = 0; i < m->nunits; i++)
		if (m->units[i].c.nkeys)
			m->units[i].c.keys = m->keys + m->units[i].key0;
	m->units_sorted = 1;
	return 0;
}

/*
 * Every version of every unit in the ledger, each unit's versions checked as
 * a chain (lib/unitchain.h): the latest one is the units row that
 * terra_unit_list checks, the earlier ones say who owned it when.
 */
int terra_meter_units_db(terra_meter *m, sqlite3 *db, terra_err *e)
{
	json_t *rows = NULL, *all = NULL, *prev = json_object(), *rec;
	struct version u;
	const char *id;
	size_t i;
	int rc = -1;

	if (!prev)
		return terra_err_set(e, TERRA_E_SYS, "units: out of memory");
	if (terra_unit_list(db, &rows, e) < 0 || terra_unit_versions(db, NULL, &all, e) < 0)
		goto out;
	json_array_foreach(all, i, rec)
	{
		id = json_string_value(json_object_get(rec, "unit"));
		if (!id || terra_unitchain_next(json_object_get(prev, id), rec, INT64_MAX, e) < 0 ||
		    unit_parse(rec, &u, e) < 0) {
			e->kind = TERRA_E_VERIFY;
			terra_err_wrap(e, "unit '%s' in the ledger", id ? id : "?");
			goto out;
		}
		if (json_object_set(prev, id, rec) < 0) {
			terra_err_set(e, TERRA_E_SYS, "units: out of memory");
			goto out;
		}
		if (unit_push(m, &u, e) < 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(prev);
	json_decref(rows);
	json_decref(all);
	return rc;
}

int terra_meter_paid_db(terra_meter *m, sqlite3 *db, terra_err *e)
{
	if (m->fed)
		return terra_err_set(e, TERRA_E_STATE, "paid evidence: loaded after the usage");
	return terra_paid_load(db, m->paid, &m->horizon_s, e);
}

int terra_meter_unit_add(terra_meter *m, const json_t *rec, terra_err *e)
{
	uint8_t signer[TERRA_PK_BYTES], owner[TERRA_PK_BYTES];
	char want[TERRA_UNIT_ID_HEX];
	const char *fingerprint;
	struct version u;

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
		return terra_msgf("usage record: overlapping busy time: unit '%s' seq %lld starts "
		                  "before seq %lld ends",
		                  id, (long long)seq, (long long)other);
	if (got == TERRA_TALLY_ENDS_LATE)
		return terra_msgf("usage record: overlapping busy time: unit '%s' seq %lld ends "
		                  "after seq %lld starts",
		                  id, (long long)seq, (long long)other);
	return terra_msgf("usage record: replayed seq %lld of unit '%s'%s", (long long)seq, id,
	                  got == TERRA_TALLY_REPLAYED_OTHER ? ": another record was counted with it"
	                                                    : "");
}

/* The metered cells a record touches, [*c0, *c1]. */
static void cells_of(const terra_meter *m, const terra_usage_verdict *u, int64_t *c0, int64_t *c1)
{
	*c0 = terra_meter_cell(u->start, m->o.from, m->o.every);
	*c1 = terra_meter_cell(u->end - 1, m->o.from, m->o.every);
	if (*c0 < 0)
		*c0 = 0;
	if (*c1 > m->nperiods - 1)
		*c1 = m->nperiods - 1;
}

/*
 * The nonces of a sha256d record (rows of an sgemm record's product) in each
 * metered period: none counted twice in this run, nor paid by the settlement host for another
 * period (metering a settled period again gives what was settled). NULL or
 * why not.
 */
static char *nonces_why(terra_meter *m, const terra_usage_verdict *u)
{
	terra_paid_who who;
	char hex[65], period[TERRA_PERIOD_MAX];
	int64_t c, c0, c1, lo, hi;
	const char *what =
	    u->workload == TERRA_WL_SGEMM ? "rows of the sgemm run" : "nonces of header";

	if (!u->has_nonces)
		return NULL;
	cells_of(m, u, &c0, &c1);
	for (c = c0; c <= c1; c++) {
		int64_t t0 = m->o.from + c * m->o.every;

		terra_meter_nonces(u, t0, t0 + m->o.every, &lo, &hi);
		if (lo >= hi)
			continue;
		terra_period_format(t0, t0 + m->o.every, period);
		if (!terra_paid_find(m->paid, u->header_id, lo, hi, period, &who))
			continue;
		terra_hex(u->header_id, sizeof u->header_id, hex);
		if (who.unit < 0)
			return terra_msgf("usage record: evidence already paid: %s %s in "
			                  "[%lld, %lld) were paid for period %s",
			                  what, hex, (long long)lo, (long long)hi, who.period);
		return terra_msgf("usage record: evidence seen before: %s %s in [%lld, "
		                  "%lld) were counted for unit '%s' (records from seq %lld)",
		                  what, hex, (long long)lo, (long long)hi, m->units[who.unit].c.id,
		                  (long long)who.seq);
	}
	return NULL;
}

/*
 * Counts a placed record. [start, until) is counted (until < end: the unit
 * was retired, or its key rotated out, inside the record), cut where the
 * unit changed owner: each part, with its share of busy_us, work, proven
 * work and backed busy time by time, goes to the owner of its time.
 */
int terra_meter_count(terra_meter *m, const terra_usage_verdict *u, int64_t backed,
                      int64_t replicated, int replica)
{
	const struct munit *mu = &m->units[u->unit];
	const struct epoch *ep = m->epochs + mu->epoch0;
	size_t n = mu->nepochs, first = 0, last, np, i;
	int64_t *len, *busy, *work, *proven, *back, *rep, at;
	terra_tally_part part = {u->busy, u->work, u->proven, backed, replicated, replica};
	u128 *rem;
	int rc = 0;

	while (first + 1 < n && ep[first + 1].from <= u->start)
		first++;
	for (last = first; last + 1 < n && ep[last + 1].from < u->until; last++)
		;
	if (first == last && u->until == u->end)
		return terra_tally_count(m->tally, u, ep[first].slot, u->start, u->end, &part);
	np = last - first + 2; /* the owners' parts, then what is not counted */
	len = malloc(np * 6 * sizeof *len);
	rem = malloc(np * sizeof *rem);
	if (!len || !rem) {
		free(len);
		free(rem);
		return -1;
	}
	busy = len + np;
	work = busy + np;
	proven = work + np;
	back = proven + np;
	rep = back + np;
	for (i = 0, at = u->start; i + 1 < np; i++) {
		int64_t to = first + i + 1 <= last ? ep[first + i + 1].from : u->until;

		len[i] = to - at;
		at = to;
	}
	len[np - 1] = u->end - u->until;
	terra_split_lengths(u->busy, len, np, u->end - u->start, busy, rem);
	terra_split_lengths(u->work, len, np, u->end - u->start, work, rem);
	terra_split_lengths(u->proven, len, np, u->end - u->start, proven, rem);
	terra_split_lengths(backed, len, np, u->end - u->start, back, rem);
	terra_split_lengths(replicated, len, np, u->end - u->start, rep, rem);
	for (i = 0, at = u->start; i + 1 < np && rc == 0; at += len[i], i++) {
		part = (terra_tally_part){busy[i], work[i], proven[i], back[i], rep[i], replica};
		rc = terra_tally_count(m->tally, u, ep[first + i].slot, at, at + len[i], &part);
	}
	free(len);
	free(rem);
	return rc;
}

/* The owner of unit u at time t. */
static const char *owner_at(const terra_meter *m, size_t unit, int64_t t)
{
	const struct munit *mu = &m->units[unit];
	const struct epoch *ep = m->epochs + mu->epoch0;
	size_t i = 0;

	while (i + 1 < mu->nepochs && ep[i + 1].from <= t)
		i++;
	return m->slots[ep[i].slot].owner_hex;
}

/* Counts a placed record: its nonces kept, its sums added; a record of a
 * replicated kernel job is held until its replicas are judged
 * (lib/meterout.c). -1: out of memory. */
static int count(terra_meter *m, const terra_usage_verdict *u)
{
	terra_paid_who who = {(int64_t)u->unit, u->seq, NULL}, paid;
	int64_t backed = 0, c, c0, c1, lo, hi;

	if (u->has_nonces) {
		cells_of(m, u, &c0, &c1);
		for (c = c0; c <= c1; c++) {
			int64_t t0 = m->o.from + c * m->o.every;

			terra_meter_nonces(u, t0, t0 + m->o.every, &lo, &hi);
			/* nonces paid for this very period are kept as paid */
			if (lo < hi &&
			    !terra_paid_find(m->paid, u->header_id, lo, hi, NULL, &paid) &&
			    terra_paid_add(m->paid, u->header_id, lo, hi, &who) < 0)
				return -1;
		}
	}
	if (u->workload == TERRA_WL_KERNEL && u->replicas > 1)
		return terra_replicas_hold(&m->replicas, u, m->units[u->unit].c.id,
		                           owner_at(m, u->unit, u->start), m->units[u->unit].score);
	/* The busy time the evidence backs: the proven share of the claimed work. */
	if (u->workload == TERRA_WL_KERNEL)
		backed = m->o.pay_kernel_time ? u->busy : 0;
	else
		backed =
		    (int64_t)((u128)u->busy * (u128)(u->proven < u->work ? u->proven : u->work) /
		              (u128)u->work);
	return terra_meter_count(m, u, backed, 0, TERRA_REPLICA_NONE);
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
		id = m->units[u->unit].c.id;
		got = terra_tally_seq_peek(m->tally, u, &other);
		if (got == TERRA_TALLY_DUP) {
			msg = terra_msgf("%s:%ld: usage record: duplicate of an earlier record "
			                 "(unit '%s' seq %lld), counted once",
			                 l->name, l->lineno, id, (long long)u->seq);
			if (io->report && msg &&
			    io->report(io->ctx, TERRA_METER_DUPLICATE, l->text, l->len, msg))
				stop = 1;
			free(msg);
			return stop;
		}
		if (got != TERRA_TALLY_NEW) {
			why = seq_why(got, id, u->seq, other);
			break;
		}
		if ((why = nonces_why(m, u)))
			break;
		if (terra_tally_seq(m->tally, u, &other) < 0 || count(m, u) < 0)
			return terra_err_set(e, TERRA_E_SYS, "meter: out of memory");
		return 0;
	case TERRA_USAGE_BAD:
		break;
	default:
		return 0;
	}
	m->bad++;
	msg = terra_msgf("%s:%ld: %s", l->name, l->lineno, why ? why : "out of memory");
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

	if (units_settle(m, e) < 0)
		return -1;
	if (m->judged)
		return terra_err_set(e, TERRA_E_STATE, "usage: read after the meter records");
	m->fed = 1;
	m->io = *io;
	if (!m->tally &&
	    !(m->tally = terra_tally_new(m->nunits, m->o.from, m->o.every, m->nperiods)))
		return terra_err_set(e, TERRA_E_SYS, "meter: out of memory");
	f.rules = (terra_usage_rules){m->units,  m->nunits, sizeof *m->units,
	                              m->o.from, m->o.to,   m->horizon_s};
	if (path && strcmp(path, "-") && !(in = fopen(path, "rb")))
		return terra_err_sys(e, "open '%s'", path);
	rc = terra_batch_read(in, name, &o, e);
	if (in != stdin)
		fclose(in);
	return rc;
}
