#include "sched.h"

#include "ocl.h"
#include "record.h"
#include "slurm.h"
#include "time.h"
#include "topo.h"
#include "unit.h"
#include "unitlock.h"
#include "usagerec.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct worker {
	struct terra_sched *s;
	pthread_t thread;
	int started;
	char id[TERRA_UNIT_ID_HEX];
	terra_key key;
	terra_unitlock lock; /* held while this run uses the unit */
	int64_t score, mem;
	int fp64;
	char kind[16];
	terra_ocl_device dev;
	terra_job *job; /* the job to run, NULL when idle */
	int busy;
	int gone; /* retired or transferred away while running: never used again */
};

struct terra_sched {
	terra_home *home;
	terra_sched_opts o;
	struct worker *w;
	size_t nw;
	pthread_mutex_t lock; /* workers' state, the output, the database */
	pthread_cond_t changed;
	int quit;
	int failed;
	int64_t wall0, mono0;  /* the clock (or TERRA_NOW) at the start, and the monotonic one */
	terra_slurm_env slurm; /* the Slurm job this run is in, when active */
	json_t *slurm_rec;     /* its "slurm" object for the usage records */
};

static int stopping(const terra_sched *s)
{
	return (s->o.stop && s->o.stop()) ||
	       (s->o.deadline_mono && terra_time_mono() >= s->o.deadline_mono);
}

static int meets(const struct worker *w, const terra_job *job)
{
	return !w->gone && (!job->unit[0] || !strcmp(job->unit, w->id)) &&
	       w->mem >= job->min_mem_bytes && (!job->fp64 || w->fp64) &&
	       (!job->kind[0] || !strcmp(job->kind, w->kind));
}

static int still_ours(struct worker *w, const terra_job *job, terra_err *e);

/* Writes one usage record for the stretch [from, to) of a job; under s->lock. */
static int emit(struct worker *w, const terra_job *job, terra_task *task, int64_t from, int64_t to,
                int64_t work, int64_t busy, int final, terra_err *e)
{
	struct terra_sched *s = w->s;
	terra_usage_fields u = {.unit = w->id, .job = job->id, .work = work, .final = final};
	json_t *rec = NULL;
	int64_t seq;
	int ret = -1;

	if (to <= from)
		to = from + 1;
	if (busy > to - from)
		busy = to - from;
	u.workload = terra_workload_name(job->workload);
	u.start_us = from;
	u.end_us = to;
	u.busy_us = busy;
	u.slurm = s->slurm_rec;
	if (terra_usage_record(&u, &rec, e) < 0)
		return -1;
	/* The seq is committed before the record exists: a crash skips it, never
	 * reuses it. It comes before the evidence, which is bound to it. */
	if (terra_unit_seq_reserve(s->home->db, w->id, 1, &seq, e) < 0)
		goto out;
	/* Checked again after the seq is taken: a rekey committed in between
	 * made this seq the new key's (its seq_from), so the old key must not
	 * sign it; one committed later starts past it. The seq is skipped. */
	if (!still_ours(w, job, e))
		goto out;
	if (terra_rec_set(rec, "seq", json_integer(seq), e) < 0)
		goto out;
	if (terra_task_take(task, rec, e) < 0)
		goto out;
	if (terra_rec_sign(rec, &w->key, e) < 0 || terra_rec_write(s->o.out, rec, e) < 0)
		goto out;
	if (fflush(s->o.out) != 0) {
		terra_err_sys(e, "write usage record");
		goto out;
	}
	ret = 0;
out:
	json_decref(rec);
	return ret;
}

/*
 * Whether the unit is still this home's to use: a retire, transfer or rekey
 * by terra-register while the run goes on makes it stop at its next usage
 * record (--interval), which it does not sign: no record ends past the
 * change. Under
 * s->lock; a unit that cannot be read is kept (the next check tells).
 */
static int still_ours(struct worker *w, const terra_job *job, terra_err *e)
{
	terra_unit u;
	terra_err ignore;
	int retired, rekeyed;

	if (terra_unit_get(w->s->home->db, w->id, &u, &ignore) < 0)
		return 1;
	retired = u.retired;
	rekeyed = memcmp(u.unit_pub, w->key.pk, TERRA_PK_BYTES) != 0;
	w->gone = retired || rekeyed || memcmp(u.owner, w->s->home->owner.pk, TERRA_PK_BYTES) != 0;
	terra_unit_free(&u);
	if (w->gone)
		terra_err_set(e, TERRA_E_STATE, "job '%s' on unit %s: stopped: the unit is %s",
		              job->id, w->id,
		              retired   ? "retired"
		              : rekeyed ? "signed for by another key now (rekey)"
		                        : "transferred to another owner");
	return !w->gone;
}

static int run_job(struct worker *w, cl_context ctx, cl_command_queue queue, const terra_job *job,
                   terra_err *e)
{
	struct terra_sched *s = w->s;
	terra_task_env env = {.ctx = ctx, .dev = w->dev.id, .queue = queue, .unit = w->id};
	terra_task *task = NULL;
	int64_t mono0 = s->mono0, from, job_end, now;
	int64_t work = 0, busy = 0, step_work, step_busy, budget;
	int ret = -1, r, emitted = 0, closing = 0;

	pthread_mutex_lock(&s->lock);
	r = still_ours(w, job, e);
	pthread_mutex_unlock(&s->lock);
	if (!r)
		return -1;
	env.start_us = s->wall0 + (terra_time_mono() - mono0);
	env.kernel_dir = s->o.kernel_dir;
	env.home_dir = s->home->dir;
	if (terra_task_open(&task, job, &env, e) < 0)
		return -1;
	from = terra_time_mono();
	job_end = job->seconds ? from + job->seconds * TERRA_US_PER_S : 0;
	for (;;) {
		now = terra_time_mono();
		if (terra_task_done(task))
			break;
		budget = 0;
		if (stopping(s) || (job_end && now >= job_end)) {
			/* A stop that comes just after an interim record would
			 * leave the run without a final one (none is written
			 * without work): one short step more, once. */
			if (work > 0 || !emitted || closing)
				break;
			closing = 1;
			budget = 1;
		} else {
			if (s->o.deadline_mono)
				budget = s->o.deadline_mono - now;
			if (job_end && (!budget || job_end - now < budget))
				budget = job_end - now;
			if (s->o.interval_us && (!budget || from + s->o.interval_us - now < budget))
				budget = from + s->o.interval_us - now;
		}
		if (terra_task_step(task, 0, budget > 0 ? budget : 0, &step_work, &step_busy, e) <
		    0) {
			terra_err_wrap(e, "job '%s' on unit %s", job->id, w->id);
			goto out;
		}
		work += step_work;
		busy += step_busy;
		now = terra_time_mono();
		if (!terra_task_done(task) &&
		    ((s->o.interval_us && now - from >= s->o.interval_us) ||
		     terra_task_full(task))) {
			pthread_mutex_lock(&s->lock);
			r = still_ours(w, job, e) ? emit(w, job, task, s->wall0 + (from - mono0),
			                                 s->wall0 + (now - mono0), work, busy, 0, e)
			                          : -1;
			pthread_mutex_unlock(&s->lock);
			if (r < 0)
				goto out;
			emitted = 1;
			from = now;
			work = busy = 0;
		}
	}
	/* The final record, for the work done since the last; none without work
	 * (terra-meter refuses a record of no work: it proves nothing). */
	if (work > 0) {
		now = terra_time_mono();
		pthread_mutex_lock(&s->lock);
		r = still_ours(w, job, e) ? emit(w, job, task, s->wall0 + (from - mono0),
		                                 s->wall0 + (now - mono0), work, busy, 1, e)
		                          : -1;
		pthread_mutex_unlock(&s->lock);
		if (r < 0)
			goto out;
	}
	ret = 0;
out:
	terra_task_close(task);
	return ret;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct terra_sched *s = w->s;
	cl_context ctx = NULL;
	cl_command_queue queue = NULL;
	cl_queue_properties props[] = {CL_QUEUE_PROPERTIES, CL_QUEUE_PROFILING_ENABLE, 0};
	terra_err e, ignore;
	cl_int rc = CL_SUCCESS;

	/* Near its device's memory; where hwloc cannot bind, it runs unbound. */
	terra_topo_bind_numa(w->dev.numa_node, &ignore);
	ctx = clCreateContext(NULL, 1, &w->dev.id, NULL, NULL, &rc);
	if (rc == CL_SUCCESS)
		queue = clCreateCommandQueueWithProperties(ctx, w->dev.id, props, &rc);
	pthread_mutex_lock(&s->lock);
	for (;;) {
		terra_job *job;

		while (!w->job && !s->quit)
			pthread_cond_wait(&s->changed, &s->lock);
		if (!w->job)
			break;
		job = w->job;
		pthread_mutex_unlock(&s->lock);
		terra_err_clear(&e);
		if (rc != CL_SUCCESS)
			terra_err_set(&e, TERRA_E_DEVICE, "job '%s' on unit %s: opencl context: %s",
			              job->id, w->id, terra_ocl_strerror(rc));
		if (rc != CL_SUCCESS || run_job(w, ctx, queue, job, &e) < 0) {
			pthread_mutex_lock(&s->lock);
			s->failed++;
			s->o.on_error(s->o.arg, &e);
			pthread_mutex_unlock(&s->lock);
		}
		terra_job_free(job);
		free(job);
		pthread_mutex_lock(&s->lock);
		w->job = NULL;
		w->busy = 0;
		pthread_cond_broadcast(&s->changed);
	}
	pthread_mutex_unlock(&s->lock);
	if (queue)
		clReleaseCommandQueue(queue);
	if (ctx)
		clReleaseContext(ctx);
	return NULL;
}

/*
 * The unit's record says what the device is; its latest registered probe
 * whether it is healthy: a sick one is not eligible (a degraded one is: it
 * computes correctly, only slower than its baseline).
 */
static int worker_load(struct worker *w, terra_home *h, const terra_unit *u,
                       const terra_ocl_device *devs, size_t ndevs, terra_err *e)
{
	const json_t *device = json_object_get(u->record, "device");
	const char *kind = json_string_value(json_object_get(device, "kind"));
	size_t i;

	if (u->retired)
		return terra_err_set(e, TERRA_E_STATE, "unit '%s' is retired", u->id);
	for (i = 0; i < ndevs && strcmp(devs[i].fingerprint, u->fingerprint); i++)
		;
	if (i == ndevs)
		return terra_err_set(e, TERRA_E_NOTFOUND,
		                     "unit '%s': its device is not on this machine", u->id);
	if (!strcmp(u->health, "sick"))
		return terra_err_set(e, TERRA_E_STATE,
		                     "unit '%s' is sick (%s, probed %s): once it is fixed, "
		                     "run 'terra-probe | terra-register'",
		                     u->id, u->health_reason, u->health_at);
	memset(w, 0, sizeof *w);
	w->lock.fd = -1;
	snprintf(w->id, sizeof w->id, "%s", u->id);
	w->dev = devs[i];
	w->score = u->score;
	w->mem = json_integer_value(json_object_get(device, "global_mem_bytes"));
	w->fp64 = json_is_true(json_object_get(device, "fp64"));
	snprintf(w->kind, sizeof w->kind, "%s", kind ? kind : "");
	if (terra_unit_key(h, u->id, &w->key, e) < 0)
		return -1;
	if (memcmp(w->key.pk, u->unit_pub, TERRA_PK_BYTES)) {
		terra_key_wipe(&w->key);
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "unit '%s': its key is not the unit's unit_pub", u->id);
	}
	if (terra_unitlock_take(h, u->id, "terra-run", &w->lock, e) < 0) {
		terra_key_wipe(&w->key);
		return -1;
	}
	return 0;
}

/*
 * Inside a Slurm job, which of the listed units are the job's: those on the
 * GPUs Slurm allocated, or every unit of the node without GRES (slurm.h).
 */
static int slurm_mine(terra_sched *s, const json_t *list, unsigned char *mine, terra_err *e)
{
	size_t n = json_array_size(list), i;
	const char **pci = calloc(n + 1, sizeof *pci);
	const json_t *rec;
	int r;

	if (!pci)
		return terra_err_sys(e, "units");
	json_array_foreach(list, i, rec)
	{
		const char *state = json_string_value(json_object_get(rec, "state"));
		if (state && !strcmp(state, "active"))
			pci[i] = json_string_value(
			    json_object_get(json_object_get(rec, "device"), "pci_bus_id"));
	}
	r = terra_slurm_units(&s->slurm, pci, n, mine, e);
	free(pci);
	if (r < 0)
		terra_err_wrap(e, "slurm job %lld", (long long)s->slurm.job_id);
	return r;
}

static int load_units(terra_sched *s, terra_err *e)
{
	terra_ocl_device *devs = NULL;
	json_t *list = NULL, *rec;
	terra_err sick = {0}, busy = {0};
	unsigned char *mine = NULL;
	size_t ndevs = 0, i;
	int ret = -1, in_job = s->slurm.active;

	if (terra_ocl_list(&devs, &ndevs, e) < 0)
		return -1;
	if (terra_unit_list(s->home->db, &list, e) < 0)
		goto out;
	if (!(mine = calloc(json_array_size(list) + 1, 1)) ||
	    !(s->w = calloc(json_array_size(list) + 1, sizeof *s->w))) {
		terra_err_sys(e, "units");
		goto out;
	}
	if (slurm_mine(s, list, mine, e) < 0)
		goto out;
	json_array_foreach(list, i, rec)
	{
		const char *id = json_string_value(json_object_get(rec, "unit"));
		terra_unit u;
		terra_err skip;
		int r, retired;

		if (!id || (s->o.unit && strcmp(id, s->o.unit)))
			continue;
		if (!mine[i]) {
			if (s->o.unit) {
				terra_err_set(e, TERRA_E_STATE,
				              "unit '%s' is on no GPU slurm allocated to job %lld",
				              id, (long long)s->slurm.job_id);
				goto out;
			}
			continue;
		}
		if (terra_unit_get(s->home->db, id, &u, e) < 0)
			continue;
		r = worker_load(&s->w[s->nw], s->home, &u, devs, ndevs, &skip);
		retired = u.retired;
		terra_unit_free(&u);
		if (r == 0) {
			s->nw++;
			continue;
		}
		/* -u, or a unit Slurm gave this job: it must run, so say why not. */
		if (s->o.unit || (in_job && s->slurm.gpus_from)) {
			*e = skip;
			if (in_job)
				terra_err_wrap(e, "slurm job %lld", (long long)s->slurm.job_id);
			goto out;
		}
		/* Units elsewhere, retired or sick are not this run's to use. */
		if (skip.kind == TERRA_E_STATE && !retired && !sick.msg[0])
			sick = skip;
		else if (skip.kind == TERRA_E_BUSY && !busy.msg[0]) /* another run's */
			busy = skip;
	}
	if (s->o.unit && s->nw == 0) { /* not listed: terra_unit_get says why */
		terra_unit u;
		if (terra_unit_get(s->home->db, s->o.unit, &u, e) == 0) {
			terra_unit_free(&u);
			terra_err_set(e, TERRA_E_NOTFOUND, "unknown unit '%s'", s->o.unit);
		}
		goto out;
	}
	if (s->nw == 0 && busy.msg[0]) {
		*e = busy;
		goto out;
	}
	if (s->nw == 0 && sick.msg[0]) {
		terra_err_set(e, TERRA_E_STATE, "no healthy unit on this machine: %s", sick.msg);
		goto out;
	}
	if (s->nw == 0) {
		terra_err_set(e, TERRA_E_NOTFOUND,
		              "no active registered unit has its device on this machine: "
		              "run 'terra-probe | terra-register'");
		goto out;
	}
	ret = 0;
out:
	free(mine);
	json_decref(list);
	terra_ocl_list_free(devs, ndevs);
	return ret;
}

int terra_sched_open(terra_sched **sp, terra_home *h, const terra_sched_opts *o, terra_err *e)
{
	terra_sched *s = calloc(1, sizeof *s);

	if (!s)
		return terra_err_sys(e, "scheduler");
	s->home = h;
	s->o = *o;
	/* Times in records run on from one reading of the clock, so TERRA_NOW
	 * gives reproducible, still increasing times. */
	s->mono0 = terra_time_mono();
	if (terra_time_now(&s->wall0, e) < 0) {
		free(s);
		return -1;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->changed, NULL);
	if (terra_slurm_from_env(&s->slurm, e) < 0) {
		terra_sched_close(s);
		return -1;
	}
	if (s->slurm.active && !(s->slurm_rec = terra_slurm_json(&s->slurm))) {
		terra_err_sys(e, "slurm job");
		terra_sched_close(s);
		return -1;
	}
	if (load_units(s, e) < 0) {
		terra_sched_close(s);
		return -1;
	}
	for (size_t i = 0; i < s->nw; i++) {
		s->w[i].s = s;
		if (pthread_create(&s->w[i].thread, NULL, worker_main, &s->w[i]) != 0) {
			errno = EAGAIN;
			terra_err_sys(e, "start worker");
			terra_sched_finish(s);
			terra_sched_close(s);
			return -1;
		}
		s->w[i].started = 1;
	}
	*sp = s;
	return 0;
}

int terra_sched_submit(terra_sched *s, terra_job *job, terra_err *e)
{
	struct worker *best = NULL;
	size_t i, able = 0;
	int ret = -1;

	for (i = 0; i < s->nw; i++)
		able += (size_t)meets(&s->w[i], job);
	if (!able) {
		char why[160] = "";
		if (job->unit[0])
			snprintf(why + strlen(why), sizeof why - strlen(why), ", unit %s",
			         job->unit);
		if (job->kind[0])
			snprintf(why + strlen(why), sizeof why - strlen(why), ", kind %s",
			         job->kind);
		if (job->fp64)
			snprintf(why + strlen(why), sizeof why - strlen(why), ", fp64");
		if (job->min_mem_bytes)
			snprintf(why + strlen(why), sizeof why - strlen(why),
			         ", min_mem_bytes %lld", (long long)job->min_mem_bytes);
		terra_err_set(e, TERRA_E_NOTFOUND, "job '%s': no unit meets its requirements (%s)",
		              job->id, why[0] ? why + 2 : "none");
		goto out;
	}
	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct timespec until;

		if (stopping(s)) {
			pthread_mutex_unlock(&s->lock);
			terra_err_set(e, TERRA_E_STATE, "job '%s': not started: the run is ending",
			              job->id);
			goto out;
		}
		for (i = 0; i < s->nw; i++) {
			struct worker *w = &s->w[i];
			if (!w->busy && meets(w, job) &&
			    (!best || w->score > best->score ||
			     (w->score == best->score && strcmp(w->id, best->id) < 0)))
				best = w;
		}
		if (best)
			break;
		/* Wake now and then to notice a signal or the deadline. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 100000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&s->changed, &s->lock, &until);
	}
	best->job = job;
	best->busy = 1;
	job = NULL;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
	ret = 0;
out:
	if (job) {
		terra_job_free(job);
		free(job);
	}
	return ret;
}

/* Best first: highest score, then the lower id (the order submit picks in). */
static int better(const void *a, const void *b)
{
	const struct worker *x = *(const struct worker *const *)a;
	const struct worker *y = *(const struct worker *const *)b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return strcmp(x->id, y->id);
}

static terra_job *job_pinned(const terra_job *job, const char *unit)
{
	terra_job *copy = malloc(sizeof *copy);

	if (!copy)
		return NULL;
	*copy = *job;
	if (!(copy->id = strdup(job->id))) {
		free(copy);
		return NULL;
	}
	json_incref(copy->params);
	snprintf(copy->unit, sizeof copy->unit, "%s", unit);
	return copy;
}

int terra_sched_submit_each(terra_sched *s, terra_job *job, size_t max_units, size_t *started,
                            terra_err *e)
{
	struct worker **able = calloc(s->nw + 1, sizeof *able);
	size_t n = 0, i, dummy;
	int ret = -1;

	if (!started)
		started = &dummy;
	*started = 0;
	if (!able) {
		terra_err_sys(e, "job '%s'", job->id);
		goto out;
	}
	for (i = 0; i < s->nw; i++)
		if (meets(&s->w[i], job))
			able[n++] = &s->w[i];
	if (n == 0) { /* submit says why */
		free(able);
		return terra_sched_submit(s, job, e);
	}
	qsort(able, n, sizeof *able, better);
	if (max_units && n > max_units)
		n = max_units;
	for (i = 0; i < n; i++) {
		terra_job *copy = job_pinned(job, able[i]->id);
		if (!copy) {
			terra_err_sys(e, "job '%s'", job->id);
			goto out;
		}
		if (terra_sched_submit(s, copy, e) < 0)
			goto out;
		(*started)++;
	}
	ret = 0;
out:
	free(able);
	terra_job_free(job);
	free(job);
	return ret;
}

int terra_sched_finish(terra_sched *s)
{
	pthread_mutex_lock(&s->lock);
	s->quit = 1;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < s->nw; i++) {
		if (s->w[i].started)
			pthread_join(s->w[i].thread, NULL);
		s->w[i].started = 0;
	}
	return s->failed;
}

void terra_sched_close(terra_sched *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nw; i++) {
		terra_key_wipe(&s->w[i].key);
		terra_unitlock_release(&s->w[i].lock);
	}
	free(s->w);
	json_decref(s->slurm_rec);
	pthread_cond_destroy(&s->changed);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

size_t terra_sched_units(const terra_sched *s)
{
	return s->nw;
}

int terra_sched_write_raw(terra_sched *s, const char *line, size_t len, terra_err *e)
{
	int r;

	pthread_mutex_lock(&s->lock);
	r = terra_rec_write_raw(s->o.out, line, len, e);
	if (r == 0 && fflush(s->o.out) != 0)
		r = terra_err_sys(e, "write standard output");
	pthread_mutex_unlock(&s->lock);
	return r;
}
