#include "settlement.h"

#include "money.h"
#include "record.h"
#include "sha256.h"
#include "time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int terra_settle_policy_from_json(const json_t *o, terra_settle_policy *p, int strict_keys,
                                  terra_err *e)
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
	rc = terra_settle_policy_from_json(o, p, 1, e);
	json_decref(o);
	if (rc < 0)
		return terra_err_wrap(e, "%s", path);
	return 0;
}

json_t *terra_settle_policy_json(const terra_settle_policy *p)
{
	return json_pack("{s:I,s:I,s:I}", "contributors", (json_int_t)p->contributors, "holders",
	                 (json_int_t)p->holders, "treasury", (json_int_t)p->treasury);
}

/* ---- the computation ------------------------------------------------------ */

static int unit_cmp(const void *a, const void *b)
{
	const terra_settle_unit *x = a, *y = b;
	int c = strcmp(x->unit, y->unit);

	return c ? c : strcmp(x->owner, y->owner);
}

static const terra_settle_unit *owner_sort_units;

static int owner_cmp(const void *a, const void *b)
{
	const terra_settle_unit *ua = &owner_sort_units[*(const size_t *)a];
	const terra_settle_unit *ub = &owner_sort_units[*(const size_t *)b];
	int c = strcmp(ua->owner, ub->owner);

	return c ? c : strcmp(ua->unit, ub->unit);
}

int terra_settle_units_sort(terra_settle_unit *units, size_t n, terra_err *e)
{
	size_t i;

	if (n > 1)
		qsort(units, n, sizeof *units, unit_cmp);
	for (i = 1; i < n; i++)
		if (!unit_cmp(&units[i - 1], &units[i]))
			return terra_err_set(e, TERRA_E_INPUT,
			                     "unit %s of owner %s appears in two meter records",
			                     units[i].unit, units[i].owner);
	return 0;
}

int terra_settle_units_join(terra_settle_unit **units, size_t *n, const terra_settle_unit *more,
                            size_t nmore, terra_err *e)
{
	size_t i, k = 0, all = *n + nmore;
	terra_settle_unit *v = realloc(*units, (all ? all : 1) * sizeof *v);

	if (!v)
		return terra_err_sys(e, "settle: %zu units", all);
	*units = v;
	if (nmore)
		memcpy(v + *n, more, nmore * sizeof *v);
	if (all > 1)
		qsort(v, all, sizeof *v, unit_cmp);
	for (i = 0; i < all; i++) {
		if (k && !unit_cmp(&v[k - 1], &v[i])) {
			if (terra_money_add(v[k - 1].weight, v[i].weight, &v[k - 1].weight, e) < 0)
				return terra_err_wrap(e, "weight of unit %s", v[i].unit);
			continue;
		}
		v[k++] = v[i];
	}
	*n = k;
	return 0;
}

static void add_posting(terra_settle_calc *c, const char *account, const char *role, int64_t amount)
{
	c->post[c->npost].account = account;
	c->post[c->npost].role = role;
	c->post[c->npost].amount = amount;
	c->npost++;
}

/* The holder leaf's data {"account":A,"amount":X}, written without the
 * canonical writer: a million of these is common (tests/unit/settle.c
 * compares the bytes with terra_rec_canonical's). */
size_t terra_settle_holder_leaf_data(const char *account, size_t alen, int64_t amount, char *out)
{
	size_t len;

	memcpy(out, "{\"account\":\"", 12);
	memcpy(out + 12, account, alen);
	len = 12 + alen;
	memcpy(out + len, "\",\"amount\":\"", 12);
	len += 12;
	len += terra_money_format_len(amount, out + len);
	memcpy(out + len, "\"}", 2);
	return len + 2;
}

/* terra_settle_holder_leaf with the account's length known (at most TERRA_ACCOUNT_MAX). */
static void holder_leaf(const char *account, size_t alen, int64_t amount,
                        uint8_t out[TERRA_HASH_BYTES])
{
	char buf[TERRA_SETTLE_LEAF_MAX];

	terra_merkle_leaf(buf, terra_settle_holder_leaf_data(account, alen, amount, buf), out);
}

void terra_settle_holder_leaf(const char *account, int64_t amount, uint8_t out[TERRA_HASH_BYTES])
{
	size_t alen = strlen(account);

	holder_leaf(account, alen > TERRA_ACCOUNT_MAX ? TERRA_ACCOUNT_MAX : alen, amount, out);
}

/* The holders' part over the holders: c->hcut, htotal, hcount, hroot. */
int terra_settle_holders_split(terra_settle_calc *c, int64_t part, int64_t *left, terra_err *e)
{
	terra_merkle_acc *acc = NULL;
	uint8_t leaf[TERRA_HASH_BYTES];
	size_t i;

	/* in account order, distinct: no ids to compare, no copy of the balances */
	if (terra_split_ordered_cut(part, c->hs->n ? &c->hs->v[0].balance : NULL, sizeof *c->hs->v,
	                            c->hs->n, &c->hcut, left, e) < 0)
		return -1;
	if (c->want_root) {
		acc = malloc(sizeof *acc);
		if (!acc)
			return terra_err_sys(e, "settle: holders tree");
		terra_merkle_acc_init(acc);
	}
	c->htotal = 0;
	c->hcount = 0;
	for (i = 0; i < c->hs->n; i++) {
		int64_t amount = terra_settle_hamount(c, i);

		if (acc && i + TERRA_HOLDERS_AHEAD < c->hs->n)
			__builtin_prefetch(terra_holders_account(c->hs, i + TERRA_HOLDERS_AHEAD));
		if (amount <= 0)
			continue;
		c->htotal += amount; /* each <= part: no overflow */
		c->hcount++;
		if (acc) {
			holder_leaf(terra_holders_account(c->hs, i),
			            terra_holders_account_len(c->hs, i), amount, leaf);
			terra_merkle_acc_push(acc, leaf);
		}
	}
	if (acc) {
		terra_merkle_acc_root(acc, c->hroot);
		free(acc);
	}
	return 0;
}

int terra_settle_groups(int64_t pool, const terra_settle_policy *p, terra_split_item groups[3],
                        int64_t *left, terra_err *e)
{
	groups[0] = (terra_split_item){group_ids[0], p->contributors, 0};
	groups[1] = (terra_split_item){group_ids[1], p->holders, 0};
	groups[2] = (terra_split_item){group_ids[2], p->treasury, 0};
	return terra_split_run(pool, groups, 3, left, e);
}

void terra_settle_calc_free(terra_settle_calc *c)
{
	free(c->post);
	c->post = NULL;
}

/* The algorithm of settlement.h (terra-settle(1), The split): fills pool, carry_out and the
 * postings. */
int terra_settle_compute(terra_settle_calc *c, terra_err *e)
{
	terra_split_item groups[3], *items = NULL;
	char(*keys)[TERRA_UNIT_ID_HEX + TERRA_PK_HEX] = NULL;
	size_t *order = NULL, i;
	int64_t left_c, left_h, left_g, carry = 0;
	int rc = -1;

	free(c->post);
	c->post = NULL;
	c->npost = 0;
	if (terra_money_add(c->revenue, c->carry_in, &c->pool, e) < 0) {
		terra_err_wrap(e, "pool = revenue + carry");
		goto out;
	}
	if (terra_settle_groups(c->pool, &c->policy, groups, &left_g, e) < 0)
		goto out;
	items = malloc((c->nunits ? c->nunits : 1) * sizeof *items); /* the units only */
	order = malloc((c->nunits ? c->nunits : 1) * sizeof *order);
	/* revenue, carry_in, one per owner at most, holders, treasury, carry */
	c->post = malloc((c->nunits + 5) * sizeof *c->post);
	if (!items || !order || !c->post) {
		terra_err_sys(e, "settle: %zu units, %zu holders", c->nunits, c->hs->n);
		goto out;
	}
	add_posting(c, "revenue", "source", -c->revenue);
	if (c->carry_in > 0)
		add_posting(c, "carry", "carry_in", -c->carry_in);

	for (i = 0; i < c->nunits; i++)
		items[i] = (terra_split_item){c->units[i].unit, c->units[i].weight, 0};
	for (i = 1; i < c->nunits && strcmp(c->units[i - 1].unit, c->units[i].unit); i++)
		;
	if (i < c->nunits) {
		/* A unit that changed owner has a part per owner: each split item
		 * is then unit and owner, which orders as the unit alone before. */
		if (!(keys = malloc(c->nunits * sizeof *keys))) {
			terra_err_sys(e, "settle: %zu units", c->nunits);
			goto out;
		}
		for (i = 0; i < c->nunits; i++) {
			snprintf(keys[i], sizeof keys[i], "%s%s", c->units[i].unit,
			         c->units[i].owner);
			items[i].id = keys[i];
		}
	}
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

	if (c->hready && c->hpart == groups[1].amount)
		left_h = c->hleft; /* made ahead for this very part */
	else if (terra_settle_holders_split(c, groups[1].amount, &left_h, e) < 0)
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
	free(keys);
	free(order);
	free(items);
	return rc;
}

/* ---- made ahead: the holders' digest and split --------------------------- */

struct terra_settle_ahead {
	pthread_t tid;
	terra_settle_calc c; /* hs, revenue, carry_in, policy in; the split out */
	int has_revenue, split;
	uint8_t digest[TERRA_HASH_BYTES];
};

static void *ahead_run(void *arg)
{
	terra_settle_ahead *a = arg;
	terra_split_item groups[3];
	int64_t left_g;
	terra_err e;

	terra_holders_digest(a->c.hs, a->digest);
	/* a failure here is the transaction's to report, when it splits again */
	if (!a->has_revenue || terra_money_add(a->c.revenue, a->c.carry_in, &a->c.pool, &e) < 0 ||
	    terra_settle_groups(a->c.pool, &a->c.policy, groups, &left_g, &e) < 0)
		return NULL;
	a->c.hpart = groups[1].amount;
	a->split = terra_settle_holders_split(&a->c, a->c.hpart, &a->c.hleft, &e) == 0;
	return NULL;
}

void terra_settle_ahead_start(terra_settle_ahead **ap, const terra_holders *hs, int has_revenue,
                              int64_t revenue, int64_t carry_in, const terra_settle_policy *p)
{
	terra_settle_ahead *a = calloc(1, sizeof *a);

	*ap = NULL;
	if (!a)
		return;
	a->c.hs = hs;
	a->c.revenue = revenue;
	a->c.carry_in = carry_in;
	a->c.policy = *p;
	a->c.want_root = 1;
	a->has_revenue = has_revenue;
	if (pthread_create(&a->tid, NULL, ahead_run, a) != 0) {
		free(a);
		return;
	}
	*ap = a;
}

void terra_settle_ahead_finish(terra_settle_ahead *a, terra_settle_calc *c,
                               uint8_t digest[TERRA_HASH_BYTES])
{
	if (!a)
		return;
	pthread_join(a->tid, NULL);
	memcpy(digest, a->digest, TERRA_HASH_BYTES);
	c->hready = a->split;
	if (a->split) {
		c->hcut = a->c.hcut;
		c->htotal = a->c.htotal;
		c->hcount = a->c.hcount;
		memcpy(c->hroot, a->c.hroot, TERRA_HASH_BYTES);
		c->hpart = a->c.hpart;
		c->hleft = a->c.hleft;
	}
	free(a);
}

/* ---- digests -------------------------------------------------------------- */

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int terra_settle_meter_digest(char **canon, size_t n, uint8_t out[TERRA_HASH_BYTES], terra_err *e)
{
	terra_sha256_ctx c;
	size_t i;

	(void)e;
	if (n > 1) /* canon is NULL when there is none */
		qsort(canon, n, sizeof *canon, str_ptr_cmp);
	/* hashed in place, record by record: no copy of them all */
	terra_sha256_init(&c);
	for (i = 0; i < n; i++) {
		terra_sha256_update(&c, canon[i], strlen(canon[i]));
		terra_sha256_update(&c, "\n", 1);
	}
	terra_sha256_final(&c, out);
	return 0;
}

int terra_settle_inputs_digest(const char *period, int64_t revenue, const terra_settle_policy *p,
                               const char *meter_hex, const char *holders_hex,
                               char out[TERRA_HASH_HEX], terra_err *e)
{
	char amount[TERRA_AMOUNT_MAX], *canon = NULL;
	uint8_t h[TERRA_HASH_BYTES];
	size_t len;
	json_t *o;
	int rc = -1;

	terra_money_format(revenue, amount);
	o = json_pack("{s:s,s:s,s:s,s:o,s:s}", "holders", holders_hex, "meter", meter_hex, "period",
	              period, "policy", terra_settle_policy_json(p), "revenue", amount);
	if (!o)
		return terra_err_sys(e, "inputs digest");
	if (terra_rec_canonical(o, &canon, &len, e) < 0)
		goto out;
	terra_sha256(canon, len, h);
	terra_hex(h, sizeof h, out);
	rc = 0;
out:
	free(canon);
	json_decref(o);
	return rc;
}

int terra_settle_units_digest(const terra_settle_unit *u, size_t n, char out[TERRA_HASH_HEX],
                              terra_err *e)
{
	char *all = malloc((n ? n : 1) * (TERRA_UNIT_ID_HEX + TERRA_PK_HEX + 24));
	size_t i, used = 0, len;
	uint8_t h[TERRA_HASH_BYTES];

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

json_t *terra_settle_payload(const terra_settle_calc *c, const char *period,
                             const uint8_t meter_digest[TERRA_HASH_BYTES],
                             const uint8_t holders_digest[TERRA_HASH_BYTES],
                             const char *inputs_digest)
{
	char mhex[TERRA_HASH_HEX], hhex[TERRA_HASH_HEX], rhex[TERRA_HASH_HEX], uhex[TERRA_HASH_HEX];
	json_t *p = json_object(), *inputs = json_object(), *postings = json_array(), *role = NULL;
	json_t *holders = json_object();
	const char *role_name = NULL;
	size_t i;

	/* p owns the other three from here on, even when a later step fails */
	if (set(p, "inputs", inputs) || set(p, "postings", postings) || set(p, "holders", holders))
		goto fail;
	terra_hex(c->hroot, TERRA_HASH_BYTES, rhex);
	if (set(holders, "count", json_integer((json_int_t)c->hcount)) ||
	    set(holders, "total", amount_json(c->htotal)) ||
	    set(holders, "root", json_string_nocheck(rhex)))
		goto fail;
	terra_hex(meter_digest, TERRA_HASH_BYTES, mhex);
	terra_hex(holders_digest, TERRA_HASH_BYTES, hhex);
	if (terra_settle_units_digest(c->units, c->nunits, uhex, NULL) < 0)
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
	if (set(p, "period", json_string_nocheck(period)) ||
	    set(p, "revenue", amount_json(c->revenue)) ||
	    set(p, "carry_in", amount_json(c->carry_in)) || set(p, "pool", amount_json(c->pool)) ||
	    set(p, "carry_out", amount_json(c->carry_out)) ||
	    set(p, "policy", terra_settle_policy_json(&c->policy)) ||
	    set(p, "inputs_digest", json_string_nocheck(inputs_digest)))
		goto fail;
	return p;
fail:
	json_decref(role);
	json_decref(p);
	return NULL;
}

/* ---- payout lines ----------------------------------------------------------- */

int terra_settle_plain(const char *s)
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

int terra_settle_payout_tail(int64_t entry, const char *period,
                             char out[TERRA_SETTLE_PAYOUT_TAIL_MAX])
{
	int n;

	if (!terra_settle_plain(period) || strlen(period) >= TERRA_PERIOD_MAX)
		return -1;
	n = snprintf(out, TERRA_SETTLE_PAYOUT_TAIL_MAX,
	             "\",\"entry\":%lld,\"period\":\"%s\",\"role\":\"", (long long)entry, period);
	if (n < 0 || n >= TERRA_SETTLE_PAYOUT_TAIL_MAX)
		return -1;
	return n;
}

size_t terra_settle_payout_line(char *out, const char *account, size_t alen, const char *role,
                                size_t rlen, int64_t amount, const char *tail, size_t tail_len)
{
	char *q = out;

	q = put_lit(q, "{\"account\":\"");
	q = put(q, account, alen);
	q = put_lit(q, "\",\"amount\":\"");
	q += terra_money_format_len(amount, q);
	q = put(q, tail, tail_len);
	q = put(q, role, rlen);
	q = put_lit(q, "\",\"type\":\"payout\",\"v\":1}\n");
	return (size_t)(q - out);
}
