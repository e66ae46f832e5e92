/*
 * Signed notes, checkpoints, cosignatures and tile paths, against the
 * vectors of golang.org/x/mod/sumdb/note (note_test.go: the PeterNeumann and
 * EnochRoot keys and signatures) and the examples of C2SP tlog-tiles (path
 * encoding, the tiles of a tree of 70,000). Every byte of a signed note and
 * of a cosigned checkpoint is mutated and the note must then be refused.
 */
#include "lib/merkle.h"
#include "lib/note.h"
#include "lib/tiles.h"
#include "tests/unit/fixture.h"
#include "tests/unit/tap.h"

#include <dirent.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char text[] = "If you think cryptography is the answer to your problem,\n"
                           "then you don't know what your problem is.\n";
static const char peter_vkey[] =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
/* The private key of note_test.go is base64(0x01 || Ed25519 seed). */
static const char peter_skey[] = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char peter_sig[] =
    "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZ"
    "InNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char enoch_vkey[] = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
static const char enoch_sig[] = "\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOX"
                                "m2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

static void vectors(void)
{
	terra_note_key peter, enoch, keys[2];
	uint8_t seed[33], pk[32], sk[64];
	char vkey[TERRA_NOTE_VKEY_MAX], line[TERRA_NOTE_LINE_MAX], msg[1024];
	size_t n;
	terra_note note;
	terra_err e;

	is_int(terra_note_vkey_parse(peter_vkey, &peter, &e), 0,
	       "Go's vkey of PeterNeumann parses");
	is_int(peter.id, 0xc74f20a3, "its key id is SHA-256(name || LF || 0x01 || key)[:4]");
	terra_note_vkey(&peter, vkey);
	is_str(vkey, peter_vkey, "and prints back the same");
	ok(terra_b64_decode(peter_skey, strlen(peter_skey), seed, sizeof seed, &n) == 0 && n == 33,
	   "the private key decodes");
	crypto_sign_seed_keypair(pk, sk, seed + 1);
	ok(!memcmp(pk, peter.pk, 32), "its seed gives the vkey's public key");
	is_int(terra_note_sign(text, strlen(text), &peter, sk, 0, line, &e), 0, "signing works");
	is_str(line, peter_sig, "the signature line is the one Go's note.Sign writes");

	terra_note_vkey_parse(enoch_vkey, &enoch, &e);
	keys[0] = peter;
	keys[1] = enoch;
	snprintf(msg, sizeof msg, "%s\n%s%s", text, peter_sig, enoch_sig);
	is_int(terra_note_open(msg, strlen(msg), keys, 2, &note, &e), 0, "both signatures verify");
	is_int(note.verified, 3, "both keys are marked verified");
	is_int(note.text_len, strlen(text), "the text is what precedes the blank line");
	is_int(terra_note_open(msg, strlen(msg), keys + 1, 1, &note, &e), 0,
	       "an unknown signature is ignored");
	is_int(note.nsigs, 2, "and still counted");

	snprintf(msg, sizeof msg, "%s\n%s", text, enoch_sig);
	ok(terra_note_open(msg, strlen(msg), keys, 1, &note, &e) && e.kind == TERRA_E_VERIFY,
	   "no signature of a known key: refused");
	like(e.msg, "no signature from a known key", "and said so");

	/* A name and id of a known key over another text: must fail, not be ignored. */
	snprintf(msg, sizeof msg, "%s!\n\n%s", "Other text", peter_sig);
	ok(terra_note_open(msg, strlen(msg), keys, 1, &note, &e), "a known key's bad signature");
	like(e.msg, "does not verify", "is named as such");

	ok(terra_note_vkey_parse(
	       "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &peter, &e),
	   "a vkey whose id does not match its key is refused");
	ok(terra_note_vkey_parse(
	       "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &peter, &e),
	   "a vkey whose id is not lowercase hex is refused");
	like(e.msg, "bad key id 'C74F20A3'", "naming the id");
	ok(terra_note_vkey_parse(
	       "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &peter, &e),
	   "a name with a space is refused");
	ok(terra_note_vkey_parse(
	       "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &peter, &e),
	   "an unknown algorithm is refused");
}

/* Every single-byte change of a signed note must be refused (or, where it
 * only touches a signature of an unknown key, leave the known one verified
 * over the same text). */
static void mutations(const char *msg, const terra_note_key *keys, size_t nkeys, const char *what)
{
	size_t len = strlen(msg), text_len, bad = 0;
	char *m = malloc(len + 1);
	terra_note note;
	terra_err e;

	terra_note_open(msg, len, keys, nkeys, &note, &e);
	text_len = note.text_len;
	for (size_t i = 0; i < len; i++) {
		for (int delta = 1; delta <= 2; delta++) {
			memcpy(m, msg, len + 1);
			m[i] = (char)(m[i] ^ delta);
			if (!terra_note_open(m, len, keys, nkeys, &note, &e) &&
			    (note.text_len != text_len || memcmp(m, msg, text_len)))
				bad++;
		}
	}
	/* Deleting a byte too. */
	for (size_t i = 0; i < len; i++) {
		memcpy(m, msg, i);
		memcpy(m + i, msg + i + 1, len - i);
		if (!terra_note_open(m, len - 1, keys, nkeys, &note, &e) &&
		    (note.text_len != text_len || memcmp(m, msg, text_len)))
			bad++;
	}
	free(m);
	is_int(bad, 0, what);
}

static int parse(const char *s)
{
	terra_checkpoint c;
	terra_err e;

	return terra_checkpoint_parse(s, strlen(s), &c, &e);
}

static void checkpoints(void)
{
	terra_checkpoint c = {"example.com/behind-the-sofa", 20852163, {0}}, back;
	terra_note_key log, wit, keys[2];
	uint8_t pk[32], sk[64], wpk[32], wsk[64];
	char body[512], line[TERRA_NOTE_LINE_MAX], wline[TERRA_NOTE_LINE_MAX], msg[2048];
	size_t len, n;
	terra_note note;
	terra_err e;
	static const char root64[] = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";

	terra_b64_decode(root64, strlen(root64), c.root, 32, &n);
	is_int(terra_checkpoint_text(&c, body, sizeof body, &len, &e), 0, "checkpoint text");
	is_str(
	    body,
	    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
	    "is the C2SP example's text");
	is_int(terra_checkpoint_parse(body, len, &back, &e), 0, "and parses back");
	ok(back.size == c.size && !memcmp(back.root, c.root, 32) && !strcmp(back.origin, c.origin),
	   "to the same origin, size and root");
	ok(parse("o\n012\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"),
	   "a size with a leading zero is refused");
	ok(!parse("o\n0\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\next\n"),
	   "an extension line is allowed");
	ok(parse("o\n0\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"),
	   "an empty extension line is refused");
	ok(parse("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n"),
	   "a root without its padding is refused");
	ok(parse("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n"),
	   "a root with other unused bits is refused");
	ok(parse("o\n18446744073709551616\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"),
	   "a size past 64 bits is refused");

	crypto_sign_keypair(pk, sk);
	crypto_sign_keypair(wpk, wsk);
	terra_note_key_init(&log, c.origin, TERRA_NOTE_ED25519, pk, &e);
	terra_note_key_init(&wit, "witness.example/w1", TERRA_NOTE_COSIGNATURE, wpk, &e);
	terra_note_sign(body, len, &log, sk, 0, line, &e);
	is_int(terra_note_sign(body, len, &wit, wsk, 1679315147, wline, &e), 0,
	       "a witness cosigns");
	snprintf(msg, sizeof msg, "%s\n%s%s", body, line, wline);
	keys[0] = log;
	keys[1] = wit;
	is_int(terra_note_open(msg, strlen(msg), keys, 2, &note, &e), 0,
	       "the log's signature and the cosignature verify");
	is_int(note.times[1], 1679315147, "the cosignature's time is read back");
	mutations(msg, keys, 2, "every mutation of a cosigned checkpoint is refused");
	/* A cosignature key used as a plain Ed25519 key: another id, so ignored, not accepted. */
	terra_note_key_init(&keys[1], "witness.example/w1", TERRA_NOTE_ED25519, wpk, &e);
	ok(terra_note_open(msg, strlen(msg), keys + 1, 1, &note, &e),
	   "a cosignature does not pass as an Ed25519 note signature");
}

static void tile_paths(void)
{
	char p[128];

	terra_tile_path(0, 1234067, 0, p, sizeof p);
	is_str(p, "tile/0/x001/x234/067", "C2SP example: index 1234067");
	terra_tile_path(0, 0, 0, p, sizeof p);
	is_str(p, "tile/0/000", "index 0");
	terra_tile_path(1, 1000, 17, p, sizeof p);
	is_str(p, "tile/1/x001/000.p/17", "a partial tile of level 1");
	terra_tile_path(TERRA_TILE_ENTRIES, 273, 112, p, sizeof p);
	is_str(p, "tile/entries/273.p/112", "a partial entry bundle");
	terra_tile_path(0, 5, 256, p, sizeof p);
	is_str(p, "tile/0/005", "width 256 is a full tile");
}

static int entry_fn(void *ctx, uint64_t index, const void **data, size_t *len, terra_err *e)
{
	static char buf[64];
	(void)ctx;
	(void)e;
	*len = (size_t)snprintf(buf, sizeof buf, "entry %llu", (unsigned long long)index);
	*data = buf;
	return 0;
}

static int count_files(const char *dir)
{
	char cmd[600];
	FILE *f;
	int n = -1;

	snprintf(cmd, sizeof cmd, "find '%s' -type f | wc -l", dir);
	f = popen(cmd, "r");
	if (f && fscanf(f, "%d", &n) != 1)
		n = -1;
	if (f)
		pclose(f);
	return n;
}

static void tiles(void)
{
	const char *dir = fixture_tmpdir("tiles");
	char path[512];
	uint64_t size = 70000, written = 0;
	uint8_t(*leaves)[32] = malloc(size * 32), (*back)[32] = NULL, root[32], root2[32];
	terra_err e;
	struct stat sb;
	FILE *f;

	if (!leaves)
		return;
	for (uint64_t i = 0; i < size; i++) {
		const void *d;
		size_t n;
		entry_fn(NULL, i, &d, &n, &e);
		terra_merkle_leaf(d, n, leaves[i]);
	}
	is_int(terra_tiles_write(dir, size, (const uint8_t(*)[32])leaves, entry_fn, NULL, "note\n",
	                         5, &written, &e),
	       0, "tiles of a tree of 70,000 written");
	/* C2SP: 273 full level 0 tiles, a partial one of width 112, one full level 1
	 * tile, a partial level 1 of width 17, a partial level 2 of width 1; and
	 * as many entry bundles as level 0 tiles; and the checkpoint. */
	snprintf(path, sizeof path, "%s/tile/0/272", dir);
	ok(!stat(path, &sb) && sb.st_size == 8192, "level 0 tile 272 is full");
	snprintf(path, sizeof path, "%s/tile/0/273.p/112", dir);
	ok(!stat(path, &sb) && sb.st_size == 112 * 32, "level 0 tile 273 is partial, 112 wide");
	snprintf(path, sizeof path, "%s/tile/1/000", dir);
	ok(!stat(path, &sb) && sb.st_size == 8192, "level 1 tile 0 is full");
	snprintf(path, sizeof path, "%s/tile/1/001.p/17", dir);
	ok(!stat(path, &sb) && sb.st_size == 17 * 32, "level 1 tile 1 is 17 wide");
	snprintf(path, sizeof path, "%s/tile/2/000.p/1", dir);
	ok(!stat(path, &sb) && sb.st_size == 32, "level 2 has one partial tile of width 1");
	is_int(count_files(dir), 274 + 2 + 1 + 274 + 1, "and nothing else");
	is_int(written, 274 + 2 + 1 + 274 + 1, "every file counted as written");

	is_int(terra_tiles_read(dir, size, &back, NULL, NULL, &e), 0, "the tiles read back");
	terra_merkle_root((const uint8_t(*)[32])leaves, size, root);
	if (back)
		terra_merkle_root((const uint8_t(*)[32])back, size, root2);
	ok(back && !memcmp(root, root2, 32), "to the same tree");
	free(back);
	back = NULL;

	is_int(terra_tiles_write(dir, size, (const uint8_t(*)[32])leaves, entry_fn, NULL, "note\n",
	                         5, &written, &e),
	       0, "exporting the same log again");
	is_int(written, 1, "writes only the checkpoint");

	/* Another history under the same directory is refused, the tiles kept. */
	memset(leaves[10], 0, 32);
	ok(terra_tiles_write(dir, size, (const uint8_t(*)[32])leaves, entry_fn, NULL, "note\n", 5,
	                     &written, &e) &&
	       e.kind == TERRA_E_VERIFY,
	   "a different leaf under existing tiles is refused");
	like(e.msg, "another history", "as another history");

	/* A flipped byte in a level-1 tile is found on reading. */
	snprintf(path, sizeof path, "%s/tile/1/000", dir);
	f = fopen(path, "r+b");
	if (f) {
		fseek(f, 100, SEEK_SET);
		fputc(0x55, f);
		fclose(f);
	}
	ok(terra_tiles_read(dir, size, &back, NULL, NULL, &e), "a damaged level 1 tile is refused");
	like(e.msg, "tile/1/000", "and named");
	free(back);

	free(leaves);
}

int main(void)
{
	terra_note_key peter;
	terra_err e;
	char msg[1024];

	if (sodium_init() < 0)
		return 1;
	vectors();
	terra_note_vkey_parse(peter_vkey, &peter, &e);
	snprintf(msg, sizeof msg, "%s\n%s", text, peter_sig);
	mutations(msg, &peter, 1, "every mutation of Go's signed note is refused");
	checkpoints();
	tile_paths();
	tiles();
	return done_testing();
}
