#!/usr/bin/env bash
# Benchmark `taxid-register import` of N people into a PostgreSQL database against psql's \copy of the same rows
# as CSV into one table on the same server (issue 16).
#   bench/pg-import.sh [N]       (default 100000; needs TAXID_TEST_PG, the socket directory of a running cluster:
#                                 bench/run.sh with BENCH_PG=1 starts one with scripts/pg-cluster.sh)
# The people are bench/import.sh's (taxid-register fixture, one pre-hashed password). Timed, alternately, each
# into a fresh database, best of BENCH_RUNS (bench/common.sh):
#   taxid-register import < people.ndjson      over one connection: validation, AES-GCM, blind indexes, person,
#                                              document and account rows, one audit row per batch, a
#                                              SERIALIZABLE commit every 20000 records
#   psql -c '\copy person FROM people.csv'     one table with the same unique keys, in clear text, one COPY
# The server is the throwaway cluster's (fsync off): both sides alike.
set -euo pipefail
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

n=$(size_arg pg-import "${1:-}" 100000)
runs=$(runs_for "$n")
need jq psql createdb dropdb
need_bin taxid-register
[ -n "${TAXID_TEST_PG:-}" ] || { echo "bench: pg-import: TAXID_TEST_PG (a cluster's socket directory) is not set" >&2; exit 69; }
workdir
cd "$work"
export TAXID_NOW=2026-11-25T08:00:00Z PGHOST=$TAXID_TEST_PG PGOPTIONS="-c client_min_messages=warning"

echo "bench: pg-import: generating $n fixture people and their CSV" >&2
"$bin/taxid-register" fixture --no-progress --count "$n" --seed 1 --password 'Bench!pass1' >people.ndjson
jq -r '[.doc_type, .doc_no, .name, .nationality, .birth_date, .sex, .region, .login_name, .phone, .password_hash,
	(if .face_verified then 4 else 3 end)] | @csv' people.ndjson >people.csv

cat >import.sql <<'SQL'
\set ON_ERROR_STOP on
CREATE TABLE person (doc_type TEXT NOT NULL, doc_no TEXT NOT NULL, name TEXT NOT NULL, nationality TEXT,
	birth_date TEXT, sex TEXT, region TEXT, login_name TEXT UNIQUE, phone TEXT UNIQUE, password_hash TEXT,
	level INTEGER, UNIQUE (doc_type, doc_no));
\copy person FROM 'people.csv' WITH (FORMAT csv)
SQL

db="taxid_bench_$$"
fresh() {
	dropdb --if-exists "${db}_t" && dropdb --if-exists "${db}_s" && createdb "${db}_t" && createdb "${db}_s"
	rm -f taxid.key
}
trap 'dropdb --if-exists "${db}_t" 2>/dev/null; dropdb --if-exists "${db}_s" 2>/dev/null; rm -rf "$work"' EXIT
taxid_import() {
	TAXID_KEYFILE=$work/taxid.key "$bin/taxid-register" --no-progress -d "postgresql:///${db}_t?host=$TAXID_TEST_PG" \
		import <people.ndjson >/dev/null
}
psql_import() { psql -X -q -d "${db}_s" -f import.sql; }

echo "bench: pg-import: $runs run(s) of each side" >&2
best_pair "$runs" taxid_import psql_import fresh

got=$(psql -X -A -t -d "${db}_t" -c "SELECT (SELECT count(*) FROM person) || ' ' || (SELECT count(*) FROM account) || ' ' ||
	(SELECT coalesce(sum(json_array_length(CAST(detail AS json) -> 'persons')), 0) FROM audit WHERE action = 'import_batch')")
rows=$(psql -X -A -t -d "${db}_s" -c 'SELECT count(*) FROM person')
if [ "$got" != "$n $n $n" ] || [ "$rows" -ne "$n" ]; then
	echo "bench: pg-import: taxid holds $got (persons, accounts, persons named by audit rows), psql $rows, of $n records" >&2
	exit 70
fi
header
row pg-import "$n" "$best_taxid" "psql \\copy CSV" "$best_ref"
