#ifndef TERRA_CONFIRM_H
#define TERRA_CONFIRM_H
/*
 * Asks before a change that cannot be taken back (transfer, retire, pay),
 * when a person is there to answer: standard input and standard error are
 * terminals and --yes was not given.
 */

/* 1: go on (yes given, no terminal, or the answer starts with y or Y); 0:
 * declined. The question goes to stderr as "PROG: QUESTION [y/N] ". */
int terra_confirm(int yes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
