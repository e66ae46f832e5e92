#!/bin/sh
# The sgemm verifier (lib/sgemmproof.c, terra_sgemm_evidence_check: the
# opened pieces' inclusion proofs, then for each of the 64 drawn elements
# its row of A and column of B from the generator) against the work it
# checks, same run: terra-run sgemm at n = 1024 and 2048 (BENCH_SGEMM_SIZES)
# on device 0, the provider's time the device time of its kernels (busy_us
# summed over the usage records), the verifier's one CPU thread over the same
# records: the median of BENCH_VERIFY_PASSES (30) passes, the first of which
# warms the caches as a meter's stream of records does (bench/sgemm-verify.c).
# Target (issue 14): ratio <= 0.02 at n = 1024.
# Prints rows "| figure | terra | peer | ratio | machine |".
set -eu
top=${TERRA_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${TERRA_BIN:-$top/build/rel/bin}
lib=${TERRA_LIB:-$(dirname "$bin")/libterra.a}
machine=${BENCH_MACHINE:-"$(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"}
passes=${BENCH_VERIFY_PASSES:-30}
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
	set -- $("$tmp/sgemm-verify" "$tmp/usage.ndjson" "$passes")
	printf '| sgemm n=%s: verifier CPU us (1 thread, %s records, median of %s passes, best %s) vs provider device us, %s | %s | %s | %.4f | %s |\n' \
		"$n" "$1" "$passes" "$2" "$name" "$3" "$5" "$(echo "$3 $5" | awk '{ print $1 / $2 }')" "$machine"
done
