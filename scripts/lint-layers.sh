#!/usr/bin/env bash
# The storage layer's two rules (issue 15), run by make lint:
#  1. layers: with nm over the built objects (BUILD/lib/*.o), every taxid_* symbol an object uses must be defined
#     by a module of the same or a lower layer of lib/LAYERS; each offending pair is printed.
#  2. sqlite3 stays in lib/db*: no "sqlite3_" and no <sqlite3.h> in any other lib/*.c, lib/*.h or cmd/*.c, and
#     the engine's own header lib/db_sqlite.h is included by lib/db*.c only.
#  3. libpq stays in lib/db_pg.c: no <libpq-fe.h>, PQ...() call, PGconn or PGresult anywhere else.
# usage: scripts/lint-layers.sh [BUILD]   (BUILD: the build directory, default build; make lint passes $(P)build)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 70
build=${1:-build}
layers=lib/LAYERS
fail=0

shopt -s nullglob
objs=("$build"/lib/*.o)
if [ ${#objs[@]} -eq 0 ]; then
	echo "lint-layers: no objects in $build/lib (build first: make)" >&2
	exit 2
fi

# The layer of a module: its line in lib/LAYERS (exact names before patterns, "*" last).
declare -a pat_name=() pat_layer=()
n=0
while IFS= read -r line; do
	line=${line%%#*}
	read -r -a words <<<"$line"
	[ ${#words[@]} -eq 0 ] && continue
	n=$((n + 1))
	for w in "${words[@]}"; do
		pat_name+=("$w")
		pat_layer+=("$n")
	done
done <"$layers"
layer_of() {
	local m=$1 i
	for i in "${!pat_name[@]}"; do
		[ "${pat_name[$i]}" = "$m" ] && { echo "${pat_layer[$i]}"; return; }
	done
	for i in "${!pat_name[@]}"; do
		[ "${pat_name[$i]}" = "*" ] && continue
		# shellcheck disable=SC2053 # the right side is a pattern on purpose
		[[ $m == ${pat_name[$i]} ]] && { echo "${pat_layer[$i]}"; return; }
	done
	for i in "${!pat_name[@]}"; do
		[ "${pat_name[$i]}" = "*" ] && { echo "${pat_layer[$i]}"; return; }
	done
	echo 0
}

# ---- 1. layers ----
map=$(mktemp)
trap 'rm -f "$map"' EXIT
for o in "${objs[@]}"; do
	m=$(basename "$o" .o)
	l=$(layer_of "$m")
	if [ "$l" = 0 ]; then
		echo "lint-layers: lib/$m.c has no layer in $layers" >&2
		fail=1
	fi
	echo "M $m $l"
done >"$map"
{
	nm -A --defined-only -g "${objs[@]}" | awk '$NF ~ /^taxid_/ { f = $1; sub(/:.*/, "", f); print "D", $NF, f }'
	nm -A -u "${objs[@]}" | awk '$NF ~ /^taxid_/ { f = $1; sub(/:.*/, "", f); print "U", $NF, f }'
} >>"$map"
awk -v layers="$layers" '
function mod(path) { sub(/.*\//, "", path); sub(/\.o$/, "", path); return path }
$1 == "M" { layer[$2] = $3; next }
$1 == "D" { def[$2] = mod($3); next }
$1 == "U" {
	u = mod($3); d = def[$2]
	if (d == "" || layer[d] <= layer[u]) next
	printf "lint-layers: lib/%s.c (layer %d) calls %s of lib/%s.c (layer %d): a lower module may not call a higher one (%s)\n", u, layer[u], $2, d, layer[d], layers
	bad = 1
}
END { exit bad }' "$map" || fail=1
[ $fail -eq 0 ] && echo "lint-layers: ${#objs[@]} objects follow $layers"

# ---- 2. sqlite3 only in lib/db* ----
sq=0
for f in lib/*.c lib/*.h cmd/*.c; do
	case $f in
	lib/db*.c) continue ;;
	lib/db*.h) hits=$(grep -nE '#[[:space:]]*include[[:space:]]*"db_sqlite\.h"' "$f") ;;
	*) hits=$(grep -nE 'sqlite3_|<sqlite3\.h>|#[[:space:]]*include[[:space:]]*"db_sqlite\.h"' "$f") ;;
	esac
	[ -z "$hits" ] && continue
	sq=$((sq + 1))
	echo "lint-layers: sqlite3 outside lib/db*: $f ($(wc -l <<<"$hits") lines), first: $f:$(head -n 1 <<<"$hits" | tr -s '\t' ' ')"
done
if [ $sq -gt 0 ]; then
	echo "lint-layers: $sq file(s) reach sqlite3 outside lib/db*.c (issue 15: use the taxid_q API of lib/db.h)"
	fail=1
else
	echo "lint-layers: sqlite3 only in lib/db*.c"
fi

# ---- 3. libpq only in lib/db_pg.c (issue 16: the PostgreSQL engine is one file of the storage layer) ----
pq=$(grep -lE '<libpq-fe\.h>|\bPQ[a-z]+[A-Za-z]*\(|\bPGconn\b|\bPGresult\b' lib/*.c lib/*.h cmd/*.c | grep -vx lib/db_pg.c)
if [ -n "$pq" ]; then
	echo "lint-layers: libpq outside lib/db_pg.c: $(tr '\n' ' ' <<<"$pq")"
	fail=1
else
	echo "lint-layers: libpq only in lib/db_pg.c"
fi
exit $fail
