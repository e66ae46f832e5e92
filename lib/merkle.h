#ifndef TERRA_MERKLE_H
#define TERRA_MERKLE_H
/*
 * RFC 6962 / RFC 9162 Merkle trees over SHA-256:
 *   leaf hash = SHA-256(0x00 || data), node hash = SHA-256(0x01 || left || right),
 *   the empty tree's root = SHA-256(""). A tree of n leaves splits at the
 *   largest power of two smaller than n.
 */
#include "err.h"
#include "sha256.h"

#include <stddef.h>
#include <stdint.h>

#define TERRA_MERKLE_PATH_MAX 64 /* hashes in an audit path: a tree of up to 2^64 leaves */
#define TERRA_HASH_HEX        (2 * TERRA_HASH_BYTES + 1) /* lowercase hex and its NUL */

/* The one RFC 6962 leaf and node hash of the toolkit, on lib/sha256.h's
 * accelerated SHA-256. */
void terra_merkle_leaf(const void *data, size_t len, uint8_t out[TERRA_HASH_BYTES]);
void terra_merkle_node(const uint8_t left[TERRA_HASH_BYTES], const uint8_t right[TERRA_HASH_BYTES],
                       uint8_t out[TERRA_HASH_BYTES]);

/* Root of n leaf hashes held in memory. */
void terra_merkle_root(const uint8_t (*leaves)[TERRA_HASH_BYTES], size_t n,
                       uint8_t out[TERRA_HASH_BYTES]);

/* Streaming root in O(log n) memory: push leaf hashes in order (a
 * million leaves is common: it is the one accumulator to use). */
typedef struct terra_merkle_acc {
	uint8_t stack[TERRA_MERKLE_PATH_MAX][TERRA_HASH_BYTES];
	uint64_t n;
} terra_merkle_acc;
void terra_merkle_acc_init(terra_merkle_acc *acc);
/*
 * The accumulator's two steps on a stack the caller holds, for many small
 * trees at once: before pushing the leaf number n (from 0) the stack needs
 * popcount(n) + 1 slots; it holds the roots of the perfect subtrees so far,
 * largest first. terra_merkle_acc_push and _root are these on 64 slots.
 */
void terra_merkle_stack_push(uint8_t (*stack)[TERRA_HASH_BYTES], uint64_t n,
                             const uint8_t leaf[TERRA_HASH_BYTES]);
void terra_merkle_stack_root(const uint8_t (*stack)[TERRA_HASH_BYTES], uint64_t n,
                             uint8_t out[TERRA_HASH_BYTES]);
void terra_merkle_acc_push(terra_merkle_acc *acc, const uint8_t leaf[TERRA_HASH_BYTES]);
void terra_merkle_acc_root(const terra_merkle_acc *acc, uint8_t out[TERRA_HASH_BYTES]);

/* Inclusion proof (audit path) of leaf `index` in a tree of n leaves;
 * path must hold TERRA_MERKLE_PATH_MAX hashes; *len gets the number used. */
int terra_merkle_inclusion(const uint8_t (*leaves)[TERRA_HASH_BYTES], size_t n, size_t index,
                           uint8_t (*path)[TERRA_HASH_BYTES], size_t *len, terra_err *e);
/* 0 if the path proves leaf at index in a tree of `size` with `root`, else -1. */
int terra_merkle_verify_inclusion(const uint8_t leaf[TERRA_HASH_BYTES], uint64_t index,
                                  uint64_t size, const uint8_t (*path)[TERRA_HASH_BYTES],
                                  size_t len, const uint8_t root[TERRA_HASH_BYTES], terra_err *e);
/* One inclusion proof of many checked at once (path and root the caller's). */
typedef struct terra_merkle_proof {
	uint8_t leaf[TERRA_HASH_BYTES];
	uint64_t index, size;
	const uint8_t (*path)[TERRA_HASH_BYTES];
	size_t len;
	const uint8_t *root;
} terra_merkle_proof;
/*
 * The same check for n proofs, in step: each step's node hashes are made
 * several at once (terra_sha256_nodes). A proof whose next step makes the
 * node the proof before it (or the one that one goes on as) makes at the
 * same step, to stand where that one will, with the same hashes left and
 * root, ends as that one does and is not hashed on: proofs of one tree in
 * leaf order share the nodes their paths share (each node once in a
 * perfect tree; where the two sides of a node are of unequal depth, the
 * proofs reach it at different steps and both hash it). 0 when all hold;
 * else -1 with *bad the first failing proof in order (kind TERRA_E_VERIFY,
 * or TERRA_E_SYS for memory). *hashes, when not NULL, gets the node hashes
 * made.
 */
int terra_merkle_verify_inclusions(const terra_merkle_proof *p, size_t n, size_t *bad,
                                   size_t *hashes, terra_err *e);
/* Consistency proof between tree sizes m <= n (RFC 9162 2.1.4). Sizes m = n
 * need an empty proof and equal roots (the empty tree's root for 0); m = 0 < n
 * has no proof (an empty tree proves nothing) and is refused. Verifications
 * fail with kind TERRA_E_VERIFY. */
int terra_merkle_consistency(const uint8_t (*leaves)[TERRA_HASH_BYTES], size_t m, size_t n,
                             uint8_t (*path)[TERRA_HASH_BYTES], size_t *len, terra_err *e);
int terra_merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t root_m[TERRA_HASH_BYTES],
                                    const uint8_t root_n[TERRA_HASH_BYTES],
                                    const uint8_t (*path)[TERRA_HASH_BYTES], size_t len,
                                    terra_err *e);

#endif
