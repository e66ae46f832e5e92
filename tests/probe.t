#!/bin/sh
# terra-probe: real PoCL runs (one benchmark run, --quick; the rest
# --bench none) and replayed recordings of other machines.
. "$(dirname "$0")/setup"
fx=$fixtures/probe

# run OUT ERR CMD...: runs CMD, stdout to OUT, stderr to ERR; $rc its status
run() {
	_out=$1
	_err=$2
	shift 2
	set +e
	"$@" >"$_out" 2>"$_err"
	rc=$?
	set -e
}
field() { jq -r "$1" "$2"; }

# --- options ---
fails 0 "-h exits 0" terra-probe -h
like "$(terra-probe -h)" '^usage: terra-probe' "-h prints usage on stdout"
like "$(terra-probe -V)" '^terra-probe [0-9]' "-V prints the version"
run "$tmp/o" "$tmp/e" terra-probe --frobnicate
is "$rc" 2 "an unknown option exits 2"
like "$(cat "$tmp/e")" '^usage: terra-probe' "an unknown option prints the usage line"
fails 2 "--bench takes full, quick or none" terra-probe --bench fast
fails 2 "--mem-test takes a percentage" terra-probe --mem-test 101
fails 2 "--record and --replay exclude each other" terra-probe --record x --replay y
fails 2 "-d takes a number" terra-probe -d one

# --- the real device (PoCL's CPU device) ---
run "$tmp/quick" "$tmp/e" terra-probe --quick
is "$rc" 0 "a quick probe of the real device exits 0"
is "$(cat "$tmp/e")" "" "nothing on stderr when it is not a terminal"
is "$(sed -n 1p "$tmp/quick" | jq -r .type)" host "the host record comes first"
is "$(sed -n 1p "$tmp/quick" | jq -r '[.cores,.threads,.numa_nodes,.packages,.memory_bytes] | map(. > 0) | all')" \
	true "host: cores, threads, numa_nodes, packages, memory_bytes are positive"
like "$(sed -n 1p "$tmp/quick" | jq -r .machine)" '^[0-9a-f]{64}$' "host: machine is 64 hex"
sed -n 2p "$tmp/quick" >"$tmp/dev0"
is "$(field .type "$tmp/dev0")" device "then a device record"
is "$(field '.kind + " " + .platform' "$tmp/dev0")" "cpu Portable Computing Language" \
	"device: PoCL's CPU device"
is "$(field '[.compute_units,.clock_mhz,.global_mem_bytes,.max_alloc_bytes,.local_mem_bytes] | map(. > 0) | all' "$tmp/dev0")" \
	true "device: sizes and counts are positive"
is "$(field '[.bench.fp32_mflops,.bench.int32_mops,.bench.mem_bw_mbps] | map(type == "number" and . > 0) | all' "$tmp/dev0")" \
	true "device: fp32, int32 and bandwidth figures measured"
is "$(field '.bench.launch_us | type' "$tmp/dev0")" number "device: launch latency measured"
is "$(field '[.bench.sgemm_mflops,.bench.sha256d_khps] | map(type == "number" and . > 0) | all' "$tmp/dev0")" \
	true "device: the workloads' figures measured (sgemm, sha256d)"
# Plausible for a CPU run through PoCL (fixtures/probe/README has this host's
# figures): at least 1 GFLOPS and 100 kH/s, below 10 TFLOPS and 10 GH/s.
is "$(field '[.bench.sgemm_mflops > 1000, .bench.sgemm_mflops < 10000000, .bench.sha256d_khps > 100, .bench.sha256d_khps < 10000000] | all' "$tmp/dev0")" \
	true "device: sgemm and sha256d figures in a CPU's range"
is "$(field '[.bench.mode, .bench.samples, (.bench.host_others_pct | type)] | map(tostring) | join(" ")' "$tmp/dev0")" \
	"quick 7 number" "device: how the figures were taken: a quick probe, 7 samples, the host's load"
is "$(field '.bench.host_others_pct >= 0 and .bench.host_others_pct <= 100' "$tmp/dev0")" true \
	"device: others' share of the host's CPUs a percentage"
# Sampled for at least TERRA_WORKBENCH_SECONDS: more samples than asked
# for, and not before the time is up.
t0=$(date +%s.%N)
run "$tmp/timed" "$tmp/e" env TERRA_WORKBENCH_SAMPLES=2 TERRA_WORKBENCH_SECONDS=5 terra-probe --quick --mem-test 0
t1=$(date +%s.%N)
is "$rc" 0 "a probe sampled for 5 seconds exits 0"
ok "... and took 5 seconds or more (a quick probe takes 3)" awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 5) }'
if [ -z "${TERRA_VALGRIND:-}" ]; then
	is "$(sed -n 2p "$tmp/timed" | jq '.bench.samples > 2')" true "... with more than the 2 samples asked for"
else
	skip "... with more than the 2 samples asked for" "a panel takes seconds under memcheck"
fi
run "$tmp/o" "$tmp/e" env TERRA_WORKBENCH_SECONDS=601 terra-probe --quick
is "$rc,$(cat "$tmp/o")" "1," "TERRA_WORKBENCH_SECONDS past 600: exit 1, no records"
is "$(cat "$tmp/e")" "terra-probe: TERRA_WORKBENCH_SECONDS: '601' is not a whole number 0 to 600" "... and the message says why"
run "$tmp/o" "$tmp/e" env TERRA_WORKBENCH_SAMPLES=many terra-probe --quick
is "$(cat "$tmp/e")" "terra-probe: TERRA_WORKBENCH_SAMPLES: 'many' is not a whole number 1 to 4096" "TERRA_WORKBENCH_SAMPLES not a number: the message"
is "$(field '.health.status' "$tmp/dev0")" ok "device: healthy"
is "$(field '[.health.checks[] | .name + "=" + .status] | join(" ")' "$tmp/dev0")" \
	"known-answer=ok memory=ok baseline=skip" "device: known-answer and memory checks pass"
like "$(field .fingerprint "$tmp/dev0")" '^[0-9a-f]{64}$' "device: fingerprint is 64 hex"
is "$(field .numa_node "$tmp/dev0")" 0 "device: NUMA node of a one-node machine"
like "$(field .cpuset "$tmp/dev0")" '^[0-9]' "device: CPU set"
is "$(field '.pci_bus_id // "absent"' "$tmp/dev0")" absent "device: no PCI bus id for a CPU device"

run "$tmp/none" "$tmp/e" terra-probe --bench none --mem-test 0
is "$rc" 0 "--bench none exits 0"
is "$(sed -n 2p "$tmp/none" | jq -r 'has("bench")')" false "--bench none: no bench object"
is "$(sed -n 2p "$tmp/none" | jq -r .fingerprint)" "$(field .fingerprint "$tmp/dev0")" \
	"the fingerprint is the same run after run"
is "$(sed -n 2p "$tmp/none" | jq -r '.health.checks[1].status')" skip "--mem-test 0 skips the memory check"

# Two identical devices: different fingerprints, -d picks one.
POCL_DEVICES="pthread pthread" terra-probe --bench none --mem-test 0 >"$tmp/two"
is "$(grep -c '"type":"device"' "$tmp/two")" 2 'POCL_DEVICES="pthread pthread": two devices'
is "$(jq -r 'select(.type == "device") | .fingerprint' "$tmp/two" | sort -u | wc -l)" 2 \
	"two identical devices have different fingerprints"
POCL_DEVICES="pthread pthread" terra-probe -d 1 --bench none --mem-test 0 >"$tmp/one"
is "$(jq -r 'select(.type == "device") | .index' "$tmp/one")" 1 "-d 1 probes device 1 only"
is "$(jq -r 'select(.type == "device") | .fingerprint' "$tmp/one")" \
	"$(jq -r 'select(.index == 1) | .fingerprint' "$tmp/two")" "-d 1: the same device as in a full probe"
run "$tmp/o" "$tmp/e" terra-probe -d 7 --bench none
is "$rc" 1 "-d past the last device exits 1"
like "$(cat "$tmp/e")" '^terra-probe: device 7: no such device \(1 found\)$' "-d past the last device says so"

# No ICD at all (the loader finds no vendor file): empty, successful.
mkdir "$tmp/no-icd"
run "$tmp/o" "$tmp/e" env OCL_ICD_VENDORS="$tmp/no-icd" terra-probe
is "$rc" 0 "no OpenCL ICD: exits 0"
is "$(cat "$tmp/o")" "" "no OpenCL ICD: nothing on stdout"
is "$(cat "$tmp/e")" "terra-probe: no OpenCL platform or device found" "no OpenCL ICD: a note on stderr"

# A recording replays to the records of the run that made it.
run "$tmp/live" "$tmp/e" terra-probe --bench none --mem-test 0 --record "$tmp/rec.ndjson"
run "$tmp/replayed" "$tmp/e" terra-probe --replay "$tmp/rec.ndjson"
is "$(cmp "$tmp/live" "$tmp/replayed" && echo same)" same "--replay gives the records of the --record run"

# terra-probe | terra-register: the real device becomes a unit.
terra-register init >/dev/null 2>&1
run "$tmp/units" "$tmp/e" terra-register "$tmp/quick"
is "$rc" 0 "terra-probe --quick | terra-register registers the device"
is "$(jq -r 'select(.type == "unit") | .fingerprint' "$tmp/units")" "$(field .fingerprint "$tmp/dev0")" \
	"the unit carries the device's fingerprint"
is "$(terra-probe --bench none --mem-test 0 | terra-register | jq -r 'select(.type == "unit") | .fingerprint')" \
	"$(field .fingerprint "$tmp/dev0")" "terra-probe | terra-register: the same unit again"
run "$tmp/o" "$tmp/e" terra-probe --replay "$tmp/rec.ndjson"
is "$rc" 0 "a registered healthy device still exits 0"
rm -rf "$TERRA_HOME"

# --- replayed machines ---
# PoCL's CPU device, as recorded on the development machine.
run "$tmp/pocl" "$tmp/e" terra-probe --replay "$fx/pocl.ndjson"
is "$rc" 0 "recorded PoCL device: exits 0"
is "$(jq -r 'select(.type == "device") | .kind + " " + (.bench.fp32_mflops > 0 | tostring)' "$tmp/pocl")" \
	"cpu true" "recorded PoCL device: a CPU device with its recorded figures"
# The same machine id is not the same hardware: a VM keeps its id when moved
# to another host, so the device's name must match too.
same() { sed -n "$1p" "$2" | jq -r "$3"; }
if [ "$(same 1 "$tmp/pocl" .machine)" = "$(same 1 "$tmp/none" .machine)" ] &&
	[ "$(same 2 "$tmp/pocl" .name)" = "$(same 2 "$tmp/none" .name)" ]; then
	is "$(sed -n 2p "$tmp/pocl" | jq -r .fingerprint)" "$(sed -n 2p "$tmp/none" | jq -r .fingerprint)" \
		"the recording's device has the live device's fingerprint"
else
	skip "the recording's device has the live device's fingerprint" "recorded on another machine"
fi

# Four H100 SXM5 on two NUMA nodes.
run "$tmp/h100" "$tmp/e" terra-probe --replay "$fx/h100x4.ndjson"
is "$rc" 0 "4x H100: exits 0"
is "$(sed -n 1p "$tmp/h100" | jq -c '[.host,.packages,.cores,.threads,.numa_nodes,.memory_bytes]')" \
	'["gpu-node-07",2,112,224,2,2199023255552]' "4x H100: host record from the recorded topology"
is "$(jq -r 'select(.type == "device") | [.index,.pci_bus_id,.numa_node,.cpuset] | map(tostring) | join(" ")' "$tmp/h100" | tr '\n' '|')" \
	"0 0000:18:00.0 0 0-55,112-167|1 0000:2a:00.0 0 0-55,112-167|2 0000:9a:00.0 1 56-111,168-223|3 0000:ab:00.0 1 56-111,168-223|" \
	"4x H100: PCI bus ids, nearest NUMA nodes and CPU sets"
is "$(jq -r 'select(.index == 0) | [.name,.kind,.compute_units,.clock_mhz,.global_mem_bytes,.fp64] | map(tostring) | join(" ")' "$tmp/h100")" \
	"NVIDIA H100 80GB HBM3 gpu 132 1980 85520809984 true" "4x H100: device properties"
# SHA-256 over the netstrings of terra-device-v1, machine, platform, vendor,
# name, pci:<bus id>, memory size (terra-probe(1)), computed independently.
is "$(jq -r 'select(.index == 0) | .fingerprint' "$tmp/h100")" \
	a022c1cab8402144c768e27c1007c2df642dc0244ab64e254fe4737925a45168 "4x H100: fingerprint as documented"
is "$(jq -r 'select(.type == "device") | .fingerprint' "$tmp/h100" | sort -u | wc -l)" 4 \
	"4x H100: four identical GPUs, four fingerprints"
is "$(jq -r 'select(.type == "device") | .health.status' "$tmp/h100" | sort -u)" ok "4x H100: all healthy"
terra-probe --replay "$fx/h100x4.ndjson" -d 2 --bench none >"$tmp/d2"
is "$(jq -r 'select(.type == "device") | [.index,.pci_bus_id,(has("bench"))] | map(tostring) | join(" ")' "$tmp/d2")" \
	"2 0000:9a:00.0 false" "-d 2 --bench none on a replay"

# No OpenCL at all: an empty, successful answer.
run "$tmp/o" "$tmp/e" terra-probe --replay "$fx/no-opencl.ndjson"
is "$rc" 0 "no OpenCL platform: exits 0"
is "$(cat "$tmp/o")" "" "no OpenCL platform: nothing on stdout"
is "$(cat "$tmp/e")" "terra-probe: no OpenCL platform or device found" "no OpenCL platform: a note on stderr"

# A sick device: named with its reason, the others still probed.
run "$tmp/o" "$tmp/e" terra-probe --replay "$fx/h100x4-sick.ndjson"
is "$rc" 1 "a sick device: exits 1"
like "$(sed -n 1p "$tmp/e")" '^terra-probe: device 2 \(NVIDIA H100 80GB HBM3, 0000:9a:00.0\): sick: known-answer: 211 of 65536 results wrong' \
	"a sick device: named on stderr with the reason"
is "$(grep -c . "$tmp/e")" 2 "a sick device: one line per failed check"
is "$(jq -r 'select(.type == "device") | .health.status' "$tmp/o" | tr '\n' ' ')" "ok ok sick ok " \
	"a sick device: status in its record, the others ok"
is "$(jq -r 'select(.index == 2) | [.health.checks[] | select(.status == "fail") | .name] | join(" ")' "$tmp/o")" \
	"known-answer memory" "a sick device: failed checks in its record"

# The baseline check judges the workloads' figures only: the clpeak-style
# ones of the H100 recordings (none of the workloads) are not judged.
terra-register init >/dev/null 2>&1
terra-probe --replay "$fx/h100x4.ndjson" | terra-register >/dev/null 2>&1
run "$tmp/o" "$tmp/e" terra-probe --replay "$fx/h100x4-degraded.ndjson"
is "$rc" 0 "fp32 and bandwidth at 37% and 44% of the registered figures: exit 0"
is "$(jq -r 'select(.index == 1) | .health.checks[-1] | .name + " " + .status' "$tmp/o")" "baseline skip" \
	"... the baseline check is skipped: no workload figures to judge"
like "$(jq -r 'select(.index == 1) | .health.checks[-1].detail' "$tmp/o")" "no workload figures" \
	"... and says why"
rm -rf "$TERRA_HOME"

# Two recorded quick probes of one PoCL device on a busy host (fixtures/probe/README):
# from a to b the clpeak-style fp32 figure halves, the workloads' figures double.
terra-register init >/dev/null 2>&1
terra-probe --replay "$fx/pocl-load-a.ndjson" | terra-register >"$tmp/ua" 2>/dev/null
is "$(jq -r 'select(.type == "unit") | .score' "$tmp/ua")" 26555 "recorded PoCL probe a: registered, score = its sgemm_mflops"
run "$tmp/o" "$tmp/e" terra-probe --replay "$fx/pocl-load-b.ndjson"
is "$rc" 0 "fp32 halved (24949 of 49959), the workloads faster: not degraded, exit 0"
is "$(jq -r 'select(.type == "device") | .health.checks[-1] | .name + " " + .status + ": " + .detail' "$tmp/o")" \
	"baseline ok: sgemm_mflops 63556 of 26555 (239%), sha256d_khps 24889 of 13229 (188%)" \
	"... the baseline check gives the workloads' figures"
# b is a quick probe (recorded before probes said how they were taken): a
# quick probe never rescores, however far its figures move.
run "$tmp/ub" "$tmp/e" terra-register "$tmp/o"
is "$(jq -r 'select(.type == "unit") | .score' "$tmp/ub")" 26555 "a quick probe's figures do not rescore the unit"
is "$(grep -v TERRA_NOW "$tmp/e")" "terra-register: $tmp/o:2: device already registered as unit $(jq -r 'select(.type == "unit") | .unit' "$tmp/ub")" \
	"... and nothing is said about it (cron's quick probes would mail)"
is "$(sqlite3 "$TERRA_HOME/terra.db" "SELECT group_concat(kind, ' ') FROM entries")" unit "... no rescore entry"
# The same figures as a full probe's, replayed with the share of the host's
# CPUs other programs took while the workloads were measured.
asfull() { # asfull OTHERS IN OUT: IN's device measured by a full probe, others OTHERS%
	jq -c --argjson o "$1" 'if .type == "probe-device" then .bench.mode = "full" | .bench.samples = 15
		| .bench.host_others_pct = $o else . end' "$2" >"$3"
}
asfull 40 "$fx/pocl-load-b.ndjson" "$tmp/b-busy.ndjson"
run "$tmp/o" "$tmp/e" terra-probe --replay "$tmp/b-busy.ndjson"
run "$tmp/ub" "$tmp/e" terra-register "$tmp/o"
is "$(jq -r 'select(.type == "unit") | .score' "$tmp/ub")" 26555 "a full probe while others took 40% of the CPUs: not rescored"
like "$(cat "$tmp/e")" "its new benchmark is not taken: the host was not quiet: other programs took 40% of its CPUs \\(under 5% rescores\\)" \
	"... and says why"
asfull 5 "$fx/pocl-load-b.ndjson" "$tmp/b-5.ndjson"
run "$tmp/o" "$tmp/e" terra-probe --replay "$tmp/b-5.ndjson"
run "$tmp/ub" "$tmp/e" terra-register "$tmp/o"
is "$(jq -r 'select(.type == "unit") | .score' "$tmp/ub")" 26555 "... nor at 5%, the edge"
jq -c 'if .type == "probe-device" then .bench.mode = "full" else . end' "$fx/pocl-load-b.ndjson" >"$tmp/b-unknown.ndjson"
run "$tmp/o" "$tmp/e" terra-probe --replay "$tmp/b-unknown.ndjson"
run "$tmp/ub" "$tmp/e" terra-register "$tmp/o"
is "$(jq -r 'select(.type == "unit") | .score' "$tmp/ub")" 26555 "a full probe that did not measure the host's load: not rescored"
like "$(cat "$tmp/e")" "not taken: the probe did not measure the host's load" "... and says why"
is "$(sqlite3 "$TERRA_HOME/terra.db" "SELECT group_concat(kind, ' ') FROM entries")" unit "... still no rescore entry"
asfull 4 "$fx/pocl-load-b.ndjson" "$tmp/b-quiet.ndjson"
run "$tmp/o" "$tmp/e" terra-probe --replay "$tmp/b-quiet.ndjson"
is "$(jq -r 'select(.type == "device") | [.bench.mode, .bench.host_others_pct] | map(tostring) | join(" ")' "$tmp/o")" "full 4" \
	"a replay gives the recording's mode and load"
# One full probe on a quiet host past the margin may be the host's own
# drift (terra-probe(1), Score): it waits for the next full probe.
pending() { sqlite3 "$TERRA_HOME/terra.db" "SELECT coalesce(group_concat(sgemm_mflops), 'none') FROM rescore_pending"; }
quietly() { # quietly MFLOPS: b's full quiet probe with sgemm_mflops MFLOPS, registered
	jq -c --argjson m "$1" 'if .type == "probe-device" then .bench.sgemm_mflops = $m else . end' \
		"$tmp/b-quiet.ndjson" >"$tmp/b-m.ndjson"
	terra-probe --replay "$tmp/b-m.ndjson" 2>/dev/null | terra-register >"$tmp/ub" 2>"$tmp/e"
}
run "$tmp/ub" "$tmp/e" terra-register "$tmp/o"
is "$(jq -r 'select(.type == "unit") | .score' "$tmp/ub")" 26555 \
	"a first full probe on a quiet host (others 4%), 139% up: not rescored yet"
like "$(cat "$tmp/e")" "its new benchmark is not taken: sgemm_mflops 63556 is the first full probe past 5% of the score 26555; the next one past it the same way rescores the unit" \
	"... and says the next one would"
is "$(pending)" 63556 "... its figure waits in the home"
is "$(sqlite3 "$TERRA_HOME/terra.db" "SELECT group_concat(kind, ' ') FROM entries")" unit "... no rescore entry"
quietly 27000
is "$(jq -r 'select(.type == "unit") | .score' "$tmp/ub"),$(pending)" "26555,none" \
	"a full probe within the margin (1.7% up): the score holds and nothing waits"
quietly 63556
quietly 24000
is "$(jq -r 'select(.type == "unit") | .score' "$tmp/ub"),$(pending)" "26555,24000" \
	"a full probe past the margin the other way (9.6% down): not rescored, it waits instead"
quietly 63556
is "$(jq -r 'select(.type == "unit") | .score' "$tmp/ub"),$(pending)" "26555,63556" \
	"... and up again: not rescored either"
run "$tmp/o" "$tmp/e" terra-probe --replay "$tmp/b-quiet.ndjson"
run "$tmp/ub" "$tmp/e" terra-register "$tmp/o"
is "$(jq -r 'select(.type == "unit") | [.score, .rescored_from] | map(tostring) | join(" ")' "$tmp/ub")" "63556 26555" \
	"the second full probe on a quiet host past the margin the same way: rescores the unit"
is "$(pending)" none "... and nothing waits"
like "$(cat "$tmp/e")" "unit [0-9a-f]{32} rescored: score 63556 \\(was 26555\\)" "... and says so"
is "$(sqlite3 "$TERRA_HOME/terra.db" "SELECT kind FROM entries ORDER BY seq DESC LIMIT 1")" rescore \
	"... a rescore entry in the ledger"
is "$(terra-register -o json list | jq -r .score)" 63556 "... the unit's score in the registry"
is "$(jq -r 'select(.type == "unit") | [.bench.mode, .bench.host_others_pct] | map(tostring) | join(" ")' "$tmp/ub")" "full 4" \
	"... its bench says how it was taken"
fails 0 "... and the ledger verifies" sh -c 'terra-ledger verify >/dev/null 2>&1'
# Now a is slower than the new baseline: degraded, and not taken as the baseline.
run "$tmp/o" "$tmp/e" terra-probe --replay "$fx/pocl-load-a.ndjson"
is "$rc" 1 "a degraded device: exits 1"
is "$(cat "$tmp/e")" "terra-probe: device 0 (pthread-skylake-avx512-AMD EPYC): degraded: baseline: sgemm_mflops 26555 of 63556 (41%), sha256d_khps 13229 of 24889 (53%): below 80% of the registered baseline" \
	"a degraded device: named on stderr with its figures against the baseline"
asfull 0 "$fx/pocl-load-a.ndjson" "$tmp/a-quiet.ndjson"
run "$tmp/o" "$tmp/e" terra-probe --replay "$tmp/a-quiet.ndjson"
is "$rc" 1 "... a full probe on a quiet host (others 0%) finds it degraded too"
run "$tmp/u" "$tmp/e" terra-register "$tmp/o"
is "$(jq -r 'select(.type == "unit") | .score' "$tmp/u")" 63556 "terra-register keeps the score of a unit a probe found degraded"
like "$(cat "$tmp/e")" "its new benchmark is not taken: the probe found the device degraded" "... and says why"
# The same slow figures from a probe that saw others take 37% of the host's
# CPUs: a CPU device shares them, so it is busy, not degraded.
jq -c 'if .type == "probe-device" then .bench.mode = "quick" | .bench.host_others_pct = 37 else . end' \
	"$fx/pocl-load-a.ndjson" >"$tmp/a-busy.ndjson"
run "$tmp/o" "$tmp/e" terra-probe --replay "$tmp/a-busy.ndjson"
is "$rc" 0 "the figures under 80% on a loaded host (others 37%): exit 0"
is "$(cat "$tmp/e")" "" "... nothing on stderr"
is "$(jq -r 'select(.type == "device") | .health.status + " " + .health.checks[-1].status' "$tmp/o")" "busy skip" \
	"... the device busy, not degraded: the baseline not judged"
like "$(jq -r 'select(.type == "device") | .health.checks[-1].detail' "$tmp/o")" \
	"sgemm_mflops 26555 of 63556 \\(41%\\).*not judged: other programs took 37% of the host's CPUs" "... saying why"
run "$tmp/u" "$tmp/e" terra-register "$tmp/o"
like "$(terra-register health "$(jq -r 'select(.type == "unit") | .unit' "$tmp/u")" | tail -n 1 | jq -r '.status + ": " + .reason')" \
	"^busy: .*not judged: other programs took 37%" "... registered as a busy observation with the reason"
# A GPU's figures are its kernels' device time, which the host's load does
# not slow (and another user of the GPU is not seen through OpenCL): the
# host's load does not excuse a GPU. (kind gpu: another fingerprint, a new unit.)
gpu() { jq -c 'if .type == "probe-device" then .kind = "gpu" else . end' "$1" >"$2"; }
gpu "$tmp/b-quiet.ndjson" "$tmp/b-gpu.ndjson"
terra-probe --replay "$tmp/b-gpu.ndjson" | terra-register >/dev/null 2>&1
gpu "$tmp/a-busy.ndjson" "$tmp/a-gpu.ndjson"
run "$tmp/o" "$tmp/e" terra-probe --replay "$tmp/a-gpu.ndjson"
is "$rc $(jq -r 'select(.type == "device") | .health.status + " " + .health.checks[-1].status' "$tmp/o")" "1 degraded fail" \
	"a GPU's figures under 80% while others took 37% of the host's CPUs: degraded, exit 1"
run "$tmp/o" "$tmp/e" terra-probe --replay "$fx/pocl-load-a.ndjson" --bench none
is "$rc" 0 "--bench none: no baseline to fall short of"
rm -rf "$TERRA_HOME"

# Bad recordings: file:line, exit 1.
cp "$fx/h100x4-topology.xml" "$tmp/"
head -3 "$fx/h100x4.ndjson" >"$tmp/bad.ndjson"
sed -n 4p "$fx/h100x4.ndjson" | jq -c 'del(.name)' >>"$tmp/bad.ndjson"
run "$tmp/o" "$tmp/e" terra-probe --replay "$tmp/bad.ndjson"
is "$rc" 1 "a bad recording: exits 1"
is "$(cat "$tmp/e")" "terra-probe: $tmp/bad.ndjson:4: probe-device record: missing field 'name'" \
	"a bad recording: file:line and why"
is "$(cat "$tmp/o")" "" "a bad recording: nothing on stdout"
head -3 "$fx/h100x4.ndjson" >"$tmp/bad2.ndjson"
echo '{"type":"probe-device","v":1,' >>"$tmp/bad2.ndjson"
run "$tmp/o" "$tmp/e" terra-probe --replay "$tmp/bad2.ndjson"
like "$(cat "$tmp/e")" "^terra-probe: $tmp/bad2.ndjson:4: " "a line that is not JSON: file:line"
sed -n 4p "$fx/h100x4.ndjson" >"$tmp/bad3.ndjson"
run "$tmp/o" "$tmp/e" terra-probe --replay "$tmp/bad3.ndjson"
like "$(cat "$tmp/e")" "bad3.ndjson:1: probe-device record: the first line must be a probe-host line" \
	"a recording must start with its host"
sed 's/"device":1,/"device":5,/' "$fx/h100x4.ndjson" >"$tmp/bad4.ndjson"
run "$tmp/o" "$tmp/e" terra-probe --replay "$tmp/bad4.ndjson"
like "$(cat "$tmp/e")" "bad4.ndjson:5: probe-device record: device 5 out of order: expected 1" \
	"devices of a platform come in order"
jq -c 'if .type == "probe-device" then .bench.host_others_pct = 150 else . end' "$fx/pocl-load-a.ndjson" >"$tmp/bad5.ndjson"
run "$tmp/o" "$tmp/e" terra-probe --replay "$tmp/bad5.ndjson"
is "$rc $(cat "$tmp/e")" "1 terra-probe: $tmp/bad5.ndjson:4: probe-device record: bench: field 'host_others_pct' must be 0 or more (0 to 100 for a percentage)" \
	"a host load past 100% in a recording: file:line, exit 1"
run "$tmp/o" "$tmp/e" terra-probe --replay "$tmp/nonexistent.ndjson"
is "$rc" 1 "a missing recording: exits 1"
like "$(cat "$tmp/e")" "nonexistent.ndjson" "a missing recording: named"

# A kernel the device will not build, live: PoCL appends POCL_EXTRA_BUILD_FLAGS to
# every build, and its compiler refuses an unknown OpenCL C version. Each of two real
# devices is named with the reason, both are still probed, and the exit status is 1.
run "$tmp/o" "$tmp/e" env POCL_EXTRA_BUILD_FLAGS=-cl-std=CL9.9 POCL_DEVICES="pthread pthread" \
	terra-probe --bench none
is "$rc" 1 "a kernel build failure: exit 1"
is "$(grep -c '"type":"device"' "$tmp/o")" 2 "a kernel build failure: both devices still probed"
is "$(grep -c '"status":"sick"' "$tmp/o")" 2 "a kernel build failure: each device record says sick"
like "$(cat "$tmp/e")" "^terra-probe: device 0 .*: sick: known-answer: build health kernels: .*CL9.9" \
	"a kernel build failure: device 0 named with the compiler's reason"
like "$(cat "$tmp/e")" "terra-probe: device 1 .*: sick: known-answer: build health kernels" \
	"a kernel build failure: device 1 named too"

done_testing
