#!/bin/sh
# make bench: runs every bench/*.sh side by side with its peer tool and
# writes bench/RESULTS.md, one markdown table of all their rows. Each
# benchmark prints rows "| figure | terra | peer | ratio | machine |".
# The peers come from Debian packages, installed here when missing.
# BENCH_QUICK=1 (make bench QUICK=1, run by CI): every benchmark and its peer
# on small sizes, to show that each runs and gives figures; the table goes to
# build/bench/RESULTS.md, and bench/RESULTS.md keeps the last full run.
set -u
top=${TERRA_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 1
peers="clpeak hashcat libclblast-dev jq sqlite3 time"
missing=
for p in $peers; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "bench: installing peers:$missing" >&2
	if [ "$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq $missing >&2 || exit 1
fi
out=bench/RESULTS.md
note=
if [ "${BENCH_QUICK:-}" = 1 ]; then
	export METER_BENCH_N=${METER_BENCH_N:-20000} METER_BENCH_ROUNDS=${METER_BENCH_ROUNDS:-2} \
		LEDGER_BENCH_N=${LEDGER_BENCH_N:-2000} LEDGER_BENCH_ROUNDS=${LEDGER_BENCH_ROUNDS:-1} \
		LEDGER_BENCH_YEAR=${LEDGER_BENCH_YEAR:-5000} \
		SETTLE_BENCH_HOLDERS=${SETTLE_BENCH_HOLDERS:-20000} SETTLE_BENCH_UNITS=${SETTLE_BENCH_UNITS:-200} \
		BENCH_SECONDS=${BENCH_SECONDS:-2} BENCH_RUNS=${BENCH_RUNS:-1} \
		BENCH_SGEMM_SIZES=${BENCH_SGEMM_SIZES:-256}
	mkdir -p build/bench
	out=build/bench/RESULTS.md
	note="Quick run (BENCH_QUICK=1): small sizes, to show every benchmark runs; not for comparison."
fi
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
machine="$(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
status=0
for b in bench/*.sh; do
	[ "$b" = bench/run.sh ] && continue
	echo "bench: $b" >&2
	before=$(grep -c '^|' "$tmp")
	if ! BENCH_MACHINE="$machine" sh "$b" >>"$tmp"; then
		echo "bench: $b failed" >&2
		status=1
	elif [ "$(grep -c '^|' "$tmp")" -eq "$before" ]; then
		echo "bench: $b printed no figure" >&2
		status=1
	fi
done
{
	echo "# Benchmarks"
	echo
	echo "Written by \`make bench\` on $(date -u +%Y-%m-%dT%H:%M:%SZ), $machine."
	echo "Each row is measured in the same run as its peer; ratio = terra / peer"
	echo "(above 1 is better for rates, below 1 is better for times)."
	[ -z "$note" ] || printf '\n%s\n' "$note"
	echo
	echo "| figure | terra | peer | ratio | machine |"
	echo "| --- | --- | --- | --- | --- |"
	grep '^|' "$tmp"
} >"$out"
cat "$out"
exit $status
