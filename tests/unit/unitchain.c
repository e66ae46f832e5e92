/* The chain of a unit's record versions (lib/unitchain.c). */
#include "lib/unitchain.h"

#include "lib/hex.h"
#include "lib/key.h"
#include "lib/record.h"
#include "lib/time.h"
#include "lib/unit.h"
#include "tap.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char fingerprint[] =
    "abababababababababababababababababababababababababababababababab";
static terra_key seller, buyer, thief, unitkey;

static int64_t at(const char *t)
{
	terra_err e;
	int64_t us = 0;

	if (terra_time_parse(t, &us, &e) < 0)
		printf("# time '%s': %s\n", t, e.msg);
	return us;
}

static const char *hex(const terra_key *k)
{
	static char out[4][TERRA_PK_HEX];
	static int i;

	i = (i + 1) % 4;
	terra_hex(k->pk, TERRA_PK_BYTES, out[i]);
	return out[i];
}

/* The first version, signed by the seller. */
static json_t *first(void)
{
	char id[TERRA_UNIT_ID_HEX];
	terra_err e;
	json_t *rec;

	terra_unit_id(seller.pk, fingerprint, id);
	rec = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:i,s:s,s:s}", "type", "unit", "v", 1, "unit", id,
	                "owner", hex(&seller), "unit_pub", hex(&unitkey), "fingerprint",
	                fingerprint, "score", 7, "state", "active", "registered_at",
	                "2026-11-21T10:00:00.000000Z");
	if (terra_rec_sign(rec, &seller, &e) < 0)
		printf("# sign: %s\n", e.msg);
	return rec;
}

/* The next version of prev: owner, transferred_from (or NULL), state, time; signed by k. */
static json_t *next(const json_t *prev, const terra_key *owner, const terra_key *from,
                    const char *state, const char *when, const terra_key *k)
{
	json_t *rec = json_deep_copy(prev);
	terra_err e;

	json_object_del(rec, "sig");
	json_object_del(rec, "signer");
	json_object_del(rec, "transferred_from");
	json_object_del(rec, "retired_at");
	json_object_set_new(rec, "owner", json_string(hex(owner)));
	if (from)
		json_object_set_new(rec, "transferred_from", json_string(hex(from)));
	json_object_set_new(rec, "state", json_string(state));
	if (!strcmp(state, "retired"))
		json_object_set_new(rec, "retired_at", json_string(when));
	json_object_set_new(rec, "updated_at", json_string(when));
	if (terra_rec_sign(rec, k, &e) < 0)
		printf("# sign: %s\n", e.msg);
	return rec;
}

int main(void)
{
	int64_t now = at("2026-11-21T12:00:00Z");
	json_t *v1, *v2, *v3, *bad, *versions;
	terra_err e;
	int retired = -1;

	if (sodium_init() < 0 || terra_key_generate(&seller, &e) < 0 ||
	    terra_key_generate(&buyer, &e) < 0 || terra_key_generate(&thief, &e) < 0 ||
	    terra_key_generate(&unitkey, &e) < 0)
		return 1;
	v1 = first();
	ok(terra_unitchain_next(NULL, v1, now, &e) == 0, "a first version signed by its owner");
	v2 = next(v1, &buyer, &seller, "active", "2026-11-21T11:00:00.000000Z", &seller);
	ok(terra_unitchain_next(v1, v2, now, &e) == 0, "a transfer signed by the previous owner");
	v3 = next(v2, &buyer, NULL, "retired", "2026-11-21T11:30:00.000000Z", &buyer);
	ok(terra_unitchain_next(v2, v3, now, &e) == 0, "a retirement signed by the new owner");

	ok(terra_unitchain_next(NULL, v2, now, &e) < 0, "a transfer is no first version");
	like(e.msg, "a transfer without the unit's earlier record", "... the message");
	bad = next(v1, &thief, &thief, "active", "2026-11-21T11:00:00.000000Z", &thief);
	ok(terra_unitchain_next(v1, bad, now, &e) < 0 && e.kind == TERRA_E_VERIFY,
	   "a transfer by someone else to itself is refused");
	like(e.msg, "but the unit is owned by", "... the message");
	json_decref(bad);
	bad = next(v1, &thief, &seller, "active", "2026-11-21T11:00:00.000000Z", &thief);
	ok(terra_unitchain_next(v1, bad, now, &e) < 0, "a transfer from the owner it did not sign");
	like(e.msg, "not signed by the owner it is transferred from", "... the message");
	json_decref(bad);
	bad = next(v1, &thief, NULL, "active", "2026-11-21T11:00:00.000000Z", &thief);
	ok(terra_unitchain_next(v1, bad, now, &e) < 0, "an owner change without a transfer");
	like(e.msg, "owner changed without a transfer", "... the message");
	json_decref(bad);
	bad = next(v3, &buyer, NULL, "active", "2026-11-21T11:40:00.000000Z", &buyer);
	ok(terra_unitchain_next(v3, bad, now, &e) < 0, "an active version after a retirement");
	like(e.msg, "retirement is final", "... the message");
	json_decref(bad);
	bad = next(v1, &seller, NULL, "active", "2026-11-21T11:00:00.000000Z", &seller);
	json_object_set_new(bad, "unit_pub", json_string(hex(&thief)));
	json_object_del(bad, "sig");
	terra_rec_sign(bad, &seller, &e);
	ok(terra_unitchain_next(v1, bad, now, &e) < 0, "a new unit key, even from the owner");
	like(e.msg, "unit_pub' changed without the old unit key's signature", "... the message");
	json_decref(bad);
	bad = next(v1, &buyer, &seller, "active", "2026-11-21T09:00:00.000000Z", &seller);
	ok(terra_unitchain_next(v1, bad, now, &e) < 0, "a version dated before the one it follows");
	json_decref(bad);
	bad = next(v1, &buyer, &seller, "active", "2026-11-21T12:05:00.000000Z", &seller);
	ok(terra_unitchain_next(v1, bad, now, &e) == 0, "five minutes ahead is allowed");
	json_decref(bad);
	bad = next(v1, &buyer, &seller, "active", "2026-11-21T12:05:00.000001Z", &seller);
	ok(terra_unitchain_next(v1, bad, now, &e) < 0, "more than five minutes ahead is not");
	like(e.msg, "in the future", "... the message");
	json_decref(bad);

	/* Rescores: score and bench change only in a version that says so. */
	bad = next(v1, &seller, NULL, "active", "2026-11-21T11:00:00.000000Z", &seller);
	json_object_set_new(bad, "score", json_integer(9));
	json_object_set_new(bad, "bench",
	                    json_pack("{s:i, s:i}", "fp32_mflops", 5, "sgemm_mflops", 9));
	json_object_set_new(bad, "rescored_from", json_integer(7));
	json_object_del(bad, "sig");
	terra_rec_sign(bad, &seller, &e);
	ok(terra_unitchain_next(v1, bad, now, &e) == 0,
	   "a rescore by the owner, score its sgemm_mflops");
	json_object_set_new(bad, "score", json_integer(1000000));
	json_object_del(bad, "sig");
	terra_rec_sign(bad, &seller, &e);
	ok(terra_unitchain_next(v1, bad, now, &e) < 0 && e.kind == TERRA_E_VERIFY,
	   "a rescore whose score is not its bench's sgemm_mflops is refused");
	like(e.msg, "a rescore whose score is not its bench.sgemm_mflops", "... the message");
	json_object_set_new(bad, "score", json_integer(5));
	json_object_set_new(bad, "bench", json_pack("{s:i}", "fp32_mflops", 5));
	json_object_del(bad, "sig");
	terra_rec_sign(bad, &seller, &e);
	ok(terra_unitchain_next(v1, bad, now, &e) < 0,
	   "so is one scored by fp32_mflops, without sgemm_mflops");
	like(e.msg, "a rescore whose score is not its bench.sgemm_mflops", "... the message");
	json_object_set_new(bad, "score", json_integer(9));
	json_object_set_new(bad, "bench",
	                    json_pack("{s:i, s:i}", "fp32_mflops", 5, "sgemm_mflops", 9));
	json_object_del(bad, "rescored_from");
	json_object_del(bad, "sig");
	terra_rec_sign(bad, &seller, &e);
	ok(terra_unitchain_next(v1, bad, now, &e) < 0 && e.kind == TERRA_E_VERIFY,
	   "a new score without rescored_from is refused");
	like(e.msg, "field 'score' differs from the unit's earlier record without a rescore",
	     "... the message");
	json_object_set_new(bad, "score", json_integer(7));
	json_object_set_new(bad, "bench", json_pack("{s:i}", "sgemm_mflops", 1));
	json_object_del(bad, "sig");
	terra_rec_sign(bad, &seller, &e);
	ok(terra_unitchain_next(v1, bad, now, &e) < 0, "so is a new bench");
	json_object_set_new(bad, "rescored_from", json_integer(8));
	json_object_del(bad, "sig");
	terra_rec_sign(bad, &seller, &e);
	ok(terra_unitchain_next(v1, bad, now, &e) < 0, "a rescore from a score the unit never had");
	like(e.msg, "'rescored_from' is not the score", "... the message");
	json_decref(bad);
	bad = next(v1, &buyer, &seller, "active", "2026-11-21T11:00:00.000000Z", &seller);
	json_object_set_new(bad, "score", json_integer(9));
	json_object_set_new(bad, "rescored_from", json_integer(7));
	json_object_del(bad, "sig");
	terra_rec_sign(bad, &seller, &e);
	ok(terra_unitchain_next(v1, bad, now, &e) < 0, "a rescore that is also a transfer");
	like(e.msg, "also a transfer or a retirement", "... the message");
	json_decref(bad);
	bad = next(v1, &thief, NULL, "active", "2026-11-21T11:00:00.000000Z", &thief);
	json_object_set_new(bad, "owner", json_string(hex(&seller)));
	json_object_set_new(bad, "score", json_integer(1000000));
	json_object_set_new(bad, "bench", json_pack("{s:i}", "sgemm_mflops", 1000000));
	json_object_set_new(bad, "rescored_from", json_integer(7));
	json_object_del(bad, "sig");
	terra_rec_sign(bad, &thief, &e);
	ok(terra_unitchain_next(v1, bad, now, &e) < 0, "a rescore signed by someone else");
	like(e.msg, "not signed by the owner", "... the message");
	json_decref(bad);
	bad = json_deep_copy(v1);
	json_object_set_new(bad, "rescored_from", json_integer(3));
	json_object_del(bad, "sig");
	terra_rec_sign(bad, &seller, &e);
	ok(terra_unitchain_next(NULL, bad, now, &e) < 0, "a rescore is no first version");
	json_decref(bad);

	/* The owner at a time: usage before the transfer is the seller's. */
	versions = json_pack("[O,O,O]", v1, v2, v3);
	ok(terra_unitchain_owner_at(versions, at("2026-11-21T09:59:59Z"), &retired) == NULL,
	   "owner_at: nobody before the registration");
	is_str(terra_unitchain_owner_at(versions, at("2026-11-21T10:30:00Z"), &retired),
	       hex(&seller), "owner_at: the seller before the transfer");
	is_int(retired, 0, "owner_at: ... not retired");
	is_str(terra_unitchain_owner_at(versions, at("2026-11-21T11:00:00Z"), &retired),
	       hex(&buyer), "owner_at: the buyer from the transfer's instant");
	is_str(terra_unitchain_owner_at(versions, at("2026-11-21T11:29:59Z"), &retired),
	       hex(&buyer), "owner_at: the buyer until the retirement");
	is_int(retired, 0, "owner_at: ... not yet retired");
	terra_unitchain_owner_at(versions, at("2026-11-21T11:30:00Z"), &retired);
	is_int(retired, 1, "owner_at: retired from retired_at on");

	json_decref(versions);
	json_decref(v1);
	json_decref(v2);
	json_decref(v3);
	terra_key_wipe(&seller);
	terra_key_wipe(&buyer);
	terra_key_wipe(&thief);
	terra_key_wipe(&unitkey);
	return done_testing();
}
