#!/usr/bin/env bats
# 30-register-code: hall registration codes (DOMAIN §2, §8) — 6 characters of an alphabet without look-alikes,
# valid 7 days, single use, superseded by a re-issue, bound to the person's document, stored as a keyed hash.
load helper

ZS=11010519491231002X # 张三
LS=440524188001010014 # 李四

# absent TEXT FILE...: TEXT occurs in none of the files (a missing file holds nothing).
absent() {
	local t=$1 f
	shift
	for f; do
		[ -e "$f" ] || continue
		if grep -aqF -- "$t" "$f"; then
			echo "'$t' found in $f"
			return 1
		fi
	done
}

# issue DOC NAME [TYPE [EXTRA...]]: a hall code for the person; prints the code.
issue() {
	taxid-register code doc_type="${3:-201}" doc_no="$1" name="$2" operator=op7 hall=hall-1 "${@:4}" | jq -r .code
}

# req_code DOC NAME CODE LOGIN PHONE [TYPE [EXTRA-JSON]]: send a "register" SMS code to PHONE and print a
# code-registration request with password Reg1ster!ok.
req_code() {
	local ch k
	ch=$(taxid-verify sms send phone="$5" purpose=register | jq -r .challenge) || return 1
	k=$(sms_code "$5")
	jq -nc --arg d "$1" --arg n "$2" --arg c "$3" --arg l "$4" --arg ph "$5" --arg t "${6:-201}" --arg ch "$ch" \
		--arg k "$k" --argjson x "${7:-"{}"}" \
		'{method:"code", code:$c, doc_type:$t, doc_no:$d, name:$n, login_name:$l, password:"Reg1ster!ok",
		  phone:$ph, sms:{challenge:$ch, code:$k}, consent:{pip:"2024.1"}} + $x'
}

@test "code: 6 characters without look-alikes, valid 7 days, printed once, kept only as a keyed hash" {
	run taxid-register code doc_type=201 doc_no=$ZS name=张三 operator=op7 hall=hall-1
	assert_success
	local code
	code=$(jfield .code)
	[[ $code =~ ^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{6}$ ]]
	[ "$(jfield .expires_at)" = 2026-12-02T08:00:00Z ]
	[ "$(jfield .doc_no)" = '110105********002X' ]
	[ "$(jfield .created)" = true ]
	[ "$(dbq "SELECT purpose, state, length(secret_hash) FROM challenge")" = 'regcode|open|32' ]
	[ "$(dbq "SELECT level FROM person")" = 0 ]
	# the audit row names the operator and hall, not the code
	[ "$(dbq "SELECT action, actor FROM audit WHERE action = 'regcode_issue'")" = 'regcode_issue|op7' ]
	db_checkpoint '(PASSIVE)'
	absent "$code" "$TAXID_DB" "$TAXID_DB-wal"
	db_dump >dump.sql
	absent "$code" dump.sql
	taxid-verify audit >/dev/null
}

@test "code: characters are drawn from the whole alphabet" {
	for i in $(seq 1 150); do
		echo "{\"doc_type\":\"201\",\"doc_no\":\"$ZS\",\"name\":\"张三\",\"operator\":\"op7\"}"
	done | taxid-register code | jq -r .code >codes
	[ "$(wc -l <codes)" -eq 150 ]
	[ "$(grep -c '^[2-9A-HJ-NP-Z]\{6\}$' codes)" -eq 150 ]
	# 900 draws over 32 characters: every character appears (the chance one is missing is below 1e-10)
	[ "$(fold -w1 codes | sort -u | wc -l)" -eq 32 ]
	# each issue superseded the one before: one code is open
	[ "$(dbq "SELECT state, count(*) FROM challenge GROUP BY state ORDER BY state")" = 'open|1
superseded|149' ]
}

@test "code: registration with it gives level 4; the code is single use" {
	local code
	code=$(issue $ZS 张三)
	run taxid-register <<<"$(req_code $ZS 张三 "$code" zhang_san 13800138000)"
	assert_success
	[ "$(jfield .level)" = 4 ]
	[ "$(jfield .login_name)" = zhang_san ]
	[ "$(jfield .doc_no)" = '110105********002X' ]
	[ "$(jfield .phone)" = '138****8000' ]
	[ "$(dbq "SELECT state FROM challenge WHERE purpose = 'regcode'")" = used ]
	# the same code again: the proof fails first, so the answer is code_invalid, not identity_occupied
	export TAXID_NOW=$(at 2)
	run taxid-register <<<"$(req_code $ZS 张三 "$code" zhang_again 13900139000)"
	assert_failure 1
	[ "$(jfield .error.code)" = code_invalid ]
	[ "$(jfield .error.field)" = code ]
}

@test "code: lower-case typing is accepted; a malformed code is code_invalid" {
	local code
	code=$(issue $ZS 张三)
	run taxid-register <<<"$(req_code $ZS 张三 "${code,,}" zhang_san 13800138000)"
	assert_success
	code=$(issue $LS 李四)
	export TAXID_NOW=$(at 2)
	run taxid-register <<<"$(req_code $LS 李四 "O0I1" li_si 13900139000)"
	[ "$(jfield .error.code)" = code_invalid ]
}

@test "code: expires after 7 days (by --now)" {
	local c1 c2
	c1=$(issue $ZS 张三)
	c2=$(issue $LS 李四)
	export TAXID_NOW=2026-12-02T07:59:00Z
	run taxid-register <<<"$(req_code $ZS 张三 "$c1" zhang_san 13800138000)"
	assert_success
	export TAXID_NOW=2026-12-02T08:00:00Z
	run taxid-register <<<"$(req_code $LS 李四 "$c2" li_si 13900139000)"
	assert_failure 1
	[ "$(jfield .error.code)" = code_invalid ]
}

@test "code: a re-issued code supersedes the previous one" {
	local old new
	old=$(issue $ZS 张三)
	run taxid-register code doc_type=201 doc_no=$ZS name=张三 operator=op8
	assert_success
	new=$(jfield .code)
	[ "$(jfield .superseded)" = 1 ]
	[ "$(jfield .created)" = false ]
	[ "$old" != "$new" ]
	run taxid-register <<<"$(req_code $ZS 张三 "$old" zhang_san 13800138000)"
	[ "$(jfield .error.code)" = code_invalid ]
	export TAXID_NOW=$(at 2)
	run taxid-register <<<"$(req_code $ZS 张三 "$new" zhang_san 13800138000)"
	assert_success
	[ "$(dbq "SELECT state FROM challenge WHERE purpose = 'regcode' ORDER BY created_at, state")" = 'superseded
used' ]
}

@test "code: a code issued for another person is code_invalid, and the owner's code still works" {
	local code
	code=$(issue $ZS 张三)
	issue $LS 李四 >/dev/null
	run taxid-register <<<"$(req_code $LS 李四 "$code" li_si 13900139000)"
	assert_failure 1
	[ "$(jfield .error.code)" = code_invalid ]
	run taxid-register <<<"$(req_code $ZS 张三 "$code" zhang_san 13800138000)"
	assert_success
	# a person without any code
	export TAXID_NOW=$(at 2)
	run taxid-register <<<"$(req_code 360426199101010071 王五 "$code" wang_wu 13700137000)"
	[ "$(jfield .error.code)" = code_invalid ]
}

@test "code: a wrong code counts an attempt (kept), and 5 wrong codes kill it" {
	local code
	code=$(issue $ZS 张三)
	for i in 1 2 3 4 5; do
		export TAXID_NOW=$(at $((2 * i)))
		run taxid-register <<<"$(req_code $ZS 张三 222222 zhang_san 13800138000)"
		[ "$(jfield .error.code)" = code_invalid ]
		[ "$(dbq "SELECT attempts FROM challenge WHERE purpose = 'regcode'")" = "$i" ]
	done
	[ "$(dbq "SELECT state FROM challenge WHERE purpose = 'regcode'")" = dead ]
	export TAXID_NOW=$(at 20)
	# (another phone: 13800138000 has had the 5 register codes a day allows, sms.open_daily_cap)
	run taxid-register <<<"$(req_code $ZS 张三 "$code" zhang_san 13800138009)"
	[ "$(jfield .error.code)" = code_invalid ]
	[ "$(dbq 'SELECT count(*) FROM account')" = 0 ]
}

@test "code: works for the 7 online document types; the 4 hall-only types need collection first" {
	local t no name nat
	while read -r t no name nat; do
		run taxid-register code doc_type="$t" doc_no="$no" name="$name" nationality="$nat" operator=op7
		assert_success
		[[ $(jfield .code) =~ ^[2-9A-HJ-NP-Z]{6}$ ]]
	done <<-'EOF'
		201 11010519491231002X 张三 CHN
		210 H12345678 陈大文 CHN
		213 12345678 林志明 CHN
		227 EF1260892 赵六 CHN
		233 932682198501010017 ADAM·SMITH SAU
		237 810000199408230021 黄小明 CHN
		238 830000199201010025 王美玲 CHN
	EOF
	for t in 208 239 240 241; do
		run taxid-register code doc_type=$t doc_no=P1234567$((t - 200)) name='JOHN SMITH' nationality=USA operator=op7
		assert_failure 1
		[ "$(jfield .error.code)" = not_collected ]
	done
	run taxid-register collect consent:='{"pip":"1","face":"1"}' doc_type=208 doc_no=P12345678 name='JOHN SMITH' nationality=USA operator=op7
	assert_success
	run taxid-register code doc_type=208 doc_no=P12345678 name='JOHN SMITH' nationality=USA operator=op7
	assert_success
}

@test "hall-only types register by code, never by face; face is for resident ID cards only" {
	keygen face && trust face face
	taxid-register collect consent:='{"pip":"1","face":"1"}' doc_type=240 doc_no=WP20240001 name='MARIA GARCIA' nationality=ESP operator=op7 \
		'paired:={"doc_type":"208","doc_no":"PA9988776"}' >/dev/null
	local code
	code=$(issue WP20240001 'MARIA GARCIA' 240 nationality=ESP)
	run taxid-register <<<"$(req_code WP20240001 'MARIA GARCIA' "$code" maria_g 13800138000 240 \
		'{"nationality":"ESP","method":"face","face":{},"consent":{"pip":"1","face":"1"}}')"
	assert_failure 1
	[ "$(jfield .error.code)" = doc_type_not_allowed ]
	[ "$(jfield .error.field)" = doc_type ]
	export TAXID_NOW=$(at 2)
	run taxid-register <<<"$(req_code WP20240001 'MARIA GARCIA' "$code" maria_g 13800138000 240 '{"nationality":"ESP"}')"
	assert_success
	[ "$(jfield .level)" = 5 ] # collected at a hall: level 5 is kept
	[ "$(jfield .doc_type)" = work_permit_b ]
	# a Chinese passport may register online, but not by face
	export TAXID_NOW=$(at 4)
	run taxid-register <<<"$(req_code EF1260892 赵六 XXXXXX zhao_liu 13900139000 227 \
		'{"method":"face","face":{},"consent":{"pip":"1","face":"1"}}')"
	[ "$(jfield .error.code)" = doc_type_not_allowed ]
}

@test "code: refused for a registered, an abnormal or a differently named person" {
	local code
	code=$(issue $ZS 张三)
	taxid-register <<<"$(req_code $ZS 张三 "$code" zhang_san 13800138000)" >/dev/null
	run taxid-register code doc_type=201 doc_no=$ZS name=张三 operator=op7
	assert_failure 1
	[ "$(jfield .error.code)" = identity_occupied ]
	run taxid-register code doc_type=201 doc_no=$ZS name=張三 operator=op7
	[ "$(jfield .error.code)" = name_mismatch ]
	issue $LS 李四 >/dev/null
	taxid-register mark doc_type=201 doc_no=$LS reason=deceased operator=op7 >/dev/null
	run taxid-register code doc_type=201 doc_no=$LS name=李四 operator=op7
	[ "$(jfield .error.code)" = identity_abnormal ]
	[ "$(jfield .error.reason)" = deceased ]
	# marking abnormal killed the open code
	[ "$(dbq "SELECT count(*) FROM challenge WHERE purpose = 'regcode' AND state = 'open'")" = 0 ]
	run taxid-register code doc_type=201 doc_no=$LS name=李四
	[ "$(jfield .error.code)" = operator_required ]
	[ "$(jfield .error.field)" = operator ]
}
