#!/bin/bash
# bench/import.sh [N]: time `taxid-register import` of N synthetic people (fixture --password: one argon2id hash
# reused, so the import's own work is measured: validation, AES-GCM of name, document and phone, blind indexes,
# three tables with their unique indexes, audit chain) against sqlite3 importing the same rows as CSV
# (.mode csv / .import) into one equivalent table with the same unique keys, each into a fresh database.
# Prints: benchmark, records, taxid seconds, sqlite3 seconds, ratio. Default N: 1000000.
set -euo pipefail

n=${1:-1000000}
case $n in '' | *[!0-9]*)
	echo "usage: bench/import.sh [N]" >&2
	exit 64
	;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin
for t in "$bin/taxid-register" sqlite3 jq; do
	command -v "$t" >/dev/null || {
		echo "bench/import.sh: '$t' not found (run make first)" >&2
		exit 69
	}
done
work=$(mktemp -d "${TMPDIR:-/tmp}/taxid-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
export TAXID_NOW=2026-11-25T08:00:00Z
unset TAXID_DB TAXID_KEYFILE

now() { date +%s.%N; }

"$bin/taxid-register" fixture --no-progress --count "$n" --seed 1 --password 'Bench!pass1' >"$work/people.ndjson"
jq -r '[.doc_type, .doc_no, .name, .nationality, .login_name, .phone, .password_hash,
	(if .face_verified then 4 else 3 end)] | @csv' "$work/people.ndjson" >"$work/people.csv"

t0=$(now)
"$bin/taxid-register" --no-progress -d "$work/taxid.db" import <"$work/people.ndjson" >"$work/results.ndjson"
t1=$(now)
sqlite3 "$work/plain.db" <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE person (doc_type TEXT NOT NULL, doc_no TEXT NOT NULL UNIQUE, name TEXT NOT NULL, nationality TEXT,
	login_name TEXT UNIQUE, phone TEXT UNIQUE, password_hash TEXT, level INTEGER);
.mode csv
.import '$work/people.csv' person
SQL
t2=$(now)

created=$(grep -c '"status":"created"' "$work/results.ndjson" || true)
rows=$(sqlite3 "$work/plain.db" 'SELECT count(*) FROM person')
if [ "$created" -ne "$n" ] || [ "$rows" -ne "$n" ]; then
	echo "bench/import.sh: taxid created $created, sqlite3 imported $rows of $n records" >&2
	exit 70
fi
awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
	printf "%-10s %10s %12s %12s %8s\n", "benchmark", "records", "taxid_s", "sqlite3_s", "ratio"
	printf "%-10s %10d %12.2f %12.2f %8.2f\n", "import", n, b - a, c - b, (b - a) / (c - b)
}'
