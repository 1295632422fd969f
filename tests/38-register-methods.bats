#!/usr/bin/env bats
# 38-register-methods: issue 14 items 1 and 2 — registration by a bank card (four factors) or a registry verdict
# for the seven online document types (seed 003 Q6), the same methods raising level 3 to 4 at supplement when face
# keeps failing (seed 000 第四步), and the level refusal naming them.
load helper
load bind-helper

ZS=11010519491231002X # 张三
LS=440524188001010014 # 李四
CARD=6222020003001234 # Luhn-valid
CARD2=6222020003001242
PH=13800138000

local_setup() {
	keygen bank && trust bank bank
	keygen reg && trust reg registry
	keygen face && trust face face
}

# sms PHONE [PURPOSE]: send a code and print the request member {challenge, code}.
sms() {
	local ch
	ch=$(taxid-verify sms send phone="$1" purpose="${2:-register}" | jq -r .challenge) || return 1
	jq -nc --arg c "$ch" --arg k "$(sms_code "$1")" '{challenge:$c, code:$k}'
}

# proof METHOD DOC [PHONE [CARD]]: a passing verdict of METHOD for DOC (a bank's: four factors, this card and phone).
proof() {
	case $1 in
	bank) bank_verdict bank "$2" "${4:-$CARD}" "${3:-$PH}" pass 1 '{"factors":4}' ;;
	registry) verdict reg registry "$2" ;;
	face) verdict face face "$2" ;;
	esac
}

# req METHOD TYPE DOC NAME LOGIN PHONE [EXTRA-JSON]: a registration request with a fresh SMS code and a passing
# verdict; EXTRA is merged last (e.g. a paired document, another verdict).
req() {
	local m=$1 t=$2 d=$3 n=$4 l=$5 ph=$6 s v
	s=$(sms "$ph") && v=$(proof "$m" "$d" "$ph") || return 1
	jq -nc --arg m "$m" --arg t "$t" --arg d "$d" --arg n "$n" --arg l "$l" --arg ph "$ph" --arg pw "$PW" \
		--arg card "$CARD" --argjson s "$s" --argjson v "$v" --argjson x "${7:-"{}"}" \
		'{method:$m, doc_type:$t, doc_no:$d, name:$n, nationality:"CHN", login_name:$l, password:$pw, phone:$ph,
		  sms:$s, consent:{pip:"2024.1"}} + {($m):$v} + (if $m == "bank" then {card:$card} else {} end) + $x'
}

accounts() { dbq 'SELECT count(*) FROM account'; }

# The seven types that register online (seed 003 Q6), with the paired document DOMAIN §8 asks for.
ONLINE='201|11010519491231002X|张三|
210|H12345678|陈大文|
213|12345678|林志明|
227|EF1260892|赵六|
233|932682198501010017|ADAM·SMITH|{"doc_type":"208","doc_no":"K11223344"}
237|810000199408230021|黄小明|{"doc_type":"210","doc_no":"H87654321"}
238|830000199201010025|王美玲|{"doc_type":"213","doc_no":"87654321"}'

# every_online METHOD: register one person of each online type by METHOD; each is level 4 with no photo.
every_online() {
	local t no name paired i=0 x
	while IFS='|' read -r t no name paired; do
		i=$((i + 1))
		x='{}'
		[ -z "$paired" ] || x=$(jq -nc --argjson p "$paired" '{paired:$p}')
		[ "$t" != 233 ] || x=$(jq -c '. + {nationality:"SAU"}' <<<"$x")
		run taxid-register <<<"$(req "$1" "$t" "$no" "$name" "user_$i" "1380013800$i" "$x")"
		[ "$status" -eq 0 ] || { echo "$t: $output"; return 1; }
		[ "$(jfield .level)/$(jfield .method)" = "4/$1" ] || { echo "$t: $output"; return 1; }
	done <<<"$ONLINE"
	[ "$(accounts)" = 7 ]
	[ "$(dbq 'SELECT DISTINCT level FROM person')" = 4 ]
	[ "$(dbq 'SELECT count(*) FROM person WHERE photo_ref IS NOT NULL')" = 0 ]
	[ "$(dbq "SELECT count(*) FROM audit WHERE action = 'register' AND json_extract(detail, '\$.method') = '$1' AND CAST(json_extract(detail, '\$.level') AS INTEGER) = 4")" = 7 ]
	# the paired documents are linked to their permits, on the same person
	[ "$(dbq 'SELECT count(*) FROM document d JOIN document q ON q.id = d.paired_with WHERE q.person_id = d.person_id')" = 3 ]
}

@test "bank: every one of the seven online document types registers, level 4, no reference photo" {
	every_online bank
}

@test "registry: every one of the seven online document types registers, level 4, no reference photo" {
	every_online registry
}

@test "the four hall-only types are refused on every online method, before the SMS code or the verdict" {
	local t m
	for t in 208 239 240 241; do
		for m in face bank registry; do
			run taxid-register <<<"$(jq -nc --arg t $t --arg m $m '{method:$m, doc_type:$t, doc_no:"P12345678",
				name:"JOHN SMITH", nationality:"USA", login_name:"john", password:"Secr3t!pass", phone:"13800138000",
				sms:{challenge:"x", code:"000000"}, consent:{pip:"1"}, card:"6222020003001234", ($m):{}}')"
			[ "$(jfield .error.code)/$(jfield .error.field)/$(jfield .error.method)" = "doc_type_not_allowed/doc_type/$m" ] ||
				{ echo "$t $m: $output"; return 1; }
		done
	done
	[ "$(dbq 'SELECT count(*) FROM person')" = 0 ]
	# a hall code still works for them once collected (the hall-only path is unchanged)
	taxid-register collect doc_type=208 doc_no=P12345678 name='JOHN SMITH' nationality=USA operator=op7 \
		consent:='{"pip":"1"}' >/dev/null
	run taxid-register <<<"$(req bank 208 P12345678 'JOHN SMITH' john $PH '{"nationality":"USA"}')"
	[ "$(jfield .error.code)" = doc_type_not_allowed ]
}

@test "method: code, face, bank or registry; bank needs a valid card, each method its verdict" {
	run taxid-register <<<"$(req bank 201 $ZS 张三 zhang_san $PH '{"method":"sms"}')"
	[ "$(jfield .error.code)/$(jfield .error.field)" = bad_value/method ]
	[ "$(jfield '.error.allowed | join(",")')" = code,face,bank,registry ]
	run taxid-register <<<"$(req bank 201 $ZS 张三 zhang_san $PH | jq -c 'del(.card)')"
	[ "$(jfield .error.code)/$(jfield .error.field)" = missing_field/card ]
	run taxid-register <<<"$(req bank 201 $ZS 张三 zhang_san $PH '{"card":"6222020003001235"}')"
	[ "$(jfield .error.code)/$(jfield .error.field)" = bad_checksum/card ]
	run taxid-register <<<"$(req bank 201 $ZS 张三 zhang_san $PH | jq -c 'del(.bank)')"
	[ "$(jfield .error.code)/$(jfield .error.field)" = missing_field/bank ]
	run taxid-register <<<"$(req registry 201 $ZS 张三 zhang_san $PH | jq -c '.registry = null')"
	[ "$(jfield .error.code)/$(jfield .error.field)" = missing_field/registry ]
	# the face agreement is for face flows: bank and registry need the notice only
	run taxid-register <<<"$(req registry 201 $ZS 张三 zhang_san $PH '{"consent":{}}')"
	[ "$(jfield .error.code)/$(jfield .error.field)" = consent_required/consent.pip ]
	[ "$(accounts)" = 0 ]
}

@test "attack: a bank verdict for another card, another phone, another document, or of three factors" {
	local s
	s=$(sms $PH)
	for v in "$(bank_verdict bank $ZS $CARD2 $PH pass 1 '{"factors":4}')|bank_mismatch/card" \
		"$(bank_verdict bank $ZS $CARD 13900139000 pass 1 '{"factors":4}')|bank_mismatch/phone" \
		"$(bank_verdict bank $LS $CARD $PH pass 1 '{"factors":4}')|verdict_subject_mismatch/bank" \
		"$(bank_verdict bank $ZS $CARD $PH pass 1 '{"factors":3}')|bank_mismatch/phone" \
		"$(bank_verdict bank $ZS $CARD "" pass 1)|bank_mismatch/phone"; do
		run taxid-register <<<"$(jq -nc --argjson s "$s" --argjson v "${v%|*}" --arg d $ZS --arg c $CARD \
			'{method:"bank", bank:$v, card:$c, doc_type:"201", doc_no:$d, name:"张三", login_name:"zhang_san",
			  password:"Secr3t!pass", phone:"13800138000", sms:$s, consent:{pip:"1"}}')"
		[ "$(jfield .error.code)/$(jfield .error.field)" = "${v#*|}" ] || { echo "$output"; return 1; }
	done
	[ "$(accounts)" = 0 ]
	[ "$(dbq 'SELECT count(*) FROM used_nonce')" = 0 ]
	# the same SMS code, untouched by those refusals, registers with the right verdict
	run taxid-register <<<"$(jq -nc --argjson s "$s" --argjson v "$(proof bank $ZS)" --arg d $ZS --arg c $CARD \
		'{method:"bank", bank:$v, card:$c, doc_type:"201", doc_no:$d, name:"张三", login_name:"zhang_san",
		  password:"Secr3t!pass", phone:"13800138000", sms:$s, consent:{pip:"1"}}')"
	assert_success
	[ "$(jfield .level)" = 4 ]
}

@test "attack: a registry verdict for another person, of another kind, or from an untrusted issuer" {
	run taxid-register <<<"$(req registry 201 $ZS 张三 zhang_san $PH "{\"registry\":$(verdict reg registry $LS)}")"
	[ "$(jfield .error.code)/$(jfield .error.field)" = verdict_subject_mismatch/registry ]
	export TAXID_NOW=$(at 2)
	# a face verdict (or a bank's) where a registry verdict belongs: the issuer is not trusted for that kind
	run taxid-register <<<"$(req registry 201 $ZS 张三 zhang_san $PH "{\"registry\":$(verdict face face $ZS)}")"
	[ "$(jfield .error.code)/$(jfield .error.field)" = verdict_untrusted/registry ]
	# an issuer trusted for registry and face signing a face payload into the registry member: wrong kind
	keygen both && trust both registry face
	export TAXID_NOW=$(at 4)
	run taxid-register <<<"$(req registry 201 $ZS 张三 zhang_san $PH "{\"registry\":$(verdict both face $ZS)}")"
	[ "$(jfield .error.code)/$(jfield .error.field)" = verdict_wrong_kind/registry ]
	export TAXID_NOW=$(at 6)
	run taxid-register <<<"$(req bank 201 $ZS 张三 zhang_san $PH "{\"bank\":$(verdict both registry $ZS)}")"
	[ "$(jfield .error.code)/$(jfield .error.field)" = verdict_untrusted/bank ]
	keygen stranger
	export TAXID_NOW=$(at 8)
	run taxid-register <<<"$(req registry 201 $ZS 张三 zhang_san $PH "{\"registry\":$(verdict stranger registry $ZS)}")"
	[ "$(jfield .error.code)/$(jfield .error.field)" = verdict_untrusted/registry ]
	[ "$(accounts)" = 0 ]
}

@test "a failing verdict: bank_mismatch or identity_failed, audited, nonce and SMS code spent; replay refused" {
	local v r
	v=$(bank_verdict bank $ZS $CARD $PH fail 0 '{"factors":4,"mismatch":"phone"}')
	r=$(req bank 201 $ZS 张三 zhang_san $PH | jq -c --argjson v "$v" '.bank = $v')
	run taxid-register <<<"$r"
	[ "$(jfield .error.code)/$(jfield .error.field)/$(jfield .error.mismatch)" = bank_mismatch/bank/phone ]
	[ "$(dbq "SELECT json_extract(detail, '\$.action') FROM audit WHERE action = 'bank_failed'")" = register ]
	run taxid-register <<<"$r" # the SMS code was used up with the failure
	[ "$(jfield .error.code)/$(jfield .error.field)" = challenge_invalid/sms ]
	export TAXID_NOW=$(at 2)
	run taxid-register <<<"$(req bank 201 $ZS 张三 zhang_san $PH | jq -c --argjson v "$v" '.bank = $v')"
	[ "$(jfield .error.code)/$(jfield .error.field)" = verdict_replayed/bank ]
	export TAXID_NOW=$(at 4)
	v=$(verdict reg registry $ZS fail)
	run taxid-register <<<"$(req registry 201 $ZS 张三 zhang_san $PH | jq -c --argjson v "$v" '.registry = $v')"
	[ "$(jfield .error.code)/$(jfield .error.field)" = identity_failed/registry ]
	[ "$(dbq "SELECT count(*) FROM audit WHERE action = 'registry_failed'")" = 1 ]
	export TAXID_NOW=$(at 6)
	run taxid-register <<<"$(req registry 201 $ZS 张三 zhang_san $PH | jq -c --argjson v "$v" '.registry = $v')"
	[ "$(jfield .error.code)/$(jfield .error.field)" = verdict_replayed/registry ]
	[ "$(accounts)" = 0 ]
}

@test "attack: a bank verdict already used by taxid-verify bank cannot register" {
	v=$(proof bank $ZS)
	taxid-verify bank name=张三 doc_no=$ZS card=$CARD phone=$PH bank:="$v" >/dev/null
	run taxid-register <<<"$(req bank 201 $ZS 张三 zhang_san $PH | jq -c --argjson v "$v" '.bank = $v')"
	[ "$(jfield .error.code)/$(jfield .error.field)" = verdict_replayed/bank ]
}

@test "verdict age: 600 s old and 60 s ahead are accepted, 601 s old and 61 s ahead are stale" {
	local i=0 at_ want
	while read -r at_ want; do
		i=$((i + 1))
		export TAXID_NOW=$(at $((i * 2)))
		local base=$(date -u -d "$TAXID_NOW" +%s)
		local issued=$(date -u -d "@$((base + at_))" +%Y-%m-%dT%H:%M:%SZ)
		run taxid-register <<<"$(req registry 201 $ZS 张三 "zs_$i" $PH \
			"{\"registry\":$(verdict reg registry $ZS pass 1 "{\"issued_at\":\"$issued\"}")}")"
		[ "$( [ "$status" -eq 0 ] && echo ok || jfield .error.code)" = "$want" ] || { echo "$at_: $output"; return 1; }
		[ "$want" != ok ] || dbq 'DELETE FROM account' # one account per person: start over
	done <<-'EOF'
		-601 verdict_stale
		-600 ok
		61 verdict_stale
		60 ok
	EOF
	# the bank verdict under the same rule
	export TAXID_NOW=$(at 20)
	local old=$(date -u -d "$(at 20) - 601 seconds" +%Y-%m-%dT%H:%M:%SZ)
	run taxid-register <<<"$(req bank 201 $LS 李四 li_si 13900139000 \
		"{\"bank\":$(bank_verdict bank $LS $CARD 13900139000 pass 1 "{\"factors\":4,\"issued_at\":\"$old\"}")}")"
	[ "$(jfield .error.code)/$(jfield .error.field)" = verdict_stale/bank ]
}

@test "known persons: a collected person keeps level 5; identity_occupied only after the proof; paired documents" {
	taxid-register collect doc_type=201 doc_no=$ZS name=张三 operator=op7 consent:='{"pip":"1"}' >/dev/null
	run taxid-register <<<"$(req registry 201 $ZS 张三 zhang_san $PH)"
	assert_success
	[ "$(jfield .level)" = 5 ]
	export TAXID_NOW=$(at 2)
	run taxid-register <<<"$(req registry 201 $ZS 张三 other $PH | jq -c '.registry = {}')"
	[ "$(jfield .error.code)" = verdict_malformed ]
	run taxid-register <<<"$(req bank 201 $ZS 张三 other 13900139000)"
	[ "$(jfield .error.code)" = identity_occupied ]
	run taxid-register <<<"$(req registry 201 $LS 張三 li_si 13700137000)"
	assert_success # an unknown person: the name is the claim's
	# a residence permit without its paired travel permit; with another person's
	export TAXID_NOW=$(at 4)
	taxid-register collect doc_type=210 doc_no=H87654321 name=陈大文 operator=op7 consent:='{"pip":"1"}' >/dev/null
	run taxid-register <<<"$(req bank 237 810000199408230021 黄小明 huang 13600136000)"
	[ "$(jfield .error.code)/$(jfield .error.paired_doc_type)" = paired_document_required/hkmo_permit ]
	export TAXID_NOW=$(at 6)
	run taxid-register <<<"$(req bank 237 810000199408230021 黄小明 huang 13600136000 \
		'{"paired":{"doc_type":"210","doc_no":"H87654321"}}')"
	[ "$(jfield .error.code)/$(jfield .error.reason)" = identity_failed/paired_document_of_another_person ]
	[ "$(accounts)" = 2 ]
}

# import3 DOC NAME LOGIN PHONE: a migrated person at level 3 with an account and no photo.
import3() {
	jq -nc --arg d "$1" --arg n "$2" --arg l "$3" --arg p "$4" '{doc_type:"201", doc_no:$d, name:$n, login_name:$l,
		phone:$p, initial_password:"doc_tail6"}' | taxid-register import >/dev/null
}

@test "supplement by registry raises level 3 to 4; the photo stays missing; then already raised is nothing to do" {
	import3 $ZS 张三 zhang_san $PH
	run taxid-register supplement doc_type=201 doc_no=$ZS name=张三 consent:='{"pip":"1"}'
	[ "$(jfield .error.code)/$(jfield .error.field)" = missing_field/face ]
	[ "$(jfield '.error.methods | join(",")')" = face,bank,registry ]
	run taxid-register supplement doc_type=201 doc_no=$ZS name=张三 consent:='{"pip":"1"}' registry:="$(proof registry $ZS)"
	assert_success
	[ "$(jfield .level)/$(jfield .method)" = 4/registry ]
	[ "$(jfield '.supplemented | join(",")')/$(jfield '.missing | join(",")')" = level/photo ]
	[ "$(dbq 'SELECT level, CAST(photo_ref IS NULL AS INTEGER) FROM person')" = '4|1' ]
	[ "$(dbq "SELECT json_extract(detail, '\$.method') FROM audit WHERE action = 'supplement'")" = registry ]
	# level 4 without a photo: a registry verdict brings no photo
	run taxid-register supplement doc_type=201 doc_no=$ZS name=张三 consent:='{"pip":"1"}' registry:="$(proof registry $ZS)"
	[ "$(jfield .error.code)/$(jfield '.error.missing | join(",")')/$(jfield .error.methods)" = missing_field/photo/null ]
	# another person's verdict
	import3 $LS 李四 li_si 13900139000
	run taxid-register supplement doc_type=201 doc_no=$LS name=李四 consent:='{"pip":"1"}' registry:="$(proof registry $ZS)"
	[ "$(jfield .error.code)" = verdict_subject_mismatch ]
	[ "$(dbq 'SELECT level FROM person WHERE id = 2')" = 3 ]
}

@test "supplement by bank: card, the bank-reserved phone and its SMS code (purpose supplement), four factors" {
	import3 $ZS 张三 zhang_san $PH
	local bp=13900139000 s
	run taxid-register supplement doc_type=201 doc_no=$ZS name=张三 consent:='{"pip":"1"}' card=$CARD bank:="$(proof bank $ZS $bp)"
	[ "$(jfield .error.code)/$(jfield .error.field)" = missing_field/phone ]
	run taxid-register supplement doc_type=201 doc_no=$ZS name=张三 consent:='{"pip":"1"}' card=$CARD phone=$bp \
		bank:="$(proof bank $ZS $bp)" sms:='{"challenge":"x","code":"000000"}'
	[ "$(jfield .error.field)" = sms ]
	s=$(sms $bp supplement)
	# a verdict for another phone, another card
	run taxid-register supplement doc_type=201 doc_no=$ZS name=张三 consent:='{"pip":"1"}' card=$CARD phone=$bp \
		bank:="$(proof bank $ZS $PH)" sms:="$s"
	[ "$(jfield .error.code)/$(jfield .error.field)" = bank_mismatch/phone ]
	run taxid-register supplement doc_type=201 doc_no=$ZS name=张三 consent:='{"pip":"1"}' card=$CARD2 phone=$bp \
		bank:="$(proof bank $ZS $bp)" sms:="$s"
	[ "$(jfield .error.code)/$(jfield .error.field)" = bank_mismatch/card ]
	[ "$(dbq 'SELECT level FROM person')" = 3 ]
	run taxid-register supplement doc_type=201 doc_no=$ZS name=张三 consent:='{"pip":"1"}' card=$CARD phone=$bp \
		bank:="$(proof bank $ZS $bp)" sms:="$s"
	assert_success
	[ "$(jfield .level)/$(jfield .method)/$(jfield '.supplemented | join(",")')" = 4/bank/level ]
	[[ "$output" != *"$CARD"* && "$output" != *"$bp"* ]]
}

@test "supplement: one proof at a time; hall-only types refused for bank and registry; face as before" {
	import3 $ZS 张三 zhang_san $PH
	run taxid-register supplement doc_type=201 doc_no=$ZS name=张三 consent:='{"pip":"1","face":"1"}' \
		face:="$(proof face $ZS)" registry:="$(proof registry $ZS)"
	[ "$(jfield .error.code)/$(jfield .error.field)" = bad_value/registry ]
	[ "$(jfield '.error.one_of | join(",")')" = face,bank,registry ]
	jq -nc '{doc_type:"208", doc_no:"P12345678", name:"JOHN SMITH", nationality:"USA"}' | taxid-register import >/dev/null
	for m in bank registry; do
		run taxid-register supplement doc_type=208 doc_no=P12345678 name='JOHN SMITH' nationality=USA \
			consent:='{"pip":"1"}' card=$CARD phone=$PH "$m:={}"
		[ "$(jfield .error.code)/$(jfield .error.method)" = "doc_type_not_allowed/$m" ]
	done
	# face serves every type at supplement, and raises the level with the photo
	run taxid-register supplement doc_type=208 doc_no=P12345678 name='JOHN SMITH' nationality=USA \
		consent:='{"pip":"1","face":"1"}' face:="$(proof face P12345678)"
	assert_success
	[ "$(jfield '.supplemented | join(",")')/$(jfield .level)" = photo,level/4 ]
}

@test "key business at level 3 names the methods that raise it; after supplement by registry it proceeds" {
	bind_fixture
	dbq "UPDATE person SET level = 3 WHERE id = 3"
	Z=$(sess zhao_tax 13800138003)
	run taxid-bind request session="$Z" tin=$E1 role=tax_handler
	[ "$(jfield .error.code)" = realname_level_required ]
	[ "$(jfield .error.level)/$(jfield .error.required)" = 3/4 ]
	[ "$(jfield '.error.methods | join(",")')/$(jfield .error.action)" = "face,bank,registry/taxid-register supplement" ]
	run taxid-register supplement doc_type=201 doc_no=110105199003030031 name=赵办税 consent:='{"pip":"1"}' \
		registry:="$(proof registry 110105199003030031)"
	assert_success
	run taxid-bind request session="$Z" tin=$E1 role=tax_handler
	assert_success
	# a policy of level 5: only collection at a hall raises it
	dbq "INSERT INTO setting VALUES ('bind.min_level', '5')"
	run taxid-bind request session="$Z" tin=$E2 role=tax_handler
	[ "$(jfield '.error.methods | join(",")')/$(jfield .error.action)" = "collect/taxid-register collect" ]
}
