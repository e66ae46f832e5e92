#!/bin/sh
# Installs the Debian packages that are missing, and only those. Silent when
# nothing is missing, so every make can run it.
#   sh mk/deps.sh build   what building and running need (make, install, demo)
#   sh mk/deps.sh test    that and what the tests, fuzz and bench need
#   sh mk/deps.sh bench   that and the peers only make bench runs
set -u
# Build: compiler, headers and pkg-config files; pocl-opencl-icd is the
# OpenCL device every machine has (the demo runs on it); libjs-chart.js is
# inlined into every terra-ledger report.
build="pkg-config gcc make libsodium-dev libsqlite3-dev libjansson-dev libcsv-dev
libhwloc-dev ocl-icd-opencl-dev opencl-headers libsmartcols-dev pocl-opencl-icd libjs-chart.js"
# Test: perl brings prove (the test runner); python3-nacl signs test records;
# mandoc lints the man pages; jq, sqlite3 and hledger read outputs and are
# bench peers; clang and libclang-rt-14-dev make fuzz; clinfo and hwloc show
# what the machine has when a probe test fails; golang-go and
# golang-golang-x-mod-dev build the Go verifier of tests/tlog.t; slurmctld,
# slurmd and munge are the Slurm cluster tests/slurm.t runs (its own
# daemons, config and ports; the packages' services are not used);
# prometheus (promtool and the server) and prometheus-node-exporter scrape
# the metrics of tests/metrics.t; chromium opens the report of tests/report.t;
# clang-format checks the layout of the C files (make lint-format).
test="perl python3 python3-nacl mandoc jq sqlite3 hledger valgrind clang libclang-rt-14-dev
clinfo hwloc golang-go golang-golang-x-mod-dev slurmctld slurmd munge prometheus
prometheus-node-exporter chromium clang-format"
# Bench only: libopenblas-dev is the CPU's own BLAS, the peer of terra's
# sgemm on the CPU device (bench/sgemm.sh); no test needs it.
bench="libopenblas-dev"
case ${1:-build} in
build) pkgs=$build ;;
test) pkgs="$build $test" ;;
bench) pkgs="$build $test $bench" ;;
*)
	echo "usage: sh mk/deps.sh [build|test|bench]" >&2
	exit 2
	;;
esac
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
