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

/* A lowercase digit's value plus one; 0 for any other byte. */
static const uint8_t digit1[256] = {
    ['0'] = 1, ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
};

int terra_unhex_lower(const char *hex, size_t len, uint8_t *out, size_t n)
{
	unsigned bad = 0;

	if (len != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned hi = digit1[(unsigned char)hex[2 * i]],
		         lo = digit1[(unsigned char)hex[2 * i + 1]];

		bad |= !hi | !lo;
		out[i] = (uint8_t)((hi - 1) << 4 | ((lo - 1) & 15));
	}
	return bad ? -1 : 0;
}
