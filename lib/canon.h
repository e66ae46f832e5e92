#ifndef TERRA_CANON_H
#define TERRA_CANON_H
/*
 * Record lines already in written form, read without building a tree.
 *
 * A line that terra_rec_write (or any careful signer) wrote is the record's
 * canonical form (lib/record.h) with "sig" in its sorted place: keys unique
 * and sorted bytewise at every depth, no whitespace, RFC 8785 escapes,
 * int64 integers, valid UTF-8. Such a line is checked in one pass, its
 * fields are read in place, and its signature is checked over its own
 * bytes less the "sig" member, with no parse and no re-serialisation.
 *
 * terra_canon_split accepts a line only when it is exactly in that form
 * (and, to keep the check simple, only when no key holds an escape and
 * nesting stays below TERRA_DEPTH_MAX), so whatever it accepts is JSON that
 * terra_record_parse reads (given "type" and "v") and terra_rec_dumps writes
 * back byte for byte. A line it refuses may still be a good record in
 * another spelling: terra_canon_rewrite writes most such lines in written
 * form, and the caller takes the general path for the rest.
 */
#include "utf8.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Top-level members one split returns at most; a longer object is refused. */
#define TERRA_CANON_MEMBERS 64

enum terra_canon_kind {
	TERRA_CANON_STRING,
	TERRA_CANON_INT,
	TERRA_CANON_OBJECT,
	TERRA_CANON_ARRAY,
	TERRA_CANON_LITERAL, /* true, false, null */
};

/* Offsets are into the text given to terra_canon_split. */
typedef struct terra_canon_member {
	size_t at;           /* the key's opening quote */
	size_t end;          /* just past the value */
	size_t key, key_len; /* the key's bytes, without quotes */
	size_t val, val_len; /* the value's bytes; a string's without its quotes */
	enum terra_canon_kind kind;
	int escaped; /* a string value that holds escapes */
	int64_t num; /* the value of an integer */
} terra_canon_member;

/*
 * Splits the object text[0, len) into its top-level members, in order.
 * Returns how many, or -1 when the text is not one object in written form
 * or has more than cap members.
 */
int terra_canon_split(const char *text, size_t len, terra_canon_member *m, size_t cap);

/* The member whose key is `key` (no escapes), or NULL. */
const terra_canon_member *terra_canon_find(const char *text, const terra_canon_member *m, size_t n,
                                           const char *key);

/* 1 when member f is a string without escapes (its bytes are its value). */
int terra_canon_is_str(const terra_canon_member *f);
/* 1 when member f is an integer (f->num). */
int terra_canon_is_int(const terra_canon_member *f);
/* String member f, NUL-terminated into out (cap bytes): 0, or -1 when it is
 * not a string without escapes or does not fit. */
int terra_canon_str(const char *text, const terra_canon_member *f, char *out, size_t cap);
/* String member f of exactly 2n lowercase hex digits (as terra_rec_hex
 * takes it) into n bytes: 0 or -1. */
int terra_canon_hex(const char *text, const terra_canon_member *f, uint8_t *out, size_t n);

/* 1 when member m is a string without escapes equal to s. */
int terra_canon_is(const char *text, const terra_canon_member *m, const char *s);

/*
 * The elements of array member m as integers, into out, which has room for
 * (m->val_len + 1) / 2 of them, enough for any array of integers. Returns
 * how many, or -1 when an element is not an integer.
 */
long terra_canon_ints(const char *text, const terra_canon_member *m, int64_t *out);

/*
 * text[0, len) without member i of the n that terra_canon_split found, nor
 * the comma that joined it, written to out (room for len bytes): the
 * canonical form when member i is "sig". Returns the length written.
 */
size_t terra_canon_without(const char *text, size_t len, const terra_canon_member *m, size_t n,
                           size_t i, char *out);

/*
 * Rewrites one JSON object of any spelling (whitespace between tokens, keys
 * in any order at every depth, escapes spelled any way JSON allows) into
 * its written form in out (cap bytes): what terra_rec_dumps writes for the
 * tree jansson reads from text, "sig" kept in its sorted place. Returns the
 * length written, never more than len, or -1 for text it is not sure of:
 * not JSON, a key twice in an object, a number that is not an int64 as
 * "%lld" writes it, invalid UTF-8, \u0000 or a lone surrogate, as many as
 * TERRA_DEPTH_MAX objects and arrays nested, an object of more than 128 members, more
 * than 512 members in the objects open at once, a line over TERRA_LINE_MAX,
 * or more than cap bytes to write. A refused text may still be a record:
 * the caller reads it with terra_record_parse. No allocation.
 */
ssize_t terra_canon_rewrite(const char *text, size_t len, char *out, size_t cap);

/*
 * terra_canon_rewrite, and in the same pass the top-level members of what
 * it wrote into m (room for mcap), each as terra_canon_split would find it
 * in out: *nm is their number, or -1 when terra_canon_split would refuse
 * out (a key written with an escape, at any depth, or more than mcap
 * members) or the rewrite failed. Saves the meter a second pass.
 */
ssize_t terra_canon_rewrite_split(const char *text, size_t len, char *out, size_t cap,
                                  terra_canon_member *m, size_t mcap, int *nm);

#endif
