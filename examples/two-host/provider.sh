#!/bin/sh
# provider.sh: on a provider host, ship this home's signed usage and its
# unit records to the settlement host's inbox.
#
# usage: provider.sh [-H DIR] USAGE DEST
#
#   USAGE  the usage records terra-run wrote (terra-run ... >> USAGE)
#   DEST   this provider's own inbox folder on the settlement host
#          (INBOX/NAME, which only this provider may write): a folder both
#          hosts see (NFS, sshfs, a synced folder), or [USER@]HOST:FOLDER,
#          reached by ssh
#   -H DIR the provider home (default: $TERRA_HOME, then terra's default)
#
# It writes DEST/units.ndjson (`terra-register history -o json`: every
# version of the unit records, each signed by the owner key of its time)
# and DEST/usage.ndjson (the usage, each line signed by its unit's key). Each file is written under a
# temporary name and renamed, so the settlement host never reads half a
# file. Nothing secret leaves the host: no key file is read. $TERRA_SSH
# replaces ssh (for options, or a test).
#
# Exit status: 0 shipped, 1 failure, 2 usage error.
set -eu
prog=${0##*/}
[ -n "${TERRA_BIN:-}" ] && PATH=$TERRA_BIN:$PATH
usage() {
	echo "usage: $prog [-H DIR] USAGE DEST" >&2
	exit 2
}
die() {
	echo "$prog: $*" >&2
	exit 1
}

while getopts H:h opt; do
	case $opt in
	H) export TERRA_HOME="$OPTARG" ;;
	h)
		sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0"
		exit 0
		;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || usage
usage_file=$1
dest=$2
[ -f "$usage_file" ] || die "usage file '$usage_file': no such file"

work=$(mktemp -d "${TMPDIR:-/tmp}/terra-provider.XXXXXX")
trap 'rm -rf "$work"' EXIT
terra-register history -o json >"$work/units.ndjson" || die "terra-register history failed"
cp "$usage_file" "$work/usage.ndjson"
# terra-run may be writing a line right now: ship complete lines only.
last=$(tail -c 1 "$work/usage.ndjson" | od -An -c | tr -d ' ')
if [ -n "$last" ] && [ "$last" != '\n' ]; then
	sed '$d' "$work/usage.ndjson" >"$work/complete.ndjson"
	mv "$work/complete.ndjson" "$work/usage.ndjson"
fi

# put FILE KIND: into DEST/KIND.ndjson, atomically.
put() {
	case $dest in
	*:*)
		host=${dest%%:*}
		dir=${dest#*:}
		case $dir in *"'"*) die "'$dir': a folder name with a quote" ;; esac
		${TERRA_SSH:-ssh} "$host" "mkdir -p '$dir' && cat >'$dir/.$2.tmp' &&
			mv '$dir/.$2.tmp' '$dir/$2.ndjson'" <"$1" ||
			die "copy to '$dest/$2.ndjson' failed"
		;;
	*)
		mkdir -p "$dest" &&
			cp "$1" "$dest/.$2.tmp" &&
			mv "$dest/.$2.tmp" "$dest/$2.ndjson" ||
			die "copy to '$dest/$2.ndjson' failed"
		;;
	esac
}
# Units first: usage whose unit the settlement host does not know is rejected.
put "$work/units.ndjson" units
put "$work/usage.ndjson" usage
echo "$prog: shipped $(wc -l <"$work/units.ndjson") unit records and" \
	"$(wc -l <"$work/usage.ndjson") usage records to $dest" >&2
