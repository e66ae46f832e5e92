#include "slurm.h"

#include "buf.h"
#include "time.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- The job's environment ---- */

static int env_id(const char *name, int64_t *out, int *set, terra_err *e)
{
	const char *v = getenv(name);
	char *end;
	long long n;

	*out = 0;
	if (set)
		*set = 0;
	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (!isdigit((unsigned char)v[0]) || *end || errno || n < 0)
		return terra_err_set(e, TERRA_E_INPUT, "%s '%.40s': expected a number", name, v);
	*out = n;
	if (set)
		*set = 1;
	return 0;
}

/* A name Slurm gives (node, cluster, step): printable, no space, no quote. */
static int env_name(const char *name, char *out, size_t cap, const char *dflt, terra_err *e)
{
	const char *v = getenv(name);

	if (!v || !*v)
		v = dflt;
	if (strlen(v) >= cap)
		return terra_err_set(e, TERRA_E_INPUT, "%s: longer than %zu bytes", name, cap - 1);
	for (const char *p = v; *p; p++)
		if (!isgraph((unsigned char)*p) || *p == '"' || *p == '\\')
			return terra_err_set(e, TERRA_E_INPUT, "%s '%.40s': not a name", name, v);
	snprintf(out, cap, "%s", v);
	return 0;
}

int terra_slurm_from_env(terra_slurm_env *s, terra_err *e)
{
	static const char *const gpu_vars[] = {"SLURM_STEP_GPUS", "SLURM_JOB_GPUS",
	                                       "CUDA_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES",
	                                       "GPU_DEVICE_ORDINAL"};
	int has_task;

	memset(s, 0, sizeof *s);
	if (env_id("SLURM_JOB_ID", &s->job_id, &s->active, e) < 0)
		return -1;
	if (!s->active)
		return 0;
	if (env_id("SLURM_ARRAY_JOB_ID", &s->array_job_id, &s->has_array, e) < 0 ||
	    env_id("SLURM_ARRAY_TASK_ID", &s->array_task_id, &has_task, e) < 0)
		return -1;
	s->has_array = s->has_array && has_task;
	if (env_name("SLURM_STEP_ID", s->step_id, sizeof s->step_id, "batch", e) < 0 ||
	    env_name("SLURM_CLUSTER_NAME", s->cluster, sizeof s->cluster, "", e) < 0 ||
	    env_name("SLURMD_NODENAME", s->node, sizeof s->node, "", e) < 0)
		return -1;
	for (size_t i = 0; i < sizeof gpu_vars / sizeof *gpu_vars; i++) {
		const char *v = getenv(gpu_vars[i]);
		if (!v || !*v)
			continue;
		if (strlen(v) >= sizeof s->gpus)
			return terra_err_set(e, TERRA_E_INPUT, "%s: longer than %zu bytes",
			                     gpu_vars[i], sizeof s->gpus - 1);
		snprintf(s->gpus, sizeof s->gpus, "%s", v);
		s->gpus_from = gpu_vars[i];
		break;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int pci_like(const char *s)
{
	unsigned dom, bus, dev, fn;
	char tail;

	return sscanf(s, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail) == 4;
}

int terra_slurm_units(const terra_slurm_env *s, const char *const *pci, size_t n,
                      unsigned char *mine, terra_err *e)
{
	const char **order = NULL;
	char list[sizeof s->gpus], *tok, *save = NULL;
	size_t ngpu = 0, i;
	int ret = -1;

	for (i = 0; i < n; i++)
		mine[i] = !s->active || !s->gpus_from;
	if (!s->active || !s->gpus_from)
		return 0;
	/* The node's GPUs in PCI bus id order: the driver's numbers (and gres.conf's). */
	if (!(order = calloc(n + 1, sizeof *order)))
		return terra_err_sys(e, "slurm gpus");
	for (i = 0; i < n; i++)
		if (pci[i] && pci[i][0])
			order[ngpu++] = pci[i];
	qsort(order, ngpu, sizeof *order, cmp_str);
	snprintf(list, sizeof list, "%s", s->gpus);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const char *want = NULL;
		char *end;
		unsigned long k;

		if (pci_like(tok)) {
			want = tok;
		} else if (isdigit((unsigned char)tok[0])) {
			errno = 0;
			k = strtoul(tok, &end, 10);
			if (*end || errno) {
				terra_err_set(e, TERRA_E_INPUT, "%s: GPU '%.40s': not understood",
				              s->gpus_from, tok);
				goto out;
			}
			if (k >= ngpu) {
				terra_err_set(
				    e, TERRA_E_NOTFOUND,
				    "%s: GPU %lu: only %zu GPUs of this node are "
				    "registered units: run 'terra-probe | terra-register'",
				    s->gpus_from, k, ngpu);
				goto out;
			}
			want = order[k];
		} else {
			terra_err_set(e, TERRA_E_INPUT,
			              "%s: GPU '%.40s': expected a GPU number or PCI bus id",
			              s->gpus_from, tok);
			goto out;
		}
		for (i = 0; i < n; i++)
			if (pci[i] && !strcasecmp(pci[i], want))
				break;
		if (i == n) {
			terra_err_set(e, TERRA_E_NOTFOUND,
			              "%s: GPU %s: no registered unit is on it: run "
			              "'terra-probe | terra-register'",
			              s->gpus_from, want);
			goto out;
		}
		mine[i] = 1;
	}
	ret = 0;
out:
	free(order);
	return ret;
}

json_t *terra_slurm_json(const terra_slurm_env *s)
{
	json_t *o = json_object();
	int rc = 0;

	if (!o)
		return NULL;
	if (s->cluster[0])
		rc |= json_object_set_new(o, "cluster", json_string(s->cluster));
	rc |= json_object_set_new(o, "job_id", json_integer(s->job_id));
	if (s->has_array) {
		rc |= json_object_set_new(o, "array_job_id", json_integer(s->array_job_id));
		rc |= json_object_set_new(o, "array_task_id", json_integer(s->array_task_id));
	}
	rc |= json_object_set_new(o, "step_id", json_string(s->step_id));
	if (s->node[0])
		rc |= json_object_set_new(o, "node", json_string(s->node));
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- Slurm's job records ---- */

struct sjob {
	int64_t id;
	char cluster[TERRA_SLURM_NAME_MAX];
	char *nodes;        /* a Slurm hostlist: "n[1-3,7],gpu01" */
	int64_t start, end; /* microseconds; end INT64_MAX while running */
	long line;
};

struct span {
	int64_t job, start, end;
	char cluster[TERRA_SLURM_NAME_MAX];
};

struct busy { /* one unit's spans in Slurm jobs, counted so far */
	char unit[40];
	struct span *v;
	size_t n, cap;
};

struct terra_slurm_jobs {
	struct sjob *v;
	size_t n, cap;
	struct busy *units; /* open addressing by unit id */
	size_t nunits, capunits;
};

/* "2026-12-03T09:10:00", local time (Slurm writes no zone); "Unknown": none. */
static int slurm_time(const char *s, int64_t *us)
{
	struct tm tm = {0};
	char tail;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &tail) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		return -1;
	*us = (int64_t)t * TERRA_US_PER_S;
	return 0;
}

static int job_add(terra_slurm_jobs *j, const char *id, const char *cluster, const char *nodes,
                   const char *start, const char *end, const char **why)
{
	struct sjob job = {0};
	char *idend;

	errno = 0;
	job.id = strtoll(id, &idend, 10);
	if (!isdigit((unsigned char)id[0]) || errno)
		return *why = "a job id that is not a number", -1;
	/* "123.batch", "123.0": a step of a job listed on its own line. */
	if (*idend == '.')
		return 0;
	if (*idend)
		return *why = "a job id that is not a number", -1;
	if (slurm_time(start, &job.start) < 0)
		job.start = INT64_MAX; /* never started: no usage lies within it */
	if (slurm_time(end, &job.end) < 0) {
		if (strcmp(end, "Unknown") && strcmp(end, "None"))
			return *why = "an end time not like 2026-12-03T09:10:00", -1;
		job.end = INT64_MAX;
	}
	if (strlen(cluster) >= sizeof job.cluster)
		return *why = "a cluster name too long", -1;
	snprintf(job.cluster, sizeof job.cluster, "%s", cluster);
	if (terra_grow(&j->v, &j->cap, j->n, sizeof *j->v, 64) < 0)
		return *why = "out of memory", -1;
	if (!(job.nodes = strdup(nodes)))
		return *why = "out of memory", -1;
	job.line = (long)j->n;
	j->v[j->n++] = job;
	return 0;
}

/* The column of name in a sacct header, -1 when absent. */
static int column(char **cols, int ncols, const char *name)
{
	for (int i = 0; i < ncols; i++)
		if (!strcmp(cols[i], name))
			return i;
	return -1;
}

static int split(char *line, char sep, char **out, int max)
{
	int n = 0;

	for (char *p = line;; p++) {
		if (n == max)
			return -1;
		out[n++] = p;
		if (!(p = strchr(p, sep)))
			break;
		*p = '\0';
	}
	return n;
}

/* The value of KEY= in a jobcomp/filetxt line; a key written twice (a job
 * name or work dir holding "StartTime=") makes the line unusable. */
static int filetxt_get(char **tok, int ntok, const char *key, const char **val)
{
	size_t klen = strlen(key);

	*val = NULL;
	for (int i = 0; i < ntok; i++) {
		if (strncmp(tok[i], key, klen) || tok[i][klen] != '=')
			continue;
		if (*val)
			return -1;
		*val = tok[i] + klen + 1;
	}
	return *val ? 0 : -1;
}

#define COLS_MAX 128

/* By id, then by file order (qsort is not stable: the line breaks ties). */
static int cmp_job(const void *a, const void *b)
{
	const struct sjob *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

int terra_slurm_jobs_load(terra_slurm_jobs **out, const char *path, terra_err *e)
{
	terra_slurm_jobs *j = calloc(1, sizeof *j);
	FILE *f = NULL;
	char *line = NULL, *head = NULL, *cols[COLS_MAX], *hcols[COLS_MAX];
	size_t cap = 0;
	ssize_t len;
	long lineno = 0;
	int nh = 0, cid = -1, cstart = -1, cend = -1, cnodes = -1, ccluster = -1;

	*out = NULL;
	if (!j)
		return terra_err_sys(e, "%s", path);
	if (!(f = fopen(path, "r"))) {
		terra_err_sys(e, "open '%s'", path);
		goto fail;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		const char *why = NULL, *id, *start, *end, *nodes, *cluster;
		int n;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		/* sacct --parsable2: its header first, again where outputs were joined. */
		if (strchr(line, '|') &&
		    (!strncmp(line, "JobID|", 6) || !strncmp(line, "JobIDRaw|", 9) ||
		     (!head && !strstr(line, "JobId=")))) {
			free(head);
			if (!(head = strdup(line))) {
				terra_err_sys(e, "%s", path);
				goto fail;
			}
			nh = split(head, '|', hcols, COLS_MAX);
			cid = column(hcols, nh, "JobIDRaw");
			if (cid < 0)
				cid = column(hcols, nh, "JobID");
			cstart = column(hcols, nh, "Start");
			cend = column(hcols, nh, "End");
			cnodes = column(hcols, nh, "NodeList");
			ccluster = column(hcols, nh, "Cluster");
			if (nh < 0 || cid < 0 || cstart < 0 || cend < 0 || cnodes < 0) {
				terra_err_set(e, TERRA_E_INPUT,
				              "%s:%ld: a sacct header must name JobIDRaw, Start, "
				              "End and NodeList (sacct --parsable2 -X -o ...)",
				              path, lineno);
				goto fail;
			}
			continue;
		}
		if (head) {
			n = split(line, '|', cols, COLS_MAX);
			if (n != nh) {
				terra_err_set(e, TERRA_E_INPUT,
				              "%s:%ld: %d fields, the header has %d", path, lineno,
				              n, nh);
				goto fail;
			}
			if (job_add(j, cols[cid], ccluster >= 0 ? cols[ccluster] : "", cols[cnodes],
			            cols[cstart], cols[cend], &why) < 0)
				goto bad;
			continue;
		}
		n = split(line, ' ', cols, COLS_MAX);
		if (n < 0 || filetxt_get(cols, n, "JobId", &id) < 0 ||
		    filetxt_get(cols, n, "StartTime", &start) < 0 ||
		    filetxt_get(cols, n, "EndTime", &end) < 0 ||
		    filetxt_get(cols, n, "NodeList", &nodes) < 0) {
			why = "not a jobcomp/filetxt line: JobId=, StartTime=, EndTime= and "
			      "NodeList= once each";
			goto bad;
		}
		/* Without accounting, jobcomp/filetxt writes "unknown". */
		if (filetxt_get(cols, n, "Cluster", &cluster) < 0 || !strcmp(cluster, "unknown"))
			cluster = "";
		if (job_add(j, id, cluster, nodes, start, end, &why) < 0)
			goto bad;
		continue;
	bad:
		terra_err_set(e, TERRA_E_INPUT, "%s:%ld: %s", path, lineno, why);
		goto fail;
	}
	if (ferror(f)) {
		terra_err_sys(e, "read '%s'", path);
		goto fail;
	}
	fclose(f);
	free(line);
	free(head);
	qsort(j->v, j->n, sizeof *j->v, cmp_job);
	*out = j;
	return 0;
fail:
	if (f)
		fclose(f);
	free(line);
	free(head);
	terra_slurm_jobs_free(j);
	return -1;
}

void terra_slurm_jobs_free(terra_slurm_jobs *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++)
		free(j->v[i].nodes);
	for (size_t i = 0; i < j->capunits; i++)
		free(j->units[i].v);
	free(j->units);
	free(j->v);
	free(j);
}

size_t terra_slurm_jobs_count(const terra_slurm_jobs *j)
{
	return j->n;
}

/* num (digits) in the range "lo" or "lo-hi"; a zero-padded range
 * ("01-16") matches only numbers of its width. */
static int range_has(const char *digits, size_t nlen, const char *r, size_t rlen)
{
	char num[24], lo[24], hi[24];
	const char *dash = memchr(r, '-', rlen);
	size_t llen = dash ? (size_t)(dash - r) : rlen, hlen = dash ? rlen - llen - 1 : rlen;
	unsigned long long n, l, h;

	if (nlen == 0 || nlen > 20 || llen == 0 || llen >= sizeof lo || hlen == 0 ||
	    hlen >= sizeof hi)
		return 0;
	memcpy(num, digits, nlen);
	num[nlen] = '\0';
	if (strspn(num, "0123456789") != nlen)
		return 0;
	memcpy(lo, r, llen);
	lo[llen] = '\0';
	memcpy(hi, dash ? dash + 1 : r, hlen);
	hi[hlen] = '\0';
	if (lo[0] == '0' && llen > 1 ? nlen != llen : (num[0] == '0' && nlen > 1))
		return 0;
	n = strtoull(num, NULL, 10);
	l = strtoull(lo, NULL, 10);
	h = strtoull(hi, NULL, 10);
	return n >= l && n <= h;
}

/* name equal to item, or in "prefix[1-3,07,9]suffix" (one bracket). */
static int host_item_has(const char *item, size_t len, const char *name)
{
	const char *lb = memchr(item, '[', len), *rb, *r;
	size_t pre, suf, nlen = strlen(name);

	if (!lb)
		return len == nlen && !memcmp(item, name, len);
	rb = memchr(lb, ']', len - (size_t)(lb - item));
	if (!rb)
		return 0;
	pre = (size_t)(lb - item);
	suf = len - (size_t)(rb - item) - 1;
	if (nlen <= pre + suf || memcmp(name, item, pre) || memcmp(name + nlen - suf, rb + 1, suf))
		return 0;
	for (r = lb + 1; r < rb;) {
		const char *comma = memchr(r, ',', (size_t)(rb - r)), *stop = comma ? comma : rb;
		if (range_has(name + pre, nlen - pre - suf, r, (size_t)(stop - r)))
			return 1;
		r = stop + 1;
	}
	return 0;
}

/* name in a Slurm hostlist: items separated by commas outside brackets. */
static int hostlist_has(const char *list, const char *name)
{
	const char *item = list, *p;
	int depth = 0;

	for (p = list;; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		if ((*p == ',' && depth == 0) || !*p) {
			if (host_item_has(item, (size_t)(p - item), name))
				return 1;
			if (!*p)
				return 0;
			item = p + 1;
		}
	}
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* The unit's spans, added when absent; NULL when out of memory. */
static struct busy *busy_of(terra_slurm_jobs *j, const char *unit)
{
	size_t i;

	if (2 * (j->nunits + 1) > j->capunits) {
		size_t cap = j->capunits ? 2 * j->capunits : 256;
		struct busy *t = calloc(cap, sizeof *t);
		if (!t)
			return NULL;
		for (size_t k = 0; k < j->capunits; k++) {
			if (!j->units[k].unit[0])
				continue;
			for (i = hash_str(j->units[k].unit) & (cap - 1); t[i].unit[0];
			     i = (i + 1) & (cap - 1))
				;
			t[i] = j->units[k];
		}
		free(j->units);
		j->units = t;
		j->capunits = cap;
	}
	for (i = hash_str(unit) & (j->capunits - 1); j->units[i].unit[0];
	     i = (i + 1) & (j->capunits - 1))
		if (!strcmp(j->units[i].unit, unit))
			return &j->units[i];
	snprintf(j->units[i].unit, sizeof j->units[i].unit, "%s", unit);
	j->nunits++;
	return &j->units[i];
}

static void format_span(int64_t start, int64_t end, char *out, size_t cap)
{
	char a[TERRA_TIME_MAX], b[TERRA_TIME_MAX];

	terra_time_format(start, a);
	if (end == INT64_MAX)
		snprintf(b, sizeof b, "still running");
	else
		terra_time_format(end, b);
	snprintf(out, cap, "%s to %s", start == INT64_MAX ? "never started" : a, b);
}

char *terra_slurm_check(void *arg, const char *line, size_t len, const char *unit, int64_t start,
                        int64_t end)
{
	terra_slurm_jobs *j = arg;
	json_t *rec = json_loadb(line, len, 0, NULL), *sl;
	const char *node, *cluster;
	const struct sjob *job = NULL;
	struct busy *b;
	char *why = NULL, when[2 * TERRA_TIME_MAX + 32];
	size_t lo, hi;
	int64_t id;

	if (!rec)
		return NULL; /* the usage checks read it; not this one's to judge */
	if (!(sl = json_object_get(rec, "slurm")))
		goto out;
	node = json_string_value(json_object_get(sl, "node"));
	cluster = json_string_value(json_object_get(sl, "cluster"));
	if (!json_is_object(sl) || !json_is_integer(json_object_get(sl, "job_id")) || !node) {
		why = terra_msgf("usage record: field 'slurm' must hold job_id and node");
		goto refuse;
	}
	id = json_integer_value(json_object_get(sl, "job_id"));
	lo = 0;
	hi = j->n;
	while (lo < hi) { /* the first job with this id */
		size_t mid = lo + (hi - lo) / 2;
		if (j->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < j->n && j->v[lo].id == id && !job; lo++)
		if (!cluster || !j->v[lo].cluster[0] || !strcmp(cluster, j->v[lo].cluster))
			job = &j->v[lo];
	if (!job) {
		why = terra_msgf("usage record: slurm job %lld%s%s is not in the slurm records",
		                 (long long)id, cluster ? " of cluster " : "",
		                 cluster ? cluster : "");
		goto refuse;
	}
	format_span(job->start, job->end, when, sizeof when);
	if (!hostlist_has(job->nodes, node)) {
		why = terra_msgf("usage record: node '%s' is not one of slurm job %lld's (%s)",
		                 node, (long long)id, job->nodes);
		goto refuse;
	}
	/* Slurm's times are whole seconds: its end is within the second after. */
	if (start < job->start || (job->end != INT64_MAX && end > job->end + TERRA_US_PER_S)) {
		why = terra_msgf("usage record: outside slurm job %lld on node '%s' (%s)",
		                 (long long)id, node, when);
		goto refuse;
	}
	if (!(b = busy_of(j, unit))) {
		goto refuse;
	}
	for (size_t i = 0; i < b->n; i++) {
		const struct span *s = &b->v[i];
		if ((s->job != id || strcmp(s->cluster, cluster ? cluster : "")) &&
		    s->start < end && start < s->end) {
			why = terra_msgf("usage record: unit '%s' busy in slurm jobs %lld and %lld "
			                 "at once",
			                 unit, (long long)s->job, (long long)id);
			goto refuse;
		}
	}
	if (terra_grow(&b->v, &b->cap, b->n, sizeof *b->v, 16) < 0)
		goto refuse;
	b->v[b->n].job = id;
	b->v[b->n].start = start;
	b->v[b->n].end = end;
	snprintf(b->v[b->n].cluster, sizeof b->v[b->n].cluster, "%s", cluster ? cluster : "");
	b->n++;
	goto out;
refuse:
	if (!why) /* out of memory: refused all the same */
		why = strdup("");
out:
	json_decref(rec);
	return why;
}
