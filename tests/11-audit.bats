#!/usr/bin/env bats
# The audit chain (CONTRACT.md "Audit"): every change of state appends a row; editing, deleting or reordering
# rows is detected by `taxid-verify audit`.
load helper

audit_count() { sqlite3 "$TAXID_DB" 'SELECT count(*) FROM audit'; }
audit_actions() { sqlite3 "$TAXID_DB" 'SELECT action FROM audit ORDER BY id' | paste -sd' '; }

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
	sqlite3 "$TAXID_DB" "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; $1"
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
	run taxid-verify trust remove issuer=face-svc
	assert_success
	[ "$(audit_count)" = 5 ]
	[ "$(audit_actions)" = "trust_add sms_send outbox_drain verdict_consume trust_remove" ]
	# every row is stamped with the pinned clock and the tool
	run sqlite3 "$TAXID_DB" "SELECT DISTINCT at || ' ' || tool FROM audit"
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
	run taxid-verify trust add issuer=x 'kinds:=["face"]' public_key=nonsense
	assert_failure 1
	run taxid-verify trust remove issuer=nobody
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
	run sqlite3 "$TAXID_DB" "UPDATE audit SET detail = '{}' WHERE id = 3"
	assert_failure
	assert_output --partial 'append-only'
	run sqlite3 "$TAXID_DB" 'DELETE FROM audit WHERE id = 5'
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
	cp "$TAXID_DB" pristine.db
	for change in "at = '2026-11-25T08:00:01Z'" "tool = 'taxid-login'" "action = 'trust_remove'" \
		"actor = 'root'" "subject = 'someone-else'" "prev = zeroblob(32)" "hash = zeroblob(32)"; do
		cp pristine.db "$TAXID_DB"
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
	sqlite3 "$TAXID_DB" "INSERT INTO audit(id, at, tool, action, actor, subject, detail, prev, hash)
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
	run sqlite3 "$TAXID_DB" 'SELECT max(id) FROM audit'
	assert_output 6
}
