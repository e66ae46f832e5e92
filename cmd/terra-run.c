/* terra-run: run workloads on the best-suited units through OpenCL, writing signed usage. */
#include "cmd/run/jobs.h"
#include "lib/cli.h"
#include "lib/home.h"
#include "lib/record.h"
#include "lib/job.h"
#include "lib/sched.h"
#include "lib/stop.h"
#include "lib/time.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "terra-run [-H DIR] [-u UNIT | -n N | --replicas N] [-t SECONDS] [--work N]\n"
    "                 [--interval SECONDS] [--kernel-dir DIR]\n"
    "                 -w sha256d|sgemm|kernel [--job ID] [--params JSON]\n"
    "                 [--header HEX] [--nonce-start N] [--share-bits N]\n"
    "                 [--size M,N,K] [--seed N] [--kind KIND] [--min-mem BYTES] [--fp64]\n"
    "       terra-run [-H DIR] [-u UNIT] [-t SECONDS] [--interval SECONDS]\n"
    "                 [--kernel-dir DIR] [FILE...]";

/* Called from the workers, under the output lock: the failures are counted there. */
static void on_job_error(void *arg, const terra_err *e)
{
	(void)arg;
	terra_warn_err(e);
}

struct opts {
	const char *home, *unit, *workload, *job_id, *params, *kind;
	int64_t seconds_us, interval_us, work, min_mem, units, replicas;
	int fp64;
	json_t *extra; /* workload options, merged into params */
};

/* The job of -w and its options. */
static terra_job *job_from_opts(const struct opts *o)
{
	terra_job_spec spec = {.workload = o->workload, .id = o->job_id, .params = o->params};
	terra_job *job = calloc(1, sizeof *job);
	terra_err e;
	json_t *rec;

	if (!job)
		terra_dief("out of memory");
	spec.extra = o->extra;
	spec.kind = o->kind;
	spec.min_mem_bytes = o->min_mem;
	spec.fp64 = o->fp64;
	spec.work = o->work;
	spec.replicas = o->replicas;
	if (!o->job_id && terra_time_now(&spec.now_us, &e) < 0)
		terra_die_err(&e);
	if (terra_job_record(&spec, &rec, &e) < 0) {
		if (e.kind == TERRA_E_INPUT)
			terra_usage_error(usage_text, "%s", e.msg);
		terra_die_err(&e);
	}
	if (terra_job_from_record(rec, job, &e) < 0)
		terra_die_err(&e);
	json_decref(rec);
	return job;
}

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
	O_KDIR,
	O_REPLICAS
};

static const terra_cli_opt options[] = {
    {'H', "home", "DIR", "the Terra home (terra(7))", NULL, NULL},
    {'u', "unit", "UNIT", "run on this unit only", NULL, NULL},
    {'n', "units", "N", "-w: run on the N best units only (default all)", NULL, NULL},
    {'t', "time", "SECONDS", "end the run after SECONDS", NULL, NULL},
    {O_INTERVAL, "interval", "SECONDS", "an interim usage record every SECONDS", NULL, NULL},
    {'w', "workload", "NAME", "run one job of sha256d, sgemm or kernel", NULL, NULL},
    {O_REPLICAS, "replicas", "N", "-w kernel: N replicas, on the N best units", NULL, NULL},
    {O_WORK, "work", "N", "-w: stop the job after N units of work", NULL, NULL},
    {O_JOB, "job", "ID", "-w: the job's id", NULL, NULL},
    {O_PARAMS, "params", "JSON", "-w: the job's params object", NULL, NULL},
    {O_HEADER, "header", "HEX", "-w sha256d: the block header", NULL, NULL},
    {O_NONCE, "nonce-start", "N", "-w sha256d: the first nonce", NULL, NULL},
    {O_BITS, "share-bits", "N", "-w sha256d: leading zero bits of a share", NULL, NULL},
    {O_SIZE, "size", "M,N,K", "-w sgemm: the matrix sizes", NULL, NULL},
    {O_SEED, "seed", "N", "-w sgemm: the seed of the inputs", NULL, NULL},
    {O_KIND, "kind", "KIND", "-w: only a gpu, cpu or accelerator unit", NULL, NULL},
    {O_MINMEM, "min-mem", "BYTES", "-w: only a unit with this much memory", NULL, NULL},
    {O_FP64, "fp64", NULL, "-w: only a unit with double precision", NULL, NULL},
    {O_KDIR, "kernel-dir", "DIR", "kernel jobs' OpenCL files only from DIR", NULL, NULL},
    {0, NULL, NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	struct opts o = {0};
	terra_sched_opts so = {0};
	struct reading rd = {0};
	terra_job *job;
	terra_home home;
	terra_err e;
	int c;

	terra_cli_init(argv[0]);
	if (!(o.extra = json_object()))
		terra_dief("out of memory");
	while ((c = terra_cli_getopt(argc, argv, options, usage_text)) != -1) {
		switch (c) {
		case 'H':
			o.home = optarg;
			break;
		case 'u':
			o.unit = optarg;
			break;
		case 'n':
			o.units = terra_cli_int(usage_text, "-n", optarg, 1, INT64_MAX,
			                        "an integer of at least 1");
			break;
		case 't':
			o.seconds_us = terra_cli_seconds(usage_text, "-t", optarg);
			break;
		case 'w':
			o.workload = optarg;
			break;
		case O_WORK:
			o.work = terra_cli_int(usage_text, "--work", optarg, 1, INT64_MAX,
			                       "an integer of at least 1");
			break;
		case O_REPLICAS:
			o.replicas = terra_cli_int(usage_text, "--replicas", optarg, 1,
			                           TERRA_REPLICAS_MAX, "an integer of 1 to 8");
			break;
		case O_INTERVAL:
			o.interval_us = terra_cli_seconds(usage_text, "--interval", optarg);
			break;
		case O_JOB:
			o.job_id = optarg;
			break;
		case O_PARAMS:
			o.params = optarg;
			break;
		case O_HEADER:
		case O_NONCE:
		case O_BITS:
		case O_SIZE:
		case O_SEED:
			if (terra_job_param(o.extra, terra_cli_optname(options, c), optarg, &e) <
			    0) {
				if (e.kind != TERRA_E_INPUT)
					terra_die_err(&e);
				terra_usage_error(usage_text, "%s", e.msg);
			}
			break;
		case O_KIND:
			o.kind = optarg;
			break;
		case O_MINMEM:
			o.min_mem = terra_cli_int(usage_text, "--min-mem", optarg, 0, INT64_MAX,
			                          "an integer of at least 0");
			break;
		case O_FP64:
			o.fp64 = 1;
			break;
		case O_KDIR:
			so.kernel_dir = optarg;
			break;
		}
	}
	if (o.workload) {
		enum terra_workload w;
		if (optind < argc)
			terra_usage_error(usage_text, "-w takes no job files");
		if (terra_workload_parse(o.workload, &w, &e) < 0)
			terra_usage_error(usage_text, "-w: %s", e.msg);
		if (o.units && o.unit)
			terra_usage_error(usage_text, "-n and -u exclude each other");
		if (o.units && o.replicas)
			terra_usage_error(usage_text, "-n and --replicas exclude each other");
	} else if (o.replicas || o.units || o.work || o.params || o.job_id ||
	           json_object_size(o.extra) || o.kind || o.fp64 || o.min_mem) {
		terra_usage_error(usage_text, "workload options need -w");
	}

	job = o.workload ? job_from_opts(&o) : NULL;
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
	if (terra_sched_open(&rd.s, &home, &so, &e) < 0) {
		terra_home_close(&home);
		if (job)
			terra_job_free(job);
		free(job);
		terra_die_err(&e);
	}
	if (o.workload) {
		/* One job on every eligible unit at once, or on the -n best; a
		 * replicated one on its N best. */
		if (job->replicas > 1)
			run_submit_replicas(&rd, job);
		else if (terra_sched_submit_each(rd.s, job, (size_t)o.units, NULL, &e) < 0)
			terra_cli_report(&rd.status, &e);
	} else {
		run_read_jobs(&rd, argv + optind, argc - optind);
	}
	if (rd.failed + terra_sched_finish(rd.s))
		rd.status = terra_exit_worse(rd.status, TERRA_EXIT_FAIL);
	terra_sched_close(rd.s);
	terra_home_close(&home);
	terra_stop_end();
	json_decref(o.extra);
	return terra_cli_finish(rd.status);
}
