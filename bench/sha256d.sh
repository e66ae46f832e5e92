#!/bin/sh
# terra-run's sha256d against hashcat -b -m 1400 (SHA2-256) on the same
# OpenCL device in the same run, in SHA-256 compressions per second.
# hashcat hashes short passwords: one compression per hash. terra's nonce
# costs two (the header's second block, then the hash of the hash; the first
# block's midstate is computed once on the host), so its hashes count twice,
# whatever rounds the kernel saves (those before the nonce, on the host; the
# last three of the second hash, which cannot change the word it compares).
# terra's rate: work / busy_us over a timed run's usage records.
# BENCH_SECONDS (default 10) sets the length of each terra run, BENCH_RUNS
# (default 4) how many times the two tools alternate.
# Prints rows "| figure | terra | peer | ratio | machine |".
set -eu
top=${TERRA_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${TERRA_BIN:-$top/build/rel/bin}
machine=${BENCH_MACHINE:-"$(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"}
seconds=${BENCH_SECONDS:-10}
runs=${BENCH_RUNS:-4}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TERRA_HOME="$tmp/home"
unset TERRA_NOW || true

command -v hashcat >/dev/null || { echo "bench/sha256d.sh: hashcat is not installed" >&2; exit 1; }
"$bin/terra-register" init 2>/dev/null
"$bin/terra-probe" -d 0 --bench none >"$tmp/devices.ndjson" 2>/dev/null || true
"$bin/terra-register" <"$tmp/devices.ndjson" >"$tmp/units.ndjson"
unit=$(jq -r 'select(.type == "unit") | .unit' "$tmp/units.ndjson" | head -n 1)
name=$(jq -r 'select(.type == "device") | .name' "$tmp/devices.ndjson" | head -n 1)

"$bin/terra-run" -u "$unit" -w sha256d -t 3 >/dev/null # warm the kernel cache
# Alternate the two tools, each run right after the other's: this host's
# speed drifts by tens of percent within minutes (other tenants of its
# cores), so each pair meets the same conditions. Report each tool's mean
# over the pairs (their ratio is the headline) and its best single run.
: >"$tmp/pairs"
for run in $(seq "$runs"); do
	"$bin/terra-run" -u "$unit" -w sha256d -t "$seconds" --interval 1 >"$tmp/usage.ndjson"
	t=$(jq -s '2 * (map(.work) | add) / (map(.busy_us) | add) * 1e6' "$tmp/usage.ndjson")
	# --machine-readable: "device:mode:..:..:ms:hashes per second"; -D 1: the CPU
	# device; --force: hashcat warns that PoCL is not a supported runtime.
	p=$(hashcat -b -m 1400 --force -D 1 -d 1 --machine-readable --quiet 2>/dev/null |
		awk -F: '$2 == 1400 { print $NF; exit }')
	[ -n "$p" ] || { echo "bench/sha256d.sh: hashcat gave no figure" >&2; exit 1; }
	echo "$t $p" >>"$tmp/pairs"
done
echo "bench/sha256d.sh: pairs (terra hashcat):" $(awk '{ printf "%.0f/%.0f ", $1, $2 }' "$tmp/pairs") >&2
terra=$(awk '{ s += $1 } END { print s / NR }' "$tmp/pairs")
peer=$(awk '{ s += $2 } END { print s / NR }' "$tmp/pairs")
bt=$(awk '$1 > m { m = $1 } END { print m }' "$tmp/pairs")
bp=$(awk '$2 > m { m = $2 } END { print m }' "$tmp/pairs")
printf '| sha256d SHA-256 compressions/s, mean of %s paired runs, %s (vs hashcat -b -m 1400) | %.0f | %.0f | %.2f | %s |\n' \
	"$runs" "$name" "$terra" "$peer" "$(echo "$terra $peer" | awk '{ print $1 / $2 }')" "$machine"
printf '| sha256d SHA-256 compressions/s, best run of each (vs hashcat -b -m 1400) | %.0f | %.0f | %.2f | %s |\n' \
	"$bt" "$bp" "$(echo "$bt $bp" | awk '{ print $1 / $2 }')" "$machine"
