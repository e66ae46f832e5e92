#!/bin/sh
# terra-register: init, registration, the same device twice, transfer,
# retire, list and show.
. "$(dirname "$0")/setup"
quiet() { "$@" 2>/dev/null; }
dev=$fixtures/devices
verify() { # verify SIGNER FILE: every line signed by SIGNER, checked by PyNaCl
	"$py" "$top/tests/tools/nacl_verify.py" -r -s "$1" "$2" >"$tmp/verify.out"
}
field() { jq -r "$1" "$2"; }
rows() { sqlite3 "$TERRA_HOME/terra.db" "$1"; }

# Options.
out=$(terra-register -h)
like "$out" '^usage: terra-register' "-h prints the usage on stdout"
fails 0 "-h exits 0" sh -c 'terra-register -h >/dev/null'
like "$(terra-register -V)" '^terra-register [0-9]+\.[0-9]+' "-V prints the version"
fails 2 "an unknown option is a usage error" quiet terra-register --no-such-option
err=$(terra-register --no-such-option 2>&1 >/dev/null || true)
like "$err" 'usage: terra-register' "an unknown option prints the usage on stderr"
fails 2 "show without a unit is a usage error" quiet terra-register show
fails 2 "-o with registering is a usage error" quiet terra-register -o csv "$dev/h100-65.ndjson"
fails 2 "a bad -o value is a usage error" quiet terra-register -o yaml list

# No home yet.
fails 1 "registering without a home fails" quiet terra-register "$dev/h100-65.ndjson"
err=$(terra-register "$dev/h100-65.ndjson" 2>&1 || true)
like "$err" "run 'terra-register init'" "without a home, the message names terra-register init"
ok "nothing was created without init" test ! -e "$TERRA_HOME"

# init, twice.
fails 0 "init creates the home" quiet terra-register init
ok "owner.key exists" test -f "$TERRA_HOME/owner.key"
is "$(stat -c %a "$TERRA_HOME/owner.key")" 600 "owner.key has mode 600"
ok "units/ exists" test -d "$TERRA_HOME/units"
ok "terra.db exists" test -f "$TERRA_HOME/terra.db"
owner=$(cat "$TERRA_HOME/owner.pub")
like "$owner" '^[0-9a-f]{64}$' "owner.pub holds a public key"
cp "$TERRA_HOME/owner.key" "$tmp/owner.key.before"
cp "$TERRA_HOME/owner.pub" "$tmp/owner.pub.before"
cp "$TERRA_HOME/terra.db" "$tmp/terra.db.before"
fails 0 "init on an existing home exits 0" quiet terra-register init
err=$(terra-register init 2>&1)
is "$err" "terra-register: home '$TERRA_HOME' already exists; nothing changed" \
	"init on an existing home says nothing changed"
ok "init again leaves owner.key byte for byte" cmp -s "$TERRA_HOME/owner.key" "$tmp/owner.key.before"
ok "init again leaves owner.pub byte for byte" cmp -s "$TERRA_HOME/owner.pub" "$tmp/owner.pub.before"
ok "init again leaves terra.db byte for byte" cmp -s "$TERRA_HOME/terra.db" "$tmp/terra.db.before"
fails 0 "init --force on a complete home exits 0" quiet terra-register init --force
ok "init --force never replaces owner.key" cmp -s "$TERRA_HOME/owner.key" "$tmp/owner.key.before"
fails 2 "--force with another subcommand is a usage error" quiet terra-register --force list
fails 0 "-H DIR makes a second home" quiet terra-register -H "$tmp/buyer" init
buyer=$(cat "$tmp/buyer/owner.pub")

# Register one device.
fails 0 "registering a device exits 0" sh -c 'terra-register "$1" >"$2"' sh \
	"$dev/h100-65.ndjson" "$tmp/u1"
is "$(wc -l <"$tmp/u1")" 1 "one unit record on stdout"
unit=$(field .unit "$tmp/u1")
like "$unit" '^[0-9a-f]{32}$' "the unit id is 32 hex digits"
is "$(field .type "$tmp/u1")" unit "the record is a unit record"
is "$(field .owner "$tmp/u1")" "$owner" "the unit's owner is the home's key"
is "$(field .signer "$tmp/u1")" "$owner" "the unit record is signed by the owner"
is "$(field .fingerprint "$tmp/u1")" "$(field .fingerprint "$dev/h100-65.ndjson")" \
	"the unit carries the device fingerprint"
is "$(field .state "$tmp/u1")" active "a new unit is active"
is "$(field .score "$tmp/u1")" 48120000 "the score is the benchmarked sgemm_mflops, not fp32_mflops (51234000)"
is "$(field .registered_at "$tmp/u1")" 2026-11-21T10:00:00.000000Z "registered_at follows TERRA_NOW"
is "$(field .device.pci_bus_id "$tmp/u1")" 0000:65:00.0 "the device summary keeps the PCI bus id"
is "$(field .bench.mem_bw_mbps "$tmp/u1")" 2913000 "the unit keeps the benchmark baseline"
want=$("$py" -c 'import hashlib, sys
print(hashlib.blake2b(bytes.fromhex(sys.argv[1]) + sys.argv[2].encode(), digest_size=16).hexdigest())' \
	"$owner" "$(field .fingerprint "$dev/h100-65.ndjson")")
is "$unit" "$want" "the unit id is BLAKE2b-128 of owner key and fingerprint (Python hashlib)"
ok "the unit record verifies with PyNaCl" verify "$owner" "$tmp/u1"
ok "the unit key file exists" test -f "$TERRA_HOME/units/$unit.key"
is "$(stat -c %a "$TERRA_HOME/units/$unit.key")" 600 "the unit key file has mode 600"
is "$(rows "SELECT count(*) FROM units")" 1 "one unit in the database"
is "$(rows "SELECT next_seq FROM unit_seq WHERE unit = '$unit'")" 1 "usage seqs start at 1"
is "$(rows "SELECT kind FROM entries")" unit "one ledger entry of kind unit"
cp "$TERRA_HOME/units/$unit.key" "$tmp/unit.key.before"

# The same device again.
fails 0 "the same device again exits 0" sh -c 'terra-register "$1" >"$2" 2>"$3"' sh \
	"$dev/h100-65.ndjson" "$tmp/u2" "$tmp/e2"
is "$(errs "$tmp/e2")" \
	"terra-register: $dev/h100-65.ndjson:1: device already registered as unit $unit" \
	"the same device again is reported as already registered"
ok "the same device again writes the existing unit record" cmp -s "$tmp/u1" "$tmp/u2"
is "$(ls "$TERRA_HOME/units" | wc -l)" 1 "the same device again makes no new key"
ok "the unit key is unchanged" cmp -s "$TERRA_HOME/units/$unit.key" "$tmp/unit.key.before"
is "$(rows "SELECT count(*) FROM units")" 1 "the same device again adds no row"
is "$(rows "SELECT count(*) FROM entries")" 1 "the same device again adds no ledger entry"

# A whole probe from stdin: host passes through, the twin H100 is a new unit.
fails 0 "a probe on stdin registers" sh -c 'terra-register <"$1" >"$2" 2>"$3"' sh \
	"$dev/node.ndjson" "$tmp/u3" "$tmp/e3"
is "$(wc -l <"$tmp/u3")" 4 "one line out per line in"
is "$(sed -n 1p "$tmp/u3")" "$(sed -n 1p "$dev/node.ndjson")" "the host record passes through unchanged"
is "$(sed -n 2p "$tmp/u3" | jq -r .unit)" "$unit" "the known H100 keeps its unit"
like "$(cat "$tmp/e3")" '^terra-register: <stdin>:2: device already registered' \
	"stdin is named <stdin> in messages"
twin=$(sed -n 3p "$tmp/u3" | jq -r .unit)
cpu=$(sed -n 4p "$tmp/u3" | jq -r .unit)
ok "the same model in another PCI slot is another unit" test "$twin" != "$unit"
is "$(sed -n 3p "$tmp/u3" | jq -r .device.pci_bus_id)" 0000:ca:00.0 "the twin is the one in 0000:ca:00.0"
is "$(sed -n 4p "$tmp/u3" | jq -r .device.kind)" cpu "the PoCL device is a cpu unit"
is "$(rows "SELECT count(*) FROM units")" 3 "three units in the database"
is "$(ls "$TERRA_HOME/units" | wc -l)" 3 "three unit keys"
sed -n '2,4p' "$tmp/u3" >"$tmp/units"
ok "all unit records verify with PyNaCl" verify "$owner" "$tmp/units"

# list and show.
terra-register list >"$tmp/list"
is "$(jq -r .unit "$tmp/list" | tr '\n' ' ')" "$(printf '%s\n' "$unit" "$twin" "$cpu" | sort | tr '\n' ' ')" \
	"list writes every unit, ordered by id"
terra-register -o json list >"$tmp/list.json"
ok "list off a terminal is the same as -o json" cmp -s "$tmp/list" "$tmp/list.json"
ok "listed records still verify" verify "$owner" "$tmp/list.json"
terra-register -o csv list >"$tmp/list.csv"
like "$(sed -n 1p "$tmp/list.csv")" '^unit,state,owner,' "list -o csv has a header line"
is "$(wc -l <"$tmp/list.csv")" 4 "list -o csv has a line per unit"
like "$(grep "^$twin," "$tmp/list.csv")" "^$twin,active,$owner,.*,0000:ca:00\\.0," "a CSV row holds the unit's fields"
terra-register -o table list >"$tmp/list.table"
like "$(sed -n 1p "$tmp/list.table")" '^UNIT +STATE' "list -o table has a header"
like "$(grep "^$cpu" "$tmp/list.table")" "^$cpu +active +ok +cpu " "a table row holds the unit's fields and health"
terra-register -o json show "$twin" >"$tmp/show"
is "$(jq -r .unit "$tmp/show")" "$twin" "show writes the unit"
terra-register show "$(printf %.8s "$twin")" >"$tmp/show.prefix"
ok "show takes an unambiguous prefix" cmp -s "$tmp/show" "$tmp/show.prefix"
like "$(terra-register -o csv show "$twin" | sed -n 2p)" "^$twin,active," "show -o csv"
like "$(terra-register -o table show "$twin" | sed -n 2p)" "^$twin +active" "show -o table"
fails 1 "show of an unknown unit fails" quiet terra-register show 0123456789abcdef0123456789abcdef
err=$(terra-register show 0123456789abcdef0123456789abcdef 2>&1 || true)
like "$err" "unknown unit '0123456789abcdef0123456789abcdef'" "show names the unknown unit"
fails 1 "show of a non-hex id fails" quiet terra-register show ../owner

# transfer.
entries=$(rows "SELECT count(*) FROM entries")
fails 1 "transfer to a bad public key fails" quiet terra-register transfer "$unit" 1234
err=$(terra-register transfer "$unit" 1234 2>&1 || true)
like "$err" "64 hex" "a bad public key is named as such"
fails 1 "transfer to the current owner fails" quiet terra-register transfer "$unit" "$owner"
is "$(rows "SELECT count(*) FROM entries")" "$entries" "refused transfers change nothing"
fails 0 "transfer succeeds" sh -c 'terra-register transfer "$1" "$2" >"$3"' sh \
	"$unit" "$buyer" "$tmp/t1"
is "$(field .owner "$tmp/t1")" "$buyer" "the new record names the new owner"
is "$(field .transferred_from "$tmp/t1")" "$owner" "the new record names the previous owner"
is "$(field .signer "$tmp/t1")" "$owner" "the transfer is signed by the previous owner"
is "$(field .updated_at "$tmp/t1")" 2026-11-21T10:00:00.000000Z "the transfer has updated_at"
is "$(field .unit "$tmp/t1")" "$unit" "the unit keeps its id"
is "$(field .registered_at "$tmp/t1")" 2026-11-21T10:00:00.000000Z "the unit keeps registered_at"
ok "the transfer record verifies with PyNaCl" verify "$owner" "$tmp/t1"
is "$(terra-register show "$unit" | jq -r .owner)" "$buyer" "show gives the new owner"
is "$(rows "SELECT kind FROM entries ORDER BY seq DESC LIMIT 1")" transfer "a transfer ledger entry"
fails 1 "transfer of a unit this home no longer owns fails" quiet terra-register transfer "$unit" "$owner"
err=$(terra-register transfer "$unit" "$owner" 2>&1 || true)
like "$err" "not by this home's owner key" "the refusal says who owns the unit"
fails 1 "retire of a unit this home no longer owns fails" quiet terra-register retire "$unit"
fails 0 "the transferred device registers as the same unit" sh -c 'terra-register "$1" >"$2" 2>&1' sh \
	"$dev/h100-65.ndjson" "$tmp/again"

# retire.
fails 0 "retire succeeds" sh -c 'terra-register retire "$1" >"$2"' sh "$twin" "$tmp/r1"
is "$(field .state "$tmp/r1")" retired "the retired record says so"
is "$(field .retired_at "$tmp/r1")" 2026-11-21T10:00:00.000000Z "the retired record has retired_at"
is "$(field .signer "$tmp/r1")" "$owner" "the retirement is signed by the owner"
is "$(field 'has("transferred_from")' "$tmp/r1")" false "a retire record has no transferred_from"
ok "the retire record verifies with PyNaCl" verify "$owner" "$tmp/r1"
is "$(rows "SELECT state FROM units WHERE unit = '$twin'")" retired "the database says retired"
is "$(rows "SELECT kind FROM entries ORDER BY seq DESC LIMIT 1")" retire "a retire ledger entry"
entries=$(rows "SELECT count(*) FROM entries")
terra-register show "$twin" >"$tmp/r.before"
fails 1 "retiring a retired unit fails" quiet terra-register retire "$twin"
err=$(terra-register retire "$twin" 2>&1 || true)
like "$err" "retire unit '$twin': the unit is retired" "retire again says the unit is retired"
fails 1 "transferring a retired unit fails" quiet terra-register transfer "$twin" "$buyer"
err=$(terra-register transfer "$twin" "$buyer" 2>&1 || true)
like "$err" "the unit is retired" "transfer says the unit is retired"
terra-register show "$twin" >"$tmp/r.after"
ok "refused changes leave the unit record" cmp -s "$tmp/r.before" "$tmp/r.after"
is "$(rows "SELECT count(*) FROM entries")" "$entries" "refused changes add no ledger entry"
err=$(terra-register "$dev/h100-ca.ndjson" 2>&1 >/dev/null)
like "$err" "device already registered as unit $twin \\(retired\\)" \
	"registering a retired device again says it is retired"
is "$(rows "SELECT count(*) FROM units")" 3 "still three units"

# A device without a benchmark (terra-probe --bench none): registered with
# score 0 and a warning; its benchmark later rescores it.
NB=$tmp/nobench
quiet terra-register -H "$NB" init
jq -c 'del(.bench)' "$dev/pocl-cpu.ndjson" >"$tmp/nobench.ndjson"
fails 0 "a device without a benchmark registers" sh -c 'terra-register -H "$1" "$2" >"$3" 2>"$4"' sh \
	"$NB" "$tmp/nobench.ndjson" "$tmp/nb.unit" "$tmp/nb.err"
nbunit=$(field .unit "$tmp/nb.unit")
is "$(field .score "$tmp/nb.unit")" 0 "... with score 0"
is "$(errs "$tmp/nb.err")" \
	"terra-register: $tmp/nobench.ndjson:1: unit $nbunit has no sgemm benchmark (score 0): terra-run ranks it below every benchmarked unit; terra-probe | terra-register scores it" \
	"... and a warning that it will not be ranked"
jq -c '.bench.sgemm_mflops = 154321' "$dev/pocl-cpu.ndjson" >"$tmp/bench.ndjson"
fails 0 "the same device with a benchmark" sh -c 'terra-register -H "$1" "$2" >"$3" 2>"$4"' sh \
	"$NB" "$tmp/bench.ndjson" "$tmp/nb.unit" "$tmp/nb.err"
is "$(field '[.unit, .score, .rescored_from] | map(tostring) | join(" ")' "$tmp/nb.unit")" "$nbunit 154321 0" \
	"... rescores the unit: score = bench.sgemm_mflops, rescored_from the old score"
is "$(errs "$tmp/nb.err")" "terra-register: $tmp/bench.ndjson:1: unit $nbunit rescored: score 154321 (was 0)" \
	"... and says so"
ok "... the rescore record verifies with PyNaCl" verify "$(cat "$NB/owner.pub")" "$tmp/nb.unit"
is "$(sqlite3 "$NB/terra.db" "SELECT group_concat(kind, ' ') FROM entries")" "unit rescore" \
	"... a rescore ledger entry after the unit entry"
is "$(terra-register -H "$NB" history | jq -r .score | tr '\n' ' ')" "0 154321 " "history has both versions"
jq -c '.bench.sgemm_mflops = 160000' "$dev/pocl-cpu.ndjson" >"$tmp/bench2.ndjson"
quiet terra-register -H "$NB" "$tmp/bench2.ndjson" >"$tmp/nb.unit"
is "$(field .score "$tmp/nb.unit")" 154321 "a benchmark within 5% (3.7% up) leaves the score"
# Only the workload's figure scores: a device record with clpeak-style
# figures alone (any fp32_mflops it claims) is not benchmarked, whether it
# is a new unit or a known one.
jq -c 'del(.bench.sgemm_mflops, .bench.sha256d_khps) | .bench.fp32_mflops = 2500000000
	| .fingerprint = "'"$(printf '%064x' 77)"'"' "$dev/pocl-cpu.ndjson" >"$tmp/fp32.ndjson"
fails 0 "a device with fp32_mflops 2500000000 and no sgemm_mflops registers" \
	sh -c 'terra-register -H "$1" "$2" >"$3" 2>"$4"' sh "$NB" "$tmp/fp32.ndjson" "$tmp/fp.unit" "$tmp/fp.err"
fpunit=$(field .unit "$tmp/fp.unit")
is "$(field .score "$tmp/fp.unit")" 0 "... with score 0, not its fp32_mflops"
is "$(errs "$tmp/fp.err")" \
	"terra-register: $tmp/fp32.ndjson:1: unit $fpunit has no sgemm benchmark (score 0): terra-run ranks it below every benchmarked unit; terra-probe | terra-register scores it" \
	"... and the warning"
jq -c 'del(.bench.sgemm_mflops, .bench.sha256d_khps) | .bench.fp32_mflops = 2500000000' \
	"$dev/pocl-cpu.ndjson" >"$tmp/fp32b.ndjson"
quiet terra-register -H "$NB" "$tmp/fp32b.ndjson" >"$tmp/nb.unit"
is "$(field '[.score, .bench.sgemm_mflops] | map(tostring) | join(" ")' "$tmp/nb.unit")" "154321 154321" \
	"a benchmarked unit's device again with fp32_mflops alone keeps its score and benchmark"
is "$(sqlite3 "$NB/terra.db" "SELECT group_concat(kind, ' ') FROM entries")" "unit rescore unit" \
	"... and adds no rescore entry"
jq -c '.bench.sgemm_mflops = 0' "$dev/pocl-cpu.ndjson" >"$tmp/zero.ndjson"
quiet terra-register -H "$NB" "$tmp/zero.ndjson" >"$tmp/nb.unit"
is "$(field .score "$tmp/nb.unit") $(sqlite3 "$NB/terra.db" "SELECT count(*) FROM entries")" "154321 3" \
	"a benchmark with sgemm_mflops 0 does not rescore the unit to 0"
if [ -x "$bin/terra-ledger" ]; then
	ok "terra-ledger verify accepts the rescored unit's ledger" verifies -H "$NB"
else
	skip "terra-ledger verify accepts the rescored unit's ledger" "terra-ledger not built"
fi

if [ -x "$bin/terra-ledger" ]; then
	ok "terra-ledger verify accepts the ledger" verifies
else
	skip "terra-ledger verify accepts the ledger" "terra-ledger not built"
fi

done_testing
