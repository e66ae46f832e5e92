#!/bin/sh
# terra-settle on SETTLE_BENCH_HOLDERS holders (1000000 by default) and
# SETTLE_BENCH_UNITS units (10000): wall time and peak memory of the whole
# settlement (read, split, holders' Merkle tree, ledger entry, holders
# snapshot blob and unit rows, payouts), against
# sqlite3 loading the same CSV (.import) and computing the holders' shares
# by largest remainder with window functions, in the same run. Balances are
# kept below 10^6 base units so SQLite's 64-bit integers compute the same
# exact shares; the peer's shares are checked against terra's. Also terra-settle
# -j 1 (signatures checked in one thread) against the default -j (one thread a
# processor), same payouts required. Also the time
# terra-ledger verify takes to recompute that settlement (no peer).
# Prints rows "| figure | terra | peer | ratio | machine |".
set -eu
top=${TERRA_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
bin=${TERRA_BIN:-$top/build/rel/bin}
machine=${BENCH_MACHINE:-"$(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"}
nh=${SETTLE_BENCH_HOLDERS:-1000000}
nu=${SETTLE_BENCH_UNITS:-10000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TERRA_HOME="$tmp/home" TERRA_NOW=2026-11-21T10:00:00Z
PATH=$bin:$PATH
period=2026-11-21T09:00:00.000000Z/2026-11-21T10:00:00.000000Z
revenue=1250.5
holders_part=250100000000 # 20% of the revenue, in base units

echo "bench/settle.sh: $nh holders, $nu units" >&2
awk -v n="$nh" 'BEGIN { print "account,balance"
	for (i = 0; i < n; i++)
		printf "%08x%08x%08x%08x,0.%09d\n", (i * 2654435761) % 4294967296, i, 7 * i + 1,
			13 * i + 5, 1 + (i * 7919) % 999983 }' >"$tmp/holders.csv"
awk -v n="$nu" -v p="$period" 'BEGIN { for (i = 0; i < n; i++)
	printf "{\"type\":\"meter\",\"v\":1,\"period\":\"%s\",\"unit\":\"%08x%08x%08x%08x\"," \
		"\"owner\":\"%08x%08x%08x%08x%08x%08x%08x%08x\",\"weight\":%d}\n", p, i, 3 * i, 5 * i,
		7 * i, i % 500, 1, 2, 3, 4, 5, 6, 7, (i * 104729) % 1000000007 }' >"$tmp/meter.raw"
terra-register init 2>/dev/null
# signed by the home's owner key, as terra-meter signs them (not measured)
/usr/bin/python3 "$top/tests/tools/signmeter.py" "$TERRA_HOME/owner.key" "$tmp/meter.raw" \
	>"$tmp/meter.ndjson"

measure() { # measure OUT CMD...: "elapsed_s max_rss_kb user_s sys_s" of one run
	out=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "$out" "$@"
}
# the same settlement with the signatures checked in one thread, in a copy of the home
cp -R "$TERRA_HOME" "$tmp/home1"
measure "$tmp/t.terra1" sh -c 'TERRA_HOME=$5 terra-settle -j 1 --revenue "$1" --holders "$2" <"$3" >"$4"' - \
	"$revenue" "$tmp/holders.csv" "$tmp/meter.ndjson" "$tmp/payouts1.ndjson" "$tmp/home1"
measure "$tmp/t.terra" sh -c 'terra-settle --revenue "$1" --holders "$2" <"$3" >"$4"' - \
	"$revenue" "$tmp/holders.csv" "$tmp/meter.ndjson" "$tmp/payouts.ndjson"
if ! cmp -s "$tmp/payouts1.ndjson" "$tmp/payouts.ndjson"; then
	echo "bench/settle.sh: terra-settle -j 1 paid otherwise than with $(nproc) threads" >&2
	exit 1
fi
cat >"$tmp/peer.sql" <<EOF
.mode csv
.import $tmp/holders.csv holders
CREATE TABLE shares AS
WITH h AS (SELECT account, CAST(replace(balance, '.', '') AS INTEGER) AS b FROM holders),
     t AS (SELECT sum(b) AS total FROM h),
     q AS (SELECT account, ($holders_part * b) / total AS q, ($holders_part * b) % total AS r
           FROM h, t),
     l AS (SELECT $holders_part - sum(q) AS leftover FROM q),
     ranked AS (SELECT account, q, r, row_number() OVER (ORDER BY r DESC, account) AS rk FROM q)
SELECT account, q + (r > 0 AND rk <= (SELECT leftover FROM l)) AS amount FROM ranked;
EOF
measure "$tmp/t.peer" sqlite3 "$tmp/peer.db" ".read $tmp/peer.sql"

# The same holders' shares, or the comparison means nothing.
sqlite3 -csv "$tmp/peer.db" 'SELECT account, amount FROM shares WHERE amount > 0 ORDER BY account' \
	>"$tmp/peer.csv"
jq -r 'select(.role == "holder") | "\(.account),\(.amount)"' "$tmp/payouts.ndjson" |
	awk -F, '{ a = $2; sub(/\./, "", a); sub(/^0+/, "", a); print $1 "," a }' >"$tmp/terra.csv"
if ! cmp -s "$tmp/peer.csv" "$tmp/terra.csv"; then
	echo "bench/settle.sh: sqlite3's shares differ from terra-settle's" >&2
	exit 1
fi
measure "$tmp/t.verify" sh -c 'terra-ledger verify >/dev/null'
read -r tel trss tus tsy <"$tmp/t.terra"
read -r vel vrss vus vsy <"$tmp/t.verify"
read -r pel prss pus psy <"$tmp/t.peer"
read -r t1el t1rss t1us t1sy <"$tmp/t.terra1"
echo "bench/settle.sh: terra-settle $tel s ($tus user $tsy sys) ${trss} KB; sqlite3 $pel s ($pus + $psy) ${prss} KB; $(wc -l <"$tmp/terra.csv") holder shares equal; terra-ledger verify $vel s ($vus + $vsy) ${vrss} KB" >&2
row() { printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(echo "$2 $3" | awk '{ printf "%.2f", $1 / $2 }')" "$machine"; }
row "settle $nh holders + $nu units: wall s (vs sqlite3 .import + largest-remainder SQL, holders only)" \
	"$tel" "$pel"
row "settle $nh holders + $nu units: CPU s, user + sys (vs the same sqlite3 run)" \
	"$(echo "$tus $tsy" | awk '{ printf "%.2f", $1 + $2 }')" \
	"$(echo "$pus $psy" | awk '{ printf "%.2f", $1 + $2 }')"
row "settle $nh holders + $nu units: peak RSS MiB (vs the same sqlite3 run)" \
	"$(echo "$trss" | awk '{ printf "%.0f", $1 / 1024 }')" \
	"$(echo "$prss" | awk '{ printf "%.0f", $1 / 1024 }')"
row "settle $nh holders + $nu units: wall s with -j $(nproc) (the default; vs -j 1, the same run)" \
	"$tel" "$t1el"
printf '| %s | %s | - | - | %s |\n' \
	"terra-ledger verify of that ledger, recomputing the settlement from its inputs: wall s" \
	"$vel" "$machine"
