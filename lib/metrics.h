#ifndef TERRA_METRICS_H
#define TERRA_METRICS_H
/*
 * Metrics for Prometheus (terra-ledger metrics, terra-probe -o prometheus),
 * in the text exposition format (lib/prom.h). Names start with terra_,
 * figures are in base units (seconds, bytes, FLOP/s), counters end in
 * _total; amounts are in TERRA with their exact 9 decimals. The metrics
 * and their labels are listed in terra-ledger(1) and terra-probe(1).
 */
#include "err.h"
#include "home.h"

#include <jansson.h>
#include <stdio.h>

/*
 * The home's metrics: units by state, each unit's health, last health
 * check and benchmark score; settlements, settled revenue, payouts,
 * balances per account, ledger size and last settlement; with verify, the
 * result of verifying the ledger now (terra_ledger_verify); with rates
 * (lib/unitrate.h, or NULL), each unit's verified rate.
 */
int terra_metrics_home(terra_home *h, int verify, const json_t *rates, FILE *f, terra_err *e);

/* The metrics of probe device records (terra-probe's output): health,
 * probe time, benchmark figures and memory per device. */
int terra_metrics_devices(const json_t *devices, FILE *f, terra_err *e);

#endif
