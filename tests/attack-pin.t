#!/bin/sh
# The owner key pinned in the ledger itself (issue 13): entry 1's prev is
# the public key of the owner that began the ledger. An attacker who can
# write the home (not read owner.key) swaps owner.pub and owner.key for a
# pair of its own and re-signs every checkpoint (tests/tools/resign.py,
# written from the man pages); each attack is performed and refused: exit
# status, message, the ledger unchanged. The honest home still verifies.
. "$(dirname "$0")/setup"
if ! $py -c 'import nacl.signing' 2>/dev/null; then
	skip "owner key pin attacks" "python3-nacl is not installed"
	done_testing
	exit 0
fi
resign() { $py "$top/tests/tools/resign.py" "$@"; }
db() { sqlite3 "$1/terra.db" "$2"; }
dump() { sqlite3 "$TERRA_HOME/terra.db" .dump; }
keep() { dump >"$tmp/before"; }
unchanged() { # unchanged WHAT: the ledger is the one kept
	dump >"$tmp/after"
	ok "$1: the ledger is unchanged" cmp -s "$tmp/before" "$tmp/after"
}

# An honest home: three units registered, and the checkpoint note a holder keeps.
home_init
terra-register <"$fixtures/devices/node.ndjson" >/dev/null 2>&1
owner=$(cat "$TERRA_HOME/owner.pub")
terra-ledger checkpoint >"$tmp/kept.note"
terra-ledger export -f ndjson >"$tmp/honest.ndjson"
cp -R "$TERRA_HOME" "$tmp/honest"
n=$(db "$TERRA_HOME" 'SELECT count(*) FROM entries')
ok "the honest ledger has entries" test "$n" -ge 3
is "$(db "$TERRA_HOME" 'SELECT lower(hex(prev_hash)) FROM entries WHERE seq = 1')" "$owner" \
	"entry 1's prev is the owner key: the pin"
fails 0 "the honest home verifies" sh -c 'terra-ledger verify >"$1" 2>"$2"' - "$tmp/v" "$tmp/err"
is "$(cat "$tmp/err")" "" "with nothing on stderr (no note: the ledger is pinned)"
fails 0 "its export verifies with the owner key" \
	sh -c 'terra-ledger verify --pubkey "$1" <"$2" >/dev/null' - "$owner" "$tmp/honest.ndjson"

# The attacker's key pair, from a home of its own.
A=$tmp/attacker
home_init -H "$A"
mallory=$(cat "$A/owner.pub")

# P1. owner.pub and owner.key swapped, every checkpoint re-signed by the
# attacker over the same roots (what verify accepted before the pin).
cp "$A/owner.key" "$A/owner.pub" "$TERRA_HOME/"
resign "$TERRA_HOME/terra.db" "$TERRA_HOME/owner.key"
is "$(db "$TERRA_HOME" 'SELECT DISTINCT signer FROM checkpoints')" "$mallory" \
	"P1. every checkpoint is now signed by the attacker's key"
is "$(db "$TERRA_HOME" 'SELECT lower(hex(root)) FROM checkpoints ORDER BY size DESC LIMIT 1')" \
	"$(db "$tmp/honest" 'SELECT lower(hex(root)) FROM checkpoints ORDER BY size DESC LIMIT 1')" \
	"P1. over the honest roots"
keep
fails 3 "P1. verify refuses the swapped key (exit 3: did not verify)" \
	sh -c 'terra-ledger verify >"$1" 2>"$2"' - "$tmp/v" "$tmp/err"
is "$(cat "$tmp/err")" \
	"terra-ledger: verify: entry 1: the ledger is pinned to owner key $owner, not to owner.pub's key $mallory" \
	"P1. naming the pinned key and owner.pub's"
is "$(cat "$tmp/v")" "" "P1. and writing no verified record"
unchanged "P1"
fails 1 "P1. terra-ledger status reports the ledger as not verifying" \
	sh -c 'terra-ledger status >/dev/null 2>&1'
like "$(terra-ledger metrics)" "^terra_ledger_verified 0\$" "P1. and its metrics say so"

# P2. An append under the swapped key is refused: it signs nothing.
terra-probe --replay "$fixtures/probe/pocl.ndjson" >"$tmp/probe.ndjson" 2>/dev/null
keep
fails 3 "P2. terra-register refuses to append under the swapped key (exit 3)" \
	sh -c 'terra-register "$1" >/dev/null 2>"$2"' - "$tmp/probe.ndjson" "$tmp/err"
like "$(cat "$tmp/err")" \
	"ledger: entry 1: the ledger is pinned to owner key $owner, not to this home's key $mallory" \
	"P2. naming both keys"
unchanged "P2"

# P3. The attacked ledger exported and checked against the attacker's key
# (what its owner.pub now says): refused at the line of entry 1.
terra-ledger export -f ndjson >"$tmp/attacked.ndjson"
fails 3 "P3. verify --pubkey refuses an export pinned to another key" \
	sh -c 'terra-ledger verify --pubkey "$1" <"$2" >/dev/null 2>"$3"' - "$mallory" \
	"$tmp/attacked.ndjson" "$tmp/err"
is "$(cat "$tmp/err")" \
	"terra-ledger: verify: <stdin>:1: entry 1: the ledger is pinned to owner key $owner, not to the --pubkey key $mallory" \
	"P3. named with the line and both keys"
fails 3 "P3. and the attacked export does not verify with the real owner key either" \
	sh -c 'terra-ledger verify --pubkey "$1" <"$2" >/dev/null 2>&1' - "$owner" "$tmp/attacked.ndjson"

# P4. Tiles published from the attacked home, checked with the attacker's key.
terra-ledger export -f tiles "$tmp/tiles" >/dev/null 2>&1
fails 3 "P4. verify --tiles refuses tiles pinned to another key" \
	sh -c 'terra-ledger verify --tiles "$1" --pubkey "$2" >/dev/null 2>"$3"' - "$tmp/tiles" \
	"$mallory" "$tmp/err"
like "$(cat "$tmp/err")" "entry 1: the ledger is pinned to owner key $owner, not to the note's key $mallory" \
	"P4. naming both keys"

# P5. The whole ledger rewritten under the attacker's key, entry 1's pin
# included: every leaf hash and root changes. verify alone cannot tell
# (terra-ledger(1) CAVEATS); the note the holder kept shows it.
resign --repin "$TERRA_HOME/terra.db" "$TERRA_HOME/owner.key"
fails 0 "P5. a rewrite of every entry verifies on its own (the documented limit)" \
	sh -c 'terra-ledger verify >/dev/null 2>&1'
ok "P5. but its roots are not the ones the owner signed" test \
	"$(db "$TERRA_HOME" 'SELECT lower(hex(root)) FROM checkpoints WHERE size = '"$n")" != \
	"$(db "$tmp/honest" 'SELECT lower(hex(root)) FROM checkpoints WHERE size = '"$n")"
fails 3 "P5. and verify --since the kept note refuses it" \
	sh -c 'terra-ledger verify --since "$1" >/dev/null 2>"$2"' - "$tmp/kept.note" "$tmp/err"
like "$(cat "$tmp/err")" "kept\.note': note: no signature from a known key" \
	"P5. the note is the real owner's, not owner.pub's"
fails 3 "P5. and the rewritten export does not verify with the owner key" \
	sh -c 'terra-ledger export -f ndjson | terra-ledger verify --pubkey "$1" >/dev/null 2>&1' - "$owner"

# A ledger begun before pins (entry 1's prev 64 zeros, as every ledger was):
# it still verifies and takes appends, and verify says that nothing pins its key.
L=$tmp/legacy
cp -R "$tmp/honest" "$L"
resign --unpin "$L/terra.db" "$L/owner.key"
fails 0 "L1. a ledger begun before pins verifies" \
	sh -c 'terra-ledger -H "$1" verify >/dev/null 2>"$2"' - "$L" "$tmp/err"
like "$(cat "$tmp/err")" "verify: note: entry 1 pins no owner key \\(a ledger begun before pins\\)" \
	"L1. saying that nothing pins its owner key"
fails 0 "L2. and takes appends" sh -c 'terra-register -H "$1" "$2" >/dev/null 2>&1' - "$L" \
	"$tmp/probe.ndjson"
fails 0 "L2. then still verifies" sh -c 'terra-ledger -H "$1" verify >/dev/null 2>&1' - "$L"
is "$(db "$L" 'SELECT hex(prev_hash) FROM entries WHERE seq = 1')" "$(printf '%064d' 0)" \
	"L2. its entry 1 unchanged (a pin cannot be added before it)"
terra-ledger -H "$L" export -f ndjson >"$tmp/legacy.ndjson"
fails 0 "L3. its export verifies with the owner key" \
	sh -c 'terra-ledger verify --pubkey "$1" <"$2" >/dev/null 2>"$3"' - "$owner" \
	"$tmp/legacy.ndjson" "$tmp/err"
like "$(cat "$tmp/err")" "note: entry 1 pins no owner key" "L3. with the same note"

# The honest home, untouched by all this, still verifies and takes appends.
fails 0 "the honest home still verifies" sh -c 'terra-ledger -H "$1" verify >/dev/null' - \
	"$tmp/honest"
fails 0 "and takes an append" sh -c 'terra-register -H "$1" "$2" >/dev/null 2>&1' - \
	"$tmp/honest" "$tmp/probe.ndjson"
fails 0 "and verifies after it" sh -c 'terra-ledger -H "$1" verify >/dev/null' - "$tmp/honest"

done_testing
