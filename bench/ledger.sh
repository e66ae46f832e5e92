#!/bin/sh
# terra-ledger verify on a ledger of many entries (LEDGER_BENCH_N, 20000 by
# default; each entry has its signed checkpoint), in entries per second:
# from the home, and from its ndjson export with only the public key, against
# the same export checked in the same run by Python's hashlib and PyNaCl
# (bench/ledger-peer.py: leaf hashes, chain, Merkle roots, signatures).
# Also the append rate of terra_ledger_append (no peer).
# Prints rows "| figure | terra | peer | ratio | machine |".
set -eu
top=${TERRA_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${TERRA_BIN:-$top/build/rel/bin}
lib=${TERRA_LIB:-$(dirname "$bin")/libterra.a}
machine=${BENCH_MACHINE:-"$(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"}
n=${LEDGER_BENCH_N:-20000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TERRA_HOME="$tmp/home" TERRA_NOW=2026-11-21T10:00:00Z
PATH=$bin:$PATH

# shellcheck disable=SC2046
cc -O2 -std=c11 -D_GNU_SOURCE -DCL_TARGET_OPENCL_VERSION=300 -I"$top" \
	"$top/bench/ledger-gen.c" "$lib" $(pkg-config --libs libsodium sqlite3 jansson hwloc OpenCL) \
	-lcsv -lpthread -lm -o "$tmp/ledger-gen"
terra-register init 2>/dev/null
echo "bench/ledger.sh: appending $n entries" >&2
append=$("$tmp/ledger-gen" "$TERRA_HOME" "$n")
terra-ledger export -f ndjson >"$tmp/export.ndjson"
pk=$(cat "$TERRA_HOME/owner.pub")

measure() { # measure OUT CMD...: "elapsed user sys" of one run, output discarded
	out=$1
	shift
	/usr/bin/time -f '%e %U %S' -o "$out" "$@" >/dev/null
}
measure "$tmp/t.home" terra-ledger verify
measure "$tmp/t.export" sh -c 'terra-ledger verify --pubkey "$1" <"$2"' - "$pk" "$tmp/export.ndjson"
measure "$tmp/t.peer" sh -c '/usr/bin/python3 "$1" "$2" <"$3"' - "$top/bench/ledger-peer.py" "$pk" \
	"$tmp/export.ndjson"
got=$(/usr/bin/python3 "$top/bench/ledger-peer.py" "$pk" <"$tmp/export.ndjson")
[ "$got" = "$n" ] || { echo "bench/ledger.sh: the peer saw $got entries, not $n" >&2; exit 1; }
read -r hel hus hsy <"$tmp/t.home"
read -r xel xus xsy <"$tmp/t.export"
read -r pel pus psy <"$tmp/t.peer"
echo "bench/ledger.sh: verify $hel s ($hus user $hsy sys), verify --pubkey $xel s ($xus + $xsy), python $pel s ($pus + $psy)" >&2
rate() { echo "$n $1 ${2:-0}" | awk '{ printf "%.0f", $1 / ($2 + $3) }'; }
row() { printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(echo "$2 $3" | awk '{ printf "%.2f", $1 / $2 }')" "$machine"; }
row "ledger verify: entries/s, $n entries + checkpoints, home (vs python3 hashlib+PyNaCl on the export)" \
	"$(rate "$hel")" "$(rate "$pel")"
row "ledger verify: entries per CPU-second, home (vs python3 hashlib+PyNaCl)" \
	"$(rate "$hus" "$hsy")" "$(rate "$pus" "$psy")"
row "ledger verify --pubkey: entries/s, $n-entry export (vs python3 hashlib+PyNaCl)" \
	"$(rate "$xel")" "$(rate "$pel")"
printf '| %s | %s | - | - | %s |\n' "ledger append: entries/s with signed checkpoint, 1000 per transaction" \
	"$append" "$machine"
