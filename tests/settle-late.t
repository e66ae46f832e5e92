#!/bin/sh
# Late usage (issue 13): a provider's file that arrives after its hour was
# settled is paid by a later settlement that adjusts the hour
# (terra-settle --adjust), never twice. Each refusal shows its exit status,
# its message and the ledger left as it was (its SQL dump) and verifying.
. "$(dirname "$0")/setup"
P1=2026-11-21T10:00:00Z/PT1H
P2=2026-11-21T11:00:00Z/PT1H
P3=2026-11-21T12:00:00Z/PT1H
H1=2026-11-21T10:00:00.000000Z/2026-11-21T11:00:00.000000Z
H2=2026-11-21T11:00:00.000000Z/2026-11-21T12:00:00.000000Z
dump() { sqlite3 "$TERRA_HOME/terra.db" .dump; }
keep() { dump >"$tmp/before"; }
unchanged() { # unchanged WHAT: the ledger is the one kept, and verifies
	dump >"$tmp/after"
	ok "$1: the ledger is unchanged" cmp -s "$tmp/before" "$tmp/after"
	ok "$1: the ledger verifies" verifies
}
printf 'account,balance\nalice,300\nbob,100\n' >"$tmp/h.csv"
home_init
terra-register <"$fixtures/devices/node.ndjson" >"$tmp/units.ndjson" 2>/dev/null
owner=$(cat "$TERRA_HOME/owner.pub")
u1=$(jq -r 'select(.type == "unit") | .unit' "$tmp/units.ndjson" | sed -n 1p)
u2=$(jq -r 'select(.type == "unit") | .unit' "$tmp/units.ndjson" | sed -n 2p)
usage() { # usage UNIT SEQ START END
	$py "$top/tests/tools/mkusage.py" -k "$TERRA_HOME/units/$1.key" -u "$1" seq="$2" \
		start="$3" end="$4" busy_us=600000000 work=4096 mine=8
}
settle() { # settle PERIOD ARGS...: stdout to $tmp/out, stderr to $tmp/err
	_p=$1
	shift
	terra-settle -p "$_p" --revenue 100 --holders "$tmp/h.csv" "$@" >"$tmp/out" 2>"$tmp/err"
}
contrib() { # contrib: the contributors' payouts of the last settle, as "account amount"
	jq -r 'select(.role == "contributor") | "\(.account) \(.amount)"' "$tmp/out"
}

# The hour P1 is settled with what had arrived: u1's seq 1, u2's seq 1.
{
	usage "$u1" 1 2026-11-21T10:00:00Z 2026-11-21T10:10:00Z
	usage "$u2" 1 2026-11-21T10:00:00Z 2026-11-21T10:10:00Z
} >"$tmp/p1.ndjson"
terra-meter -p $P1 "$tmp/p1.ndjson" >"$tmp/m1.ndjson" 2>/dev/null
fails 0 "P1 settles" settle $P1 "$tmp/m1.ndjson"
cp -R "$TERRA_HOME" "$tmp/template" # the home as P1 left it
# Then u2's late file for P1 arrives (seqs 2 and 3), and the usage of P2.
{
	usage "$u2" 2 2026-11-21T10:20:00Z 2026-11-21T10:30:00Z
	usage "$u2" 3 2026-11-21T10:30:00Z 2026-11-21T10:40:00Z
} >"$tmp/late.ndjson"
usage "$u1" 2 2026-11-21T11:00:00Z 2026-11-21T11:10:00Z >"$tmp/p2.ndjson"
terra-meter -p $P1 "$tmp/late.ndjson" >"$tmp/mlate.ndjson" 2>/dev/null
terra-meter -p $P2 "$tmp/p2.ndjson" >"$tmp/m2.ndjson" 2>/dev/null
is "$(jq -r '[.period, .unit, .first_seq, .last_seq] | join(" ")' "$tmp/mlate.ndjson")" \
	"$H1 $u2 2 3" "the late usage is metered for its own hour, seqs 2 to 3"

# Without --adjust the late meter record is refused (it is not P2's).
keep
fails 1 "without --adjust, a meter record of P1 does not settle in P2" \
	settle $P2 "$tmp/m2.ndjson" "$tmp/mlate.ndjson"
like "$(errs "$tmp/err")" "mlate\\.ndjson:1: meter record: period $H1 differs from $H2" \
	"the message names the file and line"
unchanged "without --adjust"

# An adjustment naming an unsettled period, or one not before the settlement's.
fails 1 "--adjust of a period never settled is refused" \
	settle $P2 --adjust 2026-11-21T09:00:00Z/PT1H "$tmp/m2.ndjson" "$tmp/mlate.ndjson"
like "$(errs "$tmp/err")" "adjusts period 2026-11-21T09:00:00\\.000000Z/2026-11-21T10:00:00\\.000000Z, which was never settled" \
	"the message says it was never settled"
fails 1 "--adjust of a period overlapping a settled one is refused" \
	settle $P2 --adjust 2026-11-21T10:00:00Z/PT30M "$tmp/m2.ndjson" "$tmp/mlate.ndjson"
like "$(errs "$tmp/err")" "which was never settled" "only a period settled as such is adjusted"
fails 2 "--adjust of a future period is a usage error" \
	settle $P1 --adjust $P2 "$tmp/m2.ndjson"
like "$(errs "$tmp/err")" "adjusted period $H2 does not end before period $H1 starts" \
	"the message says why"
fails 2 "--adjust without -p is a usage error" \
	sh -c 'terra-settle --adjust "$1" --revenue 1 --holders "$2" "$3" >/dev/null 2>"$4"' \
	- $P1 "$tmp/h.csv" "$tmp/mlate.ndjson" "$tmp/err"
like "$(errs "$tmp/err")" "--adjust needs the period paying it \\(-p\\)" "and says so"
fails 1 "--adjust without a late meter record is refused" settle $P2 --adjust $P1 "$tmp/m2.ndjson"
like "$(errs "$tmp/err")" "no meter records of the adjusted period $H1" "the message"
unchanged "refused adjustments"

# The adjustment: P2 settles its own usage and pays the late usage of P1.
w1=$(jq -r .weight "$tmp/m2.ndjson")
wl=$(jq -r .weight "$tmp/mlate.ndjson")
balance() { terra-ledger balance "$owner" | jq -r .amount; }
before=$(balance)
fails 0 "P2 settles, adjusting P1 with the late usage" \
	settle $P2 --adjust $P1 "$tmp/m2.ndjson" "$tmp/mlate.ndjson"
entry=$(jq -r .entry "$tmp/out" | sort -u)
is "$(contrib)" "$owner 70.000000000" "the owner is paid the contributors' part of P2's pool"
is "$(terra-ledger export -f ndjson | jq -c "select(.type == \"entry\" and .seq == $entry) | .payload | [.period, .adjusts, .adjusts_covers, .covers]")" \
	"[\"$H2\",\"$H1\",[[\"$u2\",2,3]],[[\"$u1\",2,2]]]" \
	"the entry names the period it adjusts and the usage it pays for it"
is "$(terra-ledger export -f ndjson | jq -c "select(.type == \"settlement_inputs\" and .entry == $entry) | [.inputs[] | [.[1], .[3]]] | sort")" \
	"$(jq -nc --arg a "$u1" --arg b "$u2" "[[\$a, $w1], [\$b, $wl]] | sort")" "the late unit's weight is split with P2's units"
is "$(balance)" "$(echo "$before" | awk '{ printf "%.9f", $1 + 70 }')" "the owner's balance rises by the payout"
fails 0 "the ledger verifies" verifies
terra-ledger export -f ndjson >"$tmp/export.ndjson"
fails 0 "the export verifies with the owner key" \
	export_verifies "$owner" "$tmp/export.ndjson"
cp "$tmp/out" "$tmp/paid.ndjson"
fails 0 "settling P2 again with the same inputs changes nothing" \
	settle $P2 --adjust $P1 "$tmp/m2.ndjson" "$tmp/mlate.ndjson"
ok "the same payouts are written again" cmp -s "$tmp/out" "$tmp/paid.ndjson"
like "$(errs "$tmp/err")" "already settled with the same inputs" "and it says so"

# The same late file adjusted twice: refused, naming the line and the entry.
keep
fails 1 "the same late usage adjusted again in P3 is refused" settle $P3 --adjust $P1 "$tmp/mlate.ndjson"
like "$(errs "$tmp/err")" "mlate\\.ndjson:1: meter record: usage seqs 2 to 3 of unit $u2: seqs 2 to 3 already paid for period $H1 by settlement entry $entry" \
	"the message names the line, the seqs and the settlement that paid them"
unchanged "adjusted twice"

# Usage already paid by P1's settlement itself, metered late: refused.
fails 1 "usage paid in P1 itself, adjusted, is refused" settle $P3 --adjust $P1 "$tmp/m1.ndjson"
like "$(errs "$tmp/err")" "m1\\.ndjson:1: meter record: usage seqs 1 to 1 of unit [0-9a-f]{32}: seqs 1 to 1 already paid for period $H1 by settlement entry [0-9]+" \
	"the message names the settlement that paid it"
unchanged "paid in P1"

# Late records mixed with already-paid ones: refused whole. u2's seq 4 is
# new, seqs 1 (P1's) and 2 (adjusted) are paid: metered together (where they
# were not paid yet, on the copy of the home as P1 left it) they are one
# meter record whose seqs overlap what was paid.
usage "$u2" 4 2026-11-21T10:40:00Z 2026-11-21T10:50:00Z >"$tmp/late2.ndjson"
cat "$tmp/p1.ndjson" "$tmp/late.ndjson" "$tmp/late2.ndjson" | grep "\"unit\":\"$u2\"" >"$tmp/mixed.ndjson"
TERRA_HOME=$tmp/template terra-meter -p $P1 "$tmp/mixed.ndjson" >"$tmp/mmixed.ndjson" 2>/dev/null
fails 1 "late usage mixed with paid usage in one meter record is refused" \
	settle $P3 --adjust $P1 "$tmp/mmixed.ndjson"
like "$(errs "$tmp/err")" "mmixed\\.ndjson:1: meter record: usage seqs 1 to 4 of unit $u2: seqs 1 to 1 already paid for period $H1 by settlement entry" \
	"the message names what was paid"
like "$(errs "$tmp/err")" "nothing settled" "nothing settled"
unchanged "mixed in one record"
# a new late record beside a paid one: the file is refused whole
TERRA_HOME=$tmp/template terra-meter -p $P1 "$tmp/late2.ndjson" >"$tmp/mnew.ndjson" 2>/dev/null
cat "$tmp/mnew.ndjson" "$tmp/m1.ndjson" >"$tmp/mboth.ndjson"
fails 1 "a new late record beside paid ones is refused whole" settle $P3 --adjust $P1 "$tmp/mboth.ndjson"
like "$(errs "$tmp/err")" "mboth\\.ndjson:2: meter record: usage seqs 1 to 1 of unit [0-9a-f]{32}: seqs 1 to 1 already paid" "the paid line named"
unchanged "new beside paid"
# the new one alone is paid
fails 0 "the new late record alone is paid in P3" settle $P3 --adjust $P1 "$tmp/mnew.ndjson"
fails 0 "and the ledger verifies" sh -c 'terra-ledger verify >/dev/null'

# A forged entry: the owner's key re-signs an export in which P2's entry
# claims to adjust P1 with u1's seq 1, which P1 paid. The settlement still
# adds up (covers do not change the split): verify refuses the covers.
cat >"$tmp/forge.py" <<'PY'
import hashlib, os, sys
sys.path.insert(0, os.path.join(os.environ["top"], "tests", "tools"))
import terracanon
key, seq, unit = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = [terracanon.parse(l.rstrip("\n")) for l in sys.stdin if l.strip()]
leaves = []
def root(hs):
    if len(hs) == 1:
        return hs[0]
    k = 1
    while k * 2 < len(hs):
        k *= 2
    return hashlib.sha256(b"\x01" + root(hs[:k]) + root(hs[k:])).digest()
prev = "0" * 64
for rec in lines:
    if rec.get("type") == "entry":
        if rec["seq"] == seq:
            rec["payload"]["adjusts_covers"] = [[unit, 1, 1]]
        rec["prev"] = prev
        leaf = hashlib.sha256(b"\x00" + terracanon.dumps(rec)).digest()
        prev = leaf.hex()
        leaves.append(leaf)
    elif rec.get("type") == "checkpoint":
        rec.pop("sig", None)
        rec.pop("signer", None)
        rec["root"] = root(leaves[: rec["size"]]).hex()
        rec = terracanon.sign(rec, key)
    sys.stdout.buffer.write(terracanon.dumps(rec) + b"\n")
PY
top=$top $py "$tmp/forge.py" "$TERRA_HOME/owner.key" "$entry" "$u1" <"$tmp/export.ndjson" >"$tmp/forged.ndjson"
fails 3 "an export forged to adjust paid usage fails verify --pubkey" \
	sh -c 'terra-ledger verify --pubkey "$1" <"$2" >/dev/null 2>"$3"' - "$owner" "$tmp/forged.ndjson" "$tmp/err"
like "$(errs "$tmp/err")" "entry $entry: settlement: usage seqs 1 to 1 of unit $u1: seqs 1 to 1 already paid for period $H1 by settlement entry [0-9]+" \
	"the message names the entry, the usage and the settlement that paid it"
ok "(the export as it was still verifies)" \
	export_verifies "$owner" "$tmp/export.ndjson"
# The same forgery in a copy of the home: the entry's payload rewritten, and
# the whole ledger re-hashed and re-signed with the owner's key
# (tests/tools/resign.py): local verify refuses it too.
cp -R "$TERRA_HOME" "$tmp/forged-home"
cat >"$tmp/forge-db.py" <<'PY'
import os, sqlite3, sys
sys.path.insert(0, os.path.join(os.environ["top"], "tests", "tools"))
import terracanon
db = sqlite3.connect(sys.argv[1])
seq, unit = int(sys.argv[2]), sys.argv[3]
name, sql = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                       "name = 'entries_no_update'").fetchone()
db.execute("DROP TRIGGER %s" % name)
payload = terracanon.parse(db.execute("SELECT payload FROM entries WHERE seq = ?",
                                      (seq,)).fetchone()[0])
payload["adjusts_covers"] = [[unit, 1, 1]]
db.execute("UPDATE entries SET payload = ? WHERE seq = ?",
           (terracanon.dumps(payload).decode(), seq))
db.execute(sql)
db.commit()
PY
top=$top $py "$tmp/forge-db.py" "$tmp/forged-home/terra.db" "$entry" "$u1"
$py "$top/tests/tools/resign.py" --repin "$tmp/forged-home/terra.db" "$TERRA_HOME/owner.key"
fails 3 "a home forged to adjust paid usage fails terra-ledger verify" \
	sh -c 'terra-ledger -H "$1" verify >/dev/null 2>"$2"' - "$tmp/forged-home" "$tmp/err"
like "$(errs "$tmp/err")" "entry $entry: settlement: usage seqs 1 to 1 of unit $u1: seqs 1 to 1 already paid for period $H1 by settlement entry [0-9]+" \
	"the message names the entry, the usage and the settlement that paid it"

# examples/settle-hourly.sh -L: late files wait in LATE/HOUR/, the next hour
# settled pays them and moves them to LATE/HOUR/paid-in-NEXT/.
unset TERRA_BIN
hourly=$top/examples/settle-hourly.sh
export TERRA_HOME=$tmp/hh
home_init
terra-register <"$fixtures/devices/node.ndjson" >"$tmp/hunits.ndjson" 2>/dev/null
v1=$(jq -r 'select(.type == "unit") | .unit' "$tmp/hunits.ndjson" | sed -n 1p)
v2=$(jq -r 'select(.type == "unit") | .unit' "$tmp/hunits.ndjson" | sed -n 2p)
mkdir -p "$tmp/spool" "$tmp/late/2026-11-21T100000Z"
usage "$v1" 1 2026-11-21T10:00:00Z 2026-11-21T10:10:00Z >"$tmp/spool/p1.ndjson"
hourly() { # hourly NOW: settle-hourly.sh for the hour before NOW, -L late
	TERRA_NOW=$1 sh "$hourly" -r 10 -k "$tmp/h.csv" -L "$tmp/late" "$tmp/spool" >"$tmp/out" 2>"$tmp/err"
}
fails 0 "settle-hourly.sh settles 10:00" hourly 2026-11-21T11:05:00Z
usage "$v2" 1 2026-11-21T10:20:00Z 2026-11-21T10:30:00Z >"$tmp/late/2026-11-21T100000Z/prov2.ndjson"
cp "$tmp/late/2026-11-21T100000Z/prov2.ndjson" "$tmp/prov2.ndjson"
usage "$v1" 2 2026-11-21T11:00:00Z 2026-11-21T11:10:00Z >"$tmp/spool/p2.ndjson"
fails 0 "settle-hourly.sh -L settles 11:00 and pays the late file of 10:00" hourly 2026-11-21T12:05:00Z
like "$(errs "$tmp/err")" "paid the late usage of 2026-11-21T10:00:00Z/PT1H" "it says so"
ok "the late file moved to paid-in-2026-11-21T110000Z" \
	test -f "$tmp/late/2026-11-21T100000Z/paid-in-2026-11-21T110000Z/prov2.ndjson"
is "$(terra-ledger export -f ndjson | jq -c "select(.type == \"entry\" and .kind == \"settlement\") | .payload | [.period, .adjusts, (.adjusts_covers // [] | map(.[0]))]" | tail -n 1)" \
	"[\"$H2\",\"$H1\",[\"$v2\"]]" "the settlement of 11:00 adjusts 10:00 with the late unit"
keep
fails 0 "settle-hourly.sh for 11:00 again changes nothing" hourly 2026-11-21T12:05:00Z
unchanged "the repeat"
cp "$tmp/prov2.ndjson" "$tmp/late/2026-11-21T100000Z/again.ndjson"
fails 1 "the same late file again: refused, the next hour settled without it (exit 1)" \
	hourly 2026-11-21T13:05:00Z
like "$(errs "$tmp/err")" "the late usage of 2026-11-21T10:00:00Z/PT1H is refused" "it says so"
ok "the file moved to refused-in-2026-11-21T120000Z" \
	test -f "$tmp/late/2026-11-21T100000Z/refused-in-2026-11-21T120000Z/again.ndjson"
like "$(cat "$tmp/late/2026-11-21T100000Z/refused-in-2026-11-21T120000Z/reason.txt")" "already paid" \
	"with the reason"
is "$(sqlite3 "$TERRA_HOME/terra.db" "SELECT count(*) FROM settlements")" 3 "12:00 was settled"
fails 0 "the ledger verifies" verifies

done_testing
