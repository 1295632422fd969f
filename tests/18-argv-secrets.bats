#!/usr/bin/env bats
# 18-argv-secrets: SECURITY rule 32 (issue 11, item 5). A secret given as an operand is visible to every user
# of the host (ps, /proc/PID/cmdline): it draws a one-line warning on stderr; KEY=@FILE and KEY=@- read it
# from a file or standard input instead; no message ever repeats an operand's value. The suite itself sets
# TAXID_QUIET_ARGV_SECRETS=1 (tests/helper.bash), so these tests unset it.
load helper

local_setup() {
	unset TAXID_QUIET_ARGV_SECRETS
	account zhang_san 'Secr3t!pass'
}

@test "a password operand prints one warning line on stderr naming the member, never its value" {
	run --separate-stderr taxid-login account=zhang_san 'password=Secr3t!pass'
	assert_success
	[ "$(jfield .next)" = sms ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ ${stderr_lines[0]} == "taxid-login: warning: password given as an operand"* ]]
	[[ $stderr == *"KEY=@FILE"* ]]
	[[ $stderr != *"Secr3t"* ]]
}

@test "several secret operands: still one line, naming each; members that are not secrets draw nothing" {
	run --separate-stderr taxid-login passwd account=zhang_san 'password=Secr3t!pass' 'new_password=N3w!passw0rd'
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ ${stderr_lines[0]} == *"password, new_password given as an operand"* ]]
	[[ $stderr != *"N3w!"* ]]
	run --separate-stderr taxid-verify mobile value=13800138000
	assert_success
	[ -z "$stderr" ]
	run --separate-stderr taxid-lockout status account=zhang_san
	[ -z "$stderr" ]
	# KEY:=JSON of a secret member warns too (an SMS code inside)
	run --separate-stderr taxid-verify sms check challenge=x purpose=login 'code:="123456"'
	[[ ${stderr_lines[0]} == *"warning: code given"* ]]
}

@test "the same request on standard input draws no warning" {
	run --separate-stderr taxid-login <<<'{"account":"zhang_san","password":"Secr3t!pass"}'
	assert_success
	[ "$(jfield .next)" = sms ]
	[ -z "$stderr" ]
}

@test "password=@FILE reads the secret from a file (one trailing newline dropped), without a warning" {
	printf 'Secr3t!pass\n' >pw
	chmod 600 pw
	run --separate-stderr taxid-login account=zhang_san password=@pw
	assert_success
	[ "$(jfield .next)" = sms ]
	[ -z "$stderr" ]
	# the file's exact bytes are the password: another line is not dropped
	printf 'Secr3t!pass\n\n' >pw2
	run --separate-stderr taxid-login account=zhang_san password=@pw2 captcha:=null
	[ "$(jfield .ok)" = false ]
}

@test "password=@- reads the secret from standard input; then stdin carries no requests" {
	run --separate-stderr taxid-login account=zhang_san password=@- <<<'Secr3t!pass'
	assert_success
	[ "$(jfield .next)" = sms ]
	[ -z "$stderr" ]
	run --separate-stderr taxid-login - account=zhang_san password=@- <<<'Secr3t!pass'
	assert_failure 64
	run --separate-stderr taxid-login passwd account=zhang_san password=@- new_password=@- <<<'Secr3t!pass'
	assert_failure 64
	[[ $stderr == *"only one operand may read standard input"* ]]
}

@test "@ reads only for secret members: another member's value keeps its @" {
	run --separate-stderr taxid-verify mobile value=@13800138000
	assert_failure 1
	[ "$(jfield .error.code)" = bad_format ]
	# and a password that really begins with @ is given as JSON
	run --separate-stderr taxid-login account=zhang_san 'password:="@x"'
	[ "$(jfield .error.code)" = bad_credentials ]
}

@test "a secret that begins with @ is given as KEY=@@REST: the value, never a file" {
	account li_si '@Secr3t!pass' 13900139000 "$(ric 11010519800101001)" 李四
	run --separate-stderr taxid-login account=li_si 'password=@@Secr3t!pass'
	assert_success
	[ "$(jfield .next)" = sms ]
	# it is in argv, so it draws the warning like any secret there; no file was read
	[[ $stderr == *"KEY=@FILE"* ]]
	[[ $stderr != *"cannot read"* ]]
	# the value is "@Secr3t!pass": zhang_san's password has no @
	run --separate-stderr taxid-login account=zhang_san 'password=@@Secr3t!pass'
	assert_failure 1
	[ "$(jfield .error.code)" = bad_credentials ]
	# one @ still reads the file of that name
	printf 'nope\n' >'Secr3t!pass'
	chmod 600 'Secr3t!pass'
	run --separate-stderr taxid-login account=li_si 'password=@Secr3t!pass'
	assert_failure 1
	[ "$(jfield .error.code)" = bad_credentials ]
	[ -z "$stderr" ]
}

@test "a missing or oversized @FILE is a usage error that names the file, not a secret" {
	run --separate-stderr taxid-login account=zhang_san password=@absent
	assert_failure 64
	[[ $stderr == *"cannot read password from 'absent'"* ]]
	head -c 5000 /dev/zero | tr '\0' a >big
	run --separate-stderr taxid-login account=zhang_san password=@big
	assert_failure 64
	[[ $stderr == *"longer than 4096 bytes"* ]]
}

@test "no message repeats an operand's value: bad UTF-8, bad JSON, no '=', an unknown option with a value" {
	run --separate-stderr taxid-login account=zhang_san $'password=Secr3t!pass\xff'
	assert_failure 64
	[[ $stderr == *"operand 2 ('password=...') is not valid UTF-8"* ]]
	[[ $stderr != *"Secr3t"* ]]
	run --separate-stderr taxid-login account=zhang_san 'sms:={"code":"Secr3t!pass"'
	assert_failure 64
	[[ $stderr == *"'sms:=...'"* ]]
	[[ $stderr != *"Secr3t"* ]]
	run --separate-stderr taxid-login account=zhang_san 'Secr3t!pass'
	assert_failure 64
	[[ $stderr != *"Secr3t"* ]]
	run --separate-stderr taxid-login 'Secr3t!pass'
	assert_failure 64
	[[ $stderr == *"unknown action"* ]]
	[[ $stderr != *"Secr3t"* ]]
	run --separate-stderr taxid-login --password='Secr3t!pass'
	assert_failure 64
	[[ $stderr == *"unknown option '--password'"* ]]
	[[ $stderr != *"Secr3t"* ]]
	run --separate-stderr taxid-login 2fa --password='Secr3t!pass'
	assert_failure 64
	[[ $stderr != *"Secr3t"* ]]
}

@test "TAXID_QUIET_ARGV_SECRETS=1 (and only 1) silences the warning" {
	run --separate-stderr env TAXID_QUIET_ARGV_SECRETS=1 taxid-login account=zhang_san 'password=Secr3t!pass'
	[ -z "$stderr" ]
	run --separate-stderr env TAXID_QUIET_ARGV_SECRETS=0 taxid-login account=zhang_san 'password=Secr3t!pass'
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "the pages, the README and the demo teach secrets on standard input or @FILE, not as operands" {
	local f
	# a password, declaration password or code written literally after KEY= in an example
	run grep -nE "(^|[ \"'])(password|new_password|declaration_password|initial_password|code)=['\"]?[A-Za-z0-9#!]" \
		"$TAXID_ROOT"/man/*.[157] "$TAXID_ROOT/scripts/demo.sh"
	assert_failure
	run grep -nE "(password|new_password|declaration_password)=[^@]" "$TAXID_ROOT/README.md"
	assert_failure
}
