/*
 * libFuzzer harness: terra-meter's fast path. Whatever terra_canon_split
 * accepts must be a record that terra_record_parse reads (when it has a
 * type and a v) and that terra_rec_dumps writes back byte for byte, with
 * every member's offsets inside the text, in order and not overlapping:
 * the fast path may then never count a line the general path would read
 * differently.
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
	terra_canon_member m[TERRA_CANON_MEMBERS];
	const terra_canon_member *type, *v;
	const char *text = (const char *)data;
	terra_err e;
	json_t *rec = NULL;
	char *line = NULL;
	size_t len, prev = 1;
	int n = terra_canon_split(text, size, m, TERRA_CANON_MEMBERS), i;

	if (n < 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (m[i].at < prev || m[i].end > size || m[i].key + m[i].key_len > m[i].end ||
		    m[i].val + m[i].val_len > m[i].end)
			abort();
		prev = m[i].end;
	}
	type = terra_canon_find(text, m, (size_t)n, "type");
	v = terra_canon_find(text, m, (size_t)n, "v");
	/* The general path's own refusals: no type or v, or not a version 1 record. */
	if (!type || type->kind != TERRA_CANON_STRING || type->val_len == 0 || !v ||
	    v->kind != TERRA_CANON_INT || v->num != 1)
		return 0;
	if (terra_record_parse(text, size, &rec, &e) != 0)
		abort();
	if (terra_rec_dumps(rec, &line, &len, &e) != 0 || len != size || memcmp(line, text, size))
		abort();
	free(line);
	json_decref(rec);
	return 0;
}
