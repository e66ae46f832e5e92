/* The holders CSV reader: layouts it accepts, rows it refuses, and its digest. */
#include "lib/holders.h"
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

static char dir[] = "/tmp/terra-holders.XXXXXX";

static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fputs(text, f) == EOF || fclose(f))
		abort();
	return path;
}

/* Loads text; 0 on success with hs filled, else -1 with e. */
static int load(const char *text, terra_holders *hs, terra_err *e)
{
	terra_holders_init(hs);
	return terra_holders_load(hs, write_file("h.csv", text), e);
}

static void digest_hex(const terra_holders *hs, char out[65])
{
	uint8_t d[32];
	int i;

	terra_holders_digest(hs, d);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void accepted_layouts(void)
{
	static const char *const layouts[] = {
	    "account,balance\nbob,2.5\nalice,100\n",
	    "bob,2.5\nalice,100\n",
	    "\xef\xbb\xbf"
	    "account,balance\r\nalice,100\r\nbob,2.500000000\r\n",
	    "\"account\",\"balance\"\r\n\"bob\",\"2.5\"\r\n\"alice\",\"100\"",
	    "ACCOUNT,Balance\n\nalice, 100\n\n  bob ,2.5\n\n",
	    "\xef\xbb\xbf\"alice\",100\r\n\"bob\",\"0002.50\"\r\n",
	};
	char first[65] = "", hex[65];
	size_t i;

	for (i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
		terra_holders hs;
		terra_err e = {0};
		char name[64];
		int rc = load(layouts[i], &hs, &e);

		snprintf(name, sizeof name, "layout %zu loads", i + 1);
		if (!ok(rc == 0, name)) {
			printf("#   %s\n", e.msg);
			continue;
		}
		snprintf(name, sizeof name, "layout %zu: two holders, sorted, exact balances",
		         i + 1);
		ok(hs.n == 2 && !strcmp(terra_holders_account(&hs, 0), "alice") &&
		       hs.v[0].balance == 100000000000 &&
		       !strcmp(terra_holders_account(&hs, 1), "bob") &&
		       hs.v[1].balance == 2500000000,
		   name);
		digest_hex(&hs, hex);
		if (i == 0)
			memcpy(first, hex, sizeof hex);
		snprintf(name, sizeof name, "layout %zu: same digest as layout 1", i + 1);
		is_str(hex, first, name);
		terra_holders_free(&hs);
	}
}

static void refused(const char *text, const char *want, const char *name)
{
	terra_holders hs;
	terra_err e = {0};

	ok(load(text, &hs, &e) < 0 && hs.n == 0, name);
	like(e.msg, want, name);
}

static void refused_rows(void)
{
	refused("alice,100\nbob,-1\n", "h.csv:2: balance '-1'", "negative balance: FILE:LINE");
	refused("account,balance\nalice,1e5\n", "h.csv:2: balance '1e5'", "exponent refused");
	refused("alice,1.0000000001\n", "h.csv:1: balance", "more than 9 decimals refused");
	refused("alice,99999999999\n", "h.csv:1: balance", "over the int64 range refused");
	refused("alice,\n", "h.csv:1: balance ''", "empty balance refused");
	refused("alice,1\nbob\n", "h.csv:2: expected 2 fields (account,balance), got 1",
	        "one field refused");
	refused("alice,1,2\n", "h.csv:1: expected 2 fields", "three fields refused");
	refused("alice,1\r\nbob,2\r\nalice,3\r\n",
	        "h.csv:3: account 'alice' listed twice (first at "
	        "line 1)",
	        "duplicate account: both lines");
	refused("treasury,1\n", "account 'treasury' is reserved", "reserved account refused");
	refused("\"al,ice\",1\n", "h.csv:1: account 'al,ice': character 3", "comma in account");
	refused("alice,1\n\n\"bo\nb\",2\n", "h.csv:3: account", "multi-line row: its first line");
	refused("alice,1\n\"bob,2\n", "h.csv:2: ", "unterminated quote refused");
	refused("account,amount\nalice,1\n", "h.csv:1: header: expected 'account,balance'",
	        "wrong header refused");
	refused(",5\n", "h.csv:1: empty account", "empty account refused");
}

static void edges(void)
{
	terra_holders hs;
	terra_err e = {0};
	char a[65], b[65];

	ok(load("", &hs, &e) == 0 && hs.n == 0, "empty file: no holders");
	terra_holders_free(&hs);
	ok(load("account,balance\r\n", &hs, &e) == 0 && hs.n == 0, "header only: no holders");
	terra_holders_free(&hs);
	ok(load("zed,0\nalice,0.000000001\n", &hs, &e) == 0 && hs.n == 2 && hs.v[0].balance == 1 &&
	       hs.v[1].balance == 0,
	   "zero and one-base-unit balances");
	digest_hex(&hs, a);
	terra_holders_free(&hs);
	ok(load("zed,0\nalice,0.000000002\n", &hs, &e) == 0, "another snapshot");
	digest_hex(&hs, b);
	ok(strcmp(a, b) != 0, "a different balance gives a different digest");
	terra_holders_free(&hs);
	ok(terra_holders_load(&hs, "/nonexistent/h.csv", &e) < 0, "missing file refused");
	like(e.msg, "open '/nonexistent/h.csv'", "message names the file");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	accepted_layouts();
	refused_rows();
	edges();
	unlink(write_file("h.csv", ""));
	rmdir(dir);
	return done_testing();
}
