#ifndef TERRA_METERIO_H
#define TERRA_METERIO_H
/*
 * The meter's options, rates and reports (lib/meter.h): the types alone, so
 * that lib/meterint.h can hold them without the meter's API.
 */
#include <stddef.h>
#include <stdint.h>

/* The rates a meter record carries ("rates"), by enum terra_workload; the
 * kernel rate is 1 with --pay-kernel-time (kernel busy us x score), else 0. */
typedef struct terra_meter_rates {
	int64_t r[3];
} terra_meter_rates;

typedef struct terra_meter_opts {
	int64_t from, to; /* the metered range [from, to), microseconds */
	int64_t every;    /* period length; divides to - from */
	int has_price;
	int64_t price;                    /* base units per TFLOP-hour (with has_price) */
	int threads;                      /* verification threads; 1 or less: none, all inline */
	int64_t rate_sha256d, rate_sgemm; /* 0: the default */
	int pay_kernel_time;              /* kernel busy time weighs score x busy_us */
} terra_meter_opts;

enum terra_meter_event {
	TERRA_METER_BAD,       /* a rejected line: counted in terra_meter_bad */
	TERRA_METER_DUPLICATE, /* a record seen before: counted once, not bad */
	TERRA_METER_REPLICA,   /* a unit's replica of a kernel job not credited: a note, not bad
	                          (line NULL) */
};

/*
 * Called in input order. `msg` is "FILE:LINE: usage record: why" (or the
 * parser's message); `line` the raw line without '\n'. A non-zero return
 * stops the input (--strict).
 */
typedef int (*terra_meter_report_fn)(void *ctx, enum terra_meter_event ev, const char *line,
                                     size_t len, const char *msg);
/* A record of another type, to pass through unchanged. Non-zero stops. */
typedef int (*terra_meter_pass_fn)(void *ctx, const char *line, size_t len);

typedef struct terra_meter_io {
	terra_meter_report_fn report;
	terra_meter_pass_fn pass; /* NULL: other records are ignored */
	void *ctx;
	/* A further check of each verified usage record, in input order (terra-meter
	 * --slurm: terra_slurm_check); NULL: none. Returns NULL to count it, else a
	 * malloc'd "usage record: why" that makes it a bad line. */
	char *(*admit)(void *arg, const char *line, size_t len, const char *unit, int64_t start,
	               int64_t end);
	void *admit_arg;
} terra_meter_io;

#endif
