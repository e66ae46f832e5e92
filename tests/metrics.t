#!/bin/sh
# terra-ledger metrics and terra-probe -o prometheus: every output passes
# `promtool check metrics`; the figures equal terra-ledger balance's; a
# --textfile is written whole under its .prom name; and a real
# node_exporter (textfile collector) and Prometheus server, started here on
# free loopback ports and stopped by pid at exit, serve a balance back
# through Prometheus's query API equal to terra-ledger's. Also the verified
# rate terra-register list and show give with --meter.
. "$(dirname "$0")/setup"
. "$top/tests/tools/dashhome.sh"
dash_home 2
export TERRA_NOW=2026-11-03T00:30:00Z

have() { command -v "$1" >/dev/null 2>&1; }
lint() { promtool check metrics <"$1" >"$tmp/lint" 2>&1; }
metric() { # metric FILE SERIES: the value of one series
	awk -v s="$2" '$1 == s { print $2 }' "$1"
}
bal() { terra-ledger balance "$1" | jq -r .amount; }

ok "terra-ledger metrics" sh -c 'terra-ledger metrics >"$1"' - "$tmp/m.prom"
if have promtool; then
	ok "promtool check metrics: terra-ledger metrics" lint "$tmp/m.prom"
	sed 's/^/# /' "$tmp/lint"
else
	skip "promtool check metrics: terra-ledger metrics" "promtool not installed (prometheus)"
fi
is "$(metric "$tmp/m.prom" 'terra_account_balance{account="alice"}')" "$(bal alice)" \
	"alice's balance is terra-ledger balance's, exactly"
is "$(metric "$tmp/m.prom" "terra_account_balance{account=\"$owner\"}")" "$(bal "$owner")" \
	"the owner's balance too"
is "$(metric "$tmp/m.prom" terra_payouts_total)" "$(bal paid)" "payouts total: the paid account"
is "$(metric "$tmp/m.prom" terra_settled_revenue_total)" "$(bal revenue | tr -d -)" \
	"settled revenue: what left the revenue account"
is "$(metric "$tmp/m.prom" terra_settlements_total)" 48 "48 hourly settlements"
is "$(metric "$tmp/m.prom" terra_ledger_entries)" "$(terra-ledger log | wc -l)" \
	"ledger size: the log's entries"
is "$(metric "$tmp/m.prom" terra_ledger_verified)" 1 "the ledger verified"
is "$(metric "$tmp/m.prom" terra_ledger_settled_until_timestamp_seconds)" 1793664000.000000 \
	"settled until the end of day 2, in seconds"
is "$(metric "$tmp/m.prom" "terra_unit_health{unit=\"$gpu2\",status=\"ok\"}")" 1 \
	"the second H100 is healthy again"
is "$(metric "$tmp/m.prom" "terra_unit_benchmark_flops{unit=\"$gpu1\"}")" 48120000000000 \
	"a unit's score in FLOP/s"

# terra-probe: exit 1 for the sick device as before, its metrics linted.
fails 1 "terra-probe -o prometheus: a sick device, exit 1" sh -c \
	'terra-probe --replay "$1" -o prometheus >"$2" 2>/dev/null' - \
	"$fixtures/probe/h100x4-sick.ndjson" "$tmp/p.prom"
if have promtool; then
	ok "promtool check metrics: terra-probe -o prometheus" lint "$tmp/p.prom"
	sed 's/^/# /' "$tmp/lint"
else
	skip "promtool check metrics: terra-probe" "promtool not installed (prometheus)"
fi
like "$(cat "$tmp/p.prom")" \
	'terra_device_health\{host="gpu-node-07",device="2",status="sick"\} 1' "device 2 is sick"
fails 2 "--textfile without -o prometheus: usage" sh -c \
	'terra-probe --replay "$1" --textfile "$2" 2>/dev/null' - "$fixtures/probe/pocl.ndjson" "$tmp"

# --textfile: the .prom file appears whole, no temporary file stays.
mkdir "$tmp/tf"
ok "terra-ledger metrics --textfile" terra-ledger metrics --textfile "$tmp/tf"
terra-probe --replay "$fixtures/probe/pocl.ndjson" -o prometheus --textfile "$tmp/tf" \
	>"$tmp/probe.out" 2>/dev/null || true
is "$(ls -A "$tmp/tf" | tr '\n' ' ')" "terra-ledger.prom terra-probe.prom " \
	"two .prom files and nothing else"
is "$(cat "$tmp/probe.out")" "" "terra-probe --textfile prints nothing on stdout"
ok "the textfile holds what stdout showed" cmp -s "$tmp/m.prom" "$tmp/tf/terra-ledger.prom"
if have promtool; then
	ok "promtool check metrics: terra-probe textfile" lint "$tmp/tf/terra-probe.prom"
fi
fails 1 "--textfile into a missing directory fails" sh -c \
	'terra-ledger metrics --textfile "$1" 2>"$2"' - "$tmp/nowhere" "$tmp/err"
like "$(cat "$tmp/err")" "^terra-ledger: textfile: create '.*nowhere/terra-ledger.prom': No such file" \
	"saying which file and why"

# The example alert rules parse.
if have promtool; then
	ok "promtool check rules examples/prometheus/terra.rules.yml" sh -c \
		'promtool check rules "$1" >"$2" 2>&1' - "$top/examples/prometheus/terra.rules.yml" "$tmp/lint"
	sed 's/^/# /' "$tmp/lint"
	ok "promtool check config examples/prometheus/prometheus.yml" sh -c \
		'cd "$1" && promtool check config prometheus.yml >"$2" 2>&1' - "$top/examples/prometheus" \
		"$tmp/lint"
	sed 's/^/# /' "$tmp/lint"
fi

# node_exporter and Prometheus, each on a free loopback port.
pids=
stop_daemons() {
	for _p in $pids; do kill "$_p" 2>/dev/null || true; done
	for _p in $pids; do wait "$_p" 2>/dev/null || true; done
	pids=
}
trap 'stop_daemons; rm -rf "$tmp"' EXIT
free_port() {
	$py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
http_get() { # http_get URL: the body, or exit 1
	$py - "$1" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
        sys.stdout.write(r.read().decode())
except Exception as e:
    sys.exit(1)
PY
}
wait_for() { # wait_for TRIES URL PATTERN: polls once a second
	_i=0
	while [ "$_i" -lt "$1" ]; do
		if http_get "$2" 2>/dev/null | grep -q -- "$3"; then return 0; fi
		_i=$((_i + 1))
		sleep 1
	done
	return 1
}
query() { # query PROMQL: the first result's value
	$py - "$prom_url" "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
url = sys.argv[1] + "/api/v1/query?" + urllib.parse.urlencode({"query": sys.argv[2]})
with urllib.request.urlopen(url, timeout=5) as r:
    res = json.load(r)["data"]["result"]
print(res[0]["value"][1] if res else "")
PY
}
if ! have prometheus || ! have prometheus-node-exporter; then
	skip "a value read back through Prometheus" "prometheus or prometheus-node-exporter not installed"
	done_testing
	exit
fi
ne_port=$(free_port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$ne_port" --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$tmp/tf" >"$tmp/ne.log" 2>&1 &
pids="$pids $!"
prom_port=$(free_port)
prom_url=http://127.0.0.1:$prom_port
cat >"$tmp/prometheus.yml" <<EOF2
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: terra
    static_configs:
      - targets: ['127.0.0.1:$ne_port']
EOF2
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
	--web.listen-address="127.0.0.1:$prom_port" >"$tmp/prom.log" 2>&1 &
pids="$pids $!"
if ! wait_for 60 "http://127.0.0.1:$ne_port/metrics" terra_account_balance; then
	sed 's/^/# /' "$tmp/ne.log" | tail -n 20
	skip "a value read back through Prometheus" "node_exporter did not serve the textfile (log above)"
elif ! wait_for 60 "$prom_url/-/ready" .; then
	sed 's/^/# /' "$tmp/prom.log" | tail -n 20
	skip "a value read back through Prometheus" "prometheus did not start (log above)"
else
	q='terra_account_balance{account="alice"}'
	_i=0
	while [ -z "$(query "$q")" ] && [ "$_i" -lt 60 ]; do
		_i=$((_i + 1))
		sleep 1
	done
	got=$(query "$q")
	ok "Prometheus serves alice's balance ($got)" test -n "$got"
	ok "equal to terra-ledger balance alice ($(bal alice))" $py -c \
		'import sys; sys.exit(float(sys.argv[1]) != float(sys.argv[2]))' "${got:-nan}" "$(bal alice)"
	is "$(query terra_settlements_total)" 48 "and the settlements"
	is "$(query 'count(terra_unit_health{status="ok"} == 1)')" 4 "four healthy units"
fi
stop_daemons

# Each unit's verified rate beside its score (terra-register list and show
# --meter): the weight of its newest 24 meter records over their busy time,
# recomputed here from the records. Kernel work weighed by time
# (--pay-kernel-time) weighs the score times the busy time, so the rate is
# the score; usage whose evidence proved less would show less.
meter=$tmp/dash/meter.ndjson
ok "terra-register list --meter" sh -c 'terra-register list -o csv --meter "$1" >"$2"' - "$meter" "$tmp/rate.csv"
want=$($py - "$meter" <<'PY'
import json, sys
per = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    per.setdefault(r["unit"], []).append((r["start"], r["busy_us"], r["weight"]))
for u in sorted(per):
    recs = sorted(per[u], reverse=True)[:24]
    print(u, sum(w for _, _, w in recs) // sum(b for _, b, _ in recs), len(recs))
PY
)
got=$($py -c 'import csv, sys
for r in sorted(csv.DictReader(open(sys.argv[1])), key=lambda r: r["unit"]):
    print(r["unit"], r["verified_mflops"], r["verified_records"])' "$tmp/rate.csv")
is "$got" "$want" "each unit's verified MFLOPS over its newest 24 meter records, as recomputed"
is "$($py -c 'import csv, sys
print(all(r["verified_mflops"] == r["score"] for r in csv.DictReader(open(sys.argv[1]))))' "$tmp/rate.csv")" True \
	"... beside its score: kernel time weighed by the score, the same figure"
like "$(COLUMNS=200 terra-register -o table --meter "$meter" show "$gpu1")" "SCORE +VERIFIED_MFLOPS +VERIFIED_RECORDS" \
	"show --meter: the verified rate beside the score"
like "$(terra-register -o table show "$gpu1")" "^[^v]*$" "... and without --meter, no rate columns"
# A unit that claims 100 GFLOPS and does half an hour of kernel work that
# no evidence proves (weighed by nothing without --pay-kernel-time): its
# verified rate, 0, stands beside its claim.
C=$tmp/claim
TERRA_HOME=$C terra-register init 2>/dev/null
jq -c '.bench.sgemm_mflops = 100000' "$fixtures/devices/pocl-cpu.ndjson" >"$tmp/claim-dev.ndjson"
cu=$(TERRA_HOME=$C TERRA_NOW=2026-11-01T00:00:00Z terra-register "$tmp/claim-dev.ndjson" 2>/dev/null | jq -r .unit)
echo '{"seq":1,"workload":"kernel","start":"2026-11-01T00:00:00Z","end":"2026-11-01T01:00:00Z","busy_us":1800000000,"work":1000}' |
	$py "$top/tests/tools/mkusage.py" -k "$C/units/$cu.key" -u "$cu" --stdin >"$tmp/claim-usage.ndjson"
TERRA_HOME=$C TERRA_NOW=2026-11-01T01:05:00Z terra-meter --from 2026-11-01T00:00:00Z \
	--to 2026-11-01T01:00:00Z --every PT1H "$tmp/claim-usage.ndjson" >"$tmp/claim-meter.ndjson" 2>/dev/null
TERRA_HOME=$C TERRA_NOW=2026-11-01T01:05:00Z terra-settle --revenue 10 \
	--holders "$fixtures/settle/holders.csv" "$tmp/claim-meter.ndjson" >/dev/null 2>&1
is "$(TERRA_HOME=$C terra-register list -o csv --meter "$tmp/claim-meter.ndjson" | $py -c 'import csv, sys
for r in csv.DictReader(sys.stdin):
    print(r["score"], r["verified_mflops"], r["verified_records"])')" "100000 0 1" \
	"a unit claiming 100000 MFLOPS whose half hour of work no evidence proves: verified 0 beside its score"
sed -n 1p "$meter" | jq -c '.busy_us += 1' >"$tmp/bad-rate.ndjson"
fails 1 "a meter record not this ledger's (its busy time raised): exit 1" \
	sh -c 'terra-register list --meter "$1" >/dev/null 2>"$2"' - "$tmp/bad-rate.ndjson" "$tmp/rate.err"
like "$(cat "$tmp/rate.err")" "bad-rate.ndjson:1: meter record: not signed by this home's owner" "... naming file and line"
ok "terra-ledger metrics --meter" sh -c 'terra-ledger metrics --no-verify --meter "$1" >"$2"' - "$meter" "$tmp/rate.prom"
if have promtool; then
	ok "promtool check metrics: terra-ledger metrics --meter" lint "$tmp/rate.prom"
else
	skip "promtool check metrics: terra-ledger metrics --meter" "promtool not installed (prometheus)"
fi
is "$(metric "$tmp/rate.prom" "terra_unit_verified_flops{unit=\"$gpu1\"}")" \
	"$(awk -F, -v u="$gpu1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "verified_mflops") c = i } $1 == u { print $c "000000" }' "$tmp/rate.csv")" \
	"terra_unit_verified_flops: list's verified_mflops in FLOP/s"
is "$(metric "$tmp/m.prom" "terra_unit_verified_flops{unit=\"$gpu1\"}")" "" "... absent without --meter"
fails 2 "--meter is for list and show only" sh -c 'terra-register --meter "$1" history 2>/dev/null' - "$meter"

# A tampered ledger: the metrics say it did not verify (the alert's signal).
sqlite3 "$TERRA_HOME/terra.db" "DROP TRIGGER entries_no_update;
	UPDATE entries SET created_at = '2020-01-01T00:00:00.000000Z' WHERE seq = 3"
terra-ledger metrics >"$tmp/t.prom"
is "$(metric "$tmp/t.prom" terra_ledger_verified)" 0 "a tampered ledger: terra_ledger_verified 0"

# A settlement row whose payload is not a record: the metrics stop, naming
# the entry (terra-ledger verify finds the rest), and write no textfile.
s=$(sqlite3 "$TERRA_HOME/terra.db" "SELECT max(seq) FROM entries WHERE kind = 'settlement'")
sqlite3 "$TERRA_HOME/terra.db" "UPDATE entries SET payload = 'garbage' WHERE seq = $s"
mkdir "$tmp/notjson"
fails 3 "a settlement payload that is not JSON: metrics fail as a verification" sh -c \
	'terra-ledger metrics --textfile "$1" 2>"$2"' - "$tmp/notjson" "$tmp/notjson.err"
is "$(errs "$tmp/notjson.err")" \
	"terra-ledger: entry $s: payload is not a JSON object; run 'terra-ledger verify'" \
	"... naming the entry"
is "$(ls -A "$tmp/notjson")" "" "... and no textfile"
done_testing
