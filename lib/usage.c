#include "usage.h"

#include "canon.h"
#include "filter.h"
#include "hex.h"
#include "job.h"
#include "merkle.h"
#include "pow.h"
#include "record.h"
#include "sgemmproof.h"
#include "sha256.h"
#include "sha256dproof.h"
#include "time.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

#define SIG_KEPT TERRA_USAGE_SIG_KEPT

struct terra_usage_scratch {
	char *canon; /* a line's canonical form, its "sig" cut out */
	size_t cap_canon;
	char *spelled; /* a line of another spelling in written form */
	size_t cap_spelled;
	int64_t *nonces;
	size_t cap_nonces;
};

void terra_usage_scratch_free(terra_usage_scratch *sc)
{
	if (!sc)
		return;
	free(sc->canon);
	free(sc->spelled);
	free(sc->nonces);
	free(sc);
}

int64_t terra_meter_cell(int64_t t, int64_t origin, int64_t every)
{
	i128 a = (i128)t - origin, q = a / every;

	if ((a % every != 0) && ((a < 0) != (every < 0)))
		q--;
	return (int64_t)q;
}

static const terra_usage_unit *find_unit(const terra_usage_rules *r, const char *id, size_t *index)
{
	size_t lo = 0, hi = r->nunits;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const terra_usage_unit *u =
		    (const terra_usage_unit *)((const char *)r->units + mid * r->stride);
		int c = strcmp(u->id, id);

		if (!c) {
			*index = mid;
			return u;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The key of a rotated unit that signer is; NULL when none is. */
static const terra_usage_key *key_of(const terra_usage_unit *u, const uint8_t *signer)
{
	size_t i;

	for (i = u->nkeys; i-- > 0;)
		if (!memcmp(u->keys[i].pub, signer, TERRA_PK_BYTES))
			return &u->keys[i];
	return NULL;
}

/* The rules of the key k that signed the record (NULL: a unit never
 * rotated) and of retirement: NULL when it counts, up to it->until, else
 * why not. */
static char *counted_until(const terra_usage_unit *u, const terra_usage_key *k,
                           terra_usage_verdict *it)
{
	char at[TERRA_TIME_MAX];

	it->until = it->end;
	if (k && (it->seq < k->seq_from || it->start < k->from)) {
		terra_time_format(k->from, at);
		return terra_msgf(
		    "usage record: unit '%s': seq %lld signed by a key that took over "
		    "only at %s, from seq %lld",
		    u->id, (long long)it->seq, at, (long long)k->seq_from);
	}
	if (k && (it->seq >= k->seq_until || it->start >= k->until)) {
		terra_time_format(k->until, at);
		return terra_msgf("usage record: unit '%s': seq %lld signed by an old key, rotated "
		                  "out at %s from seq %lld",
		                  u->id, (long long)it->seq, at, (long long)k->seq_until);
	}
	if (k && k->until < it->until)
		it->until = k->until;
	if (u->retired) {
		if (!u->has_retired_at || it->start >= u->retired_at)
			return terra_msgf("usage record: retired unit '%s'", u->id);
		if (u->retired_at < it->until)
			it->until = u->retired_at;
	}
	return NULL;
}

/* ---- the rules, public for tests --------------------------------------- */

int64_t terra_meter_part(int64_t amount, int64_t start, int64_t end, int64_t origin, int64_t every,
                         int64_t cell)
{
	struct group {
		u128 rem;
		int64_t count, extra;
	} g[3];
	int order[3] = {0, 1, 2}, i, j;
	int64_t c0 = terra_meter_cell(start, origin, every);
	int64_t c1 = terra_meter_cell(end - 1, origin, every), k;
	u128 span = (u128)((i128)end - start), a = (u128)amount, l0, l2, q0, qf, q2, left;

	if (cell < c0 || cell > c1)
		return 0;
	if (c0 == c1)
		return amount;
	l0 = (u128)((i128)origin + ((i128)c0 + 1) * every - start);
	l2 = (u128)((i128)end - ((i128)origin + (i128)c1 * every));
	k = c1 - c0 - 1;
	q0 = a * l0 / span;
	qf = a * (u128)every / span;
	q2 = a * l2 / span;
	g[0] = (struct group){a * l0 % span, 1, 0};
	g[1] = (struct group){a * (u128)every % span, k, 0};
	g[2] = (struct group){a * l2 % span, 1, 0};
	left = a - q0 - q2 - qf * (u128)k;
	/* Largest remainder first; equal remainders go to the earlier cell,
	 * and the group order 0, 1, 2 is the cells' order. */
	for (i = 1; i < 3; i++)
		for (j = i; j > 0 && g[order[j]].rem > g[order[j - 1]].rem; j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (i = 0; i < 3 && left > 0; i++) {
		struct group *p = &g[order[i]];
		int64_t take = left < (u128)p->count ? (int64_t)left : p->count;

		p->extra = take;
		left -= (u128)take;
	}
	if (cell == c0)
		return (int64_t)q0 + g[0].extra;
	if (cell == c1)
		return (int64_t)q2 + g[2].extra;
	return (int64_t)qf + (cell - c0 <= g[1].extra ? 1 : 0);
}

static int64_t nonce_at(const terra_usage_verdict *it, int64_t t)
{
	if (t <= it->start)
		return it->nonce_lo;
	if (t >= it->end)
		return it->nonce_hi;
	return it->nonce_lo +
	       (int64_t)((u128)(it->nonce_hi - it->nonce_lo) * (u128)((i128)t - it->start) /
	                 (u128)((i128)it->end - it->start));
}

void terra_meter_nonces(const terra_usage_verdict *it, int64_t t0, int64_t t1, int64_t *lo,
                        int64_t *hi)
{
	*lo = nonce_at(it, t0);
	*hi = nonce_at(it, t1);
}

int terra_meter_rate_ok(const char *workload, int64_t work, int64_t busy_us, int64_t int32_mops,
                        int64_t fp32_mflops)
{
	if (!strcmp(workload, "sha256d") && int32_mops > 0)
		return (u128)work * TERRA_METER_SHA256D_OPS <= (u128)int32_mops * (u128)busy_us;
	if (!strcmp(workload, "sgemm") && fp32_mflops > 0)
		return (u128)work <=
		       (u128)TERRA_METER_SGEMM_MARGIN * (u128)fp32_mflops * (u128)busy_us;
	return 1;
}

/* ---- one usage line, checked on its own (worker threads) --------------- */

/* ---- what each workload's evidence proves: the dispatch --------------- */

/*
 * Sets it->proven, the work the record's evidence proves in its workload's
 * unit, and for sha256d the nonces it used. ev is the sha256d evidence,
 * parsed by either path. 0, or -1 with *why the reason (NULL: out of memory).
 */
static int credit(const terra_usage_rules *r, const char *unit, const char *job,
                  terra_usage_verdict *it, terra_sha256d_ev *ev, char **why)
{
	terra_sha256d_claim c = {unit, job, it->work, it->start, it->end, r->horizon_s};
	terra_sha256d_proof p;

	*why = NULL;
	it->proven = 0;
	switch (it->workload) {
	case TERRA_WL_SHA256D:
		if (terra_sha256dproof_check(&c, ev, &p, why) < 0)
			return -1;
		it->proven = p.hashes;
		it->has_nonces = 1;
		memcpy(it->header_id, p.id, sizeof it->header_id);
		it->nonce_lo = p.lo;
		it->nonce_hi = p.hi;
		it->ntime = p.ntime;
		return 0;
	case TERRA_WL_SGEMM:
		/* the evidence is checked and credited by check_sgemm */
		return 0;
	default:
		/* kernel: no general proof; paid by time only with --pay-kernel-time */
		return 0;
	}
}

/*
 * sgemm evidence (lib/sgemmproof.h): the committed rows' challenged pieces
 * recomputed from the seed. The record is credited the flops it proves, and
 * its rows of the run's product are kept like sha256d nonces (has_nonces),
 * so the same rows re-signed under another seq are refused as seen before or
 * paid (lib/meter.c, lib/paid.c). Returns NULL or the reason.
 */
static char *check_sgemm(const terra_usage_rules *r, const json_t *rec, terra_usage_verdict *it)
{
	terra_err e;
	int64_t work, lo, hi, started_s;

	/* the cheap checks first: the fields, then how old the run is */
	if (terra_sgemm_work_id(rec, it->header_id, &lo, &hi, &started_s, &e) < 0)
		return terra_msgf("%s", e.msg);
	if (started_s < r->horizon_s) {
		char when[TERRA_TIME_MAX], horizon[TERRA_TIME_MAX];

		terra_time_format(started_s * TERRA_US_PER_S, when);
		terra_time_format(r->horizon_s * TERRA_US_PER_S, horizon);
		return terra_msgf("stale evidence: the sgemm run started %s, before %s, the paid "
		                  "evidence kept",
		                  when, horizon);
	}
	if (terra_sgemm_evidence_check(rec, &work, &e) < 0)
		return terra_msgf("%s", e.msg);
	it->proven = work;
	it->has_nonces = 1;
	it->nonce_lo = lo;
	it->nonce_hi = hi;
	it->ntime = started_s;
	return NULL;
}

/*
 * A kernel record's replica fields (terra-records(5), usage): evidence
 * replicas (absent: 1) and, with more than 1, job_digest, and the record's
 * result and final, which lib/replica.c compares across units. NULL or why.
 */
static char *check_kernel(const json_t *rec, terra_usage_verdict *it)
{
	const json_t *ev = json_object_get(rec, "evidence"), *fin = json_object_get(rec, "final");
	int64_t n = 1;
	terra_err e;

	it->replicas = 1;
	if (!json_is_object(ev) || !json_object_get(ev, "replicas"))
		return NULL;
	if (terra_rec_int(ev, "replicas", &n, &e) < 0)
		return terra_msgf("usage record: evidence: %s", e.msg);
	if (n < 1 || n > TERRA_REPLICAS_MAX)
		return terra_msgf("usage record: evidence: field 'replicas' must be 1 to %d",
		                  TERRA_REPLICAS_MAX);
	it->replicas = (int)n;
	if (n == 1)
		return NULL;
	if (terra_rec_hex(ev, "job_digest", it->job_digest, sizeof it->job_digest, &e) < 0)
		return terra_msgf("usage record: evidence: %s", e.msg);
	if (terra_rec_hex(rec, "result", it->result, sizeof it->result, &e) < 0)
		return terra_msgf("usage record: %s", e.msg);
	if (!json_is_boolean(fin))
		return terra_msgf("usage record: field 'final' must be a boolean");
	it->final = json_is_true(fin);
	return NULL;
}

static int blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* "usage record: " before a check's reason (freed); NULL stays NULL. */
static char *usage_why(char *why)
{
	char *w = why ? terra_msgf("usage record: %s", why) : NULL;

	free(why);
	return w;
}

/* Fills it->kind and, for a bad line, it->msg ("why", without the place). */
static void check_line(const terra_usage_rules *r, const char *line, size_t len,
                       terra_usage_verdict *it)
{
	terra_err e;
	json_t *rec = NULL, *ev;
	const char *type, *unit_id, *workload, *job = NULL;
	const terra_usage_unit *u;
	const terra_usage_key *k = NULL;
	uint8_t signer[TERRA_PK_BYTES];
	const char *sig;
	char *why = NULL;
	enum terra_workload wl;
	terra_sha256d_ev sev = {0};
	int64_t *shares = NULL;
	size_t cap = 0;

	if (blank(line, len)) {
		it->kind = TERRA_USAGE_BLANK;
		return;
	}
	it->kind = TERRA_USAGE_BAD;
	if (terra_record_parse(line, len, &rec, &e) < 0) {
		it->msg = terra_msgf("%s", e.msg);
		return;
	}
	if (terra_rec_type(rec, &type, &e) == 0 && strcmp(type, "usage")) {
		if (terra_filter_trusted_type(type))
			why = terra_msgf("%s record: made only by a trusted stage, refused here",
			                 type);
		else
			it->kind = TERRA_USAGE_PASS;
		goto out;
	}
	if (terra_rec_str(rec, "unit", &unit_id, &e) < 0 ||
	    terra_rec_str(rec, "workload", &workload, &e) < 0 ||
	    terra_rec_int(rec, "seq", &it->seq, &e) < 0 ||
	    terra_rec_time(rec, "start", &it->start, &e) < 0 ||
	    terra_rec_time(rec, "end", &it->end, &e) < 0 ||
	    terra_rec_int(rec, "busy_us", &it->busy, &e) < 0 ||
	    terra_rec_int(rec, "work", &it->work, &e) < 0 ||
	    terra_rec_str(rec, "sig", &sig, &e) < 0) {
		why = terra_msgf("usage record: %s", e.msg);
		goto out;
	}
	if (terra_workload_parse(workload, &wl, &e) < 0) {
		why = terra_msgf("usage record: %s", e.msg);
		goto out;
	}
	it->workload = (int)wl;
	if (it->seq < 1) {
		why = terra_msgf("usage record: field 'seq' must be at least 1");
		goto out;
	}
	if (it->work < 1) {
		why =
		    terra_msgf("usage record: field 'work' must be at least 1: a record of no work "
		               "proves nothing");
		goto out;
	}
	if (it->start >= it->end) {
		why = terra_msgf("usage record: bad times: start is not before end");
		goto out;
	}
	if (it->busy < 0 || (u128)it->busy > (u128)((i128)it->end - it->start)) {
		why = terra_msgf("usage record: bad times: busy_us %lld is not within end - start",
		                 (long long)it->busy);
		goto out;
	}
	if (it->end <= r->from || it->start >= r->to) {
		it->kind = TERRA_USAGE_SKIP;
		goto out;
	}
	if (!(u = find_unit(r, unit_id, &it->unit))) {
		why = terra_msgf("usage record: unknown unit '%s'", unit_id);
		goto out;
	}
	if (u->nkeys && terra_rec_hex(rec, "signer", signer, sizeof signer, &e) == 0)
		k = key_of(u, signer);
	if (terra_rec_verify(rec, k ? k->pub : u->unit_pub, &e) < 0) {
		if (e.kind != TERRA_E_VERIFY)
			why = terra_msgf("usage record: %s", e.msg);
		else if (!strcmp(e.msg, "bad signature"))
			why = terra_msgf("usage record: bad signature");
		else
			why = terra_msgf("usage record: bad signature: signer is not unit '%s'",
			                 unit_id);
		goto out;
	}
	if ((why = counted_until(u, k, it)))
		goto out;
	if (wl == TERRA_WL_SHA256D && (terra_rec_str(rec, "job", &job, &e) < 0 ||
	                               terra_rec_obj(rec, "evidence", &ev, &e) < 0)) {
		why = terra_msgf("usage record: evidence: %s", e.msg);
		goto out;
	}
	if ((wl == TERRA_WL_SHA256D &&
	     terra_sha256dproof_parse(ev, &sev, &shares, &cap, &why) < 0) ||
	    credit(r, unit_id, job, it, &sev, &why) < 0) {
		why = usage_why(why);
		goto out;
	}
	if (!terra_meter_rate_ok(workload, it->work, it->busy, u->int32_mops, u->fp32_mflops)) {
		why = terra_msgf("usage record: impossible rate: %lld %s in %lld us is beyond unit "
		                 "'%s''s benchmark",
		                 (long long)it->work,
		                 !strcmp(workload, "sha256d") ? "hashes" : "flops",
		                 (long long)it->busy, unit_id);
		goto out;
	}
	if (wl == TERRA_WL_KERNEL && (why = check_kernel(rec, it)))
		goto out;
	if (!strcmp(workload, "sgemm") && (why = check_sgemm(r, rec, it))) {
		char *w = terra_msgf("usage record: %s", why);

		free(why);
		why = w;
		goto out;
	}
	/* The signature verified, so its hex is well-formed: keep its first bytes. */
	memcpy(it->sig, sig, SIG_KEPT);
	terra_sha256_leaf(line, len, it->leaf);
	it->kind = TERRA_USAGE_OK;
out:
	if (it->kind == TERRA_USAGE_BAD && !why)
		why = terra_msgf("usage record: out of memory");
	it->msg = why;
	free(shares);
	json_decref(rec);
}

/* ---- the same checks on a line in written form (lib/canon.h) ------------ */

static int written_time(const char *text, const terra_canon_member *f, int64_t *us)
{
	char s[2 * TERRA_TIME_MAX];
	terra_err e;

	if (terra_canon_str(text, f, s, sizeof s) < 0)
		return -1;
	return terra_time_parse(s, us, &e);
}

/*
 * sha256d evidence in written form into ev (its shares in sc->nonces).
 * 0, or -1 to leave the line to check_line.
 */
static int sha256d_written(const char *line, const terra_canon_member *evm, terra_sha256d_ev *ev,
                           terra_usage_scratch *sc)
{
	terra_canon_member f[TERRA_CANON_MEMBERS];
	const terra_canon_member *header, *start, *bits, *shares, *roll;
	const char *text;
	size_t need;
	long n;
	int nf;

	if (!evm || evm->kind != TERRA_CANON_OBJECT)
		return -1;
	text = line + evm->val;
	if ((nf = terra_canon_split(text, evm->val_len, f, TERRA_CANON_MEMBERS)) < 0)
		return -1;
	header = terra_canon_find(text, f, (size_t)nf, "header");
	start = terra_canon_find(text, f, (size_t)nf, "nonce_start");
	bits = terra_canon_find(text, f, (size_t)nf, "share_bits");
	shares = terra_canon_find(text, f, (size_t)nf, "shares");
	roll = terra_canon_find(text, f, (size_t)nf, "roll");
	if (terra_canon_hex(text, header, ev->header, sizeof ev->header) < 0 ||
	    !terra_canon_is_int(start) || !terra_canon_is_int(bits) || !shares ||
	    shares->kind != TERRA_CANON_ARRAY || (roll && !terra_canon_is_int(roll)))
		return -1;
	need = (shares->val_len + 1) / 2;
	if (need > sc->cap_nonces) {
		int64_t *p = realloc(sc->nonces, need * sizeof *p);

		if (!p)
			return -1;
		sc->nonces = p;
		sc->cap_nonces = need;
	}
	if ((n = terra_canon_ints(text, shares, sc->nonces)) < 0)
		return -1;
	ev->nonce_start = start->num;
	ev->share_bits = bits->num;
	ev->roll = roll ? roll->num : 0;
	ev->shares = sc->nonces;
	ev->nshares = (size_t)n;
	return 0;
}

/* Whether a kernel record's evidence (in written form) names replicas; one
 * that cannot be read is left to check_line too. */
static int replicated(const char *line, const terra_canon_member *evm)
{
	terra_canon_member f[TERRA_CANON_MEMBERS];
	int nf;

	if (!evm)
		return 0;
	if (evm->kind != TERRA_CANON_OBJECT ||
	    (nf = terra_canon_split(line + evm->val, evm->val_len, f, TERRA_CANON_MEMBERS)) < 0)
		return 1;
	return terra_canon_find(line + evm->val, f, (size_t)nf, "replicas") != NULL;
}

/*
 * check_line for a line in written form, without a tree: fields read in
 * place (f[0, nf), its members as terra_canon_split finds them), the
 * signature checked over the line's own bytes less its "sig". raw is the
 * line as read, whose bytes the Merkle leaf is (line itself, or the line
 * terra_canon_rewrite_split made of it). Returns 1 with it->kind
 * TERRA_USAGE_OK or TERRA_USAGE_SKIP; 0 to leave the line to check_line:
 * another type, or a fault of any kind, which check_line finds again and
 * words as it always has.
 */
static int check_written(const terra_usage_rules *r, const char *line, size_t len,
                         const terra_canon_member *f, size_t nf, const char *raw, size_t raw_len,
                         terra_usage_verdict *it, terra_usage_scratch *sc)
{
	const terra_canon_member *type, *v, *unit, *workload, *seq, *start, *end, *busy, *work;
	const terra_canon_member *sig, *signer, *evidence, *jobm;
	char id[TERRA_UNIT_ID_HEX], name[16]; /* a longer workload name: check_line's */
	char job[TERRA_USAGE_JOB_MAX], *why;
	enum terra_workload wl;
	terra_err e;
	terra_sha256d_ev ev;
	uint8_t signer_pk[TERRA_PK_BYTES], sig_bytes[TERRA_SIG_BYTES];
	const terra_usage_unit *u;
	const terra_usage_key *k = NULL;
	size_t clen;

	type = terra_canon_find(line, f, nf, "type");
	v = terra_canon_find(line, f, nf, "v");
	unit = terra_canon_find(line, f, nf, "unit");
	workload = terra_canon_find(line, f, nf, "workload");
	seq = terra_canon_find(line, f, nf, "seq");
	start = terra_canon_find(line, f, nf, "start");
	end = terra_canon_find(line, f, nf, "end");
	busy = terra_canon_find(line, f, nf, "busy_us");
	work = terra_canon_find(line, f, nf, "work");
	sig = terra_canon_find(line, f, nf, "sig");
	signer = terra_canon_find(line, f, nf, "signer");
	evidence = terra_canon_find(line, f, nf, "evidence");
	jobm = terra_canon_find(line, f, nf, "job");
	if (!terra_canon_is(line, type, "usage") || !terra_canon_is_int(v) || v->num != 1 ||
	    !terra_canon_is_str(unit) || terra_canon_str(line, workload, name, sizeof name) < 0 ||
	    !terra_canon_is_int(seq) || written_time(line, start, &it->start) < 0 ||
	    written_time(line, end, &it->end) < 0 || !terra_canon_is_int(busy) ||
	    !terra_canon_is_int(work) ||
	    terra_canon_hex(line, sig, sig_bytes, sizeof sig_bytes) < 0)
		return 0;
	if (terra_workload_parse(name, &wl, &e) < 0)
		return 0;
	it->workload = (int)wl;
	it->seq = seq->num;
	it->busy = busy->num;
	it->work = work->num;
	if (it->seq < 1 || it->work < 1 || it->start >= it->end || it->busy < 0 ||
	    (u128)it->busy > (u128)((i128)it->end - it->start))
		return 0;
	if (it->end <= r->from || it->start >= r->to) {
		it->kind = TERRA_USAGE_SKIP;
		return 1;
	}
	/* Every unit id is 32 characters: a longer string names no unit. */
	if (terra_canon_str(line, unit, id, sizeof id) < 0 || !(u = find_unit(r, id, &it->unit)))
		return 0;
	if (terra_canon_hex(line, signer, signer_pk, sizeof signer_pk) < 0 ||
	    (u->nkeys ? !(k = key_of(u, signer_pk))
	              : memcmp(signer_pk, u->unit_pub, sizeof signer_pk) != 0))
		return 0;
	if (len > sc->cap_canon) {
		char *p = realloc(sc->canon, len);

		if (!p)
			return 0;
		sc->canon = p;
		sc->cap_canon = len;
	}
	clen = terra_canon_without(line, len, f, nf, (size_t)(sig - f), sc->canon);
	if (terra_key_verify(signer_pk, sc->canon, clen, sig_bytes) < 0)
		return 0;
	if ((why = counted_until(u, k, it))) {
		free(why); /* check_line words it */
		return 0;
	}
	if (wl == TERRA_WL_SHA256D && (terra_canon_str(line, jobm, job, sizeof job) < 0 ||
	                               sha256d_written(line, evidence, &ev, sc) < 0))
		return 0;
	/* sgemm evidence is checked on the tree, by check_line; so are a kernel
	 * record's replica fields (check_kernel), when it has any. */
	if (wl == TERRA_WL_SGEMM || (wl == TERRA_WL_KERNEL && replicated(line, evidence)))
		return 0;
	if (wl == TERRA_WL_KERNEL)
		it->replicas = 1;
	if (credit(r, id, job, it, &ev, &why) < 0) {
		free(why);
		return 0;
	}
	if (!terra_meter_rate_ok(name, it->work, it->busy, u->int32_mops, u->fp32_mflops))
		return 0;
	memcpy(it->sig, line + sig->val, SIG_KEPT);
	terra_sha256_leaf(raw, raw_len, it->leaf);
	it->kind = TERRA_USAGE_OK;
	return 1;
}

void terra_usage_check(const terra_usage_rules *r, const char *line, size_t len,
                       terra_usage_verdict *u, terra_usage_scratch **sc)
{
	terra_canon_member f[TERRA_CANON_MEMBERS];
	int rc = 0, nf = -1;

	if (sc && !*sc)
		*sc = calloc(1, sizeof **sc);
	if (sc && *sc && (nf = terra_canon_split(line, len, f, TERRA_CANON_MEMBERS)) >= 0)
		rc = check_written(r, line, len, f, (size_t)nf, line, len, u, *sc);
	else if (sc && *sc && !blank(line, len)) {
		/* Another spelling (a signer in another language): its written
		 * form, never longer than the line, into a buffer kept per thread,
		 * its members found in the same pass. */
		terra_usage_scratch *s = *sc;
		ssize_t n;

		if (len > s->cap_spelled) {
			char *p = realloc(s->spelled, len);

			if (p) {
				s->spelled = p;
				s->cap_spelled = len;
			}
		}
		n = len > s->cap_spelled ? -1
		                         : terra_canon_rewrite_split(line, len, s->spelled, len, f,
		                                                     TERRA_CANON_MEMBERS, &nf);
		if (n >= 0 && nf >= 0)
			rc =
			    check_written(r, s->spelled, (size_t)n, f, (size_t)nf, line, len, u, s);
	}
	if (rc <= 0)
		check_line(r, line, len, u);
}
