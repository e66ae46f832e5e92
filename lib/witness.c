/* A C2SP tlog witness over files; see witness.h. */
#include "witness.h"

#include "file.h"
#include "key.h"
#include "merkle.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int path_of(char out[PATH_MAX], const char *dir, const char *rel, terra_err *e)
{
	if ((size_t)snprintf(out, PATH_MAX, "%s/%s", dir, rel) >= PATH_MAX)
		return terra_err_set(e, TERRA_E_INPUT, "witness: path too long: '%s'", dir);
	return 0;
}

/* Reads a small file whole (NUL-terminated); ENOENT is TERRA_E_NOTFOUND. */
static int read_small(const char *path, char **buf, size_t *len, terra_err *e)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return errno == ENOENT
		           ? terra_err_set(e, TERRA_E_NOTFOUND, "witness: no '%s'", path)
		           : terra_err_sys(e, "witness: open '%s'", path);
	*buf = malloc(TERRA_NOTE_MAX + 1);
	n = *buf ? fread(*buf, 1, TERRA_NOTE_MAX, f) : 0;
	if (!*buf || ferror(f)) {
		fclose(f);
		free(*buf);
		return terra_err_sys(e, "witness: read '%s'", path);
	}
	fclose(f);
	(*buf)[n] = '\0';
	*len = n;
	return 0;
}

/* Replaces path whole, its directory synced (terra_file_replace). */
static int replace_file(const char *path, const char *data, size_t len, terra_err *e)
{
	return terra_file_replace(path, data, len, 0600, e) < 0 ? terra_err_wrap(e, "witness") : 0;
}

int terra_witness_init(const char *dir, const char *name, terra_err *e)
{
	char sk[PATH_MAX], pk[PATH_MAX], np[PATH_MAX], line[TERRA_NOTE_NAME_MAX + 1];
	static const uint8_t no_key[TERRA_PK_BYTES];
	terra_note_key probe;
	terra_key k = {0};
	int ret = -1;

	if (terra_note_key_init(&probe, name, TERRA_NOTE_COSIGNATURE, no_key, e))
		return terra_err_wrap(e, "witness");
	if (mkdir(dir, 0700) && errno != EEXIST)
		return terra_err_sys(e, "witness: create '%s'", dir);
	if (path_of(sk, dir, "witness.key", e) || path_of(pk, dir, "witness.pub", e) ||
	    path_of(np, dir, "name", e))
		return -1;
	if (access(sk, F_OK) == 0)
		return terra_err_set(e, TERRA_E_EXISTS, "witness: '%s' exists already", sk);
	snprintf(line, sizeof line, "%s\n", name);
	if (terra_key_generate(&k, e) || terra_key_save(&k, sk, pk, 0, e) ||
	    replace_file(np, line, strlen(line), e))
		goto out;
	ret = 0;
out:
	terra_key_wipe(&k);
	return ret;
}

/* The witness's name, and its key (with the secret when sk). */
static int load_self(const char *dir, int secret, terra_note_key *nk, terra_key *k, terra_err *e)
{
	char path[PATH_MAX], *name = NULL;
	size_t len;
	int ret = -1;

	if (path_of(path, dir, "name", e) || read_small(path, &name, &len, e))
		return -1;
	if (len && name[len - 1] == '\n')
		name[--len] = '\0';
	if (path_of(path, dir, secret ? "witness.key" : "witness.pub", e) ||
	    (secret ? terra_key_load(k, path, e) : terra_key_load_pub(k, path, e)) ||
	    terra_note_key_init(nk, name, TERRA_NOTE_COSIGNATURE, k->pk, e))
		goto out;
	ret = 0;
out:
	free(name);
	return ret;
}

int terra_witness_vkey(const char *dir, char out[TERRA_NOTE_VKEY_MAX], terra_err *e)
{
	terra_note_key nk;
	terra_key k = {0};

	if (load_self(dir, 0, &nk, &k, e))
		return -1;
	terra_note_vkey(&nk, out);
	return 0;
}

int terra_witness_trust(const char *dir, const char *vkey, terra_err *e)
{
	char path[PATH_MAX], line[TERRA_NOTE_VKEY_MAX + 1];
	terra_note_key k;
	FILE *f;
	int ok;

	if (terra_note_vkey_parse(vkey, &k, e))
		return -1;
	if (k.type != TERRA_NOTE_ED25519)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "witness: a log's vkey signs with Ed25519 (0x01)");
	if (path_of(path, dir, "logs", e))
		return -1;
	terra_note_vkey(&k, line);
	f = fopen(path, "a");
	if (!f)
		return terra_err_sys(e, "witness: open '%s'", path);
	ok = fprintf(f, "%s\n", line) > 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) || !ok)
		return terra_err_sys(e, "witness: write '%s'", path);
	return 0;
}

/* The logs' keys whose name is origin. */
static int log_keys(const char *dir, const char *origin, terra_note_key *keys, size_t *n,
                    terra_err *e)
{
	char path[PATH_MAX], *buf = NULL, *line, *save = NULL;
	size_t len;

	*n = 0;
	if (path_of(path, dir, "logs", e))
		return -1;
	if (read_small(path, &buf, &len, e))
		return e->kind == TERRA_E_NOTFOUND ? 0 : -1;
	for (line = strtok_r(buf, "\n", &save); line && *n < 8;
	     line = strtok_r(NULL, "\n", &save)) {
		terra_note_key k;
		if (terra_note_vkey_parse(line, &k, e)) {
			free(buf);
			return terra_err_wrap(e, "witness: '%s'", path);
		}
		if (!strcmp(k.name, origin))
			keys[(*n)++] = k;
	}
	free(buf);
	return 0;
}

/* The state file of an origin: state/<SHA-256 hex of the origin>. */
static int state_path(const char *dir, const char *origin, char out[PATH_MAX], terra_err *e)
{
	uint8_t h[TERRA_HASH_BYTES];
	char hex[TERRA_HASH_HEX], rel[80];

	crypto_hash_sha256(h, (const unsigned char *)origin, strlen(origin));
	terra_hex(h, TERRA_HASH_BYTES, hex);
	snprintf(rel, sizeof rel, "state/%s", hex);
	return path_of(out, dir, rel, e);
}

/* The latest cosigned size and root of origin; size 0 (and no root) when never. */
static int load_state(const char *path, const char *origin, uint64_t *size,
                      uint8_t root[TERRA_HASH_BYTES], terra_err *e)
{
	terra_checkpoint c;
	char *buf = NULL;
	size_t len;
	int ret = -1;

	*size = 0;
	if (read_small(path, &buf, &len, e))
		return e->kind == TERRA_E_NOTFOUND ? 0 : -1;
	if (terra_checkpoint_parse(buf, len, &c, e) || strcmp(c.origin, origin)) {
		terra_err_set(e, TERRA_E_SYS, "witness: state '%s' is damaged", path);
		goto out;
	}
	*size = c.size;
	memcpy(root, c.root, TERRA_HASH_BYTES);
	ret = 0;
out:
	free(buf);
	return ret;
}

/* The request's parts: old size, proof, and where the note starts. */
struct request {
	uint64_t old;
	uint8_t proof[63][TERRA_HASH_BYTES];
	size_t nproof;
	const char *note;
	size_t note_len;
};

static int parse_request(const char *req, size_t len, struct request *r)
{
	const char *p = req, *end = req + len, *nl;
	size_t n;

	memset(r, 0, sizeof *r);
	nl = memchr(p, '\n', len);
	if (!nl || nl - p < 5 || memcmp(p, "old ", 4) || nl - p > 24 || (p[4] == '0' && nl - p > 5))
		return -1;
	for (const char *d = p + 4; d < nl; d++) {
		if (*d < '0' || *d > '9' || r->old > (UINT64_MAX - 9) / 10)
			return -1;
		r->old = r->old * 10 + (uint64_t)(*d - '0');
	}
	for (p = nl + 1; p < end && *p != '\n'; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl || r->nproof == 63 ||
		    terra_b64_decode(p, (size_t)(nl - p), r->proof[r->nproof], 32, &n) || n != 32)
			return -1;
		r->nproof++;
	}
	if (p >= end)
		return -1;
	r->note = p + 1;
	r->note_len = (size_t)(end - r->note);
	return 0;
}

static int answer(enum terra_witness_answer *a, enum terra_witness_answer v, char **body,
                  const char *text, terra_err *e)
{
	*a = v;
	*body = strdup(text);
	return *body ? 0 : terra_err_sys(e, "witness");
}

/* Checks and cosigns under the lock; state_file names the origin's state. */
static int add_locked(const char *dir, const struct request *r, size_t text_len,
                      const terra_checkpoint *c, const char *state_file, uint64_t now,
                      enum terra_witness_answer *a, char **body, terra_err *e)
{
	uint8_t root0[TERRA_HASH_BYTES];
	uint64_t size0;
	char line[TERRA_NOTE_LINE_MAX], text[64], sdir[PATH_MAX];
	terra_note_key self;
	terra_key k = {0};
	int ret = -1;

	if (load_state(state_file, c->origin, &size0, root0, e))
		return -1;
	if (r->old != size0) {
		snprintf(text, sizeof text, "%" PRIu64 "\n", size0);
		return answer(a, TERRA_WITNESS_CONFLICT, body, text, e);
	}
	if (r->old == c->size) {
		if (r->nproof || (size0 && memcmp(root0, c->root, TERRA_HASH_BYTES)))
			return answer(a, TERRA_WITNESS_CONFLICT, body,
			              "same size as the checkpoint last cosigned, another root\n",
			              e);
	} else if (r->old == 0) {
		if (r->nproof)
			return answer(a, TERRA_WITNESS_BAD_PROOF, body,
			              "a proof from size 0 must be empty\n", e);
	} else if (terra_merkle_verify_consistency(r->old, c->size, root0, c->root,
	                                           (const uint8_t(*)[TERRA_HASH_BYTES])r->proof,
	                                           r->nproof, e)) {
		return answer(a, TERRA_WITNESS_BAD_PROOF, body,
		              "the consistency proof does not verify\n", e);
	}
	if (load_self(dir, 1, &self, &k, e) ||
	    terra_note_sign(r->note, text_len, &self, k.sk, now, line, e))
		goto out;
	/* Persist before answering: a cosignature never outruns the state. */
	if (path_of(sdir, dir, "state", e) || (mkdir(sdir, 0700) && errno != EEXIST &&
	                                       terra_err_sys(e, "witness: create '%s'", sdir)))
		goto out;
	{
		char st[TERRA_NOTE_NAME_MAX + 128];
		size_t slen;
		if (terra_checkpoint_text(c, st, sizeof st, &slen, e) ||
		    replace_file(state_file, st, slen, e))
			goto out;
	}
	ret = answer(a, TERRA_WITNESS_COSIGNED, body, line, e);
out:
	terra_key_wipe(&k);
	return ret;
}

int terra_witness_add(const char *dir, const char *req, size_t len, uint64_t now,
                      enum terra_witness_answer *a, char **body, terra_err *e)
{
	struct request r;
	terra_checkpoint c;
	terra_note_key keys[8];
	terra_note n;
	terra_err why;
	char lock[PATH_MAX], state_file[PATH_MAX];
	size_t nkeys;
	int fd, ret;

	*body = NULL;
	if (parse_request(req, len, &r))
		return answer(a, TERRA_WITNESS_BAD_REQUEST, body,
		              "not \"old N\", proof lines, a blank line and a checkpoint\n", e);
	/* The origin before any signature is checked: only to find the log's keys. */
	{
		const char *blank = memmem(r.note, r.note_len, "\n\n", 2);
		if (!blank ||
		    terra_checkpoint_parse(r.note, (size_t)(blank - r.note) + 1, &c, &why))
			return answer(a, TERRA_WITNESS_BAD_REQUEST, body, "not a checkpoint note\n",
			              e);
	}
	if (log_keys(dir, c.origin, keys, &nkeys, e))
		return -1;
	if (!nkeys)
		return answer(a, TERRA_WITNESS_UNKNOWN, body, "unknown log origin\n", e);
	if (terra_note_open(r.note, r.note_len, keys, nkeys, &n, &why))
		return answer(a, TERRA_WITNESS_FORBIDDEN, body, "no valid signature of the log\n",
		              e);
	if (r.old > c.size)
		return answer(a, TERRA_WITNESS_BAD_REQUEST, body, "old size past the checkpoint\n",
		              e);
	if (path_of(lock, dir, "lock", e) || state_path(dir, c.origin, state_file, e))
		return -1;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return terra_err_sys(e, "witness: open '%s'", lock);
	if (flock(fd, LOCK_EX)) {
		close(fd);
		return terra_err_sys(e, "witness: lock '%s'", lock);
	}
	ret = add_locked(dir, &r, n.text_len, &c, state_file, now, a, body, e);
	close(fd);
	return ret;
}
