#!/usr/bin/env bats
# 45-operators: an operator behind every operator action (SECURITY rule 31, issue 11 item 3). Each action an
# operator (not the person) performs is refused without "operator" (operator_required, nothing changed) and
# records the operator as the audit actor; trust add records the key's fingerprint and never silently replaces
# a key; --reveal names who revealed and whom.
load helper

ZS=11010519491231002X

local_setup() {
	account zhang_san 'Secr3t!pass'
	keygen cap
	trust cap captcha
}

# wrong MINUTES: one wrong password for zhang_san with a fresh captcha verdict
wrong() {
	local t; t=$(at "$1")
	taxid-login --now "$t" account=zhang_san password=Wrong-pass1 captcha:="$(TAXID_NOW=$t verdict cap captcha zhang_san)"
}

# lock_zhang: five wrong passwords from minute 0: the password scope is locked until minute 124
lock_zhang() { for m in 0 1 2 3 4; do wrong $m >/dev/null || true; done; }

# last_audit ACTION: the newest audit row of ACTION as {actor, subject, detail}
last_audit() {
	dbq_json "SELECT actor, subject, detail FROM audit WHERE action = '$1' ORDER BY id DESC LIMIT 1" |
		jq -c '.[] | .detail |= fromjson'
}

audit_rows() { dbq 'SELECT count(*) FROM audit'; }

# refused_operator: the last result is operator_required on the operator member
refused_operator() {
	assert_failure 1
	[ "$(jfield .error.code)/$(jfield .error.field)" = operator_required/operator ]
}

# ---- taxid-lockout ----

@test "lockout clear without an operator is refused and the lock stays; with one the unlock names the operator" {
	lock_zhang
	run taxid-lockout --now "$(at 10)" clear account=zhang_san reason='called the hall'
	refused_operator
	run taxid-lockout --now "$(at 10)" clear account=zhang_san reason='called the hall' operator=
	refused_operator
	run taxid-lockout --now "$(at 10)" clear account=zhang_san reason='called the hall' 'operator:=7'
	[ "$(jfield .error.code)/$(jfield .error.field)" = bad_type/operator ]
	run taxid-lockout --now "$(at 10)" clear account=zhang_san reason='called the hall' "operator=$(printf 'o%.0s' {1..65})"
	[ "$(jfield .error.code)/$(jfield .error.field)" = bad_value/operator ]
	run taxid-lockout --now "$(at 10)" status account=zhang_san
	[ "$(jfield '.scopes[] | select(.scope=="password") | .locked')" = true ]
	[ "$(dbq "SELECT count(*) FROM audit WHERE action = 'unlock'")" = 0 ]
	run taxid-lockout --now "$(at 10)" clear account=zhang_san reason='called the hall' --operator op-7
	assert_success
	[ "$(jfield '.unlocked | join(",")')" = password ]
	[ "$(last_audit unlock | jq -r .actor)" = op-7 ]
	[ "$(dbq "SELECT count(*) FROM audit WHERE action = 'unlock' AND actor IS NULL")" = 0 ]
}

@test "a bulk clear without an operator is refused even with the right count" {
	lock_zhang
	run taxid-lockout --now "$(at 10)" clear --all --confirm 1 --reason storm
	refused_operator
	run taxid-lockout --now "$(at 10)" list
	[ "$(jfield .login_name)" = zhang_san ]
	run taxid-lockout --now "$(at 10)" clear --all --confirm 1 --reason storm --operator op-9
	assert_success
	[ "$(jfield .unlocked)" = 1 ]
	[ "$(last_audit unlock | jq -r .actor)" = op-9 ]
}

@test "lockout policy set without an operator is refused and the policy is unchanged; with one it is audited" {
	before=$(taxid-lockout policy show)
	run taxid-lockout policy set scope=password threshold:=3
	refused_operator
	[ "$(taxid-lockout policy show)" = "$before" ]
	[ "$(dbq "SELECT count(*) FROM audit WHERE action = 'lock_policy'")" = 0 ]
	run taxid-lockout policy set scope=password threshold:=3 operator=sec-1
	assert_success
	[ "$(last_audit lock_policy | jq -r '.actor + " " + .subject + " " + (.detail.threshold | tostring)')" = 'sec-1 password 3' ]
}

@test "lockout policy profile without an operator is refused and nothing changes; with one it is audited" {
	before=$(taxid-lockout policy show)
	run taxid-lockout policy profile --name municipal
	refused_operator
	[ "$(taxid-lockout policy show)" = "$before" ]
	run taxid-lockout policy profile --name municipal --operator sec-2
	assert_failure 64 # taxid-lockout has no --operator option for profile: the member is given as an operand
	run taxid-lockout policy profile --name municipal operator=sec-2
	assert_success
	[ "$(last_audit lock_profile | jq -r '.actor + " " + .subject')" = 'sec-2 municipal' ]
	run taxid-lockout policy show
	[ "$(jq -r 'select(.scope=="password") | .duration' <<<"$output")" = midnight ]
}

# ---- taxid-verify trust ----

@test "trust add without an operator trusts nothing; with one the audit names the operator and the key's fingerprint" {
	keygen face-svc
	rows=$(audit_rows)
	run taxid-verify trust add issuer=face-svc 'kinds:=["face"]' "public_key=$(cat face-svc.pub)"
	refused_operator
	[ "$(audit_rows)" = "$rows" ]
	run taxid-verify trust list
	[ "$(jq -r .issuer <<<"$output" | grep -c face-svc)" = 0 ]
	run taxid-verify trust add issuer=face-svc 'kinds:=["face"]' "public_key=$(cat face-svc.pub)" operator=sec-1
	assert_success
	fp=$(fingerprint face-svc)
	[ ${#fp} = 64 ]
	[ "$(jfield .fingerprint)" = "$fp" ]
	[ "$(last_audit trust_add | jq -c '[.actor, .subject, .detail.fingerprint, .detail.kinds]')" = \
		"[\"sec-1\",\"face-svc\",\"$fp\",[\"face\"]]" ]
	run taxid-verify trust list
	[ "$(jq -r 'select(.issuer == "face-svc") | .fingerprint' <<<"$output")" = "$fp" ]
}

@test "trust add refuses to replace an issuer's key unless the request says replace; the old key keeps working" {
	keygen face-svc
	trust face-svc face
	old=$(fingerprint face-svc)
	good=$(verdict face-svc face "$ZS")
	mv face-svc.pem old.pem
	mv face-svc.pub old.pub
	keygen face-svc # a new key under the same issuer name
	new=$(fingerprint face-svc)
	[ "$old" != "$new" ]
	rows=$(audit_rows)
	run taxid-verify trust add issuer=face-svc 'kinds:=["face"]' "public_key=$(cat face-svc.pub)" operator=sec-1
	assert_failure 1
	[ "$(jfield .error.code)/$(jfield .error.field)" = issuer_key_exists/public_key ]
	[ "$(jfield .error.fingerprint)/$(jfield .error.offered)" = "$old/$new" ]
	[ "$(audit_rows)" = "$rows" ]
	run taxid-verify trust list
	[ "$(jq -r 'select(.issuer == "face-svc") | .fingerprint' <<<"$output")" = "$old" ]
	# the old key still verifies; the new one does not
	run taxid-verify attest kind=face subject="$ZS" "verdict:=$good"
	assert_success
	run taxid-verify attest kind=face subject="$ZS" "verdict:=$(verdict face-svc face "$ZS")"
	[ "$(jfield .error.code)" = verdict_bad_signature ]
	# "replace": false is the same refusal
	run taxid-verify trust add issuer=face-svc 'kinds:=["face"]' "public_key=$(cat face-svc.pub)" operator=sec-1 replace:=false
	[ "$(jfield .error.code)" = issuer_key_exists ]
	# the same key again changes only the kinds: no replacement, no flag needed
	run taxid-verify trust add issuer=face-svc 'kinds:=["face","captcha"]' "public_key=$(cat old.pub)" operator=sec-1
	assert_success
	[ "$(jfield '.replaced_fingerprint // "none"')" = none ]
	# replace: true replaces, and the audit holds the old and the new fingerprint
	run taxid-verify trust add issuer=face-svc 'kinds:=["face"]' "public_key=$(cat face-svc.pub)" operator=sec-2 replace:=true
	assert_success
	[ "$(jfield .fingerprint)/$(jfield .replaced_fingerprint)" = "$new/$old" ]
	[ "$(last_audit trust_add | jq -r '[.actor, .detail.fingerprint, .detail.replaced_fingerprint] | join(" ")')" = "sec-2 $new $old" ]
	run taxid-verify attest kind=face subject="$ZS" "verdict:=$(verdict face-svc face "$ZS")"
	assert_success
}

@test "trust remove without an operator keeps the issuer; with one the audit names the operator and the fingerprint" {
	keygen face-svc
	trust face-svc face
	run taxid-verify trust remove issuer=face-svc
	refused_operator
	run taxid-verify trust list
	[ "$(jq -r .issuer <<<"$output" | grep -c face-svc)" = 1 ]
	run taxid-verify trust remove issuer=face-svc operator=sec-3
	assert_success
	[ "$(last_audit trust_remove | jq -r '[.actor, .subject, .detail.fingerprint] | join(" ")')" = \
		"sec-3 face-svc $(fingerprint face-svc)" ]
	run taxid-verify trust list
	[ "$(jq -r .issuer <<<"$output" | grep -c face-svc)" = 0 ]
}

# ---- --reveal ----

@test "--reveal without an operator is refused and shows nothing; TAXID_OPERATOR or the request's operator names who revealed and whom" {
	unset TAXID_OPERATOR
	run taxid-register --reveal show login_name=zhang_san
	refused_operator
	[ "$(jfield .error.for)" = reveal ]
	refute_output --partial "$ZS"
	refute_output --partial 13800138000
	refute_output --partial 张三
	[ "$(dbq "SELECT count(*) FROM audit WHERE action = 'reveal'")" = 0 ]
	run env TAXID_OPERATOR="$(printf 'op\tx')" taxid-register --reveal show login_name=zhang_san
	[ "$(jfield .error.code)/$(jfield .error.field)" = bad_value/operator ]
	refute_output --partial "$ZS"
	run env TAXID_OPERATOR=op-31 taxid-register --reveal show login_name=zhang_san
	assert_success
	[ "$(jfield '.documents[0].doc_no')" = "$ZS" ]
	[ "$(last_audit reveal | jq -c '[.actor, .subject, .detail.action, .detail.subjects]')" = \
		'["op-31",null,"show",["110105********002X","138****8000"]]' ]
	# one subject names the row; the request's own operator wins over the environment
	run env TAXID_OPERATOR=op-31 taxid-verify --reveal identity doc_type=201 doc_no="$ZS" operator=op-32
	assert_success
	[ "$(jfield .doc_no)" = "$ZS" ]
	[ "$(last_audit reveal | jq -c '[.actor, .subject, .detail.action]')" = '["op-32","110105********002X","identity"]' ]
	# the reveal rows hold no personal data in clear
	[ "$(dbq "SELECT count(*) FROM audit WHERE action = 'reveal' AND (detail LIKE '%$ZS%' OR subject = '$ZS')")" = 0 ]
}

@test "--reveal by taxid-bind and taxid-survival names the operator too (survival takes the operator object's id)" {
	rep='{"doc_type":"201","doc_no":"110105198001010016","name":"王法人"}'
	tin=$(uscc 1)
	taxid-bind enterprise add tin="$tin" name=测试公司 legal_rep:="$rep" operator=op1 >/dev/null
	run taxid-bind --reveal enterprise show tin="$tin"
	refused_operator
	refute_output --partial 110105198001010016
	run env TAXID_OPERATOR=op-41 taxid-bind --reveal enterprise show tin="$tin"
	assert_success
	[ "$(last_audit reveal | jq -c '[.actor, .subject]')" = '["op-41","110105********0016"]' ]
	jq -nc --arg d "$ZS" '{kind:"retiree", doc_type:"201", doc_no:$d, name:"张三", pension_account:"P1", region:"110105",
		insurance_type:"enterprise", benefit_start:"2010-01", operator:{id:"sp-1", role:"specialist"}}' | taxid-survival enroll >/dev/null
	run taxid-survival --reveal status doc_type=201 doc_no="$ZS"
	refused_operator
	run taxid-survival --reveal status doc_type=201 doc_no="$ZS" 'operator:={"id":"of-5","role":"officer"}'
	assert_success
	[ "$(jfield .doc_no)" = "$ZS" ]
	[ "$(last_audit reveal | jq -c '[.actor, .subject]')" = '["of-5","110105********002X"]' ]
}

# ---- taxid-survival: the agency's actions ----

@test "survival enroll, event, card, photo, duplicate and policy set need an operator, who is audited" {
	retiree='{"kind":"retiree","doc_type":"201","doc_no":"'$ZS'","name":"张三","pension_account":"P1","region":"110105","insurance_type":"enterprise","benefit_start":"2010-01"}'
	OF='operator:={"id":"of-1","role":"officer"}'
	run taxid-survival enroll <<<"$retiree"
	refused_operator
	[ "$(dbq 'SELECT count(*) FROM pensioner')" = 0 ]
	run taxid-survival enroll - "$OF" <<<"$retiree"
	assert_success
	[ "$(last_audit survival.enroll | jq -r .actor)" = of-1 ]
	local -a acts=(
		"card doc_type=201 doc_no=$ZS state=lost"
		"photo doc_type=201 doc_no=$ZS source=on_file"
		"duplicate flag doc_type=201 doc_no=$ZS other:={\"insurance_type\":\"resident\",\"region\":\"310101\"}"
		"duplicate clear doc_type=201 doc_no=$ZS"
		"policy set region=110105 kind=cycle6"
		"event doc_type=201 doc_no=$ZS event=death date=2026-11-20"
	)
	local a rows
	for a in "${acts[@]}"; do
		rows=$(audit_rows)
		# shellcheck disable=SC2086
		run taxid-survival $a
		refused_operator
		[ "$(audit_rows)" = "$rows" ]
		# shellcheck disable=SC2086
		run taxid-survival $a "$OF"
		assert_success
		[ "$(dbq "SELECT actor FROM audit ORDER BY id DESC LIMIT 1")" = of-1 ]
	done
	[ "$(dbq "SELECT count(*) FROM audit WHERE action LIKE 'survival.%' AND action <> 'survival.certify' AND actor IS NULL")" = 0 ]
}

# ---- hall and enterprise actions: one refusal code for a missing operator everywhere ----

@test "hall code, collect, mark, initial password and enterprise add refuse a missing operator as operator_required" {
	run taxid-register code doc_type=201 doc_no=440524188001010014 name=李四
	refused_operator
	run taxid-register collect consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=440524188001010014 name=李四
	refused_operator
	run taxid-register mark doc_type=201 doc_no="$ZS" reason=deceased
	refused_operator
	run taxid-login initial account=zhang_san
	refused_operator
	run taxid-bind enterprise add tin="$(uscc 1)" name=测试公司 legal_rep:='{"doc_type":"201","doc_no":"110105198001010016","name":"王法人"}'
	refused_operator
	run taxid-register mark doc_type=201 doc_no="$ZS" reason=deceased operator=hall-op
	assert_success
	[ "$(last_audit mark | jq -r .actor)" = hall-op ]
}
