#!/bin/sh
# Exit statuses (lib/cli.h, terra(7)): 0 success, 1 failure, 2 usage,
# 3 a verification failed, 75 worth retrying (a locked database).
. "$(dirname "$0")/setup"
dev=$fixtures/devices
p1=2026-11-21T09:00:00.000000Z/2026-11-21T10:00:00.000000Z
quiet() { "$@" >/dev/null 2>&1; }

terra-register init 2>/dev/null
terra-register "$dev/node.ndjson" >/dev/null 2>&1
fails 0 "a sound ledger verifies: 0" quiet terra-ledger verify

# 2: a bad option, for every command.
for c in terra-probe terra-register terra-run terra-meter terra-settle terra-ledger; do
	fails 2 "$c: a bad option exits 2" quiet "$c" --zz-bad
done

# 1: a bad usage line.
echo '{"type":"usage","v":1,"unit":"x"}' >"$tmp/bad-usage.ndjson"
fails 1 "terra-meter: a bad usage line exits 1" quiet terra-meter -p "$p1" "$tmp/bad-usage.ndjson"

# 3: a tampered ledger.
cp -R "$TERRA_HOME" "$tmp/tampered"
sqlite3 "$tmp/tampered/terra.db" "DROP TRIGGER entries_no_update;
	UPDATE entries SET created_at = '2020-01-01T00:00:00.000000Z' WHERE seq = 2"
fails 3 "terra-ledger verify on a tampered ledger exits 3" \
	sh -c 'terra-ledger -H "$1" verify >/dev/null 2>"$2"' - "$tmp/tampered" "$tmp/err"
like "$(cat "$tmp/err")" "^terra-ledger: verify: .*entry 2" "and names the entry"
terra-ledger export -f ndjson >"$tmp/export.ndjson"
fails 3 "an export checked against another key exits 3" \
	sh -c 'terra-ledger verify --pubkey "$1" <"$2" >/dev/null 2>&1' - "$(printf '%064x' 7)" \
	"$tmp/export.ndjson"

# 75: a database locked by another process (python3's sqlite3 holds it).
mkfifo "$tmp/go" "$tmp/held"
$py -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").write("held\n")
open(sys.argv[3]).read()
db.execute("ROLLBACK")' "$TERRA_HOME/terra.db" "$tmp/held" "$tmp/go" &
holder=$!
trap 'kill "$holder" 2>/dev/null || true; rm -rf "$tmp"' EXIT
read -r _ <"$tmp/held"
owner=$(cat "$TERRA_HOME/owner.pub")
printf '{"type":"meter","v":1,"period":"%s","unit":"%s","owner":"%s","weight":100}\n' \
	"$p1" "0123456789abcdef0123456789abcdef" "$owner" | signmeter >"$tmp/meter.ndjson"
fails 75 "terra-settle on a locked database exits 75" env TERRA_BUSY_TIMEOUT_MS=200 \
	sh -c 'terra-settle --revenue 1 --holders "$1" -p "$2" "$3" >/dev/null 2>"$4"' - \
	"$top/examples/holders.csv" "$p1" "$tmp/meter.ndjson" "$tmp/err"
like "$(cat "$tmp/err")" "database is locked" "saying the database is locked"
echo go >"$tmp/go"
wait "$holder"
fails 0 "once the lock is gone it settles" \
	sh -c 'terra-settle --revenue 1 --holders "$1" -p "$2" "$3" >/dev/null 2>&1' - \
	"$top/examples/holders.csv" "$p1" "$tmp/meter.ndjson"
done_testing
