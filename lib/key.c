#include "key.h"

#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SK_MAGIC     "terra-secret-key-v1 "
#define SK_MAGIC_LEN (sizeof SK_MAGIC - 1)
#define SK_TEXT_LEN  (SK_MAGIC_LEN + 2 * TERRA_SK_BYTES + 1) /* with '\n' */
#define PK_TEXT_LEN  (2 * TERRA_PK_BYTES + 1)
#define KEY_FILE_MAX 512 /* a bigger file is not a key file */

static int sodium_ready(terra_err *e)
{
	if (sodium_init() < 0)
		return terra_err_set(e, TERRA_E_SYS, "libsodium: initialisation failed");
	return 0;
}

int terra_key_generate(terra_key *k, terra_err *e)
{
	k->sk = NULL;
	if (sodium_ready(e) < 0)
		return -1;
	k->sk = sodium_malloc(TERRA_SK_BYTES);
	if (!k->sk)
		return terra_err_sys(e, "generate key: allocate secret memory");
	crypto_sign_keypair(k->pk, k->sk);
	return 0;
}

/*
 * Writes `data` to `path` with `mode`. Without `force` the file must not
 * exist (O_EXCL); with `force` it is replaced whole (terra_file_replace).
 * On failure no new file is left behind.
 */
static int write_file(const char *path, const char *data, size_t len, mode_t mode, int force,
                      terra_err *e)
{
	int fd, rc = -1;

	if (force)
		return terra_file_replace(path, data, len, mode, e);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return terra_err_set(e, TERRA_E_EXISTS, "create '%s': file exists", path);
		return terra_err_sys(e, "create '%s'", path);
	}
	if ((mode & 077) && fchmod(fd, mode) < 0) {
		terra_err_sys(e, "chmod '%s'", path);
		goto out;
	}
	if (terra_file_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		terra_err_sys(e, "write '%s'", path);
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc < 0) {
		terra_err_sys(e, "write '%s'", path);
		goto out;
	}
	rc = -1;
	if (terra_file_sync_dir(path) < 0) {
		terra_err_sys(e, "sync directory of '%s'", path);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(path);
	return rc;
}

int terra_key_save_pub(const terra_key *k, const char *pk_path, int force, terra_err *e)
{
	char pk_text[PK_TEXT_LEN + 1];

	terra_hex(k->pk, TERRA_PK_BYTES, pk_text);
	pk_text[PK_TEXT_LEN - 1] = '\n';
	return write_file(pk_path, pk_text, PK_TEXT_LEN, 0644, force, e);
}

int terra_key_save(const terra_key *k, const char *sk_path, const char *pk_path, int force,
                   terra_err *e)
{
	char *text = NULL;
	int rc = -1;

	if (!k->sk)
		return terra_err_set(e, TERRA_E_INPUT, "save key '%s': no secret key", sk_path);
	if (sodium_ready(e) < 0)
		return -1;
	text = sodium_malloc(SK_TEXT_LEN + 1);
	if (!text)
		return terra_err_sys(e, "save key '%s': allocate secret memory", sk_path);
	memcpy(text, SK_MAGIC, SK_MAGIC_LEN);
	terra_hex(k->sk, TERRA_SK_BYTES, text + SK_MAGIC_LEN);
	text[SK_TEXT_LEN - 1] = '\n';
	if (write_file(sk_path, text, SK_TEXT_LEN, 0600, force, e) < 0)
		goto out;
	if (pk_path) {
		if (terra_key_save_pub(k, pk_path, force, e) < 0) {
			/* A secret without its public file is half a key: take it back. */
			if (!force)
				unlink(sk_path);
			goto out;
		}
	}
	rc = 0;
out:
	sodium_free(text);
	return rc;
}

/* Reads a small file whole into buf (cap bytes); fails if it is bigger. */
static int read_small(int fd, const char *path, char *buf, size_t cap, size_t *len, terra_err *e)
{
	size_t n = 0;

	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return terra_err_sys(e, "read '%s'", path);
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap)
			return terra_err_set(e, TERRA_E_INPUT, "%s: not a terra key file", path);
	}
	*len = n;
	return 0;
}

/* One line of text: strips one final "\n" (or "\r\n"). */
static size_t chomp(const char *buf, size_t len)
{
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	return len;
}

int terra_key_load(terra_key *k, const char *sk_path, terra_err *e)
{
	char *buf = NULL;
	uint8_t *seed_sk = NULL;
	uint8_t pk[TERRA_PK_BYTES];
	struct stat st;
	size_t len;
	int fd = -1, rc = -1;

	k->sk = NULL;
	if (sodium_ready(e) < 0)
		return -1;
	/* a link could point anywhere, another user's key or a file that changes */
	fd = open(sk_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ELOOP)
			terra_err_set(e, TERRA_E_INPUT,
			              "open '%s': a symbolic link, refused: a key must be a file",
			              sk_path);
		else if (errno == ENOENT)
			terra_err_set(e, TERRA_E_NOTFOUND, "open '%s': %s", sk_path,
			              strerror(errno));
		else
			terra_err_sys(e, "open '%s'", sk_path);
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		terra_err_sys(e, "stat '%s'", sk_path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		terra_err_set(e, TERRA_E_INPUT, "%s: not a regular file", sk_path);
		goto out;
	}
	if (st.st_mode & 077) {
		terra_err_set(e, TERRA_E_INPUT, "%s: readable by group or others; run chmod 600 %s",
		              sk_path, sk_path);
		goto out;
	}
	buf = sodium_malloc(KEY_FILE_MAX);
	seed_sk = sodium_malloc(TERRA_SK_BYTES);
	k->sk = sodium_malloc(TERRA_SK_BYTES);
	if (!buf || !seed_sk || !k->sk) {
		terra_err_sys(e, "load key '%s': allocate secret memory", sk_path);
		goto out;
	}
	if (read_small(fd, sk_path, buf, KEY_FILE_MAX, &len, e) < 0)
		goto out;
	len = chomp(buf, len);
	if (len != SK_MAGIC_LEN + 2 * TERRA_SK_BYTES || memcmp(buf, SK_MAGIC, SK_MAGIC_LEN) != 0 ||
	    terra_unhex_n(buf + SK_MAGIC_LEN, 2 * TERRA_SK_BYTES, k->sk, TERRA_SK_BYTES) < 0) {
		terra_err_set(e, TERRA_E_INPUT, "%s: not a terra secret key file", sk_path);
		goto out;
	}
	/* The file holds seed then public key: both halves must agree. */
	crypto_sign_seed_keypair(pk, seed_sk, k->sk);
	if (sodium_memcmp(seed_sk, k->sk, TERRA_SK_BYTES) != 0) {
		terra_err_set(e, TERRA_E_INPUT,
		              "%s: corrupt secret key: the public half does not match the seed",
		              sk_path);
		goto out;
	}
	memcpy(k->pk, pk, sizeof pk);
	rc = 0;
out:
	if (rc < 0) {
		sodium_free(k->sk);
		k->sk = NULL;
	}
	sodium_free(seed_sk);
	sodium_free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

int terra_key_load_pub(terra_key *k, const char *pk_path, terra_err *e)
{
	char buf[KEY_FILE_MAX];
	size_t len;
	int fd, rc = -1;

	k->sk = NULL;
	fd = open(pk_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ELOOP)
			return terra_err_set(
			    e, TERRA_E_INPUT,
			    "open '%s': a symbolic link, refused: a key must be a file", pk_path);
		if (errno == ENOENT)
			return terra_err_set(e, TERRA_E_NOTFOUND, "open '%s': %s", pk_path,
			                     strerror(errno));
		return terra_err_sys(e, "open '%s'", pk_path);
	}
	if (read_small(fd, pk_path, buf, sizeof buf, &len, e) < 0)
		goto out;
	len = chomp(buf, len);
	if (terra_unhex_n(buf, len, k->pk, TERRA_PK_BYTES) < 0) {
		terra_err_set(e, TERRA_E_INPUT,
		              "%s: not a public key file (want 64 hex characters)", pk_path);
		goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

void terra_key_wipe(terra_key *k)
{
	if (!k)
		return;
	sodium_free(k->sk); /* zeroes the memory; NULL is fine */
	k->sk = NULL;
}

int terra_key_sign(const terra_key *k, const void *msg, size_t len, uint8_t sig[TERRA_SIG_BYTES],
                   terra_err *e)
{
	if (!k->sk)
		return terra_err_set(e, TERRA_E_INPUT, "sign: no secret key");
	if (sodium_ready(e) < 0)
		return -1;
	crypto_sign_detached(sig, NULL, msg, len, k->sk);
	return 0;
}

int terra_key_verify(const uint8_t pk[TERRA_PK_BYTES], const void *msg, size_t len,
                     const uint8_t sig[TERRA_SIG_BYTES])
{
	/* sodium_init takes a process-wide lock even when done: once here, not
	 * on every one of the verifier threads' signatures. */
	static atomic_int ready;

	if (!atomic_load_explicit(&ready, memory_order_acquire)) {
		if (sodium_init() < 0)
			return -1;
		atomic_store_explicit(&ready, 1, memory_order_release);
	}
	return crypto_sign_verify_detached(sig, msg, len, pk) == 0 ? 0 : -1;
}

void terra_key_id(const uint8_t pk[TERRA_PK_BYTES], char out[TERRA_KEY_ID_HEX])
{
	uint8_t h[32];

	crypto_generichash(h, sizeof h, pk, TERRA_PK_BYTES, NULL, 0);
	terra_hex(h, 8, out);
}
