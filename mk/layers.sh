#!/bin/sh
# mk/layers.sh [ROOT]: checks the includes of ROOT/lib (default .) against
# ROOT/lib/LAYERS (its format is described there). Fails, naming file and
# line, on an include into a layer this one may not use, an include that
# closes a cycle within a layer, a system header its layer may not include,
# a module missing from the map, and a lib/*.c over LAYERS_MAX_LINES lines
# (800). Prints nothing and exits 0 when all is well.
set -eu
root=${1:-.}
map=$root/lib/LAYERS
max=${LAYERS_MAX_LINES:-800}
if [ ! -f "$map" ]; then
	echo "mk/layers.sh: $map: no such file" >&2
	exit 1
fi
set -- "$root"/lib/*.c "$root"/lib/*.h
[ -e "$1" ] || set --

awk -v max="$max" -v root="$root/" '
function fail(msg) {
	print msg > "/dev/stderr"
	bad = 1
}
function where(file, line) {
	return substr(file, length(root) + 1) ":" line
}
function module_of(path, m) {
	m = path
	sub(/.*\//, "", m)
	sub(/\.[ch]$/, "", m)
	return m
}
# Depth-first search over the includes within one layer; a grey module met
# again closes a cycle, reported at the include that closes it.
function visit(m, i, n, v, k, path) {
	colour[m] = 1
	stack[++depth] = m
	n = nedges[m]
	for (i = 1; i <= n; i++) {
		v = edge[m, i]
		if (colour[v] == 1) {
			path = v
			for (k = depth; k >= 1 && stack[k] != v; k--)
				;
			for (k++; k <= depth; k++)
				path = path " -> " stack[k]
			fail(edge_at[m, i] ": includes " v ".h, closing a cycle in layer " \
			    layer[m] ": " path " -> " v)
		} else if (colour[v] == 0) {
			visit(v)
		}
	}
	depth--
	colour[m] = 2
}
FNR == 1 { mapfile = (FILENAME ~ /\/lib\/LAYERS$/) && !seen_map++ }
mapfile {
	sub(/#.*/, "")
	if ($0 ~ /^[ \t]*$/)
		next
	if ($1 == "layer") {
		cur = $2
		if (cur in rank) {
			fail(where(FILENAME, FNR) ": layer " cur " named twice")
			next
		}
		rank[cur] = ++nlayers
		for (i = 3; i <= NF; i++) {
			if ($i == "uses")
				continue
			if (!($i in rank) || $i == cur)
				fail(where(FILENAME, FNR) ": layer " cur " uses " $i \
				    ", which is not a layer named before it")
			uses[cur, $i] = 1
		}
		next
	}
	if ($1 == "header") {
		for (i = 4; i <= NF; i++)
			sysok[$2, $i] = 1
		restricted[$2] = 1
		next
	}
	if ($0 !~ /^[ \t]/ || cur == "") {
		fail(where(FILENAME, FNR) ": expected a layer, a header or indented modules")
		next
	}
	for (i = 1; i <= NF; i++) {
		if ($i in layer)
			fail(where(FILENAME, FNR) ": module " $i " is already in layer " layer[$i])
		layer[$i] = cur
		order[++nmods] = $i
	}
	next
}
FNR == 1 {
	m = module_of(FILENAME)
	if (!(m in layer) && !(m in unmapped)) {
		unmapped[m] = 1
		fail(substr(FILENAME, length(root) + 1) ": module " m " is missing from lib/LAYERS")
	}
}
FNR == 1 && FILENAME ~ /\.c$/ { cfiles[FILENAME] = 1 }
FILENAME ~ /\.c$/ { lines[FILENAME] = FNR }
/^[ \t]*#[ \t]*include[ \t]*"/ {
	inc = $0
	sub(/^[^"]*"/, "", inc)
	sub(/".*/, "", inc)
	to = module_of(inc)
	if (!(m in layer) || to == m)
		next
	if (!(to in layer)) {
		fail(where(FILENAME, FNR) ": includes " inc ", a module missing from lib/LAYERS")
		next
	}
	if (layer[to] == layer[m]) {
		if (!((m, to) in linked)) {
			linked[m, to] = 1
			edge[m, ++nedges[m]] = to
			edge_at[m, nedges[m]] = where(FILENAME, FNR)
		}
	} else if (!((layer[m], layer[to]) in uses)) {
		fail(where(FILENAME, FNR) ": includes " inc " of layer " layer[to] \
		    ", which layer " layer[m] " (" m ") may not use")
	}
	next
}
/^[ \t]*#[ \t]*include[ \t]*</ {
	inc = $0
	sub(/^[^<]*</, "", inc)
	sub(/>.*/, "", inc)
	if ((inc in restricted) && (m in layer) && !((inc, layer[m]) in sysok))
		fail(where(FILENAME, FNR) ": includes <" inc ">, which layer " layer[m] \
		    " (" m ") may not include")
}
END {
	for (f in cfiles)
		if (lines[f] > max + 0)
			fail(substr(f, length(root) + 1) ": " lines[f] " lines, over " max)
	for (i = 1; i <= nmods; i++)
		if (colour[order[i]] == 0)
			visit(order[i])
	exit bad
}
' "$map" "$@"
