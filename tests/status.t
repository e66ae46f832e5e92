#!/bin/sh
# terra-ledger status and earnings over a home with three days of hourly
# settlements and a sick H100 (tests/tools/dashhome.sh): per-unit earnings
# recomputed from the ledger sum exactly to the owner's balance plus what
# was paid; the status shows health, last work, what is owed and paid, and
# whether the ledger verifies (exit 1 when it does not).
. "$(dirname "$0")/setup"
. "$top/tests/tools/dashhome.sh"
dash_home 3
export TERRA_NOW=2026-11-04T05:30:00Z
bal() { terra-ledger balance "$1" | jq -r .amount; }
# Sums of 9-decimal amounts, exactly, in integers.
sum_amounts() { $py -c 'import sys
from decimal import Decimal
print("%.9f" % sum(Decimal(l) for l in sys.stdin.read().split()))'; }

terra-ledger earnings >"$tmp/earn.ndjson"
is "$(jq -r .owner "$tmp/earn.ndjson" | sort -u)" "$owner" "every earning is the owner's"
is "$(jq -r .amount "$tmp/earn.ndjson" | sum_amounts)" \
	"$(printf '%s\n%s\n' "$(bal "$owner")" "$(bal paid)" | sum_amounts)" \
	"the units' earnings sum to the owner's balance plus what was paid"
is "$(jq -r 'select(.unit == "'"$gpu2"'") | .period' "$tmp/earn.ndjson" | grep -c 2026-11-03T1)" 0 \
	"the sick H100 earned nothing while sick"
is "$(terra-ledger earnings -p 2026-11-02T00:00:00Z/P1D | jq -r .period | sort -u | wc -l)" 24 \
	"-p: the settled hours of one day"
like "$(terra-ledger -o csv earnings | head -n 1)" "^period,unit,owner,weight,amount$" \
	"-o csv: a header"

terra-ledger status >"$tmp/st.ndjson"
is "$(jq -r 'select(.type == "unit-status") | .unit' "$tmp/st.ndjson" | wc -l)" 4 \
	"a unit-status record per unit"
is "$(jq -r 'select(.unit == "'"$gpu2"'") | .health + " " + .last_work' "$tmp/st.ndjson")" \
	"sick 2026-11-03T06:00:00.000000Z" "the sick H100: sick, last work when it fell sick"
is "$(jq -r 'select(.unit == "'"$gpu1"'") | .earned' "$tmp/st.ndjson")" \
	"$(jq -r 'select(.unit == "'"$gpu1"'") | .amount' "$tmp/earn.ndjson" | sum_amounts)" \
	"a unit's earned is the sum of its earnings"
home=$(jq -c 'select(.type == "status")' "$tmp/st.ndjson")
is "$(echo "$home" | jq -r '[.settlements, .settled_until, .unsettled_hours, .sick,
	.verified] | map(tostring) | join(" ")')" \
	"72 2026-11-04T00:00:00.000000Z 5 1 true" "settled until, hours since, sick units, verified"
is "$(echo "$home" | jq -r .paid)" "$(bal paid)" "paid: the paid account"
is "$(echo "$home" | jq -r .owed)" "$(terra-ledger balance | jq -r 'select(.account != "paid"
	and .account != "carry" and (.amount | startswith("-") | not)) | .amount' | sum_amounts)" \
	"owed: the positive balances but paid and carry"
COLUMNS=100 terra-ledger -o table status >"$tmp/st.table"
# Ids are cut to fit the terminal: the row starts with a prefix of the unit.
like "$(cat "$tmp/st.table")" "^${gpu2%????????????}[0-9a-f]* +active +sick +2026-11-03T06:00:00Z +54 +" \
	"the table: a row per unit, nothing running"
like "$(cat "$tmp/st.table")" "^verified +yes$" "... and the home, verified"
is "$(awk '{ if (length($0) > w) w = length($0) } END { print (w <= 100) }' "$tmp/st.table")" 1 \
	"the table fits 100 columns"
like "$(terra-ledger -o csv status | head -n 1)" "^unit,state,kind,name,health," "-o csv"

sqlite3 "$TERRA_HOME/terra.db" "DROP TRIGGER entries_no_update;
	UPDATE entries SET created_at = '2020-01-01T00:00:00.000000Z' WHERE seq = 9"
fails 1 "a tampered ledger: status exits 1" sh -c 'terra-ledger status >"$1" 2>"$2"' - \
	"$tmp/st2" "$tmp/err"
is "$(jq -r 'select(.type == "status") | .verified' "$tmp/st2")" false "verified: false"
like "$(cat "$tmp/err")" "^terra-ledger: the ledger does not verify: " "saying why on stderr"
fails 0 "--no-verify: exit 0" sh -c 'terra-ledger status --no-verify >"$1"' - "$tmp/st3"
is "$(jq -r 'select(.type == "status") | .verified' "$tmp/st3")" null "verified: null"
done_testing
