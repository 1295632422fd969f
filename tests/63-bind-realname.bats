#!/usr/bin/env bats
# taxid-bind and real-name standing (issue 14): key business refused while the document has expired (item 3),
# cross-region registrations (item 6).
load helper

load bind-helper

local_setup() {
	bind_fixture
	keygen cap
	trust cap captcha
	R=$(sess wang_rep 13800138001)
	Z=$(sess zhao_tax 13800138003)
}

expire() { dbq "UPDATE document SET expires_on = '$2' WHERE id = (SELECT d.id FROM document d JOIN account a ON a.person_id = d.person_id WHERE a.login_name = '$1')"; }

@test "an expired document refuses key business (grant, request, bind, enter, declpw, confirm) until supplement renews it" {
	declpw set "$R" $E1 Decl2026pw 13800138001 | jq -e .declaration_password_set >/dev/null
	run taxid-bind grant session="$R" tin=$E1 login_name=zhao_tax role=tax_handler
	assert_success
	rel=$(jfield .relation)
	expire wang_rep 2026-11-24
	run taxid-bind grant session="$R" tin=$E1 login_name=qian_other role=tax_handler
	assert_failure 1
	[ "$(jfield .error.code)" = document_expired ]
	[ "$(jfield .error.expires_on)" = 2026-11-24 ]
	[ "$(jfield .error.action)" = "taxid-register supplement" ]
	run taxid-bind bind session="$R" tin=$E1 role=legal_rep
	[ "$(jfield .error.code)" = document_expired ]
	run taxid-bind enter session="$R" tin=$E1
	[ "$(jfield .error.code)" = document_expired ]
	run taxid-bind declpw reset session="$R" tin=$E1 declaration_password=New2026pwx
	[ "$(jfield .error.code)" = document_expired ]
	# the grantee's own business is not the grantor's: zhao confirms
	run taxid-bind confirm session="$Z" relation="$rel"
	assert_success
	# the same session works again once the document is renewed (补录)
	run taxid-register supplement doc_type=201 doc_no=110105198001010016 name=王法人 expires_on=2036-11-24 consent:='{"pip":"1"}'
	assert_success
	run taxid-bind enter session="$R" tin=$E1
	assert_success
	[ "$(jfield .via)" = authorisation ]
}

@test "an expired document: the declaration-password path and request are refused before the password is tried" {
	declpw set "$R" $E1 Decl2026pw 13800138001 >/dev/null
	expire zhao_tax 2026-11-24
	run taxid-bind enter session="$Z" tin=$E1 declaration_password=Decl2026pw captcha:="$(verdict cap captcha $E1)"
	assert_failure 1
	[ "$(jfield .error.code)" = document_expired ]
	[ "$(jfield '.session.token // "none"')" = none ]
	# not counted against the declaration-password lock
	[ "$(dbq "select count(*) from lock_counter where scope like 'declaration:%'")" = 0 ]
	run taxid-bind request session="$Z" tin=$E1 role=tax_handler
	[ "$(jfield .error.code)" = document_expired ]
	# listing one's own relations is not key business
	run taxid-bind list session="$Z"
	assert_success
}

@test "the gate's expiry boundary: the expiry day is valid to local midnight" {
	expire zhao_tax 2026-11-25
	declpw set "$R" $E1 Decl2026pw 13800138001 >/dev/null
	export TAXID_NOW=2026-11-25T15:58:00Z
	Z=$(sess zhao_tax 13800138003)
	TAXID_NOW=2026-11-25T15:59:00Z run taxid-bind enter session="$Z" tin=$E1 declaration_password=Decl2026pw captcha:="$(TAXID_NOW=2026-11-25T15:59:00Z verdict cap captcha $E1)"
	assert_success
	TAXID_NOW=2026-11-25T16:00:00Z run taxid-bind enter session="$Z" tin=$E1 declaration_password=Decl2026pw captcha:="$(TAXID_NOW=2026-11-25T16:00:00Z verdict cap captcha $E1)"
	[ "$(jfield .error.code)" = document_expired ]
}

@test "cross-region registrations: an operator records them, anyone lists them; enter names the authority in the scope" {
	run taxid-bind enterprise register tin=$E1 authority=13101150000 kind=home operator=op1
	assert_success
	[ "$(jfield .did)" = registered ]
	run taxid-bind enterprise register tin=$E1 authority=13201020000 operator=op1
	assert_success
	[ "$(jfield .kind)" = cross_region ]
	run taxid-bind enterprise register tin=$E1 authority=13201020000 operator=op1
	[ "$(jfield .did)" = already_registered ]
	run taxid-bind enterprise registrations tin=$E1
	assert_success
	[ "$(jfield '[.registrations[] | .authority + ":" + .kind] | join(",")')" = "13101150000:home,13201020000:cross_region" ]
	[ "$(dbq "select count(*) from audit where action = 'enterprise_register'")" = 2 ]
	run taxid-bind enter session="$R" tin=$E1 authority=13201020000
	assert_success
	[ "$(jfield .session.scope)" = "enterprise:$E1@13201020000" ]
	[ "$(jfield .authority)" = 13201020000 ]
	[ "$(dbq "select scope from session where kind = 'enterprise'")" = "enterprise:$E1@13201020000" ]
	# without an authority, the enterprise as before
	run taxid-bind enter session="$R" tin=$E1
	[ "$(jfield .session.scope)" = "enterprise:$E1" ]
	# a QR login from it keeps the authority
	ES=$(taxid-bind enter session="$R" tin=$E1 authority=13101150000 | jq -r .session.token)
	qr=$(taxid-login qr issue | jq -r .qr)
	taxid-login qr confirm qr="$qr" session="$ES" >/dev/null
	run taxid-login qr poll qr="$qr"
	[ "$(jfield .session.scope)" = "enterprise:$E1@13101150000" ]
}

@test "cross-region: an authority the enterprise is not registered with is refused, before any password is tried" {
	taxid-bind enterprise register tin=$E1 authority=13101150000 kind=home operator=op1 >/dev/null
	taxid-bind enterprise register tin=$E2 authority=14401000000 kind=home operator=op1 >/dev/null
	declpw set "$R" $E1 Decl2026pw 13800138001 >/dev/null
	# E2's authority does not open E1
	run taxid-bind enter session="$R" tin=$E1 authority=14401000000
	assert_failure 1
	[ "$(jfield .error.code)/$(jfield .error.field)" = authority_not_registered/authority ]
	run taxid-bind enter session="$Z" tin=$E1 authority=14401000000 declaration_password=wrong1pw captcha:="$(verdict cap captcha $E1)"
	[ "$(jfield .error.code)" = authority_not_registered ]
	[ "$(dbq "select count(*) from lock_counter where scope like 'declaration:%'")" = 0 ]
	# malformed codes cannot smuggle anything into the scope
	for bad in '13101150000@x' '1310115000' 'x3101150000' '23101150000' '13101150000 '; do
		run taxid-bind enter session="$R" tin=$E1 authority="$bad"
		[ "$(jfield .error.code)/$(jfield .error.field)" = bad_value/authority ]
	done
	[ "$(dbq "select count(*) from session where kind = 'enterprise'")" = 0 ]
	# registering needs an operator; one home only; a kind is kept
	run taxid-bind enterprise register tin=$E1 authority=13201020000
	assert_failure
	run taxid-bind enterprise register tin=$E1 authority=13201020000 kind=home operator=op1
	[ "$(jfield .error.code)/$(jfield .error.reason)" = bad_value/home_already_registered ]
	run taxid-bind enterprise register tin=$E1 authority=13101150000 kind=cross_region operator=op1
	[ "$(jfield .error.reason)" = registered_as_other_kind ]
	run taxid-bind enterprise register tin=$E1 authority=13201020000 kind=branch operator=op1
	[ "$(jfield .error.code)/$(jfield .error.field)" = bad_value/kind ]
	run taxid-bind enterprise registrations tin=$E1
	[ "$(jfield '.registrations | length')" = 1 ]
}
