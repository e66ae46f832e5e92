#!/bin/sh
# A unit that changes hands (issue 13), end to end with the real commands:
# usage is paid to the owner of its time, split at the transfer instant, in
# one home and in two-host mode; claims that bend it are refused with their
# exit status and message, the ledger unchanged and still verifying.
. "$(dirname "$0")/setup"
dev=$fixtures/devices
P=2026-11-21T10:00:00Z/PT1H
dump() { sqlite3 "$TERRA_HOME/terra.db" .dump; }
keep() { dump >"$tmp/before"; }
unchanged() { # unchanged WHAT: the ledger is the one kept, and verifies
	dump >"$tmp/after"
	ok "$1: the ledger is unchanged" cmp -s "$tmp/before" "$tmp/after"
	ok "$1: the ledger verifies" verifies
}
printf 'account,balance\nalice,1\n' >"$tmp/h.csv"
usage() { # usage HOME UNIT SEQ START END [FIELD=VALUE...]: a signed usage record
	_h=$1 _u=$2 _s=$3 _a=$4 _b=$5
	shift 5
	"$py" "$top/tests/tools/mkusage.py" -k "$_h/units/$_u.key" -u "$_u" seq="$_s" \
		start="$_a" end="$_b" workload=kernel "$@"
}
field() { # field FILE OWNER JQ: JQ of the meter record of OWNER in FILE
	jq -r --arg o "$2" "select(.type == \"meter\" and .owner == \$o) | $3" "$1"
}

# The seller registers a device at 10:00 and sells it to the buyer at 10:30.
home_init
seller=$(cat "$TERRA_HOME/owner.pub")
S=$TERRA_HOME
B=$tmp/buyer
home_init -H "$B"
buyer=$(cat "$B/owner.pub")
terra-register "$dev/h100-65.ndjson" >"$tmp/unit.ndjson" 2>/dev/null
unit=$(jq -r .unit "$tmp/unit.ndjson")
score=$(jq -r .score "$tmp/unit.ndjson")
TERRA_NOW=2026-11-21T10:30:00Z terra-register transfer "$unit" "$buyer" >/dev/null 2>&1
# 20 minutes before the transfer, 20 across it (10 each side), 10 after.
{
	usage "$S" "$unit" 1 2026-11-21T10:00:00Z 2026-11-21T10:20:00Z
	usage "$S" "$unit" 2 2026-11-21T10:20:00Z 2026-11-21T10:40:00Z
	usage "$S" "$unit" 3 2026-11-21T10:40:00Z 2026-11-21T10:50:00Z
} >"$tmp/usage.ndjson"
export TERRA_NOW=2026-11-21T11:05:00Z

# 1. One home: the meter splits the usage at the transfer instant.
ok "1. the hour is metered" sh -c 'terra-meter --pay-kernel-time -p "$1" "$2" >"$3"' - "$P" "$tmp/usage.ndjson" "$tmp/m1"
is "$(jq -r .owner "$tmp/m1" | sort | tr '\n' ' ')" "$(printf '%s\n%s\n' "$seller" "$buyer" | sort | tr '\n' ' ')" \
	"1. one meter record per owner of the unit"
is "$(field "$tmp/m1" "$seller" .busy_us)" 1800000000 "1. the seller: 20 minutes before and 10 across"
is "$(field "$tmp/m1" "$buyer" .busy_us)" 1200000000 "1. the buyer: 10 across and 10 after"
is "$(field "$tmp/m1" "$seller" '"\(.records) \(.first_seq) \(.last_seq)"')" "2 1 2" \
	"1. the seller's record covers seqs 1 and 2"
is "$(field "$tmp/m1" "$buyer" '"\(.records) \(.first_seq) \(.last_seq)"')" "2 2 3" \
	"1. the buyer's covers seqs 2 and 3"
is "$(field "$tmp/m1" "$buyer" .weight)" "$((score * 1200000000))" "1. each weight is score x its busy time"
is "$(jq -r .signer "$tmp/m1" | sort -u)" "$seller" "1. both signed by the metering home"
ok "1. the hour settles" sh -c 'terra-settle --revenue 100 --holders "$1" "$2" >"$3" 2>/dev/null' - "$tmp/h.csv" "$tmp/m1" "$tmp/pay1"
is "$(jq -r --arg o "$seller" 'select(.account == $o) | .amount' "$tmp/pay1")" 42.000000000 \
	"1. the seller is paid for 30 of the 50 minutes (70 x 3/5)"
is "$(jq -r --arg o "$buyer" 'select(.account == $o) | .amount' "$tmp/pay1")" 28.000000000 \
	"1. the buyer for 20 (70 x 2/5)"
is "$(terra-ledger log --kind settlement -o json | jq -c .payload.covers)" "[[\"$unit\",1,3]]" \
	"1. the entry covers the unit's seqs once"
ok "1. the ledger verifies" verifies
terra-ledger export -f ndjson >"$tmp/export.ndjson"
ok "1. the export verifies with the public key alone" \
	export_verifies "$seller" "$tmp/export.ndjson"
is "$(terra-ledger balance -o json | jq -r --arg o "$buyer" 'select(.account == $o) | .amount')" 28.000000000 \
	"1. the buyer's balance"

# 2. Meter records that bend the split are refused: signed by this home's
# own key (what a careless operator or a stolen key could do), each names
# an owner the unit did not have in that period.
keep
sign() { "$py" "$top/tests/tools/signmeter.py" "$S/owner.key"; }
jq -c --arg o "$buyer" 'select(.owner == $o) | .period = "2026-11-21T09:00:00.000000Z/2026-11-21T10:00:00.000000Z" |
	.start = "2026-11-21T09:00:00.000000Z" | .end = "2026-11-21T10:00:00.000000Z"' "$tmp/m1" | sign >"$tmp/early.ndjson"
st=0
terra-settle --revenue 100 --holders "$tmp/h.csv" "$tmp/early.ndjson" >/dev/null 2>"$tmp/err" || st=$?
is "$st" 3 "2. the buyer paid for an hour before it bought the unit: refused (exit 3)"
like "$(errs "$tmp/err")" "^terra-settle: $tmp/early.ndjson:1: meter record: unit '$unit' is registered to another owner in period 2026-11-21T09:00:00.000000Z/2026-11-21T10:00:00.000000Z$" \
	"2. the message names file, line, unit and period"
unchanged "2. an owner before its time"
jq -c --arg o "$seller" 'select(.owner == $o) | .period = "2026-11-21T11:00:00.000000Z/2026-11-21T12:00:00.000000Z" |
	.start = "2026-11-21T11:00:00.000000Z" | .end = "2026-11-21T12:00:00.000000Z"' "$tmp/m1" | sign >"$tmp/late.ndjson"
st=0
terra-settle --revenue 100 --holders "$tmp/h.csv" "$tmp/late.ndjson" >/dev/null 2>"$tmp/err" || st=$?
is "$st" 3 "2. the seller paid for an hour after it sold the unit: refused (exit 3)"
like "$(errs "$tmp/err")" "unit '$unit' is registered to another owner in period 2026-11-21T11:00:00" \
	"2. the message says why"
unchanged "2. an owner after its time"
# the buyer's record twice, as if it had two parts of the hour to itself
jq -c --arg o "$buyer" 'select(.owner == $o)' "$tmp/m1" >"$tmp/b.ndjson"
{ cat "$tmp/b.ndjson"; jq -c '.first_seq = 4 | .last_seq = 4' "$tmp/b.ndjson" | sign; } >"$tmp/two.ndjson"
st=0
terra-settle --revenue 100 --holders "$tmp/h.csv" "$tmp/two.ndjson" >/dev/null 2>"$tmp/err" || st=$?
is "$st" 1 "2. two meter records of one unit and owner in a period: refused (exit 1)"
like "$(errs "$tmp/err")" "unit $unit of owner $buyer appears in two meter records" "2. the message names unit and owner"
unchanged "2. one owner twice"

# 3. Two-host mode: a settlement host meters the seller's shipped unit
# records (terra-meter -u), with both owners agreed, and splits the same.
H=$tmp/host
home_init -H "$H"
terra-register history -o json >"$tmp/units.ndjson"
printf '%s\n%s\n' "$seller" "$buyer" >"$tmp/owners"
ok "3. the host meters the hour" sh -c 'terra-meter --pay-kernel-time -H "$1" -u "$2" --owners "$3" -p "$4" "$5" >"$6"' - \
	"$H" "$tmp/units.ndjson" "$tmp/owners" "$P" "$tmp/usage.ndjson" "$tmp/m3"
is "$(field "$tmp/m3" "$seller" .busy_us) $(field "$tmp/m3" "$buyer" .busy_us)" "1800000000 1200000000" \
	"3. the same split as in the seller's home"
ok "3. and settles it" sh -c 'terra-settle -H "$1" --revenue 100 --holders "$2" "$3" >"$4" 2>/dev/null' - \
	"$H" "$tmp/h.csv" "$tmp/m3" "$tmp/pay3"
is "$(jq -r --arg o "$buyer" 'select(.account == $o) | .amount' "$tmp/pay3")" 28.000000000 "3. the buyer is paid its part"
ok "3. the host's ledger verifies" verifies -H "$H"
terra-ledger -H "$H" export -f ndjson >"$tmp/export3.ndjson"
ok "3. and its export, with the public key alone" \
	export_verifies "$(cat "$H/owner.pub")" "$tmp/export3.ndjson"
# The seller's key alone in --owners: the buyer was not agreed, so the unit
# is refused, not paid to the seller for the buyer's time.
echo "$seller" >"$tmp/owners1"
st=0
terra-meter -H "$H" -u "$tmp/units.ndjson" --owners "$tmp/owners1" -p "$P" "$tmp/usage.ndjson" \
	>"$tmp/m3b" 2>"$tmp/err" || st=$?
is "$st" 1 "3. an owner of the chain not in --owners: refused (exit 1)"
like "$(errs "$tmp/err")" "^terra-meter: $tmp/units.ndjson:2: unit record: unit '$unit': owner $buyer is not one of --owners$" \
	"3. the message names file, line and owner"
ok "3. nothing of the unit is paid" test ! -s "$tmp/m3b"

# 4. Retirement: a record that straddles retired_at is counted up to that
# instant, its busy time and work pro rata; one that starts at or after it
# is refused. In the home and on a settlement host alike.
R=$tmp/retiring
TERRA_NOW=2026-11-21T10:00:00Z terra-register -H "$R" init 2>/dev/null
TERRA_NOW=2026-11-21T10:00:00Z terra-register -H "$R" "$dev/h100-ca.ndjson" >"$tmp/r.unit" 2>/dev/null
runit=$(jq -r .unit "$tmp/r.unit")
rowner=$(cat "$R/owner.pub")
TERRA_NOW=2026-11-21T10:45:00Z terra-register -H "$R" retire "$runit" >/dev/null 2>&1
usage "$R" "$runit" 1 2026-11-21T10:30:00Z 2026-11-21T11:00:00Z work=3000 >"$tmp/r1.ndjson"
ok "4. a record across the retirement is counted" \
	sh -c 'terra-meter --pay-kernel-time -H "$1" -p "$2" "$3" >"$4"' - "$R" "$P" "$tmp/r1.ndjson" "$tmp/mr"
is "$(jq -r '"\(.busy_us) \(.work) \(.records)"' "$tmp/mr")" "900000000 1500 1" \
	"4. up to retired_at: 15 of its 30 minutes, half its work"
terra-register -H "$R" history -o json >"$tmp/r.units"
ok "4. the same from the unit records on a settlement host" \
	sh -c 'terra-meter --pay-kernel-time -H "$1" -u "$2" -p "$3" "$4" >"$5"' - "$H" "$tmp/r.units" "$P" "$tmp/r1.ndjson" "$tmp/mr2"
is "$(jq -r '"\(.busy_us) \(.work) \(.owner)"' "$tmp/mr2")" "900000000 1500 $rowner" "4. (same count, same owner)"
usage "$R" "$runit" 2 2026-11-21T10:45:00Z 2026-11-21T10:50:00Z >"$tmp/r2.ndjson"
st=0
terra-meter -H "$R" -p "$P" "$tmp/r2.ndjson" >"$tmp/mr3" 2>"$tmp/err" || st=$?
is "$st" 1 "4. a record starting at retired_at: refused (exit 1)"
like "$(errs "$tmp/err")" "^terra-meter: $tmp/r2.ndjson:1: usage record: retired unit '$runit'$" \
	"4. the message names file, line and unit"
ok "4. and nothing is counted" test ! -s "$tmp/mr3"
ok "4. the retired unit's part settles" sh -c 'terra-settle -H "$1" --revenue 10 --holders "$2" "$3" >"$4" 2>/dev/null' - \
	"$R" "$tmp/h.csv" "$tmp/mr" "$tmp/payr"
is "$(jq -r 'select(.role == "contributor") | .account' "$tmp/payr")" "$rowner" "4. its owner is paid"
ok "4. the ledger verifies" verifies -H "$R"

# 5. Handing a unit over: the buyer makes a key for it, the seller rotates
# the unit's key to it (signed by the old key and the owner) and transfers
# the unit, the buyer imports the unit's records and then holds it whole.
export TERRA_NOW=2026-11-21T10:00:00Z
S5=$tmp/s5 B5=$tmp/b5
home_init -H "$S5"
home_init -H "$B5"
seller5=$(cat "$S5/owner.pub") buyer5=$(cat "$B5/owner.pub")
terra-register -H "$S5" "$dev/h100-65.ndjson" >"$tmp/u5" 2>/dev/null
u5=$(jq -r .unit "$tmp/u5")
cp "$S5/units/$u5.key" "$tmp/old.key" # what a seller could keep
sqlite3 "$S5/terra.db" "UPDATE unit_seq SET next_seq = 3" # seqs 1, 2 used, as terra-run leaves it
ok "5. the buyer makes a key for the unit" sh -c 'terra-register -H "$1" unitkey "$2" >"$3"' - "$B5" "$u5" "$tmp/new.pub"
fails 1 "5. not twice" sh -c 'terra-register -H "$1" unitkey "$2" >/dev/null 2>&1' - "$B5" "$u5"
export TERRA_NOW=2026-11-21T10:30:00Z
ok "5. the seller rotates the unit's key to it" \
	sh -c 'terra-register -H "$1" rekey "$2" "$3" >"$4" 2>/dev/null' - "$S5" "$u5" "$tmp/new.pub" "$tmp/rekey5"
is "$(jq -r '"\(.unit_pub) \(.seq_from) \(.signer)"' "$tmp/rekey5")" "$(cat "$tmp/new.pub") 3 $seller5" \
	"5. the rekey version: the new key, its first seq, the owner's signature"
ok "5. the seller no longer holds a key of the unit" test ! -e "$S5/units/$u5.key"
ok "5. and transfers the unit" sh -c 'terra-register -H "$1" transfer "$2" "$3" >/dev/null 2>&1' - "$S5" "$u5" "$buyer5"
terra-register -H "$S5" history -o json >"$tmp/h5.ndjson"
export TERRA_NOW=2026-11-21T10:31:00Z
ok "5. the buyer imports it" sh -c 'terra-register -H "$1" import "$2" 2>"$3"' - "$B5" "$tmp/h5.ndjson" "$tmp/err"
like "$(errs "$tmp/err")" "^terra-register: unit $u5: 3 versions imported$" "5. all three versions, its key held"
is "$(terra-register -H "$B5" list -o json | jq -r '"\(.owner) \(.state)"')" "$buyer5 active" "5. the unit is the buyer's"
is "$(sqlite3 "$B5/terra.db" "SELECT next_seq FROM unit_seq WHERE unit = '$u5'")" 3 "5. its usage seqs go on from seq_from"
is "$(terra-ledger -H "$B5" log -o json | jq -r .kind | tr '\n' ' ')" "unit rekey transfer " "5. in the buyer's ledger"
ok "5. which verifies" verifies -H "$B5"
ok "5. importing again adds nothing" sh -c 'terra-register -H "$1" import "$2" 2>/dev/null' - "$B5" "$tmp/h5.ndjson"
is "$(terra-ledger -H "$B5" log -o json | wc -l)" 3 "5. (still three entries)"
# Usage before the rotation, by the old key, is the seller's; after it,
# by the new key, the buyer's. The old key after the rotation, and the new
# key before it, are refused.
mk5() { "$py" "$top/tests/tools/mkusage.py" -k "$1" -u "$u5" seq="$2" start="$3" end="$4"; }
{
	mk5 "$tmp/old.key" 1 2026-11-21T10:00:00Z 2026-11-21T10:20:00Z
	mk5 "$tmp/old.key" 2 2026-11-21T10:20:00Z 2026-11-21T10:30:00Z
	mk5 "$B5/units/$u5.key" 3 2026-11-21T10:40:00Z 2026-11-21T10:50:00Z
} >"$tmp/use5"
export TERRA_NOW=2026-11-21T11:05:00Z
ok "5. the hour is metered in the buyer's home" sh -c 'terra-meter -H "$1" -p "$2" "$3" >"$4"' - "$B5" "$P" "$tmp/use5" "$tmp/m5"
is "$(field "$tmp/m5" "$seller5" '"\(.busy_us) \(.first_seq) \(.last_seq)"')" "1800000000 1 2" \
	"5. the seller: its 30 minutes, by the old key"
is "$(field "$tmp/m5" "$buyer5" '"\(.busy_us) \(.first_seq) \(.last_seq)"')" "600000000 3 3" \
	"5. the buyer: its 10, by the new key"
terra-register -H "$B5" history -o json >"$tmp/bh5.ndjson"
ok "5. the same on a settlement host with both histories" \
	sh -c 'terra-meter -H "$1" -u "$2" -u "$3" -p "$4" "$5" >"$6"' - "$H" "$tmp/h5.ndjson" "$tmp/bh5.ndjson" "$P" "$tmp/use5" "$tmp/m5h"
is "$(jq -c 'del(.sig, .signer)' "$tmp/m5h")" "$(jq -c 'del(.sig, .signer)' "$tmp/m5")" "5. (the same meter records)"
keep5() { sqlite3 "$B5/terra.db" .dump >"$tmp/b5.before"; }
keep5
refused5() { # refused5 NAME FILE PATTERN: metered in the buyer's home: exit 1, PATTERN, nothing counted
	st=0
	terra-meter -H "$B5" -p "$P" "$2" >"$tmp/out5" 2>"$tmp/err" || st=$?
	is "$st" 1 "5. $1: refused (exit 1)"
	like "$(errs "$tmp/err")" "$3" "5. $1: the message names file, line and why"
	ok "5. $1: nothing counted" test ! -s "$tmp/out5"
}
mk5 "$tmp/old.key" 3 2026-11-21T10:40:00Z 2026-11-21T10:45:00Z >"$tmp/bad5"
refused5 "the seller's old key after the rotation" "$tmp/bad5" \
	"^terra-meter: $tmp/bad5:1: usage record: unit '$u5': seq 3 signed by an old key, rotated out at 2026-11-21T10:30:00.000000Z from seq 3$"
mk5 "$tmp/old.key" 2 2026-11-21T10:40:00Z 2026-11-21T10:45:00Z >"$tmp/bad5"
refused5 "the old key with an old seq, after the rotation" "$tmp/bad5" "seq 2 signed by an old key, rotated out at"
mk5 "$B5/units/$u5.key" 4 2026-11-21T10:10:00Z 2026-11-21T10:15:00Z >"$tmp/bad5"
refused5 "the new key before it took over" "$tmp/bad5" \
	"^terra-meter: $tmp/bad5:1: usage record: unit '$u5': seq 4 signed by a key that took over only at 2026-11-21T10:30:00.000000Z, from seq 3$"
mk5 "$B5/units/$u5.key" 1 2026-11-21T10:40:00Z 2026-11-21T10:45:00Z >"$tmp/bad5"
refused5 "the new key with a seq of the old one" "$tmp/bad5" "seq 1 signed by a key that took over only at"
sqlite3 "$B5/terra.db" .dump >"$tmp/b5.after"
ok "5. the buyer's home is unchanged by the meter" cmp -s "$tmp/b5.before" "$tmp/b5.after"
# Forged rotations in shipped unit records (-u): the seller, still the
# owner, publishes a rotation to a key of its own without the old key's
# signature, or with a signature by another key; refused, the unit kept.
forge5() { # forge5 FILE JQ: the rekey version of h5 changed by JQ, signed by the seller
	sed -n 2p "$tmp/h5.ndjson" | jq -c "$2" | "$py" "$top/tests/tools/signrec.py" "$S5/owner.key" >"$1"
}
sed -n 1p "$tmp/h5.ndjson" >"$tmp/first5"
thiefkey=$(jq -r .unit_pub "$tmp/u5" | tr 0-9a-f a-f0-9)
forge5 "$tmp/f5" "del(.unit_sig) | .unit_pub = \"$thiefkey\""
st=0
terra-meter -H "$H" -u "$tmp/first5" -u "$tmp/f5" -p "$P" "$tmp/use5" >"$tmp/out5" 2>"$tmp/err" || st=$?
is "$st" 1 "5. a rotation without the old key's signature: refused (exit 1)"
like "$(errs "$tmp/err")" "^terra-meter: $tmp/f5:1: unit record: unit '$u5': field 'unit_pub' changed without the old unit key's signature$" \
	"5. the message names file, line and why"
forge5 "$tmp/f5" ".unit_pub = \"$thiefkey\""
st=0
terra-meter -H "$H" -u "$tmp/first5" -u "$tmp/f5" -p "$P" "$tmp/use5" >"$tmp/out5" 2>"$tmp/err" || st=$?
is "$st" 1 "5. a unit_sig over another key: refused (exit 1)"
like "$(errs "$tmp/err")" "^terra-meter: $tmp/f5:1: unit record: unit '$u5': bad signature: field 'unit_sig' is not by the old unit key$" \
	"5. the message says the old key did not sign it"
forge5 "$tmp/f5" ".seq_from = 1"
st=0
terra-meter -H "$H" -u "$tmp/first5" -u "$tmp/f5" -p "$P" "$tmp/use5" >"$tmp/out5" 2>"$tmp/err" || st=$?
is "$st" 1 "5. a rotation that changes its seq_from after the old key signed: refused (exit 1)"
like "$(errs "$tmp/err")" "bad signature: field 'unit_sig' is not by the old unit key$" "5. (its unit_sig no longer holds)"
# The buyer imports a unit that is not its own: refused, nothing changed.
sqlite3 "$B5/terra.db" .dump >"$tmp/b5.before"
st=0
terra-register -H "$B5" import "$tmp/units.ndjson" >/dev/null 2>"$tmp/err" || st=$?
is "$st" 1 "5. importing someone else's unit: refused (exit 1)"
like "$(errs "$tmp/err")" "^terra-register: unit '$unit' is owned by $buyer, not by this home's owner key: not imported$" \
	"5. the message names the unit and its owner"
sqlite3 "$B5/terra.db" .dump >"$tmp/b5.after"
ok "5. the buyer's home is unchanged" cmp -s "$tmp/b5.before" "$tmp/b5.after"
# Now the buyer's: it retires it.
ok "5. the buyer retires the unit" sh -c 'terra-register -H "$1" retire "$2" >/dev/null 2>&1' - "$B5" "$u5"
ok "5. its ledger verifies" verifies -H "$B5"
fails 1 "5. the seller can no longer rotate or retire it" \
	sh -c 'terra-register -H "$1" retire "$2" >/dev/null 2>&1' - "$S5" "$u5"

# 6. A rotation in the unit's own home while terra-run uses it: the run
# stops within one --interval, signing nothing with the old key after the
# change; the next run signs with the new key, and both runs' usage counts.
R6=$tmp/r6
export TERRA_NOW=2026-11-21T10:00:00Z
home_init -H "$R6"
terra-probe --bench none --mem-test 1 2>/dev/null | terra-register -H "$R6" >"$tmp/r6.units" 2>/dev/null
r6=$(jq -r 'select(.type == "unit") | .unit' "$tmp/r6.units" | head -n 1)
old6=$(jq -r "select(.unit == \"$r6\") | .unit_pub" "$tmp/r6.units")
TERRA_HOME=$R6 terra-run -u "$r6" -w sha256d --interval 0.2 --share-bits 12 >"$tmp/run6" 2>"$tmp/run6.err" &
pid=$!
trap 'kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT
i=0
while [ ! -s "$tmp/run6" ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
ok "6. (the run is running)" test -s "$tmp/run6"
TERRA_NOW=2026-11-21T10:30:00Z terra-register -H "$R6" rekey "$r6" >"$tmp/rekey6" 2>/dev/null
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 1200 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -9 $pid 2>/dev/null || :
st=0
wait $pid || st=$?
trap 'rm -rf "$tmp"' EXIT
is "$st" 1 "6. the run ends by itself (exit 1)"
like "$(errs "$tmp/run6.err")" "^terra-run: job '[^']*' on unit $r6: stopped: the unit is signed for by another key now \(rekey\)$" \
	"6. it says why"
is "$(jq -r .signer "$tmp/run6" | sort -u)" "$old6" "6. everything it signed, it signed with the old key"
new6=$(jq -r .unit_pub "$tmp/rekey6")
ok "6. the home holds the new key" test "$new6" != "$old6"
ok "6. (no key.new left)" test ! -e "$R6/units/$r6.key.new"
ok "6. a new run uses the unit" sh -c 'TERRA_NOW=2026-11-21T10:31:00Z TERRA_HOME=$1 terra-run -u "$2" -w sha256d --work 1000 --share-bits 12 >"$3" 2>/dev/null' - \
	"$R6" "$r6" "$tmp/run6b"
is "$(jq -r .signer "$tmp/run6b" | sort -u)" "$new6" "6. signed with the new key"
# (a seq the old run took just as the rekey committed is skipped, never signed)
ok "6. from the rekey's seq_from on" test "$(jq -r .seq "$tmp/run6b" | head -n 1)" -ge "$(jq -r .seq_from "$tmp/rekey6")"
ok "6. the old run signed nothing from seq_from on" \
	test "$(jq -r .seq "$tmp/run6" | sort -n | tail -n 1)" -lt "$(jq -r .seq_from "$tmp/rekey6")"
export TERRA_NOW=2026-11-21T11:05:00Z
ok "6. both runs' usage is metered" sh -c 'terra-meter -H "$1" -p "$2" "$3" "$4" >"$5"' - "$R6" "$P" "$tmp/run6" "$tmp/run6b" "$tmp/m6"
is "$(jq -r .records "$tmp/m6")" "$(cat "$tmp/run6" "$tmp/run6b" | wc -l | tr -d ' ')" "6. every record counted"
ok "6. the ledger verifies" verifies -H "$R6"

done_testing
