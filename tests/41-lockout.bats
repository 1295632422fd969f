#!/usr/bin/env bats
# Lockout (SECURITY.md rules 6-12) through taxid-login and taxid-lockout.
load helper

local_setup() {
	account zhang_san 'Secr3t!pass'
	keygen cap
	trust cap captcha
}

# wrong [MINUTES]: one wrong password with a fresh captcha verdict
wrong() {
	local t; t=$(at "${1:-0}")
	taxid-login --now "$t" account="${2:-zhang_san}" password=Wrong-pass1 captcha:="$(TAXID_NOW=$t verdict cap captcha "${2:-zhang_san}")"
}

@test "rule 10: after a wrong password the next attempt needs a captcha; without one it is neither evaluated nor counted" {
	run wrong 0
	[ "$(jfield .error.code)" = bad_credentials ]
	run taxid-login account=zhang_san password='Secr3t!pass'
	[ "$(jfield .error.code)" = captcha_required ]
	run taxid-lockout status account=zhang_san
	[ "$(jfield '.scopes[] | select(.scope=="password") | .failures')" = 1 ]
	run taxid-login account=zhang_san password='Secr3t!pass' captcha:="$(verdict cap captcha zhang_san)"
	assert_success
	run taxid-lockout status account=zhang_san
	[ "$(jfield '.scopes[] | select(.scope=="password") | .failures')" = 0 ]
}

@test "rule 8: the 5th consecutive failure locks for 120 minutes; locked attempts are not counted and do not extend; exactly at 120 minutes it unlocks" {
	for m in 0 1 2 3; do run wrong $m; [ "$(jfield .error.code)" = bad_credentials ]; done
	run wrong 4
	[ "$(jfield .error.code)" = locked ]
	[ "$(jfield .error.locked_until)" = "$(at 124)" ]
	run taxid-login --now "$(at 30)" account=zhang_san password='Secr3t!pass' captcha:="$(TAXID_NOW=$(at 30) verdict cap captcha zhang_san)"
	[ "$(jfield .error.code)" = locked ]
	run wrong 60
	[ "$(jfield .error.locked_until)" = "$(at 124)" ]
	run taxid-lockout --now "$(at 60)" status account=zhang_san
	[ "$(jfield '.scopes[] | select(.scope=="password") | .failures')" = 5 ]
	run taxid-login --now "$(at 123)" account=zhang_san password='Secr3t!pass'
	[ "$(jfield .error.code)" = locked ]
	run taxid-login --now "$(at 124)" account=zhang_san password='Secr3t!pass'
	assert_success
	# one "unlocked by time" row, written by the first read after expiry
	[ "$(dbq "select count(*) from audit where action = 'unlock_time'")" = 1 ]
	# a fresh allowance
	run taxid-lockout --now "$(at 125)" status account=zhang_san
	[ "$(jfield '.scopes[] | select(.scope=="password") | .failures')" = 0 ]
}

@test "rule 10: once failures leave a sliding window, the captcha they asked for is no longer needed" {
	taxid-lockout policy set operator=op-test scope=password threshold:=5 window=sliding window_seconds:=600 duration=seconds duration_seconds:=7200 >/dev/null
	run wrong 0
	[ "$(jfield .error.code)" = bad_credentials ]
	run taxid-login --now "$(at 5)" account=zhang_san password='Secr3t!pass'
	[ "$(jfield .error.code)" = captcha_required ]
	run taxid-lockout --now "$(at 11)" status account=zhang_san
	[ "$(jfield '.scopes[] | select(.scope=="password") | .captcha_required')" = false ]
	run taxid-login --now "$(at 11)" account=zhang_san password='Secr3t!pass'
	assert_success
}

@test "rule 8: a success resets the counter" {
	for m in 0 1 2 3; do wrong $m >/dev/null || true; done
	run taxid-login --now "$(at 5)" account=zhang_san password='Secr3t!pass' captcha:="$(TAXID_NOW=$(at 5) verdict cap captcha zhang_san)"
	assert_success
	for m in 6 7 8 9; do run wrong $m; [ "$(jfield .error.code)" = bad_credentials ]; done
}

@test "rule 7: 20 concurrent wrong passwords give exactly 5 counted failures and 15 refusals, no 'database is locked'" {
	for i in $(seq 1 20); do verdict cap captcha zhang_san >"cap.$i"; done
	for i in $(seq 1 20); do
		( taxid-login account=zhang_san password=Wrong-pass1 captcha:="$(cat "cap.$i")" >"out.$i" 2>"err.$i" ) &
	done
	wait
	cat out.* >all
	[ "$(wc -l <all)" -eq 20 ]
	! grep -qi 'locked\b.*database\|database is locked' err.* all || false
	[ "$(jq -r .error.code all | sort | uniq -c | awk '{print $2"="$1}' | tr '\n' ' ')" = "bad_credentials=4 locked=16 " ]
	[ "$(dbq "select failures from lock_counter where scope = 'password'")" = 5 ]
	[ "$(dbq "select count(*) from audit where action in ('failure', 'lock')")" = 5 ]
}

@test "rule 11: an unknown account gives the same results, captcha rule and lock as a known one" {
	for m in 0 1 2 3 4; do
		a=$(wrong $m zhang_san | jq -c 'del(.line)')
		b=$(wrong $m nobody_at_all | jq -c 'del(.line)')
		[ "$a" = "$b" ]
	done
	a=$(taxid-login --now "$(at 5)" account=zhang_san password=x | jq -c 'del(.line)')
	b=$(taxid-login --now "$(at 5)" account=nobody_at_all password=x | jq -c 'del(.line)')
	[ "$a" = "$b" ]
	run taxid-lockout --now "$(at 5)" status account=nobody_at_all
	[ "$(jfield .known)" = false ]
	[ "$(jfield '.scopes[] | select(.scope=="password") | .locked')" = true ]
}

@test "rule 12: password reset clears the lock; operator clear is audited and idempotent; bulk clear needs the count" {
	for m in 0 1 2 3 4; do wrong $m >/dev/null || true; done
	run taxid-lockout --now "$(at 5)" list
	[ "$(jfield .login_name)" = zhang_san ]
	run taxid-lockout --now "$(at 5)" clear account=zhang_san operator=op7
	[ "$(jfield .error.code)/$(jfield .error.field)" = missing_field/reason ]
	run taxid-lockout --now "$(at 5)" clear account=zhang_san reason='called the hall' operator=op7
	assert_success
	[ "$(jfield '.unlocked | join(",")')" = password ]
	run taxid-lockout --now "$(at 6)" clear account=zhang_san reason='again' operator=op7
	assert_success
	[ "$(jfield '.unlocked | length')" = 0 ]
	[ "$(dbq "select count(*) from audit where action = 'unlock' and actor = 'op7'")" = 1 ]
	# two locked accounts, bulk clear
	account li_si 'Secr3t!pass' 13700137000 440524188001010014 李四
	for m in 10 11 12 13 14; do wrong $m >/dev/null || true; wrong $m li_si >/dev/null || true; done
	run taxid-lockout --now "$(at 15)" clear --all --confirm 1 --reason 'storm' --operator op7
	[ "$(jfield .error.code)" = confirmation_mismatch ]
	[ "$(jfield .error.locked_now)" = 2 ]
	run taxid-lockout --now "$(at 15)" clear --all --confirm 2 --reason 'storm' --operator op7
	assert_success
	run taxid-lockout --now "$(at 15)" list
	assert_output ''
	# reset clears the password lock
	for m in 20 21 22 23 24; do wrong $m >/dev/null || true; done
	run taxid-login --now "$(at 25)" reset account=zhang_san method=sms
	ch=$(jfield .sms.challenge); code=$(sms_code 13800138000)
	run taxid-login --now "$(at 25)" reset account=zhang_san method=sms new_password='Res3t!passw' "sms:={\"challenge\":\"$ch\",\"code\":\"$code\"}"
	assert_success
	[ "$(jfield .unlocked)" = true ]
	run taxid-login --now "$(at 26)" account=zhang_san password='Res3t!passw'
	assert_success
}

@test "rule 6: the municipal profile locks a method for the rest of the local day, until midnight" {
	run taxid-lockout policy profile --name municipal operator=op-test
	assert_success
	run taxid-lockout policy show
	[ "$(jq -r 'select(.scope=="password") | .window + " " + .duration' <<<"$output")" = "day midnight" ]
	# 5 failures on 2026-11-25 local (Asia/Shanghai): 08:00Z is 16:00 local; midnight local is 16:00Z
	for m in 0 60 120 180 240; do wrong $m >/dev/null || true; done
	run taxid-login --now 2026-11-25T15:59:59Z account=zhang_san password='Secr3t!pass' captcha:="$(TAXID_NOW=2026-11-25T15:59:59Z verdict cap captcha zhang_san)"
	[ "$(jfield .error.code)" = locked ]
	[ "$(jfield .error.locked_until)" = 2026-11-25T16:00:00Z ]
	run taxid-login --now 2026-11-25T16:00:00Z account=zhang_san password='Secr3t!pass'
	assert_success
	# failures on two different local days do not add up
	for t in 2026-11-26T15:00:00Z 2026-11-26T15:10:00Z 2026-11-26T15:20:00Z 2026-11-26T15:30:00Z; do
		taxid-login --now $t account=zhang_san password=Wrong-pass1 captcha:="$(TAXID_NOW=$t verdict cap captcha zhang_san)" >/dev/null || true
	done
	t=2026-11-26T16:30:00Z
	run taxid-login --now $t account=zhang_san password=Wrong-pass1 captcha:="$(TAXID_NOW=$t verdict cap captcha zhang_san)"
	[ "$(jfield .error.code)" = bad_credentials ]
}

@test "rule 6: policy is data: a scope's threshold, window and duration can be set" {
	run taxid-lockout policy set operator=op-test scope=password threshold:=3 window=sliding window_seconds:=600 duration=seconds duration_seconds:=60
	assert_success
	for m in 0 1; do run wrong $m; [ "$(jfield .error.code)" = bad_credentials ]; done
	run wrong 2
	[ "$(jfield .error.code)" = locked ]
	[ "$(jfield .error.locked_until)" = 2026-11-25T08:03:00Z ]
	run taxid-lockout policy set operator=op-test scope=bogus threshold:=3
	[ "$(jfield .error.code)" = bad_value ]
}

@test "rule 9: SMS and face second-factor failures have their own counters and leave the password counter alone" {
	for i in 1 2 3 4 5; do
		run taxid-login --now "$(at $((i*2)))" account=zhang_san password='Secr3t!pass'
		tx=$(jfield .login_tx); ch=$(jfield .sms.challenge)
		run taxid-login --now "$(at $((i*2)))" 2fa login_tx="$tx" "sms:={\"challenge\":\"$ch\",\"code\":\"000000\"}"
	done
	[ "$(jfield .error.code)" = locked ]
	[ "$(jfield .error.factor)" = sms ]
	run taxid-lockout --now "$(at 11)" status account=zhang_san
	[ "$(jfield '.scopes[] | select(.scope=="sms") | .locked')" = true ]
	[ "$(jfield '.scopes[] | select(.scope=="password") | .failures')" = 0 ]
}

@test "history lists failures, locks and unlocks of an account" {
	for m in 0 1 2 3 4; do wrong $m >/dev/null || true; done
	taxid-lockout --now "$(at 5)" clear account=zhang_san reason=test operator=op-test >/dev/null
	run taxid-lockout history account=zhang_san
	[ "$(jq -r .event <<<"$output" | tr '\n' ' ')" = "failure failure failure failure lock unlock " ]
}
