/* lib/slurm.c: the job's GPUs matched to units by PCI bus id, the usage
 * record's slurm object, Slurm's job records and the checks against them. */
#include "lib/slurm.h"
#include "lib/time.h"

#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

static const char *const gpu_vars[] = {"SLURM_STEP_GPUS", "SLURM_JOB_GPUS", "CUDA_VISIBLE_DEVICES",
                                       "ROCR_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL"};

static void env_clear(void)
{
	for (size_t i = 0; i < sizeof gpu_vars / sizeof *gpu_vars; i++)
		unsetenv(gpu_vars[i]);
	unsetenv("SLURM_JOB_ID");
	unsetenv("SLURM_ARRAY_JOB_ID");
	unsetenv("SLURM_ARRAY_TASK_ID");
	unsetenv("SLURM_STEP_ID");
	unsetenv("SLURM_CLUSTER_NAME");
	unsetenv("SLURMD_NODENAME");
}

/* The PCI bus ids of tests/fixtures/devices: two H100s, listed out of bus
 * order, and a CPU device (no bus id). */
static const char *const pci[] = {"0000:ca:00.0", NULL, "0000:65:00.0"};

/* Which units the job gets with var=value: "1 0 1" etc., or the error. */
static const char *also_var, *also_value; /* a second variable set with it */

static const char *pick(const char *var, const char *value)
{
	static char out[1100];
	terra_slurm_env s;
	unsigned char mine[3];
	terra_err e = {0};

	env_clear();
	setenv("SLURM_JOB_ID", "42", 1);
	if (var)
		setenv(var, value, 1);
	if (also_var)
		setenv(also_var, also_value, 1);
	if (terra_slurm_from_env(&s, &e) < 0 || terra_slurm_units(&s, pci, 3, mine, &e) < 0) {
		snprintf(out, sizeof out, "error: %s", e.msg);
		return out;
	}
	snprintf(out, sizeof out, "%d %d %d", mine[0], mine[1], mine[2]);
	return out;
}

static void test_units(void)
{
	terra_slurm_env s;
	terra_err e = {0};
	unsigned char mine[3] = {9, 9, 9};

	env_clear();
	ok(terra_slurm_from_env(&s, &e) == 0 && !s.active, "no SLURM_JOB_ID: not in a job");
	ok(terra_slurm_units(&s, pci, 3, mine, &e) == 0 && mine[0] && mine[1] && mine[2],
	   "not in a job: every unit");
	is_str(pick(NULL, NULL), "1 1 1", "a job without GRES: every unit of the node");
	/* GPU numbers are the node's GPUs in PCI bus id order: 0 is 65, 1 is ca. */
	is_str(pick("CUDA_VISIBLE_DEVICES", "0"), "0 0 1", "CUDA_VISIBLE_DEVICES=0: bus 65");
	is_str(pick("CUDA_VISIBLE_DEVICES", "1"), "1 0 0", "CUDA_VISIBLE_DEVICES=1: bus ca");
	is_str(pick("CUDA_VISIBLE_DEVICES", "0,1"), "1 0 1", "both GPUs, not the CPU unit");
	is_str(pick("ROCR_VISIBLE_DEVICES", "1"), "1 0 0", "ROCR_VISIBLE_DEVICES");
	is_str(pick("GPU_DEVICE_ORDINAL", "0"), "0 0 1", "GPU_DEVICE_ORDINAL");
	is_str(pick("SLURM_JOB_GPUS", "1"), "1 0 0", "SLURM_JOB_GPUS");
	is_str(pick("CUDA_VISIBLE_DEVICES", "0000:65:00.0"), "0 0 1", "a PCI bus id");
	is_str(pick("CUDA_VISIBLE_DEVICES", "0000:CA:00.0"), "1 0 0", "in capitals too");
	/* The node's numbers win over the ones a device cgroup renumbers from 0. */
	also_var = "SLURM_JOB_GPUS";
	also_value = "1";
	is_str(pick("CUDA_VISIBLE_DEVICES", "0"), "1 0 0",
	       "SLURM_JOB_GPUS over a renumbered CUDA_VISIBLE_DEVICES");
	also_var = NULL;
	like(pick("CUDA_VISIBLE_DEVICES", "2"), "GPU 2: only 2 GPUs", "a GPU past the units");
	like(pick("CUDA_VISIBLE_DEVICES", "0000:17:00.0"), "GPU 0000:17:00.0: no registered unit",
	     "a bus id no unit is on");
	like(pick("CUDA_VISIBLE_DEVICES", "GPU-8f2a"), "expected a GPU number or PCI bus id",
	     "a GPU UUID is refused, not guessed");
	like(pick("CUDA_VISIBLE_DEVICES", "1x"), "not understood", "a bad number");
	env_clear();
	setenv("SLURM_JOB_ID", "12a", 1);
	ok(terra_slurm_from_env(&s, &e) < 0 && e.kind == TERRA_E_INPUT,
	   "SLURM_JOB_ID not a number");
	setenv("SLURM_JOB_ID", "7", 1);
	setenv("SLURMD_NODENAME", "n 1", 1);
	ok(terra_slurm_from_env(&s, &e) < 0, "a node name with a space");
}

static void test_json(void)
{
	terra_slurm_env s;
	terra_err e = {0};
	json_t *o;
	char *txt;

	env_clear();
	setenv("SLURM_JOB_ID", "125", 1);
	setenv("SLURM_ARRAY_JOB_ID", "120", 1);
	setenv("SLURM_ARRAY_TASK_ID", "5", 1);
	setenv("SLURM_CLUSTER_NAME", "gpu-a", 1);
	setenv("SLURMD_NODENAME", "n2", 1);
	ok(terra_slurm_from_env(&s, &e) == 0, "an array task's environment");
	o = terra_slurm_json(&s);
	txt = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	is_str(txt,
	       "{\"array_job_id\":120,\"array_task_id\":5,\"cluster\":\"gpu-a\",\"job_id\":125,"
	       "\"node\":\"n2\",\"step_id\":\"batch\"}",
	       "the slurm object: array ids, step batch outside srun");
	free(txt);
	json_decref(o);
	setenv("SLURM_STEP_ID", "0", 1);
	unsetenv("SLURM_ARRAY_TASK_ID");
	terra_slurm_from_env(&s, &e);
	o = terra_slurm_json(&s);
	txt = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	is_str(txt, "{\"cluster\":\"gpu-a\",\"job_id\":125,\"node\":\"n2\",\"step_id\":\"0\"}",
	       "a step; no array ids unless both are set");
	free(txt);
	json_decref(o);
	env_clear();
}

static char *write_file(const char *text)
{
	static char path[] = "/tmp/terra-slurm-unit.XXXXXX";
	int fd;

	snprintf(path, sizeof path, "%s", "/tmp/terra-slurm-unit.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return NULL;
	close(fd);
	return path;
}

/* A usage line for job on node over [start, end) (TZ is UTC here). */
static char *usage_line(long long job, const char *node, const char *cluster)
{
	static char line[300];
	snprintf(line, sizeof line,
	         "{\"type\":\"usage\",\"slurm\":{\"job_id\":%lld,\"node\":\"%s\"%s%s%s}}", job,
	         node, cluster ? ",\"cluster\":\"" : "", cluster ? cluster : "",
	         cluster ? "\"" : "");
	return line;
}

static int64_t at(const char *t)
{
	int64_t us = 0;
	terra_err e;
	terra_time_parse(t, &us, &e);
	return us;
}

static char *check(terra_slurm_jobs *j, long long job, const char *node, const char *unit,
                   const char *start, const char *end)
{
	const char *l = usage_line(job, node, NULL);
	return terra_slurm_check(j, l, strlen(l), unit, at(start), at(end));
}

static void test_check(const char *kind, const char *text)
{
	terra_slurm_jobs *j = NULL;
	terra_err e = {0};
	char *path = write_file(text), *why, name[120];

	snprintf(name, sizeof name, "%s: loads", kind);
	ok(path && terra_slurm_jobs_load(&j, path, &e) == 0, name);
	if (!j) {
		printf("# %s\n", e.msg);
		return;
	}
	is_int(terra_slurm_jobs_count(j), 3, "three jobs (a step's line is no job)");
	why = check(j, 101, "n2", "u1", "2026-12-03T09:10:01Z", "2026-12-03T09:10:30Z");
	ok(!why, "a record within its job on its node passes");
	free(why);
	why = check(j, 101, "n2", "u1", "2026-12-03T09:10:59Z", "2026-12-03T09:11:00.900000Z");
	ok(!why, "an end within the second after Slurm's end passes");
	free(why);
	why = check(j, 101, "n2", "u1", "2026-12-03T09:09:59Z", "2026-12-03T09:10:30Z");
	like(why, "outside slurm job 101 on node 'n2'", "a start before the job's is refused");
	free(why);
	why = check(j, 101, "n2", "u1", "2026-12-03T09:10:30Z", "2026-12-03T09:11:02Z");
	like(why, "outside slurm job 101", "an end after the job's is refused");
	free(why);
	why = check(j, 101, "n4", "u1", "2026-12-03T09:10:01Z", "2026-12-03T09:10:30Z");
	like(why, "node 'n4' is not one of slurm job 101's", "another node is refused");
	free(why);
	why = check(j, 999, "n1", "u1", "2026-12-03T09:10:01Z", "2026-12-03T09:10:30Z");
	like(why, "slurm job 999 is not in the slurm records", "an unknown job is refused");
	free(why);
	/* Job 102 overlaps 101 in time on n2: the same unit cannot be in both. */
	why = check(j, 102, "n2", "u1", "2026-12-03T09:10:20Z", "2026-12-03T09:10:40Z");
	like(why, "unit 'u1' busy in slurm jobs 101 and 102 at once", "a unit in two jobs at once");
	free(why);
	why = check(j, 102, "n2", "u2", "2026-12-03T09:10:20Z", "2026-12-03T09:10:40Z");
	ok(!why, "another unit in the other job passes");
	free(why);
	why = check(j, 103, "n1", "u1", "2026-12-03T09:20:00Z", "2026-12-03T10:20:00Z");
	ok(!why, "a running job has no end yet");
	free(why);
	{
		const char *l = "{\"type\":\"usage\",\"unit\":\"u9\"}";
		ok(!terra_slurm_check(j, l, strlen(l), "u9", 0, 1), "no slurm object: no claim");
	}
	terra_slurm_jobs_free(j);
	unlink(path);
}

static void test_load_bad(void)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
	    {"JobID|Start\n1|2026-12-03T09:10:00\n", "must name JobIDRaw, Start, End and NodeList"},
	    {"JobIDRaw|Start|End|NodeList\n1|x|y\n", "3 fields, the header has 4"},
	    {"JobIDRaw|Start|End|NodeList\nx|2026-12-03T09:10:00|Unknown|n1\n", "not a number"},
	    {"JobId=1 Name=a StartTime=2026-12-03T09:10:00 StartTime=2020-01-01T00:00:00 "
	     "EndTime=2026-12-03T09:11:00 NodeList=n1\n",
	     "once each"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		terra_slurm_jobs *j = NULL;
		terra_err e = {0};
		char *path = write_file(bad[i].text);
		ok(path && terra_slurm_jobs_load(&j, path, &e) < 0 && e.kind == TERRA_E_INPUT,
		   "a bad slurm file is refused");
		like(e.msg, bad[i].why, "and says why");
		if (path)
			unlink(path);
	}
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	test_units();
	test_json();
	test_check("sacct --parsable2",
	           "JobIDRaw|JobID|Cluster|NodeList|Start|End|State\n"
	           "101|100_1|c1|n[1-3]|2026-12-03T09:10:00|2026-12-03T09:11:00|COMPLETED\n"
	           "101.batch|100_1.batch|c1|n2|2026-12-03T09:10:00|2026-12-03T09:11:00|COMPLETED\n"
	           "102|100_2|c1|n2,n4x|2026-12-03T09:10:10|2026-12-03T09:11:00|COMPLETED\n"
	           "103|103|c1|n[01-02,1]|2026-12-03T09:19:00|Unknown|RUNNING\n");
	test_check("jobcomp/filetxt",
	           "JobId=101 UserId=root(0) GroupId=root(0) Name=t JobState=COMPLETED "
	           "Partition=p TimeLimit=2 StartTime=2026-12-03T09:10:00 "
	           "EndTime=2026-12-03T09:11:00 NodeList=n[1-3] NodeCnt=3 ProcCnt=3 "
	           "WorkDir=/tmp Cluster=c1\n"
	           "JobId=102 Name=t StartTime=2026-12-03T09:10:10 EndTime=2026-12-03T09:11:00 "
	           "NodeList=n2,n4x Cluster=c1\n"
	           "JobId=103 Name=t StartTime=2026-12-03T09:19:00 EndTime=Unknown "
	           "NodeList=n[01-02,1]\n");
	test_load_bad();
	return done_testing();
}
