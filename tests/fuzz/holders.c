/*
 * libFuzzer harness: the holders CSV reader on any bytes. A snapshot that
 * loads is sorted, has no duplicate account, and only non-negative balances.
 */
#include "lib/holders.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	terra_holders hs;
	terra_err e;
	uint8_t digest[32];
	FILE *f;

	if (!path[0])
		snprintf(path, sizeof path, "/dev/shm/terra-fuzz-holders.%ld.csv", (long)getpid());
	f = fopen(path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	terra_holders_init(&hs);
	if (terra_holders_load(&hs, path, &e) == 0) {
		for (size_t i = 0; i < hs.n; i++) {
			if (hs.v[i].balance < 0)
				abort();
			if (i && strcmp(terra_holders_account(&hs, i - 1),
			                terra_holders_account(&hs, i)) >= 0)
				abort();
		}
		terra_holders_digest(&hs, digest);
	}
	terra_holders_free(&hs);
	return 0;
}
