#!/usr/bin/env bats
# 46-time-boundaries: every time boundary pinned at the second on both sides, through the binaries (issue 12
# item 4). The rule throughout (taxid-login(1), taxid-verify(1), taxid-register(1), taxid-lockout(1)): a thing
# that expires "after D" from T is good up to T + D - 1 s and gone at T + D exactly; a signed verdict is fresh
# while its age is at most verdict.max_age (600 s), stale from 601 s, and may be issued up to
# verdict.clock_skew (60 s) in the future. Expected instants are worked out here by date(1), never copied.
load helper

T0=2026-11-25T08:00:00Z
ZS=11010519491231002X

# sec N: the RFC 3339 instant N seconds after T0 (N may be written as an arithmetic expression).
sec() { date -u -d "$T0 + $(($1)) seconds" +%Y-%m-%dT%H:%M:%SZ; }

local_setup() {
	account zhang_san 'Secr3t!pass' 13800138000 "$ZS"
	keygen cap
	trust cap captcha
	keygen face
	trust face face
}

# session AT: log zhang_san in with the SMS factor at AT; prints the session token.
session() { TAXID_NOW=$1 login_sms zhang_san 'Secr3t!pass' | jq -r .session.token; }

# check AT TOKEN: session check at AT.
check() { taxid-login --now "$1" session check token="$2"; }

# wrong AT: one wrong password for zhang_san at AT with a fresh captcha verdict.
wrong() { taxid-login --now "$1" account=zhang_san password=Wrong-pass1 captcha:="$(TAXID_NOW=$1 verdict cap captcha zhang_san)"; }

# ---- sessions (SECURITY rule 16: idle 30 min, absolute 12 h) ----

@test "session idle: still valid 29:59 after the last use, gone at 30:00 after it" {
	tok=$(session "$T0")
	[ -n "$tok" ] && [ "$tok" != null ]
	# the login's own answer states the instant: 30 minutes on
	run check "$(sec '29*60+59')" "$tok"
	assert_success
	[ "$(jfield .idle_expires_at)" = "$(sec '29*60+59 + 30*60')" ]
	# the check refreshed the last use: 29:59 after it is fine again
	run check "$(sec '2*(29*60+59)')" "$tok"
	assert_success
	# exactly 30:00 after the last use it is gone
	run check "$(sec '2*(29*60+59) + 30*60')" "$tok"
	assert_failure 1
	[ "$(jfield .error.code)" = session_invalid ]
	# and stays gone
	run check "$(sec '2*(29*60+59) + 30*60 + 1')" "$tok"
	[ "$(jfield .error.code)" = session_invalid ]
}

@test "session idle at the login: 29:59 after the session began is fine, 30:00 is not" {
	run login_sms zhang_san 'Secr3t!pass'
	assert_success
	[ "$(jfield .session.idle_expires_at)" = "$(sec '30*60')" ]
	a=$(jfield .session.token)
	b=$(TAXID_NOW=$(sec '61') login_sms zhang_san 'Secr3t!pass' | jq -r .session.token) # after the SMS cooldown
	run check "$(sec '30*60 - 1')" "$a"
	assert_success
	run check "$(sec '61 + 30*60')" "$b"
	assert_failure 1
	[ "$(jfield .error.code)" = session_invalid ]
}

@test "session absolute: used every 29 minutes, valid at 11:59:59, gone at 12:00:00 though used a second before" {
	run login_sms zhang_san 'Secr3t!pass'
	tok=$(jfield .session.token)
	[ "$(jfield .session.expires_at)" = "$(sec '12*3600')" ]
	for ((m = 29; m * 60 < 12 * 3600 - 60; m += 29)); do
		check "$(sec 'm*60')" "$tok" >/dev/null
	done
	run check "$(sec '12*3600 - 1')" "$tok"
	assert_success
	run check "$(sec '12*3600')" "$tok"
	assert_failure 1
	[ "$(jfield .error.code)" = session_invalid ]
}

# ---- codes and transactions (SECURITY rules 13, 15; DOMAIN: hall codes) ----

@test "SMS code: valid 4:59 after it was sent, expired at 5:00" {
	run taxid-verify sms send phone=13800138000 purpose=register
	assert_success
	[ "$(jfield .expires_at)" = "$(sec '300')" ]
	ch1=$(jfield .challenge)
	k1=$(sms_code 13800138000)
	run taxid-verify sms send phone=13900139000 purpose=register
	ch2=$(jfield .challenge)
	k2=$(sms_code 13900139000)
	run taxid-verify --now "$(sec '299')" sms check challenge="$ch1" code="$k1" purpose=register phone=13800138000
	assert_success
	run taxid-verify --now "$(sec '300')" sms check challenge="$ch2" code="$k2" purpose=register phone=13900139000
	assert_failure 1
	[ "$(jfield .error.code)" = challenge_expired ]
}

@test "QR nonce: pending 1:59 after it was issued, expired at 2:00" {
	run taxid-login qr issue
	assert_success
	[ "$(jfield .expires_at)" = "$(sec '120')" ]
	qr=$(jfield .qr)
	run taxid-login --now "$(sec '119')" qr poll qr="$qr"
	assert_failure 1
	[ "$(jfield .error.code)" = qr_pending ]
	run taxid-login --now "$(sec '120')" qr poll qr="$qr"
	assert_failure 1
	[ "$(jfield .error.code)" = challenge_expired ]
}

@test "login transaction: the second step works 9:59 after the password step, not at 10:00" {
	run taxid-login account=zhang_san password='Secr3t!pass' second_factor=face
	assert_success
	[ "$(jfield .expires_at)" = "$(sec '600')" ]
	tx1=$(jfield .login_tx)
	run taxid-login account=zhang_san password='Secr3t!pass' second_factor=face
	tx2=$(jfield .login_tx)
	t=$(sec '599')
	run taxid-login --now "$t" 2fa login_tx="$tx1" face:="$(TAXID_NOW=$t verdict face face "$ZS")"
	assert_success
	[ "$(jfield .session.token)" != null ]
	t=$(sec '600')
	run taxid-login --now "$t" 2fa login_tx="$tx2" face:="$(TAXID_NOW=$t verdict face face "$ZS")"
	assert_failure 1
	[ "$(jfield .error.code)" = login_tx_invalid ]
}

@test "hall registration code: registers 6 days 23:59:59 after issue, refused at 7 days" {
	LS=440524188001010014
	c1=$(taxid-register code doc_type=201 doc_no=360426199101010071 name=王五 operator=op7 | jq -r .code)
	run taxid-register code doc_type=201 doc_no=$LS name=李四 operator=op7
	[ "$(jfield .expires_at)" = "$(sec '7*86400')" ]
	c2=$(jfield .code)
	reg() { # DOC NAME CODE LOGIN PHONE at $TAXID_NOW
		local ch k
		ch=$(taxid-verify sms send phone="$5" purpose=register | jq -r .challenge)
		k=$(sms_code "$5")
		jq -nc --arg d "$1" --arg n "$2" --arg c "$3" --arg l "$4" --arg ph "$5" --arg ch "$ch" --arg k "$k" \
			'{method:"code", code:$c, doc_type:"201", doc_no:$d, name:$n, login_name:$l, password:"Reg1ster!ok",
			  phone:$ph, sms:{challenge:$ch, code:$k}, consent:{pip:"2024.1"}}' | taxid-register
	}
	export TAXID_NOW
	TAXID_NOW=$(sec '7*86400 - 1')
	run reg 360426199101010071 王五 "$c1" wang_wu 13700137000
	assert_success
	[ "$(jfield .method)" = code ]
	TAXID_NOW=$(sec '7*86400')
	run reg $LS 李四 "$c2" li_si 13900139000
	assert_failure 1
	[ "$(jfield .error.code)" = code_invalid ]
}

# ---- signed verdicts: the freshness window (SECURITY rule 14) ----

@test "captcha verdict age: accepted 600 s after issued_at, stale at 601 s; 60 s in the future accepted, 61 s refused" {
	attest_at() { # AT ISSUED_AT
		taxid-verify --now "$1" attest kind=captcha subject=zhang_san \
			verdict:="$(TAXID_NOW=$2 verdict cap captcha zhang_san)"
	}
	run attest_at "$(sec '600')" "$T0"
	assert_success
	[ "$(jfield .passed)" = true ]
	run attest_at "$(sec '601')" "$T0"
	assert_failure 1
	[ "$(jfield .error.code)" = verdict_stale ]
	run attest_at "$T0" "$(sec '60')"
	assert_success
	run attest_at "$T0" "$(sec '61')"
	assert_failure 1
	[ "$(jfield .error.code)" = verdict_stale ]
}

@test "captcha verdict age in a login: a 600 s old captcha opens the next attempt, a 601 s old one does not" {
	run wrong "$T0"
	[ "$(jfield .error.code)" = bad_credentials ]
	old=$(verdict cap captcha zhang_san) # issued at T0
	run taxid-login --now "$(sec '601')" account=zhang_san password='Secr3t!pass' captcha:="$old"
	assert_failure 1
	[ "$(jfield .error.code)" = verdict_stale ]
	run taxid-login --now "$(sec '600')" account=zhang_san password='Secr3t!pass' captcha:="$old"
	assert_success
}

# ---- lock ends (SECURITY rule 8: until the 5th failure + 120 minutes) ----

@test "password lock: still locked 119:59 after the 5th failure, free at 120:00" {
	for s in 0 10 20 30; do run wrong "$(sec 's')"; [ "$(jfield .error.code)" = bad_credentials ]; done
	fifth=$(sec '47') # the 5th failure at an odd second
	run wrong "$fifth"
	[ "$(jfield .error.code)" = locked ]
	[ "$(jfield .error.locked_until)" = "$(sec '47 + 120*60')" ]
	t=$(sec '47 + 120*60 - 1')
	run taxid-login --now "$t" account=zhang_san password='Secr3t!pass' captcha:="$(TAXID_NOW=$t verdict cap captcha zhang_san)"
	assert_failure 1
	[ "$(jfield .error.code)" = locked ]
	run taxid-lockout --now "$t" status account=zhang_san
	[ "$(jfield '.scopes[] | select(.scope=="password") | .locked')" = true ]
	t=$(sec '47 + 120*60')
	run taxid-lockout --now "$t" status account=zhang_san
	[ "$(jfield '.scopes[] | select(.scope=="password") | .locked')" = false ]
	run taxid-login --now "$t" account=zhang_san password='Secr3t!pass' captcha:="$(TAXID_NOW=$t verdict cap captcha zhang_san)"
	assert_success
}

@test "declaration lock: still locked 119:59 after the 5th wrong declaration password, free at 120:00" {
	load bind-helper
	bind_fixture
	R=$(sess wang_rep 13800138001)
	Z=$(sess zhao_tax 13800138003)
	out=$(taxid-bind declpw set session="$R" tin=$E1 declaration_password=Decl2026pw)
	ch=$(jq -r .sms.challenge <<<"$out")
	k=$(sms_code 13800138001)
	taxid-bind declpw set session="$R" tin=$E1 declaration_password=Decl2026pw \
		sms:="$(jq -nc --arg c "$ch" --arg k "$k" '{challenge:$c, code:$k}')" | jq -e .declaration_password_set >/dev/null
	for s in 1 2 3 4; do
		run taxid-bind --now "$(sec 's')" enter session="$Z" tin=$E1 declaration_password=wrong${s}pw1 captcha:="$(TAXID_NOW=$(sec 's') verdict cap captcha $E1)"
		[ "$(jfield .error.code)" = declaration_password_wrong ]
	done
	run taxid-bind --now "$(sec '5')" enter session="$Z" tin=$E1 declaration_password=wrong5pw1 captcha:="$(TAXID_NOW=$(sec '5') verdict cap captcha $E1)"
	[ "$(jfield .error.code)" = locked ]
	[ "$(jfield .error.locked_until)" = "$(sec '5 + 120*60')" ]
	# a session alive at the boundary (the first one went idle long ago)
	t=$(sec '5 + 120*60 - 1')
	Z2=$(TAXID_NOW=$(sec '5 + 100*60') sess zhao_tax 13800138003)
	run taxid-bind --now "$t" enter session="$Z2" tin=$E1 declaration_password=Decl2026pw captcha:="$(TAXID_NOW=$t verdict cap captcha $E1)"
	assert_failure 1
	[ "$(jfield .error.code)" = locked ]
	run taxid-bind --now "$(sec '5 + 120*60')" enter session="$Z2" tin=$E1 declaration_password=Decl2026pw captcha:="$(TAXID_NOW=$(sec '5 + 120*60') verdict cap captcha $E1)"
	assert_success
	[ "$(jfield .via)" = declaration_password ]
}
