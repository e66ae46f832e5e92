#!/bin/sh
# Pay for proven work (issue 14): each dishonest provider of the issue,
# performed end to end with the real commands, earns nothing beyond the work
# its evidence proves, or is refused (exit status, file:line, the ledger
# unchanged and verifying); and honest sha256d work on two units of
# different speed is paid in proportion to the work each did, within the
# statistical bound terra-meter(1) states. Deterministic: every header, so
# every share, follows from fixed units, jobs and times.
. "$(dirname "$0")/setup"
mk=$top/tests/tools/mkusage.py
P1=2026-11-21T10:00:00Z/PT1H
P2=2026-11-21T11:00:00Z/PT1H
S=$TERRA_HOME # the settlement host
dump() { sqlite3 "$S/terra.db" .dump; }
keep() { dump >"$tmp/before"; }
unchanged() { # unchanged WHAT: the ledger is the one kept, and verifies
	dump >"$tmp/after"
	ok "$1: the ledger is unchanged" cmp -s "$tmp/before" "$tmp/after"
	ok "$1: the ledger verifies" verifies
}
errs() { sed 's/^[^:]*: //' "$1"; }
printf 'account,balance\nalice,300\n' >"$tmp/h.csv"

# Two providers, each its own home and owner: A with a fast unit, B a slow one.
home_init -H "$tmp/A"
terra-register -H "$tmp/A" "$fixtures/devices/h100-65.ndjson" >/dev/null 2>&1
home_init -H "$tmp/B"
terra-register -H "$tmp/B" "$fixtures/devices/pocl-cpu.ndjson" >/dev/null 2>&1
home_init
a=$(terra-register -H "$tmp/A" list -o json | jq -r .unit)
b=$(terra-register -H "$tmp/B" list -o json | jq -r .unit)
oa=$(cat "$tmp/A/owner.pub")
ob=$(cat "$tmp/B/owner.pub")
terra-register -H "$tmp/A" history -o json >"$tmp/a.units"
terra-register -H "$tmp/B" history -o json >"$tmp/b.units"
ok "two providers, one unit each" test -n "$a" -a -n "$b"
meter() { # meter ARGS...: the settlement host's terra-meter with both providers' units
	terra-meter -u "$tmp/a.units" -u "$tmp/b.units" "$@"
}
usage() { # usage HOME UNIT SEQ START END FIELDS...: a record signed by UNIT's key
	_h=$1 _u=$2 _s=$3 _t0=$4 _t1=$5
	shift 5
	$py "$mk" -k "$_h/units/$_u.key" -u "$_u" seq="$_s" start="$_t0" end="$_t1" "$@"
}

# ---- honest work: A hashes four times as fast as B ---------------------------
for i in 0 1 2 3; do
	t0=$(printf '2026-11-21T10:%02d:00Z' $((i * 15)))
	t1=$(printf '2026-11-21T10:%02d:00Z' $((i * 15 + 14)))
	usage "$tmp/A" "$a" $((i + 1)) $t0 $t1 job=a-job busy_us=600000000 work=65536 mine=8
	usage "$tmp/B" "$b" $((i + 1)) $t0 $t1 job=b-job busy_us=600000000 work=16384 mine=8
done >"$tmp/honest.nd"
fails 0 "honest usage meters cleanly" sh -c 'terra-meter -u "$1" -u "$2" -p "$3" "$4" >"$5"' - \
	"$tmp/a.units" "$tmp/b.units" $P1 "$tmp/honest.nd" "$tmp/honest.m"

# ---- D1. work 0, and a workload the meter does not know ------------------------
usage "$tmp/A" "$a" 9 2026-11-21T10:14:00Z 2026-11-21T10:15:00Z job=a-job work=0 >"$tmp/d1.nd"
usage "$tmp/A" "$a" 10 2026-11-21T10:29:00Z 2026-11-21T10:30:00Z job=a-job workload=scrypt \
	work=1000 >>"$tmp/d1.nd"
fails 1 "D1. work 0 and an unknown workload: refused" sh -c 'terra-meter -u "$1" -u "$2" -p "$3" "$4" >"$5" 2>"$6"' - \
	"$tmp/a.units" "$tmp/b.units" $P1 "$tmp/d1.nd" "$tmp/d1.m" "$tmp/err"
like "$(errs "$tmp/err")" "d1\\.nd:1: usage record: field 'work' must be at least 1" "D1. work 0: file, line, why"
like "$(errs "$tmp/err")" "d1\\.nd:2: usage record: unknown workload 'scrypt'" "D1. unknown workload: file, line, why"
ok "D1. nothing metered from them" test ! -s "$tmp/d1.m"

# ---- D2. one record spanning 1970 to 9999 ----------------------------------------
# sha256d with genuine shares: the evidence is not of that time.
usage "$tmp/B" "$b" 20 1970-01-01T00:00:00Z 9999-12-31T00:00:00Z job=b-job work=4096 mine=8 >"$tmp/d2.nd"
# and the genuine evidence of B's first honest record
usage "$tmp/B" "$b" 21 1970-01-01T00:00:00Z 9999-12-31T00:00:00Z job=b-job work=16384 \
	workload=sha256d "evidence=$(sed -n 2p "$tmp/honest.nd" | jq -c .evidence)" >>"$tmp/d2.nd"
fails 1 "D2. sha256d from 1970 to 9999: refused" sh -c 'terra-meter -u "$1" -u "$2" -p "$3" "$4" >"$5" 2>"$6"' - \
	"$tmp/a.units" "$tmp/b.units" $P1 "$tmp/d2.nd" "$tmp/d2.m" "$tmp/err"
like "$(errs "$tmp/err")" "d2\\.nd:1: usage record: stale evidence: the record ends 86400 s or more after its header time 1970-01-01" \
	"D2. shares of a 1970 header: stale"
like "$(errs "$tmp/err")" "d2\\.nd:2: usage record: evidence from the future: header time 2026-11-21T10:00:00" \
	"D2. a genuine 2026 header in a record from 1970: refused"
# sgemm without its evidence: refused; kernel: counted for utilization, weighing nothing.
usage "$tmp/B" "$b" 22 1970-01-01T00:00:00Z 9999-12-31T00:00:00Z job=b-job workload=sgemm work=1000 >"$tmp/d2g.nd"
st=0
meter -p $P1 "$tmp/d2g.nd" >"$tmp/d2g.m" 2>"$tmp/err" || st=$?
is "$st" 1 "D2. sgemm from 1970 to 9999 without its evidence: refused"
like "$(errs "$tmp/err")" "d2g\\.nd:1: usage record: .*evidence" "D2. sgemm without evidence: file, line, why"
usage "$tmp/B" "$b" 22 1970-01-01T00:00:00Z 9999-12-31T00:00:00Z job=b-job workload=kernel work=1000 >"$tmp/d2s.nd"
usage "$tmp/A" "$a" 22 1970-01-01T00:00:00Z 9999-12-31T00:00:00Z job=a-job workload=kernel work=1000 >>"$tmp/d2s.nd"
meter -p $P1 "$tmp/d2s.nd" >"$tmp/d2s.m"
is "$(jq -c '[.unit, .busy_us, .backed_us, .utilization_ppm, .weight]' "$tmp/d2s.m" | sort | tr '\n' ' ')" \
	"$(printf '["%s",3600000000,0,0,0]\n["%s",3600000000,0,0,0]\n' "$a" "$b" | sort | tr '\n' ' ')" \
	"D2. kernel from 1970 to 9999: busy every hour, backed and weighing nothing"
meter --pay-kernel-time -p $P1 "$tmp/d2s.nd" | jq -c --arg a "$a" 'select(.unit == $a)' >"$tmp/d2k.m"
is "$($py -c 'import json,sys; m = json.load(open(sys.argv[1])); print(m["backed_us"], m["weight"] == m["score"] * m["verified"]["kernel_us"], m["rates"]["kernel"])' "$tmp/d2k.m")" \
	"3600000000 True 1" "D2. only --pay-kernel-time weighs kernel time (score x busy_us)"

# ---- D3. 0.25 s of genuine evidence re-signed under new seqs and hour-long windows --
usage "$tmp/A" "$a" 30 2026-11-21T10:59:00Z 2026-11-21T10:59:01Z job=a-job busy_us=250000 work=4096 mine=8 >"$tmp/genuine.nd"
ev=$(jq -c .evidence "$tmp/genuine.nd")
{
	cat "$tmp/genuine.nd"
	for s in 31 32 33; do
		usage "$tmp/A" "$a" $s 2026-11-21T$((s - 20)):00:00Z 2026-11-21T$((s - 19)):00:00Z \
			job=a-job workload=sha256d work=4096 "evidence=$ev"
	done
	# and signed by B's unit: the header is A's
	usage "$tmp/B" "$b" 31 2026-11-21T11:00:00Z 2026-11-21T12:00:00Z job=a-job workload=sha256d \
		work=4096 "evidence=$ev"
} >"$tmp/d3.nd"
fails 1 "D3. re-signed copies of genuine evidence: refused" \
	sh -c 'terra-meter -u "$1" -u "$2" --from 2026-11-21T10:00:00Z --to 2026-11-21T14:00:00Z --every PT1H "$3" >"$4" 2>"$5"' - \
	"$tmp/a.units" "$tmp/b.units" "$tmp/d3.nd" "$tmp/d3.m" "$tmp/err"
for l in 2 3 4; do
	like "$(errs "$tmp/err")" "d3\\.nd:$l: usage record: evidence seen before: nonces of header [0-9a-f]{64} in \\[0, 4096\\) were counted for unit '$a' \\(records from seq 30\\)" \
		"D3. copy on line $l: refused"
done
like "$(errs "$tmp/err")" "d3\\.nd:5: usage record: evidence: header not bound to unit '$b', job 'a-job', roll 0" \
	"D3. another unit's evidence: refused"
n=$(jq '.evidence.shares | length' "$tmp/genuine.nd")
is "$(jq -s -c 'map(.verified.sha256d) | add' "$tmp/d3.m")" "$((n * 256))" \
	"D3. the evidence earns its verified work once: $n shares x 2^8"

# ---- settle P1: the honest work, then the attacks left nothing to pay ---------
cat "$tmp/honest.nd" "$tmp/d1.nd" "$tmp/d2.nd" "$tmp/genuine.nd" >"$tmp/p1.nd"
set +e
meter -p $P1 "$tmp/p1.nd" >"$tmp/p1.m" 2>/dev/null
set -e
cat "$tmp/honest.nd" "$tmp/genuine.nd" >"$tmp/p1-honest.nd"
is "$(meter -p $P1 "$tmp/p1-honest.nd" | jq -c 'del(.sig)')" "$(jq -c 'del(.sig)' "$tmp/p1.m")" \
	"the refused lines change no meter record"
fails 0 "P1 settles" sh -c 'terra-settle -p "$1" --revenue 100 --holders "$2" "$3" >"$4" 2>/dev/null' - \
	$P1 "$tmp/h.csv" "$tmp/p1.m" "$tmp/p1.pay"
# Paid in proportion to the work proven: A's shares and B's each within the
# Poisson bound of their claimed hashes (6 sqrt(E) + 6), so A's part of the
# contributors' pool lies between the bounds' extremes, and exactly follows
# the verified work.
cat >"$tmp/prop.py" <<'EOF'
import json, math, sys
pay = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("role") == "contributor":
        pay[r["account"]] = float(r["amount"])
meters = [json.loads(l) for l in open(sys.argv[2])]
wa, wb = (sum(m["work"] for m in meters if m["unit"] == u) for u in (sys.argv[4], sys.argv[6]))
va, vb = (sum(m["verified"]["sha256d"] for m in meters if m["unit"] == u) for u in (sys.argv[4], sys.argv[6]))
pa, pb = pay[sys.argv[3]], pay[sys.argv[5]]
def box(w): # the hashes a count of shares within the bound can stand for
    e = w / 256
    return 256 * max(0, e - 6 * math.sqrt(e) - 6), 256 * (e + 6 * math.sqrt(e) + 6)
(la, ha), (lb, hb) = box(wa), box(wb)
share = pa / (pa + pb)
assert la / (la + hb) <= share <= ha / (ha + lb), (share, la / (la + hb), ha / (ha + lb))
assert abs(share - va / (va + vb)) < 1e-9, (share, va / (va + vb))
assert abs(pa + pb - 70) < 1e-8, pa + pb
print("# A: %.9f for %d hashes proven (%d claimed), B: %.9f for %d (%d)" % (pa, va, wa, pb, vb, wb))
EOF
ok "A and B paid in proportion to their proven work, within the stated bound" \
	$py "$tmp/prop.py" "$tmp/p1.pay" "$tmp/p1.m" "$oa" "$a" "$ob" "$b"
ok "the ledger verifies" verifies
is "$(sqlite3 "$S/terra.db" 'SELECT count(*) FROM paid_evidence')" \
	"$(jq -s 'map(.evidence | length) | add' "$tmp/p1.m")" "the host remembers each header range it paid"

# ---- D4. evidence paid in P1 replayed in P2 --------------------------------------
usage "$tmp/A" "$a" 40 2026-11-21T11:00:00Z 2026-11-21T11:30:00Z job=a-job workload=sha256d \
	work=4096 "evidence=$ev" >"$tmp/d4.nd"
fails 1 "D4. the settlement host's meter refuses evidence it paid" \
	sh -c 'terra-meter -u "$1" -u "$2" -p "$3" "$4" >"$5" 2>"$6"' - \
	"$tmp/a.units" "$tmp/b.units" $P2 "$tmp/d4.nd" "$tmp/d4.m" "$tmp/err"
like "$(errs "$tmp/err")" "d4\\.nd:1: usage record: evidence already paid: nonces of header [0-9a-f]{64} in \\[0, 4096\\) were paid for period 2026-11-21T10:00:00.000000Z/2026-11-21T11:00:00.000000Z" \
	"D4. meter: file, line, the period it was paid for"
# A meter without that memory (another host, its key trusted) passes it:
# terra-settle still refuses, and pays nothing.
M=$tmp/meterhost
home_init -H "$M"
TERRA_HOME=$M terra-meter -u "$tmp/a.units" -u "$tmp/b.units" -p $P2 "$tmp/d4.nd" >"$tmp/d4.m" 2>/dev/null
ok "D4. a meter that never paid it counts it" test "$(jq .verified.sha256d "$tmp/d4.m")" -gt 0
keep
fails 3 "D4. terra-settle refuses the replay" \
	sh -c 'terra-settle -p "$1" --revenue 100 --holders "$2" --meter-key "$3" "$4" >"$5" 2>"$6"' - \
	$P2 "$tmp/h.csv" "$M/owner.pub" "$tmp/d4.m" "$tmp/out" "$tmp/err"
like "$(errs "$tmp/err")" "d4\\.m:1: meter record: evidence already paid: nonces \\[0, 4096\\) of header [0-9a-f]{64}, paid for period 2026-11-21T10:00:00.000000Z/2026-11-21T11:00:00.000000Z" \
	"D4. settle: file, line, the period it was paid for"
unchanged "D4. replay in a later period"
# Two days later the evidence is stale wherever it is metered.
usage "$tmp/A" "$a" 41 2026-11-23T11:00:00Z 2026-11-23T11:30:00Z job=a-job workload=sha256d \
	work=4096 "evidence=$ev" >"$tmp/d4b.nd"
fails 1 "D4. replayed two days later: refused by any meter" \
	sh -c 'TERRA_HOME="$1" terra-meter -u "$2" -u "$3" -p 2026-11-23T11:00:00Z/PT1H "$4" >/dev/null 2>"$5"' - \
	"$M" "$tmp/a.units" "$tmp/b.units" "$tmp/d4b.nd" "$tmp/err"
like "$(errs "$tmp/err")" "d4b\\.nd:1: usage record: stale evidence: the record ends 86400 s or more after its header time" \
	"D4. stale: file, line, why"

# ---- D5. a hand-made device record: the same GPU again, fp32_mflops 2,500,000,000 --
# B registers it as a second unit, but the score is sgemm's measured figure,
# which the record does not have, not the fp32_mflops it claims: score 0. Pay
# follows the work its evidence proves, as A's does.
jq -c '.fingerprint = "'"$(printf '%064x' 1405)"'" | .bench.fp32_mflops = 2500000000
	| del(.bench.sgemm_mflops, .bench.sha256d_khps)' \
	"$fixtures/devices/pocl-cpu.ndjson" >"$tmp/fake.ndjson"
terra-register -H "$tmp/B" "$tmp/fake.ndjson" >"$tmp/fake.unit" 2>"$tmp/err"
f=$(terra-register -H "$tmp/B" list -o json | jq -r --arg b "$b" 'select(.unit != $b) | .unit')
terra-register -H "$tmp/B" history -o json >"$tmp/b2.units"
ok "D5. the hand-made device registers as a second unit" test -n "$f"
is "$(jq -r .score "$tmp/fake.unit") $(terra-register -H "$tmp/B" list -o json | jq -r --arg f "$f" 'select(.unit == $f) | .score')" \
	"0 0" "D5. its score is 0, not the claimed fp32_mflops 2500000000"
like "$(errs "$tmp/err")" "fake\\.ndjson:1: unit $f has no sgemm benchmark \\(score 0\\)" \
	"D5. and terra-register says it has no sgemm benchmark"
usage "$tmp/A" "$a" 50 2026-11-21T11:00:00Z 2026-11-21T11:30:00Z job=a-job5 busy_us=1800000000 work=65536 mine=8 >"$tmp/d5.nd"
usage "$tmp/B" "$f" 1 2026-11-21T11:00:00Z 2026-11-21T11:30:00Z job=f-job busy_us=1800000000 work=65536 mine=8 >>"$tmp/d5.nd"
terra-meter -u "$tmp/a.units" -u "$tmp/b2.units" -p $P2 "$tmp/d5.nd" >"$tmp/d5.m"
cat >"$tmp/d5.py" <<'EOF'
import json, sys
m = {r["unit"]: r for r in map(json.loads, open(sys.argv[1]))}
a, f = m[sys.argv[2]], m[sys.argv[3]]
assert f["score"] == 0 and a["score"] > 0, (f["score"], a["score"])
for r in (a, f):
    assert r["weight"] == r["rates"]["sha256d"] * r["verified"]["sha256d"], r
share = f["weight"] / (a["weight"] + f["weight"])
assert share < 0.6, share
print("# fake unit's share of the pool: %.4f (score %d vs %d)" % (share, f["score"], a["score"]))
EOF
ok "D5. no score, no pay beyond the work: weight is the proven work by its rate, the same as A's" \
	$py "$tmp/d5.py" "$tmp/d5.m" "$a" "$f"

done_testing
