#!/bin/sh
# Writes that fail under terra-settle and terra-ledger (issue 7): with the
# LD_PRELOAD fault injector (tests/tools/faultinject.c) every write to a
# regular file after the first N fails with ENOSPC or EIO, for N from 0 up
# to past the last write. Each run must end with a clear message and exit
# 1 (or succeed, once N is past its writes), and the ledger must verify
# afterwards with all of the settlement or none of it.
. "$(dirname "$0")/setup"

inject=${TERRA_BUILD:-$top/build/rel}/tests/faultinject.so
if [ ! -f "$inject" ]; then
	skip "write faults under terra-settle and terra-ledger" "no $inject"
	done_testing
	exit
fi
# Under valgrind (TERRA_WRAP) the injector reaches the command through
# valgrind, which passes LD_PRELOAD on; every fifth write count is tried
# there, to keep the time (every one is tried natively).
step=1
[ -n "${TERRA_WRAP:-}" ] && step=5

base=$tmp/base
TERRA_HOME=$base terra-register init 2>/dev/null
TERRA_HOME=$base terra-register "$fixtures/devices/h100-65.ndjson" >/dev/null
unit=$(sqlite3 "$base/terra.db" 'SELECT unit FROM units')
owner=$(cat "$base/owner.pub")
printf 'account,balance\nalice,300\nbob,100\n' >"$tmp/holders.csv"
printf '{"type":"meter","v":1,"period":"2026-11-21T10:00:00Z/PT1H","unit":"%s","owner":"%s","weight":1000,"busy_us":10,"score":100}\n' \
	"$unit" "$owner" | signmeter "$base" >"$tmp/meter.ndjson"

# A second home, settled once without faults, for terra-ledger's writers.
settled=$tmp/settled
cp -a "$base" "$settled"
TERRA_HOME=$settled terra-settle --revenue 1250.5 --holders "$tmp/holders.csv" \
	<"$tmp/meter.ndjson" >/dev/null

settlements() {
	sqlite3 "$1/terra.db" "SELECT count(*) FROM entries WHERE kind = 'settlement'"
}

# try FROM ERRNO N CMD...: runs CMD in a fresh copy of home FROM with writes
# failing after N; its exit status in $_rc, its output in $tmp/out and err.
try() {
	_from=$1
	_errno=$2
	_after=$3
	shift 3
	rm -rf "$TERRA_HOME"
	cp -a "$_from" "$TERRA_HOME"
	set +e
	TERRA_FAULT=$_errno:$_after LD_PRELOAD=$inject "$@" >"$tmp/out" 2>"$tmp/err"
	_rc=$?
	set -e
}

for errno in ENOSPC EIO; do
	case $errno in
	ENOSPC) why='(database or disk is full|No space left on device)' ;;
	EIO) why='(disk I/O error|Input/output error)' ;;
	esac
	# terra-settle: every write count from 0 until one run gets through.
	bad=0 failed=0 n=0
	while [ $n -le 400 ]; do
		try "$base" $errno $n sh -c 'terra-settle --revenue 1250.5 --holders "$1" <"$2"' - \
			"$tmp/holders.csv" "$tmp/meter.ndjson"
		s=$(settlements "$TERRA_HOME")
		if ! verifies 2>"$tmp/verify.err"; then
			bad=$((bad + 1))
			echo "# settle, $errno after $n writes: verify failed: $(cat "$tmp/verify.err")"
		fi
		if [ $_rc = 0 ]; then
			[ "$s" = 1 ] || { bad=$((bad + 1)); echo "# exit 0 but $s settlements"; }
			break
		fi
		failed=$((failed + 1))
		if [ $_rc != 1 ] || ! grep -Eq "^terra-settle: .*$why" "$tmp/err" || [ "$s" != 0 ]; then
			bad=$((bad + 1))
			echo "# settle, $errno after $n writes: exit $_rc, $s settlements: $(head -c 300 "$tmp/err")"
		fi
		n=$((n + step))
	done
	ok "terra-settle with $errno after 0..$n writes: $failed failed runs" test "$failed" -ge 3
	is "$bad" 0 "each failed with a clear $errno message, exit 1, no settlement, and the ledger verifies"
	ok "with room for every write it settles" test "$_rc" = 0

	try "$settled" $errno 0 sh -c 'terra-ledger pay alice 1.5'
	is "$_rc" 1 "terra-ledger pay with $errno exits 1"
	like "$(cat "$tmp/err")" "^terra-ledger: .*$why" "... with a clear message"
	is "$(sqlite3 "$TERRA_HOME/terra.db" "SELECT count(*) FROM entries WHERE kind = 'payment'")" 0 \
		"... and no payment entry"
	ok "... and the ledger verifies" verifies
	try "$settled" $errno 0 sh -c 'terra-ledger export -f ndjson >"$1"' - "$tmp/export.ndjson"
	is "$_rc" 1 "terra-ledger export to a file that cannot be written exits 1"
	like "$(cat "$tmp/err")" "^terra-ledger: .*(write|$why)" "... naming the write that failed"
	ok "... and the ledger verifies" verifies
done
done_testing
