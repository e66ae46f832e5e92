#include "stop.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

static atomic_int requested, ending;
static int fds[2] = {-1, -1}; /* [0] read end, readable after a stop */
static sigset_t set;
static pthread_t waiter;
static int running;

static void *wait_signals(void *arg)
{
	(void)arg;
	for (;;) {
		int sig, expect = 0;

		if (sigwait(&set, &sig))
			continue;
		if (atomic_load(&ending))
			return NULL;
		if (atomic_compare_exchange_strong(&requested, &expect, sig)) {
			ssize_t n;

			do
				n = write(fds[1], "", 1);
			while (n < 0 && errno == EINTR);
		}
	}
}

int terra_stop_start(terra_err *e)
{
	int rc;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if ((rc = pthread_sigmask(SIG_BLOCK, &set, NULL))) {
		errno = rc;
		return terra_err_sys(e, "block SIGINT and SIGTERM");
	}
	/*
	 * A shell starts a background job with SIGINT ignored, and an ignored
	 * signal may be discarded even while blocked (POSIX leaves it open).
	 * Blocked in every thread, the default action never runs: sigwait()
	 * takes the signal.
	 */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return terra_err_sys(e, "pipe for SIGINT and SIGTERM");
	if ((rc = pthread_create(&waiter, NULL, wait_signals, NULL))) {
		errno = rc;
		terra_err_sys(e, "start the thread waiting for SIGINT and SIGTERM");
		close(fds[0]);
		close(fds[1]);
		fds[0] = fds[1] = -1;
		return -1;
	}
	running = 1;
	return 0;
}

int terra_stop_requested(void)
{
	return atomic_load(&requested);
}

int terra_stop_fd(void)
{
	return fds[0];
}

void terra_stop_end(void)
{
	if (!running)
		return;
	/* A signal for the waiting thread alone, not pthread_cancel (ASan's
	 * thread teardown trips over a cancelled sigwait). */
	atomic_store(&ending, 1);
	pthread_kill(waiter, SIGTERM);
	pthread_join(waiter, NULL);
	running = 0;
	close(fds[0]);
	close(fds[1]);
	fds[0] = fds[1] = -1;
}
