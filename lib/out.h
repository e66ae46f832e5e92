#ifndef TERRA_OUT_H
#define TERRA_OUT_H
/*
 * Listing output for commands such as `terra-register list` and
 * `terra-ledger balance`: the same rows as records (one JSON line each,
 * the row object itself), as CSV (libcsv quoting, header line), or as an
 * aligned table for a person. Columns name fields of each row; a dotted
 * name ("device.name") reaches into nested objects.
 */
#include "cli.h"
#include "err.h"

#include <jansson.h>
#include <stdio.h>

/* rows: a JSON array of objects. cols: NULL-terminated column names. */
int terra_out_rows(FILE *f, enum terra_out mode, const char *const *cols, const json_t *rows,
                   terra_err *e);

#endif
