/* terra-register: give devices a signed identity (units); list, show, transfer, retire them. */
#include "lib/cli.h"
#include "lib/home.h"
#include "lib/out.h"
#include "lib/record.h"
#include "lib/register.h"
#include "lib/unit.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "terra-register [-H DIR] [--strict] [--reject FILE] [FILE...]\n"
    "       terra-register [-H DIR] init [--force]\n"
    "       terra-register [-H DIR] [-o json|csv|table] list | show UNIT\n"
    "       terra-register [-H DIR] transfer UNIT PUBKEY | retire UNIT";

/* Columns of list and show: a short table for a person, more in CSV. */
static const char *const table_cols[] = {
    "unit",  "state",         "device.kind", "device.name", "device.pci_bus_id",
    "score", "registered_at", NULL};
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
                                       NULL};

struct opts {
	const char *home;
	const char *reject;
	enum terra_out out;
	int out_set;
	int strict;
	int force;
};

/* One input line kept for --strict, which checks all before registering any. */
struct item {
	json_t *rec; /* NULL for a record passed through */
	char *line;
	size_t len;
	char *where; /* "FILE:LINE" */
};

struct batch {
	struct item *items;
	size_t n, cap;
};

struct run {
	terra_home home;
	FILE *reject;
	int status;
	int registered;
};

static void reject_line(struct run *run, const terra_reader *r)
{
	terra_err e = {0};
	const char *line;
	size_t len;

	if (!run->reject)
		return;
	line = terra_reader_line(r, &len);
	if (terra_reader_truncated(r)) {
		terra_warnf("%s:%ld: line too long to copy to the reject file",
		            terra_reader_name(r), terra_reader_lineno(r));
		return;
	}
	if (terra_rec_write_raw(run->reject, line, len, &e) < 0)
		terra_die_err(&e);
}

/* Registers a checked device record, or passes another record through. */
static int process(struct run *run, json_t *rec, const char *line, size_t len, const char *where)
{
	terra_err e = {0};
	json_t *unit = NULL;
	const char *state;
	int existed = 0;

	if (!rec) {
		if (terra_rec_write_raw(stdout, line, len, &e) < 0)
			terra_die_err(&e);
		return 0;
	}
	if (terra_register_device(&run->home, rec, &unit, &existed, &e) < 0) {
		terra_warnf("%s: register device: %s", where, e.msg);
		return -1;
	}
	if (existed) {
		state = json_string_value(json_object_get(unit, "state"));
		terra_warnf("%s: device already registered as unit %s%s", where,
		            json_string_value(json_object_get(unit, "unit")),
		            state && !strcmp(state, "retired") ? " (retired)" : "");
	} else {
		run->registered++;
	}
	state = json_string_value(json_object_get(json_object_get(rec, "health"), "status"));
	if (state && !strcmp(state, "sick"))
		terra_warnf("%s: unit %s is sick: terra-run will not use it until a probe finds it "
		            "healthy",
		            where, json_string_value(json_object_get(unit, "unit")));
	if (terra_rec_write(stdout, unit, &e) < 0)
		terra_die_err(&e);
	json_decref(unit);
	return 0;
}

/*
 * Reads the next good record of r: a device record that passed its checks
 * (*rec), or another record to pass through (*rec NULL, the raw line).
 * Bad lines are reported, copied to the reject file and skipped. Returns 1,
 * 0 at the end, -1 when the input cannot be read.
 */
static int next_good(struct run *run, terra_reader *r, json_t **rec, int strict)
{
	terra_err e = {0};
	const char *type;
	int rc;

	for (;;) {
		*rec = NULL;
		rc = terra_reader_next(r, rec, &e);
		if (rc == 0)
			return 0;
		if (rc == -2) {
			terra_warn_err(&e);
			return -1;
		}
		if (rc == 1) {
			if (terra_rec_type(*rec, &type, &e) < 0)
				terra_reader_reject(r, &e, "", e.msg);
			else if (strcmp(type, "device")) {
				json_decref(*rec);
				*rec = NULL;
				return 1;
			} else if (terra_register_check_device(*rec, &e) == 0) {
				return 1;
			} else {
				char why[TERRA_ERR_MAX];

				memcpy(why, e.msg, sizeof why);
				terra_reader_reject(r, &e, "device", why);
			}
			json_decref(*rec);
			*rec = NULL;
		}
		terra_warn_err(&e);
		run->status = TERRA_EXIT_FAIL;
		reject_line(run, r);
		if (strict)
			return -1;
	}
}

static char *where_of(const terra_reader *r)
{
	char *s = NULL;

	if (asprintf(&s, "%s:%ld", terra_reader_name(r), terra_reader_lineno(r)) < 0)
		terra_dief("out of memory");
	return s;
}

/* Processes the record just read, without keeping it. */
static int process_now(struct run *run, const terra_reader *r, json_t *rec)
{
	char *where = where_of(r);
	const char *line = NULL;
	size_t len = 0;
	int rc;

	if (!rec)
		line = terra_reader_line(r, &len);
	rc = process(run, rec, line, len, where);
	free(where);
	return rc;
}

static void batch_add(struct batch *b, json_t *rec, const terra_reader *r)
{
	struct item *it;
	const char *line;
	size_t len;

	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		if (!(b->items = realloc(b->items, b->cap * sizeof *b->items)))
			terra_dief("out of memory");
	}
	it = &b->items[b->n++];
	memset(it, 0, sizeof *it);
	it->rec = rec;
	it->where = where_of(r);
	if (!rec) {
		line = terra_reader_line(r, &len);
		if (!(it->line = malloc(len + 1)))
			terra_dief("out of memory");
		memcpy(it->line, line, len);
		it->line[len] = '\0';
		it->len = len;
	}
}

static void batch_free(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		json_decref(b->items[i].rec);
		free(b->items[i].line);
		free(b->items[i].where);
	}
	free(b->items);
}

/* Registers the devices of every input; with --strict only if all are good. */
static int cmd_register(struct run *run, const char *const *files, int nfiles, int strict)
{
	static const char *const stdin_only[] = {"-"};
	struct batch batch = {0};
	terra_reader *r;
	terra_err e = {0};
	json_t *rec;
	size_t i;
	int f, rc;

	if (nfiles == 0) {
		files = stdin_only;
		nfiles = 1;
	}
	for (f = 0; f < nfiles; f++) {
		if (terra_reader_open(&r, files[f], &e) < 0) {
			terra_warn_err(&e);
			run->status = TERRA_EXIT_FAIL;
			if (strict)
				goto out;
			continue;
		}
		while ((rc = next_good(run, r, &rec, strict)) == 1) {
			if (strict) {
				batch_add(&batch, rec, r);
				continue;
			}
			rc = process_now(run, r, rec);
			json_decref(rec);
			if (rc < 0) {
				terra_reader_close(r);
				run->status = TERRA_EXIT_FAIL;
				goto out;
			}
		}
		terra_reader_close(r);
		if (rc < 0) {
			run->status = TERRA_EXIT_FAIL;
			if (strict)
				goto out;
		}
	}
	for (i = 0; i < batch.n; i++) {
		struct item *it = &batch.items[i];

		if (process(run, it->rec, it->line, it->len, it->where) < 0) {
			run->status = TERRA_EXIT_FAIL;
			break;
		}
	}
out:
	if (strict && run->status != TERRA_EXIT_OK && !run->registered)
		terra_warnf("--strict: nothing registered");
	batch_free(&batch);
	return run->status;
}

static void open_home(struct run *run, const struct opts *o, unsigned flags)
{
	terra_err e = {0};

	if (flags & TERRA_HOME_SECRET)
		terra_cli_note_clock();
	if (terra_home_open(&run->home, o->home, flags, &e) < 0)
		terra_die_err(&e);
}

static int cmd_init(const struct opts *o)
{
	char dir[PATH_MAX], pk[TERRA_PK_HEX];
	terra_home h;
	terra_err e = {0};
	int created = 0;

	if (terra_home_path(o->home, dir, sizeof dir, &e) < 0 ||
	    terra_home_init(o->home, o->force, &created, &e) < 0)
		terra_die_err(&e);
	if (!created) {
		terra_warnf("home '%s' already exists; nothing changed", dir);
		return TERRA_EXIT_OK;
	}
	if (terra_home_open(&h, o->home, TERRA_HOME_READONLY, &e) < 0)
		terra_die_err(&e);
	terra_hex(h.owner.pk, sizeof h.owner.pk, pk);
	terra_home_close(&h);
	terra_warnf("created home '%s'; owner key %s", dir, pk);
	return TERRA_EXIT_OK;
}

static int show_rows(const struct opts *o, const json_t *rows)
{
	enum terra_out mode = terra_out_resolve(o->out);
	terra_err e = {0};

	if (terra_out_rows(stdout, mode, mode == TERRA_OUT_TABLE ? table_cols : csv_cols, rows,
	                   &e) < 0)
		terra_die_err(&e);
	return TERRA_EXIT_OK;
}

static int cmd_list(struct run *run, const struct opts *o)
{
	terra_err e = {0};
	json_t *rows = NULL;
	int status;

	open_home(run, o, TERRA_HOME_READONLY);
	if (terra_unit_list(run->home.db, &rows, &e) < 0)
		terra_die_err(&e);
	status = show_rows(o, rows);
	json_decref(rows);
	return status;
}

static void find_unit(struct run *run, const char *arg, char id[TERRA_UNIT_ID_HEX])
{
	terra_err e = {0};

	if (terra_register_find(run->home.db, arg, id, &e) < 0)
		terra_die_err(&e);
}

static int cmd_show(struct run *run, const struct opts *o, const char *arg)
{
	char id[TERRA_UNIT_ID_HEX];
	terra_unit u;
	terra_err e = {0};
	json_t *rows;
	int status;

	open_home(run, o, TERRA_HOME_READONLY);
	find_unit(run, arg, id);
	if (terra_unit_get(run->home.db, id, &u, &e) < 0)
		terra_die_err(&e);
	if (!(rows = json_array()) || json_array_append(rows, u.record) < 0)
		terra_dief("out of memory");
	status = show_rows(o, rows);
	json_decref(rows);
	terra_unit_free(&u);
	return status;
}

static int cmd_change(struct run *run, const struct opts *o, const char *arg, const char *new_owner)
{
	char id[TERRA_UNIT_ID_HEX];
	terra_err e = {0};
	json_t *unit = NULL;
	int rc;

	open_home(run, o, TERRA_HOME_SECRET);
	find_unit(run, arg, id);
	if (new_owner)
		rc = terra_register_transfer(&run->home, id, new_owner, &unit, &e);
	else
		rc = terra_register_retire(&run->home, id, &unit, &e);
	if (rc < 0) {
		terra_warn_err(&e);
		return TERRA_EXIT_FAIL;
	}
	if (terra_rec_write(stdout, unit, &e) < 0)
		terra_die_err(&e);
	json_decref(unit);
	return TERRA_EXIT_OK;
}

/* Checks the operand count of a subcommand and that its options apply to it. */
static void want_args(const struct opts *o, const char *sub, int nargs, int want, int records)
{
	if (nargs != want)
		terra_usage_error(usage_text, "%s: expected %d operand%s, got %d", sub, want,
		                  want == 1 ? "" : "s", nargs);
	if (o->out_set && !records)
		terra_usage_error(usage_text, "%s: -o applies to list and show only", sub);
	if (o->strict || o->reject)
		terra_usage_error(usage_text, "%s: --strict and --reject apply to registering only",
		                  sub);
	if (o->force && strcmp(sub, "init"))
		terra_usage_error(usage_text, "%s: --force applies to init only", sub);
}

int main(int argc, char **argv)
{
	enum { OPT_REJECT = 256, OPT_STRICT, OPT_FORCE };
	static const struct option longopts[] = {
	    {"home", required_argument, NULL, 'H'},
	    {"output", required_argument, NULL, 'o'},
	    {"reject", required_argument, NULL, OPT_REJECT},
	    {"strict", no_argument, NULL, OPT_STRICT},
	    {"force", no_argument, NULL, OPT_FORCE},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct opts o = {0};
	struct run run = {0};
	const char *sub;
	char **args;
	int c, nargs, status;

	terra_cli_init(argv[0]);
	while ((c = getopt_long(argc, argv, "H:o:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			o.home = optarg;
			break;
		case 'o':
			o.out = terra_cli_out(optarg, usage_text);
			o.out_set = 1;
			break;
		case OPT_REJECT:
			o.reject = optarg;
			break;
		case OPT_STRICT:
			o.strict = 1;
			break;
		case OPT_FORCE:
			o.force = 1;
			break;
		case 'h':
			terra_usage(usage_text, TERRA_EXIT_OK);
		case 'V':
			terra_version();
		default:
			terra_usage(usage_text, TERRA_EXIT_USAGE);
		}
	}
	args = argv + optind;
	nargs = argc - optind;
	sub = nargs > 0 ? args[0] : "";
	if (!strcmp(sub, "init")) {
		want_args(&o, sub, nargs - 1, 0, 0);
		return terra_cli_finish(cmd_init(&o));
	}
	if (!strcmp(sub, "list")) {
		want_args(&o, sub, nargs - 1, 0, 1);
		status = cmd_list(&run, &o);
	} else if (!strcmp(sub, "show")) {
		want_args(&o, sub, nargs - 1, 1, 1);
		status = cmd_show(&run, &o, args[1]);
	} else if (!strcmp(sub, "transfer")) {
		want_args(&o, sub, nargs - 1, 2, 0);
		status = cmd_change(&run, &o, args[1], args[2]);
	} else if (!strcmp(sub, "retire")) {
		want_args(&o, sub, nargs - 1, 1, 0);
		status = cmd_change(&run, &o, args[1], NULL);
	} else {
		if (o.out_set)
			terra_usage_error(usage_text, "-o applies to list and show only");
		if (o.force)
			terra_usage_error(usage_text, "--force applies to init only");
		open_home(&run, &o, TERRA_HOME_SECRET);
		if (o.reject && !(run.reject = fopen(o.reject, "w")))
			terra_dief("open '%s': %s", o.reject, strerror(errno));
		status = cmd_register(&run, (const char *const *)args, nargs, o.strict);
		if (run.reject && fclose(run.reject) != 0) {
			terra_warnf("write '%s': %s", o.reject, strerror(errno));
			status = TERRA_EXIT_FAIL;
		}
	}
	terra_home_close(&run.home);
	return terra_cli_finish(status);
}
