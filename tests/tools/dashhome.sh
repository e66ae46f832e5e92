# Sourced by tests/metrics.t and tests/report.t after tests/setup:
# dash_home DAYS builds $TERRA_HOME with the golden home's keys (four units:
# two H100s, a Xeon, a PoCL CPU), DAYS days of hourly usage signed by each
# unit (tests/tools/mkusage.py: kernel work, weighed by time with
# --pay-kernel-time, so a week of it needs no mining), metered by
# terra-meter --every PT1H and
# settled hour by hour by terra-settle at a clock five minutes past each
# hour, plus a payment. The second H100 is sick from day 3 to day 5 (a
# probe record registered then, and a healthy one after) and does no work
# meanwhile. Usage, meter records and the unit ids stay in $tmp/dash.
dash_start=2026-11-01T00:00:00Z
# Under valgrind (TERRA_WRAP) the fixture is built by the native commands
# (hundreds of runs); the commands the tests then check run under valgrind.
dash_home() {
	_dash_path=$PATH
	PATH=$bin:$PATH
	dash_home_build "$@"
	PATH=$_dash_path
}
dash_home_build() {
	_days=$1
	_d=$tmp/dash
	mkdir -p "$_d" "$TERRA_HOME/units"
	cp "$top/tests/fixtures/golden-home/owner.key" "$top/tests/fixtures/golden-home/owner.pub" \
		"$TERRA_HOME/"
	cp "$top/tests/fixtures/golden-home/units/"*.key "$TERRA_HOME/units/"
	chmod 700 "$TERRA_HOME" "$TERRA_HOME/units"
	chmod 600 "$TERRA_HOME/owner.key" "$TERRA_HOME/units/"*.key
	TERRA_NOW=$dash_start terra-register init 2>/dev/null
	TERRA_NOW=$dash_start terra-register "$fixtures/devices/node.ndjson" >/dev/null 2>&1
	TERRA_NOW=$dash_start terra-probe --replay "$fixtures/probe/pocl.ndjson" 2>/dev/null |
		TERRA_NOW=$dash_start terra-register >/dev/null 2>&1
	terra-register list -o json >"$_d/units.ndjson" 2>/dev/null
	_unit() { jq -r "select($1) | .unit" "$_d/units.ndjson"; }
	gpu1=$(_unit '.device.pci_bus_id == "0000:65:00.0"')
	gpu2=$(_unit '.device.pci_bus_id == "0000:ca:00.0"')
	xeon=$(_unit '.device.host == "gpu-node-07" and .device.kind == "cpu"')
	pocl=$(_unit '.device.host == "vm"')
	# The sick period: gpu2's probe at day 3, 06:00, and the healthy one at day 5.
	jq -c 'select(.pci_bus_id == "0000:ca:00.0")' "$fixtures/devices/node.ndjson" >"$_d/gpu2.json"
	jq -c '.health = {"status":"sick","checks":[{"name":"memory-pattern","status":"fail",
		"detail":"12 words wrong"}]}' "$_d/gpu2.json" >"$_d/gpu2-sick.json"
	# Hourly usage: work varies with the hour so the charts have a shape.
	: >"$_d/usage.ndjson"
	for _u in "$gpu1" "$gpu2" "$xeon" "$pocl"; do
		$py - "$_days" "$_u" "$gpu2" "$dash_start" <<'PY' |
import datetime, json, sys
days, unit, sick, start = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
t0 = datetime.datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ")
scale = {0: 9000, 1: 7000, 2: 500, 3: 100}
for h in range(days * 24):
    if unit == sick and 2 * 24 + 6 <= h < 4 * 24 + 6:
        continue
    s = t0 + datetime.timedelta(hours=h)
    e = s + datetime.timedelta(hours=1)
    busy = 1800 + (h * 37 + len(unit)) % 1800
    print(json.dumps({"seq": h + 1, "workload": "kernel", "start": s.strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "end": e.strftime("%Y-%m-%dT%H:%M:%SZ"), "busy_us": busy * 1000000,
                      "work": 1000 + (h % 24) * 50 + hash(unit) % 7}))
PY
			$py "$top/tests/tools/mkusage.py" -k "$TERRA_HOME/units/$_u.key" -u "$_u" --stdin \
				>>"$_d/usage.ndjson"
	done
	_end=$($py -c 'import datetime,sys; print((datetime.datetime.strptime(sys.argv[1],
		"%Y-%m-%dT%H:%M:%SZ") + datetime.timedelta(days=int(sys.argv[2]))).strftime(
		"%Y-%m-%dT%H:%M:%SZ"))' "$dash_start" "$_days")
	TERRA_NOW=$_end terra-meter --from "$dash_start" --to "$_end" --every PT1H --price 2.5 --pay-kernel-time \
		"$_d/usage.ndjson" >"$_d/meter.ndjson" 2>"$_d/meter.err"
	mkdir "$_d/hours"
	jq -r '.period' "$_d/meter.ndjson" | sort -u >"$_d/periods"
	while read -r _p; do
		_f=$_d/hours/${_p%%/*}
		grep -F "\"period\":\"$_p\"" "$_d/meter.ndjson" >"$_f"
		_now=$($py -c 'import sys; print(sys.argv[1][:14] + "05:00Z")' "${_p#*/}")
		case ${_p%%/*} in
		*-03T06:00:00*) TERRA_NOW=$_now terra-register "$_d/gpu2-sick.json" >/dev/null 2>&1 ;;
		*-05T06:00:00*) TERRA_NOW=$_now terra-register "$_d/gpu2.json" >/dev/null 2>&1 ;;
		esac
		TERRA_NOW=$_now terra-settle --holders "$fixtures/settle/holders.csv" "$_f" \
			>>"$_d/settle.ndjson" 2>>"$_d/settle.err"
	done <"$_d/periods"
	owner=$(cat "$TERRA_HOME/owner.pub")
	TERRA_NOW=${_end%:00:00Z}:10:00Z terra-ledger pay "$owner" 100.25 --ref dash-1 >"$_d/pay.ndjson" 2>"$_d/pay.err"
}
