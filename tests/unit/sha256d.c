/* Double SHA-256 over block headers: real Bitcoin headers on the host and on an OpenCL device. */
#include "lib/key.h"
#include "lib/sha256d.h"
#include "tests/unit/tap.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>

static const char *fixture(char *buf, size_t len)
{
	const char *top = getenv("TERRA_TOP");

	snprintf(buf, len, "%s/tests/fixtures/bitcoin-headers.json", top ? top : ".");
	return buf;
}

/* The block's target from its compact "bits" as a little-endian 256-bit number. */
static void target_from_bits(uint32_t bits, uint8_t target[32])
{
	uint32_t exp = bits >> 24, mant = bits & 0xffffff;

	memset(target, 0, 32);
	for (int i = 0; i < 3; i++) {
		int pos = (int)exp - 3 + i;
		if (pos >= 0 && pos < 32)
			target[pos] = (uint8_t)(mant >> (8 * i));
	}
}

static int le_below(const uint8_t a[32], const uint8_t b[32])
{
	for (int i = 31; i >= 0; i--)
		if (a[i] != b[i])
			return a[i] < b[i];
	return 0;
}

static void test_meets(void)
{
	uint8_t h[32] = {0};

	ok(terra_sha256d_meets(h, 256), "all-zero hash meets 256 bits");
	h[0] = 1;
	ok(!terra_sha256d_meets(h, 256), "lowest byte set misses 256 bits");
	ok(terra_sha256d_meets(h, 248), "lowest byte set meets 248 bits");
	memset(h, 0, 32);
	h[31] = 0x01;
	ok(terra_sha256d_meets(h, 7), "0x01 top byte meets 7 bits");
	ok(!terra_sha256d_meets(h, 8), "0x01 top byte misses 8 bits");
	h[31] = 0;
	h[30] = 0x10;
	ok(terra_sha256d_meets(h, 11), "0x0010.. meets 11 bits");
	ok(!terra_sha256d_meets(h, 12), "0x0010.. misses 12 bits");
	ok(terra_sha256d_meets(h, 0), "any hash meets 0 bits");
}

static void test_rolling(void)
{
	uint8_t tmpl[80], out[80];

	for (int i = 0; i < 80; i++)
		tmpl[i] = (uint8_t)i;
	terra_sha256d_header(tmpl, UINT64_C(0x0300000005), out);
	ok(!memcmp(out, tmpl, 68), "bytes 0..67 are the template's");
	is_int(out[76] | out[77] << 8 | out[78] << 16 | (uint32_t)out[79] << 24, 5,
	       "nonce is the low 32 bits, little-endian");
	is_int(out[68] | out[69] << 8 | out[70] << 16 | (uint32_t)out[71] << 24, 0x47464544u + 3,
	       "ntime rolls by n >> 32");
	ok(!memcmp(out + 72, tmpl + 72, 4), "bits field untouched");
}

static void test_headers(void)
{
	char path[4096];
	json_error_t jerr;
	json_t *doc = json_load_file(fixture(path, sizeof path), 0, &jerr);
	json_t *hdr;
	size_t i;

	if (!ok(doc != NULL, "fixture loads")) {
		printf("# %s\n", jerr.text);
		return;
	}
	json_array_foreach(json_object_get(doc, "headers"), i, hdr)
	{
		uint8_t tmpl[80], hash[32], target[32];
		char rev[65], name[128];
		terra_err e;
		uint32_t nonce = (uint32_t)json_integer_value(json_object_get(hdr, "nonce"));
		int64_t height = json_integer_value(json_object_get(hdr, "height"));
		uint32_t bits =
		    (uint32_t)strtoul(json_string_value(json_object_get(hdr, "bits")), NULL, 16);

		if (terra_unhex(json_string_value(json_object_get(hdr, "header")), tmpl, 80, &e)) {
			ok(0, e.msg);
			continue;
		}
		/* Blank out the nonce: the scan of nonce n must rebuild the real header. */
		memset(tmpl + 76, 0, 4);
		terra_sha256d_hash(tmpl, nonce, hash);
		for (int j = 0; j < 32; j++)
			snprintf(rev + 2 * j, 3, "%02x", hash[31 - j]);
		snprintf(name, sizeof name, "block %lld: hash of the winning nonce",
		         (long long)height);
		is_str(rev, json_string_value(json_object_get(hdr, "hash")), name);
		target_from_bits(bits, target);
		snprintf(name, sizeof name, "block %lld: hash below the block's target",
		         (long long)height);
		ok(le_below(hash, target), name);
		snprintf(name, sizeof name, "block %lld: meets 32 share bits", (long long)height);
		ok(terra_sha256d_meets(hash, 32), name);
		terra_sha256d_hash(tmpl, nonce + 1, hash);
		snprintf(name, sizeof name, "block %lld: the next nonce misses 32 bits",
		         (long long)height);
		ok(!terra_sha256d_meets(hash, 32), name);
	}
	json_decref(doc);
}

static cl_context ctx;
static cl_device_id dev;
static cl_command_queue queue;

static int device_open(void)
{
	cl_platform_id p;
	cl_int rc;

	if (clGetPlatformIDs(1, &p, NULL) != CL_SUCCESS ||
	    clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 1, &dev, NULL) != CL_SUCCESS)
		return -1;
	ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &rc);
	if (rc != CL_SUCCESS)
		return -1;
	queue = clCreateCommandQueueWithProperties(ctx, dev, NULL, &rc);
	return rc == CL_SUCCESS ? 0 : -1;
}

/* The device scan of [start, start + count) finds exactly the nonces the host finds. */
static void scan_matches_host(terra_sha256d_cl *s, const uint8_t tmpl[80], uint64_t start,
                              uint64_t count, int bits, const char *name)
{
	uint64_t got[4096], want[4096];
	size_t ngot = 0, nwant = 0;
	terra_err e;

	for (uint64_t n = start; n < start + count; n++) {
		uint8_t hash[32];
		terra_sha256d_hash(tmpl, n, hash);
		if (terra_sha256d_meets(hash, bits) && nwant < 4096)
			want[nwant++] = n;
	}
	if (terra_sha256d_cl_scan(s, tmpl, start, count, bits, got, 4096, &ngot, NULL, &e) < 0) {
		ok(0, name);
		printf("# %s\n", e.msg);
		return;
	}
	if (!ok(ngot == nwant && !memcmp(got, want, nwant * sizeof *got), name))
		printf("#   device found %zu, host %zu\n", ngot, nwant);
}

/* Leading zero bits of a hash read as a little-endian 256-bit number. */
static int zero_bits(const uint8_t hash[32])
{
	int bits = 0;

	for (int i = 31; i >= 0 && hash[i] == 0; i--)
		bits += 8;
	if (bits < 256)
		for (uint8_t top = hash[31 - bits / 8]; !(top & 0x80); top = (uint8_t)(top << 1))
			bits++;
	return bits;
}

static void test_device(const char *vec)
{
	char path[4096], name[160];
	json_t *doc = json_load_file(fixture(path, sizeof path), 0, NULL), *hdr;
	terra_sha256d_cl *s = NULL;
	uint8_t tmpl[80];
	terra_err e;
	size_t i;

	setenv("TERRA_SHA256D_VEC", vec, 1);
	snprintf(name, sizeof name, "vec %s: the scan kernel builds", vec);
	if (!ok(terra_sha256d_cl_open(&s, ctx, dev, queue, &e) == 0, name)) {
		printf("# %s\n", e.msg);
		json_decref(doc);
		return;
	}
	json_array_foreach(json_object_get(doc, "headers"), i, hdr)
	{
		uint64_t nonce = (uint64_t)json_integer_value(json_object_get(hdr, "nonce"));
		uint64_t shares[16];
		uint8_t hash[32];
		size_t n = 0;
		int bits;

		terra_unhex(json_string_value(json_object_get(hdr, "header")), tmpl, 80, &e);
		memset(tmpl + 76, 0, 4);
		snprintf(name, sizeof name,
		         "vec %s: block %lld's winning nonce is found in a window", vec,
		         (long long)json_integer_value(json_object_get(hdr, "height")));
		ok(terra_sha256d_cl_scan(s, tmpl, nonce - 5000, 10001, 32, shares, 16, &n, NULL,
		                         &e) == 0 &&
		       n == 1 && shares[0] == nonce,
		   name);
		/* The device compares one word, 32 bits; the host the rest. At one
		 * bit past the hash's zeros the nonce passes the device and must
		 * fail on the host, without an error. */
		terra_sha256d_hash(tmpl, nonce, hash);
		bits = zero_bits(hash);
		n = 0;
		snprintf(name, sizeof name, "vec %s: block %lld's nonce meets its %d zero bits",
		         vec, (long long)json_integer_value(json_object_get(hdr, "height")), bits);
		ok(terra_sha256d_cl_scan(s, tmpl, nonce - 100, 201, bits, shares, 16, &n, NULL,
		                         &e) == 0 &&
		       n == 1 && shares[0] == nonce,
		   name);
		n = 0;
		snprintf(name, sizeof name,
		         "vec %s: block %lld's nonce passes the device's word, misses %d bits", vec,
		         (long long)json_integer_value(json_object_get(hdr, "height")), bits + 1);
		ok(bits >= 32 &&
		       terra_sha256d_cl_scan(s, tmpl, nonce - 100, 201, bits + 1, shares, 16, &n,
		                             NULL, &e) == 0 &&
		       n == 0,
		   name);
	}
	snprintf(name, sizeof name, "vec %s: 20000 nonces, 8 share bits: the host's shares", vec);
	scan_matches_host(s, tmpl, 987654, 20000, 8, name);
	snprintf(name, sizeof name, "vec %s: 12 share bits, a mask across bytes: the host's shares",
	         vec);
	scan_matches_host(s, tmpl, 5000000, 100000, 12, name);
	snprintf(name, sizeof name, "vec %s: across 2^32 (ntime rolls): the host's shares", vec);
	scan_matches_host(s, tmpl, (UINT64_C(1) << 32) - 3000, 6000, 8, name);
	snprintf(name, sizeof name, "vec %s: an odd count (7 nonces): the host's shares", vec);
	scan_matches_host(s, tmpl, 5, 7, 1, name);
	terra_sha256d_cl_close(s);
	json_decref(doc);
	unsetenv("TERRA_SHA256D_VEC");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_meets();
	test_rolling();
	test_headers();
	/* Under valgrind the OpenCL runtime compiles kernels far too slowly. */
	if (getenv("TERRA_VALGRIND")) {
		printf("ok %d - # SKIP the device under valgrind\n", ++tap_n);
		return done_testing();
	}
	if (device_open() < 0) {
		printf("ok %d - # SKIP no OpenCL device\n", ++tap_n);
		return done_testing();
	}
	test_device("1");
	test_device("4");
	test_device("16");
	clReleaseCommandQueue(queue);
	clReleaseContext(ctx);
	return done_testing();
}
