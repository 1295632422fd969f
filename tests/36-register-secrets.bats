#!/usr/bin/env bats
# 36-register-secrets: SECURITY rule 20 for taxid-register — marker passwords, hall codes, SMS codes and random
# initial passwords never reach the database, its WAL, or any output except the one meant to carry them (the hall
# code to the operator, SMS texts to the gateway).
load helper

ZS=11010519491231002X
LS=440524188001010014
WW=360426199101010071
MARK='Mk7#Zq9!marker'
MARK2='Rg4%Yt8!marker'

# absent TEXT FILE...: TEXT occurs in none of the files.
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

local_teardown() {
	exec 4>&- 2>/dev/null || true
}

@test "rule 20: no password, hall code, SMS code or initial password in the database, WAL or output" {
	keygen face && trust face face
	# on SQLite, hold a connection open so that the WAL is neither checkpointed away nor deleted between the
	# commands (on PostgreSQL the dump below is what is at rest)
	if [ "$(db_engine)" = sqlite ]; then
		mkfifo hold
		sqlite3 "$TAXID_DB" <hold >/dev/null 2>&1 3>&- &
		exec 4>hold
		echo 'SELECT count(*) FROM meta;' >&4
	fi
	local out=$BATS_TEST_TMPDIR/all.out secrets=()
	: >"$out"
	# face registration with a marker password
	ch=$(taxid-verify sms send phone=13800138000 purpose=register | jq -r .challenge)
	k1=$(sms_code 13800138000)
	secrets+=("$k1")
	jq -nc --arg d $ZS --arg ch "$ch" --arg k "$k1" --arg p "$MARK" --argjson v "$(verdict face face $ZS)" \
		'{method:"face", face:$v, doc_type:"201", doc_no:$d, name:"张三", login_name:"zhang_san", password:$p,
		  phone:"13800138000", sms:{challenge:$ch, code:$k}, consent:{pip:"1", face:"1"}}' >req1
	taxid-register <req1 >>"$out" 2>&1
	# hall code: printed once to the operator (that output is the code's delivery and is not searched)
	code=$(taxid-register code doc_type=201 doc_no=$LS name=李四 operator=op7 2>>"$out" | jq -r .code)
	secrets+=("$code")
	ch=$(taxid-verify sms send phone=13900139000 purpose=register | jq -r .challenge)
	k2=$(sms_code 13900139000)
	secrets+=("$k2")
	jq -nc --arg d $LS --arg ch "$ch" --arg k "$k2" --arg p "$MARK2" --arg c "$code" \
		'{method:"code", code:$c, doc_type:"201", doc_no:$d, name:"李四", login_name:"li_si", password:$p,
		  phone:"13900139000", sms:{challenge:$ch, code:$k}, consent:{pip:"1"}}' >req2
	taxid-register <req2 >>"$out" 2>&1
	# a wrong password attempt at registration is refused by policy, also without echo
	jq -c '.password = "Mk7#Zq9!marker "' <req2 | taxid-register >>"$out" 2>&1 || true
	# import with a random initial password (goes to the outbox, encrypted)
	jq -nc --arg d $WW '{doc_type:"201", doc_no:$d, name:"王五", login_name:"wang_wu", phone:"13700137000", initial_password:"random"}' |
		taxid-register import >>"$out" 2>&1
	env TAXID_OPERATOR=op-test taxid-register --reveal show login_name=wang_wu >>"$out" 2>&1
	[ "$(wc -l <"$out")" -ge 4 ]
	[ "$(dbq 'SELECT count(*) FROM account')" = 3 ]

	# the database and its WAL
	[ "$(db_engine)" = pg ] || [ -s "$TAXID_DB-wal" ]
	for s in "$MARK" "$MARK2" "${secrets[@]}"; do
		absent "$s" "$TAXID_DB" "$TAXID_DB-wal" "$out"
	done
	# the random initial password: only in the outbox, readable only by the gateway's drain
	body=$(taxid-verify sms outbox | jq -r 'select(.to == "13700137000") | .body')
	init=$(sed -E 's/.*: ([^ ]+) \(valid until.*/\1/' <<<"$body")
	[ "${#init}" -eq 10 ]
	absent "$init" "$TAXID_DB" "$TAXID_DB-wal" "$out"
	# and after a checkpoint, in the main file
	exec 4>&-
	wait
	db_checkpoint
	db_dump >dump.sql
	for s in "$MARK" "$MARK2" "$init" "${secrets[@]}"; do
		absent "$s" "$TAXID_DB" dump.sql
	done
	# personal data is encrypted at rest too: no document number, phone or name in clear
	for s in $ZS $LS 13800138000 13900139000 张三 李四; do
		absent "$s" "$TAXID_DB" dump.sql
	done
}
