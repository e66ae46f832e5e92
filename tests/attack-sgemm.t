#!/bin/sh
# sgemm work is paid once (issue 14): a genuine sgemm run on PoCL, metered
# and settled, is credited 2 m n k FLOPs of weight; the holder of the
# unit's key, who has C, proves the same rows again under new seqs (as
# tests/tools/sgemmprove does, on the host) and is refused: "seen before"
# in the same meter run, overlapping rows too, "already paid" in a later
# period (the ledger unchanged and verifying), and "stale" once the run is
# older than the paid evidence the settlement host keeps.
. "$(dirname "$0")/setup"
prove=$TERRA_BUILD/tests/sgemmprove
P1=2026-11-21T10:00:00Z/PT1H
P2=2026-11-21T11:00:00Z/PT1H
period1='2026-11-21T10:00:00.000000Z/2026-11-21T11:00:00.000000Z'
dump() { sqlite3 "$TERRA_HOME/terra.db" .dump; }
unchanged() { # unchanged WHAT: the ledger is the one kept, and verifies
	dump >"$tmp/after"
	ok "$1: the ledger is unchanged" cmp -s "$tmp/before" "$tmp/after"
	ok "$1: the ledger verifies" verifies
}
printf 'account,balance\nalice,300\n' >"$tmp/h.csv"

# The unit, registered three weeks before the genuine run.
TERRA_NOW=2026-11-01T10:00:00Z terra-register init 2>/dev/null
TERRA_NOW=2026-11-01T10:00:00Z terra-probe --bench none --mem-test 1 >"$tmp/devices.ndjson" 2>/dev/null || true
TERRA_NOW=2026-11-01T10:00:00Z terra-register <"$tmp/devices.ndjson" >"$tmp/units.ndjson" 2>/dev/null
unit=$(jq -r 'select(.type == "unit") | .unit' "$tmp/units.ndjson" | head -n 1)
key=$TERRA_HOME/units/$unit.key
like "$unit" '^[0-9a-f]{32}$' "the PoCL device is registered as a unit"
reprove() { # reprove SEQ ROW_START ROW_END START END <record: proved again, signed by the unit's key
	"$prove" "$@" | $py "$top/tests/tools/signrec.py" "$key"
}

# ---- a genuine run: credited its flops ---------------------------------------
m=96 n=64 k=32
flops=$((2 * m * n * k))
fails 0 "a genuine sgemm run" sh -c "terra-run -w sgemm --size $m,$n,$k --seed 7 >'$tmp/g.nd' 2>/dev/null"
is "$(jq -s -c 'map(.evidence | [.row_start, .row_end]) | [.[0][0], .[-1][1]]' "$tmp/g.nd")" "[0,$m]" \
	"its records prove every row of C"
fails 0 "the genuine run meters cleanly" sh -c 'terra-meter -p "$1" "$2" >"$3" 2>"$4"' - \
	$P1 "$tmp/g.nd" "$tmp/g.m" "$tmp/err"
is "$(jq -c '[.verified.sgemm, .weight, .rates.sgemm]' "$tmp/g.m")" "[$flops,$flops,1]" \
	"the meter record credits 2 m n k = $flops FLOPs, weighing that at rate 1"
terra-meter --rate sgemm=3 -p $P1 "$tmp/g.nd" >"$tmp/g3.m" 2>/dev/null
is "$(jq -c '[.verified.sgemm, .weight, .rates.sgemm]' "$tmp/g3.m")" "[$flops,$((3 * flops)),3]" \
	"--rate sgemm=3: the weight follows the rate, recorded beside it"
id=$(jq -r '.evidence[0][0]' "$tmp/g.m")
is "$(jq -c '.evidence | map(.[2:]) ' "$tmp/g.m")" "[[0,$m]]" "the meter record names the rows it credits"

# ---- the same rows proved again under a new seq: seen before ------------------
head -n 1 "$tmp/g.nd" | jq -c '.seq = 20 | del(.sig, .signer)' |
	$py "$top/tests/tools/signrec.py" "$key" >"$tmp/naive.nd"
fails 1 "the evidence re-signed as it is under a new seq: refused" \
	sh -c 'terra-meter -p "$1" "$2" >/dev/null 2>"$3"' - $P1 "$tmp/naive.nd" "$tmp/err"
# (a new seq makes a new challenge: its hash misses the grind target, or
# picks other pieces than those opened)
like "$(errs "$tmp/err")" "naive\\.nd:1: usage record: evidence: (the challenge hash does not have|[0-9]+ pieces opened, the challenge picked|opened piece [0-9]+ is row)" \
	"the challenge binds the seq: file, line, why"
head -n 1 "$tmp/g.nd" | reprove 21 0 $m 2026-11-21T10:30:00Z 2026-11-21T10:31:00Z >"$tmp/again.nd"
fails 0 "proved again under seq 21, the copy alone meters" sh -c 'terra-meter -p "$1" "$2" >"$3" 2>/dev/null' - \
	$P1 "$tmp/again.nd" "$tmp/again.m"
is "$(jq .verified.sgemm "$tmp/again.m")" "$flops" "the copy's evidence checks on its own"
cat "$tmp/g.nd" "$tmp/again.nd" >"$tmp/both.nd"
fails 1 "the genuine run and its copy in one meter run: the copy refused" \
	sh -c 'terra-meter -p "$1" "$2" >"$3" 2>"$4"' - $P1 "$tmp/both.nd" "$tmp/both.m" "$tmp/err"
l=$(($(wc -l <"$tmp/g.nd") + 1))
like "$(errs "$tmp/err")" "both\\.nd:$l: usage record: evidence seen before: rows of the sgemm run $id in \\[0, $m\\) were counted for unit '$unit' \\(records from seq 1\\)" \
	"seen before: file, line, the rows and who had them"
is "$(jq -c '[.verified.sgemm, .weight]' "$tmp/both.m")" "[$flops,$flops]" "the rows are credited once"

# ---- overlapping rows ------------------------------------------------------------
head -n 1 "$tmp/g.nd" | reprove 30 0 48 2026-11-21T10:40:00Z 2026-11-21T10:41:00Z >"$tmp/ov.nd"
head -n 1 "$tmp/g.nd" | reprove 31 32 $m 2026-11-21T10:42:00Z 2026-11-21T10:43:00Z >>"$tmp/ov.nd"
head -n 1 "$tmp/g.nd" | reprove 32 48 $m 2026-11-21T10:44:00Z 2026-11-21T10:45:00Z >>"$tmp/ov.nd"
fails 1 "rows [32, $m) after rows [0, 48): refused" \
	sh -c 'terra-meter -p "$1" "$2" >"$3" 2>"$4"' - $P1 "$tmp/ov.nd" "$tmp/ov.m" "$tmp/err"
like "$(errs "$tmp/err")" "ov\\.nd:2: usage record: evidence seen before: rows of the sgemm run $id in \\[32, $m\\) were counted for unit '$unit' \\(records from seq 30\\)" \
	"overlapping rows: file, line, the rows and who had them"
is "$(errs "$tmp/err" | wc -l)" 1 "rows [48, $m), disjoint from [0, 48), are not refused"
is "$(jq .verified.sgemm "$tmp/ov.m")" "$flops" "[0, 48) and [48, $m): each row credited once, $flops FLOPs"

# ---- settled, then sent again in a later period: already paid ----------------------
fails 0 "P1 settles the genuine run" sh -c 'terra-settle -p "$1" --revenue 100 --holders "$2" "$3" >"$4" 2>/dev/null' - \
	$P1 "$tmp/h.csv" "$tmp/g.m" "$tmp/p1.pay"
is "$(sqlite3 "$TERRA_HOME/terra.db" "SELECT lower(hex(header)), lo, hi FROM paid_evidence")" "$id|0|$m" \
	"the settlement host remembers the rows it paid"
ok "the contributor is paid for P1" test "$(jq -s 'map(select(.role == "contributor")) | length' "$tmp/p1.pay")" -ge 1
dump >"$tmp/before"
head -n 1 "$tmp/g.nd" | reprove 40 0 $m 2026-11-21T11:10:00Z 2026-11-21T11:11:00Z >"$tmp/late.nd"
fails 1 "the settlement host's meter refuses rows it paid" \
	sh -c 'terra-meter -p "$1" "$2" >"$3" 2>"$4"' - $P2 "$tmp/late.nd" "$tmp/late.m" "$tmp/err"
like "$(errs "$tmp/err")" "late\\.nd:1: usage record: evidence already paid: rows of the sgemm run $id in \\[0, $m\\) were paid for period $period1" \
	"already paid: file, line, the period it was paid for"
is "$(wc -l <"$tmp/late.m")" 0 "no meter record for it"
# A meter host without that memory counts it; terra-settle still refuses.
M=$tmp/meterhost
home_init -H "$M"
terra-register history -o json >"$tmp/all.units"
TERRA_HOME=$M terra-meter -u "$tmp/all.units" -p $P2 "$tmp/late.nd" >"$tmp/late.m" 2>/dev/null
is "$(jq .verified.sgemm "$tmp/late.m")" "$flops" "a meter that never paid it counts it"
fails 3 "terra-settle refuses rows it paid in P1" \
	sh -c 'terra-settle -p "$1" --revenue 100 --holders "$2" --meter-key "$3" "$4" >"$5" 2>"$6"' - \
	$P2 "$tmp/h.csv" "$M/owner.pub" "$tmp/late.m" "$tmp/out" "$tmp/err"
like "$(errs "$tmp/err")" "late\\.m:1: meter record: evidence already paid: nonces \\[0, $m\\) of header $id, paid for period $period1" \
	"settle: file, line, the period it was paid for"
unchanged "rows paid in P1 sent again in P2"

# ---- a run older than the paid evidence kept: stale ---------------------------------
TERRA_NOW=2026-11-10T10:00:00Z terra-run -w sgemm --size 8,64,32 --seed 7 >"$tmp/old.nd" 2>/dev/null
fails 1 "a run of 2026-11-10, a week before the end of P1: refused" \
	sh -c 'terra-meter -p 2026-11-10T10:00:00Z/PT1H "$1" >/dev/null 2>"$2"' - "$tmp/old.nd" "$tmp/err"
like "$(errs "$tmp/err")" "old\\.nd:1: usage record: stale evidence: the sgemm run started 2026-11-10T10:00:0[0-9.]+Z, before 2026-11-14T11:00:00.000000Z, the paid evidence kept" \
	"stale: file, line, when the run started and the horizon"
fails 0 "a meter without the settlement host's memory counts it" \
	sh -c 'TERRA_HOME="$1" terra-meter -u "$2" -p 2026-11-10T10:00:00Z/PT1H "$3" >/dev/null 2>&1' - \
	"$M" "$tmp/all.units" "$tmp/old.nd"
done_testing
