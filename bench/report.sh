#!/bin/sh
# terra-ledger report on large ledgers: for each of REPORT_BENCH_DAYS (days
# of hourly settlements; "7 365" by default) for REPORT_BENCH_UNITS units
# (1000), a home made by bench/report-gen.py (unsigned entries: the page
# says the ledger does not verify and draws everything else), then the
# report's wall time and peak RSS, the page's size, and the wall time of
# headless Chromium taking a screenshot of it (it waits for the page to load
# and its charts to draw), against a blank page's in the same run, and the
# page's own time to its charts drawn and its layout done. With REPORT_BENCH_PEER set to another
# terra-ledger (an older build), the same figures of its page go in the peer
# column, in the same run on the same home. BENCH_QUICK=1: 2 days x 100
# units. Chromium runs at most REPORT_BENCH_CHROME_S seconds (600), stopped
# by its pid; without chromium its rows are left out.
# Prints rows "| figure | terra | peer | ratio | machine |".
set -eu
top=${TERRA_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${TERRA_BIN:-$top/build/rel/bin}
machine=${BENCH_MACHINE:-"$(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"}
days=${REPORT_BENCH_DAYS:-7 365}
units=${REPORT_BENCH_UNITS:-1000}
if [ "${BENCH_QUICK:-}" = 1 ]; then
	days=${REPORT_BENCH_DAYS:-2}
	units=${REPORT_BENCH_UNITS:-100}
fi
peer=${REPORT_BENCH_PEER:-}
chrome_s=${REPORT_BENCH_CHROME_S:-600}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TERRA_HOME="$tmp/home" TERRA_NOW=2026-11-21T10:00:00Z

# run NAME CMD...: wall seconds to $tmp/NAME.s, peak RSS (KiB) to $tmp/NAME.kib
run() {
	name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$tmp/$name.t" "$@"
	cut -d' ' -f1 "$tmp/$name.t" >"$tmp/$name.s"
	cut -d' ' -f2 "$tmp/$name.t" >"$tmp/$name.kib"
}

# shot NAME PAGE: chromium's wall seconds for a screenshot of PAGE, or "-"
# when it did not finish in chrome_s seconds (stopped by the pid timeout ran).
shot() {
	start=$(date +%s.%N)
	if timeout "$chrome_s" chromium --headless --no-sandbox --disable-gpu \
		--user-data-dir="$tmp/chrome-$1" --proxy-server=127.0.0.1:9 --window-size=1200,2600 \
		--screenshot="$tmp/$1.png" "file://$2" >/dev/null 2>&1 && [ -s "$tmp/$1.png" ]; then
		echo "$(date +%s.%N) $start" | awk '{ printf "%.2f\n", $1 - $2 }'
	else
		echo -
	fi
	rm -rf "$tmp/chrome-$1"
}

# drawn NAME PAGE: the page's own milliseconds from navigation to its charts
# drawn and its layout done (a script appended to a copy of PAGE forces the
# layout and puts performance.now() in the title; chromium --dump-dom), or "-".
drawn() {
	sed 's|</body></html>|<script>document.body.offsetHeight;document.title="terra-drawn "+performance.now().toFixed(0)</script></body></html>|' \
		"$2" >"$tmp/$1-mark.html"
	timeout "$chrome_s" chromium --headless --no-sandbox --disable-gpu \
		--user-data-dir="$tmp/chrome-$1" --proxy-server=127.0.0.1:9 --window-size=1200,2600 \
		--dump-dom "file://$tmp/$1-mark.html" 2>/dev/null | grep -o 'terra-drawn [0-9]*' |
		cut -d' ' -f2 | grep . || echo -
	rm -rf "$tmp/chrome-$1"
}

mib() { wc -c <"$1" | awk '{ printf "%.2f\n", $1 / 1048576 }'; }
kib2mib() { awk -v k="$1" 'BEGIN { if (k == "-") print "-"; else printf "%.0f\n", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-";
	else printf "%.3f\n", a / b }'; }
row() { printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(ratio "$2" "$3")" "$machine"; }

for d in $days; do
	echo "bench/report.sh: $d days x $units units" >&2
	rm -rf "$TERRA_HOME"
	"$bin/terra-register" init 2>/dev/null
	/usr/bin/python3 "$top/bench/report-gen.py" "$TERRA_HOME/terra.db" "$d" "$units"
	run terra "$bin/terra-ledger" report "$tmp/terra.html"
	p_s=- p_mib=- p_kib=- p_chrome=-
	if [ -n "$peer" ]; then
		run peer "$peer" report "$tmp/peer.html"
		p_s=$(cat "$tmp/peer.s") p_kib=$(cat "$tmp/peer.kib") p_mib=$(mib "$tmp/peer.html")
	fi
	what="report, $d days of hourly settlements x $units units (bench/report-gen.py)"
	[ -z "$peer" ] || what="$what, peer: $peer"
	row "$what: terra-ledger report wall s" "$(cat "$tmp/terra.s")" "$p_s"
	row "report, $d days x $units units: peak RSS MiB" "$(kib2mib "$(cat "$tmp/terra.kib")")" \
		"$(kib2mib "$p_kib")"
	row "report, $d days x $units units: page MiB" "$(mib "$tmp/terra.html")" "$p_mib"
	if command -v chromium >/dev/null 2>&1; then
		# a blank page in the same run: on a loaded machine Chromium's own
		# start is most of the time, so the pages are measured against it
		printf '<!DOCTYPE html>\n<html><body><p>blank</p></body></html>\n' >"$tmp/blank.html"
		b_chrome=$(shot blank "$tmp/blank.html")
		t_chrome=$(shot terra "$tmp/terra.html")
		[ -z "$peer" ] || p_chrome=$(shot peer "$tmp/peer.html")
		b2_chrome=$(shot blank "$tmp/blank.html")
		row "report, $d days x $units units: headless chromium --screenshot wall s (at most $chrome_s)" \
			"$t_chrome" "$p_chrome"
		row "report, $d days x $units units: the same, terra's page (vs a blank page before it)" \
			"$t_chrome" "$b_chrome"
		row "report, $d days x $units units: the same, peer's page (vs a blank page after it)" \
			"$p_chrome" "$b2_chrome"
		t_ms=$(drawn terra "$tmp/terra.html") p_ms=-
		[ -z "$peer" ] || p_ms=$(drawn peer "$tmp/peer.html")
		row "report, $d days x $units units: in-page ms to charts drawn and layout done (chromium --dump-dom, performance.now())" \
			"$t_ms" "$p_ms"
		row "report, $d days x $units units: the same, a blank page" "$(drawn blank "$tmp/blank.html")" -
		echo "bench/report.sh: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	fi
done
