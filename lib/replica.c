/* replica.c: the records of replicated kernel jobs, judged together; see replica.h. */
#include "replica.h"

#include "buf.h"
#include "err.h"
#include "hex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

/* One unit's replica of a job: its records [a, b) in the sorted index. */
struct rep {
	size_t a, b;
	const char *owner;
	int64_t score;
	u128 busy;
	const uint8_t *result; /* its final records' result; NULL: none */
	int conflict;          /* its final records' results differ */
	size_t agree;          /* units with its result (itself too) */
};

int terra_replicas_hold(terra_replicas *rs, const terra_usage_verdict *u, const char *unit_id,
                        const char *owner_hex, int64_t score)
{
	terra_replica *r;

	if (terra_grow(&rs->r, &rs->cap, rs->n, sizeof *rs->r, 16) < 0)
		return -1;
	r = &rs->r[rs->n];
	memset(r, 0, sizeof *r);
	r->u = *u;
	r->u.msg = NULL;
	snprintf(r->unit_id, sizeof r->unit_id, "%s", unit_id);
	snprintf(r->owner_hex, sizeof r->owner_hex, "%s", owner_hex);
	r->score = score;
	r->order = rs->n++;
	return 0;
}

void terra_replicas_free(terra_replicas *rs)
{
	free(rs->r);
	memset(rs, 0, sizeof *rs);
}

static int cmp_job(const void *a, const void *b)
{
	const terra_replica *x = *(terra_replica *const *)a, *y = *(terra_replica *const *)b;
	int c = memcmp(x->u.job_digest, y->u.job_digest, sizeof x->u.job_digest);

	if (c)
		return c;
	if (x->u.replicas != y->u.replicas)
		return x->u.replicas < y->u.replicas ? -1 : 1;
	if (x->u.unit != y->u.unit)
		return x->u.unit < y->u.unit ? -1 : 1;
	return x->u.seq < y->u.seq ? -1 : x->u.seq > y->u.seq;
}

/* Whether r holds result (any result, conflicting ones too, when NULL). */
static int holds(const struct rep *r, const uint8_t *result)
{
	if (!result)
		return r->result != NULL;
	return r->result && !r->conflict && !memcmp(r->result, result, 32);
}

/* Distinct owners among the units of reps[] holding result (NULL: any). */
static size_t owners_of(const struct rep *reps, size_t n, const uint8_t *result)
{
	size_t i, j, count = 0;

	for (i = 0; i < n; i++) {
		if (!holds(&reps[i], result))
			continue;
		for (j = 0; j < i; j++)
			if (holds(&reps[j], result) && !strcmp(reps[j].owner, reps[i].owner))
				break;
		count += j == i;
	}
	return count;
}

/* Credits t of busy time over the records [a, b) of idx, by their busy time. */
static void spread(terra_replica **idx, size_t a, size_t b, u128 busy, int64_t t)
{
	int64_t left = t;
	size_t i;

	for (i = a; i < b; i++) {
		terra_replica *r = idx[i];

		r->credited = busy ? (int64_t)((u128)t * (u128)r->u.busy / busy) : 0;
		left -= r->credited;
	}
	idx[b - 1]->credited += left; /* the floors' remainder, below b - a */
}

struct verdict {
	size_t n, with_final, results, best, owners, need, all_owners;
	const uint8_t *agreed; /* NULL: no agreement */
	int replicas;
};

static char *why_not(const struct verdict *v, const struct rep *r, int cls)
{
	if (cls == TERRA_REPLICA_DISSENTING && r->conflict)
		return terra_msgf("its final records' results disagree");
	if (cls == TERRA_REPLICA_DISSENTING && v->agreed)
		return terra_msgf("its result differs from that of the %zu agreeing replicas",
		                  v->best);
	if (cls == TERRA_REPLICA_DISSENTING)
		return terra_msgf(
		    "the replicas disagree: %zu results among %zu units of %zu owners, none "
		    "held by %d units of %zu owners and by units of most owners",
		    v->results, v->with_final, v->all_owners, v->replicas, v->need);
	if (!r->result)
		return terra_msgf("no final record of the job in this input");
	if (v->best < (size_t)v->replicas)
		return terra_msgf("%zu of its %d replicas agree in this input", v->best,
		                  v->replicas);
	return terra_msgf("its %zu agreeing replicas are of %zu owners; %zu are needed (the "
	                  "registry has units of that many owners)",
	                  v->best, v->owners, v->need);
}

/* Judges the job of idx[a, b), its units in reps (room for b - a). -1: out of memory. */
static int judge_job(terra_replica **idx, size_t a, size_t b, struct rep *reps, size_t owners,
                     void (*note)(void *, const char *), void *ctx)
{
	struct verdict v = {0};
	size_t i, j, k, besti = 0, n_owners;
	u128 least = 0;
	int have_least = 0;
	char hex[65];

	v.replicas = idx[a]->u.replicas;
	for (i = a; i < b; i = j) {
		struct rep *r = &reps[v.n++];

		memset(r, 0, sizeof *r);
		r->a = i;
		r->owner = idx[i]->owner_hex;
		r->score = idx[i]->score;
		for (j = i; j < b && idx[j]->u.unit == idx[i]->u.unit; j++) {
			r->busy += (u128)idx[j]->u.busy;
			if (!idx[j]->u.final)
				continue;
			if (r->result && memcmp(r->result, idx[j]->u.result, 32))
				r->conflict = 1;
			r->result = idx[j]->u.result;
		}
		r->b = j;
	}
	for (i = 0; i < v.n; i++) {
		if (!reps[i].result)
			continue;
		v.with_final++;
		if (reps[i].conflict)
			continue;
		for (k = 0; k < v.n; k++)
			reps[i].agree += reps[k].result && !reps[k].conflict &&
			                 !memcmp(reps[k].result, reps[i].result, 32);
		for (k = 0; k < i; k++)
			if (reps[k].result && !reps[k].conflict &&
			    !memcmp(reps[k].result, reps[i].result, 32))
				break;
		if (k < i)
			continue; /* its result's class was weighed at its first unit */
		v.results++;
		/* the result of most owners, then of most units: only it can agree */
		n_owners = owners_of(reps, v.n, reps[i].result);
		if (n_owners > v.owners || (n_owners == v.owners && reps[i].agree > v.best)) {
			v.owners = n_owners;
			v.best = reps[i].agree;
			besti = i;
		}
	}
	v.results += v.with_final && !v.results; /* every final in conflict */
	v.need = owners < (size_t)v.replicas ? owners : (size_t)v.replicas;
	/* Most owners, not most units: one owner's many units outvote no one. */
	v.all_owners = owners_of(reps, v.n, NULL);
	if (v.best) {
		if (v.best >= (size_t)v.replicas && v.owners >= v.need &&
		    2 * v.owners > v.all_owners)
			v.agreed = reps[besti].result;
	}
	for (i = 0; i < v.n; i++) { /* the least score x busy time of the agreeing */
		struct rep *r = &reps[i];

		if (!v.agreed || !r->result || r->conflict || memcmp(r->result, v.agreed, 32) ||
		    r->score <= 0)
			continue;
		if (!have_least || (u128)r->score * r->busy < least)
			least = (u128)r->score * r->busy;
		have_least = 1;
	}
	terra_hex(idx[a]->u.job_digest, 8, hex);
	for (i = 0; i < v.n; i++) {
		struct rep *r = &reps[i];
		int cls;
		char *why, *msg;

		if (v.agreed && r->result && !r->conflict && !memcmp(r->result, v.agreed, 32))
			cls = TERRA_REPLICA_CREDITED;
		else if (r->result && (v.agreed || r->conflict || v.results > 1))
			cls = TERRA_REPLICA_DISSENTING;
		else
			cls = TERRA_REPLICA_UNMATCHED;
		for (k = r->a; k < r->b; k++)
			idx[k]->cls = cls;
		if (cls == TERRA_REPLICA_CREDITED) {
			u128 t = r->score > 0 ? least / (u128)r->score : 0;

			spread(idx, r->a, r->b, r->busy, (int64_t)(t < r->busy ? t : r->busy));
			continue;
		}
		if (!note)
			continue;
		why = why_not(&v, r, cls);
		msg = why ? terra_msgf("replicated kernel job %s... (%d replicas): unit '%s': "
		                       "not credited: %s",
		                       hex, v.replicas, idx[r->a]->unit_id, why)
		          : NULL;
		free(why);
		if (!msg)
			return -1;
		note(ctx, msg);
		free(msg);
	}
	return 0;
}

int terra_replicas_judge(terra_replicas *rs, size_t owners,
                         void (*note)(void *ctx, const char *msg), void *ctx)
{
	terra_replica **idx;
	struct rep *reps;
	size_t i, j;
	int rc = 0;

	if (!rs->n)
		return 0;
	idx = malloc(rs->n * sizeof *idx);
	reps = malloc(rs->n * sizeof *reps);
	if (!idx || !reps) {
		free(idx);
		free(reps);
		return -1;
	}
	for (i = 0; i < rs->n; i++)
		idx[i] = &rs->r[i];
	qsort(idx, rs->n, sizeof *idx, cmp_job);
	for (i = 0; i < rs->n && rc == 0; i = j) {
		for (j = i + 1;
		     j < rs->n && !memcmp(idx[j]->u.job_digest, idx[i]->u.job_digest, 32) &&
		     idx[j]->u.replicas == idx[i]->u.replicas;
		     j++)
			;
		rc = judge_job(idx, i, j, reps, owners, note, ctx);
	}
	free(idx); /* it pointed into rs->r: the records stay in the order held */
	free(reps);
	return rc;
}
