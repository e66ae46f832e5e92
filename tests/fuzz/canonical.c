/*
 * libFuzzer harness: the canonical form is a fixed point. Whatever parses,
 * its canonical form parses again to the same canonical bytes, and the
 * written line (canonical order, sig kept) does too.
 */
#include "lib/record.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_or_abort(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen || memcmp(a, b, alen) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	terra_err e;
	json_t *rec = NULL, *again = NULL;
	char *canon = NULL, *canon2 = NULL, *line = NULL, *line2 = NULL;
	size_t clen, clen2, llen, llen2;

	if (terra_record_parse((const char *)data, size, &rec, &e) != 0)
		return 0;
	if (terra_rec_canonical(rec, &canon, &clen, &e) != 0 ||
	    terra_rec_dumps(rec, &line, &llen, &e) != 0)
		goto out;
	/* The written line must read back as the same record. */
	if (terra_record_parse(line, llen, &again, &e) != 0)
		abort();
	if (terra_rec_canonical(again, &canon2, &clen2, &e) != 0 ||
	    terra_rec_dumps(again, &line2, &llen2, &e) != 0)
		abort();
	same_or_abort(canon, clen, canon2, clen2);
	same_or_abort(line, llen, line2, llen2);
out:
	free(line2);
	free(canon2);
	free(line);
	free(canon);
	json_decref(again);
	json_decref(rec);
	return 0;
}
