/* terra-run: run workloads on the best-suited units through OpenCL, writing signed usage. */
#include "lib/cli.h"
#include "lib/home.h"
#include "lib/record.h"
#include "lib/run.h"
#include "lib/sched.h"
#include "lib/stop.h"
#include "lib/time.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "terra-run [-H DIR] [-u UNIT] [-t SECONDS] [--work N] [--interval SECONDS]\n"
    "                 [--kernel-dir DIR]\n"
    "                 -w sha256d|sgemm|kernel [--job ID] [--params JSON]\n"
    "                 [--header HEX] [--nonce-start N] [--share-bits N]\n"
    "                 [--size M,N,K] [--seed N] [--kind KIND] [--min-mem BYTES] [--fp64]\n"
    "       terra-run [-H DIR] [-u UNIT] [-t SECONDS] [--interval SECONDS]\n"
    "                 [--kernel-dir DIR] [FILE...]";

static void on_job_error(void *arg, const terra_err *e)
{
	(void)arg;
	terra_warn_err(e);
}

/* Seconds as a positive decimal ("10", "0.5") into microseconds. */
static int64_t parse_seconds(const char *arg, const char *opt)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end || errno || !(v > 0) || v > 1e9)
		terra_usage_error(usage_text, "%s '%s': expected a positive number of seconds", opt,
		                  arg);
	return (int64_t)llround(v * 1e6);
}

static int64_t parse_count(const char *arg, const char *opt, int64_t min)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (end == arg || *end || errno || v < min)
		terra_usage_error(usage_text, "%s '%s': expected an integer of at least %lld", opt,
		                  arg, (long long)min);
	return v;
}

struct opts {
	const char *home, *unit, *workload, *job_id, *params, *kind;
	int64_t seconds_us, interval_us, work, min_mem;
	int fp64;
	json_t *extra; /* workload options, merged into params */
};

/* The job of -w and its options. */
static terra_job *job_from_opts(const struct opts *o)
{
	json_t *rec = json_object(), *params, *req = json_object();
	terra_job *job = calloc(1, sizeof *job);
	json_error_t jerr;
	char id[64], when[TERRA_TIME_MAX];
	terra_err e;
	int64_t now;

	if (!rec || !req || !job)
		terra_dief("out of memory");
	if (o->params) {
		params = json_loads(o->params, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(params))
			terra_usage_error(usage_text, "--params: not a JSON object: %s",
			                  params ? "another kind of value" : jerr.text);
	} else {
		params = json_object();
	}
	json_object_update(params, o->extra);
	if (o->job_id) {
		snprintf(id, sizeof id, "%s", o->job_id);
	} else {
		if (terra_time_now(&now, &e) < 0)
			terra_die_err(&e);
		terra_time_format(now, when);
		snprintf(id, sizeof id, "%s-%s", o->workload, when);
	}
	json_object_set_new(rec, "type", json_string("job"));
	json_object_set_new(rec, "v", json_integer(1));
	json_object_set_new(rec, "id", json_string(id));
	json_object_set_new(rec, "workload", json_string(o->workload));
	json_object_set_new(rec, "params", params);
	if (o->kind)
		json_object_set_new(req, "kind", json_string(o->kind));
	if (o->fp64)
		json_object_set_new(req, "fp64", json_true());
	if (o->min_mem)
		json_object_set_new(req, "min_mem_bytes", json_integer(o->min_mem));
	json_object_set_new(rec, "requires", req);
	if (o->work)
		json_object_set_new(rec, "work", json_integer(o->work));
	if (terra_job_from_record(rec, job, &e) < 0)
		terra_usage_error(usage_text, "%s", e.msg);
	json_decref(rec);
	return job;
}

/* Job records from one input; others pass through. Returns 1 on a bad line. */
static int read_jobs(terra_sched *s, const char *path, int *failed)
{
	terra_reader *r = NULL;
	terra_err e;
	json_t *rec;
	int bad = 0, got;

	if (terra_reader_open(&r, path, &e) < 0) {
		terra_warn_err(&e);
		return 1;
	}
	terra_reader_cancel_fd(r, terra_stop_fd());
	while (!terra_stop_requested() && (got = terra_reader_next(r, &rec, &e)) != 0) {
		const char *type;
		terra_job *job;

		if (got == -2) {
			if (!terra_stop_requested()) {
				terra_warn_err(&e);
				bad = 1;
			}
			break;
		}
		if (got < 0) {
			terra_warn_err(&e);
			bad = 1;
			continue;
		}
		terra_rec_type(rec, &type, &e);
		if (strcmp(type, "job")) {
			size_t len;
			const char *line = terra_reader_line(r, &len);
			if (terra_sched_write_raw(s, line, len, &e) < 0)
				terra_die_err(&e);
			json_decref(rec);
			continue;
		}
		if (!(job = calloc(1, sizeof *job)))
			terra_dief("out of memory");
		if (terra_job_from_record(rec, job, &e) < 0) {
			char why[TERRA_ERR_MAX];
			snprintf(why, sizeof why, "%s", e.msg);
			terra_reader_reject(r, &e, "job", why);
			terra_warn_err(&e);
			free(job);
			bad = 1;
		} else if (terra_sched_submit(s, job, &e) < 0) {
			/* A job left unstarted by -t or a signal is no failure. */
			if (!terra_stop_requested())
				terra_warn_err(&e);
			if (!terra_stop_requested() && e.kind != TERRA_E_STATE)
				(*failed)++;
		}
		json_decref(rec);
	}
	terra_reader_close(r);
	return bad;
}

int main(int argc, char **argv)
{
	enum {
		O_WORK = 256,
		O_INTERVAL,
		O_JOB,
		O_PARAMS,
		O_HEADER,
		O_NONCE,
		O_BITS,
		O_SIZE,
		O_SEED,
		O_KIND,
		O_MINMEM,
		O_FP64,
		O_KDIR
	};
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"home", required_argument, NULL, 'H'},
	    {"unit", required_argument, NULL, 'u'},
	    {"time", required_argument, NULL, 't'},
	    {"workload", required_argument, NULL, 'w'},
	    {"work", required_argument, NULL, O_WORK},
	    {"interval", required_argument, NULL, O_INTERVAL},
	    {"job", required_argument, NULL, O_JOB},
	    {"params", required_argument, NULL, O_PARAMS},
	    {"header", required_argument, NULL, O_HEADER},
	    {"nonce-start", required_argument, NULL, O_NONCE},
	    {"share-bits", required_argument, NULL, O_BITS},
	    {"size", required_argument, NULL, O_SIZE},
	    {"seed", required_argument, NULL, O_SEED},
	    {"kind", required_argument, NULL, O_KIND},
	    {"min-mem", required_argument, NULL, O_MINMEM},
	    {"fp64", no_argument, NULL, O_FP64},
	    {"kernel-dir", required_argument, NULL, O_KDIR},
	    {NULL, 0, NULL, 0},
	};
	struct opts o = {0};
	terra_sched_opts so = {0};
	terra_sched *s = NULL;
	terra_home home;
	terra_err e;
	long long m, n, k;
	int c, failed = 0, bad = 0, status;

	terra_cli_init(argv[0]);
	if (!(o.extra = json_object()))
		terra_dief("out of memory");
	while ((c = getopt_long(argc, argv, "hVH:u:t:w:", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			terra_usage(usage_text, 0);
		case 'V':
			terra_version();
		case 'H':
			o.home = optarg;
			break;
		case 'u':
			o.unit = optarg;
			break;
		case 't':
			o.seconds_us = parse_seconds(optarg, "-t");
			break;
		case 'w':
			o.workload = optarg;
			break;
		case O_WORK:
			o.work = parse_count(optarg, "--work", 1);
			break;
		case O_INTERVAL:
			o.interval_us = parse_seconds(optarg, "--interval");
			break;
		case O_JOB:
			o.job_id = optarg;
			break;
		case O_PARAMS:
			o.params = optarg;
			break;
		case O_HEADER:
			json_object_set_new(o.extra, "header", json_string(optarg));
			break;
		case O_NONCE:
			json_object_set_new(o.extra, "nonce_start",
			                    json_integer(parse_count(optarg, "--nonce-start", 0)));
			break;
		case O_BITS:
			if (parse_count(optarg, "--share-bits", 1) > TERRA_SHARE_BITS_MAX)
				terra_usage_error(usage_text, "--share-bits '%s': at most %d",
				                  optarg, TERRA_SHARE_BITS_MAX);
			json_object_set_new(o.extra, "share_bits",
			                    json_integer(parse_count(optarg, "--share-bits", 1)));
			break;
		case O_SIZE:
			if (sscanf(optarg, "%lld,%lld,%lld", &m, &n, &k) != 3 &&
			    sscanf(optarg, "%lldx%lldx%lld", &m, &n, &k) != 3)
				terra_usage_error(usage_text, "--size '%s': expected M,N,K",
				                  optarg);
			json_object_set_new(o.extra, "m", json_integer(m));
			json_object_set_new(o.extra, "n", json_integer(n));
			json_object_set_new(o.extra, "k", json_integer(k));
			break;
		case O_SEED:
			json_object_set_new(o.extra, "seed",
			                    json_integer(parse_count(optarg, "--seed", 0)));
			break;
		case O_KIND:
			o.kind = optarg;
			break;
		case O_MINMEM:
			o.min_mem = parse_count(optarg, "--min-mem", 0);
			break;
		case O_FP64:
			o.fp64 = 1;
			break;
		case O_KDIR:
			so.kernel_dir = optarg;
			break;
		default:
			terra_usage(usage_text, TERRA_EXIT_USAGE);
		}
	}
	if (o.workload) {
		enum terra_workload w;
		if (optind < argc)
			terra_usage_error(usage_text, "-w takes no job files");
		if (terra_workload_parse(o.workload, &w, &e) < 0)
			terra_usage_error(usage_text, "-w: %s", e.msg);
	} else if (o.work || o.params || o.job_id || json_object_size(o.extra) || o.kind ||
	           o.fp64 || o.min_mem) {
		terra_usage_error(usage_text, "workload options need -w");
	}

	/* Before any thread starts: SIGINT and SIGTERM end the run (lib/stop.h). */
	if (terra_stop_start(&e) < 0)
		terra_die_err(&e);

	terra_cli_note_clock();
	if (terra_home_open(&home, o.home, 0, &e) < 0)
		terra_die_err(&e);
	so.unit = o.unit;
	so.deadline_mono = o.seconds_us ? terra_time_mono() + o.seconds_us : 0;
	so.interval_us = o.interval_us;
	so.stop = terra_stop_requested;
	so.out = stdout;
	so.on_error = on_job_error;
	if (terra_sched_open(&s, &home, &so, &e) < 0) {
		terra_home_close(&home);
		terra_die_err(&e);
	}
	if (o.workload) {
		if (terra_sched_submit(s, job_from_opts(&o), &e) < 0) {
			terra_warn_err(&e);
			failed++;
		}
	} else if (optind == argc) {
		bad |= read_jobs(s, "-", &failed);
	} else {
		for (int i = optind; i < argc && !terra_stop_requested(); i++)
			bad |= read_jobs(s, argv[i], &failed);
	}
	failed += terra_sched_finish(s);
	terra_sched_close(s);
	terra_home_close(&home);
	terra_stop_end();
	json_decref(o.extra);
	status = failed || bad ? TERRA_EXIT_FAIL : TERRA_EXIT_OK;
	return terra_cli_finish(status);
}
