/* terra-register list, history, show, health, transfer and retire; see register.h. */
#include "cmd/register/register.h"

#include "lib/cli.h"
#include "lib/confirm.h"
#include "lib/dryrun.h"
#include "lib/healthlog.h"
#include "lib/record.h"
#include "lib/register.h"
#include "lib/unit.h"
#include "lib/unitrate.h"

#include <stdio.h>
#include <string.h>

static const char *const table_cols[] = {"unit",        "state",         "health",
                                         "device.kind", "device.name",   "device.pci_bus_id",
                                         "score",       "registered_at", NULL};
/* With --meter: the verified rate beside the score. */
static const char *const rate_table_cols[] = {
    "unit",  "state",           "health",           "device.kind",   "device.name",
    "score", "verified_mflops", "verified_records", "registered_at", NULL};
static const char *const health_cols[] = {"checked_at", "status", "reason", NULL};
static const char *const csv_cols[] = {"unit",
                                       "state",
                                       "owner",
                                       "unit_pub",
                                       "fingerprint",
                                       "device.host",
                                       "device.platform",
                                       "device.kind",
                                       "device.name",
                                       "device.pci_bus_id",
                                       "device.global_mem_bytes",
                                       "score",
                                       "registered_at",
                                       "updated_at",
                                       "health",
                                       "health_at",
                                       NULL};
static const char *const rate_csv_cols[] = {"unit",
                                            "state",
                                            "owner",
                                            "unit_pub",
                                            "fingerprint",
                                            "device.host",
                                            "device.platform",
                                            "device.kind",
                                            "device.name",
                                            "device.pci_bus_id",
                                            "device.global_mem_bytes",
                                            "score",
                                            "verified_mflops",
                                            "verified_records",
                                            "registered_at",
                                            "updated_at",
                                            "health",
                                            "health_at",
                                            NULL};

void register_open_home(struct run *run, const struct opts *o, unsigned flags)
{
	terra_err e = {0};

	if (flags & TERRA_HOME_SECRET)
		terra_cli_note_clock();
	if (terra_home_open(&run->home, o->home, flags, &e) < 0)
		terra_die_err(&e);
}

void register_find_unit(struct run *run, const char *arg, char id[TERRA_UNIT_ID_HEX])
{
	terra_err e = {0};

	if (terra_register_find(run->home.db, arg, id, &e) < 0)
		terra_die_err(&e);
}

/* list (arg NULL), history (every version) or show UNIT: a short table for
 * a person, more in CSV. */
int register_rows(struct run *run, const struct opts *o, const char *arg, int history)
{
	enum terra_out mode = terra_out_resolve(o->out);
	char id[TERRA_UNIT_ID_HEX];
	terra_unit u = {0};
	terra_err e = {0};
	json_t *rows = NULL, *rates = NULL;

	register_open_home(run, o, TERRA_HOME_READONLY);
	if (!arg && (history ? terra_unit_versions(run->home.db, NULL, &rows, &e)
	                     : terra_unit_list(run->home.db, &rows, &e)) < 0)
		terra_die_err(&e);
	if (arg) {
		register_find_unit(run, arg, id);
		if (terra_unit_get(run->home.db, id, &u, &e) < 0)
			terra_die_err(&e);
		if (!(rows = json_array()) || json_array_append(rows, u.record) < 0)
			terra_dief("out of memory");
		terra_unit_free(&u);
	}
	if (mode != TERRA_OUT_JSON && terra_healthlog_annotate(run->home.db, rows, &e) < 0)
		terra_die_err(&e);
	if (o->nmeter) {
		if (terra_unitrate_read(&run->home, o->meter, o->nmeter, &rates, terra_cli_report,
		                        &run->status, &e) < 0 ||
		    (mode != TERRA_OUT_JSON && terra_unitrate_annotate(rates, rows, &e) < 0))
			terra_die_err(&e);
		json_decref(rates);
	}
	if (terra_out_rows(stdout, mode,
	                   mode == TERRA_OUT_TABLE ? (o->nmeter ? rate_table_cols : table_cols)
	                                           : (o->nmeter ? rate_csv_cols : csv_cols),
	                   rows, &e) < 0)
		terra_die_err(&e);
	json_decref(rows);
	return run->status;
}

/* health UNIT: its kept health observations, oldest first. */
int register_health(struct run *run, const struct opts *o, const char *arg)
{
	char id[TERRA_UNIT_ID_HEX];
	terra_err e = {0};
	json_t *rows = NULL;

	register_open_home(run, o, TERRA_HOME_READONLY);
	register_find_unit(run, arg, id);
	if (terra_healthlog_rows(run->home.db, id, &rows, &e) < 0 ||
	    terra_out_rows(stdout, terra_out_resolve(o->out), health_cols, rows, &e) < 0)
		terra_die_err(&e);
	json_decref(rows);
	return TERRA_EXIT_OK;
}

int register_change(struct run *run, const struct opts *o, const char *arg, const char *new_owner)
{
	char id[TERRA_UNIT_ID_HEX];
	terra_err e = {0};
	json_t *unit = NULL;
	int rc;

	register_open_home(run, o, TERRA_HOME_SECRET);
	register_find_unit(run, arg, id);
	if (o->dry && terra_dryrun_begin(&run->home, &e) < 0)
		terra_die_err(&e);
	if (!o->dry && !(new_owner ? terra_confirm(o->yes, "transfer unit %s to %s?", id, new_owner)
	                           : terra_confirm(o->yes, "retire unit %s for good?", id))) {
		terra_warnf("nothing changed");
		return TERRA_EXIT_FAIL;
	}
	if (new_owner)
		rc = terra_register_transfer(&run->home, id, new_owner, &unit, &e);
	else
		rc = terra_register_retire(&run->home, id, &unit, &e);
	if (rc < 0) {
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
