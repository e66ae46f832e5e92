#!/bin/sh
# What a new user meets first: `make demo` (examples/quickstart.sh) gets from
# nothing to a verified ledger with balances that add up, and `make install`
# puts the commands, man pages and bash completion where they belong (and
# `make uninstall` takes them away again).
. "$(dirname "$0")/setup"

# The quickstart, as make demo runs it, on the commands on PATH (under
# valgrind, the wrappers), in real time: it meters the current hour.
unset TERRA_NOW
fails 0 "the quickstart runs to the end" \
	sh -c "env -u TERRA_BIN sh '$top/examples/quickstart.sh' >'$tmp/demo.out' 2>'$tmp/demo.err'"
# What it said, as TAP comments, for a failure that may not recur.
[ "$_got" = 0 ] || sed 's/^/# /' "$tmp/demo.err"
for s in "terra-register init" "terra-probe --quick | terra-register" "terra-run:" \
	"terra-meter | terra-settle" "terra-ledger verify" "terra-ledger balance"; do
	ok "it shows the step '$s'" grep -qF "== $s" "$tmp/demo.err"
done
verified=$(grep '"type":"verified"' "$tmp/demo.out" || true)
is "$(echo "$verified" | jq -r '[.settlements, (.size > 0)] | join(" ")')" "1 true" \
	"the ledger verifies, with one settlement in it"
like "$(cat "$tmp/demo.err")" "[1-9][0-9]* usage records, each signed by its unit" \
	"it says how many usage records the units signed"
# The balance table: revenue paid out exactly, to the holders of holders.csv.
sed -n '/^ACCOUNT /,$p' "$tmp/demo.out" | sed 1d >"$tmp/balances"
is "$(awk '$1 == "revenue" { print $2 }' "$tmp/balances")" -1250.500000000 \
	"the revenue account paid out 1250.5"
is "$(awk '{ split($2, p, "."); s += p[1] * 1000000000 + (substr($2, 1, 1) == "-" ? -1 : 1) * p[2] } END { print s }' "$tmp/balances")" 0 \
	"the balances add up to zero, to the base unit"
for h in alice bob 5687d15448eee5cc60cb0317ea0fb80a05492e53263639084c158c638f7ff58d; do
	ok "holder $h of holders.csv is paid" grep -q "^$h " "$tmp/balances"
done
fails 1 "a holder with a balance of 0 is not" grep -q "^treasury-reserve " "$tmp/balances"
ok "the treasury is paid" grep -q "^treasury " "$tmp/balances"

# make install into a staging root, without building (this build is current).
if [ -n "${TERRA_BUILD:-}" ]; then
	root=$tmp/root
	fails 0 "make install DESTDIR PREFIX=/usr" \
		sh -c "make -s -C '$top' -o all BUILD='$TERRA_BUILD' DESTDIR='$root' PREFIX=/usr install >'$tmp/install.out' 2>&1"
	for c in terra-probe terra-register terra-run terra-meter terra-settle terra-ledger; do
		ok "$c is installed, executable" test -x "$root/usr/bin/$c"
		ok "$c's man page is installed" test -f "$root/usr/share/man/man1/$c.1"
		ok "$c's bash completion is installed" \
			test -f "$root/usr/share/bash-completion/completions/$c"
		like "$(bash -c ". '$root/usr/share/bash-completion/completions/$c'; complete -p $c")" \
			"^complete .* $c\$" "$c's completion registers with bash"
	done
	ok "terra(7) is installed" test -f "$root/usr/share/man/man7/terra.7"
	ok "terra-records(5) is installed" test -f "$root/usr/share/man/man5/terra-records.5"
	like "$("$root/usr/bin/terra-ledger" -V)" '^terra-ledger [0-9]' "an installed command runs"
	# The systemd units, their paths at PREFIX, and every program they run installed.
	for u in terra-run.service terra-probe.service terra-probe.timer terra-settle.service \
		terra-settle.timer; do
		ok "systemd unit $u is installed" test -f "$root/usr/lib/systemd/system/$u"
	done
	is "$(grep -l /usr/local "$root"/usr/lib/systemd/system/terra-* || true)" "" \
		"the installed units name no /usr/local path"
	for p in $(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$root"/usr/lib/systemd/system/terra-*.service); do
		case $p in /bin/* | /usr/bin/sh) continue ;; esac # the system's shell, not ours
		ok "the units' $p is installed, executable" test -x "$root$p"
	done
	ok "settle-hourly.sh runs" sh -c "'$root/usr/lib/terra/settle-hourly.sh' -h >/dev/null"
	ok "provider.sh is installed" test -x "$root/usr/lib/terra/provider.sh"
	ok "examples/slurm's collect.sh is installed" test -x "$root/usr/lib/terra/collect.sh"
	ok "the examples are installed" test -f "$root/usr/share/doc/terra/examples/crontab"
	fails 0 "make uninstall" \
		sh -c "make -s -C '$top' -o all BUILD='$TERRA_BUILD' DESTDIR='$root' PREFIX=/usr uninstall >/dev/null 2>&1"
	is "$(find "$root" -type f | wc -l | tr -d ' ')" 0 "make uninstall leaves no file behind"
else
	skip "make install" "TERRA_BUILD is not set (run through make)"
fi

done_testing
