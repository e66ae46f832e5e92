/*
 * sgemmprove: proves rows of an sgemm run again, as the holder of a unit's
 * key could, for tests that replay sgemm work (tests/attack-pay.t).
 *
 * usage: sgemmprove SEQ ROW_START ROW_END START END <usage-record >unsigned
 *
 * Reads one sgemm usage record made by terra-run, recomputes rows
 * [ROW_START, ROW_END) of its product on the host from the run's inputs
 * (lib/sgemmproof.h), and writes the record with that seq, those rows, times
 * and work and fresh evidence (committed, ground and opened as terra-run
 * does), without "sig" and "signer": sign it with tests/tools/signrec.py.
 */
#include "lib/merkle.h"
#include "lib/record.h"
#include "lib/sgemmproof.h"
#include "lib/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct run {
	uint64_t state;
	int64_t m, n, k;
};

/* Row i of C, each element summed in double and rounded once to binary32. */
static int row_of(void *ctx, int64_t i, float *out, terra_err *e)
{
	const struct run *r = ctx;

	(void)e;
	for (int64_t j = 0; j < r->n; j++) {
		double s = 0;

		for (int64_t l = 0; l < r->k; l++)
			s += (double)terra_sgemm_value(r->state, (uint64_t)(i * r->k + l)) *
			     (double)terra_sgemm_value(r->state,
			                               (uint64_t)(r->m * r->k + l * r->n + j));
		out[j] = (float)s;
	}
	return 0;
}

static int fail(const char *what)
{
	fprintf(stderr, "sgemmprove: %s\n", what);
	return 1;
}

int main(int argc, char **argv)
{
	terra_err e;
	terra_sgemm_claim c;
	struct run run;
	json_t *rec, *ev, *fresh;
	char line[1 << 20];
	int64_t start, end, busy, rows;
	uint8_t(*leaves)[TERRA_HASH_BYTES];
	uint8_t root[TERRA_HASH_BYTES], tmpl[TERRA_HEADER_BYTES];
	float *row;
	uint64_t nonce;

	if (argc != 6)
		return fail("usage: sgemmprove SEQ ROW_START ROW_END START END <record");
	if (!fgets(line, sizeof line, stdin) ||
	    terra_record_parse(line, strlen(line), &rec, &e) < 0)
		return fail("no usage record on stdin");
	if (terra_rec_str(rec, "unit", &c.unit, &e) < 0 ||
	    terra_rec_str(rec, "job", &c.job, &e) < 0 ||
	    terra_rec_int(rec, "busy_us", &busy, &e) < 0 ||
	    terra_rec_obj(rec, "evidence", &ev, &e) < 0 || terra_rec_int(ev, "m", &c.m, &e) < 0 ||
	    terra_rec_int(ev, "n", &c.n, &e) < 0 || terra_rec_int(ev, "k", &c.k, &e) < 0 ||
	    terra_rec_int(ev, "seed", &c.seed, &e) < 0 ||
	    terra_rec_str(ev, "started", &c.started, &e) < 0)
		return fail(e.msg);
	c.seq = strtoll(argv[1], NULL, 10);
	c.row_start = strtoll(argv[2], NULL, 10);
	c.row_end = strtoll(argv[3], NULL, 10);
	if (terra_time_parse(argv[4], &start, &e) < 0 || terra_time_parse(argv[5], &end, &e) < 0)
		return fail(e.msg);
	rows = c.row_end - c.row_start;
	if (rows < 1 || c.row_start < 0 || c.row_end > c.m || start >= end)
		return fail("rows must lie in [0, m), start before end");
	run = (struct run){terra_sgemm_state(c.seed, c.unit, c.job, c.started), c.m, c.n, c.k};
	if (!(leaves = malloc((size_t)rows * sizeof *leaves)) ||
	    !(row = malloc((size_t)c.n * sizeof *row)))
		return fail("out of memory");
	for (int64_t i = 0; i < rows; i++) {
		row_of(&run, c.row_start + i, row, &e);
		terra_sgemm_row_leaf(row, c.n, NULL, NULL, leaves[i]);
	}
	terra_merkle_root((const uint8_t(*)[TERRA_HASH_BYTES])leaves, (size_t)rows, root);
	terra_sgemm_header(&c, root, tmpl);
	nonce = terra_sgemm_grind(tmpl, terra_sgemm_grind_bits(2 * rows * c.n * c.k));
	if (!(fresh = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "m", (json_int_t)c.m, "n",
	                        (json_int_t)c.n, "k", (json_int_t)c.k, "seed", (json_int_t)c.seed,
	                        "row_start", (json_int_t)c.row_start, "row_end",
	                        (json_int_t)c.row_end)) ||
	    terra_sgemm_evidence(&c, (const uint8_t(*)[TERRA_HASH_BYTES])leaves, nonce, row_of,
	                         &run, fresh, &e) < 0)
		return fail(e.msg);
	{
		char ts[TERRA_TIME_MAX], te[TERRA_TIME_MAX];

		terra_time_format(start, ts);
		terra_time_format(end, te);
		if (busy > end - start)
			busy = end - start;
		json_object_del(rec, "sig");
		json_object_del(rec, "signer");
		if (terra_rec_set(rec, "seq", json_integer(c.seq), &e) < 0 ||
		    terra_rec_set(rec, "start", json_string(ts), &e) < 0 ||
		    terra_rec_set(rec, "end", json_string(te), &e) < 0 ||
		    terra_rec_set(rec, "busy_us", json_integer(busy), &e) < 0 ||
		    terra_rec_set(rec, "work", json_integer(2 * rows * c.n * c.k), &e) < 0 ||
		    terra_rec_set(rec, "evidence", fresh, &e) < 0 ||
		    terra_rec_write(stdout, rec, &e) < 0)
			return fail(e.msg);
	}
	free(row);
	free(leaves);
	json_decref(rec);
	return 0;
}
