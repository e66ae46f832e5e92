#!/bin/sh
# terra-run's sgemm against CLBlast's sgemm on the same OpenCL device in the
# same run, n = 1024 and 2048 (BENCH_SGEMM_SIZES), in GFLOPS: terra's from its usage records
# (work / busy_us, the device time of its kernels), CLBlast's from a small
# C driver (bench/clblast-sgemm.c, timed call to clFinish); best of RUNS
# each, after a warm-up. Also terra's figure as a fraction of the FP32 peak
# terra-probe measures on that device.
# Prints rows "| figure | terra | peer | ratio | machine |".
set -eu
top=${TERRA_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${TERRA_BIN:-$top/build/rel/bin}
machine=${BENCH_MACHINE:-"$(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"}
runs=${BENCH_RUNS:-3}
sizes=${BENCH_SGEMM_SIZES:-1024 2048}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TERRA_HOME="$tmp/home"
unset TERRA_NOW || true

cc -O2 -std=c11 -Wall "$top/bench/clblast-sgemm.c" -lclblast -lOpenCL -o "$tmp/clblast-sgemm"
"$bin/terra-register" init 2>/dev/null
"$bin/terra-probe" -d 0 >"$tmp/devices.ndjson" 2>/dev/null || true
"$bin/terra-register" <"$tmp/devices.ndjson" >"$tmp/units.ndjson"
unit=$(jq -r 'select(.type == "unit") | .unit' "$tmp/units.ndjson" | head -n 1)
peak=$(jq -r 'select(.type == "device") | .bench.fp32_mflops / 1000' "$tmp/devices.ndjson" | head -n 1)
name=$(jq -r 'select(.type == "device") | .name' "$tmp/devices.ndjson" | head -n 1)

for n in $sizes; do
	best=0
	"$bin/terra-run" -u "$unit" -w sgemm --size "$n,$n,$n" >/dev/null # warm the kernel cache
	i=0
	while [ $i -lt "$runs" ]; do
		g=$("$bin/terra-run" -u "$unit" -w sgemm --size "$n,$n,$n" | jq -s '(map(.work) | add) / (map(.busy_us) | add) / 1000')
		best=$(echo "$best $g" | awk '{ print ($2 > $1) ? $2 : $1 }')
		i=$((i + 1))
	done
	peer=$("$tmp/clblast-sgemm" "$n" "$runs")
	printf '| sgemm n=%s GFLOPS, %s (vs CLBlast sgemm) | %.2f | %.2f | %.2f | %s |\n' "$n" "$name" \
		"$best" "$peer" "$(echo "$best $peer" | awk '{ print $1 / $2 }')" "$machine"
	printf '| sgemm n=%s, fraction of FP32 peak (terra-probe: %s GFLOPS) | %.3f | - | - | %s |\n' \
		"$n" "$peak" "$(echo "$best $peak" | awk '{ print $1 / $2 }')" "$machine"
done
