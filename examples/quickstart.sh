#!/bin/sh
# The quickstart pipeline (terra(7), A day in the life) in a throwaway
# home: probe this machine's OpenCL devices (PoCL's CPU device at least),
# tokenize them, earn with mining and AI work, meter the signed usage,
# settle a revenue between the units' owner and the token holders of
# examples/holders.csv, verify the ledger and show the balances. `make demo`
# runs it; TERRA_BIN picks the commands (default: the ones on PATH).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ -n "${TERRA_BIN:-}" ] && PATH=$TERRA_BIN:$PATH
export PATH
demo=$(mktemp -d "${TMPDIR:-/tmp}/terra-demo.XXXXXX")
trap 'rm -rf "$demo"' EXIT
export TERRA_HOME="$demo/home"
step() { printf '\n== %s\n' "$*" >&2; }

step "terra-register init: a home with an owner key and a database"
terra-register init

step "terra-probe --quick | terra-register: find, benchmark and tokenize devices"
terra-probe --quick >"$demo/devices.ndjson" || {
	echo "terra-probe reported an unhealthy device; registering the rest" >&2
}
terra-register <"$demo/devices.ndjson" >"$demo/units.ndjson"
terra-register list -o table >&2

# The hour being metered starts now, rounded down to the hour.
now=$(date -u +%Y-%m-%dT%H:00:00Z)
step "terra-run: mining (sha256d) and AI (sgemm) work, signed usage records"
terra-run -w sha256d -t 3 >>"$demo/usage.ndjson"
terra-run -w sgemm --size 512,512,512 >>"$demo/usage.ndjson"
printf '%s usage records, each signed by its unit\n' "$(wc -l <"$demo/usage.ndjson")" >&2

step "terra-meter | terra-settle: verify, aggregate, split 1250.5 TERRA exactly"
terra-meter -p "$now/PT1H" "$demo/usage.ndjson" >"$demo/meter.ndjson"
terra-settle --revenue 1250.5 --holders "$here/holders.csv" <"$demo/meter.ndjson" \
	>"$demo/payouts.ndjson"
printf '%s payouts\n' "$(wc -l <"$demo/payouts.ndjson")" >&2

step "terra-ledger verify: chain, signatures, checkpoints, settlements"
terra-ledger verify
step "terra-ledger balance"
terra-ledger balance -o table
