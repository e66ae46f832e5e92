#!/bin/sh
# mk/layers.sh on small trees that break one rule each (an include into a
# layer not used, a cycle, a restricted system header, a module missing
# from the map, a file over 800 lines), then on the real tree.
. "$(dirname "$0")/setup"
layers=$top/mk/layers.sh

tree() { # tree DIR: a clean tree of three layers
	rm -rf "$1"
	mkdir -p "$1/lib"
	printf '%s\n' '# a comment' 'layer base' '	err util' '' 'layer crypto uses base' \
		'	hash sign' 'layer device uses base' '	gpu' 'layer money uses base crypto' \
		'	meter' 'header CL/cl.h in device' >"$1/lib/LAYERS"
	printf '#include "err.h"\nint util;\n' >"$1/lib/util.c"
	printf 'int u;\n' >"$1/lib/util.h"
	printf 'int err;\n' >"$1/lib/err.h"
	printf '#include "hash.h"\n#include "err.h"\n' >"$1/lib/sign.c"
	printf '#include "util.h"\n' >"$1/lib/hash.h"
	printf '#include <CL/cl.h>\n#include "err.h"\n' >"$1/lib/gpu.c"
	printf '#include <stdio.h>\n#include "sign.h"\n#include "hash.h"\n' >"$1/lib/meter.c"
}
check() { # check DIR: runs the script, its messages in DIR.err
	sh "$layers" "$1" 2>"$1.err"
}

t=$tmp/t
tree "$t"
fails 0 "a clean tree passes" check "$t"
is "$(cat "$t.err")" "" "... and says nothing"

tree "$t"
printf '#include "err.h"\n#include "sign.h"\n' >"$t/lib/util.c"
fails 1 "an include up a layer fails" check "$t"
is "$(cat "$t.err")" "lib/util.c:2: includes sign.h of layer crypto, which layer base (util) may not use" \
	"... naming file, line and layers"

tree "$t"
printf '#include "gpu.h"\n' >>"$t/lib/meter.c"
fails 1 "an include into a layer not used (device from money) fails" check "$t"
like "$(cat "$t.err")" "^lib/meter.c:4: includes gpu.h of layer device, which layer money" \
	"... naming file and line"

tree "$t"
printf '#include "sign.h"\n' >>"$t/lib/hash.h"
fails 1 "a cycle within a layer fails" check "$t"
like "$(cat "$t.err")" "^lib/(hash.h:2: includes sign|sign.c:1: includes hash).h, closing a cycle in layer crypto" \
	"... at the include that closes it"

tree "$t"
sed -i 's/err util$/err util buf/' "$t/lib/LAYERS"
printf '#include "util.h"\n' >"$t/lib/util.c"
printf '#include "buf.h"\n' >"$t/lib/util.h"
printf '#include "err.h"\n' >"$t/lib/buf.h"
printf '#include "util.h"\n' >"$t/lib/err.h"
fails 1 "a longer cycle fails" check "$t"
like "$(cat "$t.err")" "closing a cycle in layer base: [a-z]+ -> [a-z]+ -> [a-z]+ -> [a-z]+$" \
	"... and shows its path"
is "$(grep -c cycle "$t.err")" 1 "... once"

tree "$t"
printf '#include <CL/cl.h>\n' >>"$t/lib/meter.c"
fails 1 "a restricted system header outside its layers fails" check "$t"
is "$(cat "$t.err")" "lib/meter.c:4: includes <CL/cl.h>, which layer money (meter) may not include" \
	"... naming file and line"

tree "$t"
printf '#include "err.h"\n' >"$t/lib/stray.c"
printf 'int s;\n' >"$t/lib/stray.h"
fails 1 "a module missing from the map fails" check "$t"
is "$(cat "$t.err")" "lib/stray.c: module stray is missing from lib/LAYERS" "... once, by name"

tree "$t"
printf '#include "nowhere.h"\n' >>"$t/lib/sign.c"
fails 1 "an include of an unmapped header fails" check "$t"
is "$(cat "$t.err")" "lib/sign.c:3: includes nowhere.h, a module missing from lib/LAYERS" \
	"... naming file and line"

tree "$t"
awk 'BEGIN { for (i = 0; i < 800; i++) print "int a" i ";" }' >"$t/lib/util.c"
fails 0 "a file of 800 lines passes" check "$t"
echo "int last;" >>"$t/lib/util.c"
fails 1 "a file of 801 lines fails" check "$t"
is "$(cat "$t.err")" "lib/util.c: 801 lines, over 800" "... naming file and size"

tree "$t"
printf 'layer top uses nothing\n\tx\n' >>"$t/lib/LAYERS"
fails 1 "a layer using a layer not named before it fails" check "$t"
like "$(cat "$t.err")" "layer top uses nothing, which is not a layer named before it" "... says so"

tree "$t"
printf 'layer again\n\tutil\n' >>"$t/lib/LAYERS"
fails 1 "a module in two layers fails" check "$t"
like "$(cat "$t.err")" "module util is already in layer base" "... says so"

# The real tree.
set +e
sh "$layers" "$top" 2>"$tmp/real.err"
st=$?
set -e
is "$st:$(cat "$tmp/real.err")" "0:" "the real tree passes"

# A clone has no DESIGN document: what the sources rely on is in the man pages.
is "$(cd "$top" && grep -rl 'DESIGN' lib cmd tests examples man mk README.md | grep -v '^tests/layers.t$')" \
	"" "no file cites DESIGN, which a clone does not have; they cite the man pages"
done_testing
