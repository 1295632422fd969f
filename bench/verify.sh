#!/usr/bin/env bash
# Benchmark taxid-verify against jq on N identity requests, and its start-up against sqlite3's.
#   bench/verify.sh [N]          (default 1000000; make bench runs it through bench/run.sh)
# The requests come from bench/gen-identity.sh N into bench/out/identity-N.ndjson (made again only when missing or
# older than the generator or the region table). Then, each 3 times, best time kept:
#   taxid-verify --no-progress < file > /dev/null   in an empty directory, TAXID_DB naming a file that does not exist
#   jq -c . < file > /dev/null
# and 200 runs of `taxid-verify uscc value=91350100M000100Y43` against 200 of `sqlite3 :memory: 'select 1'`.
# Prints a header line (starting "benchmark") and one row per benchmark; bench/run.sh keeps one header.
# base/taxid is the baseline's time over taxid's (taxid is faster when it is above 1); per_s is taxid's
# records (or runs) per second.
# Progress goes to stderr. Environment: TAXID_VERIFY (default bin/taxid-verify), BENCH_RUNS (default 3),
# BENCH_SEED (default 1).
set -euo pipefail

n=${1:-1000000}
case $n in '' | *[!0-9]* | 0) echo "usage: bench/verify.sh [N]" >&2; exit 64 ;; esac
runs=${BENCH_RUNS:-3}
seed=${BENCH_SEED:-1}

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
taxid=${TAXID_VERIFY:-$root/bin/taxid-verify}
case $taxid in /*) ;; *) taxid=$PWD/$taxid ;; esac
[ -x "$taxid" ] || { echo "bench: $taxid is missing; run make first" >&2; exit 66; }
for tool in jq sqlite3; do
	command -v "$tool" >/dev/null 2>&1 || { echo "bench: $tool is not installed" >&2; exit 69; }
done

# The input, made once.
mkdir -p "$here/out"
data=$here/out/identity-$n.ndjson
if [ ! -s "$data" ] || [ "$here/gen-identity.sh" -nt "$data" ] || [ "$root/data/gb2260-history.tsv" -nt "$data" ] ||
	[ "$(cat "$data.seed" 2>/dev/null)" != "$seed" ]; then
	echo "bench: generating $n requests into ${data#"$root"/}" >&2
	"$here/gen-identity.sh" "$n" "$seed" >"$data.tmp"
	mv "$data.tmp" "$data"
	echo "$seed" >"$data.seed"
fi

# An empty directory and no database: identity validates without the registry.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
export TAXID_DB=$tmp/absent/taxid.db TAXID_NOW=2026-11-25T08:00:00Z LC_ALL=C
unset TAXID_KEYFILE TAXID_TZ

# timed CMD...: wall-clock seconds of one run of CMD (bash's time); stops the benchmark when CMD fails.
timed() {
	local TIMEFORMAT=%3R t
	if ! t=$({ time "$@" >/dev/null 2>"$tmp/stderr"; } 2>&1); then
		echo "bench: $* failed:" >&2
		cat "$tmp/stderr" >&2
		exit 70
	fi
	echo "$t"
}

# best_of RUNS CMD...: the shortest of RUNS runs.
best_of() {
	local i t best=
	for ((i = 0; i < $1; i++)); do
		t=$(timed "${@:2}")
		best=$(awk -v a="$best" -v b="$t" 'BEGIN { print (a == "" || b + 0 < a + 0) ? b : a }')
	done
	echo "$best"
}

row() { # NAME COUNT TAXID_S BASELINE BASELINE_S
	awk -v name="$1" -v n="$2" -v t="$3" -v base="$4" -v b="$5" 'BEGIN {
		printf "%-18s %9d %9.3f  %-18s %9.3f %10.2f %11.0f\n", name, n, t, base, b, (t > 0 ? b / t : 0), (t > 0 ? n / t : 0)
	}'
}

# One check that the run is what we time: every request answered, the exit status a refusal at worst.
answered=$("$taxid" --no-progress <"$data" | wc -l) || true
[ "$answered" -eq "$n" ] || { echo "bench: taxid-verify answered $answered of $n requests" >&2; exit 70; }

taxid_stream() { "$taxid" --no-progress <"$data" >/dev/null || [ $? -eq 1 ]; }
jq_stream() { jq -c . <"$data" >/dev/null; }
taxid_startup() {
	local i
	for ((i = 0; i < 200; i++)); do
		"$taxid" uscc value=91350100M000100Y43 >/dev/null
	done
}
sqlite_startup() {
	local i
	for ((i = 0; i < 200; i++)); do
		sqlite3 :memory: 'select 1' >/dev/null
	done
}

t_taxid=$(best_of "$runs" taxid_stream)
t_jq=$(best_of "$runs" jq_stream)
t_start=$(best_of "$runs" taxid_startup)
t_sqlite=$(best_of "$runs" sqlite_startup)

printf '%-18s %9s %9s  %-18s %9s %10s %11s\n' benchmark n taxid_s baseline base_s base/taxid per_s
row "verify identity" "$n" "$t_taxid" "jq -c ." "$t_jq"
row "start-up x200" 200 "$t_start" "sqlite3 :memory:" "$t_sqlite"
