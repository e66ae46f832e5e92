#include "settle.h"

#include "db.h"
#include "key.h"
#include "ledger.h"
#include "limit.h"
#include "merkle.h"
#include "money.h"
#include "record.h"
#include "sha256.h"
#include "split.h"
#include "time.h"
#include "unit.h"

#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PERIOD_MAX (2 * TERRA_TIME_MAX)
#define HEX_HASH   65

struct unit_in {
	char unit[TERRA_UNIT_ID_HEX];
	char owner[TERRA_PK_HEX];
	int64_t weight;
};

struct posting {
	const char *account;
	const char *role;
	int64_t amount;
};

/* One computation: the inputs in, the postings out (pointing into the inputs). */
struct calc {
	int64_t revenue, carry_in;
	terra_settle_policy policy;
	struct unit_in *units; /* sorted by unit */
	size_t nunits;
	const terra_holders *hs; /* sorted by account */
	int64_t pool, carry_out;
	struct posting *post;
	size_t npost;
	/* the holders' split: one item per holder (hs order), their sum, how
	 * many got more than 0, and (with want_root) the Merkle root of those */
	terra_split_item *hitems;
	int64_t htotal;
	size_t hcount;
	int want_root;
	uint8_t hroot[32];
};

struct terra_settle {
	char period[PERIOD_MAX];
	int has_period, has_revenue;
	int64_t revenue, charges;
	size_t uncharged; /* meter records without a charge */
	terra_settle_policy policy;
	terra_holders hs;
	struct unit_in *units;
	size_t nunits, capunits;
	json_t *meters; /* the records, for their digest */
	struct calc calc;
	char inputs_digest[HEX_HASH];
	uint8_t meter_digest[32], holders_digest[32];
	const char *snap; /* the holders snapshot body (terra_holders_body): in hs */
	size_t snaplen;
	int64_t entry_seq;
};

static const char *const group_ids[3] = {"contributors", "holders", "treasury"};

/* ---- policy ------------------------------------------------------------ */

void terra_settle_policy_default(terra_settle_policy *p)
{
	p->contributors = 7000;
	p->holders = 2000;
	p->treasury = 1000;
}

int terra_settle_policy_check(const terra_settle_policy *p, terra_err *e)
{
	const int64_t v[3] = {p->contributors, p->holders, p->treasury};
	int i;

	for (i = 0; i < 3; i++)
		if (v[i] < 0 || v[i] > TERRA_SETTLE_BPS)
			return terra_err_set(e, TERRA_E_INPUT,
			                     "policy: %s share %lld bps is not in 0..10000",
			                     group_ids[i], (long long)v[i]);
	if (v[0] + v[1] + v[2] != TERRA_SETTLE_BPS)
		return terra_err_set(
		    e, TERRA_E_INPUT,
		    "policy: shares sum to %lld bps, must be 10000 (%lld + %lld + %lld)",
		    (long long)(v[0] + v[1] + v[2]), (long long)v[0], (long long)v[1],
		    (long long)v[2]);
	return 0;
}

static int policy_from_json(const json_t *o, terra_settle_policy *p, int strict_keys, terra_err *e)
{
	void *it;

	if (!json_is_object(o))
		return terra_err_set(e, TERRA_E_INPUT, "policy: expected a JSON object");
	if (terra_rec_int(o, "contributors", &p->contributors, e) ||
	    terra_rec_int(o, "holders", &p->holders, e) ||
	    terra_rec_int(o, "treasury", &p->treasury, e))
		return terra_err_wrap(e, "policy");
	for (it = strict_keys ? json_object_iter((json_t *)o) : NULL; it;
	     it = json_object_iter_next((json_t *)o, it)) {
		const char *key = json_object_iter_key(it);

		if (strcmp(key, "contributors") && strcmp(key, "holders") &&
		    strcmp(key, "treasury") && strcmp(key, "type") && strcmp(key, "v"))
			return terra_err_set(e, TERRA_E_INPUT, "policy: unknown field '%s'", key);
	}
	return terra_settle_policy_check(p, e);
}

int terra_settle_policy_load(const char *path, terra_settle_policy *p, terra_err *e)
{
	json_error_t jerr;
	json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	int rc;

	if (!o)
		return terra_err_set(e, TERRA_E_INPUT, "%s:%d: policy: %s", path, jerr.line,
		                     jerr.text);
	rc = policy_from_json(o, p, 1, e);
	json_decref(o);
	if (rc < 0)
		return terra_err_wrap(e, "%s", path);
	return 0;
}

static json_t *policy_json(const terra_settle_policy *p)
{
	return json_pack("{s:I,s:I,s:I}", "contributors", (json_int_t)p->contributors, "holders",
	                 (json_int_t)p->holders, "treasury", (json_int_t)p->treasury);
}

/* ---- gathering the inputs ------------------------------------------------ */

int terra_settle_new(terra_settle **sp, terra_err *e)
{
	terra_settle *s = calloc(1, sizeof *s);

	*sp = NULL;
	if (!s)
		return terra_err_sys(e, "settle");
	s->meters = json_array();
	if (!s->meters) {
		free(s);
		return terra_err_sys(e, "settle");
	}
	terra_settle_policy_default(&s->policy);
	terra_holders_init(&s->hs);
	*sp = s;
	return 0;
}

void terra_settle_free(terra_settle *s)
{
	if (!s)
		return;
	free(s->calc.post);
	free(s->calc.hitems);
	json_decref(s->meters);
	free(s->units);
	terra_holders_free(&s->hs);
	free(s);
}

static int canonical_period(const char *in, char out[PERIOD_MAX], terra_err *e)
{
	int64_t start, end;

	if (terra_period_parse(in, &start, &end, e) < 0)
		return -1;
	terra_period_format(start, end, out);
	return 0;
}

int terra_settle_set_period(terra_settle *s, const char *period, terra_err *e)
{
	char canon[PERIOD_MAX];

	if (canonical_period(period, canon, e) < 0)
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
	terra_holders_free(&s->hs);
	s->hs = *hs;
	terra_holders_init(hs);
}

int terra_settle_add_meter(terra_settle *s, const json_t *meter, terra_err *e)
{
	const char *period, *unit, *owner;
	uint8_t raw[TERRA_PK_BYTES];
	char canon[PERIOD_MAX];
	int64_t weight, charge = 0;
	int has_charge = json_object_get(meter, "charge") != NULL;
	struct unit_in *u;

	if (terra_rec_str(meter, "period", &period, e) || terra_rec_str(meter, "unit", &unit, e) ||
	    terra_rec_hex(meter, "unit", raw, (TERRA_UNIT_ID_HEX - 1) / 2, e) ||
	    terra_rec_str(meter, "owner", &owner, e) ||
	    terra_rec_hex(meter, "owner", raw, TERRA_PK_BYTES, e) ||
	    terra_rec_int(meter, "weight", &weight, e))
		return -1;
	if (weight < 0)
		return terra_err_set(e, TERRA_E_INPUT, "field 'weight' must not be negative");
	if (has_charge && terra_rec_amount(meter, "charge", &charge, e) < 0)
		return -1;
	if (charge < 0)
		return terra_err_set(e, TERRA_E_INPUT, "field 'charge' must not be negative");
	if (canonical_period(period, canon, e) < 0)
		return terra_err_wrap(e, "field 'period'");
	if (s->has_period && strcmp(canon, s->period))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "period %s differs from %s: settle one period at a time",
		                     canon, s->period);
	if (s->nunits == s->capunits) {
		size_t cap = s->capunits ? s->capunits * 2 : 64;
		struct unit_in *v = realloc(s->units, cap * sizeof *v);

		if (!v)
			return terra_err_sys(e, "settle: %zu units", cap);
		s->units = v;
		s->capunits = cap;
	}
	if (json_array_append((json_t *)s->meters, (json_t *)meter) < 0)
		return terra_err_sys(e, "settle: meter records");
	memcpy(s->period, canon, sizeof canon);
	s->has_period = 1;
	u = &s->units[s->nunits++];
	memcpy(u->unit, unit, TERRA_UNIT_ID_HEX);
	memcpy(u->owner, owner, TERRA_PK_HEX);
	u->weight = weight;
	if (!has_charge)
		s->uncharged++;
	else if (terra_money_add(s->charges, charge, &s->charges, e) < 0)
		return terra_err_wrap(e, "sum of charges");
	return 0;
}

/* ---- the computation ------------------------------------------------------ */

static int unit_cmp(const void *a, const void *b)
{
	return strcmp(((const struct unit_in *)a)->unit, ((const struct unit_in *)b)->unit);
}

static const struct unit_in *owner_sort_units;

static int owner_cmp(const void *a, const void *b)
{
	const struct unit_in *ua = &owner_sort_units[*(const size_t *)a];
	const struct unit_in *ub = &owner_sort_units[*(const size_t *)b];
	int c = strcmp(ua->owner, ub->owner);

	return c ? c : strcmp(ua->unit, ub->unit);
}

/* Sorts units by id and refuses one listed twice. */
static int units_sort(struct unit_in *units, size_t n, terra_err *e)
{
	size_t i;

	if (n > 1)
		qsort(units, n, sizeof *units, unit_cmp);
	for (i = 1; i < n; i++)
		if (!strcmp(units[i - 1].unit, units[i].unit))
			return terra_err_set(e, TERRA_E_INPUT,
			                     "unit %s appears in two meter records", units[i].unit);
	return 0;
}

static void add_posting(struct calc *c, const char *account, const char *role, int64_t amount)
{
	c->post[c->npost].account = account;
	c->post[c->npost].role = role;
	c->post[c->npost].amount = amount;
	c->npost++;
}

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

/*
 * terra_money_format without printf (a million of these is common), written
 * from the end, two digits at a time, once its length is known; the length.
 */
static size_t fmt_amount(int64_t v, char out[TERRA_AMOUNT_MAX])
{
	uint64_t whole, w;
	uint32_t frac;
	size_t len = 11; /* "0." and 9 decimals */
	char *p;
	int i;

	if (v < 0) {
		terra_money_format(v, out);
		return strlen(out);
	}
	whole = (uint64_t)v / TERRA_UNITS_PER_TERRA;
	frac = (uint32_t)((uint64_t)v % TERRA_UNITS_PER_TERRA);
	for (w = whole; w >= 10; w /= 10)
		len++;
	p = out + len;
	*p = '\0';
	for (i = 0; i < 4; i++, frac /= 100) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * (frac % 100), 2);
	}
	*--p = (char)('0' + frac);
	*--p = '.';
	for (; whole >= 100; whole /= 100) {
		p -= 2;
		memcpy(p, digit_pairs + 2 * (whole % 100), 2);
	}
	if (whole >= 10)
		memcpy(p - 2, digit_pairs + 2 * whole, 2);
	else
		p[-1] = (char)('0' + whole);
	return len;
}

/* terra_settle_holder_leaf with the account's length known (at most TERRA_ACCOUNT_MAX). */
static void holder_leaf(const char *account, size_t alen, int64_t amount, uint8_t out[32])
{
	char buf[TERRA_ACCOUNT_MAX + TERRA_AMOUNT_MAX + 32];
	size_t len;

	memcpy(buf, "{\"account\":\"", 12);
	memcpy(buf + 12, account, alen);
	len = 12 + alen;
	memcpy(buf + len, "\",\"amount\":\"", 12);
	len += 12;
	len += fmt_amount(amount, buf + len);
	memcpy(buf + len, "\"}", 2);
	len += 2;
	terra_sha256_leaf(buf, len, out);
}

void terra_settle_holder_leaf(const char *account, int64_t amount, uint8_t out[32])
{
	size_t alen = strlen(account);

	holder_leaf(account, alen > TERRA_ACCOUNT_MAX ? TERRA_ACCOUNT_MAX : alen, amount, out);
}

/* An RFC 6962 tree's root in O(log n) memory, as lib/merkle.h's accumulator
 * computes it, with the fast hash: a million leaves is common here. */
struct hacc {
	uint8_t stack[64][32]; /* complete subtrees, largest first */
	uint64_t n;
};

static void hacc_push(struct hacc *a, const uint8_t leaf[32])
{
	uint8_t h[32];
	uint64_t n = a->n;
	int top = __builtin_popcountll(n);

	memcpy(h, leaf, 32);
	for (; n & 1; n >>= 1) {
		top--;
		terra_sha256_node(a->stack[top], h, h);
	}
	memcpy(a->stack[top], h, 32);
	a->n++;
}

static void hacc_root(const struct hacc *a, uint8_t out[32])
{
	int top = __builtin_popcountll(a->n), i;
	uint8_t h[32];

	if (top == 0) {
		terra_sha256("", 0, out);
		return;
	}
	memcpy(h, a->stack[top - 1], 32);
	for (i = top - 2; i >= 0; i--)
		terra_sha256_node(a->stack[i], h, h);
	memcpy(out, h, 32);
}

/* The holders' part over the holders: c->hitems, htotal, hcount, hroot. */
static int holders_run(struct calc *c, int64_t part, int64_t *left, terra_err *e)
{
	struct hacc *acc = NULL;
	uint8_t leaf[32];
	size_t i;

	for (i = 0; i < c->hs->n; i++)
		c->hitems[i] =
		    (terra_split_item){terra_holders_account(c->hs, i), c->hs->v[i].balance, 0};
	if (terra_split_run(part, c->hitems, c->hs->n, left, e) < 0)
		return -1;
	if (c->want_root) {
		acc = malloc(sizeof *acc);
		if (!acc)
			return terra_err_sys(e, "settle: holders tree");
		acc->n = 0;
	}
	c->htotal = 0;
	c->hcount = 0;
	for (i = 0; i < c->hs->n; i++) {
		if (c->hitems[i].amount <= 0)
			continue;
		c->htotal += c->hitems[i].amount; /* each <= part: no overflow */
		c->hcount++;
		if (acc) {
			holder_leaf(c->hitems[i].id, terra_holders_account_len(c->hs, i),
			            c->hitems[i].amount, leaf);
			hacc_push(acc, leaf);
		}
	}
	if (acc) {
		hacc_root(acc, c->hroot);
		free(acc);
	}
	return 0;
}

/* The DESIGN 6 algorithm: fills pool, carry_out and the postings. */
static int compute(struct calc *c, terra_err *e)
{
	terra_split_item groups[3], *items = NULL;
	size_t *order = NULL, i, nitems = c->nunits > c->hs->n ? c->nunits : c->hs->n;
	int64_t left_c, left_h, left_g, carry = 0;
	int rc = -1;

	free(c->post);
	c->post = NULL;
	c->npost = 0;
	if (terra_money_add(c->revenue, c->carry_in, &c->pool, e) < 0) {
		terra_err_wrap(e, "pool = revenue + carry");
		goto out;
	}
	groups[0] = (terra_split_item){group_ids[0], c->policy.contributors, 0};
	groups[1] = (terra_split_item){group_ids[1], c->policy.holders, 0};
	groups[2] = (terra_split_item){group_ids[2], c->policy.treasury, 0};
	if (terra_split_run(c->pool, groups, 3, &left_g, e) < 0)
		goto out;
	items = malloc((nitems ? nitems : 1) * sizeof *items);
	order = malloc((c->nunits ? c->nunits : 1) * sizeof *order);
	/* revenue, carry_in, one per owner at most, holders, treasury, carry */
	c->post = malloc((c->nunits + 5) * sizeof *c->post);
	free(c->hitems);
	c->hitems = malloc((c->hs->n ? c->hs->n : 1) * sizeof *c->hitems);
	if (!items || !order || !c->post || !c->hitems) {
		terra_err_sys(e, "settle: %zu units, %zu holders", c->nunits, c->hs->n);
		goto out;
	}
	add_posting(c, "revenue", "source", -c->revenue);
	if (c->carry_in > 0)
		add_posting(c, "carry", "carry_in", -c->carry_in);

	for (i = 0; i < c->nunits; i++)
		items[i] = (terra_split_item){c->units[i].unit, c->units[i].weight, 0};
	if (terra_split_run(groups[0].amount, items, c->nunits, &left_c, e) < 0)
		goto out;
	for (i = 0; i < c->nunits; i++)
		order[i] = i;
	owner_sort_units = c->units;
	qsort(order, c->nunits, sizeof *order, owner_cmp);
	for (i = 0; i < c->nunits;) {
		const char *owner = c->units[order[i]].owner;
		int64_t sum = 0;

		/* each part <= the contributors' part, so the sums cannot overflow */
		for (; i < c->nunits && !strcmp(c->units[order[i]].owner, owner); i++)
			sum += items[order[i]].amount;
		if (sum > 0)
			add_posting(c, owner, "contributor", sum);
	}

	if (holders_run(c, groups[1].amount, &left_h, e) < 0)
		goto out;
	if (c->htotal > 0)
		add_posting(c, "holders", "holders", c->htotal);

	if (groups[2].amount > 0)
		add_posting(c, "treasury", "treasury", groups[2].amount);
	carry = left_c + left_h; /* <= pool */
	if (carry > 0)
		add_posting(c, "carry", "carry", carry);
	c->carry_out = carry;
	rc = 0;
out:
	free(order);
	free(items);
	return rc;
}

/* ---- digests -------------------------------------------------------------- */

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int terra_settle_meter_digest(const json_t *const *meters, size_t n, uint8_t out[32], terra_err *e)
{
	char **canon = calloc(n ? n : 1, sizeof *canon), *all = NULL;
	size_t i, len, total = 0, used = 0;
	int rc = -1;

	if (!canon)
		return terra_err_sys(e, "meter digest");
	for (i = 0; i < n; i++) {
		if (terra_rec_canonical(meters[i], &canon[i], &len, e) < 0)
			goto out;
		total += len + 1;
	}
	qsort(canon, n, sizeof *canon, str_ptr_cmp);
	/* one buffer for the one-shot (accelerated) hash */
	all = malloc(total ? total : 1);
	if (!all) {
		terra_err_sys(e, "meter digest");
		goto out;
	}
	for (i = 0; i < n; i++) {
		len = strlen(canon[i]);
		memcpy(all + used, canon[i], len);
		used += len;
		all[used++] = '\n';
	}
	terra_sha256(all, used, out);
	rc = 0;
out:
	free(all);
	for (i = 0; i < n; i++)
		free(canon[i]);
	free(canon);
	return rc;
}

static int inputs_digest(const char *period, int64_t revenue, const terra_settle_policy *p,
                         const char *meter_hex, const char *holders_hex, char out[HEX_HASH],
                         terra_err *e)
{
	char amount[TERRA_AMOUNT_MAX], *canon = NULL;
	uint8_t h[32];
	size_t len;
	json_t *o;
	int rc = -1;

	terra_money_format(revenue, amount);
	o = json_pack("{s:s,s:s,s:s,s:o,s:s}", "holders", holders_hex, "meter", meter_hex, "period",
	              period, "policy", policy_json(p), "revenue", amount);
	if (!o)
		return terra_err_sys(e, "inputs digest");
	if (terra_rec_canonical(o, &canon, &len, e) < 0)
		goto out;
	crypto_hash_sha256((unsigned char *)h, (const unsigned char *)canon, len);
	terra_hex(h, sizeof h, out);
	rc = 0;
out:
	free(canon);
	json_decref(o);
	return rc;
}

/* SHA-256 over the unit inputs sorted by unit: unit, 0x00, owner, 0x00, weight digits, '\n'. */
static int units_digest(const struct unit_in *u, size_t n, char out[HEX_HASH], terra_err *e)
{
	char *all = malloc((n ? n : 1) * (TERRA_UNIT_ID_HEX + TERRA_PK_HEX + 24));
	size_t i, used = 0, len;
	uint8_t h[32];

	if (!all)
		return terra_err_sys(e, "unit inputs digest");
	for (i = 0; i < n; i++) {
		len = strlen(u[i].unit) + 1;
		memcpy(all + used, u[i].unit, len);
		used += len;
		len = strlen(u[i].owner) + 1;
		memcpy(all + used, u[i].owner, len);
		used += len;
		used += (size_t)snprintf(all + used, 24, "%lld\n", (long long)u[i].weight);
	}
	terra_sha256(all, used, h);
	free(all);
	terra_hex(h, sizeof h, out);
	return 0;
}

/* ---- the payload ---------------------------------------------------------- */

static json_t *amount_json(int64_t v)
{
	char s[TERRA_AMOUNT_MAX];

	terra_money_format(v, s);
	return json_string_nocheck(s);
}

/* Steals v, as json_object_set_new does; a NULL o or v (out of memory) fails. */
static int set(json_t *o, const char *key, json_t *v)
{
	if (!o || !v) {
		json_decref(v);
		return -1;
	}
	return json_object_set_new_nocheck(o, key, v);
}

static json_t *build_payload(const terra_settle *s)
{
	const struct calc *c = &s->calc;
	char mhex[HEX_HASH], hhex[HEX_HASH], rhex[HEX_HASH], uhex[HEX_HASH];
	json_t *p = json_object(), *inputs = json_object(), *postings = json_array(), *role = NULL;
	json_t *holders = json_object();
	const char *role_name = NULL;
	size_t i;

	/* p owns the other three from here on, even when a later step fails */
	if (set(p, "inputs", inputs) || set(p, "postings", postings) || set(p, "holders", holders))
		goto fail;
	terra_hex(c->hroot, 32, rhex);
	if (set(holders, "count", json_integer((json_int_t)c->hcount)) ||
	    set(holders, "total", amount_json(c->htotal)) ||
	    set(holders, "root", json_string_nocheck(rhex)))
		goto fail;
	terra_hex(s->meter_digest, 32, mhex);
	terra_hex(s->holders_digest, 32, hhex);
	if (units_digest(c->units, c->nunits, uhex, NULL) < 0)
		goto fail;
	if (set(inputs, "meter", json_string_nocheck(mhex)) ||
	    set(inputs, "unit_rows", json_string_nocheck(uhex)) ||
	    set(inputs, "holders", json_string_nocheck(hhex)) ||
	    set(inputs, "units", json_integer((json_int_t)c->nunits)) ||
	    set(inputs, "holders_count", json_integer((json_int_t)c->hs->n)))
		goto fail;
	for (i = 0; i < c->npost; i++) {
		json_t *o = json_object();

		/* postings of one role are consecutive: they share its (immutable) string */
		if (!role || c->post[i].role != role_name) {
			json_decref(role);
			role_name = c->post[i].role;
			role = json_string_nocheck(role_name);
		}
		if (json_array_append_new(postings, o) ||
		    set(o, "account", json_string_nocheck(c->post[i].account)) ||
		    set(o, "role", json_incref(role)) ||
		    set(o, "amount", amount_json(c->post[i].amount)))
			goto fail;
	}
	json_decref(role);
	role = NULL;
	if (set(p, "period", json_string_nocheck(s->period)) ||
	    set(p, "revenue", amount_json(c->revenue)) ||
	    set(p, "carry_in", amount_json(c->carry_in)) || set(p, "pool", amount_json(c->pool)) ||
	    set(p, "carry_out", amount_json(c->carry_out)) ||
	    set(p, "policy", policy_json(&c->policy)) ||
	    set(p, "inputs_digest", json_string_nocheck(s->inputs_digest)))
		goto fail;
	return p;
fail:
	json_decref(role);
	json_decref(p);
	return NULL;
}

/* ---- settling --------------------------------------------------------------- */

/* Test hook (see settle.h): die here, as kill -9 would. */
static void crash_point(const char *where)
{
	const char *at = getenv("TERRA_CRASH_AT");

	if (at && !strcmp(at, where))
		kill(getpid(), SIGKILL);
}

static int stored_settlement(sqlite3 *db, const char *period, char digest[HEX_HASH], int64_t *seq,
                             json_t **payload, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	json_error_t jerr;
	int rc = -1, step;

	*payload = NULL;
	if (terra_db_prepare(db,
	                     "SELECT s.inputs_digest, s.entry_seq, e.payload FROM settlements s"
	                     " JOIN entries e ON e.seq = s.entry_seq WHERE s.period = ?",
	                     &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		rc = 0;
		goto out;
	}
	if (step != SQLITE_ROW) {
		terra_db_err(db, e, "read settlements");
		goto out;
	}
	snprintf(digest, HEX_HASH, "%s", (const char *)sqlite3_column_text(st, 0));
	*seq = sqlite3_column_int64(st, 1);
	*payload = json_loadb((const char *)sqlite3_column_blob(st, 2),
	                      (size_t)sqlite3_column_bytes(st, 2), 0, &jerr);
	if (!*payload) {
		terra_err_set(e, TERRA_E_VERIFY, "entry %lld: settlement payload: %s",
		              (long long)*seq, jerr.text);
		goto out;
	}
	rc = 1;
out:
	sqlite3_finalize(st);
	return rc;
}

/* The carry balance: carry_out of the latest settlement, 0 when none. */
static int carry_balance(sqlite3 *db, int64_t *carry, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int rc = -1, step;
	terra_err sub = {0};

	*carry = 0;
	if (terra_db_prepare(db,
	                     "SELECT s.entry_seq, json_extract(e.payload, '$.carry_out')"
	                     " FROM settlements s JOIN entries e ON e.seq = s.entry_seq"
	                     " ORDER BY s.entry_seq DESC LIMIT 1",
	                     &st, e) < 0)
		return -1;
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 1);

		if (!v || terra_money_parse(v, 1, carry, &sub) < 0 || *carry < 0) {
			terra_err_set(e, TERRA_E_VERIFY, "entry %lld: settlement carry_out: %s",
			              (long long)sqlite3_column_int64(st, 0),
			              v ? sub.msg : "missing");
			goto out;
		}
	} else if (step != SQLITE_DONE) {
		terra_db_err(db, e, "read carry balance");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

/* Writes body into the (zero-filled, as long) body of the snapshots row rowid. */
static int snapshot_write(sqlite3 *db, sqlite3_int64 rowid, const char *body, size_t len,
                          terra_err *e)
{
	sqlite3_blob *blob = NULL;
	int rc = -1;

	/* SQLite holds no blob this long (SQLITE_MAX_LENGTH): the row was refused before */
	if (len > INT_MAX)
		return terra_err_set(e, TERRA_E_INPUT, "holders snapshot: %zu bytes", len);
	if (sqlite3_blob_open(db, "main", "snapshots", "body", rowid, 1, &blob) != SQLITE_OK ||
	    sqlite3_blob_write(blob, body, (int)len, 0) != SQLITE_OK) {
		terra_db_err(db, e, "record holders snapshot");
		goto out;
	}
	rc = 0;
out:
	sqlite3_blob_close(blob);
	return rc;
}

static int insert_inputs(sqlite3 *db, const terra_settle *s, terra_err *e)
{
	char hhex[HEX_HASH];

	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = -1;

	if (terra_db_prepare(db,
	                     "INSERT INTO settlements(period, inputs_digest, entry_seq)"
	                     " VALUES (?, ?, ?)",
	                     &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, s->period, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->inputs_digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, s->entry_seq);
	terra_hex(s->holders_digest, 32, hhex);
	if (sqlite3_step(st) != SQLITE_DONE) {
		terra_db_err(db, e, "record settlement");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	/*
	 * The snapshot, once per digest: the same snapshot may serve several
	 * periods. The row is made with room for the body, which is then
	 * written into its pages: bound as a value, SQLite would first copy
	 * the tens of megabytes into a record of its own.
	 */
	if (terra_db_prepare(db, "INSERT OR IGNORE INTO snapshots(digest, body) VALUES (?, ?)", &st,
	                     e) < 0)
		goto out;
	sqlite3_bind_text(st, 1, hhex, -1, SQLITE_STATIC);
	sqlite3_bind_zeroblob64(st, 2, s->snaplen);
	if (sqlite3_step(st) != SQLITE_DONE) {
		terra_db_err(db, e, "record holders snapshot");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_changes(db) > 0 && s->snaplen &&
	    snapshot_write(db, sqlite3_last_insert_rowid(db), s->snap, s->snaplen, e) < 0)
		goto out;
	crash_point("mid-insert");
	if (terra_db_prepare(db,
	                     "INSERT INTO settlement_inputs(period, role, id, owner, weight)"
	                     " VALUES (?1, 'unit', ?2, ?3, ?4)",
	                     &st, e) < 0)
		goto out;
	sqlite3_bind_text(st, 1, s->period, -1, SQLITE_STATIC);
	for (i = 0; i < s->nunits; i++) {
		sqlite3_bind_text(st, 2, s->units[i].unit, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, s->units[i].owner, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, s->units[i].weight);
		if (sqlite3_step(st) != SQLITE_DONE) {
			terra_db_err(db, e, "record settlement inputs");
			goto out;
		}
		sqlite3_reset(st);
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

static int meters_digest(terra_settle *s, terra_err *e)
{
	const json_t **v = malloc((s->nunits ? s->nunits : 1) * sizeof *v);
	size_t i;
	int rc;

	if (!v)
		return terra_err_sys(e, "meter digest");
	for (i = 0; i < s->nunits; i++)
		v[i] = json_array_get(s->meters, i);
	rc = terra_settle_meter_digest(v, s->nunits, s->meter_digest, e);
	free(v);
	return rc;
}

/* Everything that does not need the database: the digests and the checks. */
static int prepare(terra_settle *s, terra_err *e)
{
	char mhex[HEX_HASH], hhex[HEX_HASH];

	if (!s->has_period)
		return terra_err_set(e, TERRA_E_INPUT, "no meter records: give the period with -p");
	if (!s->has_revenue) {
		if (s->uncharged)
			return terra_err_set(e, TERRA_E_INPUT,
			                     "%zu meter records have no charge: give --revenue, or "
			                     "meter with --price",
			                     s->uncharged);
		if (s->nunits == 0)
			return terra_err_set(
			    e, TERRA_E_INPUT,
			    "no revenue: give --revenue, or meter records with charges");
		s->revenue = s->charges;
	}
	if (units_sort(s->units, s->nunits, e) < 0)
		return -1;
	if (meters_digest(s, e) < 0)
		return -1;
	if (terra_holders_body(&s->hs, &s->snap, &s->snaplen, e) < 0)
		return -1;
	terra_sha256(s->snap, s->snaplen, s->holders_digest);
	terra_hex(s->meter_digest, 32, mhex);
	terra_hex(s->holders_digest, 32, hhex);
	return inputs_digest(s->period, s->revenue, &s->policy, mhex, hhex, s->inputs_digest, e);
}

int terra_settle_run(terra_home *h, terra_settle *s, terra_err *e)
{
	sqlite3 *db = h->db;
	char digest[HEX_HASH];
	json_t *payload = NULL;
	int rc = -1, found, began = 0;

	if (prepare(s, e) < 0)
		return -1;
	/* Room for the whole transaction in memory, rather than spilling pages mid-way. */
	if (terra_db_exec(db, "PRAGMA cache_size = -524288", e) < 0)
		return -1;
	if (terra_db_begin(db, e) < 0)
		return -1;
	began = 1;
	crash_point("after-begin");
	found = stored_settlement(db, s->period, digest, &s->entry_seq, &payload, e);
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
		    compute(&s->calc, e) < 0) {
			terra_err_wrap(e, "entry %lld: stored settlement", (long long)s->entry_seq);
			goto out;
		}
		rc = 1;
		goto out;
	}
	if (terra_limit_revenue(db, s->revenue, e) < 0)
		goto out;
	if (carry_balance(db, &s->calc.carry_in, e) < 0 || compute(&s->calc, e) < 0)
		goto out;
	payload = build_payload(s);
	if (!payload) {
		terra_err_sys(e, "settlement payload");
		goto out;
	}
	if (terra_ledger_append(h, "settlement", payload, &s->entry_seq, e) < 0 ||
	    insert_inputs(db, s, e) < 0)
		goto out;
	crash_point("before-commit");
	if (terra_db_commit(db, e) < 0)
		goto out;
	began = 0;
	rc = 0;
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

/* Accounts and roles written without escaping must need none. */
static int plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == '"' || *s == '\\' ||
		    (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* Appends n bytes of s at p; the end. */
static char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define put_lit(p, lit) put((p), (lit), sizeof(lit) - 1)

/*
 * Payout lines are built in one buffer that goes out in large writes: a
 * million of them is common. Every line ends with the same bytes but for
 * the role, made once.
 */
#define PAYOUT_LINE_MAX 512 /* account, amount, role and tail, with room to spare */
#define PAYOUT_BUF      (1 << 20)

struct payout_out {
	FILE *f;
	char *buf;
	size_t used;
	char tail[160]; /* ","entry":SEQ,"period":"P","role":" */
	size_t tail_len;
};

static int payout_flush(struct payout_out *o, terra_err *e)
{
	if (o->used && fwrite(o->buf, 1, o->used, o->f) != o->used)
		return terra_err_sys(e, "write");
	o->used = 0;
	return 0;
}

/* One payout line, in the canonical key order. */
static int payout_line(struct payout_out *o, const char *account, size_t alen, const char *role,
                       size_t rlen, int64_t amount, terra_err *e)
{
	char *q;

	if (PAYOUT_BUF - o->used < PAYOUT_LINE_MAX && payout_flush(o, e) < 0)
		return -1;
	q = o->buf + o->used;
	q = put_lit(q, "{\"account\":\"");
	q = put(q, account, alen);
	q = put_lit(q, "\",\"amount\":\"");
	q += fmt_amount(amount, q);
	q = put(q, o->tail, o->tail_len);
	q = put(q, role, rlen);
	q = put_lit(q, "\",\"type\":\"payout\",\"v\":1}\n");
	o->used = (size_t)(q - o->buf);
	return 0;
}

int terra_settle_write_payouts(FILE *f, const terra_settle *s, terra_err *e)
{
	const struct calc *c = &s->calc;
	struct payout_out o = {f, NULL, 0, "", 0};
	size_t i, j;
	int rc = -1, n;

	if (!plain(s->period) || strlen(s->period) >= PERIOD_MAX)
		return terra_err_set(e, TERRA_E_VERIFY, "settlement: bad period");
	n = snprintf(o.tail, sizeof o.tail, "\",\"entry\":%lld,\"period\":\"%s\",\"role\":\"",
	             (long long)s->entry_seq, s->period);
	if (n < 0 || (size_t)n >= sizeof o.tail)
		return terra_err_set(e, TERRA_E_VERIFY, "settlement: bad period");
	o.tail_len = (size_t)n;
	o.buf = malloc(PAYOUT_BUF);
	if (!o.buf)
		return terra_err_sys(e, "payouts");
	for (i = 0; i < c->npost; i++) {
		const struct posting *p = &c->post[i];

		if (p->amount <= 0)
			continue;
		if (!strcmp(p->role, "holders")) {
			/* holder accounts passed terra_account_check: nothing to escape */
			for (j = 0; j < c->hs->n; j++)
				if (c->hitems[j].amount > 0 &&
				    payout_line(&o, c->hitems[j].id,
				                terra_holders_account_len(c->hs, j), "holder", 6,
				                c->hitems[j].amount, e) < 0)
					goto out;
			continue;
		}
		if (!plain(p->account) || !plain(p->role) ||
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

/* ---- verification ------------------------------------------------------------ */

int terra_settle_inputs_load(sqlite3 *db, const char *period, json_t **inputs, terra_err *e)
{
	sqlite3_stmt *st = NULL;
	json_t *rows = json_array(), *jrole = NULL;
	int rc = -1, step;

	*inputs = NULL;
	if (!rows)
		return terra_err_sys(e, "settlement inputs");
	if (terra_db_prepare(db,
	                     "SELECT role, id, owner, weight FROM settlement_inputs"
	                     " WHERE period = ? ORDER BY role, id",
	                     &st, e) < 0)
		goto out;
	sqlite3_bind_text(st, 1, period, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *role = (const char *)sqlite3_column_text(st, 0);
		const char *id = (const char *)sqlite3_column_text(st, 1);
		const char *owner = (const char *)sqlite3_column_text(st, 2);
		json_t *row = json_array();

		/* rows come by role: they share its string */
		if (!jrole || strcmp(json_string_value(jrole), role ? role : "")) {
			json_decref(jrole);
			jrole = json_string(role ? role : "");
		}
		/* json_pack would parse its format a million times over */
		if (!row || json_array_append_new(rows, row) < 0 ||
		    json_array_append_new(row, json_incref(jrole)) < 0 ||
		    json_array_append_new(row, json_string(id ? id : "")) < 0 ||
		    json_array_append_new(row, owner ? json_string(owner) : json_null()) < 0 ||
		    json_array_append_new(row, json_integer(sqlite3_column_int64(st, 3))) < 0) {
			terra_err_sys(e, "settlement inputs");
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		terra_db_err(db, e, "read settlement inputs");
		goto out;
	}
	*inputs = rows;
	rows = NULL;
	rc = 0;
out:
	sqlite3_finalize(st);
	json_decref(jrole);
	json_decref(rows);
	return rc;
}

/* The inputs rows into units and holders, checked as settling checks them. */
static int inputs_parse(const json_t *inputs, struct unit_in **units, size_t *nunits,
                        terra_err *e)
{
	size_t i, n = json_array_size(inputs), nu = 0;
	struct unit_in *u = calloc(n ? n : 1, sizeof *u);

	*units = u;
	*nunits = 0;
	if (!u)
		return terra_err_sys(e, "settlement inputs");
	if (!json_is_array(inputs))
		return terra_err_set(e, TERRA_E_VERIFY, "settlement inputs: not an array");
	for (i = 0; i < n; i++) {
		const json_t *row = json_array_get(inputs, i);
		const char *role = json_string_value(json_array_get(row, 0));
		const char *id = json_string_value(json_array_get(row, 1));
		const char *owner = json_string_value(json_array_get(row, 2));
		const json_t *w = json_array_get(row, 3);
		int64_t weight = json_is_integer(w) ? (int64_t)json_integer_value(w) : -1;

		if (!role || !id || weight < 0)
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "settlement inputs: row %zu: malformed", i + 1);
		if (!strcmp(role, "unit")) {
			if (!owner || strlen(id) != TERRA_UNIT_ID_HEX - 1 ||
			    strlen(owner) != TERRA_PK_HEX - 1)
				return terra_err_set(e, TERRA_E_VERIFY,
				                     "settlement inputs: row %zu: malformed unit",
				                     i + 1);
			memcpy(u[nu].unit, id, TERRA_UNIT_ID_HEX);
			memcpy(u[nu].owner, owner, TERRA_PK_HEX);
			u[nu].weight = weight;
			nu++;
		} else {
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "settlement inputs: row %zu: unknown role '%s'", i + 1,
			                     role);
		}
	}
	*nunits = nu;
	if (units_sort(u, nu, e) < 0) {
		e->kind = TERRA_E_VERIFY;
		return -1;
	}
	return 0;
}

static int payload_amount(const json_t *payload, const char *field, int64_t *v, terra_err *e)
{
	if (terra_rec_amount(payload, field, v, e) < 0) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "settlement");
	}
	return 0;
}

static int compare_postings(const json_t *payload, const struct calc *c, terra_err *e)
{
	const json_t *postings = json_object_get(payload, "postings");
	size_t i, n = json_array_size(postings);

	if (!json_is_array(postings))
		return terra_err_set(e, TERRA_E_VERIFY, "settlement: postings: not an array");
	for (i = 0; i < n || i < c->npost; i++) {
		const json_t *o = json_array_get(postings, i);
		const char *acct = json_string_value(json_object_get(o, "account"));
		const char *role = json_string_value(json_object_get(o, "role"));
		const char *amt = json_string_value(json_object_get(o, "amount"));
		char want[TERRA_AMOUNT_MAX];

		if (i >= n)
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "settlement: posting %zu missing: want %s %s", i + 1,
			                     c->post[i].role, c->post[i].account);
		if (i >= c->npost)
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "settlement: posting %zu: not in the recomputation",
			                     i + 1);
		terra_money_format(c->post[i].amount, want);
		if (!acct || !role || !amt || json_object_size(o) != 3 ||
		    strcmp(acct, c->post[i].account) || strcmp(role, c->post[i].role) ||
		    strcmp(amt, want))
			return terra_err_set(
			    e, TERRA_E_VERIFY,
			    "settlement: posting %zu: recorded %s %s %s, recomputed "
			    "%s %s %s",
			    i + 1, role ? role : "?", acct ? acct : "?", amt ? amt : "?",
			    c->post[i].role, c->post[i].account, want);
	}
	return 0;
}

/* The payload's "holders" object against the recomputation. */
static int compare_holders(const json_t *payload, const struct calc *c, terra_err *e)
{
	const json_t *h = json_object_get(payload, "holders");
	const char *root = json_string_value(json_object_get(h, "root"));
	const char *total = json_string_value(json_object_get(h, "total"));
	const json_t *count = json_object_get(h, "count");
	char want_root[HEX_HASH], want_total[TERRA_AMOUNT_MAX];

	terra_hex(c->hroot, 32, want_root);
	terra_money_format(c->htotal, want_total);
	if (!json_is_object(h) || json_object_size(h) != 3 || !root || !total ||
	    !json_is_integer(count))
		return terra_err_set(e, TERRA_E_VERIFY, "settlement: holders: malformed");
	if ((int64_t)json_integer_value(count) != (int64_t)c->hcount)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "settlement: holders: count %lld, recomputed %zu",
		                     (long long)json_integer_value(count), c->hcount);
	if (strcmp(total, want_total))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "settlement: holders: total %s, recomputed %s", total,
		                     want_total);
	if (strcmp(root, want_root))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "settlement: holders: root %s, recomputed %s", root, want_root);
	return 0;
}

/* The snapshot body checked against the payload's holders digest, read into hs. */
static int snapshot_parse(const json_t *payload, const void *snap, size_t len, terra_holders *hs,
                          terra_err *e)
{
	const char *hhex = json_string_value(json_object_get(json_object_get(payload, "inputs"),
	                                                     "holders"));
	char got[HEX_HASH];
	uint8_t hd[32];

	terra_sha256(snap ? snap : "", len, hd);
	terra_hex(hd, sizeof hd, got);
	if (!hhex || strcmp(hhex, got))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "settlement: holders digest %s, the stored snapshot hashes to %s",
		                     hhex ? hhex : "(none)", got);
	if (terra_holders_from_body(hs, snap, len, e) < 0) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "settlement: holders");
	}
	return 0;
}

int terra_settle_snapshot_load(sqlite3 *db, const char *digest, void **body, size_t *len,
                               terra_err *e)
{
	sqlite3_stmt *st = NULL;
	int rc = -1, step;

	*body = NULL;
	*len = 0;
	if (terra_db_prepare(db, "SELECT body FROM snapshots WHERE digest = ?", &st, e) < 0)
		return -1;
	sqlite3_bind_text(st, 1, digest ? digest : "", -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		terra_err_set(e, TERRA_E_NOTFOUND, "holders snapshot %.16s...: missing",
		              digest ? digest : "");
		goto out;
	}
	if (step != SQLITE_ROW) {
		terra_db_err(db, e, "read holders snapshot");
		goto out;
	}
	*len = (size_t)sqlite3_column_bytes(st, 0);
	*body = malloc(*len ? *len : 1);
	if (!*body) {
		terra_err_sys(e, "holders snapshot: %zu bytes", *len);
		goto out;
	}
	if (*len)
		memcpy(*body, sqlite3_column_blob(st, 0), *len);
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

/* The holders' split of a settlement entry, from its payload and snapshot alone. */
static int holders_of(const json_t *payload, const void *snap, size_t len, terra_holders *hs,
                      struct calc *c, int want_root, terra_err *e)
{
	terra_split_item groups[3];
	int64_t left, left_g, total;

	memset(c, 0, sizeof *c);
	if (payload_amount(payload, "pool", &c->pool, e) < 0)
		return -1;
	if (policy_from_json(json_object_get(payload, "policy"), &c->policy, 0, e) < 0) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "settlement");
	}
	if (terra_rec_amount(json_object_get(payload, "holders"), "total", &total, e) < 0) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "settlement: holders");
	}
	if (snapshot_parse(payload, snap, len, hs, e) < 0)
		return -1;
	groups[0] = (terra_split_item){group_ids[0], c->policy.contributors, 0};
	groups[1] = (terra_split_item){group_ids[1], c->policy.holders, 0};
	groups[2] = (terra_split_item){group_ids[2], c->policy.treasury, 0};
	if (c->pool < 0 || terra_split_run(c->pool, groups, 3, &left_g, e) < 0) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "settlement");
	}
	c->hs = hs;
	c->want_root = want_root;
	c->hitems = malloc((hs->n ? hs->n : 1) * sizeof *c->hitems);
	if (!c->hitems)
		return terra_err_sys(e, "settlement: %zu holders", hs->n);
	if (holders_run(c, groups[1].amount, &left, e) < 0)
		return -1;
	if (c->htotal != total)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "settlement: holders: total does not match the snapshot");
	return 0;
}

int terra_settle_holders_each(const json_t *payload, const void *snap, size_t len,
                              terra_settle_holder_fn fn, void *ctx, terra_err *e)
{
	terra_holders hs;
	struct calc c;
	size_t i;
	int rc = -1;

	terra_holders_init(&hs);
	if (holders_of(payload, snap, len, &hs, &c, 0, e) < 0)
		goto out;
	for (i = 0; i < hs.n; i++)
		if (c.hitems[i].amount > 0 && fn(ctx, c.hitems[i].id, c.hitems[i].amount, e) < 0)
			goto out;
	rc = 0;
out:
	free(c.hitems);
	terra_holders_free(&hs);
	return rc;
}

int terra_settle_holder_proof(const json_t *payload, const void *snap, size_t len,
                              const char *account, int64_t *amount, uint64_t *index,
                              uint64_t *count, uint8_t (*path)[32], size_t *pathlen, terra_err *e)
{
	uint8_t(*leaves)[32] = NULL;
	terra_holders hs;
	struct calc c;
	size_t i, n = 0, at = SIZE_MAX;
	int rc = -1;

	terra_holders_init(&hs);
	if (holders_of(payload, snap, len, &hs, &c, 0, e) < 0)
		goto out;
	leaves = malloc((c.hcount ? c.hcount : 1) * sizeof *leaves);
	if (!leaves) {
		terra_err_sys(e, "settlement: holders tree");
		goto out;
	}
	for (i = 0; i < hs.n; i++) {
		if (c.hitems[i].amount <= 0)
			continue;
		if (!strcmp(c.hitems[i].id, account)) {
			at = n;
			*amount = c.hitems[i].amount;
		}
		terra_settle_holder_leaf(c.hitems[i].id, c.hitems[i].amount, leaves[n++]);
	}
	if (at == SIZE_MAX) {
		terra_err_set(e, TERRA_E_NOTFOUND, "'%s' is not paid as a holder", account);
		goto out;
	}
	if (terra_merkle_inclusion((const uint8_t(*)[32])leaves, n, at, path, pathlen, e) < 0)
		goto out;
	*index = at;
	*count = n;
	rc = 0;
out:
	free(leaves);
	free(c.hitems);
	terra_holders_free(&hs);
	return rc;
}

int terra_settle_check(const json_t *payload, const json_t *inputs, const void *snap, size_t len,
                       terra_err *e)
{
	struct calc c;
	terra_holders hs;
	struct unit_in *units = NULL;
	const char *period, *rec_digest, *mhex, *hhex, *uhex;
	const json_t *in;
	char digest[HEX_HASH], want[TERRA_AMOUNT_MAX], uwant[HEX_HASH];
	int64_t pool, carry_out, n_units, n_holders;
	int rc = -1;

	memset(&c, 0, sizeof c);
	terra_holders_init(&hs);
	in = json_object_get(payload, "inputs");
	if (terra_rec_str(payload, "period", &period, e) ||
	    terra_rec_str(payload, "inputs_digest", &rec_digest, e) ||
	    terra_rec_str(in, "meter", &mhex, e) || terra_rec_str(in, "holders", &hhex, e) ||
	    terra_rec_str(in, "unit_rows", &uhex, e) ||
	    terra_rec_int(in, "units", &n_units, e) ||
	    terra_rec_int(in, "holders_count", &n_holders, e)) {
		e->kind = TERRA_E_VERIFY;
		terra_err_wrap(e, "settlement");
		goto out;
	}
	if (payload_amount(payload, "revenue", &c.revenue, e) ||
	    payload_amount(payload, "carry_in", &c.carry_in, e) ||
	    payload_amount(payload, "pool", &pool, e) ||
	    payload_amount(payload, "carry_out", &carry_out, e))
		goto out;
	if (policy_from_json(json_object_get(payload, "policy"), &c.policy, 0, e) < 0) {
		e->kind = TERRA_E_VERIFY;
		terra_err_wrap(e, "settlement");
		goto out;
	}
	if (c.revenue < 0 || c.carry_in < 0) {
		terra_err_set(e, TERRA_E_VERIFY, "settlement: negative revenue or carry_in");
		goto out;
	}
	if (inputs_parse(inputs, &units, &c.nunits, e) < 0 ||
	    snapshot_parse(payload, snap, len, &hs, e) < 0)
		goto out;
	c.units = units;
	c.hs = &hs;
	if ((int64_t)c.nunits != n_units || (int64_t)hs.n != n_holders) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "settlement: inputs hold %zu units and %zu holders, entry says %lld "
		              "and %lld",
		              c.nunits, hs.n, (long long)n_units, (long long)n_holders);
		goto out;
	}
	if (units_digest(units, c.nunits, uwant, e) < 0)
		goto out;
	if (strcmp(uhex, uwant)) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "settlement: unit_rows digest %s, the recorded unit inputs give %s", uhex,
		              uwant);
		goto out;
	}
	if (inputs_digest(period, c.revenue, &c.policy, mhex, hhex, digest, e) < 0)
		goto out;
	if (strcmp(rec_digest, digest)) {
		terra_err_set(e, TERRA_E_VERIFY, "settlement: inputs_digest %s, recomputed %s",
		              rec_digest, digest);
		goto out;
	}
	c.want_root = 1;
	if (compute(&c, e) < 0) {
		e->kind = TERRA_E_VERIFY;
		terra_err_wrap(e, "settlement");
		goto out;
	}
	if (pool != c.pool) {
		terra_money_format(c.pool, want);
		terra_err_set(e, TERRA_E_VERIFY, "settlement: pool %s, revenue + carry_in is %s",
		              json_string_value(json_object_get(payload, "pool")), want);
		goto out;
	}
	if (carry_out != c.carry_out) {
		terra_money_format(c.carry_out, want);
		terra_err_set(e, TERRA_E_VERIFY, "settlement: carry_out %s, recomputed %s",
		              json_string_value(json_object_get(payload, "carry_out")), want);
		goto out;
	}
	if (compare_postings(payload, &c, e) < 0 || compare_holders(payload, &c, e) < 0)
		goto out;
	rc = 0;
out:
	free(c.post);
	free(c.hitems);
	free(units);
	terra_holders_free(&hs);
	return rc;
}
