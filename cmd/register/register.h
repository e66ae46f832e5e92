#ifndef TERRA_CMD_REGISTER_REGISTER_H
#define TERRA_CMD_REGISTER_REGISTER_H
/*
 * terra-register's options and run, shared by cmd/terra-register.c and its
 * subcommands in cmd/register/ (linked into terra-register only).
 */
#include "lib/home.h"
#include "lib/out.h"

struct opts {
	const char *home;
	const char *reject;
	enum terra_out out;
	int out_set;
	int strict;
	int force;
	int dry;
	int yes;
};

struct run {
	terra_home home;
	int status;
	int registered;
};

/* Opens the home with flags (lib/home.h), or exits with its error. */
void register_open_home(struct run *run, const struct opts *o, unsigned flags);

/* cmd/register/units.c: list (arg NULL), history (history set) or show UNIT. */
int register_rows(struct run *run, const struct opts *o, const char *arg, int history);
/* health UNIT. */
int register_health(struct run *run, const struct opts *o, const char *arg);
/* transfer UNIT PUBKEY (new_owner set) or retire UNIT (new_owner NULL). */
int register_change(struct run *run, const struct opts *o, const char *arg,
                    const char *new_owner);
#endif
