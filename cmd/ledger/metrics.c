/* terra-ledger metrics: the home's metrics for Prometheus; see metrics.h. */
#include "cmd/ledger/metrics.h"

#include "lib/cli.h"
#include "lib/home.h"
#include "lib/metrics.h"
#include "lib/prom.h"
#include "lib/unitrate.h"

#include <stdio.h>

struct gen_arg {
	terra_home *h;
	int verify;
	const json_t *rates;
};

static int gen(void *arg, FILE *f, terra_err *e)
{
	struct gen_arg *g = arg;

	return terra_metrics_home(g->h, g->verify, g->rates, f, e);
}

int ledger_metrics(const char *home, const char *textfile, int verify, const char *const *meter,
                   int nmeter)
{
	terra_err e = {0};
	terra_home h;
	json_t *rates = NULL;
	struct gen_arg g = {&h, verify, NULL};
	int rc, status = TERRA_EXIT_OK;

	if (terra_home_open(&h, home, TERRA_HOME_READONLY, &e) < 0)
		terra_die_err(&e);
	if (nmeter &&
	    terra_unitrate_read(&h, meter, nmeter, &rates, terra_cli_report, &status, &e) < 0)
		terra_die_err(&e);
	g.rates = rates;
	rc = terra_prom_emit(textfile, "terra-ledger.prom", gen, &g, stdout, &e);
	terra_home_close(&h);
	json_decref(rates);
	if (rc < 0)
		terra_die_err(&e);
	return status;
}
