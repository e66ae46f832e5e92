#!/bin/sh
# terra-run's scheduling on two real PoCL devices: jobs spread over both
# units at once, each record signed by the unit that ran it, jobs pinned
# to a unit go there.
. "$(dirname "$0")/setup"
export POCL_DEVICES="pthread pthread"
# Under valgrind, terra-run runs under it too, from kernels compiled
# natively first (vg_ocl_env in tests/setup).
[ -n "${TERRA_VALGRIND:-}" ] && vg_ocl_env
verify() { "$py" "$top/tests/tools/nacl_verify.py" -r -s "$1" "$2" >"$tmp/verify.out"; }

home_init
terra-probe --bench none --mem-test 1 2>/dev/null >"$tmp/devices.ndjson" || true
terra-register <"$tmp/devices.ndjson" >"$tmp/units.ndjson"
jq -r 'select(.type == "unit") | "\(.unit) \(.unit_pub)"' "$tmp/units.ndjson" | sort >"$tmp/units.txt"
is "$(wc -l <"$tmp/units.txt" | tr -d ' ')" 2 "two PoCL devices, two units"
u1=$(sed -n 1p "$tmp/units.txt" | cut -d' ' -f1)
p1=$(sed -n 1p "$tmp/units.txt" | cut -d' ' -f2)
u2=$(sed -n 2p "$tmp/units.txt" | cut -d' ' -f1)
p2=$(sed -n 2p "$tmp/units.txt" | cut -d' ' -f2)

# Six one-second jobs (four under valgrind, where each costs seconds more):
# both units busy at once.
n=6
[ -n "${TERRA_VALGRIND:-}" ] && n=4
want=
for i in $(seq 1 $n); do
	printf '{"type":"job","v":1,"id":"j%d","workload":"sha256d","seconds":1,"params":{"share_bits":12}}\n' $i
	want="${want}j$i "
done >"$tmp/jobs.ndjson"
if [ -n "${TERRA_VALGRIND:-}" ]; then
	terra-run <"$tmp/jobs.ndjson" >/dev/null
	export TERRA_VG_OCL=1
fi
fails 0 "$n jobs run" sh -c "terra-run <'$tmp/jobs.ndjson' >'$tmp/usage.ndjson'"
is "$(jq -r .job "$tmp/usage.ndjson" | sort | tr '\n' ' ')" "$want" "one usage record per job"
is "$(jq -r .unit "$tmp/usage.ndjson" | sort -u | tr '\n' ' ')" "$u1 $u2 " "both units ran jobs"
jq -c "select(.unit == \"$u1\")" "$tmp/usage.ndjson" >"$tmp/u1.ndjson"
jq -c "select(.unit == \"$u2\")" "$tmp/usage.ndjson" >"$tmp/u2.ndjson"
ok "the first unit's records are signed by its key" verify "$p1" "$tmp/u1.ndjson"
ok "the second unit's records are signed by its key" verify "$p2" "$tmp/u2.ndjson"
fails 1 "a record does not verify under the other unit's key" verify "$p2" "$tmp/u1.ndjson"
# Records of different units whose [start, end) overlap: both were busy at once.
# Not under valgrind: PoCL's two pthread devices share one pool of worker
# threads, which runs a launch's work-groups before the next launch's, and
# under memcheck one launch outlasts the one-second job (~5 s), so whether a
# unit's job starts before the other's launch ends is chance there (CI saw
# four jobs run strictly one after another). The sanitized run checks it.
overlap=$(jq -s -r '[.[] as $a | .[] as $b | select($a.unit < $b.unit and $a.start < $b.end
	and $b.start < $a.end)] | length' "$tmp/usage.ndjson")
if [ -n "${TERRA_VALGRIND:-}" ]; then
	skip "the two units ran jobs at the same time" "under valgrind (a launch outlasts the job)"
else
	ok "the two units ran jobs at the same time" test "$overlap" -gt 0
fi
# Within a unit, jobs run one after another.
for f in "$tmp/u1.ndjson" "$tmp/u2.ndjson"; do
	is "$(jq -s -r 'sort_by(.seq) | [range(1; length) as $i | select(.[$i].start < .[$i - 1].end)] | length' "$f")" \
		0 "a unit runs one job at a time"
done
is "$(jq -s -r '[group_by(.unit)[] | (map(.seq) | sort | . == (map(.) | unique))] | all' "$tmp/usage.ndjson")" \
	true "seqs are distinct per unit"

# Pinned jobs go to their unit; with equal scores, an unpinned job goes to
# the unit with the lower id.
{
	printf '{"type":"job","v":1,"id":"p2","workload":"sha256d","work":5000,"unit":"%s"}\n' "$u2"
	printf '{"type":"job","v":1,"id":"p1","workload":"sha256d","work":5000,"unit":"%s"}\n' "$u1"
} >"$tmp/pinned.ndjson"
terra-run <"$tmp/pinned.ndjson" >"$tmp/pinned.out"
is "$(jq -r '"\(.job) \(.unit)"' "$tmp/pinned.out" | sort | tr '\n' ' ')" "p1 $u1 p2 $u2 " \
	"each pinned job ran on its unit"
# -w: one job on every eligible unit at once, each unit's usage signed by its key.
terra-run -w sha256d --work 5000 --job all >"$tmp/all.ndjson"
is "$(jq -r '"\(.job) \(.unit)"' "$tmp/all.ndjson" | sort | tr '\n' ' ')" "all $u1 all $u2 " \
	"-w runs the job on both units"
jq -c "select(.unit == \"$u2\")" "$tmp/all.ndjson" >"$tmp/all2.ndjson"
ok "-w: the second unit's usage is signed by its key" verify "$p2" "$tmp/all2.ndjson"
is "$(jq -r .work "$tmp/all.ndjson" | sort -u)" 5000 "-w: each unit does the whole job's work"
terra-run -n 1 -w sha256d --work 5000 >"$tmp/one.ndjson"
is "$(jq -r .unit "$tmp/one.ndjson")" "$u1" "-n 1: the first of equal units"
fails 2 "-n and -u exclude each other" sh -c "terra-run -n 1 -u '$u1' -w sha256d --work 1 2>/dev/null"
fails 2 "-n needs -w" sh -c "terra-run -n 1 </dev/null 2>/dev/null"
terra-run -u "$u2" -w sha256d --work 5000 >"$tmp/u.ndjson"
is "$(jq -r .unit "$tmp/u.ndjson")" "$u2" "-u picks the unit"

# -w -t (ended by its work, not the clock): both units run it.
terra-run -w sha256d -t 60 --work 20000 --share-bits 12 >"$tmp/busy.ndjson"
is "$(jq -r .unit "$tmp/busy.ndjson" | sort -u | tr '\n' ' ')" "$u1 $u2 " "-w -t: both units produce usage"

# A unit retired: the other takes every job.
terra-register retire "$u1" >/dev/null 2>&1
head -n 2 "$tmp/jobs.ndjson" | terra-run >"$tmp/after.ndjson" 2>/dev/null
is "$(jq -r .unit "$tmp/after.ndjson" | sort -u)" "$u2" "after retiring one unit, the other runs all jobs"

done_testing
