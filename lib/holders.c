#include "holders.h"

#include "money.h"
#include "sha256.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void terra_holders_init(terra_holders *hs)
{
	memset(hs, 0, sizeof *hs);
}

void terra_holders_free(terra_holders *hs)
{
	free(hs->arena);
	free(hs->v);
	free(hs->line);
	terra_holders_init(hs);
}

/*
 * malloc for the arrays that grow with the holders, tens of megabytes for a
 * million: asks for transparent huge pages, so that first touching them
 * takes one page fault per 2 MiB instead of one per 4 KiB (a tenth of the
 * settlement's time otherwise). Only a hint; freed with free().
 */
static void *big_alloc(size_t size)
{
	void *p = malloc(size);
#ifdef MADV_HUGEPAGE
	long page = sysconf(_SC_PAGESIZE);

	if (p && page > 0 && size >= ((size_t)4 << 20)) {
		uintptr_t mask = (uintptr_t)page - 1;
		uintptr_t start = ((uintptr_t)p + mask) & ~mask,
		          end = ((uintptr_t)p + size) & ~mask;

		madvise((void *)start, end - start, MADV_HUGEPAGE);
	}
#endif
	return p;
}

/* Room in the arena for an account of len bytes and its NUL, at arena + arena_len. */
static int arena_room(terra_holders *hs, size_t len, terra_err *e)
{
	size_t cap;
	char *a;

	if (hs->arena_cap - hs->arena_len > len)
		return 0;
	cap = hs->arena_cap ? hs->arena_cap * 2 : 65536;
	while (cap - hs->arena_len <= len)
		cap *= 2;
	a = realloc(hs->arena, cap);
	if (!a)
		return terra_err_sys(e, "holders: %zu bytes of accounts", cap);
	hs->arena = a;
	hs->arena_cap = cap;
	return 0;
}

/* Appends the holder whose checked account (len bytes) was just put at arena + arena_len. */
static int holders_commit(terra_holders *hs, size_t len, int64_t balance, long line, terra_err *e)
{
	terra_holder *h;

	if (len > TERRA_ACCOUNT_MAX)
		return terra_err_set(e, TERRA_E_INPUT, "holders: an account of %zu bytes", len);
	if (line < 0 || line > TERRA_HOLDERS_LINE_MAX)
		return terra_err_set(e, TERRA_E_INPUT, "holders: line %ld: past line %ld", line,
		                     TERRA_HOLDERS_LINE_MAX);
	/* after terra_holders_load, the loaded rows' lines are 0: not from this file */
	if (!hs->line && hs->cap && !(hs->line = calloc(hs->cap, sizeof *hs->line)))
		return terra_err_sys(e, "holders: %zu rows", hs->cap);
	if (hs->n == hs->cap) {
		size_t cap = hs->cap ? hs->cap * 2 : 1024;
		terra_holder *v = realloc(hs->v, cap * sizeof *v);
		uint32_t *l = v ? realloc(hs->line, cap * sizeof *l) : NULL;

		if (v)
			hs->v = v;
		if (!l)
			return terra_err_sys(e, "holders: %zu rows", cap);
		hs->line = l;
		hs->cap = cap;
	}
	hs->arena[hs->arena_len + len] = '\0';
	hs->line[hs->n] = (uint32_t)line;
	h = &hs->v[hs->n++];
	h->at = (uint64_t)hs->arena_len << 8 | len;
	h->balance = balance;
	hs->arena_len += len + 1;
	hs->sorted = 0;
	return 0;
}

/* Appends a checked holder: account[0..len) and its balance. */
static int holders_push(terra_holders *hs, const char *account, size_t len, int64_t balance,
                        long line, terra_err *e)
{
	if (arena_room(hs, len, e) < 0)
		return -1;
	memcpy(hs->arena + hs->arena_len, account, len);
	return holders_commit(hs, len, balance, line, e);
}

int terra_holders_add(terra_holders *hs, const char *account, int64_t balance, long line,
                      terra_err *e)
{
	size_t len = strlen(account);

	if (!terra_account_ok(account, len) && terra_account_check(account, e) < 0)
		return -1;
	if (balance < 0)
		return terra_err_set(e, TERRA_E_INPUT, "account '%s': negative balance", account);
	return holders_push(hs, account, len, balance, line, e);
}

/* The sort moves v's rows themselves (and their lines), beside a 4-byte key:
 * 4 account bytes from a depth, big-endian, zeros past the account's end. A
 * second array of 16-byte entries was a quarter of the peak memory. */
struct sorter {
	terra_holder *v;
	uint32_t *line; /* NULL when the rows have no lines */
	uint32_t *key;
	const char *arena;
};

/* One row in transit: v, line and key move together. */
struct sort_row {
	terra_holder h;
	uint32_t line, key;
};

static uint32_t prefix_key(const char *s, size_t len, size_t depth)
{
	uint32_t k = 0;
	size_t i;

	if (len >= depth + 4) {
		memcpy(&k, s + depth, 4);
		return __builtin_bswap32(k);
	}
	for (i = depth; i < depth + 4; i++)
		k = k << 8 | (i < len ? (unsigned char)s[i] : 0);
	return k;
}

static struct sort_row row_get(const struct sorter *st, size_t i)
{
	return (struct sort_row){st->v[i], st->line ? st->line[i] : 0, st->key[i]};
}

static void row_put(const struct sorter *st, size_t i, const struct sort_row *r)
{
	st->v[i] = r->h;
	if (st->line)
		st->line[i] = r->line;
	st->key[i] = r->key;
}

#define row_account(st, h) ((st)->arena + ((h)->at >> 8))

/* a before b: by key, then (the same key) by the whole account */
static int row_less(const struct sorter *st, const struct sort_row *a, const struct sort_row *b)
{
	if (a->key != b->key)
		return a->key < b->key;
	return strcmp(row_account(st, &a->h), row_account(st, &b->h)) < 0;
}

static void radix_rows(const struct sorter *st, size_t lo, size_t n, int byte, size_t depth);

/*
 * Rows [lo, lo + n) share their first depth + 4 account bytes: the next 4
 * decide. When the first row's account ends within these 4 bytes, they all
 * end there (no account holds a NUL byte) and are the same account: an
 * account listed twice, found by terra_holders_sort once they are adjacent.
 */
static void descend(const struct sorter *st, size_t lo, size_t n, size_t depth)
{
	size_t i;

	if ((st->v[lo].at & 0xff) <= depth + 4)
		return;
	depth += 4;
	for (i = lo; i < lo + n; i++) {
		if (i + TERRA_HOLDERS_AHEAD < lo + n)
			__builtin_prefetch(row_account(st, &st->v[i + TERRA_HOLDERS_AHEAD]));
		st->key[i] = prefix_key(row_account(st, &st->v[i]), st->v[i].at & 0xff, depth);
	}
	radix_rows(st, lo, n, 3, depth);
}

/*
 * In-place MSD radix sort of rows [lo, lo + n) by key, from byte `byte` (3,
 * the most significant, first) down, then by the next 4 account bytes
 * (descend): each byte's 256 buckets counted, the rows swapped into them
 * (following each displaced row to its bucket), then each bucket by the
 * next byte; short ranges by insertion, on the whole account.
 */
static void radix_rows(const struct sorter *st, size_t lo, size_t n, int byte, size_t depth)
{
	size_t count[256] = {0}, next[256], i, b, sum = 0;
	int shift = 8 * byte;

	if (n <= 32) {
		for (i = lo + 1; i < lo + n; i++) {
			struct sort_row x = row_get(st, i), y;
			size_t j = i;

			for (; j > lo && (y = row_get(st, j - 1), row_less(st, &x, &y)); j--)
				row_put(st, j, &y);
			row_put(st, j, &x);
		}
		return;
	}
	for (i = lo; i < lo + n; i++)
		count[st->key[i] >> shift & 0xff]++;
	if (count[st->key[lo] >> shift & 0xff] == n) {
		if (byte > 0)
			radix_rows(st, lo, n, byte - 1, depth);
		else
			descend(st, lo, n, depth);
		return;
	}
	for (b = 0; b < 256; b++) {
		next[b] = lo + sum;
		sum += count[b];
	}
	for (b = 0, sum = lo; b < 256; sum += count[b++])
		while (next[b] < sum + count[b]) {
			struct sort_row x = row_get(st, next[b]), y;
			size_t d = x.key >> shift & 0xff;

			while (d != b) {
				y = row_get(st, next[d]);
				row_put(st, next[d]++, &x);
				x = y;
				d = x.key >> shift & 0xff;
			}
			row_put(st, next[b]++, &x);
		}
	for (b = 0, sum = lo; b < 256; sum += count[b++]) {
		if (count[b] <= 1)
			continue;
		if (byte > 0)
			radix_rows(st, sum, count[b], byte - 1, depth);
		else
			descend(st, sum, count[b], depth);
	}
}

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

/* Writes the balance's decimal digits at out, two at a time from the end; their count. */
static size_t put_balance(char *out, int64_t balance)
{
	uint64_t v = (uint64_t)balance, t;
	size_t n = 1;
	char *d;

	for (t = v; t >= 10; t /= 10)
		n++;
	d = out + n;
	for (; v >= 100; v /= 100) {
		d -= 2;
		memcpy(d, digit_pairs + 2 * (v % 100), 2);
	}
	if (v >= 10)
		memcpy(d - 2, digit_pairs + 2 * v, 2);
	else
		d[-1] = (char)('0' + v);
	return n;
}

/* Sorts v (and line) by account, in place; the accounts stay where they are
 * in the arena: a copy of them in order would be the peak of memory. */
static int holders_order(terra_holders *hs, terra_err *err)
{
	size_t i, n = hs->n;
	struct sorter st = {hs->v, hs->line, big_alloc((n ? n : 1) * sizeof *st.key), hs->arena};

	if (!st.key)
		return terra_err_sys(err, "holders: sort %zu rows", n);
	for (i = 0; i < n; i++)
		st.key[i] =
		    prefix_key(terra_holders_account(hs, i), terra_holders_account_len(hs, i), 0);
	if (n > 1)
		radix_rows(&st, 0, n, 3, 0);
	free(st.key);
	hs->sorted = 1;
	return 0;
}

int terra_holders_sort(terra_holders *hs, const char *name, terra_err *e)
{
	size_t i;

	if (holders_order(hs, e) < 0)
		return -1;
	for (i = 1; i < hs->n; i++) {
		size_t len = terra_holders_account_len(hs, i);

		if (len == terra_holders_account_len(hs, i - 1) &&
		    !memcmp(terra_holders_account(hs, i - 1), terra_holders_account(hs, i), len)) {
			size_t later =
			    terra_holders_line(hs, i - 1) > terra_holders_line(hs, i) ? i - 1 : i;
			size_t first = later == i ? i - 1 : i;

			return terra_err_set(e, TERRA_E_INPUT,
			                     "%s:%ld: account '%s' listed twice "
			                     "(first at line %ld)",
			                     name, terra_holders_line(hs, later),
			                     terra_holders_account(hs, later),
			                     terra_holders_line(hs, first));
		}
	}
	return 0;
}

/*
 * The body in pieces: each holder's record written into buf, passed to fn
 * when the next might not fit. The accounts are read in v's order, at
 * random places of the arena: one is asked for some rows ahead.
 */
static int body_pieces(const terra_holders *hs, terra_holders_body_fn fn, void *ctx, terra_err *e)
{
	char buf[TERRA_HOLDERS_PIECE];
	size_t i, used = 0;
	int rc;

	for (i = 0; i < hs->n; i++) {
		size_t len = terra_holders_account_len(hs, i);

		if (i + TERRA_HOLDERS_AHEAD < hs->n)
			__builtin_prefetch(terra_holders_account(hs, i + TERRA_HOLDERS_AHEAD));
		/* an account is at most TERRA_ACCOUNT_MAX bytes, a balance 19 digits */
		if (sizeof buf - used < TERRA_ACCOUNT_MAX + 24) {
			if ((rc = fn(ctx, buf, used, e)) != 0)
				return rc;
			used = 0;
		}
		memcpy(buf + used, terra_holders_account(hs, i), len + 1); /* with its NUL */
		used += len + 1;
		used += put_balance(buf + used, hs->v[i].balance);
		buf[used++] = '\n';
	}
	return used ? fn(ctx, buf, used, e) : 0;
}

static int hash_piece(void *ctx, const char *piece, size_t len, terra_err *e)
{
	(void)e;
	terra_sha256_update(ctx, piece, len);
	return 0;
}

void terra_holders_digest(const terra_holders *hs, uint8_t out[TERRA_HASH_BYTES])
{
	terra_sha256_ctx c;

	terra_sha256_init(&c);
	body_pieces(hs, hash_piece, &c, NULL);
	terra_sha256_final(&c, out);
}

int terra_holders_body_len(const terra_holders *hs, size_t *len, terra_err *e)
{
	char digits[24];
	size_t i;

	*len = 0;
	if (hs->n && !hs->sorted)
		return terra_err_set(e, TERRA_E_STATE, "holders snapshot: holders not sorted");
	for (i = 0; i < hs->n; i++)
		*len +=
		    terra_holders_account_len(hs, i) + 2 + put_balance(digits, hs->v[i].balance);
	return 0;
}

int terra_holders_body_each(const terra_holders *hs, terra_holders_body_fn fn, void *ctx,
                            terra_err *e)
{
	if (hs->n && !hs->sorted)
		return terra_err_set(e, TERRA_E_STATE, "holders snapshot: holders not sorted");
	return body_pieces(hs, fn, ctx, e);
}

int terra_holders_from_body(terra_holders *hs, const void *body, size_t len, terra_err *e)
{
	const char *p = body, *end, *prev = NULL;
	size_t rec = 0, prev_len = 0;
	terra_err sub = {0};

	if (!len)
		return 0;
	end = p + len;

	while (p < end) {
		const char *acct = p, *nul = memchr(p, '\0', (size_t)(end - p)), *d, *nl;
		size_t alen;
		uint64_t v = 0;
		int order;

		rec++;
		if (!nul)
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "snapshot record %zu: no account end", rec);
		alen = (size_t)(nul - acct);
		nl = memchr(nul + 1, '\n', (size_t)(end - nul - 1));
		if (!nl || nl == nul + 1 || (nl - nul > 2 && nul[1] == '0') || nl - nul > 20)
			return terra_err_set(e, TERRA_E_VERIFY, "snapshot record %zu: bad balance",
			                     rec);
		for (d = nul + 1; d < nl; d++) {
			if (*d < '0' || *d > '9' ||
			    v > ((uint64_t)INT64_MAX - (uint64_t)(*d - '0')) / 10)
				return terra_err_set(e, TERRA_E_VERIFY,
				                     "snapshot record %zu: bad balance", rec);
			v = v * 10 + (uint64_t)(*d - '0');
		}
		if (prev) {
			/* bytewise, as strcmp: a prefix comes first */
			order = memcmp(prev, acct, prev_len < alen ? prev_len : alen);
			if (order > 0 || (order == 0 && prev_len >= alen))
				return terra_err_set(e, TERRA_E_VERIFY,
				                     "snapshot record %zu: accounts out of order",
				                     rec);
		}
		if (!terra_account_stored_ok(acct, alen) && terra_account_check(acct, &sub) < 0)
			return terra_err_set(e, TERRA_E_VERIFY, "snapshot record %zu: %s", rec,
			                     sub.msg);
		if (holders_push(hs, acct, alen, (int64_t)v, (long)rec, &sub) < 0)
			return terra_err_set(e, TERRA_E_VERIFY, "snapshot record %zu: %s", rec,
			                     sub.msg);
		prev = acct;
		prev_len = alen;
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
	/*
	 * A field that is what it should be is taken as it comes, without a
	 * copy or a message: the account put in the arena (not yet counted in
	 * arena_len), the balance parsed. Anything else is copied here for
	 * on_row to judge and name.
	 */
	int quick[2];
	size_t account_len;
	int64_t balance;
	char field[2][TERRA_ACCOUNT_MAX + 2];
	size_t flen[2];
	int too_long[2];
	int nul[2]; /* the field holds a NUL byte: refused, never cut short there */
};

static void on_field(void *data, size_t len, void *st_)
{
	struct csv_state *st = st_;
	terra_holders *hs = st->hs;
	int i = st->nfields++;

	if (st->failed || i > 1)
		return;
	if (!st->row_line)
		st->row_line = st->line;
	/* the first row may be the header: on_row reads it from field[] */
	if (i == 0)
		st->quick[0] =
		    st->rows && terra_account_ok(data, len) && arena_room(hs, len, NULL) == 0;
	else
		st->quick[1] = st->rows && terra_money_parse_quick(data, len, &st->balance);
	st->nul[i] = !st->quick[i] && len && memchr(data, '\0', len);
	if (st->quick[i]) {
		if (i == 0) {
			memcpy(hs->arena + hs->arena_len, data, len);
			st->account_len = len;
		}
		return;
	}
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
	if (st->nul[0] || st->nul[1]) {
		bad_row(st, st->nul[0] ? "account: holds a NUL byte" : "balance: holds a NUL byte");
		goto done;
	}
	if (st->rows == 1 && st->nfields >= 1 && !strcasecmp(st->field[0], "account")) {
		if (st->nfields != 2 || strcasecmp(st->field[1], "balance"))
			bad_row(st, "header: expected 'account,balance'");
		goto done;
	}
	if (st->nfields == 2 && st->quick[0] && st->quick[1]) {
		if (holders_commit(st->hs, st->account_len, st->balance, st->row_line, &sub) < 0)
			bad_row(st, sub.msg);
		goto done;
	}
	/* something to name: the quick fields back in field[] */
	if (st->nfields >= 1 && st->quick[0]) {
		memcpy(st->field[0], st->hs->arena + st->hs->arena_len, st->account_len);
		st->field[0][st->account_len] = '\0';
		st->flen[0] = st->account_len;
		st->too_long[0] = 0;
	}
	if (st->nfields >= 2 && st->quick[1]) {
		char amount[TERRA_AMOUNT_MAX];

		terra_money_format(st->balance, amount);
		snprintf(st->field[1], sizeof st->field[1], "%s", amount);
		st->too_long[1] = 0;
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

		if (strspn(st->field[1], "0123456789.") == st->flen[1] &&
		    (st->too_long[1] || !strncmp(sub.msg, "amount out of range", 19))) {
			snprintf(why, sizeof why,
			         "balance '%.64s': out of range (at most 9223372036.854775807)",
			         st->field[1]);
			bad_row(st, why);
			goto done;
		}
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
	st->quick[0] = st->quick[1] = 0;
	st->nul[0] = st->nul[1] = 0;
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
	if (!hs->arena && (hs->arena = big_alloc(size)))
		hs->arena_cap = size;
	if (hs->v || hs->line || !(hs->v = big_alloc(rows * sizeof *hs->v)))
		return;
	if (!(hs->line = big_alloc(rows * sizeof *hs->line))) {
		free(hs->v);
		hs->v = NULL;
		return;
	}
	hs->cap = rows;
}

/* The arrays down to what the file held: reserve guessed from its size,
 * and the pages past the end of a huge page were resident all the same. */
static void fit(terra_holders *hs)
{
	char *a = hs->arena_len ? realloc(hs->arena, hs->arena_len) : NULL;
	terra_holder *v = hs->n ? realloc(hs->v, hs->n * sizeof *v) : NULL;

	if (a) {
		hs->arena = a;
		hs->arena_cap = hs->arena_len;
	}
	if (v) {
		hs->v = v;
		hs->cap = hs->n;
	}
}

/* A whole row of two plain fields after the header, read without libcsv (a
 * million is common): one ',' with a field on each side, '\n' at the end,
 * no quote, space, tab, CR or NUL. The callbacks get what libcsv would pass
 * them. 0 when the line is not one: libcsv reads it. */
static int plain_row(struct csv_state *st, const char *s, size_t len)
{
	const char *comma = NULL;
	size_t i;

	if (!st->rows || len < 4 || s[len - 1] != '\n')
		return 0;
	for (i = 0; i < len - 1; i++)
		if (s[i] == '"' || s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\0' ||
		    (s[i] == ',' && comma))
			return 0;
		else if (s[i] == ',')
			comma = s + i;
	if (!comma || comma == s || comma == s + len - 2)
		return 0;
	st->row_line = st->line;
	on_field((void *)s, (size_t)(comma - s), st);
	on_field((void *)(comma + 1), (size_t)(s + len - 2 - comma), st);
	on_row('\n', st);
	return 1;
}

/* One line (its '\n' included, if any) to the parser. */
static void feed_line(struct csv_parser *p, struct csv_state *st, const char *s, size_t len)
{
	st->line++;
	if (!st->row_line && st->line > 1 && plain_row(st, s, len))
		return;
	if (st->line == 1 && len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
		s += 3;
		len -= 3;
	}
	/* a row starts on the first line that is not blank (s is not NUL-terminated) */
	if (!st->row_line) {
		size_t i = 0;

		while (i < len && (s[i] == '\r' || s[i] == '\n'))
			i++;
		if (i < len)
			st->row_line = st->line;
	}
	if (csv_parse(p, s, len, on_field, on_row, st) != len) {
		st->row_line = st->row_line ? st->row_line : st->line;
		bad_row(st, csv_strerror(csv_error(p)));
	}
}

/*
 * Feeds f to the parser line by line, so a row's line is known, from reads
 * of a megabyte or more (a longer line grows the buffer). -1 on a read or
 * memory error (e set), 0 otherwise (st->failed tells a bad row).
 */
static int feed_file(struct csv_parser *p, struct csv_state *st, FILE *f, terra_err *e)
{
	size_t cap = (size_t)1 << 20, have = 0, got;
	char *buf = malloc(cap), *s, *nl, *end;
	int eof = 0, rc = -1;

	if (!buf)
		return terra_err_sys(e, "holders: read buffer");
	while (!eof && !st->failed) {
		if (have == cap) {
			char *b = realloc(buf, cap * 2);

			if (!b) {
				terra_err_sys(e, "holders: a line of over %zu bytes", cap);
				goto out;
			}
			buf = b;
			cap *= 2;
		}
		got = fread(buf + have, 1, cap - have, f);
		if (got < cap - have) {
			if (ferror(f)) {
				terra_err_sys(e, "read '%s'", st->name);
				goto out;
			}
			eof = 1;
		}
		have += got;
		end = buf + have;
		for (s = buf; s < end && !st->failed; s = nl + 1) {
			nl = memchr(s, '\n', (size_t)(end - s));
			if (!nl) {
				if (!eof)
					break;
				nl = end - 1;
			}
			feed_line(p, st, s, (size_t)(nl + 1 - s));
		}
		if (s < end)
			memmove(buf, s, (size_t)(end - s));
		have = s < end ? (size_t)(end - s) : 0;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

int terra_holders_load(terra_holders *hs, const char *path, terra_err *e)
{
	struct csv_parser p;
	struct csv_state st;
	FILE *f = NULL;
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
	/* libcsv grows a field 128 bytes at a time; a hostile megabyte-long
	 * field would be copied thousands of times over where realloc cannot
	 * grow in place (ASan's always moves): 64 KiB steps */
	csv_set_blk_size(&p, (size_t)64 << 10);
	if (feed_file(&p, &st, f, e) < 0 || st.failed)
		goto out;
	if (csv_fini(&p, on_field, on_row, &st) != 0) {
		if (!st.row_line)
			st.row_line = st.line;
		bad_row(&st, "unterminated quoted field");
	}
	if (st.failed)
		goto out;
	if (terra_holders_sort(hs, path, e) < 0 || terra_holders_case_check(hs, path, e) < 0)
		goto out;
	/* checked: no message will name a row now, and a million lines are 4 MB */
	free(hs->line);
	hs->line = NULL;
	fit(hs);
	rc = 0;
out:
	if (p_ok)
		csv_free(&p);
	if (f)
		fclose(f);
	if (rc < 0)
		terra_holders_free(hs);
	return rc;
}
