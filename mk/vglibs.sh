#!/bin/sh
# mk/vglibs.sh BIN DIR: copies into DIR the libc.so.6 and libm.so.6 that BIN
# loads, each with its build ID zeroed and its .gnu_debuglink removed, for
# `make valgrind` to run memcheck's targets on (LD_LIBRARY_PATH=DIR).
#
# Why: memcheck reads the DWARF of every library it maps that has a debug
# file, and Debian's valgrind depends on libc6-dbg. Reading libc's and libm's
# cost 40% of memcheck's start (terra-ledger --version, idle machine: 0.53
# CPU s with them, 0.32 without), and the suite starts memcheck over a
# thousand times; tests/ledger.t alone went from 125.8 to 119.2 CPU s. The
# copies run the same code; no debug file is found for them, so an error
# inside libc shows its exported symbols only. ld.so keeps its debug file:
# tests/valgrind.supp names its is_dst.
set -eu
[ $# -eq 2 ] || {
	echo "usage: sh mk/vglibs.sh BIN DIR" >&2
	exit 2
}
bin=$1 dir=$2
mkdir -p "$dir"
for name in libc.so.6 libm.so.6; do
	lib=$(ldd "$bin" | awk -v n="$name" '$1 == n { print $3 }')
	[ -n "$lib" ] || {
		echo "mk/vglibs.sh: $bin does not load $name" >&2
		exit 1
	}
	id=$(readelf -n "$lib" | sed -n 's/.*Build ID: *//p')
	objcopy --remove-section=.gnu_debuglink "$lib" "$dir/$name.tmp"
	if [ -n "$id" ]; then
		python3 - "$dir/$name.tmp" "$id" <<'EOF'
import sys
path, hexid = sys.argv[1], bytes.fromhex(sys.argv[2])
data = open(path, "rb").read()
if data.count(hexid) != 1:
    sys.exit("mk/vglibs.sh: %s: the build ID is not found once" % path)
open(path, "wb").write(data.replace(hexid, bytes(len(hexid))))
EOF
	fi
	chmod 755 "$dir/$name.tmp"
	mv "$dir/$name.tmp" "$dir/$name"
done
