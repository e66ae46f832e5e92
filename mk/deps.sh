#!/bin/sh
# Installs the Debian packages the build and the tests need, and only those
# that are missing. Silent when nothing is missing, so every make can run it.
set -u
# perl brings prove (the test runner); clang and libclang-rt-14-dev make fuzz;
# golang-go and golang-golang-x-mod-dev build the Go verifier of tests/tlog.t.
pkgs="pkg-config gcc make libsodium-dev libsqlite3-dev libjansson-dev libcsv-dev
libhwloc-dev ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo hwloc
perl python3 python3-nacl mandoc jq sqlite3 hledger valgrind clang libclang-rt-14-dev
golang-go golang-golang-x-mod-dev"
[ "${TERRA_NO_DEPS:-}" = 1 ] && exit 0
command -v dpkg-query >/dev/null 2>&1 || exit 0
missing=
for p in $pkgs; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case $s in *" installed") ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
echo "terra: installing missing Debian packages:$missing" >&2
if [ "$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2 || exit 1
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >&2 || {
	echo "terra: apt-get install failed for:$missing" >&2
	exit 1
}
