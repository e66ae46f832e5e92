#!/bin/sh
# examples/settle-hourly.sh and the exit statuses: a locked database (75)
# is retried, then handed back as 75; a verification that fails (3) is an
# alert. The lock is played by a terra-settle wrapper that exits 75 first.
. "$(dirname "$0")/setup"
unset TERRA_BIN
script=$top/examples/settle-hourly.sh
holders=$top/examples/holders.csv
export TERRA_NOW=2026-11-21T11:05:00Z
home_init
: >"$tmp/usage.ndjson"

# terra-settle locked out LOCKED times, then the real one.
mkdir "$tmp/locking"
cat >"$tmp/locking/terra-settle" <<EOF2
#!/bin/sh
n=\$(cat "$tmp/locked")
if [ "\$n" -gt 0 ]; then
	echo \$((n - 1)) >"$tmp/locked"
	echo "terra-settle: database is locked by another terra command" >&2
	exit 75
fi
exec "$bin/terra-settle" "\$@"
EOF2
chmod +x "$tmp/locking/terra-settle"
export TERRA_RETRY_DELAY=0
echo 5 >"$tmp/locked"
fails 75 "locked past the retries: exit 75" env PATH="$tmp/locking:$PATH" TERRA_RETRIES=2 sh -c \
	'sh "$1" -r 1 -k "$2" "$3" >/dev/null 2>"$4"' - "$script" "$holders" "$tmp/usage.ndjson" \
	"$tmp/err"
is "$(cat "$tmp/locked")" 2 "after the first try and two retries"
like "$(cat "$tmp/err")" "stayed locked: try again later" "saying to try again later"
is "$(sqlite3 "$TERRA_HOME/terra.db" "SELECT count(*) FROM settlements")" 0 "nothing settled"
echo 1 >"$tmp/locked"
fails 0 "locked once: the retry settles" env PATH="$tmp/locking:$PATH" sh -c \
	'sh "$1" -r 1 -k "$2" "$3" >/dev/null 2>"$4"' - "$script" "$holders" "$tmp/usage.ndjson" \
	"$tmp/err"
like "$(cat "$tmp/err")" "database locked, trying again" "saying it tries again"
is "$(sqlite3 "$TERRA_HOME/terra.db" "SELECT count(*) FROM settlements")" 1 "settled once"

# A tampered ledger: terra-ledger verify exits 3, the script alerts.
sqlite3 "$TERRA_HOME/terra.db" "DROP TRIGGER entries_no_update;
	UPDATE entries SET created_at = '2020-01-01T00:00:00.000000Z' WHERE seq = 1"
printf '#!/bin/sh\necho "$1" >"%s"\n' "$tmp/alerted" >"$tmp/alert"
chmod +x "$tmp/alert"
fails 3 "a tampered ledger: exit 3" env TERRA_ALERT="$tmp/alert" TERRA_NOW=2026-11-21T12:05:00Z \
	sh -c 'sh "$1" -r 1 -k "$2" "$3" >/dev/null 2>"$4"' - "$script" "$holders" \
	"$tmp/usage.ndjson" "$tmp/err"
like "$(cat "$tmp/err")" "ALERT: .*a verification failed" "the message is an alert"
like "$(cat "$tmp/alerted")" "a verification failed" "TERRA_ALERT is run with the message"
done_testing
