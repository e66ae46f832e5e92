#!/bin/sh
# collect.sh: on the settlement host, gather a Slurm cluster's spools
# (terra-array.sbatch) and its job records into the inbox settle-hourly.sh
# reads. Run it hourly, before settle-hourly.sh (crontab beside this file).
#
# usage: collect.sh [-c CLUSTER] [-j JOBS] INBOX SPOOL...
#
#   INBOX      the settlement inbox: it writes INBOX/usage/CLUSTER-NODE.ndjson
#              (every usage record of the node), INBOX/units/CLUSTER-NODE.ndjson
#              (its unit records) and INBOX/slurm/CLUSTER.txt (Slurm's records)
#   SPOOL      a spool folder with one folder per node (a shared folder), or
#              [USER@]HOST:FOLDER fetched with rsync over ssh (a node-local
#              spool: one operand per node); several are merged
#   -c NAME    the cluster's name in the inbox (default: the host name)
#   -j JOBS    Slurm's job records: a jobcomp/filetxt log (JobCompLoc),
#              local or [USER@]HOST:FILE; without it
#              `sacct --parsable2 --allocations` over the last two days
#              (needs slurmdbd), -o JobIDRaw,Cluster,NodeList,Start,End,State
#
# Each file is written under a temporary name and renamed, so settle-hourly.sh
# never reads half of one. The spools are only read: a node keeps appending.
# $TERRA_SSH replaces ssh for rsync (options, or a test).
#
# Exit status: 0 collected, 1 failure, 2 usage error.
set -eu
prog=${0##*/}
usage() {
	echo "usage: $prog [-c CLUSTER] [-j JOBS] INBOX SPOOL..." >&2
	exit 2
}
die() {
	echo "$prog: $*" >&2
	exit 1
}

cluster=$(uname -n) jobs=''
while getopts c:j:h opt; do
	case $opt in
	c) cluster=$OPTARG ;;
	j) jobs=$OPTARG ;;
	h)
		sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0"
		exit 0
		;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || usage
inbox=$1
shift
case $cluster in */* | .* | '') die "-c '$cluster': not a name" ;; esac
mkdir -p "$inbox/usage" "$inbox/units" "$inbox/slurm" "$inbox/spool/$cluster"
mirror=$inbox/spool/$cluster

# fetch SRC DEST: a local path copied, HOST:PATH through rsync over ssh.
fetch() {
	case $1 in
	/* | ./* | ../*) cp -R "$1" "$2" ;;
	*:*) rsync -a -e "${TERRA_SSH:-ssh}" "$1" "$2" ;;
	*) cp -R "$1" "$2" ;;
	esac
}
for s in "$@"; do
	fetch "${s%/}/." "$mirror/" || die "spool '$s': could not be read"
done

# put NAME: the temporary file NAME.tmp becomes NAME.
put() { mv "$1.tmp" "$1"; }
for d in "$mirror"/*/; do
	[ -d "$d" ] || continue
	node=$(basename "$d")
	found=0
	for f in "$d"usage-*.ndjson; do
		[ -f "$f" ] && cat "$f" && found=1
	done >"$inbox/usage/$cluster-$node.ndjson.tmp"
	put "$inbox/usage/$cluster-$node.ndjson"
	[ "$found" = 1 ] || rm -f "$inbox/usage/$cluster-$node.ndjson"
	if [ -f "$d/units.ndjson" ]; then
		cp "$d/units.ndjson" "$inbox/units/$cluster-$node.ndjson.tmp"
		put "$inbox/units/$cluster-$node.ndjson"
	fi
done

out=$inbox/slurm/$cluster.txt
if [ -n "$jobs" ]; then
	fetch "$jobs" "$out.tmp" || die "-j '$jobs': could not be read"
else
	sacct --parsable2 --allocations --starttime now-2days \
		-o JobIDRaw,Cluster,NodeList,Start,End,State >"$out.tmp" ||
		die "sacct failed: give Slurm's job completion log with -j"
fi
put "$out"
