#!/usr/bin/env bash
# Benchmark `taxid-survival run` on a PostgreSQL database against the same job in plain SQL through psql on the
# same server, and the run split over 1, 2 and 4 region workers (issue 16).
#   bench/pg-survival.sh [N]     (default 100000; needs TAXID_TEST_PG, the socket directory of a running cluster:
#                                 bench/run.sh with BENCH_PG=1 starts one with scripts/pg-cluster.sh)
# The data is bench/survival.sh's (min(N, 1000) pensioners enrolled through taxid-survival, cloned by SQL to N,
# one certification each in the 400 days before 2026-11-25), spread over four provinces (11, 12, 13, 14) so
# that four workers can each take one with --region. Each timed side runs on its own copy of that database
# (createdb -T), alternately, best of BENCH_RUNS:
#   pg-survival     taxid-survival run --as-of D      against   psql -f job.sql (one transaction)
#   pg-survival-wK  K workers at once, each running `taxid-survival run --region P` for its provinces one after
#                   the other (K = 1, 2, 4)           against   the same plain SQL job (the reference row repeats)
# Every taxid database must end in the state of the SQL job (pensioner states, events, notices by kind, ledger).
set -euo pipefail
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

n=$(size_arg pg-survival "${1:-}" 100000)
runs=$(runs_for "$n")
need psql createdb dropdb
need_bin taxid-survival
[ -n "${TAXID_TEST_PG:-}" ] || { echo "bench: pg-survival: TAXID_TEST_PG (a cluster's socket directory) is not set" >&2; exit 69; }
taxid=$bin/taxid-survival
workdir
cd "$work"
export TAXID_NOW=2026-11-25T08:00:00Z PGHOST=$TAXID_TEST_PG PGOPTIONS="-c client_min_messages=warning"
export TAXID_KEYFILE=$work/taxid.key
asof=2026-11-25
seeds=$((n < 1000 ? n : 1000))
db="taxid_bench_$$"
uri() { echo "postgresql:///${db}_$1?host=$TAXID_TEST_PG"; }
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "${db}_$1" "${@:2}"; }
# shellcheck disable=SC2064 # expand now
trap "for d in base t s; do dropdb --if-exists ${db}_\$d 2>/dev/null; done; rm -rf '$work'" EXIT

# ---- the data ----
echo "bench: pg-survival: enrolling $seeds pensioners through taxid-survival, cloning to $n" >&2
createdb "${db}_base"
retirees "$seeds" | TAXID_DB=$(uri base) "$taxid" --no-progress enroll - 'operator:={"id":"bench","role":"officer"}' >enrolled.ndjson
[ "$(grep -c '"ok":true' enrolled.ndjson)" -eq "$seeds" ] || { echo "bench: enrolment failed" >&2; exit 70; }

sql base <<SQL
BEGIN;
INSERT INTO person(id, name_enc, level, nationality, birth_date, sex, region, created_at, updated_at)
  SELECT $seeds + k, s.name_enc, s.level, s.nationality, s.birth_date, s.sex, s.region, s.created_at, s.updated_at
  FROM generate_series(1, $n - $seeds) k JOIN person s ON s.id = (k - 1) % $seeds + 1;
INSERT INTO document(id, person_id, doc_type, no_index, no_enc, created_at)
  SELECT $seeds + k, $seeds + k, d.doc_type, sha256(CAST(random() || ':' || k AS bytea)), d.no_enc, d.created_at
  FROM generate_series(1, $n - $seeds) k JOIN document d ON d.id = (k - 1) % $seeds + 1;
INSERT INTO pensioner(id, person_id, doc_id, kind, account_enc, region, insurance_type, benefit_start, state, anchor,
    enrolled_at, updated_at)
  SELECT $seeds + k, $seeds + k, $seeds + k, 'retiree', p.account_enc, p.region, p.insurance_type, p.benefit_start, 'active',
    p.anchor, p.enrolled_at, p.updated_at
  FROM generate_series(1, $n - $seeds) k JOIN pensioner p ON p.id = (k - 1) % $seeds + 1;
\o /dev/null
SELECT setval(pg_get_serial_sequence(t, 'id'), $n) FROM unnest(ARRAY['person', 'document', 'pensioner']) t;
\o
-- four provinces; one certification each in the 400 days before the run day, spread by a fixed formula
UPDATE pensioner SET region = (ARRAY['110105', '120101', '130102', '140105'])[id % 4 + 1],
  last_certified = to_char(DATE '$asof' - CAST((id * 7919) % 400 AS integer), 'YYYY-MM-DD');
UPDATE pensioner SET anchor = last_certified,
  valid_until = to_char(CAST(last_certified AS date) + interval '12 months', 'YYYY-MM-DD');
UPDATE pensioner SET lapse_on = to_char(CAST(valid_until AS date) + 1, 'YYYY-MM-DD');
DELETE FROM survival_cert;
INSERT INTO survival_cert(pensioner_id, method, certified_on, deadline, valid_until, late, created_at)
  SELECT id, CASE id % 3 WHEN 0 THEN 'face' WHEN 1 THEN 'passive' ELSE 'offline_device' END, last_certified,
    to_char(CAST(last_certified AS date) + interval '1 month', 'YYYY-MM-DD'), valid_until, 0, '2026-01-01T00:00:00Z'
  FROM pensioner;
COMMIT;
VACUUM ANALYZE;
SQL

# ---- the same job in plain SQL (bench/survival.sh's, in PostgreSQL's dialect) ----
month() { echo "to_char(date_trunc('month', CAST($1 AS date)) + interval '1 month', 'YYYY-MM')"; }
cat >job.sql <<SQL
\set ON_ERROR_STOP on
BEGIN ISOLATION LEVEL SERIALIZABLE;
INSERT INTO survival_run(as_of, state, started_at) VALUES ('$asof', 'running', '$TAXID_NOW');
CREATE TEMP TABLE ending AS SELECT id, ends_on, $(month ends_on) AS since
  FROM pensioner WHERE ends_on IS NOT NULL AND ends_on <= '$asof' AND state <> 'terminated';
UPDATE pensioner SET state = 'terminated', reason = 'age_18', since_month = e.since, owed_months = 0, owed_from = NULL,
  updated_at = '$TAXID_NOW' FROM ending e WHERE pensioner.id = e.id;
INSERT INTO survival_event(pensioner_id, kind, on_date, month, payment, detail, created_at)
  SELECT id, 'age_18', ends_on, since, 'terminated', '{}', '$TAXID_NOW' FROM ending;
INSERT INTO survival_notice(pensioner_id, kind, key, run, body, created_at)
  SELECT id, 'termination', 'age_18', '$asof', json_build_object('notice', 'termination', 'payment_stops_from', since),
    '$TAXID_NOW' FROM ending ON CONFLICT DO NOTHING;
CREATE TEMP TABLE lapsed AS SELECT id, valid_until, lapse_on, $(month "'$asof'") AS since
  FROM pensioner WHERE state = 'active' AND valid_until <= to_char(DATE '$asof' + 30, 'YYYY-MM-DD') AND lapse_on <= '$asof';
INSERT INTO survival_ledger(pensioner_id, month, state, updated_at)
  SELECT id, substr('$asof', 1, 7), 'paid', '$TAXID_NOW' FROM lapsed ON CONFLICT DO NOTHING;
UPDATE pensioner SET state = 'suspended', reason = 'lapse', since_month = l.since, owed_from = l.since,
  updated_at = '$TAXID_NOW' FROM lapsed l WHERE pensioner.id = l.id;
INSERT INTO survival_event(pensioner_id, kind, on_date, month, payment, detail, created_at)
  SELECT id, 'lapse', lapse_on, since, 'suspended', json_build_object('run', '$asof', 'valid_until', valid_until), '$TAXID_NOW'
  FROM lapsed;
INSERT INTO survival_notice(pensioner_id, kind, key, run, body, created_at)
  SELECT id, 'suspension', since, '$asof', json_build_object('notice', 'suspension', 'as_of', '$asof',
    'valid_until', valid_until, 'lapsed_on', lapse_on, 'suspended_from', since), '$TAXID_NOW'
  FROM lapsed ON CONFLICT DO NOTHING;
INSERT INTO audit(id, at, tool, action, subject, detail, prev, hash)
  SELECT (SELECT max(id) + 1 FROM audit), '$TAXID_NOW', 'psql', 'survival.run', 'run:$asof',
    json_build_object('step', 'batch', 'suspended', json_agg(json_build_array(id, since))),
    decode(repeat('00', 32), 'hex'), sha256(CAST(random() AS text)::bytea) FROM lapsed;
INSERT INTO survival_notice(pensioner_id, kind, key, run, body, created_at)
  SELECT id, 'reminder', valid_until || ':' || (CASE WHEN d <= 7 THEN 7 ELSE 30 END), '$asof',
    json_build_object('notice', 'reminder', 'as_of', '$asof', 'valid_until', valid_until, 'days_left', d,
      'offset', CASE WHEN d <= 7 THEN 7 ELSE 30 END, 'lapses_on', lapse_on), '$TAXID_NOW'
  FROM (SELECT id, valid_until, lapse_on, CAST(valid_until AS date) - DATE '$asof' AS d
        FROM pensioner WHERE state = 'active' AND valid_until >= '$asof'
        AND valid_until <= to_char(DATE '$asof' + 30, 'YYYY-MM-DD')) r
  ON CONFLICT DO NOTHING;
UPDATE survival_run SET state = 'done', phase = 2, finished_at = '$TAXID_NOW',
  suspended = (SELECT count(*) FROM lapsed), terminated = (SELECT count(*) FROM ending) WHERE as_of = '$asof';
COMMIT;
\o /dev/null
SELECT n.id, n.pensioner_id, n.kind, n.body, p.region, d.doc_type, encode(d.no_enc, 'hex'), encode(pe.name_enc, 'hex')
  FROM survival_notice n JOIN pensioner p ON p.id = n.pensioner_id JOIN document d ON d.id = p.doc_id
  JOIN person pe ON pe.id = p.person_id WHERE n.run = '$asof' AND n.emitted_at IS NULL ORDER BY n.id;
\o
UPDATE survival_notice SET emitted_at = '$TAXID_NOW' WHERE run = '$asof' AND emitted_at IS NULL;
SQL

fresh() {
	local d
	for d in t s; do
		dropdb --if-exists "${db}_$d"
		createdb -T "${db}_base" "${db}_$d"
	done
}
taxid_run() { TAXID_DB=$(uri t) "$taxid" --no-progress run --as-of "$asof" >"$work/notices.ndjson"; }
sql_run() { sql s -f "$work/job.sql" >/dev/null; }
# workers K: K workers, worker i running the provinces i, i+K, ... one after the other
workers() {
	local k=$1 i p pids=()
	for ((i = 0; i < k; i++)); do
		(
			for ((p = i; p < 4; p += k)); do
				TAXID_DB=$(uri t) "$taxid" --no-progress run --as-of "$asof" --region "1$((p + 1))" >>"$work/notices.$i" || exit
			done
		) &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || return
	done
}
workers_run() { rm -f "$work"/notices.[0-9]; workers "$wk"; }

state() {
	sql "$1" -c "SELECT state, reason, since_month, count(*) FROM pensioner GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;" \
		-c "SELECT kind, count(*), min(key), max(key) FROM survival_notice WHERE emitted_at IS NOT NULL GROUP BY kind ORDER BY kind;" \
		-c "SELECT kind, payment, month, count(*) FROM survival_event WHERE kind <> 'enroll' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;" \
		-c "SELECT month, state, count(*) FROM survival_ledger GROUP BY 1, 2 ORDER BY 1, 2;"
}
same() {
	if [ "$(state t)" != "$(state s)" ]; then
		echo "bench: pg-survival $1: taxid-survival and the SQL job disagree:" >&2
		diff <(state t) <(state s) >&2 || true
		exit 70
	fi
}

echo "bench: pg-survival: $runs run(s) of each side" >&2
best_pair "$runs" taxid_run sql_run fresh
same "one run"
header
row pg-survival "$n" "$best_taxid" "psql -f job.sql" "$best_ref"
for wk in 1 2 4; do
	echo "bench: pg-survival: $wk region worker(s)" >&2
	best_pair "$runs" workers_run sql_run fresh
	same "$wk workers"
	row "pg-survival-w$wk" "$n" "$best_taxid" "psql -f job.sql" "$best_ref"
done
