/* terra-run's job records from files or stdin; see jobs.h. */
#include "cmd/run/jobs.h"

#include "lib/cli.h"
#include "lib/filter.h"
#include "lib/job.h"
#include "lib/stop.h"

#include <stdio.h>
#include <stdlib.h>

/* A failed submit: warned, and counted unless the run is ending. */
static void submit_failed(struct reading *rd, terra_err *e)
{
	/* A job left unstarted by -t or a signal is no failure. */
	if (!terra_stop_requested())
		terra_warn_err(e);
	if (!terra_stop_requested() && e->kind != TERRA_E_STATE)
		rd->failed++;
}

void run_submit_replicas(struct reading *rd, terra_job *job)
{
	int want = job->replicas;
	size_t started = 0;
	terra_err e;
	char id[64];

	snprintf(id, sizeof id, "%s", job->id);
	if (terra_sched_submit_each(rd->s, job, (size_t)want, &started, &e) < 0)
		submit_failed(rd, &e);
	else if (started < (size_t)want)
		terra_warnf("job '%s': %zu of its %d replicas run here; the other %zu must run on "
		            "other units, of other owners, with the same job record",
		            id, started, want, (size_t)want - started);
}

/* A job record: checked, then handed to a unit (to N units for N replicas). */
static int submit(void *arg, json_t *rec, const char *where, terra_err *e)
{
	struct reading *rd = arg;
	terra_job *job = calloc(1, sizeof *job);

	(void)where;
	if (!job) {
		terra_err_sys(e, "%s: job", where);
		return TERRA_FILTER_STOP;
	}
	if (terra_job_from_record(rec, job, e) < 0) {
		free(job);
		return TERRA_FILTER_BAD;
	}
	if (job->replicas > 1 && !job->unit[0]) {
		run_submit_replicas(rd, job);
		return 0;
	}
	if (terra_sched_submit(rd->s, job, e) < 0)
		submit_failed(rd, e);
	return 0;
}

static int pass(void *arg, const char *line, size_t len, terra_err *e)
{
	return terra_sched_write_raw(((struct reading *)arg)->s, line, len, e);
}

static void report(void *arg, const terra_err *e)
{
	terra_cli_report(&((struct reading *)arg)->status, e);
}

/* The job records of every input; other records pass through. */
void run_read_jobs(struct reading *rd, char **files, int nfiles)
{
	terra_filter_opts fo = {
	    .type = "job", .refuse_trusted = 1, .apply = submit, .pass = pass, .report = report};

	fo.arg = rd;
	fo.stop = terra_stop_requested;
	fo.cancel_fd = terra_stop_fd();
	terra_cli_stdin_notice_args("job records", files, nfiles);
	terra_filter_run((const char *const *)files, nfiles, &fo, NULL);
}
