#!/bin/sh
# A probe while a unit works: a real terra-run holds the PoCL unit's lock,
# and terra-probe reports the unit "busy" (who holds it) instead of
# measuring it, so no benchmark competes with the work and no false
# "degraded" is registered. The observation is kept in the health history
# and shown by terra-register, terra-ledger status and metrics; it never
# hides a "sick" verdict from terra-run; a recording keeps the mark. Once
# the run ends, the probe measures the unit again.
. "$(dirname "$0")/setup"
unset TERRA_NOW # a live run: its records carry the real clock
run_pid=
stop_run() {
	if [ -n "$run_pid" ]; then
		kill "$run_pid" 2>/dev/null || true
		wait "$run_pid" 2>/dev/null || true
	fi
	run_pid=
}
trap 'stop_run; rm -rf "$tmp"' EXIT
quiet() { "$@" 2>/dev/null; }
device() { jq -c 'select(.type == "device")' "$1"; }

home_init
terra-probe --bench none --mem-test 0 2>/dev/null >"$tmp/first.ndjson" || true
quiet terra-register "$tmp/first.ndjson" >"$tmp/unit.ndjson"
unit=$(jq -r 'select(.type == "unit") | .unit' "$tmp/unit.ndjson")
ok "the PoCL device is a unit" test -n "$unit"
lock=$TERRA_HOME/units/$unit.lock

# The run: sha256d for ten minutes at most (stopped by the trap, by pid).
terra-run -u "$unit" -w sha256d -t 600 >"$tmp/usage.ndjson" 2>"$tmp/run.err" &
run_pid=$!
# Wait for the run to hold the lock: it writes "PID terra-run" there.
i=0
while [ "$(cat "$lock" 2>/dev/null)" != "$run_pid terra-run" ] && [ $i -lt 600 ] &&
	kill -0 "$run_pid" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
is "$(cat "$lock" 2>/dev/null)" "$run_pid terra-run" "terra-run holds the unit's lock"

fails 0 "terra-probe exits 0 on a busy unit" \
	sh -c 'terra-probe --quick --record "$1" >"$2" 2>"$3"' - "$tmp/busy.rec" \
	"$tmp/busy.ndjson" "$tmp/busy.err"
is "$(device "$tmp/busy.ndjson" | jq -r .health.status)" busy "its health: busy"
like "$(device "$tmp/busy.ndjson" | jq -r '.health.checks[] | select(.name == "busy") | .detail')" \
	"^unit '$unit' is in use by terra-run \\(pid $run_pid, lock '.*$unit\\.lock'\\)$" \
	"the record names the run that holds it"
is "$(device "$tmp/busy.ndjson" | jq -c '[has("bench"), (.health.checks | length)]')" \
	"[false,1]" "not measured: no bench, no check but busy"
is "$(cat "$tmp/busy.err")" "" "nothing on stderr: busy is not a fault"
ok "the run still holds the lock" kill -0 "$run_pid"
is "$(cat "$lock")" "$run_pid terra-run" "... untouched by the probe"

# Kept and shown.
quiet terra-register "$tmp/busy.ndjson" >/dev/null
is "$(terra-register health "$unit" | jq -r .status | tr '\n' ' ')" "ok busy " \
	"the health history keeps the busy observation"
like "$(terra-register health "$unit" | jq -r 'select(.status == "busy") | .reason')" \
	"in use by terra-run \\(pid $run_pid" "... with who held the unit"
like "$(COLUMNS=200 terra-register -o table list)" "^$unit +active +busy " "list shows busy"
like "$(terra-register -o csv show "$unit")" ",busy,20[0-9-]*T" "show too"
terra-ledger status --no-verify >"$tmp/st.ndjson"
is "$(jq -r 'select(.type == "unit-status") | [.health, .running] | join(" ")' "$tmp/st.ndjson")" \
	"busy terra-run (pid $run_pid)" "status: health busy, running the run"
is "$(jq -r 'select(.type == "status") | .running' "$tmp/st.ndjson")" 1 "status: one unit running"
terra-ledger metrics --no-verify >"$tmp/m.prom"
metric() { grep -F "$1 " "$tmp/m.prom" | awk '{ print $2 }'; }
is "$(metric "terra_unit_health{unit=\"$unit\",status=\"busy\"}")" 1 "metrics: health busy"
is "$(metric "terra_unit_health{unit=\"$unit\",status=\"degraded\"}")" 0 "... not degraded"
is "$(metric "terra_unit_in_use{unit=\"$unit\"}")" 1 "metrics: in use"
terra-probe -o prometheus --replay "$tmp/busy.rec" >"$tmp/d.prom" 2>/dev/null
like "$(grep '^terra_device_health{.*status="busy"}' "$tmp/d.prom")" ' 1$' \
	"terra-probe -o prometheus: the device busy"
if command -v promtool >/dev/null 2>&1; then
	ok "promtool check metrics passes" sh -c 'promtool check metrics <"$1" >/dev/null 2>&1 &&
		promtool check metrics <"$2" >/dev/null 2>&1' - "$tmp/m.prom" "$tmp/d.prom"
else
	skip "promtool check metrics passes" "promtool not installed (prometheus)"
fi
terra-ledger report "$tmp/r.html" 2>/dev/null
like "$($py "$top/tests/tools/domtables.py" "$tmp/r.html" | jq -r 'select(.table == "health") |
	.row | join(" ")' | tail -n 1)" "^$unit .* busy unit '$unit' is in use by terra-run" "the report's health table"

# The recording keeps the mark: a replay says busy again, judged the same.
is "$(terra-probe --replay "$tmp/busy.rec" 2>/dev/null | jq -r 'select(.type == "device") |
	.health.status')" busy "a replay of the recording: busy"
jq -c 'if .type == "probe-device" then .busy = 7 else . end' "$tmp/busy.rec" >"$tmp/bad.rec"
fails 1 "a recording whose busy is not a string is refused" \
	sh -c 'terra-probe --replay "$1" >/dev/null 2>"$2"' - "$tmp/bad.rec" "$tmp/bad.err"
like "$(cat "$tmp/bad.err")" "bad\\.rec:[0-9]+: .*busy" "naming the file, line and field"
stop_run

# Busy never hides sick: a sick probe, then the busy record registered
# again; terra-run still refuses the unit, naming the sick check.
POCL_EXTRA_BUILD_FLAGS=-cl-std=CL9.9 terra-probe --bench none --mem-test 0 \
	>"$tmp/sick.ndjson" 2>/dev/null || true
is "$(device "$tmp/sick.ndjson" | jq -r .health.status)" sick "a sick probe (no kernel builds)"
quiet terra-register "$tmp/sick.ndjson" >/dev/null
quiet terra-register "$tmp/busy.ndjson" >/dev/null
is "$(terra-register health "$unit" | jq -r .status | tr '\n' ' ')" "ok busy sick busy " \
	"the history: ok, busy, sick, busy"
fails 1 "terra-run refuses the unit: busy is no verdict" \
	sh -c 'terra-run -u "$1" -w sha256d --work 1000 >/dev/null 2>"$2"' - "$unit" "$tmp/s.err"
like "$(cat "$tmp/s.err")" "unit '$unit' is sick \\(known-answer fail" "... it is still sick"

# Free again: the probe measures the unit (and takes its lock meanwhile).
fails 0 "after the run, terra-probe measures the unit" \
	sh -c 'terra-probe --quick >"$1" 2>/dev/null' - "$tmp/after.ndjson"
is "$(device "$tmp/after.ndjson" | jq -c '[.health.status, has("bench")]')" '["ok",true]' \
	"healthy and benchmarked"
is "$(terra-ledger status --no-verify | jq -r 'select(.type == "unit-status") | .running')" "" \
	"status: nothing running"
done_testing
