#include "unitfiles.h"

#include "buf.h"
#include "hex.h"
#include "record.h"
#include "time.h"
#include "unit.h"
#include "unitchain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct terra_owners {
	json_t *set; /* owner hex -> true */
};

int terra_owners_load(terra_owners **op, const char *path, terra_err *e)
{
	char line[256];
	terra_owners *o;
	long lineno = 0;
	size_t len;
	FILE *f;

	*op = NULL;
	if (!(f = fopen(path, "r")))
		return terra_err_sys(e, "owners file '%s'", path);
	if (!(o = calloc(1, sizeof *o)) || !(o->set = json_object())) {
		free(o);
		fclose(f);
		return terra_err_set(e, TERRA_E_SYS, "owners file '%s': out of memory", path);
	}
	while (fgets(line, sizeof line, f)) {
		lineno++;
		len = strcspn(line, "\r\n");
		if (line[len] == '\0' && !feof(f)) {
			terra_err_set(e, TERRA_E_INPUT, "%s:%ld: line too long", path, lineno);
			goto fail;
		}
		line[len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (len != 2 * TERRA_PK_BYTES || !terra_hex_is_lower(line, len)) {
			terra_err_set(e, TERRA_E_INPUT,
			              "%s:%ld: not an owner public key (64 lowercase hex digits)",
			              path, lineno);
			goto fail;
		}
		if (json_object_set_new(o->set, line, json_true()) < 0) {
			terra_err_set(e, TERRA_E_SYS, "owners file '%s': out of memory", path);
			goto fail;
		}
	}
	if (ferror(f)) {
		terra_err_sys(e, "owners file '%s'", path);
		goto fail;
	}
	fclose(f);
	*op = o;
	return 0;
fail:
	fclose(f);
	terra_owners_free(o);
	return -1;
}

int terra_owners_has(const terra_owners *o, const char *owner_hex)
{
	return owner_hex && json_object_get(o->set, owner_hex) != NULL;
}

void terra_owners_free(terra_owners *o)
{
	if (!o)
		return;
	json_decref(o->set);
	free(o);
}

/* One version as read: where it came from, for a refusal. */
struct version {
	json_t *rec;
	char *canon; /* its canonical form: the same version twice is one */
	char *where; /* "FILE:LINE" */
	char *line;
	size_t len;
	int64_t stamp;
	size_t order;
};

struct versions {
	struct version *v;
	size_t n, cap;
};

static int cmp_version(const void *a, const void *b)
{
	const struct version *x = a, *y = b;
	int c = strcmp(json_string_value(json_object_get(x->rec, "unit")),
	               json_string_value(json_object_get(y->rec, "unit")));

	if (c)
		return c;
	if (x->stamp != y->stamp)
		return x->stamp < y->stamp ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void versions_free(struct versions *vs)
{
	size_t i;

	for (i = 0; i < vs->n; i++) {
		json_decref(vs->v[i].rec);
		free(vs->v[i].canon);
		free(vs->v[i].where);
		free(vs->v[i].line);
	}
	free(vs->v);
}

/* Reports a refused line; returns non-zero when io stops the input. */
static int refuse(const terra_meter_io *io, long *bad, const char *line, size_t len,
                  const char *msg)
{
	(*bad)++;
	return io->report && io->report(io->ctx, TERRA_METER_BAD, line, len, msg);
}

static int refuse_version(const terra_meter_io *io, long *bad, const struct version *v,
                          const char *why)
{
	char msg[1024];

	snprintf(msg, sizeof msg, "%s: unit record: unit '%s': %s", v->where,
	         json_string_value(json_object_get(v->rec, "unit")), why);
	return refuse(io, bad, v->line, v->len, msg);
}

/* Keeps a unit record read from r, with its place; a record whose fields
 * are malformed is refused at once (returns 1 when io stops). */
static int keep(struct versions *vs, terra_reader *r, json_t *rec, const terra_meter_io *io,
                long *bad, terra_err *e)
{
	struct version v = {0};
	const char *line, *id;
	char where[1024];
	size_t len;

	line = terra_reader_line(r, &len);
	if (terra_rec_str(rec, "unit", &id, e) < 0 || terra_unitchain_stamp(rec, &v.stamp, e) < 0) {
		terra_reader_reject(r, e, "unit", e->msg);
		return refuse(io, bad, line, len, e->msg);
	}
	snprintf(where, sizeof where, "%s:%ld", terra_reader_name(r), terra_reader_lineno(r));
	if (terra_grow(&vs->v, &vs->cap, vs->n, sizeof *vs->v, 16) < 0)
		return terra_err_set(e, TERRA_E_SYS, "unit records: out of memory");
	if (terra_rec_dumps(rec, &v.canon, &len, e) < 0)
		return -1;
	line = terra_reader_line(r, &v.len);
	v.line = malloc(v.len + 1);
	v.where = strdup(where);
	if (!v.line || !v.where) {
		free(v.canon);
		free(v.line);
		free(v.where);
		return terra_err_set(e, TERRA_E_SYS, "unit records: out of memory");
	}
	memcpy(v.line, line, v.len);
	v.rec = json_incref(rec);
	v.order = vs->n;
	vs->v[vs->n++] = v;
	return 0;
}

/* Reads the unit records of one file into vs. */
static int read_file(struct versions *vs, const char *path, const terra_meter_io *io, long *bad,
                     terra_err *e)
{
	terra_reader *r = NULL;
	json_t *rec = NULL;
	const char *type, *line;
	size_t len;
	int rc = -1, got;

	if (terra_reader_open(&r, path, e) < 0)
		return -1;
	for (;;) {
		json_decref(rec);
		rec = NULL;
		got = terra_reader_next(r, &rec, e);
		if (got == 0)
			break;
		if (got == -2)
			goto out;
		if (got == 1 && terra_rec_type(rec, &type, e) == 0 && strcmp(type, "unit"))
			continue; /* other records in the file are not units */
		if (got == 1) {
			got = keep(vs, r, rec, io, bad, e);
			if (got < 0)
				goto out;
		} else {
			line = terra_reader_line(r, &len);
			got = refuse(io, bad, line, len, e->msg);
		}
		if (got) {
			rc = 1;
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(rec);
	terra_reader_close(r);
	return rc;
}

/* Whether v carries a good signature by a key that owns or owned the unit
 * in its accepted chain: then that owner signed two histories. */
static int by_an_owner(const struct versions *vs, const char *accepted, size_t from, size_t to,
                       const struct version *v)
{
	const char *signer = json_string_value(json_object_get(v->rec, "signer"));
	terra_err e;
	size_t i;

	if (!signer || terra_rec_verify(v->rec, NULL, &e) < 0)
		return 0;
	for (i = from; i < to; i++)
		if (accepted[i - from] &&
		    !strcmp(signer, json_string_value(json_object_get(vs->v[i].rec, "owner"))))
			return 1;
	return 0;
}

/* Whether v is one of the versions of [from, i) accepted. */
static int accepted_before(const struct versions *vs, const char *accepted, size_t from, size_t i,
                           const struct version *v)
{
	size_t j;

	for (j = from; j < i; j++)
		if (accepted[j - from] && !strcmp(vs->v[j].canon, v->canon))
			return 1;
	return 0;
}

/*
 * Walks the versions of one unit, [from, to) of vs, in the order they take
 * effect; adds the accepted ones to the meter (the last says what the unit
 * is, all of them whose it was when). A refused version signed
 * by one of the unit's owners is an owner contradicting itself (a
 * backdated first record, a version after the retirement): then the whole
 * unit is refused, so that no chain it chose is paid. Returns 1 when io
 * stops the input.
 */
static int one_unit(terra_meter *m, struct versions *vs, size_t from, size_t to, int64_t now,
                    const terra_owners *owners, const terra_meter_io *io, long *bad, terra_err *e)
{
	const struct version *cur = NULL, *contradiction = NULL;
	char why[1024], *accepted = calloc(to - from, 1);
	size_t i;
	int rc = 0;

	if (!accepted)
		return terra_err_set(e, TERRA_E_SYS, "unit records: out of memory");
	for (i = from; i < to; i++) {
		const struct version *v = &vs->v[i];

		if (accepted_before(vs, accepted, from, i, v))
			continue; /* the same version shipped twice */
		if (terra_unitchain_next(cur ? cur->rec : NULL, v->rec, now, e) == 0) {
			cur = v;
			accepted[i - from] = 1;
			continue;
		}
		if ((rc = refuse_version(io, bad, v, e->msg)))
			goto out;
	}
	for (i = from; i < to && cur && !contradiction; i++)
		if (!accepted[i - from] && !accepted_before(vs, accepted, from, to, &vs->v[i]) &&
		    by_an_owner(vs, accepted, from, to, &vs->v[i]))
			contradiction = &vs->v[i];
	if (!cur)
		goto out;
	if (contradiction) {
		snprintf(why, sizeof why,
		         "%s, signed by an owner of the unit, contradicts its other records: "
		         "the unit is refused",
		         contradiction->where);
		rc = refuse_version(io, bad, cur, why);
		goto out;
	}
	/* Every owner of the chain is paid for its time: each must be agreed. */
	for (i = from; i < to && owners; i++)
		if (accepted[i - from] &&
		    !terra_owners_has(owners,
		                      json_string_value(json_object_get(vs->v[i].rec, "owner")))) {
			snprintf(why, sizeof why, "owner %s is not one of --owners",
			         json_string_value(json_object_get(vs->v[i].rec, "owner")));
			rc = refuse_version(io, bad, &vs->v[i], why);
			goto out;
		}
	for (i = from; i < to; i++)
		if (accepted[i - from] && terra_meter_unit_add(m, vs->v[i].rec, e) < 0) {
			rc = refuse_version(io, bad, &vs->v[i], e->msg);
			break;
		}
out:
	free(accepted);
	return rc;
}

int terra_unitfiles_load(terra_meter *m, const char *const *paths, int n,
                         const terra_owners *owners, const terra_meter_io *io, long *bad,
                         terra_err *e)
{
	struct versions vs = {0};
	size_t i, j;
	int64_t now;
	int k, rc = -1, got;

	if (terra_time_now(&now, e) < 0)
		return -1;
	for (k = 0; k < n; k++) {
		got = read_file(&vs, paths[k], io, bad, e);
		if (got) {
			rc = got;
			goto out;
		}
	}
	if (vs.n > 1)
		qsort(vs.v, vs.n, sizeof *vs.v, cmp_version);
	for (i = 0; i < vs.n; i = j) {
		const char *id = json_string_value(json_object_get(vs.v[i].rec, "unit"));

		for (j = i + 1;
		     j < vs.n &&
		     !strcmp(id, json_string_value(json_object_get(vs.v[j].rec, "unit")));
		     j++)
			;
		got = one_unit(m, &vs, i, j, now, owners, io, bad, e);
		if (got) {
			rc = got;
			goto out;
		}
	}
	rc = 0;
out:
	versions_free(&vs);
	return rc;
}
