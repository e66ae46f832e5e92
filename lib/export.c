#include "ledger.h"

#include "csvcell.h"
#include "db.h"
#include "ledgerint.h"
#include "money.h"
#include "record.h"
#include "settlestore.h"

#include <csv.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct export_ctx {
	sqlite3 *db;
	FILE *f;
	sqlite3_stmt *cp; /* checkpoint body by size */
	json_t *accounts; /* hledger: accounts seen */
	const char *period;
	json_t *sums; /* payouts: account -> integer */
	int64_t seq;  /* the entry being written */
};

static int put_line(FILE *f, const char *s, size_t n, terra_err *e)
{
	if (fwrite(s, 1, n, f) != n || putc('\n', f) == EOF)
		return terra_err_sys(e, "ledger: write");
	return 0;
}

/* Unit rows per settlement_inputs record: about 150 bytes each, far below 1 MiB a line. */
#define INPUTS_CHUNK 1000

/* The settlement's unit rows, in records of at most INPUTS_CHUNK rows (at least one record). */
static int write_inputs(struct export_ctx *x, int64_t seq, const char *period, const json_t *inputs,
                        terra_err *e)
{
	size_t i = 0, n = json_array_size(inputs), k;
	json_t *rec = NULL, *chunk = NULL;
	int ret = -1;

	do {
		chunk = json_array();
		for (k = 0; chunk && k < INPUTS_CHUNK && i < n; k++, i++)
			if (json_array_append(chunk, json_array_get(inputs, i))) {
				json_decref(chunk);
				chunk = NULL;
			}
		rec = chunk ? json_pack("{s:s, s:i, s:I, s:s, s:o}", "type", "settlement_inputs",
		                        "v", 1, "entry", (json_int_t)seq, "period", period,
		                        "inputs", chunk)
		            : NULL;
		if (!rec) {
			terra_err_sys(e, "ledger: export");
			goto out;
		}
		if (terra_rec_write(x->f, rec, e))
			goto out;
		json_decref(rec);
		rec = NULL;
	} while (i < n);
	ret = 0;
out:
	json_decref(rec);
	return ret;
}

int terra_ledger_holding_write(FILE *f, const char *account, int64_t units, int64_t seq)
{
	char amount[TERRA_AMOUNT_MAX];

	terra_money_format(units, amount);
	return fprintf(f,
	               "{\"account\":\"%s\",\"balance\":\"%s\",\"entry\":%" PRId64
	               ",\"type\":\"holding\",\"v\":1}\n",
	               account, amount, seq);
}

/* The snapshot body as holding records, one per holder, in body order. */
static int write_holdings(struct export_ctx *x, int64_t seq, const char *snap, size_t len,
                          terra_err *e)
{
	const char *p = snap, *end = snap + len;

	while (p < end) {
		const char *nul = memchr(p, '\0', (size_t)(end - p)), *nl;
		char *stop;
		long long units;

		nl = nul ? memchr(nul, '\n', (size_t)(end - nul)) : NULL;
		if (!nl || !terra_ledger_safe_text(p) || nl - nul > 20)
			return terra_err_set(
			    e, TERRA_E_VERIFY,
			    "entry %" PRId64
			    ": holders snapshot is malformed; run 'terra-ledger verify'",
			    seq);
		errno = 0;
		units = strtoll(nul + 1, &stop, 10);
		if (stop != nl || errno || units < 0)
			return terra_err_set(
			    e, TERRA_E_VERIFY,
			    "entry %" PRId64
			    ": holders snapshot is malformed; run 'terra-ledger verify'",
			    seq);
		if (terra_ledger_holding_write(x->f, p, (int64_t)units, seq) < 0)
			return terra_err_sys(e, "ledger: write");
		p = nl + 1;
	}
	return 0;
}

static int ndjson_fn(void *ctx, int64_t seq, const char *kind, const char *line, size_t len,
                     const json_t *payload, const terra_entry *en, terra_err *e)
{
	struct export_ctx *x = ctx;
	json_t *inputs = NULL;
	const char *body, *period;
	void *snap = NULL;
	size_t slen = 0;
	int rc, ret = -1;

	(void)en;
	if (put_line(x->f, line, len, e))
		goto out;
	if (!strcmp(kind, "settlement")) {
		period = json_string_value(json_object_get(payload, "period"));
		if (!period) {
			terra_err_set(e, TERRA_E_VERIFY,
			              "entry %" PRId64 ": settlement without a period", seq);
			goto out;
		}
		if (terra_settle_inputs_load(x->db, period, &inputs, e) ||
		    write_inputs(x, seq, period, inputs, e) ||
		    terra_ledger_load_snapshot(x->db, payload, seq, &snap, &slen, e) ||
		    write_holdings(x, seq, snap, slen, e))
			goto out;
	}
	sqlite3_reset(x->cp);
	sqlite3_bind_int64(x->cp, 1, seq);
	rc = sqlite3_step(x->cp);
	if (rc == SQLITE_ROW) {
		body = (const char *)sqlite3_column_text(x->cp, 0);
		if (body && put_line(x->f, body, strlen(body), e))
			goto out;
	} else if (rc != SQLITE_DONE) {
		terra_db_err(x->db, e, "ledger: export");
		goto out;
	}
	ret = 0;
out:
	free(snap);
	json_decref(inputs);
	return ret;
}

static int csv_fn(void *ctx, int64_t seq, const char *kind, const char *line, size_t len,
                  const json_t *payload, const terra_entry *en, terra_err *e)
{
	struct export_ctx *x = ctx;
	char prev[TERRA_HASH_HEX], leaf[TERRA_HASH_HEX];
	uint8_t h[TERRA_HASH_BYTES];
	const char *ptext = en->payload;

	(void)line;
	(void)len;
	(void)payload;
	terra_hex(en->prev, TERRA_HASH_BYTES, prev);
	if (en->leaf)
		memcpy(h, en->leaf, TERRA_HASH_BYTES);
	else
		memset(h, 0, TERRA_HASH_BYTES);
	terra_hex(h, TERRA_HASH_BYTES, leaf);
	if (fprintf(x->f, "%" PRId64 ",%s,%s,%s,%s,", seq, kind, en->created_at, prev, leaf) < 0 ||
	    csv_fwrite(x->f, ptext, strlen(ptext)) || putc('\n', x->f) == EOF)
		return terra_err_sys(e, "ledger: write");
	return 0;
}

/* An account name hledger reads back as the same account. */
static int journal_account(const char *a)
{
	if (!*a || *a == '(' || *a == '[' || *a == ';' || *a == '#' || *a == '*')
		return 0;
	for (; *a; a++)
		if (*a == ' ' || *a == '\t' || (unsigned char)*a < 0x20 || *a == ';')
			return 0;
	return 1;
}

static int hledger_posting(void *ctx, const char *account, const char *role, int64_t units,
                           terra_err *e)
{
	struct export_ctx *x = ctx;
	char amount[TERRA_AMOUNT_MAX];

	(void)role;
	if (!journal_account(account))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "entry %" PRId64
		                     ": account '%s' cannot be written to a journal",
		                     x->seq, account);
	terra_money_format(units, amount);
	if (json_object_set_new(x->accounts, account, json_true()) < 0)
		return terra_err_set(e, TERRA_E_SYS, "ledger: export: out of memory");
	if (fprintf(x->f, "    %s  %s TERRA\n", account, amount) < 0)
		return terra_err_sys(e, "ledger: write");
	return 0;
}

static int hledger_fn(void *ctx, int64_t seq, const char *kind, const char *line, size_t len,
                      const json_t *payload, const terra_entry *en, terra_err *e)
{
	struct export_ctx *x = ctx;
	const char *at = en->created_at;
	const char *period = json_string_value(json_object_get(payload, "period"));
	void *snap = NULL;
	size_t slen = 0;
	int ret;

	(void)line;
	(void)len;
	if (strcmp(kind, "settlement") && strcmp(kind, "payment"))
		return 0;
	if (!strcmp(kind, "settlement") &&
	    terra_ledger_load_snapshot(x->db, payload, seq, &snap, &slen, e))
		return -1;
	if (fprintf(x->f, "%.10s %s%s%s  ; seq:%" PRId64 "\n", at, kind, period ? " | " : "",
	            period ? period : "", seq) < 0) {
		free(snap);
		return terra_err_sys(e, "ledger: write");
	}
	x->seq = seq;
	ret = terra_ledger_each_posting(payload, snap, slen, snap != NULL, seq, 0, hledger_posting,
	                                x, e);
	free(snap);
	if (ret)
		return -1;
	if (putc('\n', x->f) == EOF)
		return terra_err_sys(e, "ledger: write");
	return 0;
}

static int payout_posting(void *ctx, const char *account, const char *role, int64_t units,
                          terra_err *e)
{
	json_t *sums = ctx;
	int64_t sum;

	(void)role;
	if (units <= 0 || !strcmp(account, "carry"))
		return 0;
	sum = json_integer_value(json_object_get(sums, account));
	if (terra_money_add(sum, units, &sum, e))
		return terra_err_wrap(e, "account '%s'", account);
	if (json_object_set_new(sums, account, json_integer(sum)))
		return terra_err_sys(e, "ledger: payouts");
	return 0;
}

/* Payouts of one settlement: positive postings summed by account. */
static int payouts_fn(void *ctx, int64_t seq, const char *kind, const char *line, size_t len,
                      const json_t *payload, const terra_entry *en, terra_err *e)
{
	struct export_ctx *x = ctx;
	const char *period = json_string_value(json_object_get(payload, "period"));
	void *snap = NULL;
	size_t slen = 0;
	int ret;

	(void)kind;
	(void)line;
	(void)len;
	(void)en;
	if (!period || strcmp(period, x->period))
		return 0;
	if (terra_ledger_load_snapshot(x->db, payload, seq, &snap, &slen, e))
		return -1;
	ret = terra_ledger_each_posting(payload, snap, slen, 1, seq, 0, payout_posting, x->sums, e);
	free(snap);
	return ret;
}

/* A CSV field, quoted (libcsv) only when it needs to be. */
static int csv_field(FILE *f, const char *s)
{
	if (terra_csvcell_is_formula(s))
		return terra_csvcell_put_text(f, s);
	if (strpbrk(s, ",\"\r\n"))
		return csv_fwrite(f, s, strlen(s));
	return fputs(s, f) == EOF ? -1 : 0;
}

static int write_payouts(FILE *f, const json_t *sums, terra_err *e)
{
	char amount[TERRA_AMOUNT_MAX];
	const char **keys;
	size_t i, n;
	int64_t units;

	keys = terra_ledger_sorted_keys(sums, &n);
	if (!keys)
		return terra_err_sys(e, "ledger: payouts");
	if (fputs("account,amount\n", f) == EOF)
		goto fail;
	for (i = 0; i < n; i++) {
		units = json_integer_value(json_object_get(sums, keys[i]));
		if (units <= 0 || !strcmp(keys[i], "carry") || !strcmp(keys[i], "paid"))
			continue;
		terra_money_format(units, amount);
		if (csv_field(f, keys[i]) || fprintf(f, ",%s\n", amount) < 0)
			goto fail;
	}
	free(keys);
	return 0;
fail:
	free(keys);
	return terra_err_sys(e, "ledger: write");
}

int terra_ledger_export(sqlite3 *db, FILE *f, const char *format, const char *period, terra_err *e)
{
	struct export_ctx x = {db, f, NULL, NULL, period, NULL, 0};
	const char **keys = NULL;
	size_t i, n;
	int ret = -1;

	if (terra_db_exec(db, "BEGIN", e))
		return -1;
	if (!strcmp(format, "ndjson")) {
		if (terra_db_prepare(db, "SELECT body FROM checkpoints WHERE size = ?", &x.cp, e) ||
		    terra_ledger_each_entry(db, NULL, 1, ndjson_fn, &x, e))
			goto out;
	} else if (!strcmp(format, "csv")) {
		if (fputs("seq,kind,created_at,prev,leaf,payload\n", f) == EOF) {
			terra_err_sys(e, "ledger: write");
			goto out;
		}
		if (terra_ledger_each_entry(db, NULL, 0, csv_fn, &x, e))
			goto out;
	} else if (!strcmp(format, "hledger")) {
		x.accounts = json_object();
		if (fputs("; Terra ledger: settlements and payments, amounts in TERRA\n"
		          "commodity 1.000000000 TERRA\n"
		          "payee settlement\n"
		          "payee payment\n\n",
		          f) == EOF) {
			terra_err_sys(e, "ledger: write");
			goto out;
		}
		if (!x.accounts || terra_ledger_each_entry(db, NULL, 1, hledger_fn, &x, e))
			goto out;
		keys = terra_ledger_sorted_keys(x.accounts, &n);
		if (!keys) {
			terra_err_sys(e, "ledger: export");
			goto out;
		}
		for (i = 0; i < n; i++)
			if (fprintf(f, "account %s\n", keys[i]) < 0) {
				terra_err_sys(e, "ledger: write");
				goto out;
			}
	} else if (!strcmp(format, "payouts")) {
		if (period) {
			x.sums = json_object();
			if (!x.sums ||
			    terra_ledger_each_entry(db, "settlement", 1, payouts_fn, &x, e))
				goto out;
			if (json_object_size(x.sums) == 0) {
				terra_err_set(e, TERRA_E_NOTFOUND, "no settlement of period %s",
				              period);
				goto out;
			}
		} else if (terra_ledger_balances(db, &x.sums, e)) {
			goto out;
		}
		if (write_payouts(f, x.sums, e))
			goto out;
	} else {
		terra_err_set(e, TERRA_E_INPUT, "unknown export format '%s'", format);
		goto out;
	}
	ret = 0;
out:
	free(keys);
	json_decref(x.sums);
	json_decref(x.accounts);
	sqlite3_finalize(x.cp);
	terra_db_rollback(db);
	return ret;
}
