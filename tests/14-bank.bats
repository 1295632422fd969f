#!/usr/bin/env bats
# The 3- and 4-factor bank-card check: every factor validated locally, the bank's signed verdict decides.
load helper

DOC=11010519491231002X
CARD=6222020003001234   # Luhn-valid
PHONE=13800138000

local_setup() {
	keygen bank-svc
	trust bank-svc bank
}

# bank VERDICT [OPERAND...]: a bank check with the standard name, document and card (and any extra operands).
bank() {
	local v=$1
	shift
	run taxid-verify bank name=张三 doc_no="$DOC" card="$CARD" "bank:=$v" "$@"
}

refused() {
	assert_failure 1
	[ "$(jfield .ok)" = false ]
	[ "$(jfield .error.code)" = "$1" ]
	[ -z "${2:-}" ] || [ "$(jfield .error.field)" = "$2" ]
}

nonces() { dbq 'SELECT count(*) FROM used_nonce'; }

@test "a 4-factor check that the bank passes is ok with factors 4 and the card masked" {
	bank "$(bank_verdict bank-svc "$DOC" "$CARD" "$PHONE" pass 1 '{"factors":4}')" phone="$PHONE"
	assert_success
	[ "$(jfield .factors)" = 4 ]
	[ "$(jfield .card)" = '************1234' ]
	[ "$(jfield .verdict.issuer)" = bank-svc ]
	[ "$(jfield .verdict.kind)" = bank ]
	[ "$(jfield .verdict.result)" = pass ]
	[[ "$output" != *"$CARD"* && "$output" != *"$PHONE"* && "$output" != *"$DOC"* ]]
	run dbq "SELECT action, subject, detail FROM audit WHERE action = 'bank_check'"
	assert_output 'bank_check|************1234|{"factors":4,"issuer":"bank-svc","result":"pass"}'
}

@test "a 3-factor check (no phone) that the bank passes is ok with factors 3" {
	bank "$(bank_verdict bank-svc "$DOC" "$CARD" "" pass 1 '{"factors":3}')"
	assert_success
	[ "$(jfield .factors)" = 3 ]
	[ "$(jfield .card)" = '************1234' ]
}

@test "the verdict's subject is the normalised document number" {
	run taxid-verify bank name=张三 doc_no=11010519491231002x card=" 6222020003001234 " \
		"bank:=$(bank_verdict bank-svc "$DOC" "$CARD" "")"
	assert_success
	[ "$(jfield .card)" = '************1234' ]
	bank "$(bank_verdict bank-svc 11010519491231002x "$CARD" "")"
	refused verdict_subject_mismatch bank
}

@test "a card failing Luhn is bad_checksum on card, before the verdict is looked at" {
	v=$(bank_verdict bank-svc "$DOC" "$CARD" "")
	bank "$v" card=6222020003001235
	refused bad_checksum card
	bank "$v" card=62220200030012
	refused bad_format card
	[ "$(nonces)" = 0 ]
	# the verdict was not spent
	bank "$v"
	assert_success
}

@test "an invalid phone is refused on phone" {
	bank "$(bank_verdict bank-svc "$DOC" "$CARD" "" pass 1 '{"factors":4}')" phone=23800138000
	refused bad_format phone
	bank "$(bank_verdict bank-svc "$DOC" "$CARD" "" pass 1 '{"factors":4}')" phone=1380013800
	refused bad_format phone
}

@test "an invalid document number is refused on doc_no" {
	v=$(bank_verdict bank-svc 110105194912310021 "$CARD" "")
	run taxid-verify bank name=张三 doc_no=110105194912310021 card="$CARD" "bank:=$v"
	refused bad_checksum doc_no
	run taxid-verify bank name=张三 doc_no=1101051949 card="$CARD" "bank:=$v"
	refused bad_format doc_no
	run taxid-verify bank name=张三 card="$CARD" "bank:=$v"
	refused missing_field doc_no
}

@test "a bank verdict of fail naming the phone is bank_mismatch on phone, and spends the verdict" {
	v=$(bank_verdict bank-svc "$DOC" "$CARD" "$PHONE" fail 0 '{"factors":4,"mismatch":"phone"}')
	bank "$v" phone="$PHONE"
	refused bank_mismatch phone
	# the failure is kept: nonce spent and audited
	[ "$(nonces)" = 1 ]
	run dbq "SELECT json_extract(detail, '$.result') FROM audit WHERE action = 'bank_check'"
	assert_output fail
	bank "$v" phone="$PHONE"
	refused verdict_replayed bank
}

@test "the mismatch names the factor at fault; an unknown one falls back to card" {
	for f in name doc_no card; do
		bank "$(bank_verdict bank-svc "$DOC" "$CARD" "" fail 0 "{\"factors\":3,\"mismatch\":\"$f\"}")"
		refused bank_mismatch "$f"
	done
	bank "$(bank_verdict bank-svc "$DOC" "$CARD" "" fail 0 '{"factors":3,"mismatch":"moon"}')"
	refused bank_mismatch card
	bank "$(bank_verdict bank-svc "$DOC" "$CARD" "" fail)"
	refused bank_mismatch card
}

@test "a verdict of 3 factors does not pass a 4-factor check" {
	v=$(bank_verdict bank-svc "$DOC" "$CARD" "" pass 1 '{"factors":3}')
	bank "$v" phone="$PHONE"
	refused bank_mismatch phone
	[ "$(jfield .error.factors_checked)" = 3 ]
	[ "$(jfield .error.factors_needed)" = 4 ]
	[ "$(jfield .factors)" = null ]
}

@test "a replayed bank verdict is verdict_replayed" {
	v=$(bank_verdict bank-svc "$DOC" "$CARD" "" pass 1 '{"factors":3}')
	bank "$v"
	assert_success
	bank "$v"
	refused verdict_replayed bank
	[ "$(dbq "SELECT count(*) FROM audit WHERE action = 'bank_check'")" = 1 ]
}

@test "a verdict of another kind, another issuer or no verdict is refused" {
	keygen face-svc
	trust face-svc face
	bank "$(verdict face-svc bank "$DOC")"
	refused verdict_untrusted bank
	trust bank-svc bank face
	bank "$(verdict bank-svc face "$DOC")"
	refused verdict_wrong_kind bank
	run taxid-verify bank name=张三 doc_no="$DOC" card="$CARD"
	refused missing_field bank
	bank "$(bank_verdict bank-svc "$DOC" "$CARD" "" pass 1 '{"factors":"four"}')"
	refused verdict_malformed bank
}

@test "name and card are required" {
	v=$(bank_verdict bank-svc "$DOC" "$CARD" "")
	run taxid-verify bank doc_no="$DOC" card="$CARD" "bank:=$v"
	refused missing_field name
	run taxid-verify bank name=张三 doc_no="$DOC" "bank:=$v"
	refused missing_field card
}

@test "the bank verdict must be bound to the card and phone it judged" {
	# a verdict the bank gave for another card passes no card but that one
	bank "$(bank_verdict bank-svc "$DOC" 6217000010010012345 "" pass 1 '{"factors":3}')"
	refused bank_mismatch card
	[ "$(jfield .error.reason)" = verdict_not_for_this_card ]
	# nor a verdict that does not name its card at all
	bank "$(verdict bank-svc bank "$DOC" pass 1 '{"factors":3}')"
	refused bank_mismatch card
	# a 4-factor verdict for another phone does not pass this phone
	bank "$(bank_verdict bank-svc "$DOC" "$CARD" 13900139000 pass 1 '{"factors":4}')" phone="$PHONE"
	refused bank_mismatch phone
	[ "$(jfield .error.reason)" = verdict_not_for_this_phone ]
	# a malformed binding is a malformed verdict
	bank "$(verdict bank-svc bank "$DOC" pass 1 '{"factors":3,"card_sha256":"abc"}')"
	refused verdict_malformed bank
	[ "$(nonces)" = 0 ]
}
