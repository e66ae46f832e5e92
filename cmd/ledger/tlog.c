/* terra-ledger's transparency-log commands; see tlog.h. */
#include "cmd/ledger/tlog.h"

#include "lib/cli.h"
#include "lib/home.h"
#include "lib/key.h"
#include "lib/ledger.h"
#include "lib/receipt.h"
#include "lib/record.h"
#include "lib/tlog.h"
#include "lib/witness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failed(const char *what, const terra_err *e)
{
	terra_warnf("%s: %s", what, e->msg);
	return terra_exit_status(e);
}

static int64_t size_arg(const char *usage_text, const char *what, const char *s)
{
	return terra_cli_int(usage_text, what, s, 0, INT64_MAX, "a tree size");
}

int tlog_cmd(const struct tlog_opts *o, const char *usage_text, const char *sub, char **args,
             int nargs)
{
	char vkey[TERRA_NOTE_VKEY_MAX], *text = NULL;
	int64_t a = 0, b = 0, size;
	terra_note_key k;
	terra_err e = {0};
	terra_home h;
	size_t len;
	int rc;

	if (nargs > 0)
		a = size_arg(usage_text, sub, args[0]);
	if (nargs > 1)
		b = size_arg(usage_text, sub, args[1]);
	if (o->size && (a = terra_cli_int(usage_text, "--size", o->size, 1, INT64_MAX,
	                                  "a tree size of at least 1")) == 0)
		return TERRA_EXIT_USAGE;
	if (terra_home_open(
	        &h, o->home,
	        TERRA_HOME_READONLY | (!strcmp(sub, "checkpoint") ? TERRA_HOME_SECRET : 0), &e) < 0)
		terra_die_err(&e);
	if (!strcmp(sub, "vkey")) {
		if ((rc = terra_tlog_key(h.owner.pk, &k, &e)) == 0) {
			terra_note_vkey(&k, vkey);
			printf("%s\n", vkey);
		}
	} else if (!strcmp(sub, "checkpoint")) {
		rc = terra_tlog_note(&h, o->size ? a : 0, &text, &len, &e);
	} else if (!strcmp(sub, "consistency")) {
		rc = terra_tlog_consistency(h.db, a, b, &text, &size, &e);
	} else {
		rc = terra_tlog_inclusion(h.db, a, b, &text, &size, &e);
	}
	terra_home_close(&h);
	if (rc < 0)
		return failed(sub, &e);
	if (text)
		fputs(text, stdout);
	free(text);
	return TERRA_EXIT_OK;
}

int tlog_export_tiles(const struct tlog_opts *o, const char *dir)
{
	terra_err e = {0};
	terra_home h;
	uint64_t written = 0;
	int64_t size;
	int rc;

	if (terra_home_open(&h, o->home, TERRA_HOME_SECRET | TERRA_HOME_READONLY, &e) < 0)
		terra_die_err(&e);
	rc = terra_tlog_export_tiles(&h, dir, &written, &size, &e);
	terra_home_close(&h);
	if (rc < 0)
		return failed("export", &e);
	terra_warnf("export: a log of %lld entries in '%s': wrote %llu files", (long long)size, dir,
	            (unsigned long long)written);
	return TERRA_EXIT_OK;
}

/* The owner key: --pubkey, else the home's. */
static void owner_key(const struct tlog_opts *o, uint8_t pk[TERRA_PK_BYTES])
{
	terra_err e = {0};
	terra_home h;

	if (o->pubkey) {
		terra_cli_pubkey(o->pubkey, pk);
		return;
	}
	if (terra_home_open(&h, o->home, TERRA_HOME_READONLY, &e) < 0)
		terra_die_err(&e);
	memcpy(pk, h.owner.pk, TERRA_PK_BYTES);
	terra_home_close(&h);
}

int tlog_kept(const struct tlog_opts *o, const char *usage_text, const uint8_t pk[32],
              terra_tlog_kept *kept, terra_err *e)
{
	terra_note_key wit[63];
	unsigned quorum = 0;

	for (unsigned i = 0; i < o->nwitness; i++)
		if (terra_note_vkey_parse(o->witness[i], &wit[i], e) < 0 ||
		    wit[i].type != TERRA_NOTE_COSIGNATURE)
			terra_usage_error(usage_text,
			                  "--witness '%s': not a witness's cosignature key",
			                  o->witness[i]);
	if (o->quorum)
		quorum = (unsigned)terra_cli_int(usage_text, "--quorum", o->quorum, 0, o->nwitness,
		                                 "at most the number of --witness keys");
	return terra_tlog_kept_open(o->since, pk, wit, o->nwitness, quorum, kept, e);
}

int tlog_verify(const struct tlog_opts *o, const char *usage_text)
{
	terra_ledger_report rep = {0};
	terra_tlog_kept kept;
	terra_reader *r = NULL;
	terra_err e = {0};
	terra_home h;
	uint8_t pk[TERRA_PK_BYTES], root[TERRA_HASH_BYTES];
	json_t *rec = NULL;
	int64_t size;
	int rc;

	owner_key(o, pk);
	if (o->tiles) {
		if (terra_tlog_verify_tiles(o->tiles, pk, &size, root, &e) < 0)
			return failed("verify", &e);
		rep.entries = size;
		memcpy(rep.root, root, TERRA_HASH_BYTES);
		goto print;
	}
	if (tlog_kept(o, usage_text, pk, &kept, &e) < 0)
		return failed("verify", &e);
	if (o->pubkey) {
		terra_cli_stdin_notice("a ledger export");
		if (terra_reader_open(&r, NULL, &e) < 0)
			terra_die_err(&e);
		rc = terra_ledger_verify_export_since(r, pk, (int64_t)kept.cp.size, &rep, &e);
		terra_reader_close(r);
	} else {
		if (terra_home_open(&h, o->home, TERRA_HOME_READONLY, &e) < 0)
			terra_die_err(&e);
		rc = terra_ledger_verify_since(&h, (int64_t)kept.cp.size, &rep, &e);
		terra_home_close(&h);
	}
	if (rc == 0)
		rc = terra_tlog_extends(&kept, rep.entries, rep.since_root, &e);
	if (rc < 0) {
		terra_ledger_report_free(&rep);
		return failed("verify", &e);
	}
print:
	rc = terra_receipt_verified(&rep, pk, &rec, &e);
	terra_ledger_report_free(&rep);
	if (rc < 0 || terra_rec_write(stdout, rec, &e) < 0)
		terra_die_err(&e);
	json_decref(rec);
	return TERRA_EXIT_OK;
}

int tlog_prove_since(const struct tlog_opts *o, sqlite3 *db, const uint8_t pk[32], json_t *proof)
{
	terra_tlog_kept kept;
	terra_err e = {0};

	if (terra_tlog_kept_open(o->since, pk, NULL, 0, 0, &kept, &e) < 0 ||
	    terra_tlog_prove_since(db, proof, (int64_t)kept.cp.size, &e) < 0)
		terra_die_err(&e);
	return 0;
}

int tlog_proof_extends(const struct tlog_opts *o, const uint8_t pk[32], const json_t *proof,
                       terra_err *e)
{
	terra_tlog_kept kept;

	if (terra_tlog_kept_open(o->since, pk, NULL, 0, 0, &kept, e) < 0)
		return -1;
	return terra_tlog_proof_extends(proof, &kept, e);
}

/* add-checkpoint: the protocol's answers as exit statuses (terra-ledger(1)). */
static int add_checkpoint(const char *dir, const char *file)
{
	static const struct {
		enum terra_witness_answer a;
		int status;
	} statuses[] = {{TERRA_WITNESS_FORBIDDEN, 3},
	                {TERRA_WITNESS_UNKNOWN, 4},
	                {TERRA_WITNESS_CONFLICT, 5},
	                {TERRA_WITNESS_BAD_PROOF, 6},
	                {TERRA_WITNESS_BAD_REQUEST, 7}};
	enum terra_witness_answer a;
	char *req, *body = NULL;
	terra_err e = {0};
	size_t len, cap = 2 * TERRA_NOTE_MAX + 4096;
	FILE *f = file ? fopen(file, "rb") : stdin;
	int status = TERRA_EXIT_OK;

	if (!f)
		terra_dief("open '%s': %s", file, strerror(errno));
	if (!file)
		terra_cli_stdin_notice("an add-checkpoint request");
	req = malloc(cap);
	len = req ? fread(req, 1, cap, f) : 0;
	if (!req || ferror(f))
		terra_dief("read the request: %s", strerror(errno));
	if (file)
		fclose(f);
	if (terra_witness_add(dir, req, len, (uint64_t)time(NULL), &a, &body, &e) < 0)
		terra_die_err(&e);
	free(req);
	if (a == TERRA_WITNESS_COSIGNED || a == TERRA_WITNESS_CONFLICT)
		fputs(body, stdout);
	if (a != TERRA_WITNESS_COSIGNED) {
		terra_warnf("add-checkpoint: %d: %s", (int)a, body);
		for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++)
			if (statuses[i].a == a)
				status = statuses[i].status;
	}
	free(body);
	return status;
}

int tlog_witness(const char *usage_text, char **args, int nargs)
{
	char vkey[TERRA_NOTE_VKEY_MAX];
	const char *dir = args[0], *sub = nargs > 1 ? args[1] : "";
	terra_err e = {0};

	if (!strcmp(sub, "add-checkpoint") && nargs <= 3)
		return add_checkpoint(dir, nargs == 3 ? args[2] : NULL);
	if (!strcmp(sub, "init") && nargs == 3) {
		if (terra_witness_init(dir, args[2], &e) < 0)
			terra_die_err(&e);
	} else if (!strcmp(sub, "vkey") && nargs == 2) {
		if (terra_witness_vkey(dir, vkey, &e) < 0)
			terra_die_err(&e);
		printf("%s\n", vkey);
	} else if (!strcmp(sub, "trust") && nargs == 3) {
		if (terra_witness_trust(dir, args[2], &e) < 0)
			terra_die_err(&e);
	} else {
		terra_usage_error(usage_text,
		                  "witness: init NAME, vkey, trust VKEY or add-checkpoint");
	}
	return TERRA_EXIT_OK;
}
