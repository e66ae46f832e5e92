#!/bin/sh
# terra-run on the real PoCL device: the three workloads checked
# independently (Python's hashlib, exact arithmetic), signed usage, and
# every error that must leave no usage behind.
. "$(dirname "$0")/setup"
verify() { # verify SIGNER FILE: every line signed by SIGNER, checked by PyNaCl
	"$py" "$top/tests/tools/nacl_verify.py" -r -s "$1" "$2" >"$tmp/verify.out"
}
lines() { if [ -s "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }

# sha256d evidence, rechecked with hashlib: every share hashes under the
# share target, lies in the record's nonce range, the result is the digest of
# the share hashes, the records of a job cover consecutive nonce ranges, and
# with "exact" every nonce of the range is hashed to find all the shares.
cat >"$tmp/check_sha256d.py" <<'PY'
import hashlib, json, struct, sys

def header(tmpl, n):
    h = bytearray(tmpl)
    struct.pack_into('<I', h, 68, (struct.unpack_from('<I', h, 68)[0] + (n >> 32)) & 0xffffffff)
    struct.pack_into('<I', h, 76, n & 0xffffffff)
    return bytes(h)

def dhash(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()

def meets(h, bits):
    return int.from_bytes(h, 'little') < (1 << (256 - bits))

exact = sys.argv[1] == 'exact'
next_start = {}
for line in open(sys.argv[2]):
    r = json.loads(line)
    ev = r['evidence']
    tmpl, bits, start, work = bytes.fromhex(ev['header']), ev['share_bits'], ev['nonce_start'], r['work']
    assert r['workload'] == 'sha256d'
    if r['job'] in next_start:
        assert start == next_start[r['job']], 'records of a job leave a gap'
    next_start[r['job']] = start + work
    assert ev['shares'] == sorted(set(ev['shares'])), 'shares not sorted and distinct'
    cat = b''
    for n in ev['shares']:
        assert start <= n < start + work, 'share %d outside the record' % n
        h = dhash(header(tmpl, n))
        assert meets(h, bits), 'share %d misses the target' % n
        cat += h
    assert hashlib.sha256(cat).hexdigest() == r['result'], 'result is not the shares digest'
    if exact:
        found = [n for n in range(start, start + work) if meets(dhash(header(tmpl, n)), bits)]
        assert found == ev['shares'], 'shares %s, expected %s' % (ev['shares'], found)
print('ok')
PY
check_sha256d() { "$py" "$tmp/check_sha256d.py" "$@" >/dev/null; }

# The sgemm digest recomputed with exact arithmetic: inputs from splitmix64,
# each element accumulated over k with a correctly rounded FP32 fma. The
# generator's state is SHA-256 over the seed, unit, job and the run's start
# (lib/sgemmproof.h), so the reference reads them from the usage record.
cat >"$tmp/sgemm_ref.py" <<'PY'
import hashlib, json, struct, sys
from fractions import Fraction

M64 = (1 << 64) - 1

def value(seed, i):
    z = (seed + (i + 1) * 0x9e3779b97f4a7c15) & M64
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    z ^= z >> 31
    return Fraction(z >> 40, 1 << 23) - 1

def f32(x):
    if x == 0:
        return Fraction(0)
    sign, a = (-1, -x) if x < 0 else (1, x)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    ulp = Fraction(2) ** (max(e, -126) - 23)
    q = a / ulp
    n = q.numerator // q.denominator
    rem = q - n
    if rem > Fraction(1, 2) or (rem == Fraction(1, 2) and n % 2):
        n += 1
    return sign * n * ulp

m, n, k, seed = map(int, sys.argv[1:5])
rec = [json.loads(l) for l in open(sys.argv[5])][0]
h = hashlib.sha256(b"terra sgemm inputs v1\0" + struct.pack('<Q', seed % (1 << 64))
                   + b"".join(s.encode() + b"\0" for s in
                              (rec["unit"], rec["job"], rec["evidence"]["started"])))
seed = int.from_bytes(h.digest()[:8], 'little')
A = [[value(seed, i * k + l) for l in range(k)] for i in range(m)]
B = [[value(seed, m * k + l * n + j) for j in range(n)] for l in range(k)]
out = hashlib.sha256()
for i in range(m):
    for j in range(n):
        acc = Fraction(0)
        for l in range(k):
            acc = f32(A[i][l] * B[l][j] + acc)
        out.update(struct.pack('<f', float(acc)))
print(out.hexdigest())
PY

# Options.
like "$(terra-run -h)" '^usage: terra-run' "-h prints the usage on stdout"
like "$(terra-run -V)" '^terra-run [0-9]+\.[0-9]+' "-V prints the version"
fails 2 "an unknown option is a usage error" terra-run --no-such-option 2>/dev/null
fails 2 "an unknown workload is a usage error" terra-run -w scrypt 2>/dev/null
fails 2 "a bad -t is a usage error" terra-run -w sha256d -t soon 2>/dev/null
fails 2 "workload options without -w are a usage error" terra-run --share-bits 8 2>/dev/null

# No home.
fails 1 "without a home it fails" terra-run -w sha256d -t 1 2>/dev/null
err=$(terra-run -w sha256d -t 1 2>&1 >/dev/null || true)
like "$err" "^terra-run: .*run 'terra-register init'" "the message names terra-register init"

# Under valgrind, PoCL sees another CPU (valgrind's: AVX2, no AVX-512, so
# "haswell" and the avx2 kernel library to PoCL) and compiling a kernel there
# takes minutes. So compile natively for that CPU into a private kernel
# cache, PoCL then finds each kernel there under valgrind, and run every
# workload and its errors under valgrind, comparing with the native run.
[ -n "${TERRA_VALGRIND:-}" ] && vg_ocl_env
home_init
terra-probe --bench none --mem-test 1 >"$tmp/devices.ndjson" 2>/dev/null || true
terra-register <"$tmp/devices.ndjson" >"$tmp/units.ndjson"
unit=$(jq -r 'select(.type == "unit") | .unit' "$tmp/units.ndjson" | head -n 1)
pub=$(jq -r 'select(.type == "unit") | .unit_pub' "$tmp/units.ndjson" | head -n 1)
# A buffer of 2^50 bytes: more than any device will allocate.
printf '{"type":"job","v":1,"id":"big","workload":"kernel","params":{"file":"%s","entry":"scale","global":1,"args":[{"buffer":1125899906842624},{"buffer":4,"out":true},{"uint":1},{"uint":1},{"uint":1}]}}\n' \
	"$top/examples/kernel-scale.cl" >"$tmp/big.json"
if [ -n "${TERRA_VALGRIND:-}" ]; then
	fp=$(jq -r 'select(.type == "device") | .fingerprint' "$tmp/devices.ndjson" | head -n 1)
	rc() { # rc FILE CMD...: runs CMD, its exit status into FILE (valgrind's errors: 99)
		_f=$1
		shift
		if "$@"; then echo 0 >"$_f"; else echo "$?" >"$_f"; fi
	}
	jobs() { # jobs SUFFIX: each workload once, and two errors, into $tmp/*.SUFFIX
		rc "$tmp/sha.rc.$1" terra-run -w sha256d --header "$tmpl" --work 4096 \
			--nonce-start 1234567 --share-bits 8 >"$tmp/sha.$1"
		rc "$tmp/sgemm.rc.$1" terra-run -w sgemm --size 19,23,37 --seed 11 >"$tmp/sgemm.$1"
		rc "$tmp/kernel.rc.$1" sh -c "cd '$top' && terra-run --kernel-dir examples <examples/job-kernel.json" \
			>"$tmp/kernel.$1"
		rc "$tmp/bad.rc.$1" env TERRA_TEST_SGEMM_CORRUPT=5,7 terra-run -w sgemm --size 64,64,64 \
			>"$tmp/bad.$1" 2>"$tmp/bad.err.$1"
		rc "$tmp/big.rc.$1" terra-run --kernel-dir "$top/examples" "$tmp/big.json" >"$tmp/big.$1" 2>"$tmp/big.err.$1"
	}
	tmpl=$(jq -r '.headers[0].header' "$fixtures/bitcoin-headers.json" | cut -c1-152)00000000
	jobs native
	export TERRA_VG_OCL=1
	rc "$tmp/probe.rc" terra-probe --bench none --mem-test 1 >"$tmp/devices.vg" 2>"$tmp/probe.err"
	if [ "$(jq -r 'select(.type == "device") | .fingerprint' "$tmp/devices.vg" | head -n 1)" != "$fp" ]; then
		skip "workloads under valgrind" "valgrind's CPU is not the one prepared for (haswell, avx2)"
		done_testing
		exit
	fi
	is "$(cat "$tmp/probe.rc") $(jq -r 'select(.type == "device") | .health.status' "$tmp/devices.vg")" \
		"0 ok" "terra-probe under valgrind: exit 0, the device healthy"
	jobs vg
	for w in sha sgemm kernel; do
		what='del(.start, .end, .busy_us, .seq, .sig, .job)'
		# sgemm's inputs are bound to the run's start (evidence.started),
		# so its digest and commitment differ between runs: the digest is
		# checked against the reference below instead.
		if [ $w = sgemm ]; then
			what='del(.start, .end, .busy_us, .seq, .sig, .job, .result,
				.evidence.started, .evidence.root, .evidence.opened)'
		fi
		is "$(cat "$tmp/$w.rc.vg")" 0 "$w under valgrind: exit 0, no memory error"
		is "$(jq -c "$what" "$tmp/$w.vg")" "$(jq -c "$what" "$tmp/$w.native")" \
			"$w under valgrind: the same usage as natively"
		ok "$w under valgrind: the record verifies" verify "$pub" "$tmp/$w.vg"
	done
	ok "sha256d under valgrind: the shares are exactly those hashlib finds" \
		check_sha256d exact "$tmp/sha.vg"
	is "$(jq -r .result "$tmp/sgemm.vg")" "$("$py" "$tmp/sgemm_ref.py" 19 23 37 11 "$tmp/sgemm.vg")" \
		"sgemm under valgrind: the digest equals the exact FP32 reference"
	is "$(cat "$tmp/bad.rc.vg") $(lines "$tmp/bad.vg")" "1 0" \
		"a wrong element under valgrind: exit 1, no usage"
	like "$(cat "$tmp/bad.err.vg")" "row 5 fails Freivalds' check" "the message names the row"
	is "$(cat "$tmp/big.rc.vg") $(lines "$tmp/big.vg")" "1 0" \
		"a refused allocation under valgrind: exit 1, no usage"
	like "$(cat "$tmp/big.err.vg")" "device refuses it" "the message says the device refuses it"
	done_testing
	exit
fi

like "$unit" '^[0-9a-f]{32}$' "the PoCL device is registered as a unit"

# sha256d: bounded by time, interim records, shares checked by hashlib.
fails 0 "sha256d runs for -t 2 with interim records" \
	sh -c "terra-run -w sha256d -t 2 --interval 0.5 --share-bits 12 >'$tmp/sha.ndjson'"
ok "every usage record verifies with the unit's key" verify "$pub" "$tmp/sha.ndjson"
ok "shares rehash under the share target, inside each record's range" \
	check_sha256d shares "$tmp/sha.ndjson"
is "$(jq -r .final "$tmp/sha.ndjson" | tail -n 1)" true "the last record is final"
is "$(jq -r .final "$tmp/sha.ndjson" | sed '$d' | sort -u)" false "the others are interim"
ok "more than one record with --interval" test "$(lines "$tmp/sha.ndjson")" -gt 1
is "$(jq -r .seq "$tmp/sha.ndjson" | tr '\n' ' ')" \
	"$(seq 1 "$(lines "$tmp/sha.ndjson")" | tr '\n' ' ')" "seqs run 1, 2, 3, .."
is "$(jq -r '[.type, .v, .unit, .workload] | join(" ")' "$tmp/sha.ndjson" | sort -u)" \
	"usage 1 $unit sha256d" "records are usage records of the unit"
is "$(jq -r 'select(.start >= .end or .busy_us > 0 and .work <= 0) | .seq' "$tmp/sha.ndjson")" \
	"" "every record has start < end and work for its busy time"
is "$(jq -s -r '[.[1:][].start] == [.[:-1][].end]' "$tmp/sha.ndjson")" true \
	"each record covers its own stretch, the next starting where it ended"
is "$(jq -r '.start' "$tmp/sha.ndjson" | head -n 1 | cut -c1-17)" "2026-11-21T10:00:" \
	"times run on from TERRA_NOW"

# Every nonce of a window hashed by Python too: no share missed, none invented.
fails 0 "sha256d --work scans exactly that many nonces" \
	sh -c "terra-run -w sha256d --work 20000 --nonce-start 1234567 --share-bits 8 >'$tmp/exact.ndjson'"
is "$(jq -r '[.work, .evidence.nonce_start, .final] | join(" ")' "$tmp/exact.ndjson")" \
	"20000 1234567 true" "one final record for 20000 nonces from 1234567"
ok "the shares are exactly the nonces under the target" check_sha256d exact "$tmp/exact.ndjson"
fails 0 "a window across 2^32 rolls ntime" \
	sh -c "terra-run -w sha256d --work 6000 --nonce-start 4294964296 --share-bits 8 >'$tmp/roll.ndjson'"
ok "shares on both sides of 2^32 are exactly those hashlib finds" \
	check_sha256d exact "$tmp/roll.ndjson"
ok "some shares lie past 2^32" test "$(jq '[.evidence.shares[] | select(. >= 4294967296)] | length' "$tmp/roll.ndjson")" -gt 0

# Real Bitcoin blocks: scanning a window around the winning nonce finds it.
n=0
while [ $n -lt "$(jq '.headers | length' "$fixtures/bitcoin-headers.json")" ]; do
	hdr=$(jq -r ".headers[$n].header" "$fixtures/bitcoin-headers.json")
	nonce=$(jq -r ".headers[$n].nonce" "$fixtures/bitcoin-headers.json")
	height=$(jq -r ".headers[$n].height" "$fixtures/bitcoin-headers.json")
	tmpl=$(printf '%s' "$hdr" | cut -c1-152)00000000
	terra-run -w sha256d --header "$tmpl" --nonce-start $((nonce - 3000)) --work 6000 \
		--share-bits 32 >"$tmp/block.ndjson"
	is "$(jq -c .evidence.shares "$tmp/block.ndjson")" "[$nonce]" \
		"block $height: the scan finds the winning nonce $nonce and nothing else"
	n=$((n + 1))
done

# sgemm: the digest of C equals an exact reference; odd sizes pad right.
for size in "8 8 16 3" "19 23 37 11"; do
	set -- $size
	terra-run -w sgemm --size "$1,$2,$3" --seed "$4" >"$tmp/sgemm.ndjson"
	is "$(jq -r .result "$tmp/sgemm.ndjson")" "$("$py" "$tmp/sgemm_ref.py" "$1" "$2" "$3" "$4" "$tmp/sgemm.ndjson")" \
		"sgemm $1x$2x$3: the digest of C equals the exact FP32 reference"
	is "$(jq -r '[.work, .final, .evidence.m, .evidence.n, .evidence.k, .evidence.seed] | join(" ")' \
		"$tmp/sgemm.ndjson")" "$((2 * $1 * $2 * $3)) true $1 $2 $3 $4" \
		"sgemm $1x$2x$3: work is 2mnk flops, evidence the sizes and seed"
done
ok "sgemm usage verifies" verify "$pub" "$tmp/sgemm.ndjson"

# The sgemm evidence end to end: terra-meter recomputes the challenged pieces
# of C from the seed and accepts the run; the same run with one opened value
# changed and signed again by the unit's own key is refused, with file:line.
terra-run -w sgemm --size 300,200,100 --seed 5 >"$tmp/sgemm-ev.ndjson"
P=$(jq -r '.start | .[0:13]' "$tmp/sgemm-ev.ndjson" | head -n 1):00:00Z/PT3H
ok "sgemm usage carries opened pieces" \
	test "$(jq -s 'map(.evidence.opened | length) | add' "$tmp/sgemm-ev.ndjson")" -gt 0
fails 0 "terra-meter accepts sgemm evidence from a real run" \
	sh -c "terra-meter -p '$P' '$tmp/sgemm-ev.ndjson' >'$tmp/sgemm-ev.meter' 2>'$tmp/sgemm-ev.err'"
is "$(jq -r .work "$tmp/sgemm-ev.meter")" "$((2 * 300 * 200 * 100))" "the meter record counts its 2mnk flops"
jq -c 'del(.sig, .signer) | if .evidence.opened | length > 0 then
	.evidence.opened[0].values |= (if .[0:1] == "0" then "1" else "0" end) + .[1:] else . end' \
	"$tmp/sgemm-ev.ndjson" >"$tmp/sgemm-forged.fields"
"$py" "$top/tests/tools/mkusage.py" -k "$TERRA_HOME/units/$unit.key" -u "$unit" --stdin \
	<"$tmp/sgemm-forged.fields" >"$tmp/sgemm-forged.ndjson"
ok "the forged record is signed by the unit's key" verify "$pub" "$tmp/sgemm-forged.ndjson"
fails 1 "terra-meter refuses sgemm evidence with a changed value" \
	sh -c "terra-meter -p '$P' '$tmp/sgemm-forged.ndjson' >'$tmp/sgemm-forged.meter' 2>'$tmp/sgemm-forged.err'"
like "$(cat "$tmp/sgemm-forged.err")" "sgemm-forged\\.ndjson:1: usage record: evidence: row [0-9]+ piece [0-9]+: inclusion proof" \
	"the refusal names file:line and the piece"
is "$(lines "$tmp/sgemm-forged.meter")" 0 "no meter record for it"
fails 0 "sgemm from the example job file" sh -c "terra-run <'$top/examples/job-sgemm.json' >'$tmp/ex.ndjson'"
is "$(jq -r '[.job, .work] | join(" ")' "$tmp/ex.ndjson")" "train-1 2147483648" \
	"the example's usage names its job and 2 x 1024^3 flops"

# Freivalds catches one wrong element: an error, no usage.
fails 1 "a wrong element of C fails the run" \
	sh -c "TERRA_TEST_SGEMM_CORRUPT=5,7 terra-run -w sgemm --size 64,64,64 >'$tmp/bad.ndjson' 2>'$tmp/bad.err'"
like "$(cat "$tmp/bad.err")" "terra-run: .*row 5 fails Freivalds' check" "the message names the row"
is "$(lines "$tmp/bad.ndjson")" 0 "no usage for a wrong result"
fails 1 "a wrong element in a large C is caught too" \
	sh -c "TERRA_TEST_SGEMM_CORRUPT=700,1000 terra-run -w sgemm --size 1024,1024,1024 >'$tmp/bad.ndjson' 2>/dev/null"
is "$(lines "$tmp/bad.ndjson")" 0 "no usage for it"

# kernel: the example kernel, digest checked in Python.
cd "$top"
fails 0 "the example kernel job runs" sh -c "terra-run --kernel-dir examples <examples/job-kernel.json >'$tmp/kernel.ndjson'"
cd - >/dev/null
want=$("$py" -c "import hashlib, struct; print(hashlib.sha256(b''.join(struct.pack('<I', (3 * i + 7) & 0xffffffff) for i in range(4096))).hexdigest())")
is "$(jq -r .result "$tmp/kernel.ndjson")" "$want" "the result is the digest of y = 3x + 7"
is "$(jq -r '[.work, .workload, .job, .evidence.entry] | join(" ")' "$tmp/kernel.ndjson")" \
	"4096 kernel scale-1 scale" "work counts the work-items"
ok "kernel usage verifies" verify "$pub" "$tmp/kernel.ndjson"

# A kernel that does not compile: its build log, no usage.
printf '__kernel void broken(__global uint *x) { x[0] = undeclared_thing; }\n' >"$tmp/broken.cl"
printf '{"type":"job","v":1,"id":"b","workload":"kernel","params":{"file":"%s","entry":"broken","global":1,"args":[{"buffer":4}]}}\n' \
	"$tmp/broken.cl" >"$tmp/broken.json"
fails 1 "a kernel that does not compile fails" sh -c "terra-run --kernel-dir '$tmp' '$tmp/broken.json' >'$tmp/b.ndjson' 2>'$tmp/b.err'"
like "$(cat "$tmp/b.err")" "undeclared_thing" "the build log is shown"
is "$(lines "$tmp/b.ndjson")" 0 "no usage for a failed build"

# The device refuses an allocation: no usage.
fails 1 "a buffer over the device's largest allocation fails" \
	sh -c "terra-run --kernel-dir '$top/examples' '$tmp/big.json' >'$tmp/big.ndjson' 2>'$tmp/big.err'"
like "$(cat "$tmp/big.err")" "device refuses it" "the message says the device refuses it"
is "$(lines "$tmp/big.ndjson")" 0 "no usage for a refused allocation"
fails 1 "an sgemm too large for the device fails" \
	sh -c "terra-run -w sgemm --size 65536,65536,1 >'$tmp/big.ndjson' 2>'$tmp/big.err'"
like "$(cat "$tmp/big.err")" "buffer C .*device refuses it" "the message names the buffer"
is "$(lines "$tmp/big.ndjson")" 0 "no usage for it"

# Requirements no unit meets; unknown unit.
fails 1 "no unit meets the requirements" sh -c "terra-run -w sgemm --kind gpu >'$tmp/r.ndjson' 2>'$tmp/r.err'"
like "$(cat "$tmp/r.err")" "no unit meets its requirements \(kind gpu\)" "the message says which"
is "$(lines "$tmp/r.ndjson")" 0 "no usage"
fails 1 "too much memory asked" terra-run -w sgemm --min-mem 1000000000000000 2>/dev/null
fails 1 "an unknown unit fails" sh -c "terra-run -u 0123456789abcdef0123456789abcdef -w sha256d -t 1 2>'$tmp/u.err'"
like "$(cat "$tmp/u.err")" "unknown unit '0123456789abcdef0123456789abcdef'" "the message names it"

# Job records on stdin: a bad line is reported, the rest run, others pass through.
{
	printf '{"type":"job","v":1,"id":"j1","workload":"sha256d","work":1000}\n'
	printf '{"type":"job","v":1,"id":"j2","workload":"sha256d","work":"lots"}\n'
	printf '{"type":"note","v":1,"text":"passes through"}\n'
	printf '{"type":"job","v":1,"id":"j3","workload":"sgemm","params":{"m":4,"n":4,"k":4},"unit":"%s"}\n' "$unit"
} >"$tmp/jobs.ndjson"
fails 1 "a bad job line makes the exit status 1" \
	sh -c "terra-run '$tmp/jobs.ndjson' >'$tmp/jobs.out' 2>'$tmp/jobs.err'"
like "$(cat "$tmp/jobs.err")" "jobs.ndjson:2: job record: field 'work' must be an integer" \
	"the bad line is named"
is "$(jq -r 'select(.type == "usage") | .job' "$tmp/jobs.out" | sort | tr '\n' ' ')" "j1 j3 " \
	"the good jobs ran"
is "$(grep -c '"type":"note"' "$tmp/jobs.out")" 1 "a record of another type passes through"

# A unit whose latest registered probe found it sick runs nothing until a
# probe finds it healthy again. Sick for real: PoCL appends
# POCL_EXTRA_BUILD_FLAGS to every build and refuses an unknown OpenCL C
# version, so the probe's known-answer kernel does not build.
POCL_EXTRA_BUILD_FLAGS=-cl-std=CL9.9 terra-probe --bench none --mem-test 1 \
	>"$tmp/sick.ndjson" 2>/dev/null || true
is "$(jq -r 'select(.type == "device") | .health.status' "$tmp/sick.ndjson")" sick \
	"the probe finds the device sick"
fails 0 "registering the sick probe exits 0" \
	sh -c "terra-register <'$tmp/sick.ndjson' >'$tmp/sick.units' 2>'$tmp/sick.err'"
like "$(cat "$tmp/sick.err")" "unit $unit is sick: terra-run will not use it" \
	"terra-register warns that terra-run will not use it"
is "$(jq -r 'select(.type == "unit") | .unit' "$tmp/sick.units")" "$unit" "it is still the same unit"
fails 1 "a sick unit fails with -u" sh -c "terra-run -u '$unit' -w sha256d --work 1000 >'$tmp/s.ndjson' 2>'$tmp/s.err'"
like "$(cat "$tmp/s.err")" "unit '$unit' is sick \(known-answer fail: .*probed 20[0-9-]+T" \
	"the message names the failed check and when it was probed"
is "$(lines "$tmp/s.ndjson")" 0 "no usage from a sick unit"
fails 1 "without -u, a sick unit is not chosen" sh -c "terra-run -w sha256d --work 1000 >'$tmp/s.ndjson' 2>'$tmp/s.err'"
like "$(cat "$tmp/s.err")" "no healthy unit on this machine: unit '$unit' is sick" \
	"the message says no unit is healthy, and why"
terra-register <"$tmp/devices.ndjson" >/dev/null 2>&1
fails 0 "after a healthy probe is registered, the unit runs again" \
	sh -c "terra-run -w sha256d --work 1000 >'$tmp/s.ndjson'"
is "$(jq -r .unit "$tmp/s.ndjson")" "$unit" "on the same unit"

# A retired unit runs nothing.
terra-register retire "$unit" >/dev/null 2>&1
fails 1 "a retired unit fails with -u" sh -c "terra-run -u '$unit' -w sha256d -t 1 >'$tmp/ret.ndjson' 2>'$tmp/ret.err'"
like "$(cat "$tmp/ret.err")" "unit '$unit' is retired" "the message says it is retired"
is "$(lines "$tmp/ret.ndjson")" 0 "no usage from a retired unit"
fails 1 "without -u, no active unit is left" terra-run -w sha256d -t 1 2>/dev/null

done_testing
