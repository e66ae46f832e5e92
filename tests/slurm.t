#!/bin/sh
# A real Slurm cluster from Debian's packages on this one machine: munged
# with its own key and socket, slurmctld and three slurmd (n1 to n3, each a
# provider host with its own home registering the PoCL device), all under
# the test's temporary folder on free ports. A job array of
# examples/slurm/terra-array.sbatch runs sha256d and sgemm across the nodes;
# examples/slurm/collect.sh gathers the spools and Slurm's completion log;
# settle-hourly.sh meters them with the Slurm cross-check, settles and
# verifies; a usage record re-signed to claim a time outside its job is
# refused. Every daemon is stopped by its pid at exit, also on failure.
. "$(dirname "$0")/setup"
ex=$top/examples
unset TERRA_NOW # Slurm's clock and the records' must be the same: the real one
export TZ=UTC   # Slurm writes local times; terra-meter reads them in TZ
for v in $(env | sed -n 's/^\(SLURM[A-Z_]*\|CUDA_VISIBLE_DEVICES\|ROCR_VISIBLE_DEVICES\|GPU_DEVICE_ORDINAL\)=.*/\1/p'); do
	unset "$v"
done

skip_all() { # skip_all WHY: the whole cluster part, said, not passed
	skip "a Slurm cluster on this machine" "$1"
	done_testing
	exit 0
}
for c in munged slurmctld slurmd sbatch squeue sinfo scancel; do
	command -v "$c" >/dev/null 2>&1 ||
		skip_all "no $c: apt-get install slurmctld slurmd munge (mk/deps.sh test)"
done
# Valgrind has nothing to find in Slurm, and the terra commands the cluster
# runs are the native ones; tests/run-slurm.t covers terra-run and
# terra-meter --slurm under valgrind.
[ -n "${TERRA_VALGRIND:-}" ] && skip_all "under valgrind: run natively by make check"

# munged wants every folder above its socket searchable by all.
chmod 0755 "$tmp"
d=$tmp/slurm
mkdir -p "$d/munge" "$d/state" "$d/log" "$d/out" "$d/spool" "$d/nodes"
chmod 0755 "$d" "$d/munge"
# The mark of this cluster's processes: its daemons and jobs, not this shell.
mark="TERRA_TEST_CLUSTER=$d"
pids=
stop_cluster() {
	# The jobs first, while the controller still answers; then each daemon
	# by its pid; then whatever of this cluster still runs (a job's step
	# daemon, a task), found by the mark in its environment, never by a name.
	[ -n "$pids" ] || return 0
	scancel --full --quiet --user="$(id -un)" >/dev/null 2>&1 || true
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	for e in /proc/[0-9]*/environ; do
		if grep -qsz "^TERRA_TEST_CLUSTER=$d\$" "$e"; then
			p=${e#/proc/}
			kill -9 "${p%/environ}" 2>/dev/null || true
		fi
	done
	pids=
}
trap 'stop_cluster; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

dd if=/dev/urandom of="$d/munge/key" bs=1024 count=1 2>/dev/null
chmod 0400 "$d/munge/key"
env "$mark" munged -F --num-threads=10 --socket="$d/munge/socket" --key-file="$d/munge/key" \
	--pid-file="$d/munge/pid" --log-file="$d/log/munged.log" --seed-file="$d/munge/seed" \
	>"$d/log/munged.out" 2>&1 &
pids="$pids $!"

# Four free ports: the controller's and one per slurmd.
set -- $("$py" -c '
import socket
ss = [socket.socket() for _ in range(4)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
cat >"$d/slurm.conf" <<EOF
ClusterName=terratest
SlurmctldHost=localhost
SlurmctldPort=$1
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$d/munge/socket
CredType=cred/munge
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool/%n
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd-%n.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobCompType=jobcomp/filetxt
JobCompLoc=$d/jobcomp.txt
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=10
SlurmdTimeout=10
KillWait=5
NodeName=n1 NodeHostname=localhost Port=$2 CPUs=1 RealMemory=100
NodeName=n2 NodeHostname=localhost Port=$3 CPUs=1 RealMemory=100
NodeName=n3 NodeHostname=localhost Port=$4 CPUs=1 RealMemory=100
PartitionName=p Nodes=n[1-3] Default=YES MaxTime=5 State=UP
EOF
export SLURM_CONF=$d/slurm.conf
for n in n1 n2 n3; do mkdir -p "$d/spool/$n"; done

# Wait for munged's socket, then start Slurm (a readiness wait, no timing).
i=0
while [ ! -S "$d/munge/socket" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -S "$d/munge/socket" ] || {
	sed 's/^/# /' "$d/log/munged.out" "$d/log/munged.log" 2>/dev/null || true
	skip_all "munged did not start here (see above)"
}
env "$mark" slurmctld -D -i >"$d/log/slurmctld.out" 2>&1 &
pids="$pids $!"
for n in n1 n2 n3; do
	env "$mark" slurmd -D -N "$n" >"$d/log/slurmd-$n.out" 2>&1 &
	pids="$pids $!"
done
i=0
while [ "$(sinfo -h -t idle -o '%D' 2>/dev/null | head -n 1)" != 3 ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ "$(sinfo -h -t idle -o '%D' 2>/dev/null | head -n 1)" != 3 ]; then
	for f in "$d"/log/*; do
		echo "# $f:"
		tail -n 5 "$f" | sed 's/^/#   /'
	done
	skip_all "slurmctld and three slurmd did not come up here (logs above)"
fi
ok "slurmctld and three slurmd are up, n[1-3] idle" true

# Each node a provider host: its own home, its own owner key and units.
terra-probe --bench none --mem-test 1 >"$d/devices.ndjson" 2>/dev/null
for n in n1 n2 n3; do
	h=$d/nodes/$n/home
	home_init -H "$h"
	terra-register -H "$h" <"$d/devices.ndjson" >/dev/null 2>&1
done
is "$(for n in n1 n2 n3; do terra-register -H "$d/nodes/$n/home" list -o json; done |
	jq -r .unit | sort -u | wc -l | tr -d ' ')" 3 "three nodes, three homes, three units"

# The example job array as written: six tasks, sha256d and sgemm in turn,
# one node each (no GRES here: a task gets every unit of its node).
export TERRA_NODE_HOMES=$d/nodes TERRA_SPOOL=$d/spools TERRA_RUN_SECONDS=2
array=$(env "$mark" sbatch --parsable --exclusive -t 2 --array=0-5 -o "$d/out/%A_%a.out" \
	"$ex/slurm/terra-array.sbatch")
ok "sbatch takes the job array" test -n "$array"
i=0
while [ -n "$(squeue -h -o %i 2>/dev/null)" ] && [ $i -lt 900 ]; do
	sleep 0.2
	i=$((i + 1))
done
is "$(squeue -h -o %i | wc -l | tr -d ' ')" 0 "every task ended"
is "$(grep -c 'JobState=COMPLETED' "$d/jobcomp.txt")" 6 "Slurm logged six completed tasks"
for f in "$d"/out/*.out; do [ -s "$f" ] && sed 's/^/# task: /' "$f"; done
is "$(cd "$d/spools" && ls -d n* | tr '\n' ' ')" "n1 n2 n3 " "a spool per node"
cat "$d"/spools/n*/usage-*.ndjson >"$d/all.ndjson"
is "$(jq -r .workload "$d/all.ndjson" | sort -u | tr '\n' ' ')" "sgemm sha256d " \
	"both workloads ran"
is "$(jq -r '.slurm.array_task_id' "$d/all.ndjson" | sort -u | tr '\n' ' ')" "0 1 2 3 4 5 " \
	"every array task wrote usage"
bad_node=0
for n in n1 n2 n3; do
	for f in "$d/spools/$n"/usage-*.ndjson; do
		[ "$(jq -r .slurm.node "$f" | sort -u)" = "$n" ] || bad_node=1
		[ "$(jq -r .slurm.job_id "$f" | sort -u)" = "$(basename "$f" .ndjson | cut -d- -f2)" ] ||
			bad_node=1
	done
done
is "$bad_node" 0 "each record names its node and job, the ones its spool says"
is "$(jq -r '"\(.slurm.cluster) \(.slurm.array_job_id) \(.slurm.step_id)"' "$d/all.ndjson" | sort -u)" \
	"terratest $array batch" "the cluster, the array job and the batch step"

# The settlement host: collect, then settle with the Slurm cross-check.
"$ex/slurm/collect.sh" -c terratest -j "$d/jobcomp.txt" "$d/inbox" "$d/spools"
is "$(ls "$d/inbox/usage" | tr '\n' ' ')" \
	"terratest-n1.ndjson terratest-n2.ndjson terratest-n3.ndjson " "collect.sh: usage per node"
is "$(cat "$d"/inbox/units/*.ndjson | jq -r .unit | sort -u | wc -l | tr -d ' ')" 3 \
	"collect.sh: the nodes' unit records"
ok "collect.sh: Slurm's records" cmp "$d/jobcomp.txt" "$d/inbox/slurm/terratest.txt"
# Two hours from the hour of a minute before the first record: the run never
# straddles more, and the attack's record below, re-signed to start 5 s
# before its job did, stays inside the period even when the run began just
# after the hour (else it is refused for that, and the check is not of Slurm).
first=$(jq -r .start "$d/all.ndjson" | sort | head -n 1)
period="$(date -u -d "${first%%.*}Z - 60 seconds" +%Y-%m-%dT%H:00:00Z)/PT2H"
export TERRA_HOME=$d/settle
home_init
printf 'account,balance\nalice,60\nbob,40\n' >"$d/holders.csv"
fails 0 "settle-hourly.sh -S: metered against Slurm's records, settled, verified" \
	sh -c "'$ex/settle-hourly.sh' -p '$period' -r 1000 -k '$d/holders.csv' -u '$d/inbox/units' \
		-S '$d/inbox/slurm' -o '$d/hourly' '$d/inbox/usage' 2>'$d/settle.err'"
sed 's/^/# /' "$d/settle.err"
tag=$(printf '%s' "${period%%/*}" | tr -d ':')
is "$(jq -r .unit "$d/hourly/meter-$tag.ndjson" | sort -u | wc -l | tr -d ' ')" 3 \
	"the three nodes' units are metered"
is "$(jq -s 'map(.records) | add' "$d/hourly/meter-$tag.ndjson")" \
	"$(wc -l <"$d/all.ndjson" | tr -d ' ')" "every usage record counted"
ok "the nodes' owners are paid" test "$(jq -s 'map(select(.type == "payout")) | length' \
	"$d/hourly/payouts-$tag.ndjson")" -ge 3
ok "the ledger verifies" verifies

# The attack: a node's operator re-signs a record to claim time before its
# job started (TZ is UTC: Slurm's local times are UTC). Its signature is good; only Slurm's record refuses it.
n1unit=$(terra-register -H "$d/nodes/n1/home" list -o json | jq -r .unit)
# Five seconds before the job's start as Slurm logged it.
"$py" - "$d/spools/n1" "$d/jobcomp.txt" >"$d/early-fields.ndjson" <<'EOF'
import datetime, glob, json, re, sys
rec = json.loads(open(sorted(glob.glob(sys.argv[1] + "/usage-*.ndjson"))[0]).readline())
for k in ("sig", "signer"):
    rec.pop(k)
log = open(sys.argv[2]).read()
began = re.search(r"JobId=%d .*?StartTime=(\S+)" % rec["slurm"]["job_id"], log).group(1)
start = datetime.datetime.strptime(began, "%Y-%m-%dT%H:%M:%S") - datetime.timedelta(seconds=5)
rec["start"] = start.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
rec["seq"] += 1000
print(json.dumps(rec))
EOF
"$py" "$top/tests/tools/mkusage.py" -k "$d/nodes/n1/home/units/$n1unit.key" -u "$n1unit" --stdin \
	<"$d/early-fields.ndjson" >"$d/early.ndjson"
ok "the re-signed record verifies under the unit's key" sh -c '"$0" "$@" >/dev/null' \
	"$py" "$top/tests/tools/nacl_verify.py" -r -s \
	"$(terra-register -H "$d/nodes/n1/home" list -o json | jq -r .unit_pub)" "$d/early.ndjson"
# Metered where that hour's evidence was not paid yet (here, it was: the
# settlement host's meter refuses the copy as paid, lib/paid.h).
home_init -H "$d/fresh"
fails 0 "without --slurm, terra-meter would count it" sh -c \
	"terra-meter -H '$d/fresh' -u '$d/inbox/units/terratest-n1.ndjson' -p '$period' '$d/early.ndjson' >/dev/null 2>&1"
fails 1 "with --slurm, it is refused" sh -c \
	"terra-meter -H '$d/fresh' -u '$d/inbox/units/terratest-n1.ndjson' -p '$period' \
		--slurm '$d/inbox/slurm/terratest.txt' '$d/early.ndjson' >'$d/early.meter' 2>'$d/early.err'"
like "$(cat "$d/early.err")" "usage record: outside slurm job [0-9]+ on node 'n1'" \
	"because it lies outside its job"
is "$(wc -c <"$d/early.meter" | tr -d ' ')" 0 "and nothing is metered"

stop_cluster
ok "every daemon and job stopped" sh -c "! grep -qsz '^$mark\$' /proc/[0-9]*/environ"
done_testing
