#include "csvcell.h"

#include <string.h>

/* [+-]DIGITS[.DIGITS]: a number, which a spreadsheet reads as one and runs nothing. */
static int is_number(const char *s)
{
	size_t n;

	if (*s == '-' || *s == '+')
		s++;
	n = strspn(s, "0123456789");
	if (n == 0)
		return 0;
	s += n;
	if (*s == '.') {
		n = strspn(++s, "0123456789");
		if (n == 0)
			return 0;
		s += n;
	}
	return *s == '\0';
}

int terra_csvcell_is_formula(const char *s)
{
	return s[0] && strchr("=+-@\t\r", s[0]) && !is_number(s);
}

int terra_csvcell_put_text(FILE *f, const char *s)
{
	if (fputs("\"'", f) == EOF)
		return -1;
	for (; *s; s++)
		if ((*s == '"' && putc('"', f) == EOF) || putc(*s, f) == EOF)
			return -1;
	return putc('"', f) == EOF ? -1 : 0;
}
