#ifndef TERRA_FIXTURE_H
#define TERRA_FIXTURE_H
/*
 * What the C unit tests share besides TAP (tap.h): a private temporary
 * directory removed at exit, files in it, whole files read back, and
 * counts from SQLite. The Makefile links fixture.o into every unit test.
 * Helpers that cannot go on exit the test with a message: a fixture that
 * fails is not a test result.
 */
#include <sqlite3.h>
#include <stddef.h>

/*
 * Creates $TMPDIR/terra-NAME.XXXXXX (or under /tmp), removed with all it
 * holds when the test exits. Returns its path, also fixture_dir().
 */
const char *fixture_tmpdir(const char *name);
const char *fixture_dir(void);
/* The path of NAME in that directory, in one of 8 rotating buffers. */
const char *fixture_path(const char *name);
/* Writes len bytes of data to fixture_path(name), mode 0644; returns the path. */
const char *fixture_write(const char *name, const void *data, size_t len);
/* The whole file, malloc'd with a NUL after it; *len its size. NULL if unreadable. */
char *fixture_slurp(const char *path, size_t *len);
/* At most cap - 1 bytes of the file into buf, NUL after them; 0 if unreadable. */
size_t fixture_read(const char *path, char *buf, size_t cap);
/* Entries of a directory, "." and ".." not counted; -1 if unreadable. */
int fixture_entries(const char *dir);
/* The integer in the first column of the first row of sql; -1 on error. */
int fixture_sql_int(sqlite3 *db, const char *sql);

#endif
