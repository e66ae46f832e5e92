#!/bin/sh
# examples/ as an operator runs them: the two-host flow (a provider's signed
# usage shipped to a settlement host that registers nothing and checks it
# against the exported unit records), a tampered line refused there,
# settle-hourly.sh settling an hour once, and the crontab and systemd units.
. "$(dirname "$0")/setup"
# The scripts would put $TERRA_BIN first on PATH, ahead of the wrappers
# (valgrind) of setup; PATH already has this build's commands.
unset TERRA_BIN
ex=$top/examples
holders=$ex/holders.csv
prov=$tmp/provider
settle=$tmp/settlement
inbox=$tmp/inbox
# terra-run stamps usage from TERRA_NOW (10:00) on; five minutes past the
# next hour, 10:00-11:00 is the last full hour.
later=2026-11-21T11:05:00Z
tag=2026-11-21T100000Z
period=2026-11-21T10:00:00.000000Z/2026-11-21T11:00:00.000000Z
quiet() { "$@" 2>/dev/null; }
# The sum of the amounts of payout records, in base units.
total() {
	sed -n 's/.*"amount":"\([0-9]*\)\.\([0-9]\{9\}\)".*/\1\2/p' "$1" |
		awk '{ s += $1 } END { printf "%.0f\n", s }'
}
ledger_size() { native terra-ledger -H "$1" verify | jq -r .size; }

# The provider host: tokenize the PoCL device from a real probe, earn.
home_init -H "$prov"
set +e
TERRA_HOME=$prov terra-probe --quick >"$tmp/devices.ndjson" 2>"$tmp/probe.err"
probe=$?
set -e
ok "provider: terra-probe --quick finds a device" grep -q '"type":"device"' "$tmp/devices.ndjson"
[ "$probe" = 0 ] || sed 's/^/# /' "$tmp/probe.err"
quiet terra-register -H "$prov" "$tmp/devices.ndjson" >"$tmp/units.ndjson"
ok "provider: the device is registered" grep -q '"type":"unit"' "$tmp/units.ndjson"
owner=$(cat "$prov/owner.pub")
# 16 share bits: two seconds of hashing on a loaded machine can find no
# share at the default 24 (one in 16.7 million hashes), and work no share
# proves is paid nothing, which left the hour without a contributor.
fails 0 "provider: terra-run -w sha256d -t 2 runs" \
	sh -c 'TERRA_HOME=$1 terra-run -w sha256d -t 2 --share-bits 16 >>"$2" 2>"$3"' - "$prov" \
	"$tmp/usage.ndjson" "$tmp/run.err"
n_usage=$(grep -c '"type":"usage"' "$tmp/usage.ndjson" || true)
ok "provider: terra-run wrote usage records" test "$n_usage" -ge 1

# Shipping: over a shared folder, and over "ssh" (a stand-in that runs the
# remote command here), the same files arrive.
fails 0 "provider.sh ships to a shared folder" \
	quiet env TERRA_HOME="$prov" sh "$ex/two-host/provider.sh" "$tmp/usage.ndjson" \
	"$inbox/prov1"
terra-register -H "$prov" history -o json >"$tmp/units-list.ndjson"
ok "the inbox has the provider's unit records" \
	cmp -s "$inbox/prov1/units.ndjson" "$tmp/units-list.ndjson"
ok "the inbox has the provider's usage" cmp -s "$inbox/prov1/usage.ndjson" "$tmp/usage.ndjson"
printf '#!/bin/sh\nshift\nexec sh -c "$1"\n' >"$tmp/fake-ssh"
chmod +x "$tmp/fake-ssh"
fails 0 "provider.sh ships over ssh" quiet env TERRA_HOME="$prov" TERRA_SSH="$tmp/fake-ssh" \
	sh "$ex/two-host/provider.sh" "$tmp/usage.ndjson" \
	"settle.example.org:$tmp/inbox-ssh/prov1"
ok "the same files arrive over ssh" diff -r "$inbox" "$tmp/inbox-ssh"
cp "$tmp/usage.ndjson" "$tmp/usage-partial.ndjson"
printf '{"type":"usage","v":1,"unit":"half a li' >>"$tmp/usage-partial.ndjson"
quiet env TERRA_HOME="$prov" sh "$ex/two-host/provider.sh" "$tmp/usage-partial.ndjson" \
	"$tmp/inbox-partial/partial"
ok "a line terra-run is still writing is not shipped" \
	cmp -s "$tmp/inbox-partial/partial/usage.ndjson" "$tmp/usage.ndjson"

# The settlement host: its own home, no units of its own.
home_init -H "$settle"
is "$(native terra-register -H "$settle" list -o json | wc -l)" 0 "settlement: the home has no units"
ok "settlement: meter with the exported units accepts every usage line" \
	sh -c 'terra-meter -H "$1" -u "$2" -p 2026-11-21T10:00:00Z/PT1H "$3" >"$4" 2>"$5"' - \
	"$settle" "$inbox/prov1/units.ndjson" "$inbox/prov1/usage.ndjson" "$tmp/meter.ndjson" \
	"$tmp/meter.err"
sed 's/^/# /' "$tmp/meter.err"
is "$(jq -s 'map(.records) | add' "$tmp/meter.ndjson")" "$n_usage" "every usage record is counted"
fails 1 "settlement: without the exported units the usage is refused" \
	quiet terra-meter -H "$settle" -p 2026-11-21T10:00:00Z/PT1H "$inbox/prov1/usage.ndjson"

# settlement.sh (through settle-hourly.sh): meter, settle, verify.
echo "$owner" >"$tmp/owners"
fails 0 "settlement.sh settles the last full hour" \
	sh -c 'TERRA_NOW=$1 sh "$2" -H "$3" -a "$4" -r 1250.5 -k "$5" -o "$6" "$7" 2>"$8"' - \
	"$later" "$ex/two-host/settlement.sh" "$settle" "$tmp/owners" "$holders" "$tmp/hourly" \
	"$inbox" "$tmp/settlement.err"
sed 's/^/# /' "$tmp/settlement.err"
pay=$tmp/hourly/payouts-$tag.ndjson
ok "the payouts are kept" test -s "$pay"
ok "the meter records are kept" test -s "$tmp/hourly/meter-$tag.ndjson"
is "$(jq -r .period "$pay" | sort -u)" "$period" "the payouts are for 10:00-11:00"
is "$(total "$pay")" 1250500000000 "the payouts sum to the revenue exactly"
like "$(jq -r 'select(.role == "contributor") | .account' "$pay")" "^$owner\$" \
	"the provider's owner is paid as the contributor"
like "$(jq -r 'select(.role == "holder") | .account' "$pay" | sort | tr '\n' ' ')" \
	'alice bob' "the holders of holders.csv are paid"
verified() { verifies -H "$1" 2>/dev/null; }
fails 0 "settlement: terra-ledger verify passes" verified "$settle"
size=$(ledger_size "$settle")
terra-ledger -H "$settle" export -f ndjson >"$tmp/export.ndjson"
fails 0 "the ledger export verifies with only the settlement host's public key" \
	sh -c 'terra-ledger verify --pubkey "$1" <"$2" >/dev/null 2>&1' - "$settle/owner.pub" \
	"$tmp/export.ndjson"
is "$(native terra-register -H "$settle" list -o json | wc -l)" 0 "settlement: still no units registered"

# Again for the same hour: nothing changes.
cp "$pay" "$tmp/payouts.first" 2>/dev/null || : >"$tmp/payouts.first"
fails 0 "settlement.sh again for the same hour succeeds" \
	quiet env TERRA_NOW="$later" sh "$ex/two-host/settlement.sh" -H "$settle" -a "$tmp/owners" \
	-r 1250.5 -k "$holders" -o "$tmp/hourly" "$inbox"
is "$(ledger_size "$settle")" "$size" "and appends nothing to the ledger"
ok "and gives the same payouts" cmp -s "$pay" "$tmp/payouts.first"
fails 1 "the same hour with another revenue is refused" \
	quiet env TERRA_NOW="$later" sh "$ex/two-host/settlement.sh" -H "$settle" -r 99 \
	-k "$holders" -o "$tmp/hourly" "$inbox"
is "$(ledger_size "$settle")" "$size" "and changes nothing"
echo 0000000000000000000000000000000000000000000000000000000000000000 >"$tmp/strangers"
fails 1 "units of owners not in the -a list are not trusted" \
	quiet env TERRA_NOW="$later" sh "$ex/two-host/settlement.sh" -H "$settle" \
	-a "$tmp/strangers" -r 1250.5 -k "$holders" "$inbox"

# A tampered usage line (its job renamed after signing) is refused there.
mkdir -p "$tmp/inbox-bad/prov1"
cp "$inbox/prov1/units.ndjson" "$tmp/inbox-bad/prov1/"
sed '1s/"job":"sha256d/"job":"tampered/' "$tmp/usage.ndjson" >"$tmp/inbox-bad/prov1/usage.ndjson"
ok "(the usage line was changed)" sh -c '! cmp -s "$1" "$2"' - "$tmp/usage.ndjson" \
	"$tmp/inbox-bad/prov1/usage.ndjson"
home_init -H "$tmp/settlement2"
err=$(terra-meter -H "$tmp/settlement2" -u "$inbox/prov1/units.ndjson" -p 2026-11-21T10:00:00Z/PT1H \
	"$tmp/inbox-bad/prov1/usage.ndjson" 2>&1 >/dev/null || true)
like "$err" 'prov1/usage.ndjson:1: .*sig' "terra-meter names the tampered line and its signature"
fails 1 "terra-meter exits 1 on the tampered line" \
	quiet terra-meter -H "$tmp/settlement2" -u "$inbox/prov1/units.ndjson" \
	-p 2026-11-21T10:00:00Z/PT1H "$tmp/inbox-bad/prov1/usage.ndjson"
fails 1 "settlement.sh quarantines a tampered line: exit 1" \
	quiet env TERRA_NOW="$later" sh "$ex/two-host/settlement.sh" -H "$tmp/settlement2" \
	-r 1250.5 -k "$holders" -o "$tmp/hourly2" "$tmp/inbox-bad"
ok "and settles the rest of the hour" test "$(ledger_size "$tmp/settlement2")" -gt 0
ok "and keeps the rejected line" sh -c 'head -n 1 "$2" | cmp -s "$1" -' - \
	"$tmp/hourly2/rejected-$tag.ndjson" "$tmp/inbox-bad/prov1/usage.ndjson"
like "$(cat "$tmp/hourly2/rejected-$tag.txt")" 'prov1[^:]*:1: .*sig' "with its reason"

# settle-hourly.sh on one host (the units of the home), twice.
TERRA_HOME=$prov
fails 0 "settle-hourly.sh settles the last full hour on the provider host" \
	sh -c 'TERRA_NOW=$1 sh "$2" -r 10 -k "$3" "$4" >"$5" 2>/dev/null' - "$later" \
	"$ex/settle-hourly.sh" "$holders" "$tmp/usage.ndjson" "$tmp/hourly-1.ndjson"
is "$(total "$tmp/hourly-1.ndjson")" 10000000000 "its payouts sum to the revenue"
size=$(ledger_size "$prov")
fails 0 "settle-hourly.sh again for the same hour succeeds" \
	sh -c 'TERRA_NOW=$1 sh "$2" -r 10 -k "$3" "$4" >"$5" 2>/dev/null' - "$later" \
	"$ex/settle-hourly.sh" "$holders" "$tmp/usage.ndjson" "$tmp/hourly-2.ndjson"
is "$(ledger_size "$prov")" "$size" "the second run appends nothing"
ok "the second run gives the same payouts" cmp -s "$tmp/hourly-1.ndjson" "$tmp/hourly-2.ndjson"
fails 0 "the provider's ledger verifies" verified "$prov"
err=$(TERRA_NOW=2026-11-21T13:05:00Z sh "$ex/settle-hourly.sh" -c 0.5 -k "$holders" \
	"$tmp/usage.ndjson" 2>&1 || echo "exit $?")
like "$err" 'no usage and no revenue: nothing to settle$' \
	"an hour without usage or revenue is skipped"
fails 2 "settle-hourly.sh without -k is a usage error" \
	quiet sh "$ex/settle-hourly.sh" "$tmp/usage.ndjson"
TERRA_HOME=$tmp/home

# The crontab: environment lines, or five time fields and a command; no
# unescaped % (cron turns it into a newline); the scripts it runs exist.
cron_check() {
	awk '
	function field(f, lo, hi,   n, i, parts, r, s, b) {
		n = split(f, parts, ",")
		for (i = 1; i <= n; i++) {
			s = parts[i]
			if (s !~ /^(\*|[0-9]+(-[0-9]+)?)(\/[0-9]+)?$/)
				return 0
			sub(/\/.*/, "", s)
			if (s == "*")
				continue
			split(s, b, "-")
			if (b[1] < lo || b[1] > hi || (2 in b && (b[2] < b[1] || b[2] > hi)))
				return 0
			delete b
		}
		return 1
	}
	/^[ \t]*(#|$)/ { next }
	/^[A-Za-z_][A-Za-z0-9_]*=/ { next }
	{
		if (NF < 6 || !field($1, 0, 59) || !field($2, 0, 23) || !field($3, 1, 31) ||
		    !field($4, 1, 12) || !field($5, 0, 7)) {
			print "# " FILENAME ":" NR ": bad schedule: " $0
			bad = 1
		}
		line = $0
		gsub(/\\%/, "", line)
		if (line ~ /%/) {
			print "# " FILENAME ":" NR ": unescaped %: " $0
			bad = 1
		}
		jobs++
	}
	END { if (!jobs) print "# no job lines"; exit bad || !jobs }
	' "$1"
}
ok "the crontab parses" cron_check "$ex/crontab"
printf '61 * * * * true\n' >"$tmp/bad.cron"
cron_check_silent() { cron_check "$1" >/dev/null; }
fails 1 "(a bad crontab does not)" cron_check_silent "$tmp/bad.cron"
for s in settle-hourly.sh settlement.sh provider.sh; do
	if grep -q "/$s " "$ex/crontab"; then
		ok "the crontab's $s is in examples/" test -f "$ex/$s" -o -f "$ex/two-host/$s"
	fi
done

# The settlement line of the crontab and the service's ExecStart, run as
# written, with the install paths pointed here: cron settles the hour, and
# the service then finds it settled and changes nothing.
var=$tmp/var
mkdir -p "$var"
cp -R "$inbox" "$var/inbox"
home_init -H "$var/home"
installed() {
	sed -e "s|/usr/local/lib/terra/settle-hourly.sh|$ex/settle-hourly.sh|g" \
		-e "s|/usr/local/lib/terra/two-host/|$ex/two-host/|g" \
		-e "s|/usr/local/lib/terra/|$ex/two-host/|g" -e "s|/var/lib/terra|$var|g" \
		-e "s|/etc/terra/holders.csv|$holders|g"
}
cron_settle=$(grep -v '^#' "$ex/crontab" | grep 'settlement\.sh' | cut -d ' ' -f 6- | installed)
fails 0 "the crontab's settlement line settles the last hour" \
	sh -c 'TERRA_HOME=$1 TERRA_NOW=$2 sh -c "$3" 2>"$4"' - "$var/home" "$later" "$cron_settle" \
	"$tmp/cron.err"
sed 's/^/# /' "$tmp/cron.err"
ok "and keeps its payouts" test -s "$var/hourly/payouts-$tag.ndjson"
size=$(ledger_size "$var/home")
unit_env=$(sed -n 's/^Environment=//p' "$ex/systemd/terra-settle.service" | grep -v '^PATH=' |
	installed)
exec_start=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$ex/systemd/terra-settle.service" |
	sed 's/^ExecStart=//; s/\\$//' | tr '\n\t' '  ' | installed)
# shellcheck disable=SC2086 # one KEY=VALUE a word
fails 0 "terra-settle.service's ExecStart runs, the hour already settled" \
	quiet env $unit_env TERRA_NOW="$later" sh -c "$exec_start"
is "$(ledger_size "$var/home")" "$size" "and changes nothing"

# The provider's health check, the crontab's line and terra-probe.service's
# ExecStart run as written (paths pointed here), on the PoCL unit: each run
# adds an observation to the unit's health history, rewrites the metrics
# for node_exporter and, all being well, prints nothing (cron mails
# nothing) and exits 0. While terra-run works on the unit, the observation
# is "busy".
pv=$tmp/pvar
mkdir -p "$pv/node-exporter"
home_init -H "$pv/home"
TERRA_HOME=$pv/home terra-probe --bench none --mem-test 0 2>/dev/null |
	quiet terra-register -H "$pv/home" >"$tmp/pv-unit.ndjson"
punit=$(jq -r 'select(.type == "unit") | .unit' "$tmp/pv-unit.ndjson")
ok "the health check's home has the PoCL unit" test -n "$punit"
probe_installed() {
	sed -e "s|/var/lib/terra|$pv|g" -e "s|/var/lib/prometheus/node-exporter|$pv/node-exporter|g" \
		-e 's|/usr/local/bin/||g'
}
observations() { terra-register -H "$pv/home" health "$punit" | jq -r .status | tr '\n' ' '; }
cron_probe=$(grep -v '^#' "$ex/crontab" | grep 'terra-probe' | cut -d ' ' -f 6- | probe_installed)
# The real clock, as cron has it (a fixed one is noted on stderr).
saved_now=$TERRA_NOW
unset TERRA_NOW
fails 0 "the crontab's health check runs" \
	sh -c 'TERRA_HOME=$1 sh -c "$2" >"$3" 2>&1' - "$pv/home" "$cron_probe" "$tmp/cron-probe.out"
is "$(cat "$tmp/cron-probe.out")" "" "... and says nothing: cron mails nothing"
is "$(terra-register -H "$pv/home" history -o json | jq -s -r --arg u "$punit" 'map(select(.unit == $u) | .score > 0) | map(tostring) | join(" ")')" \
	"false true" "... its benchmark rescored the unit registered with --bench none"
is "$(observations)" "ok ok " "... the probe's health is registered in the unit's history"
like "$(grep "^terra_unit_health{unit=\"$punit\",status=\"ok\"}" \
	"$pv/node-exporter/terra-ledger.prom")" ' 1$' "... and the metrics rewritten for node_exporter"
# That benchmark is now the unit's baseline, and the next probe is judged
# against it: on a host shared with other programs a quick probe's figures
# move by more than the baseline check's 20% (terra-probe(1), Score), which
# would make the runs below degraded by the load, not by the device. So
# the unit is rescored to a baseline of 1 (the probe's own record, its
# workload figures set to 1, as a full probe's on a quiet host: a quick one
# never rescores; registered twice: a rescore needs two such probes in a
# row, terra-register(1)): what follows checks that the lines run and
# register, not the host's load.
jq -c 'if .type == "device" and .bench then .bench.sgemm_mflops = 1 | .bench.sha256d_khps = 1
	| .bench.mode = "full" | .bench.host_others_pct = 0 else . end' \
	"$pv/devices.ndjson" >"$tmp/pv-low.ndjson"
quiet terra-register -H "$pv/home" -q "$tmp/pv-low.ndjson" >/dev/null
quiet terra-register -H "$pv/home" -q "$tmp/pv-low.ndjson" >/dev/null
is "$(terra-register -H "$pv/home" list -o json | jq -r --arg u "$punit" 'select(.unit == $u) | .score')" 1 \
	"... the unit rescored to a baseline of 1 for the runs below"
probe_exec=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$ex/systemd/terra-probe.service" |
	sed 's/^ExecStart=//; s/\\$//; s/\$\$/$/g' | tr '\n\t' '  ' | probe_installed)
probe_env=$(sed -n 's/^Environment=//p' "$ex/systemd/terra-probe.service" | grep -v '^PATH=' |
	probe_installed)
# shellcheck disable=SC2086 # one KEY=VALUE a word
fails 0 "terra-probe.service's ExecStart runs" \
	sh -c 'env $1 sh -c "$2" >"$3" 2>&1' - "$probe_env" "$probe_exec" "$tmp/svc-probe.out"
is "$(cat "$tmp/svc-probe.out")" "" "... saying nothing"
is "$(observations)" "ok ok ok ok ok " "... and registers the health too"
run_pid=
trap '[ -z "$run_pid" ] || kill "$run_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
TERRA_HOME=$pv/home terra-run -u "$punit" -w sha256d -t 600 >/dev/null 2>"$tmp/pv-run.err" &
run_pid=$!
n=0
while [ "$(cat "$pv/home/units/$punit.lock" 2>/dev/null)" != "$run_pid terra-run" ] &&
	[ $n -lt 600 ] && kill -0 "$run_pid" 2>/dev/null; do
	sleep 0.1
	n=$((n + 1))
done
fails 0 "the crontab's health check runs while terra-run works on the unit" \
	sh -c 'TERRA_HOME=$1 sh -c "$2" >"$3" 2>&1' - "$pv/home" "$cron_probe" "$tmp/cron-busy.out"
is "$(cat "$tmp/cron-busy.out")" "" "... says nothing"
is "$(observations)" "ok ok ok ok ok busy " "... and registers the unit busy, not degraded"
kill "$run_pid"
wait "$run_pid" || true
run_pid=
export TERRA_NOW=$saved_now

# The systemd units, checked by systemd itself where it is installed; the
# installed paths are pointed at examples/ and this build so the check can
# see the programs.
sysd=$ex/systemd
if command -v systemd-analyze >/dev/null 2>&1 &&
	printf '[Service]\nType=oneshot\nExecStart=/bin/true\n' >"$tmp/probe-ok.service" &&
	systemd-analyze verify --man=no "$tmp/probe-ok.service" >/dev/null 2>&1; then
	mkdir "$tmp/units"
	for u in "$sysd"/*.service "$sysd"/*.timer; do
		sed -e "s|/usr/local/lib/terra/settlement.sh|$ex/two-host/settlement.sh|" \
			-e "s|/usr/local/bin/terra-|$bin/terra-|" "$u" >"$tmp/units/${u##*/}"
	done
	verify_units() {
		(cd "$tmp/units" && systemd-analyze verify --man=no ./*.service ./*.timer) \
			>"$tmp/units.out" 2>&1 || { sed 's/^/# /' "$tmp/units.out"; return 1; }
	}
	ok "systemd-analyze verify passes on examples/systemd" verify_units
	sed 's/^OnCalendar=.*/OnCalendar=*-*-* *:61:00/' "$tmp/units/terra-settle.timer" \
		>"$tmp/units/terra-bad.timer"
	fails 1 "(and fails on a bad timer)" quiet systemd-analyze verify --man=no \
		"$tmp/units/terra-bad.timer"
else
	skip "systemd-analyze verify passes on examples/systemd" "no working systemd-analyze"
	skip "(and fails on a bad timer)" "no working systemd-analyze"
fi
ok "the timer starts terra-settle.service hourly" \
	grep -q '^OnCalendar=\*-\*-\* \*:05:00$' "$sysd/terra-settle.timer"
like "$(sed -n 's/^ExecStart=//p' "$sysd/terra-settle.service")" 'settlement\.sh ' \
	"the service runs settlement.sh"

done_testing
