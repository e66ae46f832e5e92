#!/usr/bin/python3
"""signmeter.py: sign hand-made meter records with a home's owner key (tests, benches).

usage: signmeter.py KEY_FILE [FILE...]   (no FILE: standard input)

Each line is a meter record's fields; it is written back signed ("signer"
and "sig" over the canonical form, terracanon.py), as terra-meter signs its
meter records. A record with a weight but no score and busy_us gets
score = weight and busy_us = 1; one without "verified" and "rates" gets
rates {"sha256d": 1, "sgemm": 1, "kernel": 0} and as much verified sha256d
work as its weight, so that the weight follows from its fields
(terra-settle(1) checks weight = verified work by the rates); and
first_seq = last_seq = 1 unless given (the seqs it covers). Lines of other types
and blank lines are written unchanged. KEY_FILE: a home's owner.key.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import terracanon  # noqa: E402


def main(argv):
    if not argv:
        sys.exit("usage: signmeter.py KEY_FILE [FILE...]")
    key, files = argv[0], argv[1:] or ["-"]
    out = sys.stdout
    for f in files:
        src = sys.stdin if f == "-" else open(f)
        for line in src:
            s = line.strip()
            if not s:
                continue
            rec = json.loads(s)
            if rec.get("type") != "meter":
                out.write(s + "\n")
                continue
            rec.setdefault("v", 1)
            if "score" not in rec and "busy_us" not in rec and "weight" in rec:
                rec["score"], rec["busy_us"] = rec["weight"], 1
            if "verified" not in rec and "rates" not in rec:
                rec["rates"] = {"sha256d": 1, "sgemm": 1, "kernel": 0}
                rec["verified"] = {"sha256d": rec.get("weight", 0), "sgemm": 0, "kernel_us": 0}
            rec.setdefault("first_seq", 1)
            rec.setdefault("last_seq", rec["first_seq"])
            out.write(terracanon.dumps(terracanon.sign(rec, key)).decode() + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
