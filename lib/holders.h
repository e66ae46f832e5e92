#ifndef TERRA_HOLDERS_H
#define TERRA_HOLDERS_H
/*
 * The token holders snapshot terra-settle splits the holders' part over:
 * a CSV file (RFC 4180, read with libcsv) of rows `account,balance`.
 *   - an optional header row: a first row whose first field is "account"
 *     (any case) is skipped;
 *   - quoted fields, CRLF or LF line ends, a leading UTF-8 byte order mark
 *     and blank lines are accepted;
 *   - account: 1 to TERRA_ACCOUNT_MAX characters from A-Z a-z 0-9 and
 *     . _ - @ + (an owner public key in hex is one; not ':', hledger's
 *     subaccount separator); "treasury", "carry", "revenue", "paid" and
 *     "holders" are the toolkit's own accounts and are refused; two
 *     accounts that differ only by case are refused; a NUL byte anywhere
 *     in a field is refused;
 *   - balance: a non-negative TERRA amount, an integer or a decimal with at
 *     most 9 decimals ("100", "2.5", "0.000000001"), held exactly as base
 *     units; the split is pro rata to it;
 *   - every row has exactly these two fields; an account listed twice is
 *     an error.
 * A bad row fails the whole load with "FILE:LINE: why" (LINE the row's first
 * line), so nothing is settled from a partly read snapshot.
 */
#include "err.h"
#include "merkle.h"

#include <stddef.h>
#include <stdint.h>

#define TERRA_ACCOUNT_MAX 128

/* 16 bytes: a million holders are the largest array terra-settle holds */
typedef struct terra_holder {
	int64_t balance; /* base units */
	/* the account at arena + (at >> 8), NUL-terminated; its length, at most
	 * TERRA_ACCOUNT_MAX, at & 0xff */
	uint64_t at;
} terra_holder;

/* A row on a later line than this is refused (a snapshot file of over four
 * billion lines, blank ones mostly: no real snapshot). */
#define TERRA_HOLDERS_LINE_MAX 4294967295L

typedef struct terra_holders {
	terra_holder *v;
	/* line[i]: holder i's row in the file (0 when not from a file); NULL once
	 * terra_holders_load has checked them all, until a holder is added */
	uint32_t *line;
	size_t n, cap; /* both arrays have room for cap */
	/*
	 * The accounts, back to back, each NUL-terminated, in the order they
	 * were added: sorting (terra_holders_sort, terra_holders_load) orders
	 * v, not the arena, and sets sorted, 1 until a holder is added. No
	 * second copy of the accounts is made: the snapshot body is written
	 * from v and the arena as it is needed (terra_holders_body_each).
	 */
	char *arena;
	size_t arena_len, arena_cap;
	int sorted;
} terra_holders;

#define terra_holders_account(hs, i)     ((hs)->arena + ((hs)->v[(i)].at >> 8))
#define terra_holders_account_len(hs, i) ((size_t)((hs)->v[(i)].at & 0xff))
/* Sorted holders' accounts are read at random places of the arena: a pass
 * over them in order asks for the one this many rows ahead. */
#define TERRA_HOLDERS_AHEAD       16
#define terra_holders_line(hs, i) ((hs)->line ? (long)(hs)->line[(i)] : 0L)

/* Checks an account name as above; the message names it. */
/* 1 when account[0..len) is a valid, unreserved account: the common case, no message. */
int terra_account_ok(const char *account, size_t len);
/* 1 when a stored snapshot's account passes the rules it was written under:
 * ':' allowed, only treasury, carry and revenue reserved. Verification must
 * not turn down a settlement the toolkit once made. */
int terra_account_stored_ok(const char *account, size_t len);
int terra_account_check(const char *account, terra_err *e);

void terra_holders_init(terra_holders *hs);
void terra_holders_free(terra_holders *hs);
/* Appends one holder (account checked, balance >= 0, line at most
 * TERRA_HOLDERS_LINE_MAX); no duplicate check here. */
int terra_holders_add(terra_holders *hs, const char *account, int64_t balance, long line,
                      terra_err *e);
/* Reads a CSV snapshot as described above, sorted by account; duplicates refused. */
int terra_holders_load(terra_holders *hs, const char *path, terra_err *e);
/* Sorts v by account (bytewise), the arena as it is; a duplicate
 * is TERRA_E_INPUT naming both lines. */
int terra_holders_sort(terra_holders *hs, const char *name, terra_err *e);
/* Refuses (TERRA_E_INPUT, "NAME:LINE: ...", both lines) two accounts that differ
 * only by case; needs sorted holders. terra_holders_load calls it. */
int terra_holders_case_check(const terra_holders *hs, const char *name, terra_err *e);
/*
 * SHA-256 of the snapshot, independent of the file's layout: over the
 * holders in account order, each as account bytes, one 0x00 byte, the
 * balance in base units as decimal digits, one '\n'. Needs sorted holders.
 */
void terra_holders_digest(const terra_holders *hs, uint8_t out[TERRA_HASH_BYTES]);
/*
 * The snapshot body: exactly the bytes terra_holders_digest hashes (account,
 * 0x00, balance digits, '\n', in account order). It is never held whole (a
 * million holders make ~40 MB): terra_holders_body_len gives its length,
 * terra_holders_body_each passes its bytes in order to fn, in pieces of at
 * most TERRA_HOLDERS_PIECE bytes, and stops at fn's first non-zero return,
 * which it returns. Both are TERRA_E_STATE when hs is not sorted. This is
 * what terra-settle stores (table snapshots) and what terra-ledger verify
 * re-hashes.
 */
#define TERRA_HOLDERS_PIECE 65536
typedef int (*terra_holders_body_fn)(void *ctx, const char *piece, size_t len, terra_err *e);
int terra_holders_body_len(const terra_holders *hs, size_t *len, terra_err *e);
int terra_holders_body_each(const terra_holders *hs, terra_holders_body_fn fn, void *ctx,
                            terra_err *e);
/*
 * Reads a snapshot body back into hs (empty on entry; the accounts alone in
 * the arena, in order): every record well formed (a valid account, a balance
 * in canonical digits), accounts in strictly ascending bytewise order.
 * TERRA_E_VERIFY naming the record.
 */
int terra_holders_from_body(terra_holders *hs, const void *body, size_t len, terra_err *e);

#endif
