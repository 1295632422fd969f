#!/usr/bin/env bats
# 16-clock-mode: SECURITY rule 29 (issue 11, item 1). A database is created normal (the default) or for tests
# ($TAXID_TEST_DB=1 when it is first created); a normal one refuses a pinned clock (--now, $TAXID_NOW) on every
# action that writes, with a usage error, and takes it on reads. The attacks of the issue, on a normal database.
load helper

# normal: forget the suite's test settings, so that what follows runs on a normal database at the real clock.
normal() {
	unset TAXID_NOW TAXID_TEST_DB
}

# real_verdict NAME KIND SUBJECT: a verdict issued now (by the real clock).
real_verdict() {
	TAXID_NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ) verdict "$@"
}

@test "a database is normal unless created with TAXID_TEST_DB=1; taxid-verify db reports the mode" {
	normal
	taxid-verify sms send phone=13800138000 purpose=login >/dev/null
	run --separate-stderr taxid-verify db
	assert_success
	[ "$(jfield .mode)" = normal ]
	[ "$(jfield .audit_chain)" = hmac-sha256 ]
	[ "$(dbq "select value from meta where key = 'db_mode'")" = normal ]
	env $(db_env test) TAXID_TEST_DB=1 taxid-verify sms send phone=13800138000 purpose=login >/dev/null
	run --separate-stderr env $(db_env test) taxid-verify db
	[ "$(jfield .mode)" = test ]
	# only "1" asks for a test database
	env $(db_env other) TAXID_TEST_DB=yes taxid-verify sms send phone=13800138000 purpose=login >/dev/null
	run --separate-stderr env $(db_env other) taxid-verify db
	[ "$(jfield .mode)" = normal ]
}

@test "the lock-lifting attack: --now 2030 on a normal database is a usage error and the 120-minute lock stays" {
	normal
	account zhang_san 'Secr3t!pass'
	keygen cap
	trust cap captcha
	local i
	for i in 1 2 3 4 5; do
		taxid-login account=zhang_san password=Wrong-pass1 captcha:="$(real_verdict cap captcha zhang_san)" >/dev/null || true
	done
	run --separate-stderr taxid-lockout list
	assert_success
	[ "$(jfield .login_name)" = zhang_san ]
	run --separate-stderr taxid-login --now 2030-01-01T00:00:00Z account=zhang_san password='Secr3t!pass' \
		captcha:="$(TAXID_NOW=2030-01-01T00:00:00Z verdict cap captcha zhang_san)"
	assert_failure 64
	[ "$(jfield .error.code)" = clock_pinned ]
	[[ $stderr == *"TAXID_TEST_DB=1"* ]]
	# the same through the environment
	run --separate-stderr env TAXID_NOW=2030-01-01T00:00:00Z taxid-login account=zhang_san password='Secr3t!pass'
	assert_failure 64
	[ "$(jfield .error.code)" = clock_pinned ]
	# still locked at the real clock, and nothing was counted or audited at 2030
	run --separate-stderr taxid-login account=zhang_san password='Secr3t!pass' captcha:="$(real_verdict cap captcha zhang_san)"
	[ "$(jfield .error.code)" = locked ]
	[ "$(dbq "select count(*) from audit where at like '2030%'")" = 0 ]
}

@test "the captcha replay attack: a pinned clock cannot purge the used nonces of a normal database" {
	normal
	keygen cap
	trust cap captcha
	local v
	v=$(real_verdict cap captcha zhang_san)
	run --separate-stderr taxid-verify attest kind=captcha "verdict:=$v" consume:=true
	assert_success
	[ "$(jfield .consumed)" = true ]
	# a later pinned clock would expire the used nonce: refused before anything is read or purged
	run --separate-stderr taxid-verify --now 2027-06-01T00:00:00Z attest kind=captcha \
		"verdict:=$(TAXID_NOW=2027-06-01T00:00:00Z verdict cap captcha zhang_san)" consume:=true
	assert_failure 64
	[ "$(jfield .error.code)" = clock_pinned ]
	# the spent verdict stays spent
	run --separate-stderr taxid-verify attest kind=captcha "verdict:=$v" consume:=true
	assert_failure 1
	[ "$(jfield .error.code)" = verdict_replayed ]
}

@test "on a normal database, actions that only read take a pinned clock" {
	normal
	taxid-verify sms send phone=13800138000 purpose=login >/dev/null
	run --separate-stderr taxid-verify --now 2030-01-01T00:00:00Z audit
	assert_success
	[ "$(jfield .chain)" = intact ]
	run --separate-stderr taxid-lockout --now 2030-01-01T00:00:00Z list
	assert_success
	run --separate-stderr env TAXID_NOW=2030-01-01T00:00:00Z taxid-verify db
	assert_success
	[ "$(jfield .mode)" = normal ]
	# validators without a database too
	run --separate-stderr taxid-verify --now 2030-01-01T00:00:00Z identity doc_type=201 doc_no=11010519491231002X
	assert_success
	# the same write without the pin is fine
	run --separate-stderr taxid-verify sms send phone=13800138001 purpose=login
	assert_success
}

@test "--reveal is audited, so a pinned reveal on a normal database is refused too" {
	normal
	taxid-verify sms send phone=13800138000 purpose=login >/dev/null
	run --separate-stderr env TAXID_OPERATOR=op-test taxid-verify --reveal --now 2030-01-01T00:00:00Z audit
	assert_failure 64
	run --separate-stderr env TAXID_OPERATOR=op-test taxid-verify --reveal audit
	assert_success
}

@test "a new database is not created with a pinned clock unless it is for tests" {
	normal
	run --separate-stderr taxid-verify --now 2026-11-25T08:00:00Z sms send phone=13800138000 purpose=login
	assert_failure 64
	[[ $stderr == *"TAXID_TEST_DB=1"* ]]
	[ ! -e "$TAXID_DB" ]
	[ ! -e "$TAXID_KEY" ]
	run --separate-stderr env TAXID_TEST_DB=1 taxid-verify --now 2026-11-25T08:00:00Z sms send phone=13800138000 purpose=login
	assert_success
	[ "$(jfield .expires_at)" = 2026-11-25T08:05:00Z ]
}

@test "a normal database cannot become a test database: not by the variable, not by editing meta without the key" {
	normal
	taxid-verify sms send phone=13800138000 purpose=login >/dev/null
	run --separate-stderr env TAXID_TEST_DB=1 taxid-verify --now 2030-01-01T00:00:00Z sms send phone=13800138001 purpose=login
	assert_failure 64
	[ "$(jfield .error.code)" = clock_pinned ]
	# with write access to the file: mark it "test" and copy the seal of another database
	env $(db_env other) TAXID_TEST_DB=1 taxid-verify sms send phone=13800138000 purpose=login >/dev/null
	local seal
	seal=$(TAXID_DB=$(db_path other) dbq "select value from meta where key = 'db_mode_seal'")
	[ -n "$seal" ]
	dbq "update meta set value = 'test' where key = 'db_mode';
		insert into meta(key, value) values ('db_mode_seal', '$seal')"
	run --separate-stderr taxid-verify db
	[ "$(jfield .mode)" = normal ]
	run --separate-stderr env TAXID_TEST_DB=1 taxid-verify --now 2030-01-01T00:00:00Z sms send phone=13800138001 purpose=login
	assert_failure 64
}


# hmac_hex KEYHEX: HMAC-SHA256 of stdin under the key KEYHEX, as hex.
hmac_hex() { openssl dgst -sha256 -mac HMAC -macopt "hexkey:$1" -hex | sed 's/^.*= //'; }

@test "a key file serves one mode: no test database under a normal database's key file, and a seal made under it does not count" {
	normal
	taxid-verify sms send phone=13800138000 purpose=login >/dev/null
	# a normal database's key file has no "mode test" line; a test database's has
	run ! grep -qx 'mode test' "$TAXID_KEY"
	env $(db_env own) TAXID_TEST_DB=1 taxid-verify sms send phone=13800138000 purpose=login >/dev/null
	grep -qx 'mode test' own.db.key
	# the office's mistake: a test database made under the production key file is refused, and so is the reverse
	run --separate-stderr env $(db_env shared) TAXID_TEST_DB=1 TAXID_KEYFILE="$TAXID_KEY" \
		taxid-verify sms send phone=13800138000 purpose=login
	assert_failure 69
	assert_output ''
	[[ $stderr == *"was made for normal databases; a new test database needs a key file of its own"* ]]
	run --separate-stderr env $(db_env shared2) TAXID_KEYFILE=own.db.key taxid-verify sms send phone=13800138000 purpose=login
	assert_failure 69
	[[ $stderr == *"was made for test databases; a new normal database needs a key file of its own"* ]]
	# the attack that rule closes: a seal valid under the production key (what a test database sharing that key
	# file held before) written into the production database by someone who can write the file
	local master secret seal
	master=$(sed -n 's/^taxid-key-v1 //p' "$TAXID_KEY")
	[ ${#master} = 64 ]
	secret=$(printf 'taxid/v1/secret' | hmac_hex "$master")
	seal=$(printf 'db_mode\0test' | hmac_hex "$secret")
	# the hand-made seal is the real one: under a test key file the tool made, it is what the database holds
	local om os
	om=$(sed -n 's/^taxid-key-v1 //p' own.db.key)
	os=$(printf 'taxid/v1/secret' | hmac_hex "$om")
	[ "$(printf 'db_mode\0test' | hmac_hex "$os")" = "$(TAXID_DB=$(db_path own) dbq "select value from meta where key = 'db_mode_seal'")" ]
	dbq "update meta set value = 'test' where key = 'db_mode';
		insert into meta(key, value) values ('db_mode_seal', '$seal')"
	run --separate-stderr taxid-verify db
	assert_success
	[ "$(jfield .mode)" = normal ]
	run --separate-stderr env TAXID_TEST_DB=1 taxid-verify --now 2030-01-01T00:00:00Z sms send phone=13800138001 purpose=login
	assert_failure 64
	[ "$(jfield .error.code)" = clock_pinned ]
	# nor does making the database look unbound and new again (no key check value, no mode) and asking for a
	# test database: the key file it is bound to anew was made for normal databases
	local check
	check=$(dbq "select value from meta where key = 'key_check'")
	dbq "delete from meta where key in ('key_check', 'db_mode', 'db_mode_seal')"
	run --separate-stderr env TAXID_TEST_DB=1 taxid-verify --now 2030-01-01T00:00:00Z sms send phone=13800138001 purpose=login
	assert_failure 69
	[[ $stderr == *"was made for normal databases"* ]]
	[ "$(dbq "select count(*) from meta where key like 'db_mode%'")" = 0 ]
	[ "$(dbq "select count(*) from audit where at like '2030%'")" = 0 ]
	run --separate-stderr env TAXID_TEST_DB=1 taxid-verify db
	assert_failure 69
	# only the key file's owner can make it a test key file, and then the database is one
	dbq "insert into meta(key, value) values ('key_check', '$check'), ('db_mode', 'test'),
		('db_mode_seal', '$seal')"
	printf 'mode test\n' >>"$TAXID_KEY"
	run --separate-stderr taxid-verify db
	[ "$(jfield .mode)" = test ]
}

@test "a test database takes the pinned clock on writes (the suite's own databases)" {
	[ "$TAXID_TEST_DB" = 1 ]
	run --separate-stderr taxid-verify sms send phone=13800138000 purpose=login
	assert_success
	[ "$(jfield .expires_at)" = 2026-11-25T08:05:00Z ]
	run --separate-stderr taxid-verify db
	[ "$(jfield .mode)" = test ]
	# and keeps being one without the variable
	run --separate-stderr env -u TAXID_TEST_DB taxid-verify --now 2026-11-25T09:00:00Z sms send phone=13800138000 purpose=login
	assert_success
	[ "$(jfield .expires_at)" = 2026-11-25T09:05:00Z ]
}

@test "batch dates stay: survival run --as-of on a normal database at the real clock" {
	normal
	run --separate-stderr taxid-survival run --as-of 2026-11-25
	assert_success
}
