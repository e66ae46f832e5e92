#!/bin/sh
# Attacks through limits and inputs (issue 13), each performed and each
# refused: its exit status, a message naming file and line where the input
# is a file, and the ledger left as it was (its SQL dump compared) and still
# verifying.
. "$(dirname "$0")/setup"
P1=2026-11-21T10:00:00Z/PT1H
P2=2026-11-21T11:00:00Z/PT1H
dump() { sqlite3 "$TERRA_HOME/terra.db" .dump; }
keep() { dump >"$tmp/before"; } # keep: the ledger as it is now, for unchanged
unchanged() { # unchanged WHAT: the ledger is the one kept, and verifies
	dump >"$tmp/after"
	ok "$1: the ledger is unchanged" cmp -s "$tmp/before" "$tmp/after"
	ok "$1: the ledger verifies" verifies
}
newhome() { # newhome NAME: a fresh home, TERRA_HOME
	TERRA_HOME=$tmp/$1
	home_init
}
settle() { # settle PERIOD REVENUE HOLDERS: terra-settle, stderr to $tmp/err
	terra-settle -p "$1" --revenue "$2" --holders "$3" </dev/null >"$tmp/out" 2>"$tmp/err"
}
printf 'account,balance\nalice,300\nbob,100\n' >"$tmp/h.csv"

# 1. Money past int64: 5e9 TERRA settled twice would take revenue's
# balance past the int64 limit, after which verify, balance and export
# failed for ever. The second is refused in its transaction.
newhome money
settle $P1 5000000000 "$tmp/h.csv"
keep
fails 1 "1. a settlement taking the revenue past int64 fails" settle $P2 5000000000 "$tmp/h.csv"
like "$(errs "$tmp/err")" \
	"^terra-settle: revenue: amount out of range: 5000000000\.000000000 already settled \+ 5000000000\.000000000 exceeds the ledger's limit of 9223372036\.854775807" \
	"1. the message names the amounts and the limit"
unchanged "1. int64 revenue"
fails 0 "1. balance still works" sh -c 'terra-ledger balance >/dev/null'
fails 0 "1. export -f payouts still works" sh -c 'terra-ledger export -f payouts >/dev/null'
# exactly up to the limit is allowed, and then not one base unit more
fails 0 "1. revenue up to the limit exactly settles" settle $P2 4223372036.854775807 "$tmp/h.csv"
is "$(terra-ledger balance revenue | jq -r .amount)" "-9223372036.854775807" \
	"1. revenue's balance is the int64 limit"
keep
fails 1 "1. one base unit more is refused" settle 2026-11-21T12:00:00Z/PT1H 0.000000001 "$tmp/h.csv"
unchanged "1. one base unit past the limit"
fails 0 "1. export -f payouts works at the limit" sh -c 'terra-ledger export -f payouts >/dev/null'

# 2. The holders CSV.
newhome holders
settle $P1 10 "$tmp/h.csv"
holders_refused() { # holders_refused NAME FILE PATTERN
	keep
	fails 1 "2. $1: refused" settle $P2 10 "$2"
	like "$(errs "$tmp/err")" "$3" "2. $1: the message"
	unchanged "2. $1"
}
printf 'account,balance\nali\000ce,10\nbob,5\n' >"$tmp/nul.csv"
holders_refused "a NUL byte in an account (ali NUL ce was paid as ali)" "$tmp/nul.csv" \
	"^terra-settle: $tmp/nul.csv:2: account: holds a NUL byte$"
printf 'account,balance\nalice,1\0009\n' >"$tmp/nulb.csv"
holders_refused "a NUL byte in a balance" "$tmp/nulb.csv" \
	"^terra-settle: $tmp/nulb.csv:2: balance: holds a NUL byte$"
for a in paid holders treasury carry revenue; do
	printf 'account,balance\nalice,1\n%s,5\n' "$a" >"$tmp/r.csv"
	holders_refused "the ledger's own account '$a'" "$tmp/r.csv" \
		"^terra-settle: $tmp/r.csv:3: account '$a' is reserved$"
done
printf 'account,balance\nAlice,1\nbob,2\nalice,3\n' >"$tmp/case.csv"
holders_refused "accounts differing only by case" "$tmp/case.csv" \
	"^terra-settle: $tmp/case.csv:4: account 'alice' differs only by case from 'Alice' at line 2$"
printf 'account,balance\nBOB,1\nBob,2\n' >"$tmp/case2.csv"
holders_refused "two upper-case spellings" "$tmp/case2.csv" \
	"^terra-settle: $tmp/case2.csv:3: account 'Bob' differs only by case from 'BOB' at line 2$"
printf 'account,balance\nalice,1\nalice:x,2\n' >"$tmp/colon.csv"
holders_refused "':' (hledger would roll alice:x into alice)" "$tmp/colon.csv" \
	"^terra-settle: $tmp/colon.csv:3: account 'alice:x': character 6 is not one of A-Z a-z 0-9 \. _ - @ \+$"
printf 'account,balance\nalice,9223372036.854775808\n' >"$tmp/big.csv"
holders_refused "a balance above the limit" "$tmp/big.csv" \
	"^terra-settle: $tmp/big.csv:2: balance '9223372036\.854775808': out of range"
# Formula cells: an account a spreadsheet would run comes out as text.
printf 'account,balance\n+1+2,5\n@SUM,3\n-x,1\n' >"$tmp/formula.csv"
fails 0 "2. formula-like accounts settle" settle $P2 10 "$tmp/formula.csv"
terra-ledger export -f payouts -p $P2 >"$tmp/payouts.csv"
terra-ledger -o csv balance >"$tmp/balance.csv"
is "$(grep -c "^\"'[-+@]" "$tmp/payouts.csv")" 3 "2. payouts: the three formula cells are quoted text"
is "$(grep -c "^\"'[-+@]" "$tmp/balance.csv")" 3 "2. balance -o csv: the same"
is "$("$py" -c 'import csv, sys; print(" ".join(sorted(r[0] for r in csv.reader(open(sys.argv[1])))))' "$tmp/payouts.csv")" \
	"'+1+2 '-x '@SUM account treasury" "2. a CSV reader sees them with the apostrophe"
like "$(cat "$tmp/balance.csv")" '^revenue,-20\.000000000$' "2. a negative amount stays a number"

# 3. Times: created_at never goes backwards; periods within 1970..9999.
newhome time
settle $P1 10 "$tmp/h.csv"
keep
fails 1 "3. a settlement with a clock before the last entry fails" \
	sh -c 'TERRA_NOW=2026-11-21T09:59:59Z terra-settle -p "$1" --revenue 1 --holders "$2" </dev/null >/dev/null 2>"$3"' \
	- $P2 "$tmp/h.csv" "$tmp/err"
like "$(errs "$tmp/err")" \
	"^terra-settle: the clock \(2026-11-21T09:59:59\.000000Z\) is before the last entry's created_at \(2026-11-21T10:00:00\.000000Z\)" \
	"3. the message names both times"
unchanged "3. a clock going backwards"
fails 1 "3. a payment with a clock before the last entry fails" \
	sh -c 'TERRA_NOW=2026-01-01T00:00:00Z terra-ledger pay alice 1 2>/dev/null'
unchanged "3. a payment going backwards"
fails 2 "3. a period before 1970 is a usage error" settle 1969-12-31T23:00:00Z/PT1H 1 "$tmp/h.csv"
like "$(errs "$tmp/err")" "outside the years 1970 to 9999" "3. and says the years"
fails 2 "3. a period past 9999 is a usage error" settle 9999-12-31T23:00:00Z/PT2H 1 "$tmp/h.csv"
fails 1 "3. TERRA_NOW before 1970 fails" \
	sh -c 'TERRA_NOW=1969-07-20T20:17:00Z terra-ledger pay alice 1 2>"$1"' - "$tmp/err"
like "$(errs "$tmp/err")" "TERRA_NOW: time '1969-07-20T20:17:00Z': before 1970" "3. and says why"
unchanged "3. periods and TERRA_NOW out of range"
fails 0 "3. the same time as the last entry is fine" settle $P2 1 "$tmp/h.csv"

# 4. A home others can write, a linked units/, linked key files.
newhome perms
H=$TERRA_HOME
settle $P1 10 "$tmp/h.csv"
keep
refused_home() { # refused_home WHAT PATTERN: settle and verify both refused so
	fails 1 "4. $1: settle refused" settle $P2 10 "$tmp/h.csv"
	like "$(errs "$tmp/err")" "$2" "4. $1: the message has the fix"
	fails 1 "4. $1: verify refused too" sh -c 'terra-ledger verify >/dev/null 2>&1'
}
chmod g+w "$H"
refused_home "a home its group can write" \
	"^terra-settle: home '$H' is writable by its group: chmod go-w '$H'$"
chmod 700 "$H"
chmod 757 "$H"
refused_home "a home others can write" \
	"^terra-settle: home '$H' is writable by others: chmod go-w '$H'$"
chmod 700 "$H"
chmod o+w "$H/units"
refused_home "units/ others can write" \
	"^terra-settle: home '$H': '$H/units' is writable by others: chmod go-w '$H/units'$"
chmod 700 "$H/units"
mv "$H/units" "$tmp/units-elsewhere"
ln -s "$tmp/units-elsewhere" "$H/units"
refused_home "units/ a symbolic link" "^terra-settle: home '$H': '$H/units' is a symbolic link"
rm "$H/units"
mv "$tmp/units-elsewhere" "$H/units"
mv "$H/owner.key" "$tmp/owner.key"
ln -s "$tmp/owner.key" "$H/owner.key"
fails 1 "4. a linked owner.key: settle refused" settle $P2 10 "$tmp/h.csv"
like "$(errs "$tmp/err")" "^terra-settle: open '$H/owner.key': a symbolic link, refused" \
	"4. a linked owner.key: the message"
rm "$H/owner.key"
mv "$tmp/owner.key" "$H/owner.key"
cp "$H/owner.pub" "$tmp/owner.pub"
rm "$H/owner.pub"
ln -s "$tmp/owner.pub" "$H/owner.pub"
fails 1 "4. a linked owner.pub: verify refused" sh -c 'terra-ledger verify >/dev/null 2>"$1"' - "$tmp/err"
like "$(cat "$tmp/err")" "open '$H/owner.pub': a symbolic link, refused" "4. a linked owner.pub: the message"
rm "$H/owner.pub"
cp "$tmp/owner.pub" "$H/owner.pub"
unchanged "4. every refused home"

# 5. A read-only home serves the read-only commands. Root ignores
# permissions, so the home is made read-only by a read-only bind mount in a
# private mount namespace; without one, as nobody; else skipped.
newhome ro
H=$TERRA_HOME
terra-register "$fixtures/devices/pocl-cpu.ndjson" >/dev/null 2>&1
settle $P1 10 "$tmp/h.csv"
keep
ro() { # ro CMD...: CMD with the home read-only
	if [ "$ro_how" = mount ]; then
		unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"' - "$H" "$@"
	else
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
	fi
}
ro_how=mount
if ! ro true 2>/dev/null; then
	ro_how=nobody
	chmod 711 "$tmp"
	chmod 755 "$H"
	chmod 644 "$H/terra.db"
fi
if ! ro true 2>/dev/null || ro touch "$H/probe" 2>/dev/null; then
	rm -f "$H/probe"
	skip "5. read-only home" "neither a read-only bind mount (unshare -m) nor setpriv denies writes here"
else
	for c in "terra-ledger verify" "terra-ledger log" "terra-ledger balance" \
		"terra-ledger export -f payouts" "terra-ledger export -f ndjson" \
		"terra-register list" "terra-meter -p $P1 /dev/null"; do
		set +e
		# shellcheck disable=SC2086
		ro $c >"$tmp/ro.out" 2>"$tmp/ro.err"
		rc=$?
		set -e
		is "$rc" 0 "5. read-only home ($ro_how): $c works"
		is "$(cat "$tmp/ro.err")" "" "5. read-only home: $c says nothing on stderr"
	done
	is "$(ro terra-ledger verify | jq -r .settlements)" 1 "5. read-only home: verify sees the settlement"
	set +e
	ro terra-settle -p $P2 --revenue 1 --holders "$tmp/h.csv" </dev/null >/dev/null 2>&1
	rc=$?
	set -e
	is "$rc" 1 "5. read-only home: a settlement fails"
	[ "$ro_how" = nobody ] && chmod 700 "$tmp" "$H" && chmod 600 "$H/terra.db"
	unchanged "5. read-only home"
fi

# 6. Kernel jobs name a file: only from the operator's --kernel-dir, never
# from the home. The attack: a build failure's log quotes the source, so a
# job naming owner.key would hand the renter the owner's secret key.
newhome kernel
H=$TERRA_HOME
terra-probe --bench none --mem-test 1 >"$tmp/devices.ndjson" 2>/dev/null || true
terra-register <"$tmp/devices.ndjson" >"$tmp/units.ndjson" 2>/dev/null || true
unit=$(jq -r 'select(.type == "unit") | .unit' "$tmp/units.ndjson" 2>/dev/null | head -n 1)
secret=$(cut -d' ' -f2 "$H/owner.key")
mkdir "$tmp/kernels"
cp "$top/examples/kernel-scale.cl" "$tmp/kernels/"
job() { # job FILE: a kernel job record naming FILE
	printf '{"type":"job","v":1,"id":"k","workload":"kernel","params":{"file":"%s","entry":"scale","global":[64],"args":[{"buffer":256,"fill":"iota"},{"buffer":256,"out":true},{"uint":3},{"uint":7},{"uint":64}]}}\n' "$1"
}
if [ -z "$unit" ]; then
	skip "6. kernel jobs" "no OpenCL device registered"
	skip "7. share bits" "no OpenCL device registered"
else
	kjob() { # kjob NAME FILE PATTERN [terra-run options]: the job refused, nothing leaked
		k_name=$1 k_file=$2 k_pat=$3
		shift 3
		keep
		job "$k_file" >"$tmp/job.json"
		fails 1 "6. $k_name: refused" sh -c 'o=$1 e=$2 && shift 2 && terra-run "$@" >"$o" 2>"$e"' \
			- "$tmp/k.out" "$tmp/k.err" "$@" "$tmp/job.json"
		like "$(errs "$tmp/k.err")" "$k_pat" "6. $k_name: the message"
		ok "6. $k_name: no usage" test ! -s "$tmp/k.out"
		ok "6. $k_name: the secret key is not in the output" \
			sh -c '! grep -qF "$1" "$2" "$3"' - "$secret" "$tmp/k.out" "$tmp/k.err"
		unchanged "6. $k_name"
	}
	kjob "no --kernel-dir" "$tmp/kernels/kernel-scale.cl" "kernel jobs are off: .*--kernel-dir"
	kjob "owner.key by absolute path" "$H/owner.key" "outside the kernel directory" \
		--kernel-dir "$tmp/kernels"
	kjob "owner.key by ../" "$tmp/kernels/../kernel/owner.key" "outside the kernel directory" \
		--kernel-dir "$tmp/kernels"
	ln -s "$H/owner.key" "$tmp/kernels/evil.cl"
	kjob "a link out of the directory" "$tmp/kernels/evil.cl" "outside the kernel directory" \
		--kernel-dir "$tmp/kernels"
	kjob "owner.key with the home as --kernel-dir" "$H/owner.key" "in the Terra home" \
		--kernel-dir "$H"
	(cd "$H" && job owner.key >"$tmp/rel.json")
	fails 1 "6. owner.key relative to a home working directory: refused" \
		sh -c 'cd "$1" && terra-run --kernel-dir "$2" "$3" >/dev/null 2>"$4"' - "$H" "$tmp/kernels" \
		"$tmp/rel.json" "$tmp/k.err"
	ok "6. and nothing of the key leaked" sh -c '! grep -qF "$1" "$2"' - "$secret" "$tmp/k.err"
	job "$tmp/kernels/kernel-scale.cl" >"$tmp/job.json"
	fails 0 "6. a kernel in the kernel directory runs" \
		sh -c 'terra-run --kernel-dir "$1" "$2" >"$3" 2>/dev/null' - "$tmp/kernels" "$tmp/job.json" "$tmp/k.out"
	is "$(jq -r .work "$tmp/k.out")" 64 "6. and its usage counts its work-items"

	# 7. --share-bits: the meter's range, 1 to 32, at both ends.
	fails 2 "7. --share-bits 0 is a usage error" terra-run -w sha256d --work 4096 --share-bits 0 2>/dev/null
	fails 2 "7. --share-bits 33 is a usage error" terra-run -w sha256d --work 4096 --share-bits 33 2>"$tmp/err"
	like "$(errs "$tmp/err")" "^terra-run: --share-bits '33': at most 32" "7. and says the limit"
	printf '{"type":"job","v":1,"id":"s","workload":"sha256d","work":4096,"params":{"share_bits":33}}\n' >"$tmp/s33.json"
	fails 1 "7. a job with share_bits 33 fails" sh -c 'terra-run "$1" >"$2" 2>/dev/null' - "$tmp/s33.json" "$tmp/s33.out"
	ok "7. with no usage" test ! -s "$tmp/s33.out"
	for b in 1 32; do
		fails 0 "7. --share-bits $b runs" sh -c 'terra-run -w sha256d --work 4096 --share-bits "$1" >"$2" 2>/dev/null' \
			- $b "$tmp/s$b.out"
		fails 0 "7. and the meter takes its usage (share_bits $b)" \
			sh -c 'terra-meter -p "$1" "$2" >"$3" 2>/dev/null' - $P1 "$tmp/s$b.out" "$tmp/m$b.out"
		is "$(jq -r .records "$tmp/m$b.out")" 1 "7. one usage record metered (share_bits $b)"
	done

	# 7. A signing command under TERRA_NOW says the clock is fixed, in one line.
	terra-run -w sha256d --work 4096 >/dev/null 2>"$tmp/err"
	is "$(cat "$tmp/err")" "terra-run: TERRA_NOW is set: the clock is fixed at '$TERRA_NOW'" \
		"7. terra-run notes the fixed clock"
fi
newhome note
terra-register "$fixtures/devices/pocl-cpu.ndjson" >/dev/null 2>"$tmp/err"
is "$(cat "$tmp/err")" "terra-register: TERRA_NOW is set: the clock is fixed at '$TERRA_NOW'" \
	"7. terra-register notes the fixed clock"
settle $P1 10 "$tmp/h.csv"
is "$(cat "$tmp/err")" "terra-settle: TERRA_NOW is set: the clock is fixed at '$TERRA_NOW'" \
	"7. terra-settle notes the fixed clock"
terra-ledger pay alice 1 >/dev/null 2>"$tmp/err"
is "$(cat "$tmp/err")" "terra-ledger: TERRA_NOW is set: the clock is fixed at '$TERRA_NOW'" \
	"7. terra-ledger pay notes the fixed clock"
terra-ledger verify >/dev/null 2>"$tmp/err"
is "$(cat "$tmp/err")" "" "7. terra-ledger verify, which signs nothing, does not"
newhome realclock
(unset TERRA_NOW && terra-register "$fixtures/devices/pocl-cpu.ndjson" >/dev/null 2>"$tmp/err")
is "$(cat "$tmp/err")" "" "7. without TERRA_NOW, no note"

done_testing
