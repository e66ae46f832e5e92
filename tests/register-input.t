#!/bin/sh
# terra-register on bad input: each bad line reported with file:line and
# skipped, the good records of the same input still registered, exit 1;
# --reject keeps the bad lines; --strict registers nothing.
. "$(dirname "$0")/setup"
quiet() { "$@" 2>/dev/null; }
dev=$fixtures/devices
rows() { sqlite3 "$TERRA_HOME/terra.db" "$1"; }

terra-register init 2>/dev/null
owner=$(cat "$TERRA_HOME/owner.pub")

# One input with a good device, every kind of bad line, and another good one.
in=$tmp/in.ndjson
cat "$dev/h100-65.ndjson" >"$in"                                          # 1 good
printf '{"type":"device","v":1,"host":\n' >>"$in"                         # 2 malformed JSON
jq -c '.global_mem_bytes = "80GB"' "$dev/h100-ca.ndjson" >>"$in"           # 3 wrong type
"$py" -c 'import sys; sys.stdout.write("{\"type\":\"device\",\"v\":1,\"x\":\"" + "a" * (2 << 20) + "\"}\n")' \
	>>"$in"                                                               # 4 a 2 MiB line
printf '\177ELF\002\001\001\000\000\000\377\376\375garbage\n' >>"$in"      # 5 binary garbage
jq -c '.kind = "fpga"' "$dev/h100-ca.ndjson" >>"$in"                       # 6 bad kind
jq -c '.fingerprint = "XYZ"' "$dev/h100-ca.ndjson" >>"$in"                 # 7 bad fingerprint
jq -c 'del(.name)' "$dev/h100-ca.ndjson" >>"$in"                           # 8 missing field
jq -c '.bench.fp32_mflops = 1.5' "$dev/h100-ca.ndjson" >>"$in"             # 9 a real number
jq -c '.health.status = "unwell"' "$dev/h100-ca.ndjson" >>"$in"           # 10 bad health
cat "$dev/pocl-cpu.ndjson" >>"$in"                                         # 11 good

fails 1 "bad lines make the exit status 1" sh -c 'terra-register --reject "$1" "$2" >"$3" 2>"$4"' sh \
	"$tmp/rejects" "$in" "$tmp/out" "$tmp/err"
err=$(cat "$tmp/err")
like "$err" "^terra-register: $in:2: " "malformed JSON is reported with file:line"
like "$err" "$in:3: device record: field 'global_mem_bytes' must be an integer" \
	"a wrong field type is reported with file:line and the field"
like "$err" "$in:4: .*1 MiB" "a 2 MiB line is reported with file:line"
like "$err" "$in:5: " "binary garbage is reported with file:line"
like "$err" "$in:6: device record: field 'kind' must be one of gpu, cpu, accelerator" \
	"a bad kind is reported"
like "$err" "$in:7: device record: field 'fingerprint' must be 64 lowercase hex digits" \
	"a bad fingerprint is reported"
like "$err" "$in:8: device record: .*'name'" "a missing field is reported"
like "$err" "$in:9: " "a real number is reported"
like "$err" "$in:10: device record: field 'health' must be an object whose 'status' is one of ok, degraded, sick" \
	"a bad health status is reported"
is "$(grep -v 'reject file' "$tmp/err" | grep -c "^terra-register: $in:[0-9]*: ")" 9 \
	"nine bad lines, nine messages"
is "$(wc -l <"$tmp/out")" 2 "the two good devices are written"
is "$(jq -r .device.pci_bus_id "$tmp/out" | head -1)" 0000:65:00.0 "the first good device is registered"
is "$(jq -r .device.kind "$tmp/out" | tail -1)" cpu "the good device after the bad lines is registered"
is "$(rows "SELECT count(*) FROM units")" 2 "only the good devices are in the database"
is "$(ls "$TERRA_HOME/units" | wc -l)" 2 "only the good devices have keys"
is "$(rows "SELECT count(*) FROM entries")" 2 "only the good devices are in the ledger"
"$py" -c 'import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
sys.stdout.buffer.write(b"".join(lines[i] + b"\n" for i in (1, 2, 4, 5, 6, 7, 8, 9)))' "$in" >"$tmp/want-rejects"
ok "--reject keeps the bad lines byte for byte (but the 2 MiB one)" cmp -s "$tmp/rejects" "$tmp/want-rejects"
like "$err" "$in:4: line too long to copy to the reject file" "the 2 MiB line is said not to be kept"

# How the bench was taken (terra-probe(1)): a mode other than full or
# quick, a host load past 100%: refused by file and line, nothing stored.
jq -c '.bench.mode = "turbo" | .fingerprint = "'"$(printf '%064x' 91)"'"' "$dev/pocl-cpu.ndjson" >"$tmp/how.ndjson"
jq -c '.bench.mode = "full" | .bench.host_others_pct = 101 | .fingerprint = "'"$(printf '%064x' 92)"'"' \
	"$dev/pocl-cpu.ndjson" >>"$tmp/how.ndjson"
units=$(rows "SELECT count(*) FROM units")
fails 1 "a bad bench mode or host load: exit 1" sh -c 'terra-register "$1" >/dev/null 2>"$2"' sh \
	"$tmp/how.ndjson" "$tmp/err"
like "$(cat "$tmp/err")" "how.ndjson:1: device record: bench: field 'mode' must be \"full\" or \"quick\"" \
	"... a bad mode named with file:line"
like "$(cat "$tmp/err")" "how.ndjson:2: device record: bench: field 'host_others_pct' must be 0 to 100" \
	"... a host load past 100% named with file:line"
is "$(rows "SELECT count(*) FROM units")" "$units" "... neither registered"

# An empty file is valid, empty input.
: >"$tmp/empty.ndjson"
fails 0 "an empty file is not an error" sh -c 'terra-register "$1" >"$2" 2>"$3"' sh \
	"$tmp/empty.ndjson" "$tmp/out" "$tmp/err"
is "$(wc -c <"$tmp/out")" 0 "an empty file writes nothing"
is "$(errs "$tmp/err" | wc -c)" 0 "an empty file says nothing"
printf '\n\n' >"$tmp/blank.ndjson"
fails 0 "blank lines are skipped" quiet terra-register "$tmp/blank.ndjson"

# Several files and stdin, one of them missing.
fails 1 "a missing file is an error" sh -c 'terra-register "$1" - "$2" <"$3" >"$4" 2>"$5"' sh \
	"$tmp/no-such.ndjson" "$dev/h100-ca.ndjson" "$dev/h100-65.ndjson" "$tmp/out" "$tmp/err"
like "$(cat "$tmp/err")" "no-such\\.ndjson" "the missing file is named"
is "$(wc -l <"$tmp/out")" 2 "the other inputs are still read"
is "$(rows "SELECT count(*) FROM units")" 3 "the device of the last file is registered"

# Records of another type pass through, byte for byte.
printf '{"v":1,"zzz":[1,2],"type":"usage","a":"\\u00e9"}\n' >"$tmp/other.ndjson"
terra-register "$tmp/other.ndjson" >"$tmp/out"
ok "other records pass through unchanged" cmp -s "$tmp/out" "$tmp/other.ndjson"

# --strict: one bad line, nothing registered.
fails 0 "a second home for --strict" quiet terra-register -H "$tmp/strict" init
cat "$dev/h100-65.ndjson" "$dev/h100-ca.ndjson" >"$tmp/strict.ndjson"
jq -c '.compute_units = -1' "$dev/pocl-cpu.ndjson" >>"$tmp/strict.ndjson"
fails 1 "--strict with a bad line exits 1" sh -c 'terra-register -H "$1" --strict "$2" >"$3" 2>"$4"' sh \
	"$tmp/strict" "$tmp/strict.ndjson" "$tmp/out" "$tmp/err"
like "$(cat "$tmp/err")" "strict\\.ndjson:3: device record: field 'compute_units' must not be negative" \
	"--strict names the bad line"
like "$(cat "$tmp/err")" "nothing registered" "--strict says nothing was registered"
is "$(wc -c <"$tmp/out")" 0 "--strict with a bad line writes nothing"
is "$(sqlite3 "$tmp/strict/terra.db" "SELECT count(*) FROM units")" 0 "--strict registers nothing"
is "$(ls "$tmp/strict/units" | wc -l)" 0 "--strict makes no key"
head -2 "$tmp/strict.ndjson" >"$tmp/strict-good.ndjson"
fails 0 "--strict with good input registers" sh -c 'terra-register -H "$1" --strict <"$2" >"$3"' sh \
	"$tmp/strict" "$tmp/strict-good.ndjson" "$tmp/out"
is "$(wc -l <"$tmp/out")" 2 "--strict with good input writes the units"
is "$(sqlite3 "$tmp/strict/terra.db" "SELECT count(*) FROM units")" 2 "--strict with good input stores them"

done_testing
