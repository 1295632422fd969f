#!/usr/bin/env bats
# Tests written for the mutants of tests/mutants.tsv that the suite let survive (issue 12; make mutate,
# tests/MUTANTS.md). Each pins a rule at its boundary, on both sides, through the real binaries.
load helper

local_setup() {
	account zhang_san 'Secr3t!pass'
}

# check T TOKEN: a session check at instant T
check() { taxid-login --now "$1" session check token="$2"; }

@test "session idle: valid 29:59 after its last use, gone exactly 30:00 after it" {
	tok=$(login_sms zhang_san 'Secr3t!pass' | jq -r .session.token)
	[ -n "$tok" ] && [ "$tok" != null ]
	run check 2026-11-25T08:29:59Z "$tok"
	assert_success
	# the check at 08:29:59 is the last use: 29:59 later it is still valid (and that use counts too)
	run check 2026-11-25T08:59:58Z "$tok"
	assert_success
	run check 2026-11-25T09:29:57Z "$tok"
	assert_success
	# exactly 30:00 after the last use (09:29:57) it is gone, and stays gone
	run check 2026-11-25T09:59:57Z "$tok"
	[ "$(jfield .error.code)" = session_invalid ]
	run check 2026-11-25T09:59:58Z "$tok"
	[ "$(jfield .error.code)" = session_invalid ]
}

@test "session idle: 29:59 after the login it is valid, 30:00 after the login (unused) it is not" {
	tok1=$(login_sms zhang_san 'Secr3t!pass' | jq -r .session.token)
	tok2=$(TAXID_NOW=2026-11-25T08:01:01Z login_sms zhang_san 'Secr3t!pass' | jq -r .session.token)
	# tok1 was issued at 08:00:00 and never used: idle 29:59 at 08:29:59
	run check 2026-11-25T08:29:59Z "$tok1"
	assert_success
	# tok2 was issued at 08:01:01 and never used: idle 30:00 at 08:31:01
	run check 2026-11-25T08:31:01Z "$tok2"
	[ "$(jfield .error.code)" = session_invalid ]
}

@test "QR nonce: confirmed 1:59 after it was issued it works, 2:00 after it is challenge_expired" {
	tok=$(login_sms zhang_san 'Secr3t!pass' | jq -r .session.token)
	q1=$(taxid-login qr issue | jq -r .qr)
	q2=$(taxid-login qr issue | jq -r .qr)
	run taxid-login --now 2026-11-25T08:01:59Z qr confirm session="$tok" qr="$q1"
	assert_success
	run taxid-login --now 2026-11-25T08:01:59Z qr poll qr="$q1"
	assert_success
	run taxid-login --now 2026-11-25T08:02:00Z qr confirm session="$tok" qr="$q2"
	[ "$(jfield .error.code)" = challenge_expired ]
}

@test "a dependant child whose 18th birthday is today cannot be added; one whose 18th birthday is tomorrow can" {
	insured='{"doc_type":"201","doc_no":"'$(ric 11010519600101001)'","name":"已故职工"}'
	dep() { jq -nc --arg d "$1" --argjson of "$insured" \
		'{kind:"dependant",doc_type:"201",doc_no:$d,name:"遗属",pension_account:"9",region:"110105",
		  insurance_type:"enterprise",benefit_start:"2020-01",of:$of,operator:{id:"sp-07",role:"specialist"}}'; }
	# today is 2026-11-25 (08:00Z is 16:00 in Beijing): born 2008-11-25 is 18 today, born 2008-11-26 tomorrow
	run taxid-survival enroll <<<"$(dep "$(ric 11010520081125002)")"
	[ "$(jfield .error.code)" = dependant_not_eligible ]
	[ "$(jfield .error.reason)" = age_18 ]
	run taxid-survival enroll <<<"$(dep "$(ric 11010520081126002)")"
	assert_success
	[ "$(jfield .ends_on)" = 2026-11-26 ]
}

@test "death of a pensioner suspended from December: paid_until is November, the last month paid, not the month of death" {
	a=$(ric 11010519500101001)
	# enrolled today (2026-11-25), certified 2025-10-15: valid to 2026-10-15, lapsed 10-16; the run of 2026-11-25
	# finds November begun and paid (the enrolment month), so payment is suspended from December (issue 13)
	jq -nc --arg d "$a" '{kind:"retiree", doc_type:"201", doc_no:$d, name:"甲", pension_account:"6222020200112233",
		region:"110105", insurance_type:"enterprise", benefit_start:"2010-01", last_certified:"2025-10-15",
		operator:{id:"op-test", role:"specialist"}}' |
		taxid-survival enroll >/dev/null
	taxid-survival run --as-of 2026-11-25 >/dev/null
	[ "$(taxid-survival status doc_type=201 doc_no="$a" | jq -c '[.state, .suspended_from]')" = '["suspended","2026-12"]' ]
	# death on 2026-12-10, reported on 2027-01-20: November was the last month paid; December and January began
	# while suspended (withheld), so nothing was paid after the death: 0 months overpaid
	run taxid-survival --now 2027-01-20T02:00:00Z event 'operator:={"id":"of-01","role":"officer"}' \
		doc_type=201 doc_no="$a" event=death date=2026-12-10
	assert_success
	[ "$(jq -c '[.state, .paid_until, .overpaid_months]' <<<"$output")" = '["terminated","2026-11",0]' ]
}

# factor_state MINUTES SCOPE: "failures locked locked_until" of that scope, from taxid-lockout status
factor_state() {
	taxid-lockout --now "$(at "$1")" status account=zhang_san |
		jq -r --arg s "$2" '.scopes[] | select(.scope == $s) | "\(.failures) \(.locked) \(.locked_until)"'
}

@test "face second factor: 4 failures do not lock, the 5th locks face for exactly 120 minutes" {
	keygen face; trust face face
	for i in 1 2 3 4 5; do
		run taxid-login --now "$(at $((i * 2)))" account=zhang_san password='Secr3t!pass' second_factor=face
		tx=$(jfield .login_tx)
		run taxid-login --now "$(at $((i * 2)))" 2fa login_tx="$tx" \
			face:="$(TAXID_NOW=$(at $((i * 2))) verdict face face 11010519491231002X pass 0.5)"
		if [ "$i" = 4 ]; then
			[ "$(factor_state 9 face | cut -d' ' -f1,2)" = "4 false" ]
		fi
	done
	# the 5th failure at 08:10:00 locks until 10:10:00
	[ "$(factor_state 10 face)" = "5 true $(at 130)" ]
	[ "$(taxid-lockout --now 2026-11-25T10:09:59Z status account=zhang_san |
		jq -r '.scopes[] | select(.scope == "face") | .locked')" = true ]
	[ "$(taxid-lockout --now 2026-11-25T10:10:00Z status account=zhang_san |
		jq -r '.scopes[] | select(.scope == "face") | .locked')" = false ]
}

@test "SMS second factor: the 5th wrong code locks sms for exactly 120 minutes" {
	for i in 1 2 3 4 5; do
		run taxid-login --now "$(at $((i * 2)))" account=zhang_san password='Secr3t!pass'
		tx=$(jfield .login_tx); ch=$(jfield .sms.challenge)
		run taxid-login --now "$(at $((i * 2)))" 2fa login_tx="$tx" "sms:={\"challenge\":\"$ch\",\"code\":\"000000\"}"
	done
	[ "$(factor_state 10 sms)" = "5 true $(at 130)" ]
	[ "$(taxid-lockout --now 2026-11-25T10:09:59Z status account=zhang_san |
		jq -r '.scopes[] | select(.scope == "sms") | .locked')" = true ]
	[ "$(taxid-lockout --now 2026-11-25T10:10:00Z status account=zhang_san |
		jq -r '.scopes[] | select(.scope == "sms") | .locked')" = false ]
}

@test "the national profile, applied after the municipal one, is 5 failures and 120 minutes for every scope" {
	taxid-lockout policy profile --name municipal operator=op-test >/dev/null
	run taxid-lockout policy profile --name national operator=op-test
	assert_success
	run taxid-lockout policy show
	# 120 minutes = 7200 seconds
	[ "$(jq -s -c 'map([.scope, .threshold, .window, .duration, .duration_seconds]) | sort' <<<"$output")" = \
		'[["declaration",5,"none","seconds",7200],["face",5,"none","seconds",7200],["password",5,"none","seconds",7200],["sms",5,"none","seconds",7200]]' ]
}

@test "after a wrong password, a captcha verdict that failed is captcha_required, not a pass" {
	keygen cap; trust cap captcha
	run taxid-login account=zhang_san password=Wrong-pass1
	[ "$(jfield .error.code)" = bad_credentials ]
	run taxid-login account=zhang_san password='Secr3t!pass' captcha:="$(verdict cap captcha zhang_san fail 0.1)"
	[ "$(jfield .error.code)" = captcha_required ]
	run taxid-login account=zhang_san password='Secr3t!pass' captcha:="$(verdict cap captcha zhang_san)"
	assert_success
}
