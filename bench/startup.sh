#!/usr/bin/env bash
# Benchmark tool start-up: N runs of a trivial taxid-verify request against N runs of sqlite3 on an empty
# in-memory database.
#   bench/startup.sh [N]         (default 200)
#   taxid-verify uscc value=91350100M000100Y43     (start, parse the command line, validate one code, print)
#   sqlite3 :memory: 'select 1'                    (start, open a database, run one statement, print)
# BENCH_RUNS (default 3) batches of N of each, one of each in turn; the shortest batch of each side is kept.
# Environment: BENCH_BIN, BENCH_TMP, BENCH_RUNS (bench/common.sh).
set -euo pipefail
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

n=$(size_arg startup "${1:-}" 200)
runs=${BENCH_RUNS:-3}
need sqlite3
need_bin taxid-verify
workdir
cd "$work"
export TAXID_DB=$work/absent/taxid.db TAXID_NOW=2026-11-25T08:00:00Z

"$bin/taxid-verify" uscc value=91350100M000100Y43 | grep -q '"valid":true' ||
	{ echo "bench: taxid-verify uscc did not validate the code" >&2; exit 70; }

taxid_start() { "$bin/taxid-verify" uscc value=91350100M000100Y43; }
sqlite_start() { sqlite3 :memory: 'select 1'; }

echo "bench: startup: $runs run(s) of $n starts each side" >&2
alternate "$runs" "$n" taxid_start sqlite_start
kb_taxid=$(peak taxid_start) kb_ref=$(peak sqlite_start)
header
row start-up "$n" "$best_taxid" "sqlite3 :memory: 'select 1'" "$best_ref"
