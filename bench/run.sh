#!/bin/sh
# make bench: runs every bench/*.sh side by side with its peer tool and
# writes bench/RESULTS.md, one markdown table of all their rows. Each
# benchmark prints rows "| figure | terra | peer | ratio | machine |".
# The peers come from Debian packages, installed here when missing.
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
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
machine="$(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
status=0
for b in bench/*.sh; do
	[ "$b" = bench/run.sh ] && continue
	echo "bench: $b" >&2
	if ! BENCH_MACHINE="$machine" sh "$b" >>"$tmp"; then
		echo "bench: $b failed" >&2
		status=1
	fi
done
{
	echo "# Benchmarks"
	echo
	echo "Written by \`make bench\` on $(date -u +%Y-%m-%dT%H:%M:%SZ), $machine."
	echo "Each row is measured in the same run as its peer; ratio = terra / peer"
	echo "(above 1 is better for rates, below 1 is better for times)."
	echo
	echo "| figure | terra | peer | ratio | machine |"
	echo "| --- | --- | --- | --- | --- |"
	grep '^|' "$tmp"
} >"$out"
cat "$out"
exit $status
