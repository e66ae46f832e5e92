/* Metrics for Prometheus from the home and from probe records; see metrics.h. */
#include "metrics.h"

#include "db.h"
#include "ledger.h"
#include "money.h"
#include "prom.h"
#include "unit.h"
#include "time.h"
#include "unitlock.h"

#include <inttypes.h>
#include <string.h>

static const char *const health_states[] = {"ok", "degraded", "sick", "busy", "unknown", NULL};

static int64_t time_of(const char *s)
{
	terra_err ignored;
	int64_t us = 0;

	return terra_time_parse(s, &us, &ignored) < 0 ? -1 : us;
}

static int add_unit(void *ctx, const terra_unit_row *u, terra_err *e)
{
	char score[24];
	json_t *r;

	snprintf(score, sizeof score, "%" PRId64, u->score);
	r = json_pack("[sssssss]", u->unit, u->owner, u->kind, u->state, score, u->health,
	              u->checked_at);
	if (!r || json_array_append_new(ctx, r))
		return terra_err_set(e, TERRA_E_SYS, "metrics: units: out of memory");
	return 0;
}

/* The units with their latest health, as rows [unit, owner, kind, state, score, health, at]. */
static int load_units(sqlite3 *db, json_t **rows, terra_err *e)
{
	*rows = json_array();
	if (!*rows)
		return terra_err_set(e, TERRA_E_SYS, "metrics: units: out of memory");
	if (terra_unit_each(db, add_unit, *rows, e) < 0) {
		json_decref(*rows);
		*rows = NULL;
		return terra_err_wrap(e, "metrics: units");
	}
	return 0;
}

#define COL(r, i) json_string_value(json_array_get(r, i))

static void unit_metrics(const terra_home *h, const json_t *units, FILE *f)
{
	int64_t active = 0, retired = 0;
	const json_t *r;
	size_t i, s;

	json_array_foreach(units, i, r)
	{
		if (!strcmp(COL(r, 3), "active"))
			active++;
		else
			retired++;
	}
	terra_prom_family(f, "terra_units", "gauge", "Registered units by state.");
	terra_prom_int(f, "terra_units", (const char *[]){"state", "active", NULL}, active);
	terra_prom_int(f, "terra_units", (const char *[]){"state", "retired", NULL}, retired);
	terra_prom_family(f, "terra_unit_info", "gauge",
	                  "One series per registered unit, with its owner, kind and state.");
	json_array_foreach(units, i, r)
	    terra_prom_sample(f, "terra_unit_info",
	                      (const char *[]){"unit", COL(r, 0), "owner", COL(r, 1), "kind",
	                                       COL(r, 2), "state", COL(r, 3), NULL},
	                      "1");
	terra_prom_family(
	    f, "terra_unit_health", "gauge",
	    "Each unit's latest registered health: 1 for its status, 0 for the others.");
	json_array_foreach(units, i, r) for (s = 0; health_states[s]; s++)
	    terra_prom_sample(f, "terra_unit_health",
	                      (const char *[]){"unit", COL(r, 0), "status", health_states[s], NULL},
	                      strcmp(COL(r, 5), health_states[s]) ? "0" : "1");
	terra_prom_family(f, "terra_unit_in_use", "gauge",
	                  "1 while a process (terra-run, or terra-probe measuring it) holds the "
	                  "unit's lock.");
	json_array_foreach(units, i, r)
	{
		char who[32];

		terra_prom_sample(f, "terra_unit_in_use", (const char *[]){"unit", COL(r, 0), NULL},
		                  terra_unitlock_holder(h, COL(r, 0), who, sizeof who) > 0 ? "1"
		                                                                           : "0");
	}
	terra_prom_family(f, "terra_unit_health_checked_timestamp_seconds", "gauge",
	                  "When each unit's latest registered probe ran.");
	json_array_foreach(units, i, r)
	{
		int64_t at = time_of(COL(r, 6));

		if (at >= 0)
			terra_prom_time(f, "terra_unit_health_checked_timestamp_seconds",
			                (const char *[]){"unit", COL(r, 0), NULL}, at);
	}
	terra_prom_family(
	    f, "terra_unit_benchmark_flops", "gauge",
	    "Each unit's registered score: its sgemm FP32 floating-point operations per second.");
	json_array_foreach(units, i, r)
	{
		char flops[40];

		snprintf(flops, sizeof flops, "%s000000", COL(r, 4));
		terra_prom_sample(f, "terra_unit_benchmark_flops",
		                  (const char *[]){"unit", COL(r, 0), NULL}, flops);
	}
}

struct ledger_sums {
	int64_t entries, size, settlements, revenue, last_at, settled_until;
};

static int add_settlement(void *ctx, int64_t seq, const char *kind, const char *line, size_t len,
                          const json_t *p, const terra_entry *en, terra_err *e)
{
	struct ledger_sums *s = ctx;
	const char *period = json_string_value(json_object_get(p, "period"));
	int64_t rev = 0, start, end;

	(void)seq;
	(void)kind;
	(void)line;
	(void)len;
	if (terra_money_parse(json_string_value(json_object_get(p, "revenue")), 1, &rev, e) < 0 ||
	    terra_money_add(s->revenue, rev, &s->revenue, e) < 0)
		return terra_err_wrap(e, "metrics: settlement");
	if (period && terra_period_parse(period, &start, &end, e) == 0 && end > s->settled_until)
		s->settled_until = end;
	s->settlements++;
	s->last_at = time_of(en->created_at);
	return 0;
}

static int ledger_sums(sqlite3 *db, struct ledger_sums *s, terra_err *e)
{
	terra_err ignored;

	memset(s, 0, sizeof *s);
	s->last_at = s->settled_until = -1;
	if (terra_ledger_sizes(db, &s->entries, &s->size, &ignored) < 0)
		s->entries = s->size = -1;
	return terra_ledger_each_entry(db, "settlement", 1, add_settlement, s, e);
}

static void money_sample(FILE *f, const char *name, const char *const *labels, int64_t units)
{
	char amount[TERRA_AMOUNT_MAX];

	terra_money_format(units, amount);
	terra_prom_sample(f, name, labels, amount);
}

static int ledger_metrics(terra_home *h, int verify, FILE *f, terra_err *e)
{
	struct ledger_sums s;
	json_t *balances = NULL, *v;
	const char *account;

	if (ledger_sums(h->db, &s, e) < 0 || terra_ledger_balances(h->db, &balances, e) < 0)
		return -1;
	terra_prom_family(f, "terra_ledger_entries", "gauge", "Entries in the ledger.");
	terra_prom_int(f, "terra_ledger_entries", NULL, s.entries);
	terra_prom_family(f, "terra_ledger_checkpoint_size", "gauge",
	                  "Tree size of the latest signed checkpoint.");
	terra_prom_int(f, "terra_ledger_checkpoint_size", NULL, s.size);
	terra_prom_family(f, "terra_settlements_total", "counter", "Settlements in the ledger.");
	terra_prom_int(f, "terra_settlements_total", NULL, s.settlements);
	terra_prom_family(f, "terra_settled_revenue_total", "counter",
	                  "Revenue settled, in TERRA: the sum of the settlements' revenue.");
	money_sample(f, "terra_settled_revenue_total", NULL, s.revenue);
	terra_prom_family(f, "terra_payouts_total", "counter",
	                  "Payments recorded by terra-ledger pay, in TERRA.");
	money_sample(f, "terra_payouts_total", NULL,
	             json_integer_value(json_object_get(balances, "paid")));
	terra_prom_family(f, "terra_account_balance", "gauge",
	                  "Balance of each ledger account, in TERRA (what is owed to it).");
	json_object_foreach(balances, account, v)
	    money_sample(f, "terra_account_balance", (const char *[]){"account", account, NULL},
	                 json_integer_value(v));
	json_decref(balances);
	if (s.last_at >= 0) {
		terra_prom_family(f, "terra_ledger_last_settlement_timestamp_seconds", "gauge",
		                  "When the latest settlement was appended.");
		terra_prom_time(f, "terra_ledger_last_settlement_timestamp_seconds", NULL,
		                s.last_at);
		terra_prom_family(f, "terra_ledger_settled_until_timestamp_seconds", "gauge",
		                  "End of the latest settled period.");
		terra_prom_time(f, "terra_ledger_settled_until_timestamp_seconds", NULL,
		                s.settled_until);
	}
	if (verify) {
		terra_ledger_report rep;
		terra_err ve = {0};
		int64_t now = 0;
		int ok = terra_ledger_verify(h, &rep, &ve) == 0;

		if (ok)
			terra_ledger_report_free(&rep);
		if (terra_time_now(&now, e) < 0)
			return -1;
		terra_prom_family(
		    f, "terra_ledger_verified", "gauge",
		    "1 when the ledger verified (terra-ledger verify), 0 when it did not.");
		terra_prom_int(f, "terra_ledger_verified", NULL, ok);
		terra_prom_family(f, "terra_ledger_verify_timestamp_seconds", "gauge",
		                  "When the ledger was last verified for these metrics.");
		terra_prom_time(f, "terra_ledger_verify_timestamp_seconds", NULL, now);
	}
	return 0;
}

static int written(FILE *f, terra_err *e)
{
	if (ferror(f))
		return terra_err_sys(e, "metrics: write");
	return 0;
}

/* Each unit's verified rate, in FLOP/s, beside its benchmark. */
static void rate_metrics(const json_t *rates, FILE *f)
{
	const char *unit;
	json_t *r;

	terra_prom_family(f, "terra_unit_verified_flops", "gauge",
	                  "Each unit's verified work per busy second over its newest meter "
	                  "records, FLOP/s (terra-register list --meter).");
	json_object_foreach((json_t *)rates, unit, r)
	{
		const json_t *m = json_object_get(r, "verified_mflops");
		char flops[40];

		if (!m)
			continue;
		snprintf(flops, sizeof flops, "%" JSON_INTEGER_FORMAT "%s", json_integer_value(m),
		         json_integer_value(m) ? "000000" : "");
		terra_prom_sample(f, "terra_unit_verified_flops",
		                  (const char *[]){"unit", unit, NULL}, flops);
	}
}

int terra_metrics_home(terra_home *h, int verify, const json_t *rates, FILE *f, terra_err *e)
{
	json_t *units = NULL;

	if (load_units(h->db, &units, e) < 0)
		return -1;
	unit_metrics(h, units, f);
	json_decref(units);
	if (rates)
		rate_metrics(rates, f);
	if (ledger_metrics(h, verify, f, e) < 0)
		return -1;
	return written(f, e);
}

/* A device's labels: host and index. */
struct dev {
	const json_t *rec;
	char index[24];
	const char *host;
};

static void dev_labels(const json_t *d, struct dev *out)
{
	out->rec = d;
	snprintf(out->index, sizeof out->index, "%" JSON_INTEGER_FORMAT,
	         json_integer_value(json_object_get(d, "index")));
	out->host = json_string_value(json_object_get(d, "host"));
	if (!out->host)
		out->host = "";
}

static const char *str(const json_t *d, const char *key)
{
	const char *s = json_string_value(json_object_get(d, key));
	return s ? s : "";
}

/* A bench figure in millions a second, as a whole number a second. */
static void bench_million(FILE *f, const char *name, const struct dev *d, const char *key,
                          const char *label, const char *value)
{
	json_t *v = json_object_get(json_object_get(d->rec, "bench"), key);
	char s[40];

	if (!json_is_integer(v))
		return;
	snprintf(s, sizeof s, "%" JSON_INTEGER_FORMAT "000000", json_integer_value(v));
	terra_prom_sample(
	    f, name, (const char *[]){"host", d->host, "device", d->index, label, value, NULL}, s);
}

int terra_metrics_devices(const json_t *devices, FILE *f, terra_err *e)
{
	struct dev d;
	const json_t *r, *c, *v;
	size_t i, j, s;

	terra_prom_family(f, "terra_device_info", "gauge",
	                  "One series per probed device, with its name, kind, PCI bus id and "
	                  "fingerprint.");
	json_array_foreach(devices, i, r)
	{
		dev_labels(r, &d);
		terra_prom_sample(f, "terra_device_info",
		                  (const char *[]){"host", d.host, "device", d.index, "name",
		                                   str(r, "name"), "kind", str(r, "kind"),
		                                   "pci_bus_id", str(r, "pci_bus_id"),
		                                   "fingerprint", str(r, "fingerprint"), NULL},
		                  "1");
	}
	terra_prom_family(f, "terra_device_health", "gauge",
	                  "Each device's health: 1 for its status, 0 for the others.");
	json_array_foreach(devices, i, r)
	{
		const char *st = str(json_object_get(r, "health"), "status");

		dev_labels(r, &d);
		for (s = 0; health_states[s + 1]; s++)
			terra_prom_sample(f, "terra_device_health",
			                  (const char *[]){"host", d.host, "device", d.index,
			                                   "status", health_states[s], NULL},
			                  strcmp(st, health_states[s]) ? "0" : "1");
	}
	terra_prom_family(f, "terra_device_health_check_failed", "gauge",
	                  "1 for each health check a device failed.");
	json_array_foreach(devices, i, r)
	{
		dev_labels(r, &d);
		json_array_foreach(json_object_get(json_object_get(r, "health"), "checks"), j, c)
		{
			if (!strcmp(str(c, "status"), "fail"))
				terra_prom_sample(f, "terra_device_health_check_failed",
				                  (const char *[]){"host", d.host, "device",
				                                   d.index, "check", str(c, "name"),
				                                   NULL},
				                  "1");
		}
	}
	terra_prom_family(f, "terra_device_probe_timestamp_seconds", "gauge",
	                  "When each device was probed.");
	json_array_foreach(devices, i, r)
	{
		int64_t at = time_of(str(r, "probed_at"));

		dev_labels(r, &d);
		if (at >= 0)
			terra_prom_time(f, "terra_device_probe_timestamp_seconds",
			                (const char *[]){"host", d.host, "device", d.index, NULL},
			                at);
	}
	terra_prom_family(f, "terra_device_benchmark_flops", "gauge",
	                  "Measured floating-point operations per second, by precision.");
	json_array_foreach(devices, i, r)
	{
		dev_labels(r, &d);
		bench_million(f, "terra_device_benchmark_flops", &d, "fp32_mflops", "precision",
		              "fp32");
		bench_million(f, "terra_device_benchmark_flops", &d, "fp64_mflops", "precision",
		              "fp64");
	}
	terra_prom_family(f, "terra_device_benchmark_memory_bandwidth_bytes_per_second", "gauge",
	                  "Measured device memory bandwidth.");
	json_array_foreach(devices, i, r)
	{
		dev_labels(r, &d);
		bench_million(f, "terra_device_benchmark_memory_bandwidth_bytes_per_second", &d,
		              "mem_bw_mbps", NULL, NULL);
	}
	terra_prom_family(f, "terra_device_memory_bytes", "gauge", "Device global memory.");
	json_array_foreach(devices, i, r)
	{
		dev_labels(r, &d);
		v = json_object_get(r, "global_mem_bytes");
		if (json_is_integer(v))
			terra_prom_int(f, "terra_device_memory_bytes",
			               (const char *[]){"host", d.host, "device", d.index, NULL},
			               json_integer_value(v));
	}
	return written(f, e);
}
