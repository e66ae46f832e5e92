#include "out.h"

#include "csvcell.h"
#include "record.h"

#include <csv.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The value a column names: a field, or with dots a field of nested objects. */
static const json_t *lookup(const json_t *row, const char *col)
{
	const json_t *v = json_object_get(row, col);
	char key[256];
	const char *p = col, *dot;

	if (v || !strchr(col, '.'))
		return v;
	v = row;
	while (v && json_is_object(v)) {
		size_t n;

		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof key)
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		v = json_object_get(v, key);
		if (!dot)
			return v;
		p = dot + 1;
	}
	return NULL;
}

/* A 9-decimal amount string: right-aligned in a table, like a number. */
static int is_amount(const char *s)
{
	const char *dot;

	if (*s == '-')
		s++;
	dot = strchr(s, '.');
	if (!dot || dot == s || strlen(dot + 1) != 9)
		return 0;
	for (; *s; s++)
		if (s != dot && !isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/*
 * The text of a cell, malloc'd, or NULL when absent (or null). *numeric
 * says whether it reads as a number (integer or amount).
 */
static int cell_text(const json_t *v, char **out, int *numeric, terra_err *e)
{
	char buf[64];

	*out = NULL;
	*numeric = 0;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		*out = strdup(json_string_value(v));
		*numeric = is_amount(json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		*out = strdup(buf);
		*numeric = 1;
	} else if (json_is_boolean(v)) {
		*out = strdup(json_is_true(v) ? "true" : "false");
	} else if (json_is_real(v)) {
		snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
		*out = strdup(buf);
		*numeric = 1;
	} else {
		*out = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	}
	if (!*out)
		return terra_err_sys(e, "format a cell");
	return 0;
}

/* One CSV field: quoted (libcsv) only when it has to be. */
static void csv_field(FILE *f, const char *s, int first)
{
	size_t n = strlen(s);

	if (!first)
		putc(',', f);
	if (terra_csvcell_is_formula(s))
		terra_csvcell_put_text(f, s);
	else if (n && !strpbrk(s, ",\"\r\n") && s[0] != ' ' && s[n - 1] != ' ')
		fwrite(s, 1, n, f);
	else if (n)
		csv_fwrite(f, s, n);
}

static int write_csv(FILE *f, const char *const *cols, const json_t *rows, terra_err *e)
{
	size_t i, c;
	const json_t *row;

	for (c = 0; cols[c]; c++)
		csv_field(f, cols[c], c == 0);
	putc('\n', f);
	json_array_foreach (rows, i, row) {
		for (c = 0; cols[c]; c++) {
			char *text;
			int num;

			if (cell_text(lookup(row, cols[c]), &text, &num, e))
				return -1;
			csv_field(f, text ? text : "", c == 0);
			free(text);
		}
		putc('\n', f);
	}
	return 0;
}

/* Display width: UTF-8 code points (continuation bytes do not count). */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void pad(FILE *f, size_t n)
{
	while (n--)
		putc(' ', f);
}

/* A cell on one line: control characters would break the row, shown as '?'. */
static void put_cell(FILE *f, const char *s, size_t w, size_t colw, int right, int last)
{
	if (right)
		pad(f, colw - w);
	for (; *s; s++)
		putc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
	if (!right && !last)
		pad(f, colw - w);
}

static int write_table(FILE *f, const char *const *cols, const json_t *rows, terra_err *e)
{
	size_t ncols = 0, nrows = json_array_size(rows), i, c;
	char **cells = NULL, **heads = NULL;
	size_t *widths = NULL;
	int *numeric = NULL, ret = -1;

	while (cols[ncols])
		ncols++;
	if (ncols == 0)
		return 0;
	cells = calloc(nrows * ncols + 1, sizeof *cells);
	heads = calloc(ncols, sizeof *heads);
	widths = calloc(ncols, sizeof *widths);
	numeric = calloc(ncols, sizeof *numeric);
	if (!cells || !heads || !widths || !numeric) {
		terra_err_sys(e, "format table");
		goto out;
	}
	for (c = 0; c < ncols; c++) {
		/* A person reads "NAME", not the path "DEVICE.NAME" (CSV keeps paths). */
		const char *leaf = strrchr(cols[c], '.');
		char *p;

		if (!(heads[c] = strdup(leaf ? leaf + 1 : cols[c]))) {
			terra_err_sys(e, "format table");
			goto out;
		}
		for (p = heads[c]; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		widths[c] = width(heads[c]);
		numeric[c] = nrows > 0;
	}
	for (i = 0; i < nrows; i++) {
		const json_t *row = json_array_get(rows, i);

		for (c = 0; c < ncols; c++) {
			char **cell = &cells[i * ncols + c];
			int num;
			size_t w;

			if (cell_text(lookup(row, cols[c]), cell, &num, e))
				goto out;
			if (*cell && !num)
				numeric[c] = 0;
			w = *cell ? width(*cell) : 1;
			if (w > widths[c])
				widths[c] = w;
		}
	}
	for (c = 0; c < ncols; c++) {
		if (c)
			fputs("  ", f);
		put_cell(f, heads[c], width(heads[c]), widths[c], numeric[c], c + 1 == ncols);
	}
	putc('\n', f);
	for (i = 0; i < nrows; i++) {
		for (c = 0; c < ncols; c++) {
			const char *s = cells[i * ncols + c];

			if (c)
				fputs("  ", f);
			if (!s)
				s = "-";
			put_cell(f, s, width(s), widths[c], numeric[c], c + 1 == ncols);
		}
		putc('\n', f);
	}
	ret = 0;
out:
	if (cells)
		for (i = 0; i < nrows * ncols; i++)
			free(cells[i]);
	if (heads)
		for (c = 0; c < ncols; c++)
			free(heads[c]);
	free(numeric);
	free(widths);
	free(heads);
	free(cells);
	return ret;
}

int terra_out_rows(FILE *f, enum terra_out mode, const char *const *cols, const json_t *rows,
                   terra_err *e)
{
	size_t i;
	const json_t *row;
	int ret = 0;

	if (!json_is_array(rows))
		return terra_err_set(e, TERRA_E_INPUT, "output: rows must be a JSON array");
	json_array_foreach (rows, i, row) {
		if (!json_is_object(row))
			return terra_err_set(e, TERRA_E_INPUT, "output: row %zu is not an object",
			                     i + 1);
	}
	if (mode == TERRA_OUT_AUTO)
		mode = isatty(fileno(f)) ? TERRA_OUT_TABLE : TERRA_OUT_JSON;
	switch (mode) {
	case TERRA_OUT_CSV:
		ret = write_csv(f, cols, rows, e);
		break;
	case TERRA_OUT_TABLE:
		ret = write_table(f, cols, rows, e);
		break;
	default:
		json_array_foreach (rows, i, row) {
			if (terra_rec_write(f, row, e))
				return -1;
		}
	}
	if (ret == 0 && ferror(f))
		return terra_err_sys(e, "write output");
	return ret;
}
