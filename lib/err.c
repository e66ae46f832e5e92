#include "err.h"

#include <errno.h>
#include <stdio.h>
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
	char prefix[TERRA_ERR_MAX], old[TERRA_ERR_MAX];
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof old);
	snprintf(e->msg, sizeof e->msg, "%s: %s", prefix, old);
	return -1;
}

void terra_err_clear(terra_err *e)
{
	if (e) {
		e->kind = TERRA_E_NONE;
		e->msg[0] = '\0';
	}
}
