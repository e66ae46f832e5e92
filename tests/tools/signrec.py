#!/usr/bin/python3
"""signrec.py: sign each JSON record read on stdin with a terra secret key file.

usage: signrec.py KEY_FILE <records >signed

Any "sig" and "signer" are replaced; the output is canonical (terracanon.py).
For tests that forge records as an attacker with a key of their own would.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import terracanon  # noqa: E402

if len(sys.argv) != 2:
    sys.stderr.write(__doc__)
    sys.exit(2)
for line in sys.stdin:
    if line.strip():
        rec = terracanon.parse(line.rstrip("\n"))
        rec.pop("sig", None)
        rec.pop("signer", None)
        sys.stdout.buffer.write(terracanon.dumps(terracanon.sign(rec, sys.argv[1])) + b"\n")
