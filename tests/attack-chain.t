#!/bin/sh
# Attacks on the chain from usage to payout (issue 13), each performed and
# each refused: its exit status, its message (file and line where the input
# is a file), and the ledger left as it was (its SQL dump compared) and
# still verifying. Nobody pays themselves by writing a line.
. "$(dirname "$0")/setup"
P1=2026-11-21T10:00:00Z/PT1H
P2=2026-11-21T11:00:00Z/PT1H
dump() { sqlite3 "$TERRA_HOME/terra.db" .dump; }
keep() { dump >"$tmp/before"; } # keep: the ledger as it is now, for unchanged
unchanged() { # unchanged WHAT: the ledger is the one kept, and verifies
	dump >"$tmp/after"
	ok "$1: the ledger is unchanged" cmp -s "$tmp/before" "$tmp/after"
	ok "$1: the ledger verifies" verifies
}
entries() { sqlite3 "$TERRA_HOME/terra.db" 'SELECT count(*) FROM entries'; }
printf 'account,balance\nalice,300\nbob,100\n' >"$tmp/h.csv"

# A provider's home with the fixture node's units, and usage signed by their keys.
home_init
terra-register <"$fixtures/devices/node.ndjson" >"$tmp/units.ndjson" 2>/dev/null
owner=$(cat "$TERRA_HOME/owner.pub")
cp -R "$TERRA_HOME" "$tmp/template"
u1=$(jq -r 'select(.type == "unit") | .unit' "$tmp/units.ndjson" | sed -n 1p)
u2=$(jq -r 'select(.type == "unit") | .unit' "$tmp/units.ndjson" | sed -n 2p)
usage() { # usage UNIT SEQ START END
	$py "$top/tests/tools/mkusage.py" -k "$TERRA_HOME/units/$1.key" -u "$1" seq="$2" \
		start="$3" end="$4" busy_us=600000000 work=4096 mine=8
}
{
	usage "$u1" 1 2026-11-21T10:00:00Z 2026-11-21T10:10:00Z
	usage "$u1" 2 2026-11-21T10:10:00Z 2026-11-21T10:20:00Z
	usage "$u2" 1 2026-11-21T10:00:00Z 2026-11-21T10:10:00Z
} >"$tmp/usage.ndjson"
# the attacker's key: another home
A=$tmp/attacker
home_init -H "$A"
mallory=$(cat "$A/owner.pub")
forged='{"type":"meter","v":1,"period":"2026-11-21T10:00:00.000000Z/2026-11-21T11:00:00.000000Z","unit":"0123456789abcdef0123456789abcdef","owner":"'$mallory'","score":1,"busy_us":9000000000000000000,"weight":9000000000000000000,"first_seq":1,"last_seq":1}'
settle() { # settle ARGS...: terra-settle for P1, stdout to $tmp/out, stderr to $tmp/err
	terra-settle -p $P1 --revenue 100 --holders "$tmp/h.csv" "$@" >"$tmp/out" 2>"$tmp/err"
}

# A1. A forged meter line with a huge weight in a provider's usage file:
# terra-meter refuses it (it never passes a meter record through).
{ sed -n 1p "$tmp/usage.ndjson"; echo "$forged"; sed -n '2,$p' "$tmp/usage.ndjson"; } >"$tmp/forged-usage.ndjson"
keep
fails 1 "A1. terra-meter refuses a meter line in a usage file" \
	sh -c 'terra-meter -p "$1" "$2" >"$3" 2>"$4"' - $P1 "$tmp/forged-usage.ndjson" "$tmp/m.out" "$tmp/err"
like "$(errs "$tmp/err")" "forged-usage\\.ndjson:2: meter record: made only by a trusted stage, refused here" \
	"A1. named with file and line, and why"
is "$(jq -r .owner "$tmp/m.out" | sort -u)" "$owner" "A1. the meter records are the provider's only"
is "$(jq -r .signer "$tmp/m.out" | sort -u)" "$owner" "A1. signed by the metering home's key"
# the honest meter records, for what follows
terra-meter -p $P1 "$tmp/usage.ndjson" >"$tmp/m1.ndjson" 2>/dev/null

# A2. The same line handed to terra-settle with the real meter records: refused.
cat "$tmp/m1.ndjson" >"$tmp/m-forged.ndjson"
echo "$forged" >>"$tmp/m-forged.ndjson"
fails 3 "A2. terra-settle refuses an unsigned meter record" settle "$tmp/m-forged.ndjson"
like "$(errs "$tmp/err")" "m-forged\\.ndjson:3: meter record: not signed" "A2. the message names the line"
like "$(errs "$tmp/err")" "nothing settled" "A2. nothing settled"
unchanged "A2. unsigned meter record"

# A3. Signed by the attacker's own key: not a trusted meter key.
echo "$forged" | signmeter "$A" >"$tmp/m-mallory.ndjson"
cat "$tmp/m1.ndjson" "$tmp/m-mallory.ndjson" >"$tmp/m3.ndjson"
fails 3 "A3. a meter record signed by an untrusted key is refused" settle "$tmp/m3.ndjson"
like "$(errs "$tmp/err")" "m3\\.ndjson:3: meter record: signer $mallory is not a trusted meter key" \
	"A3. the message names the signer"
unchanged "A3. untrusted signer"

# A4. A trusted key (--meter-key) cannot give a registered unit another
# owner, and no key makes a weight that does not follow from its fields.
jq -c --arg u "$u1" --arg o "$mallory" 'del(.sig, .signer) | select(.unit == $u) | .owner = $o' \
	"$tmp/m1.ndjson" | signmeter "$A" >"$tmp/m4.ndjson"
fails 3 "A4. a registered unit with another owner is refused" \
	settle --meter-key "$A/owner.pub" "$tmp/m4.ndjson"
like "$(errs "$tmp/err")" "m4\\.ndjson:1: meter record: unit '$u1' is registered to another owner" \
	"A4. the message names the unit"
unchanged "A4. another owner"
jq -c 'del(.sig, .signer)' "$tmp/m1.ndjson" | sed 's/"weight":[0-9]*/"weight":9000000000000000000/' |
	signmeter >"$tmp/m5.ndjson"
fails 3 "A4. a weight that is not the verified work by its rates is refused, even signed" settle "$tmp/m5.ndjson"
like "$(errs "$tmp/err")" "m5\\.ndjson:1: meter record: field 'weight' 9000000000000000000 is not the verified work by its rates \\([0-9]+\\)" \
	"A4. the message names the weight"
unchanged "A4. weight"

# A5. A forged payout line, in a usage file and in the meter records:
# refused, never in the payouts.
pay='{"type":"payout","v":1,"period":"2026-11-21T10:00:00.000000Z/2026-11-21T11:00:00.000000Z","account":"'$mallory'","role":"contributor","amount":"1000000.000000000","entry":2}'
{ cat "$tmp/usage.ndjson"; echo "$pay"; } >"$tmp/pay-usage.ndjson"
fails 1 "A5. terra-meter refuses a payout line" \
	sh -c 'terra-meter -p "$1" "$2" >"$3" 2>"$4"' - $P1 "$tmp/pay-usage.ndjson" "$tmp/m.out" "$tmp/err"
like "$(errs "$tmp/err")" "pay-usage\\.ndjson:4: payout record: made only by a trusted stage" "A5. terra-meter says why"
ok "A5. not passed through by terra-meter" sh -c '! grep -q payout "$1"' - "$tmp/m.out"
{ cat "$tmp/m1.ndjson"; echo "$pay"; } >"$tmp/m-pay.ndjson"
fails 1 "A5. terra-settle refuses a payout line" settle "$tmp/m-pay.ndjson"
like "$(errs "$tmp/err")" "m-pay\\.ndjson:3: payout record: made only by a trusted stage" "A5. terra-settle says why"
ok "A5. no payout to the attacker" sh -c '! grep -q "$1" "$2"' - "$mallory" "$tmp/out"
unchanged "A5. forged payout"

# A6. A meter line in a renter's job file: terra-run refuses it too (it
# needs a device of this machine registered before it reads jobs).
R=$tmp/runner
home_init -H "$R"
terra-probe --bench none --mem-test 1 2>/dev/null | terra-register -H "$R" >/dev/null 2>&1 || true
echo "$forged" >"$tmp/job-forged.json"
if [ "$(sqlite3 "$R/terra.db" 'SELECT count(*) FROM units')" = 0 ]; then
	skip "A6. terra-run" "no OpenCL device registered"
else
	fails 1 "A6. terra-run refuses a meter line in a job file" \
		sh -c 'terra-run -H "$1" "$2" >"$3" 2>"$4"' - "$R" "$tmp/job-forged.json" "$tmp/r.out" "$tmp/err"
	like "$(errs "$tmp/err")" "job-forged\\.json:1: meter record: made only by a trusted stage" \
		"A6. the message names the line"
	ok "A6. nothing passed through" test ! -s "$tmp/r.out"
fi

# The honest settlement, then a dry run of the next hour (D).
fails 0 "the honest meter records settle" settle "$tmp/m1.ndjson"
is "$(jq -r 'select(.role == "contributor") | .account' "$tmp/out")" "$owner" "the owner is paid"
terra-meter -p $P2 "$tmp/usage.ndjson" >"$tmp/m2.ndjson" 2>/dev/null
keep
fails 0 "D. terra-settle -n runs" sh -c 'terra-settle -n -p "$1" --revenue 100 --holders "$2" >"$3" 2>"$4"' \
	- $P2 "$tmp/h.csv" "$tmp/out" "$tmp/err"
like "$(errs "$tmp/err")" "dry run: would append settlement entry [0-9]+, pool 100\\.000000000, and pay the 4 payouts on stdout: nothing changed" \
	"D. says what it would append"
is "$(jq -r .type "$tmp/out" | sort -u)" payout "D. prints the payouts it would pay"
unchanged "D. dry run"

# B1. Overlapping periods: the same usage under a day, the hour shifted by a
# microsecond, a minute inside the hour. Each refused.
overlap() { # overlap NAME PERIOD OTHER: PERIOD refused, naming OTHER
	keep
	# metered where nothing was paid yet and without the nonces (the usage was
	# paid: the home's meter and terra-settle refuse it as such, lib/paid.h):
	# the settlement must refuse the period itself
	TERRA_HOME=$tmp/template terra-meter -p "$2" "$tmp/usage.ndjson" |
		jq -c 'del(.sig, .signer) | .evidence = []' | signmeter >"$tmp/mo.ndjson"
	fails 1 "B1. $1: refused" sh -c 'terra-settle -p "$1" --revenue 100 --holders "$2" "$3" >"$4" 2>"$5"' \
		- "$2" "$tmp/h.csv" "$tmp/mo.ndjson" "$tmp/out" "$tmp/err"
	like "$(errs "$tmp/err")" "overlaps period $3, settled in entry [0-9]+" "B1. $1: the message"
	unchanged "B1. $1"
}
H1=2026-11-21T10:00:00.000000Z/2026-11-21T11:00:00.000000Z
overlap "P1D around the hour" 2026-11-21T00:00:00Z/P1D $H1
overlap "the hour shifted by 1 microsecond" 2026-11-21T10:00:00.000001Z/PT1H $H1
overlap "PT1M inside the hour" 2026-11-21T10:30:00Z/PT1M $H1

# B3. The settlements row's inputs_digest changed (in a copy of the home):
# verify compares it with the settlement entry's.
cp -R "$TERRA_HOME" "$tmp/b3home"
sqlite3 "$tmp/b3home/terra.db" "DROP TRIGGER settlements_no_update;
UPDATE settlements SET inputs_digest = replace(inputs_digest, substr(inputs_digest, 1, 1),
  CASE substr(inputs_digest, 1, 1) WHEN '0' THEN '1' ELSE '0' END) WHERE period = '$H1';"
fails 3 "B3. verify sees a changed settlements.inputs_digest" \
	sh -c 'terra-ledger -H "$1" verify >/dev/null 2>"$2"' - "$tmp/b3home" "$tmp/err"
like "$(errs "$tmp/err")" "entry [0-9]+: settlements row of period $H1: inputs_digest differs from the entry's" \
	"B3. verify: the message"
ok "B3. (the untouched home verifies)" verifies

# B4. An empty export (or one cut down to nothing) proves nothing: verify
# --pubkey refuses it instead of reporting a verified ledger of size 0.
: >"$tmp/empty.ndjson"
fails 3 "B4. verify --pubkey of an empty export fails (exit 3)" \
	sh -c 'terra-ledger verify --pubkey "$1" <"$2" >"$3" 2>"$4"' - "$owner" "$tmp/empty.ndjson" "$tmp/out" "$tmp/err"
like "$(errs "$tmp/err")" "^terra-ledger: verify: the export holds no entries: nothing verified$" "B4. the message"
ok "B4. no verified record written" test ! -s "$tmp/out"
terra-ledger export -f ndjson >"$tmp/b4.ndjson"
ok "B4. (the home's own export verifies)" \
	sh -c 'terra-ledger verify --pubkey "$1" <"$2" >/dev/null' - "$owner" "$tmp/b4.ndjson"

# B2. The settlements row deleted: the entry still says the hour is settled.
keep
sqlite3 "$TERRA_HOME/terra.db" "DROP TRIGGER settlements_no_delete;
DELETE FROM settlements WHERE period = '$H1';"
dump >"$tmp/before"
fails 1 "B2. settling a period whose settlements row was deleted is refused" \
	settle "$tmp/m1.ndjson"
like "$(errs "$tmp/err")" "period $H1 already settled \\(entry [0-9]+\\)" "B2. found from the entries"
ok "B2. the ledger is unchanged" sh -c 'sqlite3 "$1" .dump | cmp -s - "$2"' - "$TERRA_HOME/terra.db" "$tmp/before"
fails 3 "B2. verify sees the missing settlements row" sh -c 'terra-ledger verify >/dev/null 2>"$1"' - "$tmp/err"
like "$(errs "$tmp/err")" "entry [0-9]+: settlement of period $H1 has no settlements row" "B2. verify: the message"

# C. One provider's bad line: quarantined with --reject, the rest settled.
TERRA_HOME=$tmp/template
terra-meter -p $P1 "$tmp/usage.ndjson" >"$tmp/mc.ndjson" 2>/dev/null
echo "$forged" >>"$tmp/mc.ndjson"
keep
n=$(entries)
fails 3 "C. without --reject: a bad line settles nothing" settle "$tmp/mc.ndjson"
unchanged "C. without --reject"
fails 3 "C. with --reject: exit 3 still (a signature)" settle --reject "$tmp/quarantine.ndjson" "$tmp/mc.ndjson"
like "$(errs "$tmp/err")" "1 bad line quarantined in '$tmp/quarantine.ndjson': settling the rest" "C. says so"
like "$(errs "$tmp/err")" "mc\\.ndjson:3: meter record: not signed" "C. and why"
is "$(cat "$tmp/quarantine.ndjson")" "$forged" "C. the bad line quarantined verbatim"
is "$(entries)" $((n + 1)) "C. the rest settled: one entry"
is "$(jq -r 'select(.role == "contributor") | .account' "$tmp/out")" "$owner" "C. the provider paid"
fails 0 "C. the ledger verifies" sh -c 'terra-ledger verify >/dev/null'

done_testing
