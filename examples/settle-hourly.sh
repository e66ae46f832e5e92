#!/bin/sh
# settle-hourly.sh: meter the last full hour of signed usage, settle it, and
# verify the ledger. Cron (examples/crontab) and systemd
# (examples/systemd/terra-settle.timer) run it a few minutes past each hour.
#
# usage: settle-hourly.sh [-H DIR] [-u UNITS [-a OWNERS]] [-r REVENUE | -c PRICE] -k HOLDERS
#                         [-p PERIOD] [-o DIR] [-S SLURM] [-L LATE] USAGE...
#
#   USAGE     usage record files, or folders whose *.ndjson files are read
#             (a spool that providers copy their usage into)
#   -H DIR    the settlement home (default: $TERRA_HOME, then terra's default)
#   -u UNITS  unit records exported by the providers (`terra-register
#             history -o json`), a file or a folder of *.ndjson files;
#             without it the units registered in the home count
#   -a OWNERS with -u: only units owned by a key of OWNERS (terra-meter
#             --owners: one 64-hex owner key a line)
#   -r AMOUNT the revenue of each hour, in TERRA; or
#   -c PRICE  charge renters PRICE per TFLOP-hour and settle the charges
#   -k FILE   holders snapshot (CSV: account,balance)
#   -p PERIOD the hour to settle (default: the last full hour before now,
#             where now is $TERRA_NOW if set, else the clock)
#   -S SLURM  check usage that claims a Slurm job against Slurm's records
#             (terra-meter --slurm): a file, or a folder of *.txt files
#             (examples/slurm/collect.sh writes one per cluster)
#   -o DIR    keep meter-HOUR.ndjson, payouts-HOUR.ndjson and any
#             rejected-HOUR.ndjson there; without it payouts go to stdout
#   -L LATE   a folder of late usage: LATE/OLD/*.ndjson, OLD an hour already
#             settled, named as the files of -o name it (2026-11-21T100000Z)
#
# Running it again for an hour already settled changes nothing: terra-settle
# settles a period exactly once and answers a repeat with the same inputs
# with the same payouts. If usage for the hour changed, the repeat fails and
# changes nothing: a file that comes after its hour was settled is late.
# Keep it out of the spool and put it in LATE/OLD/ (-L), OLD the hour its
# usage belongs to: the next hour settled pays it (terra-settle --adjust
# OLD: metered for OLD, paid from this hour's pool, recorded in its entry),
# and the files move to LATE/OLD/paid-in-HOUR/, its meter records to
# LATE/OLD/paid-in-HOUR/meter/late.ndjson (a repeat uses them). One hour of late usage is
# paid per hour settled, the oldest first. Late usage whose seqs were paid
# for OLD already (the same file again, or one mixing paid records) is
# refused whole: its files move to LATE/OLD/refused-in-HOUR/ with the reason
# in reason.txt, the hour is settled without it, and the script exits 1.
# Usage older than 7 days is not paid late (terra-settle(1), Paid evidence).
#
# A usage line that does not verify (bad signature, unknown unit, replayed
# seq, a meter or payout line that only a trusted stage may write) is
# quarantined: it is kept in rejected-HOUR.ndjson, with the reasons in
# rejected-HOUR.txt, it is not paid, and the rest of the hour (every other
# line, of every provider) is settled. The script then exits 1 so cron
# mails it and systemd marks the unit failed. A quarantined line is not
# paid later: check the reasons before the hour is settled if in doubt.
#
# A database locked by another terra command (exit 75, EX_TEMPFAIL) is
# retried: TERRA_RETRIES more times (default 3), TERRA_RETRY_DELAY seconds
# apart (default 60); still locked, the script exits 75 and the next run
# settles the hour. A verification that fails (exit 3: a tampered ledger or
# input) is an alert: the message says ALERT, TERRA_ALERT (a command, given
# the message as its argument) is run if set, and the script exits 3.
#
# Exit status: 0 settled (or nothing to settle), 1 failure, 2 usage error,
# 3 a verification failed (alert), 75 the database stayed locked (retry later).
set -eu
prog=${0##*/}
[ -n "${TERRA_BIN:-}" ] && PATH=$TERRA_BIN:$PATH
usage() {
	echo "usage: $prog [-H DIR] [-u UNITS [-a OWNERS]] [-r REVENUE | -c PRICE] -k HOLDERS" \
		"[-p PERIOD] [-o DIR] [-S SLURM] [-L LATE] USAGE..." >&2
	exit 2
}
die() {
	echo "$prog: $*" >&2
	exit 1
}
alert() {
	echo "$prog: ALERT: $*" >&2
	[ -z "${TERRA_ALERT:-}" ] || "$TERRA_ALERT" "$prog: $*" || true
	exit 3
}
# try OUT CMD...: runs CMD with stdout to OUT, again while it exits 75
# (a locked database); returns its last status.
try() {
	_out=$1
	shift
	_left=${TERRA_RETRIES:-3}
	while :; do
		_st=0
		"$@" >"$_out" || _st=$?
		[ "$_st" = 75 ] && [ "$_left" -gt 0 ] || return "$_st"
		echo "$prog: $1: database locked, trying again in ${TERRA_RETRY_DELAY:-60}s" >&2
		sleep "${TERRA_RETRY_DELAY:-60}"
		_left=$((_left - 1))
	done
}
# failed STEP STATUS: exits as the status of STEP says.
failed() {
	case $2 in
	3) alert "$period: $1: a verification failed: nothing settled" ;;
	75)
		echo "$prog: $period: $1: the database stayed locked: try again later" >&2
		exit 75
		;;
	esac
}

home='' units='' owners='' revenue='' price='' holders='' period='' outdir='' slurm='' late=''
while getopts H:u:a:r:c:k:p:o:S:L:h opt; do
	case $opt in
	H) home=$OPTARG ;;
	u) units=$OPTARG ;;
	a) owners=$OPTARG ;;
	r) revenue=$OPTARG ;;
	c) price=$OPTARG ;;
	k) holders=$OPTARG ;;
	p) period=$OPTARG ;;
	o) outdir=$OPTARG ;;
	S) slurm=$OPTARG ;;
	L) late=$OPTARG ;;
	h)
		sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0"
		exit 0
		;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || usage
[ -n "$holders" ] || usage
[ -n "$revenue" ] && [ -n "$price" ] && usage
[ -n "$home" ] && export TERRA_HOME="$home"

# The last full hour: now rounded down to the hour, minus one hour.
if [ -z "$period" ]; then
	now=$(date -u -d "${TERRA_NOW:-now}" +%s) || die "cannot read the time '${TERRA_NOW:-now}'"
	hour=$((now / 3600 * 3600 - 3600))
	period="$(date -u -d "@$hour" +%Y-%m-%dT%H:%M:%SZ)/PT1H"
fi
tag=$(printf '%s' "${period%%/*}" | tr -d ':')

# The usage files: every operand, a folder standing for its *.ndjson files.
files=
for u in "$@"; do
	if [ -d "$u" ]; then
		for f in "$u"/*.ndjson; do
			[ -f "$f" ] && files="$files
$f"
		done
	elif [ -f "$u" ]; then
		files="$files
$u"
	else
		die "usage input '$u': no such file or folder"
	fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/terra-hourly.XXXXXX")
trap 'rm -rf "$work"' EXIT
reject=$work/rejected.ndjson
if [ -n "$units" ] && [ -d "$units" ]; then
	for f in "$units"/*.ndjson; do
		[ -f "$f" ] && cat "$f"
	done >"$work/units.ndjson"
	units=$work/units.ndjson
fi

# Meter: verify every usage line against the unit records, aggregate the hour.
set -- -p "$period" --reject "$reject"
[ -n "$units" ] && set -- "$@" -u "$units"
[ -n "$owners" ] && set -- "$@" --owners "$owners"
[ -n "$price" ] && set -- "$@" --price "$price"
if [ -n "$slurm" ] && [ -d "$slurm" ]; then
	for f in "$slurm"/*.txt; do
		[ -f "$f" ] && cat "$f"
	done >"$work/slurm.txt"
	slurm=$work/slurm.txt
fi
[ -n "$slurm" ] && set -- "$@" --slurm "$slurm"
old_ifs=$IFS
IFS='
'
# shellcheck disable=SC2086 # one file a line
set -- "$@" $files
IFS=$old_ifs
[ -n "$files" ] || set -- "$@" /dev/null
st=0
try "$work/meter.ndjson" terra-meter -o json "$@" 2>"$work/meter.err" || st=$?
cat "$work/meter.err" >&2
quarantined=0
if [ "$st" = 1 ] && [ -s "$reject" ]; then
	# one provider's bad lines do not stop the others: quarantine them
	quarantined=$(wc -l <"$reject" | tr -d ' ')
	where="(the reasons above)"
	if [ -n "$outdir" ]; then
		mkdir -p "$outdir"
		cp "$reject" "$outdir/rejected-$tag.ndjson"
		grep -v ': TERRA_NOW is set' "$work/meter.err" >"$outdir/rejected-$tag.txt" || :
		where="in $outdir/rejected-$tag.ndjson (reasons in rejected-$tag.txt)"
	fi
	echo "$prog: $period: $quarantined usage lines quarantined $where: settling the rest" >&2
elif [ "$st" != 0 ]; then
	failed terra-meter "$st"
	die "$period: terra-meter failed: nothing settled"
fi

# Late usage: the hour this one paid already (a repeat), else the oldest
# hour of LATE with files waiting. Metered for its own hour, checked by a
# dry run of the settlement; refused, it is set aside and the hour settles.
old='' oldtag='' oldfiles='' late_refused=0
if [ -n "$late" ] && [ -d "$late" ]; then
	for d in "$late"/*/paid-in-"$tag"; do
		[ -d "$d" ] && oldtag=$(basename "$(dirname "$d")") && oldfiles=$d
	done
	if [ -z "$oldtag" ]; then
		for d in "$late"/*/; do
			d=${d%/}
			o=$(basename "$d")
			# LATE/OLD is an earlier hour, named as -o names files; sorted by name
			# (the glob's order), which is the order in time
			case $o in [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z) ;; *) continue ;; esac
			[ "$o" != "$tag" ] && [ "$(printf '%s\n%s\n' "$o" "$tag" | sort | head -n 1)" = "$o" ] ||
				continue
			set -- "$d"/*.ndjson
			[ -f "$1" ] || continue
			oldtag=$o oldfiles=$d
			break
		done
	fi
fi
if [ -n "$oldtag" ]; then
	old=$(echo "$oldtag" | sed 's/^\(.*T..\)\(..\)\(..\)Z$/\1:\2:\3Z/')/PT1H
	set -- -p "$old"
	[ -n "$units" ] && set -- "$@" -u "$units"
	[ -n "$owners" ] && set -- "$@" --owners "$owners"
	[ -n "$price" ] && set -- "$@" --price "$price"
	[ -n "$slurm" ] && set -- "$@" --slurm "$slurm"
	st=0
	: >"$work/late.err"
	if [ -f "$oldfiles/meter/late.ndjson" ]; then
		# a repeat: the meter records paid (metering paid usage again is refused)
		cp "$oldfiles/meter/late.ndjson" "$work/late.ndjson"
	else
		try "$work/late.ndjson" terra-meter -o json "$@" "$oldfiles"/*.ndjson 2>"$work/late.err" || st=$?
	fi
	if [ "$st" = 0 ]; then
		set -- -n -p "$period" --adjust "$old" --holders "$holders"
		[ -n "$revenue" ] && set -- "$@" --revenue "$revenue"
		try /dev/null terra-settle "$@" "$work/meter.ndjson" "$work/late.ndjson" 2>>"$work/late.err" || st=$?
	fi
	case $st in
	0) ;;
	75) failed "late usage of $old" "$st" ;;
	*)
		grep -v ': TERRA_NOW is set' "$work/late.err" >&2 || :
		if [ "$oldfiles" = "$late/$oldtag" ]; then
			mkdir -p "$oldfiles/refused-in-$tag"
			mv "$oldfiles"/*.ndjson "$oldfiles/refused-in-$tag/"
			grep -v ': TERRA_NOW is set' "$work/late.err" >"$oldfiles/refused-in-$tag/reason.txt" || :
		fi
		echo "$prog: $period: the late usage of $old is refused (in $oldfiles/refused-in-$tag): settling the hour without it" >&2
		late_refused=1 old=''
		;;
	esac
fi

# Settle: once per period; a repeat with the same meter records is a no-op.
if [ ! -s "$work/meter.ndjson" ] && [ -z "$revenue" ] && [ -z "$old" ]; then
	echo "$prog: $period: no usage and no revenue: nothing to settle" >&2
	exit 0
fi
set -- -p "$period" --holders "$holders"
[ -n "$revenue" ] && set -- "$@" --revenue "$revenue"
set -- "$@" "$work/meter.ndjson"
[ -n "$old" ] && set -- --adjust "$old" "$@" "$work/late.ndjson"
st=0
try "$work/payouts.ndjson" terra-settle "$@" || st=$?
[ "$st" = 0 ] || { failed terra-settle "$st"; die "$period: terra-settle failed"; }
if [ -n "$old" ] && [ "$oldfiles" = "$late/$oldtag" ]; then
	mkdir -p "$oldfiles/paid-in-$tag/meter"
	mv "$oldfiles"/*.ndjson "$oldfiles/paid-in-$tag/"
	cp "$work/late.ndjson" "$oldfiles/paid-in-$tag/meter/late.ndjson"
	echo "$prog: $period: paid the late usage of $old (now in $oldfiles/paid-in-$tag)" >&2
fi

# Verify the whole ledger: chain, signatures, checkpoints, every settlement.
st=0
try /dev/null terra-ledger verify || st=$?
[ "$st" = 0 ] || { failed "terra-ledger verify" "$st"; die "$period: terra-ledger verify failed"; }

if [ -n "$outdir" ]; then
	mkdir -p "$outdir"
	for f in meter payouts; do
		cp "$work/$f.ndjson" "$outdir/.$f-$tag.tmp"
		mv "$outdir/.$f-$tag.tmp" "$outdir/$f-$tag.ndjson"
	done
	echo "$prog: $period: settled, $(wc -l <"$work/payouts.ndjson") payouts in $outdir" >&2
else
	cat "$work/payouts.ndjson"
fi
[ "$late_refused" = 0 ] || die "$period: settled, but the late usage of LATE/$oldtag was refused"
[ "$quarantined" = 0 ] || die "$period: settled, but $quarantined usage lines were quarantined"
