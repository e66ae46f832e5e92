#!/bin/sh
# mk/format.sh (make format, make lint-format) on a small tree with the
# project's .clang-format: --check names the first drifting line of a file
# that does not follow it and changes nothing; without --check the file is
# laid out and --check then passes.
. "$(dirname "$0")/setup"
format=$top/mk/format.sh

t=$tmp/t
mkdir -p "$t/lib" "$t/cmd/x"
cp "$top/.clang-format" "$t/"
printf 'int f(void)\n{\n\treturn 0;\n}\n' >"$t/lib/good.c"
printf 'int g(void)\n{\n\treturn 0;\n}\nint  h(void) { return 1; }\n' >"$t/cmd/x/bad.c"
cp "$t/cmd/x/bad.c" "$tmp/bad.orig"

fails 1 "--check fails on a file that drifts" sh -c 'cd "$1" && sh "$2" --check 2>"$1.err"' \
	sh "$t" "$format"
is "$(cat "$t.err")" "cmd/x/bad.c:5: not laid out as .clang-format says (make format)" \
	"... naming its first drifting line, and only that file"
ok "... and changes nothing" cmp -s "$t/cmd/x/bad.c" "$tmp/bad.orig"

ok "format lays the files out" sh -c 'cd "$1" && sh "$2"' sh "$t" "$format"
is "$(sed -n '5,$p' "$t/cmd/x/bad.c")" "$(printf 'int h(void)\n{\n\treturn 1;\n}')" \
	"... as .clang-format says (tabs, the brace of a function on its own line)"
ok "... after which --check passes" sh -c 'cd "$1" && sh "$2" --check' sh "$t" "$format"

fails 2 "an unknown argument is a usage error" sh -c 'sh "$1" --frobnicate 2>/dev/null' sh "$format"
fails 1 "a missing clang-format is named" \
	sh -c 'cd "$1" && CLANG_FORMAT=no-such-clang-format sh "$2" --check 2>"$1.err"' sh "$t" "$format"
like "$(cat "$t.err")" "no-such-clang-format not found: apt-get install clang-format" "... with its package"
done_testing
