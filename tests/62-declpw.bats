#!/usr/bin/env bats
# Issue 10 item 8 (SECURITY.md rule 28, seed 002): the declaration password asks for a captcha after a wrong one,
# as the login does; it locks per person and the enterprise keeps its own counter over every person, so several
# accounts cannot multiply the guesses.
load helper

load bind-helper

local_setup() {
	export TAXID_TEST_DB=1
	bind_fixture
	keygen cap
	trust cap captcha
	R=$(sess wang_rep 13800138001)
	Z=$(sess zhao_tax 13800138003)
	Q=$(sess qian_other 13800138004)
	declpw set "$R" $E1 Decl2026pw 13800138001 | jq -e .declaration_password_set >/dev/null
	TAXID_NOW=$(at 2) declpw set "$R" $E2 Other2026pw 13800138001 | jq -e .declaration_password_set >/dev/null
}

# enter SESSION TIN PASSWORD MINUTES [captcha]: taxid-bind enter at MINUTES, with a fresh captcha verdict for TIN
# when the fifth argument is "captcha"
enter() {
	local t; t=$(at "$4")
	if [ "${5:-}" = captcha ]; then
		jq -nc --arg s "$1" --arg t "$2" --arg p "$3" --argjson c "$(TAXID_NOW=$t verdict cap captcha "$2")" \
			'{session:$s, tin:$t, declaration_password:$p, captcha:$c}' | taxid-bind --now "$t" enter
	else
		jq -nc --arg s "$1" --arg t "$2" --arg p "$3" '{session:$s, tin:$t, declaration_password:$p}' |
			taxid-bind --now "$t" enter
	fi
}

failures() { # failures SCOPE SUBJECT
	dbq "select coalesce((select failures from lock_counter where scope = '$1' and subject = '$2'), 0)"
}

@test "a wrong declaration password makes the next attempt need a captcha; without one it is neither evaluated nor counted" {
	run enter "$Z" $E1 wrong1pw1 3
	[ "$(jfield .error.code)" = declaration_password_wrong ]
	[ "$(jfield .error.captcha_required)" = true ]
	# even the right password is refused without a captcha, and nothing is counted
	run enter "$Z" $E1 Decl2026pw 4
	[ "$(jfield .error.code)" = captcha_required ]
	run enter "$Z" $E1 wrong2pw1 4
	[ "$(jfield .error.code)" = captcha_required ]
	[ "$(failures "declaration:$E1" account:3)" = 1 ]
	# a captcha for another enterprise does not do
	run taxid-bind --now "$(at 5)" enter <<<"$(jq -nc --arg s "$Z" --arg t $E1 --argjson c "$(TAXID_NOW=$(at 5) verdict cap captcha $E2)" \
		'{session:$s, tin:$t, declaration_password:"Decl2026pw", captcha:$c}')"
	[ "$(jfield .error.code)" = verdict_subject_mismatch ]
	[ "$(failures "declaration:$E1" account:3)" = 1 ]
	# with one, it is evaluated; a success resets the person's counter and the captcha rule
	run enter "$Z" $E1 Decl2026pw 6 captcha
	assert_success
	[ "$(jfield .via)" = declaration_password ]
	[ "$(failures "declaration:$E1" account:3)" = 0 ]
	run enter "$Z" $E1 Decl2026pw 7
	assert_success
	# the person's captcha rule is per enterprise: a wrong one at E1 asks nothing at E2
	run enter "$Z" $E1 wrong3pw1 8
	run enter "$Z" $E2 Other2026pw 9
	assert_success
}

@test "the enterprise keeps its own counter: N wrong in a local day from all persons lock password entry for everyone until midnight" {
	dbq "insert into setting(key, value) values ('declpw.enterprise_daily_cap', '6')"
	# zhao_tax: four wrong (one short of his own lock), qian_other: one wrong — 5 for the enterprise
	for m in 3 4 5 6; do
		run enter "$Z" $E1 wrong${m}pw1 $m captcha
		[ "$(jfield .error.code)" = declaration_password_wrong ]
	done
	run enter "$Q" $E1 wrongQpw1 7 captcha
	[ "$(jfield .error.code)" = declaration_password_wrong ]
	[ "$(failures "declaration_all:$E1" enterprise)" = 5 ]
	# the 6th from anyone locks the enterprise's password entry, though no person reached their own 5
	run enter "$Q" $E1 wrongQpw2 8 captcha
	[ "$(jfield .error.code)" = locked ]
	[ "$(jfield .error.scope)" = "declaration_all:$E1" ]
	[ "$(jfield .error.locked_until)" = 2026-11-25T16:00:00Z ] # local midnight, Asia/Shanghai
	[ "$(failures "declaration:$E1" account:3)" = 4 ]
	[ "$(failures "declaration:$E1" account:4)" = 2 ]
	# everyone is refused, with the right password too, and nothing more is counted
	run enter "$Z" $E1 Decl2026pw 9 captcha
	[ "$(jfield .error.code)" = locked ]
	F=$(TAXID_NOW=$(at 10) sess li_fin 13800138002)
	run enter "$F" $E1 Decl2026pw 10 captcha
	[ "$(jfield .error.code)" = locked ]
	[ "$(failures "declaration_all:$E1" enterprise)" = 6 ]
	# an active authorisation still enters; another enterprise is not touched
	run taxid-bind --now "$(at 11)" enter session="$R" tin=$E1
	assert_success
	[ "$(jfield .via)" = authorisation ]
	run enter "$Z" $E2 Other2026pw 12
	assert_success
	# one second before local midnight still locked; at midnight a fresh allowance
	Z2=$(TAXID_NOW=2026-11-25T15:50:00Z sess zhao_tax 13800138003)
	run taxid-bind --now 2026-11-25T15:59:59Z enter session="$Z2" tin=$E1 declaration_password=Decl2026pw \
		captcha:="$(TAXID_NOW=2026-11-25T15:59:59Z verdict cap captcha $E1)"
	[ "$(jfield .error.code)" = locked ]
	run taxid-bind --now 2026-11-25T16:00:00Z enter session="$Z2" tin=$E1 declaration_password=Decl2026pw \
		captcha:="$(TAXID_NOW=2026-11-25T16:00:00Z verdict cap captcha $E1)"
	assert_success
}

@test "the enterprise counter: 5 wrong of a cap of 6 do not lock, and a success does not reset it" {
	dbq "insert into setting(key, value) values ('declpw.enterprise_daily_cap', '6')"
	for m in 3 4 5 6; do enter "$Z" $E1 wrong${m}pw1 $m captcha >/dev/null || true; done
	run enter "$Q" $E1 wrongQpw1 7 captcha
	[ "$(jfield .error.code)" = declaration_password_wrong ]
	run enter "$Q" $E1 Decl2026pw 8 captcha
	assert_success
	# a success does not reset the enterprise's count of the day (only the person's)
	[ "$(failures "declaration_all:$E1" enterprise)" = 5 ]
	# the sixth of the day, from anyone, locks
	run enter "$Z" $E1 wrong9pw1 9 captcha
	[ "$(jfield .error.code)" = locked ]
	[ "$(jfield .error.scope)" = "declaration_all:$E1" ]
}

@test "declpw reset by the legal representative clears the enterprise's counter and lock as well" {
	dbq "insert into setting(key, value) values ('declpw.enterprise_daily_cap', '2')"
	enter "$Z" $E1 wrong1pw1 3 captcha >/dev/null || true
	run enter "$Q" $E1 wrong2pw1 4 captcha
	[ "$(jfield .error.code)" = locked ]
	R2=$(TAXID_NOW=$(at 5) sess wang_rep 13800138001)
	run env TAXID_NOW=$(at 7) bash -c "$(declare -f declpw sms_code); declpw reset '$R2' $E1 New2026pw 13800138001"
	assert_success
	[ "$(jfield .unlocked)" = 1 ]
	[ "$(failures "declaration_all:$E1" enterprise)" = 0 ]
	run enter "$Q" $E1 New2026pw 8 captcha
	assert_success
}

@test "a hall operator who saw the legal representative's document clears the declaration password and its locks; the legal representative then sets a new one" {
	# zhao_tax locks himself out of E1: five wrong passwords (each with its captcha), the fifth at minute 7
	for m in 3 4 5 6 7; do
		run enter "$Z" $E1 wrong${m}pw1 $m captcha
	done
	[ "$(jfield .error.code)" = locked ]
	lep=110105198001010016 # 王法人, the legal representative on E1's core record (bind-helper)
	# no operator: refused, nothing changes
	run taxid-bind --now "$(at 8)" declpw clear tin=$E1 doc_type=201 doc_no=$lep name=王法人
	[ "$(jfield .error.code)" = operator_required ]
	# the finance manager's document, or the right number with another name, is not the legal representative's
	run taxid-bind --now "$(at 8)" declpw clear tin=$E1 operator=hall-07 doc_type=201 doc_no=110105198502020028 name=李财务
	[ "$(jq -c '[.error.code, .error.role]' <<<"$output")" = '["role_mismatch","legal_rep"]' ]
	run taxid-bind --now "$(at 8)" declpw clear tin=$E1 operator=hall-07 doc_type=201 doc_no=$lep name=王某某
	[ "$(jfield .error.code)" = role_mismatch ]
	[ "$(dbq "select count(*) from audit where action = 'declpw_clear'")" = 0 ]
	run enter "$Z" $E1 Decl2026pw 9 captcha
	[ "$(jfield .error.code)" = locked ]
	# the legal representative's document and name: the password is gone and the lock with it
	run taxid-bind --now "$(at 10)" declpw clear tin=$E1 operator=hall-07 doc_type=201 doc_no=$lep name=王法人
	assert_success
	[ "$(jq -c '[.declaration_password_set, .had_password, .unlocked, .next]' <<<"$output")" = '[false,true,1,"declpw set"]' ]
	[ "$(dbq "select actor || ' ' || json_extract(detail, '$.legal_rep_doc_no') from audit where action = 'declpw_clear'")" = \
		'hall-07 110105********0016' ]
	[ "$(failures "declaration:$E1" account:3)" = 0 ]
	# the old password opens nothing any more: there is none until the legal representative sets one
	run enter "$Z" $E1 Decl2026pw 11
	[ "$(jfield .error.code)" = declaration_password_not_set ]
	output=$(TAXID_NOW=$(at 12) declpw set "$R" $E1 Hall2026pw 13800138001)
	[ "$(jfield .declaration_password_set)" = true ]
	run enter "$Z" $E1 Hall2026pw 13
	assert_success
	[ "$(jfield .via)" = declaration_password ]
	# the other enterprise's password is untouched
	run enter "$Z" $E2 Other2026pw 14
	assert_success
}
