/* The HTML dashboard; see report.h. */
#include "report.h"

#include "earnings.h"
#include "healthlog.h"
#include "hex.h"
#include "ledger.h"
#include "money.h"
#include "reportrows.h"
#include "reportuse.h"
#include "reporttop.h"
#include "settlestore.h"
#include "time.h"
#include "unit.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct rep {
	int by;
	json_t *buckets;     /* labels in order */
	json_t *rev;         /* label -> {revenue, contributors, holders, treasury, carry} */
	json_t *owners;      /* label -> {owner -> amount} */
	json_t *units;       /* label -> {unit -> [work, earned]} */
	json_t *usage;       /* label -> {unit -> [busy_us, work]}, from meter records */
	json_t *totals;      /* unit -> [busy_us, work] over the range */
	json_t *starts;      /* label -> an instant (µs) within its period */
	terra_reporttop top; /* past TERRA_REPORT_TOP units, the rest in one row */
	int64_t last_start;  /* the settlement add_earning was last called for, */
	json_t *last_units;  /* and its bucket's map in units (NULL: none yet) */
};

/* The label of start's period, b, and start kept as an instant within it
 * (for a regrouping into longer periods); -1 when memory runs out. */
static int bucket_of(struct rep *r, int64_t start, char out[TERRA_REPORT_LABEL_MAX])
{
	terra_reportrows_label(r->by, start, out);
	if (json_object_get(r->starts, out))
		return 0;
	return json_object_set_new(r->starts, out, json_integer(start));
}

static json_t *slot(json_t *map, const char *key, json_t *(*make)(void))
{
	json_t *v = json_object_get(map, key);

	if (!v && (v = make()) && json_object_set_new(map, key, v) < 0)
		v = NULL;
	return v;
}

static json_t *new_split(void)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "revenue", (json_int_t)0, "contributors",
	                 (json_int_t)0, "holders", (json_int_t)0, "treasury", (json_int_t)0,
	                 "carry", (json_int_t)0, "span", (json_int_t)0);
}

static json_t *new_pair(void)
{
	return json_pack("[I,I]", (json_int_t)0, (json_int_t)0);
}

/* Adds v to obj_or_arr's key (from 0) or element idx; -1 when memory runs out
 * or the sum would pass int64. */
static int add_int(json_t *obj_or_arr, const char *key, size_t idx, int64_t v)
{
	json_t *n = key ? json_object_get(obj_or_arr, key) : json_array_get(obj_or_arr, idx);
	int64_t sum;

	if (!n && key && json_object_set_new(obj_or_arr, key, n = json_integer(0)) < 0)
		return -1;
	/* past int64 is refused (the caller says so), never wrapped */
	if (__builtin_add_overflow(json_integer_value(n), v, &sum))
		return -1;
	return json_integer_set(n, sum);
}

static int64_t amount_of(const json_t *o, const char *key)
{
	terra_err ignored;
	int64_t v = 0;

	terra_money_parse(json_string_value(json_object_get(o, key)), 1, &v, &ignored);
	return v;
}

/* One settlement payload into the revenue and owner buckets. */
static int add_settlement(struct rep *r, const json_t *p, int64_t from, int64_t to, terra_err *e)
{
	const char *period = json_string_value(json_object_get(p, "period"));
	json_t *split, *own, *post;
	int64_t start, end;
	char b[TERRA_REPORT_LABEL_MAX];
	size_t i;

	if (!period || terra_period_parse(period, &start, &end, e) < 0)
		return terra_err_wrap(e, "report: settlement");
	if ((from || to) && (start < from || end > to))
		return 0;
	if (bucket_of(r, start, b) < 0 ||
	    (!json_object_get(r->rev, b) && json_array_append_new(r->buckets, json_string(b)) < 0))
		return terra_err_set(e, TERRA_E_SYS, "report: out of memory");
	if (!(split = slot(r->rev, b, new_split)) || !(own = slot(r->owners, b, json_object)))
		return terra_err_set(e, TERRA_E_SYS, "report: out of memory");
	if (add_int(split, "span", 0, end - start) < 0 || /* settled time, for utilization */
	    add_int(split, "revenue", 0, amount_of(p, "revenue")) < 0 ||
	    add_int(split, "carry", 0, amount_of(p, "carry_out")) < 0)
		return terra_err_set(e, TERRA_E_SYS, "report: out of memory");
	json_array_foreach(json_object_get(p, "postings"), i, post)
	{
		const char *role = json_string_value(json_object_get(post, "role"));
		const char *account = json_string_value(json_object_get(post, "account"));
		int64_t a = amount_of(post, "amount");
		int bad = 0;

		if (!role || !strcmp(role, "source"))
			continue;
		if (!strcmp(role, "contributor"))
			bad = add_int(split, "contributors", 0, a) < 0 ||
			      (account && add_int(own, account, 0, a) < 0);
		else if (!strcmp(role, "holders") || !strcmp(role, "treasury"))
			bad = add_int(split, role, 0, a) < 0;
		if (bad)
			return terra_err_set(e, TERRA_E_SYS, "report: out of memory");
	}
	return 0;
}

static int add_earning(void *ctx, const char *period, int64_t start, int64_t end, const char *unit,
                       const char *owner, int64_t weight, int64_t amount, terra_err *e)
{
	struct rep *r = ctx;
	json_t *m, *pair;
	char b[TERRA_REPORT_LABEL_MAX];

	(void)period;
	(void)end;
	(void)owner;
	/* a settlement's units come one after another: its bucket is found once,
	 * not once a unit (a year for a thousand units is 8.76 million calls) */
	if (!r->last_units || start != r->last_start) {
		if (bucket_of(r, start, b) < 0 || !(m = slot(r->units, b, json_object)))
			return terra_err_set(e, TERRA_E_SYS, "report: out of memory");
		r->last_start = start;
		r->last_units = m;
	}
	if (!(pair = slot(r->last_units, unit, new_pair)))
		return terra_err_set(e, TERRA_E_SYS, "report: out of memory");
	if (add_int(pair, NULL, 0, weight) < 0 || add_int(pair, NULL, 1, amount) < 0)
		return terra_err_set(e, TERRA_E_SYS, "report: out of memory");
	return 0;
}

struct use_ctx {
	struct rep *r;
	const terra_report_opts *o;
};

static void bad_line(void *ctx, const terra_err *e)
{
	const terra_report_opts *o = ((struct use_ctx *)ctx)->o;

	if (o->bad)
		o->bad(o->bad_arg, e);
}

static int add_usage(void *ctx, int64_t start, int64_t end, const char *unit, int64_t busy_us,
                     int64_t work, int64_t weight, terra_err *e)
{
	struct rep *r = ((struct use_ctx *)ctx)->r;
	json_t *m, *pair, *total;
	char b[TERRA_REPORT_LABEL_MAX];

	(void)end;
	(void)weight;
	if (bucket_of(r, start, b) < 0 || !(m = slot(r->usage, b, json_object)) ||
	    !(pair = slot(m, unit, new_pair)) || !(total = slot(r->totals, unit, new_pair)))
		return terra_err_set(e, TERRA_E_SYS, "report: out of memory");
	if (add_int(pair, NULL, 0, busy_us) < 0 || add_int(pair, NULL, 1, work) < 0 ||
	    add_int(total, NULL, 0, busy_us) < 0 || add_int(total, NULL, 1, work) < 0)
		return terra_err_set(e, TERRA_E_SYS, "report: out of memory");
	return 0;
}

static int gather_usage(terra_home *h, struct rep *r, const terra_report_opts *o, terra_err *e)
{
	json_t *seen = json_object();
	struct use_ctx c = {r, o};
	int i, ret = 0;

	if (!seen)
		return terra_err_set(e, TERRA_E_SYS, "report: out of memory");
	for (i = 0; i < o->nmeter && ret == 0; i++)
		ret = terra_reportuse_read(h, o->meter[i], o->from, o->to, seen, add_usage,
		                           bad_line, &c, e);
	json_decref(seen);
	return ret;
}

struct gather {
	struct rep *r;
	int64_t from, to;
};

static int gather_one(void *ctx, const char *payload, terra_err *e)
{
	struct gather *g = ctx;
	json_t *p = json_loads(payload, 0, NULL);
	int bad;

	if (!p)
		return terra_err_set(e, TERRA_E_INPUT, "report: a settlement payload is not JSON");
	bad = add_settlement(g->r, p, g->from, g->to, e) < 0;
	json_decref(p);
	return bad ? -1 : 0;
}

static int gather(terra_home *h, struct rep *r, int64_t from, int64_t to, terra_err *e)
{
	struct gather g = {r, from, to};
	char last[64];
	int64_t n = 0;

	if (terra_settle_summary(h->db, &n, last, e) < 0)
		return -1;
	if (from || to)
		n = (to - from) / 3600000000;
	r->by = n <= TERRA_REPORT_MAX_PERIODS        ? TERRA_REPORT_BY_PERIOD
	        : n <= 24 * TERRA_REPORT_MAX_PERIODS ? TERRA_REPORT_BY_DAY
	                                             : TERRA_REPORT_BY_WEEK;
	if (terra_settle_each_payload(h->db, gather_one, &g, e) < 0)
		return -1;
	return terra_earnings_each(h->db, from, to, add_earning, r, e);
}

/* Longer periods while the owners', units' or usage table passes max rows. */
static int fit_rows(struct rep *r, size_t max, terra_err *e)
{
	json_t *maps[4] = {r->rev, r->owners, r->units, r->usage};
	int ret = terra_reportrows_fit(&r->by, max, &r->starts, &r->buckets, maps, 4, 1, e);

	r->rev = maps[0];
	r->owners = maps[1];
	r->units = maps[2];
	r->usage = maps[3];
	r->last_units = NULL;
	return ret;
}

/* Text for HTML, escaped. */
static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			putc(*s, f);
	}
}

static void money_td(FILE *f, int64_t v)
{
	char a[TERRA_AMOUNT_MAX];

	terra_money_format(v, a);
	fprintf(f, "<td class=\"n\">%s</td>", a);
}

/* Busy time in hours, six decimals, cut (not rounded). */
static void hours_td(FILE *f, int64_t us)
{
	fprintf(f, "<td class=\"n\">%" PRId64 ".%06" PRId64 "</td>", us / 3600000000,
	        us % 3600000000 / 3600);
}

/* part / whole as a percentage, four decimals, cut. */
static void percent_td(FILE *f, int64_t part, int64_t whole)
{
	int64_t ppm = whole > 0 ? part * 1000000 / whole : 0;

	fprintf(f, "<td class=\"n\">%" PRId64 ".%04" PRId64 "</td>", ppm / 10000, ppm % 10000);
}

static void table_start(FILE *f, const char *id, const char *caption, const char *const *cols)
{
	fprintf(f, "<div class=\"fig\"><table id=\"%s\"><caption>%s</caption><thead><tr>", id,
	        caption);
	for (; *cols; cols++)
		fprintf(f, "<th>%s</th>", *cols);
	fputs("</tr></thead><tbody>\n", f);
}

static void table_end(FILE *f)
{
	fputs("</tbody></table></div>\n", f);
}

static void chart(FILE *f, const char *id)
{
	fprintf(f, "<div class=\"chart\"><canvas id=\"%s\"></canvas></div>\n", id);
}

static void period_sections(FILE *f, const struct rep *r, int has_meter)
{
	static const char *const rev_cols[] = {
	    "period", "revenue", "contributors", "holders", "treasury", "carry", NULL};
	static const char *const own_cols[] = {"period", "owner", "earned", NULL};
	static const char *const unit_cols[] = {"period", "unit", "work", "earned", NULL};
	static const char *const use_cols[] = {"period",          "unit",          "busy (h)",
	                                       "utilization (%)", "verified work", NULL};
	const char *key;
	json_t *b, *v;
	size_t i;

	fputs("<section><h2>Revenue and its split</h2>\n", f);
	chart(f, "c-revenue");
	table_start(f, "revenue", "TERRA per period", rev_cols);
	json_array_foreach(r->buckets, i, b)
	{
		json_t *s = json_object_get(r->rev, json_string_value(b));

		fputs("<tr><td>", f);
		esc(f, json_string_value(b));
		fputs("</td>", f);
		money_td(f, json_integer_value(json_object_get(s, "revenue")));
		money_td(f, json_integer_value(json_object_get(s, "contributors")));
		money_td(f, json_integer_value(json_object_get(s, "holders")));
		money_td(f, json_integer_value(json_object_get(s, "treasury")));
		money_td(f, json_integer_value(json_object_get(s, "carry")));
		fputs("</tr>\n", f);
	}
	table_end(f);
	fputs("</section>\n<section><h2>Earnings per owner</h2>\n", f);
	terra_reporttop_note(f, "top-owners", "owners", r->top.other_owners,
	                     TERRA_REPORT_OTHER_OWNERS);
	chart(f, "c-owners");
	table_start(f, "owners", "TERRA per period and owner", own_cols);
	json_array_foreach(r->buckets, i, b)
	{
		json_object_foreach(json_object_get(r->owners, json_string_value(b)), key, v)
		{
			fputs("<tr><td>", f);
			esc(f, json_string_value(b));
			fputs("</td><td class=\"id\">", f);
			esc(f, key);
			fputs("</td>", f);
			money_td(f, json_integer_value(v));
			fputs("</tr>\n", f);
		}
	}
	table_end(f);
	fputs("</section>\n<section><h2>Work and earnings per unit</h2>\n", f);
	terra_reporttop_note(f, "top-units", "units", r->top.other_units, TERRA_REPORT_OTHER_UNITS);
	chart(f, "c-units");
	chart(f, "c-work");
	table_start(f, "units", "metered work (FLOP) and TERRA per period and unit", unit_cols);
	json_array_foreach(r->buckets, i, b)
	{
		json_object_foreach(json_object_get(r->units, json_string_value(b)), key, v)
		{
			fputs("<tr><td>", f);
			esc(f, json_string_value(b));
			fputs("</td><td class=\"id\">", f);
			esc(f, key);
			fprintf(f, "</td><td class=\"n\">%" JSON_INTEGER_FORMAT "</td>",
			        json_integer_value(json_array_get(v, 0)));
			money_td(f, json_integer_value(json_array_get(v, 1)));
			fputs("</tr>\n", f);
		}
	}
	table_end(f);
	terra_reporttop_totals(f, &r->top, r->totals);
	fputs("</section>\n<section><h2>Usage per unit</h2>\n", f);
	if (!has_meter)
		fputs("<p class=\"note\">Busy hours, utilization and verified work come from the "
		      "meter records: terra-ledger report --meter FILE.</p>\n",
		      f);
	chart(f, "c-usage");
	table_start(f, "usage", "busy hours, utilization of the settled time and verified work",
	            use_cols);
	json_array_foreach(r->buckets, i, b)
	{
		int64_t span = json_integer_value(
		    json_object_get(json_object_get(r->rev, json_string_value(b)), "span"));

		json_object_foreach(json_object_get(r->usage, json_string_value(b)), key, v)
		{
			int64_t busy = json_integer_value(json_array_get(v, 0));

			fputs("<tr><td>", f);
			esc(f, json_string_value(b));
			fputs("</td><td class=\"id\">", f);
			esc(f, key);
			fputs("</td>", f);
			hours_td(f, busy);
			percent_td(f, busy, span * terra_reporttop_count(v));
			fprintf(f, "<td class=\"n\">%" JSON_INTEGER_FORMAT "</td></tr>\n",
			        json_integer_value(json_array_get(v, 1)));
		}
	}
	table_end(f);
	fputs("</section>\n", f);
}

/* A unit's busy hours, verified work and rate over the range, or empty cells. */
static void bench_usage(FILE *f, const json_t *total)
{
	int64_t busy = json_integer_value(json_array_get(total, 0));
	int64_t work = json_integer_value(json_array_get(total, 1));

	if (!total) {
		fputs("<td></td><td></td><td></td>", f);
		return;
	}
	hours_td(f, busy);
	fprintf(f, "<td class=\"n\">%" PRId64 "</td><td class=\"n\">%.3Lf</td>", work,
	        busy > 0 ? (long double)work * 1e6L / (long double)busy : 0.0L);
}

struct bench_ctx {
	FILE *f;
	const struct rep *r;
	json_t *bench;
};

/* One row of the benchmark table, and [unit, MFLOPS] in the chart data. */
static int bench_row(void *ctx, const terra_unit_row *u, terra_err *e)
{
	struct bench_ctx *b = ctx;
	FILE *f = b->f;

	fputs("<tr><td class=\"id\">", f);
	esc(f, u->unit);
	fputs("</td><td>", f);
	esc(f, u->device_name);
	fputs("</td><td>", f);
	esc(f, u->state);
	fprintf(f, "</td><td class=\"n\">%" PRId64 ".%03" PRId64 "</td>", u->score / 1000,
	        u->score % 1000);
	bench_usage(f, json_object_get(b->r->totals, u->unit));
	fputs("</tr>\n", f);
	if (json_array_append_new(b->bench, json_pack("[s,I]", u->unit, (json_int_t)u->score)) < 0)
		return terra_err_set(e, TERRA_E_SYS, "report: out of memory");
	return 0;
}

static int unit_sections(FILE *f, terra_home *h, const struct rep *r, json_t *data, terra_err *e)
{
	static const char *const bench_cols[] = {"unit",
	                                         "name",
	                                         "state",
	                                         "score (GFLOPS)",
	                                         "busy (h)",
	                                         "verified work",
	                                         "verified rate (work/s)",
	                                         NULL};
	static const char *const health_cols[] = {"unit", "checked_at", "status", "reason", NULL};
	json_t *hist = NULL, *row, *bench = json_array();
	struct bench_ctx b = {f, r, bench};
	size_t i;

	if (!bench)
		return terra_err_set(e, TERRA_E_SYS, "report: out of memory");
	fputs("<section><h2>Benchmarks</h2>\n", f);
	chart(f, "c-bench");
	table_start(f, "bench", "registered fp32 score per unit", bench_cols);
	if (terra_unit_each(h->db, bench_row, &b, e) < 0) {
		json_decref(bench);
		return -1;
	}
	table_end(f);
	if (json_object_set_new(data, "bench", bench) < 0)
		return terra_err_set(e, TERRA_E_SYS, "report: out of memory");
	if (terra_healthlog_rows(h->db, NULL, &hist, e) < 0 ||
	    terra_healthlog_changes(&hist, e) < 0) {
		json_decref(hist);
		return -1;
	}
	fputs("</section>\n<section><h2>Health over time</h2>\n", f);
	chart(f, "c-health");
	table_start(f, "health", "each unit's first kept health observation and every change of it",
	            health_cols);
	json_array_foreach(hist, i, row)
	{
		const char *status = json_string_value(json_object_get(row, "status"));

		fputs("<tr><td class=\"id\">", f);
		esc(f, json_string_value(json_object_get(row, "unit")));
		fputs("</td><td>", f);
		esc(f, json_string_value(json_object_get(row, "checked_at")));
		fprintf(f, "</td><td class=\"%s\">", status);
		esc(f, status);
		fputs("</td><td>", f);
		esc(f, json_string_value(json_object_get(row, "reason")));
		fputs("</td></tr>\n", f);
	}
	table_end(f);
	fputs("</section>\n", f);
	if (json_object_set_new(data, "health", hist) < 0)
		return terra_err_set(e, TERRA_E_SYS, "report: out of memory");
	return 0;
}

/* The tree size of the latest signed checkpoint, 0 when none. */
static int64_t last_checkpoint(terra_home *h)
{
	terra_err ignored;
	int64_t entries, size;

	if (terra_ledger_sizes(h->db, &entries, &size, &ignored) < 0)
		return 0;
	return size;
}

static void hex_of(const uint8_t *b, char out[2 * TERRA_HASH_BYTES + 1])
{
	size_t i;

	for (i = 0; i < TERRA_HASH_BYTES; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* The kept checkpoint note (--since): its size and root, its witnesses,
 * and whether the ledger (verified, of `size` entries) extends it. */
static void kept_rows(FILE *f, const terra_report_opts *o, int verified, int64_t size,
                      const uint8_t since_root[TERRA_HASH_BYTES])
{
	char root[2 * TERRA_HASH_BYTES + 1];
	terra_err xe = {0};

	hex_of(o->kept->cp.root, root);
	fprintf(f,
	        "<tr><td>kept checkpoint</td><td class=\"n\">%" PRIu64 "</td></tr>\n"
	        "<tr><td>kept checkpoint root</td><td class=\"id\">%s</td></tr>\n"
	        "<tr><td>witness cosignatures</td><td class=\"n\">%u of %u</td></tr>\n",
	        o->kept->cp.size, root, o->kept->cosigned, o->nwitness);
	if (!verified)
		return;
	if (terra_tlog_extends(o->kept, size, since_root, &xe) == 0) {
		fputs("<tr><td>extends the kept checkpoint</td><td class=\"ok\">yes</td></tr>\n",
		      f);
		return;
	}
	fputs("<tr><td>extends the kept checkpoint</td><td class=\"sick\">NO: ", f);
	esc(f, xe.msg);
	fputs("</td></tr>\n", f);
}

static int ledger_section(FILE *f, terra_home *h, const terra_report_opts *o, terra_err *e)
{
	static const char *const bal_cols[] = {"account", "amount", NULL};
	static const char *const led_cols[] = {"item", "value", NULL};
	terra_ledger_report rep = {0};
	terra_err ve = {0};
	json_t *rows = NULL, *row;
	char root[2 * TERRA_HASH_BYTES + 1];
	size_t i;
	int ok;

	if (terra_ledger_balance_rows(h->db, NULL, &rows, e) < 0)
		return -1;
	fputs("<section><h2>Balances and the ledger</h2>\n", f);
	table_start(f, "balances", "what each account holds (TERRA)", bal_cols);
	json_array_foreach(rows, i, row)
	{
		fputs("<tr><td class=\"id\">", f);
		esc(f, json_string_value(json_object_get(row, "account")));
		fprintf(f, "</td><td class=\"n\">%s</td></tr>\n",
		        json_string_value(json_object_get(row, "amount")));
	}
	json_decref(rows);
	table_end(f);
	ok = (o->kept ? terra_ledger_verify_since(h, (int64_t)o->kept->cp.size, &rep, &ve)
	              : terra_ledger_verify(h, &rep, &ve)) == 0;
	table_start(f, "ledger", "the ledger", led_cols);
	if (ok) {
		hex_of(rep.root, root);
		fprintf(f,
		        "<tr><td>entries</td><td class=\"n\">%" PRId64 "</td></tr>\n"
		        "<tr><td>checkpoints</td><td class=\"n\">%" PRId64 "</td></tr>\n"
		        "<tr><td>last checkpoint</td><td class=\"n\">%" PRId64 "</td></tr>\n"
		        "<tr><td>settlements</td><td class=\"n\">%" PRId64 "</td></tr>\n"
		        "<tr><td>root</td><td class=\"id\">%s</td></tr>\n"
		        "<tr><td>verified</td><td class=\"ok\">yes</td></tr>\n",
		        rep.entries, rep.checkpoints, last_checkpoint(h), rep.settlements, root);
	} else {
		fputs("<tr><td>verified</td><td class=\"sick\">NO: ", f);
		esc(f, ve.msg);
		fputs("</td></tr>\n", f);
	}
	if (o->kept)
		kept_rows(f, o, ok, rep.entries, rep.since_root);
	if (ok)
		terra_ledger_report_free(&rep);
	table_end(f);
	fputs("</section>\n", f);
	return 0;
}

/* The data the charts draw, the same figures as the tables. */
static json_t *chart_data(const struct rep *r)
{
	json_t *d = json_pack("{s:O}", "buckets", r->buckets), *rev = json_object(),
	       *own = json_object(), *un = json_object(), *use = json_object(), *b, *v;
	static const char *const parts[] = {"revenue",  "contributors", "holders",
	                                    "treasury", "carry",        NULL};
	const char *key;
	size_t i, k;
	int bad = 0;

	for (k = 0; parts[k]; k++)
		bad |= json_object_set_new(rev, parts[k], json_array()) < 0;
	json_array_foreach(r->buckets, i, b)
	{
		const char *bk = json_string_value(b);

		for (k = 0; parts[k]; k++)
			bad |= json_array_append_new(
			           json_object_get(rev, parts[k]),
			           json_real((double)json_integer_value(json_object_get(
			                         json_object_get(r->rev, bk), parts[k])) /
			                     1e9)) < 0;
		json_object_foreach(json_object_get(r->owners, bk), key, v)
		{
			if (!json_object_get(own, key))
				bad |= json_object_set_new(own, key, json_object()) < 0;
			bad |=
			    json_object_set_new(json_object_get(own, key), bk,
			                        json_real((double)json_integer_value(v) / 1e9)) < 0;
		}
		json_object_foreach(json_object_get(r->usage, bk), key, v)
		{
			int64_t span = json_integer_value(
			    json_object_get(json_object_get(r->rev, bk), "span"));

			if (!json_object_get(use, key))
				bad |= json_object_set_new(use, key, json_object()) < 0;
			bad |=
			    json_object_set_new(
			        json_object_get(use, key), bk,
			        json_real(
			            span > 0
			                ? 100.0 * (double)json_integer_value(json_array_get(v, 0)) /
			                      (double)(span * terra_reporttop_count(v))
			                : 0.0)) < 0;
		}
		json_object_foreach(json_object_get(r->units, bk), key, v)
		{
			if (!json_object_get(un, key))
				bad |= json_object_set_new(un, key, json_object()) < 0;
			bad |=
			    json_object_set_new(
			        json_object_get(un, key), bk,
			        json_pack("[f,f]",
			                  (double)json_integer_value(json_array_get(v, 0)) / 1e12,
			                  (double)json_integer_value(json_array_get(v, 1)) / 1e9)) <
			    0;
		}
	}
	bad |= json_object_set_new(d, "revenue", rev) < 0;
	bad |= json_object_set_new(d, "owners", own) < 0;
	bad |= json_object_set_new(d, "units", un) < 0;
	bad |= json_object_set_new(d, "usage", use) < 0;
	if (bad) { /* a chart without some of its figures is not drawn */
		json_decref(d);
		return NULL;
	}
	return d;
}

static const char style[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
    "h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc}"
    "section{margin-bottom:2em}.chart{max-width:900px;height:260px}"
    ".fig{max-height:300px;overflow:auto;display:inline-block;vertical-align:top}"
    "table{border-collapse:collapse;font-size:12px}caption{text-align:left;color:#666}"
    "td,th{border:1px solid #ddd;padding:2px 6px}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums}td.id{font-family:monospace;font-size:11px}"
    "td.sick{color:#b00;font-weight:bold}td.degraded{color:#b60}td.ok{color:#070}"
    "td.busy{color:#06b}";

/* Draws the charts from the data blob with Chart.js (category axes: no
 * date adapter needed). The "other units" ("other owners") line sums up
 * to thousands of units: on an axis of its own at the right, dashed, so
 * the top units' lines keep the left axis's scale. No animation; at most
 * TERRA_REPORT_MAX_ROWS rows a table keeps the points few enough that
 * Chart.js's decimation is not needed. */
static const char draw[] =
    "(function(){var d=JSON.parse(document.getElementById('terra-data').textContent);"
    "var C=['#1f77b4','#ff7f0e','#2ca02c','#d62728','#9467bd','#8c564b','#e377c2',"
    "'#7f7f7f','#bcbd22','#17becf'];"
    "function ds(map,f,sep){return Object.keys(map).map(function(k,i){"
    "var y1=sep&&/^other /.test(k);return{label:k.slice(0,12),"
    "data:d.buckets.map(function(b){var v=map[k][b];return v===undefined?0:f(v)}),"
    "yAxisID:y1?'y1':'y',borderDash:y1?[5,3]:[],borderColor:y1?'#444':C[i%10],"
    "backgroundColor:y1?'#444':C[i%10],pointRadius:0,borderWidth:1}})}"
    "var o={animation:false,responsive:true,maintainAspectRatio:false,"
    "scales:{x:{ticks:{maxTicksLimit:12}},y1:{position:'right',display:'auto',"
    "grid:{drawOnChartArea:false},title:{display:true,text:'the others, summed'}}}};"
    "function mk(id,type,sets,opt){new Chart(document.getElementById(id),{type:type,"
    "data:{labels:d.buckets,datasets:sets},options:opt||o})}"
    "var parts=['contributors','holders','treasury','carry'];"
    "mk('c-revenue','bar',parts.map(function(p,i){return{label:p,data:d.revenue[p],"
    "backgroundColor:C[i]}}),{animation:false,responsive:true,maintainAspectRatio:false,"
    "scales:{x:{stacked:true,ticks:{maxTicksLimit:12}},y:{stacked:true}}});"
    "mk('c-owners','line',ds(d.owners,function(v){return v},1));"
    "mk('c-units','line',ds(d.units,function(v){return v[1]},1));"
    "mk('c-work','line',ds(d.units,function(v){return v[0]},1));"
    "mk('c-usage','line',ds(d.usage,function(v){return v}));"
    "new Chart(document.getElementById('c-bench'),{type:'bar',data:{labels:d.bench.map("
    "function(b){return b[0].slice(0,12)}),datasets:[{label:'GFLOPS',data:d.bench.map("
    "function(b){return b[1]/1000}),backgroundColor:C[0]}]},options:o});"
    "var lv={busy:0,ok:1,degraded:2,sick:3},units={};d.health.forEach(function(h){"
    "(units[h.unit]=units[h.unit]||[]).push({x:Date.parse(h.checked_at)/3600000,"
    "y:lv[h.status]})});"
    "new Chart(document.getElementById('c-health'),{type:'line',data:{datasets:"
    "Object.keys(units).map(function(u,i){return{label:u.slice(0,12),data:units[u],"
    "stepped:true,borderColor:C[i%10],backgroundColor:C[i%10]}})},options:{animation:false,"
    "responsive:true,maintainAspectRatio:false,scales:{x:{type:'linear',title:{display:true,"
    "text:'hours since 1970'}},y:{min:0,max:3,ticks:{stepSize:1,callback:function(v){"
    "return['busy','ok','degraded','sick'][v]}}}}}});})();";

int terra_report_write(terra_home *h, const terra_report_opts *o, FILE *f, terra_err *e)
{
	struct rep r = {0};
	json_t *data = NULL;
	char *blob = NULL, owner[TERRA_PK_HEX];
	int ret = -1;
	static const char *const by_name[] = {"settled period", "day (UTC)", "week"};

	r.buckets = json_array();
	r.rev = json_object();
	r.owners = json_object();
	r.units = json_object();
	r.usage = json_object();
	r.totals = json_object();
	r.starts = json_object();
	if (!r.buckets || !r.rev || !r.owners || !r.units || !r.usage || !r.totals || !r.starts) {
		terra_err_set(e, TERRA_E_SYS, "report: out of memory");
		goto out;
	}
	if (gather(h, &r, o->from, o->to, e) < 0 || gather_usage(h, &r, o, e) < 0 ||
	    fit_rows(&r, o->max_rows ? o->max_rows : TERRA_REPORT_MAX_ROWS, e) < 0 ||
	    terra_reporttop_apply(&r.top, r.units, r.usage, r.owners, e) < 0)
		goto out;
	data = chart_data(&r);
	fprintf(f,
	        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	        "<title>Terra report</title><style>%s</style></head><body>\n",
	        style);
	terra_hex(h->owner.pk, TERRA_PK_BYTES, owner);
	fputs("<h1>Terra report</h1>\n<p id=\"scope\">Home of owner <code>", f);
	esc(f, owner);
	fprintf(f, "</code>; %zu periods, one row per %s.</p>\n", json_array_size(r.buckets),
	        by_name[r.by]);
	period_sections(f, &r, o->nmeter > 0);
	if (!data) {
		terra_err_set(e, TERRA_E_SYS, "report: out of memory");
		goto out;
	}
	if (unit_sections(f, h, &r, data, e) < 0 || ledger_section(f, h, o, e) < 0)
		goto out;
	blob = json_dumps(data, JSON_COMPACT | JSON_ESCAPE_SLASH);
	if (!blob) {
		terra_err_set(e, TERRA_E_SYS, "report: out of memory");
		goto out;
	}
	fprintf(f, "<script type=\"application/json\" id=\"terra-data\">%s</script>\n<script>",
	        blob);
	if (o->chart_js && fwrite(o->chart_js, 1, o->chart_js_len, f) != o->chart_js_len)
		goto werr;
	fprintf(f, "</script>\n<script>%s</script>\n</body></html>\n", draw);
	if (ferror(f))
		goto werr;
	ret = 0;
	goto out;
werr:
	terra_err_sys(e, "report: write");
out:
	free(blob);
	json_decref(data);
	json_decref(r.buckets);
	json_decref(r.rev);
	json_decref(r.owners);
	json_decref(r.units);
	json_decref(r.usage);
	json_decref(r.totals);
	json_decref(r.starts);
	terra_reporttop_free(&r.top);
	return ret;
}
