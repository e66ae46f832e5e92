/* terra-probe: find, benchmark and health-check every compute device. */
#include "lib/cli.h"
#include "lib/metrics.h"
#include "lib/probe.h"
#include "lib/prom.h"
#include "lib/record.h"
#include "lib/workbench.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "terra-probe [-q] [-d N] [-H DIR] [--bench full|quick|none] [--mem-test PERCENT]\n"
    "                   [--record FILE | --replay FILE] [-o prometheus [--textfile DIR]]";

enum { OPT_BENCH = 256, OPT_MEMTEST, OPT_RECORD, OPT_REPLAY, OPT_TEXTFILE };

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static void progress(void *arg, int device, const char *what)
{
	(void)arg;
	fprintf(stderr, "\r%s: device %d: %-12s", terra_progname, device, what);
	fflush(stderr);
}

/* "device 1 (NVIDIA H100 80GB HBM3, 0000:18:00.0): sick: memory: ..." per failed check. */
static void report_unhealthy(const json_t *d)
{
	const json_t *health = json_object_get(d, "health"), *c;
	const char *status = json_string_value(json_object_get(health, "status"));
	const char *pci = json_string_value(json_object_get(d, "pci_bus_id"));
	size_t i;

	for (i = 0; i < json_array_size(json_object_get(health, "checks")); i++) {
		c = json_array_get(json_object_get(health, "checks"), i);
		if (strcmp(json_string_value(json_object_get(c, "status")), "fail") != 0)
			continue;
		terra_warnf("device %lld (%s%s%s): %s: %s: %s",
		            (long long)json_integer_value(json_object_get(d, "index")),
		            json_string_value(json_object_get(d, "name")), pci ? ", " : "",
		            pci ? pci : "", status, json_string_value(json_object_get(c, "name")),
		            json_string_value(json_object_get(c, "detail")));
	}
}

static int gen_metrics(void *devices, FILE *f, terra_err *e)
{
	return terra_metrics_devices(devices, f, e);
}

static const terra_cli_opt options[] = {
    {'q', "quick", NULL, "a short benchmark (--bench quick)", NULL, NULL},
    {'d', "device", "N", "probe device N only", NULL, NULL},
    {'H', "home", "DIR", "the Terra home, for the baselines (terra(7))", NULL, NULL},
    {OPT_BENCH, "bench", "MODE", "benchmark full, quick or none", NULL, NULL},
    {OPT_MEMTEST, "mem-test", "PERCENT", "test PERCENT of each device's memory", NULL, NULL},
    {OPT_RECORD, "record", "FILE", "record what OpenCL says to FILE", NULL, NULL},
    {OPT_REPLAY, "replay", "FILE", "probe a recording instead of the hardware", NULL, NULL},
    {'o', "output", "FORMAT", "records (the default) or prometheus metrics", NULL, NULL},
    {OPT_TEXTFILE, "textfile", "DIR", "-o prometheus: write DIR/terra-probe.prom atomically", NULL,
     NULL},
    {0, NULL, NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	terra_probe_opts o = {.bench = TERRA_PROBE_BENCH_FULL,
	                      .mem_percent = 1,
	                      .device = -1,
	                      .work_bench = terra_workbench_probe};
	terra_probe_result res;
	terra_workbench_env wenv;
	terra_err e = {0};
	const char *textfile = NULL;
	int prometheus = 0;
	size_t i;
	json_t *v;
	int c, status = TERRA_EXIT_OK;

	terra_cli_init(argv[0]);
	while ((c = terra_cli_getopt(argc, argv, options, usage_text)) != -1) {
		switch (c) {
		case 'H':
			o.home = optarg;
			break;
		case 'd':
			if (parse_int(optarg, 0, INT_MAX, &o.device) < 0)
				terra_usage_error(usage_text, "-d: '%s' is not a device number",
				                  optarg);
			break;
		case 'q':
			o.bench = TERRA_PROBE_BENCH_QUICK;
			break;
		case OPT_BENCH:
			if (strcmp(optarg, "full") == 0)
				o.bench = TERRA_PROBE_BENCH_FULL;
			else if (strcmp(optarg, "quick") == 0)
				o.bench = TERRA_PROBE_BENCH_QUICK;
			else if (strcmp(optarg, "none") == 0)
				o.bench = TERRA_PROBE_BENCH_NONE;
			else
				terra_usage_error(
				    usage_text, "--bench: '%s' is not full, quick or none", optarg);
			break;
		case OPT_MEMTEST:
			if (parse_int(optarg, 0, 100, &o.mem_percent) < 0)
				terra_usage_error(usage_text,
				                  "--mem-test: '%s' is not a percentage 0-100",
				                  optarg);
			break;
		case OPT_RECORD:
			o.record = optarg;
			break;
		case OPT_REPLAY:
			o.replay = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "prometheus") && strcmp(optarg, "records"))
				terra_usage_error(usage_text,
				                  "-o: '%s' is not records or prometheus", optarg);
			prometheus = !strcmp(optarg, "prometheus");
			break;
		case OPT_TEXTFILE:
			textfile = optarg;
			break;
		}
	}
	if (optind < argc)
		terra_usage_error(usage_text, "unexpected argument '%s'", argv[optind]);
	if (textfile && !prometheus)
		terra_usage_error(usage_text, "--textfile is for -o prometheus");
	if (o.record && o.replay)
		terra_usage_error(usage_text, "--record and --replay exclude each other");
	if (!o.replay && isatty(STDERR_FILENO))
		o.progress = progress;
	if (terra_workbench_env_read(&wenv, &e) < 0)
		terra_die_err(&e);
	o.work_arg = &wenv;

	if (terra_probe_run(&o, &res, &e) < 0) {
		if (o.progress)
			fprintf(stderr, "\r%60s\r", "");
		terra_die_err(&e);
	}
	if (o.progress)
		fprintf(stderr, "\r%60s\r", "");
	for (i = 0; i < json_array_size(res.notes); i++)
		terra_warnf("%s", json_string_value(json_array_get(res.notes, i)));
	if (prometheus &&
	    terra_prom_emit(textfile, "terra-probe.prom", gen_metrics, res.devices, stdout, &e) < 0)
		terra_die_err(&e);
	if (!prometheus && res.host && terra_rec_write(stdout, res.host, &e) < 0)
		terra_die_err(&e);
	for (i = 0; i < json_array_size(res.devices); i++) {
		const json_t *health;
		const char *hs;

		v = json_array_get(res.devices, i);
		if (!prometheus && terra_rec_write(stdout, v, &e) < 0)
			terra_die_err(&e);
		health = json_object_get(v, "health");
		/* busy: in use by a run, not measured; nothing to fix */
		hs = json_string_value(json_object_get(health, "status"));
		if (strcmp(hs, "ok") != 0 && strcmp(hs, "busy") != 0) {
			report_unhealthy(v);
			status = TERRA_EXIT_FAIL;
		}
	}
	terra_probe_result_free(&res);
	return terra_cli_finish(status);
}
