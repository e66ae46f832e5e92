#include "meter.h"

#include "canon.h"
#include "key.h"
#include "merkle.h"
#include "money.h"
#include "record.h"
#include "sha256.h"
#include "pow.h"
#include "time.h"
#include "unit.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

#define BATCH_LINES 256
#define BATCH_BYTES (1024 * 1024)
#define CHUNK_BYTES (64 * 1024)
#define NONCE_LIMIT (INT64_C(1) << 40)
#define SIG_KEPT    32 /* hex digits of a signature kept per seq */

/* A run of consecutive seqs of one unit already counted, with the start of
 * its first record and the end of its last. */
struct run {
	int64_t lo, hi, t_lo, t_hi;
};

struct seen {
	int64_t seq; /* 0: empty slot */
	char sig[SIG_KEPT];
};

struct munit {
	char id[TERRA_UNIT_ID_HEX];
	char owner_hex[TERRA_PK_HEX];
	uint8_t unit_pub[TERRA_PK_BYTES];
	int64_t score, int32_mops, fp32_mflops;
	int retired, has_retired_at;
	int64_t retired_at;
	int64_t stamp; /* updated_at, else registered_at: the latest record wins */
	long order;    /* position among the records read, for ties */
	/* Seq state, touched by the main thread only. */
	struct run *runs;
	size_t nruns, capruns;
	struct seen *ring;
	size_t capring;
};

struct acc {
	uint32_t unit, period;
	int64_t busy, work, records, first, last;
	int overflow;
	uint64_t leaves;
	uint8_t (*stack)[TERRA_HASH_BYTES]; /* perfect subtrees, largest first */
	size_t capstack;
};

enum { IT_BLANK, IT_BAD, IT_PASS, IT_SKIP, IT_USAGE };

struct item {
	size_t off, len;
	long lineno;
	int kind;
	char *msg; /* IT_BAD */
	size_t unit;
	int64_t seq, start, end, busy, work;
	char sig[SIG_KEPT];
	uint8_t leaf[TERRA_HASH_BYTES];
};

/* Room a batch's checker reuses from line to line: no allocation per record. */
struct scratch {
	char *canon; /* a line's canonical form, its "sig" cut out */
	size_t cap_canon;
	int64_t *nonces;
	size_t cap_nonces;
};

struct batch {
	char *buf;
	size_t used, cap;
	struct item items[BATCH_LINES];
	size_t n;
	int done;
	const char *name;
	struct scratch scratch;
};

struct terra_meter {
	terra_meter_opts o;
	int64_t nperiods;
	struct munit *units;
	size_t nunits, capunits;
	int units_sorted;
	int fed; /* usage read: the unit table is fixed */
	long unit_order;
	struct acc *accs;
	size_t naccs, capaccs;
	uint32_t *slots; /* hash of (unit, period) -> acc index + 1 */
	size_t nslots;
	long bad;
};

/* ---- small helpers ----------------------------------------------------- */

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

static int64_t floor_div(i128 a, int64_t b)
{
	i128 q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return (int64_t)q;
}

static int cmp_unit_id(const void *a, const void *b)
{
	const struct munit *x = a, *y = b;
	int c = strcmp(x->id, y->id);

	if (c)
		return c;
	if (x->stamp != y->stamp)
		return x->stamp < y->stamp ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static const struct munit *find_unit(const terra_meter *m, const char *id)
{
	size_t lo = 0, hi = m->nunits;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->units[mid].id, id);

		if (!c)
			return &m->units[mid];
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
	int64_t c0 = floor_div((i128)start - origin, every);
	int64_t c1 = floor_div((i128)end - 1 - origin, every), k;
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
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nunits; i++) {
		free(m->units[i].runs);
		free(m->units[i].ring);
	}
	free(m->units);
	for (i = 0; i < m->naccs; i++)
		free(m->accs[i].stack);
	free(m->accs);
	free(m->slots);
	free(m);
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
	    terra_rec_hex(rec, "unit_pub", u->unit_pub, sizeof u->unit_pub, e) < 0 ||
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
	u->retired = !strcmp(state, "retired");
	if (json_object_get(rec, "retired_at")) {
		if (terra_rec_time(rec, "retired_at", &u->retired_at, e) < 0)
			return -1;
		u->has_retired_at = 1;
	}
	if (json_object_get(rec, "bench")) {
		if (terra_rec_obj(rec, "bench", &bench, e) < 0 ||
		    terra_rec_int_opt(bench, "int32_mops", &u->int32_mops, e) < 0 ||
		    terra_rec_int_opt(bench, "fp32_mflops", &u->fp32_mflops, e) < 0)
			return terra_err_wrap(e, "bench");
	}
	snprintf(u->id, sizeof u->id, "%s", id);
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
		if (i + 1 < m->nunits && !strcmp(m->units[i].id, m->units[i + 1].id))
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
		if (strcmp(want, u.id))
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

int terra_meter_units_file(terra_meter *m, const char *path, const terra_meter_io *io, terra_err *e)
{
	terra_reader *r = NULL;
	json_t *rec = NULL;
	const char *type, *line;
	size_t len;
	int rc = -1, got;

	if (terra_reader_open(&r, path, e) < 0)
		return -1;
	for (;;) {
		json_decref(rec);
		rec = NULL;
		got = terra_reader_next(r, &rec, e);
		if (got == 0)
			break;
		if (got == -2)
			goto out;
		if (got == 1 && terra_rec_type(rec, &type, e) == 0 && strcmp(type, "unit"))
			continue; /* other records in the file are not units */
		if (got == 1 && terra_meter_unit_add(m, rec, e) == 0)
			continue;
		if (got == 1)
			terra_reader_reject(r, e, "unit", e->msg);
		m->bad++;
		line = terra_reader_line(r, &len);
		if (io->report && io->report(io->ctx, TERRA_METER_BAD, line, len, e->msg)) {
			rc = 1;
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(rec);
	terra_reader_close(r);
	return rc;
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
	if (bits < 1 || bits > TERRA_METER_SHARE_BITS_MAX)
		return fmt_msg("bad share: share_bits %lld is not in [1, %d]", (long long)bits,
		               TERRA_METER_SHARE_BITS_MAX);
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
static void check_line(const terra_meter *m, const char *line, struct item *it)
{
	terra_err e;
	json_t *rec = NULL;
	const char *type, *unit_id, *workload;
	const struct munit *u;
	const char *sig;
	char *why = NULL;

	if (blank(line, it->len)) {
		it->kind = IT_BLANK;
		return;
	}
	it->kind = IT_BAD;
	if (terra_record_parse(line, it->len, &rec, &e) < 0) {
		it->msg = fmt_msg("%s", e.msg);
		return;
	}
	if (terra_rec_type(rec, &type, &e) == 0 && strcmp(type, "usage")) {
		it->kind = IT_PASS;
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
	if (it->end <= m->o.from || it->start >= m->o.to) {
		it->kind = IT_SKIP;
		goto out;
	}
	if (!(u = find_unit(m, unit_id))) {
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
	it->unit = (size_t)(u - m->units);
	/* The signature verified, so its hex is well-formed: keep its first bytes. */
	memcpy(it->sig, sig, SIG_KEPT);
	terra_sha256_leaf(line, it->len, it->leaf);
	it->kind = IT_USAGE;
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

/* 1 for '0'..'9' and 'a'..'f'; and their value: the low nibble, plus 9
 * for a letter. Both without branches: signatures are random. */
static unsigned is_hex(unsigned c)
{
	return (c - '0' < 10u) | (c - 'a' < 6u);
}

static unsigned hex_value(unsigned c)
{
	return (c & 15u) + 9u * (c >> 6);
}

/* A string member of exactly 2n lowercase hex digits (as terra_rec_hex
 * takes it) into n bytes. */
static int written_hex(const char *text, const terra_canon_member *f, uint8_t *out, size_t n)
{
	const unsigned char *s;
	unsigned good = 1;
	size_t i;

	if (!str_ok(f) || f->val_len != 2 * n)
		return -1;
	s = (const unsigned char *)text + f->val;
	for (i = 0; i < n; i++) {
		good &= is_hex(s[2 * i]) & is_hex(s[2 * i + 1]);
		out[i] = (uint8_t)(hex_value(s[2 * i]) << 4 | hex_value(s[2 * i + 1]));
	}
	return good ? 0 : -1;
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
                           struct scratch *sc)
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
	if (bits->num < 1 || bits->num > TERRA_METER_SHARE_BITS_MAX)
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
 * Returns 1 with it->kind IT_USAGE or IT_SKIP, or 0 to leave the line to
 * check_line: another spelling, another type, or a fault of any kind,
 * which check_line finds again and words as it always has.
 */
static int check_written(const terra_meter *m, const char *line, struct item *it,
                         struct scratch *sc)
{
	terra_canon_member f[TERRA_CANON_MEMBERS];
	const terra_canon_member *type, *v, *unit, *workload, *seq, *start, *end, *busy, *work;
	const terra_canon_member *sig, *signer, *evidence;
	char id[TERRA_UNIT_ID_HEX], name[16]; /* a longer workload name: check_line's */
	uint8_t signer_pk[TERRA_PK_BYTES], sig_bytes[TERRA_SIG_BYTES];
	const struct munit *u;
	size_t nf, len;
	int got = terra_canon_split(line, it->len, f, TERRA_CANON_MEMBERS);

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
	if (it->end <= m->o.from || it->start >= m->o.to) {
		it->kind = IT_SKIP;
		return 1;
	}
	/* Every unit id is 32 characters: a longer string names no unit. */
	if (written_str(line, unit, id, sizeof id) < 0 || !(u = find_unit(m, id)))
		return 0;
	if (written_hex(line, signer, signer_pk, sizeof signer_pk) < 0 ||
	    memcmp(signer_pk, u->unit_pub, sizeof signer_pk))
		return 0;
	if (it->len > sc->cap_canon) {
		char *p = realloc(sc->canon, it->len);

		if (!p)
			return 0;
		sc->canon = p;
		sc->cap_canon = it->len;
	}
	len = terra_canon_without(line, it->len, f, nf, (size_t)(sig - f), sc->canon);
	if (terra_key_verify(signer_pk, sc->canon, len, sig_bytes) < 0)
		return 0;
	if (u->retired && (!u->has_retired_at || it->end > u->retired_at))
		return 0;
	if (!strcmp(name, "sha256d") && !sha256d_written(line, evidence, it->work, sc))
		return 0;
	if (!terra_meter_rate_ok(name, it->work, it->busy, u->int32_mops, u->fp32_mflops))
		return 0;
	it->unit = (size_t)(u - m->units);
	memcpy(it->sig, line + sig->val, SIG_KEPT);
	terra_sha256_leaf(line, it->len, it->leaf);
	it->kind = IT_USAGE;
	return 1;
}

static void check_batch(const terra_meter *m, struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];
		const char *line = b->buf + it->off;

		if (!check_written(m, line, it, &b->scratch))
			check_line(m, line, it);
	}
}

/* ---- seqs and busy time of one unit (main thread) ----------------------- */

enum { SEQ_NEW, SEQ_DUP, SEQ_BAD };

static int ring_put(struct munit *u, int64_t seq, const char sig[SIG_KEPT])
{
	for (;;) {
		struct seen *s;

		if (!u->capring) {
			if (!(u->ring = calloc(16, sizeof *u->ring)))
				return -1;
			u->capring = 16;
		}
		s = &u->ring[(uint64_t)seq % u->capring];
		if (!s->seq || s->seq == seq || u->capring >= TERRA_METER_SEQ_WINDOW) {
			s->seq = seq;
			memcpy(s->sig, sig, SIG_KEPT);
			return 0;
		} else {
			/* Doubling keeps every entry: residues mod 2c refine those mod c. */
			size_t cap = 2 * u->capring, i;
			struct seen *n = calloc(cap, sizeof *n);

			if (!n)
				return -1;
			for (i = 0; i < u->capring; i++)
				if (u->ring[i].seq)
					n[(uint64_t)u->ring[i].seq % cap] = u->ring[i];
			free(u->ring);
			u->ring = n;
			u->capring = cap;
		}
	}
}

static int seq_place(struct munit *u, const struct item *it, char **why)
{
	size_t lo = 0, hi = u->nruns, i;
	struct run *p, *s;
	int join_p, join_s;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u->runs[mid].lo > it->seq)
			hi = mid;
		else
			lo = mid + 1;
	}
	i = lo; /* first run starting after seq */
	p = i ? &u->runs[i - 1] : NULL;
	s = i < u->nruns ? &u->runs[i] : NULL;
	if (p && p->hi >= it->seq) {
		const struct seen *w = u->capring ? &u->ring[(uint64_t)it->seq % u->capring] : NULL;

		if (w && w->seq == it->seq && !memcmp(w->sig, it->sig, SIG_KEPT))
			return SEQ_DUP;
		*why = fmt_msg(
		    "usage record: replayed seq %lld of unit '%s'%s", (long long)it->seq, u->id,
		    w && w->seq == it->seq ? ": another record was counted with it" : "");
		return SEQ_BAD;
	}
	if (p && it->start < p->t_hi) {
		*why = fmt_msg("usage record: overlapping busy time: unit '%s' seq %lld starts "
		               "before seq %lld ends",
		               u->id, (long long)it->seq, (long long)p->hi);
		return SEQ_BAD;
	}
	if (s && it->end > s->t_lo) {
		*why = fmt_msg("usage record: overlapping busy time: unit '%s' seq %lld ends "
		               "after seq %lld starts",
		               u->id, (long long)it->seq, (long long)s->lo);
		return SEQ_BAD;
	}
	join_p = p && p->hi + 1 == it->seq;
	join_s = s && s->lo - 1 == it->seq;
	if (join_p && join_s) {
		p->hi = s->hi;
		p->t_hi = s->t_hi;
		memmove(s, s + 1, (u->nruns - i - 1) * sizeof *s);
		u->nruns--;
	} else if (join_p) {
		p->hi = it->seq;
		p->t_hi = it->end;
	} else if (join_s) {
		s->lo = it->seq;
		s->t_lo = it->start;
	} else {
		if (u->nruns == u->capruns) {
			size_t cap = u->capruns ? 2 * u->capruns : 4;
			struct run *n = realloc(u->runs, cap * sizeof *n);

			if (!n)
				return -1;
			u->runs = n;
			u->capruns = cap;
		}
		memmove(&u->runs[i + 1], &u->runs[i], (u->nruns - i) * sizeof *u->runs);
		u->runs[i] = (struct run){it->seq, it->seq, it->start, it->end};
		u->nruns++;
	}
	return ring_put(u, it->seq, it->sig) < 0 ? -1 : SEQ_NEW;
}

/* ---- accumulation per unit and period ------------------------------------ */

/*
 * RFC 6962 root in O(log n) memory, sized to the tree: the stack holds one
 * perfect subtree per set bit of the leaf count (terra_merkle_acc has 64
 * slots, 2 KiB, too much for every unit and period).
 */
static int tree_push(struct acc *a, const uint8_t leaf[TERRA_HASH_BYTES])
{
	size_t top = (size_t)__builtin_popcountll(a->leaves);
	uint64_t n;
	uint8_t h[TERRA_HASH_BYTES];

	if (top + 1 > a->capstack) {
		size_t cap = a->capstack ? 2 * a->capstack : 4;
		uint8_t(*s)[TERRA_HASH_BYTES] = realloc(a->stack, cap * sizeof *s);

		if (!s)
			return -1;
		a->stack = s;
		a->capstack = cap;
	}
	memcpy(h, leaf, sizeof h);
	for (n = a->leaves; n & 1; n >>= 1) {
		terra_sha256_node(a->stack[top - 1], h, h);
		top--;
	}
	memcpy(a->stack[top], h, sizeof h);
	a->leaves++;
	return 0;
}

static void tree_root(const struct acc *a, uint8_t out[TERRA_HASH_BYTES])
{
	size_t i = (size_t)__builtin_popcountll(a->leaves);

	if (!i) {
		terra_merkle_root(NULL, 0, out);
		return;
	}
	memcpy(out, a->stack[i - 1], TERRA_HASH_BYTES);
	while (--i > 0)
		terra_sha256_node(a->stack[i - 1], out, out);
}

static uint64_t slot_hash(uint64_t key)
{
	key ^= key >> 33;
	key *= UINT64_C(0xff51afd7ed558ccd);
	key ^= key >> 33;
	return key;
}

static struct acc *acc_get(terra_meter *m, uint32_t unit, uint32_t period)
{
	uint64_t key = (uint64_t)unit << 32 | period;
	size_t i;

	if (2 * (m->naccs + 1) > m->nslots) {
		size_t n = m->nslots ? 2 * m->nslots : 1024;
		uint32_t *slots = calloc(n, sizeof *slots);

		if (!slots)
			return NULL;
		for (i = 0; i < m->naccs; i++) {
			uint64_t k = (uint64_t)m->accs[i].unit << 32 | m->accs[i].period;
			size_t j = slot_hash(k) & (n - 1);

			while (slots[j])
				j = (j + 1) & (n - 1);
			slots[j] = (uint32_t)i + 1;
		}
		free(m->slots);
		m->slots = slots;
		m->nslots = n;
	}
	for (i = slot_hash(key) & (m->nslots - 1); m->slots[i]; i = (i + 1) & (m->nslots - 1)) {
		struct acc *a = &m->accs[m->slots[i] - 1];

		if (a->unit == unit && a->period == period)
			return a;
	}
	if (m->naccs == m->capaccs) {
		size_t cap = m->capaccs ? 2 * m->capaccs : 64;
		struct acc *n = realloc(m->accs, cap * sizeof *n);

		if (!n)
			return NULL;
		m->accs = n;
		m->capaccs = cap;
	}
	m->slots[i] = (uint32_t)m->naccs + 1;
	memset(&m->accs[m->naccs], 0, sizeof m->accs[m->naccs]);
	m->accs[m->naccs].unit = unit;
	m->accs[m->naccs].period = period;
	return &m->accs[m->naccs++];
}

static int count_usage(terra_meter *m, const struct item *it)
{
	int64_t c0 = floor_div((i128)it->start - m->o.from, m->o.every);
	int64_t c1 = floor_div((i128)it->end - 1 - m->o.from, m->o.every), c;

	if (c0 < 0)
		c0 = 0;
	if (c1 > m->nperiods - 1)
		c1 = m->nperiods - 1;
	for (c = c0; c <= c1; c++) {
		struct acc *a = acc_get(m, (uint32_t)it->unit, (uint32_t)c);
		int64_t busy =
		    terra_meter_part(it->busy, it->start, it->end, m->o.from, m->o.every, c);
		int64_t work =
		    terra_meter_part(it->work, it->start, it->end, m->o.from, m->o.every, c);

		if (!a)
			return -1;
		if (__builtin_add_overflow(a->busy, busy, &a->busy) ||
		    __builtin_add_overflow(a->work, work, &a->work))
			a->overflow = 1;
		if (!a->records || it->seq < a->first)
			a->first = it->seq;
		if (!a->records || it->seq > a->last)
			a->last = it->seq;
		a->records++;
		if (tree_push(a, it->leaf) < 0)
			return -1;
	}
	return 0;
}

/* ---- reading and the worker pool ---------------------------------------- */

struct lines {
	FILE *f;
	char *chunk;
	size_t pos, end;
	int eof;
	long lineno;
};

static int batch_reserve(struct batch *b, size_t more)
{
	if (b->used + more > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *n;

		while (cap < b->used + more)
			cap *= 2;
		if (!(n = realloc(b->buf, cap)))
			return -1;
		b->buf = n;
		b->cap = cap;
	}
	return 0;
}

/* Appends the next line to b. Returns 1, 0 at the end, -1 on error (errno). */
static int read_line(struct lines *l, struct batch *b)
{
	struct item *it = &b->items[b->n];
	size_t kept = 0;
	int any = 0;

	it->off = b->used;
	for (;;) {
		char *nl;
		size_t n, take;

		if (l->pos == l->end) {
			if (l->eof)
				break;
			l->pos = 0;
			l->end = fread(l->chunk, 1, CHUNK_BYTES, l->f);
			if (l->end == 0) {
				if (ferror(l->f))
					return -1;
				l->eof = 1;
				break;
			}
		}
		any = 1;
		nl = memchr(l->chunk + l->pos, '\n', l->end - l->pos);
		n = (nl ? (size_t)(nl - l->chunk) : l->end) - l->pos;
		/* A line over the limit is consumed whole; one byte past the limit
		 * is kept so the parser reports it. */
		take = kept + n > TERRA_LINE_MAX + 1 ? TERRA_LINE_MAX + 1 - kept : n;
		if (batch_reserve(b, take + 1) < 0) {
			errno = ENOMEM;
			return -1;
		}
		memcpy(b->buf + b->used, l->chunk + l->pos, take);
		b->used += take;
		kept += take;
		l->pos += n;
		if (nl) {
			l->pos++;
			break;
		}
	}
	if (!any)
		return 0;
	b->buf[b->used++] = '\0';
	it->len = kept;
	it->lineno = ++l->lineno;
	it->msg = NULL;
	b->n++;
	return 1;
}

static int fill_batch(struct lines *l, struct batch *b, int *eof)
{
	int got = 1;

	b->n = 0;
	b->used = 0;
	while (b->n < BATCH_LINES && b->used < BATCH_BYTES && (got = read_line(l, b)) == 1)
		;
	if (got == 0)
		*eof = 1;
	return got < 0 ? -1 : 0;
}

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct batch *b;
	size_t nb, submitted, taken;
	int quit;
	const terra_meter *m;
};

static void *worker(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		struct batch *b;

		pthread_mutex_lock(&p->mu);
		while (!p->quit && p->taken == p->submitted)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->taken == p->submitted) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		b = &p->b[p->taken++ % p->nb];
		pthread_mutex_unlock(&p->mu);
		check_batch(p->m, b);
		pthread_mutex_lock(&p->mu);
		b->done = 1;
		pthread_cond_broadcast(&p->done);
		pthread_mutex_unlock(&p->mu);
	}
}

/* Takes a checked batch in input order. Returns 1 when io stops the input. */
static int consume(terra_meter *m, struct batch *b, const terra_meter_io *io, terra_err *e)
{
	size_t i;
	int stop = 0;

	for (i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];
		const char *line = b->buf + it->off;
		char *why = it->msg, *msg;
		int got;

		it->msg = NULL;
		if (stop) {
			free(why);
			continue;
		}
		switch (it->kind) {
		case IT_PASS:
			if (io->pass && io->pass(io->ctx, line, it->len))
				stop = 1;
			continue;
		case IT_USAGE:
			got = seq_place(&m->units[it->unit], it, &why);
			if (got < 0) {
				terra_err_set(e, TERRA_E_SYS, "meter: out of memory");
				return -1;
			}
			if (got == SEQ_DUP) {
				msg = fmt_msg(
				    "%s:%ld: usage record: duplicate of an earlier record "
				    "(unit '%s' seq %lld), counted once",
				    b->name, it->lineno, m->units[it->unit].id, (long long)it->seq);
				if (io->report && msg &&
				    io->report(io->ctx, TERRA_METER_DUPLICATE, line, it->len, msg))
					stop = 1;
				free(msg);
				continue;
			}
			if (got == SEQ_NEW) {
				if (count_usage(m, it) < 0) {
					terra_err_set(e, TERRA_E_SYS, "meter: out of memory");
					return -1;
				}
				continue;
			}
			break;
		case IT_BAD:
			break;
		default:
			continue;
		}
		m->bad++;
		msg = fmt_msg("%s:%ld: %s", b->name, it->lineno, why ? why : "out of memory");
		if (io->report && io->report(io->ctx, TERRA_METER_BAD, line, it->len,
		                             msg ? msg : "out of memory"))
			stop = 1;
		free(msg);
		free(why);
	}
	return stop;
}

int terra_meter_feed(terra_meter *m, const char *path, const terra_meter_io *io, terra_err *e)
{
	struct lines l = {0};
	struct pool p;
	pthread_t *th = NULL;
	int nth = m->o.threads > 1 ? m->o.threads : 0, started = 0, eof = 0, rc = -1, got;
	size_t consumed = 0, i;
	const char *name = path && strcmp(path, "-") ? path : "<stdin>";

	units_settle(m);
	m->fed = 1;
	memset(&p, 0, sizeof p);
	p.m = m;
	p.nb = nth ? 2 * (size_t)nth + 2 : 1;
	if (!(p.b = calloc(p.nb, sizeof *p.b)) || !(l.chunk = malloc(CHUNK_BYTES)) ||
	    (nth && !(th = calloc((size_t)nth, sizeof *th)))) {
		terra_err_set(e, TERRA_E_SYS, "meter: out of memory");
		goto out;
	}
	for (i = 0; i < p.nb; i++)
		p.b[i].name = name;
	if (path && strcmp(path, "-")) {
		if (!(l.f = fopen(path, "rb"))) {
			terra_err_sys(e, "open '%s'", path);
			goto out;
		}
	} else {
		l.f = stdin;
	}
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.work, NULL);
	pthread_cond_init(&p.done, NULL);
	for (; started < nth; started++)
		if (pthread_create(&th[started], NULL, worker, &p)) {
			terra_err_set(e, TERRA_E_SYS, "meter: cannot start a thread");
			goto drain;
		}
	for (;;) {
		struct batch *b;

		while (!eof && p.submitted - consumed < p.nb) {
			b = &p.b[p.submitted % p.nb];
			if (fill_batch(&l, b, &eof) < 0) {
				terra_err_sys(e, "read '%s'", name);
				goto drain;
			}
			if (!b->n)
				break;
			if (!nth) {
				check_batch(m, b);
				b->done = 1;
				p.submitted++;
				continue;
			}
			pthread_mutex_lock(&p.mu);
			b->done = 0;
			p.submitted++;
			pthread_cond_signal(&p.work);
			pthread_mutex_unlock(&p.mu);
		}
		if (consumed == p.submitted)
			break;
		b = &p.b[consumed % p.nb];
		if (nth) {
			pthread_mutex_lock(&p.mu);
			while (!b->done)
				pthread_cond_wait(&p.done, &p.mu);
			pthread_mutex_unlock(&p.mu);
		}
		got = consume(m, b, io, e);
		consumed++;
		if (got < 0)
			goto drain;
		if (got > 0) {
			rc = 1;
			goto drain;
		}
	}
	rc = 0;
drain:
	if (nth) {
		pthread_mutex_lock(&p.mu);
		p.quit = 1;
		pthread_cond_broadcast(&p.work);
		pthread_mutex_unlock(&p.mu);
		for (i = 0; i < (size_t)started; i++)
			pthread_join(th[i], NULL);
	}
	/* Batches checked but not consumed (stopped early) still hold messages. */
	for (; consumed < p.submitted; consumed++) {
		struct batch *b = &p.b[consumed % p.nb];

		for (i = 0; i < b->n; i++)
			free(b->items[i].msg);
	}
	pthread_cond_destroy(&p.done);
	pthread_cond_destroy(&p.work);
	pthread_mutex_destroy(&p.mu);
out:
	if (l.f && l.f != stdin)
		fclose(l.f);
	free(l.chunk);
	if (p.b)
		for (i = 0; i < p.nb; i++) {
			free(p.b[i].buf);
			free(p.b[i].scratch.canon);
			free(p.b[i].scratch.nonces);
		}
	free(p.b);
	free(th);
	return rc;
}

/* ---- output --------------------------------------------------------------- */

static int cmp_acc(const void *a, const void *b)
{
	const struct acc *x = *(const struct acc *const *)a, *y = *(const struct acc *const *)b;

	if (x->period != y->period)
		return x->period < y->period ? -1 : 1;
	return x->unit < y->unit ? -1 : x->unit > y->unit;
}

static json_t *meter_record(const terra_meter *m, const struct acc *a, terra_err *e)
{
	const struct munit *u = &m->units[a->unit];
	int64_t start = m->o.from + (int64_t)a->period * m->o.every, end = start + m->o.every;
	int64_t weight, charge, rem;
	char period[2 * TERRA_TIME_MAX], ts[TERRA_TIME_MAX], te[TERRA_TIME_MAX];
	char root_hex[2 * TERRA_HASH_BYTES + 1], amount[TERRA_AMOUNT_MAX];
	uint8_t root[TERRA_HASH_BYTES];
	json_t *r;

	if (a->overflow)
		return terra_err_set(e, TERRA_E_INPUT, "unit '%s': work overflows int64", u->id),
		       NULL;
	if (__builtin_mul_overflow(u->score, a->busy, &weight))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "unit '%s': weight (score x busy_us) overflows int64", u->id),
		       NULL;
	terra_period_format(start, end, period);
	terra_time_format(start, ts);
	terra_time_format(end, te);
	tree_root(a, root);
	terra_hex(root, sizeof root, root_hex);
	r = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	              "s:s, s:I}",
	              "type", "meter", "v", 1, "period", period, "start", ts, "end", te, "unit",
	              u->id, "owner", u->owner_hex, "busy_us", (json_int_t)a->busy,
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
			return terra_err_wrap(e, "unit '%s': charge", u->id), NULL;
		}
		terra_money_format(charge, amount);
		json_object_set_new(r, "charge", json_string(amount));
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
	const struct acc **order = NULL;
	terra_err first;
	size_t i;
	int rc = 0;

	terra_err_clear(&first);
	if (m->naccs && !(order = malloc(m->naccs * sizeof *order)))
		return terra_err_set(e, TERRA_E_SYS, "meter: out of memory");
	for (i = 0; i < m->naccs; i++)
		order[i] = &m->accs[i];
	if (m->naccs > 1)
		qsort(order, m->naccs, sizeof *order, cmp_acc);
	for (i = 0; i < m->naccs; i++) {
		json_t *r = meter_record(m, order[i], e);

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
	free(order);
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
