/* The Prometheus text exposition format; see prom.h. */
#include "prom.h"

#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int terra_prom_family(FILE *f, const char *name, const char *type, const char *help)
{
	return fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static int put_label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		int rc;

		if (*s == '\\')
			rc = fputs("\\\\", f);
		else if (*s == '"')
			rc = fputs("\\\"", f);
		else if (*s == '\n')
			rc = fputs("\\n", f);
		else
			rc = putc(*s, f);
		if (rc == EOF)
			return -1;
	}
	return 0;
}

int terra_prom_sample(FILE *f, const char *name, const char *const *labels, const char *value)
{
	size_t i;

	if (fputs(name, f) == EOF)
		return -1;
	for (i = 0; labels && labels[i] && labels[i + 1]; i += 2) {
		if (fprintf(f, "%s%s=\"", i ? "," : "{", labels[i]) < 0 ||
		    put_label_value(f, labels[i + 1]) < 0 || putc('"', f) == EOF)
			return -1;
	}
	return fprintf(f, "%s %s\n", i ? "}" : "", value);
}

int terra_prom_int(FILE *f, const char *name, const char *const *labels, int64_t v)
{
	char s[32];

	snprintf(s, sizeof s, "%" PRId64, v);
	return terra_prom_sample(f, name, labels, s);
}

int terra_prom_time(FILE *f, const char *name, const char *const *labels, int64_t us)
{
	char s[40];
	int64_t sec = us / 1000000, frac = us % 1000000;

	if (frac < 0) {
		frac += 1000000;
		sec -= 1;
	}
	snprintf(s, sizeof s, "%" PRId64 ".%06" PRId64, sec, frac);
	return terra_prom_sample(f, name, labels, s);
}

int terra_prom_textfile(const char *dir, const char *name, const char *text, size_t len,
                        terra_err *e)
{
	char dst[PATH_MAX];

	if (snprintf(dst, sizeof dst, "%s/%s", dir, name) >= (int)sizeof dst)
		return terra_err_set(e, TERRA_E_INPUT, "textfile: '%s': path too long", dir);
	/* 0644: node_exporter may run as another user */
	if (terra_file_replace(dst, text, len, 0644, e) < 0)
		return terra_err_wrap(e, "textfile");
	return 0;
}

int terra_prom_emit(const char *dir, const char *name, terra_prom_gen gen, void *arg, FILE *out,
                    terra_err *e)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m;
	int rc;

	if (!dir)
		return gen(arg, out, e);
	m = open_memstream(&text, &len);
	if (!m)
		return terra_err_sys(e, "metrics: memory stream");
	rc = gen(arg, m, e);
	if (fclose(m) != 0 && rc == 0)
		rc = terra_err_sys(e, "metrics: memory stream");
	if (rc == 0)
		rc = terra_prom_textfile(dir, name, text, len, e);
	free(text);
	return rc;
}
