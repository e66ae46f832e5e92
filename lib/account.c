/*
 * Account names: the characters and names the ledger allows (and those a
 * stored snapshot was allowed when it was made), and the check that no two
 * holders differ only by case.
 *
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

/* the toolkit's own accounts: the ledger posts to them */
static const char *const reserved[] = {"treasury", "carry", "revenue", "paid", "holders"};
/* lengths of the reserved names, to skip the comparisons for the others */
#define RESERVED_LEN(n) ((n) == 4 || (n) == 5 || (n) == 7 || (n) == 8)

/*
 * The characters an account may hold: A-Z a-z 0-9 . _ - @ +. Not ':',
 * which hledger reads as a subaccount separator ("a:b" would roll up into
 * "a"); snapshots stored before it was refused still verify (terra_account_stored_ok).
 */
static const unsigned char account_char[256] = {
    ['.'] = 1, ['_'] = 1, ['-'] = 1, ['@'] = 1, ['+'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1,
    ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['A'] = 1,
    ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1,
    ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1,
    ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1,
    ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
    ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1,
    ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1,
    ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

int terra_account_check(const char *account, terra_err *e)
{
	size_t i, n;

	/* the common case, in one pass: every character allowed, not too long */
	for (n = 0; n <= TERRA_ACCOUNT_MAX && account_char[(unsigned char)account[n]]; n++)
		;
	if (n && n <= TERRA_ACCOUNT_MAX && !account[n]) {
		if (!RESERVED_LEN(n))
			return 0;
		for (i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
			if (!strcmp(account, reserved[i]))
				return terra_err_set(e, TERRA_E_INPUT, "account '%s' is reserved",
				                     account);
		return 0;
	}
	n = strlen(account);
	if (n == 0)
		return terra_err_set(e, TERRA_E_INPUT, "empty account");
	if (n > TERRA_ACCOUNT_MAX)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "account '%.32s...': longer than %d characters", account,
		                     TERRA_ACCOUNT_MAX);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)account[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("._-@+", c)))
			return terra_err_set(
			    e, TERRA_E_INPUT,
			    "account '%.*s': character %zu is not one of A-Z a-z 0-9 "
			    ". _ - @ +",
			    (int)(c < 0x20 || c >= 0x7f ? i : n), account, i + 1);
	}
	for (i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
		if (!strcmp(account, reserved[i]))
			return terra_err_set(e, TERRA_E_INPUT, "account '%s' is reserved", account);
	return 0;
}

/* 1 when account[0..len) is a valid, unreserved account: the common case, without a message. */
int terra_account_ok(const char *account, size_t len)
{
	size_t i;

	if (len == 0 || len > TERRA_ACCOUNT_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!account_char[(unsigned char)account[i]])
			return 0;
	if (!RESERVED_LEN(len))
		return 1;
	for (i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
		if (strlen(reserved[i]) == len && !memcmp(account, reserved[i], len))
			return 0;
	return 1;
}

/*
 * 1 when a stored snapshot's account passes the rules it was written
 * under: ':' allowed, only the first three names reserved. Verification
 * must not turn down a settlement the toolkit once made.
 */
int terra_account_stored_ok(const char *account, size_t len)
{
	size_t i;

	if (len == 0 || len > TERRA_ACCOUNT_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!account_char[(unsigned char)account[i]] && account[i] != ':')
			return 0;
	for (i = 0; i < 3; i++)
		if (strlen(reserved[i]) == len && !memcmp(account, reserved[i], len))
			return 0;
	return 1;
}

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
	size_t later = terra_holders_line(hs, a) > terra_holders_line(hs, b) ? a : b;
	size_t first = later == a ? b : a;

	return terra_err_set(e, TERRA_E_INPUT,
	                     "%s:%ld: account '%s' differs only by case from '%s' at line %ld",
	                     name, terra_holders_line(hs, later), terra_holders_account(hs, later),
	                     terra_holders_account(hs, first), terra_holders_line(hs, first));
}

int terra_holders_case_check(const terra_holders *hs, const char *name, terra_err *e)
{
	struct folded *f = NULL;
	char *arena = NULL;
	size_t i, k, n = 0, size = 0, off = 0;
	int rc = -1;

	/* the accounts in the arena's order, which is memory's: most have no capital */
	for (const char *a = hs->arena, *end = hs->arena + hs->arena_len; a < end;) {
		size_t len = strlen(a);

		if (has_upper(a, len)) {
			n++;
			size += len + 1;
		}
		a += len + 1;
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
		size_t len = terra_holders_account_len(hs, i);
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
