#include "confirm.h"

#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

int terra_confirm(int yes, const char *fmt, ...)
{
	char answer[64];
	va_list ap;

	if (yes || !isatty(STDIN_FILENO) || !isatty(STDERR_FILENO))
		return 1;
	fprintf(stderr, "%s: ", terra_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" [y/N] ", stderr);
	fflush(stderr);
	if (!fgets(answer, sizeof answer, stdin))
		return 0;
	return answer[0] == 'y' || answer[0] == 'Y';
}
