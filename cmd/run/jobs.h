#ifndef TERRA_CMD_RUN_JOBS_H
#define TERRA_CMD_RUN_JOBS_H
/* terra-run's job records read from files (cmd/run/jobs.c, linked into terra-run only). */
#include "lib/sched.h"

struct reading {
	terra_sched *s;
	int status;
	int failed;
};

/* A replicated kernel job (lib/job.h) on its N best distinct units here; when
 * the home has fewer, says how many must run elsewhere. Takes job. */
void run_submit_replicas(struct reading *rd, terra_job *job);
/* The job records of every input, each handed to a unit; other records pass through. */
void run_read_jobs(struct reading *rd, char **files, int nfiles);
#endif
