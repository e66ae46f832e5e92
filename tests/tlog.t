#!/bin/sh
# terra-ledger as a C2SP transparency log: checkpoint notes, consistency and
# inclusion proofs and static tiles, each checked by Go's reference
# implementation (golang.org/x/mod/sumdb/note and tlog, Debian's
# golang-golang-x-mod-dev) through tests/tools/tlogcheck; every mutation of
# a note, a proof line or a tile refused by both; a rollback and a fork
# caught by verify --since with a kept note; a witness that cosigns a
# consistent history and refuses a forked one.
. "$(dirname "$0")/setup"
dev=$fixtures/devices
db() { sqlite3 "$TERRA_HOME/terra.db" "$1"; }
q() { "$@" >/dev/null; } # a command whose records are not looked at
gocheck=${TERRA_BUILD:-$top/build/rel}/tests/tlogcheck
if [ ! -x "$gocheck" ]; then
	skip "the Go verifier" "$gocheck was not built (make check builds it with golang-go)"
	done_testing
	exit 0
fi

# N device records with distinct fingerprints: N registrations, N entries.
devices() { # devices FROM TO
	grep '"type":"device"' "$dev/pocl-cpu.ndjson" | head -n 1 |
		jq -c --argjson a "$1" --argjson b "$2" \
			'range($a; $b + 1) as $i | .fingerprint = (("0" * 64) + ($i | tostring))[-64:]'
}
# Under valgrind (TERRA_VALGRIND) every command starts for seconds: fewer
# entries (still past one full tile), sizes, proofs and mutations; every
# kind of check still runs there.
vg=${TERRA_VALGRIND:-}
n=300
[ -n "$vg" ] && n=258

home_init
owner=$(cat "$TERRA_HOME/owner.pub")
devices 1 "$n" | native terra-register >/dev/null 2>&1
is "$(db 'SELECT count(*) FROM entries')" "$n" "$n registrations, $n entries"

# --- the verifier key and the checkpoint note ---
vkey=$(terra-ledger vkey)
like "$vkey" "^terra:$owner\\+[0-9a-f]{8}\\+[A-Za-z0-9+/]{44}\$" "vkey: name+id+key"
terra-ledger checkpoint >"$tmp/cp.note"
is "$(sed -n 1p "$tmp/cp.note")" "terra:$owner" "the note's origin is the ledger's"
is "$(sed -n 2p "$tmp/cp.note")" "$n" "its size is the ledger's"
is "$(sed -n 4p "$tmp/cp.note")" "" "a blank line before the signature"
like "$(sed -n 5p "$tmp/cp.note")" "^— terra:$owner [A-Za-z0-9+/]{91}=\$" "one signature line"
root64=$(sed -n 3p "$tmp/cp.note")
roothex=$(terra-ledger verify | jq -r .root)
is "$(printf %s "$root64" | base64 -d | od -An -tx1 | tr -d ' \n')" "$roothex" \
	"its root is the one verify recomputes"
is "$("$gocheck" note "$vkey" "$tmp/cp.note")" "terra:$owner $n $root64" \
	"Go's note.Open accepts the note with the vkey"

# Notes of earlier sizes, for proofs between them.
sizes="1 2 7 255 256 257"
[ -n "$vg" ] && sizes="1 7 256 257"
for s in $sizes; do terra-ledger checkpoint --size "$s" >"$tmp/cp$s.note"; done
is "$(sed -n 2p "$tmp/cp256.note")" 256 "checkpoint --size 256"
fails 1 "checkpoint --size beyond the ledger fails" terra-ledger checkpoint --size $((n + 1))
fails 2 "checkpoint --size that is not a number is a usage error" terra-ledger checkpoint --size x

# --- consistency proofs, checked with tlog.CheckTree ---
cp "$tmp/cp.note" "$tmp/cp$n.note"
bad=0
pairs='"1 2" "1 $n" "2 7" "7 255" "255 256" "256 257" "257 $n" "7 $n" "$n $n"'
[ -n "$vg" ] && pairs='"1 $n" "7 256" "256 257" "$n $n"'
eval "set -- $pairs"
npairs=$#
for pair in "$@"; do
	set -- $pair
	[ "$2" = "$n" ] && new=$tmp/cp.note || new=$tmp/cp$2.note
	if ! terra-ledger consistency "$1" "$2" | "$gocheck" consistency "$vkey" "$tmp/cp$1.note" "$new" >/dev/null 2>"$tmp/e"; then
		bad=$((bad + 1)); cat "$tmp/e"
	fi
done 2>/dev/null
is "$bad" 0 "consistency proofs between $npairs pairs of sizes pass Go's tlog.CheckTree"
terra-ledger consistency 7 >"$tmp/p7"
is "$(wc -l <"$tmp/p7" | tr -d ' ')" "$(terra-ledger consistency 7 "$n" | wc -l | tr -d ' ')" \
	"consistency OLD alone proves up to the current size"
# Every line of a proof mutated: Go refuses it.
lines=$(wc -l <"$tmp/p7")
refused=0
i=1
while [ "$i" -le "$lines" ]; do
	awk -v i="$i" 'NR == i { $0 = (substr($0, 1, 5) == "AAAAA" ? "BBBBB" : "AAAAA") substr($0, 6) } { print }' "$tmp/p7" |
		"$gocheck" consistency "$vkey" "$tmp/cp7.note" "$tmp/cp.note" >/dev/null 2>&1 || refused=$((refused + 1))
	i=$((i + 1))
done
is "$refused" "$lines" "each of the $lines lines of a consistency proof, changed, is refused"
fails 2 "consistency needs a size" terra-ledger consistency
fails 1 "consistency from beyond the ledger fails" terra-ledger consistency $((n + 1))

# --- inclusion proofs, checked with tlog.CheckRecord ---
terra-ledger log -o json >"$tmp/log.ndjson"
bad=0
seqs="1 2 100 256 257 $n"
[ -n "$vg" ] && seqs="1 257"
for seq in $seqs; do
	sed -n "${seq}p" "$tmp/log.ndjson" >"$tmp/entry"
	terra-ledger inclusion "$seq" | "$gocheck" inclusion "$vkey" "$tmp/cp.note" $((seq - 1)) "$tmp/entry" >/dev/null || bad=$((bad + 1))
done
is "$bad" 0 "inclusion proofs of entries $seqs pass Go's tlog.CheckRecord"
sed -n 2p "$tmp/log.ndjson" >"$tmp/entry"
ok "an entry's proof does not prove another entry" \
	sh -c "! terra-ledger inclusion 1 | '$gocheck' inclusion '$vkey' '$tmp/cp.note' 0 '$tmp/entry' 2>/dev/null"

# --- the note, mutated byte by byte: Go and terra-ledger refuse every one ---
go_ok=0 terra_ok=0 size=$(wc -c <"$tmp/cp.note")
stride=1
[ -n "$vg" ] && stride=61
i=0
while [ "$i" -lt "$size" ]; do
	"$py" -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); i=int(sys.argv[2]); b[i]^=1; open(sys.argv[3],"wb").write(b)' \
		"$tmp/cp.note" "$i" "$tmp/m.note"
	# Go decodes base64 leniently: a changed unused bit of the signature's last
	# character still gives the same signature of the same text. Only a
	# change of what is signed, accepted, would be a failure.
	if out=$("$gocheck" note "$vkey" "$tmp/m.note" 2>/dev/null) &&
		[ "$out" != "terra:$owner $n $root64" ] || cmp -s "$tmp/m.note" "$tmp/cp.note"; then
		go_ok=$((go_ok + 1))
	fi
	terra-ledger verify --since "$tmp/m.note" >/dev/null 2>&1 && terra_ok=$((terra_ok + 1))
	i=$((i + stride))
done
is "$go_ok" 0 "no one-bit change of what the note says passes Go's note.Open"
is "$terra_ok" 0 "no one-bit change at all passes terra-ledger verify --since"

# --- static tiles ---
terra-ledger export -f tiles "$tmp/tiles" 2>"$tmp/e"
like "$(cat "$tmp/e")" "wrote [0-9]+ files" "export -f tiles says what it wrote"
is "$(cat "$tmp/tiles/checkpoint" | sed -n 2p)" "$n" "the tiles' checkpoint has the ledger's size"
ok "a full level-0 tile" test -f "$tmp/tiles/tile/0/000"
is "$(wc -c <"$tmp/tiles/tile/0/000" | tr -d ' ')" 8192 "of 256 hashes"
ok "a partial level-0 tile" test -f "$tmp/tiles/tile/0/001.p/$((n - 256))"
ok "a level-1 tile of width 1" test -f "$tmp/tiles/tile/1/000.p/1"
ok "the entry bundles" test -f "$tmp/tiles/tile/entries/000" -a -f "$tmp/tiles/tile/entries/001.p/$((n - 256))"
is "$("$gocheck" tiles "$vkey" "$tmp/tiles")" "terra:$owner $n $root64" \
	"Go's tlog.TileHashReader rebuilds the root from the tiles, every entry hashes to its leaf"
ok "terra-ledger verify --tiles accepts them" q terra-ledger verify --tiles "$tmp/tiles"
ok "and with only the owner's public key" q terra-ledger -H /nonexistent verify --tiles "$tmp/tiles" --pubkey "$owner"
full0=$(sha256sum <"$tmp/tiles/tile/0/000")

# More appends: exporting again adds or completes tiles, never changes a full one.
devices $((n + 1)) $((n + 20)) | native terra-register >/dev/null 2>&1
m=$((n + 20))
terra-ledger export -f tiles "$tmp/tiles" 2>/dev/null
is "$(sha256sum <"$tmp/tiles/tile/0/000")" "$full0" "a full tile is left as it was"
ok "the grown partial tile is written beside the old one" test -f "$tmp/tiles/tile/0/001.p/$((m - 256))"
is "$("$gocheck" tiles "$vkey" "$tmp/tiles" | cut -d' ' -f2)" "$m" \
	"Go verifies the grown tiles"

# Tiles mutated: a byte of a hash tile, of an entry bundle, of the checkpoint.
files="tile/0/000 tile/0/001.p/$((m - 256)) tile/1/000.p/1 tile/entries/000 checkpoint"
[ -n "$vg" ] && files="tile/1/000.p/1 tile/entries/000"
for f in $files; do
	cp -r "$tmp/tiles" "$tmp/bad"
	"$py" -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//3]^=4; open(p,"wb").write(b)' "$tmp/bad/$f"
	ok "a changed byte in $f: Go refuses" sh -c "! '$gocheck' tiles '$vkey' '$tmp/bad' >/dev/null 2>&1"
	fails 3 "a changed byte in $f: verify --tiles refuses" terra-ledger verify --tiles "$tmp/bad"
	rm -rf "$tmp/bad"
done

# --- rollback and fork, caught with a kept note ---
terra-ledger checkpoint >"$tmp/kept.note"
ok "the current ledger extends the kept note" q terra-ledger verify --since "$tmp/kept.note"
ok "so does an earlier one" q terra-ledger verify --since "$tmp/cp7.note"
terra-ledger export -f ndjson >"$tmp/export.ndjson"
ok "the export extends it too (verify --pubkey --since)" \
	sh -c "terra-ledger verify --pubkey '$owner' --since '$tmp/kept.note' <'$tmp/export.ndjson' >/dev/null"
# The operator truncates the ledger by two entries and re-signs: verify alone passes.
cp -r "$TERRA_HOME" "$tmp/home.before"
db "DROP TRIGGER entries_no_delete; DROP TRIGGER checkpoints_no_delete; DROP TRIGGER units_no_delete;
    DELETE FROM entries WHERE seq > $((m - 2)); DELETE FROM checkpoints WHERE size > $((m - 2));
    DELETE FROM units WHERE unit NOT IN (SELECT json_extract(payload, '\$.unit') FROM entries);" 2>"$tmp/e" || cat "$tmp/e"
ok "the truncated, re-signed ledger verifies on its own" q terra-ledger verify
fails 3 "verify --since the kept note: a rollback" \
	sh -c 'terra-ledger verify --since "$1" 2>"$2"' - "$tmp/kept.note" "$tmp/e"
like "$(cat "$tmp/e")" "rollback" "named as a rollback"
# ... then re-appends other entries up to the same size: a fork.
devices $((m + 100)) $((m + 101)) | native terra-register >/dev/null 2>&1
is "$(db 'SELECT count(*) FROM entries')" "$m" "the forked ledger has the kept size again"
ok "and verifies on its own" q terra-ledger verify
fails 3 "verify --since the kept note: a fork" \
	sh -c 'terra-ledger verify --since "$1" 2>"$2"' - "$tmp/kept.note" "$tmp/e"
like "$(cat "$tmp/e")" "fork" "named as a fork"
terra-ledger export -f ndjson >"$tmp/forked.ndjson"
fails 3 "the forked export fails verify --pubkey --since" \
	sh -c "terra-ledger verify --pubkey '$owner' --since '$tmp/kept.note' <'$tmp/forked.ndjson'"
fails 3 "the forked ledger's tiles do not overwrite the published ones" \
	terra-ledger export -f tiles "$tmp/tiles"
forked=$TERRA_HOME
TERRA_HOME=$tmp/home.before

# --- witnesses ---
w=$tmp/witness
ok "a witness home" q terra-ledger witness "$w" init witness.example/w1
wvkey=$(terra-ledger witness "$w" vkey)
like "$wvkey" '^witness\.example/w1\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$' "the witness's vkey"
fails 1 "a second init of the same witness home fails" q terra-ledger witness "$w" init witness.example/w1
request() { # request OLD [HOME]: an add-checkpoint body from the ledger of HOME
	h=${2:-$TERRA_HOME}
	printf 'old %s\n' "$1"
	TERRA_HOME=$h terra-ledger consistency "$1"
	printf '\n'
	TERRA_HOME=$h terra-ledger checkpoint
}
request 0 >"$tmp/req"
fails 4 "an unknown log: 404, exit 4" q terra-ledger witness "$w" add-checkpoint "$tmp/req"
ok "trust the log's vkey" q terra-ledger witness "$w" trust "$vkey"
ok "the ledger's checkpoint is cosigned" \
	sh -c "terra-ledger witness '$w' add-checkpoint '$tmp/req' >'$tmp/cosig'"
like "$(cat "$tmp/cosig")" "^— witness.example/w1 [A-Za-z0-9+/]{102}==\$" "a cosignature line"
sed -n '/^terra:/,$p' "$tmp/req" >"$tmp/c1.note"
cat "$tmp/cosig" >>"$tmp/c1.note"
ok "verify --since a note cosigned by a quorum of 1" \
	q terra-ledger verify --since "$tmp/c1.note" --witness "$wvkey" --quorum 1
terra-ledger witness "$tmp/w2" init witness.example/w2
fails 3 "a quorum of 2 is not met by one cosignature" \
	terra-ledger verify --since "$tmp/c1.note" --witness "$wvkey" \
	--witness "$(terra-ledger witness "$tmp/w2" vkey)" --quorum 2
fails 3 "a note not cosigned does not meet a quorum of 1" \
	terra-ledger verify --since "$tmp/kept.note" --witness "$wvkey" --quorum 1
fails 2 "a log's vkey is not a witness key" \
	terra-ledger verify --since "$tmp/c1.note" --witness "$vkey" --quorum 1
ok "Go's note.Open still reads the cosigned note with the log's vkey" \
	q "$gocheck" note "$vkey" "$tmp/c1.note"

# The forked ledger: the same size with another root, then grown from it.
request "$m" "$forked" >"$tmp/reqf"
fails 5 "the fork at the cosigned size: 409 conflict, exit 5" \
	q terra-ledger witness "$w" add-checkpoint "$tmp/reqf"
devices $((m + 200)) $((m + 200)) | TERRA_HOME=$forked terra-register >/dev/null 2>&1
request "$m" "$forked" >"$tmp/reqf2"
fails 6 "the fork grown by one: its proof does not verify, 422, exit 6" \
	q terra-ledger witness "$w" add-checkpoint "$tmp/reqf2"

# The real ledger grows: old size m, its proof, the new note.
devices $((m + 1)) $((m + 3)) | terra-register >/dev/null 2>&1
request 0 >"$tmp/req0"
fails 5 "old 0 after cosigning size $m: 409 conflict" q terra-ledger witness "$w" add-checkpoint "$tmp/req0"
is "$(terra-ledger witness "$w" add-checkpoint "$tmp/req0" 2>/dev/null || true)" "$m" \
	"and it says the size it cosigned last"
request "$m" >"$tmp/req2"
awk 'NR == 2 { $0 = (substr($0, 1, 4) == "AAAA" ? "BBBB" : "AAAA") substr($0, 5) } { print }' \
	"$tmp/req2" >"$tmp/reqbad"
fails 6 "a consistency proof with a changed hash: 422" q terra-ledger witness "$w" add-checkpoint "$tmp/reqbad"
sed 's/^— terra:\(.\)/— terra:\1x/' "$tmp/req2" >"$tmp/reqsig"
fails 3 "a checkpoint without a valid log signature: 403, exit 3" \
	q terra-ledger witness "$w" add-checkpoint "$tmp/reqsig"
printf 'old x\n\n' >"$tmp/reqjunk"
fails 7 "a malformed request: 400, exit 7" q terra-ledger witness "$w" add-checkpoint "$tmp/reqjunk"
ok "the consistent growth is cosigned" q terra-ledger witness "$w" add-checkpoint "$tmp/req2"
state=$(ls "$w/state")
is "$(sed -n 2p "$w/state/$state")" $((m + 3)) "the witness keeps the size it cosigned last"
ok "and the request again (same size, same root) is cosigned again" \
	q terra-ledger witness "$w" add-checkpoint "$(printf 'old %s\n\n' $((m + 3)) >"$tmp/rs"; sed -n '/^terra:/,$p' "$tmp/req2" >>"$tmp/rs"; echo "$tmp/rs")"

# A witness whose disk fails while it records the new size cosigns nothing
# and keeps the old state (the state file is replaced whole).
devices $((m + 4)) $((m + 4)) | terra-register >/dev/null 2>&1
request $((m + 3)) >"$tmp/req3"
cp "$w/state/$state" "$tmp/state.before"
fault=${TERRA_BUILD:-$top/build/rel}/tests/faultinject.so
if [ -f "$fault" ]; then
	failed=0
	for spec in ENOSPC:0 EIO:0; do
		LD_PRELOAD=$fault TERRA_FAULT=$spec TERRA_FAULT_FSYNC=1 \
			terra-ledger witness "$w" add-checkpoint "$tmp/req3" >"$tmp/out" 2>/dev/null && continue
		failed=$((failed + 1))
		[ -s "$tmp/out" ] && echo "# a cosignature was printed after a failed write ($spec)"
	done
	is "$failed" 2 "with a full disk and a failing disk the witness fails"
	ok "and keeps the old state" cmp -s "$w/state/$state" "$tmp/state.before"
	ok "leaving no temporary file" sh -c "! ls '$w/state' | grep -q tmp"
else
	skip "a failed write leaves the old state" "no fault injector built"
fi
ok "the witness then takes the growth" q terra-ledger witness "$w" add-checkpoint "$tmp/req3"

# --- a holder's proof, checked against the holder's kept note ---
# A second home from the golden fixture's keys: signed usage, metered,
# settled for two hours; the holder keeps the note after the first.
TERRA_HOME=$tmp/hh
mkdir -p "$TERRA_HOME/units"
cp "$fixtures/golden-home/owner.key" "$fixtures/golden-home/owner.pub" "$TERRA_HOME/"
cp "$fixtures/golden-home/units/"*.key "$TERRA_HOME/units/"
chmod 700 "$TERRA_HOME" "$TERRA_HOME/units"
chmod 600 "$TERRA_HOME/owner.key" "$TERRA_HOME/units/"*.key
home_init
terra-register "$fixtures/devices/node.ndjson" >/dev/null 2>&1
hpk=$(cat "$TERRA_HOME/owner.pub")
gpu=$(terra-register list -o json | jq -r 'select(.device.pci_bus_id == "0000:65:00.0") | .unit')
printf 'account,balance\nalice,300\nbob,100\n' >"$tmp/holders.csv"
for h in 10 11; do
	$py "$top/tests/tools/mkusage.py" -k "$TERRA_HOME/units/$gpu.key" -u "$gpu" seq=$((h - 9)) \
		start=2026-11-21T$h:00:00Z end=2026-11-21T$h:30:00Z busy_us=1800000000 work=5000 >"$tmp/u$h"
	terra-meter -p 2026-11-21T$h:00:00Z/PT1H "$tmp/u$h" 2>/dev/null |
		terra-settle --revenue 100 --holders "$tmp/holders.csv" >/dev/null 2>&1
	if [ "$h" = 10 ]; then
		terra-ledger checkpoint >"$tmp/holder.note"
		terra-ledger prove --account alice -p 2026-11-21T10:00:00Z/PT1H >"$tmp/proof.early"
	fi
done
is "$(terra-ledger log -o json | jq -r 'select(.kind == "settlement") | .kind' | wc -l | tr -d ' ')" 2 \
	"two hours settled"
terra-ledger prove --account alice -p 2026-11-21T11:00:00Z/PT1H --since "$tmp/holder.note" >"$tmp/proof"
is "$(jq -r '.consistency.from' "$tmp/proof")" "$(sed -n 2p "$tmp/holder.note")" \
	"prove --since NOTE adds the consistency proof from the note's size"
ok "verify-proof --since the kept note accepts it" \
	q terra-ledger verify-proof --pubkey "$hpk" --since "$tmp/holder.note" "$tmp/proof"
jq -c '.consistency.path[0] = ("00" + .consistency.path[0][2:])' "$tmp/proof" >"$tmp/proof.bad"
fails 3 "a changed consistency hash: refused" \
	q terra-ledger verify-proof --pubkey "$hpk" --since "$tmp/holder.note" "$tmp/proof.bad"
jq -c 'del(.consistency)' "$tmp/proof" >"$tmp/proof.nocons"
fails 3 "a proof without the consistency proof: refused with --since" \
	q terra-ledger verify-proof --pubkey "$hpk" --since "$tmp/holder.note" "$tmp/proof.nocons"
ok "and accepted without --since (it proves inclusion only)" \
	q terra-ledger verify-proof --pubkey "$hpk" "$tmp/proof.nocons"
terra-ledger checkpoint >"$tmp/later.note"
like "$(terra-ledger verify-proof --pubkey "$hpk" --since "$tmp/later.note" "$tmp/proof.early" 2>&1 || true)" \
	"rollback" "a proof from a ledger behind the kept note is refused as a rollback"
ok "an old proof of the same hour, made anew, extends the later note" \
	sh -c "terra-ledger prove --account alice -p 2026-11-21T10:00:00Z/PT1H |
		terra-ledger verify-proof --pubkey '$hpk' --since '$tmp/later.note' >/dev/null"

done_testing
