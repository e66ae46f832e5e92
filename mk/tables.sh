#!/bin/sh
# mk/tables.sh [ROOT]: SQL on a table lives only in the modules that own it.
# Reads ROOT/lib/TABLES (default ROOT .; its format is described there) and
# fails, naming file and line, when a lib/*.c names a table in SQL (FROM,
# JOIN, INTO, UPDATE or TABLE followed by the table's name) and its module
# is neither an owner of that table, one of its "pending" modules, nor the
# schema module, when the schema creates a table TABLES does not own (a
# table renamed later goes by its new name), when a module
# of TABLES has no lib/*.c, and when a cmd/*.c holds SQL at all (a command
# calls the library; sqlite3_ calls or a SELECT, INSERT, UPDATE, DELETE or
# CREATE in a string). Prints nothing and exits 0 when all is well.
set -eu
root=${1:-.}
map=$root/lib/TABLES
if [ ! -f "$map" ]; then
	echo "mk/tables.sh: $map: no such file" >&2
	exit 1
fi
set -- "$root"/lib/*.c "$root"/cmd/*.c
for f; do [ -e "$f" ] || shift; done

awk -v root="$root/" '
function fail(msg) {
	print msg > "/dev/stderr"
	bad = 1
}
function rel(file) {
	return substr(file, length(root) + 1)
}
function module_of(path, m) {
	m = path
	sub(/.*\//, "", m)
	sub(/\.c$/, "", m)
	return m
}
function known(m, at) {
	if (!((root "lib/" m ".c") in present))
		fail(at ": module " m " has no lib/" m ".c")
}
FNR == 1 { mapfile = (FILENAME ~ /\/lib\/TABLES$/) && !seen_map++ }
mapfile {
	sub(/#.*/, "")
	if ($0 ~ /^[ \t]*$/)
		next
	if ($1 == "schema" && NF == 2) {
		schema = $2
		mods[FNR] = $2
	} else if ($1 == "table" && NF >= 3) {
		tables[++ntables] = $2
		for (i = 3; i <= NF; i++)
			owner[$2, $i] = 1
		owners[$2] = $3
		for (i = 4; i <= NF; i++)
			owners[$2] = owners[$2] ", " $i
		mods[FNR] = $0
	} else if ($1 == "pending" && NF >= 3 && ($2 in owners)) {
		for (i = 3; i <= NF; i++)
			owner[$2, $i] = 1
		mods[FNR] = $0
	} else {
		fail(rel(FILENAME) ":" FNR ": expected \"schema MODULE\", \"table NAME MODULE...\"" \
		    " or \"pending NAME MODULE...\" of a table named before it")
	}
	next
}
# The map is read first, the sources after it: check its modules once.
FNR == 1 && !checked++ {
	for (i = 2; i < ARGC; i++)
		present[ARGV[i]] = 1
	if (schema == "")
		fail(rel(ARGV[1]) ": no schema module")
	for (l in mods) {
		n = split(mods[l], w, /[ \t]+/)
		for (i = (w[1] == "table" || w[1] == "pending" ? 3 : 1); i <= n; i++)
			known(w[i], rel(ARGV[1]) ":" l)
	}
}
FNR == 1 { cmd = (FILENAME ~ /\/cmd\/[^\/]*\.c$/); m = module_of(FILENAME) }
cmd {
	if ($0 ~ /sqlite3_[a-z]/ || $0 ~ /"[^"]*(SELECT|INSERT|UPDATE|DELETE|CREATE)[ \t][^"]*"/)
		fail(rel(FILENAME) ":" FNR ": SQL in a command; a command calls lib/")
	next
}
# Every table the schema creates (and does not rename) has owners.
m == schema {
	line = $0
	while (match(line, /CREATE TABLE [A-Za-z0-9_]+/)) {
		t = substr(line, RSTART + 13, RLENGTH - 13)
		if (!(t in created))
			created[t] = rel(FILENAME) ":" FNR
		line = substr(line, RSTART + RLENGTH)
	}
	line = $0
	while (match(line, /ALTER TABLE [A-Za-z0-9_]+ RENAME/)) {
		t = substr(line, RSTART + 12, RLENGTH - 19)
		renamed[t] = 1
		line = substr(line, RSTART + RLENGTH)
	}
}
m != schema {
	for (i = 1; i <= ntables; i++) {
		t = tables[i]
		if ((t, m) in owner)
			continue
		if ($0 ~ ("(FROM|JOIN|INTO|UPDATE|TABLE)[ \t]+" t "([^A-Za-z0-9_]|$)"))
			fail(rel(FILENAME) ":" FNR ": names table " t " in SQL, which only " \
			    owners[t] " may (lib/TABLES)")
	}
}
END {
	for (t in created)
		if (!(t in renamed) && !(t in owners))
			fail(created[t] ": table " t " has no owner in lib/TABLES")
	exit bad
}
' "$map" "$@"
