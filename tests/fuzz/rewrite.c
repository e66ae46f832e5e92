/*
 * libFuzzer harness: terra-meter's path for other spellings. Whatever
 * terra_canon_rewrite accepts must be an object that jansson reads with
 * duplicates refused, no deeper than terra_record_parse allows and with no
 * real number, and its rewrite must be exactly what terra_rec_dumps writes
 * of that tree, no longer than the text: the meter may then never count a
 * line the general path would read differently. The members
 * terra_canon_rewrite_split keeps are those terra_canon_split finds in
 * that output.
 */
#include "lib/canon.h"
#include "lib/record.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char *out = malloc(size + 1), *line = NULL;
	json_t *rec;
	terra_err e;
	size_t len;
	ssize_t n = terra_canon_rewrite(text, size, out, size);

	if (n < 0) {
		free(out);
		return 0;
	}
	if ((size_t)n > size || memchr(text, '\0', size))
		abort();
	rec = json_loadb(text, size, JSON_REJECT_DUPLICATES, NULL);
	if (!rec || !json_is_object(rec))
		abort();
	/* terra_rec_dumps refuses reals and nesting past the limit: an error here
	 * is a line the rewriter should have refused. */
	if (terra_rec_dumps(rec, &line, &len, &e) != 0 || len != (size_t)n ||
	    memcmp(line, out, len))
		abort();
	/* Its own output is in written form: rewriting it changes nothing. */
	if (terra_canon_rewrite(out, (size_t)n, line, len) != n || memcmp(line, out, len))
		abort();
	/* The members kept in the same pass are those split finds in it. */
	{
		terra_canon_member a[TERRA_CANON_MEMBERS], b[TERRA_CANON_MEMBERS];
		int na, nb = terra_canon_split(out, (size_t)n, b, TERRA_CANON_MEMBERS), i;

		if (terra_canon_rewrite_split(text, size, line, len, a, TERRA_CANON_MEMBERS, &na) !=
		        n ||
		    memcmp(line, out, len) || na != nb)
			abort();
		for (i = 0; i < na; i++)
			if (a[i].at != b[i].at || a[i].end != b[i].end || a[i].key != b[i].key ||
			    a[i].key_len != b[i].key_len || a[i].val != b[i].val ||
			    a[i].val_len != b[i].val_len || a[i].kind != b[i].kind ||
			    a[i].escaped != b[i].escaped || a[i].num != b[i].num)
				abort();
	}
	free(line);
	free(out);
	json_decref(rec);
	return 0;
}
