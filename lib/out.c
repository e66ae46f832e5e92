#include "out.h"

#include "csvcell.h"
#include "record.h"

#include <csv.h>
#include <stdint.h>
#include <libsmartcols.h>
#include <ctype.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

static int write_csv(FILE *f, const struct terra_col *cols, const json_t *rows, terra_err *e)
{
	size_t i, c;
	const json_t *row;

	for (c = 0; cols[c].name; c++)
		csv_field(f, cols[c].name, c == 0);
	putc('\n', f);
	json_array_foreach(rows, i, row)
	{
		for (c = 0; cols[c].name; c++) {
			char *text;
			int num;

			if (cell_text(lookup(row, cols[c].name), &text, &num, e))
				return -1;
			csv_field(f, text ? text : "", c == 0);
			free(text);
		}
		putc('\n', f);
	}
	return 0;
}

size_t terra_out_width(FILE *f)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;

	if (env && *env) {
		char *end;
		unsigned long n = strtoul(env, &end, 10);

		if (*end == '\0' && n > 0 && n < 100000)
			return n;
	}
	/* Off a terminal (a file, a pipe) nothing wraps: the table keeps its width. */
	if (!isatty(fileno(f)))
		return SIZE_MAX;
	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* The field names of terra-records(5) whose unit a person wants to see. */
static enum terra_col_kind auto_kind(const char *col)
{
	static const struct terra_col known[] = {
	    {"unit", TERRA_COL_ID},           {"payload.unit", TERRA_COL_ID},
	    {"score", TERRA_COL_MFLOPS},      {"weight", TERRA_COL_FLOP},
	    {"name", TERRA_COL_MAIN},         {"device.name", TERRA_COL_MAIN},
	    {"amount", TERRA_COL_AMOUNT},     {"charge", TERRA_COL_AMOUNT},
	    {"fp32_mflops", TERRA_COL_MFLOPS}};
	size_t n = strlen(col), i;

	for (i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcmp(col, known[i].name) == 0)
			return known[i].kind;
	if (n > 3 && strcmp(col + n - 3, "_us") == 0)
		return TERRA_COL_US;
	if (n > 4 && strcmp(col + n - 4, "_ppm") == 0)
		return TERRA_COL_PPM;
	if (n > 7 && strcmp(col + n - 7, "_mflops") == 0)
		return TERRA_COL_MFLOPS;
	return TERRA_COL_TEXT;
}

/*
 * digits with the decimal point moved left by shift places, trailing zeros
 * (and a bare point) dropped, then " unit": exact, only the scale changes.
 */
static char *scaled(const char *digits, int shift, const char *unit)
{
	char buf[96], *p = buf;
	const char *s = digits;
	size_t n;
	int neg = *s == '-';

	if (neg)
		s++;
	n = strlen(s);
	if (n == 0 || n > 40)
		return NULL;
	if (neg)
		*p++ = '-';
	if ((int)n <= shift) {
		*p++ = '0';
		*p++ = '.';
		for (int i = 0; i < shift - (int)n; i++)
			*p++ = '0';
		memcpy(p, s, n);
		p += n;
	} else {
		memcpy(p, s, n - (size_t)shift);
		p += n - (size_t)shift;
		*p++ = '.';
		memcpy(p, s + n - (size_t)shift, (size_t)shift);
		p += shift;
	}
	while (p[-1] == '0' && memchr(buf, '.', (size_t)(p - buf)))
		p--;
	if (p[-1] == '.')
		p--;
	snprintf(p, sizeof buf - (size_t)(p - buf), " %s", unit);
	return strdup(buf);
}

/* Times as terra-records(5) writes them, less zero microseconds: ".000000Z" -> "Z". */
static void short_times(char *s)
{
	static const char zero[] = ".000000Z";
	char *p;

	while ((p = strstr(s, zero)) && p - s >= 19 && p[-3] == ':') {
		memmove(p, p + 7, strlen(p + 7) + 1);
		s = p + 1;
	}
}

/* The text a person reads for an integer or amount of this kind, or NULL. */
static char *human(const json_t *v, const char *text, enum terra_col_kind kind)
{
	static const struct {
		enum terra_col_kind kind;
		int shift;
		const char *unit;
	} units[] = {{TERRA_COL_US, 6, "s"},
	             {TERRA_COL_PPM, 4, "%"},
	             {TERRA_COL_MFLOPS, 3, "GFLOPS"},
	             {TERRA_COL_FLOP, 12, "TFLOP"}};
	char buf[64];

	if (kind == TERRA_COL_AMOUNT && is_amount(text)) {
		snprintf(buf, sizeof buf, "%s TERRA", text);
		return strdup(buf);
	}
	if (!json_is_integer(v))
		return NULL;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (units[i].kind == kind)
			return scaled(text, units[i].shift, units[i].unit);
	return NULL;
}

/*
 * "device.name" is headed NAME: a person reads the leaf, CSV keeps the path.
 * "busy_us" is BUSY when its cells carry the unit.
 */
static char *heading(const char *col, enum terra_col_kind kind)
{
	const char *leaf = strrchr(col, '.');
	char *h = strdup(leaf ? leaf + 1 : col), *p;
	size_t n = h ? strlen(h) : 0;

	if (kind == TERRA_COL_US && n > 3 && strcmp(h + n - 3, "_us") == 0)
		h[n - 3] = '\0';
	if (kind == TERRA_COL_PPM && n > 4 && strcmp(h + n - 4, "_ppm") == 0)
		h[n - 4] = '\0';

	for (p = h; p && *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return h;
}

/* A time (or period) of terra-records(5): "YYYY-MM-DDTHH:MM:SS...". */
static int is_time(const char *s)
{
	return strlen(s) >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
	       s[16] == ':';
}

/* Display width: UTF-8 code points (continuation bytes do not count). */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* Cuts s to w code points. */
static void cut(char *s, size_t w)
{
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80 && w-- == 0) {
			*s = '\0';
			return;
		}
}

/* One table column: its heading, how it is shown, how wide it gets. */
struct tcol {
	struct terra_col col;
	char *head;
	size_t width, floor; /* the widest cell; the least it is cut to */
	int cut_late;        /* an id or a time: cut only when text alone was not enough */
};

/* Long text is cut down to this many characters before ids and times are. */
enum { CUT_WIDTH = 16, CUT_LATE_WIDTH = 8 };

static int is_text(enum terra_col_kind kind)
{
	return kind == TERRA_COL_TEXT || kind == TERRA_COL_MAIN || kind == TERRA_COL_ID;
}

/*
 * Narrows the text columns until the row fits tw: the widest text column
 * first, down to CUT_WIDTH; then down to CUT_LATE_WIDTH; then ids and
 * times too. Numbers are never cut: they are the exact figures.
 */
static void fit(struct tcol *tc, size_t ncols, size_t tw)
{
	size_t total = ncols - 1, c;

	for (c = 0; c < ncols; c++)
		total += tc[c].width;
	for (int stage = 0; stage < 3; stage++) {
		size_t low = stage == 0 ? CUT_WIDTH : CUT_LATE_WIDTH;

		while (total > tw) {
			struct tcol *widest = NULL;

			for (c = 0; c < ncols; c++) {
				if (!is_text(tc[c].col.kind) || (tc[c].cut_late && stage < 2) ||
				    tc[c].width <= tc[c].floor || tc[c].width <= low)
					continue;
				if (!widest || tc[c].width > widest->width)
					widest = &tc[c];
			}
			if (!widest)
				break;
			widest->width--;
			total--;
		}
	}
}

/* The cells as a person reads them, rows * ncols, row-major. */
static int table_cells(struct tcol *tc, size_t ncols, const json_t *rows, char **cells,
                       terra_err *e)
{
	size_t i, c;
	const json_t *row;

	json_array_foreach(rows, i, row)
	{
		for (c = 0; c < ncols; c++) {
			const json_t *v = lookup(row, tc[c].col.name);
			char *text, *nicer;
			int num;

			if (cell_text(v, &text, &num, e))
				return -1;
			if (!text) {
				text = strdup("-");
			} else if ((nicer = human(v, text, tc[c].col.kind))) {
				free(text);
				text = nicer;
			} else if (json_is_string(v)) {
				tc[c].cut_late |= is_time(text);
				short_times(text);
			}
			if (!(cells[i * ncols + c] = text))
				return terra_err_sys(e, "format table");
			if (width(text) > tc[c].width)
				tc[c].width = width(text);
		}
	}
	return 0;
}

/* A column is numeric (right-aligned) when every present cell is a number. */
static int column_numeric(const json_t *rows, const char *col)
{
	size_t i;
	const json_t *row;
	int any = 0;

	json_array_foreach(rows, i, row)
	{
		const json_t *v = lookup(row, col);

		if (!v || json_is_null(v))
			continue;
		if (!json_is_integer(v) && !json_is_real(v) &&
		    !(json_is_string(v) && is_amount(json_string_value(v))))
			return 0;
		any = 1;
	}
	return any;
}

static int print_table(FILE *f, struct tcol *tc, size_t ncols, char **cells, size_t nrows,
                       terra_err *e)
{
	struct libscols_table *tb = scols_new_table();
	locale_t loc, prev = (locale_t)0;
	size_t i, c;
	int printed;

	if (!tb)
		return terra_err_sys(e, "format table");
	scols_table_set_stream(tb, f);
	for (c = 0; c < ncols; c++) {
		int flags = is_text(tc[c].col.kind) ? 0 : SCOLS_FL_RIGHT;

		if (!scols_table_new_column(tb, tc[c].head, 1, flags))
			goto fail;
	}
	for (i = 0; i < nrows; i++) {
		struct libscols_line *ln = scols_table_new_line(tb, NULL);

		if (!ln)
			goto fail;
		for (c = 0; c < ncols; c++) {
			if (is_text(tc[c].col.kind))
				cut(cells[i * ncols + c], tc[c].width);
			if (scols_line_refer_data(ln, c, cells[i * ncols + c]))
				goto fail;
			cells[i * ncols + c] = NULL; /* the table's now */
		}
	}
	/* Names and the like in the terminal's character set, not as \x escapes. */
	if ((loc = newlocale(LC_CTYPE_MASK, "", (locale_t)0)))
		prev = uselocale(loc);
	printed = scols_print_table(tb);
	if (loc) {
		uselocale(prev);
		freelocale(loc);
	}
	scols_unref_table(tb);
	if (printed)
		return terra_err_sys(e, "write table");
	return 0;
fail:
	scols_unref_table(tb);
	return terra_err_sys(e, "format table");
}

static int write_table(FILE *f, const struct terra_col *given, const json_t *rows, terra_err *e)
{
	size_t ncols = 0, nrows = json_array_size(rows), i, c;
	struct tcol *tc = NULL;
	char **cells = NULL;
	int ret = -1;

	while (given[ncols].name)
		ncols++;
	if (ncols == 0)
		return 0;
	tc = calloc(ncols, sizeof *tc);
	cells = calloc(nrows * ncols + 1, sizeof *cells);
	if (!tc || !cells) {
		terra_err_sys(e, "format table");
		goto out;
	}
	for (c = 0; c < ncols; c++) {
		tc[c].col = given[c];
		if (tc[c].col.kind == TERRA_COL_AUTO)
			tc[c].col.kind = auto_kind(tc[c].col.name);
		if (tc[c].col.kind == TERRA_COL_TEXT && column_numeric(rows, tc[c].col.name))
			tc[c].col.kind = TERRA_COL_NUMBER;
		tc[c].cut_late = tc[c].col.kind == TERRA_COL_ID;
		if (!(tc[c].head = heading(tc[c].col.name, tc[c].col.kind))) {
			terra_err_sys(e, "format table");
			goto out;
		}
		tc[c].width = tc[c].floor = width(tc[c].head);
	}
	if (table_cells(tc, ncols, rows, cells, e))
		goto out;
	fit(tc, ncols, terra_out_width(f));
	ret = print_table(f, tc, ncols, cells, nrows, e);
out:
	if (cells)
		for (i = 0; i < nrows * ncols; i++)
			free(cells[i]);
	if (tc)
		for (c = 0; c < ncols; c++)
			free(tc[c].head);
	free(cells);
	free(tc);
	return ret;
}

int terra_out_table(FILE *f, enum terra_out mode, const struct terra_col *cols, const json_t *rows,
                    terra_err *e)
{
	size_t i;
	const json_t *row;
	int ret = 0;

	if (!json_is_array(rows))
		return terra_err_set(e, TERRA_E_INPUT, "output: rows must be a JSON array");
	json_array_foreach(rows, i, row)
	{
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
		json_array_foreach(rows, i, row)
		{
			if (terra_rec_write(f, row, e))
				return -1;
		}
	}
	if (ret == 0 && ferror(f))
		return terra_err_sys(e, "write output");
	return ret;
}

int terra_out_rows(FILE *f, enum terra_out mode, const char *const *names, const json_t *rows,
                   terra_err *e)
{
	struct terra_col *cols;
	size_t n = 0, i;
	int ret;

	while (names[n])
		n++;
	if (!(cols = calloc(n + 1, sizeof *cols)))
		return terra_err_sys(e, "format output");
	for (i = 0; i < n; i++)
		cols[i].name = names[i];
	ret = terra_out_table(f, mode, cols, rows, e);
	free(cols);
	return ret;
}
