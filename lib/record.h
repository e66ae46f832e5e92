#ifndef TERRA_RECORD_H
#define TERRA_RECORD_H
/*
 * Records: newline-delimited JSON objects (terra-records(5)), read with file:line
 * positions, accessed with typed getters, written as single lines, and
 * signed over their canonical form.
 *
 * Canonical form: the record without "sig", object keys sorted bytewise at
 * every depth, no whitespace, strings escaped as RFC 8785 does (only '"',
 * '\\' and control characters U+0000..U+001F escaped; \b \t \n \f \r short
 * forms, other controls as \u00xx lowercase hex; everything else, U+007F
 * and non-ASCII included, as raw UTF-8). Numbers are integers only. This
 * is what "signer"/"sig" cover: sig = Ed25519(secret, canonical), both
 * lowercase hex.
 */
#include "err.h"
#include "key.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TERRA_LINE_MAX  (1024 * 1024) /* bytes in one line, without '\n' */
#define TERRA_DEPTH_MAX 32            /* nesting of objects and arrays */

typedef struct terra_reader terra_reader;

/* Opens `path` for reading; NULL or "-" is stdin, named "<stdin>". */
int terra_reader_open(terra_reader **r, const char *path, terra_err *e);
void terra_reader_close(terra_reader *r);

/*
 * Reads the next line and parses it as a record (a JSON object with string
 * "type" and "v": 1). Returns
 *    1  a record in *rec (caller json_decref's it),
 *    0  end of input,
 *   -1  a bad line: e->msg is "FILE:LINE: why"; the reader stays usable,
 *   -2  the input could not be read (e->msg says why), or the wait for it
 *       was cancelled (errno ECANCELED, terra_reader_cancel_fd); a next
 *       call goes on where this one stopped.
 * Blank lines are skipped, a final line without '\n' is read, "\r\n" is
 * taken as "\n". A line over TERRA_LINE_MAX is consumed whole and reported
 * as bad. Refused as bad: malformed JSON (NUL bytes, invalid UTF-8, a
 * duplicate key, "\u0000" in a string), real numbers anywhere, nesting
 * deeper than TERRA_DEPTH_MAX, a missing or empty "type", "v" other than 1.
 */
int terra_reader_next(terra_reader *r, json_t **rec, terra_err *e);
/* The next line that is not blank, unparsed (terra_reader_line), for a
 * caller that parses lines elsewhere (on other threads): 1, 0 at the end,
 * -2 as terra_reader_next. A line over TERRA_LINE_MAX is not refused but
 * returned cut to TERRA_LINE_MAX + 1 bytes. */
int terra_reader_next_line(terra_reader *r, terra_err *e);
/* The raw bytes of the line last read (no '\n', nor a '\r' before it), valid
 * until the next read. For a line over TERRA_LINE_MAX only its start is kept
 * and terra_reader_truncated says so. */
const char *terra_reader_line(const terra_reader *r, size_t *len);
int terra_reader_truncated(const terra_reader *r);
const char *terra_reader_name(const terra_reader *r);
/* While `fd` is readable (a stop, lib/stop.h), a read waiting for input
 * returns -2 at once instead of waiting; -1 (the default): never. */
void terra_reader_cancel_fd(terra_reader *r, int fd);
long terra_reader_lineno(const terra_reader *r);
/* Formats "FILE:LINE: <type> record: <why>" into e for a record that was
 * parsed but failed a field check; returns -1. A NULL or empty type gives
 * "FILE:LINE: record: <why>"; `why` may be e->msg. */
int terra_reader_reject(const terra_reader *r, terra_err *e, const char *type, const char *why);

/* Parses one line held in memory (tests, proofs): same checks as the reader. */
int terra_record_parse(const char *text, size_t len, json_t **rec, terra_err *e);

/*
 * Typed field access. On a missing or mistyped field these fail with a
 * message naming the field: "field 'busy_us' must be an integer",
 * "missing field 'unit'". Integers are int64; reals are never accepted.
 */
int terra_rec_type(const json_t *rec, const char **type, terra_err *e);
int terra_rec_str(const json_t *rec, const char *field, const char **out, terra_err *e);
int terra_rec_int(const json_t *rec, const char *field, int64_t *out, terra_err *e);
int terra_rec_obj(const json_t *rec, const char *field, json_t **out, terra_err *e);
int terra_rec_arr(const json_t *rec, const char *field, json_t **out, terra_err *e);
/* Lowercase hex string of exactly `len` bytes, decoded. */
int terra_rec_hex(const json_t *rec, const char *field, uint8_t *out, size_t len, terra_err *e);
/* RFC 3339 time string, as microseconds since the epoch. */
int terra_rec_time(const json_t *rec, const char *field, int64_t *us, terra_err *e);
/* 9-decimal TERRA amount string, as base units. */
int terra_rec_amount(const json_t *rec, const char *field, int64_t *units, terra_err *e);
/* Optional variants: return 0 and leave *out unchanged when absent. */
int terra_rec_int_opt(const json_t *rec, const char *field, int64_t *out, terra_err *e);
int terra_rec_str_opt(const json_t *rec, const char *field, const char **out, terra_err *e);

/*
 * json_object_set_new that never leaves a record silently short of a
 * field: fails (TERRA_E_SYS, naming the field) when value is NULL or could
 * not be set; value is consumed either way. Builders of records that get
 * signed use it for every field.
 */
int terra_rec_set(json_t *rec, const char *field, json_t *value, terra_err *e);

/* Canonical form as above (without "sig"), malloc'd, NUL-terminated. */
int terra_rec_canonical(const json_t *rec, char **out, size_t *len, terra_err *e);
/* Writes a record as one line: canonical key order, with "sig" kept. */
int terra_rec_write(FILE *f, const json_t *rec, terra_err *e);
/* The same line as a malloc'd string without '\n'. */
int terra_rec_dumps(const json_t *rec, char **out, size_t *len, terra_err *e);
/* Writes raw bytes + '\n' (records passed through unchanged). */
int terra_rec_write_raw(FILE *f, const char *line, size_t len, terra_err *e);

/* Sets "signer" to the key's public key and "sig" over the canonical form. */
int terra_rec_sign(json_t *rec, const terra_key *k, terra_err *e);
/*
 * Verifies "sig" by "signer". If `pk` is not NULL the signer must be that
 * key. Fails with kind TERRA_E_VERIFY ("bad signature", "signer is not ...")
 * or TERRA_E_INPUT (missing or malformed fields).
 */
int terra_rec_verify(const json_t *rec, const uint8_t pk[TERRA_PK_BYTES], terra_err *e);

#endif
