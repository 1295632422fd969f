#!/usr/bin/env bats
# taxid-bind: entering an enterprise with the declaration password and its lock (SECURITY.md rules 6-12:
# one lock mechanism, a scope per enterprise, apart from the login lock), declpw set/reset, maintain.
load helper

load bind-helper

local_setup() {
	bind_fixture
	keygen cap # a captcha verdict goes with every declaration password (issue 10: needed after a wrong one)
	trust cap captcha
	R=$(sess wang_rep 13800138001)
	Z=$(sess zhao_tax 13800138003)
	declpw set "$R" $E1 Decl2026pw 13800138001 | jq -e .declaration_password_set >/dev/null
	TAXID_NOW=$(at 2) declpw set "$R" $E2 Other2026pw 13800138001 | jq -e .declaration_password_set >/dev/null
}

@test "enter without an authorisation needs the declaration password; the right one gives an enterprise session" {
	run taxid-bind enter session="$Z" tin=$E1
	assert_failure 1
	[ "$(jfield .error.code)" = declaration_password_required ]
	run taxid-bind enter session="$Z" tin=$E1 declaration_password=Decl2026pw captcha:="$(verdict cap captcha $E1)"
	assert_success
	[ "$(jfield .via)" = declaration_password ]
	[ "$(jfield .role)" = null ]
	[ "$(jfield .session.scope)" = "enterprise:$E1" ]
	# another enterprise's password does not open this one
	run taxid-bind enter session="$Z" tin=$E1 declaration_password=Other2026pw captcha:="$(verdict cap captcha $E1)"
	[ "$(jfield .error.code)" = declaration_password_wrong ]
	[ "$(jfield .error.failures)" = 1 ]
	taxid-bind enterprise add tin=91310115MA5E6F7G8T name=无密码公司 legal_rep:="$REP" operator=op1 >/dev/null
	run taxid-bind enter session="$Z" tin=91310115MA5E6F7G8T declaration_password=Decl2026pw captcha:="$(verdict cap captcha 91310115MA5E6F7G8T)"
	[ "$(jfield .error.code)" = declaration_password_not_set ]
	[ "$(dbq "select count(*) from audit where action = 'enter' and detail like '%declaration_password%'")" = 1 ]
}

@test "5 wrong declaration passwords lock that enterprise for that person for 120 minutes, and nothing else" {
	for i in 1 2 3 4; do
		run taxid-bind --now "$(at "$i")" enter session="$Z" tin=$E1 declaration_password=wrong${i}pw1 captcha:="$(TAXID_NOW=$(at "$i") verdict cap captcha $E1)"
		[ "$(jfield .error.code)" = declaration_password_wrong ]
		[ "$(jfield .error.failures)" = "$i" ]
	done
	run taxid-bind --now "$(at 5)" enter session="$Z" tin=$E1 declaration_password=wrong5pw1 captcha:="$(TAXID_NOW=$(at 5) verdict cap captcha $E1)"
	assert_failure 1
	[ "$(jfield .error.code)" = locked ]
	[ "$(jfield .error.locked_until)" = "$(at 125)" ]
	[ "$(jfield .error.scope)" = "declaration:$E1" ]
	# locked: the right password is refused too, and the attempts neither count nor extend the lock
	run taxid-bind --now "$(at 6)" enter session="$Z" tin=$E1 declaration_password=Decl2026pw captcha:="$(TAXID_NOW=$(at 6) verdict cap captcha $E1)"
	[ "$(jfield .error.code)" = locked ]
	[ "$(jfield .error.locked_until)" = "$(at 125)" ]
	# the other enterprise is not locked for this person
	run taxid-bind --now "$(at 7)" enter session="$Z" tin=$E2 declaration_password=Other2026pw captcha:="$(TAXID_NOW=$(at 7) verdict cap captcha $E2)"
	assert_success
	# another person is not locked on this enterprise
	Q=$(TAXID_NOW=$(at 8) sess qian_other 13800138004)
	run taxid-bind --now "$(at 9)" enter session="$Q" tin=$E1 declaration_password=Decl2026pw captcha:="$(TAXID_NOW=$(at 9) verdict cap captcha $E1)"
	assert_success
	# the login lock is untouched: the person logs in, and the password scope has no failures
	run taxid-lockout --now "$(at 10)" status account=zhao_tax
	jq -e '.scopes[] | select(.scope == "password") | .failures == 0 and (.locked | not)' <<<"$output"
	jq -e --arg s "declaration:$E1" '.scopes[] | select(.scope == $s) | .locked and .failures == 5' <<<"$output"
	run env TAXID_NOW="$(at 11)" bash -c "$(declare -f login_sms sms_code); login_sms zhao_tax '$PW' 13800138003"
	assert_success
	jq -e '.session.token' <<<"$output"
	# one minute before the end it still holds; at the end a fresh allowance
	Z2=$(TAXID_NOW=$(at 124) sess zhao_tax 13800138003)
	run taxid-bind --now "$(at 124)" enter session="$Z2" tin=$E1 declaration_password=Decl2026pw captcha:="$(TAXID_NOW=$(at 124) verdict cap captcha $E1)"
	[ "$(jfield .error.code)" = locked ]
	run taxid-bind --now "$(at 125)" enter session="$Z2" tin=$E1 declaration_password=Decl2026pw captcha:="$(TAXID_NOW=$(at 125) verdict cap captcha $E1)"
	assert_success
	[ "$(dbq "select count(*) from audit where action = 'unlock_time'")" = 1 ]
	[ "$(dbq "select count(*) from lock_counter where scope = 'declaration:$E1'")" = 0 ]
}

@test "login failures do not count toward the declaration lock, nor the reverse" {
	taxid-login --now "$(at 1)" account=zhao_tax password=Wrong-pass1 >/dev/null || true
	[ "$(dbq "select failures from lock_counter where scope = 'password' and subject = 'account:3'")" = 1 ]
	run taxid-bind --now "$(at 2)" enter session="$Z" tin=$E1 declaration_password=nope12345 captcha:="$(TAXID_NOW=$(at 2) verdict cap captcha $E1)"
	[ "$(jfield .error.failures)" = 1 ]
	run taxid-bind --now "$(at 3)" enter session="$Z" tin=$E1 declaration_password=nope23456 captcha:="$(TAXID_NOW=$(at 3) verdict cap captcha $E1)"
	[ "$(jfield .error.failures)" = 2 ]
	[ "$(dbq "select failures from lock_counter where scope = 'password' and subject = 'account:3'")" = 1 ]
	# and a successful entry does not reset the login counter
	run taxid-bind --now "$(at 4)" enter session="$Z" tin=$E1 declaration_password=Decl2026pw captcha:="$(TAXID_NOW=$(at 4) verdict cap captcha $E1)"
	assert_success
	[ "$(dbq "select failures from lock_counter where scope = 'password' and subject = 'account:3'")" = 1 ]
}

@test "the declaration lock is taxid-lockout's: its policy applies and its operator clear works" {
	taxid-lockout policy set operator=op-test scope=declaration threshold:=2 >/dev/null
	taxid-bind enter session="$Z" tin=$E1 declaration_password=bad1pw12 captcha:="$(verdict cap captcha $E1)" >/dev/null || true
	run taxid-bind enter session="$Z" tin=$E1 declaration_password=bad2pw12 captcha:="$(verdict cap captcha $E1)"
	[ "$(jfield .error.code)" = locked ]
	run taxid-lockout list
	[ "$(jfield .scope)" = "declaration:$E1" ]
	taxid-lockout clear account=zhao_tax scope="declaration:$E1" reason=phoned operator=op9 >/dev/null
	run taxid-bind enter session="$Z" tin=$E1 declaration_password=Decl2026pw captcha:="$(verdict cap captcha $E1)"
	assert_success
}

@test "an active authorisation enters even while the declaration password is locked for the person" {
	for i in 1 2 3 4 5; do taxid-bind enter session="$Z" tin=$E1 declaration_password=bad${i}pw12 captcha:="$(verdict cap captcha $E1)" >/dev/null || true; done
	rel=$(taxid-bind grant session="$R" tin=$E1 role=tax_handler login_name=zhao_tax | jq -r .relation)
	taxid-bind confirm session="$Z" relation="$rel" >/dev/null
	run taxid-bind enter session="$Z" tin=$E1
	assert_success
	[ "$(jfield .via)" = authorisation ]
}

@test "declpw rules: 8-20 letters and digits, no spaces; the class rule is policy" {
	taxid-bind enterprise add tin=91310115MA5E6F7G8T name=新公司 legal_rep:="$REP" operator=op1 >/dev/null
	T=91310115MA5E6F7G8T
	for pw in abc1234 abcdefghij1234567890x 'abcd 1234' 'abcd-1234' abcdefgh 12345678; do
		run taxid-bind declpw set session="$R" tin=$T declaration_password="$pw"
		assert_failure 1
		[ "$(jfield .error.code)" = declaration_password_policy ]
	done
	run taxid-bind declpw set session="$R" tin=$T declaration_password='abcd 1234'
	[ "$(jfield .error.rule)" = no_spaces ]
	run taxid-bind declpw set session="$R" tin=$T declaration_password=abc1234
	[ "$(jfield .error.rule)" = length ]
	run taxid-bind declpw set session="$R" tin=$T declaration_password=abcdefgh
	[ "$(jfield .error.rule)" = classes ]
	dbq "insert into setting values ('declpw.min_classes', '1')"
	run taxid-bind --now "$(at 4)" declpw set session="$R" tin=$T declaration_password=abcdefgh
	assert_success
	[ "$(jfield .next)" = sms ]
	run taxid-bind --now "$(at 6)" declpw set session="$R" tin=$T declaration_password=a1b2c3d4e5f6g7h8i9j0
	assert_success
}

@test "declpw: only the legal representative or finance manager, with a bound phone and an SMS code" {
	F=$(sess li_fin 13800138002)
	run taxid-bind declpw reset session="$Z" tin=$E1 declaration_password=New2026pw
	assert_failure 1
	[ "$(jfield .error.code)" = not_authorized ]
	# the finance manager only once the link is confirmed
	run taxid-bind declpw reset session="$F" tin=$E1 declaration_password=New2026pw
	[ "$(jfield .error.code)" = not_authorized ]
	taxid-bind bind session="$F" tin=$E1 role=finance_manager >/dev/null
	run taxid-bind declpw set session="$F" tin=$E1 declaration_password=New2026pw
	[ "$(jfield .error.code)" = declaration_password_exists ]
	# a wrong code changes nothing
	run taxid-bind declpw reset session="$F" tin=$E1 declaration_password=New2026pw
	assert_success
	ch=$(jfield .sms.challenge)
	[ "$(jfield .sms.phone)" = '138****8002' ]
	run taxid-bind declpw reset session="$F" tin=$E1 declaration_password=New2026pw sms:="{\"challenge\":\"$ch\",\"code\":\"000000\"}"
	[ "$(jfield .error.code)" = sms_code_invalid ]
	run taxid-bind enter session="$Z" tin=$E1 declaration_password=Decl2026pw captcha:="$(verdict cap captcha $E1)"
	assert_success
	code=$(sms_code 13800138002)
	run taxid-bind declpw reset session="$F" tin=$E1 declaration_password=New2026pw sms:="{\"challenge\":\"$ch\",\"code\":\"$code\"}"
	assert_success
	run taxid-bind enter session="$Z" tin=$E1 declaration_password=New2026pw captcha:="$(verdict cap captcha $E1)"
	assert_success
	# no bound phone: refused before any code is sent
	dbq "update account set phone_index = NULL, phone_enc = NULL where login_name = 'wang_rep'"
	run taxid-bind declpw reset session="$R" tin=$E1 declaration_password=Other2026pw
	[ "$(jfield .error.code)" = phone_required ]
	# stored as peppered argon2id, never in clear
	[[ "$(dbq "select declpw_hash from enterprise where tin = '$E1'")" == '$argon2id$v=19$m=19456,t=2,p=1$'* ]]
}

@test "a reset by the legal representative clears that enterprise's declaration locks, and only those" {
	for i in 1 2 3 4 5; do taxid-bind enter session="$Z" tin=$E1 declaration_password=bad${i}pw12 captcha:="$(verdict cap captcha $E1)" >/dev/null || true; done
	for i in 1 2 3 4 5; do taxid-bind enter session="$Z" tin=$E2 declaration_password=bad${i}pw12 captcha:="$(verdict cap captcha $E2)" >/dev/null || true; done
	Q=$(sess qian_other 13800138004)
	taxid-bind enter session="$Q" tin=$E1 declaration_password=bad1pw12 captcha:="$(verdict cap captcha $E1)" >/dev/null || true
	run taxid-bind enter session="$Z" tin=$E1 declaration_password=Decl2026pw captcha:="$(verdict cap captcha $E1)"
	[ "$(jfield .error.code)" = locked ]
	run env TAXID_NOW="$(at 3)" bash -c "$(declare -f declpw sms_code); declpw reset '$R' $E1 Fresh2026pw 13800138001"
	assert_success
	# cleared: zhao_tax's and qian_other's counters at E1, and E1's own enterprise-wide counter (issue 10 item 8);
	# unlocked: zhao_tax's alone
	[ "$(jfield .counters_cleared)" = 3 ]
	[ "$(jfield .unlocked)" = 1 ]
	run taxid-bind --now "$(at 4)" enter session="$Z" tin=$E1 declaration_password=Fresh2026pw captcha:="$(TAXID_NOW=$(at 4) verdict cap captcha $E1)"
	assert_success
	run taxid-bind --now "$(at 4)" enter session="$Z" tin=$E2 declaration_password=Other2026pw captcha:="$(TAXID_NOW=$(at 4) verdict cap captcha $E2)"
	[ "$(jfield .error.code)" = locked ]
	# one unlock row per counter cleared: the two persons' and the enterprise's own
	[ "$(dbq "select count(*) from audit where action = 'unlock' and actor = 'account:1'")" = 3 ]
	[ "$(dbq "select count(*) from audit where action = 'declpw_reset'")" = 1 ]
}

@test "maintain: a legal representative keeps a related person's contact phone, proven by an SMS to it" {
	rel=$(taxid-bind grant session="$R" tin=$E1 role=tax_handler login_name=zhao_tax | jq -r .relation)
	taxid-bind confirm session="$Z" relation="$rel" >/dev/null
	Q=$(sess qian_other 13800138004)
	# maintaining needs a session whose second factor was face (seed 001); an SMS login is not enough
	run taxid-bind maintain session="$R" tin=$E1 login_name=zhao_tax phone=13900139000
	assert_failure 1
	[ "$(jfield .error.code)" = second_factor_required ]
	[ "$(jfield .error.session_factor)" = sms ]
	keygen face && trust face face
	RF=$(face_sess wang_rep 110105198001010016)
	# qian_other has no relation to E1
	run taxid-bind maintain session="$RF" tin=$E1 login_name=qian_other phone=13900139000
	assert_failure 1
	[ "$(jfield .error.code)" = not_related ]
	# a person without a maintaining role cannot
	run taxid-bind maintain session="$Q" tin=$E1 login_name=zhao_tax phone=13900139000
	[ "$(jfield .error.code)" = not_authorized ]
	run taxid-bind maintain session="$RF" tin=$E1 doc_type=201 doc_no=110105199003030031 phone=13900139000
	assert_success
	[ "$(jfield .next)" = sms ]
	[ "$(jfield .contact_phone)" = '139****9000' ]
	ch=$(jfield .sms.challenge)
	run taxid-bind maintain session="$RF" tin=$E1 login_name=zhao_tax phone=13900139000 sms:="{\"challenge\":\"$ch\",\"code\":\"999999\"}"
	[ "$(jfield .error.code)" = sms_code_invalid ]
	code=$(sms_code 13900139000)
	run taxid-bind maintain session="$RF" tin=$E1 login_name=zhao_tax phone=13900139000 sms:="{\"challenge\":\"$ch\",\"code\":\"$code\"}"
	assert_success
	[ "$(jfield .changed)" = true ]
	[ "$(jfield .relations)" = 1 ]
	[ "$(dbq "select count(*) from audit where action = 'maintain_contact' and subject = 'person:3'")" = 1 ]
	# the relation's contact phone changed; the account's own phone did not, and does not log in
	[ "$(taxid-bind list session="$RF" tin=$E1 | jq -r "select(.relation == $rel) | .contact_phone")" = '139****9000' ]
	[ "$(taxid-register show login_name=zhao_tax | jq -r .account.phone)" = '138****8003' ]
	run taxid-login --now "$(at 2)" account=13900139000 password="$PW"
	[ "$(jfield .error.code)" = bad_credentials ]
	# the code was used up
	run taxid-bind maintain session="$RF" tin=$E1 login_name=zhao_tax phone=13900139000 sms:="{\"challenge\":\"$ch\",\"code\":\"$code\"}"
	[ "$(jfield .error.code)" = challenge_invalid ]
}

@test "no declaration password or SMS code reaches the database or the output in clear" {
	run taxid-bind enter session="$Z" tin=$E1 declaration_password=Decl2026pw captcha:="$(verdict cap captcha $E1)"
	assert_success
	run taxid-bind enter session="$Z" tin=$E1 declaration_password=Wrong2026pw captcha:="$(verdict cap captcha $E1)"
	! grep -q 'Decl2026pw\|Wrong2026pw\|Other2026pw' <<<"$output" || false
	db_checkpoint
	files=$(db_files '' -wal)
	for f in $files; do
		! grep -qa 'Decl2026pw\|Other2026pw\|Wrong2026pw' "$f" || false
	done
	! db_dump | grep -q 'Decl2026pw\|Other2026pw' || false
	[ "$(dbq "select count(*) from audit where detail like '%2026pw%'")" = 0 ]
}
