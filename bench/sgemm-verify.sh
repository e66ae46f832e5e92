#!/bin/sh
# The sgemm verifier (lib/sgemmproof.c, terra_sgemm_evidence_check: inclusion
# proofs, the generator rerun for the opened pieces' rows of A and column
# blocks of B, Freivalds on each piece) against the work it checks, same run:
# terra-run sgemm at n = 1024 and 2048 (BENCH_SGEMM_SIZES) on device 0, the
# provider's time the device time of its kernels (busy_us summed over the
# usage records), the verifier's one CPU thread over the same records (best of
# RUNS, bench/sgemm-verify.c). Target (issue 14): ratio <= 0.02 at n = 1024.
# Prints rows "| figure | terra | peer | ratio | machine |".
set -eu
top=${TERRA_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${TERRA_BIN:-$top/build/rel/bin}
lib=${TERRA_LIB:-$(dirname "$bin")/libterra.a}
machine=${BENCH_MACHINE:-"$(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"}
runs=${BENCH_RUNS:-3}
sizes=${BENCH_SGEMM_SIZES:-1024 2048}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TERRA_HOME="$tmp/home"
unset TERRA_NOW || true

cc -O2 -std=c11 -D_GNU_SOURCE -I"$top" "$top/bench/sgemm-verify.c" "$lib" -lsodium -ljansson -lm \
	-o "$tmp/sgemm-verify"
"$bin/terra-register" init 2>/dev/null
"$bin/terra-probe" --bench none -d 0 >"$tmp/devices.ndjson" 2>/dev/null || true
"$bin/terra-register" <"$tmp/devices.ndjson" >"$tmp/units.ndjson"
unit=$(jq -r 'select(.type == "unit") | .unit' "$tmp/units.ndjson" | head -n 1)
name=$(jq -r 'select(.type == "device") | .name' "$tmp/devices.ndjson" | head -n 1)

for n in $sizes; do
	"$bin/terra-run" -u "$unit" -w sgemm --size "$n,$n,$n" >/dev/null # warm the kernel cache
	"$bin/terra-run" -u "$unit" -w sgemm --size "$n,$n,$n" >"$tmp/usage.ndjson"
	set -- $("$tmp/sgemm-verify" "$tmp/usage.ndjson" "$runs")
	printf '| sgemm n=%s: verifier CPU us (1 thread, %s records) vs provider device us, %s | %s | %s | %.4f | %s |\n' \
		"$n" "$1" "$name" "$2" "$4" "$(echo "$2 $4" | awk '{ print $1 / $2 }')" "$machine"
done
