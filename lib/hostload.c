/* Other programs' share of the host's CPUs; see hostload.h. */
#include "hostload.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* The host's busy CPU time in µs, and the CPUs /proc/stat lists; -1 if unreadable. */
static int64_t host_busy(long *cpus)
{
	unsigned long long user, nice, sys, idle, iowait, irq, softirq;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	char line[512];
	int64_t busy = -1;

	*cpus = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "cpu", 3) != 0)
			continue;
		if (line[3] >= '0' && line[3] <= '9')
			(*cpus)++;
		else if (sscanf(line + 3, "%llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys,
		                &idle, &iowait, &irq, &softirq) == 7)
			busy = (int64_t)(user + nice + sys + irq + softirq);
	}
	fclose(f);
	if (busy < 0 || hz <= 0 || *cpus <= 0)
		return -1;
	return busy * (1000000 / hz);
}

static int64_t self_cpu(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

static int64_t wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void terra_hostload_start(terra_hostload *h)
{
	long cpus;

	h->busy_us = host_busy(&cpus);
	h->self_us = self_cpu();
	h->wall_us = wall();
}

int terra_hostload_others_pct(const terra_hostload *h)
{
	long cpus;
	int64_t busy = host_busy(&cpus), self = self_cpu() - h->self_us, span = wall() - h->wall_us;
	int64_t others, pct;

	if (busy < 0 || h->busy_us < 0 || span <= 0)
		return -1;
	others = busy - h->busy_us - self;
	if (others <= 0)
		return 0;
	pct = (others * 100 + span * cpus / 2) / (span * cpus);
	return pct > 100 ? 100 : (int)pct;
}
