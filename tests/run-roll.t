#!/bin/sh
# terra-run sha256d past 2^40 nonces: the toolkit's header rolls (a new roll,
# bound to unit, job and roll, nonces from 0 again), each roll in its own
# usage records, and terra-meter verifies every one. A job's own header ends
# the job at 2^40 instead. The real OpenCL kernel, on whatever device PoCL
# gives; the run starts near the limit (--nonce-start) rather than hashing
# 2^40 nonces.
. "$(dirname "$0")/setup"

home_init
terra-probe --bench none --mem-test 1 >"$tmp/devices.ndjson" 2>/dev/null || true
terra-register <"$tmp/devices.ndjson" >"$tmp/units.ndjson" 2>/dev/null || true
unit=$(jq -r 'select(.type == "unit") | .unit' "$tmp/units.ndjson" | head -n 1)
if [ -z "$unit" ]; then
	skip "sha256d rolls" "no OpenCL device registered"
	done_testing
	exit
fi
limit=1099511627776 # 2^40

# 2^20 nonces before the limit, 2^21 in all: across it.
fails 0 "a run from 2^20 nonces before 2^40 runs its 2^21 nonces" \
	sh -c "terra-run -w sha256d -u $unit --job roll-job --nonce-start $((limit - 1048576)) \
		--work 2097152 --share-bits 10 >'$tmp/u.nd' 2>/dev/null"
is "$(jq -s 'map(.work) | add' "$tmp/u.nd")" 2097152 "all 2^21 nonces are in the records"
is "$(jq -r '.evidence.roll' "$tmp/u.nd" | uniq | tr '\n' ' ')" "0 1 " \
	"roll 0, then roll 1: each roll in its own records"
is "$(jq -s -r 'map(select(.evidence.roll == 0)) | last | .evidence.nonce_start + .work' "$tmp/u.nd")" \
	$limit "roll 0 ends at 2^40"
is "$(jq -s -r 'map(select(.evidence.roll == 1)) | first | .evidence.nonce_start' "$tmp/u.nd")" 0 \
	"roll 1 starts at nonce 0"
# Each record's header is the toolkit's for its unit, job and roll (lib/pow.h),
# timed no later than its start; its shares rehash, inside its range.
cat >"$tmp/check.py" <<'EOF'
import hashlib, json, sys, datetime
def sha(b): return hashlib.sha256(b).digest()
seen = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    ev = r["evidence"]
    h = bytes.fromhex(ev["header"])
    root = sha(b"terra-sha256d-v2\0" + r["unit"].encode() + b"\0" + r["job"].encode() + b"\0"
               + ev["roll"].to_bytes(8, "little"))
    assert h[0:4] == b"tra2" and h[4:36] == bytes(32), "not the toolkit's header"
    assert h[36:68] == root, "merkle root not bound to unit, job and roll"
    ntime = int.from_bytes(h[68:72], "little")
    start = datetime.datetime.strptime(r["start"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    assert ntime <= start + 1, "header time after the record's start"
    seen.setdefault(ev["roll"], set()).add(ev["header"])
    for n in ev["shares"]:
        assert ev["nonce_start"] <= n < ev["nonce_start"] + r["work"], "share outside"
        hd = bytearray(h)
        hd[76:80] = (n & 0xffffffff).to_bytes(4, "little")
        hd[68:72] = ((ntime + (n >> 32)) & 0xffffffff).to_bytes(4, "little")
        v = int.from_bytes(sha(sha(bytes(hd))), "little")
        assert v < 1 << (256 - ev["share_bits"]), "share misses the target"
assert all(len(v) == 1 for v in seen.values()), "one header per roll"
assert len(set.union(*seen.values())) == len(seen), "each roll its own header"
EOF
ok "each record's header is bound to its unit, job and roll; its shares rehash" \
	$py "$tmp/check.py" "$tmp/u.nd"
fails 0 "terra-meter verifies every record across the roll" \
	sh -c "terra-meter -p 2026-11-21T10:00:00Z/PT1H '$tmp/u.nd' >'$tmp/m.nd' 2>'$tmp/m.err'"
is "$(jq .records "$tmp/m.nd")" "$(wc -l <"$tmp/u.nd" | tr -d ' ')" "every record counted"
is "$(jq .verified.sha256d "$tmp/m.nd")" \
	"$(jq -s 'map(.evidence.shares | length) | add * 1024' "$tmp/u.nd")" \
	"verified: the shares x 2^10 of both rolls"
is "$(jq '.evidence | length' "$tmp/m.nd")" 2 "the meter record names the nonces of both headers"

# A job's own header does not roll: the job ends with its 2^40 nonces.
hdr=$(jq -r '.headers[0].header' "$fixtures/bitcoin-headers.json" | cut -c1-152)00000000
fails 0 "a job's own header: the run ends at 2^40" \
	sh -c "terra-run -w sha256d -u $unit --header $hdr --nonce-start $((limit - 4096)) \
		--work 8192 --share-bits 8 >'$tmp/j.nd' 2>/dev/null"
is "$(jq -s -c '[(map(.work) | add), (map(.evidence.roll) | unique)]' "$tmp/j.nd")" "[4096,[0]]" \
	"only the 4096 nonces below 2^40, never rolled"

done_testing
