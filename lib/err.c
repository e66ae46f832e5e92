#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_va(terra_err *e, const char *fmt, va_list ap)
{
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
}

int terra_err_set(terra_err *e, enum terra_errkind kind, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	e->kind = kind;
	va_start(ap, fmt);
	set_va(e, fmt, ap);
	va_end(ap);
	return -1;
}

int terra_err_sys(terra_err *e, const char *fmt, ...)
{
	int saved = errno;
	size_t n;
	va_list ap;

	if (!e)
		return -1;
	e->kind = TERRA_E_SYS;
	va_start(ap, fmt);
	set_va(e, fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(saved));
	errno = saved;
	return -1;
}

int terra_err_wrap(terra_err *e, const char *fmt, ...)
{
	char old[TERRA_ERR_MAX];
	size_t n;
	va_list ap;

	if (!e)
		return -1;
	memcpy(old, e->msg, sizeof old);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	/* Context first, then the old message, truncated to what fits. */
	n = strlen(e->msg);
	if (n + 2 < sizeof e->msg)
		snprintf(e->msg + n, sizeof e->msg - n, ": %s", old);
	return -1;
}

void terra_err_clear(terra_err *e)
{
	if (e) {
		e->kind = TERRA_E_NONE;
		e->msg[0] = '\0';
	}
}

char *terra_msgf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}
