#!/usr/bin/env bash
# Run every benchmark and print one table (make bench): each benchmark, taxid's figure, the reference tool's
# figure measured in the same run, their ratio (taxid over reference: above 1 taxid is slower), the cost per
# record of each, and the goal where there is one; then the scaling series (cost per record at each size).
#   bench/run.sh                 sizes from BENCH_SIZES (default "10000 100000 1000000")
#   BENCH_BIN=/tmp/b/bin BENCH_SIZES="10000 100000" bench/run.sh
# Environment:
#   BENCH_BIN     the taxid-* binaries (default: the repository's bin/); `make O=DIR bench` sets DIR/bin
#   BENCH_SIZES   record counts for verify, import and survival, the scaling series (default 10k, 100k, 1M)
#   BENCH_LOGINS  logins per timed batch (default 20); BENCH_STARTS start-ups per timed batch (default 200)
#   BENCH_LARGE   1: also import and run the survival job at 10,000,000 records (issue 17 item 4; about an hour
#                 and several GiB of scratch space: not in CI)
#   BENCH_PG      1: also the PostgreSQL rows (issue 16), in a throwaway cluster of scripts/pg-cluster.sh: import
#                 (vs psql \copy) and the survival run (vs plain SQL through psql, and with 1, 2 and 4 region
#                 workers) at each of BENCH_PG_SIZES (default "100000 1000000")
#   BENCH_TMP, BENCH_RUNS, BENCH_SEED   see bench/common.sh and bench/verify.sh
# Every row also shows the peak resident memory of each side (GNU time's %M, the largest process), and the
# scaling series shows taxid's at each size: memory that stays flat as N grows is part of the goal.
# The benchmarks (each also runs alone and prints tab-separated rows): verify.sh (taxid-verify vs jq -c ., in one
# process and with every processor),
# import.sh (taxid-register import vs sqlite3 .import of the same rows as CSV), import-floor.sh (SQLite's own
# work under an import: the same rows, columns and indexes stored by plain set-based SQL, in input order and with
# each batch sorted by blind index, vs the same sqlite3 .import), survival.sh (taxid-survival run
# vs the same job in plain SQL in sqlite3), login.sh (the taxid-login password step vs the argon2 CLI at the
# same parameters), startup.sh (taxid-verify with a trivial request vs sqlite3 :memory: 'select 1').
# Progress goes to stderr. Exits non-zero when a benchmark failed (the table still shows the others).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
sizes=${BENCH_SIZES:-10000 100000 1000000}
for s in $sizes; do
	case $s in '' | *[!0-9]* | 0*) echo "bench: BENCH_SIZES must be positive integers, not '$s'" >&2; exit 64 ;; esac
done
rows=$(mktemp "${BENCH_TMP:-${TMPDIR:-/tmp}}/taxid-bench-rows.XXXXXX")
trap 'rm -f "$rows"' EXIT
status=0

# bench NAME [N]: run bench/NAME.sh, keep its rows.
bench() {
	local out
	echo "bench: $1 ${2:-}" >&2
	if out=$("$here/$1.sh" "${@:2}"); then
		grep -v '^benchmark' <<<"$out" >>"$rows" || true
	else
		echo "bench: $1 ${2:-} failed" >&2
		status=1
	fi
}

start=$(date +%s)
for s in $sizes; do
	bench verify "$s"
	bench import "$s"
	bench import-floor "$s"
	bench survival "$s"
done
case ${BENCH_LARGE:-} in
'' | 0) ;;
1)
	bench import 10000000
	bench survival 10000000
	;;
*) echo "bench: BENCH_LARGE must be 1 or 0, not '$BENCH_LARGE'" >&2; exit 64 ;;
esac
case ${BENCH_PG:-} in
'' | 0) ;;
1)
	pgdir=$(mktemp -d "${TMPDIR:-/tmp}/taxid-bench-pg.XXXXXX")
	rmdir "$pgdir"
	trap 'rm -f "$rows"; "$here/../scripts/pg-cluster.sh" stop "$pgdir" >/dev/null 2>&1 || true' EXIT
	"$here/../scripts/pg-cluster.sh" start "$pgdir" >/dev/null
	export TAXID_TEST_PG=$pgdir
	for s in ${BENCH_PG_SIZES:-100000 1000000}; do
		bench pg-import "$s"
		bench pg-survival "$s"
	done
	unset TAXID_TEST_PG
	"$here/../scripts/pg-cluster.sh" stop "$pgdir" >/dev/null
	;;
*) echo "bench: BENCH_PG must be 1 or 0, not '$BENCH_PG'" >&2; exit 64 ;;
esac
bench login "${BENCH_LOGINS:-20}"
bench startup "${BENCH_STARTS:-200}"

# The table. Per-record figures: microseconds per record (verify, import, survival) or milliseconds per run
# (login, start-up). Goals (issues 3, 5 and 17): verify in one process at most jq -c .'s time (ratio 1.0), and
# with every processor (verify-jobs) at most 0.6 of it; import within 3x of sqlite3's CSV import, login at most
# 1.3x the argon2 CLI, the survival run within 1.3x of plain SQL (issue 17).
awk -F '\t' -v secs="$(($(date +%s) - start))" '
function per(s, n, ms) { return ms ? sprintf("%.2f ms", 1000 * s / n) : sprintf("%.2f us", 1e6 * s / n) }
BEGIN {
	goal["verify"] = 1; goal["verify-jobs"] = 0.6; goal["import"] = 3; goal["login"] = 1.3; goal["survival"] = 1.3
	fmt = "%-11s %8s %9s %12s  %-30s %9s %12s %7s %8s %8s  %s\n"
	printf fmt, "benchmark", "n", "taxid_s", "taxid/unit", "reference", "ref_s", "ref/unit", "ratio", "taxid_MiB",
		"ref_MiB", "goal"
}
{
	name = $1; n = $2; t = $3; ref = $4; r = $5; mt = $6 / 1024; mr = $7 / 1024
	ms = (name == "login" || name == "start-up")
	ratio = r > 0 ? t / r : 0
	g = ""
	if (name in goal)
		g = sprintf("<= %.2gx: %s", goal[name], ratio <= goal[name] ? "met" : "NOT met")
	printf fmt, name, n, sprintf("%.3f", t), per(t, n, ms), ref, sprintf("%.3f", r), per(r, n, ms),
		sprintf("%.2f", ratio), sprintf("%.1f", mt), sprintf("%.1f", mr), g
	if (!ms) {
		if (!(name in seen)) { seen[name] = 1; order[++nb] = name }
		cost[name, ++k[name]] = 1e6 * t / n; sz[name, k[name]] = n
		rcost[name, k[name]] = 1e6 * r / n; mem[name, k[name]] = mt
	}
}
END {
	if (nb) {
		printf "\nscaling: taxid (reference) microseconds per record at each size; spread = largest / smallest\n"
		for (b = 1; b <= nb; b++) {
			name = order[b]; line = sprintf("%-11s", name); lo = hi = cost[name, 1]
			for (i = 1; i <= k[name]; i++) {
				c = cost[name, i]
				line = line sprintf("  %8d: %7.2f (%6.2f)", sz[name, i], c, rcost[name, i])
				if (c < lo) lo = c
				if (c > hi) hi = c
			}
			printf "%s   spread %.2f\n", line, (lo > 0 ? hi / lo : 0)
		}
		printf "\npeak memory: taxid MiB at each size; spread = largest / smallest\n"
		for (b = 1; b <= nb; b++) {
			name = order[b]; line = sprintf("%-11s", name); lo = hi = mem[name, 1]
			for (i = 1; i <= k[name]; i++) {
				c = mem[name, i]
				line = line sprintf("  %8d: %7.1f", sz[name, i], c)
				if (c < lo) lo = c
				if (c > hi) hi = c
			}
			printf "%s   spread %.2f\n", line, (lo > 0 ? hi / lo : 0)
		}
	}
	printf "\n(%d s in all)\n", secs
}' "$rows"
exit "$status"
