#!/bin/sh
# terra-meter on a file of signed usage records (1 million by default,
# METER_BENCH_N to change) against, in the same run: libsodium's raw
# crypto_sign_verify_detached rate on one core times the cores (the ceiling:
# signature checking is the cost), and jq doing the same per-unit, per-day
# aggregation without any verification (for scale). Also its peak RSS on the
# whole file and on a tenth of it (memory must not grow with records), and
# its CPU time per record in one thread interleaved round by round with raw
# verifies in the same thread (bench/meter-cpu.c), the figure a loaded
# machine disturbs least. The raw rate verifies distinct signatures
# by distinct keys, as a stream of records is (bench/verify-raw.c).
# One record in 16 is sha256d, whose evidence the meter checks in full
# (binding, time, shares re-hashed, count), the others kernel (signature,
# fields, seqs; no evidence to check); METER_GEN_SHA_EVERY=1 makes every
# record sha256d (bench/meter-gen.c). The paired rounds are run on the
# records as written and on the same records as Python writes them.
# Prints rows "| figure | terra | peer | ratio | machine |".
set -eu
top=${TERRA_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${TERRA_BIN:-$top/build/rel/bin}
lib=${TERRA_LIB:-$(dirname "$bin")/libterra.a}
machine=${BENCH_MACHINE:-"$(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"}
n=${METER_BENCH_N:-1000000}
cores=$(nproc)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TERRA_HOME="$tmp/home" TERRA_NOW=2026-11-21T10:00:00Z
PATH=$bin:$PATH

# shellcheck disable=SC2046
cc -O2 -std=c11 -D_GNU_SOURCE -DCL_TARGET_OPENCL_VERSION=300 -I"$top" \
	"$top/bench/meter-gen.c" "$lib" $(pkg-config --libs libsodium sqlite3 jansson hwloc OpenCL) \
	-lcsv -lpthread -lm -o "$tmp/meter-gen"
# shellcheck disable=SC2046
cc -O2 -std=c11 -D_GNU_SOURCE -DCL_TARGET_OPENCL_VERSION=300 -I"$top" \
	"$top/bench/meter-cpu.c" "$lib" $(pkg-config --libs libsodium sqlite3 jansson hwloc OpenCL) \
	-lcsv -lpthread -lm -o "$tmp/meter-cpu"
cc -O2 -std=c11 -D_GNU_SOURCE "$top/bench/verify-raw.c" -lsodium -o "$tmp/verify-raw"

terra-register init 2>/dev/null
terra-register "$top/tests/fixtures/devices/node.ndjson" >/dev/null 2>&1
units=$(terra-register list -o json | jq -r .unit | tr '\n' ' ')
nunits=$(echo "$units" | wc -w)

# Generate in one process per core, in index ranges, then concatenate.
echo "bench/meter.sh: signing $n usage records" >&2
t0=$(date +%s.%N)
per=$(((n + cores - 1) / cores))
i=0
while [ $((i * per)) -lt "$n" ]; do
	first=$((i * per))
	count=$((n - first < per ? n - first : per))
	# shellcheck disable=SC2086
	"$tmp/meter-gen" "$TERRA_HOME/units" "$first" "$count" $units >"$tmp/part.$i" &
	i=$((i + 1))
done
wait
j=0
while [ "$j" -lt "$i" ]; do cat "$tmp/part.$j"; rm -f "$tmp/part.$j"; j=$((j + 1)); done >"$tmp/usage.nd"
t1=$(date +%s.%N)
echo "bench/meter.sh: generated in $(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }') s" >&2
head -n $((n / 10)) "$tmp/usage.nd" >"$tmp/tenth.nd"
# Each record's canonical form is its line without ,"sig":"<128 hex>" (137 bytes).
msglen=$(head -n 1000 "$tmp/usage.nd" | awk '{ s += length($0) } END { printf "%d", s / NR - 137 }')
days=$((n / nunits / 1440 + 2))
period="2026-11-21T10:00:00Z/P${days}D"

raw=$("$tmp/verify-raw" "$msglen" 3)
measure() { # measure OUT FILE ARGS...: "elapsed user sys maxrss_kb"
	out=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$out" "$@" >/dev/null 2>"$tmp/err" || {
		cat "$tmp/err" >&2
		return 1
	}
}
measure "$tmp/t.full" terra-meter -p "$period" --every P1D "$tmp/usage.nd"
measure "$tmp/t.tenth" terra-meter -p "$period" --every P1D "$tmp/tenth.nd"
measure "$tmp/t.jq" jq -nc 'reduce inputs as $r ({};
	.[$r.unit + " " + $r.start[0:10]] |= {busy: ((.busy // 0) + $r.busy_us),
		work: ((.work // 0) + $r.work), records: ((.records // 0) + 1)})' "$tmp/usage.nd"
raw2=$("$tmp/verify-raw" "$msglen" 3)
# Paired rounds: terra-meter on a slice, then at once as many raw verifiers
# as cores for as long, round after round. This host's speed drifts by tens
# of percent within minutes (other tenants of its cores): the rounds of a
# pair meet the same conditions, and the headline ratio is theirs.
head -n $((n / 10 < 100000 ? n / 10 : 100000)) "$tmp/usage.nd" >"$tmp/pair.nd"
npair=$(wc -l <"$tmp/pair.nd" | tr -d ' ')
# The same records as a signer in another language writes them: Python's
# json.dumps with its separators, keys reversed at every depth, "sig" last.
# Each signature still checks over the canonical form of its body.
python3 -c '
import json, sys
def rev(v):
    if isinstance(v, dict):
        return {k: rev(v[k]) for k in reversed(list(v))}
    return [rev(x) for x in v] if isinstance(v, list) else v
for line in sys.stdin:
    o = rev(json.loads(line))
    o["sig"] = o.pop("sig")
    print(json.dumps(o, separators=(", ", ": ")))' <"$tmp/pair.nd" >"$tmp/foreign.nd"
# pair FILE OUT: one round of terra-meter on FILE, then as many raw verifiers
# as cores for as long; "records elapsed raw/s" appended to OUT.
pair() {
	measure "$tmp/t.pair" terra-meter -p "$period" --every P1D "$1"
	read -r pel _ <"$tmp/t.pair"
	c=0
	while [ "$c" -lt "$cores" ]; do
		"$tmp/verify-raw" "$msglen" "$pel" >"$tmp/raw.$c" &
		c=$((c + 1))
	done
	wait
	echo "$npair $pel $(cat "$tmp"/raw.* | awk '{ s += $1 } END { print s }')" >>"$2"
	rm -f "$tmp"/raw.*
}
: >"$tmp/pairs"
: >"$tmp/pairs.foreign"
for r in $(seq "${METER_BENCH_ROUNDS:-6}"); do
	pair "$tmp/pair.nd" "$tmp/pairs"
	pair "$tmp/foreign.nd" "$tmp/pairs.foreign"
done
pair_terra=$(awk '{ s += $1 / $2 } END { printf "%.0f", s / NR }' "$tmp/pairs")
pair_raw=$(awk '{ s += $3 } END { printf "%.0f", s / NR }' "$tmp/pairs")
fpair_terra=$(awk '{ s += $1 / $2 } END { printf "%.0f", s / NR }' "$tmp/pairs.foreign")
fpair_raw=$(awk '{ s += $3 } END { printf "%.0f", s / NR }' "$tmp/pairs.foreign")
echo "bench/meter.sh: paired rounds (records/s, raw verifies/s):" \
	$(awk '{ printf "%.0f/%.0f ", $1 / $2, $3 }' "$tmp/pairs") >&2
echo "bench/meter.sh: paired rounds, foreign spelling (records/s, raw verifies/s):" \
	$(awk '{ printf "%.0f/%.0f ", $1 / $2, $3 }' "$tmp/pairs.foreign") >&2
raw1=$("$tmp/verify-raw" "$msglen" 3 1) # one signature over and over: the old, kinder ceiling
head -n $((n / 10 < 5000 ? n / 10 : 5000)) "$tmp/usage.nd" >"$tmp/slice.nd"
inter=$("$tmp/meter-cpu" "$tmp/slice.nd" "$period" 20)
head -n "$(wc -l <"$tmp/slice.nd")" "$tmp/foreign.nd" >"$tmp/fslice.nd"
finter=$("$tmp/meter-cpu" "$tmp/fslice.nd" "$period" 20)

# The ceiling is the faster of the two raw runs, so a load that slowed one
# of them does not flatter terra-meter.
raw_wall=$(echo "$raw $raw2" | awk '{ print ($1 > $3 ? $1 : $3) }')
raw_cpu=$(echo "$raw $raw2" | awk '{ print ($2 > $4 ? $2 : $4) }')
read -r el us sy rss <"$tmp/t.full"
read -r el10 us10 sy10 rss10 <"$tmp/t.tenth"
read -r jel jus jsy jrss <"$tmp/t.jq"
echo "bench/meter.sh: raw verify $raw then $raw2 (wall/s, CPU/s); terra-meter $el s wall, $us s user, $sy s sys, $rss KiB; tenth $el10 s, $rss10 KiB; jq $jel s, $jrss KiB" >&2
rate=$(echo "$n $el" | awk '{ printf "%.0f", $1 / $2 }')
cpu_rate=$(echo "$n $us $sy" | awk '{ printf "%.0f", $1 / ($2 + $3) }')
jq_rate=$(echo "$n $jel" | awk '{ printf "%.0f", $1 / $2 }')
ceiling=$(echo "$cores $raw_wall" | awk '{ printf "%.0f", $1 * $2 }')
row() { printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(echo "$2 $3" | awk '{ printf "%.2f", $1 / $2 }')" "$machine"; }
row "meter: records/s, -j $cores, mean of ${METER_BENCH_ROUNDS:-6} rounds on $npair records, each paired with $cores libsodium verifiers at once for as long" \
	"$pair_terra" "$pair_raw"
row "meter, foreign spelling (Python json.dumps, keys reversed at every depth, sig last): records/s, -j $cores, mean of ${METER_BENCH_ROUNDS:-6} rounds on $npair records, each paired with $cores libsodium verifiers at once for as long" \
	"$fpair_terra" "$fpair_raw"
row "meter: records/s, $n signed usage records, -j $cores (vs $cores x libsodium verify/s on one core)" "$rate" "$ceiling"
row "meter: records per CPU-second, -j $cores (vs libsodium verifies per CPU-second)" "$cpu_rate" "$raw_cpu"
row "meter: records per CPU-second, one thread interleaved with raw verifies, $(wc -l <"$tmp/slice.nd") records x 20 (vs libsodium verifies per CPU-second)" \
	"$(echo "$inter" | cut -d' ' -f1)" "$(echo "$inter" | cut -d' ' -f2)"
row "meter, foreign spelling: records per CPU-second, one thread interleaved with raw verifies, $(wc -l <"$tmp/fslice.nd") records x 20 (vs libsodium verifies per CPU-second)" \
	"$(echo "$finter" | cut -d' ' -f1)" "$(echo "$finter" | cut -d' ' -f2)"
row "meter: records per CPU-second, -j $cores (vs libsodium verifies per CPU-second of one signature repeated)" \
	"$cpu_rate" "${raw1#* }"
row "meter: records/s verified (vs jq, same aggregation, no verification)" "$rate" "$jq_rate"
row "meter: peak RSS MiB, $n records (vs $((n / 10)) records)" \
	"$(echo "$rss" | awk '{ printf "%.1f", $1 / 1024 }')" "$(echo "$rss10" | awk '{ printf "%.1f", $1 / 1024 }')"
