/*
 * Unit tests for lib/stop: SIGINT and SIGTERM taken by one thread with
 * sigwait(), seen as a flag and a readable descriptor, and a reader
 * waiting on a pipe that the stop descriptor cancels.
 */
#include "lib/record.h"
#include "lib/stop.h"

#include "tap.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

/* A thread started after terra_stop_start: its mask must hold the signals. */
static void *mask_of_thread(void *arg)
{
	sigset_t *now = arg;

	pthread_sigmask(SIG_BLOCK, NULL, now);
	return NULL;
}

static int readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

int main(void)
{
	terra_reader *r = NULL;
	terra_err e = {0};
	json_t *rec = NULL;
	sigset_t now;
	pthread_t t;
	int fds[2], saved, rc;
	size_t len;

	alarm(30); /* a wait that never ends fails the test instead of hanging it */
	/* As a shell starts a background job: SIGINT ignored. */
	signal(SIGINT, SIG_IGN);
	is_int(terra_stop_fd(), -1, "no stop descriptor before terra_stop_start");
	ok(terra_stop_start(&e) == 0, "terra_stop_start");
	ok(terra_stop_fd() >= 0, "a stop descriptor");
	{
		struct sigaction now_int;

		sigaction(SIGINT, NULL, &now_int);
		ok(now_int.sa_handler != SIG_IGN,
		   "SIGINT, ignored at the start, is no longer ignored");
	}
	pthread_create(&t, NULL, mask_of_thread, &now);
	pthread_join(t, NULL);
	ok(sigismember(&now, SIGINT) && sigismember(&now, SIGTERM),
	   "threads started later block SIGINT and SIGTERM");

	/* A reader on a pipe: a line comes through, then the stop ends the wait
	 * for the rest of the next one. */
	saved = dup(0);
	if (pipe(fds) < 0 || saved < 0) {
		perror("pipe");
		return 1;
	}
	dup2(fds[0], 0);
	close(fds[0]);
	terra_reader_open(&r, NULL, &e);
	terra_reader_cancel_fd(r, terra_stop_fd());
	if (write(fds[1], "{\"type\":\"t\",\"v\":1}\n{\"type\":", 27) != 27)
		perror("write");
	ok(terra_reader_next(r, &rec, &e) == 1, "a line from the pipe before any stop");
	json_decref(rec);
	rec = NULL;
	ok(!readable(terra_stop_fd(), 0), "the stop descriptor is not readable before a signal");
	is_int(terra_stop_requested(), 0, "no stop before a signal");

	kill(getpid(), SIGINT);
	ok(readable(terra_stop_fd(), 20000),
	   "SIGINT makes the stop descriptor readable, though it was ignored at the start");
	is_int(terra_stop_requested(), SIGINT, "terra_stop_requested says SIGINT");
	rc = terra_reader_next(r, &rec, &e);
	ok(rc == -2 && !rec, "the stop ends a read waiting on the pipe");
	like(e.msg, "<stdin>", "... naming the input");
	kill(getpid(), SIGTERM);
	usleep(100000);
	is_int(terra_stop_requested(), SIGINT, "a second signal changes nothing");

	/* Lines already there are still read: a reader without the descriptor
	 * goes on with the line begun. */
	terra_reader_cancel_fd(r, -1);
	if (write(fds[1], "\"u\",\"v\":1}\n", 11) != 11)
		perror("write");
	ok(terra_reader_next(r, &rec, &e) == 1, "without the descriptor the read goes on");
	terra_reader_line(r, &len);
	is_int(len, 18, "... with the whole line");
	json_decref(rec);
	close(fds[1]);
	is_int(terra_reader_next(r, &rec, &e), 0, "end of the pipe");
	terra_reader_close(r);
	dup2(saved, 0);
	close(saved);

	terra_stop_end();
	is_int(terra_stop_fd(), -1, "terra_stop_end closes the descriptor");
	return done_testing();
}
