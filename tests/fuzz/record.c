/* libFuzzer harness: the record reader's parser and typed getters on any bytes. */
#include "lib/record.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	terra_err e;
	json_t *rec = NULL;
	const char *s;
	int64_t i;
	json_t *o;

	if (terra_record_parse((const char *)data, size, &rec, &e) != 0)
		return 0;
	(void)terra_rec_type(rec, &s, &e);
	(void)terra_rec_str(rec, "unit", &s, &e);
	(void)terra_rec_int(rec, "seq", &i, &e);
	(void)terra_rec_time(rec, "start", &i, &e);
	(void)terra_rec_amount(rec, "amount", &i, &e);
	(void)terra_rec_obj(rec, "evidence", &o, &e);
	(void)terra_rec_verify(rec, NULL, &e);
	json_decref(rec);
	return 0;
}
