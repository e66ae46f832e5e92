#!/bin/sh
# terra-ledger verify on a ledger of many entries (LEDGER_BENCH_N, 20000 by
# default; each entry has its signed checkpoint), in entries per second:
# from the home, and from its ndjson export with only the public key, against
# the same export checked in the same run by Python's hashlib and PyNaCl
# (bench/ledger-peer.py: leaf hashes, chain, Merkle roots, signatures).
# Also, in paired rounds, against the limit: as many libsodium verifiers as
# cores, run at once right after each verify for as long (bench/verify-raw.c,
# on messages of the checkpoints' signed length); the time to verify a year
# of per-minute entries (LEDGER_BENCH_YEAR, 525600 by default) against the
# time at that limit; and the append rate of terra_ledger_append (no peer).
# Prints rows "| figure | terra | peer | ratio | machine |".
set -eu
top=${TERRA_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${TERRA_BIN:-$top/build/rel/bin}
lib=${TERRA_LIB:-$(dirname "$bin")/libterra.a}
machine=${BENCH_MACHINE:-"$(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"}
n=${LEDGER_BENCH_N:-20000}
year=${LEDGER_BENCH_YEAR:-525600}
rounds=${LEDGER_BENCH_ROUNDS:-4}
cores=$(nproc)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TERRA_HOME="$tmp/home" TERRA_NOW=2026-11-21T10:00:00Z
PATH=$bin:$PATH

# shellcheck disable=SC2046
cc -O2 -std=c11 -D_GNU_SOURCE -DCL_TARGET_OPENCL_VERSION=300 -I"$top" \
	"$top/bench/ledger-gen.c" "$lib" $(pkg-config --libs libsodium sqlite3 jansson hwloc OpenCL) \
	-lcsv -lpthread -lm -o "$tmp/ledger-gen"
cc -O2 -std=c11 -D_GNU_SOURCE "$top/bench/verify-raw.c" -lsodium -o "$tmp/verify-raw"
terra-register init 2>/dev/null
echo "bench/ledger.sh: appending $n entries" >&2
append=$("$tmp/ledger-gen" "$TERRA_HOME" "$n")
terra-ledger export -f ndjson >"$tmp/export.ndjson"
pk=$(cat "$TERRA_HOME/owner.pub")

measure() { # measure OUT CMD...: "elapsed user sys" of one run, output discarded
	mout=$1 # not $out: paired's own OUT must survive this call
	shift
	/usr/bin/time -f '%e %U %S' -o "$mout" "$@" >/dev/null
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

# Paired rounds: a verify, then at once as many raw verifiers as cores for
# as long. This host's speed drifts within minutes (other tenants of its
# cores): the two halves of a pair meet the same conditions.
# A checkpoint's signed message is its line without ,"sig":"<128 hex>".
msglen=$(($(tail -n 1 "$tmp/export.ndjson" | wc -c) - 1 - 137))
paired() { # paired OUT CMD...: appends "elapsed raw_verifies_per_s" per round
	out=$1
	shift
	: >"$out"
	for _ in $(seq "$rounds"); do
		measure "$tmp/t.pair" "$@"
		read -r el _ <"$tmp/t.pair"
		c=0
		while [ "$c" -lt "$cores" ]; do
			"$tmp/verify-raw" "$msglen" "$el" >"$tmp/raw.$c" &
			c=$((c + 1))
		done
		wait
		echo "$el $(cat "$tmp"/raw.* | awk '{ s += $1 } END { print s }')" >>"$out"
		rm -f "$tmp"/raw.*
	done
}
paired "$tmp/pairs.home" terra-ledger verify
paired "$tmp/pairs.export" sh -c 'terra-ledger verify --pubkey "$1" <"$2"' - "$pk" "$tmp/export.ndjson"
pair_rate() { awk -v n="$n" '{ s += n / $1 } END { printf "%.0f", s / NR }' "$1"; }
pair_raw() { awk '{ s += $2 } END { printf "%.0f", s / NR }' "$1"; }
echo "bench/ledger.sh: paired rounds (entries/s, raw verifies/s): home" \
	$(awk -v n="$n" '{ printf "%.0f/%.0f ", n / $1, $2 }' "$tmp/pairs.home") "export" \
	$(awk -v n="$n" '{ printf "%.0f/%.0f ", n / $1, $2 }' "$tmp/pairs.export") >&2
raw_cpu=$("$tmp/verify-raw" "$msglen" 3 | cut -d' ' -f2)
row "ledger verify: entries/s, $n entries + checkpoints, home (vs python3 hashlib+PyNaCl on the export)" \
	"$(rate "$hel")" "$(rate "$pel")"
row "ledger verify: entries per CPU-second, home (vs python3 hashlib+PyNaCl)" \
	"$(rate "$hus" "$hsy")" "$(rate "$pus" "$psy")"
row "ledger verify --pubkey: entries/s, $n-entry export (vs python3 hashlib+PyNaCl)" \
	"$(rate "$xel")" "$(rate "$pel")"
row "ledger verify: entries/s, mean of $rounds rounds on $n entries, each paired with $cores libsodium verifiers at once for as long (the limit)" \
	"$(pair_rate "$tmp/pairs.home")" "$(pair_raw "$tmp/pairs.home")"
row "ledger verify --pubkey: entries/s, the same rounds on the export (vs the limit)" \
	"$(pair_rate "$tmp/pairs.export")" "$(pair_raw "$tmp/pairs.export")"
row "ledger verify: entries per CPU-second, home (vs libsodium verifies per CPU-second, one core)" \
	"$(rate "$hus" "$hsy")" "$raw_cpu"
printf '| %s | %s | - | - | %s |\n' "ledger append: entries/s with signed checkpoint, 1000 per transaction" \
	"$append" "$machine"

# A year of per-minute entries: the same ledger grown to $year entries.
if [ "$year" -gt "$n" ]; then
	echo "bench/ledger.sh: appending $((year - n)) more entries" >&2
	"$tmp/ledger-gen" "$TERRA_HOME" $((year - n)) >/dev/null
	terra-ledger export -f ndjson >"$tmp/export.ndjson"
	measure "$tmp/t.year" terra-ledger verify
	measure "$tmp/t.yearx" sh -c 'terra-ledger verify --pubkey "$1" <"$2"' - "$pk" "$tmp/export.ndjson"
	c=0
	while [ "$c" -lt "$cores" ]; do
		"$tmp/verify-raw" "$msglen" 3 >"$tmp/raw.$c" &
		c=$((c + 1))
	done
	wait
	limit=$(cat "$tmp"/raw.* | awk -v n="$year" '{ s += $1 } END { printf "%.2f", n / s }')
	rm -f "$tmp"/raw.*
	read -r yel yus ysy <"$tmp/t.year"
	read -r xel xus xsy <"$tmp/t.yearx"
	echo "bench/ledger.sh: a year ($year entries): verify $yel s ($yus user $ysy sys), --pubkey $xel s ($xus + $xsy); at the limit $limit s" >&2
	row "ledger verify: wall s, a year of per-minute entries ($year + checkpoints), home (vs the time at the limit: $cores x libsodium verify/s, right after)" \
		"$yel" "$limit"
	row "ledger verify --pubkey: wall s, the same year's export (vs the time at the limit)" \
		"$xel" "$limit"
fi
