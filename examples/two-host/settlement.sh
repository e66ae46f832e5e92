#!/bin/sh
# settlement.sh: on the settlement host, verify and settle the usage the
# providers shipped into the inbox (see provider.sh), one hour at a time.
#
# usage: settlement.sh [-H DIR] [-a OWNERS] [-p PERIOD] [-r REVENUE | -c PRICE]
#                      -k HOLDERS [-o DIR] INBOX
#
#   INBOX     the folder the providers ship to: one folder a provider,
#             INBOX/NAME/units.ndjson and INBOX/NAME/usage.ndjson, each
#             writable by that provider only (see provider.sh)
#   -a OWNERS accept only units of these owners: a file with one owner
#             public key (64 hex) a line, matched on each unit record's
#             owner field (terra-meter --owners); without it any owner's
#             signed unit records are accepted
#   -H, -p, -r, -c, -k, -o: as for settle-hourly.sh, which does the work
#
# The settlement home registers nothing: every usage line is checked
# against the providers' exported unit records (signature by the unit's
# key, the unit record's signature by its owner, seq, time, evidence), and
# the settlement is appended to this home's ledger. The unit records of
# each unit must form a chain (a transfer signed by the owner it is from,
# nothing after a retirement, nothing dated ahead): terra-meter -u.
#
# Exit status: 0 settled (or nothing to settle), 1 failure, 2 usage error.
set -eu
prog=${0##*/}
here=$(cd "$(dirname "$0")" && pwd)
[ -n "${TERRA_BIN:-}" ] && PATH=$TERRA_BIN:$PATH
usage() {
	echo "usage: $prog [-H DIR] [-a OWNERS] [-p PERIOD] [-r REVENUE | -c PRICE]" \
		"-k HOLDERS [-o DIR] INBOX" >&2
	exit 2
}
die() {
	echo "$prog: $*" >&2
	exit 1
}

owners=
set_args=
while getopts H:a:p:r:c:k:o:h opt; do
	case $opt in
	a) owners=$OPTARG ;;
	H | p | r | c | k | o) set_args="$set_args -$opt" && eval "arg_$opt=\$OPTARG" ;;
	h)
		sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0"
		exit 0
		;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
inbox=$1
[ -d "$inbox" ] || die "inbox '$inbox': no such folder"
[ -z "$owners" ] || [ -r "$owners" ] || die "owners file '$owners': cannot read it"

work=$(mktemp -d "${TMPDIR:-/tmp}/terra-settlement.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/units" "$work/usage"
for d in "$inbox"/*/; do
	name=$(basename "$d")
	[ -f "$d/units.ndjson" ] && ln -s "$d/units.ndjson" "$work/units/$name.ndjson"
	[ -f "$d/usage.ndjson" ] && ln -s "$d/usage.ndjson" "$work/usage/$name.ndjson"
done
[ -n "$(ls "$work/units")" ] || die "inbox '$inbox': no unit records: has a provider shipped yet?"

set -- -u "$work/units"
[ -n "$owners" ] && set -- "$@" -a "$owners"
for o in $set_args; do
	eval "set -- \"\$@\" $o \"\$arg_${o#-}\""
done
set -- "$@" "$work/usage"
# Beside it once installed (PREFIX/lib/terra), one folder up in the source tree.
hourly=$here/settle-hourly.sh
[ -f "$hourly" ] || hourly=$here/../settle-hourly.sh
sh "$hourly" "$@"
