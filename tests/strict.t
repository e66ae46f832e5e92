#!/bin/sh
# --strict means one thing in terra-register, terra-settle and terra-meter
# (lib/filter.h): every input is read and checked before any record is
# acted upon; at the first bad line nothing is acted upon and no record is
# passed through; exit 1. Without it the good lines go on.
. "$(dirname "$0")/setup"
dev=$fixtures/devices
p1=2026-11-21T09:00:00.000000Z/2026-11-21T10:00:00.000000Z
units() { sqlite3 "$TERRA_HOME/terra.db" 'SELECT count(*) FROM units'; }
entries() { sqlite3 "$TERRA_HOME/terra.db" 'SELECT count(*) FROM entries'; }
run() { # run STATUS NAME CMD...: stdout in $tmp/out, stderr in $tmp/err
	_st=$1 _name=$2
	shift 2
	fails "$_st" "$_name" sh -c '"$@" >"$0.out" 2>"$0.err"' "$tmp/r" "$@"
}
home_init

# terra-register: a host record (passed through), a device, a bad line, a device.
{
	sed -n 1,2p "$dev/node.ndjson"
	echo '{"type":"device","v":1'
	sed -n 3p "$dev/node.ndjson"
} >"$tmp/reg.ndjson"
before=$(units)
run 1 "register --strict: exit 1" terra-register --strict --reject "$tmp/rej" "$tmp/reg.ndjson"
like "$(cat "$tmp/r.err")" "reg\\.ndjson:3: " "register --strict: names the bad line"
is "$(wc -c <"$tmp/r.out")" 0 "register --strict: nothing written, the host record neither"
is "$(units)" "$before" "register --strict: nothing registered"
is "$(cat "$tmp/rej")" '{"type":"device","v":1' "register --strict: the bad line rejected"
run 1 "register without --strict: exit 1" terra-register "$tmp/reg.ndjson"
is "$(jq -r .type "$tmp/r.out" | tr '\n' ' ')" "host unit unit " \
	"register without --strict: the host passed through, both devices registered"
is "$(units)" $((before + 2)) "register without --strict: two units"

# terra-settle: a note (passed through), a meter record, a bad one, a meter record.
unit=$(sqlite3 "$TERRA_HOME/terra.db" 'SELECT unit FROM units LIMIT 1')
owner=$(cat "$TERRA_HOME/owner.pub")
m=$(echo '{"type":"meter","v":1,"period":"'$p1'","unit":"'$unit'","owner":"'$owner'","weight":100}' |
	signmeter)
printf '%s\n' '{"type":"note","v":1}' "$m" '{"type":"meter","v":1}' "$m" >"$tmp/meter.ndjson"
before=$(entries)
st="--revenue 1 --holders $top/examples/holders.csv -p $p1"
# shellcheck disable=SC2086 # the options above
run 1 "settle --strict: exit 1" terra-settle $st --strict --reject "$tmp/rej" "$tmp/meter.ndjson"
like "$(cat "$tmp/r.err")" "meter\\.ndjson:3: meter record: " "settle --strict: names the bad line"
is "$(wc -c <"$tmp/r.out")" 0 "settle --strict: the note not passed through"
is "$(entries)" "$before" "settle --strict: nothing settled"
is "$(cat "$tmp/rej")" '{"type":"meter","v":1}' "settle --strict: the bad line rejected"
# shellcheck disable=SC2086
run 1 "settle without --strict: exit 1" terra-settle $st "$tmp/meter.ndjson"
is "$(cat "$tmp/r.out")" '{"type":"note","v":1}' "settle without --strict: the note passed through"
is "$(entries)" "$before" "settle without --strict: nothing settled either"

# terra-meter: a note, a bad line.
printf '%s\n' '{"type":"note","v":1}' '{"type":"usage","v":1}' >"$tmp/usage.ndjson"
run 1 "meter --strict: exit 1" terra-meter -p "$p1" --strict -o json "$tmp/usage.ndjson"
like "$(cat "$tmp/r.err")" "usage\\.ndjson:2: " "meter --strict: names the bad line"
is "$(wc -c <"$tmp/r.out")" 0 "meter --strict: the note not passed through"
run 1 "meter without --strict: exit 1" terra-meter -p "$p1" -o json "$tmp/usage.ndjson"
is "$(head -n 1 "$tmp/r.out")" '{"type":"note","v":1}' "meter without --strict: the note passed through"
head -n 1 "$tmp/usage.ndjson" >"$tmp/good.ndjson"
run 0 "meter --strict, all good: exit 0" terra-meter -p "$p1" --strict -o json "$tmp/good.ndjson"
is "$(cat "$tmp/r.out")" '{"type":"note","v":1}' "meter --strict, all good: the note passed through"
done_testing
