#!/bin/sh
# terra-settle -j: the meter records' signatures are checked on worker
# threads, and everything else in input order, so a forged, unsigned,
# untrusted or replayed meter record is refused with the same FILE:LINE
# message, and the ledger entry and payouts are byte-identical, whatever the
# number of threads. Over 512 lines, so the records span several read-ahead
# groups (lib/filter.h) and the bad ones fall in different groups.
. "$(dirname "$0")/setup"
p1=2026-11-21T09:00:00.000000Z/2026-11-21T10:00:00.000000Z
holders=$fixtures/settle/holders.csv

home_init
template=$tmp/template
cp -R "$TERRA_HOME" "$template"
# another home's key: its signature is valid but not trusted here
TERRA_HOME=$tmp/other terra-register init 2>/dev/null

# 1300 meter records of distinct units, signed by this home's key
$py -c 'import json, sys
p = sys.argv[1]
for i in range(1300):
    print(json.dumps({"type": "meter", "v": 1, "period": p, "unit": "%032x" % (i + 1),
                      "owner": "%064x" % (i % 7 + 1), "weight": 1000 + 37 * i}))' "$p1" |
	signmeter >"$tmp/good.ndjson"
is "$(wc -l <"$tmp/good.ndjson" | tr -d ' ')" 1300 "1300 signed meter records"

printf '{"type":"meter","v":1,"period":"%s","unit":"%032x","owner":"%064x","weight":5}\n' \
	"$p1" 99999 1 | signmeter "$tmp/other" >"$tmp/other.ndjson"
# line 3: its signature removed; line 600: its weight raised after signing;
# line 1100: signed by an untrusted key
$py -c 'import json, sys
lines = open(sys.argv[1]).read().splitlines()
other = open(sys.argv[2]).read().splitlines()
r = json.loads(lines[2]); del r["sig"]; lines[2] = json.dumps(r)
r = json.loads(lines[599]); r["weight"] += 1; r["score"] += 1; lines[599] = json.dumps(r)
lines[1099] = other[0]
print("\n".join(lines))' "$tmp/good.ndjson" "$tmp/other.ndjson" >"$tmp/bad.ndjson"

# The same settlement with 1, 2 and 4 threads, each in a copy of the home.
for j in 1 2 4; do
	rm -rf "$tmp/h$j"
	cp -R "$template" "$tmp/h$j"
	TERRA_HOME=$tmp/h$j terra-settle -j "$j" --revenue 1250.5 --holders "$holders" \
		--reject "$tmp/rej" "$tmp/bad.ndjson" >"$tmp/pay$j" 2>"$tmp/err$j" && rc=0 || rc=$?
	echo "$rc" >"$tmp/rc$j"
	mv "$tmp/rej" "$tmp/rej$j"
	# -quote: a blob column may hold a newline byte, which would split a row in two
	sqlite3 -quote "$tmp/h$j/terra.db" 'SELECT * FROM entries ORDER BY seq' >"$tmp/entries$j"
done
is "$(cat "$tmp/rc1")" 3 "-j 1: exit status 3 (a signature) for the quarantined lines"
f=$tmp/bad.ndjson
like "$(errs "$tmp/err1")" "^terra-settle: $f:3: meter record: not signed" \
	"-j 1: the unsigned record refused, FILE:LINE"
like "$(errs "$tmp/err1")" "^terra-settle: $f:600: meter record: bad signature" \
	"-j 1: the forged record refused, FILE:LINE"
like "$(errs "$tmp/err1")" "^terra-settle: $f:1100: meter record: signer [0-9a-f]{64} is not a trusted meter key" \
	"-j 1: the record of an untrusted key refused, FILE:LINE"
is "$(wc -l <"$tmp/rej1" | tr -d ' ')" 3 "-j 1: the three bad lines quarantined"
is "$(wc -l <"$tmp/entries1" | tr -d ' ')" 1 "-j 1: the rest settled: one entry"
for j in 2 4; do
	is "$(cat "$tmp/rc$j")" "$(cat "$tmp/rc1")" "-j $j: the same exit status as -j 1"
	ok "-j $j: the same messages as -j 1, byte for byte" cmp "$tmp/err1" "$tmp/err$j"
	ok "-j $j: the same quarantined lines" cmp "$tmp/rej1" "$tmp/rej$j"
	ok "-j $j: the same payouts, byte for byte" cmp "$tmp/pay1" "$tmp/pay$j"
	ok "-j $j: the same ledger entry, byte for byte" cmp "$tmp/entries1" "$tmp/entries$j"
	ok "-j $j: the ledger verifies" verifies -H "$tmp/h$j"
done

# Without --reject: one bad record anywhere settles nothing, at any -j.
for j in 1 4; do
	rm -rf "$tmp/n$j"
	cp -R "$template" "$tmp/n$j"
	TERRA_HOME=$tmp/n$j terra-settle -j "$j" --revenue 1250.5 --holders "$holders" \
		"$tmp/bad.ndjson" >"$tmp/npay$j" 2>"$tmp/nerr$j" && rc=0 || rc=$?
	echo "$rc" >"$tmp/nrc$j"
	is "$(cat "$tmp/nrc$j")" 3 "-j $j, no --reject: exit status 3"
	is "$(sqlite3 "$tmp/n$j/terra.db" 'SELECT count(*) FROM entries')" \
		"$(sqlite3 "$template/terra.db" 'SELECT count(*) FROM entries')" \
		"-j $j, no --reject: the ledger unchanged"
done
ok "no --reject: the same messages with -j 1 and -j 4" cmp "$tmp/nerr1" "$tmp/nerr4"

# A record replayed in the same input (line 10 again, at line 1301): the
# unit twice, nothing settled, at any -j.
cat "$tmp/good.ndjson" >"$tmp/dup.ndjson"
sed -n 10p "$tmp/good.ndjson" >>"$tmp/dup.ndjson"
for j in 1 4; do
	rm -rf "$tmp/d$j"
	cp -R "$template" "$tmp/d$j"
	TERRA_HOME=$tmp/d$j terra-settle -j "$j" --revenue 1250.5 --holders "$holders" \
		"$tmp/dup.ndjson" >/dev/null 2>"$tmp/derr$j" && rc=0 || rc=$?
	is "$rc" 1 "-j $j, a record replayed in the input: exit status 1"
	like "$(errs "$tmp/derr$j")" "unit 0+a of owner 0+3 appears in two meter records" \
		"-j $j, a record replayed in the input: refused, naming the unit"
	is "$(sqlite3 "$tmp/d$j/terra.db" 'SELECT count(*) FROM entries')" \
		"$(sqlite3 "$template/terra.db" 'SELECT count(*) FROM entries')" \
		"-j $j, a record replayed in the input: the ledger unchanged"
done
ok "a record replayed: the same messages with -j 1 and -j 4" cmp "$tmp/derr1" "$tmp/derr4"

# The settled records replayed in a later run: refused, the ledger unchanged.
TERRA_HOME=$tmp/h4 terra-settle -j 4 --revenue 1250.5 --holders "$holders" \
	"$tmp/good.ndjson" >/dev/null 2>"$tmp/again" && again=0 || again=$?
is "$(sqlite3 "$tmp/h4/terra.db" 'SELECT count(*) FROM entries')" 1 \
	"the period again with -j 4: no entry appended"
like "$(errs "$tmp/again")" "already settled" "the period again: refused, saying so"
ok "the ledger still verifies" verifies -H "$tmp/h4"
done_testing
