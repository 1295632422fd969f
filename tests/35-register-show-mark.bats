#!/usr/bin/env bats
# 35-register-show-mark: look-up by document, login name or phone (masked unless --reveal, which is audited);
# abnormal marks stop registration, login and verification (identity_abnormal), and can be lifted.
load helper

ZS=11010519491231002X # 张三
LS=440524188001010014 # 李四

local_setup() {
	jq -nc --arg d $ZS '{doc_type:"201", doc_no:$d, name:"阿依古丽·买买提", login_name:"ayguli", phone:"13800138000", initial_password:"doc_tail6", region:"110105"}' |
		taxid-register import >/dev/null
}

@test "show: by document, login name or phone; name, document and phone masked" {
	local by
	for by in "doc_type=201 doc_no=$ZS" "login_name=ayguli" "phone=13800138000" "phone=+8613800138000"; do
		# shellcheck disable=SC2086
		run taxid-register show $by
		assert_success
		[ "$(jfield .person)" = 1 ]
		[ "$(jfield .name)" = '阿*' ]
		[ "$(jfield '.documents[0].doc_no')" = '110105********002X' ]
		[ "$(jfield .account.phone)" = '138****8000' ]
		[ "$(jfield .account.login_name)" = ayguli ]
		[ "$(jfield '.birth_date // "hidden"')" = hidden ]
	done
	[ "$(jfield .level)/$(jfield .state)" = 3/normal ]
	[ "$(jfield .account.must_change)" = true ]
	[ "$(jfield .account.region)" = 110105 ]
	# showing changes nothing and writes no audit row
	[ "$(dbq "SELECT count(*) FROM audit WHERE action = 'reveal'")" = 0 ]
}

@test "show --reveal prints personal data and is audited" {
	run env TAXID_OPERATOR=op-test taxid-register --reveal show login_name=ayguli
	assert_success
	[ "$(jfield .name)" = '阿依古丽·买买提' ]
	[ "$(jfield '.documents[0].doc_no')" = $ZS ]
	[ "$(jfield .account.phone)" = 13800138000 ]
	[ "$(jfield .birth_date)/$(jfield .sex)" = 1949-12-31/F ]
	[ "$(dbq "SELECT count(*) FROM audit WHERE action = 'reveal'")" = 1 ]
}

@test "show: unknown person is not_found; a name given must match; the database must exist" {
	run taxid-register show doc_type=201 doc_no=$LS
	assert_failure 1
	[ "$(jfield .error.code)" = not_found ]
	run taxid-register show login_name=nobody
	[ "$(jfield .error.code)/$(jfield .error.field)" = not_found/login_name ]
	run taxid-register show doc_type=201 doc_no=$ZS name=张三
	[ "$(jfield .error.code)" = name_mismatch ]
	run taxid-register show ref=1
	[ "$(jfield .error.code)" = missing_field ]
	run taxid-register -d nowhere.db show login_name=ayguli
	assert_failure 66
	[ ! -e nowhere.db ]
}

@test "mark abnormal: registration, code, login and verification all answer identity_abnormal" {
	keygen face && trust face face
	run taxid-register mark doc_type=201 doc_no=$ZS reason=household_cancelled operator=op7
	assert_success
	[ "$(jfield .changed)" = true ]
	[ "$(dbq 'SELECT state, abnormal_reason FROM person')" = 'abnormal|household_cancelled' ]
	[ "$(dbq "SELECT actor, subject FROM audit WHERE action = 'mark'")" = 'op7|person:1' ]
	run taxid-verify doc_type=201 doc_no=$ZS name='阿依古丽·买买提'
	assert_failure 1
	[ "$(jfield .error.code)" = identity_abnormal ]
	run taxid-login account=ayguli password=31002X
	[ "$(jfield .error.code)" = identity_abnormal ]
	run taxid-register code doc_type=201 doc_no=$ZS name='阿依古丽·买买提' operator=op7
	[ "$(jfield .error.code)" = identity_abnormal ]
	# a second person, marked before registering by face
	jq -nc --arg d $LS '{doc_type:"201", doc_no:$d, name:"李四"}' | taxid-register import >/dev/null
	taxid-register mark doc_type=201 doc_no=$LS reason=deceased operator=op7 >/dev/null
	ch=$(taxid-verify sms send phone=13900139000 purpose=register | jq -r .challenge)
	k=$(sms_code 13900139000)
	req=$(jq -nc --arg d $LS --arg ch "$ch" --arg k "$k" --argjson v "$(verdict face face $LS)" \
		'{method:"face", face:$v, doc_type:"201", doc_no:$d, name:"李四", login_name:"li_si", password:"Secr3t!pass",
		  phone:"13900139000", sms:{challenge:$ch, code:$k}, consent:{pip:"1", face:"1"}}')
	run taxid-register <<<"$req"
	assert_failure 1
	[ "$(jfield .error.code)/$(jfield .error.reason)" = identity_abnormal/deceased ]
	# marked normal again (with a reason): the same person registers
	run taxid-register mark doc_type=201 doc_no=$LS state=normal reason='certificate of life shown at hall 3' operator=op8
	assert_success
	[ "$(dbq "SELECT state, CAST(abnormal_reason IS NULL AS INTEGER) FROM person WHERE id = 2")" = 'normal|1' ]
	export TAXID_NOW=$(at 2)
	ch=$(taxid-verify sms send phone=13900139000 purpose=register | jq -r .challenge)
	k=$(sms_code 13900139000)
	run taxid-register <<<"$(jq -c --arg ch "$ch" --arg k "$k" --argjson v "$(verdict face face $LS)" '.sms = {challenge:$ch, code:$k} | .face = $v' <<<"$req")"
	assert_success
	taxid-verify audit >/dev/null
}

@test "mark: reasons, idempotence, refusals" {
	run taxid-register mark doc_type=201 doc_no=$ZS reason=bored operator=op7
	[ "$(jfield .error.code)/$(jfield .error.field)" = bad_value/reason ]
	[ "$(jfield '.error.allowed | length')" = 4 ]
	run taxid-register mark doc_type=201 doc_no=$ZS state=gone reason=deceased operator=op7
	[ "$(jfield .error.code)/$(jfield .error.field)" = bad_value/state ]
	run taxid-register mark doc_type=201 doc_no=$ZS reason=deceased
	[ "$(jfield .error.code)/$(jfield .error.field)" = operator_required/operator ]
	run taxid-register mark doc_type=201 doc_no=$LS reason=deceased operator=op7
	[ "$(jfield .error.code)" = not_found ]
	run taxid-register mark doc_type=201 doc_no=$ZS name=张三 reason=deceased operator=op7
	[ "$(jfield .error.code)" = name_mismatch ]
	for r in suspected_fraud document_stolen deceased; do
		run taxid-register mark doc_type=201 doc_no=$ZS reason=$r operator=op7
		assert_success
	done
	run taxid-register mark doc_type=201 doc_no=$ZS reason=deceased operator=op7
	[ "$(jfield .changed)" = false ]
	[ "$(dbq "SELECT count(*) FROM audit WHERE action = 'mark'")" = 3 ]
	run taxid-register show login_name=ayguli
	[ "$(jfield .state)/$(jfield .abnormal_reason)" = abnormal/deceased ]
}

@test "mark abnormal revokes the person's sessions" {
	dbq "INSERT INTO session(account_id, token_hash, kind, created_at, last_seen_at, expires_at)
		VALUES (1, randomblob(32), 'password', 0, 0, 9999999999), (1, randomblob(32), 'password', 0, 0, 9999999999)"
	run taxid-register mark doc_type=201 doc_no=$ZS reason=suspected_fraud operator=op7
	assert_success
	[ "$(jfield .sessions_revoked)" = 2 ]
	[ "$(dbq 'SELECT count(*) FROM session WHERE revoked_at IS NULL')" = 0 ]
}
