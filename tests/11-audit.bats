#!/usr/bin/env bats
# The audit chain (CONTRACT.md "Audit"): every change of state appends a row; editing, deleting or reordering
# rows is detected by `taxid-verify audit`.
load helper

audit_count() { dbq 'SELECT count(*) FROM audit'; }
audit_actions() { dbq 'SELECT action FROM audit ORDER BY id' | paste -sd' '; }

# Five rows: trust_add, trust_add, sms_send, sms_send, outbox_drain.
five_rows() {
	keygen face-svc && keygen bank-svc || return 1
	trust face-svc face && trust bank-svc bank || return 1
	taxid-verify sms send phone=13800138000 purpose=register >/dev/null || return 1
	taxid-verify sms send phone=13900139000 purpose=reset >/dev/null || return 1
	taxid-verify sms outbox >/dev/null || return 1
	[ "$(audit_count)" = 5 ]
}

# tamper SQL: run SQL on the audit table with its append-only triggers removed.
tamper() {
	if [ "$(db_engine)" = pg ]; then
		dbq "DROP TRIGGER audit_no_update ON audit; DROP TRIGGER audit_no_delete ON audit; $1"
	else
		dbq "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; $1"
	fi
}

# expect_broken ID: the chain check refuses with audit_broken at row ID.
expect_broken() {
	run taxid-verify audit
	assert_failure 1
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jfield .ok)" = false ]
	[ "$(jfield .error.code)" = audit_broken ]
	[ "$(jfield .error.broken_at)" = "$1" ]
	[ "$(jfield .chain)" = null ]
}

@test "each change of state appends exactly one audit row" {
	keygen face-svc
	trust face-svc face
	[ "$(audit_count)" = 1 ]
	run taxid-verify sms send phone=13800138000 purpose=register
	assert_success
	[ "$(audit_count)" = 2 ]
	run taxid-verify sms outbox
	assert_success
	[ "$(audit_count)" = 3 ]
	run taxid-verify attest kind=face consume:=true "verdict:=$(verdict face-svc face 11010519491231002X)"
	assert_success
	[ "$(audit_count)" = 4 ]
	run taxid-verify trust remove operator=op-test issuer=face-svc
	assert_success
	[ "$(audit_count)" = 5 ]
	[ "$(audit_actions)" = "trust_add sms_send outbox_drain verdict_consume trust_remove" ]
	# every row is stamped with the pinned clock and the tool
	run dbq "SELECT DISTINCT at || ' ' || tool FROM audit"
	assert_output "2026-11-25T08:00:00Z taxid-verify"
}

@test "requests that change nothing append nothing" {
	run taxid-verify sms send phone=13800138000 purpose=register
	assert_success
	[ "$(audit_count)" = 1 ]
	# refused: cooldown; an empty outbox drain; reads; an unconsumed attest; a refused trust add
	run taxid-verify sms send phone=13800138000 purpose=register
	assert_failure 1
	taxid-verify sms outbox >/dev/null
	[ "$(audit_count)" = 2 ]
	run taxid-verify sms outbox
	assert_success
	assert_output ''
	run taxid-verify trust list
	assert_success
	run taxid-verify audit
	assert_success
	run taxid-verify trust add operator=op-test issuer=x 'kinds:=["face"]' public_key=nonsense
	assert_failure 1
	run taxid-verify trust remove operator=op-test issuer=nobody
	assert_failure 1
	[ "$(jfield .error.code)" = issuer_unknown ]
	[ "$(audit_count)" = 2 ]
}

@test "audit on an intact chain prints ok, rows and chain intact" {
	five_rows
	run taxid-verify audit
	assert_success
	json_eq '{"ok":true,"rows":5,"chain":"intact"}' "$output"
}

@test "audit on an empty chain is intact with 0 rows" {
	run taxid-verify sms outbox # creates the database, changes nothing
	assert_success
	run taxid-verify audit
	assert_success
	json_eq '{"ok":true,"rows":0,"chain":"intact"}' "$output"
}

@test "the audit table refuses UPDATE and DELETE while its triggers stand" {
	five_rows
	run dbq "UPDATE audit SET detail = '{}' WHERE id = 3"
	assert_failure
	assert_output --partial 'append-only'
	run dbq 'DELETE FROM audit WHERE id = 5'
	assert_failure
	[ "$(audit_count)" = 5 ]
}

@test "editing a middle row's detail breaks the chain at that row" {
	five_rows
	tamper "UPDATE audit SET detail = '{\"purpose\":\"login\"}' WHERE id = 3"
	expect_broken 3
	[ "$(jfield .error.reason)" = "row was altered" ]
}

@test "editing any hashed column of a row is detected" {
	five_rows
	db_copy pristine
	for change in "at = '2026-11-25T08:00:01Z'" "tool = 'taxid-login'" "action = 'trust_remove'" \
		"actor = 'root'" "subject = 'someone-else'" "prev = zeroblob(32)" "hash = zeroblob(32)"; do
		db_restore pristine
		rm -f "$TAXID_DB-wal" "$TAXID_DB-shm"
		tamper "UPDATE audit SET $change WHERE id = 2"
		expect_broken 2
	done
}

@test "deleting a middle row breaks the chain at the missing id" {
	five_rows
	tamper 'DELETE FROM audit WHERE id = 3'
	expect_broken 3
	[ "$(jfield .rows)" = 3 ]
}

@test "deleting the first row breaks the chain at 1" {
	five_rows
	tamper 'DELETE FROM audit WHERE id = 1'
	expect_broken 1
}

@test "deleting the last row is detected through the head" {
	five_rows
	tamper 'DELETE FROM audit WHERE id = 5'
	expect_broken 5
	[ "$(jfield .error.reason)" = "rows missing at the end of the chain" ]
}

@test "deleting every row is detected" {
	five_rows
	tamper 'DELETE FROM audit'
	expect_broken 1
}

@test "swapping two rows' ids (reordering) breaks the chain at the first of them" {
	five_rows
	tamper 'UPDATE audit SET id = -2 WHERE id = 2; UPDATE audit SET id = 2 WHERE id = 3; UPDATE audit SET id = 3 WHERE id = -2'
	[ "$(audit_actions)" = "trust_add sms_send trust_add sms_send outbox_drain" ]
	expect_broken 2
}

@test "a forged row appended by hand is detected" {
	five_rows
	dbq "INSERT INTO audit(id, at, tool, action, actor, subject, detail, prev, hash)
		SELECT 6, at, tool, 'trust_add', NULL, 'evil-svc', '{}', hash, zeroblob(32) FROM audit WHERE id = 5"
	expect_broken 6
}

@test "a break stays reported after later writes" {
	five_rows
	tamper "UPDATE audit SET detail = '{}' WHERE id = 4"
	run taxid-verify --now 2026-11-25T09:00:00Z sms send phone=13800138000 purpose=register
	assert_success
	[ "$(audit_count)" = 6 ]
	expect_broken 4
}

@test "rows deleted from the end stay missing after later writes" {
	five_rows
	tamper 'DELETE FROM audit WHERE id >= 4'
	expect_broken 4
	run taxid-verify --now 2026-11-25T09:00:00Z sms send phone=13800138000 purpose=register
	assert_success
	# the next row continues from the head, so the gap shows instead of being papered over
	expect_broken 4
	[ "$(jfield .error.reason)" = "row missing" ]
	run dbq 'SELECT max(id) FROM audit'
	assert_output 6
}

# ---- any row (issue 7): every row edited, deleted, swapped with every other, moved and rotated ----

# six_rows: five_rows and one more, then a pristine copy to restore before each tampering.
six_rows() {
	five_rows || return 1
	taxid-verify --now 2026-11-25T08:01:00Z sms send phone=13700137000 purpose=register >/dev/null || return 1
	[ "$(audit_count)" = 6 ] || return 1
	db_checkpoint
	db_copy pristine
}

restore() {
	rm -f "$TAXID_DB-wal" "$TAXID_DB-shm"
	db_restore pristine
}

# broken_at: the id verification reports as the first broken link (and that it refused).
broken_at() {
	local out
	out=$(taxid-verify audit) && { echo "intact: $out" >&2; return 1; }
	[ "$(jq -r .error.code <<<"$out")" = audit_broken ] || { echo "$out" >&2; return 1; }
	jq -r .error.broken_at <<<"$out"
}

# swap I J: exchange the contents of rows I and J (all but the id), as a reordering by hand would.
swap() {
	tamper "CREATE TEMP TABLE t AS SELECT * FROM audit WHERE id IN ($1, $2);
		UPDATE audit SET (at, tool, action, actor, subject, detail, prev, hash) =
			(SELECT at, tool, action, actor, subject, detail, prev, hash FROM t WHERE t.id = ($1 + $2 - audit.id))
		WHERE id IN ($1, $2)"
}

@test "editing any row's detail, or deleting any row, is reported at that row" {
	six_rows
	for i in 1 2 3 4 5 6; do
		restore
		tamper "UPDATE audit SET detail = json_set(detail, '\$.x', 1) WHERE id = $i"
		[ "$(broken_at)" = "$i" ] || { echo "edit of row $i" >&2; false; }
		restore
		tamper "DELETE FROM audit WHERE id = $i"
		[ "$(broken_at)" = "$i" ] || { echo "deletion of row $i" >&2; false; }
	done
	restore
	run taxid-verify audit
	assert_success
}

@test "each row's hash covers the previous row's hash: row 2's hash is the keyed HMAC of row 1's hash and row 2's fields" {
	six_rows
	# the layout of lib/audit.c: prev (32 bytes), then id, at, tool, action, actor, subject, detail, each as a
	# 32-bit little-endian length and its bytes (NULL: length 0), under HMAC-SHA-256 with the audit key
	# (HMAC-SHA-256 of "taxid/v1/audit" under the key file's 32-byte master key, lib/keys.c; SECURITY rule 30);
	# computed here with Perl from the stored row and the key file
	master=$(sed -n 's/^taxid-key-v1 //p' "$TAXID_KEY")
	[ "${#master}" = 64 ]
	row=$(dbq_json "SELECT id, at, tool, action, actor, subject, detail, hex(prev) AS p,
		hex(hash) AS h FROM audit WHERE id = 2")
	want=$(MASTER=$master perl -MJSON::PP -MDigest::SHA=hmac_sha256,hmac_sha256_hex -e '
		my $key = hmac_sha256("taxid/v1/audit", pack("H*", $ENV{MASTER}));
		my $r = decode_json(join "", <STDIN>)->[0];
		my $b = pack "H*", $r->{p};
		for my $k (qw(id at tool action actor subject detail)) {
			my $v = defined $r->{$k} ? "$r->{$k}" : ""; utf8::encode($v);
			$b .= pack("V", length $v) . $v;
		}
		print uc hmac_sha256_hex($b, $key), " ", $r->{h}, "\n"' <<<"$row")
	[ "${want% *}" = "${want#* }" ]
	# and row 2's prev is row 1's hash
	[ "$(dbq "SELECT CAST((SELECT prev FROM audit WHERE id = 2) = (SELECT hash FROM audit WHERE id = 1) AS INTEGER)")" = 1 ]
}

@test "swapping any two rows (a reordering) is reported at the first of them" {
	six_rows
	for i in 1 2 3 4 5; do
		for j in $(seq $((i + 1)) 6); do
			restore
			swap "$i" "$j"
			[ "$(dbq "SELECT count(*) FROM audit")" = 6 ]
			[ "$(dbq "SELECT hex(hash) FROM audit WHERE id = $i")" = \
				"$(TAXID_DB=$(db_path pristine) dbq "SELECT hex(hash) FROM audit WHERE id = $j")" ]
			[ "$(broken_at)" = "$i" ] || { echo "swap of rows $i and $j" >&2; false; }
		done
	done
}

@test "moving any row to the end, or rotating the rows after it, is reported at the row it left" {
	six_rows
	for i in 1 2 3 4 5; do
		restore
		# row i taken out and put back as the newest row: the same rows, in another order
		tamper "UPDATE audit SET id = 7 WHERE id = $i; UPDATE audit SET id = id - 1 WHERE id > $i"
		[ "$(dbq "SELECT count(*), max(id) FROM audit")" = '6|6' ]
		[ "$(broken_at)" = "$i" ] || { echo "row $i moved to the end" >&2; false; }
		restore
		# rows i..6 rotated by one: the newest row put in place of row i
		tamper "UPDATE audit SET id = -id WHERE id >= $i; UPDATE audit SET id = CASE WHEN id = -6 THEN $i ELSE -id + 1 END WHERE id < 0"
		[ "$(dbq "SELECT count(*), max(id) FROM audit")" = '6|6' ]
		[ "$(broken_at)" = "$i" ] || { echo "rows from $i rotated" >&2; false; }
	done
}

@test "a reordered chain stays reported after later writes, at the same row" {
	six_rows
	swap 2 4
	[ "$(broken_at)" = 2 ]
	run taxid-verify --now 2026-11-25T09:00:00Z sms send phone=13800138000 purpose=register
	assert_success
	[ "$(audit_count)" = 7 ]
	[ "$(broken_at)" = 2 ]
}

@test "a batch with refused requests keeps the chain whole, the head written at commit is its last row, and its row names each person it created" {
	taxid-register fixture --count 12 --seed 4 --password 'Fixture!pw1' >people.ndjson
	# records 4 and 8 take login names already used by records 1 and 2: refused inside their batches
	a=$(sed -n 1p people.ndjson | jq -r .login_name) b=$(sed -n 2p people.ndjson | jq -r .login_name)
	jq -c --arg a "$a" --arg b "$b" 'if .ref == "fx-4" then .login_name = $a elif .ref == "fx-8" then .login_name = $b else . end' \
		people.ndjson >in.ndjson
	run taxid-register import --batch-size 5 <in.ndjson
	assert_failure 1
	[ "$(jq -s -c 'map(select(.ok | not) | .line)' <<<"$output")" = '[4,8]' ]
	created=$(jq -r 'select(.status == "created") | .person' <<<"$output" | paste -sd' ')
	[ "$(dbq 'SELECT count(*) FROM person')" = 10 ]
	run taxid-verify audit
	assert_success
	[ "$(jfield .chain)" = intact ]
	rows=$(jfield .rows)
	# the head in meta is the last row: another transaction appends onto it
	[ "$(dbq "SELECT value FROM meta WHERE key = 'audit_head'" | cut -d: -f1)" = "$rows" ]
	# one import_batch row per batch, at its commit: records 1-3 and 5 made persons 1-4, 6, 7, 9 and 10 made 5-8,
	# 11 and 12 made 9 and 10; with their accounts, no subject, no row per person
	[ "$(dbq "SELECT group_concat(p, ' ') FROM (SELECT json_extract(detail, '\$.persons') AS p FROM audit
		WHERE action = 'import_batch' ORDER BY id) AS b")" = \
		'[1,2,3,4] [5,6,7,8] [9,10]' ]
	[ "$(dbq "SELECT group_concat(CAST(subject IS NULL AND CAST(json_extract(detail, '\$.count') AS INTEGER) =
		json_array_length(detail, '\$.persons') AND json_extract(detail, '\$.persons') = json_extract(detail, '\$.accounts')
		AS INTEGER), ' ') FROM audit WHERE action = 'import_batch'")" = '1 1 1' ]
	[ "$rows" = 3 ]
	# every person a result line says was created is named once, in order
	[ "$created" = "$(dbq "SELECT group_concat(j.value, ' ') FROM audit, json_each(audit.detail, '\$.persons') AS j WHERE audit.action = 'import_batch'")" ]
	# who created person 7: the query taxid-db(5) gives
	[ "$(dbq "SELECT a.id || ' ' || a.tool FROM audit a, json_each(a.detail, '\$.persons') p
		WHERE a.action = 'import_batch' AND CAST(p.value AS INTEGER) = 7")" = '2 taxid-register' ]
	# a rerun creates no one and writes no row; a record that raises a level gets an import row of its own
	taxid-register import --batch-size 5 <in.ndjson >/dev/null || [ $? -eq 1 ]
	[ "$(audit_count)" = 3 ]
	sed -n 3p people.ndjson | jq -c '.face_verified = true' | taxid-register import >/dev/null
	[ "$(dbq "SELECT subject || ' ' || json_extract(detail, '\$.status') FROM audit WHERE action = 'import'")" = 'person:3 updated' ]
	taxid-verify sms send phone=13800138000 purpose=register >/dev/null
	run taxid-verify audit
	[ "$(jfield .chain)/$(jfield .rows)" = "intact/$((rows + 2))" ]
}
