#include "sgemmproof.h"

#include "clones.h"
#include "hex.h"
#include "record.h"
#include "sha256.h"
#include "time.h"

#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define GOLDEN UINT64_C(0x9e3779b97f4a7c15)

typedef uint8_t hash_t[TERRA_HASH_BYTES];

static uint64_t splitmix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

float terra_sgemm_value(uint64_t state, uint64_t i)
{
	uint64_t x = splitmix64(state + (i + 1) * GOLDEN);

	return (float)(x >> 40) / 8388608.0f - 1.0f;
}

static void put64(crypto_hash_sha256_state *st, uint64_t v)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	crypto_hash_sha256_update(st, le, sizeof le);
}

/* A string and its NUL, so no two field lists hash alike. */
static void put_str(crypto_hash_sha256_state *st, const char *s)
{
	crypto_hash_sha256_update(st, (const uint8_t *)s, strlen(s) + 1);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint64_t terra_sgemm_state(int64_t seed, const char *unit, const char *job, const char *started)
{
	crypto_hash_sha256_state st;
	uint8_t h[32];

	crypto_hash_sha256_init(&st);
	put_str(&st, "terra sgemm inputs v1");
	put64(&st, (uint64_t)seed);
	put_str(&st, unit);
	put_str(&st, job);
	put_str(&st, started);
	crypto_hash_sha256_final(&st, h);
	return get64(h);
}

int64_t terra_sgemm_pieces(int64_t n)
{
	return (n + TERRA_SGEMM_PIECE - 1) / TERRA_SGEMM_PIECE;
}

/* A piece's bytes: its values as little-endian binary32. */
static void piece_bytes(const float *v, int64_t count, uint8_t *out)
{
	for (int64_t j = 0; j < count; j++) {
		uint32_t bits;
		memcpy(&bits, &v[j], 4);
		for (int b = 0; b < 4; b++)
			out[4 * j + b] = (uint8_t)(bits >> (8 * b));
	}
}

static int64_t piece_count(int64_t n, int64_t p)
{
	int64_t left = n - p * TERRA_SGEMM_PIECE;

	return left < TERRA_SGEMM_PIECE ? left : TERRA_SGEMM_PIECE;
}

void terra_sgemm_row_leaf(const float *row, int64_t n, uint8_t (*pieces)[TERRA_HASH_BYTES],
                          uint8_t root[TERRA_HASH_BYTES], uint8_t leaf[TERRA_HASH_BYTES])
{
	uint8_t bytes[4 * TERRA_SGEMM_PIECE];
	terra_merkle_acc acc;
	hash_t h, r;

	terra_merkle_acc_init(&acc);
	for (int64_t p = 0; p < terra_sgemm_pieces(n); p++) {
		int64_t count = piece_count(n, p);

		piece_bytes(row + p * TERRA_SGEMM_PIECE, count, bytes);
		terra_merkle_leaf(bytes, (size_t)(4 * count), h);
		if (pieces)
			memcpy(pieces[p], h, sizeof h);
		terra_merkle_acc_push(&acc, h);
	}
	terra_merkle_acc_root(&acc, r);
	if (root)
		memcpy(root, r, sizeof r);
	terra_merkle_leaf(r, sizeof r, leaf);
}

int terra_sgemm_grind_bits(int64_t work)
{
	int log2up = 0;

	while (log2up < 63 && (INT64_C(1) << log2up) < work)
		log2up++;
	return log2up > TERRA_SGEMM_GRIND_SHIFT ? log2up - TERRA_SGEMM_GRIND_SHIFT : 0;
}

void terra_sgemm_header(const terra_sgemm_claim *c, const uint8_t root[TERRA_HASH_BYTES],
                        uint8_t tmpl[TERRA_HEADER_BYTES])
{
	crypto_hash_sha256_state st;

	memset(tmpl, 0, TERRA_HEADER_BYTES);
	crypto_hash_sha256_init(&st);
	put_str(&st, "terra sgemm challenge v1");
	put_str(&st, c->unit);
	put_str(&st, c->job);
	put_str(&st, c->started);
	put64(&st, (uint64_t)c->seq);
	put64(&st, (uint64_t)c->seed);
	put64(&st, (uint64_t)c->m);
	put64(&st, (uint64_t)c->n);
	put64(&st, (uint64_t)c->k);
	put64(&st, (uint64_t)c->row_start);
	put64(&st, (uint64_t)c->row_end);
	crypto_hash_sha256_final(&st, tmpl + 4);
	memcpy(tmpl + 36, root, TERRA_HASH_BYTES);
}

uint64_t terra_sgemm_grind(const uint8_t tmpl[TERRA_HEADER_BYTES], int bits)
{
	uint8_t h[32];
	uint64_t nonce = 0;

	for (;; nonce++) {
		terra_sha256d_hash(tmpl, nonce, h);
		if (terra_sha256d_meets(h, bits))
			return nonce;
	}
}

/* Draw number `i` of purpose `what` from the challenge hash: its first two
 * 64-bit words. */
static void draw2(const uint8_t challenge[32], const char *what, uint32_t i, uint64_t out[2])
{
	terra_sha256_ctx st;
	uint8_t h[32], le[4];

	for (int b = 0; b < 4; b++)
		le[b] = (uint8_t)(i >> (8 * b));
	terra_sha256_init(&st);
	terra_sha256_update(&st, challenge, 32);
	terra_sha256_update(&st, what, strlen(what) + 1);
	terra_sha256_update(&st, le, sizeof le);
	terra_sha256_final(&st, h);
	out[0] = get64(h);
	out[1] = get64(h + 8);
}

void terra_sgemm_challenges(const uint8_t challenge[32], uint64_t leaves, int64_t n,
                            uint64_t picked[TERRA_SGEMM_CHALLENGES],
                            int64_t column[TERRA_SGEMM_CHALLENGES])
{
	int64_t npieces = terra_sgemm_pieces(n);

	/* The bias of a 64-bit draw mod leaves (< 2^26) or mod a piece's count
	 * (<= 64) is below 2^-38. */
	for (uint32_t t = 0; t < TERRA_SGEMM_CHALLENGES; t++) {
		uint64_t d[2];
		int64_t p;

		draw2(challenge, "piece", t, d);
		picked[t] = d[0] % leaves;
		p = (int64_t)(picked[t] % (uint64_t)npieces);
		column[t] = p * TERRA_SGEMM_PIECE + (int64_t)(d[1] % (uint64_t)piece_count(n, p));
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The draws, in order, into picked and column; the picked pieces, sorted,
 * each once, into set; returns how many. */
static size_t picked_set(const uint8_t challenge[32], uint64_t leaves, int64_t n,
                         uint64_t set[TERRA_SGEMM_CHALLENGES],
                         uint64_t picked[TERRA_SGEMM_CHALLENGES],
                         int64_t column[TERRA_SGEMM_CHALLENGES])
{
	size_t len = 0;

	terra_sgemm_challenges(challenge, leaves, n, picked, column);
	memcpy(set, picked, TERRA_SGEMM_CHALLENGES * sizeof *set);
	qsort(set, TERRA_SGEMM_CHALLENGES, sizeof *set, cmp_u64);
	for (size_t i = 0; i < TERRA_SGEMM_CHALLENGES; i++)
		if (len == 0 || set[i] != set[len - 1])
			set[len++] = set[i];
	return len;
}

/* ---- the provider's side ----------------------------------------------- */

/* Every level of the tree over n leaves, an odd last node carried up as it
 * is: the RFC 6962 tree, whose audit paths are read off level by level. */
typedef struct tree {
	hash_t *nodes;
	size_t level_at[TERRA_MERKLE_PATH_MAX + 1], level_len[TERRA_MERKLE_PATH_MAX + 1];
	int levels;
} tree;

static int tree_build(tree *t, const hash_t *leaves, size_t n)
{
	size_t total = 0, len = n;

	t->levels = 0;
	for (len = n;; len = (len + 1) / 2) {
		t->level_at[t->levels] = total;
		t->level_len[t->levels++] = len;
		total += len;
		if (len <= 1)
			break;
	}
	if (!(t->nodes = malloc(total * sizeof *t->nodes)))
		return -1;
	memcpy(t->nodes, leaves, n * sizeof *leaves);
	for (int l = 1; l < t->levels; l++) {
		hash_t *below = t->nodes + t->level_at[l - 1];
		hash_t *here = t->nodes + t->level_at[l];

		for (size_t i = 0; i < t->level_len[l]; i++) {
			if (2 * i + 1 < t->level_len[l - 1])
				terra_merkle_node(below[2 * i], below[2 * i + 1], here[i]);
			else
				memcpy(here[i], below[2 * i], sizeof(hash_t));
		}
	}
	return 0;
}

static json_t *path_json(const hash_t *path, size_t len)
{
	json_t *a = json_array();
	char hex[TERRA_HASH_HEX];

	for (size_t i = 0; a && i < len; i++) {
		terra_hex(path[i], TERRA_HASH_BYTES, hex);
		if (json_array_append_new(a, json_string(hex)) < 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

static json_t *tree_path(const tree *t, size_t index)
{
	hash_t path[TERRA_MERKLE_PATH_MAX];
	size_t len = 0;

	for (int l = 0; l + 1 < t->levels; l++, index /= 2)
		if ((index ^ 1) < t->level_len[l])
			memcpy(path[len++], t->nodes[t->level_at[l] + (index ^ 1)], sizeof(hash_t));
	return path_json((const hash_t *)path, len);
}

static json_t *opened_piece(const float *row, int64_t n, int64_t r, int64_t p, const hash_t *pieces,
                            const uint8_t row_root[TERRA_HASH_BYTES], const tree *rows,
                            int64_t row_start, terra_err *e)
{
	int64_t count = piece_count(n, p);
	uint8_t bytes[4 * TERRA_SGEMM_PIECE];
	char values[8 * TERRA_SGEMM_PIECE + 1], root_hex[TERRA_HASH_HEX];
	hash_t path[TERRA_MERKLE_PATH_MAX];
	size_t len;
	json_t *o = json_object();

	if (!o) {
		terra_err_sys(e, "sgemm evidence");
		return NULL;
	}
	piece_bytes(row + p * TERRA_SGEMM_PIECE, count, bytes);
	terra_hex(bytes, (size_t)(4 * count), values);
	terra_hex(row_root, TERRA_HASH_BYTES, root_hex);
	if (terra_merkle_inclusion(pieces, (size_t)terra_sgemm_pieces(n), (size_t)p, path, &len,
	                           e) < 0 ||
	    terra_rec_set(o, "row", json_integer(r), e) < 0 ||
	    terra_rec_set(o, "piece", json_integer(p), e) < 0 ||
	    terra_rec_set(o, "values", json_string(values), e) < 0 ||
	    terra_rec_set(o, "row_root", json_string(root_hex), e) < 0 ||
	    terra_rec_set(o, "path", path_json((const hash_t *)path, len), e) < 0 ||
	    terra_rec_set(o, "row_path", tree_path(rows, (size_t)(r - row_start)), e) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int terra_sgemm_evidence(const terra_sgemm_claim *c, const uint8_t (*row_leaves)[TERRA_HASH_BYTES],
                         uint64_t nonce, terra_sgemm_row_fn read, void *ctx, json_t *ev,
                         terra_err *e)
{
	int64_t rows = c->row_end - c->row_start, npieces = terra_sgemm_pieces(c->n);
	uint64_t set[TERRA_SGEMM_CHALLENGES], picked[TERRA_SGEMM_CHALLENGES];
	int64_t column[TERRA_SGEMM_CHALLENGES]; /* the verifier's; the evidence opens the pieces */
	uint8_t tmpl[TERRA_HEADER_BYTES], challenge[32];
	char hex[TERRA_HASH_HEX];
	hash_t root, *pieces = NULL, leaf, row_root;
	float *row = NULL;
	json_t *opened = json_array();
	tree t = {0};
	size_t nset;
	int64_t have = -1;
	int ret = -1;

	if (!opened || (rows > 0 && tree_build(&t, (const hash_t *)row_leaves, (size_t)rows) < 0) ||
	    !(pieces = malloc((size_t)npieces * sizeof *pieces)) ||
	    !(row = malloc((size_t)c->n * sizeof *row))) {
		terra_err_sys(e, "sgemm evidence");
		goto out;
	}
	/* A stretch without rows (no panel ended in it) opens nothing. */
	if (rows > 0)
		memcpy(root, t.nodes[t.level_at[t.levels - 1]], sizeof root);
	else
		terra_sha256("", 0, root);
	terra_sgemm_header(c, root, tmpl);
	terra_sha256d_hash(tmpl, nonce, challenge);
	nset = rows > 0
	           ? picked_set(challenge, (uint64_t)(rows * npieces), c->n, set, picked, column)
	           : 0;
	for (size_t i = 0; i < nset; i++) {
		int64_t r = c->row_start + (int64_t)(set[i] / (uint64_t)npieces);
		int64_t p = (int64_t)(set[i] % (uint64_t)npieces);
		json_t *o;

		if (r != have) {
			if (read(ctx, r, row, e) < 0)
				goto out;
			terra_sgemm_row_leaf(row, c->n, pieces, row_root, leaf);
			if (memcmp(leaf, row_leaves[r - c->row_start], sizeof leaf)) {
				terra_err_set(e, TERRA_E_DEVICE,
				              "sgemm evidence: row %lld reads back other than it "
				              "was committed",
				              (long long)r);
				goto out;
			}
			have = r;
		}
		if (!(o = opened_piece(row, c->n, r, p, (const hash_t *)pieces, row_root, &t,
		                       c->row_start, e)) ||
		    json_array_append_new(opened, o) < 0) {
			if (o)
				terra_err_sys(e, "sgemm evidence");
			goto out;
		}
	}
	terra_hex(root, sizeof root, hex);
	if (terra_rec_set(ev, "started", json_string(c->started), e) < 0 ||
	    terra_rec_set(ev, "root", json_string(hex), e) < 0 ||
	    terra_rec_set(ev, "nonce", json_integer((json_int_t)nonce), e) < 0)
		goto out;
	ret = terra_rec_set(ev, "opened", opened, e);
	opened = NULL;
out:
	json_decref(opened);
	free(row);
	free(pieces);
	free(t.nodes);
	return ret;
}

/* ---- the verifier's side ----------------------------------------------- */

#define PIECE_PATH_MAX 10 /* levels of a row of TERRA_SGEMM_DIM_MAX columns in pieces */
#define ROW_PATH_MAX   16 /* levels of TERRA_SGEMM_DIM_MAX rows */

/* One opened piece, decoded: where it is, its bytes, its row's root and both
 * inclusion proofs. */
struct piece {
	int64_t row, piece, count;
	uint8_t bytes[4 * TERRA_SGEMM_PIECE];
	hash_t row_root, path[PIECE_PATH_MAX], row_path[ROW_PATH_MAX];
	size_t path_len, row_path_len;
};

static int hex_path(const json_t *o, const char *field, hash_t *path, size_t max, size_t *len,
                    terra_err *e)
{
	json_t *a, *h;
	size_t i;

	if (terra_rec_arr(o, field, &a, e) < 0)
		return -1;
	if (json_array_size(a) > max)
		return terra_err_set(e, TERRA_E_INPUT, "field '%s' holds more than %zu hashes",
		                     field, max);
	json_array_foreach(a, i, h)
	{
		const char *s = json_string_value(h);

		if (!s || json_string_length(h) != 2 * TERRA_HASH_BYTES ||
		    terra_unhex_lower(s, 2 * TERRA_HASH_BYTES, path[i], TERRA_HASH_BYTES) < 0)
			return terra_err_set(e, TERRA_E_INPUT,
			                     "field '%s': hash %zu is not 64 hex digits", field,
			                     i + 1);
	}
	*len = json_array_size(a);
	return 0;
}

/* Opened piece number idx, decoded: where the challenge put it, its values
 * and its proofs (checked by the caller, all pieces at once). */
static int read_opened(const json_t *o, size_t idx, uint64_t want, const terra_sgemm_claim *c,
                       struct piece *pc, terra_err *e)
{
	int64_t npieces = terra_sgemm_pieces(c->n);
	int64_t want_row = c->row_start + (int64_t)(want / (uint64_t)npieces);
	int64_t want_piece = (int64_t)(want % (uint64_t)npieces);
	const char *hex;

	if (!json_is_object(o))
		return terra_err_set(e, TERRA_E_INPUT, "opened piece %zu is not an object",
		                     idx + 1);
	if (terra_rec_int(o, "row", &pc->row, e) < 0 ||
	    terra_rec_int(o, "piece", &pc->piece, e) < 0 ||
	    terra_rec_str(o, "values", &hex, e) < 0 ||
	    terra_rec_hex(o, "row_root", pc->row_root, sizeof pc->row_root, e) < 0)
		return terra_err_wrap(e, "opened piece %zu", idx + 1);
	if (pc->row != want_row || pc->piece != want_piece)
		return terra_err_set(
		    e, TERRA_E_VERIFY,
		    "opened piece %zu is row %lld piece %lld, the challenge picked "
		    "row %lld piece %lld",
		    idx + 1, (long long)pc->row, (long long)pc->piece, (long long)want_row,
		    (long long)want_piece);
	pc->count = piece_count(c->n, pc->piece);
	if (terra_unhex_lower(hex, json_string_length(json_object_get(o, "values")), pc->bytes,
	                      (size_t)(4 * pc->count)) < 0)
		return terra_err_set(
		    e, TERRA_E_INPUT, "row %lld piece %lld: field 'values' must be %lld hex digits",
		    (long long)pc->row, (long long)pc->piece, (long long)(8 * pc->count));
	if (hex_path(o, "path", pc->path, PIECE_PATH_MAX, &pc->path_len, e) < 0)
		return terra_err_wrap(e, "row %lld piece %lld", (long long)pc->row,
		                      (long long)pc->piece);
	if (hex_path(o, "row_path", pc->row_path, ROW_PATH_MAX, &pc->row_path_len, e) < 0)
		return terra_err_wrap(e, "row %lld", (long long)pc->row);
	return 0;
}

/*
 * The inclusion proofs of the n opened pieces, all at once (the hashes of a
 * step four in step): each piece in its row's root, then each row's leaf in
 * the stretch's root (sorted, the rows' proofs share their upper levels).
 */
static int check_proofs(const terra_sgemm_claim *c, const uint8_t root[TERRA_HASH_BYTES],
                        struct piece *pcs, size_t n, terra_err *e)
{
	terra_merkle_proof *pf = malloc(n * sizeof *pf);
	const uint8_t **in = malloc(n * sizeof *in);
	uint8_t **out = malloc(n * sizeof *out);
	size_t i, full = 0, bad;
	int ret = -1;

	if (!pf || !in || !out) {
		terra_err_sys(e, "evidence");
		goto out;
	}
	for (i = 0; i < n; i++) {
		pf[i] = (terra_merkle_proof){.index = (uint64_t)pcs[i].piece,
		                             .size = (uint64_t)terra_sgemm_pieces(c->n),
		                             .path = (const hash_t *)pcs[i].path,
		                             .len = pcs[i].path_len,
		                             .root = pcs[i].row_root};
		if (pcs[i].count < TERRA_SGEMM_PIECE) { /* a row's last, shorter piece */
			terra_merkle_leaf(pcs[i].bytes, (size_t)(4 * pcs[i].count), pf[i].leaf);
			continue;
		}
		in[full] = pcs[i].bytes;
		out[full++] = pf[i].leaf;
	}
	terra_sha256_leaves(full, in, 4 * TERRA_SGEMM_PIECE, out);
	if (terra_merkle_verify_inclusions(pf, n, &bad, NULL, e) < 0) {
		terra_err_wrap(e, "row %lld piece %lld", (long long)pcs[bad].row,
		               (long long)pcs[bad].piece);
		goto out;
	}
	for (i = 0; i < n; i++) {
		pf[i] = (terra_merkle_proof){.index = (uint64_t)(pcs[i].row - c->row_start),
		                             .size = (uint64_t)(c->row_end - c->row_start),
		                             .path = (const hash_t *)pcs[i].row_path,
		                             .len = pcs[i].row_path_len,
		                             .root = root};
		in[i] = pcs[i].row_root;
		out[i] = pf[i].leaf;
	}
	terra_sha256_leaves(n, in, TERRA_HASH_BYTES, out);
	if (terra_merkle_verify_inclusions(pf, n, &bad, NULL, e) < 0) {
		terra_err_wrap(e, "row %lld", (long long)pcs[bad].row);
		goto out;
	}
	ret = 0;
out:
	free(pf);
	free(in);
	free(out);
	return ret;
}

/*
 * The loop below is built for each vector width (clones.h): it regenerates
 * a row of A and a column of B for each challenged element, the verifier's
 * main cost besides hashing (bench/sgemm-verify.sh). Every version does the
 * same IEEE operations in the same order (no contraction in ISO C mode), so
 * the verdict does not depend on the CPU.
 */
#define LANES 8 /* partial sums of a dot product */

typedef uint64_t u64x8 __attribute__((vector_size(8 * sizeof(uint64_t))));
typedef double f64x8 __attribute__((vector_size(8 * sizeof(double))));

/*
 * splitmix64 at eight stream positions x + i step (i = 0..7), x being
 * state + (position + 1) GOLDEN, without its last step: only the top 24
 * bits v of splitmix64 make a value, and that step (z ^ z >> 31) leaves them
 * as they are. Put into the mantissa of d = 1 + v 2^-24, 2d - 3 = v 2^-23 - 1
 * is exactly terra_sgemm_value's value, with no conversion. Inlined into
 * each clone below, built for its vectors (out through a pointer: a
 * returned 64-byte vector has an ABI of its own).
 */
static inline __attribute__((always_inline)) void values8(uint64_t x, uint64_t step, f64x8 *out)
{
	const u64x8 lane = {0, 1, 2, 3, 4, 5, 6, 7};
	u64x8 z = x + lane * step;
	f64x8 d;

	z = (z ^ z >> 30) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ z >> 27) * UINT64_C(0x94d049bb133111eb);
	z = z >> 40 << 28 | UINT64_C(0x3ff0000000000000);
	memcpy(&d, &z, sizeof d);
	*out = d + d - 3.0;
}

/*
 * Row i of A (first element a0 in the stream) against column j of B (first
 * element b0): *ab = a_i . b_j, *a2 = |a_i|^2, *b2 = |b_j|^2, each in LANES
 * partial sums (the same order on every CPU). B's column steps n through
 * the stream.
 */
TERRA_WIDE_CLONES
static void element_dot(uint64_t state, uint64_t a0, uint64_t b0, int64_t k, int64_t n, double *ab,
                        double *a2, double *b2)
{
	uint64_t xa = state + (a0 + 1) * GOLDEN, xb = state + (b0 + 1) * GOLDEN;
	uint64_t stride = (uint64_t)n * GOLDEN;
	f64x8 s = {0}, qa = {0}, qb = {0}, s1 = {0}, qa1 = {0}, qb1 = {0};
	int64_t l = 0;

	/* two steps a turn, into two sets of sums: more in flight */
	for (; l + 2 * LANES <= k;
	     l += 2 * LANES, xa += 2 * LANES * GOLDEN, xb += 2 * LANES * stride) {
		f64x8 a, b, c, d;

		values8(xa, GOLDEN, &a);
		values8(xb, stride, &b);
		values8(xa + LANES * GOLDEN, GOLDEN, &c);
		values8(xb + LANES * stride, stride, &d);
		s += a * b;
		qa += a * a;
		qb += b * b;
		s1 += c * d;
		qa1 += c * c;
		qb1 += d * d;
	}
	for (; l + LANES <= k; l += LANES, xa += LANES * GOLDEN, xb += LANES * stride) {
		f64x8 a, b;

		values8(xa, GOLDEN, &a);
		values8(xb, stride, &b);
		s += a * b;
		qa += a * a;
		qb += b * b;
	}
	for (int t = 0; l < k; l++, t++) {
		double a = terra_sgemm_value(state, a0 + (uint64_t)l);
		double b = terra_sgemm_value(state, b0 + (uint64_t)l * (uint64_t)n);

		s[t] += a * b;
		qa[t] += a * a;
		qb[t] += b * b;
	}
	s += s1;
	qa += qa1;
	qb += qb1;
	*ab = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
	*a2 = ((qa[0] + qa[1]) + (qa[2] + qa[3])) + ((qa[4] + qa[5]) + (qa[6] + qa[7]));
	*b2 = ((qb[0] + qb[1]) + (qb[2] + qb[3])) + ((qb[4] + qb[5]) + (qb[6] + qb[7]));
}

/* Element c_ij (in the opened piece pc) against a_i . b_j from the
 * generator, in double: off by at most TOLERANCE u |a_i| |b_j|. */
static int check_element(const terra_sgemm_claim *c, uint64_t state, const struct piece *pc,
                         int64_t j, terra_err *e)
{
	const double u = 1.0 / 16777216.0;
	const uint8_t *le = pc->bytes + 4 * (j - pc->piece * TERRA_SGEMM_PIECE);
	uint32_t bits =
	    (uint32_t)le[0] | (uint32_t)le[1] << 8 | (uint32_t)le[2] << 16 | (uint32_t)le[3] << 24;
	double ab, a2, b2, tol;
	float cij;

	memcpy(&cij, &bits, sizeof cij);

	element_dot(state, (uint64_t)(pc->row * c->k), (uint64_t)(c->m * c->k) + (uint64_t)j, c->k,
	            c->n, &ab, &a2, &b2);
	tol = TERRA_SGEMM_TOLERANCE * u * sqrt(a2) * sqrt(b2);
	if (!(fabs(cij - ab) <= tol))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "row %lld column %lld is wrong: off by %.3g, tolerance %.3g",
		                     (long long)pc->row, (long long)j, fabs(cij - ab), tol);
	return 0;
}

static int claim_read(const json_t *rec, json_t **ev, terra_sgemm_claim *c, int64_t *work,
                      int64_t *start, terra_err *e)
{
	int64_t started;

	if (terra_rec_str(rec, "unit", &c->unit, e) < 0 ||
	    terra_rec_str(rec, "job", &c->job, e) < 0 ||
	    terra_rec_int(rec, "seq", &c->seq, e) < 0 || terra_rec_int(rec, "work", work, e) < 0 ||
	    terra_rec_time(rec, "start", start, e) < 0 || terra_rec_obj(rec, "evidence", ev, e) < 0)
		return -1;
	if (terra_rec_int(*ev, "m", &c->m, e) < 0 || terra_rec_int(*ev, "n", &c->n, e) < 0 ||
	    terra_rec_int(*ev, "k", &c->k, e) < 0 || terra_rec_int(*ev, "seed", &c->seed, e) < 0 ||
	    terra_rec_int(*ev, "row_start", &c->row_start, e) < 0 ||
	    terra_rec_int(*ev, "row_end", &c->row_end, e) < 0 ||
	    terra_rec_str(*ev, "started", &c->started, e) < 0 ||
	    terra_rec_time(*ev, "started", &started, e) < 0)
		return terra_err_wrap(e, "evidence");
	if (c->m < 1 || c->n < 1 || c->k < 1 || c->m > TERRA_SGEMM_DIM_MAX ||
	    c->n > TERRA_SGEMM_DIM_MAX || c->k > TERRA_SGEMM_DIM_MAX)
		return terra_err_set(e, TERRA_E_INPUT, "evidence: sizes m n k must be 1 to %d",
		                     TERRA_SGEMM_DIM_MAX);
	if (c->seed < 0 || c->row_start < 0 || c->row_start > c->row_end || c->row_end > c->m)
		return terra_err_set(
		    e, TERRA_E_INPUT, "evidence: rows [%lld, %lld) are not within [0, m = %lld)",
		    (long long)c->row_start, (long long)c->row_end, (long long)c->m);
	if (started > *start)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "evidence: the run started after the record's start");
	return 0;
}

int terra_sgemm_evidence_check(const json_t *rec, int64_t *work_out, terra_err *e)
{
	terra_sgemm_claim c;
	json_t *ev, *opened;
	hash_t root;
	uint8_t tmpl[TERRA_HEADER_BYTES], challenge[32];
	uint64_t set[TERRA_SGEMM_CHALLENGES], picked[TERRA_SGEMM_CHALLENGES];
	int64_t column[TERRA_SGEMM_CHALLENGES];
	struct piece *pcs = NULL;
	int64_t work, start, proved, nonce;
	size_t nset;
	int bits, ret = -1;

	*work_out = 0;
	if (claim_read(rec, &ev, &c, &work, &start, e) < 0)
		return -1;
	proved = 2 * (c.row_end - c.row_start) * c.n * c.k;
	if (work != proved)
		return terra_err_set(
		    e, TERRA_E_VERIFY,
		    "evidence: work %lld is not 2 (row_end - row_start) n k = %lld",
		    (long long)work, (long long)proved);
	if (terra_rec_hex(ev, "root", root, sizeof root, e) < 0 ||
	    terra_rec_int(ev, "nonce", &nonce, e) < 0 ||
	    terra_rec_arr(ev, "opened", &opened, e) < 0)
		return terra_err_wrap(e, "evidence");
	if (nonce < 0)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "evidence: field 'nonce' must not be negative");
	terra_sgemm_header(&c, root, tmpl);
	terra_sha256d_hash(tmpl, (uint64_t)nonce, challenge);
	bits = terra_sgemm_grind_bits(work);
	if (!terra_sha256d_meets(challenge, bits))
		return terra_err_set(
		    e, TERRA_E_VERIFY,
		    "evidence: the challenge hash does not have the %d leading zero "
		    "bits %lld flops need",
		    bits, (long long)work);
	nset = proved ? picked_set(challenge,
	                           (uint64_t)((c.row_end - c.row_start) * terra_sgemm_pieces(c.n)),
	                           c.n, set, picked, column)
	              : 0;
	if (json_array_size(opened) != nset)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "evidence: %zu pieces opened, the challenge picked %zu",
		                     json_array_size(opened), nset);
	if (!(pcs = malloc((nset ? nset : 1) * sizeof *pcs))) {
		terra_err_sys(e, "evidence");
		goto out;
	}
	for (size_t i = 0; i < nset; i++)
		if (read_opened(json_array_get(opened, i), i, set[i], &c, &pcs[i], e) < 0) {
			terra_err_wrap(e, "evidence");
			goto out;
		}
	if (nset > 0 && check_proofs(&c, root, pcs, nset, e) < 0) {
		terra_err_wrap(e, "evidence");
		goto out;
	}
	{
		uint64_t state = terra_sgemm_state(c.seed, c.unit, c.job, c.started);

		/* Each draw's element, in the order drawn; set is sorted, pcs alike. */
		for (size_t t = 0; t < (nset ? TERRA_SGEMM_CHALLENGES : 0); t++) {
			const uint64_t *at = bsearch(&picked[t], set, nset, sizeof *set, cmp_u64);

			if (check_element(&c, state, &pcs[at - set], column[t], e) < 0) {
				terra_err_wrap(e, "evidence");
				goto out;
			}
		}
	}
	*work_out = proved;
	ret = 0;
out:
	free(pcs);
	return ret;
}

int terra_sgemm_work_id(const json_t *rec, uint8_t id[32], int64_t *row_lo, int64_t *row_hi,
                        int64_t *started_s, terra_err *e)
{
	crypto_hash_sha256_state st;
	terra_sgemm_claim c;
	json_t *ev;
	int64_t work, start, started;

	if (claim_read(rec, &ev, &c, &work, &start, e) < 0 ||
	    terra_rec_time(ev, "started", &started, e) < 0)
		return -1;
	crypto_hash_sha256_init(&st);
	put_str(&st, "terra sgemm work v1");
	put64(&st, (uint64_t)c.seed);
	put_str(&st, c.unit);
	put_str(&st, c.job);
	put_str(&st, c.started);
	put64(&st, (uint64_t)c.m);
	put64(&st, (uint64_t)c.n);
	put64(&st, (uint64_t)c.k);
	crypto_hash_sha256_final(&st, id);
	*row_lo = c.row_start;
	*row_hi = c.row_end;
	*started_s = started >= 0 ? started / TERRA_US_PER_S
	                          : -((-started + TERRA_US_PER_S - 1) / TERRA_US_PER_S);
	return 0;
}
