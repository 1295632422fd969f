#!/usr/bin/env bats
# 33-register-import: bulk migration — batched, idempotent on the document, pre-hashed argon2id strings kept
# unpeppered, initial passwords (doc_tail6, random through the SMS outbox) flagged must-change and expiring.
load helper

ZS=11010519491231002X # 张三
LS=440524188001010014 # 李四

counts() {
	dbq "SELECT (SELECT count(*) FROM person) || ' ' || (SELECT count(*) FROM document) || ' ' ||
		(SELECT count(*) FROM account) || ' ' || (SELECT count(*) FROM audit) || ' ' || (SELECT count(*) FROM outbox)"
}

@test "import: the same file twice — first all created, then all unchanged, row counts equal" {
	taxid-register fixture --count 200 --seed 42 --doc-types 201,210,227,233,237,238,208,239,240,241,213 >people.ndjson
	run taxid-register import <people.ndjson
	assert_success
	[ "${#lines[@]}" -eq 200 ]
	[ "$(jq -r .status <<<"$output" | sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd' ')" = created=200 ]
	# results are in input order, ref echoed
	[ "$(jq -r .ref <<<"$output" | head -3 | paste -sd' ')" = 'fx-1 fx-2 fx-3' ]
	local before
	before=$(counts)
	[ "${before%% *}" = 200 ]
	run taxid-register import <people.ndjson
	assert_success
	[ "$(jq -r .status <<<"$output" | sort -u)" = unchanged ]
	[ "$(counts)" = "$before" ]
	taxid-verify audit >/dev/null
}

@test "import: a pre-hashed argon2id string is stored as given, unpeppered, not must-change" {
	local h
	h=$(phc 'Legacy!pass1')
	jq -nc --arg d $ZS --arg h "$h" '{doc_type:"201", doc_no:$d, name:"张三", login_name:"zhang_san", phone:"13800138000", password_hash:$h}' >in
	run taxid-register import <in
	assert_success
	[ "$(jfield .status)" = created ]
	[ "$(jfield .level)" = 3 ]
	[ "$(dbq 'SELECT password_hash FROM account')" = "$h" ]
	[ "$(dbq 'SELECT peppered, must_change, CAST(initial_expires_at IS NULL AS INTEGER) FROM account')" = '0|0|1' ]
	# the login layer accepts it (and re-hashes it with the pepper)
	run taxid-login account=zhang_san password='Legacy!pass1'
	assert_success
	[ "$(dbq 'SELECT peppered FROM account')" = 1 ]
	# malformed or non-argon2id hashes are refused
	for bad in '$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA' '$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA' 'plain'; do
		run taxid-register import <<<"$(jq -nc --arg d $LS --arg h "$bad" '{doc_type:"201", doc_no:$d, name:"李四", login_name:"li_si", password_hash:$h}')"
		[ "$(jfield .error.code)/$(jfield .error.field)" = bad_value/password_hash ]
	done
}

@test "import: doc_tail6 initial passwords are must-change and expire after 30 days" {
	jq -nc --arg d $LS '{doc_type:"201", doc_no:$d, name:"李四", login_name:"li_si", phone:"13700137000", initial_password:"doc_tail6"}' >in
	run taxid-register import <in
	assert_success
	[ "$(dbq 'SELECT peppered, must_change, initial_expires_at FROM account')" = "1|1|$(date -u -d 2026-12-25T08:00:00Z +%s)" ]
	run taxid-login account=li_si password=010014
	[ "$(jfield .error.code)" = must_change_password ]
	run taxid-login account=li_si password=010015
	[ "$(jfield .error.code)" = bad_credentials ]
	# an operator setting changes the validity
	dbq "INSERT INTO setting VALUES ('password.initial_days', '7')"
	jq -nc --arg d $ZS '{doc_type:"201", doc_no:$d, name:"张三", login_name:"zhang_san", initial_password:"doc_tail6"}' | taxid-register import >/dev/null
	[ "$(dbq "SELECT initial_expires_at FROM account WHERE login_name = 'zhang_san'")" = "$(date -u -d 2026-12-02T08:00:00Z +%s)" ]
}

@test "import: a random initial password meets the policy, goes only to the outbox, never to stdout" {
	jq -nc --arg d $ZS '{doc_type:"201", doc_no:$d, name:"张三", login_name:"zhang_san", phone:"13800138000", initial_password:"random"}' >in
	run --separate-stderr taxid-register import <in
	assert_success
	local body pw
	body=$(taxid-verify sms outbox | jq -r 'select(.to == "13800138000") | .body')
	pw=$(sed -E 's/.*: ([^ ]+) \(valid until.*/\1/' <<<"$body")
	[ "${#pw}" -eq 10 ]
	[[ $pw =~ [A-Z] ]]
	[[ $pw =~ [a-z] ]]
	[[ $pw =~ [0-9] ]]
	[[ $pw =~ [^A-Za-z0-9] ]]
	[[ $body == *'valid until 2026-12-25T08:00:00Z'* ]]
	[[ $output != *"$pw"* ]]
	[[ $stderr != *"$pw"* ]]
	db_checkpoint '(PASSIVE)'
	files=$(db_files '' -wal)
	for f in $files; do
		! grep -aqF -- "$pw" "$f" || { echo "found in $f"; return 1; }
	done
	[ "$(dbq 'SELECT must_change, peppered FROM account')" = '1|1' ]
	run taxid-login account=zhang_san password="$pw"
	[ "$(jfield .error.code)" = must_change_password ]
	# two records never share a random password; without a phone there is no way to deliver one
	run taxid-register import <<<"$(jq -nc --arg d $LS '{doc_type:"201", doc_no:$d, name:"李四", login_name:"li_si", initial_password:"random"}')"
	[ "$(jfield .error.code)/$(jfield .error.field)" = missing_field/phone ]
	run taxid-register import <<<"$(jq -nc --arg d $LS '{doc_type:"201", doc_no:$d, name:"李四", login_name:"li_si", password_hash:"x", initial_password:"random"}')"
	[ "$(jfield .error.code)/$(jfield .error.field)" = bad_value/initial_password ]
	run taxid-register import <<<"$(jq -nc --arg d $LS '{doc_type:"201", doc_no:$d, name:"李四", login_name:"li_si", initial_password:"123456"}')"
	[ "$(jfield .error.code)/$(jfield .error.field)" = bad_value/initial_password ]
	run taxid-register import <<<"$(jq -nc --arg d $LS '{doc_type:"201", doc_no:$d, name:"李四", login_name:"li_si"}')"
	[ "$(jfield .error.code)/$(jfield .error.field)" = missing_field/password_hash ]
}

@test "import: persons without login_name get no account; face_verified gives level 4; a later record updates" {
	jq -nc --arg d $ZS '{doc_type:"201", doc_no:$d, name:"张三"}' >in
	run taxid-register import <in
	assert_success
	[ "$(jfield .status)/$(jfield .level)" = created/3 ]
	[ "$(jfield '.account // "none"')" = none ]
	[ "$(dbq 'SELECT count(*) FROM account')" = 0 ]
	run taxid-register import <<<"$(jq -nc --arg d $ZS '{doc_type:"201", doc_no:$d, name:"张三", face_verified:true}')"
	[ "$(jfield .status)/$(jfield .level)" = updated/4 ]
	run taxid-register import <<<"$(jq -nc --arg d $ZS '{doc_type:"201", doc_no:$d, name:"张三", login_name:"zhang_san", initial_password:"doc_tail6"}')"
	[ "$(jfield .status)/$(jfield .level)/$(jfield .account)" = updated/4/1 ]
	run taxid-register import <<<"$(jq -nc --arg d $ZS '{doc_type:"201", doc_no:$d, name:"张三", login_name:"zhang_san", initial_password:"doc_tail6"}')"
	[ "$(jfield .status)" = unchanged ]
	# another name, another login name for the same document
	run taxid-register import <<<"$(jq -nc --arg d $ZS '{doc_type:"201", doc_no:$d, name:"張三"}')"
	[ "$(jfield .error.code)" = name_mismatch ]
	run taxid-register import <<<"$(jq -nc --arg d $ZS '{doc_type:"201", doc_no:$d, name:"张三", login_name:"zhang_two", initial_password:"doc_tail6"}')"
	[ "$(jfield .error.code)/$(jfield .error.field)" = identity_occupied/login_name ]
	run taxid-register import <<<"$(jq -nc --arg d $LS '{doc_type:"201", doc_no:$d, name:"李四", login_name:"zhang_san", initial_password:"doc_tail6"}')"
	[ "$(jfield .error.code)" = login_name_taken ]
	[ "$(dbq 'SELECT count(*) FROM person')" = 1 ] # the refused record left nothing behind
}

@test "import: batches commit every --batch-size records; a bad record does not spoil its batch" {
	taxid-register fixture --count 25 --seed 9 --password 'Fixture!pw1' >people.ndjson
	{ head -n 10 people.ndjson; echo '{"doc_type":"201","doc_no":"bad"}'; echo 'not json'; tail -n 15 people.ndjson; } >in
	run taxid-register import --batch-size 7 <in
	assert_failure 1
	[ "${#lines[@]}" -eq 27 ]
	[ "$(jq -r .line <<<"${lines[10]}")/$(jq -r .error.code <<<"${lines[10]}")" = 11/bad_format ]
	[ "$(jq -r .error.code <<<"${lines[11]}")" = bad_json ]
	[ "$(jq -s 'map(select(.status == "created")) | length' <<<"$output")" = 25 ]
	[ "$(dbq 'SELECT count(*) FROM account')" = 25 ]
	[ "$(dbq 'SELECT count(DISTINCT password_hash), min(peppered) FROM account')" = '1|0' ]
}

@test "fixture | import works for every document type, paired documents included" {
	taxid-register fixture --count 110 --seed 5 --doc-types 201,208,210,213,227,233,237,238,239,240,241 |
		taxid-register import >out
	[ "$(jq -r .status out | sort -u)" = created ]
	[ "$(dbq 'SELECT count(*) FROM person')" = 110 ]
	# 233, 237, 238, 239, 240, 241 bring a paired document: 6 of every 11 records
	[ "$(dbq 'SELECT count(*) FROM document')" = 170 ]
	[ "$(dbq 'SELECT count(*) FROM document WHERE paired_with IS NOT NULL')" = 60 ]
	[ "$(dbq 'SELECT count(*) FROM account')" = 110 ]
	[ "$(dbq 'SELECT count(DISTINCT level) FROM person WHERE level IN (3, 4)')" = 2 ]
}

# persons, documents and accounts as import leaves them, but the AES-GCM columns (fresh nonces every time) and
# the password hashes; the audit rows, but that the persons created are named by one row per batch (so batches of
# other sizes name them in other rows): those as the list of persons and accounts named, in order
import_rows() {
	TAXID_DB=$1 dbq "SELECT 'p', id, level, nationality, birth_date, sex, region, state FROM person ORDER BY id;
		SELECT 'd', id, person_id, doc_type, hex(no_index), expires_on, paired_with FROM document ORDER BY id;
		SELECT 'a', id, person_id, login_name, hex(phone_index), peppered, must_change FROM account ORDER BY id;
		SELECT 'audit', action, subject, detail FROM audit WHERE action <> 'import_batch' ORDER BY id;
		SELECT 'created', j.value FROM audit, json_each(audit.detail, '\$.persons') AS j
			WHERE audit.action = 'import_batch' ORDER BY audit.id, j.key;
		SELECT 'account', j.value FROM audit, json_each(audit.detail, '\$.accounts') AS j
			WHERE audit.action = 'import_batch' ORDER BY audit.id, j.key"
}

@test "import: one batch, batches of one, or one process per record leave the same persons; a rerun changes nothing" {
	taxid-register fixture --count 40 --seed 33 --password 'Batch!pw33' --doc-types 201,210,233,237,241 >people.ndjson
	{ head -n 20 people.ndjson; echo '{"doc_type":"201","doc_no":"bad"}'; sed -n 3p people.ndjson
		sed -n 4p people.ndjson | jq -c '.name = "另一个"'; tail -n 20 people.ndjson; } >in
	db_new big && db_new one && db_new each
	taxid-register --no-progress -d "$(db_path big)" import --batch-size 1000 <in >big.out || [ $? -eq 1 ]
	# one key for the three, so that their blind indexes compare (on PostgreSQL TAXID_KEYFILE is that one)
	if [ "$(db_engine)" = sqlite ]; then
		cp big.db.key one.db.key
		cp big.db.key each.db.key
	fi
	taxid-register --no-progress -d "$(db_path one)" import --batch-size 1 <in >one.out || [ $? -eq 1 ]
	local line
	while IFS= read -r line; do
		taxid-register --no-progress -d "$(db_path each)" import <<<"$line" || [ $? -eq 1 ]
	done <in >each.out
	cmp big.out one.out
	# one process per record numbers every result line 1
	cmp <(jq -c 'del(.line)' big.out) <(jq -c 'del(.line)' each.out)
	[ "$(jq -r '.status // .error.code' big.out | sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd' ')" = \
		'bad_format=1 created=40 name_mismatch=1 unchanged=1' ]
	import_rows "$(db_path big)" >big.rows
	[ "$(grep -c '^p|' big.rows)" = 40 ]
	for d in one each; do
		import_rows "$(db_path $d)" >$d.rows
		cmp big.rows $d.rows
	done
	jq -c '{doc_type, doc_no}' people.ndjson | taxid-register --no-progress -d "$(db_path big)" show >big.show
	jq -c '{doc_type, doc_no}' people.ndjson | taxid-register --no-progress -d "$(db_path each)" show >each.show
	[ "$(grep -c '"ok":true' big.show)" = 40 ]
	cmp big.show each.show
	# the rerun: every record unchanged or refused as before, nothing written
	taxid-register --no-progress -d "$(db_path big)" import <in >again.out || [ $? -eq 1 ]
	[ "$(jq -r '.status // .error.code' again.out | sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd' ')" = \
		'bad_format=1 name_mismatch=1 unchanged=41' ]
	[ "$(import_rows "$(db_path big)")" = "$(cat big.rows)" ]
	taxid-verify -d "$(db_path big)" audit >/dev/null
}

@test "import: a refused record writes nothing, whichever check refuses it, in a batch of others" {
	# import runs a batch without a savepoint per record: every refusal comes before the record's first write
	taxid-register fixture --count 6 --seed 9 --doc-types 201,233 --password 'Refuse!pw9' >people.ndjson
	# 1-2 go in first; 3 without an account
	head -n 2 people.ndjson >first.ndjson
	sed -n 3p people.ndjson | jq -c 'del(.login_name, .password_hash, .phone)' >>first.ndjson
	taxid-register import <first.ndjson >/dev/null
	before=$(counts)
	{
		# 4 (233) takes person 1's login name, 5 person 1's phone, 6 (233) person 2's passport as its paired one
		sed -n 4p people.ndjson | jq -c --arg l "$(sed -n 1p people.ndjson | jq -r .login_name)" '.login_name = $l'
		sed -n 5p people.ndjson | jq -c --arg p "$(sed -n 1p people.ndjson | jq -r .phone)" '.phone = $p'
		sed -n 6p people.ndjson | jq -c --argjson q "$(sed -n 2p people.ndjson | jq -c .paired)" '.paired = $q'
		# 3 again, raised to level 4 and with person 1's login name: neither the level nor an account is kept
		sed -n 3p people.ndjson | jq -c --arg l "$(sed -n 1p people.ndjson | jq -r .login_name)" '.login_name = $l | .face_verified = true'
	} >refused.ndjson
	run taxid-register import --batch-size 100 <refused.ndjson
	assert_failure 1
	[ "$(jq -r '.error.code' <<<"$output" | paste -sd' ')" = 'login_name_taken phone_taken identity_failed login_name_taken' ]
	[ "$(counts)" = "$before" ]
	[ "$(dbq 'SELECT level FROM person WHERE id = 3')" = 3 ]
	# the same records put right, in one batch with the refused ones: only they are written
	{ cat refused.ndjson; sed -n '4,6p' people.ndjson; } | taxid-register import --batch-size 100 >again.out || [ $? -eq 1 ]
	[ "$(jq -r '.status // .error.code' again.out | paste -sd' ')" = \
		'login_name_taken phone_taken identity_failed login_name_taken created created created' ]
	[ "$(dbq 'SELECT count(*) FROM person')" = 6 ]
	[ "$(dbq "SELECT json_extract(detail, '\$.persons') FROM audit WHERE action = 'import_batch' ORDER BY id DESC LIMIT 1")" = '[4,5,6]' ]
	taxid-verify audit >/dev/null
	[ "$(db_integrity)" = ok ]
}

@test "import: a batch waiting for input commits what it holds and answers before the next record comes" {
	taxid-register fixture --count 3 --seed 34 --password 'Batch!pw34' >people.ndjson
	coproc IMP { taxid-register --no-progress import --batch-size 1000; }
	local i ans
	for i in 1 2 3; do
		sed -n "${i}p" people.ndjson >&"${IMP[1]}"
		read -t 10 -r ans <&"${IMP[0]}"
		[ "$(jq -r .status <<<"$ans")" = created ]
		# committed while the import still runs, though its batch is far from full
		[ "$(dbq 'SELECT count(*) FROM person')" = "$i" ]
	done
	exec {IMP[1]}>&-
	wait "$IMP_PID" || true
	[ "$(dbq 'SELECT count(*) FROM person')" = 3 ]
}
