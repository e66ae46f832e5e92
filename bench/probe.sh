#!/bin/sh
# terra-probe against clpeak on the same OpenCL device in the same run:
# FP32 throughput and global memory bandwidth (each tool's best vector
# width; against clpeak's default wall-clock timing and its OpenCL event
# timing, which terra-probe uses), and the wall time of a full probe (every benchmark and health
# check) against clpeak running just those two tests, and of --quick.
# BENCH_QUICK=1 leaves out the warm-up runs and clpeak's event-timer pass.
# Prints rows "| figure | terra | peer | ratio | machine |".
set -eu
top=${TERRA_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${TERRA_BIN:-$top/build/rel/bin}
machine=${BENCH_MACHINE:-"$(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TERRA_HOME="$tmp/no-home" # no baselines: measure, do not judge

now() { date +%s.%N; }
# clpeak_best SECTION FILE: the best width's figure in a clpeak section
clpeak_best() {
	awk -v sect="$1" '
		index($0, sect) { on = 1; next }
		on && /:/ { v = $NF + 0; if (v > best) best = v; next }
		on && !/:/ { on = 0 }
		END { printf "%.2f\n", best }' "$2"
}
row() { printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(echo "$2 $3" | awk '{ printf "%.2f", $1 / $2 }')" "$machine"; }

command -v clpeak >/dev/null || { echo "bench/probe.sh: clpeak is not installed" >&2; exit 1; }
# Warm both tools' kernel caches so neither pays the first compile.
quick=${BENCH_QUICK:-}
if [ "$quick" != 1 ]; then
	"$bin/terra-probe" -d 0 --quick >/dev/null
	clpeak -p 0 -d 0 --compute-sp >/dev/null 2>&1 || true
fi

t0=$(now)
"$bin/terra-probe" -d 0 >"$tmp/full"
t1=$(now)
clpeak -p 0 -d 0 --compute-sp --global-bandwidth >"$tmp/clpeak" 2>&1
t2=$(now)
"$bin/terra-probe" -d 0 --quick >"$tmp/quick"
t3=$(now)
# clpeak times with a wall clock by default; terra-probe, like clpeak's
# --use-event-timer, with OpenCL events: compare with both.
[ "$quick" = 1 ] || clpeak -p 0 -d 0 --compute-sp --global-bandwidth --use-event-timer >"$tmp/clpeak-ev" 2>&1

dev=$(grep '"type":"device"' "$tmp/full")
terra_fp32=$(echo "$dev" | jq -r '.bench.fp32_mflops / 1000')
terra_bw=$(echo "$dev" | jq -r '.bench.mem_bw_mbps / 1000')
peer_fp32=$(clpeak_best "Single-precision compute" "$tmp/clpeak")
peer_bw=$(clpeak_best "Global memory bandwidth" "$tmp/clpeak")
full_s=$(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }')
peer_s=$(echo "$t1 $t2" | awk '{ printf "%.2f", $2 - $1 }')
quick_s=$(echo "$t2 $t3" | awk '{ printf "%.2f", $2 - $1 }')
name=$(echo "$dev" | jq -r .name)

row "probe: FP32 GFLOPS, $name (vs clpeak --compute-sp)" "$terra_fp32" "$peer_fp32"
row "probe: global memory bandwidth GB/s (vs clpeak --global-bandwidth)" "$terra_bw" "$peer_bw"
if [ "$quick" != 1 ]; then
	ev_fp32=$(clpeak_best "Single-precision compute" "$tmp/clpeak-ev")
	ev_bw=$(clpeak_best "Global memory bandwidth" "$tmp/clpeak-ev")
	row "probe: FP32 GFLOPS (vs clpeak --compute-sp --use-event-timer)" "$terra_fp32" "$ev_fp32"
	row "probe: global memory bandwidth GB/s (vs clpeak --global-bandwidth --use-event-timer)" "$terra_bw" "$ev_bw"
fi
row "probe: wall s, full probe (all benchmarks + health) vs clpeak --compute-sp --global-bandwidth" "$full_s" "$peer_s"
row "probe: wall s, --quick vs clpeak --compute-sp --global-bandwidth" "$quick_s" "$peer_s"
