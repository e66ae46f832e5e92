#!/bin/sh
# Replicated kernel jobs (issue 14, kernel): no evidence proves a user's own
# OpenCL, so a job asks for replicas and terra-meter credits its time only
# where replicas on distinct units, of distinct owners, agree on the result.
# End to end with PoCL: two providers (two homes, two owners) run the same
# replicas=2 job and are both credited. Then each dishonest case, with usage
# records signed by the providers' own unit keys (a provider can sign
# anything with its key): a forged result, one owner running both replicas,
# an inflated busy_us, a lone replica; and job records asking for too many
# replicas, or replicas of work that is not a kernel, are refused.
. "$(dirname "$0")/setup"
mk=$top/tests/tools/mkusage.py
P=2026-11-21T10:00:00Z/PT1H
errs() { sed 's/^[^:]*: //' "$1"; }
quiet() { "$@" >/dev/null 2>&1; }

# ---- end to end: two owners run one replicas=2 job on PoCL --------------------
mkdir "$tmp/k"
cp "$top/examples/kernel-scale.cl" "$tmp/k/"
job() { # job REPLICAS [WORKLOAD]: a kernel job record asking for REPLICAS
	printf '{"type":"job","v":1,"id":"scale-1","workload":"%s","replicas":%s,"params":{"file":"%s","entry":"scale","global":[64],"args":[{"buffer":256,"fill":"iota"},{"buffer":256,"out":true},{"uint":3},{"uint":7},{"uint":64}]}}\n' \
		"${2:-kernel}" "$1" "$tmp/k/kernel-scale.cl"
}
quiet terra-register init # the settlement host
p= q=
# Under valgrind the meter's cases below are what memcheck is for: the
# providers' homes (some twenty commands more under memcheck) are left to
# the native run.
if [ "${TERRA_VALGRIND:-}" != 1 ]; then
	quiet terra-register -H "$tmp/P" init
	quiet terra-register -H "$tmp/Q" init
	# No benchmark is run: the device record gets a recorded one, so units have a score.
	TERRA_HOME=$tmp/P terra-probe --bench none --mem-test 1 2>/dev/null |
		jq -c 'if .type == "device" then .bench = {"fp32_mflops":20000,"fp64_mflops":10000,"int32_mops":26000,"launch_us":16,"mem_bw_mbps":13000,"sgemm_mflops":28000,"sha256d_khps":16000} else . end' \
			>"$tmp/dev.nd" || true
	quiet terra-register -H "$tmp/P" "$tmp/dev.nd" || true
	quiet terra-register -H "$tmp/Q" "$tmp/dev.nd" || true
	p=$(terra-register -H "$tmp/P" list -o json | jq -r .unit | head -n 1)
	q=$(terra-register -H "$tmp/Q" list -o json | jq -r .unit | head -n 1)
fi
if [ "${TERRA_VALGRIND:-}" = 1 ]; then
	skip "e2e: two providers" "left to the native run"
elif [ -z "$p" ] || [ -z "$q" ]; then
	skip "e2e: two providers" "no OpenCL device registered"
else
	job 2 >"$tmp/job.json"
	for h in P Q; do
		fails 0 "e2e: provider $h runs its replica" sh -c \
			'TERRA_HOME=$1 terra-run --kernel-dir "$2" "$3" >"$4" 2>"$5"' - "$tmp/$h" "$tmp/k" \
			"$tmp/job.json" "$tmp/$h.nd" "$tmp/$h.err"
		like "$(errs "$tmp/$h.err")" "1 of its 2 replicas run here; the other 1 must run on other units" \
			"e2e: provider $h is told where the other replica must run"
	done
	is "$(cat "$tmp/P.nd" "$tmp/Q.nd" | jq -r '[.evidence.replicas, .evidence.job_digest, .result] | @tsv' | sort -u | wc -l)" 1 \
		"e2e: both replicas carry replicas 2, the same job digest and the same result"
	terra-register -H "$tmp/P" history -o json >"$tmp/p.units"
	terra-register -H "$tmp/Q" history -o json >"$tmp/q.units"
	fails 0 "e2e: the settlement host meters both providers' usage" sh -c \
		'terra-meter -u "$1" -u "$2" -p "$3" "$4" "$5" >"$6" 2>"$7"' - "$tmp/p.units" "$tmp/q.units" \
		$P "$tmp/P.nd" "$tmp/Q.nd" "$tmp/e2e.m" "$tmp/e2e.err"
	is "$(jq -r '[.replicas.credited, (.verified.replicated_us > 0), (.weight == .score * .verified.replicated_us)] | @tsv' "$tmp/e2e.m" | sort -u)" \
		"$(printf '1\ttrue\ttrue')" "e2e: both replicas are credited, and weigh score x replicated time"
	fails 0 "e2e: the lone replica of P meters" sh -c 'terra-meter -u "$1" -u "$2" -p "$3" "$4" >"$5" 2>"$6"' - \
		"$tmp/p.units" "$tmp/q.units" $P "$tmp/P.nd" "$tmp/lone.m" "$tmp/lone.err"
	is "$(jq -r '[.replicas.unmatched, .weight] | @tsv' "$tmp/lone.m")" "$(printf '1\t0')" \
		"e2e: without its other replica, P's work weighs nothing"
	like "$(errs "$tmp/lone.err")" "unit '$p': not credited: 1 of its 2 replicas agree in this input" \
		"e2e: and the meter says why"

	# One home with two PoCL devices: a replicas=2 job runs on both.
	quiet terra-register -H "$tmp/R" init
	POCL_DEVICES="pthread pthread" TERRA_HOME=$tmp/R terra-probe --bench none --mem-test 1 \
		2>/dev/null >"$tmp/dev2.nd" || true
	POCL_DEVICES="pthread pthread" quiet terra-register -H "$tmp/R" "$tmp/dev2.nd" || true
	if [ "$(terra-register -H "$tmp/R" list -o json | wc -l)" -lt 2 ]; then
		skip "e2e: two local units" "PoCL gave one device"
	else
		fails 0 "e2e: a home with two units runs both replicas" sh -c \
			'POCL_DEVICES="pthread pthread" TERRA_HOME=$1 terra-run --kernel-dir "$2" "$3" >"$4" 2>"$5"' - \
			"$tmp/R" "$tmp/k" "$tmp/job.json" "$tmp/R.nd" "$tmp/R.err"
		is "$(jq -r .unit "$tmp/R.nd" | sort -u | wc -l)" 2 "e2e: on two distinct units"
		params=$(jq -c .params "$tmp/job.json")
		fails 0 "e2e: terra-run -w kernel --replicas 2 runs both replicas too" sh -c \
			'POCL_DEVICES="pthread pthread" TERRA_HOME=$1 terra-run --kernel-dir "$2" -w kernel \
			--replicas 2 --job w --params "$3" >"$4" 2>/dev/null' - "$tmp/R" "$tmp/k" "$params" "$tmp/W.nd"
		is "$(jq -r '[.unit, .evidence.replicas, .evidence.job_digest] | @tsv' "$tmp/W.nd" | sort -u | cut -f2,3 | uniq -c | awk '{print $1, $2}')" \
			"2 2" "e2e: two units, each record naming 2 replicas of one job digest"
	fi

	# ---- refused job records: file:line, nothing run ------------------------------
	job 9 >"$tmp/bad.json"
	job 2 sgemm >>"$tmp/bad.json"
	fails 1 "too many replicas, and replicas of sgemm: refused" sh -c \
		'TERRA_HOME=$1 terra-run --kernel-dir "$2" "$3" >"$4" 2>"$5"' - "$tmp/P" "$tmp/k" \
		"$tmp/bad.json" "$tmp/bad.nd" "$tmp/bad.err"
	like "$(cat "$tmp/bad.err")" "bad.json:1: .*field 'replicas' must be 1 to 8" "replicas 9: file:line and why"
	like "$(cat "$tmp/bad.err")" "bad.json:2: .*only a kernel job is replicated" "sgemm replicas: file:line and why"
	ok "nothing ran" test ! -s "$tmp/bad.nd"
	fails 2 "-w sgemm --replicas 2: a usage error" sh -c 'TERRA_HOME=$1 terra-run -w sgemm --replicas 2 2>/dev/null' - "$tmp/P"
	fails 2 "-w kernel --replicas 9: a usage error" sh -c 'TERRA_HOME=$1 terra-run -w kernel --replicas 9 2>/dev/null' - "$tmp/P"
fi

# ---- the dishonest cases, on recorded devices ----------------------------------
# A owns two units (a fast and a slow device), B and C one each: three owners.
quiet terra-register -H "$tmp/A" init
quiet terra-register -H "$tmp/A" "$fixtures/devices/h100-65.ndjson"
quiet terra-register -H "$tmp/A" "$fixtures/devices/pocl-cpu.ndjson"
quiet terra-register -H "$tmp/B" init
quiet terra-register -H "$tmp/B" "$fixtures/devices/pocl-cpu.ndjson"
quiet terra-register -H "$tmp/C" init
quiet terra-register -H "$tmp/C" "$fixtures/devices/pocl-cpu.ndjson"
quiet terra-register -H "$tmp/C" "$fixtures/devices/h100-65.ndjson"
for h in A B C; do
	terra-register -H "$tmp/$h" history -o json >"$tmp/$h.units"
done
a=$(jq -r 'select(.score > 10000000) | .unit' "$tmp/A.units")
a2=$(jq -r 'select(.score <= 10000000) | .unit' "$tmp/A.units")
b=$(jq -r .unit "$tmp/B.units")
c=$(jq -r 'select(.score <= 10000000) | .unit' "$tmp/C.units")
c2=$(jq -r 'select(.score > 10000000) | .unit' "$tmp/C.units")
ok "A and C have two units each, B one" test -n "$a" -a -n "$a2" -a -n "$b" -a -n "$c" -a -n "$c2"
D=$(printf 'the job' | sha256sum | cut -c1-64)
R=$(printf 'the result' | sha256sum | cut -c1-64)
F=$(printf 'a forged result' | sha256sum | cut -c1-64)
rec() { # rec HOME UNIT SEQ START END BUSY_S RESULT FINAL: a replica's record, signed by UNIT
	$py "$mk" -k "$1/units/$2.key" -u "$2" job=scale-1 seq="$3" start="$4" end="$5" \
		busy_us=$(($6 * 1000000)) result="$7" final="$8" \
		evidence="{\"entry\":\"scale\",\"launches\":1,\"replicas\":2,\"job_digest\":\"$D\"}"
}
meter() { # meter OUT ERR UNITS... -- USAGE...: both providers' usage metered
	_o=$1 _e=$2
	shift 2
	terra-meter "$@" -p $P >"$_o" 2>"$_e"
}
field() { # field METER UNIT JQ: a member of UNIT's meter record
	jq -r --arg u "$2" "select(.unit == \$u) | $3" "$1"
}
# A hashes out the job in 5 minutes (an interim and a final record), B in 20.
rec "$tmp/A" "$a" 1 2026-11-21T10:00:00Z 2026-11-21T10:03:00Z 180 "$R" false >"$tmp/ra.nd"
rec "$tmp/A" "$a" 2 2026-11-21T10:03:00Z 2026-11-21T10:05:00Z 120 "$R" true >>"$tmp/ra.nd"
rec "$tmp/B" "$b" 1 2026-11-21T10:00:00Z 2026-11-21T10:20:00Z 1200 "$R" true >"$tmp/rb.nd"
U="-u $tmp/A.units -u $tmp/B.units -u $tmp/C.units"
# shellcheck disable=SC2086
fails 0 "honest replicas meter cleanly" meter "$tmp/h.m" "$tmp/h.err" $U "$tmp/ra.nd" "$tmp/rb.nd"
cat >"$tmp/least.py" <<'EOF'
import json, sys
m = {r["unit"]: r for r in map(json.loads, open(sys.argv[1]))}
units = sys.argv[2:]
least = min(m[u]["score"] * m[u]["busy_us"] for u in units)
for u in units:  # each: floor(least / score) of time, so a weight within one score of least
    r = m[u]
    assert r["verified"]["replicated_us"] == least // r["score"], (u, r)
    assert r["weight"] == r["score"] * r["verified"]["replicated_us"], (u, r)
    assert r["replicas"]["credited"] == r["records"], (u, r)

EOF
ok "honest: both credited min over the replicas of score x busy_us, by their own score" \
	$py "$tmp/least.py" "$tmp/h.m" "$a" "$b"
is "$(field "$tmp/h.m" "$a" '.replicas.credited')" 2 "honest: A's interim record is credited with its final"

printf 'account,balance\nalice,300\n' >"$tmp/holders.csv"
fails 0 "honest: the period settles, each replica's weight rechecked from its record" sh -c \
	'terra-settle -p "$1" --revenue 100 --holders "$2" "$3" >"$4" 2>"$5"' - $P "$tmp/holders.csv" \
	"$tmp/h.m" "$tmp/h.settle" "$tmp/h.settle.err"
is "$(jq -r 'select(.role == "contributor") | .account' "$tmp/h.settle" | sort | tr '\n' ' ')" \
	"$(cat "$tmp/A/owner.pub" "$tmp/B/owner.pub" | sort | tr '\n' ' ')" \
	"honest: both replicas' owners are paid"
is "$(jq -s '[.[] | select(.role == "contributor") | .amount | tonumber] | max - min < 0.000001' "$tmp/h.settle")" \
	true "honest: alike, to a few base units (the same job's work, each weighing the least claim)"

# A forger: B signs a different result with its own unit key.
rec "$tmp/B" "$b" 1 2026-11-21T10:00:00Z 2026-11-21T10:20:00Z 1200 "$F" true >"$tmp/fb.nd"
# shellcheck disable=SC2086
fails 0 "forged result: metered" meter "$tmp/f.m" "$tmp/f.err" $U "$tmp/ra.nd" "$tmp/fb.nd"
is "$(jq -r '[.weight, .verified.replicated_us, .replicas.dissenting > 0] | @tsv' "$tmp/f.m" | sort -u)" \
	"$(printf '0\t0\ttrue')" "forged result: neither replica weighs anything (2 replicas, no majority)"
like "$(errs "$tmp/f.err")" "unit '$b': not credited: the replicas disagree: 2 results among 2 units of 2 owners" \
	"forged result: the meter says why, for the forger"
like "$(errs "$tmp/f.err")" "unit '$a': not credited: the replicas disagree" "and for the honest one"
# A third replica, C's, agreeing with A outvotes the forger.
rec "$tmp/C" "$c" 1 2026-11-21T10:00:00Z 2026-11-21T10:30:00Z 1800 "$R" true >"$tmp/rc.nd"
# shellcheck disable=SC2086
fails 0 "three replicas, one forged: metered" meter "$tmp/f3.m" "$tmp/f3.err" $U "$tmp/ra.nd" \
	"$tmp/fb.nd" "$tmp/rc.nd"
is "$(field "$tmp/f3.m" "$b" '[.weight, .replicas.dissenting] | @tsv')" "$(printf '0\t1')" \
	"three replicas: the forger is dissenting and weighs nothing"
ok "three replicas: the agreeing two (of two owners, a majority) are credited" \
	$py "$tmp/least.py" "$tmp/f3.m" "$a" "$c"
like "$(errs "$tmp/f3.err")" "unit '$b': not credited: its result differs from that of the 2 agreeing replicas" \
	"three replicas: the meter says why"

# C signs one forged result from both its units against A's and B's honest
# replicas: as many units as the honest, but one owner against two.
rec "$tmp/C" "$c" 1 2026-11-21T10:00:00Z 2026-11-21T10:20:00Z 1200 "$F" true >"$tmp/fc.nd"
rec "$tmp/C" "$c2" 1 2026-11-21T10:00:00Z 2026-11-21T10:05:00Z 300 "$F" true >>"$tmp/fc.nd"
# shellcheck disable=SC2086
fails 0 "one owner's two forging units: metered" meter "$tmp/s.m" "$tmp/s.err" $U "$tmp/ra.nd" \
	"$tmp/rb.nd" "$tmp/fc.nd"
is "$(jq -r --arg c "$c" --arg c2 "$c2" 'select(.unit == $c or .unit == $c2) | [.weight, .replicas.dissenting] | @tsv' "$tmp/s.m" | sort -u)" \
	"$(printf '0\t1')" "one owner's two forging units: both dissenting, no weight"
ok "one owner's two forging units: the honest replicas of two owners are still credited" \
	$py "$tmp/least.py" "$tmp/s.m" "$a" "$b"

# One owner runs both replicas on two of its units while B and C are registered.
rec "$tmp/A" "$a2" 1 2026-11-21T10:00:00Z 2026-11-21T10:30:00Z 1800 "$R" true >"$tmp/ra2.nd"
# shellcheck disable=SC2086
fails 0 "one owner, both replicas: metered" meter "$tmp/o.m" "$tmp/o.err" $U "$tmp/ra.nd" "$tmp/ra2.nd"
is "$(jq -r '[.weight, .replicas.unmatched > 0] | @tsv' "$tmp/o.m" | sort -u)" "$(printf '0\ttrue')" \
	"one owner, both replicas: nothing credited while another owner is registered"
like "$(errs "$tmp/o.err")" "its 2 agreeing replicas are of 1 owners; 2 are needed" "one owner: why"
fails 0 "one owner, registry of that owner only: metered" meter "$tmp/o1.m" "$tmp/o1.err" \
	-u "$tmp/A.units" "$tmp/ra.nd" "$tmp/ra2.nd"
ok "one owner, registry of that owner only: credited (no other owner exists)" \
	$py "$tmp/least.py" "$tmp/o1.m" "$a" "$a2"

# A replica inflating its busy_us: A's claim (score x busy_us) is above B's,
# so B's sets the pay; A claiming 30 minutes instead of 5 changes nothing.
rec "$tmp/A" "$a" 1 2026-11-21T10:00:00Z 2026-11-21T10:03:00Z 180 "$R" false >"$tmp/ia.nd"
rec "$tmp/A" "$a" 2 2026-11-21T10:03:00Z 2026-11-21T10:30:00Z 1620 "$R" true >>"$tmp/ia.nd"
# shellcheck disable=SC2086
fails 0 "inflated busy_us: metered" meter "$tmp/i.m" "$tmp/i.err" $U "$tmp/ia.nd" "$tmp/rb.nd"
is "$(field "$tmp/i.m" "$a" .weight)" "$(field "$tmp/h.m" "$a" .weight)" \
	"inflated busy_us: A's weight is what it was with its true busy_us"
is "$(field "$tmp/i.m" "$b" .weight)" "$(field "$tmp/h.m" "$b" .weight)" "inflated busy_us: B's too"
ok "inflated busy_us: A's busy time is metered, the extra is not backed" \
	test "$(field "$tmp/i.m" "$a" .busy_us)" -gt "$(field "$tmp/i.m" "$a" .backed_us)"
# B, whose claim is the least, inflating its own gains at most up to A's claim.
rec "$tmp/B" "$b" 1 2026-11-21T10:00:00Z 2026-11-21T10:59:00Z 3540 "$R" true >"$tmp/ib.nd"
# shellcheck disable=SC2086
fails 0 "inflated least claim: metered" meter "$tmp/i2.m" "$tmp/i2.err" $U "$tmp/ra.nd" "$tmp/ib.nd"
is "$(jq -s --arg a "$a" '(map(.weight) | max) <= (map(select(.unit == $a))[0] | .score * .busy_us)' "$tmp/i2.m")" \
	true "inflated least claim: no replica weighs more than the other replica's claim"

# A lone replica weighs nothing, unless the meter pays kernel time.
# shellcheck disable=SC2086
fails 0 "lone replica: metered" meter "$tmp/l.m" "$tmp/l.err" $U "$tmp/rb.nd"
is "$(field "$tmp/l.m" "$b" '[.weight, .busy_us, .replicas.unmatched] | @tsv')" "$(printf '0\t1200000000\t1')" \
	"lone replica: metered busy time, no weight"
# shellcheck disable=SC2086
fails 0 "lone replica, --pay-kernel-time: metered" meter "$tmp/lp.m" "$tmp/lp.err" --pay-kernel-time \
	$U "$tmp/rb.nd"
is "$(field "$tmp/lp.m" "$b" '.weight == .score * .busy_us')" true \
	"lone replica, --pay-kernel-time: paid by time, as documented"

done_testing
