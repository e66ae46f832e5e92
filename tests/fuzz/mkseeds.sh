#!/bin/sh
# Writes the proof seeds of tests/fuzz/corpus/proof and proof-key.h from a
# real settlement in a throwaway home (run once by hand; the output is
# checked in). Usage: tests/fuzz/mkseeds.sh BINDIR
set -eu
bin=${1:?usage: mkseeds.sh BINDIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$bin:$PATH
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TERRA_HOME=$tmp/home TERRA_NOW=2026-11-21T11:00:00Z
terra-register init 2>/dev/null
unit=$(terra-register <"$top/tests/fixtures/devices/h100-65.ndjson" | jq -r .unit)
owner=$(cat "$TERRA_HOME/owner.pub")
printf 'account,balance\nalice,300\nbob,100\n' >"$tmp/holders.csv"
printf '{"type":"meter","v":1,"period":"2026-11-21T10:00:00Z/PT1H","unit":"%s","owner":"%s","weight":1000,"busy_us":10,"score":100}\n' \
	"$unit" "$owner" | terra-settle --revenue 1250.5 --holders "$tmp/holders.csv" >/dev/null
out=$top/tests/fuzz/corpus/proof
for a in alice bob "$owner" treasury; do
	terra-ledger prove --account "$a" -p 2026-11-21T10:00:00Z/PT1H >"$out/$(printf %s "$a" | cut -c1-8).json"
done
printf '#define TERRA_FUZZ_PROOF_KEY "%s"\n' "$owner" >"$top/tests/fuzz/proof-key.h"
