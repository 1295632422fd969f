#!/usr/bin/env bash
# The floor under `taxid-register import` that no restructuring of taxid's own code removes (issue 17 item 1):
# SQLite's work to store the rows an import of N people stores, with the same columns, indexes and row sizes,
# against sqlite3 importing the same people as CSV (bench/import.sh's reference).
#   bench/import-floor.sh [N]    (default 1000000)
# Timed, alternately, each into a fresh database, best of BENCH_RUNS (bench/common.sh):
#   sqlite3 taxid.db < floor.sql
#       a database with taxid's own schema (made by taxid-register, so every table, index, trigger and foreign
#       key is the one an import meets), filled in batches of 20000 people (import's default --batch-size), one
#       transaction each, by plain set-based SQL: per person a person row (the name as a 37-byte blob, the size
#       of its AES-GCM seal), a document row (a random 32-byte blind index, a 46-byte sealed number) and an
#       account row (an 8-character login name in scattered order, unique: i times an odd number mod 2^32; a
#       random 32-byte phone index, a 39-byte sealed phone, a 97-byte argon2id string), and per batch an audit
#       row naming the persons it created.
#       The rows come ready-made from an attached staging file written beforehand (not timed): no JSON, no
#       crypto, no look-ups, no statement per person: only the b-tree work of the inserts, the foreign-key
#       checks, the WAL and the commits.
#   the same, each batch's documents inserted in blind-index order and its accounts in phone-index order
#       (row import-floor-sorted: what sorting a batch by blind index saves at best)
#   sqlite3 plain.db < import.sql
#       bench/import.sh's reference: .import of the same N fixture people as CSV, clear text, three unique keys
# Afterwards every database must hold N people, or the benchmark fails.
# Environment: BENCH_BIN, BENCH_TMP, BENCH_RUNS (bench/common.sh).
set -euo pipefail
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

n=$(size_arg import-floor "${1:-}" 1000000)
runs=$(runs_for "$n")
batch=20000
need jq sqlite3
need_bin taxid-register
workdir
cd "$work"
export TAXID_NOW=2026-11-25T08:00:00Z

echo "bench: import-floor: generating $n fixture people, their CSV and the staging rows" >&2
import_reference "$n"
rm people.ndjson
# taxid's schema, empty: an import of nothing creates it
"$bin/taxid-register" --no-progress -d "$work/empty.db" import </dev/null >/dev/null
sqlite3 empty.db 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
sqlite3 stage.db <<SQL
CREATE TABLE stage (i INTEGER PRIMARY KEY, name_enc BLOB, no_index BLOB, no_enc BLOB, login_name TEXT,
	phone_index BLOB, phone_enc BLOB);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $n)
INSERT INTO stage SELECT i, randomblob(37), randomblob(32), randomblob(46),
	printf('%08x', i * 2654435761 % 4294967296), randomblob(32), randomblob(39) FROM s;
SQL

# floor.sql ORDER_DOC ORDER_ACCOUNT: the timed script; the ORDER BY of each batch's document and account inserts.
floor_sql() {
	cat <<-'SQL'
		.bail on
		.output /dev/null
		PRAGMA journal_mode = WAL;
		PRAGMA synchronous = NORMAL;
		PRAGMA foreign_keys = ON;
		PRAGMA cache_size = -131072;
		PRAGMA temp_store = MEMORY;
		PRAGMA wal_autocheckpoint = 16384;
		.output stdout
		ATTACH 'stage.db' AS s;
	SQL
	local a b
	for ((a = 1; a <= n; a += batch)); do
		b=$((a + batch - 1 > n ? n : a + batch - 1))
		cat <<-SQL
			BEGIN IMMEDIATE;
			INSERT INTO person(id, name_enc, level, nationality, birth_date, sex, region, created_at, updated_at)
				SELECT i, name_enc, 3, 'CHN', '1993-08-20', 'M', '370882', '2026-11-25T08:00:00Z', '2026-11-25T08:00:00Z'
				FROM s.stage WHERE i BETWEEN $a AND $b ORDER BY i;
			INSERT INTO document(id, person_id, doc_type, no_index, no_enc, created_at)
				SELECT i, i, 201, no_index, no_enc, '2026-11-25T08:00:00Z' FROM s.stage WHERE i BETWEEN $a AND $b ORDER BY $1;
			INSERT INTO account(id, person_id, login_name, phone_index, phone_enc, password_hash, peppered, must_change,
					region, created_at)
				SELECT i, i, login_name, phone_index, phone_enc,
					'\$argon2id\$v=19\$m=19456,t=2,p=1\$H4ZEwrlrqwW46Miz2ZtOHQ\$oqhld8mlCEuNTzsbDj1Ja4PHtukoJiKviglNXUlJouw',
					0, 0, '370882', '2026-11-25T08:00:00Z' FROM s.stage WHERE i BETWEEN $a AND $b ORDER BY $2;
			INSERT INTO audit(at, tool, action, actor, subject, detail, prev, hash)
				SELECT '2026-11-25T08:00:00Z', 'taxid-register', 'import_batch', NULL, NULL,
					json_object('accounts', json_group_array(i), 'count', count(*), 'persons', json_group_array(i)),
					zeroblob(32), zeroblob(32) FROM (SELECT i FROM s.stage WHERE i BETWEEN $a AND $b ORDER BY i);
			COMMIT;
		SQL
	done
}
floor_sql i i >floor.sql
floor_sql no_index phone_index >floor-sorted.sql

fresh() { rm -f taxid.db taxid.db-wal taxid.db-shm plain.db plain.db-wal plain.db-shm && cp empty.db taxid.db; }
floor_random() { sqlite3 taxid.db <floor.sql; }
floor_sorted() { sqlite3 taxid.db <floor-sorted.sql; }
sqlite_import() { sqlite3 plain.db <import.sql; }

check() { # check: both databases hold n people
	local got rows
	got=$(sqlite3 taxid.db 'SELECT (SELECT count(*) FROM person) || " " || (SELECT count(*) FROM account)')
	rows=$(sqlite3 plain.db 'SELECT count(*) FROM person')
	if [ "$got" != "$n $n" ] || [ "$rows" -ne "$n" ]; then
		echo "bench: import-floor: the floor holds $got (persons, accounts), sqlite3 $rows, of $n records" >&2
		exit 70
	fi
}

echo "bench: import-floor: $runs run(s) of each side, random order" >&2
best_pair "$runs" floor_random sqlite_import fresh
check
random_s=$best_taxid random_ref=$best_ref random_kb=$kb_taxid random_ref_kb=$kb_ref
echo "bench: import-floor: $runs run(s) of each side, each batch sorted by blind index" >&2
best_pair "$runs" floor_sorted sqlite_import fresh
check
header
kb_taxid=$random_kb kb_ref=$random_ref_kb row import-floor "$n" "$random_s" "sqlite3 .import CSV" "$random_ref"
row import-floor-sorted "$n" "$best_taxid" "sqlite3 .import CSV" "$best_ref"
