#!/usr/bin/env bats
# taxid-login: the password step, second factors, sessions and account changes (SECURITY.md rules 1-19).
load helper

local_setup() {
	account zhang_san 'Secr3t!pass'
}

@test "rule 1: a password is stored as argon2id with 16-byte salt and 32-byte tag" {
	run login_sms zhang_san 'Secr3t!pass'
	assert_success
	h=$(dbq "select password_hash from account")
	[[ "$h" =~ ^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$ ]]
}

@test "rules 2 and 5: a successful login rehashes old parameters and adds the pepper; a failed one does not" {
	dbq "update account set password_hash = '$(phc 'Secr3t!pass' 1)'"
	before=$(dbq "select password_hash from account")
	run taxid-login account=zhang_san password=wrong-Pass1
	assert_failure 1
	[ "$(dbq "select password_hash from account")" = "$before" ]
	run taxid-login --now "$(at 1)" account=zhang_san password='Secr3t!pass' captcha:="$(keygen cap && trust cap captcha && verdict cap captcha zhang_san)"
	assert_success
	after=$(dbq "select password_hash || ' ' || peppered from account")
	[[ "$after" == *'t=2,p=1'*' 1' ]]
	# peppered: the argon2 CLI no longer verifies the plain password against it
	salt=$(cut -d'$' -f5 <<<"$after" | base64 -d 2>/dev/null | head -c 16 | od -An -c | tr -d ' \n' || true)
	[ "$(dbq "select count(*) from audit where action = 'rehash'")" = 1 ]
}

@test "rule 3: a tampered hash with absurd parameters is refused at once, like a wrong password" {
	dbq "update account set password_hash = '\$argon2id\$v=19\$m=4194304,t=2,p=1\$c2FsdHNhbHRzYWx0c2FsdA\$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'"
	run taxid-login account=zhang_san password='Secr3t!pass'
	assert_failure 1
	[ "$(jfield .error.code)" = bad_credentials ]
}

@test "login by login name, phone and resident-ID number; other documents only by name or phone" {
	run taxid-login account=zhang_san password='Secr3t!pass'
	assert_success
	[ "$(jfield .next)" = sms ]
	[ "$(jfield .login_tx | tr -d '\n' | wc -c)" -ge 22 ]
	run taxid-login --now "$(at 2)" account=+8613800138000 password='Secr3t!pass'
	assert_success
	run taxid-login --now "$(at 4)" account=11010519491231002x password='Secr3t!pass'
	assert_success
}

@test "two factors: password + SMS code gives a session; a password alone never does" {
	run taxid-login account=zhang_san password='Secr3t!pass'
	assert_success
	[ "$(jfield '.session // empty')" = "" ]
	tx=$(jfield .login_tx); ch=$(jfield .sms.challenge); code=$(sms_code 13800138000)
	run taxid-login 2fa login_tx="$tx" "sms:={\"challenge\":\"$ch\",\"code\":\"$code\"}"
	assert_success
	[ "$(jfield '.session.token | length')" -eq 43 ]
	[ "$(jfield .must_change_password)" = false ]
	# the login transaction is single use
	run taxid-login 2fa login_tx="$tx" "sms:={\"challenge\":\"$ch\",\"code\":\"$code\"}"
	[ "$(jfield .error.code)" = login_tx_invalid ]
}

@test "password + face verdict gives a session and raises level 3 to 4" {
	keygen face; trust face face
	dbq "update person set level = 3"
	run taxid-login account=zhang_san password='Secr3t!pass' second_factor=face
	assert_success
	[ "$(jfield .next)" = face ]
	tx=$(jfield .login_tx)
	run taxid-login 2fa login_tx="$tx" face:="$(verdict face face 11010519491231002X pass 0.5)"
	[ "$(jfield .error.code)" = second_factor_failed ]
	run taxid-login 2fa login_tx="$tx" face:="$(verdict face face 11010519491231002X)"
	assert_success
	[ "$(dbq "select level from person")" = 4 ]
}

@test "rule 15: a login transaction expires after 10 minutes and dies when a lock triggers" {
	run taxid-login account=zhang_san password='Secr3t!pass'
	tx=$(jfield .login_tx); ch=$(jfield .sms.challenge); code=$(sms_code 13800138000)
	run taxid-login --now "$(at 10)" 2fa login_tx="$tx" "sms:={\"challenge\":\"$ch\",\"code\":\"$code\"}"
	[ "$(jfield .error.code)" = login_tx_invalid ]
	run taxid-login --now "$(at 11)" account=zhang_san password='Secr3t!pass'
	tx=$(jfield .login_tx)
	keygen cap; trust cap captcha
	for i in 1 2 3 4 5; do
		taxid-login --now "$(at 12)" account=zhang_san password=Wrong-pass1 captcha:="$(TAXID_NOW=$(at 12) verdict cap captcha zhang_san)" >/dev/null || true
	done
	run taxid-login --now "$(at 12)" 2fa login_tx="$tx" 'sms:={"challenge":"x","code":"000000"}'
	[ "$(jfield .error.code)" = login_tx_invalid ]
}

@test "rule 16: tokens are stored only as SHA-256; idle 30 min and absolute 12 h; logout and revoke-all" {
	run login_sms zhang_san 'Secr3t!pass'
	tok=$(jfield .session.token)
	sha=$(printf '%s' "$tok" | sha256sum | cut -d' ' -f1)
	[ "$(dbq "select hex(token_hash) from session" | tr A-F a-f)" = "$sha" ]
	! grep -aq "$tok" "$TAXID_DB" "$TAXID_DB"-wal 2>/dev/null || false
	run taxid-login --now "$(at 29)" session check token="$tok"
	assert_success
	run taxid-login --now "$(at 58)" session check token="$tok"
	assert_success
	run taxid-login --now "$(at 89)" session check token="$tok"
	[ "$(jfield .error.code)" = session_invalid ]
	# absolute: touch every 20 minutes until 12 h
	tok=$(TAXID_NOW=$(at 90) login_sms zhang_san 'Secr3t!pass' | jq -r .session.token)
	for m in $(seq 110 20 800); do taxid-login --now "$(at $m)" session check token="$tok" >/dev/null; done
	run taxid-login --now "$(at 810)" session check token="$tok"
	[ "$(jfield .error.code)" = session_invalid ]
	tok1=$(TAXID_NOW=$(at 812) login_sms zhang_san 'Secr3t!pass' | jq -r .session.token)
	tok2=$(TAXID_NOW=$(at 814) login_sms zhang_san 'Secr3t!pass' | jq -r .session.token)
	run taxid-login --now "$(at 815)" session logout token="$tok1"
	assert_success
	run taxid-login --now "$(at 815)" session check token="$tok1"
	[ "$(jfield .error.code)" = session_invalid ]
	run taxid-login --now "$(at 815)" session revoke-all token="$tok2"
	assert_success
	[ "$(jfield .sessions_revoked)" = 1 ]
	run taxid-login --now "$(at 815)" session check token="$tok2"
	[ "$(jfield .error.code)" = session_invalid ]
}

@test "rule 17: a password change revokes the other sessions; reset needs a second channel and never logs in" {
	tok1=$(login_sms zhang_san 'Secr3t!pass' | jq -r .session.token)
	tok2=$(TAXID_NOW=$(at 2) login_sms zhang_san 'Secr3t!pass' | jq -r .session.token)
	run taxid-login --now "$(at 3)" passwd session="$tok1" password='Secr3t!pass' new_password='N3w!passw0rd'
	assert_success
	[ "$(jfield .sessions_revoked)" = 1 ]
	run taxid-login --now "$(at 3)" session check token="$tok1"
	assert_success
	run taxid-login --now "$(at 3)" session check token="$tok2"
	[ "$(jfield .error.code)" = session_invalid ]
	# reset: step 1 sends a code, nothing changes; step 2 with the code sets the password, revokes all
	before=$(dbq "select password_hash from account")
	run taxid-login --now "$(at 5)" reset account=zhang_san method=sms
	assert_success
	ch=$(jfield .sms.challenge)
	[ "$(dbq "select password_hash from account")" = "$before" ]
	run taxid-login --now "$(at 5)" reset account=zhang_san method=sms new_password='An0ther!pass' "sms:={\"challenge\":\"$ch\",\"code\":\"000000\"}"
	assert_failure 1
	[ "$(dbq "select password_hash from account")" = "$before" ]
	code=$(sms_code 13800138000)
	run taxid-login --now "$(at 6)" reset account=zhang_san method=sms new_password='An0ther!pass' "sms:={\"challenge\":\"$ch\",\"code\":\"$code\"}"
	assert_success
	[ "$(jfield '.session // empty')" = "" ]
	run taxid-login --now "$(at 6)" session check token="$tok1"
	[ "$(jfield .error.code)" = session_invalid ]
	run taxid-login --now "$(at 7)" account=zhang_san password='An0ther!pass'
	assert_success
}

@test "reset for an unknown account answers like a known one and sends nothing" {
	run taxid-login reset account=nobody_here method=sms
	assert_success
	[ "$(jfield '.sms.challenge | length')" -eq 24 ]
	[ "$(taxid-verify sms outbox | wc -l)" -eq 0 ]
}

@test "rule 11: reset's second step for an unknown account is refused as a known account's wrong code is" {
	run taxid-login reset account=nobody_here method=sms new_password='N3w!passw0rd' 'sms:={"challenge":"AAAAAAAAAAAAAAAAAAAAAAAA","code":"123456"}'
	unknown=$(jq -c 'del(.line)' <<<"$output")
	run taxid-login reset account=zhang_san method=sms new_password='N3w!passw0rd' 'sms:={"challenge":"AAAAAAAAAAAAAAAAAAAAAAAA","code":"123456"}'
	[ "$(jq -c 'del(.line)' <<<"$output")" = "$unknown" ]
	[ "$(jfield .error.code)/$(jfield .error.field)" = challenge_invalid/sms ]
	# by bank, an unknown account sends no code, not even to the bank phone it names
	run taxid-login reset account=nobody_here method=bank bank_phone=13900139000 card=6222020003001234
	assert_success
	[ "$(jfield .next)" = sms ]
	[ "$(taxid-verify sms outbox | wc -l)" -eq 0 ]
}

@test "rule 8: while the password scope is locked, passwd refuses even the correct current password" {
	tok=$(login_sms zhang_san 'Secr3t!pass' | jq -r .session.token)
	keygen cap; trust cap captcha
	for m in 1 2 3 4 5; do
		taxid-login --now "$(at $m)" account=zhang_san password=Wrong-pass1 captcha:="$(TAXID_NOW=$(at $m) verdict cap captcha zhang_san)" >/dev/null || true
	done
	run taxid-login --now "$(at 6)" passwd session="$tok" password='Secr3t!pass' new_password='N3w!passw0rd'
	assert_failure 1
	[ "$(jfield .error.code)" = locked ]
	run taxid-login --now "$(at 126)" passwd session="$tok" password='Secr3t!pass' new_password='N3w!passw0rd'
	[ "$(jfield .error.code)" != locked ]
}

@test "reset by face verdict and by bank card with the bank-reserved phone" {
	keygen face; trust face face; keygen bank; trust bank bank
	run taxid-login reset account=zhang_san method=face new_password='F4ce!passwd' face:="$(verdict face face 11010519491231002X)"
	assert_success
	run taxid-login --now "$(at 2)" reset account=zhang_san method=bank bank_phone=13900139000 card=6222020003001234
	assert_success
	ch=$(jfield .sms.challenge); code=$(sms_code 13900139000)
	# a verdict for another card does not reset the password
	run taxid-login --now "$(at 2)" reset account=zhang_san method=bank bank_phone=13900139000 card=6222020003001234 \
		new_password='B4nk!passwd' "sms:={\"challenge\":\"$ch\",\"code\":\"$code\"}" \
		bank:="$(TAXID_NOW=$(at 2) bank_verdict bank 11010519491231002X 6217000010010012345 13900139000 pass 1 '{"factors":4}')"
	assert_failure 1
	[ "$(jfield .error.code)" = bank_mismatch ]
	run taxid-login --now "$(at 2)" reset account=zhang_san method=bank bank_phone=13900139000 card=6222020003001234 \
		new_password='B4nk!passwd' "sms:={\"challenge\":\"$ch\",\"code\":\"$code\"}" \
		bank:="$(TAXID_NOW=$(at 2) bank_verdict bank 11010519491231002X 6222020003001234 13900139000 pass 1 '{"factors":4}')"
	assert_success
	run taxid-login --now "$(at 3)" account=zhang_san password='B4nk!passwd'
	assert_success
}

@test "rule 18: an initial password leads only to a password change, and expires" {
	jq -nc '{doc_type:"201", doc_no:"440524188001010014", name:"李四", login_name:"li_si", phone:"13700137000", initial_password:"doc_tail6"}' | taxid-register import
	run taxid-login account=li_si password=010014
	assert_failure 1
	[ "$(jfield .error.code)" = must_change_password ]
	tx=$(jfield .error.change_tx)
	[ "$(jfield '.session // empty')" = "" ]
	# replacing it proves the bound phone (SECURITY rule 18; 42-account-takeover.bats has the attack)
	run taxid-login passwd change_tx="$tx" new_password='Fresh!pass1'
	assert_success
	[ "$(jfield .next)" = sms ]
	sms=$(jq -nc --arg c "$(jfield .sms.challenge)" --arg k "$(sms_code 13700137000)" '{challenge:$c, code:$k}')
	run taxid-login passwd change_tx="$tx" new_password='Fresh!pass1' sms:="$sms"
	assert_success
	[ "$(jfield .login_name)" = li_si ]
	run taxid-login --now "$(at 2)" account=li_si password='Fresh!pass1'
	assert_success
	[ "$(jfield .next)" = sms ]
	# an initial password past its expiry is refused
	jq -nc '{doc_type:"201", doc_no:"360426199101010071", name:"王五", login_name:"wang_wu", phone:"13600136000", initial_password:"doc_tail6"}' | taxid-register import
	run taxid-login --now 2027-01-30T00:00:00Z account=wang_wu password=010071
	[ "$(jfield .error.code)" = initial_password_expired ]
}

@test "rule 19: login name changes once per 365 days, with the password; a rename keeps a lock" {
	tok=$(login_sms zhang_san 'Secr3t!pass' | jq -r .session.token)
	run taxid-login rename session="$tok" password=wrong new_login_name=zhang_new
	[ "$(jfield .error.code)" = reauth_required ]
	run taxid-login rename session="$tok" password='Secr3t!pass' new_login_name=zhang_new
	assert_success
	run taxid-login --now "$(at 20)" rename session="$tok" password='Secr3t!pass' new_login_name=zhang_again
	[ "$(jfield .error.code)" = rename_too_soon ]
	run taxid-login --now "$(at 21)" account=zhang_new password='Secr3t!pass'
	assert_success
	# lock the account under its new name; status under the phone shows the same lock
	keygen cap; trust cap captcha
	for i in 1 2 3 4 5; do taxid-login --now "$(at 30)" account=zhang_new password=Wrong-pass1 captcha:="$(TAXID_NOW=$(at 30) verdict cap captcha zhang_new)" >/dev/null || true; done
	run taxid-lockout --now "$(at 31)" status account=13800138000
	[ "$(jfield '.scopes[] | select(.scope=="password") | .locked')" = true ]
}

@test "QR login: a client's nonce confirmed by a logged-in app gives the client its own session" {
	tok=$(login_sms zhang_san 'Secr3t!pass' | jq -r .session.token)
	run taxid-login qr issue
	assert_success
	qr=$(jfield .qr)
	run taxid-login qr poll qr="$qr"
	[ "$(jfield .error.code)" = qr_pending ]
	run taxid-login qr confirm session="$tok" qr="$qr"
	assert_success
	run taxid-login qr poll qr="$qr"
	assert_success
	[ "$(jfield .session.token)" != "$tok" ]
	run taxid-login qr poll qr="$qr"
	[ "$(jfield .error.code)" = challenge_invalid ]
	run taxid-login qr issue
	qr=$(jfield .qr)
	run taxid-login --now "$(at 3)" qr confirm session="$tok" qr="$qr"
	[ "$(jfield .error.code)" = challenge_expired ]
}

@test "an abnormal person cannot log in" {
	dbq "update person set state = 'abnormal', abnormal_reason = 'deceased'"
	run taxid-login account=zhang_san password='Secr3t!pass'
	[ "$(jfield .error.code)" = identity_abnormal ]
}

@test "rule 20: no password, code or token reaches the database, WAL or output in clear" {
	out=$(login_sms zhang_san 'Secr3t!pass')
	tok=$(jq -r .session.token <<<"$out")
	files=$(db_files)
	for f in $files; do
		! grep -aq 'Secr3t!pass' "$f" || false
		! grep -aq "$tok" "$f" || false
		! grep -aq 13800138000 "$f" || false
		! grep -aq 11010519491231002X "$f" || false
	done
	run --separate-stderr taxid-login account=zhang_san password='Secr3t!pass'
	! grep -q 'Secr3t' <<<"$output$stderr"
}
