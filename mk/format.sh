#!/bin/sh
# mk/format.sh [--check]: lays out every C file of the tree as .clang-format
# says (make format). With --check it changes nothing, names the first
# drifting line of each file that does not follow .clang-format and exits 1
# (make lint-format, which make check runs). CLANG_FORMAT names another binary.
set -u
cf=${CLANG_FORMAT:-clang-format}
mode=${1:-fix}
case $mode in
fix | --check) ;;
*)
	echo "usage: sh mk/format.sh [--check]" >&2
	exit 2
	;;
esac
if ! command -v "$cf" >/dev/null 2>&1; then
	echo "mk/format.sh: $cf not found: apt-get install clang-format" >&2
	exit 1
fi
files=
for f in lib/*.[ch] cmd/*.[ch] cmd/*/*.[ch] tests/unit/*.[ch] tests/fuzz/*.[ch] \
	tests/tools/*.c bench/*.c; do
	[ -e "$f" ] && files="$files $f"
done
if [ "$mode" = fix ]; then
	# shellcheck disable=SC2086
	exec "$cf" -i $files
fi
bad=0
for f in $files; do
	out=$("$cf" --dry-run -Werror "$f" 2>&1) && continue
	bad=1
	at=$(printf '%s\n' "$out" |
		sed -n 's/^\([^ :]*:[0-9]*\):[0-9]*: error: code should be clang-formatted.*/\1/p' |
		head -n 1)
	if [ -n "$at" ]; then
		echo "$at: not laid out as .clang-format says (make format)" >&2
	else
		printf '%s\n' "$out" >&2
	fi
done
exit "$bad"
