#!/usr/bin/env bats
# Issue 10, item 5 (SECURITY.md rules 16, 25): a session has a kind (personal | enterprise) and records the
# second factor it was made with; a QR session never outlives its parent's absolute expiry, and deriving one
# checks the account's locks; personal actions refuse the enterprise-scoped sessions of `taxid-bind enter`.
load helper

load bind-helper

local_setup() {
	bind_fixture
}

@test "a session records its kind and second factor; session check shows them" {
	run sess wang_rep 13800138001
	R=$output
	[ "$(dbq "select kind || ' ' || factor from session")" = 'personal sms' ]
	run taxid-login session check token="$R"
	assert_success
	[ "$(jfield .kind)/$(jfield .factor)/$(jfield .expires_at)" = personal/sms/2026-11-25T20:00:00Z ]
	keygen face && trust face face
	out=$(taxid-login account=li_fin password="$PW" second_factor=face)
	run taxid-login 2fa login_tx="$(jq -r .login_tx <<<"$out")" face:="$(verdict face face 110105198502020028)"
	assert_success
	[ "$(jfield .session.kind)/$(jfield .session.factor)" = personal/face ]
	# a QR login's session was made with "qr", whatever its parent's factor
	F=$(jfield .session.token)
	qr=$(taxid-login qr issue | jq -r .qr)
	taxid-login qr confirm session="$F" qr="$qr" | jq -e .confirmed >/dev/null
	run taxid-login qr poll qr="$qr"
	[ "$(jfield .session.kind)/$(jfield .session.factor)" = personal/qr ]
	# and so it cannot maintain, which needs face
	[ "$(dbq "select group_concat(factor, ',') from session where parent_id is not null")" = qr ]
}

@test "chaining QR logins every 25 minutes cannot outlive the first session's 12 hours" {
	tok=$(sess wang_rep 13800138001)
	for i in $(seq 1 28); do # 25 minutes apart, the last at 19:40
		export TAXID_NOW=$(at $((25 * i)))
		qr=$(taxid-login qr issue | jq -r .qr)
		taxid-login qr confirm session="$tok" qr="$qr" | jq -e .confirmed >/dev/null
		out=$(taxid-login qr poll qr="$qr")
		[ "$(jq -r .session.expires_at <<<"$out")" = 2026-11-25T20:00:00Z ]
		tok=$(jq -r .session.token <<<"$out")
	done
	[ "$(jq -r .session.idle_expires_at <<<"$out")" = 2026-11-25T20:00:00Z ] # 19:40 + 30 min is past the end
	run taxid-login --now 2026-11-25T19:59:59Z session check token="$tok"
	assert_success
	run taxid-login --now 2026-11-25T20:00:00Z session check token="$tok"
	assert_failure 1
	[ "$(jfield .error.code)" = session_invalid ]
	run taxid-login --now 2026-11-25T20:00:00Z qr confirm session="$tok" qr="$(taxid-login --now 2026-11-25T20:00:00Z qr issue | jq -r .qr)"
	[ "$(jfield .error.code)" = session_invalid ]
}

@test "a QR login is refused once its parent is logged out" {
	tok=$(sess wang_rep 13800138001)
	qr=$(taxid-login qr issue | jq -r .qr)
	taxid-login qr confirm session="$tok" qr="$qr" | jq -e .confirmed >/dev/null
	taxid-login session logout token="$tok" | jq -e .ok >/dev/null
	run taxid-login qr poll qr="$qr"
	assert_failure 1
	[ "$(jfield .error.code)" = challenge_invalid ]
}

@test "qr confirm and qr poll check the account's locks" {
	tok=$(sess wang_rep 13800138001)
	export TAXID_NOW=$(at 1)
	qr1=$(taxid-login qr issue | jq -r .qr)
	taxid-login qr confirm session="$tok" qr="$qr1" | jq -e .confirmed >/dev/null # not locked yet
	keygen cap && trust cap captcha
	for i in 1 2 3 4 5; do
		taxid-login --now "$(at 1)" account=wang_rep password=Wrong-pass1 \
			captcha:="$(TAXID_NOW=$(at 1) verdict cap captcha wang_rep)" >/dev/null || true
	done
	export TAXID_NOW=$(at 2)
	run taxid-lockout status account=wang_rep
	[ "$(jfield '.scopes[] | select(.scope=="password") | .locked')" = true ]
	qr2=$(taxid-login qr issue | jq -r .qr)
	run taxid-login qr confirm session="$tok" qr="$qr2"
	assert_failure 1
	[ "$(jfield .error.code)" = locked ]
	run taxid-login qr poll qr="$qr1"
	assert_failure 1
	[ "$(jfield .error.code)" = locked ]
	# entering an enterprise derives a session too
	run taxid-bind enter session="$tok" tin=$E1
	assert_failure 1
	[ "$(jfield .error.code)" = locked ]
}

@test "entering an enterprise with an authorisation works while the account is not locked" {
	tok=$(sess wang_rep 13800138001)
	run taxid-bind enter session="$tok" tin=$E1
	assert_success
	[ "$(jfield .via)" = authorisation ]
}

@test "an enterprise-scoped session is refused by every personal action and ends with its parent" {
	R=$(sess wang_rep 13800138001)
	rel=$(taxid-bind grant session="$R" tin=$E1 role=tax_handler login_name=zhao_tax | jq -r .relation)
	Z=$(sess zhao_tax 13800138003)
	taxid-bind confirm session="$Z" relation="$rel" | jq -e .ok >/dev/null
	export TAXID_NOW=$(at 20)
	run taxid-bind enter session="$Z" tin=$E1
	assert_success
	EZ=$(jfield .session.token)
	entered=$output
	for cmd in "taxid-login session check token=$EZ" "taxid-login session revoke-all token=$EZ" \
		"taxid-login passwd session=$EZ password=$PW new_password=N3w!passw0rd" \
		"taxid-login rename session=$EZ password=$PW new_login_name=zhao_new" \
		"taxid-bind maintain session=$EZ tin=$E1 login_name=zhao_tax phone=13900139000" \
		"taxid-bind enter session=$EZ tin=$E1" "taxid-bind list session=$EZ" \
		"taxid-bind grant session=$EZ tin=$E1 role=tax_handler login_name=qian_other"; do
		run $cmd
		assert_failure 1
		[ "$(jfield .error.code)" = session_scoped ] || { echo "$cmd: $output"; false; }
	done
	# a QR confirmed in it keeps the business (issue 14 item 5): an enterprise session for the same enterprise
	run taxid-login qr confirm session="$EZ" qr="$(taxid-login qr issue | jq -r .qr)"
	assert_success
	[ "$(jfield .kind)/$(jfield .scope)" = "enterprise/enterprise:$E1" ]
	# derived from Z's session (08:00 + 12 h), not 20 minutes later
	[ "$(jq -r .session.expires_at <<<"$entered")" = 2026-11-25T20:00:00Z ]
	[ "$(dbq "select kind || ' ' || factor || ' ' || scope from session where id = 3")" = "enterprise sms enterprise:$E1" ]
	# the personal session still works, and the enterprise one may log out
	run taxid-login session check token="$Z"
	assert_success
	run taxid-login session logout token="$EZ"
	assert_success
	run taxid-login session logout token="$EZ"
	[ "$(jfield .error.code)" = session_invalid ]
}
