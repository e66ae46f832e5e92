#include "batch.h"

#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_BYTES (64 * 1024)

struct batch {
	char *buf; /* the lines, each followed by '\0' */
	size_t used, cap;
	size_t off[TERRA_BATCH_LINES], len[TERRA_BATCH_LINES];
	long lineno[TERRA_BATCH_LINES];
	unsigned char *slots; /* TERRA_BATCH_LINES slots of the pool's stride */
	size_t n;
	int done;
	void *scratch;
};

/* Where the lines come from: a file read in chunks, or the caller's next(). */
struct lines {
	FILE *f;
	char *chunk;
	size_t pos, end;
	int eof;
	long lineno;
	size_t line_max;
	terra_batch_next_fn next;
	void *next_ctx;
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct batch *b;
	size_t nb, submitted, taken, consumed, stride;
	int quit;
	const char *name;
	const terra_batch_opts *o;
};

static int reserve(struct batch *b, size_t more)
{
	if (b->used + more > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *n;

		while (cap < b->used + more)
			cap *= 2;
		if (!(n = realloc(b->buf, cap)))
			return -1;
		b->buf = n;
		b->cap = cap;
	}
	return 0;
}

/* Appends the next line to b. Returns 1, 0 at the end, -1 on error (errno). */
static int read_line(struct lines *l, struct batch *b)
{
	size_t kept = 0, off = b->used;
	int any = 0;

	for (;;) {
		char *nl;
		size_t n, take;

		if (l->pos == l->end) {
			if (l->eof)
				break;
			l->pos = 0;
			l->end = fread(l->chunk, 1, CHUNK_BYTES, l->f);
			if (l->end == 0) {
				if (ferror(l->f))
					return -1;
				l->eof = 1;
				break;
			}
		}
		any = 1;
		nl = memchr(l->chunk + l->pos, '\n', l->end - l->pos);
		n = (nl ? (size_t)(nl - l->chunk) : l->end) - l->pos;
		/* A line over the limit is consumed whole; one byte past the limit
		 * is kept so the check sees it too long. */
		take = l->line_max && kept + n > l->line_max + 1 ? l->line_max + 1 - kept : n;
		if (reserve(b, take + 1) < 0) {
			errno = ENOMEM;
			return -1;
		}
		memcpy(b->buf + b->used, l->chunk + l->pos, take);
		b->used += take;
		kept += take;
		l->pos += n;
		if (nl) {
			l->pos++;
			break;
		}
	}
	if (!any)
		return 0;
	b->buf[b->used++] = '\0';
	b->off[b->n] = off;
	b->len[b->n] = kept;
	b->lineno[b->n] = ++l->lineno;
	b->n++;
	return 1;
}

/* Appends the caller's next item to b. Returns 1, 0 at the end, -1 with e set. */
static int next_item(struct lines *l, struct batch *b, const char *what, terra_err *e)
{
	const char *text;
	size_t len;
	long lineno;
	int got = l->next(l->next_ctx, &text, &len, &lineno, e);

	if (got != 1)
		return got < 0 ? -1 : 0;
	if (reserve(b, len + 1) < 0)
		return terra_err_set(e, TERRA_E_SYS, "%s: out of memory", what);
	memcpy(b->buf + b->used, text, len);
	b->off[b->n] = b->used;
	b->used += len;
	b->buf[b->used++] = '\0';
	b->len[b->n] = len;
	b->lineno[b->n] = lineno;
	b->n++;
	return 1;
}

static int fill(struct lines *l, struct batch *b, int *eof, const struct pool *p, terra_err *e)
{
	int got = 1;

	b->n = 0;
	b->used = 0;
	while (b->n < TERRA_BATCH_LINES && b->used < TERRA_BATCH_BYTES &&
	       (got = l->next ? next_item(l, b, p->o->what, e) : read_line(l, b)) == 1)
		;
	if (got == 0)
		*eof = 1;
	if (got < 0 && !l->next)
		terra_err_sys(e, "read '%s'", p->name);
	return got < 0 ? -1 : 0;
}

static terra_batch_line line_of(const struct pool *p, struct batch *b, size_t i)
{
	return (terra_batch_line){p->name, b->lineno[i], b->buf + b->off[i], b->len[i],
	                          b->slots + i * p->stride};
}

static void check(const struct pool *p, struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		terra_batch_line l = line_of(p, b, i);

		memset(l.slot, 0, p->stride);
		p->o->check(p->o->ctx, &l, &b->scratch);
	}
}

static void drop(const struct pool *p, struct batch *b, size_t from)
{
	size_t i;

	if (p->o->drop)
		for (i = from; i < b->n; i++)
			p->o->drop(p->o->ctx, b->slots + i * p->stride);
}

static void *worker(void *arg)
{
	struct pool *p = arg;

	for (;;) {
		struct batch *b;

		pthread_mutex_lock(&p->mu);
		while (!p->quit && p->taken == p->submitted)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->taken == p->submitted) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		b = &p->b[p->taken++ % p->nb];
		pthread_mutex_unlock(&p->mu);
		check(p, b);
		pthread_mutex_lock(&p->mu);
		b->done = 1;
		pthread_cond_broadcast(&p->done);
		pthread_mutex_unlock(&p->mu);
	}
}

/* Consumes a checked batch in order; what is left after a stop is dropped. */
static int consume(struct pool *p, struct batch *b, terra_err *e)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		terra_batch_line l = line_of(p, b, i);
		int got = p->o->consume(p->o->ctx, &l, e);

		if (got) {
			drop(p, b, i + 1);
			return got;
		}
	}
	return 0;
}

/* Reads, checks and consumes until the end, a stop or a failure. */
static int run(struct pool *p, struct lines *l, int nth, terra_err *e)
{
	int eof = 0, got, rc = -1;

	for (;;) {
		struct batch *b;

		while (!eof && p->submitted - p->consumed < p->nb) {
			b = &p->b[p->submitted % p->nb];
			if (fill(l, b, &eof, p, e) < 0)
				goto out;
			if (!b->n)
				break;
			if (!nth) {
				check(p, b);
				b->done = 1;
				p->submitted++;
				continue;
			}
			pthread_mutex_lock(&p->mu);
			b->done = 0;
			p->submitted++;
			pthread_cond_signal(&p->work);
			pthread_mutex_unlock(&p->mu);
		}
		if (p->consumed == p->submitted)
			break;
		b = &p->b[p->consumed % p->nb];
		if (nth) {
			pthread_mutex_lock(&p->mu);
			while (!b->done)
				pthread_cond_wait(&p->done, &p->mu);
			pthread_mutex_unlock(&p->mu);
		}
		got = consume(p, b, e);
		p->consumed++;
		if (got) {
			rc = got;
			goto out;
		}
	}
	rc = 0;
out:
	if (nth) {
		pthread_mutex_lock(&p->mu);
		p->quit = 1;
		pthread_cond_broadcast(&p->work);
		pthread_mutex_unlock(&p->mu);
	}
	return rc;
}

static int batch_run(struct lines *lp, const char *name, const terra_batch_opts *o, terra_err *e)
{
	struct lines l = *lp;
	struct pool p;
	pthread_t *th = NULL;
	int nth = o->threads > 1 ? o->threads : 0, started = 0, rc = -1;
	size_t i, align = alignof(max_align_t);

	memset(&p, 0, sizeof p);
	p.o = o;
	p.name = name;
	p.stride = (o->slot_size + align - 1) / align * align;
	p.nb = nth ? 2 * (size_t)nth + 2 : 1;
	if (!(p.b = calloc(p.nb, sizeof *p.b)) || (!l.next && !(l.chunk = malloc(CHUNK_BYTES))) ||
	    (nth && !(th = calloc((size_t)nth, sizeof *th))))
		goto oom;
	for (i = 0; i < p.nb; i++)
		if (!(p.b[i].slots = malloc(TERRA_BATCH_LINES * (p.stride ? p.stride : 1))))
			goto oom;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.work, NULL);
	pthread_cond_init(&p.done, NULL);
	for (; started < nth; started++)
		if (pthread_create(&th[started], NULL, worker, &p)) {
			terra_err_set(e, TERRA_E_SYS, "%s: cannot start a thread", o->what);
			pthread_mutex_lock(&p.mu);
			p.quit = 1;
			pthread_cond_broadcast(&p.work);
			pthread_mutex_unlock(&p.mu);
			break;
		}
	if (started == nth)
		rc = run(&p, &l, nth, e);
	for (i = 0; i < (size_t)started; i++)
		pthread_join(th[i], NULL);
	/* Batches checked but not consumed (stopped early) still hold results:
	 * the workers check every batch submitted before they quit. */
	for (; p.consumed < p.submitted; p.consumed++)
		drop(&p, &p.b[p.consumed % p.nb], 0);
	pthread_cond_destroy(&p.done);
	pthread_cond_destroy(&p.work);
	pthread_mutex_destroy(&p.mu);
	goto out;
oom:
	terra_err_set(e, TERRA_E_SYS, "%s: out of memory", o->what);
out:
	free(l.chunk);
	if (p.b)
		for (i = 0; i < p.nb; i++) {
			if (p.b[i].scratch && o->scratch_free)
				o->scratch_free(o->ctx, p.b[i].scratch);
			free(p.b[i].buf);
			free(p.b[i].slots);
		}
	free(p.b);
	free(th);
	return rc;
}

int terra_batch_read(FILE *f, const char *name, const terra_batch_opts *o, terra_err *e)
{
	struct lines l = {.f = f, .line_max = o->line_max};

	return batch_run(&l, name, o, e);
}

int terra_batch_each(terra_batch_next_fn next, void *next_ctx, const char *name,
                     const terra_batch_opts *o, terra_err *e)
{
	struct lines l = {.next = next, .next_ctx = next_ctx};

	return batch_run(&l, name, o, e);
}
