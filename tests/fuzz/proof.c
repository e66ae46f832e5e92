/*
 * libFuzzer harness: the offline proof verifier (terra-ledger verify-proof)
 * on any bytes. The key is the one that signed the seed proofs in
 * corpus/proof, so mutations of a valid proof reach the deep checks.
 */
#include "lib/key.h"
#include "lib/ledger.h"
#include "lib/record.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* owner.pub of the home that made the seed proofs (tests/fuzz/corpus/proof/KEY). */
#include "proof-key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[32];
	static int have_pk;
	terra_err e;
	json_t *proof = NULL, *payouts = NULL;

	if (!have_pk) {
		if (terra_unhex(TERRA_FUZZ_PROOF_KEY, pk, sizeof pk, &e) != 0)
			abort();
		have_pk = 1;
	}
	if (terra_record_parse((const char *)data, size, &proof, &e) != 0)
		return 0;
	(void)terra_ledger_verify_proof(proof, pk, &payouts, &e);
	json_decref(payouts);
	json_decref(proof);
	return 0;
}
