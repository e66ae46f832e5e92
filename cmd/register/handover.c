/* terra-register rekey, unitkey and import: handing a unit's key over; see register.h. */
#include "cmd/register/register.h"

#include "lib/cli.h"
#include "lib/confirm.h"
#include "lib/dryrun.h"
#include "lib/handover.h"
#include "lib/hex.h"
#include "lib/record.h"

#include <stdio.h>

/* rekey UNIT [PUBKEY]: a new unit key, signed over by the old one. */
int register_rekey(struct run *run, const struct opts *o, const char *arg, const char *pub)
{
	char id[TERRA_UNIT_ID_HEX], key[TERRA_PK_HEX];
	uint8_t pk[TERRA_PK_BYTES];
	terra_err e = {0};
	json_t *unit = NULL;

	if (pub) { /* 64 hex digits, or a file holding them (unitkey's output) */
		terra_cli_pubkey(pub, pk);
		terra_hex(pk, sizeof pk, key);
		pub = key;
	}
	register_open_home(run, o, TERRA_HOME_SECRET);
	register_find_unit(run, arg, id);
	if (o->dry && terra_dryrun_begin(&run->home, &e) < 0)
		terra_die_err(&e);
	if (!o->dry && !terra_confirm(o->yes, "rotate the key of unit %s%s%s?", id,
	                              pub ? " to " : "", pub ? pub : "")) {
		terra_warnf("nothing changed");
		return TERRA_EXIT_FAIL;
	}
	if (terra_handover_rekey(&run->home, id, pub, o->dry, &unit, &e) < 0) {
		terra_warn_err(&e);
		return terra_exit_status(&e);
	}
	if (terra_rec_write(stdout, unit, &e) < 0)
		terra_die_err(&e);
	json_decref(unit);
	if (o->dry)
		terra_warnf("dry run (-n): the record above would be appended; nothing changed");
	return TERRA_EXIT_OK;
}

/* unitkey UNIT: a key for a unit another home will hand over, its public half on stdout. */
int register_unitkey(struct run *run, const struct opts *o, const char *id)
{
	char pub[TERRA_PK_HEX];
	terra_err e = {0};

	register_open_home(run, o, TERRA_HOME_READONLY);
	if (terra_handover_unitkey(&run->home, id, pub, &e) < 0)
		terra_die_err(&e);
	printf("%s\n", pub);
	return TERRA_EXIT_OK;
}

static void import_report(void *ctx, const terra_err *e)
{
	terra_cli_report(ctx, e);
}

static void import_done(void *ctx, const char *id, size_t added, int key_held)
{
	(void)ctx;
	if (!added)
		terra_warnf("unit %s: nothing new to import", id);
	else
		terra_warnf("unit %s: %zu version%s imported%s", id, added, added == 1 ? "" : "s",
		            key_held
		                ? ""
		                : "; this home does not hold its key: terra-run cannot use it"
		                  " until it is rotated to a key of this home"
		                  " ('terra-register unitkey', then 'rekey' where it is held)");
}

/* import FILE...: the unit records of units handed over to this home. */
int register_import(struct run *run, const struct opts *o, char *const *files, int n)
{
	terra_handover_io io = {import_report, import_done, &run->status};
	terra_err e = {0};
	long bad = 0;

	register_open_home(run, o, TERRA_HOME_SECRET);
	if (terra_handover_import_files(&run->home, (const char *const *)files, n, &io, &bad, &e) <
	    0) {
		terra_warn_err(&e);
		return terra_exit_status(&e);
	}
	return run->status;
}
