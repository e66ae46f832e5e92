/* terra-ledger metrics: the home's metrics for Prometheus; see metrics.h. */
#include "cmd/ledger/metrics.h"

#include "lib/cli.h"
#include "lib/home.h"
#include "lib/metrics.h"
#include "lib/prom.h"

#include <stdio.h>

struct gen_arg {
	terra_home *h;
	int verify;
};

static int gen(void *arg, FILE *f, terra_err *e)
{
	struct gen_arg *g = arg;

	return terra_metrics_home(g->h, g->verify, f, e);
}

int ledger_metrics(const char *home, const char *textfile, int verify)
{
	terra_err e = {0};
	terra_home h;
	struct gen_arg g = {&h, verify};
	int rc;

	if (terra_home_open(&h, home, TERRA_HOME_READONLY, &e) < 0)
		terra_die_err(&e);
	rc = terra_prom_emit(textfile, "terra-ledger.prom", gen, &g, stdout, &e);
	terra_home_close(&h);
	if (rc < 0)
		terra_die_err(&e);
	return TERRA_EXIT_OK;
}
