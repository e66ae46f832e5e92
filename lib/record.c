#include "record.h"

#include "buf.h"
#include "hex.h"

#include "money.h"
#include "time.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

struct terra_reader {
	FILE *f;
	int own; /* close f at the end (not stdin) */
	char *name;
	char *chunk; /* read buffer */
	size_t chunk_len, chunk_pos;
	int eof;
	char *line; /* the current line, NUL-terminated, at most TERRA_LINE_MAX + 1 bytes */
	size_t len, cap;
	int too_long;
	int in_line; /* a line is begun: its bytes so far are in line */
	long lineno;
	int cancel_fd; /* a wait for input ends when it is readable; -1: none */
};

/* ---- the reader ------------------------------------------------------- */

int terra_reader_open(terra_reader **rp, const char *path, terra_err *e)
{
	terra_reader *r;

	*rp = NULL;
	r = calloc(1, sizeof *r);
	if (!r)
		return terra_err_sys(e, "open '%s'", path ? path : "<stdin>");
	r->cancel_fd = -1;
	if (!path || !strcmp(path, "-")) {
		r->f = stdin;
		r->name = strdup("<stdin>");
	} else {
		r->f = fopen(path, "rb");
		r->own = 1;
		if (!r->f) {
			terra_err_sys(e, "open '%s'", path);
			if (errno == ENOENT)
				e->kind = TERRA_E_NOTFOUND;
			free(r);
			return -1;
		}
		r->name = strdup(path);
	}
	r->chunk = malloc(CHUNK);
	if (!r->name || !r->chunk) {
		terra_err_sys(e, "open '%s'", path ? path : "<stdin>");
		terra_reader_close(r);
		return -1;
	}
	*rp = r;
	return 0;
}

void terra_reader_close(terra_reader *r)
{
	if (!r)
		return;
	if (r->own && r->f)
		fclose(r->f);
	free(r->line);
	free(r->chunk);
	free(r->name);
	free(r);
}

void terra_reader_cancel_fd(terra_reader *r, int fd)
{
	r->cancel_fd = fd;
}

const char *terra_reader_name(const terra_reader *r)
{
	return r->name;
}

long terra_reader_lineno(const terra_reader *r)
{
	return r->lineno;
}

const char *terra_reader_line(const terra_reader *r, size_t *len)
{
	if (len)
		*len = r->len;
	return r->line ? r->line : "";
}

int terra_reader_truncated(const terra_reader *r)
{
	return r->too_long;
}

/*
 * 1 when the chunk holds bytes, 0 at end of input, -1 on a read error.
 * read(2), not fread: a pipe's lines are taken as they come, not once
 * 64 KiB have arrived.
 */
static int fill(terra_reader *r)
{
	ssize_t n;

	if (r->chunk_pos < r->chunk_len)
		return 1;
	if (r->eof)
		return 0;
	if (r->cancel_fd >= 0) {
		struct pollfd p[2] = {{.fd = fileno(r->f), .events = POLLIN},
		                      {.fd = r->cancel_fd, .events = POLLIN}};

		while (poll(p, 2, -1) < 0)
			if (errno != EINTR)
				return -1;
		if (p[1].revents) {
			errno = ECANCELED;
			return -1;
		}
	}
	n = read(fileno(r->f), r->chunk, CHUNK);
	if (n < 0)
		return -1;
	if (n == 0) {
		r->eof = 1;
		return 0;
	}
	r->chunk_len = (size_t)n;
	r->chunk_pos = 0;
	return 1;
}

static int append(terra_reader *r, const char *p, size_t n)
{
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *line;

		while (cap < r->len + n + 1)
			cap *= 2;
		line = realloc(r->line, cap);
		if (!line)
			return -1;
		r->line = line;
		r->cap = cap;
	}
	memcpy(r->line + r->len, p, n);
	r->len += n;
	r->line[r->len] = '\0';
	return 0;
}

/*
 * Reads one line (without '\n', and without a '\r' before it) into r->line.
 * A line over the limit is read to its end but only its start is kept,
 * and r->too_long is set. 1: a line, 0: end of input, -2: error. After an
 * error (a signal interrupting the read) the next call goes on with the
 * same line.
 */
static int read_line(terra_reader *r, terra_err *e)
{
	if (!r->in_line) {
		r->len = 0;
		r->too_long = 0;
		if (r->line)
			r->line[0] = '\0';
	}
	for (;;) {
		const char *p, *nl;
		size_t n, take;
		int rc = fill(r);

		if (rc < 0) {
			terra_err_sys(e, "read '%s'", r->name);
			return -2;
		}
		if (rc == 0)
			break;
		r->in_line = 1;
		p = r->chunk + r->chunk_pos;
		n = r->chunk_len - r->chunk_pos;
		nl = memchr(p, '\n', n);
		take = nl ? (size_t)(nl - p) : n;
		r->chunk_pos += take + (nl ? 1 : 0);
		if (!r->too_long) {
			/* Room for the limit plus a '\r' that may end the line. */
			size_t room = TERRA_LINE_MAX + 1 - r->len;

			if (take > room) {
				take = room;
				r->too_long = 1;
			}
			if (append(r, p, take) < 0) {
				terra_err_sys(e, "read '%s'", r->name);
				return -2;
			}
		}
		if (nl)
			break;
	}
	if (!r->in_line)
		return 0;
	r->in_line = 0;
	if (!r->too_long && r->len > 0 && r->line[r->len - 1] == '\r')
		r->line[--r->len] = '\0';
	if (r->len > TERRA_LINE_MAX)
		r->too_long = 1;
	return 1;
}

static int blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

int terra_reader_next(terra_reader *r, json_t **rec, terra_err *e)
{
	*rec = NULL;
	for (;;) {
		int rc = read_line(r, e);

		if (rc <= 0)
			return rc;
		r->lineno++;
		if (r->too_long)
			return terra_err_set(e, TERRA_E_INPUT, "%s:%ld: line longer than 1 MiB",
			                     r->name, r->lineno);
		if (blank(r->line, r->len))
			continue;
		if (terra_record_parse(r->line, r->len, rec, e) < 0)
			return terra_err_wrap(e, "%s:%ld", r->name, r->lineno);
		return 1;
	}
}

int terra_reader_next_line(terra_reader *r, terra_err *e)
{
	for (;;) {
		int rc = read_line(r, e);

		if (rc <= 0)
			return rc;
		r->lineno++;
		if (r->too_long || !blank(r->line, r->len))
			return 1;
	}
}

int terra_reader_reject(const terra_reader *r, terra_err *e, const char *type, const char *why)
{
	char copy[TERRA_ERR_MAX];

	/* `why` may well be e->msg itself. */
	snprintf(copy, sizeof copy, "%s", why);
	if (type && !*type)
		type = NULL;
	return terra_err_set(e, TERRA_E_INPUT, "%s:%ld: %s%srecord: %s", r->name, r->lineno,
	                     type ? type : "", type ? " " : "", copy);
}

/* ---- parsing ---------------------------------------------------------- */

/* Nesting depth of the JSON text, counted before jansson builds anything. */
static int too_deep(const char *s, size_t n)
{
	int depth = 0, in_str = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > TERRA_DEPTH_MAX)
				return 1;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return 0;
}

/* Jansson quotes the input near an error: keep the message printable. */
static void printable(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; *in && o + 5 < cap; in++) {
		unsigned char c = (unsigned char)*in;

		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

static int has_real(const json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_real(v))
		return 1;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, item)
		{
			if (has_real(item))
				return 1;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
		{
			if (has_real(item))
				return 1;
		}
	}
	return 0;
}

int terra_record_parse(const char *text, size_t len, json_t **rec, terra_err *e)
{
	json_error_t jerr;
	json_t *j = NULL, *v;
	const char *nul;
	char why[sizeof jerr.text * 4 + 1], type[48];

	*rec = NULL;
	if (len > TERRA_LINE_MAX)
		return terra_err_set(e, TERRA_E_INPUT, "line longer than 1 MiB");
	nul = memchr(text, '\0', len);
	if (nul)
		return terra_err_set(e, TERRA_E_INPUT, "malformed JSON at column %zu: NUL byte",
		                     (size_t)(nul - text) + 1);
	if (too_deep(text, len))
		return terra_err_set(e, TERRA_E_INPUT, "record: nested deeper than %d levels",
		                     TERRA_DEPTH_MAX);
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		printable(jerr.text, why, sizeof why);
		return terra_err_set(e, TERRA_E_INPUT, "malformed JSON at column %d: %s",
		                     jerr.column > 0 ? jerr.column : 1, why);
	}
	if (!json_is_object(j)) {
		terra_err_set(e, TERRA_E_INPUT, "record: not a JSON object");
		goto bad;
	}
	v = json_object_get(j, "type");
	if (!v) {
		terra_err_set(e, TERRA_E_INPUT, "record: missing field 'type'");
		goto bad;
	}
	if (!json_is_string(v) || json_string_length(v) == 0) {
		terra_err_set(e, TERRA_E_INPUT, "record: field 'type' must be a non-empty string");
		goto bad;
	}
	/* The type goes into messages: no terminal escapes, no endless text. */
	printable(json_string_value(v), type, 48);
	if (has_real(j)) {
		terra_err_set(e, TERRA_E_INPUT, "%s record: numbers must be integers", type);
		goto bad;
	}
	v = json_object_get(j, "v");
	if (!v) {
		terra_err_set(e, TERRA_E_INPUT, "%s record: missing field 'v'", type);
		goto bad;
	}
	if (!json_is_integer(v)) {
		terra_err_set(e, TERRA_E_INPUT, "%s record: field 'v' must be an integer", type);
		goto bad;
	}
	if (json_integer_value(v) != 1) {
		terra_err_set(e, TERRA_E_INPUT,
		              "%s record: unsupported version %" JSON_INTEGER_FORMAT
		              " (field 'v' must be 1)",
		              type, json_integer_value(v));
		goto bad;
	}
	*rec = j;
	return 0;
bad:
	json_decref(j);
	return -1;
}

/* ---- typed getters ---------------------------------------------------- */

static json_t *field(const json_t *rec, const char *name)
{
	return json_object_get(rec, name);
}

static int missing(const char *name, terra_err *e)
{
	return terra_err_set(e, TERRA_E_INPUT, "missing field '%s'", name);
}

static int mistyped(const char *name, const char *what, terra_err *e)
{
	return terra_err_set(e, TERRA_E_INPUT, "field '%s' must be %s", name, what);
}

int terra_rec_type(const json_t *rec, const char **type, terra_err *e)
{
	return terra_rec_str(rec, "type", type, e);
}

int terra_rec_str(const json_t *rec, const char *name, const char **out, terra_err *e)
{
	json_t *v = field(rec, name);

	if (!v)
		return missing(name, e);
	if (!json_is_string(v))
		return mistyped(name, "a string", e);
	*out = json_string_value(v);
	return 0;
}

int terra_rec_int(const json_t *rec, const char *name, int64_t *out, terra_err *e)
{
	json_t *v = field(rec, name);

	if (!v)
		return missing(name, e);
	if (!json_is_integer(v))
		return mistyped(name, "an integer", e);
	*out = (int64_t)json_integer_value(v);
	return 0;
}

int terra_rec_obj(const json_t *rec, const char *name, json_t **out, terra_err *e)
{
	json_t *v = field(rec, name);

	if (!v)
		return missing(name, e);
	if (!json_is_object(v))
		return mistyped(name, "an object", e);
	*out = v;
	return 0;
}

int terra_rec_arr(const json_t *rec, const char *name, json_t **out, terra_err *e)
{
	json_t *v = field(rec, name);

	if (!v)
		return missing(name, e);
	if (!json_is_array(v))
		return mistyped(name, "an array", e);
	*out = v;
	return 0;
}

int terra_rec_hex(const json_t *rec, const char *name, uint8_t *out, size_t len, terra_err *e)
{
	json_t *v = field(rec, name);
	char what[64];

	if (!v)
		return missing(name, e);
	/* a record is public: the fast coder, not the constant-time one */
	if (!json_is_string(v) ||
	    terra_unhex_lower(json_string_value(v), json_string_length(v), out, len) < 0) {
		snprintf(what, sizeof what, "%zu lowercase hex characters", 2 * len);
		return mistyped(name, what, e);
	}
	return 0;
}

int terra_rec_time(const json_t *rec, const char *name, int64_t *us, terra_err *e)
{
	const char *s;

	if (terra_rec_str(rec, name, &s, e) < 0)
		return -1;
	if (terra_time_parse(s, us, e) < 0)
		return terra_err_wrap(e, "field '%s'", name);
	return 0;
}

int terra_rec_amount(const json_t *rec, const char *name, int64_t *units, terra_err *e)
{
	const char *s;

	if (terra_rec_str(rec, name, &s, e) < 0)
		return -1;
	if (terra_money_parse(s, 1, units, e) < 0)
		return terra_err_wrap(e, "field '%s'", name);
	return 0;
}

int terra_rec_int_opt(const json_t *rec, const char *name, int64_t *out, terra_err *e)
{
	if (!field(rec, name))
		return 0;
	return terra_rec_int(rec, name, out, e);
}

int terra_rec_str_opt(const json_t *rec, const char *name, const char **out, terra_err *e)
{
	if (!field(rec, name))
		return 0;
	return terra_rec_str(rec, name, out, e);
}

/* ---- canonical form --------------------------------------------------- */

static int put_string(terra_buf *b, const char *s, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
	static const char short_form[0x20] = {
	    ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r',
	};
	size_t i, run = 0;

	if (terra_buf_put(b, "\"", 1) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = {'\\', (char)c, '0', '0', 0, 0};
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (c < 0x20 && short_form[c]) {
			esc[1] = short_form[c];
		} else if (c < 0x20) {
			esc[1] = 'u';
			esc[4] = hexd[c >> 4];
			esc[5] = hexd[c & 15];
			elen = 6;
		}
		if (terra_buf_put(b, s + run, i - run) < 0 || terra_buf_put(b, esc, elen) < 0)
			return -1;
		run = i + 1;
	}
	if (terra_buf_put(b, s + run, n - run) < 0 || terra_buf_put(b, "\"", 1) < 0)
		return -1;
	return 0;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b); /* bytewise, unsigned */
}

static int put_value(terra_buf *b, const json_t *v, int depth, int drop_sig, terra_err *e);

static int put_object(terra_buf *b, const json_t *obj, int depth, int drop_sig, terra_err *e)
{
	const char **keys = NULL;
	const char *key;
	json_t *item;
	size_t n = 0, i;
	int rc = -1, first = 1;

	keys = malloc((json_object_size(obj) + 1) * sizeof *keys);
	if (!keys) {
		terra_err_sys(e, "canonical form");
		goto out;
	}
	json_object_foreach((json_t *)obj, key, item)
	{
		if (!(drop_sig && !strcmp(key, "sig")))
			keys[n++] = key;
	}
	qsort(keys, n, sizeof *keys, cmp_keys);
	if (terra_buf_put(b, "{", 1) < 0)
		goto oom;
	for (i = 0; i < n; i++) {
		if ((!first && terra_buf_put(b, ",", 1) < 0) ||
		    put_string(b, keys[i], strlen(keys[i])) < 0 || terra_buf_put(b, ":", 1) < 0)
			goto oom;
		first = 0;
		if (put_value(b, json_object_get(obj, keys[i]), depth + 1, 0, e) < 0)
			goto out;
	}
	if (terra_buf_put(b, "}", 1) < 0)
		goto oom;
	rc = 0;
	goto out;
oom:
	terra_err_sys(e, "canonical form");
out:
	free(keys);
	return rc;
}

static int put_value(terra_buf *b, const json_t *v, int depth, int drop_sig, terra_err *e)
{
	char num[32];
	size_t i;

	if (depth > TERRA_DEPTH_MAX)
		return terra_err_set(e, TERRA_E_INPUT, "record: nested deeper than %d levels",
		                     TERRA_DEPTH_MAX);
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return put_object(b, v, depth, drop_sig, e);
	case JSON_ARRAY:
		if (terra_buf_put(b, "[", 1) < 0)
			break;
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0 && terra_buf_put(b, ",", 1) < 0)
				goto oom;
			if (put_value(b, json_array_get(v, i), depth + 1, 0, e) < 0)
				return -1;
		}
		if (terra_buf_put(b, "]", 1) < 0)
			break;
		return 0;
	case JSON_STRING:
		if (put_string(b, json_string_value(v), json_string_length(v)) < 0)
			break;
		return 0;
	case JSON_INTEGER:
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		if (terra_buf_put(b, num, strlen(num)) < 0)
			break;
		return 0;
	case JSON_REAL:
		return terra_err_set(e, TERRA_E_INPUT, "record: numbers must be integers");
	case JSON_TRUE:
		return terra_buf_put(b, "true", 4) < 0 ? terra_err_sys(e, "canonical form") : 0;
	case JSON_FALSE:
		return terra_buf_put(b, "false", 5) < 0 ? terra_err_sys(e, "canonical form") : 0;
	case JSON_NULL:
		return terra_buf_put(b, "null", 4) < 0 ? terra_err_sys(e, "canonical form") : 0;
	}
oom:
	return terra_err_sys(e, "canonical form");
}

static int serialize(const json_t *rec, int drop_sig, char **out, size_t *len, terra_err *e)
{
	terra_buf b = {NULL, 0, 0};

	*out = NULL;
	if (len)
		*len = 0;
	if (!json_is_object(rec))
		return terra_err_set(e, TERRA_E_INPUT, "record: not a JSON object");
	if (put_value(&b, rec, 1, drop_sig, e) < 0) {
		free(b.p);
		return -1;
	}
	*out = b.p;
	if (len)
		*len = b.len;
	return 0;
}

int terra_rec_canonical(const json_t *rec, char **out, size_t *len, terra_err *e)
{
	return serialize(rec, 1, out, len, e);
}

int terra_rec_dumps(const json_t *rec, char **out, size_t *len, terra_err *e)
{
	return serialize(rec, 0, out, len, e);
}

int terra_rec_write_raw(FILE *f, const char *line, size_t len, terra_err *e)
{
	if (fwrite(line, 1, len, f) != len || putc('\n', f) == EOF)
		return terra_err_sys(e, "write");
	return 0;
}

int terra_rec_write(FILE *f, const json_t *rec, terra_err *e)
{
	char *s;
	size_t len;
	int rc;

	if (terra_rec_dumps(rec, &s, &len, e) < 0)
		return -1;
	rc = terra_rec_write_raw(f, s, len, e);
	free(s);
	return rc;
}

/* ---- signatures ------------------------------------------------------- */

int terra_rec_sign(json_t *rec, const terra_key *k, terra_err *e)
{
	char pk_hex[TERRA_PK_HEX], sig_hex[TERRA_SIG_HEX];
	uint8_t sig[TERRA_SIG_BYTES];
	char *canon = NULL;
	size_t len;
	int rc = -1;

	if (!json_is_object(rec))
		return terra_err_set(e, TERRA_E_INPUT, "sign: record is not a JSON object");
	terra_hex(k->pk, TERRA_PK_BYTES, pk_hex);
	if (json_object_set_new(rec, "signer", json_string(pk_hex)) < 0) {
		terra_err_sys(e, "sign");
		goto out;
	}
	if (terra_rec_canonical(rec, &canon, &len, e) < 0 ||
	    terra_key_sign(k, canon, len, sig, e) < 0)
		goto out;
	terra_hex(sig, TERRA_SIG_BYTES, sig_hex);
	if (json_object_set_new(rec, "sig", json_string(sig_hex)) < 0) {
		terra_err_sys(e, "sign");
		goto out;
	}
	rc = 0;
out:
	free(canon);
	return rc;
}

int terra_rec_verify(const json_t *rec, const uint8_t pk[TERRA_PK_BYTES], terra_err *e)
{
	uint8_t signer[TERRA_PK_BYTES], sig[TERRA_SIG_BYTES];
	char *canon = NULL;
	size_t len;
	int rc = -1;

	if (!json_is_object(rec))
		return terra_err_set(e, TERRA_E_INPUT, "record: not a JSON object");
	/* Lowercase only: "AB" and "ab" would otherwise both verify. */
	if (terra_rec_hex(rec, "signer", signer, sizeof signer, e) < 0 ||
	    terra_rec_hex(rec, "sig", sig, sizeof sig, e) < 0)
		return -1;
	if (terra_rec_canonical(rec, &canon, &len, e) < 0)
		goto out;
	if (terra_key_verify(signer, canon, len, sig) < 0) {
		terra_err_set(e, TERRA_E_VERIFY, "bad signature");
		goto out;
	}
	if (pk && memcmp(pk, signer, sizeof signer) != 0) {
		terra_err_set(e, TERRA_E_VERIFY, "signer is not the expected key");
		goto out;
	}
	rc = 0;
out:
	free(canon);
	return rc;
}

int terra_rec_set(json_t *rec, const char *field, json_t *value, terra_err *e)
{
	if (!value || json_object_set_new(rec, field, value) < 0)
		return terra_err_set(e, TERRA_E_SYS, "record field '%s': out of memory", field);
	return 0;
}
