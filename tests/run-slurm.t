#!/bin/sh
# terra-run inside a Slurm job: the units on the GPUs Slurm allocated, found
# by PCI bus id from the recorded H100s of tests/fixtures/devices (whose
# devices are not on this machine, so terra-run names the unit it would run
# on and stops), and on the PoCL device a usage record that carries the job
# inside its signature.
. "$(dirname "$0")/setup"
for v in $(env | sed -n 's/^\(SLURM[A-Z_]*\|CUDA_VISIBLE_DEVICES\|ROCR_VISIBLE_DEVICES\|GPU_DEVICE_ORDINAL\)=.*/\1/p'); do
	unset "$v"
done
[ -n "${TERRA_VALGRIND:-}" ] && vg_ocl_env

# A GPU node's home: its two H100s registered from their recordings.
export TERRA_HOME=$tmp/gpu
home_init
cat "$fixtures/devices/h100-ca.ndjson" "$fixtures/devices/h100-65.ndjson" |
	terra-register >"$tmp/gpu-units.ndjson" 2>/dev/null
u65=$(jq -r 'select(.device.pci_bus_id == "0000:65:00.0") | .unit' "$tmp/gpu-units.ndjson")
uca=$(jq -r 'select(.device.pci_bus_id == "0000:ca:00.0") | .unit' "$tmp/gpu-units.ndjson")
ok "two H100 units registered" test -n "$u65" -a -n "$uca"

# in_job VAR=VALUE...: terra-run in Slurm job 42 with these; its stderr.
in_job() {
	env SLURM_JOB_ID=42 SLURMD_NODENAME=gpu-node-07 "$@" terra-run -w sha256d --work 1 \
		>"$tmp/job.out" 2>"$tmp/job.err" && return 1
	errs "$tmp/job.err"
}
like "$(in_job CUDA_VISIBLE_DEVICES=0)" "slurm job 42: unit '$u65': its device is not on this machine" \
	"CUDA_VISIBLE_DEVICES=0: the unit on bus 65, the node's first GPU"
like "$(in_job CUDA_VISIBLE_DEVICES=1)" "unit '$uca'" "CUDA_VISIBLE_DEVICES=1: the unit on bus ca"
like "$(in_job ROCR_VISIBLE_DEVICES=1)" "unit '$uca'" "ROCR_VISIBLE_DEVICES=1 too"
like "$(in_job GPU_DEVICE_ORDINAL=0)" "unit '$u65'" "GPU_DEVICE_ORDINAL=0 too"
like "$(in_job CUDA_VISIBLE_DEVICES=0000:ca:00.0)" "unit '$uca'" "a PCI bus id"
like "$(in_job SLURM_JOB_GPUS=1 CUDA_VISIBLE_DEVICES=0)" "unit '$uca'" \
	"SLURM_JOB_GPUS, the node's numbers, over a CUDA_VISIBLE_DEVICES a cgroup renumbered"
like "$(in_job CUDA_VISIBLE_DEVICES=2)" "GPU 2: only 2 GPUs of this node are registered units" \
	"a GPU no unit is on"
like "$(in_job CUDA_VISIBLE_DEVICES=GPU-5f0c)" "expected a GPU number or PCI bus id" \
	"a GPU UUID is refused, not guessed"
fails 1 "-u: a unit on a GPU of another job" sh -c \
	"SLURM_JOB_ID=42 CUDA_VISIBLE_DEVICES=1 terra-run -u '$u65' -w sha256d --work 1 2>'$tmp/u.err'"
like "$(errs "$tmp/u.err")" "unit '$u65' is on no GPU slurm allocated to job 42" "and says so"
like "$(in_job SLURM_ARRAY_JOB_ID=x)" "SLURM_ARRAY_JOB_ID 'x': expected a number" \
	"a Slurm variable Slurm would never write"

# A node without GRES: the units of the node, here the PoCL device; each
# usage record carries the job, signed.
export TERRA_HOME=$tmp/cpu
home_init
terra-probe --bench none --mem-test 1 2>/dev/null | terra-register >"$tmp/units.ndjson"
pub=$(jq -r 'select(.type == "unit") | .unit_pub' "$tmp/units.ndjson" | head -n 1)
fails 0 "terra-run in an array task of a node without GRES" \
	env SLURM_JOB_ID=125 SLURM_ARRAY_JOB_ID=120 SLURM_ARRAY_TASK_ID=5 SLURM_CLUSTER_NAME=gpu-a \
	SLURMD_NODENAME=n2 sh -c "terra-run -w sha256d --work 5000 >'$tmp/usage.ndjson' 2>/dev/null"
is "$(jq -c -S .slurm "$tmp/usage.ndjson")" \
	'{"array_job_id":120,"array_task_id":5,"cluster":"gpu-a","job_id":125,"node":"n2","step_id":"batch"}' \
	"the usage record names the job, array task, step and node"
ok "inside its signature" "$py" "$top/tests/tools/nacl_verify.py" -r -s "$pub" "$tmp/usage.ndjson"
sed 's/"job_id":125/"job_id":126/' "$tmp/usage.ndjson" >"$tmp/moved.ndjson"
fails 1 "(another job id does not verify)" \
	sh -c "'$py' '$top/tests/tools/nacl_verify.py' -r -s '$pub' '$tmp/moved.ndjson' >/dev/null 2>&1"
fails 0 "terra-meter counts it" sh -c \
	"terra-meter -p 2026-11-21T10:00:00Z/PT1H '$tmp/usage.ndjson' >'$tmp/meter.ndjson' 2>/dev/null"
is "$(jq -r .work "$tmp/meter.ndjson")" 5000 "all its work"
like "$(in_job CUDA_VISIBLE_DEVICES=0)" "GPU 0: only 0 GPUs" "GRES on a node whose units are on no GPU"

# terra-meter --slurm: the record against Slurm's record of job 125.
export TZ=UTC
meter_slurm() { # meter_slurm FILE: terra-meter --slurm FILE on the usage; its stderr
	terra-meter -p 2026-11-21T10:00:00Z/PT1H --slurm "$1" "$tmp/usage.ndjson" \
		>"$tmp/m.out" 2>"$tmp/m.err" && return 0
	errs "$tmp/m.err"
	return 1
}
# Slurm's times (local, whole seconds) around the record's, which run on
# from TERRA_NOW by however long terra-run took to start.
slurm_time() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S; }
rs=$(date -u -d "$(jq -r .start "$tmp/usage.ndjson")" +%s)
re=$(date -u -d "$(jq -r .end "$tmp/usage.ndjson")" +%s)
printf 'JobIDRaw|JobID|Cluster|NodeList|Start|End\n125|120_5|gpu-a|n[1-3]|%s|%s\n' \
	"$(slurm_time $((rs - 60)))" "$(slurm_time $((re + 60)))" >"$tmp/sacct.txt"
ok "within its job: counted" meter_slurm "$tmp/sacct.txt"
is "$(jq -r .work "$tmp/m.out")" 5000 "all its work"
printf 'JobId=125 Name=x StartTime=%s EndTime=%s NodeList=n2 Cluster=gpu-a\n' \
	"$(slurm_time $((rs + 1)))" "$(slurm_time $((re + 60)))" >"$tmp/late.txt"
like "$(meter_slurm "$tmp/late.txt" || true)" "usage record: outside slurm job 125 on node 'n2'" \
	"a job that started after the record (jobcomp/filetxt): refused"
is "$(jq -s length "$tmp/m.out")" 0 "and nothing counted"
sed 's/gpu-a/gpu-b/' "$tmp/sacct.txt" >"$tmp/other.txt"
like "$(meter_slurm "$tmp/other.txt" || true)" "slurm job 125 of cluster gpu-a is not in the slurm records" \
	"the same job id on another cluster: refused"
sed 's/n\[1-3\]/n[3-4]/' "$tmp/sacct.txt" >"$tmp/node.txt"
like "$(meter_slurm "$tmp/node.txt" || true)" "node 'n2' is not one of slurm job 125's" \
	"another node's job: refused"

done_testing
