#!/bin/sh
# Health kept as history: every registered probe's observation of a unit
# is kept (the newest 1000, tests/unit/db.c), shown by terra-register
# health UNIT oldest first; list and show -o table|csv show the latest,
# and the JSON records stay the signed unit records.
. "$(dirname "$0")/setup"
home_init
dev=$tmp/gpu.json
jq -c 'select(.pci_bus_id == "0000:65:00.0")' "$fixtures/devices/node.ndjson" >"$dev"
jq -c '.health = {"status":"sick","checks":[{"name":"memory-pattern","status":"fail",
	"detail":"12 words wrong"}]}' "$dev" >"$tmp/sick.json"
TERRA_NOW=2026-11-21T10:00:00Z terra-register "$dev" >"$tmp/reg.out" 2>/dev/null
unit=$(jq -r .unit "$tmp/reg.out")
TERRA_NOW=2026-11-21T16:00:00Z terra-register "$tmp/sick.json" >/dev/null 2>&1
TERRA_NOW=2026-11-21T22:00:00Z terra-register "$dev" >/dev/null 2>&1
terra-register health "$unit" >"$tmp/h.ndjson"
is "$(jq -r '[.checked_at, .status] | join(" ")' "$tmp/h.ndjson" | tr '\n' ';')" \
	"2026-11-21T10:00:00.000000Z ok;2026-11-21T16:00:00.000000Z sick;2026-11-21T22:00:00.000000Z ok;" \
	"three observations kept, oldest first"
is "$(jq -r 'select(.status == "sick") | .reason' "$tmp/h.ndjson")" \
	"memory-pattern fail: 12 words wrong" "the sick one says why"
is "$(jq -r '[.type, .v, .unit] | join(" ")' "$tmp/h.ndjson" | sort -u)" "health 1 $unit" \
	"health records of that unit"
like "$(COLUMNS=200 terra-register -o table health "${unit%????????????????????????}")" \
	"2026-11-21T16:00:00Z +sick +memory-pattern fail: 12 words wrong" \
	"as a table, the unit found by a prefix"
like "$(COLUMNS=200 terra-register -o table list)" "^$unit +active +ok " "list -o table: health"
like "$(terra-register -o csv show "$unit")" ",ok,2026-11-21T22:00:00.000000Z\$" \
	"show -o csv: health and when"
is "$(terra-register -o json list | jq -c 'has("health")')" false \
	"list -o json: the signed unit records as they are"
fails 1 "health of an unknown unit" sh -c 'terra-register health ffff 2>"$1"' - "$tmp/err"
like "$(cat "$tmp/err")" "^terra-register: " "an error names the command"
fails 2 "health wants one unit" sh -c 'terra-register health 2>/dev/null'
done_testing
