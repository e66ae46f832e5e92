#!/bin/sh
# settlement.sh: on the settlement host, verify and settle the usage the
# providers shipped into the inbox (see provider.sh), one hour at a time.
#
# usage: settlement.sh [-H DIR] [-a OWNERS] [-p PERIOD] [-r REVENUE | -c PRICE]
#                      -k HOLDERS [-o DIR] INBOX
#
#   INBOX     the folder the providers ship to: INBOX/units/*.ndjson and
#             INBOX/usage/*.ndjson
#   -a OWNERS accept only units of these owners: a file with one owner
#             public key (64 hex) a line; without it any owner's signed
#             unit records are accepted
#   -H, -p, -r, -c, -k, -o: as for settle-hourly.sh, which does the work
#
# The settlement home registers nothing: every usage line is checked
# against the providers' exported unit records (signature by the unit's
# key, the unit record's signature by its owner, seq, time, evidence), and
# the settlement is appended to this home's ledger.
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
[ -d "$inbox/units" ] || die "inbox '$inbox': no units folder: has a provider shipped yet?"
[ -d "$inbox/usage" ] || die "inbox '$inbox': no usage folder: has a provider shipped yet?"

work=$(mktemp -d "${TMPDIR:-/tmp}/terra-settlement.XXXXXX")
trap 'rm -rf "$work"' EXIT
cat "$inbox"/units/*.ndjson >"$work/units.ndjson" 2>/dev/null || :
if [ -n "$owners" ]; then
	[ -r "$owners" ] || die "owners file '$owners': cannot read it"
	sed -n 's/^\([0-9a-f]\{64\}\)$/"owner":"\1"/p' "$owners" >"$work/owners.pat"
	grep -F -f "$work/owners.pat" "$work/units.ndjson" >"$work/allowed.ndjson" || :
	mv "$work/allowed.ndjson" "$work/units.ndjson"
fi
if [ ! -s "$work/units.ndjson" ]; then
	[ -n "$owners" ] && die "inbox '$inbox': no unit records of the owners in '$owners'"
	die "inbox '$inbox': no unit records"
fi

set -- -u "$work/units.ndjson"
for o in $set_args; do
	eval "set -- \"\$@\" $o \"\$arg_${o#-}\""
done
set -- "$@" "$inbox/usage"
sh "$here/../settle-hourly.sh" "$@"
