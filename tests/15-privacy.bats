#!/usr/bin/env bats
# Personal data (CONTRACT.md "Personal data and secrets"): masked in output unless --reveal, the reveal audited,
# never stored in clear.
load helper

# Marker values: a real-looking document number, phone and card that appear nowhere else.
DOC=11010519491231002X
PHONE=13800138000
CARD=6222020003001234

reveals() { dbq "SELECT count(*) FROM audit WHERE action = 'reveal'"; }

# assert_not_in_files VALUE...: none of the values is in the database, its WAL or shared-memory file (db_files).
assert_not_in_files() {
	local f v files
	files=$(db_files) || return 1
	for f in $files; do
		for v in "$@"; do
			if grep -aqF "$v" "$f"; then
				echo "'$v' found in clear in $f" >&2
				return 1
			fi
		done
	done
}

@test "document numbers are masked 6+4 in output" {
	run taxid-verify identity doc_type=201 doc_no="$DOC"
	assert_success
	[ "$(jfield .doc_no)" = '110105********002X' ]
	[[ "$output" != *"$DOC"* ]]
	# a lower-case x is masked after normalising
	run taxid-verify identity doc_type=201 doc_no=11010519491231002x
	[ "$(jfield .doc_no)" = '110105********002X' ]
}

@test "phones are masked 3+4 in output" {
	run taxid-verify mobile value="$PHONE"
	assert_success
	[ "$(jfield .value)" = '138****8000' ]
	run taxid-verify mobile value=+86$PHONE
	[ "$(jfield .value)" = '138****8000' ]
	run taxid-verify sms send phone="$PHONE" purpose=register
	[ "$(jfield .phone)" = '138****8000' ]
	[[ "$output" != *"$PHONE"* ]]
}

@test "bank cards keep only their last 4 in output" {
	run taxid-verify bank-card value="$CARD"
	assert_success
	[ "$(jfield .value)" = '************1234' ]
	run taxid-verify bank-card value=6217000010010012345
	[ "$(jfield .value)" = '***************2345' ]
}

@test "--reveal prints them unmasked" {
	run taxid-verify --reveal identity doc_type=201 doc_no=11010519491231002x
	assert_success
	[ "$(jfield .doc_no)" = "$DOC" ]
	run taxid-verify --reveal mobile value=+86$PHONE
	[ "$(jfield .value)" = "$PHONE" ]
	run taxid-verify --reveal bank-card value="$CARD"
	[ "$(jfield .value)" = "$CARD" ]
	# without a database nothing is created to audit into
	[ ! -e "$TAXID_DB" ]
}

@test "a bank check masks the card unless --reveal, and the reveal is audited" {
	keygen bank-svc
	trust bank-svc bank
	run taxid-verify bank name=张三 doc_no="$DOC" card="$CARD" phone="$PHONE" \
		"bank:=$(bank_verdict bank-svc "$DOC" "$CARD" "$PHONE" pass 1 '{"factors":4}')"
	assert_success
	[ "$(jfield .card)" = '************1234' ]
	[ "$(reveals)" = 0 ]
	run env TAXID_OPERATOR=op-test taxid-verify --reveal bank name=张三 doc_no="$DOC" card="$CARD" phone="$PHONE" \
		"bank:=$(bank_verdict bank-svc "$DOC" "$CARD" "$PHONE" pass 1 '{"factors":4}')"
	assert_success
	[ "$(jfield .card)" = "$CARD" ]
	[ "$(reveals)" = 1 ]
	run dbq "SELECT detail FROM audit WHERE action = 'reveal'"
	assert_output '{"action":"bank","line":0,"subjects":["************1234"]}'
}

@test "--reveal on a database writes one audit row per revealing request" {
	run taxid-verify sms outbox # an empty database
	assert_success
	run taxid-verify identity doc_type=201 doc_no="$DOC"
	assert_success
	[ "$(reveals)" = 0 ]
	run env TAXID_OPERATOR=op-test taxid-verify --reveal identity <<<"{\"doc_type\":\"201\",\"doc_no\":\"$DOC\"}
{\"doc_type\":\"201\",\"doc_no\":\"110105194912310021\"}
{\"doc_type\":\"201\",\"doc_no\":\"$DOC\"}"
	assert_failure 1
	[ "$(jq -r .doc_no <<<"${lines[0]}")" = "$DOC" ]
	# the refused request revealed nothing and is not audited
	[ "$(reveals)" = 2 ]
	run dbq "SELECT detail FROM audit WHERE action = 'reveal' ORDER BY id"
	assert_output '{"action":"identity","line":1,"subjects":["110105********002X"]}
{"action":"identity","line":3,"subjects":["110105********002X"]}'
	# the audit row itself holds no personal data
	assert_not_in_files "$DOC"
	run taxid-verify audit
	assert_success
}

@test "--reveal of a single identifier is audited when there is a database" {
	run taxid-verify sms outbox
	run env TAXID_OPERATOR=op-test taxid-verify --reveal mobile value="$PHONE"
	assert_success
	[ "$(reveals)" = 1 ]
}

@test "document numbers, phones and cards used in requests are never stored in clear" {
	keygen bank-svc
	trust bank-svc bank
	run taxid-verify bank name=张三 doc_no="$DOC" card="$CARD" phone="$PHONE" \
		"bank:=$(bank_verdict bank-svc "$DOC" "$CARD" "$PHONE" pass 1 '{"factors":4}')"
	assert_success
	run taxid-verify bank name=张三 doc_no="$DOC" card="$CARD" phone="$PHONE" \
		"bank:=$(bank_verdict bank-svc "$DOC" "$CARD" "$PHONE" fail 0 '{"factors":4,"mismatch":"phone"}')"
	assert_failure 1
	run env TAXID_OPERATOR=op-test taxid-verify --reveal identity doc_type=201 doc_no="$DOC"
	assert_success
	run taxid-verify sms send phone=+86$PHONE purpose=register
	assert_success
	ch=$(jfield .challenge) # only its keyed hash is in the database (issue 10)
	code=$(sms_code "$PHONE")
	run taxid-verify sms check challenge="$ch" code="$code" purpose=register phone="$PHONE"
	assert_success
	run taxid-verify --now 2026-11-25T08:01:01Z sms send phone="$PHONE" purpose=reset
	assert_success
	# before and after a checkpoint: the WAL, then the main file
	assert_not_in_files "$DOC" "$PHONE" "$CARD" 110105194912310 1380013
	db_checkpoint
	assert_not_in_files "$DOC" "$PHONE" "$CARD" 110105194912310 1380013
	# what is stored is masked
	run dbq "SELECT DISTINCT subject FROM audit WHERE subject IS NOT NULL ORDER BY 1"
	assert_output '************1234
110105********002X
138****8000
bank-svc'
}

@test "personal data never reaches stderr" {
	keygen bank-svc
	trust bank-svc bank
	run --separate-stderr taxid-verify bank name=张三 doc_no="$DOC" card="$CARD" phone="$PHONE" \
		"bank:=$(bank_verdict bank-svc "$DOC" "$CARD" "$PHONE" fail 0 '{"factors":4,"mismatch":"card"}')"
	assert_failure 1
	[[ "$output$stderr" != *"$DOC"* && "$output$stderr" != *"$CARD"* && "$output$stderr" != *"$PHONE"* ]]
	run --separate-stderr taxid-verify identity doc_type=201 doc_no=110105194912310021
	[[ "$output$stderr" != *110105194912310021* ]]
}

@test "rule 21: secrets are compared in constant time and wiped: no plain comparison touches a hash, code, token or key" {
	# the one comparison of secrets is CRYPTO_memcmp behind taxid_ct_equal, and the wipe is OPENSSL_cleanse
	grep -q 'return CRYPTO_memcmp(a, b, len) == 0;' "$TAXID_ROOT/lib/crypto.c"
	grep -q 'OPENSSL_cleanse(buf, len)' "$TAXID_ROOT/lib/crypto.c"
	# the modules that hold secrets compare them only through it
	for f in challenge keys crypto verdict account login bind enterprise audit; do
		run grep -nE '\b(memcmp|strcmp|strncmp|bcmp|strcasecmp)\([^;]*(hash|code|secret|token|tag|mac|pepper|key|digest|password)' \
			"$TAXID_ROOT/lib/$f.c"
		[ -z "$(grep -vE 'error_code|_code\(|scope|kind|method|purpose|action|role|factor' <<<"$output")" ] ||
			{ echo "lib/$f.c compares a secret in variable time: $output"; false; }
	done
	grep -q 'taxid_ct_equal(h, stored, 32)' "$TAXID_ROOT/lib/challenge.c"
}

@test "a legacy 20-character taxpayer number holds a resident ID number: masked like it, unless --reveal" {
	run taxid-verify tin value=11010519491231002X01
	assert_success
	[ "$(jfield .value)" = 110105********002X01 ]
	run taxid-verify tin value=91350100M000100Y43
	[ "$(jfield .value)" = 91350100M000100Y43 ]
	run taxid-verify --reveal tin value=11010519491231002X01
	[ "$(jfield .value)" = 11010519491231002X01 ]
}
