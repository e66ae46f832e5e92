#!/bin/sh
# terra-run's sgemm on the first OpenCL device (PoCL's CPU device on a
# machine without a GPU) against its peers in the same run, n = 1024 and
# 2048 (BENCH_SGEMM_SIZES), in GFLOPS, best of RUNS each after a warm-up:
#   - CLBlast's sgemm on the same OpenCL device (bench/clblast-sgemm.c);
#   - OpenBLAS's cblas_sgemm on the host CPU with all its cores
#     (bench/openblas-sgemm.c), the CPU's own hand-written BLAS: once with
#     the kernels Debian's library picks for this CPU and, where the CPU has
#     AVX-512, once with OPENBLAS_CORETYPE=SkylakeX (its AVX-512 kernels);
#   - the CPU's theoretical FP32 peak, cores x FMA units x vector width x 2
#     x clock, the clock and the FMA units measured by bench/cpu-peak.c.
# terra's figure comes from its usage records (work / busy_us, the device
# time of its kernels), the peers' from the time of the call. The median of
# the RUNS runs is given beside each best. Prints rows
# "| figure | terra | peer | ratio | machine |".
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
if ! pkg-config --exists openblas; then
	echo "bench/sgemm.sh: OpenBLAS not found: apt-get install libopenblas-dev (sh mk/deps.sh bench)" >&2
	exit 1
fi
# shellcheck disable=SC2046
cc -O2 -std=c11 -Wall $(pkg-config --cflags openblas) "$top/bench/openblas-sgemm.c" \
	$(pkg-config --libs openblas) -o "$tmp/openblas-sgemm"
cc -O2 -std=c11 -Wall "$top/bench/cpu-peak.c" -o "$tmp/cpu-peak"
# shellcheck disable=SC2046
set -- $("$tmp/cpu-peak")
ghz=$1 fma=$(printf '%.0f' "$2") width=$3 cores=$(nproc)
peak=$(echo "$cores $fma $width $ghz" | awk '{ printf "%.1f", $1 * $2 * $3 * 2 * $4 }')
"$bin/terra-register" init 2>/dev/null
"$bin/terra-probe" -d 0 >"$tmp/devices.ndjson" 2>/dev/null || true
"$bin/terra-register" <"$tmp/devices.ndjson" >"$tmp/units.ndjson"
unit=$(jq -r 'select(.type == "unit") | .unit' "$tmp/units.ndjson" | head -n 1)
name=$(jq -r 'select(.type == "device") | .name' "$tmp/devices.ndjson" | head -n 1)

# median FILE: the median of the numbers in FILE, one a line.
median() {
	sort -g "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
ratio() {
	echo "$1 $2" | awk '{ printf "%.2f", ($2 > 0) ? $1 / $2 : 0 }'
}

for n in $sizes; do
	: >"$tmp/terra"
	"$bin/terra-run" -u "$unit" -w sgemm --size "$n,$n,$n" >/dev/null # warm the kernel cache
	i=0
	while [ $i -lt "$runs" ]; do
		"$bin/terra-run" -u "$unit" -w sgemm --size "$n,$n,$n" |
			jq -s '(map(.work) | add) / (map(.busy_us) | add) / 1000' >>"$tmp/terra"
		i=$((i + 1))
	done
	best=$(sort -g "$tmp/terra" | tail -n 1)
	med=$(median "$tmp/terra")
	peer=$("$tmp/clblast-sgemm" "$n" "$runs")
	printf '| sgemm n=%s GFLOPS, %s (vs CLBlast sgemm) | %.2f | %.2f | %s | %s |\n' "$n" "$name" \
		"$best" "$peer" "$(ratio "$best" "$peer")" "$machine"
	# shellcheck disable=SC2046
	set -- $("$tmp/openblas-sgemm" "$n" "$runs")
	printf '| sgemm n=%s GFLOPS, %s, best of %s (median %.1f) (vs OpenBLAS cblas_sgemm on the CPU, %s threads, its pick %s, median %.1f) | %.2f | %.2f | %s | %s |\n' \
		"$n" "$name" "$runs" "$med" "$cores" "$3" "$2" "$best" "$1" "$(ratio "$best" "$1")" "$machine"
	if [ "$width" = 16 ]; then
		# shellcheck disable=SC2046
		set -- $(OPENBLAS_CORETYPE=SkylakeX "$tmp/openblas-sgemm" "$n" "$runs")
		printf '| sgemm n=%s GFLOPS, %s (vs OpenBLAS cblas_sgemm, OPENBLAS_CORETYPE=SkylakeX: AVX-512 kernels, median %.1f) | %.2f | %.2f | %s | %s |\n' \
			"$n" "$name" "$2" "$best" "$1" "$(ratio "$best" "$1")" "$machine"
	fi
	printf '| sgemm n=%s, fraction of the FP32 peak (%s cores x %s FMA units x %s floats x 2 x %s GHz measured = %s GFLOPS) | %.3f | - | - | %s |\n' \
		"$n" "$cores" "$fma" "$width" "$ghz" "$peak" "$(echo "$best $peak" | awk '{ print $1 / $2 }')" "$machine"
done
