#!/bin/sh
# terra-run and signals: SIGINT and SIGTERM end a run with a final usage
# record for the work done; after a kill -9, no seq is ever used twice.
. "$(dirname "$0")/setup"
# Under valgrind, terra-run runs under it too, from kernels compiled
# natively first (vg_ocl_env in tests/setup).
[ -n "${TERRA_VALGRIND:-}" ] && vg_ocl_env

home_init
terra-probe --bench none --mem-test 1 2>/dev/null | terra-register >"$tmp/units.ndjson"
pub=$(jq -r 'select(.type == "unit") | .unit_pub' "$tmp/units.ndjson")
if [ -n "${TERRA_VALGRIND:-}" ]; then
	terra-run -w sha256d --work 1000 --share-bits 12 >/dev/null
	export TERRA_VG_OCL=1
fi

# Starts an endless sha256d run writing to $1; returns once it has written
# an interim record (so the job is surely running), with $pid set.
start_run() {
	terra-run -w sha256d --interval 0.2 --share-bits 12 >"$1" 2>"$1.err" &
	pid=$!
	i=0
	while [ ! -s "$1" ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# Waits up to two minutes (valgrind is slow) for $pid to end, then kills it:
# a run that ignores the signal fails the test instead of hanging it.
# Sets $status.
end_wait() {
	i=0
	while kill -0 $pid 2>/dev/null && [ $i -lt 1200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 $pid 2>/dev/null || true
	set +e
	wait $pid
	status=$?
	set -e
}

for sig in INT TERM; do
	start_run "$tmp/$sig.ndjson"
	kill -$sig $pid
	end_wait
	is "$status" 0 "SIG$sig ends the run with status 0"
	is "$(tail -n 1 "$tmp/$sig.ndjson" | jq -r .final)" true "SIG$sig: the last record is final"
	is "$(jq -r .final "$tmp/$sig.ndjson" | grep -c true)" 1 "SIG$sig: exactly one final record"
	ok "SIG$sig: every record verifies" \
		sh -c "\"$py\" \"$top/tests/tools/nacl_verify.py\" -r -s $pub \"$tmp/$sig.ndjson\" >/dev/null"
	is "$(jq -s -r '[.[1:][].evidence.nonce_start] == [.[:-1][] | .evidence.nonce_start + .work]' \
		"$tmp/$sig.ndjson")" true "SIG$sig: the records cover the nonces scanned without gaps"
	is "$(errs "$tmp/$sig.ndjson.err")" "" "SIG$sig: nothing on stderr but the clock note"
done

# Jobs from a pipe that stays open: SIGTERM ends the running job with a
# final record and ends the wait for more jobs.
mkfifo "$tmp/fifo"
terra-run --interval 0.2 <"$tmp/fifo" >"$tmp/pipe.ndjson" &
pid=$!
exec 7>"$tmp/fifo"
printf '{"type":"job","v":1,"id":"endless","workload":"sha256d","params":{"share_bits":12}}\n' >&7
i=0
while [ ! -s "$tmp/pipe.ndjson" ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -TERM $pid
end_wait
is "$status" 0 "SIGTERM ends a run waiting on an open pipe, with status 0"
exec 7>&-
is "$(tail -n 1 "$tmp/pipe.ndjson" | jq -r '[.job, .final] | join(" ")')" "endless true" \
	"the running job ended with a final record"

# kill -9 mid-run, then run again: the seqs stay distinct and increasing.
# Natively under valgrind too: a killed process leaves memcheck nothing to say.
export TERRA_VG_OCL=0
start_run "$tmp/k1.ndjson"
sleep 0.5
kill -9 $pid
wait $pid 2>/dev/null || true
before=$(wc -l <"$tmp/k1.ndjson" | tr -d ' ')
ok "the killed run wrote records" test "$before" -gt 0
terra-run -w sha256d --work 4000000 --interval 0.3 --share-bits 12 >"$tmp/k2.ndjson"
cat "$tmp/k1.ndjson" "$tmp/k2.ndjson" | jq -r .seq >"$tmp/seqs"
is "$(sort -n "$tmp/seqs" | tr '\n' ' ')" "$(tr '\n' ' ' <"$tmp/seqs")" "seqs increase across the kill"
is "$(sort -n "$tmp/seqs" | uniq -d)" "" "no seq is used twice"
ok "the run after the kill starts past every seq before it" \
	test "$(head -n 1 "$tmp/k2.ndjson" | jq .seq)" -gt "$(tail -n 1 "$tmp/k1.ndjson" | jq .seq)"

done_testing
