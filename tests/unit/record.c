/*
 * Unit tests for lib/record: the reader, typed getters, the canonical form
 * (vectors in tests/fixtures/canonical), writing, signing and verifying.
 *
 * For tests/canonical.t, which checks this code against a second Ed25519
 * implementation over a second canonical form (tests/tools/terracanon.py):
 *   TERRA_CANON_OUT=FILE     also write the vectors as signed records to FILE
 *   TERRA_CANON_KEY=FILE     save the key that signed them there
 *   TERRA_CANON_VERIFY=FILE  also verify every record of FILE (one test each)
 */
#include "lib/record.h"

#include "fixture.h"
#include "tap.h"

#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

static json_t *parse_or_die(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);

	if (!j) {
		fprintf(stderr, "bad test JSON: %s: %s\n", text, jerr.text);
		exit(1);
	}
	return j;
}

/* ---- canonical form -------------------------------------------------- */

static const char *vectors_path(char *buf, size_t cap)
{
	const char *top = getenv("TERRA_TOP");

	snprintf(buf, cap, "%s/tests/fixtures/canonical/vectors.ndjson", top ? top : ".");
	return buf;
}

static void test_vectors(FILE *signed_out, const terra_key *k)
{
	char path[1024], line[65536];
	FILE *f = fopen(vectors_path(path, sizeof path), "r");
	terra_err e = {0};
	int n = 0;

	if (!ok(f != NULL, "open the canonical vectors")) {
		printf("#   %s\n", path);
		return;
	}
	while (fgets(line, sizeof line, f)) {
		json_t *v = parse_or_die(line), *in, *rec;
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *out = json_string_value(json_object_get(v, "out"));
		const char *intext = json_string_value(json_object_get(v, "in"));
		char *canon = NULL, label[300];
		size_t len = 0;

		in = parse_or_die(intext);
		snprintf(label, sizeof label, "canonical: %s", name);
		if (!ok(terra_rec_canonical(in, &canon, &len, &e) == 0 && len == strlen(out) &&
		            !memcmp(canon, out, len),
		        label))
			printf("#   got  %s\n#   want %s\n", canon ? canon : e.msg, out);
		free(canon);
		if (signed_out) {
			rec = json_pack("{s:s, s:i, s:s, s:O}", "type", "vector", "v", 1, "name",
			                name, "data", in);
			if (terra_rec_sign(rec, k, &e) < 0 ||
			    terra_rec_write(signed_out, rec, &e) < 0)
				fprintf(stderr, "vector record: %s\n", e.msg);
			json_decref(rec);
		}
		json_decref(in);
		json_decref(v);
		n++;
	}
	fclose(f);
	ok(n >= 18, "all canonical vectors were read");
}

static void test_canonical_errors(void)
{
	terra_err e = {0};
	char *s = NULL;
	size_t len;
	json_t *j, *inner;
	int i;

	j = parse_or_die("{\"a\":[1,{\"b\":2.5}]}");
	ok(terra_rec_canonical(j, &s, &len, &e) < 0 && !s, "a real number has no canonical form");
	like(e.msg, "numbers must be integers", "... saying numbers must be integers");
	json_decref(j);

	j = parse_or_die("[1,2]");
	ok(terra_rec_canonical(j, &s, &len, &e) < 0, "an array is not a record");
	json_decref(j);

	/* 32 levels are fine, 33 are not */
	j = json_object();
	inner = j;
	for (i = 1; i < 32; i++) {
		json_t *next = json_object();

		json_object_set_new(inner, "x", next);
		inner = next;
	}
	ok(terra_rec_canonical(j, &s, &len, &e) == 0, "32 levels of nesting have a canonical form");
	free(s);
	json_object_set_new(inner, "x", json_array());
	ok(terra_rec_canonical(j, &s, &len, &e) < 0, "33 levels do not");
	like(e.msg, "nested deeper than 32", "... saying so");
	json_decref(j);

	/* a NUL inside a string built in memory is escaped, not cut short */
	j = json_object();
	json_object_set_new(j, "s", json_stringn("a\0b", 3));
	ok(terra_rec_canonical(j, &s, &len, &e) == 0 && len == 16 &&
	       !memcmp(s, "{\"s\":\"a\\u0000b\"}", len),
	   "an embedded NUL is written as \\u0000");
	free(s);
	json_decref(j);
}

static void test_write(void)
{
	terra_err e = {0};
	json_t *j =
	    parse_or_die("{\"v\":1,\"type\":\"t\",\"sig\":\"ab\",\"a\":{\"z\":1,\"sig\":2}}");
	char *s = NULL, buf[256];
	size_t len;
	FILE *f;
	const char *p;

	ok(terra_rec_dumps(j, &s, &len, &e) == 0, "dumps a record");
	is_str(s, "{\"a\":{\"sig\":2,\"z\":1},\"sig\":\"ab\",\"type\":\"t\",\"v\":1}",
	       "dumps keeps sig, in canonical key order");
	is_int(len, strlen(s), "dumps gives the length");
	free(s);
	ok(terra_rec_canonical(j, &s, NULL, &e) == 0, "canonical with a NULL length");
	is_str(s, "{\"a\":{\"sig\":2,\"z\":1},\"type\":\"t\",\"v\":1}",
	       "canonical drops only the top sig");
	free(s);

	p = fixture_write("w.ndjson", "", 0);
	f = fopen(p, "w");
	ok(terra_rec_write(f, j, &e) == 0, "write a record");
	ok(terra_rec_write_raw(f, "{\"raw\" : 1}", 11, &e) == 0, "write a raw line");
	fclose(f);
	f = fopen(p, "r");
	len = fread(buf, 1, sizeof buf - 1, f);
	buf[len] = '\0';
	fclose(f);
	is_str(buf,
	       "{\"a\":{\"sig\":2,\"z\":1},\"sig\":\"ab\",\"type\":\"t\",\"v\":1}\n{\"raw\" : 1}\n",
	       "written as single lines, the raw one unchanged");

	f = fopen("/dev/full", "w");
	if (f) {
		setvbuf(f, NULL, _IONBF, 0);
		ok(terra_rec_write(f, j, &e) < 0, "a write error is reported");
		fclose(f);
	} else {
		ok(1, "# SKIP no /dev/full");
	}
	json_decref(j);
}

/* ---- signatures ------------------------------------------------------ */

static void test_sign_verify(void)
{
	terra_key k = {{0}, NULL}, other = {{0}, NULL};
	terra_err e = {0};
	json_t *j, *copy;
	char pk_hex[TERRA_PK_HEX], *sig;

	terra_key_generate(&k, &e);
	terra_key_generate(&other, &e);
	j = parse_or_die("{\"type\":\"unit\",\"v\":1,\"score\":5,\"device\":{\"name\":\"x\"}}");
	ok(terra_rec_sign(j, &k, &e) == 0, "sign a record");
	terra_hex(k.pk, 32, pk_hex);
	is_str(json_string_value(json_object_get(j, "signer")), pk_hex,
	       "signer is the public key hex");
	is_int(json_string_length(json_object_get(j, "sig")), 128, "sig is 128 hex characters");
	ok(terra_rec_verify(j, NULL, &e) == 0, "it verifies");
	ok(terra_rec_verify(j, k.pk, &e) == 0, "it verifies as the expected key");
	ok(terra_rec_verify(j, other.pk, &e) < 0, "not as another key");
	is_int(e.kind, TERRA_E_VERIFY, "... a verify failure");
	like(e.msg, "signer is not the expected key",
	     "... saying the signer is not the expected key");

	ok(terra_rec_sign(j, &k, &e) == 0 && terra_rec_verify(j, k.pk, &e) == 0,
	   "signing a signed record again gives a valid record");

	copy = json_deep_copy(j);
	json_object_set_new(copy, "score", json_integer(6));
	ok(terra_rec_verify(copy, NULL, &e) < 0, "a changed field fails");
	is_int(e.kind, TERRA_E_VERIFY, "... a verify failure");
	is_str(e.msg, "bad signature", "... 'bad signature'");
	json_decref(copy);

	copy = json_deep_copy(j);
	json_object_set_new(json_object_get(copy, "device"), "extra", json_true());
	ok(terra_rec_verify(copy, NULL, &e) < 0, "an added nested field fails");
	json_decref(copy);

	copy = json_deep_copy(j);
	json_object_set_new(copy, "signer", json_string(pk_hex));
	terra_hex(other.pk, 32, pk_hex);
	json_object_set_new(copy, "signer", json_string(pk_hex));
	ok(terra_rec_verify(copy, NULL, &e) < 0, "a swapped signer fails");
	json_decref(copy);

	copy = json_deep_copy(j);
	json_object_del(copy, "sig");
	ok(terra_rec_verify(copy, NULL, &e) < 0, "a missing sig fails");
	is_int(e.kind, TERRA_E_INPUT, "... as bad input");
	like(e.msg, "missing field 'sig'", "... naming the field");
	json_decref(copy);

	copy = json_deep_copy(j);
	json_object_del(copy, "signer");
	ok(terra_rec_verify(copy, NULL, &e) < 0, "a missing signer fails");
	is_int(e.kind, TERRA_E_INPUT, "... as bad input");
	json_decref(copy);

	copy = json_deep_copy(j);
	sig = strdup(json_string_value(json_object_get(j, "sig")));
	for (char *c = sig; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	json_object_set_new(copy, "sig", json_string(sig));
	ok(terra_rec_verify(copy, NULL, &e) < 0, "an uppercase sig is refused");
	is_int(e.kind, TERRA_E_INPUT, "... as bad input");
	like(e.msg, "lowercase hex", "... asking for lowercase hex");
	sig[100] = '\0';
	json_object_set_new(copy, "sig", json_string(sig));
	ok(terra_rec_verify(copy, NULL, &e) < 0, "a short sig is refused");
	json_object_set_new(copy, "sig", json_integer(5));
	ok(terra_rec_verify(copy, NULL, &e) < 0, "a sig that is no string is refused");
	free(sig);
	json_decref(copy);

	copy = json_deep_copy(j);
	ok(terra_rec_sign(copy, &other, &e) == 0 && terra_rec_verify(copy, NULL, &e) == 0,
	   "re-signed by another key it verifies on its own");
	ok(terra_rec_verify(copy, k.pk, &e) < 0, "... but not as the first key");
	like(e.msg, "signer is not the expected key", "... saying so");
	json_decref(copy);

	json_object_set_new(j, "f", json_real(1.5));
	ok(terra_rec_sign(j, &k, &e) < 0, "a record with a real cannot be signed");
	json_decref(j);
	terra_key_wipe(&k);
	terra_key_wipe(&other);
}

/*
 * Every single-byte change of a signed line: each byte replaced by each
 * other value. The line, as terra_rec_write makes it, has no whitespace and
 * no redundant escapes, so each change must make the line unparseable or
 * fail verification. The one exception is a change that leaves the record
 * itself unchanged: the case of a hex digit in a \u00xx escape ("\u001f"
 * and "\u001F" are the same string). Such lines are the same record, so
 * they count separately and must be exactly those case flips.
 */
static void test_every_byte(void)
{
	terra_key k = {{0}, NULL};
	terra_err e = {0};
	json_t *j, *rec;
	char *line, *mut, *again;
	size_t len, i, parsed_ok = 0, same = 0, want_same = 0, accepted = 0;
	const char *sample = " \"\\,:{}[]01-9afAFtnu\x7f\x80\xc3\xff";
	int b, slow = getenv("TERRA_VALGRIND") != NULL;

	terra_key_generate(&k, &e);
	j = parse_or_die(
	    "{\"type\":\"usage\",\"v\":1,\"unit\":\"0123456789abcdef0123456789abcdef\","
	    "\"seq\":-42,\"work\":1000,\"final\":true,\"n\":null,"
	    "\"evidence\":{\"shares\":[7,9],\"k\":\"q\\\"\\\\/\\n\\u001f\\u000b\"},"
	    "\"t\":\"\\u00e9\\u4e2d\"}");
	terra_rec_sign(j, &k, &e);
	terra_rec_dumps(j, &line, &len, &e);
	ok(terra_record_parse(line, len, &rec, &e) == 0 && terra_rec_verify(rec, k.pk, &e) == 0,
	   "the written signed line parses and verifies");
	json_decref(rec);
	for (i = 0; i + 5 < len; i++)
		if (!memcmp(line + i, "\\u00", 4))
			want_same += (line[i + 4] >= 'a') + (line[i + 5] >= 'a');
	is_int(want_same, 2, "the line holds two hex letters in \\u00xx escapes");

	mut = malloc(len + 1);
	for (i = 0; i < len; i++) {
		for (b = 0; b < 256; b++) {
			if (b == (unsigned char)line[i])
				continue;
			/* Under valgrind (make valgrind) a sample of values keeps it quick,
			 * the case flip among them. */
			if (slow && !strchr(sample, b) && b != ((unsigned char)line[i] ^ 0x20) &&
			    b != ((unsigned char)line[i] ^ 1) && b != 0)
				continue;
			memcpy(mut, line, len + 1);
			mut[i] = (char)b;
			if (terra_record_parse(mut, len, &rec, &e) < 0)
				continue;
			parsed_ok++;
			if (terra_rec_verify(rec, k.pk, &e) == 0) {
				terra_rec_dumps(rec, &again, NULL, &e);
				if (!strcmp(again, line)) {
					same++;
				} else {
					accepted++;
					printf(
					    "# accepted a changed line at byte %zu (0x%02x): %s\n",
					    i, b, again);
				}
				free(again);
			}
			json_decref(rec);
		}
	}
	printf("# %zu bytes, %zu changes still parsed\n", len, parsed_ok);
	ok(parsed_ok > (slow ? 100u : 1000u),
	   "many changed lines still parse (the test is not vacuous)");
	is_int(accepted, 0, "no single-byte change of a signed line verifies");
	is_int(same, want_same, "only escape hex case flips give the same record back");
	free(mut);
	free(line);
	json_decref(j);
	terra_key_wipe(&k);
}

/* ---- the reader ------------------------------------------------------ */

struct want {
	int rc;
	long lineno;
	const char *msg; /* substring of the error or of the raw line */
};

static void expect(terra_reader *r, const struct want *w, const char *name)
{
	terra_err e = {0};
	json_t *rec = NULL;
	char label[300];
	int rc = terra_reader_next(r, &rec, &e);
	size_t len;
	const char *raw = terra_reader_line(r, &len);

	snprintf(label, sizeof label, "%s: returns %d", name, w->rc);
	is_int(rc, w->rc, label);
	if (w->lineno) {
		snprintf(label, sizeof label, "%s: at line %ld", name, w->lineno);
		is_int(terra_reader_lineno(r), w->lineno, label);
	}
	if (w->msg && rc == -1) {
		snprintf(label, sizeof label, "%s: error message", name);
		like(e.msg, w->msg, label);
	}
	if (w->msg && rc == 1) {
		/* the raw line exactly: no '\n', no '\r' */
		snprintf(label, sizeof label, "%s: raw line", name);
		ok(len == strlen(w->msg) && !memcmp(raw, w->msg, len), label);
	}
	json_decref(rec);
}

static void read_file_expect(const char *name, const char *data, size_t len, const struct want *w)
{
	terra_reader *r;
	terra_err e = {0};
	const char *p = fixture_write("in.ndjson", data, len);

	if (!ok(terra_reader_open(&r, p, &e) == 0, name))
		return;
	for (; w->rc != 99; w++)
		expect(r, w, name);
	terra_reader_close(r);
}

#define GOOD(n) "{\"type\":\"t\",\"v\":1,\"n\":" #n "}"

static void test_reader(void)
{
	terra_err e = {0};
	terra_reader *r;
	char *big;
	size_t n, i;
	json_t *rec;

	{
		const struct want w[] = {{0, 0, NULL}, {0, 0, NULL}, {99, 0, NULL}};
		read_file_expect("empty file", "", 0, w);
	}
	{
		const char d[] = GOOD(1) "\n\n" GOOD(2) "\n   \n" GOOD(3);
		const struct want w[] = {
		    {1, 1, GOOD(1)}, {1, 3, GOOD(2)}, {1, 5, GOOD(3)}, {0, 0, NULL}, {99, 0, NULL}};
		read_file_expect("blank lines and no final newline", d, sizeof d - 1, w);
	}
	{
		const char d[] = GOOD(1) "\r\n" GOOD(2) "\r\n\r\n" GOOD(3) "\r\n";
		const struct want w[] = {
		    {1, 1, GOOD(1)}, {1, 2, GOOD(2)}, {1, 4, GOOD(3)}, {0, 0, NULL}, {99, 0, NULL}};
		read_file_expect("CRLF", d, sizeof d - 1, w);
	}
	{
		const char d[] = GOOD(1) "\n\xff\xfe\x01garbage\x80\n" GOOD(
		    3) "\n"
		       "{\"type\":\"t\",\"v\":1,\"s\":\"\xc3\"}\n" GOOD(5) "\n";
		const struct want w[] = {
		    {1, 1, NULL},
		    {-1, 2, "in.ndjson:2: malformed JSON at column"},
		    {1, 3, GOOD(3)},
		    {-1, 4, "in.ndjson:4: malformed JSON at column 23: unable to decode byte 0xc3"},
		    {1, 5, GOOD(5)},
		    {0, 0, NULL},
		    {99, 0, NULL}};
		read_file_expect("binary garbage and invalid UTF-8", d, sizeof d - 1, w);
	}
	{
		const char d[] = GOOD(1) "\n{\"type\":\"t\",\x00\"v\":1}\n" GOOD(3) "\n";
		const struct want w[] = {
		    {1, 1, NULL},
		    {-1, 2, "in.ndjson:2: malformed JSON at column 13: NUL byte"},
		    {1, 3, GOOD(3)},
		    {99, 0, NULL}};
		read_file_expect("NUL byte", d, sizeof d - 1, w);
	}
	{
		const char d[] = "{\"type\":\"t\",\"v\":1,\"a\":1,\"a\":2}\n"
		                 "{\"type\":\"t\",\"v\":1,\"a\":1.5}\n"
		                 "{\"type\":\"t\",\"v\":1,\"a\":[{\"b\":1e3}]}\n"
		                 "{\"type\":\"t\",\"v\":2}\n"
		                 "{\"type\":\"t\"}\n"
		                 "{\"v\":1}\n"
		                 "{\"type\":7,\"v\":1}\n"
		                 "[1,2]\n"
		                 "{\"type\":\"t\",\"v\":1} x\n"
		                 "{\"type\":\"t\",\"v\":1,\"big\":9223372036854775808}\n"
		                 "{\"type\":\"t\",\"v\":\"1\"}\n"
		                 "{\"type\":\"t\",\"v\":true}\n" GOOD(
		                     13) "\n"
		                         "{\"type\":\"\\u001b[2J\u00e9\",\"v\":2}\n";
		const struct want w[] = {
		    {-1, 1, "in.ndjson:1: malformed JSON at column 27: duplicate object key"},
		    {-1, 2, "in.ndjson:2: t record: numbers must be integers"},
		    {-1, 3, "in.ndjson:3: t record: numbers must be integers"},
		    {-1, 4, "in.ndjson:4: t record: unsupported version 2"},
		    {-1, 5, "in.ndjson:5: t record: missing field 'v'"},
		    {-1, 6, "in.ndjson:6: record: missing field 'type'"},
		    {-1, 7, "in.ndjson:7: record: field 'type' must be a non-empty string"},
		    {-1, 8, "in.ndjson:8: record: not a JSON object"},
		    {-1, 9, "in.ndjson:9: malformed JSON"},
		    {-1, 10, "in.ndjson:10: malformed JSON at column 43: too big integer"},
		    {-1, 11, "in.ndjson:11: t record: field 'v' must be an integer"},
		    {-1, 12, "in.ndjson:12: t record: field 'v' must be an integer"},
		    {1, 13, GOOD(13)},
		    {-1, 14, "in.ndjson:14: \\x1b[2J\\xc3\\xa9 record: unsupported version 2"},
		    {0, 0, NULL},
		    {99, 0, NULL},
		};
		read_file_expect("bad records", d, sizeof d - 1, w);
	}

	/* nesting: the record itself is level 1 */
	big = malloc(4096);
	n = (size_t)sprintf(big, "{\"type\":\"t\",\"v\":1,\"a\":");
	for (i = 0; i < 31; i++)
		big[n++] = '[';
	for (i = 0; i < 31; i++)
		big[n++] = ']';
	big[n++] = '}';
	ok(terra_record_parse(big, n, &rec, &e) == 0, "32 levels of nesting parse");
	json_decref(rec);
	n = (size_t)sprintf(big, "{\"type\":\"t\",\"v\":1,\"a\":");
	for (i = 0; i < 32; i++)
		big[n++] = '[';
	for (i = 0; i < 32; i++)
		big[n++] = ']';
	big[n++] = '}';
	ok(terra_record_parse(big, n, &rec, &e) < 0 && !rec, "33 levels are refused");
	like(e.msg, "nested deeper than 32 levels", "... saying so");
	n = (size_t)sprintf(big, "{\"type\":\"t\",\"v\":1,\"a\":\"");
	for (i = 0; i < 40; i++)
		big[n++] = '[';
	n += (size_t)sprintf(big + n, "\\\"{{{{\"}");
	ok(terra_record_parse(big, n, &rec, &e) == 0, "brackets inside strings do not count");
	json_decref(rec);
	free(big);

	/* a 2 MiB line between good lines, and lines exactly at the limit */
	n = 0;
	big = malloc(6 * TERRA_LINE_MAX);
	n += (size_t)sprintf(big + n, GOOD(1) "\n");
	n += (size_t)sprintf(big + n, "{\"type\":\"t\",\"v\":1,\"pad\":\"");
	memset(big + n, 'a', 2 * TERRA_LINE_MAX);
	n += 2 * TERRA_LINE_MAX;
	n += (size_t)sprintf(big + n, "\"}\n" GOOD(3) "\n");
	{
		/* exactly TERRA_LINE_MAX bytes, then the same plus "\r" */
		size_t start = n, fill;

		n += (size_t)sprintf(big + n, "{\"type\":\"t\",\"v\":1,\"pad\":\"");
		fill = TERRA_LINE_MAX - (n - start) - 2;
		memset(big + n, 'b', fill);
		n += fill;
		n += (size_t)sprintf(big + n, "\"}\n");
		memcpy(big + n, big + start, TERRA_LINE_MAX);
		n += TERRA_LINE_MAX;
		n += (size_t)sprintf(big + n, "\r\n");
		/* one byte over */
		memcpy(big + n, big + start, TERRA_LINE_MAX);
		big[n + TERRA_LINE_MAX - 2] = 'b';
		big[n + TERRA_LINE_MAX - 1] = '"';
		big[n + TERRA_LINE_MAX] = '}';
		n += TERRA_LINE_MAX + 1;
		n += (size_t)sprintf(big + n, "\n" GOOD(7));
	}
	{
		const struct want w[] = {
		    {1, 1, GOOD(1)}, {-1, 2, "in.ndjson:2: line longer than 1 MiB"},
		    {1, 3, GOOD(3)}, {1, 4, NULL},
		    {1, 5, NULL},    {-1, 6, "in.ndjson:6: line longer than 1 MiB"},
		    {1, 7, GOOD(7)}, {0, 0, NULL},
		    {99, 0, NULL}};
		read_file_expect("2 MiB line between good lines", big, n, w);
	}
	{
		const char *p = fixture_write("in.ndjson", big, n);
		size_t len;

		terra_reader_open(&r, p, &e);
		terra_reader_next(r, &rec, &e);
		json_decref(rec);
		ok(terra_reader_next(r, &rec, &e) == -1 && terra_reader_truncated(r),
		   "the long line is marked truncated");
		terra_reader_next(r, &rec, &e);
		json_decref(rec);
		ok(!terra_reader_truncated(r), "the next line is not");
		ok(terra_reader_next(r, &rec, &e) == 1, "a line of exactly 1 MiB is read");
		terra_reader_line(r, &len);
		is_int(len, TERRA_LINE_MAX, "... whole");
		json_decref(rec);
		ok(terra_reader_next(r, &rec, &e) == 1,
		   "a line of exactly 1 MiB and \\r\\n is read");
		terra_reader_line(r, &len);
		is_int(len, TERRA_LINE_MAX, "... without the \\r");
		json_decref(rec);
		terra_reader_close(r);
	}
	free(big);

	ok(terra_reader_open(&r, "/nonexistent/x.ndjson", &e) < 0,
	   "a missing file cannot be opened");
	is_int(e.kind, TERRA_E_NOTFOUND, "... not found");
	like(e.msg, "open '/nonexistent/x.ndjson'", "... naming it");

	/* stdin, and terra_reader_reject */
	{
		const char d[] = GOOD(1) "\n";
		const char *p = fixture_write("stdin.ndjson", d, sizeof d - 1);

		if (!freopen(p, "r", stdin)) {
			perror(p);
			exit(1);
		}
		ok(terra_reader_open(&r, "-", &e) == 0, "open stdin as -");
		is_str(terra_reader_name(r), "<stdin>", "stdin is named <stdin>");
		ok(terra_reader_next(r, &rec, &e) == 1, "read from stdin");
		terra_rec_int(rec, "busy_us", &(int64_t){0}, &e);
		terra_reader_reject(r, &e, "usage", e.msg);
		is_str(e.msg, "<stdin>:1: usage record: missing field 'busy_us'",
		       "reject formats FILE:LINE: TYPE record: why, from its own message");
		terra_reader_reject(r, &e, NULL, "bad");
		is_str(e.msg, "<stdin>:1: record: bad", "reject without a type");
		json_decref(rec);
		ok(terra_reader_next(r, &rec, &e) == 0, "end of stdin");
		terra_reader_close(r);
	}

	ok(terra_record_parse("", 0, &rec, &e) < 0, "an empty string is not a record");
	ok(terra_record_parse(GOOD(1), strlen(GOOD(1)), &rec, &e) == 0, "parse a line in memory");
	json_decref(rec);
}

/* Verifies each line of a file signed elsewhere. Parsed with jansson
 * directly, not the reader: a vector holds "\u0000", which the reader refuses. */
static void verify_file(const char *path)
{
	char line[65536], label[1200];
	FILE *f = fopen(path, "r");
	terra_err e = {0};
	int n = 0;

	if (!ok(f != NULL, "open the records to verify"))
		return;
	while (fgets(line, sizeof line, f)) {
		json_error_t jerr;
		json_t *rec = json_loads(line, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);

		snprintf(label, sizeof label, "verify %s:%d", path, ++n);
		if (!ok(rec && terra_rec_verify(rec, NULL, &e) == 0, label))
			printf("#   %s\n", rec ? e.msg : jerr.text);
		json_decref(rec);
	}
	fclose(f);
	ok(n > 0, "read every record to verify");
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* Lines from a pipe come as they are written, and a signal does not lose one. */
static void test_pipe(void)
{
	struct sigaction sa;
	struct itimerval it = {{0, 0}, {0, 50000}};
	terra_reader *r;
	terra_err e = {0};
	json_t *rec = NULL;
	int fds[2], saved = dup(0), rc;
	size_t len;

	if (pipe(fds) < 0 || saved < 0) {
		perror("pipe");
		exit(1);
	}
	dup2(fds[0], 0);
	close(fds[0]);
	clearerr(stdin);
	terra_reader_open(&r, NULL, &e);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm; /* no SA_RESTART: read(2) fails with EINTR */
	sigaction(SIGALRM, &sa, NULL);
	alarm(10); /* a reader that waits for more input than it needs hangs: fail */

	if (write(fds[1], GOOD(1) "\n{\"type\":", strlen(GOOD(1)) + 9) < 0)
		perror("write");
	ok(terra_reader_next(r, &rec, &e) == 1, "a line from a pipe is read before more comes");
	json_decref(rec);
	setitimer(ITIMER_REAL, &it, NULL);
	rc = terra_reader_next(r, &rec, &e);
	ok(rc == -2 && !rec, "a signal interrupts a read that waits");
	if (write(fds[1], "\"t\",\"v\":1}\n", 11) != 11)
		perror("write");
	ok(terra_reader_next(r, &rec, &e) == 1, "the next call goes on with the line");
	terra_reader_line(r, &len);
	is_int(len, 18, "... and has all of it");
	is_int(terra_reader_lineno(r), 2, "... as line 2");
	json_decref(rec);
	close(fds[1]);
	rc = terra_reader_next(r, &rec, &e);
	if (!ok(rc == 0, "end of the pipe"))
		printf("#   %d %s\n", rc, e.msg);
	alarm(0);
	terra_reader_close(r);
	dup2(saved, 0);
	close(saved);
}

/* ---- typed getters --------------------------------------------------- */

static void test_getters(void)
{
	terra_err e = {0};
	json_t *rec, *o;
	const char *s = NULL;
	int64_t i = 0;
	uint8_t h[4];

	rec = parse_or_die(
	    "{\"type\":\"usage\",\"v\":1,\"busy_us\":\"12\",\"n\":-5,\"s\":\"x\","
	    "\"o\":{},\"a\":[],\"b\":true,\"r\":1.5,\"h\":\"00ab7fff\",\"H\":\"00AB7FFF\","
	    "\"max\":9223372036854775807,\"z\":null}");
	ok(terra_rec_type(rec, &s, &e) == 0, "type");
	is_str(s, "usage", "... is usage");
	ok(terra_rec_int(rec, "busy_us", &i, &e) < 0, "a string is not an integer");
	is_str(e.msg, "field 'busy_us' must be an integer", "... message");
	is_int(e.kind, TERRA_E_INPUT, "... input error");
	ok(terra_rec_int(rec, "unit", &i, &e) < 0, "a missing integer");
	is_str(e.msg, "missing field 'unit'", "... message");
	ok(terra_rec_int(rec, "n", &i, &e) == 0 && i == -5, "an integer");
	ok(terra_rec_int(rec, "max", &i, &e) == 0 && i == INT64_MAX, "int64 max");
	ok(terra_rec_int(rec, "b", &i, &e) < 0, "a boolean is not an integer");
	ok(terra_rec_int(rec, "r", &i, &e) < 0, "a real is not an integer");
	ok(terra_rec_int(rec, "z", &i, &e) < 0, "null is not an integer");
	ok(terra_rec_str(rec, "s", &s, &e) == 0, "a string");
	is_str(s, "x", "... its value");
	ok(terra_rec_str(rec, "n", &s, &e) < 0, "an integer is not a string");
	is_str(e.msg, "field 'n' must be a string", "... message");
	ok(terra_rec_obj(rec, "o", &o, &e) == 0 && json_is_object(o), "an object");
	ok(terra_rec_obj(rec, "a", &o, &e) < 0, "an array is not an object");
	is_str(e.msg, "field 'a' must be an object", "... message");
	ok(terra_rec_arr(rec, "a", &o, &e) == 0 && json_is_array(o), "an array");
	ok(terra_rec_arr(rec, "o", &o, &e) < 0, "an object is not an array");
	is_str(e.msg, "field 'o' must be an array", "... message");
	ok(terra_rec_arr(rec, "nope", &o, &e) < 0, "a missing array");
	is_str(e.msg, "missing field 'nope'", "... message");
	ok(terra_rec_hex(rec, "h", h, 4, &e) == 0 && h[1] == 0xab && h[3] == 0xff, "hex");
	ok(terra_rec_hex(rec, "H", h, 4, &e) < 0, "uppercase hex is refused");
	is_str(e.msg, "field 'H' must be 8 lowercase hex characters", "... message");
	ok(terra_rec_hex(rec, "h", h, 3, &e) < 0, "hex of the wrong length is refused");
	ok(terra_rec_hex(rec, "n", h, 4, &e) < 0, "a number is not hex");

	i = 77;
	ok(terra_rec_int_opt(rec, "absent", &i, &e) == 0 && i == 77, "an absent optional int");
	ok(terra_rec_int_opt(rec, "n", &i, &e) == 0 && i == -5, "a present optional int");
	ok(terra_rec_int_opt(rec, "s", &i, &e) < 0, "a mistyped optional int");
	is_str(e.msg, "field 's' must be an integer", "... message");
	s = "keep";
	ok(terra_rec_str_opt(rec, "absent", &s, &e) == 0 && !strcmp(s, "keep"),
	   "absent optional str");
	ok(terra_rec_str_opt(rec, "s", &s, &e) == 0 && !strcmp(s, "x"), "present optional str");
	ok(terra_rec_str_opt(rec, "n", &s, &e) < 0, "a mistyped optional str");
	json_decref(rec);

	rec = parse_or_die("{\"t\":\"2026-11-21T10:00:00.000001Z\",\"bad\":\"yesterday\",\"n\":1,"
	                   "\"amt\":\"12.500000000\",\"short\":\"12.5\",\"neg\":\"-0.000000001\"}");
	ok(terra_rec_time(rec, "t", &i, &e) == 0 && i == INT64_C(1795255200000001),
	   "an RFC 3339 time");
	ok(terra_rec_time(rec, "bad", &i, &e) < 0, "a bad time");
	like(e.msg, "field 'bad'", "... names the field");
	ok(terra_rec_time(rec, "n", &i, &e) < 0, "a number is not a time");
	is_str(e.msg, "field 'n' must be a string", "... message");
	ok(terra_rec_time(rec, "missing", &i, &e) < 0, "a missing time");
	ok(terra_rec_amount(rec, "amt", &i, &e) == 0 && i == INT64_C(12500000000), "an amount");
	ok(terra_rec_amount(rec, "neg", &i, &e) == 0 && i == -1, "a negative amount");
	ok(terra_rec_amount(rec, "short", &i, &e) < 0, "an amount needs 9 decimals");
	like(e.msg, "field 'short'", "... names the field");
	json_decref(rec);
}

int main(void)
{
	const char *canon_out = getenv("TERRA_CANON_OUT");
	terra_key k = {{0}, NULL};
	terra_err e = {0};
	FILE *signed_out = NULL;

	if (sodium_init() < 0)
		return 1;
	fixture_tmpdir("record");
	if (canon_out) {
		signed_out = fopen(canon_out, "w");
		if (!signed_out || terra_key_generate(&k, &e) < 0) {
			perror(canon_out);
			return 1;
		}
	}
	test_vectors(signed_out, &k);
	if (signed_out && fclose(signed_out) != 0)
		perror(canon_out);
	if (signed_out && getenv("TERRA_CANON_KEY") &&
	    terra_key_save(&k, getenv("TERRA_CANON_KEY"), NULL, 1, &e) < 0)
		fprintf(stderr, "%s\n", e.msg);
	terra_key_wipe(&k);
	if (getenv("TERRA_CANON_VERIFY"))
		verify_file(getenv("TERRA_CANON_VERIFY"));
	test_canonical_errors();
	test_write();
	test_sign_verify();
	test_every_byte();
	test_reader();
	test_pipe();
	test_getters();
	return done_testing();
}
