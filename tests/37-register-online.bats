#!/usr/bin/env bats
# 37-register-online: issue 14 — consent on collect, supplement and change (seed 001), as on register.
load helper

ZS=11010519491231002X # 张三
LS=440524188001010014 # 李四

local_setup() {
	keygen face && trust face face
}

# import_zs: 张三 with an account (zhang_san, phone 13800138000) and no consent on record.
import_zs() {
	jq -nc --arg d $ZS '{doc_type:"201", doc_no:$d, name:"张三", login_name:"zhang_san", phone:"13800138000",
		initial_password:"doc_tail6"}' | taxid-register import >/dev/null
}

@test "collect: the notice is required (consent_required), the face agreement with a face; nothing written without" {
	run taxid-register collect doc_type=201 doc_no=$ZS name=张三 operator=op7
	[ "$(jfield .error.code)" = consent_required ]
	[ "$(jfield .error.field)" = consent ]
	run taxid-register collect doc_type=201 doc_no=$ZS name=张三 operator=op7 'consent:={"face":"1"}'
	[ "$(jfield .error.code)" = consent_required ]
	[ "$(jfield .error.field)" = consent.pip ]
	run taxid-register collect doc_type=201 doc_no=$ZS name=张三 operator=op7 'consent:={"pip":"2024.1"}' \
		face:="$(verdict face face $ZS)"
	[ "$(jfield .error.code)" = consent_required ]
	[ "$(jfield .error.field)" = consent.face ]
	run taxid-register collect doc_type=201 doc_no=$ZS name=张三 operator=op7 'consent:="2024.1"'
	[ "$(jfield .error.code)" = bad_type ]
	[ "$(dbq 'SELECT count(*) FROM person')" = 0 ]
	[ "$(dbq "SELECT count(*) FROM audit WHERE action = 'collect'")" = 0 ]
}

@test "collect: the versions are audited; on the account when the person has one, other kinds kept" {
	run taxid-register collect doc_type=201 doc_no=$LS name=李四 operator=op7 'consent:={"pip":"2024.1"}'
	assert_success
	[ "$(dbq "SELECT json_extract(detail, '\$.consent.pip.version') FROM audit WHERE action = 'collect'")" = 2024.1 ]
	[ "$(dbq "SELECT CAST(json_extract(detail, '\$.consent.pip.accepted_at') IS NOT NULL AS INTEGER) FROM audit WHERE action = 'collect'")" = 1 ]
	import_zs
	dbq "UPDATE account SET consent = '{\"face\":{\"version\":\"2023.2\",\"accepted_at\":\"x\"}}'"
	run taxid-register collect doc_type=201 doc_no=$ZS name=张三 operator=op7 'consent:={"pip":"2025.1"}'
	assert_success
	[ "$(dbq "SELECT json_extract(consent, '\$.pip.version'), json_extract(consent, '\$.face.version') FROM account")" = '2025.1|2023.2' ]
	run taxid-register show login_name=zhang_san
	[ "$(jfield .account.consent.pip.version)" = 2025.1 ]
}

@test "supplement: consent required before anything; the versions recorded with the supplement" {
	import_zs
	run taxid-register supplement doc_type=201 doc_no=$ZS name=张三 face:="$(verdict face face $ZS)"
	[ "$(jfield .error.code)" = consent_required ]
	run taxid-register supplement doc_type=201 doc_no=$ZS name=张三 face:="$(verdict face face $ZS)" \
		'consent:={"pip":"2024.1"}'
	[ "$(jfield .error.code)" = consent_required ]
	[ "$(jfield .error.field)" = consent.face ]
	[ "$(dbq 'SELECT CAST(photo_ref IS NULL AS INTEGER) FROM person')" = 1 ]
	[ "$(dbq 'SELECT CAST(consent IS NULL AS INTEGER) FROM account')" = 1 ]
	run taxid-register supplement doc_type=201 doc_no=$ZS name=张三 face:="$(verdict face face $ZS)" \
		'consent:={"pip":"2024.1","face":"2023.2"}'
	assert_success
	[ "$(dbq "SELECT json_extract(consent, '\$.pip.version'), json_extract(consent, '\$.face.version') FROM account")" = '2024.1|2023.2' ]
	[ "$(dbq "SELECT json_extract(detail, '\$.consent.face.version') FROM audit WHERE action = 'supplement'")" = 2023.2 ]
}

@test "supplement: a refused one records no consent" {
	import_zs
	run taxid-register supplement doc_type=201 doc_no=$ZS name=李四 face:="$(verdict face face $ZS)" \
		'consent:={"pip":"2024.1","face":"2023.2"}'
	assert_failure
	[ "$(dbq 'SELECT CAST(consent IS NULL AS INTEGER) FROM account')" = 1 ]
}

@test "change: the notice and the face agreement are required; the versions replace those on the account" {
	import_zs
	run taxid-register change doc_type=201 doc_no=$ZS name=张三 region=110101 face:="$(verdict face face $ZS)"
	[ "$(jfield .error.code)" = consent_required ]
	run taxid-register change doc_type=201 doc_no=$ZS name=张三 region=110101 face:="$(verdict face face $ZS)" \
		'consent:={"pip":"2024.1"}'
	[ "$(jfield .error.code)" = consent_required ]
	[ "$(jfield .error.field)" = consent.face ]
	[ "$(dbq 'SELECT CAST(region IS NULL AS INTEGER) FROM account')" = 1 ]
	run taxid-register change doc_type=201 doc_no=$ZS name=张三 region=110101 face:="$(verdict face face $ZS)" \
		'consent:={"pip":"2024.1","face":"2023.2"}'
	assert_success
	run taxid-register change doc_type=201 doc_no=$ZS name=张三 region=110105 face:="$(verdict face face $ZS)" \
		'consent:={"pip":"2026.1","face":"2023.2"}'
	assert_success
	[ "$(dbq "SELECT json_extract(consent, '\$.pip.version'), region FROM account")" = '2026.1|110105' ]
	[ "$(dbq "SELECT group_concat(json_extract(detail, '\$.consent.pip.version')) FROM audit WHERE action = 'change'")" = 2024.1,2026.1 ]
}
