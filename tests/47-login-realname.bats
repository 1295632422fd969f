#!/usr/bin/env bats
# taxid-login and real-name standing (issue 14): an expired identity document warns at login (items 3), QR login
# keeps the business, electronic business licence login (item 5).
load helper

load bind-helper

local_setup() {
	bind_fixture
}

# expire LOGIN'S-DOC DATE: the document's expiry as a hall recorded it.
expire() { dbq "UPDATE document SET expires_on = '$2' WHERE id = (SELECT d.id FROM document d JOIN account a ON a.person_id = d.person_id WHERE a.login_name = '$1')"; }

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

# ent_sess SESSION TIN: an enterprise session entered by authorisation.
ent_sess() { taxid-bind enter session="$1" tin="$2" | jq -r .session.token; }

@test "a QR confirmed from an enterprise session yields an enterprise session for the same enterprise" {
	R=$(sess wang_rep 13800138001)
	ES=$(ent_sess "$R" $E1)
	[ -n "$ES" ] && [ "$ES" != null ]
	qr=$(taxid-login qr issue | jq -r .qr)
	run taxid-login qr confirm qr="$qr" session="$ES"
	assert_success
	[ "$(jfield .kind)/$(jfield .scope)" = "enterprise/enterprise:$E1" ]
	run taxid-login qr poll qr="$qr"
	assert_success
	[ "$(jfield .session.kind)" = enterprise ]
	[ "$(jfield .session.scope)" = "enterprise:$E1" ]
	[ "$(jfield .session.factor)" = qr ]
	tok=$(jfield .session.token)
	[ "$(dbq "select kind || ' ' || scope from session where parent_id is not null order by id desc limit 1")" = "enterprise enterprise:$E1" ]
	# the derived session is an enterprise one: no personal business with it
	run taxid-login rename session="$tok" password="$PW" new_login_name=wang_new
	[ "$(jfield .error.code)" = session_scoped ]
	run taxid-bind grant session="$tok" tin=$E1 login_name=zhao_tax role=tax_handler
	[ "$(jfield .error.code)" = session_scoped ]
	# enterprise sessions are not for personal actions
	run taxid-login session check token="$tok"
	[ "$(jfield .error.code)" = session_scoped ]
}

@test "a QR confirmed from a personal session yields a personal one; the business follows the confirming session only" {
	R=$(sess wang_rep 13800138001)
	qr=$(taxid-login qr issue | jq -r .qr)
	run taxid-login qr confirm qr="$qr" session="$R"
	[ "$(jfield .kind)" = personal ]
	[ "$(jfield '.scope // "none"')" = none ]
	run taxid-login qr poll qr="$qr"
	[ "$(jfield .session.kind)" = personal ]
	[ "$(jfield '.session.scope // "none"')" = none ]
	# a QR once confirmed in a personal session cannot be re-confirmed in an enterprise one
	ES=$(ent_sess "$R" $E1)
	qr=$(taxid-login qr issue | jq -r .qr)
	taxid-login qr confirm qr="$qr" session="$R" >/dev/null
	run taxid-login qr confirm qr="$qr" session="$ES"
	[ "$(jfield .error.code)" = challenge_invalid ]
	# the request cannot name a scope: a member "scope" is ignored
	qr=$(taxid-login qr issue | jq -r .qr)
	taxid-login qr confirm qr="$qr" session="$R" scope=enterprise:$E2 kind=enterprise >/dev/null || true
	run taxid-login qr poll qr="$qr"
	[ "$(jfield .session.kind)" = personal ]
}

@test "an enterprise QR login ends with its confirming session" {
	R=$(sess wang_rep 13800138001)
	ES=$(ent_sess "$R" $E1)
	qr=$(taxid-login qr issue | jq -r .qr)
	taxid-login qr confirm qr="$qr" session="$ES" >/dev/null
	taxid-login session logout token="$ES" >/dev/null
	run taxid-login qr poll qr="$qr"
	assert_failure 1
	[ "$(jfield .error.code)" = challenge_invalid ]
	[ "$(jfield '.session.token // "none"')" = none ]
}

# lic TIN DOC [ISSUER [RESULT]]: a signed business-licence verdict naming the enterprise and the person.
lic() { verdict "${3:-lic}" business_licence "$1/$2" "${4:-pass}"; }
WANG=110105198001010016
ZHAO=110105199003030031

@test "electronic business licence login: a signed verdict opens an enterprise session for a related person" {
	keygen lic
	trust lic business_licence
	run taxid-login licence tin=$E1 doc_type=201 doc_no=$WANG licence:="$(lic $E1 $WANG)"
	assert_success
	[ "$(jfield .session.kind)" = enterprise ]
	[ "$(jfield .session.scope)" = "enterprise:$E1" ]
	[ "$(jfield .session.factor)" = business_licence ]
	[ "$(jfield .role)" = legal_rep ]
	[ "$(jfield .login_name)" = wang_rep ]
	refute_output --partial $WANG
	[ "$(dbq "select kind || ' ' || factor || ' ' || scope from session order by id desc limit 1")" = "enterprise business_licence enterprise:$E1" ]
	[ "$(dbq "select count(*) from audit where action = 'login_licence'")" = 1 ]
	# E2 has 王法人 as legal representative too
	run taxid-login licence tin=$E2 doc_type=201 doc_no=$WANG licence:="$(lic $E2 $WANG)"
	[ "$(jfield .session.scope)" = "enterprise:$E2" ]
}

@test "licence login refuses: replayed, untrusted issuer, another kind, wrong enterprise, wrong person, failed" {
	keygen lic
	trust lic business_licence
	keygen face
	trust face face
	v=$(lic $E1 $WANG)
	run taxid-login licence tin=$E1 doc_type=201 doc_no=$WANG licence:="$v"
	assert_success
	run taxid-login licence tin=$E1 doc_type=201 doc_no=$WANG licence:="$v"
	assert_failure 1
	[ "$(jfield .error.code)" = verdict_replayed ]
	# an issuer trusted for face only cannot sign licences
	run taxid-login licence tin=$E1 doc_type=201 doc_no=$WANG licence:="$(lic $E1 $WANG face)"
	[ "$(jfield .error.code)" = verdict_untrusted ]
	# a face verdict of the trusted licence issuer is of another kind
	run taxid-login licence tin=$E1 doc_type=201 doc_no=$WANG licence:="$(verdict lic face "$E1/$WANG")"
	[ "$(jfield .error.code)" = verdict_wrong_kind ]
	# a licence for E1 does not open E2, nor name another person
	run taxid-login licence tin=$E2 doc_type=201 doc_no=$WANG licence:="$(lic $E1 $WANG)"
	[ "$(jfield .error.code)" = verdict_subject_mismatch ]
	run taxid-login licence tin=$E1 doc_type=201 doc_no=$ZHAO licence:="$(lic $E1 $WANG)"
	[ "$(jfield .error.code)" = verdict_subject_mismatch ]
	run taxid-login licence tin=$E1 doc_type=201 doc_no=$WANG licence:="$(lic $E1 $WANG lic fail)"
	[ "$(jfield .error.code)" = verdict_failed ]
	run taxid-login licence tin=$E1 doc_type=201 doc_no=$WANG
	[ "$(jfield .error.code)" = missing_field ]
	[ "$(dbq "select count(*) from session where kind = 'enterprise'")" = 1 ]
}

@test "licence login needs an active relation: none, pending, then confirmed; a refusal spends the verdict" {
	keygen lic
	trust lic business_licence
	v=$(lic $E1 $ZHAO)
	run taxid-login licence tin=$E1 doc_type=201 doc_no=$ZHAO licence:="$v"
	assert_failure 1
	[ "$(jfield .error.code)" = not_related ]
	run taxid-login licence tin=$E1 doc_type=201 doc_no=$ZHAO licence:="$v"
	[ "$(jfield .error.code)" = verdict_replayed ]
	R=$(sess wang_rep 13800138001)
	rel=$(taxid-bind grant session="$R" tin=$E1 login_name=zhao_tax role=tax_handler | jq -r .relation)
	run taxid-login licence tin=$E1 doc_type=201 doc_no=$ZHAO licence:="$(lic $E1 $ZHAO)"
	[ "$(jfield .error.code)" = not_related ]
	Z=$(sess zhao_tax 13800138003)
	taxid-bind confirm session="$Z" relation="$rel" >/dev/null
	run taxid-login licence tin=$E1 doc_type=201 doc_no=$ZHAO licence:="$(lic $E1 $ZHAO)"
	assert_success
	[ "$(jfield .role)" = tax_handler ]
	# revoked: refused again
	taxid-bind revoke session="$R" relation="$rel" >/dev/null
	run taxid-login licence tin=$E1 doc_type=201 doc_no=$ZHAO licence:="$(lic $E1 $ZHAO)"
	[ "$(jfield .error.code)" = not_related ]
	# a person with no account at all: not_related too (nothing said about the registry)
	run taxid-login licence tin=$E1 doc_type=201 doc_no=11010519491231002X licence:="$(lic $E1 11010519491231002X)"
	[ "$(jfield .error.code)" = not_related ]
}

@test "licence login passes the gates of key business: an expired document, a locked account" {
	keygen lic
	trust lic business_licence
	expire wang_rep 2026-11-24
	run taxid-login licence tin=$E1 doc_type=201 doc_no=$WANG licence:="$(lic $E1 $WANG)"
	[ "$(jfield .error.code)" = document_expired ]
	expire wang_rep 2036-11-24
	keygen cap
	trust cap captcha
	for i in 1 2 3 4 5; do taxid-login account=wang_rep password="wrong$i" captcha:="$(verdict cap captcha wang_rep)" >/dev/null || true; done
	run taxid-login account=wang_rep password="$PW" captcha:="$(verdict cap captcha wang_rep)"
	[ "$(jfield .error.code)" = locked ]
	run taxid-login licence tin=$E1 doc_type=201 doc_no=$WANG licence:="$(lic $E1 $WANG)"
	assert_failure 1
	[ "$(jfield .error.code)" = locked ]
}
