/*
 * meterout.c: the meter's records out (terra-records(5), meter), once the
 * records of replicated kernel jobs held through the input are judged
 * (lib/replica.h) and counted.
 */
#include "meter.h"

#include "meterint.h"

#include "hex.h"
#include "money.h"
#include "record.h"
#include "time.h"

#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The distinct owners of the registry's units that are not retired. -1: out of memory. */
static long registry_owners(const terra_meter *m)
{
	const char **own = malloc((m->nunits + 1) * sizeof *own);
	size_t i, n = 0;
	long count = 0;

	if (!own)
		return -1;
	for (i = 0; i < m->nunits; i++) {
		const struct munit *u = &m->units[i];

		if (!u->c.retired)
			own[n++] = m->slots[m->epochs[u->epoch0 + u->nepochs - 1].slot].owner_hex;
	}
	qsort(own, n, sizeof *own, cmp_str);
	for (i = 0; i < n; i++)
		count += !i || strcmp(own[i], own[i - 1]);
	free(own);
	return count;
}

static void note_replica(void *ctx, const char *msg)
{
	const terra_meter *m = ctx;

	if (m->io.report)
		m->io.report(m->io.ctx, TERRA_METER_REPLICA, NULL, 0, msg);
}

/* Judges the replicated kernel jobs held and counts their records, once. */
static int judge(terra_meter *m, terra_err *e)
{
	long owners;

	if (m->judged || !m->replicas.n)
		return 0;
	m->judged = 1;
	if ((owners = registry_owners(m)) < 0 ||
	    terra_replicas_judge(&m->replicas, (size_t)owners, note_replica, m) < 0)
		return terra_err_set(e, TERRA_E_SYS, "meter: out of memory");
	for (size_t i = 0; i < m->replicas.n; i++) {
		const terra_replica *r = &m->replicas.r[i];
		int64_t credited = r->cls == TERRA_REPLICA_CREDITED ? r->credited : 0;

		if (terra_meter_count(m, &r->u, m->o.pay_kernel_time ? r->u.busy : credited,
		                      credited, r->cls) < 0)
			return terra_err_set(e, TERRA_E_SYS, "meter: out of memory");
	}
	return 0;
}

/* The cell's sha256d nonces: [[HEADER, NTIME, LO, HI], ...]. */
static json_t *nonces_json(const terra_tally_cell *a)
{
	json_t *v = json_array();
	char hex[65];

	for (size_t i = 0; v && i < a->nnonces; i++) {
		const terra_tally_nonces *n = &a->nonces[i];

		terra_hex(n->id, sizeof n->id, hex);
		if (json_array_append_new(v, json_pack("[s,I,I,I]", hex, (json_int_t)n->ntime,
		                                       (json_int_t)n->lo, (json_int_t)n->hi)) < 0) {
			json_decref(v);
			return NULL;
		}
	}
	return v;
}

/* A period with records of replicated kernel jobs: verified.replicated_us and
 * the records' counts, "replicas". */
static int replicas_json(json_t *r, const terra_tally_cell *a)
{
	const int64_t *n = a->replica_records;

	if (!n[0] && !n[1] && !n[2])
		return 0;
	if (json_object_set_new(json_object_get(r, "verified"), "replicated_us",
	                        json_integer(a->replicated_us)) < 0)
		return -1;
	return json_object_set_new(r, "replicas",
	                           json_pack("{s:I, s:I, s:I}", "credited", (json_int_t)n[0],
	                                     "dissenting", (json_int_t)n[1], "unmatched",
	                                     (json_int_t)n[2]));
}

static json_t *meter_record(const terra_meter *m, const terra_tally_cell *a, int sign, terra_err *e)
{
	static const char *const verified_names[3] = {"sha256d", "sgemm", "kernel_us"};
	const struct slot *slot = &m->slots[a->slot];
	const struct munit *u = &m->units[slot->unit];
	int64_t start = m->o.from + (int64_t)a->period * m->o.every, end = start + m->o.every;
	int64_t weight, charge, rem;
	char period[2 * TERRA_TIME_MAX], ts[TERRA_TIME_MAX], te[TERRA_TIME_MAX];
	char root_hex[2 * TERRA_HASH_BYTES + 1], amount[TERRA_AMOUNT_MAX];
	json_t *r, *verified, *rates;

	if (a->overflow)
		return terra_err_set(e, TERRA_E_INPUT, "unit '%s': work overflows int64", u->c.id),
		       NULL;
	if (terra_meter_weigh(&m->rates, a->proven, u->score, a->kernel_us, a->replicated_us,
	                      &weight) < 0)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "unit '%s': weight (verified work x rates) overflows int64",
		                     u->c.id),
		       NULL;
	terra_period_format(start, end, period);
	terra_time_format(start, ts);
	terra_time_format(end, te);
	terra_hex(a->root, sizeof a->root, root_hex);
	verified =
	    json_pack("{s:I, s:I, s:I}", verified_names[0], (json_int_t)a->proven[TERRA_WL_SHA256D],
	              verified_names[1], (json_int_t)a->proven[TERRA_WL_SGEMM], verified_names[2],
	              (json_int_t)a->kernel_us);
	rates = json_pack("{s:I, s:I, s:I}", terra_meter_rate_names[0], (json_int_t)m->rates.r[0],
	                  terra_meter_rate_names[1], (json_int_t)m->rates.r[1],
	                  terra_meter_rate_names[2], (json_int_t)m->rates.r[2]);
	r = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	              "s:I, s:s, s:I, s:o, s:o, s:o}",
	              "type", "meter", "v", 1, "period", period, "start", ts, "end", te, "unit",
	              u->c.id, "owner", slot->owner_hex, "busy_us", (json_int_t)a->busy,
	              "backed_us", (json_int_t)a->backed, "utilization_ppm",
	              (json_int_t)((u128)a->backed * 1000000 / (u128)m->o.every), "score",
	              (json_int_t)u->score, "weight", (json_int_t)weight, "records",
	              (json_int_t)a->records, "first_seq", (json_int_t)a->first, "last_seq",
	              (json_int_t)a->last, "usage_root", root_hex, "work", (json_int_t)a->work,
	              "verified", verified, "rates", rates, "evidence", nonces_json(a));
	if (!r)
		return terra_err_set(e, TERRA_E_SYS, "meter record: out of memory"), NULL;
	if (replicas_json(r, a) < 0) {
		json_decref(r);
		return terra_err_set(e, TERRA_E_SYS, "meter record: out of memory"), NULL;
	}
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
	if (judge(m, e) < 0)
		return -1;
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
