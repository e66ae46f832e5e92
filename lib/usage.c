#include "usage.h"

#include "canon.h"
#include "filter.h"
#include "hex.h"
#include "merkle.h"
#include "pow.h"
#include "record.h"
#include "sha256.h"
#include "time.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

#define NONCE_LIMIT (INT64_C(1) << 40)
#define SIG_KEPT    TERRA_USAGE_SIG_KEPT

struct terra_usage_scratch {
	char *canon; /* a line's canonical form, its "sig" cut out */
	size_t cap_canon;
	int64_t *nonces;
	size_t cap_nonces;
};

void terra_usage_scratch_free(terra_usage_scratch *sc)
{
	if (!sc)
		return;
	free(sc->canon);
	free(sc->nonces);
	free(sc);
}

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

int terra_meter_shares_enough(int64_t work, int bits, int64_t shares)
{
	double expected = ldexp((double)work, -bits);

	return !((double)shares < expected - 6.0 * sqrt(expected) - 6.0);
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

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* sha256d evidence: every share in range, once, under share_bits, and enough
 * of them. Returns NULL or the reason. */
static char *check_sha256d(const json_t *rec, int64_t work)
{
	terra_err e;
	json_t *ev, *shares, *v;
	uint8_t tmpl[TERRA_HEADER_BYTES], hash[32];
	int64_t start, bits, *nonces = NULL;
	size_t i, n;
	char *why = NULL;

	if (terra_rec_obj(rec, "evidence", &ev, &e) < 0 ||
	    terra_rec_hex(ev, "header", tmpl, sizeof tmpl, &e) < 0 ||
	    terra_rec_int(ev, "nonce_start", &start, &e) < 0 ||
	    terra_rec_int(ev, "share_bits", &bits, &e) < 0 ||
	    terra_rec_arr(ev, "shares", &shares, &e) < 0)
		return fmt_msg("evidence: %s", e.msg);
	if (bits < 1 || bits > TERRA_SHARE_BITS_MAX)
		return fmt_msg("bad share: share_bits %lld is not in [1, %d]", (long long)bits,
		               TERRA_SHARE_BITS_MAX);
	if (start < 0 || work > NONCE_LIMIT || start > NONCE_LIMIT - work)
		return fmt_msg("bad share: nonces [%lld, %lld + %lld) go beyond 2^40",
		               (long long)start, (long long)start, (long long)work);
	n = json_array_size(shares);
	if (n && !(nonces = malloc(n * sizeof *nonces)))
		return fmt_msg("evidence: out of memory");
	json_array_foreach(shares, i, v)
	{
		int64_t nonce;

		if (!json_is_integer(v)) {
			why = fmt_msg("bad share: share %zu is not an integer", i + 1);
			goto out;
		}
		nonce = json_integer_value(v);
		if (nonce < start || nonce - start >= work) {
			why = fmt_msg(
			    "bad share: nonce %lld is outside the scanned range [%lld, %lld)",
			    (long long)nonce, (long long)start, (long long)(start + work));
			goto out;
		}
		nonces[i] = nonce;
	}
	if (n > 1)
		qsort(nonces, n, sizeof *nonces, cmp_i64);
	for (i = 1; i < n; i++)
		if (nonces[i] == nonces[i - 1]) {
			why =
			    fmt_msg("bad share: nonce %lld is listed twice", (long long)nonces[i]);
			goto out;
		}
	for (i = 0; i < n; i++) {
		terra_sha256d_hash(tmpl, (uint64_t)nonces[i], hash);
		if (!terra_sha256d_meets(hash, (int)bits)) {
			why = fmt_msg("bad share: nonce %lld does not meet share_bits %lld",
			              (long long)nonces[i], (long long)bits);
			goto out;
		}
	}
	if (!terra_meter_shares_enough(work, (int)bits, (int64_t)n))
		why = fmt_msg("too few shares: %zu shares of %lld bits cannot back %lld hashes "
		              "(%.1f expected)",
		              n, (long long)bits, (long long)work, ldexp((double)work, -(int)bits));
out:
	free(nonces);
	return why;
}

static int blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* Fills it->kind and, for a bad line, it->msg ("why", without the place). */
static void check_line(const terra_usage_rules *r, const char *line, size_t len,
                       terra_usage_verdict *it)
{
	terra_err e;
	json_t *rec = NULL;
	const char *type, *unit_id, *workload;
	const terra_usage_unit *u;
	const char *sig;
	char *why = NULL;

	if (blank(line, len)) {
		it->kind = TERRA_USAGE_BLANK;
		return;
	}
	it->kind = TERRA_USAGE_BAD;
	if (terra_record_parse(line, len, &rec, &e) < 0) {
		it->msg = fmt_msg("%s", e.msg);
		return;
	}
	if (terra_rec_type(rec, &type, &e) == 0 && strcmp(type, "usage")) {
		if (terra_filter_trusted_type(type))
			why =
			    fmt_msg("%s record: made only by a trusted stage, refused here", type);
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
		why = fmt_msg("usage record: %s", e.msg);
		goto out;
	}
	if (it->seq < 1) {
		why = fmt_msg("usage record: field 'seq' must be at least 1");
		goto out;
	}
	if (it->work < 0) {
		why = fmt_msg("usage record: field 'work' must not be negative");
		goto out;
	}
	if (it->start >= it->end) {
		why = fmt_msg("usage record: bad times: start is not before end");
		goto out;
	}
	if (it->busy < 0 || (u128)it->busy > (u128)((i128)it->end - it->start)) {
		why = fmt_msg("usage record: bad times: busy_us %lld is not within end - start",
		              (long long)it->busy);
		goto out;
	}
	if (it->end <= r->from || it->start >= r->to) {
		it->kind = TERRA_USAGE_SKIP;
		goto out;
	}
	if (!(u = find_unit(r, unit_id, &it->unit))) {
		why = fmt_msg("usage record: unknown unit '%s'", unit_id);
		goto out;
	}
	if (terra_rec_verify(rec, u->unit_pub, &e) < 0) {
		if (e.kind != TERRA_E_VERIFY)
			why = fmt_msg("usage record: %s", e.msg);
		else if (!strcmp(e.msg, "bad signature"))
			why = fmt_msg("usage record: bad signature");
		else
			why = fmt_msg("usage record: bad signature: signer is not unit '%s'",
			              unit_id);
		goto out;
	}
	if (u->retired && (!u->has_retired_at || it->end > u->retired_at)) {
		why = fmt_msg("usage record: retired unit '%s'", unit_id);
		goto out;
	}
	if (!strcmp(workload, "sha256d") && (why = check_sha256d(rec, it->work))) {
		char *w = fmt_msg("usage record: %s", why);

		free(why);
		why = w;
		goto out;
	}
	if (!terra_meter_rate_ok(workload, it->work, it->busy, u->int32_mops, u->fp32_mflops)) {
		why =
		    fmt_msg("usage record: impossible rate: %lld %s in %lld us is beyond unit "
		            "'%s''s benchmark",
		            (long long)it->work, !strcmp(workload, "sha256d") ? "hashes" : "flops",
		            (long long)it->busy, unit_id);
		goto out;
	}
	/* The signature verified, so its hex is well-formed: keep its first bytes. */
	memcpy(it->sig, sig, SIG_KEPT);
	terra_sha256_leaf(line, len, it->leaf);
	it->kind = TERRA_USAGE_OK;
out:
	it->msg = why;
	json_decref(rec);
}

/* ---- the same checks on a line in written form (lib/canon.h) ------------ */

static int str_ok(const terra_canon_member *f)
{
	return f && f->kind == TERRA_CANON_STRING && !f->escaped;
}

static int int_ok(const terra_canon_member *f)
{
	return f && f->kind == TERRA_CANON_INT;
}

/* A string member of exactly 2n lowercase hex digits (as terra_rec_hex
 * takes it) into n bytes. The closing quote ends the digits. */
static int written_hex(const char *text, const terra_canon_member *f, uint8_t *out, size_t n)
{
	if (!str_ok(f) || !terra_hex_is_lower(text + f->val, f->val_len) ||
	    terra_unhex_n(text + f->val, f->val_len, out, n) < 0)
		return -1;
	return 0;
}

/* A string member, NUL-terminated into out (cap bytes). */
static int written_str(const char *text, const terra_canon_member *f, char *out, size_t cap)
{
	if (!str_ok(f) || f->val_len >= cap)
		return -1;
	memcpy(out, text + f->val, f->val_len);
	out[f->val_len] = '\0';
	return 0;
}

static int written_time(const char *text, const terra_canon_member *f, int64_t *us)
{
	char s[2 * TERRA_TIME_MAX];
	terra_err e;

	if (written_str(text, f, s, sizeof s) < 0)
		return -1;
	return terra_time_parse(s, us, &e);
}

/*
 * check_sha256d on evidence in written form. 1 when the evidence holds, 0
 * when check_sha256d must judge it (and word what is wrong).
 */
static int sha256d_written(const char *line, const terra_canon_member *ev, int64_t work,
                           terra_usage_scratch *sc)
{
	terra_canon_member f[TERRA_CANON_MEMBERS];
	const terra_canon_member *header, *start, *bits, *shares;
	uint8_t tmpl[TERRA_HEADER_BYTES], hash[32];
	const char *text;
	size_t need;
	long n, i;
	int nf;

	if (!ev || ev->kind != TERRA_CANON_OBJECT)
		return 0;
	text = line + ev->val;
	if ((nf = terra_canon_split(text, ev->val_len, f, TERRA_CANON_MEMBERS)) < 0)
		return 0;
	header = terra_canon_find(text, f, (size_t)nf, "header");
	start = terra_canon_find(text, f, (size_t)nf, "nonce_start");
	bits = terra_canon_find(text, f, (size_t)nf, "share_bits");
	shares = terra_canon_find(text, f, (size_t)nf, "shares");
	if (written_hex(text, header, tmpl, sizeof tmpl) < 0 || !int_ok(start) || !int_ok(bits) ||
	    !shares || shares->kind != TERRA_CANON_ARRAY)
		return 0;
	if (bits->num < 1 || bits->num > TERRA_SHARE_BITS_MAX)
		return 0;
	if (start->num < 0 || work > NONCE_LIMIT || start->num > NONCE_LIMIT - work)
		return 0;
	need = (shares->val_len + 1) / 2;
	if (need > sc->cap_nonces) {
		int64_t *p = realloc(sc->nonces, need * sizeof *p);

		if (!p)
			return 0;
		sc->nonces = p;
		sc->cap_nonces = need;
	}
	if ((n = terra_canon_ints(text, shares, sc->nonces)) < 0)
		return 0;
	for (i = 0; i < n; i++)
		if (sc->nonces[i] < start->num || sc->nonces[i] - start->num >= work)
			return 0;
	if (n > 1)
		qsort(sc->nonces, (size_t)n, sizeof *sc->nonces, cmp_i64);
	for (i = 1; i < n; i++)
		if (sc->nonces[i] == sc->nonces[i - 1])
			return 0;
	for (i = 0; i < n; i++) {
		terra_sha256d_hash(tmpl, (uint64_t)sc->nonces[i], hash);
		if (!terra_sha256d_meets(hash, (int)bits->num))
			return 0;
	}
	return terra_meter_shares_enough(work, (int)bits->num, n);
}

/*
 * check_line for a line in written form, without a tree: fields read in
 * place, the signature checked over the line's own bytes less its "sig".
 * Returns 1 with it->kind TERRA_USAGE_OK or TERRA_USAGE_SKIP, or 0 to leave the line to
 * check_line: another spelling, another type, or a fault of any kind,
 * which check_line finds again and words as it always has.
 */
static int check_written(const terra_usage_rules *r, const char *line, size_t len,
                         terra_usage_verdict *it, terra_usage_scratch *sc)
{
	terra_canon_member f[TERRA_CANON_MEMBERS];
	const terra_canon_member *type, *v, *unit, *workload, *seq, *start, *end, *busy, *work;
	const terra_canon_member *sig, *signer, *evidence;
	char id[TERRA_UNIT_ID_HEX], name[16]; /* a longer workload name: check_line's */
	uint8_t signer_pk[TERRA_PK_BYTES], sig_bytes[TERRA_SIG_BYTES];
	const terra_usage_unit *u;
	size_t nf, clen;
	int got = terra_canon_split(line, len, f, TERRA_CANON_MEMBERS);

	if (got < 0)
		return 0;
	nf = (size_t)got;
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
	if (!terra_canon_is(line, type, "usage") || !int_ok(v) || v->num != 1 || !str_ok(unit) ||
	    written_str(line, workload, name, sizeof name) < 0 || !int_ok(seq) ||
	    written_time(line, start, &it->start) < 0 || written_time(line, end, &it->end) < 0 ||
	    !int_ok(busy) || !int_ok(work) ||
	    written_hex(line, sig, sig_bytes, sizeof sig_bytes) < 0)
		return 0;
	it->seq = seq->num;
	it->busy = busy->num;
	it->work = work->num;
	if (it->seq < 1 || it->work < 0 || it->start >= it->end || it->busy < 0 ||
	    (u128)it->busy > (u128)((i128)it->end - it->start))
		return 0;
	if (it->end <= r->from || it->start >= r->to) {
		it->kind = TERRA_USAGE_SKIP;
		return 1;
	}
	/* Every unit id is 32 characters: a longer string names no unit. */
	if (written_str(line, unit, id, sizeof id) < 0 || !(u = find_unit(r, id, &it->unit)))
		return 0;
	if (written_hex(line, signer, signer_pk, sizeof signer_pk) < 0 ||
	    memcmp(signer_pk, u->unit_pub, sizeof signer_pk))
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
	if (u->retired && (!u->has_retired_at || it->end > u->retired_at))
		return 0;
	if (!strcmp(name, "sha256d") && !sha256d_written(line, evidence, it->work, sc))
		return 0;
	if (!terra_meter_rate_ok(name, it->work, it->busy, u->int32_mops, u->fp32_mflops))
		return 0;
	memcpy(it->sig, line + sig->val, SIG_KEPT);
	terra_sha256_leaf(line, len, it->leaf);
	it->kind = TERRA_USAGE_OK;
	return 1;
}

void terra_usage_check(const terra_usage_rules *r, const char *line, size_t len,
                       terra_usage_verdict *u, terra_usage_scratch **sc)
{
	if (sc && !*sc)
		*sc = calloc(1, sizeof **sc);
	if (!sc || !*sc || !check_written(r, line, len, u, *sc))
		check_line(r, line, len, u);
}
