#include "hex.h"

#include <sodium.h>
#include <string.h>

void terra_hex(const uint8_t *in, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, in, n);
}

int terra_unhex_n(const char *hex, size_t len, uint8_t *out, size_t n)
{
	const char *end = NULL;
	size_t got = 0;

	if (len != 2 * n || sodium_hex2bin(out, n, hex, len, NULL, &got, &end) != 0 || got != n ||
	    end != hex + len)
		return -1;
	return 0;
}

int terra_unhex(const char *hex, uint8_t *out, size_t n, terra_err *e)
{
	if (!hex || terra_unhex_n(hex, strlen(hex), out, n) < 0)
		return terra_err_set(e, TERRA_E_INPUT, "bad hex: want %zu hex characters", 2 * n);
	return 0;
}

int terra_hex_is_lower(const char *hex, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return 0;
	return 1;
}
