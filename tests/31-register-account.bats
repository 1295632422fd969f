#!/usr/bin/env bats
# 31-register-account: account registration by face (resident ID cards) and its rules — order of checks (SMS code
# before any write, identity proof before identity_occupied), login-name and password rules, consent, phone.
load helper

ZS=11010519491231002X # 张三
LS=440524188001010014 # 李四

local_setup() {
	keygen face && trust face face
}

# req_face DOC NAME LOGIN PASSWORD PHONE [EXTRA-JSON]: send a "register" SMS code to PHONE, sign a passing face
# verdict for DOC and print a face-registration request.
req_face() {
	local ch k v
	ch=$(taxid-verify sms send phone="$5" purpose=register | jq -r .challenge) || return 1
	k=$(sms_code "$5")
	v=$(verdict face face "$1")
	jq -nc --arg d "$1" --arg n "$2" --arg l "$3" --arg p "$4" --arg ph "$5" --arg ch "$ch" --arg k "$k" \
		--argjson v "$v" --argjson x "${6:-"{}"}" \
		'{method:"face", face:$v, doc_type:"201", doc_no:$d, name:$n, nationality:"CHN", login_name:$l,
		  password:$p, phone:$ph, sms:{challenge:$ch, code:$k}, consent:{pip:"2024.1", face:"2023.2"}} + $x'
}

# bare DOC LOGIN PASSWORD [PHONE]: a face request with a dummy SMS code and verdict (for validation failures that
# must come before the SMS code is even looked at).
bare() {
	jq -nc --arg d "$1" --arg l "$2" --arg p "$3" --arg ph "${4:-13800138000}" \
		'{method:"face", face:{}, doc_type:"201", doc_no:$d, name:"张三", login_name:$l, password:$p, phone:$ph,
		  sms:{challenge:"x", code:"000000"}, consent:{pip:"1", face:"1"}}'
}

@test "face registration: level 4, the face verdict kept as reference photo, consent versions and time recorded" {
	run taxid-register <<<"$(req_face $ZS 张三 zhang_san 'Secr3t!pass' 13800138000 '{"region":"110105"}')"
	assert_success
	[ "$(jfield .level)" = 4 ]
	[ "$(jfield .method)" = face ]
	[ "$(jfield .account)" = 1 ]
	[ "$(dbq 'SELECT level, CAST(photo_ref IS NOT NULL AS INTEGER) FROM person')" = '4|1' ]
	[ "$(dbq "SELECT CAST(photo_ref LIKE 'face:face:%' AS INTEGER) FROM person")" = 1 ]
	run dbq 'SELECT consent FROM account'
	json_eq '{"face":{"accepted_at":"2026-11-25T08:00:00Z","version":"2023.2"},"pip":{"accepted_at":"2026-11-25T08:00:00Z","version":"2024.1"}}' "$output"
	[ "$(dbq 'SELECT region, peppered, must_change FROM account')" = '110105|1|0' ]
	[[ $(dbq 'SELECT password_hash FROM account') == '$argon2id$v=19$m=19456,t=2,p=1$'* ]]
	[ "$(dbq "SELECT count(*) FROM audit WHERE action = 'register' AND subject = 'account:1'")" = 1 ]
	# the password works with taxid-login
	run taxid-login account=zhang_san password='Secr3t!pass'
	assert_success
}

@test "face registration needs the face agreement and the personal-information notice" {
	run taxid-register <<<"$(req_face $ZS 张三 zhang_san 'Secr3t!pass' 13800138000 '{"consent":{"pip":"2024.1"}}')"
	assert_failure 1
	[ "$(jfield .error.code)" = consent_required ]
	[ "$(jfield .error.field)" = consent.face ]
	export TAXID_NOW=$(at 2)
	run taxid-register <<<"$(req_face $ZS 张三 zhang_san 'Secr3t!pass' 13800138000 '{"consent":{"face":"1"}}')"
	[ "$(jfield .error.code)" = consent_required ]
	[ "$(jfield .error.field)" = consent.pip ]
	run taxid-register <<<"$(bare $ZS zhang_san 'Secr3t!pass' | jq -c 'del(.consent)')"
	[ "$(jfield .error.code)" = consent_required ]
	[ "$(dbq 'SELECT count(*) FROM account')" = 0 ]
}

@test "a failing face verdict is identity_failed, audited, and its nonce stays spent" {
	local v
	v=$(verdict face face $ZS pass 0.2)
	req=$(req_face $ZS 张三 zhang_san 'Secr3t!pass' 13900139000 | jq -c --argjson v "$v" '.face = $v')
	run taxid-register <<<"$req"
	assert_failure 1
	[ "$(jfield .error.code)" = identity_failed ]
	[ "$(jfield .error.field)" = face ]
	[ "$(dbq "SELECT count(*) FROM audit WHERE action = 'face_failed'")" = 1 ]
	[ "$(dbq 'SELECT count(*) FROM account')$(dbq 'SELECT count(*) FROM person')" = 00 ]
	# replaying the same verdict is refused as replayed
	export TAXID_NOW=$(at 2)
	run taxid-register <<<"$(req_face $ZS 张三 zhang_san 'Secr3t!pass' 13900139000 | jq -c --argjson v "$v" '.face = $v')"
	[ "$(jfield .error.code)" = verdict_replayed ]
	# a verdict about another document
	run taxid-register <<<"$(req_face $ZS 张三 zhang_san 'Secr3t!pass' 13800138000 | jq -c --argjson v "$(verdict face face $LS)" '.face = $v')"
	[ "$(jfield .error.code)" = verdict_subject_mismatch ]
}

@test "identity_occupied is revealed only after the identity proof succeeded" {
	taxid-register <<<"$(req_face $ZS 张三 zhang_san 'Secr3t!pass' 13800138000)" >/dev/null
	export TAXID_NOW=$(at 2)
	# without a valid proof: the proof's error, never identity_occupied
	run taxid-register <<<"$(req_face $ZS 张三 other_one 'Secr3t!pass' 13900139000 | jq -c --argjson v "$(verdict face face $LS)" '.face = $v')"
	[ "$(jfield .error.code)" = verdict_subject_mismatch ]
	export TAXID_NOW=$(at 4)
	run taxid-register <<<"$(req_face $ZS 张三 other_one 'Secr3t!pass' 13900139000 | jq -c '.method = "code" | .code = "ABCDEF"')"
	[ "$(jfield .error.code)" = code_invalid ]
	export TAXID_NOW=$(at 6)
	run taxid-register <<<"$(req_face $ZS 张三 other_one 'Secr3t!pass' 13900139000 | jq -c --argjson v "$(verdict face face $ZS pass 0.1)" '.face = $v')"
	[ "$(jfield .error.code)" = identity_failed ]
	# with it: identity_occupied
	export TAXID_NOW=$(at 8)
	run taxid-register <<<"$(req_face $ZS 张三 other_one 'Secr3t!pass' 13900139000)"
	assert_failure 1
	[ "$(jfield .error.code)" = identity_occupied ]
	[ "$(dbq 'SELECT count(*) FROM account')" = 1 ]
}

@test "a wrong SMS code is refused before anything else, and its attempt is kept" {
	req=$(req_face $ZS 张三 zhang_san 'Secr3t!pass' 13800138000 | jq -c '.sms.code = "000000"')
	run taxid-register <<<"$req"
	assert_failure 1
	[ "$(jfield .error.code)" = sms_code_invalid ]
	[ "$(jfield .error.field)" = sms ]
	[ "$(dbq "SELECT attempts FROM challenge WHERE purpose = 'sms:register'")" = 1 ]
	# the face verdict was not consumed, nothing was created
	[ "$(dbq 'SELECT count(*) FROM used_nonce')$(dbq 'SELECT count(*) FROM person')" = 00 ]
	# a code sent for another purpose does not register
	export TAXID_NOW=$(at 2)
	ch=$(taxid-verify sms send phone=13800138000 purpose=reset | jq -r .challenge)
	k=$(sms_code 13800138000)
	run taxid-register <<<"$(jq -c --arg ch "$ch" --arg k "$k" '.sms = {challenge:$ch, code:$k}' <<<"$req")"
	[ "$(jfield .error.code)" = challenge_invalid ]
	# a code sent to another phone
	export TAXID_NOW=$(at 4)
	run taxid-register <<<"$(req_face $ZS 张三 zhang_san 'Secr3t!pass' 13900139000 | jq -c '.phone = "13700137000"')"
	[ "$(jfield .error.code)" = challenge_invalid ]
	export TAXID_NOW=$(at 6)
	run taxid-register <<<"$(req_face $ZS 张三 zhang_san 'Secr3t!pass' 13800138000 | jq -c 'del(.sms)')"
	[ "$(jfield .error.code)" = missing_field ]
	[ "$(jfield .error.field)" = sms ]
}

@test "name_mismatch: a person known under another name, exactly (no simplified/traditional folding)" {
	jq -nc --arg d $ZS '{doc_type:"201", doc_no:$d, name:"张三"}' | taxid-register import >/dev/null
	run taxid-register <<<"$(req_face $ZS 張三 zhang_san 'Secr3t!pass' 13800138000)"
	assert_failure 1
	[ "$(jfield .error.code)" = name_mismatch ]
	[ "$(jfield .error.field)" = name ]
	# surrounding spaces and a lower-case x are normalised
	export TAXID_NOW=$(at 2)
	run taxid-register <<<"$(req_face $ZS ' 张三 ' zhang_san 'Secr3t!pass' 13800138000 '{"doc_no":"11010519491231002x"}')"
	assert_success
	[ "$(jfield .level)" = 4 ]
	[ "$(dbq 'SELECT count(*) FROM person')" = 1 ]
}

@test "login-name rules: 2-16 letters, digits, Chinese characters, underscore; not digits only" {
	local name want
	while IFS='|' read -r name want; do
		run taxid-register <<<"$(bare $ZS "$name" 'Secr3t!pass')"
		if [ "$want" = ok ]; then
			# valid names get past the rules to the SMS check
			[ "$(jfield .error.code)" = challenge_invalid ] || { echo "$name: $output"; return 1; }
		else
			[ "$(jfield .error.code)/$(jfield .error.rule)" = "login_name_invalid/$want" ] || { echo "$name: $output"; return 1; }
			[ "$(jfield .error.field)" = login_name ]
		fi
	done <<-'EOF'
		zhang_san|ok
		张三丰|ok
		王_2024|ok
		𠮷野家|ok
		Ab|ok
		ABCDEFGHIJKLMNOP|ok
		z|length
		张|length
		ABCDEFGHIJKLMNOPQ|length
		12345678|digits_only
		2024|digits_only
		zhang san|characters
		zhang-san|characters
		zhang.san|characters
		张三·丰|characters
	EOF
}

@test "rule 4: password rules; each failing rule is named" {
	local pw want
	while IFS='|' read -r pw want; do
		run taxid-register <<<"$(bare $ZS zhangsan "$pw" 13800138000)"
		if [ "$want" = ok ]; then
			[ "$(jfield .error.code)" = challenge_invalid ] || { echo "$pw: $output"; return 1; }
		else
			[ "$(jfield .error.code)/$(jfield .error.rule)" = "password_policy/$want" ] || { echo "$pw: $output"; return 1; }
			[ "$(jfield .error.field)" = password ]
		fi
	done <<-'EOF'
		Secr3t!pass|ok
		abcDEF123|ok
		abc!DEF#|ok
		Ab1!xyz|length
		Abcdefgh1234567!|length
		abcdefgh1|classes
		ABCDEFGH!|classes
		Abc 1234!|no_spaces
		Abc1234密码|characters
		X13800138000a|contains_phone
		Zhangsan#2024|contains_login_name
	EOF
	# the document number as a context word (a 9-character passport fits in a password)
	run taxid-register <<<"$(bare $ZS zhangsan 'xEF1260892!' | jq -c '.doc_type = "227" | .doc_no = "EF1260892" | .method = "code" | .code = "ABCDEF"')"
	[ "$(jfield .error.code)/$(jfield .error.rule)" = password_policy/contains_document_number ]
}

@test "login_name_taken and phone_taken are checked after the proof, and change nothing" {
	taxid-register <<<"$(req_face $ZS 张三 zhang_san 'Secr3t!pass' 13800138000)" >/dev/null
	export TAXID_NOW=$(at 2)
	run taxid-register <<<"$(req_face $LS 李四 zhang_san 'Secr3t!pass' 13900139000)"
	assert_failure 1
	[ "$(jfield .error.code)" = login_name_taken ]
	[ "$(dbq 'SELECT count(*) FROM person')" = 1 ] # rolled back
	# the SMS code of the refused request is still usable: the refusal rolled its use back
	[ "$(dbq "SELECT state FROM challenge WHERE purpose = 'sms:register' ORDER BY created_at DESC LIMIT 1")" = open ]
	# phone_taken: a phone bound to another account (via import, which has no SMS step)
	jq -nc '{doc_type:"201", doc_no:"360426199101010071", name:"王五", login_name:"wang_wu", phone:"13700137000", initial_password:"doc_tail6"}' |
		taxid-register import >/dev/null
	export TAXID_NOW=$(at 4)
	run taxid-register <<<"$(req_face $LS 李四 li_si 'Secr3t!pass' 13700137000)"
	[ "$(jfield .error.code)" = phone_taken ]
}

@test "field checks: method, region, nationality, document number" {
	run taxid-register <<<"$(bare $ZS zhang_san 'Secr3t!pass' | jq -c '.method = "sms"')"
	[ "$(jfield .error.code)" = bad_value ]
	[ "$(jfield .error.field)" = method ]
	run taxid-register <<<"$(bare $ZS zhang_san 'Secr3t!pass' | jq -c '.region = "999999"')"
	[ "$(jfield .error.code)" = bad_region ]
	run taxid-register <<<"$(bare $ZS zhang_san 'Secr3t!pass' | jq -c '.nationality = "USA"')"
	[ "$(jfield .error.code)" = wrong_doc_type ]
	run taxid-register <<<"$(bare 11010519491231002Y zhang_san 'Secr3t!pass')"
	[ "$(jfield .error.code)" = bad_format ]
	run taxid-register <<<"$(bare 110105194912310021 zhang_san 'Secr3t!pass')"
	[ "$(jfield .error.code)" = bad_checksum ]
	run taxid-register <<<"$(bare $ZS zhang_san 'Secr3t!pass' | jq -c '.phone = "12800138000"')"
	[ "$(jfield .error.field)" = phone ]
	run taxid-register <<<"$(bare $ZS zhang_san 'Secr3t!pass' | jq -c '.method = "code" | del(.code)')"
	[ "$(jfield .error.code)/$(jfield .error.field)" = missing_field/code ]
	run taxid-register <<<"$(bare $ZS zhang_san 'Secr3t!pass' | jq -c 'del(.face)')"
	[ "$(jfield .error.code)/$(jfield .error.field)" = missing_field/face ]
	# a foreign passport needs its nationality
	run taxid-register <<<"$(bare $ZS zhang_san 'Secr3t!pass' | jq -c '.doc_type = "208" | .doc_no = "P12345678" | .method = "code" | .code = "ABCDEF"')"
	[ "$(jfield .error.code)/$(jfield .error.field)" = missing_field/nationality ]
}

@test "registration with an expired document is refused" {
	taxid-register collect consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$ZS name=张三 operator=op7 expires_on=2026-11-30 >/dev/null
	code=$(taxid-register code doc_type=201 doc_no=$ZS name=张三 operator=op7 | jq -r .code)
	export TAXID_NOW=2026-12-01T08:00:00Z
	run taxid-register <<<"$(req_face $ZS 张三 zhang_san 'Secr3t!pass' 13800138000 | jq -c --arg c "$code" '.method = "code" | .code = $c')"
	assert_failure 1
	[ "$(jfield .error.code)" = document_expired ]
	[ "$(jfield .error.expires_on)" = 2026-11-30 ]
}
