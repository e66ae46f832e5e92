#ifndef TERRA_CMD_REGISTER_REGISTER_H
#define TERRA_CMD_REGISTER_REGISTER_H
/*
 * terra-register's options and run, shared by cmd/terra-register.c and its
 * subcommands in cmd/register/ (linked into terra-register only).
 */
#include "lib/home.h"
#include "lib/out.h"
#include "lib/unit.h"

#define TERRA_REGISTER_MAX_METER 63

struct opts {
	const char *home;
	const char *meter[TERRA_REGISTER_MAX_METER]; /* list, show: meter records */
	int nmeter;
	const char *reject;
	enum terra_out out;
	int out_set;
	int strict;
	int force;
	int dry;
	int yes;
	int quiet;
};

struct run {
	terra_home home;
	int quiet;
	int status;
	int registered;
};

/* Opens the home with flags (lib/home.h), or exits with its error. */
void register_open_home(struct run *run, const struct opts *o, unsigned flags);

/* Resolves UNIT (an id or unique prefix) to its id, or exits with the error. */
void register_find_unit(struct run *run, const char *arg, char id[TERRA_UNIT_ID_HEX]);

/* cmd/register/units.c: list (arg NULL), history (history set) or show UNIT. */
int register_rows(struct run *run, const struct opts *o, const char *arg, int history);
/* health UNIT. */
int register_health(struct run *run, const struct opts *o, const char *arg);
/* transfer UNIT PUBKEY (new_owner set) or retire UNIT (new_owner NULL). */
int register_change(struct run *run, const struct opts *o, const char *arg, const char *new_owner);
/* cmd/register/handover.c: rekey UNIT [PUBKEY]: a new unit key, signed by the old one. */
int register_rekey(struct run *run, const struct opts *o, const char *arg, const char *pub);
/* unitkey UNIT: a key for a unit to be handed to this home. */
int register_unitkey(struct run *run, const struct opts *o, const char *id);
/* import FILE...: the unit records of units handed over to this home. */
int register_import(struct run *run, const struct opts *o, char *const *files, int n);
#endif
