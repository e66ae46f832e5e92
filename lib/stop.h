#ifndef TERRA_STOP_H
#define TERRA_STOP_H
/*
 * Ending a long run on SIGINT or SIGTERM without a signal handler: the
 * signals are blocked in every thread and one thread takes them with
 * sigwait(), so no thread is ever interrupted inside the C library or
 * the OpenCL runtime. A stop is a flag to poll and a descriptor that
 * becomes readable, for a wait on input to end (terra_reader_cancel_fd).
 */
#include "err.h"

/*
 * Blocks SIGINT and SIGTERM in the calling thread and starts the thread
 * that waits for them. Call it before any other thread starts (they
 * inherit the blocked set). Both are taken even when the process started
 * with them ignored (a shell's background job). Signals after the first
 * change nothing: the run is already ending.
 */
int terra_stop_start(terra_err *e);
/* The signal that asked the run to end (SIGINT, SIGTERM), 0 while none did. */
int terra_stop_requested(void);
/* Readable once a stop is requested; -1 before terra_stop_start. */
int terra_stop_fd(void);
/* Ends the waiting thread and closes the descriptor. */
void terra_stop_end(void);

#endif
