#include "settlement.h"

#include "money.h"
#include "record.h"
#include "sha256.h"

#include <stdlib.h>
#include <string.h>

/* terra_settle_check and what reads a settlement entry back: the recorded
 * inputs recomputed and compared, the holders' payouts recomputed. */

static int inputs_parse(const json_t *inputs, terra_settle_unit **units, size_t *nunits,
                        terra_err *e)
{
	size_t i, n = json_array_size(inputs), nu = 0;
	terra_settle_unit *u = calloc(n ? n : 1, sizeof *u);

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
	if (terra_settle_units_sort(u, nu, e) < 0) {
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

static int compare_postings(const json_t *payload, const terra_settle_calc *c, terra_err *e)
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
static int compare_holders(const json_t *payload, const terra_settle_calc *c, terra_err *e)
{
	const json_t *h = json_object_get(payload, "holders");
	const char *root = json_string_value(json_object_get(h, "root"));
	const char *total = json_string_value(json_object_get(h, "total"));
	const json_t *count = json_object_get(h, "count");
	char want_root[TERRA_HASH_HEX], want_total[TERRA_AMOUNT_MAX];

	terra_hex(c->hroot, TERRA_HASH_BYTES, want_root);
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
		                     "settlement: holders: root %s, recomputed %s", root,
		                     want_root);
	return 0;
}

/* The snapshot body checked against the payload's holders digest, read into hs. */
static int snapshot_parse(const json_t *payload, const void *snap, size_t len, terra_holders *hs,
                          terra_err *e)
{
	const char *hhex =
	    json_string_value(json_object_get(json_object_get(payload, "inputs"), "holders"));
	char got[TERRA_HASH_HEX];
	uint8_t hd[TERRA_HASH_BYTES];

	terra_sha256(snap ? snap : "", len, hd);
	terra_hex(hd, sizeof hd, got);
	if (!hhex || strcmp(hhex, got))
		return terra_err_set(
		    e, TERRA_E_VERIFY,
		    "settlement: holders digest %s, the stored snapshot hashes to %s",
		    hhex ? hhex : "(none)", got);
	if (terra_holders_from_body(hs, snap, len, e) < 0) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "settlement: holders");
	}
	return 0;
}

static int holders_of(const json_t *payload, const void *snap, size_t len, terra_holders *hs,
                      terra_settle_calc *c, int want_root, terra_err *e)
{
	terra_split_item groups[3];
	int64_t left, left_g, total;

	memset(c, 0, sizeof *c);
	if (payload_amount(payload, "pool", &c->pool, e) < 0)
		return -1;
	if (terra_settle_policy_from_json(json_object_get(payload, "policy"), &c->policy, 0, e) <
	    0) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "settlement");
	}
	if (terra_rec_amount(json_object_get(payload, "holders"), "total", &total, e) < 0) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "settlement: holders");
	}
	if (snapshot_parse(payload, snap, len, hs, e) < 0)
		return -1;
	if (c->pool < 0 || terra_settle_groups(c->pool, &c->policy, groups, &left_g, e) < 0) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "settlement");
	}
	c->hs = hs;
	c->want_root = want_root;
	if (terra_settle_holders_split(c, groups[1].amount, &left, e) < 0)
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
	terra_settle_calc c;
	size_t i;
	int rc = -1;

	terra_holders_init(&hs);
	if (holders_of(payload, snap, len, &hs, &c, 0, e) < 0)
		goto out;
	for (i = 0; i < hs.n; i++) {
		int64_t amount = terra_settle_hamount(&c, i);

		if (amount > 0 && fn(ctx, terra_holders_account(&hs, i), amount, e) < 0)
			goto out;
	}
	rc = 0;
out:
	terra_holders_free(&hs);
	return rc;
}

int terra_settle_holder_proof(const json_t *payload, const void *snap, size_t len,
                              const char *account, int64_t *amount, uint64_t *index,
                              uint64_t *count, uint8_t (*path)[TERRA_HASH_BYTES], size_t *pathlen,
                              terra_err *e)
{
	uint8_t(*leaves)[TERRA_HASH_BYTES] = NULL;
	terra_holders hs;
	terra_settle_calc c;
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
		const char *id = terra_holders_account(&hs, i);
		int64_t a = terra_settle_hamount(&c, i);

		if (a <= 0)
			continue;
		if (!strcmp(id, account)) {
			at = n;
			*amount = a;
		}
		terra_settle_holder_leaf(id, a, leaves[n++]);
	}
	if (at == SIZE_MAX) {
		terra_err_set(e, TERRA_E_NOTFOUND, "'%s' is not paid as a holder", account);
		goto out;
	}
	if (terra_merkle_inclusion((const uint8_t(*)[TERRA_HASH_BYTES])leaves, n, at, path, pathlen,
	                           e) < 0)
		goto out;
	*index = at;
	*count = n;
	rc = 0;
out:
	free(leaves);
	terra_holders_free(&hs);
	return rc;
}

int terra_settle_check(const json_t *payload, const json_t *inputs, const void *snap, size_t len,
                       terra_err *e)
{
	terra_settle_calc c;
	terra_holders hs;
	terra_settle_unit *units = NULL;
	const char *period, *rec_digest, *mhex, *hhex, *uhex;
	const json_t *in;
	char digest[TERRA_HASH_HEX], want[TERRA_AMOUNT_MAX], uwant[TERRA_HASH_HEX];
	int64_t pool, carry_out, n_units, n_holders;
	int rc = -1;

	memset(&c, 0, sizeof c);
	terra_holders_init(&hs);
	in = json_object_get(payload, "inputs");
	if (terra_rec_str(payload, "period", &period, e) ||
	    terra_rec_str(payload, "inputs_digest", &rec_digest, e) ||
	    terra_rec_str(in, "meter", &mhex, e) || terra_rec_str(in, "holders", &hhex, e) ||
	    terra_rec_str(in, "unit_rows", &uhex, e) || terra_rec_int(in, "units", &n_units, e) ||
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
	if (terra_settle_policy_from_json(json_object_get(payload, "policy"), &c.policy, 0, e) <
	    0) {
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
	if (terra_settle_units_digest(units, c.nunits, uwant, e) < 0)
		goto out;
	if (strcmp(uhex, uwant)) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "settlement: unit_rows digest %s, the recorded unit inputs give %s",
		              uhex, uwant);
		goto out;
	}
	if (terra_settle_inputs_digest(period, c.revenue, &c.policy, mhex, hhex, digest, e) < 0)
		goto out;
	if (strcmp(rec_digest, digest)) {
		terra_err_set(e, TERRA_E_VERIFY, "settlement: inputs_digest %s, recomputed %s",
		              rec_digest, digest);
		goto out;
	}
	c.want_root = 1;
	if (terra_settle_compute(&c, e) < 0) {
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
	free(units);
	terra_holders_free(&hs);
	return rc;
}
