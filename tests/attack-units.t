#!/bin/sh
# Attacks on the unit registry and unit records (issue 13), each performed
# and each refused: its exit status, a message naming file and line where
# the input is a file, and the home left as it was (its SQL dump compared)
# and still verifying.
. "$(dirname "$0")/setup"
dev=$fixtures/devices
P=2026-11-21T10:00:00Z/PT1H
quiet() { "$@" 2>/dev/null; }
db() { sqlite3 "$TERRA_HOME/terra.db" "$@"; }
dump() { sqlite3 "$TERRA_HOME/terra.db" .dump; }
keep() { dump >"$tmp/before"; }
unchanged() { # unchanged WHAT: the home's database is the one kept, and verifies
	dump >"$tmp/after"
	ok "$1: the home is unchanged" cmp -s "$tmp/before" "$tmp/after"
	ok "$1: the ledger verifies" verifies
}

home_init
owner=$(cat "$TERRA_HOME/owner.pub")
home_init -H "$tmp/thief"
thief=$(cat "$tmp/thief/owner.pub")
quiet terra-register "$dev/h100-65.ndjson" "$dev/h100-ca.ndjson" >"$tmp/units.ndjson"
unit=$(head -n 1 "$tmp/units.ndjson" | jq -r .unit)

# A. The units table is what the ledger says, and nothing else (sqlite3
# exits 19 on a constraint: the triggers of schema 3).
keep
fails 19 "A. editing a unit's owner in the table is refused" \
	sh -c 'sqlite3 "$1" "UPDATE units SET owner = '"'$thief'"' WHERE unit = '"'$unit'"'" 2>"$2"' \
	- "$TERRA_HOME/terra.db" "$tmp/err"
like "$(cat "$tmp/err")" "units: a row is the latest ledger entry of its unit" "A. the trigger says why"
fails 19 "A. editing a unit's score is refused" \
	quiet db "UPDATE units SET score = 999999999 WHERE unit = '$unit'"
fails 19 "A. a record signed by someone else is refused" \
	quiet db "UPDATE units SET record = replace(record, '$owner', '$thief'), owner = '$thief' WHERE unit = '$unit'"
fails 19 "A. deleting a unit is refused" quiet db "DELETE FROM units WHERE unit = '$unit'"
unchanged "A. edits past the triggers"
# The operator drops the triggers and redirects the unit's pay.
cp "$TERRA_HOME/terra.db" "$tmp/good.db"
db "DROP TRIGGER units_update_from_ledger;
    UPDATE units SET owner = '$thief', score = 999999999 WHERE unit = '$unit'"
fails 3 "A. verify refuses a units row the ledger does not have" \
	sh -c 'terra-ledger verify >/dev/null 2>"$1"' - "$tmp/err"
like "$(errs "$tmp/err")" "^terra-ledger: verify: units: unit '$unit': column 'owner' is not the ledger's latest version \(entry [0-9]+\)$" \
	"A. verify names the unit and the column"
cp "$tmp/good.db" "$TERRA_HOME/terra.db"
db "DROP TRIGGER units_update_from_ledger;
    UPDATE units SET record = replace(record, '\"score\":', '\"score\":9') WHERE unit = '$unit'"
fails 3 "A. verify refuses an edited record" quiet terra-ledger verify
fails 3 "A. the meter refuses the edited record" \
	sh -c 'terra-meter -p "$1" </dev/null >/dev/null 2>"$2"' - "$P" "$tmp/err"
like "$(errs "$tmp/err")" "^terra-meter: unit '$unit' in the database: the row is not the ledger's latest entry of the unit" \
	"A. the meter names the unit"
# A whole record the thief signed and claims as a transfer: its signature
# holds, but it is not the ledger's.
cp "$tmp/good.db" "$TERRA_HOME/terra.db"
head -n 1 "$tmp/units.ndjson" | jq -c --arg t "$thief" \
	'.owner = $t | .transferred_from = $t | .updated_at = "2026-11-21T10:00:00.000000Z"' |
	"$py" "$top/tests/tools/signrec.py" "$tmp/thief/owner.key" >"$tmp/forged.json"
db "DROP TRIGGER units_update_from_ledger;
    UPDATE units SET owner = '$thief', record = readfile('$tmp/forged.json') WHERE unit = '$unit'"
db "UPDATE units SET record = rtrim(record, char(10)) WHERE unit = '$unit'"
fails 3 "A. verify refuses a forged transfer in the table" quiet terra-ledger verify
fails 3 "A. the meter refuses it" quiet terra-meter -p "$P" </dev/null
cp "$tmp/good.db" "$TERRA_HOME/terra.db"
# A unit the ledger registered whose row is gone, and a row the ledger never had.
db "DROP TRIGGER units_no_delete; DELETE FROM unit_health WHERE unit = '$unit';
    DELETE FROM unit_seq WHERE unit = '$unit'; DELETE FROM units WHERE unit = '$unit'"
fails 3 "A. verify refuses a ledger unit without its row" \
	sh -c 'terra-ledger verify >/dev/null 2>"$1"' - "$tmp/err"
like "$(errs "$tmp/err")" "unit '$unit' of ledger entry [0-9]+ has no row" "A. naming the unit"
cp "$tmp/good.db" "$TERRA_HOME/terra.db"
unchanged "A. restored"

# A2. A rescore (issue 14) forged in a home's tables: its unit rescored
# honestly once (entry 2), then the thief's record at a billion MFLOPS put
# in the units row, and the rescore entry's score edited.
RS=$tmp/rescore
home_init -H "$RS"
jq -c '.bench.sgemm_mflops = 100000' "$dev/pocl-cpu.ndjson" >"$tmp/rs1.ndjson"
jq -c '.bench.sgemm_mflops = 200000 | .bench.mode = "full" | .bench.host_others_pct = 0' \
	"$dev/pocl-cpu.ndjson" >"$tmp/rs2.ndjson"
quiet terra-register -H "$RS" "$tmp/rs1.ndjson" >/dev/null
quiet terra-register -H "$RS" "$tmp/rs2.ndjson" >/dev/null # the first full probe past the margin waits
quiet terra-register -H "$RS" "$tmp/rs2.ndjson" >"$tmp/rs.unit"
rsunit=$(jq -r .unit "$tmp/rs.unit")
is "$(sqlite3 "$RS/terra.db" "SELECT group_concat(kind, ' ') FROM entries")" "unit rescore" "A2. an honest rescore entry"
cp "$RS/terra.db" "$tmp/rs-good.db"
jq -c '.rescored_from = .score | .score = 1000000000 | .bench.sgemm_mflops = 1000000000' "$tmp/rs.unit" |
	"$py" "$top/tests/tools/signrec.py" "$tmp/thief/owner.key" | tr -d '\n' >"$tmp/rs-forged.json"
fails 19 "A2. a rescore the thief signed, put in the units row: refused by the trigger" \
	quiet sqlite3 "$RS/terra.db" "UPDATE units SET record = readfile('$tmp/rs-forged.json'), score = 1000000000 WHERE unit = '$rsunit'"
sqlite3 "$RS/terra.db" "DROP TRIGGER units_update_from_ledger;
    UPDATE units SET record = readfile('$tmp/rs-forged.json'), score = 1000000000 WHERE unit = '$rsunit'"
fails 3 "A2. ... past the trigger: verify refuses it" \
	sh -c 'terra-ledger -H "$1" verify >/dev/null 2>"$2"' - "$RS" "$tmp/err"
like "$(errs "$tmp/err")" "unit '$rsunit': column '(record|score)' is not the ledger's latest version" \
	"A2. ... naming the unit and the column"
cp "$tmp/rs-good.db" "$RS/terra.db"
sqlite3 "$RS/terra.db" "DROP TRIGGER entries_no_update;
    UPDATE entries SET payload = replace(payload, '\"score\":200000', '\"score\":900000') WHERE kind = 'rescore'"
is "$(sqlite3 "$RS/terra.db" "SELECT count(*) FROM entries WHERE payload LIKE '%\"score\":900000%'")" 1 \
	"A2. the rescore entry's score edited"
fails 3 "A2. verify refuses the edited rescore entry" \
	sh -c 'terra-ledger -H "$1" verify >/dev/null 2>"$2"' - "$RS" "$tmp/err"
like "$(errs "$tmp/err")" "entry 2: leaf hash mismatch" "A2. ... naming the entry"
cp "$tmp/rs-good.db" "$RS/terra.db"
ok "A2. the honest home verifies" verifies -H "$RS"

# B. Two-host mode: the unit records a provider ships (terra-meter -u).
V=$tmp/victim
home_init -H "$V"
victim=$(cat "$V/owner.pub")
quiet terra-register -H "$V" "$dev/h100-65.ndjson" >"$tmp/v.unit"
vunit=$(jq -r .unit "$tmp/v.unit")
inbox=$tmp/inbox
mkdir -p "$inbox/victim" "$inbox/thief"
terra-register -H "$V" history -o json >"$inbox/victim/units.ndjson"
"$py" "$top/tests/tools/mkusage.py" -k "$V/units/$vunit.key" -u "$vunit" seq=1 work=4096 mine=8 \
	start=2026-11-21T10:00:00Z end=2026-11-21T10:20:00Z >"$inbox/victim/usage.ndjson"
meter() { # meter UNITS...: the victim's usage metered with these unit files, stderr to $tmp/err
	args=
	for f in "$@"; do args="$args -u $f"; done
	# shellcheck disable=SC2086 # file names without spaces
	terra-meter $args -p "$P" "$inbox/victim/usage.ndjson" >"$tmp/out" 2>"$tmp/err"
}
ok "B. the victim's usage is metered, paid to the victim" meter "$inbox/victim/units.ndjson"
is "$(jq -r .owner "$tmp/out")" "$victim" "B. (the meter record names the victim)"
# forge FILE JQ KEY: the victim's latest unit record changed by JQ, signed by KEY
forge() {
	tail -n 1 "$inbox/victim/units.ndjson" | jq -c "$2" |
		"$py" "$top/tests/tools/signrec.py" "$3" >"$1"
}
refused() { # refused NAME PATTERN: the meter ran with exit 1, said PATTERN, paid the victim
	is "$st" 1 "B. $1: refused (exit 1)"
	like "$(errs "$tmp/err")" "$2" "B. $1: the message names file, line and why"
	is "$(jq -r .owner "$tmp/out")" "$victim" "B. $1: the victim's usage is still the victim's"
	is "$(jq -r .records "$tmp/out")" 1 "B. $1: and still counted"
}
# 1. The thief's own "transfer" to itself, dated 9999.
forge "$inbox/thief/units.ndjson" \
	".owner = \"$thief\" | .transferred_from = \"$thief\" | .updated_at = \"9999-12-31T00:00:00Z\"" \
	"$tmp/thief/owner.key"
st=0; meter "$inbox/victim/units.ndjson" "$inbox/thief/units.ndjson" || st=$?
refused "a self-signed transfer dated 9999" \
	"^terra-meter: $inbox/thief/units.ndjson:1: unit record: unit '$vunit': dated more than 5 minutes after 2026-11-21T10:00:00.000000Z \(in the future\)$"
# 2. The same dated now: it does not chain from the victim's record.
forge "$inbox/thief/units.ndjson" \
	".owner = \"$thief\" | .transferred_from = \"$thief\" | .updated_at = \"2026-11-21T10:00:01Z\"" \
	"$tmp/thief/owner.key"
st=0; meter "$inbox/thief/units.ndjson" "$inbox/victim/units.ndjson" || st=$?
refused "a self-signed transfer dated now" \
	"^terra-meter: $inbox/thief/units.ndjson:1: unit record: unit '$vunit': transfer from $thief, but the unit is owned by $victim$"
# ... nor does a transfer naming the victim that the thief signed.
forge "$inbox/thief/units.ndjson" \
	".owner = \"$thief\" | .transferred_from = \"$victim\" | .updated_at = \"2026-11-21T10:00:01Z\"" \
	"$tmp/thief/owner.key"
st=0; meter "$inbox/victim/units.ndjson" "$inbox/thief/units.ndjson" || st=$?
refused "a transfer from the victim signed by the thief" \
	"^terra-meter: $inbox/thief/units.ndjson:1: unit record: unit '$vunit': bad signature: not signed by the owner it is transferred from$"
# ... nor one dated before the unit's registration.
forge "$inbox/thief/units.ndjson" \
	".owner = \"$thief\" | .transferred_from = \"$thief\" | .updated_at = \"2026-11-21T09:00:00Z\"" \
	"$tmp/thief/owner.key"
st=0; meter "$inbox/victim/units.ndjson" "$inbox/thief/units.ndjson" || st=$?
refused "a backdated transfer" \
	"^terra-meter: $inbox/thief/units.ndjson:1: unit record: unit '$vunit': a transfer without the unit's earlier record$"
# 3. A new unit key, even signed by the owner: only the old unit key may
# hand it on. Signed by an owner (a seller taking a sold unit back), it
# contradicts the unit's history: the unit is refused, nobody is paid.
forge "$tmp/rekey.ndjson" ".unit_pub = \"$thief\" | .updated_at = \"2026-11-21T10:00:01Z\"" "$V/owner.key"
st=0; meter "$inbox/victim/units.ndjson" "$tmp/rekey.ndjson" || st=$?
is "$st" 1 "B. a changed unit key: refused (exit 1)"
like "$(errs "$tmp/err")" "^terra-meter: $tmp/rekey.ndjson:1: unit record: unit '$vunit': field 'unit_pub' changed without the old unit key's signature$" \
	"B. a changed unit key: the message"
like "$(errs "$tmp/err")" "^terra-meter: $inbox/victim/units.ndjson:1: unit record: unit '$vunit': $tmp/rekey.ndjson:1, signed by an owner of the unit, contradicts its other records: the unit is refused$" \
	"B. a changed unit key: the owner contradicting itself refuses the unit"
ok "B. a changed unit key: nothing is paid" test ! -s "$tmp/out"
# The same backdated before the registration, as a first record of its own.
forge "$tmp/rekey.ndjson" "del(.updated_at) | .registered_at = \"2026-11-21T09:00:00Z\" | .unit_pub = \"$thief\"" "$V/owner.key"
st=0; meter "$inbox/victim/units.ndjson" "$tmp/rekey.ndjson" || st=$?
is "$st" 1 "B. a backdated first record with another key: refused (exit 1)"
like "$(errs "$tmp/err")" "contradicts its other records: the unit is refused$" \
	"B. a backdated first record with another key: the unit is refused"
ok "B. a backdated first record with another key: nothing is paid" test ! -s "$tmp/out"
# 3b. A rescore the thief signed: the victim's unit at a billion MFLOPS.
forge "$inbox/thief/units.ndjson" \
	'.rescored_from = .score | .score = 1000000000 | .bench.sgemm_mflops = 1000000000 | .updated_at = "2026-11-21T10:00:01Z"' \
	"$tmp/thief/owner.key"
st=0; meter "$inbox/victim/units.ndjson" "$inbox/thief/units.ndjson" || st=$?
refused "a rescore signed by the thief" \
	"^terra-meter: $inbox/thief/units.ndjson:1: unit record: unit '$vunit': bad signature: not signed by the owner$"
is "$(jq -r .score "$tmp/out")" "$(jq -r .score "$tmp/v.unit")" "B. a rescore signed by the thief: the score is the victim's registered one"
# ... and a new score the owner signed without saying it is a rescore.
forge "$inbox/thief/units.ndjson" '.score = 1000000000 | .updated_at = "2026-11-21T10:00:01Z"' "$V/owner.key"
st=0; meter "$inbox/victim/units.ndjson" "$inbox/thief/units.ndjson" || st=$?
is "$st" 1 "B. a score changed without a rescore: refused (exit 1)"
like "$(errs "$tmp/err")" "field 'score' differs from the unit's earlier record without a rescore" \
	"B. a score changed without a rescore: the message"
# ... nor a rescore the owner signed with a score of its choosing: a
# rescore's score is its benchmark's measured sgemm rate.
forge "$inbox/thief/units.ndjson" '.rescored_from = .score | .score = 1000000000 | .updated_at = "2026-11-21T10:00:01Z"' "$V/owner.key"
st=0; meter "$inbox/victim/units.ndjson" "$inbox/thief/units.ndjson" || st=$?
is "$st" 1 "B. an owner's rescore with a score its bench does not have: refused (exit 1)"
like "$(errs "$tmp/err")" "^terra-meter: $inbox/thief/units.ndjson:1: unit record: unit '$vunit': a rescore whose score is not its bench.sgemm_mflops$" \
	"B. an owner's rescore with a score its bench does not have: the message"
forge "$inbox/thief/units.ndjson" '.rescored_from = .score | .score = 2500000000 | .bench.fp32_mflops = 2500000000 | del(.bench.sgemm_mflops) | .updated_at = "2026-11-21T10:00:01Z"' "$V/owner.key"
st=0; meter "$inbox/victim/units.ndjson" "$inbox/thief/units.ndjson" || st=$?
is "$st" 1 "B. an owner's rescore by a claimed fp32_mflops, no sgemm_mflops: refused (exit 1)"
like "$(errs "$tmp/err")" "unit '$vunit': a rescore whose score is not its bench.sgemm_mflops$" \
	"B. an owner's rescore by a claimed fp32_mflops: the message"
# 4. Retirement is final: an "active" version after it is refused.
cp -r "$V" "$tmp/v2"
TERRA_NOW=2026-11-21T10:30:00Z quiet terra-register -H "$tmp/v2" retire "$vunit" >/dev/null
terra-register -H "$tmp/v2" history -o json >"$tmp/retired.ndjson"
tail -n 1 "$tmp/retired.ndjson" | jq -c '.state = "active" | del(.retired_at) | .updated_at = "2026-11-21T10:40:00Z"' |
	"$py" "$top/tests/tools/signrec.py" "$V/owner.key" >"$tmp/revived.ndjson"
st=0
TERRA_NOW=2026-11-21T11:00:00Z terra-meter -u "$tmp/retired.ndjson" -u "$tmp/revived.ndjson" -p "$P" "$inbox/victim/usage.ndjson" \
	>"$tmp/out" 2>"$tmp/err" || st=$?
is "$st" 1 "B. an active version after retirement: refused (exit 1)"
like "$(errs "$tmp/err")" "^terra-meter: $tmp/revived.ndjson:1: unit record: unit '$vunit': the unit is retired: retirement is final$" \
	"B. an active version after retirement: the message"
ok "B. and nothing of the unit is paid" test ! -s "$tmp/out"
# 5. Five minutes ahead is allowed (clocks differ), six is not.
forge "$tmp/soon.ndjson" '.updated_at = "2026-11-21T10:05:00Z"' "$V/owner.key"
ok "B. a version dated 5 minutes ahead is accepted" meter "$inbox/victim/units.ndjson" "$tmp/soon.ndjson"
forge "$tmp/soon.ndjson" '.updated_at = "2026-11-21T10:05:00.000001Z"' "$V/owner.key"
fails 1 "B. one microsecond more is refused" meter "$inbox/victim/units.ndjson" "$tmp/soon.ndjson"
# 6. --owners matches the parsed owner field: the thief's own unit whose
# record carries the victim's key in a nested "owner" passed the old grep.
jq -c --arg v "$victim" '.bench.owner = $v | .fingerprint = "'"$(printf %064d 7)"'"' \
	"$dev/h100-ca.ndjson" >"$tmp/nested.ndjson"
quiet terra-register -H "$tmp/thief" "$tmp/nested.ndjson" >"$tmp/t.unit"
tunit=$(jq -r .unit "$tmp/t.unit")
terra-register -H "$tmp/thief" history -o json >"$inbox/thief/units.ndjson"
ok "B. (the thief's record holds the victim's key as a nested owner)" \
	grep -qF "\"owner\":\"$victim\"" "$inbox/thief/units.ndjson"
"$py" "$top/tests/tools/mkusage.py" -k "$tmp/thief/units/$tunit.key" -u "$tunit" seq=1 work=4096 mine=8 \
	start=2026-11-21T10:00:00Z end=2026-11-21T10:20:00Z >"$inbox/thief/usage.ndjson"
echo "$victim" >"$tmp/owners"
st=0
terra-meter -u "$inbox/victim/units.ndjson" -u "$inbox/thief/units.ndjson" --owners "$tmp/owners" \
	-p "$P" "$inbox/victim/usage.ndjson" "$inbox/thief/usage.ndjson" >"$tmp/out" 2>"$tmp/err" || st=$?
is "$st" 1 "B. --owners: a unit of another owner is refused (exit 1)"
like "$(errs "$tmp/err")" "^terra-meter: $inbox/thief/units.ndjson:1: unit record: unit '$tunit': owner $thief is not one of --owners$" \
	"B. --owners: the message names file, line and owner"
is "$(jq -r .owner "$tmp/out" | sort -u)" "$victim" "B. --owners: only the victim is paid"
# settlement.sh with the thief's folder in the inbox: refused, the
# settlement home unchanged and verifying.
S=$tmp/settle
home=$TERRA_HOME
home_init -H "$S"
home_init -H "$S.a"
forge "$inbox/thief/units.ndjson" \
	".owner = \"$thief\" | .transferred_from = \"$thief\" | .updated_at = \"9999-12-31T00:00:00Z\"" \
	"$tmp/thief/owner.key"
: >"$inbox/thief/usage.ndjson"
printf 'account,balance\nalice,1\n' >"$tmp/h.csv"
# settle-hourly quarantines a refused provider and settles the others: the
# forged folder is refused (exit 1) and its owner is paid nothing.
fails 1 "B. settlement.sh with a forged transfer in the inbox is refused" \
	quiet env TERRA_NOW=2026-11-21T11:05:00Z sh "$top/examples/two-host/settlement.sh" \
	-H "$S.a" -a "$tmp/owners" -r 10 -k "$tmp/h.csv" -o "$tmp/hourly.a" "$inbox"
is "$(terra-ledger -H "$S.a" balance -o json | jq -r "select(.account == \"$thief\") | .amount")" "" \
	"B. settlement.sh: the thief is paid nothing"
ok "B. settlement.sh: the ledger verifies" verifies -H "$S.a"
rm -r "$inbox/thief"
ok "B. without it the victim's hour settles" \
	quiet env TERRA_NOW=2026-11-21T11:05:00Z sh "$top/examples/two-host/settlement.sh" \
	-H "$S" -a "$tmp/owners" -r 10 -k "$tmp/h.csv" -o "$tmp/hourly" "$inbox"
is "$(jq -r 'select(.role == "contributor") | .account' "$tmp/hourly"/payouts-*.ndjson)" "$victim" \
	"B. the victim is paid"

# D. Two terra-run processes on one unit both signed records, and the meter
# refused one: the unit is locked, the second run refused, naming the pid.
R=$tmp/runner
home_init -H "$R"
terra-probe --bench none --mem-test 1 2>/dev/null | quiet terra-register -H "$R" >"$tmp/r.units"
runit=$(jq -r 'select(.type == "unit") | .unit' "$tmp/r.units" | head -n 1)
TERRA_HOME=$R terra-run -w sha256d --interval 0.2 --share-bits 12 >"$tmp/run1" 2>"$tmp/run1.err" &
pid=$!
i=0
while [ ! -s "$tmp/run1" ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
ok "D. (the first run is running)" test -s "$tmp/run1"
sqlite3 "$R/terra.db" .dump >"$tmp/r.before"
st=0
TERRA_HOME=$R terra-run -w sha256d --work 1000 --share-bits 12 >"$tmp/run2" 2>"$tmp/run2.err" || st=$?
is "$st" 75 "D. a second terra-run on the same unit is refused (exit 75, busy)"
like "$(errs "$tmp/run2.err")" "^terra-run: unit '$runit' is in use by another terra-run \(pid $pid, lock '$R/units/$runit\.lock'\)$" \
	"D. it names the unit and the pid holding it"
ok "D. it signed nothing" test ! -s "$tmp/run2"
st=0
TERRA_HOME=$R terra-run -u "$runit" -w sha256d --work 1000 --share-bits 12 >"$tmp/run2" 2>"$tmp/run2.err" || st=$?
is "$st" 75 "D. the same with -u UNIT"
sqlite3 "$R/terra.db" .dump | grep -v "INSERT INTO unit_seq" >"$tmp/r.after"
grep -v "INSERT INTO unit_seq" "$tmp/r.before" >"$tmp/r.before2"
ok "D. the second run changed nothing in the home but the first run's seqs" \
	cmp -s "$tmp/r.before2" "$tmp/r.after"
kill -INT $pid
wait $pid || :
ok "D. once the first run ends, the unit is free again" \
	sh -c 'TERRA_HOME=$1 terra-run -w sha256d --work 1000 --share-bits 12 >/dev/null 2>&1' - "$R"

# C. The seller's terra-run stops using a unit retired or transferred while
# it runs, at its next usage record (--interval), instead of signing usage
# nobody will pay for.
stops() { # stops HOME WHAT CMD...: a running terra-run ends by itself after CMD
	h=$1 what=$2
	shift 2
	TERRA_HOME=$h terra-run -w sha256d --interval 0.2 --share-bits 12 >"$tmp/run3" 2>"$tmp/run3.err" &
	pid=$!
	i=0
	while [ ! -s "$tmp/run3" ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	"$@" >/dev/null 2>&1
	i=0
	while kill -0 $pid 2>/dev/null && [ $i -lt 1200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 $pid 2>/dev/null || :
	st=0
	wait $pid || st=$?
	is "$st" 1 "C. $what: the run ends by itself (exit 1)"
	like "$(errs "$tmp/run3.err")" "^terra-run: job '[^']*' on unit [0-9a-f]{32}: stopped: the unit is $what$" \
		"C. $what: it says why"
	fails 1 "C. $what: a new run does not use it" quiet env TERRA_HOME="$h" \
		terra-run -w sha256d --work 1000 --share-bits 12
}
stops "$R" retired terra-register -H "$R" retire "$runit"
R2=$tmp/runner2
home_init -H "$R2"
terra-probe --bench none --mem-test 1 2>/dev/null | quiet terra-register -H "$R2" >"$tmp/r2.units"
r2unit=$(jq -r 'select(.type == "unit") | .unit' "$tmp/r2.units" | head -n 1)
stops "$R2" "transferred to another owner" terra-register -H "$R2" transfer "$r2unit" "$thief"

# D. Dry runs and confirmation: transfer, retire and pay with -n print what
# would be appended and change nothing; on a terminal they ask first.
TERRA_HOME=$V
keep
fails 0 "D. transfer -n exits 0" sh -c 'terra-register transfer -n "$1" "$2" >"$3" 2>"$4"' - \
	"$vunit" "$thief" "$tmp/dry.out" "$tmp/dry.err"
is "$(jq -r '.owner + " " + .transferred_from' "$tmp/dry.out")" "$thief $victim" \
	"D. transfer -n prints the transfer record it would append"
like "$(errs "$tmp/dry.err")" "dry run \(-n\): the record above would be appended; nothing changed" \
	"D. transfer -n says nothing changed"
unchanged "D. transfer -n"
fails 0 "D. retire -n exits 0" sh -c 'terra-register retire -n "$1" >"$2" 2>/dev/null' - "$vunit" "$tmp/dry.out"
is "$(jq -r .state "$tmp/dry.out")" retired "D. retire -n prints the retired record"
unchanged "D. retire -n"
cat >"$tmp/answer.py" <<'PY'
import os, pty, subprocess, sys
master, slave = pty.openpty()
p = subprocess.Popen(sys.argv[2:], stdin=slave, stdout=subprocess.DEVNULL, stderr=slave)
os.close(slave)
os.write(master, sys.argv[1].encode() + b"\n")
out = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
sys.stdout.write(out.decode(errors="replace"))
sys.exit(p.wait(timeout=120))
PY
st=0
"$py" "$tmp/answer.py" n terra-register retire "$vunit" >"$tmp/tty.out" || st=$?
is "$st" 1 "D. retire on a terminal, answered n: exit 1"
like "$(tr -d '\r' <"$tmp/tty.out")" "terra-register: retire unit $vunit for good\? \[y/N\]" "D. it asked"
like "$(tr -d '\r' <"$tmp/tty.out")" "terra-register: nothing changed" "D. it says nothing changed"
unchanged "D. retire declined"
st=0
"$py" "$tmp/answer.py" n terra-register transfer "$vunit" "$thief" >/dev/null || st=$?
is "$st" 1 "D. transfer on a terminal, answered n: exit 1"
unchanged "D. transfer declined"
# pay: the victim was paid by the settlement home S (settled at 11:05).
TERRA_HOME=$S
now=$TERRA_NOW
export TERRA_NOW=2026-11-21T11:10:00Z
keep
fails 0 "D. pay -n exits 0" sh -c 'terra-ledger pay -n "$1" 0.5 >"$2" 2>"$3"' - "$victim" \
	"$tmp/pay.out" "$tmp/pay.err"
like "$(cat "$tmp/pay.out")" '"amount":"0\.500000000"' "D. pay -n prints the payment"
like "$(errs "$tmp/pay.err")" "dry run \(-n\): the payment above would be appended; nothing changed" \
	"D. pay -n says nothing changed"
unchanged "D. pay -n"
fails 1 "D. pay -n still refuses more than is owed" quiet terra-ledger pay -n "$victim" 1000
unchanged "D. pay -n of too much"
st=0
"$py" "$tmp/answer.py" n terra-ledger pay "$victim" 0.5 >"$tmp/tty.out" || st=$?
is "$st" 1 "D. pay on a terminal, answered n: exit 1"
like "$(tr -d '\r' <"$tmp/tty.out")" "record a payment of 0\.5 TERRA to '$victim'\? \[y/N\]" "D. pay asked"
unchanged "D. pay declined"
st=0
"$py" "$tmp/answer.py" "" terra-ledger pay --yes "$victim" 0.5 >/dev/null || st=$?
is "$st" 0 "D. pay --yes on a terminal does not ask, and pays"
is "$(terra-ledger log --kind payment -o json | wc -l)" 1 "D. (one payment entry)"
fails 2 "D. -n is for pay only" quiet terra-ledger -n verify
fails 2 "D. -n is for transfer and retire only" quiet terra-register -n list
TERRA_HOME=$home
TERRA_NOW=$now

done_testing
