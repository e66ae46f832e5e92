/*
 * Holder accounts that differ only by case ("Alice" and "alice") are two
 * accounts to the ledger but one person to whoever pays them out; a
 * snapshot holding both is refused. Such a pair has an upper-case letter
 * in at least one of its accounts, and those are few (an owner key in hex
 * has none): each is folded to lower case and looked up among all the
 * (sorted) accounts, then the folded ones are compared among themselves.
 */
#include "holders.h"

#include <stdlib.h>
#include <string.h>

struct folded {
	size_t off; /* in the folded arena */
	size_t i;   /* the holder */
};

static const char *fold_arena; /* qsort has no context argument in C11 */

static int folded_cmp(const void *pa, const void *pb)
{
	const struct folded *a = pa, *b = pb;

	return strcmp(fold_arena + a->off, fold_arena + b->off);
}

static int has_upper(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return 1;
	return 0;
}

/* The holder whose account is s, by binary search over the sorted holders; -1 if none. */
static long find(const terra_holders *hs, const char *s)
{
	size_t lo = 0, hi = hs->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(terra_holders_account(hs, mid), s);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int twins(const terra_holders *hs, size_t a, size_t b, const char *name, terra_err *e)
{
	const terra_holder *x = &hs->v[a], *y = &hs->v[b];
	const terra_holder *later = x->line > y->line ? x : y, *first = later == x ? y : x;

	return terra_err_set(
	    e, TERRA_E_INPUT, "%s:%ld: account '%s' differs only by case from '%s' at line %ld",
	    name, later->line, hs->arena + later->off, hs->arena + first->off, first->line);
}

int terra_holders_case_check(const terra_holders *hs, const char *name, terra_err *e)
{
	struct folded *f = NULL;
	char *arena = NULL;
	size_t i, k, n = 0, size = 0, off = 0;
	int rc = -1;

	for (i = 0; i < hs->n; i++)
		if (has_upper(terra_holders_account(hs, i), hs->v[i].len)) {
			n++;
			size += hs->v[i].len + 1;
		}
	if (n == 0)
		return 0;
	f = malloc(n * sizeof *f);
	arena = malloc(size);
	if (!f || !arena) {
		terra_err_sys(e, "holders: fold %zu accounts", n);
		goto out;
	}
	for (i = 0, k = 0; i < hs->n; i++) {
		const char *s = terra_holders_account(hs, i);
		size_t len = hs->v[i].len;
		long j;

		if (!has_upper(s, len))
			continue;
		for (size_t c = 0; c <= len; c++)
			arena[off + c] =
			    (char)(s[c] >= 'A' && s[c] <= 'Z' ? s[c] - 'A' + 'a' : s[c]);
		if ((j = find(hs, arena + off)) >= 0) {
			twins(hs, i, (size_t)j, name, e);
			goto out;
		}
		f[k].off = off;
		f[k++].i = i;
		off += len + 1;
	}
	fold_arena = arena;
	qsort(f, n, sizeof *f, folded_cmp);
	for (k = 1; k < n; k++)
		if (!strcmp(arena + f[k - 1].off, arena + f[k].off)) {
			twins(hs, f[k - 1].i, f[k].i, name, e);
			goto out;
		}
	rc = 0;
out:
	free(arena);
	free(f);
	return rc;
}
