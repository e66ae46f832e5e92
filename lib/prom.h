#ifndef TERRA_PROM_H
#define TERRA_PROM_H
/*
 * The Prometheus text exposition format (version 0.0.4): a family's
 * "# HELP" and "# TYPE" lines, then its samples, each `name{k="v",...} value`.
 * Label values are escaped (backslash, double quote, newline); values are
 * written as given, so amounts keep their exact decimals.
 *
 * A textfile for node_exporter's textfile collector is written beside its
 * final name under a name the collector skips (".NAME.XXXXXX", no ".prom"
 * suffix), flushed to disk, then renamed over NAME: a scrape sees the old
 * file or the new one, never half of one.
 */
#include "err.h"

#include <stdint.h>
#include <stdio.h>

/* type: "gauge" or "counter". fprintf's sign: < 0 on a write error. */
int terra_prom_family(FILE *f, const char *name, const char *type, const char *help);
/* labels: key, value, key, value, ..., NULL (may be NULL: no labels). */
int terra_prom_sample(FILE *f, const char *name, const char *const *labels, const char *value);
int terra_prom_int(FILE *f, const char *name, const char *const *labels, int64_t v);
/* A time in microseconds since the epoch, as seconds with 6 decimals. */
int terra_prom_time(FILE *f, const char *name, const char *const *labels, int64_t us);

/* Writes text (len bytes) to DIR/name atomically as above, mode 0644. */
int terra_prom_textfile(const char *dir, const char *name, const char *text, size_t len,
                        terra_err *e);

/* Runs gen on out, or with dir on a memory stream then writes its text to
 * DIR/name as terra_prom_textfile does. */
typedef int (*terra_prom_gen)(void *arg, FILE *f, terra_err *e);
int terra_prom_emit(const char *dir, const char *name, terra_prom_gen gen, void *arg, FILE *out,
                    terra_err *e);

#endif
