#!/bin/sh
# Writes tests/fixtures/golden-home: the owner key and the unit keys of the
# devices that tests/golden.t registers (tests/fixtures/devices/node.ndjson
# and the replay of tests/fixtures/probe/pocl.ndjson). Run once; a new home
# changes every golden file (ids, keys, signatures, hashes), so regenerate
# them after it: TERRA_GOLDEN_UPDATE=1 make test T=tests/golden.t.
# usage: TERRA_BIN=build/rel/bin sh tests/golden-home.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=${TERRA_BIN:-$top/build/rel/bin}:$PATH
export LC_ALL=C TERRA_NOW=2026-11-21T10:00:00Z
tmp=$(mktemp -d "${TMPDIR:-/tmp}/terra-golden-home.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export TERRA_HOME=$tmp/home
terra-register init 2>/dev/null
terra-register <"$top/tests/fixtures/devices/node.ndjson" >/dev/null
terra-probe --replay "$top/tests/fixtures/probe/pocl.ndjson" | terra-register >/dev/null
out=$top/tests/fixtures/golden-home
rm -rf "$out"
mkdir -p "$out/units"
cp "$TERRA_HOME/owner.key" "$TERRA_HOME/owner.pub" "$out/"
cp "$TERRA_HOME"/units/*.key "$out/units/"
ls "$out/units" | wc -l | sed 's/^/golden-home: unit keys: /'
