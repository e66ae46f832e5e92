#!/bin/sh
# A command that reads standard input from a terminal says so on stderr,
# and how to end it; from a pipe or a file it says nothing. The terminal is
# a pty from python3's pty module, given a Ctrl-D at once.
. "$(dirname "$0")/setup"
p1=2026-11-21T09:00:00.000000Z/2026-11-21T10:00:00.000000Z
terra-register init 2>/dev/null
owner=$(cat "$TERRA_HOME/owner.pub")
cat >"$tmp/onterm.py" <<'PY'
import os, pty, subprocess, sys
master, slave = pty.openpty()
p = subprocess.Popen(sys.argv[1:], stdin=slave, stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE)
os.close(slave)
os.write(master, b"\x04")
_, err = p.communicate(timeout=120)
sys.stdout.write(err.decode())
PY
ontty() { $py "$tmp/onterm.py" "$@"; }
notice() { # notice CMD WHAT ARGS...
	_c=$1 _what=$2
	shift 2
	like "$(ontty "$_c" "$@")" \
		"^$_c: reading $_what from standard input \\(a terminal\\); end with Ctrl-D\$" \
		"$_c $*: says it reads $_what from the terminal"
	is "$("$_c" "$@" 2>&1 >/dev/null </dev/null | grep -c 'standard input' || true)" 0 \
		"$_c $*: and nothing of it from /dev/null"
}
notice terra-register "device records"
notice terra-meter "usage records" -p "$p1"
notice terra-settle "meter records" --revenue 1 --holders "$top/examples/holders.csv" -p "$p1"
notice terra-ledger "a ledger export" verify --pubkey "$owner"
notice terra-ledger "proof records" verify-proof --pubkey "$owner"
notice terra-register "device records" -
is "$(ontty terra-register "$fixtures/devices/h100-65.ndjson" | grep -c 'standard input' || true)" 0 \
	"terra-register FILE: reads no terminal, says nothing"
done_testing
