#!/bin/sh
# terra-ledger: entries and checkpoints from registrations and settlements,
# verify (home and export), tampering of every kind detected and named,
# log, balance, exports read back by hledger, proofs.
. "$(dirname "$0")/setup"
dev=$fixtures/devices
db() { sqlite3 "$1/terra.db" "$2"; }
period=2026-11-21T10:00:00.000000Z/2026-11-21T11:00:00.000000Z

# Options.
like "$(terra-ledger -h)" '^usage: terra-ledger' "-h prints the usage on stdout"
like "$(terra-ledger -V)" '^terra-ledger [0-9]+\.[0-9]+' "-V prints the version"
fails 2 "an unknown option is a usage error" terra-ledger --no-such-option verify
fails 2 "no command is a usage error" terra-ledger
fails 2 "an unknown command is a usage error" terra-ledger frobnicate
fails 2 "export without -f is a usage error" terra-ledger export
fails 2 "an unknown export format is a usage error" terra-ledger export -f yaml
fails 2 "prove without --account is a usage error" terra-ledger prove -p "$period"
fails 2 "a bad period is a usage error" terra-ledger prove --account a -p yesterday
fails 2 "verify-proof without --pubkey is a usage error" terra-ledger verify-proof
fails 1 "verify without a home fails" terra-ledger verify
like "$(terra-ledger verify 2>&1 || true)" "terra-register init" "and names the command that fixes it"

# An empty ledger verifies.
home_init
owner=$(cat "$TERRA_HOME/owner.pub")
fails 0 "an empty ledger verifies" terra-ledger verify
is "$(terra-ledger verify | jq -r .size)" 0 "and has size 0"

# Registrations become entries, each with a checkpoint.
for f in h100-65 h100-ca pocl-cpu; do native terra-register "$dev/$f.ndjson" >/dev/null 2>&1; done
is "$(db "$TERRA_HOME" 'SELECT count(*) FROM entries')" 3 "three registrations, three entries"
is "$(db "$TERRA_HOME" 'SELECT count(*) FROM checkpoints')" 3 "and three checkpoints"
is "$(db "$TERRA_HOME" 'SELECT group_concat(kind) FROM entries')" "unit,unit,unit" \
	"of kind unit"
is "$(db "$TERRA_HOME" 'SELECT lower(hex(prev_hash)) FROM entries WHERE seq = 1')" \
	"$owner" "the first entry's prev is the owner key (the pin)"
is "$(db "$TERRA_HOME" 'SELECT count(*) FROM entries a JOIN entries b ON b.seq = a.seq + 1
	WHERE b.prev_hash = a.leaf_hash')" 2 "each prev is the previous entry's leaf hash"

# The leaf hash is SHA-256(0x00 || the canonical entry record), checked
# here with Python's hashlib, not our code.
terra-ledger log -o json >"$tmp/log.ndjson"
leaf1=$("$py" -c 'import hashlib,sys; l=open(sys.argv[1],"rb").readline().rstrip(b"\n"); print(hashlib.sha256(b"\0"+l).hexdigest())' "$tmp/log.ndjson")
is "$leaf1" "$(db "$TERRA_HOME" 'SELECT lower(hex(leaf_hash)) FROM entries WHERE seq = 1')" \
	"leaf hash = SHA-256(0x00 || entry record line)"
is "$(jq -r .type "$tmp/log.ndjson" | sort -u)" entry "log writes entry records"
ok "entry records are in canonical form (independent Python canonicalizer)" \
	"$py" "$top/tests/tools/terracanon.py" --check-lines "$tmp/log.ndjson"

# A checkpoint is a signed record any Ed25519 implementation can check.
db "$TERRA_HOME" 'SELECT body FROM checkpoints ORDER BY size' >"$tmp/cps.ndjson"
ok "every checkpoint signature verifies with PyNaCl" \
	"$py" "$top/tests/tools/nacl_verify.py" -r -s "$owner" "$tmp/cps.ndjson"
is "$(jq -r .origin "$tmp/cps.ndjson" | sort -u)" "terra:$owner" "checkpoint origin is terra:<owner>"

# Settlements: a revenue split, then an empty period (contributors' part to carry).
unit=$(db "$TERRA_HOME" "SELECT unit FROM units ORDER BY unit LIMIT 1")
printf 'account,balance\nalice,300\nbob,100\n' >"$tmp/holders.csv"
printf '{"type":"meter","v":1,"period":"2026-11-21T10:00:00Z/PT1H","unit":"%s","owner":"%s","weight":1000,"busy_us":10,"score":100}\n' \
	"$unit" "$owner" | signmeter >"$tmp/m1.ndjson"
fails 0 "terra-settle appends a settlement" \
	sh -c 'terra-settle --revenue 1250.5 --holders "$1" <"$2" >/dev/null' - "$tmp/holders.csv" "$tmp/m1.ndjson"
fails 0 "an empty period settles too" \
	sh -c 'terra-settle -p 2026-11-21T11:00:00Z/PT1H --revenue 10 --holders "$1" </dev/null >/dev/null' \
	- "$tmp/holders.csv"
is "$(db "$TERRA_HOME" 'SELECT count(*) FROM entries WHERE kind = "settlement"')" 2 "two settlement entries"

out=$(terra-ledger verify)
fails 0 "the ledger verifies" terra-ledger verify
is "$(echo "$out" | jq -r '[.size, .checkpoints, .settlements] | join(" ")')" "5 5 2" \
	"verify reports 5 entries, 5 checkpoints, 2 settlements"

# Balances.
terra-ledger -o csv balance >"$tmp/bal.csv"
like "$(cat "$tmp/bal.csv")" '^bob,63\.025000000$' "bob's balance over both periods"
is "$(terra-ledger balance alice | jq -r .amount)" "189.075000000" \
	"balance ACCOUNT: alice's, 187.575 + 1.5"
like "$(cat "$tmp/bal.csv")" '^carry,7\.000000000$' "the empty period's contributor part is in carry"
is "$(terra-ledger balance nobody | jq -r .amount)" "0.000000000" "an unknown account has 0"
is "$(tail -n +2 "$tmp/bal.csv" | awk -F, '{ s += $2 * 1e9 } END { printf "%d", s }')" 0 \
	"balances sum to zero"
like "$(terra-ledger -o table balance)" 'ACCOUNT +AMOUNT' "a table for a person"

# hledger reads the journal: its checks pass and its balances are ours.
terra-ledger export -f hledger >"$tmp/j.journal"
ok "hledger check -s (strict) passes" hledger check -s -f "$tmp/j.journal"
ok "hledger ordereddates, payees, uniqueleafnames pass" \
	hledger check -s -f "$tmp/j.journal" ordereddates payees uniqueleafnames
hledger -f "$tmp/j.journal" bal --flat -N -O csv | tail -n +2 | tr -d '"' | sed 's/ TERRA$//' |
	sort >"$tmp/hl.csv"
tail -n +2 "$tmp/bal.csv" | grep -v ',0\.000000000$' | sort >"$tmp/ours.csv"
ok "hledger's balances equal terra-ledger balance" cmp "$tmp/hl.csv" "$tmp/ours.csv"
ok "and there are some" test -s "$tmp/ours.csv"

# Payouts CSV.
terra-ledger export -f payouts -p 2026-11-21T10:00:00Z/PT1H >"$tmp/payouts.csv"
is "$(head -1 "$tmp/payouts.csv")" "account,amount" "payouts CSV header"
like "$(cat "$tmp/payouts.csv")" '^bob,62\.525000000$' "bob's payout in the period"
ok "no negative or carry rows" sh -c '! grep -Eq ",-|^carry," "$1"' - "$tmp/payouts.csv"
fails 1 "payouts of an unsettled period fail" terra-ledger export -f payouts -p 2026-01-01T00:00:00Z/PT1H
terra-ledger export -f csv >"$tmp/entries.csv"
is "$(wc -l <"$tmp/entries.csv")" 6 "entries CSV: header and one row per entry"

# The ndjson export verifies with only the public key.
terra-ledger export -f ndjson >"$tmp/export.ndjson"
fails 0 "the export verifies with the public key" \
	sh -c 'terra-ledger verify --pubkey "$1" <"$2" >/dev/null' - "$owner" "$tmp/export.ndjson"
fails 0 "and with the owner.pub file, no home needed" \
	sh -c 'TERRA_HOME=/nonexistent terra-ledger verify --pubkey "$1" <"$2" >/dev/null' - \
	"$TERRA_HOME/owner.pub" "$tmp/export.ndjson"
is "$(terra-ledger verify --pubkey "$owner" <"$tmp/export.ndjson" | jq -r .root)" \
	"$(terra-ledger verify | jq -r .root)" "the export's root is the ledger's"
other=$(printf '%064x' 7)
fails 3 "another key does not verify it (exit 3)" \
	sh -c 'terra-ledger verify --pubkey "$1" <"$2" 2>/dev/null' - "$other" "$tmp/export.ndjson"

# Tampering with an export: change one byte at several places of every
# entry and checkpoint line, drop, swap or reorder lines. Each fails,
# naming the seq of the changed line.
# Under valgrind every verify costs seconds: the same cases, sparser.
stride=97 min_cases=50
[ "${TERRA_VALGRIND:-}" = 1 ] && stride=1201 min_cases=8
n=$(wc -l <"$tmp/export.ndjson")
bad=0
tried=0
i=1
while [ "$i" -le "$n" ]; do
	seq=$(sed -n "${i}p" "$tmp/export.ndjson" |
		jq -r 'select(.type != "settlement_inputs") | if .type == "holding" then .entry else .seq // .size end')
	if [ -z "$seq" ]; then
		i=$((i + 1))
		continue
	fi
	len=$(sed -n "${i}p" "$tmp/export.ndjson" | wc -c)
	col=2
	while [ "$col" -lt "$len" ]; do
		awk -v L="$i" -v C="$col" 'NR == L {
			c = substr($0, C, 1); r = (c == "1") ? "2" : "1"
			$0 = substr($0, 1, C - 1) r substr($0, C + 1) } { print }' \
			"$tmp/export.ndjson" >"$tmp/t.ndjson"
		col=$((col + stride))
		cmp -s "$tmp/t.ndjson" "$tmp/export.ndjson" && continue
		tried=$((tried + 1))
		if terra-ledger verify --pubkey "$owner" <"$tmp/t.ndjson" >/dev/null 2>"$tmp/err"; then
			bad=$((bad + 1))
			echo "# accepted: line $i byte $col"
		elif ! grep -Eq "(entry|checkpoint) $seq:" "$tmp/err"; then
			bad=$((bad + 1))
			echo "# line $i (seq $seq) not named: $(cat "$tmp/err")"
		fi
	done
	i=$((i + 1))
done
ok "bytes changed in the export: $tried cases" test "$tried" -gt "$min_cases"
is "$bad" 0 "a changed byte in any entry, checkpoint or holding line fails verify, naming its seq"
line=$(grep -n '"settlement_inputs"' "$tmp/export.ndjson" | head -1 | cut -d: -f1)
inputs() { # inputs NAME JQ-FILTER: the first settlement's inputs changed
	awk -v L="$line" 'NR == L { print > "/dev/stderr"; next } { print }' \
		"$tmp/export.ndjson" 2>"$tmp/line" >/dev/null
	jq -c "$2" "$tmp/line" >"$tmp/line2"
	awk -v L="$line" -v F="$tmp/line2" 'NR == L { getline $0 < F } { print }' \
		"$tmp/export.ndjson" >"$tmp/t.ndjson"
	err=$(terra-ledger verify --pubkey "$owner" <"$tmp/t.ndjson" 2>&1 >/dev/null || true)
	like "$err" 'entry 4: settlement' "export with $1: verify fails naming entry 4"
}
inputs "a unit's weight changed" '.inputs[0][3] += 1'
inputs "a unit's weight zeroed" '.inputs[0][3] = 0'
inputs "a unit's owner changed" '.inputs[0][2] = "'"$other"'"'
inputs "a unit dropped" '.inputs = []'
# The holders snapshot travels as holding lines, one per holder.
is "$(jq -c 'select(.type == "holding") | [.entry, .account, .balance]' "$tmp/export.ndjson" | tr '\n' ' ')" \
	'[4,"alice","300.000000000"] [4,"bob","100.000000000"] [5,"alice","300.000000000"] [5,"bob","100.000000000"] ' \
	"the snapshot is exported as holding lines after each settlement"
hline=$(grep -n '"holding"' "$tmp/export.ndjson" | head -1 | cut -d: -f1)
holding() { # holding NAME AWK-PROGRAM: the export with the first holding line changed
	awk -v L="$hline" "$2" "$tmp/export.ndjson" >"$tmp/t.ndjson"
	err=$(terra-ledger verify --pubkey "$owner" <"$tmp/t.ndjson" 2>&1 >/dev/null || true)
	like "$err" 'entry 4: settlement' "export with $1: verify fails naming entry 4"
}
holding "a holder's balance changed" 'NR == L { sub(/"300\.000000000"/, "\"300.000000001\"") } { print }'
holding "a holder renamed" 'NR == L { sub(/"alice"/, "\"mallory\"") } { print }'
holding "a holder dropped" 'NR != L { print }'
holding "a holder added" 'NR == L { print; sub(/"alice"/, "\"alicf\"") } { print }'
holding "holders swapped" 'NR == L { keep = $0; next } NR == L + 1 { print; print keep; next } { print }'
sed 3d "$tmp/export.ndjson" >"$tmp/t.ndjson"
err=$(terra-ledger verify --pubkey "$owner" <"$tmp/t.ndjson" 2>&1 >/dev/null || true)
like "$err" 'entry 2: missing' "a dropped entry line is named"
{ sed -n 1,2p "$tmp/export.ndjson"; sed -n 5,6p "$tmp/export.ndjson"
  sed -n 3,4p "$tmp/export.ndjson"; sed -n '7,$p' "$tmp/export.ndjson"; } >"$tmp/t.ndjson"
err=$(terra-ledger verify --pubkey "$owner" <"$tmp/t.ndjson" 2>&1 >/dev/null || true)
like "$err" 'entry 3: out of order|entry 2: missing' "swapped entries are named"
{ sed -n 1,4p "$tmp/export.ndjson"; sed -n 3,4p "$tmp/export.ndjson"
  sed -n '5,$p' "$tmp/export.ndjson"; } >"$tmp/t.ndjson"
err=$(terra-ledger verify --pubkey "$owner" <"$tmp/t.ndjson" 2>&1 >/dev/null || true)
like "$err" 'entry 3: expected here, found entry 2' "a duplicated entry is named"
sed '$d' "$tmp/export.ndjson" >"$tmp/t.ndjson"
err=$(terra-ledger verify --pubkey "$owner" <"$tmp/t.ndjson" 2>&1 >/dev/null || true)
like "$err" 'checkpoint 5: missing' "a dropped last checkpoint is named"
grep -v '"settlement_inputs"' "$tmp/export.ndjson" >"$tmp/t.ndjson"
err=$(terra-ledger verify --pubkey "$owner" <"$tmp/t.ndjson" 2>&1 >/dev/null || true)
like "$err" 'entry 4: settlement inputs missing' "settlement inputs must be in the export"

# Tampering with the database (triggers dropped first): each fails and
# names the first bad seq.
tamper() { # tamper NAME SQL PATTERN
	rm -rf "$tmp/t"
	cp -r "$TERRA_HOME" "$tmp/t"
	db "$tmp/t" "DROP TRIGGER entries_no_update; DROP TRIGGER entries_no_delete;
		DROP TRIGGER checkpoints_no_update; DROP TRIGGER checkpoints_no_delete;
		DROP TRIGGER settlement_inputs_no_update; DROP TRIGGER snapshots_no_update; $2"
	fails 3 "$1: verify fails (exit 3)" sh -c 'terra-ledger -H "$1" verify >/dev/null 2>"$2"' - "$tmp/t" "$tmp/err"
	like "$(cat "$tmp/err")" "$3" "$1: names it"
}
ok "the triggers refuse an UPDATE" sh -c '! sqlite3 "$1" "UPDATE entries SET kind = '"'meter'"' WHERE seq = 1" 2>/dev/null' \
	- "$TERRA_HOME/terra.db"
ok "the triggers refuse a DELETE" sh -c '! sqlite3 "$1" "DELETE FROM checkpoints WHERE size = 1" 2>/dev/null' \
	- "$TERRA_HOME/terra.db"
tamper "payload byte" "UPDATE entries SET payload = replace(payload, 'gpu-node-07', 'gpu-node-08') WHERE seq = 2" \
	'entry 2: leaf hash mismatch'
tamper "payload whitespace" "UPDATE entries SET payload = replace(payload, '\"score\":', '\"score\": ') WHERE seq = 2" \
	'entry 2: payload is not canonical'
tamper "leaf hash" "UPDATE entries SET leaf_hash = zeroblob(32) WHERE seq = 3" 'entry 3: leaf hash mismatch'
tamper "prev hash" "UPDATE entries SET prev_hash = (SELECT leaf_hash FROM entries WHERE seq = 1) WHERE seq = 3" \
	'entry 3: prev hash'
tamper "kind" "UPDATE entries SET kind = 'retire' WHERE seq = 1" 'entry 1: leaf hash mismatch'
tamper "created_at" "UPDATE entries SET created_at = '2026-11-21T10:00:00.000001Z' WHERE seq = 2" \
	'entry 2: leaf hash mismatch'
tamper "settlement amount" "UPDATE entries SET payload = replace(payload, '125.050000000', '125.050000001') WHERE seq = 4" \
	'entry 4: leaf hash mismatch'
tamper "deleted entry" "DELETE FROM entries WHERE seq = 2" 'entry 2: missing'
tamper "deleted checkpoint" "DELETE FROM checkpoints WHERE size = 3" 'checkpoint 3: missing'
tamper "reordered entries" "
	CREATE TEMP TABLE s AS SELECT * FROM entries WHERE seq IN (2, 3);
	DELETE FROM entries WHERE seq IN (2, 3);
	INSERT INTO entries SELECT 5 - seq, kind, payload, prev_hash, leaf_hash, created_at FROM s;" \
	'entry 2: prev hash'
tamper "inserted entry" "INSERT INTO entries SELECT 6, kind, payload, leaf_hash, leaf_hash, created_at FROM entries WHERE seq = 5" \
	'entry 6: leaf hash mismatch'
tamper "appended entry without checkpoint" "
	INSERT INTO entries SELECT 6, kind, payload, prev_hash, leaf_hash, created_at FROM entries WHERE seq = 5;
	DELETE FROM entries WHERE seq = 5; UPDATE entries SET seq = 5 WHERE seq = 6;
	INSERT INTO entries SELECT 6, kind, payload, prev_hash, leaf_hash, created_at FROM entries WHERE seq = 5" \
	'entry 6: prev hash'
tamper "checkpoint signature" "UPDATE checkpoints SET sig = replace(sig, substr(sig, 5, 1), CASE substr(sig, 5, 1) WHEN 'a' THEN 'b' ELSE 'a' END),
	body = replace(body, sig, replace(sig, substr(sig, 5, 1), CASE substr(sig, 5, 1) WHEN 'a' THEN 'b' ELSE 'a' END)) WHERE size = 2" \
	'checkpoint 2: bad signature'
tamper "checkpoint root column" "UPDATE checkpoints SET root = zeroblob(32) WHERE size = 4" \
	'checkpoint 4: columns do not match'
tamper "checkpoint body" "UPDATE checkpoints SET body = replace(body, '\"size\":1', '\"size\":1 ') WHERE size = 1" \
	'checkpoint 1: malformed'
tamper "settlement inputs" "UPDATE settlement_inputs SET weight = weight + 1" \
	'entry 4: settlement'
tamper "holders snapshot blob" "UPDATE snapshots SET body = CAST('alice' AS BLOB) || X'00' ||
	CAST('300000000001' AS BLOB) || X'0a' || CAST('bob' AS BLOB) || X'00' || CAST('100000000000' AS BLOB) || X'0a'" \
	'entry 4: settlement: holders digest'
tamper "holders snapshot deleted" "DROP TRIGGER snapshots_no_delete; DELETE FROM snapshots" \
	'entry 4: holders snapshot .*: missing'

# Any single byte of a stored payload or checkpoint body, changed: caught.
bad=0
for spec in "entries payload seq 2" "entries payload seq 4" "checkpoints body size 3"; do
	set -- $spec
	len=$(db "$TERRA_HOME" "SELECT length($2) FROM $1 WHERE $3 = $4")
	pos=1
	rm -rf "$tmp/t"
	cp -r "$TERRA_HOME" "$tmp/t"
	db "$tmp/t" "DROP TRIGGER entries_no_update; DROP TRIGGER checkpoints_no_update;"
	cp "$tmp/t/terra.db" "$tmp/clean.db"
	while [ "$pos" -le "$len" ]; do
		cp "$tmp/clean.db" "$tmp/t/terra.db"
		db "$tmp/t" "UPDATE $1 SET $2 = substr($2, 1, $pos - 1) ||
			char((unicode(substr($2, $pos, 1)) | 1) - (unicode(substr($2, $pos, 1)) & 1)) ||
			substr($2, $pos + 1) WHERE $3 = $4"
		if terra-ledger -H "$tmp/t" verify >/dev/null 2>"$tmp/err"; then
			bad=$((bad + 1))
			echo "# accepted: $1.$2 $3=$4 byte $pos"
		elif ! grep -Eq "(entry|checkpoint) $4:" "$tmp/err"; then
			bad=$((bad + 1))
			echo "# not named: $(cat "$tmp/err")"
		fi
		pos=$((pos + (stride == 97 ? 53 : 661)))
	done
done
is "$bad" 0 "a changed byte anywhere in a stored payload or checkpoint is caught and named"

# Appending refuses to build on a damaged tip.
rm -rf "$tmp/t"
cp -r "$TERRA_HOME" "$tmp/t"
db "$tmp/t" "DROP TRIGGER checkpoints_no_update; UPDATE checkpoints SET frontier = zeroblob(64) WHERE size = 5"
jq -c '.fingerprint = "'"$(printf '%064x' 42)"'"' "$dev/h100-65.ndjson" >"$tmp/newdev.ndjson"
fails 3 "an append on a damaged frontier is refused as tampered (exit 3)" \
	sh -c 'terra-register -H "$1" "$2" >/dev/null 2>&1' - "$tmp/t" "$tmp/newdev.ndjson"
is "$(db "$tmp/t" 'SELECT count(*) FROM entries')" 5 "and nothing was appended"

# Proofs: a holder checks a payout with nothing but the proof and the key.
terra-ledger prove --account alice -p 2026-11-21T10:00:00Z/PT1H >"$tmp/proof.json"
fails 0 "prove writes a proof" test -s "$tmp/proof.json"
is "$(jq -r '[.type, .amount, .size, .index] | join(" ")' "$tmp/proof.json")" \
	"proof 187.575000000 5 3" "a proof of alice's payout in entry 4 under checkpoint 5"
out=$(TERRA_HOME=/nonexistent terra-ledger verify-proof --pubkey "$owner" <"$tmp/proof.json")
is "$(echo "$out" | jq -r '[.type, .account, .amount, .entry] | join(" ")')" \
	"payout alice 187.575000000 4" "verify-proof checks it without a home and writes the payout"
mutate() { # mutate NAME JQ-FILTER
	jq -c "$2" "$tmp/proof.json" >"$tmp/bad.json"
	fails 3 "verify-proof rejects $1 (exit 3)" sh -c 'terra-ledger verify-proof --pubkey "$1" <"$2" >/dev/null 2>&1' \
		- "$owner" "$tmp/bad.json"
}
mutate "another amount" '.amount = "187.575000001"'
mutate "another account" '.account = "bob"'
mutate "a changed path hash" '.path[0] |= (.[0:10] + (if .[10:11] == "0" then "1" else "0" end) + .[11:])'
mutate "a dropped path hash" '.path |= .[1:]'
mutate "an extra path hash" '.path += [.path[0]]'
mutate "another index" '.index = 2'
mutate "another size" '.size = 6'
mutate "a changed entry" '.entry.payload.postings[2].amount = "200.000000000"'
mutate "a changed checkpoint root" '.checkpoint.root = .path[0]'
mutate "an unsigned checkpoint" 'del(.checkpoint.sig)'
mutate "another period" '.period = "2026-11-21T11:00:00.000000Z/2026-11-21T12:00:00.000000Z"'
fails 3 "verify-proof with another key fails (exit 3)" \
	sh -c 'terra-ledger verify-proof --pubkey "$1" <"$2" >/dev/null 2>&1' - "$other" "$tmp/proof.json"
fails 1 "no proof for an account without a payout" terra-ledger prove --account carol -p 2026-11-21T10:00:00Z/PT1H
fails 1 "no proof for an unsettled period" terra-ledger prove --account alice -p 2026-01-01T00:00:00Z/PT1H

# Payments: what was paid out leaves the account's balance and the payouts.
out=$(terra-ledger pay bob 60 --ref tx-1)
is "$(echo "$out" | jq -r '[.type, .account, .amount, .entry, .ref] | join(" ")')" \
	"payment bob 60.000000000 6 tx-1" "pay records a payment entry"
is "$(terra-ledger balance bob | jq -r .amount)" "3.025000000" "bob's balance drops by the payment"
like "$(terra-ledger export -f payouts)" '^bob,3\.025000000$' "payouts owed drop too"
ok "and 'paid' is not a payout" sh -c '! terra-ledger export -f payouts | grep -q ^paid,'
fails 1 "paying more than is owed is refused" terra-ledger pay bob 4
fails 1 "paying the revenue account is refused" terra-ledger pay revenue 1
fails 2 "a bad amount is a usage error" terra-ledger pay bob 1.0000000001
is "$(db "$TERRA_HOME" 'SELECT count(*) FROM entries')" 6 "refused payments append nothing"
fails 0 "the ledger with a payment verifies" terra-ledger verify
terra-ledger export -f hledger >"$tmp/j.journal"
ok "hledger checks pass with a payment" \
	hledger check -s -f "$tmp/j.journal" ordereddates payees uniqueleafnames
is "$(hledger -f "$tmp/j.journal" bal -N --flat -O csv bob | tail -1 | tr -d '"')" \
	"bob,3.025000000 TERRA" "hledger agrees on bob's balance"
native terra-ledger export -f ndjson >"$tmp/export.ndjson"
ok "every export line is in written form (independent Python canonicalizer)" \
	"$py" "$top/tests/tools/terracanon.py" --check-lines "$tmp/export.ndjson"
fails 0 "its export verifies" \
	sh -c 'terra-ledger verify --pubkey "$1" <"$2" >/dev/null' - "$owner" "$tmp/export.ndjson"

# The carry chain: a settlement's carry_in is the previous one's carry_out.
# Here the settlements row of entry 5 (carry_out 7) is removed, so the next
# settle takes its carry from entry 4 (carry_out 0): every entry is signed,
# and verify still finds the break.
rm -rf "$tmp/chain"
cp -r "$TERRA_HOME" "$tmp/chain"
db "$tmp/chain" "DROP TRIGGER settlements_no_delete; DELETE FROM settlements WHERE entry_seq = 5"
native terra-settle -H "$tmp/chain" -p 2026-11-21T12:00:00Z/PT1H --revenue 1 --holders "$tmp/holders.csv" \
	</dev/null >/dev/null 2>&1
err=$(terra-ledger -H "$tmp/chain" verify 2>&1 >/dev/null || true)
like "$err" "entry 7: settlement: carry_in 0\.000000000, but the previous settlement's carry_out is 7\.000000000" \
	"a break in the carry chain is named"
native terra-ledger -H "$tmp/chain" export -f ndjson >"$tmp/chain.ndjson"
err=$(terra-ledger verify --pubkey "$owner" <"$tmp/chain.ndjson" 2>&1 >/dev/null || true)
like "$err" "entry 7: settlement: carry_in" "and in its export"

# Many holders: the entry stays small, the export verifies line by line
# (every line under 1 MiB), and a holder proves its own payout. Under
# valgrind 2,000 holders (each command on 20,000 runs for minutes there):
# the same code paths, a shorter proof.
nh=20000 hi=12345
[ "${TERRA_VALGRIND:-}" = 1 ] && nh=2000 hi=1234
hn=$(printf %05d "$hi")
hpath=$(awk -v n="$nh" 'BEGIN { d = 0; for (s = 1; s < n; s *= 2) d++; print d }')
big=$tmp/big
mkdir -p "$big"
home_init -H "$big"
bigowner=$(cat "$big/owner.pub")
awk -v n="$nh" 'BEGIN { print "account,balance"
	for (i = 0; i < n; i++) printf "holder-%05d,%d.%09d\n", i, 1000 + (i * 7919) % 100000, (i * 104729) % 1000000000 }' \
	>"$tmp/big.csv"
fails 0 "settle $nh holders" sh -c 'terra-settle -H "$1" -p 2026-11-21T10:00:00Z/PT1H --revenue 98765.4321 \
	--holders "$2" </dev/null >"$3"' - "$big" "$tmp/big.csv" "$tmp/big-pay.ndjson"
is "$(grep -c '"role":"holder"' "$tmp/big-pay.ndjson")" "$nh" "one payout record per holder"
ok "the settlement entry is small" test "$(db "$big" 'SELECT max(length(payload)) FROM entries')" -lt 4096
terra-ledger -H "$big" export -f ndjson >"$tmp/big.ndjson"
is "$(awk 'length($0) >= 1048576' "$tmp/big.ndjson" | wc -l | tr -d ' ')" 0 "every export line is under 1 MiB"
is "$(grep -c '"type":"holding"' "$tmp/big.ndjson")" "$nh" "one holding line per holder"
fails 0 "the export of $nh holders verifies with the public key" \
	sh -c 'terra-ledger verify --pubkey "$1" <"$2" >/dev/null' - "$bigowner" "$tmp/big.ndjson"
sed 's/"holder-'"$hn"'","balance":"[0-9.]*"/"holder-'"$hn"'","balance":"1.000000000"/' "$tmp/big.ndjson" >"$tmp/t.ndjson"
like "$(terra-ledger verify --pubkey "$bigowner" <"$tmp/t.ndjson" 2>&1 >/dev/null || true)" \
	'entry 1: settlement: holders digest' "one holding line of $nh changed: caught, naming the entry"
want=$(jq -r 'select(.account == "holder-'"$hn"'") | .amount' "$tmp/big-pay.ndjson")
is "$(terra-ledger -H "$big" balance "holder-$hn" | jq -r .amount)" "$want" \
	"a holder's balance is its payout, recomputed from the snapshot"
terra-ledger -H "$big" prove --account "holder-$hn" -p 2026-11-21T10:00:00Z/PT1H >"$tmp/hproof.json"
is "$(jq -r '[.amount, .holder.count, .holder.index, (.holder.path | length)] | join(" ")' "$tmp/hproof.json")" \
	"$want $nh $hi $hpath" "a holder's proof: its leaf among $nh, a path of $hpath hashes"
out=$(TERRA_HOME=/nonexistent terra-ledger verify-proof --pubkey "$bigowner" <"$tmp/hproof.json")
is "$(echo "$out" | jq -r '[.account, .role, .amount, .entry] | join(" ")')" "holder-$hn holder $want 1" \
	"verify-proof checks the holder's payout offline"
ok "the proof line is small" test "$(wc -c <"$tmp/hproof.json")" -lt 8192
hmutate() { # hmutate NAME JQ-FILTER
	jq -c "$2" "$tmp/hproof.json" >"$tmp/bad.json"
	fails 3 "verify-proof rejects $1 (exit 3)" sh -c 'terra-ledger verify-proof --pubkey "$1" <"$2" >/dev/null 2>&1' \
		- "$bigowner" "$tmp/bad.json"
}
hmutate "another holder amount" '.holder.amount = "1.000000000" | .amount = "1.000000000"'
hmutate "another holder index" '.holder.index += 1'
hmutate "another holder count" '.holder.count -= 1'
hmutate "a changed holder path hash" '.holder.path[3] |= (.[0:10] + (if .[10:11] == "0" then "1" else "0" end) + .[11:])'
hmutate "a dropped holder path hash" '.holder.path |= .[1:]'
hmutate "another holder account" '.account = "holder-'"$(printf %05d $((hi + 1)))"'"'
hmutate "a changed holders root" '.entry.payload.holders.root = .holder.path[0]'

done_testing
