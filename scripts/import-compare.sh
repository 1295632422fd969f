#!/usr/bin/env bash
# Import the same input with two builds of taxid-register and compare what they leave (issue 17 item 1: a faster
# import must give the same database content).
#   scripts/import-compare.sh OLD_BIN NEW_BIN [N]
# OLD_BIN, NEW_BIN: directories holding taxid-register and taxid-verify, e.g. after `make O=/tmp/old` at the
# commit to compare with, /tmp/old/bin. N fixture people (default 2000) of every document type, paired documents
# included; into their stream go refused records (a bad document number, a line that is not JSON, a name that
# does not match, a login name already taken), a duplicate of a record and a later record that raises a level
# and adds an account; the whole input is then imported a second time (a rerun). Both builds share one key file,
# so blind indexes compare too. Compared, and required to be byte-identical:
#   - the result lines of both runs;
#   - `taxid-register show` for every person of the fixture, by document;
#   - the person, document and account rows, without the AES-GCM columns (fresh nonces each run) and the
#     password hashes (fresh salts for random initial passwords);
#   - the audit rows without their ids, time (audit rows take the real clock, never a pinned one) and chain
#     hashes, but for the persons created: one row each before issue 17's second pass, one row per batch naming
#     them after it (import_batch); those are compared as the list of the persons created, in order;
#   - `taxid-verify audit` (the chain verifies in both).
# Prints one line per comparison and exits 1 at the first difference.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: scripts/import-compare.sh OLD_BIN NEW_BIN [N]" >&2; exit 64; }
old=$(cd "$1" && pwd)
new=$(cd "$2" && pwd)
n=${3:-2000}
work=$(mktemp -d "${TMPDIR:-/tmp}/taxid-import-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
export TAXID_NOW=2026-11-25T08:00:00Z TAXID_TEST_DB=1 LC_ALL=C
unset TAXID_DB TAXID_KEYFILE

"$new/taxid-register" fixture --no-progress --count "$n" --seed 17 --password 'Compare!pw1' \
	--doc-types 201,208,210,213,227,233,237,238,239,240,241 >people.ndjson
{
	head -n $((n / 2)) people.ndjson
	echo '{"doc_type":"201","doc_no":"110105194912310021","name":"张三"}'
	echo 'not json'
	sed -n 1p people.ndjson | jq -c '.name = "另一个" | .ref = "mismatch"'
	sed -n 2p people.ndjson | jq -c '.ref = "duplicate"'
	# no account yet, then one with a login name another person holds
	jq -nc '{doc_type:"201", doc_no:"11010519491231002X", name:"张三", ref:"plain"}'
	sed -n 3p people.ndjson | jq -c '{doc_type:"201", doc_no:"11010519491231002X", name:"张三", login_name, initial_password:"doc_tail6", ref:"taken"}'
	jq -nc '{doc_type:"201", doc_no:"11010519491231002X", name:"张三", face_verified:true, login_name:"zhang_cmp", phone:"13800138000", initial_password:"random", ref:"raised"}'
	tail -n +$((n / 2 + 1)) people.ndjson
} >in.ndjson

run() { # run BIN DIR: import twice into DIR/taxid.db (each build's default batch, then 64), results in DIR/run1, run2
	mkdir -p "$2"
	[ ! -e key ] || cp key "$2/taxid.db.key"
	"$1/taxid-register" --no-progress -d "$2/taxid.db" import <in.ndjson >"$2/run1" || [ $? -eq 1 ]
	"$1/taxid-register" --no-progress -d "$2/taxid.db" import --batch-size 64 <in.ndjson >"$2/run2" || [ $? -eq 1 ]
	[ -e key ] || cp "$2/taxid.db.key" key
}
run "$old" old
run "$new" new

same() { # same WHAT FILE: old/FILE and new/FILE are equal
	if cmp -s "old/$2" "new/$2"; then
		echo "same: $1 ($(wc -l <"new/$2") lines)"
	else
		echo "DIFFERENT: $1"
		diff "old/$2" "new/$2" | head -20
		exit 1
	fi
}
same "results of the first import" run1
same "results of the rerun" run2

for d in old new; do
	{
		jq -c '{doc_type, doc_no}' people.ndjson
		echo '{"doc_type":"201","doc_no":"11010519491231002X"}'
	} | "$new/taxid-register" --no-progress -d "$d/taxid.db" show >"$d/show" || [ $? -eq 1 ]
	sqlite3 "$d/taxid.db" >"$d/rows" <<-'SQL'
		SELECT 'person', id, level, nationality, birth_date, sex, region, state, abnormal_reason, created_at, updated_at
			FROM person ORDER BY id;
		SELECT 'document', id, person_id, doc_type, hex(no_index), expires_on, paired_with, created_at
			FROM document ORDER BY id;
		SELECT 'account', id, person_id, login_name, hex(phone_index), peppered, must_change, initial_expires_at,
			region, consent, created_at FROM account ORDER BY id;
		SELECT 'outbox', id, channel, created_at FROM outbox ORDER BY id;
	SQL
	# A created person is audited by a row of its own (before issue 17's second pass) or named by its batch's
	# row (import_batch): compared as the list of persons created, in order, and the other rows without ids.
	sqlite3 "$d/taxid.db" >"$d/audit" <<-'SQL'
		SELECT tool, action, actor, subject, detail FROM audit
			WHERE action <> 'import_batch' AND NOT (action = 'import' AND json_extract(detail, '$.status') = 'created')
			ORDER BY id;
		SELECT 'created', id FROM (
			SELECT a.id AS row, 0 AS k, CAST(substr(a.subject, 8) AS INTEGER) AS id FROM audit a
				WHERE a.action = 'import' AND json_extract(a.detail, '$.status') = 'created'
			UNION ALL
			SELECT a.id, j.key, j.value FROM audit a, json_each(a.detail, '$.persons') AS j WHERE a.action = 'import_batch')
			ORDER BY row, k;
	SQL
	"$new/taxid-verify" -d "$d/taxid.db" audit | jq -c '{ok, chain}' >"$d/chain"
done
same "taxid-register show of every person" show
same "person, document, account and outbox rows" rows
same "audit rows (but their ids, times and hashes; the persons created as one list)" audit
same "audit chain" chain
