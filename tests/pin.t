#!/bin/sh
# PoCL's CPU threads are pinned (POCL_AFFINITY=1, set by lib/ocl.c before
# OpenCL starts) when the process may run on every CPU, and the user's own
# POCL_AFFINITY is kept. Seen as the kernel sees it: the CPU lists of the
# threads of a running terra-run (/proc/PID/task/*/status). Needs 2 CPUs.
. "$(dirname "$0")/setup"

ncpu=$(getconf _NPROCESSORS_ONLN)
all=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
if [ "$ncpu" -lt 2 ] || [ "$all" != "0-$((ncpu - 1))" ]; then
	skip "PoCL's threads pinned" "needs 2 CPUs or more, all of them this test's ($all)"
	done_testing
	exit 0
fi
home_init
terra-probe --bench none >"$tmp/devices.ndjson" 2>/dev/null || true
terra-register <"$tmp/devices.ndjson" >"$tmp/units.ndjson" 2>/dev/null || true
unit=$(jq -r 'select(.type == "unit") | .unit' "$tmp/units.ndjson" | head -n 1)

# cpus OUT CMD...: runs CMD in the background and writes to OUT the CPU list
# of each of its threads, sampled every 0.1 s while it runs, one a line.
cpus() {
	_out=$1
	shift
	"$@" >"$_out.usage" 2>"$_out.err" &
	_pid=$!
	: >"$_out"
	_polls=0
	while kill -0 "$_pid" 2>/dev/null && [ $_polls -lt 200 ]; do
		cat /proc/"$_pid"/task/*/status 2>/dev/null |
			sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' >>"$_out"
		sleep 0.1
		_polls=$((_polls + 1))
	done
	wait "$_pid"
}
# single FILE: the lists of one CPU in FILE, sorted and once each
single() {
	grep -E '^[0-9]+$' "$1" | sort -un | tr '\n' ' '
}

ok "terra-run runs for 3 s" cpus "$tmp/free" terra-run -u "$unit" -w sha256d -t 3
is "$(single "$tmp/free")" "$(seq 0 $((ncpu - 1)) | tr '\n' ' ')" \
	"PoCL's threads are pinned, one to each CPU"
ok "the main thread keeps every CPU" grep -qx "$all" "$tmp/free"
ok "with POCL_AFFINITY=0 it runs" cpus "$tmp/user" env POCL_AFFINITY=0 \
	terra-run -u "$unit" -w sha256d -t 2
is "$(single "$tmp/user")" "" "the user's POCL_AFFINITY=0 is kept: no thread pinned"
ok "its usage records are there" [ -s "$tmp/user.usage" ]
done_testing
