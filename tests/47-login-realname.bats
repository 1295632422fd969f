#!/usr/bin/env bats
# taxid-login and real-name standing (issue 14): an expired identity document warns at login (items 3), QR login
# keeps the business, electronic business licence login (item 5).
load helper

load bind-helper

local_setup() {
	bind_fixture
}

# expire LOGIN'S-DOC DATE: the document's expiry as a hall recorded it.
expire() { sqlite3 "$TAXID_DB" "UPDATE document SET expires_on = '$2' WHERE id = (SELECT d.id FROM document d JOIN account a ON a.person_id = d.person_id WHERE a.login_name = '$1')"; }

@test "a login with an expired document succeeds and warns what to do (补录 at taxid-register supplement)" {
	expire zhao_tax 2026-11-24
	run login_sms zhao_tax "$PW" 13800138003
	assert_success
	[ "$(jfield .session.kind)" = personal ]
	[ "$(jfield '.warnings | join(",")')" = document_expired ]
	[ "$(jfield .document_expired.expires_on)" = 2026-11-24 ]
	[ "$(jfield .document_expired.doc_type)" = 201 ]
	[ "$(jfield .document_expired.action)" = "taxid-register supplement" ]
	[ -n "$(jfield .document_expired.message)" ]
	# the result carries no document number
	refute_output --partial 110105199003030031
	# another person's login carries no warning
	run login_sms qian_other "$PW" 13800138004
	assert_success
	[ "$(jfield '.warnings // "none"')" = none ]
	[ "$(jfield '.document_expired // "none"')" = none ]
}

@test "the expiry day itself is still valid; the next local day is not (UTC+8 calendar)" {
	expire zhao_tax 2026-11-25
	# 2026-11-25T15:59:59Z is 23:59:59 on the 25th in Beijing: still valid
	TAXID_NOW=2026-11-25T15:59:00Z run login_sms zhao_tax "$PW" 13800138003
	assert_success
	[ "$(jfield '.warnings // "none"')" = none ]
	# 16:00Z is midnight of the 26th in Beijing: expired, although it is still the 25th in UTC
	TAXID_NOW=2026-11-25T16:00:00Z run login_sms zhao_tax "$PW" 13800138003
	assert_success
	[ "$(jfield '.warnings | join(",")')" = document_expired ]
	# the tool's calendar is what counts: in UTC it is still the 25th
	TAXID_TZ=+00:00 TAXID_NOW=2026-11-25T16:01:00Z run login_sms zhao_tax "$PW" 13800138003
	assert_success
	[ "$(jfield '.warnings // "none"')" = none ]
}

@test "an expired document warns on a face login and a QR login too" {
	keygen face
	trust face face
	expire zhao_tax 2026-01-01
	Z=$(face_sess zhao_tax 110105199003030031)
	[ -n "$Z" ]
	qr=$(taxid-login qr issue | jq -r .qr)
	taxid-login qr confirm qr="$qr" session="$Z" >/dev/null
	run taxid-login qr poll qr="$qr"
	assert_success
	[ "$(jfield '.warnings | join(",")')" = document_expired ]
}
