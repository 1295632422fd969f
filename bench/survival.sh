#!/usr/bin/env bash
# Benchmark `taxid-survival run` against the same computation written as plain SQL in the sqlite3 shell.
#   bench/survival.sh [N]        (default 1000000; make bench runs it through bench/run.sh)
# The data: N enrolled retirees in 20 regions, each with one certification in the 400 days before the run day
# (2026-11-25), so that about 8% have lapsed (to suspend) and 7.5% are due within 30 days (to remind).
# The shortcut: only min(N, 1000) pensioners are enrolled through `taxid-survival enroll` (persons, documents,
# encrypted names and numbers, audit); the others are cloned from them with bulk SQL — each clone a new person,
# document (a fresh random blind index, the seed's encrypted number and name, so they decrypt) and pensioner —
# and every pensioner's last certification, deadline and lapse day are then set by one formula.
# Timed, alternately, each on its own fresh copy of that database, best of BENCH_RUNS (bench/common.sh):
#   taxid-survival run --as-of 2026-11-25 > notices      (batches of 1000, audit chain, notices printed decrypted)
#   sqlite3 copy.db < the same job in SQL                (one transaction; notices printed as hex, no hash chain)
# Both final states are compared (pensioner states, events, notices by kind); a difference fails the benchmark.
# Environment: BENCH_BIN, BENCH_TMP, BENCH_RUNS (bench/common.sh).
set -euo pipefail
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

n=$(size_arg survival "${1:-}" 1000000)
runs=$(runs_for "$n")
need sqlite3
need_bin taxid-survival
taxid=$bin/taxid-survival
workdir
tmp=$work
cd "$tmp"
export TAXID_NOW=2026-11-25T08:00:00Z
asof=2026-11-25
seeds=$((n < 1000 ? n : 1000))

# ---- the data ----
echo "bench: survival: enrolling $seeds pensioners through taxid-survival, cloning to $n" >&2
retirees "$seeds" | TAXID_DB=$tmp/base.db "$taxid" --no-progress enroll - 'operator:={"id":"bench","role":"officer"}' >enrolled.ndjson
[ "$(grep -c '"ok":true' enrolled.ndjson)" -eq "$seeds" ] || { echo "bench: enrolment failed" >&2; exit 70; }

sqlite3 base.db >/dev/null <<SQL
.bail on
PRAGMA foreign_keys = ON;
BEGIN;
CREATE TEMP TABLE seq AS WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < $n - $seeds) SELECT k FROM c;
INSERT INTO person(id, name_enc, level, nationality, birth_date, sex, region, created_at, updated_at)
  SELECT $seeds + k, s.name_enc, s.level, s.nationality, s.birth_date, s.sex, s.region, s.created_at, s.updated_at
  FROM temp.seq JOIN person s ON s.id = (k - 1) % $seeds + 1;
INSERT INTO document(id, person_id, doc_type, no_index, no_enc, created_at)
  SELECT $seeds + k, $seeds + k, d.doc_type, randomblob(32), d.no_enc, d.created_at
  FROM temp.seq JOIN document d ON d.id = (k - 1) % $seeds + 1;
INSERT INTO pensioner(id, person_id, doc_id, kind, account_enc, region, insurance_type, benefit_start, state, anchor,
    enrolled_at, updated_at)
  SELECT $seeds + k, $seeds + k, $seeds + k, 'retiree', p.account_enc, p.region, p.insurance_type, p.benefit_start, 'active',
    p.anchor, p.enrolled_at, p.updated_at
  FROM temp.seq JOIN pensioner p ON p.id = (k - 1) % $seeds + 1;
-- one certification each in the 400 days before the run day, spread by a fixed formula
UPDATE pensioner SET region = printf('1101%02d', id % 20 + 1),
  last_certified = date('$asof', '-' || ((id * 7919) % 400) || ' days');
UPDATE pensioner SET anchor = last_certified, valid_until = date(last_certified, '+12 months');
UPDATE pensioner SET lapse_on = date(valid_until, '+1 day');
DELETE FROM survival_cert;
INSERT INTO survival_cert(pensioner_id, method, certified_on, deadline, valid_until, late, created_at)
  SELECT id, CASE id % 3 WHEN 0 THEN 'face' WHEN 1 THEN 'passive' ELSE 'offline_device' END, last_certified,
    date(last_certified, '+1 month'), valid_until, 0, '2026-01-01T00:00:00Z' FROM pensioner;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
SQL

# ---- the same job in plain SQL ----
cat >job.sql <<SQL
.bail on
.output /dev/null
PRAGMA foreign_keys = ON;
PRAGMA synchronous = NORMAL;
-- the settings taxid-survival run uses
PRAGMA mmap_size = 1073741824;
PRAGMA wal_autocheckpoint = 16384;
.output stdout
BEGIN IMMEDIATE;
INSERT INTO survival_run(as_of, state, started_at) VALUES ('$asof', 'running', '$TAXID_NOW');
-- dependant children reaching 18: ended after the month of the birthday
CREATE TEMP TABLE ending AS SELECT id, ends_on, strftime('%Y-%m', ends_on, 'start of month', '+1 month') AS since
  FROM pensioner WHERE ends_on IS NOT NULL AND ends_on <= '$asof' AND state <> 'terminated';
UPDATE pensioner SET state = 'terminated', reason = 'age_18', since_month = e.since, owed_months = 0, owed_from = NULL,
  updated_at = '$TAXID_NOW' FROM temp.ending e WHERE pensioner.id = e.id;
INSERT INTO survival_event(pensioner_id, kind, on_date, month, payment, detail, created_at)
  SELECT id, 'age_18', ends_on, since, 'terminated', '{}', '$TAXID_NOW' FROM temp.ending;
INSERT INTO survival_notice(pensioner_id, kind, key, run, body, created_at)
  SELECT id, 'termination', 'age_18', '$asof', json_object('notice', 'termination', 'payment_stops_from', since), '$TAXID_NOW'
  FROM temp.ending WHERE true ON CONFLICT DO NOTHING;
-- lapses: suspended from the first month not yet paid, the month after the run's (issue 13); the ledger records the
-- months up to the run's month as paid (here only the run's month: every pensioner was enrolled that month)
CREATE TEMP TABLE lapsed AS SELECT id, valid_until, lapse_on, strftime('%Y-%m', '$asof', 'start of month', '+1 month') AS since
  FROM pensioner WHERE state = 'active' AND valid_until <= date('$asof', '+30 days') AND lapse_on <= '$asof';
INSERT INTO survival_ledger(pensioner_id, month, state, updated_at)
  SELECT id, strftime('%Y-%m', '$asof'), 'paid', '$TAXID_NOW' FROM temp.lapsed WHERE true ON CONFLICT DO NOTHING;
UPDATE pensioner SET state = 'suspended', reason = 'lapse', since_month = l.since, owed_from = l.since,
  updated_at = '$TAXID_NOW' FROM temp.lapsed l WHERE pensioner.id = l.id;
INSERT INTO survival_event(pensioner_id, kind, on_date, month, payment, detail, created_at)
  SELECT id, 'lapse', lapse_on, since, 'suspended', json_object('run', '$asof', 'valid_until', valid_until), '$TAXID_NOW'
  FROM temp.lapsed;
INSERT INTO survival_notice(pensioner_id, kind, key, run, body, created_at)
  SELECT id, 'suspension', since, '$asof', json_object('notice', 'suspension', 'as_of', '$asof', 'valid_until', valid_until,
    'lapsed_on', lapse_on, 'suspended_from', since), '$TAXID_NOW' FROM temp.lapsed WHERE true ON CONFLICT DO NOTHING;
-- the audit: one row listing every change (taxid writes one per batch of 1000, chained by SHA-256)
INSERT INTO audit(at, tool, action, subject, detail, prev, hash)
  SELECT '$TAXID_NOW', 'sqlite3', 'survival.run', 'run:$asof',
    json_object('step', 'batch', 'suspended', json_group_array(json_array(id, since))), zeroblob(32), randomblob(32)
  FROM temp.lapsed;
-- reminders at the nearest offset reached (30 and 7 days)
INSERT INTO survival_notice(pensioner_id, kind, key, run, body, created_at)
  SELECT id, 'reminder', valid_until || ':' || (CASE WHEN d <= 7 THEN 7 ELSE 30 END), '$asof',
    json_object('notice', 'reminder', 'as_of', '$asof', 'valid_until', valid_until, 'days_left', d,
      'offset', CASE WHEN d <= 7 THEN 7 ELSE 30 END, 'lapses_on', lapse_on), '$TAXID_NOW'
  FROM (SELECT id, valid_until, lapse_on, CAST(julianday(valid_until) - julianday('$asof') AS INTEGER) AS d
        FROM pensioner WHERE state = 'active' AND valid_until >= '$asof' AND valid_until <= date('$asof', '+30 days'))
  WHERE true ON CONFLICT DO NOTHING;
UPDATE survival_run SET state = 'done', phase = 2, finished_at = '$TAXID_NOW',
  suspended = (SELECT count(*) FROM temp.lapsed), terminated = (SELECT count(*) FROM temp.ending) WHERE as_of = '$asof';
COMMIT;
-- the notices, as rows, then marked as printed
.output /dev/null
SELECT n.id, n.pensioner_id, n.kind, n.body, p.region, d.doc_type, hex(d.no_enc), hex(pe.name_enc)
  FROM survival_notice n JOIN pensioner p ON p.id = n.pensioner_id JOIN document d ON d.id = p.doc_id
  JOIN person pe ON pe.id = p.person_id WHERE n.run = '$asof' AND n.emitted_at IS NULL ORDER BY n.id;
.output stdout
UPDATE survival_notice SET emitted_at = '$TAXID_NOW' WHERE run = '$asof' AND emitted_at IS NULL;
SQL

fresh() { # the two copies of the base database and its key file
	cp base.db t.db
	cp base.db.key t.db.key
	cp base.db s.db
	cp base.db.key s.db.key
	rm -f t.db-wal t.db-shm s.db-wal s.db-shm
}

taxid_run() { TAXID_DB=$tmp/t.db "$taxid" --no-progress run --as-of "$asof" >"$tmp/notices.ndjson"; }
sql_run() { sqlite3 "$tmp/s.db" <"$tmp/job.sql"; }

echo "bench: survival: $runs run(s) of each side" >&2
best_pair "$runs" taxid_run sql_run fresh

# The two did the same job.
state() {
	sqlite3 "$1" "SELECT state, reason, since_month, count(*) FROM pensioner GROUP BY 1, 2, 3;
		SELECT kind, count(*), min(key), max(key) FROM survival_notice WHERE emitted_at IS NOT NULL GROUP BY kind;
		SELECT kind, payment, month, count(*) FROM survival_event WHERE kind <> 'enroll' GROUP BY 1, 2, 3;
		SELECT month, state, count(*) FROM survival_ledger GROUP BY 1, 2;"
}
if [ "$(state t.db)" != "$(state s.db)" ]; then
	echo "bench: taxid-survival and the SQL job disagree:" >&2
	diff <(state t.db) <(state s.db) >&2 || true
	exit 70
fi
notices=$(grep -c '"notice"' notices.ndjson)
echo "bench: survival: $notices notices; $(sqlite3 t.db "SELECT suspended || ' suspended, ' || reminded || ' reminders' FROM survival_run")" >&2

header
row survival "$n" "$best_taxid" "sqlite3 < job.sql" "$best_ref"
