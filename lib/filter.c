#include "filter.h"

#include "buf.h"
#include "record.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

int terra_filter_trusted_type(const char *type)
{
	static const char *const trusted[] = {
	    "meter",   "payout",   "entry",   "checkpoint", "settlement_inputs",
	    "holding", "verified", "balance", "payment"};
	size_t i;

	for (i = 0; i < sizeof trusted / sizeof trusted[0]; i++)
		if (!strcmp(type, trusted[i]))
			return 1;
	return 0;
}

/* A line kept by --strict until every input is checked. */
struct item {
	json_t *rec; /* NULL for a line passed through */
	char *line;
	size_t len;
	char *where;
};

struct filter {
	const terra_filter_opts *o;
	terra_filter_counts c;
	struct item *items;
	size_t n, cap;
	int reject_failed;
	int done; /* stop reading every input */
};

static void report(struct filter *f, const terra_err *e)
{
	f->o->report(f->o->arg, e);
}

/* A failure that ends the run: reported, counted, no more reading. */
static void fail(struct filter *f, const terra_err *e)
{
	report(f, e);
	f->c.failed++;
	f->done = 1;
}

static void copy_to_reject(struct filter *f, const char *where, const char *line, size_t len,
                           int truncated)
{
	terra_err e = {0};

	if (!f->o->reject || f->reject_failed)
		return;
	if (truncated) {
		terra_err_set(&e, TERRA_E_INPUT, "%s: line too long to copy to the reject file",
		              where);
		report(f, &e);
		return;
	}
	if (terra_rec_write_raw(f->o->reject, line, len, &e) < 0) {
		terra_err_wrap(&e, "write '%s'", f->o->reject_name ? f->o->reject_name : "reject");
		report(f, &e);
		f->reject_failed = 1;
		f->c.failed++;
	}
}

/* A bad line: e->msg is its whole message. */
static void bad_line(struct filter *f, const terra_err *e, const char *where, const char *line,
                     size_t len, int truncated)
{
	report(f, e);
	f->c.bad++;
	copy_to_reject(f, where, line, len, truncated);
	if (f->o->strict)
		f->done = 1;
}

/* A record its function refused: "FILE:LINE: TYPE record: why", e's kind kept. */
static void bad_record(struct filter *f, terra_err *e, const char *where, const char *line,
                       size_t len)
{
	char why[TERRA_ERR_MAX];

	memcpy(why, e->msg, sizeof why);
	terra_err_set(e, e->kind ? e->kind : TERRA_E_INPUT, "%s: %s record: %s", where, f->o->type,
	              why);
	bad_line(f, e, where, line, len, 0);
}

static void pass(struct filter *f, const char *line, size_t len)
{
	terra_err e = {0};
	int rc;

	rc = f->o->pass ? f->o->pass(f->o->arg, line, len, &e)
	                : terra_rec_write_raw(stdout, line, len, &e);
	if (rc < 0)
		fail(f, &e);
}

/* Runs fn on a record (check_pre with its slot when slot is not NULL); 0 when it may go on. */
static int call(struct filter *f, int (*fn)(void *, json_t *, const char *, terra_err *),
                json_t *rec, void *slot, const char *where, const char *line, size_t len)
{
	terra_err e = {0};
	int rc;

	if (slot)
		rc = f->o->check_pre ? f->o->check_pre(f->o->arg, rec, slot, where, &e) : 0;
	else if (!fn)
		return 0;
	else
		rc = fn(f->o->arg, rec, where, &e);
	if (rc == TERRA_FILTER_STOP) {
		fail(f, &e);
		return -1;
	}
	if (rc < 0) {
		bad_record(f, &e, where, line, len);
		return -1;
	}
	return 0;
}

static int keep(struct filter *f, json_t *rec, const char *line, size_t len, const char *where)
{
	struct item *it;
	terra_err e = {0};

	if (terra_grow(&f->items, &f->cap, f->n, sizeof *f->items, 64) < 0)
		goto nomem;
	it = &f->items[f->n];
	it->rec = rec;
	it->len = len;
	it->where = strdup(where);
	it->line = malloc(len + 1);
	if (!it->where || !it->line) {
		free(it->where);
		free(it->line);
		goto nomem;
	}
	memcpy(it->line, line, len);
	it->line[len] = '\0';
	f->n++;
	return 0;
nomem:
	terra_err_sys(&e, "%s: keep the record for --strict", where);
	fail(f, &e);
	return -1;
}

/* One line read: handled now, or kept with --strict. Takes rec. slot: pre's
 * result for it (records of `type` when pre is set), or NULL. */
static void one(struct filter *f, const char *line, size_t len, const char *where, int truncated,
                json_t *rec, void *slot)
{
	const char *type = json_string_value(json_object_get(rec, "type"));
	terra_err e = {0};

	if (strcmp(type, f->o->type)) {
		int trusted = f->o->refuse_trusted && terra_filter_trusted_type(type);
		char tname[32];

		snprintf(tname, sizeof tname, "%s", type);
		json_decref(rec);
		rec = NULL;
		if (f->o->others_bad) {
			terra_err_set(&e, TERRA_E_INPUT, "%s: not a %s record", where, f->o->type);
			bad_line(f, &e, where, line, len, truncated);
		} else if (trusted) {
			terra_err_set(&e, TERRA_E_INPUT,
			              "%s: %s record: made only by a trusted stage, refused here",
			              where, tname);
			bad_line(f, &e, where, line, len, truncated);
		} else if (f->o->strict) {
			keep(f, NULL, line, len, where);
		} else {
			pass(f, line, len);
		}
		return;
	}
	if (call(f, f->o->check, rec, slot, where, line, len) < 0) {
		json_decref(rec);
		return;
	}
	if (f->o->strict) {
		if (keep(f, rec, line, len, where) < 0)
			json_decref(rec);
		return;
	}
	if (call(f, f->o->apply, rec, NULL, where, line, len) == 0)
		f->c.records++;
	json_decref(rec);
}

static int stopped(const struct filter *f)
{
	return f->done || (f->o->stop && f->o->stop());
}

/* ---- reading ahead: pre on worker threads, the rest in input order ------- */

/* One line read ahead. */
struct ahead {
	json_t *rec; /* NULL: a bad line, e says why */
	char *line;
	size_t len;
	int truncated;
	int has_slot; /* a record of `type`: pre ran into slot */
	char where[TERRA_ERR_MAX / 2];
	terra_err e;
	void *slot;
};

struct pre_run {
	struct filter *f;
	struct ahead *a;
	size_t n, next; /* next: the next line to take, shared by the workers */
};

static void *pre_worker(void *arg)
{
	struct pre_run *pr = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&pr->next, 1, __ATOMIC_RELAXED)) < pr->n)
		if (pr->a[i].has_slot)
			pr->f->o->pre(pr->f->o->arg, pr->a[i].rec, pr->a[i].slot);
	return NULL;
}

/* pre over a[0..n), on up to o->threads threads (this one among them); a
 * thread that cannot start leaves its share to the others. */
static void run_pre(struct filter *f, struct ahead *a, size_t n)
{
	struct pre_run pr = {f, a, n, 0};
	pthread_t tid[64];
	int want = f->o->threads < 1 ? 1 : f->o->threads > 64 ? 64 : f->o->threads, started = 0;

	while (started + 1 < want && (size_t)started + 1 < n &&
	       pthread_create(&tid[started], NULL, pre_worker, &pr) == 0)
		started++;
	pre_worker(&pr);
	while (started)
		pthread_join(tid[--started], NULL);
}

/* Reads r to its end in groups, as read_input reads it one line at a time. */
static void read_ahead(struct filter *f, terra_reader *r)
{
	struct ahead *a = calloc(TERRA_FILTER_AHEAD, sizeof *a);
	char *slots = calloc(TERRA_FILTER_AHEAD, f->o->pre_size ? f->o->pre_size : 1);
	terra_err rerr = {0};
	size_t n, i;
	int rc = 1, read_failed = 0;

	if (!a || !slots) {
		terra_err_sys(&rerr, "%s: read ahead", terra_reader_name(r));
		fail(f, &rerr);
		goto out;
	}
	while (rc != 0 && !read_failed && !stopped(f)) {
		for (n = 0; n < TERRA_FILTER_AHEAD && !(f->o->stop && f->o->stop()); n++) {
			struct ahead *x = &a[n];
			const char *line, *type;

			memset(x, 0, sizeof *x);
			rc = terra_reader_next(r, &x->rec, &x->e);
			if (rc == 0)
				break;
			if (rc == -2) {
				rerr = x->e;
				read_failed = 1;
				break;
			}
			if (rc < 0)
				x->rec = NULL;
			line = terra_reader_line(r, &x->len);
			x->truncated = terra_reader_truncated(r);
			snprintf(x->where, sizeof x->where, "%s:%ld", terra_reader_name(r),
			         terra_reader_lineno(r));
			x->line = malloc(x->len + 1);
			if (!x->line) {
				json_decref(x->rec);
				terra_err_sys(&rerr, "%s: read ahead", x->where);
				fail(f, &rerr);
				goto drop;
			}
			memcpy(x->line, line, x->len);
			x->line[x->len] = '\0';
			type = x->rec ? json_string_value(json_object_get(x->rec, "type")) : NULL;
			x->slot = slots + n * f->o->pre_size;
			memset(x->slot, 0, f->o->pre_size);
			x->has_slot = type && !strcmp(type, f->o->type);
		}
		run_pre(f, a, n);
		for (i = 0; i < n; i++) {
			struct ahead *x = &a[i];

			if (stopped(f))
				json_decref(x->rec);
			else if (!x->rec)
				bad_line(f, &x->e, x->where, x->line, x->len, x->truncated);
			else
				one(f, x->line, x->len, x->where, x->truncated, x->rec,
				    x->has_slot ? x->slot : NULL);
			if (x->has_slot && f->o->pre_free)
				f->o->pre_free(f->o->arg, x->slot);
			free(x->line);
		}
		if (f->o->stop && f->o->stop())
			break;
	}
	if (read_failed && !stopped(f)) {
		report(f, &rerr);
		f->c.failed++;
		if (f->o->strict)
			f->done = 1;
	}
	goto out;
drop:
	for (i = 0; i < n; i++) {
		json_decref(a[i].rec);
		free(a[i].line);
	}
out:
	free(slots);
	free(a);
}

static void read_input(struct filter *f, const char *path)
{
	terra_reader *r = NULL;
	terra_err e = {0};
	json_t *rec;
	int rc;

	if (terra_reader_open(&r, path, &e) < 0) {
		report(f, &e);
		f->c.failed++;
		if (f->o->strict)
			f->done = 1;
		return;
	}
	if (f->o->stop)
		terra_reader_cancel_fd(r, f->o->cancel_fd);
	if (f->o->pre) {
		read_ahead(f, r);
		terra_reader_close(r);
		return;
	}
	while (!stopped(f) && (rc = terra_reader_next(r, &rec, &e)) != 0) {
		char where[TERRA_ERR_MAX / 2];
		const char *line;
		size_t len;

		if (rc == -2) {
			if (!(f->o->stop && f->o->stop())) {
				report(f, &e);
				f->c.failed++;
				if (f->o->strict)
					f->done = 1;
			}
			break;
		}
		if (rc < 0) {
			snprintf(where, sizeof where, "%s:%ld", terra_reader_name(r),
			         terra_reader_lineno(r));
			line = terra_reader_line(r, &len);
			bad_line(f, &e, where, line, len, terra_reader_truncated(r));
			continue;
		}
		line = terra_reader_line(r, &len);
		snprintf(where, sizeof where, "%s:%ld", terra_reader_name(r),
		         terra_reader_lineno(r));
		one(f, line, len, where, terra_reader_truncated(r), rec, NULL);
	}
	terra_reader_close(r);
}

/* --strict, every input checked: act on the records kept, in order. */
static void apply_kept(struct filter *f)
{
	size_t i;

	for (i = 0; i < f->n && !f->done; i++) {
		struct item *it = &f->items[i];

		if (!it->rec)
			pass(f, it->line, it->len);
		else if (call(f, f->o->apply, it->rec, NULL, it->where, it->line, it->len) == 0)
			f->c.records++;
	}
}

int terra_filter_run(const char *const *files, int nfiles, const terra_filter_opts *o,
                     terra_filter_counts *c)
{
	struct filter f = {.o = o};
	size_t i;
	int k;

	if (nfiles == 0)
		read_input(&f, "-");
	for (k = 0; k < nfiles && !stopped(&f); k++)
		read_input(&f, files[k]);
	if (o->strict && !f.c.bad && !f.c.failed && !f.done)
		apply_kept(&f);
	for (i = 0; i < f.n; i++) {
		json_decref(f.items[i].rec);
		free(f.items[i].line);
		free(f.items[i].where);
	}
	free(f.items);
	if (c)
		*c = f.c;
	return f.c.bad || f.c.failed ? -1 : 0;
}
