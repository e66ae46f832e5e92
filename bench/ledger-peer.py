#!/usr/bin/python3
"""The peer of bench/ledger.sh: verifies a terra-ledger ndjson export with
Python's hashlib and PyNaCl, sharing no code with libterra. For every entry
line: SHA-256(0x00 || line) as the leaf, prev equal to the last leaf (for
entry 1 the owner key, its pin, or 64 zeros in a ledger begun before pins), the
RFC 6962 root by a frontier of perfect subtrees; for every checkpoint line:
the Ed25519 signature over the line without "sig" (keys stay sorted) and the
root. Settlement inputs are not recomputed (the bench ledger has none).

usage: ledger-peer.py PUBKEY_HEX < export.ndjson; prints the entry count."""
import hashlib
import json
import sys

import nacl.signing


def node(a, b):
    return hashlib.sha256(b"\x01" + a + b).digest()


def main():
    vk = nacl.signing.VerifyKey(bytes.fromhex(sys.argv[1]))
    stack, n, prev = [], 0, None
    for line in sys.stdin.buffer:
        line = line.rstrip(b"\n")
        rec = json.loads(line)
        if rec["type"] == "entry":
            if n == 0 and bytes.fromhex(rec["prev"]) in (bytes(vk), bytes(32)):
                prev = bytes.fromhex(rec["prev"])
            if rec["seq"] != n + 1 or bytes.fromhex(rec["prev"]) != prev:
                sys.exit("entry %d: bad chain" % rec["seq"])
            leaf = hashlib.sha256(b"\x00" + line).digest()
            h, i = leaf, n
            while i & 1:
                h = node(stack.pop(), h)
                i >>= 1
            stack.append(h)
            n, prev = n + 1, leaf
        elif rec["type"] == "checkpoint":
            sig = bytes.fromhex(rec.pop("sig"))
            msg = json.dumps(rec, sort_keys=True, separators=(",", ":")).encode()
            vk.verify(msg, sig)
            root = stack[-1]
            for h in reversed(stack[:-1]):
                root = node(h, root)
            if rec["size"] != n or bytes.fromhex(rec["root"]) != root:
                sys.exit("checkpoint %d: bad root" % rec["size"])
    print(n)


main()
