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
	ok "$1: the ledger verifies" sh -c 'terra-ledger verify >/dev/null'
}

quiet terra-register init
owner=$(cat "$TERRA_HOME/owner.pub")
quiet terra-register -H "$tmp/thief" init
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

done_testing
