#!/usr/bin/python3
"""resign.py: re-sign a Terra ledger with another owner key, as an attacker
who can write the home (but not read owner.key) would.

usage: resign.py [--repin | --unpin] DB KEY_FILE

Every checkpoint of DB (terra.db) is signed again by the key in KEY_FILE:
origin "terra:<its public key>", same size and root. With --repin, entry 1's
prev is set to that public key first (the owner key pin), and with --unpin
to 64 zeros (a ledger begun before pins); then every leaf hash, prev hash,
root and frontier is recomputed: a rewrite of the whole ledger. The
triggers that refuse UPDATE are dropped for the rewrite and put back.
Written from terra-ledger(1) and terra-records(5), not from the C code.
"""
import hashlib
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import terracanon  # noqa: E402


def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_and_frontier(leaves):
    """RFC 6962 root, and the frontier: roots of the perfect subtrees, largest first."""
    stack = []  # (height, hash)
    for leaf in leaves:
        h, height = leaf, 0
        while stack and stack[-1][0] == height:
            h = node_hash(stack.pop()[1], h)
            height += 1
        stack.append((height, h))
    if not stack:
        return hashlib.sha256(b"").digest(), b""
    root = stack[-1][1]
    for _, h in reversed(stack[:-1]):
        root = node_hash(h, root)
    return root, b"".join(h for _, h in stack)


def entry_line(seq, kind, payload, prev, created_at):
    rec = {"created_at": created_at, "kind": kind, "payload": terracanon.parse(payload),
           "prev": prev.hex(), "seq": seq, "type": "entry", "v": 1}
    return terracanon.dumps(rec)


def main(argv):
    mode = None
    if argv and argv[0] in ("--repin", "--unpin"):
        mode = argv.pop(0)
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    db_path, key_file = argv
    _, pk = terracanon.load_secret(key_file)
    db = sqlite3.connect(db_path)
    triggers = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                          "tbl_name IN ('entries', 'checkpoints')").fetchall()
    for name, _ in triggers:
        db.execute("DROP TRIGGER %s" % name)
    rows = db.execute("SELECT seq, kind, payload, prev_hash, created_at FROM entries "
                      "ORDER BY seq").fetchall()
    leaves = []
    prev = None
    for seq, kind, payload, stored_prev, created_at in rows:
        if mode and seq == 1:
            prev = pk if mode == "--repin" else bytes(32)
        elif not mode:
            prev = stored_prev
        leaf = leaf_hash(entry_line(seq, kind, payload, prev, created_at))
        db.execute("UPDATE entries SET prev_hash = ?, leaf_hash = ? WHERE seq = ?",
                   (prev, leaf, seq))
        leaves.append(leaf)
        prev = leaf
    for (size,) in db.execute("SELECT size FROM checkpoints ORDER BY size").fetchall():
        root, frontier = root_and_frontier(leaves[:size])
        cp = {"type": "checkpoint", "v": 1, "origin": "terra:" + pk.hex(), "size": size,
              "root": root.hex()}
        cp = terracanon.sign(cp, key_file)
        db.execute("UPDATE checkpoints SET root = ?, signer = ?, sig = ?, body = ?, "
                   "frontier = ? WHERE size = ?",
                   (root, cp["signer"], cp["sig"], terracanon.dumps(cp).decode(), frontier,
                    size))
    for _, sql in triggers:
        db.execute(sql)
    db.commit()
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
