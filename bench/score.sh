#!/bin/sh
# How stable terra-probe's figures are: PROBES (10) probes of device 0 in a
# row (--quick, or full with SCORE_MODE=full), each figure's spread over them,
# (max - min) / median, for the score (sgemm_mflops, terra-probe(1) SCORE) and
# the sha256d hash rate against the clpeak-method FP32 figure of the same
# probes, the figure the score was before. On a shared host the spread is the
# load's as much as the method's, so each probe's share of the host's CPU
# time that other programs took (from /proc/stat, less the probe's own) is
# measured too, and the spread is also given over the probes that ran with
# the host otherwise idle (others below QUIET percent, 5). Also the wall time
# of a probe. TERRA_WORKBENCH_SAMPLES and _SECONDS set the least samples per
# workload and seconds of sampling (terra-probe(1)). The
# quiet filter goes by the probe's own figure when it has one
# (bench.host_others_pct, over its workloads only: what terra-register
# rescores by), else by the whole probe's. WAIT_QUIET=S waits up to S seconds
# before each probe for a 2-second window with others below QUIET percent,
# then probes anyway: on a shared host, quiet moments are taken as they come.
# Prints rows "| figure | terra | peer | ratio | machine |".
set -eu
top=${TERRA_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${TERRA_BIN:-$top/build/rel/bin}
machine=${BENCH_MACHINE:-"$(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"}
probes=${PROBES:-10}
mode=${SCORE_MODE:-quick}
quiet=${QUIET:-5}
[ "${BENCH_QUICK:-}" = 1 ] && probes=3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TERRA_HOME="$tmp/no-home" # no baselines: measure, do not judge
hz=$(getconf CLK_TCK)
cpus=$(grep -c '^cpu[0-9]' /proc/stat)

busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; } # user nice system irq softirq
wait_quiet=${WAIT_QUIET:-0}
# quiet_now: others (all busy time: nothing of ours runs) below QUIET% over 2 s
quiet_now() {
	q0=$(busy)
	sleep 2
	q1=$(busy)
	awk -v a="$q0" -v b="$q1" -v hz="$hz" -v n="$cpus" -v q="$quiet" \
		'BEGIN { exit !((b - a) / hz / (2 * n) * 100 < q) }'
}
i=0
while [ $i -lt "$probes" ]; do
	waited=0
	while [ "$waited" -lt "$wait_quiet" ] && ! quiet_now; do
		sleep 3
		waited=$((waited + 5))
	done
	b0=$(busy)
	/usr/bin/time -f '%e %U %S' -o "$tmp/time" "$bin/terra-probe" -d 0 --bench "$mode" >"$tmp/out"
	b1=$(busy)
	# others: the host's busy CPU time during the probe less the probe's own, in percent
	others=$(awk -v b0="$b0" -v b1="$b1" -v hz="$hz" -v n="$cpus" \
		'{ o = ((b1 - b0) / hz - $2 - $3) / ($1 * n) * 100; if (o < 0) o = 0; printf "%.1f", o }' "$tmp/time")
	jq -c --argjson o "$others" --argjson s "$(cut -d' ' -f1 "$tmp/time")" \
		'select(.type == "device") | .bench + {others_pct: (.bench.host_others_pct // $o), probe_others_pct: $o, wall_s: $s}' \
		"$tmp/out" >>"$tmp/bench"
	i=$((i + 1))
done
jq -c . "$tmp/bench" >&2 # each probe's figures, for the record
name=$(jq -r 'select(.type == "device") | .name' "$tmp/out")

# stat FIELD SELECT: "spread median count" of FIELD over the probes SELECT keeps
stat() {
	jq -s -r --arg f "$1" "map(select($2)) | map(.[\$f]) | sort |
		if length == 0 then \"- - 0\" else
		((.[length / 2 | floor] + .[(length - 1) / 2 | floor]) / 2) as \$m |
		\"\\((.[-1] - .[0]) / \$m * 1000 | round / 10) \\(\$m) \\(length)\" end" "$tmp/bench"
}
row() { printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(echo "$2 $3" | awk '$1 == "-" || $2 == "-" || $2 == 0 { print "-"; next } { printf "%.2f", $1 / $2 }')" "$machine"; }
others=$(jq -s -r 'map(.others_pct) | sort | "\(.[0])-\(.[-1])"' "$tmp/bench")
set -- $(stat fp32_mflops true)
fp32_all=$1
set -- $(stat fp32_mflops ".others_pct < $quiet")
fp32_quiet=$1
for f in sgemm_mflops sha256d_khps; do
	set -- $(stat $f true)
	row "score: $f spread % (max-min)/median over $probes $mode probes, $name, others took $others% of the CPUs (vs fp32_mflops, clpeak method)" "$1" "$fp32_all"
	set -- $(stat $f ".others_pct < $quiet")
	row "score: $f spread % over the $3 of those probes with others below $quiet% (vs fp32_mflops)" "$1" "$fp32_quiet"
done
set -- $(stat sgemm_mflops true)
s=$2
set -- $(stat fp32_mflops true)
row "score: median sgemm_mflops over the $probes probes (vs median fp32_mflops)" "$s" "$2"
set -- $(stat wall_s true)
row "score: wall s of a $mode probe, median (all benchmarks + health)" "$2" -
