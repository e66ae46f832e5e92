#!/bin/sh
# terra-ledger report: a week of hourly settlements for four units,
# one sick for two days (tests/tools/dashhome.sh), written as one HTML
# page and opened in headless Chromium from a file URL with the network
# off (every request to a dead proxy). The page names no outside
# resource, its charts draw, no console error shows, and the figures read
# back from the DOM equal terra-ledger balance's, log's and the meter
# records' (usage per unit: busy hours, utilization, verified work and
# rate, read with --meter, whose bad lines are refused by file and line),
# and the ledger's state includes a kept checkpoint note cosigned by a
# witness (--since). The screenshot is kept as build/report/report.png.
. "$(dirname "$0")/setup"
. "$top/tests/tools/dashhome.sh"
# A week: it holds the sick days and a day-per-row range. Three weeks cost
# the sanitized run 500 settlements and chromium pages three times as long
# (CI's slowest test there, ~3 min), and checked nothing more.
days=7
dash_home "$days"
export TERRA_NOW=2026-11-22T01:00:00Z
page=$tmp/report.html
art=${TERRA_BUILD:-$top/build/rel}/report
mkdir -p "$art"

# A checkpoint kept at size 40, cosigned by a witness that trusts the log.
w=$tmp/witness
native terra-ledger witness "$w" init witness.example/w1 2>/dev/null
native terra-ledger witness "$w" trust "$(native terra-ledger vkey)" 2>/dev/null
{ printf 'old 0\n\n'; native terra-ledger checkpoint --size 40; } >"$tmp/req"
native terra-ledger checkpoint --size 40 >"$tmp/kept.note"
native terra-ledger witness "$w" add-checkpoint "$tmp/req" >>"$tmp/kept.note" 2>/dev/null
wkey=$(native terra-ledger witness "$w" vkey)
meter=$tmp/dash/meter.ndjson
ok "terra-ledger report writes the page" terra-ledger report --meter "$meter" \
	--since "$tmp/kept.note" --witness "$wkey" "$page"
is "$(grep -c '<script src\|<link \|<img \|@import\|url(' "$page" || true)" 0 \
	"nothing loaded from elsewhere: no src, link, img, import or url()"
# Chart.js's licence comment names its home page: the rest names no URL.
js=/usr/share/javascript/chart.js/chart.min.js
is "$($py -c 'import re, sys
page = open(sys.argv[1]).read().replace(open(sys.argv[2]).read(), "")
print(len(re.findall(r"https?://", page)))' "$page" "$js")" 0 "no http(s) URL outside the inlined Chart.js"
# A kept note the named witness never cosigned: refused, no page written.
w2=$tmp/witness2
terra-ledger witness "$w2" init witness.example/w2 2>/dev/null
fails 3 "--since --quorum 1, a witness that did not cosign: refused (exit 3, as verify)" sh -c \
	'terra-ledger report --since "$1" --witness "$2" --quorum 1 "$3" 2>"$4"' - "$tmp/kept.note" \
	"$(terra-ledger witness "$w2" vkey)" "$tmp/w2.html" "$tmp/w2.err"
like "$(cat "$tmp/w2.err")" "^terra-ledger: .*kept\\.note" "... naming the note"
ok "... and no page written" test ! -e "$tmp/w2.html"
fails 2 "report with two files: usage" sh -c 'terra-ledger report a b 2>/dev/null'
fails 2 "--meter is for report only" sh -c 'terra-ledger --meter "$1" status 2>/dev/null' - "$meter"

# Meter records that are not this ledger's: a line whose busy time was
# raised (its signature no longer holds), a record signed by this owner for
# an hour never settled, and one read twice; each refused by file and line,
# the rest used, exit 1.
n_meter=$(wc -l <"$meter")
{
	sed -n 1,5p "$meter"
	sed -n 6p "$meter" | jq -c '.busy_us += 1000000'
	sed -n 5p "$meter"
	sed -n 7p "$meter" | jq -c 'del(.sig, .signer) | .period =
		"2027-01-01T00:00:00.000000Z/2027-01-01T01:00:00.000000Z"' |
		$py "$top/tests/tools/signmeter.py" "$TERRA_HOME/owner.key"
	sed -n "8,${n_meter}p" "$meter"
} >"$tmp/bad-meter.ndjson"
fails 1 "bad meter lines: exit 1" sh -c 'terra-ledger report --meter "$1" "$2" 2>"$3"' - \
	"$tmp/bad-meter.ndjson" "$tmp/bad.html" "$tmp/bad.err"
like "$(sed -n 1p "$tmp/bad.err")" \
	"^terra-ledger: report: .*bad-meter\\.ndjson:6: meter record: not signed by this home's owner: " \
	"a changed line: not signed by this home's owner"
like "$(sed -n 2p "$tmp/bad.err")" \
	"bad-meter\\.ndjson:7: meter record: a second record of unit '[0-9a-f]{32}' for 2026-" \
	"a repeated record: counted once"
like "$(sed -n 3p "$tmp/bad.err")" \
	"bad-meter\\.ndjson:8: meter record: unit '[0-9a-f]{32}' has no settled input for 2027-01-01T00" \
	"a record of an hour this ledger never settled"
is "$($py "$top/tests/tools/domtables.py" "$tmp/bad.html" | jq -c 'select(.table == "usage")' |
	wc -l)" $((n_meter - 2)) "the other records are used (line 6 changed, line 7 replaced)"
fails 1 "an unwritable file: exit 1" sh -c 'terra-ledger report /nonexistent/r.html 2>"$1"' - \
	"$tmp/err"
like "$(cat "$tmp/err")" "^terra-ledger: report: open '/nonexistent/r.html': No such file" \
	"saying why"
terra-ledger report -p 2026-11-03T00:00:00Z/P1D "$tmp/day.html"
is "$($py "$top/tests/tools/domtables.py" "$tmp/day.html" | jq -r 'select(.table == "revenue")
	| .row[0]' | wc -l)" 24 "-p one day: its 24 hours"
# Past 744 hours (31 days) in the range, a row per day: each the sum of its hours.
terra-ledger report -p 2026-11-01T00:00:00Z/P40D "$tmp/days.html"
$py "$top/tests/tools/domtables.py" "$tmp/days.html" >"$tmp/days.ndjson"
is "$(jq -r 'select(.table == "revenue") | .row[0]' "$tmp/days.ndjson" | wc -l)" "$days" \
	"a 40-day range: a row per day, $days settled days"
is "$(jq -r 'select(.table == "revenue") | .row[0:2] | join(" ")' "$tmp/days.ndjson" | sed -n 3p)" \
	"2026-11-03 $(native terra-ledger log --kind settlement | jq -r 'select(.payload.period |
		startswith("2026-11-03")) | .payload.revenue' | $py -c 'import sys
from decimal import Decimal
print("%.9f" % sum(Decimal(l) for l in sys.stdin.read().split()))')" \
	"a day's revenue: the sum of its hours' settlements"
# Past 10 units (terra-ledger(1)): per period the 10 that earned the most
# over the range, the rest summed as "other units"; every unit's totals in
# one table. A home of 13 units and two days (bench/report-gen.py), its
# figures checked against terra-ledger earnings.
is "$(grep -c 'id="top-units"' "$page" || true)" 0 "four units: no unit summed as other units"
big=$tmp/big
sum() { $py -c 'import sys
from decimal import Decimal
print("%.9f" % sum(Decimal(l) for l in sys.stdin.read().split()))'; }
home_init -H "$big"
$py "$top/bench/report-gen.py" "$big/terra.db" 2 13
native terra-ledger -H "$big" earnings >"$tmp/big-earnings.ndjson"
ok "13 units: terra-ledger report writes the page" sh -c 'TERRA_HOME="$1" terra-ledger report "$2"' \
	- "$big" "$tmp/big.html"
$py "$top/tests/tools/domtables.py" "$tmp/big.html" >"$tmp/big.ndjson"
# The 10 most earned over the range, and per hour the other three summed.
$py -c 'import json, sys
from decimal import Decimal
recs = [json.loads(l) for l in open(sys.argv[1])]
tot = {}
for r in recs:
    tot[r["unit"]] = tot.get(r["unit"], 0) + Decimal(r["amount"])
top = sorted(tot, key=lambda u: (-tot[u], u))[:10]
with open(sys.argv[2], "w") as f:
    print("\n".join(sorted(top)), file=f)
per = {}
for r in recs:
    if r["unit"] not in top:
        k = r["period"][:13] + ":00"
        w, a = per.get(k, (0, Decimal(0)))
        per[k] = (w + r["weight"], a + Decimal(r["amount"]))
for k in sorted(per):
    print(k, per[k][0], "%.9f" % per[k][1])' "$tmp/big-earnings.ndjson" "$tmp/big-top" >"$tmp/big-other"
is "$(jq -r 'select(.table == "units" and .row[1] != "other units") | .row[1]' "$tmp/big.ndjson" |
	sort -u)" "$(cat "$tmp/big-top")" "per hour: the 10 units that earned the most over the range"
is "$(jq -r 'select(.table == "units" and .row[1] == "other units") | .row[0:1] + .row[2:4] |
	join(" ")' "$tmp/big.ndjson" | sort)" "$(cat "$tmp/big-other")" \
	"... and other units: the work and earnings of the other 3 each hour ($(wc -l <"$tmp/big-other") hours)"
like "$(grep -o '<p class="note" id="top-units">[^<]*' "$tmp/big.html")" \
	'13 units: .* show the 10 that earned the most .* the other 3 as one row' "... said on the page"
is "$(jq -r 'select(.table == "unit-totals") | .row[0:3] | join(" ")' "$tmp/big.ndjson" | sort)" \
	"$(jq -s -r 'group_by(.unit)[] | [.[0].unit, (map(.weight) | add | tostring)] | join(" ")' \
		"$tmp/big-earnings.ndjson" | while read -r u w; do
		printf '%s %s %s\n' "$u" "$w" "$(jq -r 'select(.unit == "'"$u"'") | .amount' \
			"$tmp/big-earnings.ndjson" | sum)"
	done | sort)" "every unit's work and earnings over the range: terra-ledger earnings' (13 rows)"

# Past TERRA_REPORT_ROWS rows in the owners', units' or usage table
# (2500 by default), a row per day, then per week (terra-ledger(1)): the
# 13 units' two days hold 48 x 11 rows per hour; at 100, a row per day,
# each the sum of its hours' earnings per unit (the other 3 summed); at
# 20, one row per week.
ok "TERRA_REPORT_ROWS=100: the page" sh -c 'TERRA_HOME="$1" TERRA_REPORT_ROWS=100 terra-ledger report "$2"' \
	- "$big" "$tmp/bigd.html"
like "$(grep -o '[0-9]* periods, one row per [a-z (UTC)]*' "$tmp/bigd.html")" '^2 periods, one row per day \(UTC\)$' \
	"... says one row per day, 2 days"
$py -c 'import json, sys
from decimal import Decimal
top = set(open(sys.argv[2]).read().split())
per = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    k = (r["period"][:10], r["unit"] if r["unit"] in top else "other units")
    w, a = per.get(k, (0, Decimal(0)))
    per[k] = (w + r["weight"], a + Decimal(r["amount"]))
for k in sorted(per):
    print(k[0], k[1], per[k][0], "%.9f" % per[k][1])' "$tmp/big-earnings.ndjson" "$tmp/big-top" >"$tmp/big-days"
is "$($py "$top/tests/tools/domtables.py" "$tmp/bigd.html" | jq -r 'select(.table == "units") |
	.row | join(" ")' | sort)" "$(cat "$tmp/big-days")" \
	"... each unit's work and earnings per day: terra-ledger earnings' summed ($(wc -l <"$tmp/big-days") rows)"
ok "TERRA_REPORT_ROWS=20: the page" sh -c 'TERRA_HOME="$1" TERRA_REPORT_ROWS=20 terra-ledger report "$2"' \
	- "$big" "$tmp/bigw.html"
is "$($py "$top/tests/tools/domtables.py" "$tmp/bigw.html" | jq -r 'select(.table == "units") |
	.row[0]' | sort | uniq -c | awk '{ print $1, $2, $3, $4 }')" "11 week of 2024-12-30" \
	"... a row per week (from Monday): 2025-01-01 and 02 in one, 10 units and other units"
is "$($py "$top/tests/tools/domtables.py" "$tmp/bigw.html" | jq -r 'select(.table == "revenue") |
	.row[1]')" "$(native terra-ledger -H "$big" log --kind settlement | jq -r .payload.revenue | sum)" \
	"... its revenue: the sum of its 48 settlements'"
fails 1 "TERRA_REPORT_ROWS=0: refused" sh -c \
	'TERRA_HOME="$1" TERRA_REPORT_ROWS=0 terra-ledger report "$2" 2>"$3"' - "$big" "$tmp/bad0.html" "$tmp/err"
like "$(cat "$tmp/err")" "TERRA_REPORT_ROWS '0' is not a count above 0" "... saying why"

# With their meter records, usage per hour: the other units' row sums
# their busy time and verified work; its utilization is their busy time
# over three times the hour.
jq -c '{type: "meter", v: 1, period, unit, weight, busy_us: (600000000 +
	(.weight % 1000) * 1000000), work: (.weight % 100000 + 5)}' "$tmp/big-earnings.ndjson" |
	$py "$top/tests/tools/signmeter.py" "$big/owner.key" >"$tmp/big-meter.ndjson"
ok "13 units with meter records: the page" sh -c \
	'TERRA_HOME="$1" terra-ledger report --meter "$2" "$3"' - "$big" "$tmp/big-meter.ndjson" \
	"$tmp/bigm.html"
is "$($py "$top/tests/tools/domtables.py" "$tmp/bigm.html" | jq -r 'select(.table == "usage" and
	.row[1] == "other units") | .row[0:1] + .row[2:5] | join(" ")' | sort)" \
	"$($py -c 'import json, sys
top = set(open(sys.argv[2]).read().split())
per = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["unit"] not in top:
        k = r["period"][:13] + ":00"
        b, n, w = per.get(k, (0, 0, 0))
        per[k] = (b + r["busy_us"], n + 1, w + r["work"])
for k in sorted(per):
    b, n, w = per[k]
    ppm = b * 1000000 // (3600000000 * n)
    print(k, "%d.%06d" % (b // 3600 // 1000000, b // 3600 % 1000000),
          "%d.%04d" % (ppm // 10000, ppm % 10000), w)' "$tmp/big-meter.ndjson" "$tmp/big-top")" \
	"... usage: the other units' busy hours, utilization and work, the meter records' ($(
	jq -r 'select(.unit) | .unit' "$tmp/big-meter.ndjson" | sort -u | wc -l) units)"
if ! command -v chromium >/dev/null 2>&1; then
	skip "the page in headless Chromium" "chromium not installed"
	done_testing
	exit
fi
# Under valgrind the pages above were written under memcheck; Chromium is not
# this project's code, and reading the figures back from its DOM is what the
# plain and sanitized runs do (it cost CI's valgrind stage a minute).
if [ -n "${TERRA_VALGRIND:-}" ]; then
	skip "the page in headless Chromium" "under valgrind (the sanitized run opens it)"
	done_testing
	exit
fi
# A private profile; --proxy-server to a closed port: any request would fail.
chrome() {
	chromium --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/chrome" \
		--proxy-server=127.0.0.1:9 --enable-logging=stderr --v=0 --window-size=1200,2600 "$@"
}
chrome --dump-dom "file://$page" >"$tmp/dom.html" 2>"$tmp/chrome.err" || true
chrome --screenshot="$art/report.png" "file://$page" >/dev/null 2>>"$tmp/chrome.err" || true
ok "a screenshot taken ($art/report.png)" test -s "$art/report.png"
if ! grep -q 'id="revenue"' "$tmp/dom.html"; then
	sed 's/^/# /' "$tmp/chrome.err" | tail -n 20
	ok "chromium rendered the page (log above)" false
	done_testing
	exit
fi
like "$(grep -c 'CONSOLE' "$tmp/chrome.err" || true)" '^0$' "no console message"
grep 'CONSOLE' "$tmp/chrome.err" | sed 's/^/# /' | head -n 5
$py "$top/tests/tools/domtables.py" "$tmp/dom.html" >"$tmp/dom.ndjson"
is "$(jq -r 'select(.canvas) | .drawn' "$tmp/dom.ndjson" | sort -u)" true \
	"every chart drawn by Chart.js ($(jq -r 'select(.canvas) | .canvas' "$tmp/dom.ndjson" | wc -l) canvases)"

# Balances: exactly terra-ledger balance.
is "$(jq -r 'select(.table == "balances") | .row | join(" ")' "$tmp/dom.ndjson")" \
	"$(terra-ledger balance | jq -r '[.account, .amount] | join(" ")')" \
	"the balances table is terra-ledger balance"
# Revenue per hour: the log's settlements.
is "$(jq -r 'select(.table == "revenue") | .row[0:2] | join(" ")' "$tmp/dom.ndjson")" \
	"$(terra-ledger log --kind settlement | jq -r '[.payload.period[0:13] + ":00",
		.payload.revenue] | join(" ")')" \
	"revenue per hour is the log's settlements' ($(terra-ledger log --kind settlement | wc -l))"
is "$(jq -r 'select(.table == "revenue") | .row[2:5] | join(" ")' "$tmp/dom.ndjson" | head -n 3)" \
	"$(terra-ledger log --kind settlement | head -n 3 | jq -r '[.payload.postings[] |
		select(.role != "source")] | map(.amount) | join(" ")')" \
	"... and its split, the settlements' postings"
# Work per unit and hour: the meter records' weights.
is "$(jq -r 'select(.table == "units") | [.row[0], .row[1], .row[2]] | join(" ")' \
	"$tmp/dom.ndjson" | sort)" \
	"$(jq -r '[.start[0:13] + ":00", .unit, (.weight | tostring)] | join(" ")' \
		"$tmp/dash/meter.ndjson" | sort)" \
	"work per unit and hour is the meter records' weight"
# Earnings: the owner's sum to its balance plus what was paid.
is "$(jq -r 'select(.table == "owners") | .row[2]' "$tmp/dom.ndjson" | sum)" \
	"$(printf '%s\n%s\n' "$(terra-ledger balance "$owner" | jq -r .amount)" \
		"$(terra-ledger balance paid | jq -r .amount)" | sum)" \
	"the owner's earnings: its balance plus what was paid"
is "$(jq -r 'select(.table == "units" and .row[1] == "'"$gpu2"'") | .row[3]' "$tmp/dom.ndjson" |
	sum)" "$(terra-ledger earnings | jq -r 'select(.unit == "'"$gpu2"'") | .amount' | sum)" \
	"a unit's earnings: terra-ledger earnings'"
# Usage per unit and hour: the meter records' busy time (hours, cut to six
# decimals), utilization and work.
is "$(jq -r 'select(.table == "usage") | .row | join(" ")' "$tmp/dom.ndjson" | sort)" \
	"$(jq -r 'def pad(n): tostring | ("000000" + .)[-n:];
		(.busy_us / 3600 | floor) as $h | [.start[0:13] + ":00", .unit,
		"\($h / 1000000 | floor).\($h % 1000000 | pad(6))",
		"\(.utilization_ppm / 10000 | floor).\(.utilization_ppm % 10000 | pad(4))",
		(.work | tostring)] | join(" ")' "$meter" | sort)" \
	"usage per unit and hour: the meter records' busy hours, utilization and work"
# Each unit's verified rate: its work per busy second over the range.
for u in "$gpu1" "$pocl"; do
	is "$(jq -r 'select(.table == "bench" and .row[0] == "'"$u"'") | .row[5:7] | join(" ")' \
		"$tmp/dom.ndjson")" \
		"$(jq -s -r 'map(select(.unit == "'"$u"'")) | (map(.work) | add) as $w |
			(map(.busy_us) | add) as $b | "\($w) \($w * 1000000 / $b * 1000 | round / 1000 |
			tostring)"' "$meter" | awk '{ printf "%s %.3f\n", $1, $2 }')" \
		"unit ${u%????????????????????????}: verified work and rate, the meter records'"
done
is "$(jq -r 'select(.table == "ledger") | .row | join(" ")' "$tmp/dom.ndjson" |
	grep -E '^(kept checkpoint|witness|extends)')" "kept checkpoint 40
kept checkpoint root $(sed -n 3p "$tmp/kept.note" | base64 -d | od -An -tx1 | tr -d ' \n')
witness cosignatures 1 of 1
extends the kept checkpoint yes" "the kept note: its size, its witness, extended"
is "$(jq -r 'select(.table == "health" and .row[0] == "'"$gpu2"'") | .row[2]' \
	"$tmp/dom.ndjson" | tr '\n' ' ')" "ok sick ok " "the sick period in the health history"
is "$(jq -r 'select(.table == "ledger") | .row | join(" ")' "$tmp/dom.ndjson" | grep -E '^(entries|root|verified) ')" \
	"$(terra-ledger verify | jq -r '"entries \(.size)\nroot \(.root)"')
verified yes" "the ledger's size and root are terra-ledger verify's"
# The page of 13 units in Chromium: its charts draw, 10 units and "other units" a chart.
chrome --dump-dom "file://$tmp/big.html" >"$tmp/big-dom.html" 2>"$tmp/big-chrome.err" || true
$py "$top/tests/tools/domtables.py" "$tmp/big-dom.html" >"$tmp/big-dom.ndjson"
is "$(jq -r 'select(.canvas) | .drawn' "$tmp/big-dom.ndjson" | sort -u)" true \
	"13 units: every chart drawn ($(jq -r 'select(.canvas) | .canvas' "$tmp/big-dom.ndjson" | wc -l) canvases)"
is "$(jq -r 'select(.table == "units" and .row[1] == "other units") | .row[0:1] + .row[2:4] |
	join(" ")' "$tmp/big-dom.ndjson" | sort)" "$(cat "$tmp/big-other")" \
	"... and the other units' row in the DOM: terra-ledger earnings' sums"
like "$(grep -c 'CONSOLE' "$tmp/big-chrome.err" || true)" '^0$' "... no console message"
done_testing
