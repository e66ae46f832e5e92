#!/usr/bin/python3
"""mkusage.py: write signed usage records with chosen fields (tests, demos).

usage: mkusage.py -k UNIT_KEY_FILE [-u UNIT] [FIELD=VALUE ...] [!FIELD=VALUE ...]
       mkusage.py -k UNIT_KEY_FILE [-u UNIT] --stdin   (one JSON object of fields a line)

FIELD=VALUE sets a field before signing, !FIELD=VALUE after it (a tampered
record); VALUE is read as JSON when it parses, else as a string; "-FIELD"
removes a field before signing. Defaults: workload sgemm, seq 1, start
2026-11-21T10:00:00.000000Z, end one hour later, busy_us = end - start,
work 1000. mine=BITS (sha256d) scans nonces [nonce_start, nonce_start + work)
of the header template and puts the shares under BITS into evidence.
Signing and the canonical form are terracanon.py's (beside this file), an
implementation of terra-records(5) independent of libterra. Needs
/usr/bin/python3 (python3-nacl).
"""
import datetime
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import terracanon  # noqa: E402

TEMPLATE = ("01000000" + "81cd02ab7e569e8bcd9317e2fe99f2de44d49ab2b8851ba4a308000000000000"
            + "e320b6c2fffc8d750423db8b1eb942ae710e951ed797f7affc8892b0f1fc122b"
            + "c7f5d74d" + "f2b9441a" + "00000000")


def parse_time(s):
    d = datetime.datetime.strptime(s.replace("Z", ""), "%Y-%m-%dT%H:%M:%S.%f" if "." in s
                                   else "%Y-%m-%dT%H:%M:%S")
    d = d.replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp()) * 1000000 + d.microsecond


def fmt_time(us):
    d = datetime.datetime.fromtimestamp(us // 1000000, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (us % 1000000)


def sha256d(tmpl, n):
    h = bytearray(tmpl)
    h[76:80] = (n & 0xffffffff).to_bytes(4, "little")
    ntime = (int.from_bytes(tmpl[68:72], "little") + (n >> 32)) & 0xffffffff
    h[68:72] = ntime.to_bytes(4, "little")
    return hashlib.sha256(hashlib.sha256(bytes(h)).digest()).digest()


def mine(rec, bits):
    ev = rec.setdefault("evidence", {})
    ev.setdefault("header", TEMPLATE)
    ev.setdefault("nonce_start", 0)
    ev["share_bits"] = bits
    tmpl = bytes.fromhex(ev["header"])
    start, limit = ev["nonce_start"], 1 << (256 - bits)
    ev["shares"] = [n for n in range(start, start + rec["work"])
                    if int.from_bytes(sha256d(tmpl, n), "little") < limit]


def value(v):
    try:
        return json.loads(v)
    except ValueError:
        return v


def make(key, unit, fields, after):
    rec = {"type": "usage", "v": 1, "unit": unit, "job": "job-1", "workload": "sgemm",
           "seq": 1, "start": "2026-11-21T10:00:00.000000Z", "work": 1000,
           "result": "00" * 32, "final": True}
    bits = None
    for k, v in fields:
        if k == "mine":
            bits = v
        elif k.startswith("-"):
            rec.pop(k[1:], None)
        else:
            rec[k] = v
    if "end" not in rec:
        rec["end"] = fmt_time(parse_time(rec["start"]) + 3600 * 1000000)
    if "busy_us" not in rec:
        rec["busy_us"] = parse_time(rec["end"]) - parse_time(rec["start"])
    if bits is not None:
        rec["workload"] = "sha256d"
        mine(rec, bits)
    rec = terracanon.sign(rec, key)
    for k, v in after:
        rec[k] = v
    return terracanon.dumps(rec).decode()


def main(argv):
    key, unit, fields, after, batch = None, None, [], [], False
    args = iter(argv)
    for a in args:
        if a == "-k":
            key = next(args)
        elif a == "-u":
            unit = next(args)
        elif a == "--stdin":
            batch = True
        elif a.startswith("!") and "=" in a:
            k, v = a[1:].split("=", 1)
            after.append((k, value(v)))
        elif "=" in a:
            k, v = a.split("=", 1)
            fields.append((k, value(v)))
        elif a.startswith("-") and len(a) > 1 and not a.startswith("--"):
            fields.append((a, None))
        else:
            sys.exit(__doc__)
    if key is None:
        sys.exit(__doc__)
    if batch:
        for line in sys.stdin:
            if line.strip():
                spec = json.loads(line)
                u = spec.pop("unit", unit)
                print(make(key, u, fields + list(spec.items()), after))
    else:
        print(make(key, unit, fields, after))


if __name__ == "__main__":
    main(sys.argv[1:])
