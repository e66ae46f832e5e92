#!/bin/sh
# terra-meter: verification, every rejection reason, duplicates, written form
# against other spellings, periods.
. "$(dirname "$0")/setup"
mk=$top/tests/tools/mkusage.py

home_init
terra-register "$fixtures/devices/h100-65.ndjson" "$fixtures/devices/pocl-cpu.ndjson" \
	"$fixtures/devices/h100-ca.ndjson" >/dev/null 2>&1
unit_of() { terra-register list -o json | jq -r "select(.device.name | test(\"$1\")) | .unit" | head -n 1; }
gpu=$(terra-register list -o json | jq -r 'select(.device.pci_bus_id == "0000:65:00.0") | .unit')
gpu2=$(terra-register list -o json | jq -r 'select(.device.pci_bus_id != "0000:65:00.0" and .device.kind == "gpu") | .unit')
cpu=$(unit_of Xeon)
key() { echo "$TERRA_HOME/units/$1.key"; }
to() { # to OUT ERR CMD...: CMD with its output in files (not the TAP stream)
	_o=$1 _e=$2
	shift 2
	"$@" >"$_o" 2>"$_e"
}
ok "three units registered" test -n "$gpu" -a -n "$gpu2" -a -n "$cpu"

P=2026-11-21T10:00:00Z/PT2H
# usage U SEQ FIELDS...: a record of unit U signed by its own key
usage() {
	u=$1 s=$2
	shift 2
	$py "$mk" -k "$(key "$u")" -u "$u" seq="$s" "$@"
}

# ---- a good record, and the meter record it gives -------------------------
usage "$gpu" 1 start=2026-11-21T10:00:00Z end=2026-11-21T10:30:00Z busy_us=1200000000 \
	work=5000 >"$tmp/one.nd"
out=$(terra-meter -p $P "$tmp/one.nd")
is "$(echo "$out" | jq -r '[.type,.unit,.busy_us,.records,.first_seq,.last_seq,.work,.score,.weight,.utilization_ppm,.backed_us,.period] | join(" ")')" \
	"meter $gpu 1200000000 1 1 1 5000 48120000 0 0 0 2026-11-21T10:00:00.000000Z/2026-11-21T12:00:00.000000Z" \
	"one kernel record: busy, seqs, work, score; no proof: no weight, none backed"
is "$(echo "$out" | jq -c '[.verified,.rates,.evidence]')" \
	'[{"kernel_us":1200000000,"sgemm":0,"sha256d":0},{"kernel":0,"sgemm":1,"sha256d":2048},[]]' \
	"verified work (its kernel time), rates and evidence of the kernel record"
root=$($py -c '
import hashlib, sys
line = open(sys.argv[1], "rb").read().rstrip(b"\n")
print(hashlib.sha256(b"\0" + line).hexdigest())' "$tmp/one.nd")
is "$(echo "$out" | jq -r .usage_root)" "$root" "usage_root of one line is its RFC 6962 leaf hash"
is "$(echo "$out" | jq -r .owner)" "$(cat "$TERRA_HOME/owner.pub")" "owner is the unit's owner"

# ---- every rejection reason ----------------------------------------------
reason() { # reason NAME PATTERN: the records in $tmp/r.nd are refused with PATTERN
	set +e
	terra-meter -p $P "$tmp/r.nd" >"$tmp/r.out" 2>"$tmp/r.err"
	st=$?
	set -e
	is "$st" 1 "$1: exit 1"
	like "$(cat "$tmp/r.err")" "r.nd:[0-9]+: usage record: $2" "$1: reason"
}
usage "$gpu" 1 '!busy_us=7' >"$tmp/r.nd"
reason "tampered record" "bad signature$"
usage "$gpu" 1 '!signer='"$(cat "$TERRA_HOME/owner.pub")" >"$tmp/r.nd"
reason "signer field" "bad signature"
$py "$mk" -k "$(key "$cpu")" -u "$gpu" seq=1 >"$tmp/r.nd"
reason "another unit's key" \
	"bad signature: signer is not unit '$gpu'"
H2=$tmp/home2
home_init -H "$H2"
terra-register -H "$H2" "$fixtures/devices/pocl-cpu.ndjson" >/dev/null 2>&1
other=$(terra-register -H "$H2" list -o json | jq -r .unit)
$py "$mk" -k "$H2/units/$other.key" -u "$other" >"$tmp/r.nd"
reason "unknown unit" "unknown unit '$other'"
usage "$gpu" 1 start=2026-11-21T10:00:00Z end=2026-11-21T10:00:00Z busy_us=0 >"$tmp/r.nd"
reason "start equals end" "bad times: start is not before end"
usage "$gpu" 1 start=2026-11-21T10:00:00Z end=2026-11-21T10:00:01Z busy_us=1000001 >"$tmp/r.nd"
reason "busy beyond the interval" "bad times: busy_us 1000001"
usage "$gpu" 1 busy_us=-1 >"$tmp/r.nd"
reason "negative busy" "bad times"
usage "$gpu" 1 busy_us='"1"' >"$tmp/r.nd"
reason "busy as a string" "field 'busy_us' must be an integer"
# sha256d: 1e9 hashes in 1 ms is beyond the H100's benchmark (25.87e12 int32 ops/s / 64)
usage "$gpu" 1 workload=sha256d work=1000000000 busy_us=1000 end=2026-11-21T10:00:01Z \
	'evidence={"header":"'"$($py -c 'import sys; sys.path.insert(0, sys.argv[1]); import mkusage; print(mkusage.bound_header(sys.argv[2], "job-1", 0, 1795255200))' "$top/tests/tools" "$gpu")"'","nonce_start":0,"share_bits":32,"shares":[]}' >"$tmp/r.nd"
reason "hash rate beyond the benchmark" "impossible rate"
usage "$gpu" 1 workload=sgemm work=1000000000000000 busy_us=1000 end=2026-11-21T10:00:01Z >"$tmp/r.nd"
reason "flops beyond the benchmark" "impossible rate"
usage "$gpu" 1 work=4096 mine=8 >"$tmp/mined.nd"
shares=$(jq -c .evidence.shares "$tmp/mined.nd")
first=$(jq '.evidence.shares[0]' "$tmp/mined.nd")
nonmeet=$(jq '[range(0; 4096)] - .evidence.shares | .[0]' "$tmp/mined.nd")
hdr=$(jq -r .evidence.header "$tmp/mined.nd")
ev() { echo "evidence={\"header\":\"$hdr\",\"nonce_start\":0,\"share_bits\":8,\"shares\":$1}"; }
ok "mined shares found" test "$(jq '.evidence.shares | length' "$tmp/mined.nd")" -gt 4
usage "$gpu" 1 workload=sha256d work=4096 "$(ev "[$nonmeet]")" >"$tmp/r.nd"
reason "share that does not meet the target" "bad share: nonce $nonmeet does not meet"
usage "$gpu" 1 workload=sha256d work=4096 "$(ev "[$first,$first]")" >"$tmp/r.nd"
reason "share listed twice" "bad share: nonce $first is listed twice"
usage "$gpu" 1 workload=sha256d work=4096 "$(ev "[5000]")" >"$tmp/r.nd"
reason "share outside the range" "bad share: nonce 5000 is outside"
# 102400 hashes at 8 bits: 400 shares expected, fewer than 274 refused
usage "$gpu" 1 workload=sha256d work=102400 "$(ev "[]")" >"$tmp/r.nd"
reason "no shares for 102400 hashes at 8 bits" "too few shares: 0 shares"
usage "$gpu" 1 workload=sha256d work=102400 "$(ev "$shares")" >"$tmp/r.nd"
reason "the shares of 4096 hashes for 102400" "too few shares: [0-9]+ shares of 8 bits cannot back 102400 hashes \(400.0 expected\)"
usage "$gpu" 1 work=102400 mine=8 >"$tmp/r.nd"
ok "102400 hashes with their shares pass" to /dev/null /dev/null terra-meter -p $P "$tmp/r.nd"
out=$(terra-meter -p $P "$tmp/mined.nd")
is "$(echo "$out" | jq .work)" 4096 "honest sha256d record with its shares is counted"
n=$(jq '.evidence.shares | length' "$tmp/mined.nd")
is "$(echo "$out" | jq -c '[.verified.sha256d, .weight]')" "[$((n * 256)),$((n * 256 * 2048))]" \
	"sha256d: verified work is shares x 2^share_bits, weight 2048 FLOPs a hash"
busy=$(jq .busy_us "$tmp/mined.nd")
proven=$((n * 256 < 4096 ? n * 256 : 4096))
is "$(echo "$out" | jq .backed_us)" "$((busy * proven / 4096))" \
	"sha256d: the busy time backed is busy x proven / claimed"
is "$(echo "$out" | jq -c '.evidence')" \
	"[[\"$($py -c 'import hashlib,sys; print(hashlib.sha256(bytes.fromhex(sys.argv[1])).hexdigest())' "$hdr")\",$(jq -r .evidence.header "$tmp/mined.nd" | $py -c 'import sys; print(int.from_bytes(bytes.fromhex(sys.stdin.read().strip())[68:72], "little"))'),0,4096]]" \
	"sha256d: the meter record names the nonces it credits"
is "$(terra-meter --rate sha256d=3 -p $P "$tmp/mined.nd" | jq -c '[.rates.sha256d, .weight]')" \
	"[3,$((n * 256 * 3))]" "--rate sha256d=3: recorded and applied"

# replayed seq, overlap
{
	usage "$gpu" 1 start=2026-11-21T10:00:00Z end=2026-11-21T10:10:00Z
	usage "$gpu" 1 start=2026-11-21T10:20:00Z end=2026-11-21T10:30:00Z
} >"$tmp/r.nd"
reason "another record with a used seq" "replayed seq 1 of unit '$gpu'"
{
	usage "$gpu" 1 start=2026-11-21T10:00:00Z end=2026-11-21T10:10:00Z
	usage "$gpu" 2 start=2026-11-21T10:05:00Z end=2026-11-21T10:20:00Z
} >"$tmp/r.nd"
reason "busy twice at once" "overlapping busy time: unit '$gpu' seq 2 starts before seq 1 ends"
{
	usage "$gpu" 5 start=2026-11-21T10:00:00Z end=2026-11-21T10:10:00Z
	usage "$gpu" 3 start=2026-11-21T10:05:00Z end=2026-11-21T10:20:00Z
} >"$tmp/r.nd"
reason "earlier seq later in time" "overlapping busy time: unit '$gpu' seq 3 ends after seq 5 starts"
is "$(jq -s 'map(.records) | add' "$tmp/r.out")" 1 "the record before the overlap is still counted"

# retired unit: usage that ends after retired_at is refused, earlier usage counts
TERRA_NOW=2026-11-21T11:00:00Z terra-register retire "$cpu" >/dev/null 2>&1
usage "$cpu" 1 start=2026-11-21T11:00:00Z end=2026-11-21T11:30:00Z >"$tmp/r.nd"
reason "retired unit" "retired unit '$cpu'"
usage "$cpu" 1 start=2026-11-21T10:00:00Z end=2026-11-21T10:30:00Z >"$tmp/before.nd"
out=$(terra-meter -p $P "$tmp/before.nd")
is "$(echo "$out" | jq -r .unit)" "$cpu" "usage before the retirement still counts"

# ---- duplicates -------------------------------------------------------------
usage "$gpu" 7 start=2026-11-21T10:00:00Z end=2026-11-21T10:10:00Z busy_us=600000000 >"$tmp/d.nd"
cat "$tmp/d.nd" "$tmp/d.nd" "$tmp/d.nd" >"$tmp/dup.nd"
out=$(terra-meter -p $P "$tmp/dup.nd" 2>"$tmp/dup.err")
is "$?" 0 "duplicates: exit 0"
is "$(echo "$out" | jq -r '[.records,.busy_us] | join(" ")')" "1 600000000" "duplicate counted once"
like "$(cat "$tmp/dup.err")" "dup.nd:2: usage record: duplicate of an earlier record \(unit '$gpu' seq 7\), counted once" \
	"duplicate reported with its place"
is "$(wc -l <"$tmp/dup.err")" 2 "each repetition reported"
is "$(echo "$out" | jq -r .usage_root)" "$(terra-meter -p $P "$tmp/d.nd" | jq -r .usage_root)" \
	"usage_root covers the line once"

# ---- bad lines: place, --reject, --strict, pass-through ----------------------
{
	usage "$gpu" 1 start=2026-11-21T10:00:00Z end=2026-11-21T10:10:00Z
	echo 'not json'
	usage "$gpu" 2 start=2026-11-21T10:10:00Z end=2026-11-21T10:20:00Z '!work=1'
	cat "$fixtures/devices/pocl-cpu.ndjson"
	echo
	usage "$gpu2" 1 start=2026-11-21T10:00:00Z end=2026-11-21T10:20:00Z
} >"$tmp/mixed.nd"
fails 1 "bad lines: exit 1" to "$tmp/m.out" "$tmp/m.err" \
	terra-meter -p $P --reject "$tmp/rej.nd" "$tmp/mixed.nd"
like "$(sed -n 1p "$tmp/m.err")" "^terra-meter: .*mixed.nd:2: malformed JSON" "bad JSON reported with file:line"
like "$(sed -n 2p "$tmp/m.err")" "mixed.nd:3: usage record: bad signature" "bad signature reported with file:line"
is "$(cat "$tmp/rej.nd")" "$(sed -n 2,3p "$tmp/mixed.nd")" "--reject gets the bad lines verbatim"
is "$(grep -c '"type":"meter"' "$tmp/m.out")" 2 "every good record still counted"
is "$(grep '"type":"device"' "$tmp/m.out")" "$(cat "$fixtures/devices/pocl-cpu.ndjson")" \
	"other records pass through unchanged"
fails 1 "--strict: exit 1" to "$tmp/s.out" "$tmp/s.err" terra-meter -p $P --strict "$tmp/mixed.nd"
is "$(grep -c '"type":"meter"' "$tmp/s.out" || true)" 0 "--strict: no meter record"
is "$(wc -l <"$tmp/s.err")" 1 "--strict: stops at the first bad line"

# records outside the range are skipped without verification
usage "$gpu" 9 start=2026-11-21T13:00:00Z end=2026-11-21T14:00:00Z '!work=1' >"$tmp/out.nd"
ok "a record outside the period is skipped" terra-meter -p $P "$tmp/out.nd"

# ---- written form and other spellings -----------------------------------------
# A line as the writer spells it is checked in place (lib/canon.h); any other
# spelling of the same record is parsed in full. Both must give the same
# verdicts, messages and sums; only usage_root differs, as it hashes the
# lines as they were read.
# An independent RFC 6962 root over the lines of FILE (newlines cut): those
# of one unit (unit ID), or those numbered from 0 (pick 0,1,5).
cat >"$tmp/root.py" <<'EOF'
import hashlib, json, sys
def h(b): return hashlib.sha256(b).digest()
def root(leaves):
    if len(leaves) == 1: return leaves[0]
    k = 1
    while k * 2 < len(leaves): k *= 2
    return h(b"\1" + root(leaves[:k]) + root(leaves[k:]))
lines = [l.rstrip(b"\n") for l in open(sys.argv[1], "rb")]
if sys.argv[2] == "unit":
    lines = [l for l in lines if json.loads(l)["unit"] == sys.argv[3]]
else:
    lines = [lines[int(i)] for i in sys.argv[3].split(",")]
print(root([h(b"\0" + l) for l in lines]).hex())
EOF
cat >"$tmp/respell.py" <<'EOF'
import json, sys
# Keys reversed, spaces after separators, non-ASCII as \u escapes, "/" as "\/".
for line in sys.stdin:
    line = line.rstrip("\n")
    try:
        obj = json.loads(line)
    except ValueError:
        print(line)
        continue
    print("{" + ", ".join(json.dumps(k) + ": " + json.dumps(v).replace("/", "\\/")
                          for k, v in reversed(list(obj.items()))) + "}")
EOF
job='job="a/b \u00e9\n\t\u0001 \"q\" \\"'
{
	usage "$gpu" 1 start=2026-11-21T10:00:00Z end=2026-11-21T10:10:00Z "$job"
	usage "$gpu" 2 start=2026-11-21T10:10:00Z end=2026-11-21T10:20:00Z work=4096 mine=8
	usage "$gpu" 1 start=2026-11-21T10:00:00Z end=2026-11-21T10:10:00Z "$job"
	usage "$gpu" 3 start=2026-11-21T10:20:00Z end=2026-11-21T10:30:00Z '!busy_us=7'
	usage "$gpu" 4 busy_us='"1"'
	usage "$gpu" 5 start=2026-11-21T10:40:00Z end=2026-11-21T10:50:00Z
	usage "$gpu" 6 start=2026-11-21T10:50:00Z end=2026-11-21T10:55:00Z |
		sed 's/"work":1000,/"work":99999999999999999999,/'
	usage "$gpu" 6 start=2026-11-21T10:50:00Z end=2026-11-21T10:55:00Z |
		sed 's/"work":1000,/"work":1.5,/'
	usage "$gpu" 6 start=2026-11-21T10:50:00Z end=2026-11-21T10:55:00Z v=2
	$py "$mk" -k "$H2/units/$other.key" -u "$other"
	usage "$gpu" 1 start=2026-11-21T10:50:00Z end=2026-11-21T11:00:00Z
	usage "$gpu" 6 start=2026-11-21T10:45:00Z end=2026-11-21T10:55:00Z
	usage "$cpu" 1 start=2026-11-21T11:00:00Z end=2026-11-21T11:30:00Z
	usage "$gpu" 7 workload=sha256d work=4096 "$(ev "[5000]")"
	usage "$gpu" 7 workload=sha256d work=4096 "$(ev '["5"]')"
	usage "$gpu" 7 workload=sha256d work=4096
	usage "$gpu" 7 workload=sgemm work=1000000000000000 busy_us=1000 end=2026-11-21T10:00:01Z
	usage "$gpu" 9 start=2026-11-21T13:00:00Z end=2026-11-21T14:00:00Z '!work=1'
	usage "$gpu" 0
	usage "$gpu" 7 start=2026-11-21T10:00:00Z end=2026-11-21T10:00:00Z
	$py "$mk" -k "$(key "$cpu")" -u "$gpu" seq=7
	usage "$gpu" 7 start=2026-11-21T11:00:00Z end=2026-11-21T11:10:00Z |
		sed 's/"sig":"\([0-9a-f]*\)"/"sig":"\U\1"/'
	usage "$gpu2" 1 start=2026-11-21T11:00:00+00:00 end=2026-11-21T11:30:00.5Z busy_us=1800000000 \
		work=1 'evidence={"z":[[],{}],"a":null,"sig":"nested, kept"}'
	echo
	echo '{"type":"usage","v":1}'
} >"$tmp/sp.nd"
$py "$tmp/respell.py" <"$tmp/sp.nd" >"$tmp/re.nd"
is "$(grep -c '", "' "$tmp/re.nd")" 23 "every record respelled"
for f in sp re; do
	for j in 1 3; do
		set +e
		terra-meter -j $j -p $P --reject "$tmp/$f.rej.$j" "$tmp/$f.nd" >"$tmp/$f.out.$j" 2>"$tmp/$f.err.$j"
		echo $? >"$tmp/$f.st.$j"
		set -e
	done
done
is "$(cat "$tmp/sp.st.1") $(cat "$tmp/re.st.1")" "1 1" "both spellings: exit 1"
norm() { sed -e 's/[a-z]*\.nd:/FILE:/' -e 's/column [0-9]*/column N/' "$1"; }
is "$(norm "$tmp/re.err.1")" "$(norm "$tmp/sp.err.1")" "both spellings: the same messages, line by line"
is "$(jq -c 'del(.usage_root, .sig)' "$tmp/re.out.1")" "$(jq -c 'del(.usage_root, .sig)' "$tmp/sp.out.1")" \
	"both spellings: the same meter records but for usage_root (and so sig)"
is "$(wc -l <"$tmp/re.rej.1")" "$(wc -l <"$tmp/sp.rej.1")" "both spellings: as many lines rejected"
ok "written form: -j 1 and -j 3 give the same records" cmp -s "$tmp/sp.out.1" "$tmp/sp.out.3"
ok "written form: -j 1 and -j 3 give the same messages" cmp -s "$tmp/sp.err.1" "$tmp/sp.err.3"
ok "written form: -j 1 and -j 3 reject the same lines" cmp -s "$tmp/sp.rej.1" "$tmp/sp.rej.3"
ok "respelled: -j 1 and -j 3 give the same records" cmp -s "$tmp/re.out.1" "$tmp/re.out.3"
e=$(cat "$tmp/sp.err.1")
is "$(grep -c 'sp.nd' "$tmp/sp.err.1")" 19 "written form: every bad line and the duplicate reported"
like "$e" "sp.nd:3: usage record: duplicate of an earlier record \(unit '$gpu' seq 1\), counted once" \
	"written form: duplicate"
like "$e" "sp.nd:4: usage record: bad signature$" "written form: bad signature"
like "$e" "sp.nd:5: usage record: field 'busy_us' must be an integer" "written form: a field of the wrong type"
like "$e" "sp.nd:7: malformed JSON at column [0-9]+: too big integer" "written form: a number beyond int64"
like "$e" "sp.nd:8: usage record: numbers must be integers" "written form: a real number"
like "$e" "sp.nd:9: usage record: unsupported version 2" "written form: another version"
like "$e" "sp.nd:10: usage record: unknown unit '$other'" "written form: unknown unit"
like "$e" "sp.nd:11: usage record: replayed seq 1 of unit '$gpu': another record was counted with it" \
	"written form: replayed seq"
like "$e" "sp.nd:12: usage record: overlapping busy time" "written form: overlap"
like "$e" "sp.nd:13: usage record: retired unit '$cpu'" "written form: retired unit"
like "$e" "sp.nd:14: usage record: bad share: nonce 5000 is outside" "written form: share outside the range"
like "$e" "sp.nd:15: usage record: bad share: share 1 is not an integer" "written form: a share that is a string"
like "$e" "sp.nd:16: usage record: evidence: missing field 'evidence'" "written form: no evidence"
like "$e" "sp.nd:17: usage record: impossible rate" "written form: impossible rate"
like "$e" "sp.nd:19: usage record: field 'seq' must be at least 1" "written form: seq 0"
like "$e" "sp.nd:20: usage record: bad times: start is not before end" "written form: bad times"
like "$e" "sp.nd:21: usage record: bad signature: signer is not unit '$gpu'" "written form: another unit's key"
like "$e" "sp.nd:22: usage record: field 'sig' must be 128 lowercase hex characters" "written form: uppercase sig"
like "$e" "sp.nd:25: usage record: missing field 'unit'" "written form: a bare usage record"
is "$(jq -r '"\(.unit) \(.records) \(.busy_us) \(.work)"' "$tmp/sp.out.1" | sort | tr '\n' ,)" \
	"$(printf '%s 1 1800000000 1\n%s 3 1800000000 6096\n' "$gpu2" "$gpu" | sort | tr '\n' ,)" \
	"written form: the good records counted, escapes, offsets and nesting included"
# A usage_root is over the lines as they were read, in either spelling.
$py "$tmp/root.py" "$tmp/re.nd" pick 0,1,5 >"$tmp/re.root"
is "$(jq -r "select(.unit == \"$gpu\") | .usage_root" "$tmp/re.out.1")" "$(cat "$tmp/re.root")" \
	"respelled: usage_root over the lines as read"
# What a signer in Python writes (json.dumps, its own separators), here with
# the keys reversed at every depth and "sig" last: the same verdicts,
# messages and sums as the written form, on one thread and on three, and
# usage_root over these lines as read.
cat >"$tmp/python.py" <<'EOF'
import json, sys
def rev(v):
    if isinstance(v, dict):
        return {k: rev(v[k]) for k in reversed(list(v))}
    return [rev(x) for x in v] if isinstance(v, list) else v
for line in sys.stdin:
    try:
        obj = rev(json.loads(line))
    except ValueError:
        print(line.rstrip("\n"))
        continue
    if "sig" in obj:
        obj["sig"] = obj.pop("sig")
    print(json.dumps(obj, separators=(", ", ": ")))
EOF
$py "$tmp/python.py" <"$tmp/sp.nd" >"$tmp/py.nd"
is "$(grep -c '"sig": "[0-9A-Fa-f]*"}$' "$tmp/py.nd")" "$(grep -c '"sig":"[0-9A-Fa-f]*"' "$tmp/sp.nd")" \
	"python spelling: sig last in every signed record"
for j in 1 3; do
	set +e
	terra-meter -j $j -p $P --reject "$tmp/py.rej.$j" "$tmp/py.nd" >"$tmp/py.out.$j" 2>"$tmp/py.err.$j"
	echo $? >"$tmp/py.st.$j"
	set -e
done
is "$(cat "$tmp/py.st.1") $(cat "$tmp/py.st.3")" "1 1" "python spelling: exit 1"
is "$(norm "$tmp/py.err.1")" "$(norm "$tmp/sp.err.1")" "python spelling: the same messages, line by line"
is "$(jq -c 'del(.usage_root, .sig)' "$tmp/py.out.1")" "$(jq -c 'del(.usage_root, .sig)' "$tmp/sp.out.1")" \
	"python spelling: the same meter records but for usage_root (and so sig)"
ok "python spelling: -j 1 and -j 3 give the same records" cmp -s "$tmp/py.out.1" "$tmp/py.out.3"
ok "python spelling: -j 1 and -j 3 give the same messages" cmp -s "$tmp/py.err.1" "$tmp/py.err.3"
$py "$tmp/root.py" "$tmp/py.nd" pick 0,1,5 >"$tmp/py.root"
is "$(jq -r "select(.unit == \"$gpu\") | .usage_root" "$tmp/py.out.1")" "$(cat "$tmp/py.root")" \
	"python spelling: usage_root over the lines as read, not their written form"
# The same record in both spellings: the second is a duplicate.
{
	sed -n 1p "$tmp/sp.nd"
	sed -n 1p "$tmp/re.nd"
} >"$tmp/both.nd"
terra-meter -p $P "$tmp/both.nd" >"$tmp/both.out" 2>"$tmp/both.err"
is "$(jq -r .records "$tmp/both.out")" 1 "one record in two spellings: counted once"
like "$(cat "$tmp/both.err")" "both.nd:2: usage record: duplicate" "one record in two spellings: a duplicate"
is "$(jq -r .usage_root "$tmp/both.out")" "$(sed -n 1p "$tmp/sp.nd" | $py -c '
import hashlib, sys
print(hashlib.sha256(b"\0" + sys.stdin.buffer.read().rstrip(b"\n")).hexdigest())')" \
	"one record in two spellings: usage_root over the first"

# ---- periods: exact splits -----------------------------------------------------
usage "$gpu" 1 start=2026-11-21T10:59:59Z end=2026-11-21T11:00:02Z busy_us=100 work=7 >"$tmp/x.nd"
out=$(terra-meter --from 2026-11-21T10:00:00Z --to 2026-11-21T12:00:00Z --every PT1H "$tmp/x.nd")
is "$(echo "$out" | jq -r '[.busy_us,.work] | join(" ")' | tr '\n' ,)" "33 2,67 5," \
	"a record across a boundary split pro rata, largest remainder"
is "$(echo "$out" | jq -r .records | tr '\n' ,)" "1,1," "the record counts in both periods"

cat >"$tmp/gen.py" <<'EOF'
import json, random, sys
seed, units = int(sys.argv[1]), sys.argv[2:]
rnd = random.Random(seed)
T0 = 1795255200 * 1000000  # 2026-11-21T10:00:00Z
def t(us):
    import datetime
    d = datetime.datetime.fromtimestamp(us // 1000000, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (us % 1000000)
for u in units:
    now, seq = T0 + rnd.randrange(0, 10**9), 0
    for i in range(70):
        seq += rnd.choice([1, 1, 1, 2])
        length = rnd.randrange(1, 4 * 3600 * 10**6 // 70 * 3)
        busy = rnd.randrange(0, length + 1)
        print(json.dumps({"unit": u, "seq": seq, "start": t(now), "end": t(now + length),
                          "busy_us": busy, "work": rnd.randrange(0, 10**12)}))
        now += length + rnd.choice([0, 0, rnd.randrange(1, 10**8)])
EOF
seed=${METER_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "# random seed $seed (METER_SEED=$seed to repeat)"
$py "$tmp/gen.py" "$seed" "$gpu" >"$tmp/spec.nd"
$py "$tmp/gen.py" "$((seed + 1))" "$gpu2" >"$tmp/spec2.nd"
{
	$py "$mk" -k "$(key "$gpu")" --stdin <"$tmp/spec.nd"
	$py "$mk" -k "$(key "$gpu2")" --stdin <"$tmp/spec2.nd"
} >"$tmp/rand.nd"
total_busy=$(jq -s 'map(.busy_us) | add' "$tmp/rand.nd")
total_work=$(jq -s 'map(.work) | add' "$tmp/rand.nd")
total_n=$(wc -l <"$tmp/rand.nd")
# Six random cuts (three under valgrind, where each costs seconds).
ncuts=6
[ -n "${TERRA_VALGRIND:-}" ] && ncuts=3
$py - "$seed" "$ncuts" >"$tmp/cuts" <<'EOF'
import random, sys
rnd = random.Random(int(sys.argv[1]))
for i in range(int(sys.argv[2])):
    print(rnd.choice([rnd.randrange(10**6, 4 * 3600 * 10**6), rnd.randrange(1, 10**7)]))
EOF
# At most 100,000 periods a cut (2,000 under valgrind, where each period's
# meter record costs ~100 times more: the property is the same).
maxn=100000
[ -n "${TERRA_VALGRIND:-}" ] && maxn=2000
while read -r every; do
	n=$(((20 * 3600 * 1000000 + every - 1) / every))
	while [ "$n" -gt "$maxn" ]; do
		every=$((every * 10))
		n=$(((20 * 3600 * 1000000 + every - 1) / every))
	done
	secs=$(printf 'PT%d.%06dS' $((every / 1000000)) $((every % 1000000)))
	to=$(date -u -d "@$((1795255200 - 3600 + n * every / 1000000))" +%Y-%m-%dT%H:%M:%S)
	frac=$(printf '%06d' $((n * every % 1000000)))
	got=$(terra-meter --from 2026-11-21T09:00:00Z --to "$to.${frac}Z" --every "$secs" "$tmp/rand.nd" |
		jq -s '[(map(.busy_us) | add), (map(.work) | add), (map(.records) | add) >= '"$total_n"'] | map(tostring) | join(" ")' -r)
	is "$got" "$total_busy $total_work true" "cut every $secs: busy_us and work conserved"
done <"$tmp/cuts"

# ---- determinism and threads -----------------------------------------------------
cat "$tmp/rand.nd" "$tmp/mixed.nd" "$tmp/dup.nd" >"$tmp/all.nd"
set +e
terra-meter --from 2026-11-21T09:00:00Z --to 2026-11-22T09:00:00Z --every PT1H "$tmp/all.nd" >"$tmp/a1" 2>"$tmp/e1"
terra-meter --from 2026-11-21T09:00:00Z --to 2026-11-22T09:00:00Z --every PT1H "$tmp/all.nd" >"$tmp/a2" 2>"$tmp/e2"
terra-meter -j 1 --from 2026-11-21T09:00:00Z --to 2026-11-22T09:00:00Z --every PT1H <"$tmp/all.nd" >"$tmp/a3" 2>/dev/null
terra-meter -j 4 --from 2026-11-21T09:00:00Z --to 2026-11-22T09:00:00Z --every PT1H <"$tmp/all.nd" >"$tmp/a4" 2>/dev/null
set -e
ok "some meter records" test "$(wc -l <"$tmp/a1")" -gt 10
ok "same input twice: identical output" cmp -s "$tmp/a1" "$tmp/a2"
ok "same messages twice" cmp -s "$tmp/e1" "$tmp/e2"
ok "-j 1 and -j 4: identical output" cmp -s "$tmp/a3" "$tmp/a4"
ok "file and stdin: identical output" cmp -s "$tmp/a1" "$tmp/a3"
is "$(jq -r 'select(.type == "meter") | "\(.start) \(.unit)"' "$tmp/a1" | sort -c && echo sorted)" "sorted" \
	"ordered by period, then unit"

# usage_root over many lines: an independent RFC 6962 computation
$py "$tmp/root.py" "$tmp/rand.nd" unit "$gpu" >"$tmp/root"
got=$(terra-meter --from 2026-11-21T09:00:00Z --to 2026-11-22T09:00:00Z "$tmp/rand.nd" | jq -r "select(.unit == \"$gpu\") | .usage_root")
is "$got" "$(cat "$tmp/root")" "usage_root matches an independent RFC 6962 root"

# ---- --price: charge = floor(price x weight / 3.6e15) -------------------------
terra-meter --from 2026-11-21T09:00:00Z --to 2026-11-22T09:00:00Z --every PT1H \
	--price 1.234567891 "$tmp/rand.nd" >"$tmp/priced"
bad=$($py - "$tmp/priced" <<'EOF'
import json, sys
bad = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    want = 1234567891 * r["weight"] // 3600000000000000
    if r["charge"] != "%d.%09d" % (want // 10**9, want % 10**9): bad += 1
print(bad)
EOF
)
is "$bad" 0 "--price: every charge equals an independent computation"
ok "--price: charges present" test "$(grep -c '"charge"' "$tmp/priced")" -gt 10

# ---- --units on a home that registered nothing --------------------------------
terra-register list -o json >"$tmp/units.nd"
H3=$tmp/home3
home_init -H "$H3"
# The meter runs after 11:00, when the retirement was signed: unit records
# dated more than five minutes ahead of it are refused.
export TERRA_NOW=2026-11-21T11:05:00Z
set +e
terra-meter -H "$H3" --units "$tmp/units.nd" --from 2026-11-21T09:00:00Z --to 2026-11-22T09:00:00Z \
	--every PT1H "$tmp/all.nd" >"$tmp/u1" 2>/dev/null
set -e
nosig() { jq -c 'del(.sig, .signer)' "$1"; }
is "$(nosig "$tmp/u1")" "$(nosig "$tmp/a1")" "--units: the same output as the registering home"
is "$(jq -r 'select(.type == "meter") | .signer' "$tmp/u1" | sort -u)" "$(cat "$H3/owner.pub")" \
	"--units: signed by the metering home's owner key"
fails 1 "no --units: the empty home knows no unit" terra-meter -H "$H3" -p $P "$tmp/one.nd" 2>/dev/null
jq -c "if .unit == \"$gpu\" then .score = 99999999999 else . end" "$tmp/units.nd" >"$tmp/forged.nd"
fails 1 "--units: a forged unit record is refused" to "$tmp/f.out" "$tmp/f.err" \
	terra-meter -H "$H3" --units "$tmp/forged.nd" -p $P "$tmp/one.nd"
like "$(cat "$tmp/f.err")" "forged.nd:[0-9]+: unit record: unit '$gpu': bad signature" "forged unit record: reason"
like "$(cat "$tmp/f.err")" "unknown unit '$gpu'" "forged unit record: its usage has no unit"
ok "no output for the store" test ! -e "$H3/units/$gpu.key"
# a transferred unit: the record signed by the previous owner, the new owner paid
# (at 11:00, not before the retirement: ledger times never go backwards)
TERRA_NOW=2026-11-21T11:00:00Z terra-register transfer "$gpu2" "$(cat "$H3/owner.pub")" >/dev/null 2>&1
terra-register history -o json >"$tmp/units2.nd"
ok "the transfer record names the previous owner" \
	test "$(jq -r "select(.unit == \"$gpu2\" and .transferred_from) | .transferred_from" "$tmp/units2.nd")" = "$(cat "$TERRA_HOME/owner.pub")"
usage "$gpu2" 1 start=2026-11-21T10:00:00Z end=2026-11-21T10:20:00Z >"$tmp/t.nd"
is "$(terra-meter -H "$H3" --units "$tmp/units2.nd" -p $P "$tmp/t.nd" | jq -r .owner)" \
	"$(cat "$TERRA_HOME/owner.pub")" "--units: usage before a transfer goes to the owner of its time"
usage "$gpu2" 2 start=2026-11-21T11:00:00Z end=2026-11-21T11:20:00Z >>"$tmp/t.nd"
is "$(terra-meter -H "$H3" --units "$tmp/units2.nd" -p 2026-11-21T11:00:00Z/PT1H "$tmp/t.nd" | jq -r .owner)" \
	"$(cat "$H3/owner.pub")" "--units: usage after it goes to the new owner"
# the old owner signs a "transfer" that names another key as transferred_from
$py - "$tmp/units2.nd" "$gpu2" "$TERRA_HOME/owner.key" "$top/tests/tools" >"$tmp/forged2.nd" <<'EOF'
import json, sys
sys.path.insert(0, sys.argv[4])
import terracanon
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["unit"] == sys.argv[2]:
        r["transferred_from"] = r["owner"]
        r = terracanon.sign(r, sys.argv[3])
    print(terracanon.dumps(r).decode())
EOF
fails 1 "--units: a transfer not signed by transferred_from is refused" \
	to /dev/null "$tmp/f2.err" terra-meter -H "$H3" --units "$tmp/forged2.nd" -p $P "$tmp/t.nd"
like "$(cat "$tmp/f2.err")" "forged2.nd:[0-9]+: unit record: unit '$gpu2': a transfer without the unit's earlier record" \
	"forged transfer: reason"

# ---- usage errors ---------------------------------------------------------------
is "$(terra-meter -o csv -p $P "$tmp/one.nd" | head -n 1)" \
	"period,unit,busy_us,utilization_ppm,score,weight,records,work,charge" "-o csv: a header line"
fails 2 "no period" terra-meter "$tmp/one.nd" 2>/dev/null
fails 2 "bad period" terra-meter -p yesterday "$tmp/one.nd" 2>/dev/null
fails 2 "--every not dividing the range" terra-meter -p 2026-11-21T10:00:00Z/PT1H --every PT7M "$tmp/one.nd" 2>/dev/null
fails 2 "unknown option" terra-meter --bogus 2>/dev/null
ok "-h" to /dev/null /dev/null terra-meter -h
done_testing
