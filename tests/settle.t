#!/bin/sh
# terra-settle: a whole settlement from registered units' meter records and
# a holders CSV; exact sums; exactly once; holders CSV layouts and bad rows;
# carry; policies; options.
. "$(dirname "$0")/setup"
sfx=$fixtures/settle
p1=2026-11-21T09:00:00.000000Z/2026-11-21T10:00:00.000000Z
p2=2026-11-21T10:00:00.000000Z/2026-11-21T11:00:00.000000Z
db() { sqlite3 "$TERRA_HOME/terra.db" "$1"; }
entries() { db 'SELECT count(*) FROM entries'; }
# sum of the "amount" fields of records on stdin, in base units (exact)
sum_units() { $py -c 'import sys, json
print(sum(int(json.loads(l)["amount"].replace(".", "")) for l in sys.stdin if l.strip()))'; }
# meter records for the registered units: meter PERIOD WEIGHT-FACTOR < units
meter() {
	jq -c --arg p "$1" --argjson f "$2" 'select(.type == "unit") | {type: "meter", v: 1,
		period: $p, start: ($p | split("/")[0]), end: ($p | split("/")[1]), unit, owner,
		busy_us: (1800000 * $f), utilization_ppm: 500000, score, weight: (.score * 1800000 * $f),
		records: 3, first_seq: 1, last_seq: 3, usage_root: ("00" * 32), work: 5,
		charge: "10.000000000"}' | signmeter
}

# Options.
like "$(terra-settle -h)" '^usage: terra-settle' "-h prints the usage on stdout"
like "$(terra-settle -V)" '^terra-settle [0-9]' "-V prints the version"
fails 2 "an unknown option is a usage error" terra-settle --bogus --holders x
fails 2 "--holders is required" terra-settle --revenue 1 </dev/null
fails 2 "a bad --revenue is a usage error" terra-settle --revenue 1.2.3 --holders x </dev/null
fails 2 "a negative --revenue is a usage error" terra-settle --revenue -1 --holders x </dev/null
fails 2 "shares not summing to 10000 are a usage error" \
	terra-settle --contributors 7000 --holders-share 2000 --treasury 999 --holders x </dev/null
fails 2 "one share alone is a usage error" terra-settle --treasury 10000 --holders x </dev/null
fails 2 "--policy with shares is a usage error" \
	terra-settle --policy x --contributors 10000 --holders-share 0 --treasury 0 --holders x
fails 2 "a bad -p is a usage error" terra-settle -p yesterday --holders x </dev/null
err=$(terra-settle --revenue 1 --holders "$sfx/holders.csv" -p "$p1" </dev/null 2>&1 || true)
like "$err" "terra-register init" "without a home: names the command that fixes it"

# A home with the fixture node's units, and their meter records.
home_init
terra-register <"$fixtures/devices/node.ndjson" >"$tmp/units.ndjson" 2>/dev/null
owner=$(cat "$TERRA_HOME/owner.pub")
template=$tmp/template
cp -R "$TERRA_HOME" "$template"
meter "$p1" 1 <"$tmp/units.ndjson" >"$tmp/m1.ndjson"
is "$(wc -l <"$tmp/m1.ndjson" | tr -d ' ')" 3 "three units metered"
# a unit of another owner, and a unit that did no work
other=$(printf 'b%.0s' $(seq 64))
printf '{"type":"meter","v":1,"period":"%s","unit":"%s","owner":"%s","weight":%s,"charge":"1.000000000"}\n' \
	"$p1" 0123456789abcdef0123456789abcdef "$other" 40000000000000 \
	"$p1" fedcba9876543210fedcba9876543210 "$other" 0 | signmeter >>"$tmp/m1.ndjson"

# The settlement.
before=$(entries)
fails 0 "settle the period" sh -c 'terra-settle --revenue 1250.5 --holders "$1" <"$2" >"$3"' - \
	"$sfx/holders.csv" "$tmp/m1.ndjson" "$tmp/pay1.ndjson"
is "$(entries)" $((before + 1)) "one ledger entry appended"
is "$(db "SELECT count(*) FROM settlements WHERE period = '$p1'")" 1 "one settlements row"
is "$(db "SELECT count(*) FROM settlement_inputs WHERE period = '$p1'")" 5 \
	"settlement inputs: 5 units"
is "$(db "SELECT count(*) FROM snapshots WHERE digest = (SELECT json_extract(payload, '$.inputs.holders')
	FROM entries ORDER BY seq DESC LIMIT 1)")" 1 "and the holders snapshot, stored once"
is "$(db "SELECT json_extract(payload, '$.holders.count') || ' ' || json_extract(payload, '$.holders.total')
	FROM entries ORDER BY seq DESC LIMIT 1")" "3 250.100000000" \
	"the entry records 3 holders paid and their total, not each holder"
is "$(sum_units <"$tmp/pay1.ndjson")" 1250500000000 "payouts sum exactly to the pool"
is "$(jq -r .type "$tmp/pay1.ndjson" | sort -u)" payout "only payout records on stdout"
is "$(jq -r '.role' "$tmp/pay1.ndjson" | uniq | tr '\n' ' ')" "contributor holder treasury " \
	"contributors, then holders, then the treasury"
is "$(jq -r 'select(.role == "contributor") | .account' "$tmp/pay1.ndjson" | tr '\n' ' ')" \
	"$(printf '%s\n' "$owner" "$other" | sort | tr '\n' ' ')" "one payout per owner, by account"
is "$(jq -c 'select(.role == "contributor")' "$tmp/pay1.ndjson" | sum_units)" 875350000000 \
	"contributors get 70%"
is "$(jq -c 'select(.role == "holder")' "$tmp/pay1.ndjson" | sum_units)" 250100000000 \
	"holders get 20%"
is "$(jq -r 'select(.role == "treasury") | .amount' "$tmp/pay1.ndjson")" 125.050000000 \
	"the treasury gets 10%"
is "$(jq -r 'select(.account == "zero-balance")' "$tmp/pay1.ndjson")" "" \
	"a zero balance gets nothing"
is "$(jq -r 'select(.role == "holder") | "\(.account) \(.amount)"' "$tmp/pay1.ndjson" | tr '\n' ' ')" \
	"alice 166.733333334 bob 41.683333333 carol 41.683333333 " \
	"holders pro rata; the leftover unit to the largest remainder, ties by account"
is "$(jq -r .entry "$tmp/pay1.ndjson" | sort -u)" "$(db 'SELECT max(seq) FROM entries')" \
	"payouts name the settlement entry"
is "$(jq -r .period "$tmp/pay1.ndjson" | sort -u)" "$p1" "payouts name the period"
fails 0 "terra-ledger verify recomputes it" sh -c 'terra-ledger verify >/dev/null'
is "$(terra-ledger balance -o json | jq -r 'select(.account == "revenue") | .amount')" \
	-1250.500000000 "the revenue account balances the postings"

# Exactly once.
before=$(entries)
out=$(terra-settle --revenue 1250.5 --holders "$sfx/holders.csv" <"$tmp/m1.ndjson" 2>"$tmp/err")
is "$?" 0 "the same inputs again: exit 0"
like "$(cat "$tmp/err")" "already settled with the same inputs \(entry [0-9]+\): nothing changed" \
	"and says nothing changed"
is "$out" "$(cat "$tmp/pay1.ndjson")" "and prints the same payouts"
is "$(entries)" "$before" "no entry appended"
# the same set of inputs, written differently: still the same inputs
tac "$tmp/m1.ndjson" | jq -c -S . >"$tmp/m1r.ndjson"
fails 0 "meter records reordered, holders CSV relaid: the same inputs" \
	sh -c 'terra-settle --revenue 1250.500 --holders "$1" <"$2" >/dev/null' - \
	"$sfx/holders-crlf-bom.csv" "$tmp/m1r.ndjson"
is "$(entries)" "$before" "still no entry appended"
err=$(terra-settle --revenue 1250.6 --holders "$sfx/holders.csv" <"$tmp/m1.ndjson" 2>&1 >/dev/null || true)
like "$err" "^terra-settle: period $p1 already settled with other inputs$" \
	"another revenue: refused, named"
fails 1 "and exits 1" sh -c 'terra-settle --revenue 1250.6 --holders "$1" <"$2" >/dev/null 2>&1' - \
	"$sfx/holders.csv" "$tmp/m1.ndjson"
fails 1 "other holders: exit 1" sh -c 'terra-settle --revenue 1250.5 --holders "$1" <"$2" >/dev/null 2>&1' - \
	"$sfx/holders-other.csv" "$tmp/m1.ndjson"
fails 1 "another policy: exit 1" sh -c 'terra-settle --revenue 1250.5 --holders "$1" \
	--contributors 6000 --holders-share 3000 --treasury 1000 <"$2" >/dev/null 2>&1' - \
	"$sfx/holders.csv" "$tmp/m1.ndjson"
head -2 "$tmp/m1.ndjson" >"$tmp/m1-part.ndjson"
fails 1 "other meter records: exit 1" sh -c 'terra-settle --revenue 1250.5 --holders "$1" <"$2" >/dev/null 2>&1' - \
	"$sfx/holders.csv" "$tmp/m1-part.ndjson"
is "$(entries)" "$before" "refusals change nothing"
fails 0 "the ledger still verifies" sh -c 'terra-ledger verify >/dev/null'

# The pool from the charges; an empty holders list sends the holders' part to carry.
meter "$p2" 2 <"$tmp/units.ndjson" >"$tmp/m2.ndjson"
fails 0 "settle from the charges, with no holders" \
	sh -c 'terra-settle --holders "$1" <"$2" >"$3"' - "$sfx/holders-empty.csv" "$tmp/m2.ndjson" \
	"$tmp/pay2.ndjson"
is "$(sum_units <"$tmp/pay2.ndjson")" 30000000000 "pool = sum of the charges (3 x 10)"
is "$(jq -r 'select(.role == "carry") | "\(.account) \(.amount)"' "$tmp/pay2.ndjson")" \
	"carry 6.000000000" "the holders' 20% goes to the carry account"
# The next settlement takes the carry in.
p3=2026-11-21T11:00:00.000000Z/2026-11-21T12:00:00.000000Z
fails 0 "a period without meter records, given with -p" \
	sh -c 'terra-settle -p 2026-11-21T11:00:00Z/PT1H --revenue 4 --holders "$1" </dev/null >"$2"' - \
	"$sfx/holders.csv" "$tmp/pay3.ndjson"
is "$(sum_units <"$tmp/pay3.ndjson")" 10000000000 "pool = revenue 4 + carry 6"
is "$(jq -r 'select(.role == "carry") | .amount' "$tmp/pay3.ndjson")" 7.000000000 \
	"no contributors: their 70% goes to carry"
is "$(db "SELECT json_extract(payload, '$.carry_in') FROM entries ORDER BY seq DESC LIMIT 1")" \
	6.000000000 "the entry records carry_in"
is "$(terra-ledger balance -o json | jq -r 'select(.account == "carry") | .amount')" \
	7.000000000 "the carry balance is the new carry"
fails 0 "the ledger verifies" sh -c 'terra-ledger verify >/dev/null'

# Periods: from the records or -p; they must agree, and be one.
meter "2026-11-21T12:00:00Z/PT1H" 1 <"$tmp/units.ndjson" >"$tmp/m4.ndjson"
before=$(entries)
err=$(terra-settle -p 2026-11-21T13:00:00Z/PT1H --revenue 1 --holders "$sfx/holders.csv" \
	<"$tmp/m4.ndjson" 2>&1 >/dev/null || true)
like "$err" "<stdin>:1: meter record: period 2026-11-21T12:00:00.000000Z/2026-11-21T13:00:00.000000Z differs from 2026-11-21T13:00:00.000000Z/2026-11-21T14:00:00.000000Z" \
	"-p and the records disagree: named with the line"
like "$err" "nothing settled" "and nothing is settled"
meter "2026-11-21T13:00:00Z/PT1H" 1 <"$tmp/units.ndjson" | head -1 >>"$tmp/m4.ndjson"
fails 1 "two periods in the records: exit 1" sh -c 'terra-settle --revenue 1 --holders "$1" <"$2" 2>/dev/null' - \
	"$sfx/holders.csv" "$tmp/m4.ndjson"
fails 1 "no records and no -p: exit 1" sh -c 'terra-settle --revenue 1 --holders "$1" </dev/null 2>/dev/null' - \
	"$sfx/holders.csv"
jq -c "del(.charge, .sig, .signer)" "$tmp/m1.ndjson" | signmeter >"$tmp/m1nc.ndjson"
fails 1 "no revenue and no charges: exit 1" \
	sh -c 'terra-settle --holders "$1" <"$2" 2>/dev/null' - "$sfx/holders.csv" "$tmp/m1nc.ndjson"
printf '%s\n' '{"type":"meter","v":1,"period":"'"$p1"'","unit":"zz","owner":"x","weight":1}' \
	'{"type":"meter","v":1}' >"$tmp/bad.ndjson"
err=$(terra-settle --revenue 1 --holders "$sfx/holders.csv" <"$tmp/bad.ndjson" 2>&1 || true)
like "$err" "<stdin>:1: meter record: field 'unit'" "a bad meter record is named with its line"
like "$err" "<stdin>:2: meter record: missing field 'period'" "every bad one is"
like "$err" "2 bad meter records: nothing settled" "and nothing is settled"
fails 1 "--reject: still nothing settled" sh -c 'terra-settle --revenue 1 --holders "$1" \
	--reject "$2" <"$3" >/dev/null 2>&1' - "$sfx/holders.csv" "$tmp/rejected" "$tmp/bad.ndjson"
is "$(cat "$tmp/rejected")" "$(cat "$tmp/bad.ndjson")" "--reject gets the bad lines verbatim"
err=$(terra-settle --strict --revenue 1 --holders "$sfx/holders.csv" <"$tmp/bad.ndjson" 2>&1 || true)
like "$err" "1 bad meter record: nothing settled" "--strict stops at the first bad line"
head -1 "$tmp/m1.ndjson" >"$tmp/dup.ndjson"
head -1 "$tmp/m1.ndjson" >>"$tmp/dup.ndjson"
like "$(terra-settle --revenue 1 --holders "$sfx/holders.csv" <"$tmp/dup.ndjson" 2>&1 || true)" \
	"appears in two meter records" "a unit twice is refused"
is "$(entries)" "$before" "none of these changed the ledger"

# Records of other types pass through.
p5=2026-11-21T15:00:00Z/PT1H
out=$(printf '%s\n' '{"type":"note","v":1,"text":"hi"}' |
	terra-settle -p "$p5" --revenue 1 --holders "$sfx/holders.csv")
like "$(echo "$out" | head -1)" '^\{"type":"note","v":1,"text":"hi"\}$' "other records pass through unchanged"

# Holders CSV layouts give the same snapshot; bad rows settle nothing.
for f in holders.csv holders-crlf-bom.csv holders-noheader.csv holders-quoted.csv; do
	h=$tmp/home-$f
	cp -R "$TERRA_HOME" "$h"
	terra-settle -H "$h" -p 2026-11-21T16:00:00Z/PT1H --revenue 100 --holders "$sfx/$f" \
		</dev/null >"$tmp/layout-$f" 2>/dev/null
	[ "$f" = holders.csv ] || is "$(cat "$tmp/layout-$f")" "$(cat "$tmp/layout-holders.csv")" \
		"$f: the same payouts as holders.csv"
done
is "$(grep -c '"role":"holder"' "$tmp/layout-holders.csv")" 3 "three holders paid"
for bad in "bad-balance.csv:3: balance '12,5'" "bad-dup.csv:4: account 'alice' listed twice \\(first at line 2\\)" \
	"bad-fields.csv:2: expected 2 fields \\(account,balance\\), got 3" "bad-quote.csv:3: "; do
	f=${bad%%:*}
	before=$(entries)
	err=$(terra-settle -p 2026-11-21T17:00:00Z/PT1H --revenue 1 --holders "$sfx/$f" \
		<"$tmp/m1.ndjson" 2>&1 >/dev/null || true)
	like "$err" "^terra-settle: .*/$bad" "$f: named with file and line"
	fails 1 "$f: exit 1" sh -c 'terra-settle -p 2026-11-21T17:00:00Z/PT1H --revenue 1 --holders "$1" \
		</dev/null >/dev/null 2>&1' - "$sfx/$f"
	is "$(entries)" "$before" "$f: nothing settled"
done

# A policy file.
printf '{"contributors":5000,"holders":5000,"treasury":0}\n' >"$tmp/policy.json"
out=$(terra-settle -p 2026-11-21T18:00:00Z/PT1H --revenue 10 --policy "$tmp/policy.json" \
	--holders "$sfx/holders.csv" </dev/null 2>/dev/null || true)
like "$out" '"role":"holder"' "a policy file is read"
is "$(echo "$out" | jq -r 'select(.role == "treasury")')" "" "a zero share pays nothing"
pool=$(echo "$out" | sum_units)
half=$(echo "$out" | jq -c 'select(.role == "holder")' | sum_units)
is "$(((2 * half - pool) * (2 * half - pool) <= 1))" 1 "holders get 50% of the pool"
printf '{"contributors":5000,"holders":5000,"treasury":1}\n' >"$tmp/policy.json"
printf '{"contributors":5000,"holders":5000,"treasury":0,"bonus":1}\n' >"$tmp/policy2.json"
like "$(terra-settle -p 2026-11-21T19:00:00Z/PT1H --revenue 10 --policy "$tmp/policy2.json" \
	--holders "$sfx/holders.csv" </dev/null 2>&1 || true)" "policy: unknown field 'bonus'" \
	"a policy file with an unknown field is refused"
like "$(terra-settle -p 2026-11-21T19:00:00Z/PT1H --revenue 10 --policy "$tmp/policy.json" \
	--holders "$sfx/holders.csv" </dev/null 2>&1 || true)" "policy: shares sum to 10001 bps" \
	"a policy not summing to 10000 is refused"

# Permuted inputs give byte-identical entries: two copies of this home, one
# fed the records and holders in another order.
cp -R "$TERRA_HOME" "$tmp/perm-a"
cp -R "$TERRA_HOME" "$tmp/perm-b"
p6=2026-11-21T20:00:00Z/PT1H
meter "$p6" 3 <"$tmp/units.ndjson" >"$tmp/m6.ndjson"
tac "$tmp/m6.ndjson" | jq -c -S . >"$tmp/m6r.ndjson"
terra-settle -H "$tmp/perm-a" --revenue 77.7 --holders "$sfx/holders.csv" <"$tmp/m6.ndjson" \
	>"$tmp/perm-a.out"
terra-settle -H "$tmp/perm-b" --revenue 77.7 --holders "$sfx/holders-noheader.csv" \
	<"$tmp/m6r.ndjson" >"$tmp/perm-b.out"
last_entry() { sqlite3 "$1/terra.db" 'SELECT payload FROM entries ORDER BY seq DESC LIMIT 1'; }
is "$(last_entry "$tmp/perm-b")" "$(last_entry "$tmp/perm-a")" "permuted inputs: byte-identical entries"
is "$(cat "$tmp/perm-b.out")" "$(cat "$tmp/perm-a.out")" "permuted inputs: identical payouts"
is "$(terra-ledger -H "$tmp/perm-b" verify | jq -r .root)" \
	"$(terra-ledger -H "$tmp/perm-a" verify | jq -r .root)" "permuted inputs: the same ledger root"

# Amounts at the int64 limit: exact, or a clear overflow error.
max=9223372036.854775807
cp -R "$template" "$tmp/max"
fails 0 "a revenue of INT64_MAX base units settles" sh -c \
	'terra-settle -H "$1" -p 2026-11-22T00:00:00Z/PT1H --revenue "$2" --holders "$3" </dev/null >"$4"' - \
	"$tmp/max" "$max" "$sfx/holders.csv" "$tmp/max.out"
is "$(sum_units <"$tmp/max.out")" 9223372036854775807 "and the payouts sum to it exactly"
err=$(terra-settle -p 2026-11-21T21:00:00Z/PT1H --revenue "$max" --holders "$sfx/holders.csv" \
	</dev/null 2>&1 >/dev/null || true)
like "$err" "amount out of range" "INT64_MAX revenue plus a carry: an overflow error"
before=$(entries)
big=$(printf '{"type":"meter","v":1,"period":"2026-11-21T22:00:00Z/PT1H","unit":"%s","owner":"%s","weight":1,"charge":"9223372036.000000000"}' \
	0123456789abcdef0123456789abcdef "$other")
err=$({ echo "$big"; echo "$big" | sed 's/0123456789abcdef0123456789abcdef/fedcba9876543210fedcba9876543210/'; } |
	signmeter | terra-settle --holders "$sfx/holders.csv" 2>&1 >/dev/null || true)
like "$err" "out of range" "charges summing past INT64_MAX: an overflow error"
is "$(entries)" "$before" "overflows settle nothing"

# verify recomputes every settlement: a changed input is caught.
fails 0 "the ledger verifies" sh -c 'terra-ledger verify >/dev/null'
seq1=$(db "SELECT entry_seq FROM settlements WHERE period = '$p1'")
cp -R "$TERRA_HOME" "$tmp/tamper-units"
db "DROP TRIGGER snapshots_no_update;
    UPDATE snapshots SET body = CAST(substr(body, 1, length(body) - 2) AS BLOB) || X'310a'
    WHERE digest = (SELECT json_extract(payload, '$.inputs.holders') FROM entries WHERE seq = $seq1)"
err=$(terra-ledger verify 2>&1 || true)
like "$err" "entry $seq1: settlement: holders digest" \
	"a changed holder balance in the snapshot blob: verify names the entry"
sqlite3 "$tmp/tamper-units/terra.db" "DROP TRIGGER settlement_inputs_no_update;
    UPDATE settlement_inputs SET weight = weight + 1 WHERE period = '$p1'"
err=$(terra-ledger -H "$tmp/tamper-units" verify 2>&1 || true)
like "$err" "entry $seq1: settlement" "a changed unit weight: verify names the entry"
done_testing
