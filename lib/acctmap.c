#include "acctmap.h"

#include "buf.h"
#include "money.h"

#include <stdlib.h>
#include <string.h>

struct terra_acct {
	int64_t balance;
	size_t name; /* offset into names */
	uint32_t hash, len;
};

void terra_acctmap_init(terra_acctmap *m)
{
	memset(m, 0, sizeof *m);
}

void terra_acctmap_free(terra_acctmap *m)
{
	free(m->item);
	free(m->slot);
	free(m->names.p);
	terra_acctmap_init(m);
}

size_t terra_acctmap_count(const terra_acctmap *m)
{
	return m->n;
}

/* FNV-1a: the names are the ledger's own, checked text, not chosen to collide
 * with a secret-less hash any more than a jansson key is. */
static uint32_t name_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* Where account is, or the empty slot where it would go. */
static uint32_t *find(const terra_acctmap *m, const char *s, size_t len, uint32_t h)
{
	size_t i = h & m->mask;

	for (;; i = (i + 1) & m->mask) {
		uint32_t *at = &m->slot[i];
		const struct terra_acct *a;

		if (!*at)
			return at;
		a = &m->item[*at - 1];
		if (a->hash == h && a->len == len && !memcmp(m->names.p + a->name, s, len))
			return at;
	}
}

int64_t terra_acctmap_balance(const terra_acctmap *m, const char *account)
{
	size_t len = strlen(account);
	const uint32_t *at;

	if (!m->slot)
		return 0;
	at = find(m, account, len, name_hash(account, len));
	return *at ? m->item[*at - 1].balance : 0;
}

/* Twice the slots (16 at first), the items placed again by their hashes. */
static int rehash(terra_acctmap *m)
{
	size_t cap = m->slot ? 2 * (m->mask + 1) : 16, i;
	uint32_t *slot;

	if (cap > (size_t)UINT32_MAX || !(slot = calloc(cap, sizeof *slot)))
		return -1;
	free(m->slot);
	m->slot = slot;
	m->mask = cap - 1;
	for (i = 0; i < m->n; i++) {
		size_t j = m->item[i].hash & m->mask;

		while (slot[j])
			j = (j + 1) & m->mask;
		slot[j] = (uint32_t)(i + 1);
	}
	return 0;
}

int terra_acctmap_add(terra_acctmap *m, const char *account, int64_t amount, terra_err *e)
{
	size_t len = strlen(account);
	uint32_t h = name_hash(account, len), *at;
	struct terra_acct *a;
	int64_t sum;

	if (len >= UINT32_MAX)
		return terra_err_set(e, TERRA_E_VERIFY, "account name of %zu bytes", len);
	if ((2 * (m->n + 1) > m->mask + 1 || !m->slot) && rehash(m))
		return terra_err_sys(e, "ledger: balances");
	at = find(m, account, len, h);
	if (!*at) {
		size_t name = m->names.len;

		if (m->n >= UINT32_MAX - 1 || terra_buf_put(&m->names, account, len + 1) ||
		    terra_grow(&m->item, &m->icap, m->n, sizeof *m->item, 1024))
			return terra_err_sys(e, "ledger: balances");
		a = &m->item[m->n];
		a->balance = 0;
		a->name = name;
		a->hash = h;
		a->len = (uint32_t)len;
		*at = (uint32_t)++m->n;
	}
	a = &m->item[*at - 1];
	if (terra_money_add(a->balance, amount, &sum, e)) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "account '%s'", account);
	}
	a->balance = sum;
	return 0;
}
