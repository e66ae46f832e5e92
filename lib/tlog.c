/* The ledger as a C2SP transparency log; see tlog.h. */
#include "tlog.h"

#include "db.h"
#include "key.h"
#include "ledgerint.h"
#include "merkle.h"
#include "record.h"
#include "tiles.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void terra_tlog_origin(const uint8_t pk[TERRA_PK_BYTES], char out[TERRA_NOTE_NAME_MAX])
{
	terra_ledger_origin(pk, out);
}

int terra_tlog_key(const uint8_t pk[TERRA_PK_BYTES], terra_note_key *k, terra_err *e)
{
	char origin[TERRA_NOTE_NAME_MAX];

	terra_tlog_origin(pk, origin);
	return terra_note_key_init(k, origin, TERRA_NOTE_ED25519, pk, e);
}

/* The root of the stored, owner-signed checkpoint of `size`, its signature checked. */
static int signed_root(terra_home *h, int64_t size, uint8_t root[TERRA_HASH_BYTES], terra_err *e)
{
	sqlite3_stmt *st = NULL;
	json_t *cp = NULL;
	const char *body;
	int64_t csize;
	int row, ret = -1;

	if (size == 0) {
		terra_merkle_root(NULL, 0, root);
		return 0;
	}
	if (terra_db_prepare(h->db, "SELECT body FROM checkpoints WHERE size = ?", &st, e))
		return -1;
	sqlite3_bind_int64(st, 1, size);
	if (terra_ledger_step(h->db, st, &row, e))
		goto out;
	body = row ? (const char *)sqlite3_column_text(st, 0) : NULL;
	if (!body || terra_record_parse(body, strlen(body), &cp, e) ||
	    terra_rec_verify(cp, h->owner.pk, e) || terra_rec_int(cp, "size", &csize, e) ||
	    csize != size || terra_rec_hex(cp, "root", root, TERRA_HASH_BYTES, e)) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "no valid signed checkpoint of size %" PRId64
		              "; run 'terra-ledger verify'",
		              size);
		goto out;
	}
	ret = 0;
out:
	json_decref(cp);
	sqlite3_finalize(st);
	return ret;
}

int terra_tlog_note(terra_home *h, int64_t size, char **note, size_t *len, terra_err *e)
{
	uint8_t(*leaves)[TERRA_HASH_BYTES] = NULL, root[TERRA_HASH_BYTES];
	terra_checkpoint c;
	terra_note_key k;
	char text[TERRA_NOTE_NAME_MAX + 128], line[TERRA_NOTE_LINE_MAX];
	size_t tlen;
	int64_t n;
	int ret = -1;

	if (terra_ledger_leaves(h->db, size, &leaves, &n, e))
		return -1;
	terra_merkle_root((const uint8_t(*)[TERRA_HASH_BYTES])leaves, (size_t)n, c.root);
	if (signed_root(h, n, root, e))
		goto out;
	if (memcmp(root, c.root, TERRA_HASH_BYTES)) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "the entries do not give the signed root of size %" PRId64
		              "; run 'terra-ledger verify'",
		              n);
		goto out;
	}
	terra_tlog_origin(h->owner.pk, c.origin);
	c.size = (uint64_t)n;
	if (terra_tlog_key(h->owner.pk, &k, e) ||
	    terra_checkpoint_text(&c, text, sizeof text, &tlen, e) ||
	    terra_note_sign(text, tlen, &k, h->owner.sk, 0, line, e))
		goto out;
	*len = tlen + 1 + strlen(line);
	*note = malloc(*len + 1);
	if (!*note) {
		terra_err_sys(e, "checkpoint");
		goto out;
	}
	snprintf(*note, *len + 1, "%s\n%s", text, line);
	ret = 0;
out:
	free(leaves);
	return ret;
}

/* Base64 lines of a proof path. */
static int proof_text(const uint8_t (*path)[TERRA_HASH_BYTES], size_t len, char **text,
                      terra_err *e)
{
	char *out = malloc(len * 46 + 1), *p = out;

	if (!out)
		return terra_err_sys(e, "proof");
	*p = '\0';
	for (size_t i = 0; i < len; i++) {
		terra_b64_encode(path[i], TERRA_HASH_BYTES, p, 46);
		p += strlen(p);
		*p++ = '\n';
		*p = '\0';
	}
	*text = out;
	return 0;
}

/* The leaves up to cur, then one proof over them as base64 lines: consistency
 * from tree size `arg`, or inclusion of entry `arg` (leaf arg - 1). */
static int ledger_proof(sqlite3 *db, int inclusion, int64_t arg, int64_t cur, char **text,
                        int64_t *size, terra_err *e)
{
	uint8_t(*leaves)[TERRA_HASH_BYTES] = NULL, path[TERRA_MERKLE_PATH_MAX][TERRA_HASH_BYTES];
	size_t len = 0;
	int64_t n;
	int ret = -1;

	if (terra_ledger_leaves(db, cur, &leaves, &n, e))
		return -1;
	if (inclusion ? arg < 1 || arg > n : arg < 0 || arg > n) {
		terra_err_set(e, TERRA_E_INPUT, "%s %" PRId64 " is not within %d..%" PRId64,
		              inclusion ? "inclusion: entry" : "consistency: old size", arg,
		              inclusion ? 1 : 0, n);
		goto out;
	}
	/* From the empty tree a consistency proof is empty (C2SP tlog-witness). */
	if (inclusion
	        ? terra_merkle_inclusion((const uint8_t(*)[TERRA_HASH_BYTES])leaves, (size_t)n,
	                                 (size_t)(arg - 1), path, &len, e)
	        : arg > 0 && terra_merkle_consistency((const uint8_t(*)[TERRA_HASH_BYTES])leaves,
	                                              (size_t)arg, (size_t)n, path, &len, e))
		goto out;
	ret = proof_text((const uint8_t(*)[TERRA_HASH_BYTES])path, len, text, e);
	*size = n;
out:
	free(leaves);
	return ret;
}

int terra_tlog_consistency(sqlite3 *db, int64_t old, int64_t cur, char **text, int64_t *size,
                           terra_err *e)
{
	return ledger_proof(db, 0, old, cur, text, size, e);
}

int terra_tlog_inclusion(sqlite3 *db, int64_t seq, int64_t cur, char **text, int64_t *size,
                         terra_err *e)
{
	return ledger_proof(db, 1, seq, cur, text, size, e);
}

static int slurp(const char *path, char **buf, size_t *len, terra_err *e)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return terra_err_sys(e, "open '%s'", path);
	*buf = malloc(TERRA_NOTE_MAX + 2);
	n = *buf ? fread(*buf, 1, TERRA_NOTE_MAX + 1, f) : 0;
	if (!*buf || ferror(f)) {
		fclose(f);
		free(*buf);
		return terra_err_sys(e, "read '%s'", path);
	}
	fclose(f);
	(*buf)[n] = '\0';
	*len = n;
	return 0;
}

int terra_tlog_kept_open(const char *path, const uint8_t pk[TERRA_PK_BYTES],
                         const terra_note_key *wit, size_t nwit, unsigned quorum,
                         terra_tlog_kept *k, terra_err *e)
{
	terra_note_key keys[64];
	terra_note n;
	char *buf = NULL;
	size_t len = 0;
	int ret = -1;

	memset(k, 0, sizeof *k);
	if (nwit > 63)
		return terra_err_set(e, TERRA_E_INPUT, "at most 63 witness keys");
	if (quorum > nwit)
		return terra_err_set(e, TERRA_E_INPUT, "a quorum of %u needs as many witness keys",
		                     quorum);
	if (terra_tlog_key(pk, &keys[0], e))
		return -1;
	if (nwit)
		memcpy(keys + 1, wit, nwit * sizeof *wit);
	if (slurp(path, &buf, &len, e))
		return -1;
	if (terra_note_open(buf, len, keys, nwit + 1, &n, e) ||
	    terra_checkpoint_parse(buf, n.text_len, &k->cp, e)) {
		terra_err_wrap(e, "'%s'", path);
		goto out;
	}
	if (!(n.verified & 1)) {
		terra_err_set(e, TERRA_E_VERIFY, "'%s': not signed by this ledger's owner key",
		              path);
		goto out;
	}
	if (strcmp(k->cp.origin, keys[0].name)) {
		terra_err_set(e, TERRA_E_VERIFY, "'%s': origin '%s' is not this ledger's", path,
		              k->cp.origin);
		goto out;
	}
	k->cosigned = (unsigned)__builtin_popcountll(n.verified >> 1);
	if (k->cosigned < quorum) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "'%s': cosigned by %u of the witness keys, the quorum is %u", path,
		              k->cosigned, quorum);
		goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

int terra_tlog_extends(const terra_tlog_kept *k, int64_t size,
                       const uint8_t root_at_kept[TERRA_HASH_BYTES], terra_err *e)
{
	uint8_t empty[TERRA_HASH_BYTES];

	terra_merkle_root(NULL, 0, empty);
	if (k->cp.size == 0) /* every log extends the empty one, if that is what was kept */
		return memcmp(k->cp.root, empty, TERRA_HASH_BYTES)
		           ? terra_err_set(e, TERRA_E_VERIFY,
		                           "the kept checkpoint of size 0 has a root "
		                           "other than the empty tree's")
		           : 0;
	if ((uint64_t)size < k->cp.size)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "rollback: the kept checkpoint has %" PRIu64
		                     " entries, the ledger only %" PRId64,
		                     k->cp.size, size);
	if (memcmp(root_at_kept, k->cp.root, TERRA_HASH_BYTES))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "fork: the ledger's first %" PRIu64
		                     " entries are not those of the kept checkpoint",
		                     k->cp.size);
	return 0;
}

/* Entries as the tiles hold them: each canonical entry record (the leaf data). */
struct entries {
	sqlite3 *db;
	sqlite3_stmt *st;
	const uint8_t (*leaves)[TERRA_HASH_BYTES];
	terra_buf line;
};

static int entry_bytes(void *ctx, uint64_t index, const void **data, size_t *len, terra_err *e)
{
	struct entries *x = ctx;
	const char *kind, *ptext, *created;
	uint8_t leaf[TERRA_HASH_BYTES], prev[TERRA_HASH_BYTES];
	int row;

	if (terra_ledger_step(x->db, x->st, &row, e))
		return -1;
	kind = row ? (const char *)sqlite3_column_text(x->st, 1) : NULL;
	ptext = row ? (const char *)sqlite3_column_text(x->st, 2) : NULL;
	created = row ? (const char *)sqlite3_column_text(x->st, 4) : NULL;
	if (!kind || !ptext || !created || sqlite3_column_int64(x->st, 0) != (int64_t)index + 1 ||
	    terra_ledger_blob32(x->st, 3, prev))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "entry %" PRIu64
		                     ": missing or malformed; run 'terra-ledger verify'",
		                     index + 1);
	if (terra_ledger_entry_line(&x->line, (int64_t)index + 1, kind, ptext,
	                            (size_t)sqlite3_column_bytes(x->st, 2), prev, created))
		return terra_err_sys(e, "tiles");
	terra_merkle_leaf(x->line.p, x->line.len, leaf);
	if (memcmp(leaf, x->leaves[index], TERRA_HASH_BYTES))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "entry %" PRIu64
		                     ": does not hash to its leaf; run 'terra-ledger "
		                     "verify'",
		                     index + 1);
	*data = x->line.p;
	*len = x->line.len;
	return 0;
}

int terra_tlog_export_tiles(terra_home *h, const char *dir, uint64_t *written, int64_t *size,
                            terra_err *e)
{
	struct entries x = {h->db, NULL, NULL, {NULL, 0, 0}};
	terra_err ignored;
	uint8_t(*leaves)[TERRA_HASH_BYTES] = NULL;
	char *note = NULL;
	size_t nlen;
	int64_t n;
	int ret = -1;

	/* One read transaction: the note, the leaves and the entries of one state. */
	if (terra_db_exec(h->db, "BEGIN", e))
		return -1;
	if (terra_tlog_note(h, 0, &note, &nlen, e) || terra_ledger_leaves(h->db, 0, &leaves, &n, e))
		goto out;
	x.leaves = (const uint8_t(*)[TERRA_HASH_BYTES])leaves;
	if (terra_db_prepare(h->db,
	                     "SELECT seq, kind, payload, prev_hash, created_at FROM entries "
	                     "WHERE seq <= ? ORDER BY seq",
	                     &x.st, e))
		goto out;
	sqlite3_bind_int64(x.st, 1, n);
	if (terra_tiles_write(dir, (uint64_t)n, x.leaves, entry_bytes, &x, note, nlen, written, e))
		goto out;
	*size = n;
	ret = 0;
out:
	sqlite3_finalize(x.st);
	terra_db_exec(h->db, "COMMIT", &ignored);
	free(x.line.p);
	free(leaves);
	free(note);
	return ret;
}

/* Each entry read from the tiles: canonical, in sequence, chained to the one before. */
struct chain {
	uint8_t prev[TERRA_HASH_BYTES];
	const uint8_t *pk; /* the owner key that entry 1 pins */
};

static int check_entry(void *ctx, uint64_t index, const void *data, size_t len, terra_err *e)
{
	struct chain *c = ctx;
	json_t *rec = NULL;
	char *canon = NULL;
	size_t clen;
	const char *type, *kind;
	int64_t seq, v;
	uint8_t prev[TERRA_HASH_BYTES];
	int ret = -1;

	if (terra_record_parse(data, len, &rec, e) || terra_rec_canonical(rec, &canon, &clen, e) ||
	    clen != len || memcmp(canon, data, len)) {
		terra_err_set(e, TERRA_E_VERIFY, "entry %" PRIu64 ": not a canonical record",
		              index + 1);
		goto out;
	}
	if (terra_rec_type(rec, &type, e) || strcmp(type, "entry") ||
	    terra_rec_int(rec, "v", &v, e) || v != 1 || terra_rec_int(rec, "seq", &seq, e) ||
	    seq != (int64_t)index + 1 || terra_rec_str(rec, "kind", &kind, e) ||
	    terra_rec_hex(rec, "prev", prev, TERRA_HASH_BYTES, e)) {
		terra_err_set(e, TERRA_E_VERIFY,
		              "entry %" PRIu64 ": not entry %" PRIu64 " of a ledger", index + 1,
		              index + 1);
		goto out;
	}
	if (index == 0) {
		int pinned;
		if (terra_ledger_pin_check(prev, c->pk, "the note's key", &pinned, e))
			goto out;
	} else if (memcmp(prev, c->prev, TERRA_HASH_BYTES)) {
		terra_err_set(e, TERRA_E_VERIFY, "entry %" PRIu64 ": prev is not the entry before",
		              index + 1);
		goto out;
	}
	terra_merkle_leaf(data, len, c->prev);
	ret = 0;
out:
	free(canon);
	json_decref(rec);
	return ret;
}

int terra_tlog_verify_tiles(const char *dir, const uint8_t pk[TERRA_PK_BYTES], int64_t *size,
                            uint8_t root[TERRA_HASH_BYTES], terra_err *e)
{
	terra_tlog_kept k;
	struct chain c;
	uint8_t(*leaves)[TERRA_HASH_BYTES] = NULL;
	char path[4096];

	if ((size_t)snprintf(path, sizeof path, "%s/checkpoint", dir) >= sizeof path)
		return terra_err_set(e, TERRA_E_INPUT, "tiles: path too long");
	if (terra_tlog_kept_open(path, pk, NULL, 0, 0, &k, e))
		return -1;
	memset(c.prev, 0, sizeof c.prev);
	c.pk = pk;
	if (terra_tiles_read(dir, k.cp.size, &leaves, check_entry, &c, e))
		return -1;
	terra_merkle_root((const uint8_t(*)[TERRA_HASH_BYTES])leaves, (size_t)k.cp.size, root);
	free(leaves);
	if (memcmp(root, k.cp.root, TERRA_HASH_BYTES))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "tiles: the entries give another root than the checkpoint's");
	*size = (int64_t)k.cp.size;
	return 0;
}

int terra_tlog_prove_since(sqlite3 *db, json_t *proof, int64_t since, terra_err *e)
{
	uint8_t(*leaves)[TERRA_HASH_BYTES] = NULL, path[TERRA_MERKLE_PATH_MAX][TERRA_HASH_BYTES];
	char hex[TERRA_HASH_HEX];
	json_t *jpath = NULL, *c = NULL;
	int64_t size, n;
	size_t len = 0;
	int ret = -1;

	if (terra_rec_int(proof, "size", &size, e))
		return -1;
	if (since < 1 || since > size)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "prove --since %" PRId64 ": not within 1..%" PRId64
		                     " (the proof's tree)",
		                     since, size);
	if (terra_ledger_leaves(db, size, &leaves, &n, e) ||
	    terra_merkle_consistency((const uint8_t(*)[TERRA_HASH_BYTES])leaves, (size_t)since,
	                             (size_t)n, path, &len, e))
		goto out;
	if (!(jpath = json_array()))
		goto oom;
	for (size_t k = 0; k < len; k++) {
		terra_hex(path[k], TERRA_HASH_BYTES, hex);
		if (json_array_append_new(jpath, json_string(hex)))
			goto oom;
	}
	c = json_pack("{s:I, s:O}", "from", (json_int_t)since, "path", jpath);
	if (!c || terra_rec_set(proof, "consistency", c, e) < 0) {
		c = NULL;
		goto out;
	}
	c = NULL;
	ret = 0;
	goto out;
oom:
	terra_err_sys(e, "prove");
out:
	json_decref(c);
	json_decref(jpath);
	free(leaves);
	return ret;
}

int terra_tlog_proof_extends(const json_t *proof, const terra_tlog_kept *k, terra_err *e)
{
	uint8_t root[TERRA_HASH_BYTES], path[TERRA_MERKLE_PATH_MAX][TERRA_HASH_BYTES];
	json_t *cp, *c, *jpath, *h;
	int64_t size, from;
	size_t i, len;

	if (terra_rec_obj(proof, "checkpoint", &cp, e) || terra_rec_int(cp, "size", &size, e) ||
	    terra_rec_hex(cp, "root", root, TERRA_HASH_BYTES, e))
		return terra_err_wrap(e, "proof");
	if ((uint64_t)size < k->cp.size)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "rollback: the kept checkpoint has %" PRIu64
		                     " entries, the proof's ledger only %" PRId64,
		                     k->cp.size, size);
	if ((uint64_t)size == k->cp.size)
		return memcmp(root, k->cp.root, TERRA_HASH_BYTES)
		           ? terra_err_set(
		                 e, TERRA_E_VERIFY,
		                 "fork: the proof's checkpoint has the kept size, another root")
		           : 0;
	c = json_object_get(proof, "consistency");
	if (!c || terra_rec_int(c, "from", &from, e) || terra_rec_arr(c, "path", &jpath, e))
		return terra_err_set(
		    e, TERRA_E_VERIFY,
		    "proof: no consistency proof from the kept checkpoint (make it "
		    "with prove --since %" PRIu64 ")",
		    k->cp.size);
	if ((uint64_t)from != k->cp.size)
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "proof: its consistency proof starts at size %" PRId64
		                     ", the kept checkpoint has %" PRIu64,
		                     from, k->cp.size);
	len = json_array_size(jpath);
	if (len > TERRA_MERKLE_PATH_MAX)
		return terra_err_set(e, TERRA_E_VERIFY, "proof: consistency path too long");
	json_array_foreach(jpath, i, h)
	{
		const char *s = json_string_value(h);
		if (!s || strlen(s) != 2 * TERRA_HASH_BYTES ||
		    terra_unhex(s, path[i], TERRA_HASH_BYTES, e))
			return terra_err_set(e, TERRA_E_VERIFY, "proof: bad consistency hash %zu",
			                     i + 1);
	}
	if (terra_merkle_verify_consistency(k->cp.size, (uint64_t)size, k->cp.root, root,
	                                    (const uint8_t(*)[TERRA_HASH_BYTES])path, len, e))
		return terra_err_set(
		    e, TERRA_E_VERIFY,
		    "fork: the proof's ledger does not extend the kept checkpoint");
	return 0;
}
