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
	ok "$1: the ledger verifies" sh -c 'terra-ledger verify >/dev/null'
}
printf 'account,balance\nalice,1\n' >"$tmp/h.csv"
usage() { # usage HOME UNIT SEQ START END [FIELD=VALUE...]: a signed usage record
	_h=$1 _u=$2 _s=$3 _a=$4 _b=$5
	shift 5
	"$py" "$top/tests/tools/mkusage.py" -k "$_h/units/$_u.key" -u "$_u" seq="$_s" \
		start="$_a" end="$_b" "$@"
}
field() { # field FILE OWNER JQ: JQ of the meter record of OWNER in FILE
	jq -r --arg o "$2" "select(.type == \"meter\" and .owner == \$o) | $3" "$1"
}

# The seller registers a device at 10:00 and sells it to the buyer at 10:30.
terra-register init 2>/dev/null
seller=$(cat "$TERRA_HOME/owner.pub")
S=$TERRA_HOME
B=$tmp/buyer
terra-register -H "$B" init 2>/dev/null
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
ok "1. the hour is metered" sh -c 'terra-meter -p "$1" "$2" >"$3"' - "$P" "$tmp/usage.ndjson" "$tmp/m1"
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
ok "1. the ledger verifies" sh -c 'terra-ledger verify >/dev/null'
terra-ledger export -f ndjson >"$tmp/export.ndjson"
ok "1. the export verifies with the public key alone" \
	sh -c 'terra-ledger verify --pubkey "$1" <"$2" >/dev/null' - "$seller" "$tmp/export.ndjson"
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
terra-register -H "$H" init 2>/dev/null
terra-register history -o json >"$tmp/units.ndjson"
printf '%s\n%s\n' "$seller" "$buyer" >"$tmp/owners"
ok "3. the host meters the hour" sh -c 'terra-meter -H "$1" -u "$2" --owners "$3" -p "$4" "$5" >"$6"' - \
	"$H" "$tmp/units.ndjson" "$tmp/owners" "$P" "$tmp/usage.ndjson" "$tmp/m3"
is "$(field "$tmp/m3" "$seller" .busy_us) $(field "$tmp/m3" "$buyer" .busy_us)" "1800000000 1200000000" \
	"3. the same split as in the seller's home"
ok "3. and settles it" sh -c 'terra-settle -H "$1" --revenue 100 --holders "$2" "$3" >"$4" 2>/dev/null' - \
	"$H" "$tmp/h.csv" "$tmp/m3" "$tmp/pay3"
is "$(jq -r --arg o "$buyer" 'select(.account == $o) | .amount' "$tmp/pay3")" 28.000000000 "3. the buyer is paid its part"
ok "3. the host's ledger verifies" sh -c 'terra-ledger -H "$1" verify >/dev/null' - "$H"
terra-ledger -H "$H" export -f ndjson >"$tmp/export3.ndjson"
ok "3. and its export, with the public key alone" \
	sh -c 'terra-ledger verify --pubkey "$1" <"$2" >/dev/null' - "$(cat "$H/owner.pub")" "$tmp/export3.ndjson"
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
	sh -c 'terra-meter -H "$1" -p "$2" "$3" >"$4"' - "$R" "$P" "$tmp/r1.ndjson" "$tmp/mr"
is "$(jq -r '"\(.busy_us) \(.work) \(.records)"' "$tmp/mr")" "900000000 1500 1" \
	"4. up to retired_at: 15 of its 30 minutes, half its work"
terra-register -H "$R" history -o json >"$tmp/r.units"
ok "4. the same from the unit records on a settlement host" \
	sh -c 'terra-meter -H "$1" -u "$2" -p "$3" "$4" >"$5"' - "$H" "$tmp/r.units" "$P" "$tmp/r1.ndjson" "$tmp/mr2"
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
ok "4. the ledger verifies" sh -c 'terra-ledger -H "$1" verify >/dev/null' - "$R"

done_testing
