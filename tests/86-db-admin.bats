#!/usr/bin/env bats
# 86-db-admin: taxid-db backup, restore and doctor (issue 18) through the binaries: a backup while 8 writers
# soak, restored whole; what restore refuses (a newer database, a corrupt copy, another key's copy, no
# operator) and that it is audited (a restore can roll back a lock or a payment); one planted problem per
# check of doctor.
load helper

WORKERS=8

# import_round W ROUND: 5 fixture accounts with login names wW_rROUND_N, results to out.W.ROUND
import_round() {
	taxid-register fixture --count 5 --seed "$(($1 * 1000 + $2))" |
		jq -c --arg p "w$1_r$2_" '.login_name = $p + (.ref | ltrimstr("fx-"))' |
		taxid-register import >"out.$1.$2" 2>>"err.$1"
}

# writer W DEADLINE: import rounds until the deadline, and at least until the file "stop" exists (so the
# backup is always taken while every writer still writes); done.W holds the last round whose import has returned
writer() {
	set +e
	local w=$1 deadline=$2 round=0
	while [ "$(date +%s)" -lt "$deadline" ] || [ ! -e stop ]; do
		round=$((round + 1))
		import_round "$w" "$round"
		echo "$round" >"done.$w"
	done
}

# the login names reported created by the rounds finished now (their imports have committed)
committed_names() {
	local w r last
	for w in $(seq 1 $WORKERS); do
		last=$(cat "done.$w" 2>/dev/null || echo 0)
		for ((r = 1; r <= last; r++)); do
			jq -r 'select(.status == "created") | .login_name' "out.$w.$r"
		done
	done
}

seed_db() {
	taxid-register fixture --count 3 --seed 1 | taxid-register import >/dev/null
}

@test "a backup taken while 8 writers import restores whole: integrity, audit chain, every committed row" {
	skip_on_pg "backup and restore copy SQLite files; on PostgreSQL they refuse and name the server's tools (the last test)"
	seed_db
	# import hashes initial passwords inside its batch's write transaction: under ASan eight writers can queue
	# past the default 10 s busy timeout whether or not a backup runs (a reader never blocks a WAL writer)
	export TAXID_BUSY_TIMEOUT_MS=120000
	secs=${SOAK_SECONDS:-8}
	deadline=$(($(date +%s) + secs))
	for w in $(seq 1 $WORKERS); do
		writer "$w" "$deadline" &
	done
	sleep $((secs / 2))
	# on a loaded machine (the suites of CI side by side) no round may have committed yet: wait for one, so the
	# backup has committed rows to prove (a round always ends: fixture and import of 5 people)
	until [ -n "$(cat done.* 2>/dev/null)" ]; do sleep 0.2; done
	committed_names | sort >before.txt
	run taxid-db backup mid.db operator=op-backup
	touch stop
	assert_success
	wait
	[ -z "$(cat err.*)" ] || { cat err.*; return 1; }
	[ "$(wc -l <before.txt)" -gt 0 ]
	[ "$(stat -c %a mid.db)" = 600 ]
	copy_id=$(jfield .audit_head.id)
	copy_hash=$(jfield .audit_head.hash)
	[ "$(jfield .chain)" = intact ]
	# the head is in the copy's meta, as printed
	[ "$(sqlite3 mid.db "SELECT value FROM meta WHERE key = 'backup_audit_head'")" = "$copy_id:$copy_hash" ]
	# the writers went on after the snapshot: the live database is newer, a restore needs force
	run taxid-db restore mid.db operator=op-restore
	assert_failure 1
	[ "$(jfield .error.code)" = target_newer ]
	run taxid-db restore mid.db operator=op-restore force:=true
	assert_success
	[ "$(db_integrity)" = ok ]
	run taxid-verify audit --head
	assert_success
	[ "$(jfield .chain)" = intact ]
	[ "$(jfield .id)" = "$((copy_id + 1))" ] # the copy's chain, then the restore's own row
	dbq "SELECT login_name FROM account" | sort >after.txt
	[ -z "$(comm -23 before.txt after.txt)" ] # every row committed before the backup began is there
	# and the copy's anchor holds in the restored database
	run taxid-verify audit --anchor "$copy_id:$copy_hash"
	assert_success
}

@test "backup: 0600, the head of taxid-verify audit --head, the key file named and not inside, no overwrite" {
	skip_on_pg "backup and restore copy SQLite files; on PostgreSQL they refuse and name the server's tools (the last test)"
	seed_db
	head=$(taxid-verify audit --head | jq -c '{id, hash}')
	run taxid-db backup copy.db operator=op-7
	assert_success
	[ "$(stat -c %a copy.db)" = 600 ]
	json_eq "$head" "$(jfield .audit_head)"
	[ "$(jfield .key_file)" = "$TAXID_KEY" ]
	jfield .key_note | grep -q 'apart'
	# the key file's secret is nowhere in the copy, and no key file came along
	key=$(sed -n 's/^taxid-key-v1 //p' "$TAXID_KEY")
	[ -n "$key" ]
	run grep -caF "$key" copy.db
	assert_output 0
	[ ! -e copy.db.key ]
	# audited in the database, by the operator
	[ "$(dbq "SELECT actor FROM audit WHERE action = 'db_backup'")" = op-7 ]
	# an existing file is kept unless force
	before=$(sha256sum copy.db)
	run taxid-db backup copy.db operator=op-7
	assert_failure 1
	[ "$(jfield .error.code)" = file_exists ]
	[ "$(sha256sum copy.db)" = "$before" ]
	run taxid-db backup copy.db operator=op-7 force:=true
	assert_success
	[ "$(stat -c %a copy.db)" = 600 ]
	# no operator, no backup
	run taxid-db backup other.db
	assert_failure 1
	[ "$(jfield .error.code)" = operator_required ]
	[ ! -e other.db ]
	ls -a | grep -q '\.tmp\.' && return 1
	true
}

@test "taxid backup, taxid restore and taxid doctor are taxid db ACTION" {
	skip_on_pg "backup and restore copy SQLite files; on PostgreSQL they refuse and name the server's tools (the last test)"
	seed_db
	run taxid backup b.db operator=op-1
	assert_success
	[ "$(jfield .file)" = b.db ]
	run taxid restore b.db operator=op-1
	assert_success
	[ -n "$(jfield .replaced)" ]
	run taxid doctor
	assert_success
	assert_line --partial '"check":"audit"'
	run taxid db doctor
	assert_success
}

@test "restore right after a backup needs no force; the replaced file is kept 0600 as it was" {
	skip_on_pg "backup and restore copy SQLite files; on PostgreSQL they refuse and name the server's tools (the last test)"
	seed_db
	taxid-db backup b.db operator=op-1 >/dev/null
	sum=$(dbq 'SELECT count(*) FROM audit')
	run taxid-db restore b.db operator=op-2
	assert_success
	replaced=$(jfield .replaced)
	[ "$replaced" = "$TAXID_DB.replaced-20261125T080000Z" ]
	[ "$(stat -c %a "$replaced")" = 600 ]
	[ "$(sqlite3 "$replaced" 'SELECT count(*) FROM audit')" = "$sum" ] # the db_backup row was in it
	[ "$(dbq "SELECT actor FROM audit WHERE action = 'db_restore'")" = op-2 ]
	[ "$(stat -c %a "$TAXID_DB")" = 600 ]
	[ ! -e "$TAXID_DB-wal" ] || [ ! -s "$TAXID_DB-wal" ]
	ls | grep -q '\.restore\.' && return 1
	run taxid-verify audit
	assert_success
	# a second restore keeps the first replaced file and names another
	run taxid-db restore b.db operator=op-2 force:=true
	assert_success
	[ "$(jfield .replaced)" = "$TAXID_DB.replaced-20261125T080000Z-2" ]
	[ -e "$replaced" ]
}

@test "restore refuses a corrupt copy and a copy made with another key file, and leaves the database as it was" {
	skip_on_pg "backup and restore copy SQLite files; on PostgreSQL they refuse and name the server's tools (the last test)"
	seed_db
	taxid-db backup good.db operator=op-1 >/dev/null
	cp good.db bad.db
	page=$(sqlite3 bad.db "SELECT rootpage FROM sqlite_master WHERE name = 'person'")
	size=$(sqlite3 bad.db 'PRAGMA page_size')
	printf '\x0d\xff\xff\xff\xff\xff\xff\xff' | dd of=bad.db bs=1 seek=$(((page - 1) * size)) conv=notrunc 2>/dev/null
	before=$(sha256sum "$TAXID_DB")
	run --separate-stderr taxid-db restore bad.db operator=op-1 force:=true
	assert_failure 1
	[ "$(jfield .error.code)" = backup_invalid ]
	[ "$(jfield .error.check)" = integrity ]
	[ "$(sha256sum "$TAXID_DB")" = "$before" ]
	# a database of its own key file, backed up: another key check value
	mkdir other
	TAXID_DB=$PWD/other/o.db seed_db
	TAXID_DB=$PWD/other/o.db taxid-db backup other.db operator=op-1 >/dev/null
	run --separate-stderr taxid-db restore other.db operator=op-1 force:=true
	assert_failure 1
	[ "$(jfield .error.code)" = backup_invalid ]
	[ "$(jfield .error.check)" = key ]
	[ "$(sha256sum "$TAXID_DB")" = "$before" ]
	# a copy whose audit chain was edited
	cp good.db forged.db
	sqlite3 forged.db "DROP TRIGGER audit_no_update; UPDATE audit SET actor = 'nobody' WHERE id = 1"
	run --separate-stderr taxid-db restore forged.db operator=op-1 force:=true
	assert_failure 1
	[ "$(jfield .error.check)" = audit ]
	# not a database at all
	echo hello >text.db
	run --separate-stderr taxid-db restore text.db operator=op-1 force:=true
	assert_failure 1
	[ "$(jfield .error.code)" = backup_invalid ]
	[ "$(sha256sum "$TAXID_DB")" = "$before" ]
	[ -z "$(ls | grep -E '\.restore\.|replaced')" ]
}

@test "rolling back a lock counter with an old backup needs an operator and force, and the restored chain says who" {
	skip_on_pg "backup and restore copy SQLite files; on PostgreSQL they refuse and name the server's tools (the last test)"
	seed_db
	taxid-db backup before-lock.db operator=op-1 >/dev/null
	# a wrong password counts towards the account's lock
	login=$(dbq 'SELECT login_name FROM account LIMIT 1')
	taxid-login account="$login" password='Wrong!pass1' >/dev/null || true
	failures() { taxid-lockout status account="$login" | jq -r '.scopes[] | select(.scope == "password") | .failures'; }
	[ "$(failures)" = 1 ]
	dbq 'SELECT count(*) FROM audit' >audit_rows
	head=$(taxid-verify audit --head | jq -r '"\(.id):\(.hash)"')
	# who may roll it back: not someone without an operator, not silently
	run taxid-db restore before-lock.db
	assert_failure 1
	[ "$(jfield .error.code)" = operator_required ]
	run taxid-db restore before-lock.db operator=op-9
	assert_failure 1
	[ "$(jfield .error.code)" = target_newer ]
	[ "$(jfield .error.target_head)" = "$head" ]
	# with force it happens, and the restored chain records it with the head that was dropped
	run taxid-db restore before-lock.db operator=op-9 force:=true
	assert_success
	replaced=$(jfield .replaced)
	row=$(dbq_json "SELECT actor, detail FROM audit WHERE action = 'db_restore'")
	[ "$(jq -r '.[0].actor' <<<"$row")" = op-9 ]
	[ "$(jq -r '.[0].detail | fromjson | .target_head' <<<"$row")" = "$head" ]
	[ "$(jq -r '.[0].detail | fromjson | .force' <<<"$row")" = true ]
	# the rolled-back history is kept: the replaced file still holds every row
	[ "$(sqlite3 "$replaced" 'SELECT count(*) FROM audit')" = "$(cat audit_rows)" ]
	TAXID_KEYFILE=$TAXID_KEY run taxid-verify --db "$replaced" audit --anchor "$head"
	assert_success
	[ "$(failures)" = 0 ] # what the restore rolled back
}

# finding CHECK: the severity of the first finding of CHECK in $output
finding() { jq -rs --arg c "$1" 'map(select(.check == $c))[0].severity' <<<"$output"; }

@test "doctor is clean on a fresh database: every check ok, exit 0" {
	seed_db
	run taxid-db doctor
	assert_success
	# on PostgreSQL the database's files, integrity and WAL are the server's: one "engine" finding says so
	checks="file_mode key_mode schema integrity audit wal settings issuers outbox"
	[ "$(db_engine)" = sqlite ] || checks="key_mode engine audit settings issuers outbox"
	for c in $checks; do
		[ "$(finding "$c")" = ok ] || { echo "$c: $output"; return 1; }
	done
	[ "$(jq -rs 'map(select(.severity != "ok")) | length' <<<"$output")" = 0 ]
	# and it changed nothing
	before=$(db_dump | sha256sum)
	taxid-db doctor >/dev/null
	[ "$(db_dump | sha256sum)" = "$before" ]
}

@test "doctor finds a database or key file open to others" {
	skip_on_pg "the SQLite file's mode"
	seed_db
	chmod 644 "$TAXID_DB"
	run taxid-db doctor
	assert_failure 1
	[ "$(finding file_mode)" = error ]
	[ "$(jq -rs 'last | .error.code' <<<"$output")" = unhealthy ]
	chmod 600 "$TAXID_DB"
	chmod 640 "$TAXID_KEY"
	run taxid-db doctor
	assert_failure 1
	[ "$(finding key_mode)" = error ]
}

@test "doctor finds a tampered audit row, and an anchor that is not in the chain" {
	seed_db
	head=$(taxid-verify audit --head | jq -r '"\(.id):\(.hash)"')
	run taxid-db doctor --anchor "$head"
	assert_success
	[ "$(finding audit_anchor)" = ok ]
	run taxid-db doctor --anchor "1:$(printf '%064d' 0)"
	assert_failure 1
	[ "$(finding audit_anchor)" = error ]
	# the import's one row (its batch's)
	if [ "$(db_engine)" = pg ]; then dbq "DROP TRIGGER audit_no_update ON audit"; else dbq "DROP TRIGGER audit_no_update"; fi
	dbq "UPDATE audit SET actor = 'mallory' WHERE id = 1"
	run taxid-db doctor
	assert_failure 1
	[ "$(finding audit)" = error ]
}

@test "doctor finds an out-of-range setting written with sqlite3, and an unknown one" {
	seed_db
	dbq "INSERT INTO setting(key, value) VALUES ('sms.max_attempts', '1000')"
	run taxid-db doctor
	assert_failure 1
	[ "$(finding settings)" = error ]
	jq -s -e 'map(select(.check == "settings"))[0] | .key == "sms.max_attempts" and .max == 10' <<<"$output"
	dbq "UPDATE setting SET value = '3' WHERE key = 'sms.max_attempts';
		INSERT INTO setting(key, value) VALUES ('no.such.key', '1')"
	run taxid-db doctor
	assert_success
	[ "$(finding settings)" = warning ]
}

@test "doctor warns of an issuer key older than a year and of an outbox message pending over an hour" {
	seed_db
	keygen old
	trust old captcha
	run taxid-db doctor
	assert_success
	[ "$(finding issuers)" = ok ]
	dbq "UPDATE issuer SET added_at = '2025-11-01T00:00:00Z' WHERE name = 'old'"
	now=$(date -u -d "$TAXID_NOW" +%s)
	dbq "INSERT INTO outbox(channel, to_enc, body_enc, created_at) VALUES ('sms', zeroblob(1), zeroblob(1), $((now - 7200)))"
	run taxid-db doctor
	assert_success # warnings only
	[ "$(finding issuers)" = warning ]
	jq -s -e 'map(select(.check == "issuers"))[0].issuer == "old"' <<<"$output"
	[ "$(finding outbox)" = warning ]
	jq -s -e 'map(select(.check == "outbox"))[0].pending == 1' <<<"$output"
}

@test "doctor: a corrupt file is an integrity error, a missing one an error" {
	skip_on_pg "a damaged SQLite file"
	seed_db
	db_checkpoint
	page=$(dbq "SELECT rootpage FROM sqlite_master WHERE name = 'person'")
	size=$(dbq 'PRAGMA page_size')
	printf '\x0d\xff\xff\xff\xff\xff\xff\xff' | dd of="$TAXID_DB" bs=1 seek=$(((page - 1) * size)) conv=notrunc 2>/dev/null
	run taxid-db doctor
	assert_failure 1
	[ "$(finding integrity)" = error ]
	run taxid-db --db nowhere.db doctor
	assert_failure 1
	[ "$(finding file_mode)" = error ]
}

@test "completion: taxid-db actions, files as the FILE of backup and restore, and the taxid aliases" {
	load completion-helper
	touch monday.db
	run comp taxid-db ''
	assert_line backup
	assert_line restore
	assert_line doctor
	run comp taxid-db backup mon
	assert_line monday.db
	run comp taxid-db restore ''
	assert_line monday.db
	assert_line operator=
	run comp taxid-db doctor --
	assert_line --anchor
	run comp taxid ''
	assert_line backup
	assert_line doctor
	run comp taxid restore mon
	assert_line monday.db
	run comp taxid doctor --
	assert_line --anchor
	run bash -c '. "$BASH_COMP" && complete -p taxid-db'
	assert_output 'complete -F _taxid taxid-db'
	command -v zsh >/dev/null || return 0
	run zcomp taxid-db backup ''
	assert_line FILES
	assert_line operator=
	run zcomp taxid backup ''
	assert_line FILES
	run zcomp taxid doctor --
	assert_line --anchor
}

@test "on PostgreSQL backup and restore refuse and name the server's tools; doctor checks what is taxid's" {
	[ "$(db_engine)" = pg ] || skip "a PostgreSQL database"
	seed_db
	run --separate-stderr taxid-db backup b.db operator=op-1
	assert_failure 64
	[[ $stderr == *"pg_dump"* ]]
	[ ! -e b.db ]
	run --separate-stderr taxid-db restore b.db operator=op-1
	assert_failure 64
	[[ $stderr == *"pg_restore"* ]]
	run taxid-db doctor
	assert_success
	[ "$(finding engine)" = ok ]
	[ "$(finding audit)" = ok ]
	refute_output --partial '"check":"file_mode"'
}
