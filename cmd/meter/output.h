#ifndef TERRA_CMD_METER_OUTPUT_H
#define TERRA_CMD_METER_OUTPUT_H
/* terra-meter's output (cmd/meter/output.c, linked into terra-meter only). */
#include "lib/meter.h"
#include "lib/out.h"

#include <stdio.h>

/* Where bad lines and passed-through records go. */
struct sink {
	FILE *reject;
	const char *reject_path;
	int strict;
	int write_failed;
	FILE *held; /* --strict: records passed through, written once all input is good */
	char *held_buf;
	size_t held_len;
};

/* terra_meter_io's report and pass, ctx a struct sink. */
int meter_report(void *ctx, enum terra_meter_event ev, const char *line, size_t len,
                 const char *msg);
int meter_pass(void *ctx, const char *line, size_t len);
/* The meter records as a table or CSV: the columns a person reads first. */
int meter_write_rows(terra_meter *m, enum terra_out mode);
#endif
