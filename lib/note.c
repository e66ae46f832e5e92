/* Signed notes, checkpoints and cosignatures (C2SP); see note.h. */
#include "note.h"

#include "canon.h"
#include "hex.h"
#include "sha256.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char em_dash[] = "\xe2\x80\x94"; /* U+2014, starts every signature line */
static const char cosig_header[] = "cosignature/v1\ntime ";

int terra_b64_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *n)
{
	char again[TERRA_NOTE_LINE_MAX];

	if (len == 0 || len >= sizeof again ||
	    sodium_base642bin(out, cap, s, len, NULL, n, NULL, sodium_base64_VARIANT_ORIGINAL))
		return -1;
	/* libsodium ignores the unused low bits of the last character: a
	 * second spelling of the same bytes would pass a mutation unseen. */
	sodium_bin2base64(again, sizeof again, out, *n, sodium_base64_VARIANT_ORIGINAL);
	return strlen(again) == len && !memcmp(again, s, len) ? 0 : -1;
}

void terra_b64_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
	sodium_bin2base64(out, cap, in, n, sodium_base64_VARIANT_ORIGINAL);
}

/* Key names: non-empty, no Unicode space (ASCII ones and U+0085, U+00A0,
 * U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000), no '+'. */
static int name_ok(const char *name, size_t len)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t i = 0, n;
	uint32_t cp;

	if (len == 0 || len >= TERRA_NOTE_NAME_MAX)
		return 0;
	while (i < len) {
		if (p[i] < 0x80) {
			if (p[i] <= 0x20 || p[i] == '+' || p[i] == 0x7f)
				return 0;
			i++;
			continue;
		}
		n = terra_utf8_len(p + i, len - i);
		if (!n)
			return 0;
		cp = p[i] & (0x7fu >> n);
		for (size_t k = 1; k < n; k++)
			cp = cp << 6 | (p[i + k] & 0x3fu);
		if (cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
		    cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000)
			return 0;
		i += n;
	}
	return 1;
}

static uint32_t key_id(const char *name, uint8_t type, const uint8_t pk[TERRA_PK_BYTES])
{
	crypto_hash_sha256_state st;
	uint8_t h[TERRA_HASH_BYTES], sep[2] = {'\n', type};

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
	crypto_hash_sha256_update(&st, sep, 2);
	crypto_hash_sha256_update(&st, pk, TERRA_PK_BYTES);
	crypto_hash_sha256_final(&st, h);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

int terra_note_key_init(terra_note_key *k, const char *name, uint8_t type,
                        const uint8_t pk[TERRA_PK_BYTES], terra_err *e)
{
	if (!name_ok(name, strlen(name)))
		return terra_err_set(e, TERRA_E_INPUT,
		                     "note key name '%s': empty, too long, or with a space or '+'",
		                     name);
	if (type != TERRA_NOTE_ED25519 && type != TERRA_NOTE_COSIGNATURE)
		return terra_err_set(e, TERRA_E_INPUT, "note key '%s': unknown type 0x%02x", name,
		                     type);
	memset(k, 0, sizeof *k);
	memcpy(k->name, name, strlen(name) + 1);
	k->type = type;
	memcpy(k->pk, pk, TERRA_PK_BYTES);
	k->id = key_id(name, type, pk);
	return 0;
}

void terra_note_vkey(const terra_note_key *k, char out[TERRA_NOTE_VKEY_MAX])
{
	uint8_t raw[33];
	char b64[sodium_base64_ENCODED_LEN(33, sodium_base64_VARIANT_ORIGINAL)];

	raw[0] = k->type;
	memcpy(raw + 1, k->pk, TERRA_PK_BYTES);
	terra_b64_encode(raw, sizeof raw, b64, sizeof b64);
	snprintf(out, TERRA_NOTE_VKEY_MAX, "%s+%08" PRIx32 "+%s", k->name, k->id, b64);
}

int terra_note_vkey_parse(const char *s, terra_note_key *k, terra_err *e)
{
	const char *plus1, *plus2;
	size_t len = strlen(s), n;
	char name[TERRA_NOTE_NAME_MAX], idhex[9];
	uint8_t raw[64];
	uint32_t id;

	if (len && s[len - 1] == '\n')
		len--;
	plus1 = memchr(s, '+', len);
	plus2 = plus1 ? memchr(plus1 + 1, '+', len - (size_t)(plus1 + 1 - s)) : NULL;
	if (!plus2 || (size_t)(plus1 - s) >= sizeof name || plus2 - plus1 != 9)
		return terra_err_set(e, TERRA_E_INPUT, "verifier key: not name+id+key");
	memcpy(name, s, (size_t)(plus1 - s));
	name[plus1 - s] = '\0';
	memcpy(idhex, plus1 + 1, 8);
	idhex[8] = '\0';
	if (!terra_hex_is_lower(idhex, 8))
		return terra_err_set(e, TERRA_E_INPUT, "verifier key: bad key id '%s'", idhex);
	id = (uint32_t)strtoul(idhex, NULL, 16);
	if (terra_b64_decode(plus2 + 1, len - (size_t)(plus2 + 1 - s), raw, sizeof raw, &n) ||
	    n != 33)
		return terra_err_set(e, TERRA_E_INPUT, "verifier key: bad public key");
	if (terra_note_key_init(k, name, raw[0], raw + 1, e))
		return terra_err_wrap(e, "verifier key");
	if (k->id != id)
		return terra_err_set(e, TERRA_E_INPUT,
		                     "verifier key: id %s is not the one of its name and key",
		                     idhex);
	return 0;
}

/* The bytes a key signs: the text, or for a cosignature its two header lines then the text. */
static int signed_message(const terra_note_key *k, const char *text, size_t len, uint64_t timestamp,
                          unsigned char **msg, size_t *mlen, terra_err *e)
{
	char head[64];
	int h = 0;

	if (k->type == TERRA_NOTE_COSIGNATURE) {
		if (timestamp > INT64_MAX)
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "cosignature: timestamp out of range");
		h = snprintf(head, sizeof head, "%s%" PRIu64 "\n", cosig_header, timestamp);
	}
	*msg = malloc((size_t)h + len + 1);
	if (!*msg)
		return terra_err_sys(e, "note");
	memcpy(*msg, head, (size_t)h);
	memcpy(*msg + h, text, len);
	*mlen = (size_t)h + len;
	return 0;
}

/* The text alone: UTF-8, no control character but newline, ends in a newline. */
static int text_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	if (len == 0 || p[len - 1] != '\n')
		return 0;
	while (i < len) {
		if (p[i] < 0x80) {
			if (p[i] < 0x20 && p[i] != '\n')
				return 0;
			i++;
			continue;
		}
		n = terra_utf8_len(p + i, len - i);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

int terra_note_sign(const char *text, size_t len, const terra_note_key *k, const uint8_t *sk,
                    uint64_t timestamp, char line[TERRA_NOTE_LINE_MAX], terra_err *e)
{
	uint8_t sig[4 + 8 + 64];
	char b64[sodium_base64_ENCODED_LEN(sizeof sig, sodium_base64_VARIANT_ORIGINAL)];
	unsigned char *msg;
	size_t mlen, at = 4;

	if (!text_ok(text, len) || len > TERRA_NOTE_MAX)
		return terra_err_set(e, TERRA_E_INPUT, "note: the text is not a note text");
	if (signed_message(k, text, len, timestamp, &msg, &mlen, e))
		return -1;
	for (int i = 0; i < 4; i++)
		sig[i] = (uint8_t)(k->id >> (24 - 8 * i));
	if (k->type == TERRA_NOTE_COSIGNATURE)
		for (int i = 0; i < 8; i++)
			sig[at++] = (uint8_t)(timestamp >> (56 - 8 * i));
	crypto_sign_detached(sig + at, NULL, msg, mlen, sk);
	free(msg);
	terra_b64_encode(sig, at + 64, b64, sizeof b64);
	snprintf(line, TERRA_NOTE_LINE_MAX, "%s %s %s\n", em_dash, k->name, b64);
	return 0;
}

/* A signature s[0..len) (key id first) by k, if k's name and id are the ones of the line. */
static int check_key(const char *text, size_t tlen, const terra_note_key *k, const uint8_t *raw,
                     size_t rawn, uint64_t *t, terra_err *e)
{
	unsigned char *msg;
	size_t mlen, at = 4;
	int ok;

	*t = 0;
	if (rawn != (k->type == TERRA_NOTE_COSIGNATURE ? 4 + 8 + 64 : 4 + 64))
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "note: signature of '%s' has the wrong size", k->name);
	if (k->type == TERRA_NOTE_COSIGNATURE)
		while (at < 12)
			*t = *t << 8 | raw[at++];
	if (signed_message(k, text, tlen, *t, &msg, &mlen, e))
		return -1;
	ok = !crypto_sign_verify_detached(raw + at, msg, mlen, k->pk);
	free(msg);
	if (!ok)
		return terra_err_set(e, TERRA_E_VERIFY, "note: signature of '%s' does not verify",
		                     k->name);
	return 0;
}

/* One signature line s[0..len) (newline excluded) against keys. */
static int check_sig(const char *text, size_t tlen, const char *s, size_t len,
                     const terra_note_key *keys, size_t nkeys, terra_note *n, terra_err *e)
{
	const char *name = s + sizeof em_dash, *sp;
	size_t nlen, blen, rawn;
	uint8_t *raw = NULL;
	uint32_t id;
	int rc = -1;

	if (len < sizeof em_dash + 2 || memcmp(s, em_dash, sizeof em_dash - 1) ||
	    s[sizeof em_dash - 1] != ' ')
		return terra_err_set(e, TERRA_E_VERIFY,
		                     "note: a signature line must start with '— '");
	sp = memchr(name, ' ', len - (size_t)(name - s));
	if (!sp || !name_ok(name, (size_t)(sp - name)))
		return terra_err_set(e, TERRA_E_VERIFY, "note: bad key name in a signature line");
	nlen = (size_t)(sp - name);
	/* Unknown algorithms' signatures may be long: decode what the line holds. */
	blen = len - (size_t)(sp + 1 - s);
	raw = malloc(blen);
	if (!raw)
		return terra_err_sys(e, "note");
	if (terra_b64_decode(sp + 1, blen, raw, blen, &rawn) || rawn < 5) {
		terra_err_set(e, TERRA_E_VERIFY, "note: bad signature encoding");
		goto out;
	}
	id = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
	for (size_t i = 0; i < nkeys; i++) {
		if (keys[i].id != id || strlen(keys[i].name) != nlen ||
		    memcmp(keys[i].name, name, nlen))
			continue;
		if (check_key(text, tlen, &keys[i], raw, rawn, &n->times[i], e))
			goto out;
		n->verified |= (uint64_t)1 << i;
	}
	rc = 0;
out:
	free(raw);
	return rc;
}

int terra_note_open(const char *msg, size_t len, const terra_note_key *keys, size_t nkeys,
                    terra_note *n, terra_err *e)
{
	size_t i, start;

	memset(n, 0, sizeof *n);
	if (nkeys > 64)
		return terra_err_set(e, TERRA_E_INPUT, "note: more than 64 keys");
	if (len > TERRA_NOTE_MAX)
		return terra_err_set(e, TERRA_E_VERIFY, "note: longer than %d bytes",
		                     TERRA_NOTE_MAX);
	if (!text_ok(msg, len))
		return terra_err_set(
		    e, TERRA_E_VERIFY,
		    "note: not UTF-8 text ending in a newline, or a control character");
	/* The text ends at the last blank line: the signatures follow it. */
	for (i = len - 1; i > 0; i--)
		if (msg[i - 1] == '\n' && msg[i] == '\n')
			break;
	if (i == 0 || i + 1 >= len)
		return terra_err_set(e, TERRA_E_VERIFY, "note: no blank line before signatures");
	n->text_len = i;
	n->sigs_at = i + 1;
	for (start = n->sigs_at; start < len;) {
		const char *nl = memchr(msg + start, '\n', len - start);
		size_t l = (size_t)(nl - (msg + start));

		if (++n->nsigs > TERRA_NOTE_MAX_SIGS)
			return terra_err_set(e, TERRA_E_VERIFY, "note: more than %d signatures",
			                     TERRA_NOTE_MAX_SIGS);
		if (check_sig(msg, n->text_len, msg + start, l, keys, nkeys, n, e))
			return -1;
		start += l + 1;
	}
	if (!n->verified)
		return terra_err_set(e, TERRA_E_VERIFY, "note: no signature from a known key");
	return 0;
}

int terra_checkpoint_text(const terra_checkpoint *c, char *out, size_t cap, size_t *len,
                          terra_err *e)
{
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	int n;

	if (!name_ok(c->origin, strlen(c->origin)))
		return terra_err_set(e, TERRA_E_INPUT, "checkpoint: bad origin '%s'", c->origin);
	terra_b64_encode(c->root, 32, b64, sizeof b64);
	n = snprintf(out, cap, "%s\n%" PRIu64 "\n%s\n", c->origin, c->size, b64);
	if (n < 0 || (size_t)n >= cap)
		return terra_err_set(e, TERRA_E_INPUT, "checkpoint: too long");
	*len = (size_t)n;
	return 0;
}

int terra_checkpoint_parse(const char *text, size_t len, terra_checkpoint *c, terra_err *e)
{
	const char *line[3], *end = text + len, *p = text;
	size_t llen[3], n;
	uint64_t size = 0;

	memset(c, 0, sizeof *c);
	for (int i = 0; i < 3; i++) {
		const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		if (!nl || nl == p)
			return terra_err_set(e, TERRA_E_VERIFY,
			                     "checkpoint: needs origin, size and root lines");
		line[i] = p;
		llen[i] = (size_t)(nl - p);
		p = nl + 1;
	}
	for (const char *q = p; q < end;) { /* extension lines: non-empty */
		const char *nl = memchr(q, '\n', (size_t)(end - q));
		if (!nl || nl == q)
			return terra_err_set(e, TERRA_E_VERIFY, "checkpoint: empty extension line");
		q = nl + 1;
	}
	if (llen[0] >= sizeof c->origin)
		return terra_err_set(e, TERRA_E_VERIFY, "checkpoint: origin too long");
	memcpy(c->origin, line[0], llen[0]);
	if (llen[1] > 20 || (llen[1] > 1 && line[1][0] == '0'))
		return terra_err_set(e, TERRA_E_VERIFY, "checkpoint: bad tree size");
	for (size_t i = 0; i < llen[1]; i++) {
		unsigned d = (unsigned char)line[1][i] - '0';
		if (d > 9 || size > (UINT64_MAX - d) / 10)
			return terra_err_set(e, TERRA_E_VERIFY, "checkpoint: bad tree size");
		size = size * 10 + d;
	}
	if (size > INT64_MAX)
		return terra_err_set(e, TERRA_E_VERIFY, "checkpoint: tree size out of range");
	c->size = size;
	if (terra_b64_decode(line[2], llen[2], c->root, sizeof c->root, &n) || n != 32)
		return terra_err_set(e, TERRA_E_VERIFY, "checkpoint: bad root hash");
	return 0;
}
