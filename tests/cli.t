#!/bin/sh
# Every command as terra(7) promises (Conventions, EXIT STATUS, The home):
# -h, -V, an unknown option, no home; and the bash completion of
# examples/completion for each.
. "$(dirname "$0")/setup"
cmds="terra-probe terra-register terra-run terra-meter terra-settle terra-ledger"
comp=$top/examples/completion
version=$(sed -n 's/^VERSION *= *//p' "$top/Makefile")

for c in $cmds; do
	fails 0 "$c -h exits 0" sh -c '"$1" -h >"$2.out" 2>"$2.err"' - "$c" "$tmp/$c-h"
	like "$(head -n 1 "$tmp/$c-h.out")" "^usage: $c( |\$)" "$c -h prints a usage line on stdout"
	is "$(cat "$tmp/$c-h.err")" "" "$c -h writes nothing on stderr"
	is "$("$c" -V 2>&1)" "$c $version" "$c -V prints the version"
	is "$("$c" --version 2>&1)" "$c $version" "$c --version prints the version"
	fails 2 "$c with an unknown option exits 2" \
		sh -c '"$1" --no-such-option >"$2.out" 2>"$2.err"' - "$c" "$tmp/$c-bad"
	like "$(cat "$tmp/$c-bad.err")" "^usage: $c( |\$)" \
		"$c: an unknown option prints a usage line on stderr"
	is "$(cat "$tmp/$c-bad.out")" "" "$c: and nothing on stdout"
done

# No home: each command that needs one says so and names the fix.
nohome() { # nohome NAME CMD...: exit 1, the message names terra-register init
	set +e
	"$@" >"$tmp/nohome.out" 2>"$tmp/nohome.err" </dev/null
	_st=$?
	set -e
	is "$_st" 1 "no home: $* exits 1"
	like "$(cat "$tmp/nohome.err")" "^$1: .*terra-register init" \
		"no home: $* names terra-register init"
}
nohome terra-register list
nohome terra-register "$fixtures/devices/pocl-cpu.ndjson"
nohome terra-run -w sha256d -t 1
nohome terra-meter -p 2026-11-21T10:00:00Z/PT1H /dev/null
nohome terra-settle -p 2026-11-21T10:00:00Z/PT1H --revenue 1 --holders "$top/examples/holders.csv"
nohome terra-ledger verify
nohome terra-ledger balance
nohome terra-ledger -H "$tmp/nowhere" verify
ok "no home was created by any of them" test ! -e "$TERRA_HOME" -a ! -e "$tmp/nowhere"
# terra-probe reads a home only for the baselines (terra-probe(1)): it
# probes without one, and creates none.
fails 0 "terra-probe runs without a home" \
	sh -c 'terra-probe --replay "$1" >/dev/null 2>&1' - "$top/tests/fixtures/probe/pocl.ndjson"
ok "and creates none" test ! -e "$TERRA_HOME"

# Bash completion: every command has a file, it parses, it registers a
# completion for its command, and it completes.
if command -v bash >/dev/null 2>&1; then
	for c in $cmds; do
		ok "$c: examples/completion/$c exists" test -f "$comp/$c"
		ok "$c: the completion parses (bash -n)" bash -n "$comp/$c"
		like "$(bash -c '. "$1" && complete -p "$2"' - "$comp/$c" "$c" 2>&1)" \
			"^complete .*-F _[a-z_]+ $c\$" "$c: sourcing it registers a completion"
		missing=
		for o in $("$c" -h | grep -Eo -- '--[a-z][a-z0-9-]*' | sort -u); do
			grep -Eq -- "(^|[[:space:]'])$o([[:space:]'|)]|\$)" "$comp/$c" ||
				missing="$missing $o"
		done
		is "$missing" "" "$c: the completion offers every long option of -h"
	done
	# completes CMD WORD...: what the completion offers for the last word.
	cat >"$tmp/complete.sh" <<'EOF'
. "$1/$2"
shift
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
fn=$(complete -p "$1" | sed 's/.*-F \([^ ]*\) .*/\1/')
"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
EOF
	completes() { bash "$tmp/complete.sh" "$comp" "$@"; }
	mkdir "$tmp/cwd"
	cd "$tmp/cwd"
	is "$(completes terra-register '')" "health history init list retire show transfer" \
		"terra-register: the subcommands (no files here)"
	is "$(completes terra-register tr)" "transfer" "terra-register tr -> transfer"
	is "$(completes terra-ledger '')" "balance checkpoint consistency earnings export inclusion log metrics pay prove report status verify verify-proof vkey witness" \
		"terra-ledger: the subcommands"
	is "$(completes terra-ledger ver)" "verify verify-proof" \
		"terra-ledger ver -> verify, verify-proof"
	is "$(completes terra-ledger export -f '')" "csv hledger ndjson payouts tiles" \
		"terra-ledger export -f: the formats"
	is "$(completes terra-ledger -o '')" "csv json table" "terra-ledger -o: the output forms"
	is "$(completes terra-register -o t)" "table" "terra-register -o t -> table"
	is "$(completes terra-run -w '')" "kernel sgemm sha256d" "terra-run -w: the workloads"
	is "$(completes terra-run --workload = sg)" "sgemm" "terra-run --workload=sg -> sgemm"
	is "$(completes terra-probe --bench '')" "full none quick" "terra-probe --bench: the levels"
	is "$(completes terra-meter --un)" "--units" "terra-meter --un -> --units"
	is "$(completes terra-settle --holders-)" "--holders-share" \
		"terra-settle --holders- -> --holders-share"
	touch holders.csv
	is "$(completes terra-settle --holders hol)" "holders.csv" "terra-settle --holders: files"
	# Unit ids come from the home named by -H.
	terra-register -H "$tmp/h" init 2>/dev/null
	terra-register -H "$tmp/h" "$fixtures/devices/pocl-cpu.ndjson" >"$tmp/unit.ndjson" \
		2>/dev/null
	unit=$(jq -r .unit "$tmp/unit.ndjson")
	like "$unit" '^[0-9a-f]{32}$' "(a unit is registered)"
	is "$(completes terra-register -H "$tmp/h" show '')" "$unit" \
		"terra-register show: the home's unit ids"
	is "$(completes terra-run -H "$tmp/h" -u '')" "$unit" "terra-run -u: the home's unit ids"
	is "$(completes terra-register -H "$tmp/h" retire "$unit" '')" "" "retire takes one unit"
	cd "$top"
else
	skip "bash completion" "no bash"
fi

done_testing
