/*
 * Unit tests for lib/file: the one atomic writer. A file is replaced
 * whole with the mode asked for, no temporary file stays, and a write
 * that cannot happen leaves the old file as it was.
 */
#include "lib/file.h"

#include "fixture.h"
#include "tap.h"

#include <string.h>
#include <sys/stat.h>

int main(void)
{
	terra_err e = {0};
	struct stat st;
	const char *path;
	char buf[64], missing[512];

	fixture_tmpdir("file");
	path = fixture_path("a.txt");
	is_int(terra_file_replace(path, "one\n", 4, 0644, &e), 0, "a new file: 0");
	fixture_read(path, buf, sizeof buf);
	is_str(buf, "one\n", "it holds what was written");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644, "mode 0644 as asked");
	is_int(terra_file_replace(path, "two, longer\n", 12, 0600, &e), 0, "replaced: 0");
	fixture_read(path, buf, sizeof buf);
	is_str(buf, "two, longer\n", "the new contents, whole");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "mode 0600 as asked");
	is_int(fixture_entries(fixture_dir()), 1, "no temporary file stays");

	snprintf(missing, sizeof missing, "%s/nowhere/b.txt", fixture_dir());
	is_int(terra_file_replace(missing, "x", 1, 0644, &e), -1, "a missing directory: -1");
	like(e.msg, "/nowhere/b.txt': No such file", "naming the file and why");
	is_int(fixture_entries(fixture_dir()), 1, "and nothing is left behind");
	fixture_read(path, buf, sizeof buf);
	is_str(buf, "two, longer\n", "the other file untouched");
	return done_testing();
}
