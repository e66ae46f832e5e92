#!/bin/sh
# Golden outputs: a whole pipeline from a fixed home (tests/fixtures/golden-home:
# checked-in owner and unit keys; Ed25519 signs deterministically and
# TERRA_NOW fixes the clock), recorded devices and usage records built from
# fixed fields, compared byte for byte with tests/golden/. Every step's
# stdout, stderr (paths of this run shown as $TMP and $TOP) and exit status
# is kept: payouts, meter records, exports in every format, tables (100
# columns), verify summaries, and the messages of bad inputs.
#
# A change of messages, exit statuses or formats shows here as a diff;
# after reviewing it, rewrite the files with
#   TERRA_GOLDEN_UPDATE=1 make test T=tests/golden.t
# and review `git diff tests/golden` again before committing them.
. "$(dirname "$0")/setup"
golden=$top/tests/golden
out=$tmp/golden
mkdir "$out"
: >"$out/status"

# step NAME CMD...: CMD's stdout to NAME.out, stderr to NAME.err, status to status.
step() {
	_s=$1
	shift
	set +e
	"$@" >"$out/$_s.out" 2>"$tmp/err"
	_st=$?
	set -e
	sed -e "s|$tmp|\$TMP|g" -e "s|$top|\$TOP|g" "$tmp/err" >"$out/$_s.err"
	echo "$_s $_st" >>"$out/status"
}

# The home: the fixture's keys, then terra-register init adds the database.
mkdir -p "$TERRA_HOME/units"
cp "$top/tests/fixtures/golden-home/owner.key" "$top/tests/fixtures/golden-home/owner.pub" \
	"$TERRA_HOME/"
cp "$top/tests/fixtures/golden-home/units/"*.key "$TERRA_HOME/units/"
chmod 700 "$TERRA_HOME" "$TERRA_HOME/units"
chmod 600 "$TERRA_HOME/owner.key" "$TERRA_HOME/units/"*.key
step init terra-register init
owner=$(cat "$TERRA_HOME/owner.pub")

# Devices: a recorded node, and a probe replayed from a recording.
step register terra-register "$fixtures/devices/node.ndjson"
step probe terra-probe --replay "$fixtures/probe/pocl.ndjson"
step register-probe terra-register "$out/probe.out"
step register-bad sh -c 'printf "%s\n" "{\"type\":\"device\",\"v\":1}" "not json" | terra-register'
step list terra-register list -o json
step list-csv terra-register list -o csv
step list-table env COLUMNS=100 terra-register list -o table

# Usage records signed by each unit's key, from fixed fields.
unit_of() { jq -r "select($1) | .unit" "$out/list.out"; }
gpu1=$(unit_of '.device.pci_bus_id == "0000:65:00.0"')
gpu2=$(unit_of '.device.pci_bus_id == "0000:ca:00.0"')
xeon=$(unit_of '.device.host == "gpu-node-07" and .device.kind == "cpu"')
pocl=$(unit_of '.device.host == "vm"')
ok "four units, one per device" test -n "$gpu1" -a -n "$gpu2" -a -n "$xeon" -a -n "$pocl"
usage() { # usage UNIT SEQ FIELDS...
	_u=$1 _q=$2
	shift 2
	$py "$top/tests/tools/mkusage.py" -k "$TERRA_HOME/units/$_u.key" -u "$_u" seq="$_q" "$@"
}
U=$tmp/usage.ndjson
{
	usage "$gpu1" 1 start=2026-11-21T10:00:00Z end=2026-11-21T10:30:00Z busy_us=1200000000 work=5000 mine=6
	usage "$gpu1" 2 start=2026-11-21T10:30:00Z end=2026-11-21T11:30:00Z busy_us=3000000000 work=9000 mine=6
	usage "$gpu2" 1 start=2026-11-21T10:00:00Z end=2026-11-21T11:00:00Z busy_us=3600000000 work=7000 mine=6
	usage "$xeon" 1 start=2026-11-21T11:00:00Z end=2026-11-21T12:00:00Z busy_us=1800000000 work=300 mine=6
	# crosses the period's end: counted pro rata
	usage "$pocl" 1 start=2026-11-21T11:30:00Z end=2026-11-21T12:30:00Z busy_us=3600000000 work=100 mine=6
} >"$U"
B=$tmp/bad-usage.ndjson
{
	cat "$U"
	usage "$gpu1" 1 start=2026-11-21T10:00:00Z end=2026-11-21T10:30:00Z busy_us=1200000000 work=5000 mine=6
	usage "$gpu2" 2 '!busy_us=7'
	usage "$xeon" 2 busy_us='"1"'
	echo 'not json'
} >"$B"

P=2026-11-21T10:00:00Z/PT2H
# The fixture's few thousand hashes weigh as much as a GPU's hour would:
# 10^12 FLOPs a hash (terra-meter --rate).
R=--rate=sha256d=1000000000000
step meter terra-meter -p $P --price 2.5 $R "$U"
step meter-csv terra-meter -p $P --price 2.5 $R -o csv "$U"
step meter-table env COLUMNS=100 terra-meter -p $P --price 2.5 $R -o table "$U"
step meter-bad terra-meter -p $P --price 2.5 $R "$B"
step meter-strict terra-meter -p $P --strict "$B"

# Settlement, payment, and the ledger in every form.
H=$fixtures/settle/holders.csv
step settle terra-settle --revenue 1250.5 --holders "$H" "$out/meter.out"
step settle-again terra-settle --revenue 1250.5 --holders "$H" "$out/meter.out"
step settle-bad-holders terra-settle -p 2026-11-21T12:00:00Z/PT1H --revenue 10 \
	--holders "$fixtures/settle/bad-dup.csv" "$out/meter.out"
step pay terra-ledger pay "$owner" 100.25 --ref golden-1
step pay-too-much terra-ledger pay "$owner" 1000000
step verify terra-ledger verify
step log terra-ledger log
step log-csv terra-ledger -o csv log
step log-table env COLUMNS=100 terra-ledger -o table log
step balance terra-ledger balance
step balance-csv terra-ledger -o csv balance
step balance-table env COLUMNS=100 terra-ledger -o table balance
for f in ndjson csv hledger payouts; do
	step "export-$f" terra-ledger export -f $f
done
step export-payouts-period terra-ledger export -f payouts -p 2026-11-21T10:00:00Z/PT2H
step export-bogus terra-ledger export -f bogus
step prove terra-ledger prove --account "$owner" -p 2026-11-21T10:00:00Z/PT2H
step verify-proof terra-ledger verify-proof --pubkey "$owner" "$out/prove.out"
step verify-export sh -c 'terra-ledger verify --pubkey "$1" <"$2"' - "$owner" "$out/export-ndjson.out"

# Tables fit 100 columns and keep the exact figures, with their units.
for t in list-table meter-table log-table balance-table; do
	is "$(awk '{ if (length($0) > w) w = length($0) } END { print w + 0 }' "$out/$t.out" |
		awk '{ print ($1 <= 100) }')" 1 "$t fits 100 columns"
done
total=$(jq -r 'select(.account != "carry") | .amount' "$out/balance.out" | head -n 1)
like "$(cat "$out/balance-table.out")" " $total TERRA" "the balance table has the exact amount in TERRA"
like "$(cat "$out/meter-table.out")" " 4200 s " "the meter table has busy time in seconds"
like "$(cat "$out/meter-table.out")" " 48120 GFLOPS" "... the score in GFLOPS"
like "$(cat "$out/list-table.out")" " 3958.125 GFLOPS" "the unit table has the score (sgemm_mflops) in GFLOPS"

# Compare (or rewrite) the golden files.
if [ "${TERRA_GOLDEN_UPDATE:-}" = 1 ]; then
	rm -rf "$golden"
	mkdir -p "$golden"
	cp "$out"/* "$golden/"
	echo "# TERRA_GOLDEN_UPDATE=1: rewrote $(ls "$golden" | wc -l) files in tests/golden"
fi
for f in "$out"/*; do
	n=${f##*/}
	if cmp -s "$f" "$golden/$n"; then ok "golden $n" true; else
		ok "golden $n" false
		if [ -f "$golden/$n" ]; then diff -u "$golden/$n" "$f" | head -n 40 | sed 's/^/# /'; else
			echo "# tests/golden/$n is missing (TERRA_GOLDEN_UPDATE=1 writes it)"
		fi
	fi
done
for g in "$golden"/*; do
	[ -e "$out/${g##*/}" ] || ok "golden ${g##*/} is still produced" false
done
done_testing
