#include "settle.h"

#include "db.h"
#include "ledger.h"
#include "limit.h"
#include "meter.h"
#include "money.h"
#include "paid.h"
#include "record.h"
#include "settlecover.h"
#include "settlestore.h"
#include "sha256.h"
#include "time.h"
#include "unit.h"
#include "unitchain.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <unistd.h>

struct terra_settle {
	char period[TERRA_PERIOD_MAX];
	int has_period, has_revenue;
	int64_t revenue, charges;
	size_t uncharged; /* meter records without a charge */
	terra_settle_policy policy;
	terra_holders hs;
	terra_settle_unit *units;
	size_t nunits, capunits;
	char **canon; /* the records' canonical forms, for their digest */
	size_t ncanon, capcanon;
	terra_settle_calc calc;
	char inputs_digest[TERRA_HASH_HEX];
	uint8_t meter_digest[TERRA_HASH_BYTES], holders_digest[TERRA_HASH_BYTES];
	int has_holders_digest;
	terra_settle_ahead *ahead; /* the holders' digest and split, being made */
	int64_t entry_seq;
	uint8_t (*keys)[TERRA_PK_BYTES]; /* the meter keys trusted */
	size_t nkeys;
	sqlite3 *registry;           /* the units registered, or NULL */
	terra_unit_finder *owner_of; /* a unit's registered owner, prepared once */
	int reading;                 /* a read transaction on registry, begun here */
	json_t *covers;              /* [[UNIT, FIRST, LAST], ...] from the meter records */
	json_t *rates;               /* the meter records' rates: one set per settlement */
	int dry;
	int alone; /* -j 1: no thread of its own either */
	/* --adjust: late meter records of the settled period `adjusts` */
	char adjusts[TERRA_PERIOD_MAX]; /* "" when not adjusting */
	terra_settle_unit *late;
	size_t nlate, caplate;
	json_t *adj_covers;          /* [[UNIT, FIRST, LAST], ...] from the late records */
	terra_settle_paid *paid;     /* what was paid for adjusts */
	terra_paid_checker *paidchk; /* evidence paid before, while reading */
};

/* ---- gathering the inputs ------------------------------------------------ */

/*
 * The registry lookups of all the meter records share one read transaction
 * (WAL: writers go on): one each would lock and unlock the database, which
 * costs more than the lookup. It ends before the settlement's own.
 */
static int registry_read(terra_settle *s, terra_err *e)
{
	if (s->reading || !sqlite3_get_autocommit(s->registry))
		return 0;
	if (terra_db_exec(s->registry, "BEGIN", e) < 0)
		return -1;
	s->reading = 1;
	return 0;
}

static void registry_done(terra_settle *s)
{
	terra_paid_checker_close(s->paidchk);
	s->paidchk = NULL;
	if (s->reading)
		terra_db_rollback(s->registry);
	s->reading = 0;
}

int terra_settle_new(terra_settle **sp, terra_err *e)
{
	terra_settle *s = calloc(1, sizeof *s);

	*sp = NULL;
	if (!s)
		return terra_err_sys(e, "settle");
	s->covers = json_array();
	s->adj_covers = json_array();
	if (!s->covers || !s->adj_covers) {
		json_decref(s->covers);
		json_decref(s->adj_covers);
		free(s);
		return terra_err_sys(e, "settle");
	}
	terra_settle_policy_default(&s->policy);
	terra_holders_init(&s->hs);
	*sp = s;
	return 0;
}

/* The records' canonical forms, once the meter digest and the paid table
 * have them: ~0.5 KB a record. */
static void canon_drop(terra_settle *s)
{
	for (size_t i = 0; i < s->ncanon; i++)
		free(s->canon[i]);
	free(s->canon);
	s->canon = NULL;
	s->ncanon = s->capcanon = 0;
}

void terra_settle_free(terra_settle *s)
{
	if (!s)
		return;
	terra_settle_ahead_finish(s->ahead, &s->calc, s->holders_digest);
	terra_settle_calc_free(&s->calc);
	canon_drop(s);
	json_decref(s->covers);
	json_decref(s->adj_covers);
	terra_settle_paid_close(s->paid);
	terra_paid_checker_close(s->paidchk);
	free(s->late);
	json_decref(s->rates);
	terra_unit_finder_close(s->owner_of); /* a read still open ends as the database closes */
	free(s->keys);
	free(s->units);
	terra_holders_free(&s->hs);
	free(s);
}

int terra_settle_set_period(terra_settle *s, const char *period, terra_err *e)
{
	char canon[TERRA_PERIOD_MAX];

	if (terra_period_canonical(period, canon, e) < 0)
		return -1;
	if (s->has_period && strcmp(s->period, canon))
		return terra_err_set(e, TERRA_E_INPUT, "period %s differs from %s", canon,
		                     s->period);
	memcpy(s->period, canon, sizeof canon);
	s->has_period = 1;
	return 0;
}

int terra_settle_set_revenue(terra_settle *s, int64_t revenue, terra_err *e)
{
	if (revenue < 0)
		return terra_err_set(e, TERRA_E_INPUT, "revenue must not be negative");
	s->revenue = revenue;
	s->has_revenue = 1;
	return 0;
}

int terra_settle_set_policy(terra_settle *s, const terra_settle_policy *p, terra_err *e)
{
	if (terra_settle_policy_check(p, e) < 0)
		return -1;
	s->policy = *p;
	return 0;
}

void terra_settle_set_holders(terra_settle *s, terra_holders *hs)
{
	terra_settle_ahead_finish(s->ahead, &s->calc, s->holders_digest);
	s->ahead = NULL;
	s->calc.hready = 0;
	terra_holders_free(&s->hs);
	s->hs = *hs;
	s->has_holders_digest = 0;
	terra_holders_init(hs);
}

void terra_settle_start_holders(terra_settle *s)
{
	int64_t carry = 0;
	terra_err e;

	if (s->alone || s->ahead ||
	    (s->registry && terra_settle_carry_balance(s->registry, &carry, &e) < 0))
		return;
	terra_settle_ahead_start(&s->ahead, &s->hs, s->has_revenue, s->revenue, carry, &s->policy);
}

int terra_settle_trust(terra_settle *s, const uint8_t pk[TERRA_PK_BYTES], terra_err *e)
{
	uint8_t(*v)[TERRA_PK_BYTES] = realloc(s->keys, (s->nkeys + 1) * sizeof *v);

	if (!v)
		return terra_err_sys(e, "meter keys");
	s->keys = v;
	memcpy(s->keys[s->nkeys++], pk, TERRA_PK_BYTES);
	return 0;
}

void terra_settle_set_registry(terra_settle *s, sqlite3 *db)
{
	s->registry = db;
}

void terra_settle_set_dry(terra_settle *s, int dry)
{
	s->dry = dry;
}

void terra_settle_set_jobs(terra_settle *s, int jobs)
{
	s->alone = jobs <= 1;
}

int terra_settle_set_adjusts(terra_settle *s, const char *old, terra_err *e)
{
	int64_t from, to, start, end;

	if (!s->has_period)
		return terra_err_set(e, TERRA_E_INPUT, "an adjustment needs the period (-p)");
	if (terra_period_canonical(old, s->adjusts, e) < 0 ||
	    terra_period_parse(s->adjusts, &from, &to, e) < 0 ||
	    terra_period_parse(s->period, &start, &end, e) < 0)
		return -1;
	if (to > start)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "adjusted period %s does not end before period %s starts: "
		                     "late usage is paid in a later settlement",
		                     s->adjusts, s->period);
	return 0;
}

int terra_settle_open_adjust(terra_settle *s, terra_err *e)
{
	if (!s->adjusts[0] || !s->registry || s->paid)
		return 0;
	return terra_settle_paid_open(s->registry, s->adjusts, s->period, &s->paid, e);
}

void terra_settle_pre_check(const json_t *meter, terra_settle_pre *p)
{
	uint8_t sig[TERRA_SIG_BYTES];
	size_t len;

	p->canon = NULL;
	p->rc = -1;
	if (!json_object_get(meter, "sig")) {
		terra_err_set(&p->e, TERRA_E_VERIFY,
		              "not signed: only meter records signed by a trusted meter "
		              "key are settled (terra-meter signs them; --meter-key)");
		return;
	}
	if (terra_rec_hex(meter, "signer", p->signer, TERRA_PK_BYTES, &p->e) < 0 ||
	    terra_rec_hex(meter, "sig", sig, sizeof sig, &p->e) < 0 ||
	    terra_rec_canonical(meter, &p->canon, &len, &p->e) < 0)
		return;
	if (terra_key_verify(p->signer, p->canon, len, sig) < 0) {
		terra_err_set(&p->e, TERRA_E_VERIFY, "bad signature");
		return;
	}
	p->rc = 0;
}

void terra_settle_pre_free(terra_settle_pre *p)
{
	free(p->canon);
	p->canon = NULL;
}

/* The meter record is signed by a trusted key, its weight is score x busy_us,
 * and its unit, when registered, had that owner in its period. */
static int meter_trusted(terra_settle *s, const json_t *meter, const char *unit,
                         const uint8_t owner[TERRA_PK_BYTES], int64_t weight,
                         const terra_settle_pre *p, terra_err *e)
{
	const uint8_t *signer = p->signer;
	char owner_hex[TERRA_PK_HEX];
	const char *registered, *stamp, *period;
	int64_t want, from, to, since;
	size_t i;
	int got;

	if (p->rc < 0) {
		*e = p->e;
		return -1;
	}
	for (i = 0; i < s->nkeys && memcmp(s->keys[i], signer, TERRA_PK_BYTES); i++)
		;
	if (i == s->nkeys)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "signer %s is not a trusted meter key (this home's owner, "
		                     "or --meter-key)",
		                     json_string_value(json_object_get(meter, "signer")));
	if (terra_meter_record_weight(meter, &want, e) < 0)
		return -1;
	if (want != weight)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "field 'weight' %lld is not the verified work by its rates "
		                     "(%lld)",
		                     (long long)weight, (long long)want);
	if (!s->registry)
		return 0;
	if (registry_read(s, e) < 0)
		return -1;
	/* one lookup per record: terra_unit_get would load the whole record */
	if (!s->owner_of && terra_unit_finder_open(s->registry, &s->owner_of, e) < 0)
		return -1;
	got = terra_unit_finder_owner(s->owner_of, unit, &registered, &stamp, e);
	if (got < 0)
		return -1;
	if (got == 0)
		return 0; /* a unit of a -u file: the meter that signed checked it */
	terra_hex(owner, TERRA_PK_BYTES, owner_hex);
	if (terra_rec_str(meter, "period", &period, e) < 0 ||
	    terra_period_parse(period, &from, &to, e) < 0 || !stamp ||
	    terra_time_parse(stamp, &since, e) < 0)
		return -1;
	/* the registered owner since before the period: the only one in it */
	if (since <= from)
		got = registered && !strcmp(registered, owner_hex);
	else if ((got = terra_unitchain_owned_during(s->registry, unit, owner_hex, from, to, e)) <
	         0)
		return -1;
	if (!got)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "unit '%s' is registered to another owner in period %s", unit,
		                     period);
	return 0;
}

/* One set of rates per settlement, recorded in its entry. */
static int meter_rates(terra_settle *s, const json_t *meter, terra_err *e)
{
	json_t *rates = json_object_get(meter, "rates");

	if (!s->rates) {
		s->rates = json_incref(rates);
		return 0;
	}
	if (!json_equal(s->rates, rates))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "field 'rates' differs from the first meter record's: settle "
		                     "meter records of one set of rates");
	return 0;
}

/* The seqs the record covers, [[UNIT, FIRST, LAST]]: kept for the entry;
 * a late record's must not have been paid for its period (checked first:
 * the seqs say more than its evidence would). */
static int meter_covers(terra_settle *s, const json_t *meter, const char *unit, int late,
                        terra_err *e)
{
	int64_t first, last;

	if (terra_rec_int(meter, "first_seq", &first, e) ||
	    terra_rec_int(meter, "last_seq", &last, e))
		return -1;
	if (first < 1 || last < first)
		return terra_err_set(e, TERRA_E_INPUT, "first_seq and last_seq: not a range");
	if (json_array_append_new(late ? s->adj_covers : s->covers,
	                          json_pack("[s,I,I]", unit, (json_int_t)first, (json_int_t)last)) <
	    0)
		return terra_err_sys(e, "settle: covers");
	return 0;
}

int terra_settle_add_meter(terra_settle *s, const json_t *meter, terra_err *e)
{
	terra_settle_pre p;
	int rc;

	terra_settle_pre_check(meter, &p);
	rc = terra_settle_add_meter_pre(s, meter, &p, e);
	terra_settle_pre_free(&p);
	return rc;
}

/* A late record: none of its seqs paid for the adjusted period. */
static int meter_late(terra_settle *s, const json_t *meter, const char *unit, terra_err *e)
{
	int64_t first, last;

	if (terra_rec_int(meter, "first_seq", &first, e) ||
	    terra_rec_int(meter, "last_seq", &last, e))
		return -1;
	return terra_settle_paid_check(s->paid, unit, first, last, e);
}

/* Room for one more item in *v (n used of *cap). */
static int grow(void **v, size_t *cap, size_t n, size_t size, terra_err *e)
{
	size_t c = *cap ? *cap * 2 : 64;
	void *w;

	if (n < *cap)
		return 0;
	if (!(w = realloc(*v, c * size)))
		return terra_err_sys(e, "settle: %zu meter records", c);
	*v = w;
	*cap = c;
	return 0;
}

int terra_settle_add_meter_pre(terra_settle *s, const json_t *meter, terra_settle_pre *p,
                               terra_err *e)
{
	const char *period, *unit, *owner;
	uint8_t raw[TERRA_PK_BYTES];
	char pcanon[TERRA_PERIOD_MAX];
	int64_t weight, charge = 0;
	int has_charge = json_object_get(meter, "charge") != NULL, late;
	terra_settle_unit *u;

	if (terra_rec_str(meter, "period", &period, e) || terra_rec_str(meter, "unit", &unit, e) ||
	    terra_rec_hex(meter, "unit", raw, (TERRA_UNIT_ID_HEX - 1) / 2, e) ||
	    terra_rec_str(meter, "owner", &owner, e) ||
	    terra_rec_hex(meter, "owner", raw, TERRA_PK_BYTES, e) ||
	    terra_rec_int(meter, "weight", &weight, e))
		return -1;
	if (weight < 0)
		return terra_err_set(e, TERRA_E_INPUT, "field 'weight' must not be negative");
	if (meter_trusted(s, meter, unit, raw, weight, p, e) < 0 || meter_rates(s, meter, e) < 0)
		goto bad;
	if (has_charge && terra_rec_amount(meter, "charge", &charge, e) < 0)
		goto bad;
	if (charge < 0) {
		terra_err_set(e, TERRA_E_INPUT, "field 'charge' must not be negative");
		goto bad;
	}
	if (terra_period_canonical(period, pcanon, e) < 0) {
		terra_err_wrap(e, "field 'period'");
		goto bad;
	}
	/* paid before, for another period (the same period again is the
	 * settlement's to tell: the same inputs, or other inputs refused); a
	 * late record is paid in the settlement of s->period */
	late = s->adjusts[0] && !strcmp(pcanon, s->adjusts);
	if (late && s->paid && meter_late(s, meter, unit, e) < 0)
		goto bad;
	if (s->registry && !s->paidchk && terra_paid_checker_open(s->registry, &s->paidchk, e) < 0)
		goto bad;
	if (s->paidchk &&
	    terra_paid_checker_run(s->paidchk, meter, late ? s->period : pcanon, e) < 0)
		goto bad;
	if (!late && s->has_period && strcmp(pcanon, s->period)) {
		terra_err_set(e, TERRA_E_INPUT,
		              "period %s differs from %s: settle one period at a time", pcanon,
		              s->period);
		goto bad;
	}
	if (grow((void **)&s->canon, &s->capcanon, s->ncanon, sizeof *s->canon, e) < 0 ||
	    (late ? grow((void **)&s->late, &s->caplate, s->nlate, sizeof *s->late, e)
	          : grow((void **)&s->units, &s->capunits, s->nunits, sizeof *s->units, e)) < 0 ||
	    meter_covers(s, meter, unit, late, e) < 0)
		goto bad;
	s->canon[s->ncanon++] = p->canon; /* taken: the meter digest needs it */
	p->canon = NULL;
	if (!late) {
		memcpy(s->period, pcanon, sizeof pcanon);
		s->has_period = 1;
	}
	u = late ? &s->late[s->nlate++] : &s->units[s->nunits++];
	memcpy(u->unit, unit, TERRA_UNIT_ID_HEX);
	memcpy(u->owner, owner, TERRA_PK_HEX);
	u->weight = weight;
	if (!has_charge)
		s->uncharged++;
	else if (terra_money_add(s->charges, charge, &s->charges, e) < 0)
		return terra_err_wrap(e, "sum of charges");
	return 0;
bad:
	return -1;
}

/* ---- settling --------------------------------------------------------------- */

/* Test hook (see settle.h): die here, as kill -9 would. */
static void crash_point(const char *where)
{
	const char *at = getenv("TERRA_CRASH_AT");

	if (at && !strcmp(at, where))
		kill(getpid(), SIGKILL);
}

/* Everything that does not need the database: the digests and the checks. */
static int prepare(terra_settle *s, terra_err *e)
{
	char mhex[TERRA_HASH_HEX], hhex[TERRA_HASH_HEX];

	if (!s->has_period)
		return terra_err_set(e, TERRA_E_INPUT, "no meter records: give the period with -p");
	if (!s->has_revenue) {
		if (s->uncharged)
			return terra_err_set(e, TERRA_E_INPUT,
			                     "%zu meter records have no charge: give --revenue, or "
			                     "meter with --price",
			                     s->uncharged);
		if (s->nunits + s->nlate == 0)
			return terra_err_set(
			    e, TERRA_E_INPUT,
			    "no revenue: give --revenue, or meter records with charges");
		s->revenue = s->charges;
	}
	if (s->adjusts[0] && !s->nlate)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "no meter records of the adjusted period %s: meter the late "
		                     "usage with -p %s",
		                     s->adjusts, s->adjusts);
	if (terra_settle_units_sort(s->units, s->nunits, e) < 0 ||
	    terra_settle_units_sort(s->late, s->nlate, e) < 0 ||
	    terra_settle_covers_sort(&s->covers, e) < 0 ||
	    terra_settle_covers_sort(&s->adj_covers, e) < 0)
		return -1;
	if (terra_settle_meter_digest(s->canon, s->ncanon, s->meter_digest, e) < 0)
		return -1;
	/* the late records' weights join the period's: one split */
	if (s->nlate) {
		if (terra_settle_units_join(&s->units, &s->nunits, s->late, s->nlate, e) < 0)
			return -1;
		s->capunits = s->nunits;
		s->nlate = 0;
	}
	/* the snapshot body's hash, as the body is written out: never held whole */
	if (!s->has_holders_digest)
		terra_holders_digest(&s->hs, s->holders_digest);
	terra_hex(s->meter_digest, TERRA_HASH_BYTES, mhex);
	terra_hex(s->holders_digest, TERRA_HASH_BYTES, hhex);
	return terra_settle_inputs_digest(s->period, s->revenue, &s->policy, mhex, hhex,
	                                  s->inputs_digest, e);
}

struct computing {
	terra_settle_calc *calc;
	terra_err e;
	int rc;
};

static void *compute(void *arg)
{
	struct computing *c = arg;

	c->rc = terra_settle_compute(c->calc, &c->e);
	return NULL;
}

/*
 * The split and the holders' Merkle root (~0.3 s of CPU for a million
 * holders) on a thread of their own, while this one stores the holders
 * snapshot (~40 MB), which does not depend on them (the unit rows refer to
 * the settlements row, which needs the entry, which needs the split).
 */
static int store_snapshot_computing(sqlite3 *db, terra_settle *s, terra_err *e)
{
	struct computing c = {&s->calc, {0}, 0};
	pthread_t tid;
	int threaded = !s->alone && pthread_create(&tid, NULL, compute, &c) == 0, rc;

	if (!threaded)
		compute(&c);
	rc = terra_settle_store_snapshot(db, s->holders_digest, &s->hs, e);
	if (threaded)
		pthread_join(tid, NULL);
	if (rc == 0 && c.rc < 0) {
		*e = c.e;
		rc = -1;
	}
	return rc;
}

int terra_settle_run(terra_home *h, terra_settle *s, terra_err *e)
{
	sqlite3 *db = h->db;
	char digest[TERRA_HASH_HEX];
	json_t *payload = NULL;
	int rc = -1, found, began = 0;

	registry_done(s);
	if (s->ahead) {
		terra_settle_ahead_finish(s->ahead, &s->calc, s->holders_digest);
		s->ahead = NULL;
		s->has_holders_digest = 1;
	}
	if (prepare(s, e) < 0)
		return -1;
	/* 256 KiB of page cache: with a million holders the transaction is ~40 MB
	 * (the snapshot), and caching it all doubles the peak memory; spilling
	 * to the WAL before the commit costs no measurable time (bench/settle.sh),
	 * and the pages are written once, in order, so a larger cache keeps
	 * nothing that is read again (2 MiB added 2 MB to the peak). */
	if (terra_db_exec(db, "PRAGMA cache_size = -256", e) < 0)
		return -1;
	if (terra_db_begin(db, e) < 0)
		return -1;
	began = 1;
	crash_point("after-begin");
	found = terra_settle_stored(db, s->period, digest, &s->entry_seq, &payload, e);
	if (found < 0)
		goto out;
	if (found) {
		if (strcmp(digest, s->inputs_digest)) {
			terra_err_set(e, TERRA_E_STATE,
			              "period %s already settled with other inputs", s->period);
			goto out;
		}
	}
	s->calc.revenue = s->revenue;
	s->calc.policy = s->policy;
	s->calc.units = s->units;
	s->calc.nunits = s->nunits;
	s->calc.hs = &s->hs;
	s->calc.want_root = !found;
	if (found) {
		/* the same inputs: the stored result is this computation with its carry_in */
		if (terra_rec_amount(payload, "carry_in", &s->calc.carry_in, e) < 0 ||
		    terra_settle_compute(&s->calc, e) < 0) {
			terra_err_wrap(e, "entry %lld: stored settlement", (long long)s->entry_seq);
			goto out;
		}
		rc = 1;
		goto out;
	}
	/* the ledger's entries, not only the settlements rows: no overlap */
	if (terra_settle_periods_free_in(db, s->period, s->adjusts[0] ? s->adjusts : NULL,
	                                 s->covers, s->adj_covers, e) < 0 ||
	    terra_limit_revenue(db, s->revenue, e) < 0 ||
	    terra_paid_settle(db, s->period, s->canon, s->ncanon, e) < 0)
		goto out;
	canon_drop(s);
#ifdef __GLIBC__
	/* blocks freed among others stay with the process otherwise, and the
	 * snapshot's write would add to them: the peak */
	malloc_trim(0);
#endif
	if (terra_settle_carry_balance(db, &s->calc.carry_in, e) < 0 ||
	    store_snapshot_computing(db, s, e) < 0)
		goto out;
	payload = terra_settle_payload(&s->calc, s->period, s->meter_digest, s->holders_digest,
	                               s->inputs_digest);
	if (!payload || json_object_set(payload, "covers", s->covers) < 0 ||
	    (s->rates && json_object_set(payload, "rates", s->rates) < 0) ||
	    (s->adjusts[0] &&
	     (json_object_set_new(payload, "adjusts", json_string(s->adjusts)) < 0 ||
	      json_object_set(payload, "adjusts_covers", s->adj_covers) < 0))) {
		terra_err_sys(e, "settlement payload");
		goto out;
	}
	if (terra_ledger_append(h, "settlement", payload, &s->entry_seq, e) < 0 ||
	    terra_settle_store_entry(db, s->period, s->inputs_digest, s->entry_seq, e) < 0)
		goto out;
	crash_point("mid-insert");
	if (terra_settle_store_units(db, s->period, s->units, s->nunits, e) < 0)
		goto out;
	crash_point("before-commit");
	rc = 0;
	if (s->dry)
		goto out; /* -n: all of it computed and checked, then rolled back */
	if (terra_db_commit(db, e) < 0) {
		rc = -1;
		goto out;
	}
	began = 0;
out:
	if (began)
		terra_db_rollback(db);
	json_decref(payload);
	return rc;
}

void terra_settle_result(const terra_settle *s, int64_t *pool, int64_t *entry_seq, size_t *npayouts)
{
	size_t i, n = 0;

	for (i = 0; i < s->calc.npost; i++)
		if (strcmp(s->calc.post[i].role, "holders"))
			n += s->calc.post[i].amount > 0;
	n += s->calc.hcount;
	if (pool)
		*pool = s->calc.pool;
	if (entry_seq)
		*entry_seq = s->entry_seq;
	if (npayouts)
		*npayouts = n;
}

/*
 * Payout lines are built in one buffer that goes out in large writes: a
 * million of them is common. Every line ends with the same bytes but for
 * the role, made once.
 */
#define PAYOUT_BUF (1 << 20)

struct payout_out {
	FILE *f;
	char *buf;
	size_t used;
	char tail[TERRA_SETTLE_PAYOUT_TAIL_MAX]; /* ","entry":SEQ,"period":"P","role":" */
	size_t tail_len;
};

static int payout_flush(struct payout_out *o, terra_err *e)
{
	if (o->used && fwrite(o->buf, 1, o->used, o->f) != o->used)
		return terra_err_sys(e, "write");
	o->used = 0;
	return 0;
}

static int payout_line(struct payout_out *o, const char *account, size_t alen, const char *role,
                       size_t rlen, int64_t amount, terra_err *e)
{
	if (PAYOUT_BUF - o->used < TERRA_SETTLE_PAYOUT_LINE_MAX && payout_flush(o, e) < 0)
		return -1;
	o->used += terra_settle_payout_line(o->buf + o->used, account, alen, role, rlen, amount,
	                                    o->tail, o->tail_len);
	return 0;
}

int terra_settle_write_payouts(FILE *f, const terra_settle *s, terra_err *e)
{
	const terra_settle_calc *c = &s->calc;
	struct payout_out o = {f, NULL, 0, "", 0};
	size_t i, j;
	int rc = -1, n;

	n = terra_settle_payout_tail(s->entry_seq, s->period, o.tail);
	if (n < 0)
		return terra_err_set(e, TERRA_E_VERIFY, "settlement: bad period");
	o.tail_len = (size_t)n;
	o.buf = malloc(PAYOUT_BUF);
	if (!o.buf)
		return terra_err_sys(e, "payouts");
	for (i = 0; i < c->npost; i++) {
		const terra_settle_posting *p = &c->post[i];

		if (p->amount <= 0)
			continue;
		if (!strcmp(p->role, "holders")) {
			/* holder accounts passed terra_account_check: nothing to escape */
			for (j = 0; j < c->hs->n; j++) {
				int64_t amount = terra_settle_hamount(c, j);

				if (j + TERRA_HOLDERS_AHEAD < c->hs->n)
					__builtin_prefetch(
					    terra_holders_account(c->hs, j + TERRA_HOLDERS_AHEAD));
				if (amount > 0 && payout_line(&o, terra_holders_account(c->hs, j),
				                              terra_holders_account_len(c->hs, j),
				                              "holder", 6, amount, e) < 0)
					goto out;
			}
			continue;
		}
		if (!terra_settle_plain(p->account) || !terra_settle_plain(p->role) ||
		    strlen(p->account) > TERRA_ACCOUNT_MAX || strlen(p->role) > 16) {
			/* the lines before it still go out */
			if (payout_flush(&o, e) == 0)
				terra_err_set(e, TERRA_E_VERIFY,
				              "settlement: posting %zu: bad account", i + 1);
			goto out;
		}
		if (payout_line(&o, p->account, strlen(p->account), p->role, strlen(p->role),
		                p->amount, e) < 0)
			goto out;
	}
	if (payout_flush(&o, e) < 0)
		goto out;
	rc = 0;
out:
	free(o.buf);
	return rc;
}
