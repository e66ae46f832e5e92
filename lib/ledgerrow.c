#include "ledgerrow.h"

#include "canon.h"
#include "entries.h"
#include "hex.h"
#include "ledger.h"
#include "ledgerint.h"
#include "record.h"
#include "time.h"

#include <inttypes.h>
#include <string.h>

int terra_ledger_unit_check(const json_t *payload, int64_t seq, terra_err *e)
{
	const char *owner, *from = NULL;
	uint8_t pk[TERRA_PK_BYTES];

	if (terra_rec_str(payload, "owner", &owner, e) ||
	    terra_rec_str_opt(payload, "transferred_from", &from, e) ||
	    terra_unhex(from ? from : owner, pk, sizeof pk, e) ||
	    terra_rec_verify(payload, pk, e)) {
		e->kind = TERRA_E_VERIFY;
		return terra_err_wrap(e, "entry %" PRId64 ": unit record", seq);
	}
	return 0;
}

/* The ordered pass reads a payment's postings and a settlement's fields. */
static int tree_kind(const char *kind)
{
	return terra_entries_is_unit_version(kind) || !strcmp(kind, "payment") ||
	       !strcmp(kind, "settlement");
}

/* As terra_ledger_entry_fast, the payload already known to be in written form. */
static int entry_checks(int64_t seq, const char *kind, const char *payload, size_t plen,
                        const uint8_t prev[TERRA_HASH_BYTES], const char *created_at,
                        const uint8_t *stored_leaf, terra_buf *line, terra_ledger_row *r)
{
	terra_err e;
	int64_t at;

	r->payload = NULL;
	if (!terra_ledger_kind_ok(kind) || strlen(kind) >= sizeof r->kind || !created_at ||
	    !terra_ledger_safe_text(created_at) || terra_time_parse(created_at, &at, &e) < 0)
		return 0;
	if (terra_ledger_entry_line(line, seq, kind, payload, plen, prev, created_at) < 0)
		return 0;
	terra_merkle_leaf(line->p, line->len, r->leaf);
	if (stored_leaf && memcmp(stored_leaf, r->leaf, TERRA_HASH_BYTES))
		return 0;
	if (tree_kind(kind)) {
		r->payload = json_loadb(payload, plen, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(r->payload) ||
		    (terra_entries_is_unit_version(kind) &&
		     terra_ledger_unit_check(r->payload, seq, &e) < 0)) {
			json_decref(r->payload);
			r->payload = NULL;
			return 0;
		}
	}
	r->seq = seq;
	strcpy(r->kind, kind);
	memcpy(r->prev, prev, TERRA_HASH_BYTES);
	return 1;
}

int terra_ledger_entry_fast(int64_t seq, const char *kind, const char *payload, size_t plen,
                            const uint8_t prev[TERRA_HASH_BYTES], const char *created_at,
                            const uint8_t *stored_leaf, terra_buf *line, terra_ledger_row *r)
{
	terra_canon_member m[TERRA_CANON_MEMBERS];

	/* In written form, the payload is what the canonical writer makes of it. */
	if (terra_canon_split(payload, plen, m, TERRA_CANON_MEMBERS) < 0)
		return 0;
	return entry_checks(seq, kind, payload, plen, prev, created_at, stored_leaf, line, r);
}

int terra_ledger_entry_line_fast(const char *text, size_t len, terra_buf *line, terra_ledger_row *r)
{
	static const char *const keys[] = {"created_at", "kind", "payload", "prev",
	                                   "seq",        "type", "v"};
	terra_canon_member m[TERRA_CANON_MEMBERS];
	const terra_canon_member *payload;
	char created_at[2 * TERRA_TIME_MAX], kind[TERRA_LEDGER_KIND_MAX];
	uint8_t prev[TERRA_HASH_BYTES];
	int n = terra_canon_split(text, len, m, TERRA_CANON_MEMBERS), i;

	r->payload = NULL;
	if (n != 7)
		return 0;
	for (i = 0; i < 7; i++)
		if (m[i].key_len != strlen(keys[i]) ||
		    memcmp(text + m[i].key, keys[i], m[i].key_len))
			return 0;
	if (!terra_canon_is(text, &m[5], "entry") || !terra_canon_is_int(&m[6]) || m[6].num != 1)
		return 0;
	payload = &m[2];
	if (terra_canon_str(text, &m[0], created_at, sizeof created_at) < 0 ||
	    terra_canon_str(text, &m[1], kind, sizeof kind) < 0 ||
	    payload->kind != TERRA_CANON_OBJECT ||
	    terra_canon_hex(text, &m[3], prev, sizeof prev) < 0 || !terra_canon_is_int(&m[4]))
		return 0;
	if (!entry_checks(m[4].num, kind, text + payload->val, payload->val_len, prev, created_at,
	                  NULL, line, r))
		return 0;
	/* The line must be exactly the entry record that was hashed. */
	if (line->len == len && !memcmp(line->p, text, len))
		return 1;
	json_decref(r->payload);
	r->payload = NULL;
	return 0;
}

int terra_ledger_checkpoint_fast(const char *body, size_t len, const uint8_t pk[TERRA_PK_BYTES],
                                 const char *origin, char *scratch, terra_ledger_cp *cp)
{
	terra_canon_member m[TERRA_CANON_MEMBERS];
	const terra_canon_member *type, *v, *size, *orig, *root, *signer, *sig;
	uint8_t signer_pk[TERRA_PK_BYTES], sig_bytes[TERRA_SIG_BYTES];
	size_t clen, n;
	int got = terra_canon_split(body, len, m, TERRA_CANON_MEMBERS);

	if (got < 0)
		return 0;
	n = (size_t)got;
	type = terra_canon_find(body, m, n, "type");
	v = terra_canon_find(body, m, n, "v");
	size = terra_canon_find(body, m, n, "size");
	orig = terra_canon_find(body, m, n, "origin");
	root = terra_canon_find(body, m, n, "root");
	signer = terra_canon_find(body, m, n, "signer");
	sig = terra_canon_find(body, m, n, "sig");
	if (!terra_canon_is(body, type, "checkpoint") || !terra_canon_is_int(v) || v->num != 1 ||
	    !terra_canon_is_int(size) || !terra_canon_is(body, orig, origin) ||
	    terra_canon_hex(body, root, cp->root, TERRA_HASH_BYTES) < 0 ||
	    terra_canon_hex(body, signer, signer_pk, sizeof signer_pk) < 0 ||
	    memcmp(signer_pk, pk, sizeof signer_pk) ||
	    terra_canon_hex(body, sig, sig_bytes, sizeof sig_bytes) < 0)
		return 0;
	clen = terra_canon_without(body, len, m, n, (size_t)(sig - m), scratch);
	if (terra_key_verify(pk, scratch, clen, sig_bytes) < 0)
		return 0;
	cp->size = size->num;
	cp->signer = signer->val;
	cp->signer_len = signer->val_len;
	cp->sig = sig->val;
	cp->sig_len = sig->val_len;
	return 1;
}
