/*
 * RFC 6962 / 9162 Merkle trees: known-answer roots, and the inclusion and
 * consistency proof vectors of transparency-dev/merkle
 * (tests/fixtures/rfc6962, see its README): every happy path verifies,
 * every mutated proof is rejected, and the proofs we generate are the
 * vectors' proofs.
 */
#include "lib/merkle.h"
#include "tests/unit/tap.h"

#include <dirent.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>

typedef uint8_t hash_t[TERRA_HASH_BYTES];

static char fixtures[4096];

static void unhex(const char *hex, uint8_t *out, size_t n)
{
	sodium_hex2bin(out, n, hex, strlen(hex), NULL, NULL, NULL);
}

/*
 * Decodes a base64 field into a fixed-size hash and returns its decoded
 * length. The vectors hold some values that are not 32 bytes ("",
 * "don't care"): our API takes hashes of fixed size, so those are stood in
 * by their bytes, zero padded; a proof built on one then fails as any wrong
 * hash does. A leaf hash of the wrong size is refused before verifying, as
 * the reference implementation does.
 */
static size_t b64(const json_t *v, hash_t out)
{
	uint8_t buf[256];
	const char *s = json_string_value(v);
	size_t n = 0;

	memset(out, 0, TERRA_HASH_BYTES);
	if (!s || sodium_base642bin(buf, sizeof buf, s, strlen(s), NULL, &n, NULL,
	                            sodium_base64_VARIANT_ORIGINAL) != 0)
		return 0;
	memcpy(out, buf, n < TERRA_HASH_BYTES ? n : TERRA_HASH_BYTES);
	return n;
}

/*
 * Some vectors hold sizes and indices up to 2^64 - 1, past what jansson
 * reads as an integer: read those fields from the text, then blank their
 * digits to 0 so jansson can parse the rest.
 */
static uint64_t u64_field(char *text, const char *name)
{
	char key[64];
	char *p, *end;
	uint64_t v;

	snprintf(key, sizeof key, "\"%s\"", name);
	p = strstr(text, key);
	if (!p)
		return 0;
	p = strchr(p + strlen(key), ':');
	if (!p)
		return 0;
	p++;
	while (*p == ' ' || *p == '\n')
		p++;
	v = strtoull(p, &end, 10);
	if (end > p) {
		*p = '0';
		memset(p + 1, ' ', (size_t)(end - p - 1));
	}
	return v;
}

static size_t b64_path(const json_t *arr, hash_t *path)
{
	size_t i, n = json_array_size(arr);

	for (i = 0; i < n && i < 64; i++)
		b64(json_array_get(arr, i), path[i]);
	return i;
}

static hash_t tree[8];
static hash_t roots[9];

static void test_known_roots(void)
{
	char path[4200];
	json_error_t jerr;
	json_t *doc = NULL, *leaves, *rts;
	terra_merkle_acc acc;
	hash_t got;
	uint8_t data[64];
	size_t i, n, bad_arr = 0, bad_acc = 0;

	snprintf(path, sizeof path, "%s/tree.json", fixtures);
	doc = json_load_file(path, 0, &jerr);
	if (!ok(doc != NULL, "tree.json loads")) {
		printf("#   %s\n", jerr.text);
		return;
	}
	leaves = json_object_get(doc, "leaves");
	rts = json_object_get(doc, "roots");
	is_int(json_array_size(leaves), 8, "eight leaf inputs");
	is_int(json_array_size(rts), 9, "nine roots");
	for (i = 0; i < 8; i++) {
		const char *h = json_string_value(json_array_get(leaves, i));
		n = strlen(h) / 2;
		unhex(h, data, n);
		terra_merkle_leaf(data, n, tree[i]);
	}
	for (i = 0; i < 9; i++)
		unhex(json_string_value(json_array_get(rts, i)), roots[i], TERRA_HASH_BYTES);

	terra_merkle_acc_init(&acc);
	for (i = 0; i <= 8; i++) {
		terra_merkle_root((const uint8_t(*)[TERRA_HASH_BYTES])tree, i, got);
		bad_arr += memcmp(got, roots[i], TERRA_HASH_BYTES) != 0;
		terra_merkle_acc_root(&acc, got);
		bad_acc += memcmp(got, roots[i], TERRA_HASH_BYTES) != 0;
		if (i < 8)
			terra_merkle_acc_push(&acc, tree[i]);
	}
	is_int(bad_arr, 0, "root of every prefix tree (0..8 leaves) is the known answer");
	is_int(bad_acc, 0, "streaming root after every push is the known answer");

	terra_merkle_leaf("", 0, got);
	ok(!memcmp(got, tree[0], TERRA_HASH_BYTES), "leaf hash of empty data");
	json_decref(doc);
}

/* A larger tree: the streaming root equals the in-memory root at every size,
 * and every generated proof verifies. */
static void test_generated(void)
{
	enum { N = 70 };
	static hash_t leaves[N];
	hash_t path[64], root, r2, other;
	terra_merkle_acc acc;
	terra_err e = {0};
	size_t i, n, m, len, len2, bad_root = 0, bad_inc = 0, bad_con = 0, accepted_bad = 0;
	uint8_t byte;

	for (i = 0; i < N; i++) {
		byte = (uint8_t)i;
		terra_merkle_leaf(&byte, 1, leaves[i]);
	}
	terra_merkle_acc_init(&acc);
	for (n = 1; n <= N; n++) {
		const hash_t *lv = (const hash_t *)leaves;
		terra_merkle_acc_push(&acc, leaves[n - 1]);
		terra_merkle_acc_root(&acc, root);
		terra_merkle_root(lv, n, r2);
		bad_root += memcmp(root, r2, TERRA_HASH_BYTES) != 0;
		for (i = 0; i < n; i++) {
			if (terra_merkle_inclusion(lv, n, i, path, &len, &e) < 0 ||
			    terra_merkle_verify_inclusion(leaves[i], i, n, (const hash_t *)path,
			                                  len, root, &e) < 0) {
				bad_inc++;
				continue;
			}
			/* the same path must not prove the leaf at another index, or
			 * another leaf at this one */
			if (n > 1 &&
			    terra_merkle_verify_inclusion(leaves[i], (i + 1) % n, n,
			                                  (const hash_t *)path, len, root, &e) == 0)
				accepted_bad++;
			if (n > 1 &&
			    terra_merkle_verify_inclusion(leaves[(i + 1) % n], i, n,
			                                  (const hash_t *)path, len, root, &e) == 0)
				accepted_bad++;
			if (len > 0) {
				path[len / 2][i % 32] ^= 1;
				if (terra_merkle_verify_inclusion(
				        leaves[i], i, n, (const hash_t *)path, len, root, &e) == 0)
					accepted_bad++;
			}
		}
		for (m = 1; m <= n; m++) {
			terra_merkle_root(lv, m, other);
			if (terra_merkle_consistency(lv, m, n, path, &len2, &e) < 0 ||
			    terra_merkle_verify_consistency(m, n, other, root, (const hash_t *)path,
			                                    len2, &e) < 0) {
				bad_con++;
				continue;
			}
			if (len2 > 0) {
				path[0][0] ^= 0x80;
				if (terra_merkle_verify_consistency(
				        m, n, other, root, (const hash_t *)path, len2, &e) == 0)
					accepted_bad++;
			}
		}
	}
	is_int(bad_root, 0, "streaming and in-memory roots agree for 1..70 leaves");
	is_int(bad_inc, 0, "every generated inclusion proof verifies (1..70 leaves)");
	is_int(bad_con, 0, "every generated consistency proof verifies (1..70 leaves)");
	is_int(accepted_bad, 0, "no altered generated proof verifies");
	ok(terra_merkle_inclusion((const hash_t *)leaves, 5, 5, path, &len, &e) < 0,
	   "no inclusion proof for an index past the tree");
	like(e.msg, "not in a tree", "and the error says so");
}

/* The proof of leaf i of a tree of n into p (its path in path). */
static void proof_of(const hash_t *leaves, size_t n, size_t i, const hash_t root, hash_t *path,
                     terra_merkle_proof *p)
{
	terra_err e;

	memset(p, 0, sizeof *p);
	if (terra_merkle_inclusion(leaves, n, i, path, &p->len, &e) < 0)
		p->len = 0;
	memcpy(p->leaf, leaves[i], TERRA_HASH_BYTES);
	p->index = i;
	p->size = n;
	p->path = (const hash_t *)path;
	p->root = root;
}

/* For the n proofs of every leaf of a tree that took `hashes` node hashes:
 * 1 when that is fewer than their hashes in all (n >= 3); *once counts the
 * trees of a power of two leaves that took exactly their n - 1 nodes. */
static int tally(const terra_merkle_proof *all, size_t n, size_t hashes, size_t *once)
{
	size_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += all[i].len;
	if ((n & (n - 1)) == 0)
		*once += hashes == n - 1;
	return n >= 3 && hashes < sum;
}

/*
 * terra_merkle_verify_inclusions: every proof of a tree, in increasing
 * order or in decreasing order, in one batch verifies, sharing the nodes
 * their paths share (each node once where the tree is perfect); a batch of a good proof, an altered
 * one of the next leaf (any one hash flipped, at any level, above or below where the two paths
 * meet) and a good one after fails at the altered one; a good path with another leaf fails; an
 * altered proof first does not take the good one after it down.
 */
static void test_batch(void)
{
	enum { N = 70 };
	static hash_t leaves[N], paths[N][64], bent[64];
	static terra_merkle_proof all[N];
	hash_t root;
	terra_merkle_proof three[3];
	terra_err e = {0};
	size_t i, n, lvl, bad, bad_good = 0, accepted_bad = 0, wrong_blame = 0, tried = 0;
	size_t hashes, once = 0, shared = 0;
	uint8_t byte;

	for (i = 0; i < N; i++) {
		byte = (uint8_t)(i + 100);
		terra_merkle_leaf(&byte, 1, leaves[i]);
	}
	for (n = 1; n <= N; n++) {
		const hash_t *lv = (const hash_t *)leaves;

		terra_merkle_root(lv, n, root);
		for (i = 0; i < n; i++)
			proof_of(lv, n, i, root, paths[i], &all[i]);
		if (terra_merkle_verify_inclusions(all, n, &bad, &hashes, &e) < 0)
			bad_good++;
		shared += tally(all, n, hashes, &once);
		for (i = 0; i < n; i++)
			proof_of(lv, n, n - 1 - i, root, paths[i], &all[i]);
		if (terra_merkle_verify_inclusions(all, n, &bad, &hashes, &e) < 0)
			bad_good++;
		shared += tally(all, n, hashes, &once);
		for (i = 0; i + 2 < n; i++) {
			proof_of(lv, n, i, root, paths[0], &three[0]);
			proof_of(lv, n, i + 1, root, bent, &three[1]);
			proof_of(lv, n, i + 2, root, paths[2], &three[2]);
			for (lvl = 0; lvl < three[1].len; lvl++) {
				bent[lvl][lvl % 32] ^= 4;
				tried++;
				if (terra_merkle_verify_inclusions(three, 3, &bad, NULL, &e) == 0)
					accepted_bad++;
				else if (bad != 1)
					wrong_blame++;
				/* the altered one first: the good ones hold */
				if (terra_merkle_verify_inclusions(&three[1], 2, &bad, NULL, &e) ==
				        0 ||
				    bad != 0)
					wrong_blame++;
				bent[lvl][lvl % 32] ^= 4;
			}
			memcpy(three[1].leaf, leaves[i], TERRA_HASH_BYTES);
			tried++;
			if (terra_merkle_verify_inclusions(three, 3, &bad, NULL, &e) == 0)
				accepted_bad++;
			else if (bad != 1 || !strstr(e.msg, "computed root does not match"))
				wrong_blame++;
		}
	}
	is_int(bad_good, 0, "in one batch: every proof of 1..70 leaves, either order, verifies");
	is_int(once, 2 * 7, "... a tree of 2^k leaves hashing each of its nodes once (k = 0 to 6)");
	is_int(shared, 2 * (N - 2),
	       "... any other, fewer nodes than its proofs have hashes (3..70)");
	is_int(accepted_bad, 0, "no batch with an altered proof of the next leaf verifies");
	ok(tried > 2000, "... (over 2000 altered proofs tried)");
	is_int(wrong_blame, 0, "each failing batch names the altered proof, not a good one");
	three[0].index = 5;
	three[0].size = 5;
	ok(terra_merkle_verify_inclusions(three, 1, &bad, NULL, &e) < 0 && bad == 0,
	   "a batch refuses an index past its tree");
	like(e.msg, "index 5 is not in a tree of size 5", "and the error says so");
}

struct tally {
	int files, happy, happy_ok, bad, bad_rejected, same_as_ours, compared;
};

static void check_inclusion_file(const json_t *v, uint64_t idx, uint64_t size, struct tally *t)
{
	hash_t leaf, root, path[64], ours[64];
	terra_err e = {0};
	int want_err = json_is_true(json_object_get(v, "wantErr"));
	size_t len, olen, leaf_len;
	int r;

	leaf_len = b64(json_object_get(v, "leafHash"), leaf);
	b64(json_object_get(v, "root"), root);
	len = b64_path(json_object_get(v, "proof"), path);
	if (leaf_len != TERRA_HASH_BYTES)
		r = terra_err_set(&e, TERRA_E_VERIFY, "leaf hash is not 32 bytes");
	else
		r = terra_merkle_verify_inclusion(leaf, idx, size, (const hash_t *)path, len, root,
		                                  &e);
	t->files++;
	if (want_err) {
		t->bad++;
		t->bad_rejected += r < 0;
		if (r == 0)
			printf("#   accepted a bad proof: %s\n",
			       json_string_value(json_object_get(v, "desc")));
		return;
	}
	t->happy++;
	t->happy_ok += r == 0;
	if (r < 0)
		printf("#   rejected a good proof: %s\n", e.msg);
	/* The vectors' trees are the eight standard leaves: ours must match. */
	if (size >= 1 && size <= 8 && !memcmp(root, roots[size], TERRA_HASH_BYTES)) {
		t->compared++;
		if (terra_merkle_inclusion((const hash_t *)tree, (size_t)size, (size_t)idx, ours,
		                           &olen, &e) == 0 &&
		    olen == len && !memcmp(ours, path, len * TERRA_HASH_BYTES))
			t->same_as_ours++;
	}
}

static void check_consistency_file(const json_t *v, uint64_t m, uint64_t n, struct tally *t)
{
	hash_t r1, r2, path[64], ours[64];
	terra_err e = {0};
	int want_err = json_is_true(json_object_get(v, "wantErr"));
	size_t len, olen;
	int r;

	b64(json_object_get(v, "root1"), r1);
	b64(json_object_get(v, "root2"), r2);
	len = b64_path(json_object_get(v, "proof"), path);
	r = terra_merkle_verify_consistency(m, n, r1, r2, (const hash_t *)path, len, &e);
	t->files++;
	if (want_err) {
		t->bad++;
		t->bad_rejected += r < 0;
		if (r == 0)
			printf("#   accepted a bad proof: %s\n",
			       json_string_value(json_object_get(v, "desc")));
		return;
	}
	t->happy++;
	t->happy_ok += r == 0;
	if (r < 0)
		printf("#   rejected a good proof: %s\n", e.msg);
	if (m >= 1 && n <= 8 && !memcmp(r2, roots[n], TERRA_HASH_BYTES)) {
		t->compared++;
		if (terra_merkle_consistency((const hash_t *)tree, (size_t)m, (size_t)n, ours,
		                             &olen, &e) == 0 &&
		    olen == len && !memcmp(ours, path, len * TERRA_HASH_BYTES))
			t->same_as_ours++;
	}
}

static void walk(const char *dir, int consistency, struct tally *t)
{
	struct dirent *d;
	char path[4600];
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((d = readdir(dp))) {
		size_t l = strlen(d->d_name);
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, d->d_name);
		if (l > 5 && !strcmp(d->d_name + l - 5, ".json")) {
			json_error_t jerr;
			char text[65536];
			size_t got;
			uint64_t a, b;
			json_t *v;
			FILE *f = fopen(path, "r");
			if (!f)
				continue;
			got = fread(text, 1, sizeof text - 1, f);
			fclose(f);
			text[got] = '\0';
			a = u64_field(text, consistency ? "size1" : "leafIdx");
			b = u64_field(text, consistency ? "size2" : "treeSize");
			v = json_loads(text, 0, &jerr);
			if (!v) {
				printf("#   %s: %s\n", path, jerr.text);
				t->files++;
				continue;
			}
			if (consistency)
				check_consistency_file(v, a, b, t);
			else
				check_inclusion_file(v, a, b, t);
			json_decref(v);
		} else {
			walk(path, consistency, t);
		}
	}
	closedir(dp);
}

static void test_vectors(const char *what, int consistency, int min_files)
{
	struct tally t = {0};
	char dir[4200], name[128];

	snprintf(dir, sizeof dir, "%s/%s", fixtures, what);
	walk(dir, consistency, &t);
	snprintf(name, sizeof name, "%s: at least %d vector files read", what, min_files);
	ok(t.files >= min_files, name);
	printf("#   %s: %d files, %d happy, %d to reject\n", what, t.files, t.happy, t.bad);
	snprintf(name, sizeof name, "%s: every happy path verifies", what);
	is_int(t.happy_ok, t.happy, name);
	snprintf(name, sizeof name, "%s: every mutated proof is rejected", what);
	is_int(t.bad_rejected, t.bad, name);
	snprintf(name, sizeof name, "%s: our proofs equal the vectors' proofs", what);
	ok(t.compared >= 4 && t.same_as_ours == t.compared, name);
}

int main(void)
{
	const char *top = getenv("TERRA_TOP");

	if (sodium_init() < 0)
		return 1;
	snprintf(fixtures, sizeof fixtures, "%s/tests/fixtures/rfc6962", top ? top : ".");
	test_known_roots();
	test_generated();
	test_batch();
	test_vectors("inclusion", 0, 80);
	test_vectors("consistency", 1, 90);
	return done_testing();
}
