#include "merkle.h"

#include "sha256.h"

#include <sodium.h>
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

/* RFC 9162 2.1.3.2. */
/* RFC 6962 2.1.1 / RFC 9162 2.1.3.2, with or without a memo. */
static int verify_inclusion(const hash_t leaf, uint64_t index, uint64_t size, const hash_t *path,
                            size_t len, const hash_t root, terra_merkle_memo *memo, terra_err *e)
{
	uint64_t fn = index, sn;
	hash_t r;
	size_t i;

	if (index >= size)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "inclusion proof: index %llu is not in a tree of size %llu",
		                     (unsigned long long)index, (unsigned long long)size);
	if (memo && memo->good && (memo->len != len || memcmp(memo->root, root, sizeof r) != 0))
		memo->good = 0;
	sn = size - 1;
	memcpy(r, leaf, TERRA_HASH_BYTES);
	for (i = 0; i < len; i++) {
		if (sn == 0)
			break;
		if (memo && i < TERRA_MERKLE_PATH_MAX) {
			/* the rest is a function of (fn, sn, r, path[i..len)) */
			if (memo->good && memo->fn[i] == fn && memo->sn[i] == sn &&
			    memcmp(memo->r[i], r, sizeof r) == 0 &&
			    memcmp(memo->path[i], path[i], (len - i) * sizeof r) == 0) {
				memcpy(memo->path, path, i * sizeof r);
				return 0;
			}
			memo->fn[i] = fn;
			memo->sn[i] = sn;
			memcpy(memo->r[i], r, sizeof r);
		}
		if ((fn & 1) || fn == sn) {
			terra_merkle_node(path[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			terra_merkle_node(r, path[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (memo)
		memo->good = 0;
	if (i < len)
		return terra_err_set(e, TERRA_E_VERIFY, "inclusion proof: too many hashes");
	if (sn != 0)
		return terra_err_set(e, TERRA_E_VERIFY, "inclusion proof: too few hashes");
	if (sodium_memcmp(r, root, TERRA_HASH_BYTES) != 0)
		return terra_err_set(
		    e, TERRA_E_VERIFY,
		    "inclusion proof: computed root does not match the tree's root");
	if (memo && len <= TERRA_MERKLE_PATH_MAX) {
		memcpy(memo->path, path, len * sizeof r);
		memcpy(memo->root, root, sizeof r);
		memo->len = len;
		memo->good = 1;
	}
	return 0;
}

int terra_merkle_verify_inclusion(const uint8_t leaf[TERRA_HASH_BYTES], uint64_t index,
                                  uint64_t size, const uint8_t (*path)[TERRA_HASH_BYTES],
                                  size_t len, const uint8_t root[TERRA_HASH_BYTES], terra_err *e)
{
	return verify_inclusion(leaf, index, size, path, len, root, NULL, e);
}

int terra_merkle_verify_inclusion_memo(const uint8_t leaf[TERRA_HASH_BYTES], uint64_t index,
                                       uint64_t size, const uint8_t (*path)[TERRA_HASH_BYTES],
                                       size_t len, const uint8_t root[TERRA_HASH_BYTES],
                                       terra_merkle_memo *memo, terra_err *e)
{
	return verify_inclusion(leaf, index, size, path, len, root, memo, e);
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
