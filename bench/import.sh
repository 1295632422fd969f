#!/usr/bin/env bash
# Benchmark `taxid-register import` of N people against sqlite3 importing the same rows as CSV.
#   bench/import.sh [N]          (default 1000000; make bench runs it through bench/run.sh)
# The people: `taxid-register fixture --count N --seed 1 --password P` (valid resident IDs, names with rare
# characters, mobiles, login names, one pre-hashed argon2id password for the run: the import's own work is
# measured, not N argon2 computations). The same records are turned into CSV by jq beforehand (not timed).
# Timed, alternately, each into a fresh database, best of BENCH_RUNS (bench/common.sh):
#   taxid-register import < people.ndjson > /dev/null
#       validation of every field, AES-GCM of name, document number and phone, HMAC blind indexes, person,
#       document and account rows with their unique indexes, one audit row per batch naming every person it
#       created (hash chain), one result line per person, a commit every 20000 records (the default --batch-size)
#   sqlite3 plain.db < import.sql
#       .mode csv / .import into one table with the same columns and the same unique keys (document, login
#       name, phone), in clear text, one transaction; the same journal, synchronous and cache settings
# Afterwards both databases must hold N people (and taxid N accounts, and audit rows naming N persons created), or
# the benchmark fails.
# Environment: BENCH_BIN, BENCH_TMP, BENCH_RUNS (bench/common.sh).
set -euo pipefail
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

n=$(size_arg import "${1:-}" 1000000)
runs=$(runs_for "$n")
need jq sqlite3
need_bin taxid-register
workdir
cd "$work"
export TAXID_NOW=2026-11-25T08:00:00Z

echo "bench: import: generating $n fixture people and their CSV" >&2
import_reference "$n"

fresh() { rm -f taxid.db taxid.db-wal taxid.db-shm taxid.db.key plain.db plain.db-wal plain.db-shm; }
taxid_import() { "$bin/taxid-register" --no-progress -d "$work/taxid.db" import <people.ndjson >/dev/null; }
sqlite_import() { sqlite3 plain.db <import.sql; }

echo "bench: import: $runs run(s) of each side" >&2
best_pair "$runs" taxid_import sqlite_import fresh

got=$(sqlite3 taxid.db "SELECT (SELECT count(*) FROM person) || ' ' || (SELECT count(*) FROM account) || ' ' ||
	(SELECT count(*) FROM audit, json_each(audit.detail, '\$.persons') WHERE audit.action = 'import_batch')")
rows=$(sqlite3 plain.db 'SELECT count(*) FROM person')
if [ "$got" != "$n $n $n" ] || [ "$rows" -ne "$n" ]; then
	echo "bench: import: taxid holds $got (persons, accounts, persons audited), sqlite3 $rows, of $n records" >&2
	exit 70
fi
header
row import "$n" "$best_taxid" "sqlite3 .import CSV" "$best_ref"
