#include "holders.h"

#include "money.h"

#include <csv.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static const char *const reserved[] = {"treasury", "carry", "revenue"};

/* The characters an account may hold: A-Z a-z 0-9 . _ - : @ + */
static const unsigned char account_char[256] = {
    ['.'] = 1, ['_'] = 1, ['-'] = 1, [':'] = 1, ['@'] = 1, ['+'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

int terra_account_check(const char *account, terra_err *e)
{
	size_t i, n;

	/* the common case, in one pass: every character allowed, not too long */
	for (n = 0; n <= TERRA_ACCOUNT_MAX && account_char[(unsigned char)account[n]]; n++)
		;
	if (n && n <= TERRA_ACCOUNT_MAX && !account[n]) {
		if (n != 5 && n != 7 && n != 8) /* the lengths of the reserved names */
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
		      strchr("._-:@+", c)))
			return terra_err_set(
			    e, TERRA_E_INPUT,
			    "account '%.*s': character %zu is not one of A-Z a-z 0-9 "
			    ". _ - : @ +",
			    (int)(c < 0x20 || c >= 0x7f ? i : n), account, i + 1);
	}
	for (i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
		if (!strcmp(account, reserved[i]))
			return terra_err_set(e, TERRA_E_INPUT, "account '%s' is reserved", account);
	return 0;
}

void terra_holders_init(terra_holders *hs)
{
	memset(hs, 0, sizeof *hs);
}

void terra_holders_free(terra_holders *hs)
{
	free(hs->arena);
	free(hs->v);
	terra_holders_init(hs);
}

static uint64_t prefix_key(const char *s)
{
	uint64_t k = 0;
	int i;

	for (i = 0; i < 8; i++) {
		k <<= 8;
		if (*s)
			k |= (unsigned char)*s++;
	}
	return k;
}

int terra_holders_add(terra_holders *hs, const char *account, int64_t balance, long line,
                      terra_err *e)
{
	size_t len = strlen(account) + 1;

	if (terra_account_check(account, e) < 0)
		return -1;
	if (balance < 0)
		return terra_err_set(e, TERRA_E_INPUT, "account '%s': negative balance", account);
	if (hs->n == hs->cap) {
		size_t cap = hs->cap ? hs->cap * 2 : 1024;
		terra_holder *v = realloc(hs->v, cap * sizeof *v);

		if (!v)
			return terra_err_sys(e, "holders: %zu rows", cap);
		hs->v = v;
		hs->cap = cap;
	}
	if (hs->arena_cap - hs->arena_len < len) {
		size_t cap = hs->arena_cap ? hs->arena_cap * 2 : 65536;
		char *a;

		while (cap - hs->arena_len < len)
			cap *= 2;
		a = realloc(hs->arena, cap);
		if (!a)
			return terra_err_sys(e, "holders: %zu bytes of accounts", cap);
		hs->arena = a;
		hs->arena_cap = cap;
	}
	memcpy(hs->arena + hs->arena_len, account, len);
	hs->v[hs->n].off = hs->arena_len;
	hs->v[hs->n].balance = balance;
	hs->v[hs->n].line = line;
	hs->v[hs->n].key = prefix_key(account);
	hs->arena_len += len;
	hs->n++;
	return 0;
}

static const char *sort_arena; /* qsort has no context argument in C11 */

static int holder_cmp(const void *pa, const void *pb)
{
	const terra_holder *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return strcmp(sort_arena + a->off, sort_arena + b->off);
}

/*
 * Sorts by key with an LSD radix sort (a byte position where every key is
 * the same costs nothing), then each run of equal keys (accounts sharing
 * their first 8 bytes) by the whole account. Falls back to qsort when the
 * scratch array cannot be had.
 */
static void holders_radix(terra_holders *hs)
{
	terra_holder *tmp = malloc(hs->n * sizeof *tmp), *src = hs->v, *dst = tmp, *t;
	char *arena;
	size_t i, j, n = hs->n;
	uint64_t and_all = ~(uint64_t)0, or_all = 0;
	int byte;

	if (!tmp) {
		qsort(hs->v, hs->n, sizeof *hs->v, holder_cmp);
		return;
	}
	for (i = 0; i < n; i++) {
		and_all &= hs->v[i].key;
		or_all |= hs->v[i].key;
	}
	for (byte = 0; byte < 8; byte++) {
		size_t count[256] = {0}, pos[256], sum = 0;
		int shift = 8 * byte;

		if (((and_all ^ or_all) >> shift & 0xff) == 0)
			continue; /* the same byte in every key */
		for (i = 0; i < n; i++)
			count[src[i].key >> shift & 0xff]++;
		for (j = 0; j < 256; j++) {
			pos[j] = sum;
			sum += count[j];
		}
		for (i = 0; i < n; i++)
			dst[pos[src[i].key >> shift & 0xff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != hs->v)
		memcpy(hs->v, src, n * sizeof *src);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && hs->v[j].key == hs->v[i].key; j++)
			;
		if (j - i > 1)
			qsort(hs->v + i, j - i, sizeof *hs->v, holder_cmp);
	}
	/* the accounts in sorted order too: later passes then read memory in order */
	if (hs->arena_len && (arena = malloc(hs->arena_cap))) {
		size_t off = 0;

		for (i = 0; i < n; i++) {
			size_t len = strlen(hs->arena + hs->v[i].off) + 1;

			memcpy(arena + off, hs->arena + hs->v[i].off, len);
			hs->v[i].off = off;
			off += len;
		}
		free(hs->arena);
		hs->arena = arena;
	}
	free(tmp);
}

int terra_holders_sort(terra_holders *hs, const char *name, terra_err *e)
{
	size_t i;

	sort_arena = hs->arena;
	if (hs->n > 1)
		holders_radix(hs);
	for (i = 1; i < hs->n; i++) {
		const terra_holder *a = &hs->v[i - 1], *b = &hs->v[i];

		if (a->key == b->key && !strcmp(hs->arena + a->off, hs->arena + b->off)) {
			const terra_holder *later = a->line > b->line ? a : b;
			const terra_holder *first = later == a ? b : a;

			return terra_err_set(e, TERRA_E_INPUT,
			                     "%s:%ld: account '%s' listed twice "
			                     "(first at line %ld)",
			                     name, later->line, hs->arena + later->off,
			                     first->line);
		}
	}
	return 0;
}

void terra_holders_digest(const terra_holders *hs, uint8_t out[32])
{
	crypto_hash_sha256_state st;
	unsigned char buf[1 << 16];
	size_t i, used = 0;

	crypto_hash_sha256_init(&st);
	for (i = 0; i < hs->n; i++) {
		const char *acct = terra_holders_account(hs, i);
		size_t len = strlen(acct) + 1; /* with its NUL */

		/* an account is at most TERRA_ACCOUNT_MAX bytes, a balance 19 digits */
		if (sizeof buf - used < TERRA_ACCOUNT_MAX + 24) {
			crypto_hash_sha256_update(&st, buf, used);
			used = 0;
		}
		memcpy(buf + used, acct, len);
		used += len;
		used +=
		    (size_t)snprintf((char *)buf + used, 24, "%lld\n", (long long)hs->v[i].balance);
	}
	crypto_hash_sha256_update(&st, buf, used);
	crypto_hash_sha256_final(&st, out);
}

int terra_holders_body(const terra_holders *hs, char **body, size_t *len, terra_err *e)
{
	size_t i, cap = hs->arena_len + hs->n * 21 + 1, used = 0;
	char *b;

	*body = NULL;
	*len = 0;
	if (hs->n == 0)
		return 0;
	b = malloc(cap);
	if (!b)
		return terra_err_sys(e, "holders snapshot: %zu bytes", cap);
	for (i = 0; i < hs->n; i++) {
		const char *acct = terra_holders_account(hs, i);
		size_t alen = strlen(acct) + 1; /* with its NUL */
		uint64_t v = (uint64_t)hs->v[i].balance;
		char digits[24], *d = digits + sizeof digits;

		memcpy(b + used, acct, alen);
		used += alen;
		do {
			*--d = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		memcpy(b + used, d, (size_t)(digits + sizeof digits - d));
		used += (size_t)(digits + sizeof digits - d);
		b[used++] = '\n';
	}
	*body = b;
	*len = used;
	return 0;
}

int terra_holders_from_body(terra_holders *hs, const void *body, size_t len, terra_err *e)
{
	const char *p = body, *end, *prev = NULL;
	size_t rec = 0;
	terra_err sub = {0};

	if (!len)
		return 0;
	end = p + len;

	while (p < end) {
		const char *acct = p, *nul = memchr(p, '\0', (size_t)(end - p)), *d, *nl;
		uint64_t v = 0;

		rec++;
		if (!nul)
			return terra_err_set(e, TERRA_E_VERIFY, "snapshot record %zu: no account end",
			                     rec);
		nl = memchr(nul + 1, '\n', (size_t)(end - nul - 1));
		if (!nl || nl == nul + 1 || (nl - nul > 2 && nul[1] == '0') || nl - nul > 20)
			return terra_err_set(e, TERRA_E_VERIFY, "snapshot record %zu: bad balance",
			                     rec);
		for (d = nul + 1; d < nl; d++) {
			if (*d < '0' || *d > '9' || v > ((uint64_t)INT64_MAX - (uint64_t)(*d - '0')) / 10)
				return terra_err_set(e, TERRA_E_VERIFY,
				                     "snapshot record %zu: bad balance", rec);
			v = v * 10 + (uint64_t)(*d - '0');
		}
		if (prev && strcmp(prev, acct) >= 0)
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "snapshot record %zu: accounts out of order", rec);
		if (terra_holders_add(hs, acct, (int64_t)v, (long)rec, &sub) < 0)
			return terra_err_set(e, TERRA_E_VERIFY, "snapshot record %zu: %s", rec,
			                     sub.msg);
		prev = acct;
		p = nl + 1;
	}
	return 0;
}

/* libcsv calls back per field and per row; this is the state they share. */
struct csv_state {
	terra_holders *hs;
	const char *name;
	terra_err *e;
	int failed;
	int nfields;
	int rows;      /* rows seen, header included */
	long row_line; /* first line of the row being read, 0 between rows */
	long line;     /* the line being fed */
	char field[2][TERRA_ACCOUNT_MAX + 2];
	size_t flen[2];
	int too_long[2];
};

static void on_field(void *data, size_t len, void *st_)
{
	struct csv_state *st = st_;
	int i = st->nfields++;

	if (st->failed || i > 1)
		return;
	if (!st->row_line)
		st->row_line = st->line;
	st->too_long[i] = len > TERRA_ACCOUNT_MAX;
	if (st->too_long[i])
		len = TERRA_ACCOUNT_MAX + 1;
	memcpy(st->field[i], data ? data : "", len);
	st->field[i][len] = '\0';
	st->flen[i] = len;
}

static int bad_row(struct csv_state *st, const char *why)
{
	char msg[TERRA_ERR_MAX];

	snprintf(msg, sizeof msg, "%s", why);
	st->failed = 1;
	return terra_err_set(st->e, TERRA_E_INPUT, "%s:%ld: %s", st->name, st->row_line, msg);
}

static void on_row(int term, void *st_)
{
	struct csv_state *st = st_;
	int64_t balance;
	terra_err sub = {0};

	(void)term;
	if (st->failed)
		goto done;
	if (!st->row_line)
		st->row_line = st->line;
	st->rows++;
	if (st->rows == 1 && st->nfields >= 1 && !strcasecmp(st->field[0], "account")) {
		if (st->nfields != 2 || strcasecmp(st->field[1], "balance"))
			bad_row(st, "header: expected 'account,balance'");
		goto done;
	}
	if (st->nfields != 2) {
		char why[64];

		snprintf(why, sizeof why, "expected 2 fields (account,balance), got %d",
		         st->nfields);
		bad_row(st, why);
		goto done;
	}
	if (st->too_long[1] || terra_money_parse(st->field[1], 0, &balance, &sub) < 0 ||
	    balance < 0) {
		char why[256];

		snprintf(why, sizeof why,
		         "balance '%.64s': expected a non-negative amount "
		         "(digits, optionally '.' and 1 to 9 decimals)",
		         st->field[1]);
		bad_row(st, why);
		goto done;
	}
	if (st->too_long[0] ||
	    terra_holders_add(st->hs, st->field[0], balance, st->row_line, &sub) < 0) {
		if (st->too_long[0])
			terra_account_check(st->field[0], &sub);
		bad_row(st, sub.msg);
		goto done;
	}
done:
	st->nfields = 0;
	st->row_line = 0;
}

/* Room for what a file of that size can hold, up front: no copying as it grows. */
static void reserve(terra_holders *hs, FILE *f)
{
	struct stat sb;
	size_t size, rows;

	if (fstat(fileno(f), &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size <= 0 ||
	    (uint64_t)sb.st_size > ((uint64_t)1 << 34) || hs->n)
		return;
	size = (size_t)sb.st_size + 1;
	rows = size / 4 + 1; /* a row is at least "a,0\n" */
	if (rows > size / 24 + 1024)
		rows = size / 24 + 1024; /* a likelier guess; it still grows past it */
	if (!hs->arena && (hs->arena = malloc(size)))
		hs->arena_cap = size;
	if (!hs->v && (hs->v = malloc(rows * sizeof *hs->v)))
		hs->cap = rows;
}

int terra_holders_load(terra_holders *hs, const char *path, terra_err *e)
{
	struct csv_parser p;
	struct csv_state st;
	FILE *f = NULL;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = -1, p_ok = 0;

	memset(&st, 0, sizeof st);
	st.hs = hs;
	st.name = path;
	st.e = e;
	f = fopen(path, "r");
	if (!f) {
		terra_err_sys(e, "open '%s'", path);
		goto out;
	}
	reserve(hs, f);
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL) != 0) {
		terra_err_sys(e, "holders: csv parser");
		goto out;
	}
	p_ok = 1;
	while ((n = getline(&buf, &cap, f)) > 0) {
		const char *s = buf;
		size_t len = (size_t)n;

		st.line++;
		if (st.line == 1 && len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
			s += 3;
			len -= 3;
		}
		if (!st.row_line && len > strspn(s, "\r\n"))
			st.row_line = st.line;
		if (csv_parse(&p, s, len, on_field, on_row, &st) != len) {
			st.row_line = st.row_line ? st.row_line : st.line;
			bad_row(&st, csv_strerror(csv_error(&p)));
		}
		if (st.failed)
			goto out;
	}
	if (ferror(f)) {
		terra_err_sys(e, "read '%s'", path);
		goto out;
	}
	if (csv_fini(&p, on_field, on_row, &st) != 0) {
		if (!st.row_line)
			st.row_line = st.line;
		bad_row(&st, "unterminated quoted field");
	}
	if (st.failed)
		goto out;
	if (terra_holders_sort(hs, path, e) < 0)
		goto out;
	rc = 0;
out:
	if (p_ok)
		csv_free(&p);
	free(buf);
	if (f)
		fclose(f);
	if (rc < 0)
		terra_holders_free(hs);
	return rc;
}
