#!/usr/bin/python3
"""Verifies signed Terra records with PyNaCl over terracanon's canonical
form: an Ed25519 implementation and a canonical form that share no code
with libterra.

usage: nacl_verify.py [-s SIGNER_HEX] [-r] [FILE...]   (no FILE or "-": stdin)

Prints "FILE:LINE: ok" or "FILE:LINE: bad (why)" for each signed record and
"FILE:LINE: unsigned" for a record without "sig" (bad with -r). Exits 1 if
any line is bad, 2 on a usage error, 0 otherwise.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import terracanon  # noqa: E402


def check(name, data, signer, require):
    bad = 0
    for n, line in enumerate(data.split(b"\n"), 1):
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line.strip():
            continue
        try:
            rec = terracanon.parse(line)
            if not isinstance(rec, dict):
                raise ValueError("not a JSON object")
        except ValueError as e:
            print("%s:%d: bad (malformed: %s)" % (name, n, e))
            bad += 1
            continue
        if "sig" not in rec:
            print("%s:%d: %s" % (name, n, "bad (unsigned)" if require else "unsigned"))
            bad += require
            continue
        try:
            good = terracanon.verify(rec, signer)
        except (ValueError, TypeError) as e:
            print("%s:%d: bad (%s)" % (name, n, e))
            bad += 1
            continue
        print("%s:%d: %s" % (name, n, "ok" if good else "bad (signature does not verify)"))
        bad += not good
    return bad


def main(argv):
    signer, require, files = None, 0, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "-s" and i + 1 < len(argv):
            signer = argv[i + 1]
            i += 1
        elif a == "-r":
            require = 1
        elif a == "-h":
            sys.stdout.write(__doc__)
            return 0
        elif a.startswith("-") and a != "-":
            sys.stderr.write(__doc__)
            return 2
        else:
            files.append(a)
        i += 1
    bad = 0
    for path in files or ["-"]:
        if path == "-":
            bad += check("<stdin>", sys.stdin.buffer.read(), signer, require)
        else:
            with open(path, "rb") as f:
                bad += check(path, f.read(), signer, require)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
