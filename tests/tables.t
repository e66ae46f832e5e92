#!/bin/sh
# mk/tables.sh on small trees that break one rule each (a module querying a
# table it does not own, by FROM, JOIN, INTO or UPDATE; SQL in a command; a
# map naming a module with no source), then on the real tree.
. "$(dirname "$0")/setup"
tables=$top/mk/tables.sh

tree() { # tree DIR: a clean tree, units owned by unit, entries by ledger
	rm -rf "$1"
	mkdir -p "$1/lib" "$1/cmd"
	printf '%s\n' '# a comment' 'schema db' 'table units unit' 'table entries ledger' \
		'pending entries unit' >"$1/lib/TABLES"
	printf 'const char *s = "CREATE TABLE units (unit TEXT); CREATE TABLE entries (seq);";\n' \
		>"$1/lib/db.c"
	printf 'const char *q = "SELECT unit FROM units u JOIN entries e";\n' >"$1/lib/unit.c"
	printf 'const char *q = "INSERT INTO entries (seq) VALUES (1)";\n' >"$1/lib/ledger.c"
	printf '%s\n' '/* lists the units */' 'const char *q = "SELECT * FROM units_view";' \
		>"$1/lib/report.c"
	printf 'int main(void) { return terra_report(); }\n' >"$1/cmd/terra-x.c"
}
check() { # check DIR: runs the script, its messages in DIR.err
	sh "$tables" "$1" 2>"$1.err"
}

t=$tmp/t
tree "$t"
fails 0 "a clean tree passes (owners, a pending module, the schema, a longer name)" check "$t"
is "$(cat "$t.err")" "" "... and says nothing"

for q in "FROM units" "JOIN units u" "INTO units(unit)" "UPDATE units SET"; do
	tree "$t"
	printf 'const char *bad = "x %s";\n' "$q" >>"$t/lib/report.c"
	fails 1 "report naming units in SQL ($q) fails" check "$t"
	is "$(cat "$t.err")" "lib/report.c:3: names table units in SQL, which only unit may (lib/TABLES)" \
		"... naming file, line and owner"
done

tree "$t"
printf 'const char *bad = "DELETE FROM entries";\n' >>"$t/lib/unit.c"
fails 0 "a pending module may still query the table" check "$t"
printf 'const char *bad = "SELECT 1 FROM entries";\n' >>"$t/lib/report.c"
fails 1 "... and no other module may" check "$t"
is "$(cat "$t.err")" "lib/report.c:3: names table entries in SQL, which only ledger may (lib/TABLES)" \
	"... the pending module not named as an owner"

tree "$t"
printf 'const char *q = "SELECT count(*) FROM x";\n' >>"$t/cmd/terra-x.c"
fails 1 "SQL in a command fails" check "$t"
is "$(cat "$t.err")" "cmd/terra-x.c:2: SQL in a command; a command calls lib/" "... naming file and line"
tree "$t"
printf 'int n(void) { return sqlite3_changes(0); }\n' >>"$t/cmd/terra-x.c"
fails 1 "... and so does a sqlite3_ call" check "$t"

tree "$t"
printf 'table checkpoints gone\n' >>"$t/lib/TABLES"
fails 1 "an owner with no source fails" check "$t"
is "$(cat "$t.err")" "lib/TABLES:6: module gone has no lib/gone.c" "... naming the map's line"

tree "$t"
printf 'pending paid_evidence unit\n' >>"$t/lib/TABLES"
fails 1 "a pending line before (or without) its table fails" check "$t"
like "$(cat "$t.err")" "^lib/TABLES:6: expected" "... naming the map's line"

tree "$t"
printf 'const char *m8 = "CREATE TABLE scores (unit TEXT);";\n' >>"$t/lib/db.c"
fails 1 "a table the schema creates with no owner fails" check "$t"
is "$(cat "$t.err")" "lib/db.c:2: table scores has no owner in lib/TABLES" "... naming where it is created"
printf 'const char *m9 = "ALTER TABLE scores RENAME TO units;";\n' >>"$t/lib/db.c"
fails 0 "... but not one renamed to an owned table" check "$t"

# The real tree.
set +e
sh "$tables" "$top" 2>"$tmp/real.err"
st=$?
set -e
is "$st:$(cat "$tmp/real.err")" "0:" "the real tree passes"
is "$(grep -c '^pending' "$top/lib/TABLES" || true)" 0 \
	"... with no module left querying a table it does not own (issue 12)"
done_testing
