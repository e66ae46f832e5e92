#!/bin/sh
# Every command's options agree in three places: its man page (the .Fl
# names of its option lists), its -h (one line an option) and its parser
# (each documented option is accepted, not "unrecognized").
. "$(dirname "$0")/setup"
cmds="terra-probe terra-register terra-run terra-meter terra-settle terra-ledger"

# man_opts PAGE: the option names of every ".It Fl" line, one a line:
# the words after Fl up to the next macro, "\-x" read as "--x".
man_opts() {
	awk '/^\.It Fl/ {
		fl = 0
		for (i = 2; i <= NF; i++) {
			w = $i
			if (w ~ /^[A-Z][a-z][a-z]?$/) { fl = (w == "Fl"); continue }
			if (!fl || w ~ /^[,|]$/) continue
			gsub(/\\-/, "-", w)
			sub(/[,]$/, "", w)
			print "-" w
		}
	}' "$1" | sort -u
}
# help_opts CMD: the option column of each line after "options:" in -h.
help_lines() { sed -n '/^options:$/,$p' "$tmp/$1.h" | sed '1d'; }
help_opts() {
	help_lines "$1" | sed 's/^ *//; s/   *.*//' | grep -Eo -- '(^|[ ,])--?[A-Za-z0-9][A-Za-z0-9-]*' |
		sed 's/^[ ,]*//' | sort -u
}
# takes_arg CMD OPT: the -h line of OPT names an argument after it.
takes_arg() {
	help_lines "$1" | sed 's/^ *//; s/   *.*//' |
		grep -Eq -- "(^|[ ,])$2 [A-Z]"
}

# Under valgrind, the loop over every option (about 120 runs that stop in
# the parser) runs the native commands: memcheck adds minutes and nothing
# that -h and the bad-option run below, still under valgrind, do not cover.
parser=$(dirname "$(command -v terra-probe)")
[ -n "${TERRA_WRAP:-}" ] && parser=$bin
cd "$tmp"
for c in $cmds; do
	page=$top/man/$c.1
	"$c" -h >"$tmp/$c.h"
	man_opts "$page" >"$tmp/$c.man"
	help_opts "$c" >"$tmp/$c.help"
	ok "$c: its man page lists options" test -s "$tmp/$c.man"
	is "$(help_lines "$c" | grep -vEc '^ +-')" 0 "$c: -h has one line an option"
	is "$(diff "$tmp/$c.man" "$tmp/$c.help" | grep '^[<>]' | tr '\n' ' ')" "" \
		"$c: -h lists exactly the options of $c(1)"
	refused=
	for o in $(cat "$tmp/$c.man"); do
		# The option, then a bad one: the parser stops at the bad one (exit
		# 2) before doing anything, or at a bad value of o; never at o.
		case $o in
		--*) if takes_arg "$c" "$o"; then set -- "$o=x"; else set -- "$o"; fi ;;
		*) if takes_arg "$c" "$o"; then set -- "${o}x"; else set -- "$o"; fi ;;
		esac
		set +e
		TERRA_HOME=$tmp/nohome "$parser/$c" "$@" --zz-no-such-option >/dev/null 2>"$tmp/err" </dev/null
		set -e
		if grep -Eq -- "unrecognized option '$o|invalid option -- '${o#-}'" "$tmp/err"; then
			refused="$refused $o"
		fi
	done
	is "$refused" "" "$c: the parser accepts every option of $c(1)"
	set +e
	"$c" --zz-no-such-option >/dev/null 2>"$tmp/err" </dev/null
	set -e
	like "$(cat "$tmp/err")" "unrecognized option '--zz-no-such-option'" \
		"$c: (and the check sees a refused option)"
done

# The check itself: a page option the parser does not know is caught.
printf '.Sh OPTIONS\n.Bl -tag\n.It Fl \\-no-such Ar x , Fl q\n.El\n' >"$tmp/fake.1"
is "$(man_opts "$tmp/fake.1" | tr '\n' ' ')" "--no-such -q " "man_opts reads .Fl names"
done_testing
