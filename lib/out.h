#ifndef TERRA_OUT_H
#define TERRA_OUT_H
/*
 * Listing output for commands such as `terra-register list` and
 * `terra-ledger balance`: the same rows as records (one JSON line each,
 * the row object itself), as CSV (libcsv quoting, header line), or as a
 * table for a person (libsmartcols). Columns name fields of each row; a
 * dotted name ("device.name") reaches into nested objects.
 *
 * A table fits the terminal: $COLUMNS, else the width of the terminal f
 * is on (80 when it does not say); off a terminal without $COLUMNS (a
 * file, a pipe) it keeps its full width. To fit, long text is cut first,
 * ids and times last; numbers never. They show in human units, exactly:
 * the figure is the record's, only the decimal point moves (busy_us in s,
 * *_ppm in %, score in GFLOPS, weight in TFLOP, amounts in TERRA), and
 * times drop zero microseconds. JSON and CSV keep the records' integers
 * and amounts as they are.
 */
#include "cli.h"
#include "err.h"

#include <jansson.h>
#include <stdio.h>

/* How a table shows a column. AUTO: from the field name (terra-records(5)). */
enum terra_col_kind {
	TERRA_COL_AUTO = 0,
	TERRA_COL_TEXT,   /* cut when the table is too wide */
	TERRA_COL_ID,     /* cut last: a person types it into a command */
	TERRA_COL_MAIN,   /* the row's name: cut like text */
	TERRA_COL_NUMBER, /* right-aligned, as is */
	TERRA_COL_US,     /* microseconds, shown in s */
	TERRA_COL_PPM,    /* parts per million, shown in % */
	TERRA_COL_MFLOPS, /* shown in GFLOPS */
	TERRA_COL_FLOP,   /* floating-point operations, shown in TFLOP */
	TERRA_COL_AMOUNT  /* 9-decimal amount string, shown in TERRA */
};

struct terra_col {
	const char *name; /* field, dotted for nested objects; NULL ends a list */
	enum terra_col_kind kind;
};

/* rows: a JSON array of objects. cols: terminated by a NULL name. */
int terra_out_table(FILE *f, enum terra_out mode, const struct terra_col *cols, const json_t *rows,
                    terra_err *e);

/* As terra_out_table with every column AUTO. cols: NULL-terminated names. */
int terra_out_rows(FILE *f, enum terra_out mode, const char *const *cols, const json_t *rows,
                   terra_err *e);

/* The width a table gets on f: $COLUMNS, the terminal's (80 when unknown),
 * or SIZE_MAX off a terminal. */
size_t terra_out_width(FILE *f);

#endif
