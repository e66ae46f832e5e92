#include "merkle.h"

#include "sha256.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t hash_t[TERRA_HASH_BYTES];

void terra_merkle_leaf(const void *data, size_t len, uint8_t out[TERRA_HASH_BYTES])
{
	terra_sha256_leaf(data, len, out);
}

void terra_merkle_node(const uint8_t left[TERRA_HASH_BYTES], const uint8_t right[TERRA_HASH_BYTES],
                       uint8_t out[TERRA_HASH_BYTES])
{
	terra_sha256_node(left, right, out);
}

/* The largest power of two smaller than n (n >= 2): where RFC 6962 splits. */
static uint64_t split_point(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

void terra_merkle_acc_init(terra_merkle_acc *acc)
{
	acc->n = 0;
}

/*
 * The stack holds the roots of the perfect subtrees that make up the tree
 * so far, one per set bit of n, largest at the bottom: pushing a leaf
 * merges it with every full subtree of the same height, like a carry.
 */
void terra_merkle_stack_push(uint8_t (*stack)[TERRA_HASH_BYTES], uint64_t n,
                             const uint8_t leaf[TERRA_HASH_BYTES])
{
	unsigned top = (unsigned)__builtin_popcountll(n);
	hash_t h;

	memcpy(h, leaf, TERRA_HASH_BYTES);
	for (; n & 1; n >>= 1)
		terra_merkle_node(stack[--top], h, h);
	memcpy(stack[top], h, TERRA_HASH_BYTES);
}

void terra_merkle_stack_root(const uint8_t (*stack)[TERRA_HASH_BYTES], uint64_t n,
                             uint8_t out[TERRA_HASH_BYTES])
{
	unsigned top = (unsigned)__builtin_popcountll(n);
	hash_t r;

	if (top == 0) {
		terra_sha256("", 0, out);
		return;
	}
	memcpy(r, stack[top - 1], TERRA_HASH_BYTES);
	while (--top > 0)
		terra_merkle_node(stack[top - 1], r, r);
	memcpy(out, r, TERRA_HASH_BYTES);
}

void terra_merkle_acc_push(terra_merkle_acc *acc, const uint8_t leaf[TERRA_HASH_BYTES])
{
	terra_merkle_stack_push(acc->stack, acc->n++, leaf);
}

void terra_merkle_acc_root(const terra_merkle_acc *acc, uint8_t out[TERRA_HASH_BYTES])
{
	terra_merkle_stack_root((const uint8_t(*)[TERRA_HASH_BYTES])acc->stack, acc->n, out);
}

void terra_merkle_root(const uint8_t (*leaves)[TERRA_HASH_BYTES], size_t n,
                       uint8_t out[TERRA_HASH_BYTES])
{
	terra_merkle_acc acc;
	size_t i;

	terra_merkle_acc_init(&acc);
	for (i = 0; i < n; i++)
		terra_merkle_acc_push(&acc, leaves[i]);
	terra_merkle_acc_root(&acc, out);
}

/* RFC 6962 2.1.1 PATH(m, D[n]), deepest sibling first. */
static int inclusion_path(const hash_t *leaves, size_t n, size_t m, hash_t *path, size_t *len,
                          terra_err *e)
{
	size_t k;

	if (n <= 1)
		return 0;
	k = (size_t)split_point(n);
	if (m < k) {
		if (inclusion_path(leaves, k, m, path, len, e) < 0)
			return -1;
		if (*len >= TERRA_MERKLE_PATH_MAX)
			return terra_err_set(e, TERRA_E_INPUT, "inclusion proof: tree too deep");
		terra_merkle_root(leaves + k, n - k, path[(*len)++]);
	} else {
		if (inclusion_path(leaves + k, n - k, m - k, path, len, e) < 0)
			return -1;
		if (*len >= TERRA_MERKLE_PATH_MAX)
			return terra_err_set(e, TERRA_E_INPUT, "inclusion proof: tree too deep");
		terra_merkle_root(leaves, k, path[(*len)++]);
	}
	return 0;
}

int terra_merkle_inclusion(const uint8_t (*leaves)[TERRA_HASH_BYTES], size_t n, size_t index,
                           uint8_t (*path)[TERRA_HASH_BYTES], size_t *len, terra_err *e)
{
	*len = 0;
	if (index >= n)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "inclusion proof: leaf %zu is not in a tree of %zu", index, n);
	return inclusion_path(leaves, n, index, path, len, e);
}

/* RFC 6962 2.1.1 / RFC 9162 2.1.3.2. */
int terra_merkle_verify_inclusion(const uint8_t leaf[TERRA_HASH_BYTES], uint64_t index,
                                  uint64_t size, const uint8_t (*path)[TERRA_HASH_BYTES],
                                  size_t len, const uint8_t root[TERRA_HASH_BYTES], terra_err *e)
{
	terra_merkle_proof p = {
	    .index = index, .size = size, .path = path, .len = len, .root = root};
	size_t bad;

	memcpy(p.leaf, leaf, TERRA_HASH_BYTES);
	return terra_merkle_verify_inclusions(&p, 1, &bad, NULL, e);
}

/* Where a proof in a batch stands. */
enum { WALKING, FOLLOWS, HOLDS, OUT_OF_TREE, TOO_MANY, TOO_FEW, WRONG_ROOT };

struct walk {
	uint64_t fn, sn; /* RFC 9162's: the node's index and the last index at this level */
	hash_t r;        /* the node's hash */
	size_t i;        /* path hashes used */
	size_t rep;      /* the proof it goes on as, when FOLLOWS */
	int state;
};

/* The proof that w[j] goes on as (itself unless it FOLLOWS an earlier one,
 * which may follow another in turn). */
static size_t rep_of(const struct walk *w, size_t j)
{
	while (w[j].state == FOLLOWS)
		j = w[j].rep;
	return j;
}

/* w[j] ends where it stands: it has no hash left or needs none. */
static void settle_walk(const terra_merkle_proof *p, struct walk *w)
{
	if (w->sn == 0)
		w->state = w->i < p->len                                  ? TOO_MANY
		           : memcmp(w->r, p->root, TERRA_HASH_BYTES) != 0 ? WRONG_ROOT
		                                                          : HOLDS;
	else if (w->i == p->len)
		w->state = TOO_FEW;
}

/* The step w (still walking) takes with its next path hash h: the node
 * hash's left and right, and where it stands after (*fn, *sn). */
static void next_step(const struct walk *w, const uint8_t *h, const uint8_t **left,
                      const uint8_t **right, uint64_t *fn, uint64_t *sn)
{
	*fn = w->fn;
	*sn = w->sn;
	if ((*fn & 1) || *fn == *sn) {
		*left = h;
		*right = w->r;
		while (!(*fn & 1) && *fn != 0) {
			*fn >>= 1;
			*sn >>= 1;
		}
	} else {
		*left = w->r;
		*right = h;
	}
	*fn >>= 1;
	*sn >>= 1;
}

/*
 * Whether proof j's next step makes the node proof q's makes, to stand
 * where q will, with the same hashes left after and the same root: the
 * node of two siblings, or of one position reached twice. Then j ends as q
 * does.
 */
static int same_step(const terra_merkle_proof *p, const struct walk *w, size_t j, size_t q)
{
	const uint8_t *lj, *rj, *lq, *rq;
	uint64_t fj, sj, fq, sq;
	size_t i = w[j].i;

	if (w[q].state != WALKING || w[q].i != i || p[q].len != p[j].len)
		return 0;
	next_step(&w[j], p[j].path[i], &lj, &rj, &fj, &sj);
	next_step(&w[q], p[q].path[i], &lq, &rq, &fq, &sq);
	return fj == fq && sj == sq && memcmp(lj, lq, TERRA_HASH_BYTES) == 0 &&
	       memcmp(rj, rq, TERRA_HASH_BYTES) == 0 &&
	       memcmp(p[q].root, p[j].root, TERRA_HASH_BYTES) == 0 &&
	       memcmp(p[q].path + i + 1, p[j].path + i + 1,
	              (p[j].len - i - 1) * TERRA_HASH_BYTES) == 0;
}

int terra_merkle_verify_inclusions(const terra_merkle_proof *p, size_t n, size_t *bad,
                                   size_t *hashes, terra_err *e)
{
	struct walk one, *w = n > 1 ? malloc(n * sizeof *w) : &one;
	const uint8_t **left = n > 1 ? malloc(n * sizeof *left) : NULL;
	const uint8_t **right = n > 1 ? malloc(n * sizeof *right) : NULL;
	uint8_t **out = n > 1 ? malloc(n * sizeof *out) : NULL;
	const uint8_t *l1, *r1;
	uint8_t *o1;
	size_t j, walking;
	int ret = 0;

	*bad = 0;
	if (hashes)
		*hashes = 0;
	if (n > 1 && (!w || !left || !right || !out)) {
		ret = terra_err_sys(e, "inclusion proofs");
		goto out;
	}
	if (n == 1) {
		left = &l1;
		right = &r1;
		out = &o1;
	}
	for (j = 0; j < n; j++) {
		w[j] = (struct walk){.fn = p[j].index, .sn = p[j].size - 1, .state = WALKING};
		memcpy(w[j].r, p[j].leaf, TERRA_HASH_BYTES);
		if (p[j].index >= p[j].size)
			w[j].state = OUT_OF_TREE;
	}
	do {
		/* Where each stands before this step: ended, or going on as the
		 * one before it (all compared before any of them steps). */
		for (j = 0; j < n; j++) {
			if (w[j].state != WALKING)
				continue;
			settle_walk(&p[j], &w[j]);
			if (w[j].state == WALKING && j > 0 &&
			    same_step(p, w, j, rep_of(w, j - 1))) {
				w[j].rep = rep_of(w, j - 1);
				w[j].state = FOLLOWS;
			}
		}
		walking = 0;
		for (j = 0; j < n; j++) {
			struct walk *v = &w[j];

			if (v->state != WALKING)
				continue;
			next_step(v, p[j].path[v->i], &left[walking], &right[walking], &v->fn,
			          &v->sn);
			out[walking++] = v->r;
			v->i++;
		}
		terra_sha256_nodes(walking, left, right, out);
		if (hashes)
			*hashes += walking;
	} while (walking > 0);
	for (j = 0; j < n; j++) {
		int state = w[rep_of(w, j)].state;

		if (state == HOLDS)
			continue;
		*bad = j;
		ret = state == OUT_OF_TREE
		          ? terra_err_set(
		                e, TERRA_E_VERIFY,
		                "inclusion proof: index %llu is not in a tree of size %llu",
		                (unsigned long long)p[j].index, (unsigned long long)p[j].size)
		      : state == TOO_MANY
		          ? terra_err_set(e, TERRA_E_VERIFY, "inclusion proof: too many hashes")
		      : state == TOO_FEW
		          ? terra_err_set(e, TERRA_E_VERIFY, "inclusion proof: too few hashes")
		          : terra_err_set(e, TERRA_E_VERIFY,
		                          "inclusion proof: computed root does not match "
		                          "the tree's root");
		break;
	}
out:
	if (n > 1) {
		free(w);
		free(left);
		free(right);
		free(out);
	}
	return ret;
}

/* RFC 6962 2.1.2 SUBPROOF(m, D[n], b). */
static int subproof(const hash_t *leaves, size_t m, size_t n, int whole, hash_t *path, size_t *len,
                    terra_err *e)
{
	size_t k;

	if (m == n) {
		if (whole)
			return 0;
		if (*len >= TERRA_MERKLE_PATH_MAX)
			return terra_err_set(e, TERRA_E_INPUT, "consistency proof: tree too deep");
		terra_merkle_root(leaves, n, path[(*len)++]);
		return 0;
	}
	k = (size_t)split_point(n);
	if (m <= k) {
		if (subproof(leaves, m, k, whole, path, len, e) < 0)
			return -1;
		if (*len >= TERRA_MERKLE_PATH_MAX)
			return terra_err_set(e, TERRA_E_INPUT, "consistency proof: tree too deep");
		terra_merkle_root(leaves + k, n - k, path[(*len)++]);
	} else {
		if (subproof(leaves + k, m - k, n - k, 0, path, len, e) < 0)
			return -1;
		if (*len >= TERRA_MERKLE_PATH_MAX)
			return terra_err_set(e, TERRA_E_INPUT, "consistency proof: tree too deep");
		terra_merkle_root(leaves, k, path[(*len)++]);
	}
	return 0;
}

int terra_merkle_consistency(const uint8_t (*leaves)[TERRA_HASH_BYTES], size_t m, size_t n,
                             uint8_t (*path)[TERRA_HASH_BYTES], size_t *len, terra_err *e)
{
	*len = 0;
	if (m > n)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "consistency proof: size %zu is larger than size %zu", m, n);
	if (m == 0 && n > 0)
		return terra_err_set(
		    e, TERRA_E_INPUT,
		    "consistency proof: an empty tree is consistent with any tree");
	return subproof(leaves, m, n, 1, path, len, e);
}

/* RFC 9162 2.1.4.2. */
int terra_merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t root_m[TERRA_HASH_BYTES],
                                    const uint8_t root_n[TERRA_HASH_BYTES],
                                    const uint8_t (*path)[TERRA_HASH_BYTES], size_t len,
                                    terra_err *e)
{
	const uint8_t *first;
	uint64_t fn, sn;
	hash_t fr, sr, empty;
	size_t i;

	if (m > n)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "consistency proof: size %llu is larger than size %llu",
		                     (unsigned long long)m, (unsigned long long)n);
	if (m == n) {
		if (len != 0)
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "consistency proof: equal sizes need an empty proof");
		if (sodium_memcmp(root_m, root_n, TERRA_HASH_BYTES) != 0)
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "consistency proof: equal sizes with different roots");
		terra_sha256("", 0, empty);
		if (m == 0 && sodium_memcmp(root_m, empty, TERRA_HASH_BYTES) != 0)
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "consistency proof: wrong root for the empty tree");
		return 0;
	}
	if (m == 0)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "consistency proof: an empty tree proves nothing");
	if (len == 0)
		return terra_err_set(e, TERRA_E_VERIFY, "consistency proof: empty proof");

	/* A first tree that is a power of two is itself a node of the second:
	 * its root heads the path instead of the proof's first hash. */
	i = 0;
	if ((m & (m - 1)) == 0) {
		first = root_m;
	} else {
		first = path[0];
		i = 1;
	}
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(fr, first, TERRA_HASH_BYTES);
	memcpy(sr, first, TERRA_HASH_BYTES);
	for (; i < len; i++) {
		if (sn == 0)
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "consistency proof: too many hashes");
		if ((fn & 1) || fn == sn) {
			terra_merkle_node(path[i], fr, fr);
			terra_merkle_node(path[i], sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			terra_merkle_node(sr, path[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return terra_err_set(e, TERRA_E_VERIFY, "consistency proof: too few hashes");
	if (sodium_memcmp(fr, root_m, TERRA_HASH_BYTES) != 0)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "consistency proof: computed old root does not match");
	if (sodium_memcmp(sr, root_n, TERRA_HASH_BYTES) != 0)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "consistency proof: computed new root does not match");
	return 0;
}
