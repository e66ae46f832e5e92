#!/bin/sh
# The canonical record form and its signatures, checked against a second,
# independent implementation: tests/tools/terracanon.py (Python, written
# from the documented rules) with PyNaCl's Ed25519 (Debian python3-nacl).
. "$(dirname "$0")/setup"
build=${TERRA_BUILD:-$top/build/rel}
tools=$top/tests/tools
vectors=$fixtures/canonical/vectors.ndjson
record_t=$build/tests/unit/record.t
to() { # to FILE CMD...: runs CMD with its stdout in FILE
	_out=$1
	shift
	"$@" >"$_out"
}

if ! $py -c 'import nacl.signing' 2>/dev/null; then
	skip "canonical form cross-check" "python3-nacl is not installed"
	done_testing
	exit
fi

ok "python canonical form gives every vector's expected bytes" \
	to "$tmp/vec.out" $py "$tools/terracanon.py" --check-vectors "$vectors"

# libterra signs every vector as a record; PyNaCl verifies them.
TERRA_TOP=$top TERRA_CANON_OUT=$tmp/c-signed.ndjson TERRA_CANON_KEY=$tmp/k.key \
	"$record_t" >"$tmp/c.tap" 2>&1 || true
is "$(grep -c . "$tmp/c-signed.ndjson")" "$(grep -c . "$vectors")" \
	"libterra signed one record per vector"
ok "PyNaCl verifies every record signed by libterra" \
	to "$tmp/nv.out" $py "$tools/nacl_verify.py" -r "$tmp/c-signed.ndjson"
is "$(grep -c ': ok$' "$tmp/nv.out")" "$(grep -c . "$vectors")" "... each one ok"
ok "the lines libterra writes are byte for byte the python form (sig kept)" \
	to /dev/null $py "$tools/terracanon.py" --check-lines "$tmp/c-signed.ndjson"

# A changed record does not verify, and the line is named.
sed '3s/"type":"vector"/"type":"vectoR"/' "$tmp/c-signed.ndjson" >"$tmp/tampered.ndjson"
fails 1 "a changed record fails the python check" \
	to "$tmp/tv.out" $py "$tools/nacl_verify.py" "$tmp/tampered.ndjson"
like "$(grep -v ': ok$' "$tmp/tv.out")" "tampered.ndjson:3: bad" "... at its line only"
pk=$(sed 's/^terra-secret-key-v1 .\{64\}//' "$tmp/k.key")
ok "the signer can be required" \
	to /dev/null $py "$tools/nacl_verify.py" -s "$pk" "$tmp/c-signed.ndjson"
fails 1 "another signer is refused" \
	to /dev/null $py "$tools/nacl_verify.py" -s "$(printf '%064d' 0)" "$tmp/c-signed.ndjson"

# Python signs with the key file libterra saved; libterra verifies.
ok "python signs the vectors with a terra key file" \
	to "$tmp/py-signed.ndjson" $py "$tools/terracanon.py" --sign "$tmp/k.key" "$vectors"
TERRA_TOP=$top TERRA_CANON_VERIFY=$tmp/py-signed.ndjson "$record_t" >"$tmp/v.tap" 2>&1 || true
is "$(grep -c '^ok [0-9]* - verify ' "$tmp/v.tap")" "$(grep -c . "$vectors")" \
	"libterra verifies every record python signed"
is "$(grep -c '^not ok' "$tmp/v.tap")" 0 "... and the whole unit test passes"
ok "python and libterra signed the same bytes" cmp "$tmp/py-signed.ndjson" "$tmp/c-signed.ndjson"

# Random records (every escape class, astral and non-ASCII keys, int64
# limits, nesting), written loosely by python and signed over its canonical
# form: libterra verifies a signature only if its canonical bytes agree.
ok "python signs 300 random records" \
	to "$tmp/random.ndjson" $py "$tools/terracanon.py" --sign-random 300 1 "$tmp/k.key"
TERRA_TOP=$top TERRA_CANON_VERIFY=$tmp/random.ndjson "$record_t" >"$tmp/r.tap" 2>&1 || true
is "$(grep -c '^ok [0-9]* - verify ' "$tmp/r.tap")" 300 "libterra verifies all 300"
ok "PyNaCl verifies them too" to /dev/null $py "$tools/nacl_verify.py" -r "$tmp/random.ndjson"

done_testing
