#!/usr/bin/python3
"""An independent implementation of Terra's canonical record form and its
Ed25519 signatures (terra-records(5), lib/record.h), written from the documented
rules and not from the C code, for cross-checking libterra.

Canonical form: the record without its top-level "sig", object keys sorted
bytewise (by their UTF-8 bytes) at every depth, no whitespace, strings
escaped as RFC 8785 does ('"', '\\' and U+0000..U+001F only; \\b \\t \\n \\f \\r
short forms, other controls \\u00xx in lowercase hex; everything else raw
UTF-8), integers only (int64), true/false/null. sig = Ed25519 over those
bytes, signer = the public key; both lowercase hex.

Library:  canonical(obj) -> bytes, dumps(obj) -> bytes (same, "sig" kept),
          parse(line) -> dict, sign(obj, secret_key_file) -> obj, verify(obj) -> bool
Command:  terracanon.py --check-vectors FILE   every vector's "out" == canonical("in")
          terracanon.py --check-lines FILE...  every line is already in written form
          terracanon.py --sign KEYFILE FILE    vector inputs as signed "vector" records
          terracanon.py --sign-random N SEED KEYFILE   N random signed records
Needs Debian's python3-nacl (PyNaCl), so run it with /usr/bin/python3.
"""
import json
import random
import sys

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
DEPTH_MAX = 32
SK_MAGIC = "terra-secret-key-v1 "
_SHORT = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}


def _string(s):
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif c in _SHORT:
            out.append(_SHORT[c])
        elif c < 0x20:
            out.append("\\u%04x" % c)
        else:
            out.append(ch)
    out.append('"')
    # A lone surrogate cannot be UTF-8: encode() raises, as it should.
    return "".join(out).encode("utf-8")


def _value(v, depth, drop_sig):
    if depth > DEPTH_MAX:
        raise ValueError("nested deeper than %d levels" % DEPTH_MAX)
    if v is True:
        return b"true"
    if v is False:
        return b"false"
    if v is None:
        return b"null"
    if isinstance(v, int):
        if not INT64_MIN <= v <= INT64_MAX:
            raise ValueError("integer out of int64 range")
        return str(v).encode("ascii")
    if isinstance(v, float):
        raise ValueError("numbers must be integers")
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, (list, tuple)):
        return b"[" + b",".join(_value(x, depth + 1, False) for x in v) + b"]"
    if isinstance(v, dict):
        keys = [k for k in v if not (drop_sig and k == "sig")]
        keys.sort(key=lambda k: k.encode("utf-8"))
        return (b"{" + b",".join(_string(k) + b":" + _value(v[k], depth + 1, False)
                                 for k in keys) + b"}")
    raise TypeError("not a JSON value: %r" % (v,))


def canonical(obj):
    """The canonical bytes of a record (a dict), without its "sig"."""
    if not isinstance(obj, dict):
        raise ValueError("record: not a JSON object")
    return _value(obj, 1, True)


def dumps(obj):
    """A record as terra writes it: canonical order, "sig" kept."""
    if not isinstance(obj, dict):
        raise ValueError("record: not a JSON object")
    return _value(obj, 1, False)


def _no_dups(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError("duplicate object key %r" % k)
        d[k] = v
    return d


def _no_float(s):
    raise ValueError("numbers must be integers: %s" % s)


def parse(line):
    """Parses one record line (bytes or str) strictly: no duplicate keys, no reals."""
    if isinstance(line, bytes):
        line = line.decode("utf-8")
    return json.loads(line, object_pairs_hook=_no_dups, parse_float=_no_float,
                      parse_constant=_no_float)


def _lower_hex(s, n):
    return (isinstance(s, str) and len(s) == 2 * n
            and all(c in "0123456789abcdef" for c in s))


def load_secret(path):
    """Reads a terra secret key file: returns (seed, public key) bytes."""
    with open(path, "r", encoding="ascii") as f:
        text = f.read()
    if text.endswith("\n"):
        text = text[:-1]
    if not text.startswith(SK_MAGIC) or not _lower_hex(text[len(SK_MAGIC):].lower(), 64):
        raise ValueError("%s: not a terra secret key file" % path)
    sk = bytes.fromhex(text[len(SK_MAGIC):])
    return sk[:32], sk[32:]


def sign(obj, secret_key_file):
    """Returns a copy of obj with "signer" and "sig" set by the key in the file."""
    import nacl.signing
    seed, pk = load_secret(secret_key_file)
    key = nacl.signing.SigningKey(seed)
    if bytes(key.verify_key) != pk:
        raise ValueError("%s: public half does not match the seed" % secret_key_file)
    out = dict(obj)
    out["signer"] = pk.hex()
    out.pop("sig", None)
    out["sig"] = key.sign(canonical(out)).signature.hex()
    return out


def verify(obj, expected_signer=None):
    """True when obj carries a valid "sig" by its "signer" (and that is expected_signer)."""
    import nacl.exceptions
    import nacl.signing
    signer, sig = obj.get("signer"), obj.get("sig")
    if not _lower_hex(signer, 32) or not _lower_hex(sig, 64):
        return False
    if expected_signer is not None and signer != expected_signer.lower():
        return False
    try:
        nacl.signing.VerifyKey(bytes.fromhex(signer)).verify(canonical(obj), bytes.fromhex(sig))
    except (nacl.exceptions.BadSignatureError, ValueError):
        return False
    return True


_ALPHABET = ["a", "b", "z", "A", "_", "0", " ", "/", '"', "\\", "\x00", "\x01", "\x08", "\t",
             "\n", "\x0b", "\x0c", "\r", "\x1f", "\x7f", "\x80", "\u00e9", "\u4e2d", "\u2028",
             "\uff21", "\U0001f600", "\U0010ffff"]


def _random_string(rng, key=False):
    # jansson cannot hold U+0000 in a key (libterra's reader refuses it anywhere)
    letters = [c for c in _ALPHABET if c != "\x00"] if key else _ALPHABET
    return "".join(rng.choice(letters) for _ in range(rng.randrange(0, 6)))


def _random_value(rng, depth):
    """A random JSON value; depth 1 is always an object (a record)."""
    kind = "object" if depth == 1 else rng.choice(
        ["int", "int", "str", "str", "bool", "null", "array", "object"] if depth < 6 else
        ["int", "str", "bool", "null"])
    if kind == "int":
        return rng.choice([0, -1, 1, INT64_MIN, INT64_MAX, rng.randrange(INT64_MIN, INT64_MAX)])
    if kind == "str":
        return _random_string(rng)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "array":
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    return {_random_string(rng, True): _random_value(rng, depth + 1)
            for _ in range(rng.randrange(0, 5))}


def _lines(path):
    with open(path, "rb") as f:
        for n, line in enumerate(f.read().split(b"\n"), 1):
            line = line[:-1] if line.endswith(b"\r") else line
            if line.strip():
                yield n, line


def _main(argv):
    if len(argv) >= 2 and argv[0] == "--check-vectors":
        bad = 0
        for n, line in _lines(argv[1]):
            vec = parse(line)
            got = canonical(parse(vec["in"]))
            want = vec["out"].encode("utf-8")
            ok = got == want
            bad += not ok
            print("%s:%d: %s %s" % (argv[1], n, "ok" if ok else "bad", vec["name"]))
            if not ok:
                print("  got  %r\n  want %r" % (got, want))
        return 1 if bad else 0
    if len(argv) >= 2 and argv[0] == "--check-lines":
        bad = 0
        for path in argv[1:]:
            for n, line in _lines(path):
                ok = dumps(parse(line)) == line
                bad += not ok
                print("%s:%d: %s" % (path, n, "ok" if ok else "bad (not in canonical form)"))
        return 1 if bad else 0
    if len(argv) == 4 and argv[0] == "--sign-random":
        rng = random.Random(int(argv[2]))
        for i in range(int(argv[1])):
            rec = _random_value(rng, 1)
            rec.update({"type": "random", "v": 1, "i": i})
            rec = sign(rec, argv[3])
            # Written loosely (spaces, \u escapes or not): only the parsed
            # record counts, and the reader on the other side must agree.
            seps = rng.choice([(",", ":"), (", ", ": "), (" ,", " : ")])
            text = json.dumps(rec, ensure_ascii=rng.random() < 0.5, separators=seps)
            sys.stdout.buffer.write(text.encode("utf-8") + b"\n")
        return 0
    if len(argv) == 3 and argv[0] == "--sign":
        for _, line in _lines(argv[2]):
            vec = parse(line)
            rec = {"type": "vector", "v": 1, "name": vec["name"], "data": parse(vec["in"])}
            sys.stdout.buffer.write(dumps(sign(rec, argv[1])) + b"\n")
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
