/* Unit tests for lib/key: generate, save, load, file modes, sign, hex. */
#include "lib/key.h"

#include "fixture.h"
#include "tap.h"

#include <dirent.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int mode_of(const char *p)
{
	struct stat st;

	return stat(p, &st) < 0 ? -1 : (int)(st.st_mode & 07777);
}

static void spew(const char *p, const char *text, int mode)
{
	FILE *f;

	unlink(p);
	f = fopen(p, "wb");
	fputs(text, f);
	fclose(f);
	chmod(p, (mode_t)mode);
}

static void test_hex(void)
{
	const uint8_t in[4] = {0x00, 0xab, 0x7f, 0xff};
	uint8_t out[4];
	char hex[9];
	terra_err e = {0};

	terra_hex(in, 4, hex);
	is_str(hex, "00ab7fff", "terra_hex is lowercase");
	ok(terra_unhex("00ab7fff", out, 4, &e) == 0 && !memcmp(in, out, 4), "unhex round trip");
	ok(terra_unhex("00AB7FFF", out, 4, &e) == 0 && !memcmp(in, out, 4),
	   "unhex takes uppercase");
	ok(terra_unhex("00ab7ff", out, 4, &e) < 0, "unhex refuses an odd length");
	ok(terra_unhex("00ab7fff00", out, 4, &e) < 0, "unhex refuses too many digits");
	ok(terra_unhex("00ab7fgf", out, 4, &e) < 0, "unhex refuses a non-hex digit");
	is_int(e.kind, TERRA_E_INPUT, "bad hex is an input error");
	ok(terra_unhex(" 0ab7fff", out, 4, &e) < 0, "unhex refuses a space");
	ok(terra_unhex("00ab7ff:", out, 4, &e) < 0, "unhex refuses a colon (no separators)");
	ok(terra_unhex("00ab7f\0f", out, 4, &e) < 0, "unhex stops at a NUL: too short");
	ok(terra_unhex_n("00ab7fffzz", 8, out, 4) == 0 && !memcmp(in, out, 4),
	   "unhex_n reads just its length");
	ok(terra_unhex_n("00ab7fff", 6, out, 4) < 0, "unhex_n refuses a length not 2n");
	ok(terra_hex_is_lower("0123456789abcdef", 16), "lowercase digits are written hex");
	ok(!terra_hex_is_lower("00AB", 4) && !terra_hex_is_lower("0g", 2) &&
	       !terra_hex_is_lower("0/", 2) && !terra_hex_is_lower("0:", 2) &&
	       !terra_hex_is_lower("0`", 2),
	   "uppercase and the bytes around the digit ranges are not");
	ok(terra_hex_is_lower("zz", 0), "the empty string is");
}

static void test_save_load(void)
{
	terra_key k = {{0}, NULL}, k2 = {{0}, NULL}, l = {{0}, NULL};
	terra_err e = {0};
	char buf[1024], before[1024], hex[TERRA_PK_HEX];
	size_t n;

	ok(terra_key_generate(&k, &e) == 0 && k.sk, "generate a key");
	ok(terra_key_generate(&k2, &e) == 0 && memcmp(k.pk, k2.pk, 32), "two keys differ");

	ok(terra_key_save(&k, fixture_path("owner.key"), fixture_path("owner.pub"), 0, &e) == 0,
	   "save a key");
	is_int(mode_of(fixture_path("owner.key")), 0600, "secret key file is 0600");
	is_int(mode_of(fixture_path("owner.pub")), 0644, "public key file is 0644");
	n = fixture_read(fixture_path("owner.key"), buf, sizeof buf);
	is_int(n, 20 + 128 + 1, "secret file is one line of magic and 128 hex");
	ok(!strncmp(buf, "terra-secret-key-v1 ", 20), "secret file starts with its magic");
	terra_hex(k.pk, 32, hex);
	ok(!strncmp(buf + 20 + 64, hex, 64), "secret file ends with the public key");
	n = fixture_read(fixture_path("owner.pub"), buf, sizeof buf);
	ok(n == 65 && !strncmp(buf, hex, 64) && buf[64] == '\n', "public file is 64 hex and \\n");

	fixture_read(fixture_path("owner.key"), before, sizeof before);
	ok(terra_key_save(&k2, fixture_path("owner.key"), fixture_path("owner.pub"), 0, &e) < 0,
	   "saving over an existing key is refused without force");
	is_int(e.kind, TERRA_E_EXISTS, "... as 'exists'");
	like(e.msg, "owner.key", "... naming the file");
	fixture_read(fixture_path("owner.key"), buf, sizeof buf);
	is_str(buf, before, "... and the old key is untouched");

	ok(terra_key_load(&l, fixture_path("owner.key"), &e) == 0, "load the key");
	ok(!memcmp(l.pk, k.pk, 32) && l.sk && !memcmp(l.sk, k.sk, 64),
	   "loaded key is the saved one");
	terra_key_wipe(&l);
	ok(l.sk == NULL, "wipe clears the secret pointer");
	terra_key_wipe(&l);
	ok(1, "wipe twice is safe");

	ok(terra_key_save(&k2, fixture_path("owner.key"), fixture_path("owner.pub"), 1, &e) == 0,
	   "force overwrites a key");
	is_int(mode_of(fixture_path("owner.key")), 0600, "overwritten secret is still 0600");
	is_int(fixture_entries(fixture_dir()), 2, "no temporary file is left behind");
	ok(terra_key_load(&l, fixture_path("owner.key"), &e) == 0 && !memcmp(l.pk, k2.pk, 32),
	   "the new key is loaded after force");
	terra_key_wipe(&l);
	ok(terra_key_load_pub(&l, fixture_path("owner.pub"), &e) == 0 && !memcmp(l.pk, k2.pk, 32) &&
	       !l.sk,
	   "public file holds the new public key");

	/* pk file exists but not the secret: no half key left behind */
	ok(terra_key_save(&k, fixture_path("other.key"), fixture_path("owner.pub"), 0, &e) < 0,
	   "save fails when the public file exists");
	ok(access(fixture_path("other.key"), F_OK) < 0, "... and leaves no secret file");

	ok(terra_key_save(&k, fixture_path("nodir/x.key"), NULL, 0, &e) < 0,
	   "save into a missing dir fails");
	is_int(e.kind, TERRA_E_SYS, "... as a system error");

	terra_key_wipe(&k);
	terra_key_wipe(&k2);
	ok(terra_key_save(&k, fixture_path("none.key"), NULL, 0, &e) < 0,
	   "save without a secret fails");
}

static void test_refusals(void)
{
	terra_key k = {{0}, NULL}, l = {{0}, NULL};
	terra_err e = {0};
	char buf[1024], good[1024];
	const char *p = fixture_path("t.key");

	terra_key_generate(&k, &e);
	terra_key_save(&k, p, NULL, 0, &e);
	fixture_read(p, good, sizeof good);

	chmod(p, 0640);
	ok(terra_key_load(&l, p, &e) < 0 && !l.sk, "group-readable secret is refused");
	like(e.msg, "readable by group or others", "... saying why");
	like(e.msg, "chmod 600", "... and what to do");
	chmod(p, 0604);
	ok(terra_key_load(&l, p, &e) < 0, "other-readable secret is refused");
	chmod(p, 0620);
	ok(terra_key_load(&l, p, &e) < 0, "group-writable secret is refused");
	chmod(p, 0600);
	ok(terra_key_load(&l, p, &e) == 0, "0600 again is accepted");
	terra_key_wipe(&l);
	chmod(p, 0400);
	ok(terra_key_load(&l, p, &e) == 0, "0400 is accepted");
	terra_key_wipe(&l);

	/* one hex digit of the public half changed */
	strcpy(buf, good);
	buf[20 + 64 + 5] = buf[20 + 64 + 5] == '0' ? '1' : '0';
	spew(p, buf, 0600);
	ok(terra_key_load(&l, p, &e) < 0 && !l.sk, "a public half that does not match is refused");
	like(e.msg, "does not match", "... saying so");
	/* one hex digit of the seed changed */
	strcpy(buf, good);
	buf[20 + 3] = buf[20 + 3] == '0' ? '1' : '0';
	spew(p, buf, 0600);
	ok(terra_key_load(&l, p, &e) < 0, "a changed seed is refused");

	strcpy(buf, good);
	buf[0] = 'x';
	spew(p, buf, 0600);
	ok(terra_key_load(&l, p, &e) < 0, "bad magic is refused");
	like(e.msg, "not a terra secret key file", "... as not a key file");
	strcpy(buf, good);
	buf[100] = '\0';
	spew(p, buf, 0600);
	ok(terra_key_load(&l, p, &e) < 0, "a truncated key is refused");
	strcpy(buf, good);
	buf[40] = 'g';
	spew(p, buf, 0600);
	ok(terra_key_load(&l, p, &e) < 0, "a non-hex digit is refused");
	spew(p, "", 0600);
	ok(terra_key_load(&l, p, &e) < 0, "an empty file is refused");
	strcpy(buf, good);
	strcat(buf, "extra\n");
	spew(p, buf, 0600);
	ok(terra_key_load(&l, p, &e) < 0, "trailing garbage is refused");
	ok(terra_key_load(&l, fixture_path("missing.key"), &e) < 0, "a missing file fails");
	is_int(e.kind, TERRA_E_NOTFOUND, "... as not found");
	ok(terra_key_load(&l, fixture_dir(), &e) < 0, "a directory is refused");

	spew(fixture_path("bad.pub"), "abcd\n", 0644);
	ok(terra_key_load_pub(&l, fixture_path("bad.pub"), &e) < 0,
	   "a short public key file is refused");
	terra_key_wipe(&k);
}

static void test_sign(void)
{
	terra_key k = {{0}, NULL}, o = {{0}, NULL}, pub = {{0}, NULL};
	terra_err e = {0};
	uint8_t sig[TERRA_SIG_BYTES];
	char msg[] = "hello terra";

	terra_key_generate(&k, &e);
	terra_key_generate(&o, &e);
	ok(terra_key_sign(&k, msg, strlen(msg), sig, &e) == 0, "sign a message");
	ok(terra_key_verify(k.pk, msg, strlen(msg), sig) == 0, "it verifies");
	ok(terra_key_verify(o.pk, msg, strlen(msg), sig) < 0, "not under another key");
	msg[0] = 'H';
	ok(terra_key_verify(k.pk, msg, strlen(msg), sig) < 0, "not for a changed message");
	msg[0] = 'h';
	sig[10] ^= 1;
	ok(terra_key_verify(k.pk, msg, strlen(msg), sig) < 0, "not with a changed signature");
	memcpy(pub.pk, k.pk, 32);
	ok(terra_key_sign(&pub, msg, strlen(msg), sig, &e) < 0, "a public key cannot sign");
	terra_key_wipe(&pub);
	terra_key_wipe(&k);
	terra_key_wipe(&o);
}

/* Expected value from Python: hashlib.blake2b(bytes(range(1, 33)), digest_size=32). */
static void test_key_id(void)
{
	uint8_t pk[TERRA_PK_BYTES];
	char id[TERRA_KEY_ID_HEX];

	for (int i = 0; i < TERRA_PK_BYTES; i++)
		pk[i] = (uint8_t)(i + 1);
	terra_key_id(pk, id);
	is_str(id, "441edc56cebc8e28", "key id is the first 8 bytes of BLAKE2b-256 of the key");
}

/* The fast coder for public data agrees with the constant-time one on every
 * byte pair of lowercase hex, and refuses what is not lowercase hex. */
static void test_unhex_lower(void)
{
	int agree = 1, refuse = 1;
	uint8_t a, b;
	char pair[3] = {0};

	for (int x = 0; x < 256; x++)
		for (int y = 0; y < 256; y++) {
			int lower = ((x >= '0' && x <= '9') || (x >= 'a' && x <= 'f')) &&
			            ((y >= '0' && y <= '9') || (y >= 'a' && y <= 'f'));

			pair[0] = (char)x;
			pair[1] = (char)y;
			if (lower)
				agree &= terra_unhex_lower(pair, 2, &a, 1) == 0 &&
				         terra_unhex_n(pair, 2, &b, 1) == 0 && a == b;
			else
				refuse &= terra_unhex_lower(pair, 2, &a, 1) < 0;
		}
	ok(agree, "unhex_lower decodes every lowercase pair as the constant-time coder does");
	ok(refuse,
	   "unhex_lower refuses every other pair (uppercase, NUL, neighbours of the ranges)");
	ok(terra_unhex_lower("00ab7fff", 7, &a, 4) < 0 &&
	       terra_unhex_lower("00ab7fff", 8, &a, 3) < 0,
	   "unhex_lower refuses a length not 2n");
}

int main(void)
{
	umask(022);
	if (sodium_init() < 0)
		return 1;
	fixture_tmpdir("key");
	test_hex();
	test_unhex_lower();
	test_key_id();
	test_save_load();
	test_refusals();
	test_sign();
	return done_testing();
}
