#!/usr/bin/env bats
# 32-register-collect: on-site collection (level 5, paired documents), supplement and change of real-name
# information (DOMAIN §3, §8).
load helper

ZS=11010519491231002X # 张三
LS=440524188001010014 # 李四

local_setup() {
	keygen face && trust face face
}

collect() { taxid-register collect consent:='{"pip":"1","face":"1"}' operator=op7 hall=hall-1 "$@"; }

@test "collect: a new person at level 5 without an account" {
	run collect doc_type=201 doc_no=$ZS name=张三
	assert_success
	[ "$(jfield .level)" = 5 ]
	[ "$(jfield .created)" = true ]
	[ "$(jfield .photo)" = false ]
	[ "$(dbq 'SELECT level, nationality FROM person')" = '5|CHN' ]
	[ "$(dbq 'SELECT count(*) FROM account')" = 0 ]
	[ "$(dbq "SELECT actor, subject FROM audit WHERE action = 'collect'")" = 'op7|person:1' ]
	run collect doc_type=201 doc_no=$ZS name=张三
	assert_success
	[ "$(jfield .created)" = false ]
	[ "$(dbq 'SELECT count(*) FROM person')" = 1 ]
}

@test "collect: all 11 document types, with the paired documents DOMAIN §8 asks for" {
	local t no name nat paired
	while IFS='|' read -r t no name nat paired; do
		if [ -n "$paired" ]; then
			run collect doc_type="$t" doc_no="$no" name="$name" nationality="$nat" "paired:=$paired"
		else
			run collect doc_type="$t" doc_no="$no" name="$name" nationality="$nat"
		fi
		[ "$status" -eq 0 ] || { echo "$t: $output"; return 1; }
		[ "$(jfield .level)" = 5 ]
	done <<-'EOF'
		201|11010519491231002X|张三|CHN|
		208|P12345678|JOHN SMITH|USA|
		210|H12345678|陈大文|CHN|
		213|12345678|林志明|CHN|
		227|EF1260892|赵六|CHN|
		233|932682198501010017|ADAM·SMITH|SAU|{"doc_type":"208","doc_no":"K11223344"}
		237|810000199408230021|黄小明|CHN|{"doc_type":"210","doc_no":"H87654321"}
		238|830000199201010025|王美玲|CHN|{"doc_type":"213","doc_no":"87654321"}
		239|WPA2021000001|ANNA MULLER|DEU|{"doc_type":"208","doc_no":"C01234567"}
		240|WPB2021000002|HIROSHI TANAKA|JPN|{"doc_type":"208","doc_no":"TK5566778"}
		241|WPC2021000003|OLGA IVANOVA|RUS|{"doc_type":"foreign_passport","doc_no":"RU7654321"}
	EOF
	# 11 persons, 17 documents (6 paired), every paired document linked from its permit
	[ "$(dbq 'SELECT count(*) FROM person')" = 11 ]
	[ "$(dbq 'SELECT count(*) FROM document')" = 17 ]
	[ "$(dbq 'SELECT count(*) FROM document WHERE paired_with IS NOT NULL')" = 6 ]
	[ "$(dbq 'SELECT count(*) FROM document d JOIN document q ON q.id = d.paired_with WHERE q.person_id != d.person_id')" = 0 ]
	[ "$(dbq 'SELECT DISTINCT level FROM person')" = 5 ]
}

@test "collect: paired_document_required names the document the type needs" {
	local t want
	while read -r t want; do
		run collect doc_type="$t" doc_no=932682198501010017 name=X nationality=SAU
		[ "$(jfield .error.code)" = paired_document_required ] || { echo "$t: $output"; return 1; }
		[ "$(jfield .error.paired_doc_type)" = "$want" ]
		[ "$(jfield .error.field)" = paired ]
	done <<-'EOF'
		233 foreign_passport
	EOF
	for t in 239 240 241; do
		run collect doc_type=$t doc_no=WP0001 name='JOHN SMITH' nationality=USA
		[ "$(jfield .error.code)/$(jfield .error.paired_doc_type)" = paired_document_required/foreign_passport ]
	done
	run collect doc_type=237 doc_no=810000199408230021 name=黄小明
	[ "$(jfield .error.code)/$(jfield .error.paired_doc_type)" = paired_document_required/hkmo_permit ]
	run collect doc_type=238 doc_no=830000199201010025 name=王美玲
	[ "$(jfield .error.code)/$(jfield .error.paired_doc_type)" = paired_document_required/tw_permit ]
	# the wrong kind of paired document
	run collect doc_type=238 doc_no=830000199201010025 name=王美玲 'paired:={"doc_type":"210","doc_no":"H87654321"}'
	[ "$(jfield .error.code)/$(jfield .error.field)" = paired_document_required/paired.doc_type ]
	# a malformed paired number names the paired field
	run collect doc_type=237 doc_no=810000199408230021 name=黄小明 'paired:={"doc_type":"210","doc_no":"X1"}'
	[ "$(jfield .error.code)/$(jfield .error.field)" = bad_format/paired.doc_no ]
	# a resident ID has no paired document
	run collect doc_type=201 doc_no=$ZS name=张三 'paired:={"doc_type":"210","doc_no":"H87654321"}'
	[ "$(jfield .error.code)/$(jfield .error.field)" = bad_value/paired ]
	[ "$(dbq 'SELECT count(*) FROM person')" = 0 ]
}

@test "collect: a known passport holder showing a work permit stays one person; another's passport is refused" {
	collect doc_type=208 doc_no=P12345678 name='JOHN SMITH' nationality=USA >/dev/null
	run collect doc_type=240 doc_no=WPB2024000009 name='JOHN SMITH' nationality=USA 'paired:={"doc_type":"208","doc_no":"P12345678"}'
	assert_success
	[ "$(jfield .created)" = false ]
	[ "$(jfield .person)" = 1 ]
	[ "$(dbq 'SELECT count(*) FROM person')" = 1 ]
	# the passport under another name
	run collect doc_type=241 doc_no=WPC2024000001 name='JANE DOE' nationality=USA 'paired:={"doc_type":"208","doc_no":"P12345678"}'
	[ "$(jfield .error.code)" = name_mismatch ]
	# a permit already held by person 1, paired with a passport of person 2
	collect doc_type=208 doc_no=Q99999999 name='JANE DOE' nationality=USA >/dev/null
	run collect doc_type=240 doc_no=WPB2024000009 name='JOHN SMITH' nationality=USA 'paired:={"doc_type":"208","doc_no":"Q99999999"}'
	[ "$(jfield .error.code)/$(jfield .error.reason)" = identity_failed/paired_document_of_another_person ]
}

@test "collect: raises a known person to 5; name_mismatch and identity_abnormal refuse" {
	jq -nc --arg d $ZS '{doc_type:"201", doc_no:$d, name:"张三", login_name:"zhang_san", phone:"13800138000", initial_password:"doc_tail6"}' |
		taxid-register import >/dev/null
	[ "$(dbq 'SELECT level FROM person')" = 3 ]
	run collect doc_type=201 doc_no=$ZS name=張三
	assert_failure 1
	[ "$(jfield .error.code)" = name_mismatch ]
	run collect doc_type=201 doc_no=$ZS name=张三
	assert_success
	[ "$(dbq 'SELECT level FROM person')" = 5 ]
	taxid-register mark doc_type=201 doc_no=$ZS reason=document_stolen operator=op7 >/dev/null
	run collect doc_type=201 doc_no=$ZS name=张三
	[ "$(jfield .error.code)" = identity_abnormal ]
}

@test "collect: a face verdict becomes the reference photo; a failing one is identity_failed; expiry dates" {
	run collect doc_type=201 doc_no=$ZS name=张三 face:="$(verdict face face $ZS)" expires_on=2036-01-01
	assert_success
	[ "$(jfield .photo)" = true ]
	[ "$(dbq 'SELECT CAST(photo_ref IS NOT NULL AS INTEGER) FROM person')" = 1 ]
	[ "$(dbq 'SELECT expires_on FROM document')" = 2036-01-01 ]
	run collect doc_type=201 doc_no=$LS name=李四 face:="$(verdict face face $LS fail 0.3)"
	assert_failure 1
	[ "$(jfield .error.code)" = identity_failed ]
	[ "$(dbq 'SELECT count(*) FROM person')" = 1 ]
	run collect doc_type=201 doc_no=$LS name=李四 expires_on=2026-11-24
	[ "$(jfield .error.code)" = document_expired ]
	run collect doc_type=201 doc_no=$LS name=李四 expires_on=2026-02-30
	[ "$(jfield .error.code)/$(jfield .error.field)" = bad_value/expires_on ]
	run taxid-register collect consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$LS name=李四
	[ "$(jfield .error.code)/$(jfield .error.field)" = operator_required/operator ]
}

@test "supplement: not_collected, already_complete (该证件已实名采集), a missing photo, a renewed document" {
	run taxid-register supplement consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$ZS name=张三
	assert_failure 1
	[ "$(jfield .error.code)" = not_collected ]
	collect doc_type=201 doc_no=$ZS name=张三 face:="$(verdict face face $ZS)" expires_on=2027-01-01 >/dev/null
	run env LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 taxid-register supplement consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$ZS name=张三
	[ "$(jfield .error.code)" = already_complete ]
	[ "$(jfield .error.message)" = 该证件已实名采集 ]
	# the document expires: supplement asks for the renewed one (身份证件过期)
	export TAXID_NOW=2027-01-02T08:00:00Z
	run taxid-register supplement consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$ZS name=张三
	[ "$(jfield .error.code)/$(jfield .error.field)" = document_expired/expires_on ]
	run taxid-register supplement consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$ZS name=张三 expires_on=2027-01-01
	[ "$(jfield .error.code)" = document_expired ]
	run taxid-register supplement consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$ZS name=张三 expires_on=2047-01-01
	assert_success
	[ "$(jfield '.supplemented | join(",")')" = document ]
	[ "$(dbq 'SELECT expires_on FROM document')" = 2047-01-01 ]
	run taxid-register supplement consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$ZS name=张三
	[ "$(jfield .error.code)" = already_complete ]
	run taxid-register supplement consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$ZS name=張三
	[ "$(jfield .error.code)" = name_mismatch ]
}

@test "supplement: a face verdict completes a record without photo and lifts level 3 to 4" {
	jq -nc --arg d $LS '{doc_type:"201", doc_no:$d, name:"李四"}' | taxid-register import >/dev/null
	run taxid-register supplement consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$LS name=李四
	[ "$(jfield .error.code)/$(jfield .error.field)" = missing_field/face ]
	[ "$(jfield '.error.missing | join(",")')" = photo ]
	run taxid-register supplement consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$LS name=李四 face:="$(verdict face face $LS pass 0.1)"
	[ "$(jfield .error.code)" = identity_failed ]
	run taxid-register supplement consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$LS name=李四 face:="$(verdict face face $LS)"
	assert_success
	[ "$(jfield '.supplemented | join(",")')" = photo,level ]
	[ "$(jfield .level)" = 4 ]
	[ "$(dbq 'SELECT level, CAST(photo_ref IS NOT NULL AS INTEGER) FROM person')" = '4|1' ]
	run taxid-register supplement consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$LS name=李四
	[ "$(jfield .error.code)" = already_complete ]
}

@test "change: document + face, without the old phone; the new phone by SMS code; region" {
	jq -nc --arg d $ZS '{doc_type:"201", doc_no:$d, name:"张三", login_name:"zhang_san", phone:"13800138000", initial_password:"doc_tail6"}' |
		taxid-register import >/dev/null
	ch=$(taxid-verify sms send phone=13900139000 purpose=change | jq -r .challenge)
	k=$(sms_code 13900139000)
	run taxid-register change consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$ZS name=张三 phone=13900139000 \
		"sms:={\"challenge\":\"$ch\",\"code\":\"$k\"}" face:="$(verdict face face $ZS)" region=110105
	assert_success
	[ "$(jfield '.changed | join(",")')" = phone,region ]
	[ "$(jfield .phone)" = '139****9000' ]
	[ "$(jfield .level)" = 4 ]
	run taxid-register show login_name=zhang_san
	[ "$(jfield .account.phone)" = '139****9000' ]
	[ "$(jfield .account.region)" = 110105 ]
	[ "$(dbq "SELECT count(*) FROM audit WHERE action = 'change' AND subject = 'account:1'")" = 1 ]
	# region alone
	run taxid-register change consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$ZS name=张三 region=110101 face:="$(verdict face face $ZS)"
	assert_success
	[ "$(jfield '.changed | join(",")')" = region ]
}

@test "change: refusals — wrong SMS code, failed face, not collected, no account, phone taken, nothing to change" {
	jq -nc --arg d $ZS '{doc_type:"201", doc_no:$d, name:"张三", login_name:"zhang_san", phone:"13800138000", initial_password:"doc_tail6"}' |
		taxid-register import >/dev/null
	jq -nc --arg d $LS '{doc_type:"201", doc_no:$d, name:"李四", login_name:"li_si", phone:"13700137000", initial_password:"doc_tail6"}' |
		taxid-register import >/dev/null
	ch=$(taxid-verify sms send phone=13900139000 purpose=change | jq -r .challenge)
	run taxid-register change consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$ZS name=张三 phone=13900139000 \
		"sms:={\"challenge\":\"$ch\",\"code\":\"000000\"}" face:="$(verdict face face $ZS)"
	[ "$(jfield .error.code)" = sms_code_invalid ]
	[ "$(dbq 'SELECT count(*) FROM used_nonce')" = 0 ] # the face was not looked at
	k=$(sms_code 13900139000)
	run taxid-register change consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$ZS name=张三 phone=13900139000 \
		"sms:={\"challenge\":\"$ch\",\"code\":\"$k\"}" face:="$(verdict face face $ZS fail 0.2)"
	[ "$(jfield .error.code)" = identity_failed ]
	run taxid-register change consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=360426199101010071 name=王五 region=110101 face:="$(verdict face face 360426199101010071)"
	[ "$(jfield .error.code)" = not_collected ]
	collect doc_type=201 doc_no=360426199101010071 name=王五 >/dev/null
	run taxid-register change consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=360426199101010071 name=王五 region=110101 face:="$(verdict face face 360426199101010071)"
	[ "$(jfield .error.code)/$(jfield .error.reason)" = not_found/no_account ]
	export TAXID_NOW=$(at 2)
	ch=$(taxid-verify sms send phone=13700137000 purpose=change | jq -r .challenge)
	k=$(sms_code 13700137000)
	run taxid-register change consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$ZS name=张三 phone=13700137000 \
		"sms:={\"challenge\":\"$ch\",\"code\":\"$k\"}" face:="$(verdict face face $ZS)"
	[ "$(jfield .error.code)" = phone_taken ]
	run taxid-register change consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$ZS name=张三 face:="$(verdict face face $ZS)"
	[ "$(jfield .error.code)" = missing_field ]
	run taxid-register change consent:='{"pip":"1","face":"1"}' doc_type=201 doc_no=$ZS name=张三 region=110101
	[ "$(jfield .error.code)/$(jfield .error.field)" = missing_field/face ]
}
