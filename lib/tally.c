#include "tally.h"

#include "buf.h"
#include "merkle.h"

#include <stdlib.h>
#include <string.h>

#define SIG_KEPT TERRA_USAGE_SIG_KEPT

/* A run of consecutive seqs of one unit already counted, with the start of
 * its first record and the end of its last. */
struct run {
	int64_t lo, hi, t_lo, t_hi;
};

struct seen {
	int64_t seq; /* 0: empty slot */
	char sig[SIG_KEPT];
};

struct seqs {
	struct run *runs;
	size_t nruns, capruns;
	struct seen *ring;
	size_t capring;
};

struct acc {
	uint32_t unit, period; /* unit: the slot */
	int64_t busy, work, records, first, last;
	int64_t proven[3], kernel_us, backed;
	int64_t replicated_us, replica_records[3];
	terra_tally_nonces *nonces;
	size_t nnonces, capnonces;
	int overflow;
	uint64_t leaves;
	uint8_t (*stack)[TERRA_HASH_BYTES]; /* perfect subtrees, largest first */
	size_t capstack;
};

struct terra_tally {
	int64_t from, every, nperiods;
	struct seqs *units;
	size_t nunits;
	struct acc *accs;
	size_t naccs, capaccs;
	uint32_t *slots; /* hash of (unit, period) -> acc index + 1 */
	size_t nslots;
	const struct acc **order; /* terra_tally_sort's */
};

terra_tally *terra_tally_new(size_t nunits, int64_t from, int64_t every, int64_t nperiods)
{
	terra_tally *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	if (nunits && !(t->units = calloc(nunits, sizeof *t->units))) {
		free(t);
		return NULL;
	}
	t->nunits = nunits;
	t->from = from;
	t->every = every;
	t->nperiods = nperiods;
	return t;
}

void terra_tally_free(terra_tally *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nunits; i++) {
		free(t->units[i].runs);
		free(t->units[i].ring);
	}
	free(t->units);
	for (i = 0; i < t->naccs; i++) {
		free(t->accs[i].stack);
		free(t->accs[i].nonces);
	}
	free(t->accs);
	free(t->slots);
	free(t->order);
	free(t);
}

/* ---- seqs and busy time of one unit ------------------------------------- */

static int ring_put(struct seqs *u, int64_t seq, const char sig[SIG_KEPT])
{
	for (;;) {
		struct seen *s;

		if (!u->capring) {
			if (!(u->ring = calloc(16, sizeof *u->ring)))
				return -1;
			u->capring = 16;
		}
		s = &u->ring[(uint64_t)seq % u->capring];
		if (!s->seq || s->seq == seq || u->capring >= TERRA_METER_SEQ_WINDOW) {
			s->seq = seq;
			memcpy(s->sig, sig, SIG_KEPT);
			return 0;
		} else {
			/* Doubling keeps every entry: residues mod 2c refine those mod c. */
			size_t cap = 2 * u->capring, i;
			struct seen *n = calloc(cap, sizeof *n);

			if (!n)
				return -1;
			for (i = 0; i < u->capring; i++)
				if (u->ring[i].seq)
					n[(uint64_t)u->ring[i].seq % cap] = u->ring[i];
			free(u->ring);
			u->ring = n;
			u->capring = cap;
		}
	}
}

/* Where it's seq goes among its unit's runs: *at the first run starting after it. */
static int seq_class(const struct seqs *u, const terra_usage_verdict *it, int64_t *other,
                     size_t *at)
{
	size_t lo = 0, hi = u->nruns, i;
	const struct run *p, *s;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u->runs[mid].lo > it->seq)
			hi = mid;
		else
			lo = mid + 1;
	}
	i = lo; /* first run starting after seq */
	*at = i;
	p = i ? &u->runs[i - 1] : NULL;
	s = i < u->nruns ? &u->runs[i] : NULL;
	if (p && p->hi >= it->seq) {
		const struct seen *w = u->capring ? &u->ring[(uint64_t)it->seq % u->capring] : NULL;

		if (w && w->seq == it->seq && !memcmp(w->sig, it->sig, SIG_KEPT))
			return TERRA_TALLY_DUP;
		*other = it->seq;
		return w && w->seq == it->seq ? TERRA_TALLY_REPLAYED_OTHER : TERRA_TALLY_REPLAYED;
	}
	if (p && it->start < p->t_hi) {
		*other = p->hi;
		return TERRA_TALLY_STARTS_EARLY;
	}
	if (s && it->end > s->t_lo) {
		*other = s->lo;
		return TERRA_TALLY_ENDS_LATE;
	}
	return TERRA_TALLY_NEW;
}

int terra_tally_seq_peek(const terra_tally *t, const terra_usage_verdict *it, int64_t *other)
{
	size_t at;

	return seq_class(&t->units[it->unit], it, other, &at);
}

int terra_tally_seq(terra_tally *t, const terra_usage_verdict *it, int64_t *other)
{
	struct seqs *u = &t->units[it->unit];
	struct run *p, *s;
	size_t i;
	int join_p, join_s, got = seq_class(u, it, other, &i);

	if (got != TERRA_TALLY_NEW)
		return got;
	p = i ? &u->runs[i - 1] : NULL;
	s = i < u->nruns ? &u->runs[i] : NULL;
	join_p = p && p->hi + 1 == it->seq;
	join_s = s && s->lo - 1 == it->seq;
	if (join_p && join_s) {
		p->hi = s->hi;
		p->t_hi = s->t_hi;
		memmove(s, s + 1, (u->nruns - i - 1) * sizeof *s);
		u->nruns--;
	} else if (join_p) {
		p->hi = it->seq;
		p->t_hi = it->end;
	} else if (join_s) {
		s->lo = it->seq;
		s->t_lo = it->start;
	} else {
		if (terra_grow(&u->runs, &u->capruns, u->nruns, sizeof *u->runs, 4) < 0)
			return -1;
		memmove(&u->runs[i + 1], &u->runs[i], (u->nruns - i) * sizeof *u->runs);
		u->runs[i] = (struct run){it->seq, it->seq, it->start, it->end};
		u->nruns++;
	}
	return ring_put(u, it->seq, it->sig) < 0 ? -1 : TERRA_TALLY_NEW;
}

/* ---- sums per unit and period -------------------------------------------- */

/*
 * RFC 6962 root in O(log n) memory, sized to the tree: lib/merkle.h's
 * accumulator on a stack that grows to one perfect subtree per set bit of
 * the leaf count (terra_merkle_acc has 64 slots, 2 KiB, too much for every
 * unit and period).
 */
static int tree_push(struct acc *a, const uint8_t leaf[TERRA_HASH_BYTES])
{
	size_t top = (size_t)__builtin_popcountll(a->leaves);

	if (top + 1 > a->capstack) {
		size_t cap = a->capstack ? 2 * a->capstack : 4;
		uint8_t(*s)[TERRA_HASH_BYTES] = realloc(a->stack, cap * sizeof *s);

		if (!s)
			return -1;
		a->stack = s;
		a->capstack = cap;
	}
	terra_merkle_stack_push(a->stack, a->leaves++, leaf);
	return 0;
}

static void tree_root(const struct acc *a, uint8_t out[TERRA_HASH_BYTES])
{
	terra_merkle_stack_root((const uint8_t(*)[TERRA_HASH_BYTES])a->stack, a->leaves, out);
}

static uint64_t slot_hash(uint64_t key)
{
	key ^= key >> 33;
	key *= UINT64_C(0xff51afd7ed558ccd);
	key ^= key >> 33;
	return key;
}

static struct acc *acc_get(terra_tally *m, uint32_t unit, uint32_t period)
{
	uint64_t key = (uint64_t)unit << 32 | period;
	size_t i;

	if (2 * (m->naccs + 1) > m->nslots) {
		size_t n = m->nslots ? 2 * m->nslots : 1024;
		uint32_t *slots = calloc(n, sizeof *slots);

		if (!slots)
			return NULL;
		for (i = 0; i < m->naccs; i++) {
			uint64_t k = (uint64_t)m->accs[i].unit << 32 | m->accs[i].period;
			size_t j = slot_hash(k) & (n - 1);

			while (slots[j])
				j = (j + 1) & (n - 1);
			slots[j] = (uint32_t)i + 1;
		}
		free(m->slots);
		m->slots = slots;
		m->nslots = n;
	}
	for (i = slot_hash(key) & (m->nslots - 1); m->slots[i]; i = (i + 1) & (m->nslots - 1)) {
		struct acc *a = &m->accs[m->slots[i] - 1];

		if (a->unit == unit && a->period == period)
			return a;
	}
	if (terra_grow(&m->accs, &m->capaccs, m->naccs, sizeof *m->accs, 64) < 0)
		return NULL;
	m->slots[i] = (uint32_t)m->naccs + 1;
	memset(&m->accs[m->naccs], 0, sizeof m->accs[m->naccs]);
	m->accs[m->naccs].unit = unit;
	m->accs[m->naccs].period = period;
	return &m->accs[m->naccs++];
}

/* Adds the nonces [lo, hi) of it's header to a, joined to the last range when they meet. */
static int nonces_add(struct acc *a, const terra_usage_verdict *it, int64_t lo, int64_t hi)
{
	terra_tally_nonces *last = a->nnonces ? &a->nonces[a->nnonces - 1] : NULL;

	if (lo >= hi)
		return 0;
	if (last && last->hi == lo && !memcmp(last->id, it->header_id, sizeof last->id)) {
		last->hi = hi;
		return 0;
	}
	if (terra_grow(&a->nonces, &a->capnonces, a->nnonces, sizeof *a->nonces, 2) < 0)
		return -1;
	last = &a->nonces[a->nnonces++];
	memcpy(last->id, it->header_id, sizeof last->id);
	last->ntime = it->ntime;
	last->lo = lo;
	last->hi = hi;
	return 0;
}

static void add(struct acc *a, int64_t *sum, int64_t v)
{
	if (__builtin_add_overflow(*sum, v, sum))
		a->overflow = 1;
}

int terra_tally_count(terra_tally *m, const terra_usage_verdict *it, uint32_t slot, int64_t start,
                      int64_t end, const terra_tally_part *p)
{
	int64_t c0 = terra_meter_cell(start, m->from, m->every);
	int64_t c1 = terra_meter_cell(end - 1, m->from, m->every), c;

	if (c0 < 0)
		c0 = 0;
	if (c1 > m->nperiods - 1)
		c1 = m->nperiods - 1;
	for (c = c0; c <= c1; c++) {
		struct acc *a = acc_get(m, slot, (uint32_t)c);
		int64_t busy = terra_meter_part(p->busy, start, end, m->from, m->every, c);
		int64_t cell_start = m->from + c * m->every, cell_end = cell_start + m->every;

		if (!a)
			return -1;
		add(a, &a->busy, busy);
		add(a, &a->work, terra_meter_part(p->work, start, end, m->from, m->every, c));
		add(a, &a->proven[it->workload],
		    terra_meter_part(p->proven, start, end, m->from, m->every, c));
		add(a, &a->backed, terra_meter_part(p->backed, start, end, m->from, m->every, c));
		if (it->workload == TERRA_WL_KERNEL) {
			int64_t rep =
			    terra_meter_part(p->replicated, start, end, m->from, m->every, c);

			add(a, &a->kernel_us,
			    terra_meter_part(p->busy - p->replicated, start, end, m->from, m->every,
			                     c));
			add(a, &a->replicated_us, rep);
		}
		if (p->replica > 0 && p->replica <= 3)
			a->replica_records[p->replica - 1]++;
		if (!a->records || it->seq < a->first)
			a->first = it->seq;
		if (!a->records || it->seq > a->last)
			a->last = it->seq;
		a->records++;
		if (tree_push(a, it->leaf) < 0)
			return -1;
		if (it->has_nonces) {
			int64_t lo, hi;

			/* the nonces of this part's time within the period */
			terra_meter_nonces(it, cell_start > start ? cell_start : start,
			                   cell_end < end ? cell_end : end, &lo, &hi);
			if (nonces_add(a, it, lo, hi) < 0)
				return -1;
		}
	}
	return 0;
}

static int cmp_nonces(const void *a, const void *b)
{
	const terra_tally_nonces *x = a, *y = b;
	int c = memcmp(x->id, y->id, sizeof x->id);

	if (c)
		return c;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int cmp_acc(const void *a, const void *b)
{
	const struct acc *x = *(const struct acc *const *)a, *y = *(const struct acc *const *)b;

	if (x->period != y->period)
		return x->period < y->period ? -1 : 1;
	return x->unit < y->unit ? -1 : x->unit > y->unit;
}

/* Sorts a's ranges and joins those that meet. */
static void nonces_sort(struct acc *a)
{
	size_t i, n = 0;

	qsort(a->nonces, a->nnonces, sizeof *a->nonces, cmp_nonces);
	for (i = 0; i < a->nnonces; i++) {
		if (n && a->nonces[n - 1].hi == a->nonces[i].lo &&
		    !memcmp(a->nonces[n - 1].id, a->nonces[i].id, sizeof a->nonces[i].id)) {
			a->nonces[n - 1].hi = a->nonces[i].hi;
			continue;
		}
		a->nonces[n++] = a->nonces[i];
	}
	a->nnonces = n;
}

int terra_tally_sort(terra_tally *t)
{
	size_t i;

	free(t->order);
	t->order = NULL;
	if (t->naccs && !(t->order = malloc(t->naccs * sizeof *t->order)))
		return -1;
	for (i = 0; i < t->naccs; i++) {
		t->order[i] = &t->accs[i];
		if (t->accs[i].nnonces > 1)
			nonces_sort(&t->accs[i]);
	}
	if (t->naccs > 1)
		qsort(t->order, t->naccs, sizeof *t->order, cmp_acc);
	return 0;
}

size_t terra_tally_cells(const terra_tally *t)
{
	return t->order ? t->naccs : 0;
}

void terra_tally_cell_at(const terra_tally *t, size_t i, terra_tally_cell *c)
{
	const struct acc *a = t->order[i];

	c->slot = a->unit;
	c->period = a->period;
	c->busy = a->busy;
	c->work = a->work;
	c->records = a->records;
	c->first = a->first;
	c->last = a->last;
	memcpy(c->proven, a->proven, sizeof c->proven);
	c->kernel_us = a->kernel_us;
	c->replicated_us = a->replicated_us;
	memcpy(c->replica_records, a->replica_records, sizeof c->replica_records);
	c->backed = a->backed;
	c->overflow = a->overflow;
	tree_root(a, c->root);
	c->nonces = a->nonces;
	c->nnonces = a->nnonces;
}
