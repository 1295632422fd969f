#!/usr/bin/env bats
# Faults (issue 7): SIGKILL at seeded random points during imports, survival runs and streams of logins (and
# grants, once taxid-bind exists); a full disk; and every bad database or key file condition.
#
# After each kill: PRAGMA integrity_check is ok, the audit chain verifies, the state is that of an uninterrupted
# run of some prefix of the input (no half-applied request), and rerunning reaches exactly the state of an
# uninterrupted run (a canonical dump of the tables, random columns left out).
#
# The kill points come from bash's RANDOM seeded with TAXID_FAULT_SEED (default 7007); TAXID_FAULT_TRIALS
# (default 50) trials per target. A failure prints the seed, the trial and the delay: rerun with the same seed
# to replay the same delays (a delay is a time, so the instruction it lands on can still differ by a little).
load helper

SEED=${TAXID_FAULT_SEED:-7007}
TRIALS=${TAXID_FAULT_TRIALS:-50}

# ---- common ----

# sleep_ms MS
sleep_ms() { sleep "$(($1 / 1000)).$(printf '%03d' $(($1 % 1000)))"; }

# now_ms: a monotonic-enough clock in milliseconds.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# killed DELAY_MS IN OUT CMD...: start CMD reading IN, SIGKILL it after DELAY_MS; sets KILLED=1 when the signal
# found it still running.
killed() {
	local d=$1 in=$2 out=$3
	shift 3
	rm -f killed.pid
	# in a subshell whose stderr is closed, so that the shell's "Killed" notice stays out of the test output
	("$@" <"$in" >"$out" 2>/dev/null &
		echo $! >killed.pid
		wait) 2>/dev/null &
	local sub=$!
	sleep_ms "$d"
	until [ -s killed.pid ]; do sleep 0.001; done
	KILLED=0
	kill -KILL "$(cat killed.pid)" 2>/dev/null && KILLED=1
	wait "$sub" || true
}

# sound DB: the file is sound and its audit chain verifies.
sound() {
	local ic v
	ic=$(sqlite3 "$1" 'PRAGMA integrity_check') || return 1
	[ "$ic" = ok ] || { echo "integrity_check: $ic" >&2; return 1; }
	v=$(taxid-verify --db "$1" audit) || { echo "audit: $v" >&2; return 1; }
	[ "$(jq -r .chain <<<"$v")" = intact ] || { echo "audit: $v" >&2; return 1; }
}

# fresh NAME FROM: copy a checkpointed database and its key file to NAME.db.
fresh() {
	rm -f "$1.db" "$1.db-wal" "$1.db-shm"
	cp "$2" "$1.db"
	cp -p "$2.key" "$1.db.key"
}

# trial_fail MSG: say which seed, trial and delay failed, and fail.
trial_fail() {
	echo "FAILED: $1 (TAXID_FAULT_SEED=$SEED trial $TRIAL delay ${DELAY}ms)" >&2
	return 1
}

# ---- taxid-register import ----

import_dump() {
	sqlite3 "$1" 'SELECT id, state, abnormal_reason, level, nationality, birth_date, sex, region, photo_ref,
			created_at, updated_at, length(name_enc) > 28 FROM person ORDER BY id;
		SELECT id, person_id, doc_type, hex(no_index), length(no_enc) > 28, expires_on, paired_with, created_at
			FROM document ORDER BY id;
		SELECT id, person_id, login_name, hex(phone_index), length(phone_enc) > 28, password_hash, peppered,
			must_change, initial_expires_at, region, consent, created_at, renamed_at FROM account ORDER BY id;
		SELECT id, at, tool, action, actor, subject, detail, hex(prev), hex(hash) FROM audit ORDER BY id;
		SELECT value FROM meta WHERE key = '"'audit_head'"
}

@test "SIGKILL during taxid-register import: sound, a committed prefix, and the rerun reaches the uninterrupted state" {
	skip_on_pg "compares a killed-and-rerun database with an uninterrupted one row for row, ids included, and PostgreSQL's sequences do not give back the ids a killed transaction took (51-survival-run's four killed workers run there)"
	n=600
	taxid-register fixture --count "$n" --seed 70 --password 'Fault#Pass70' >in.ndjson
	# an empty database bound to its key, checkpointed, copied for every trial
	taxid-verify sms outbox >/dev/null
	db_checkpoint
	fresh ref "$TAXID_DB"
	t0=$(now_ms)
	taxid-register import --db ref.db --batch-size 8 <in.ndjson >/dev/null
	span=$(($(now_ms) - t0 + 10))
	full=$(import_dump ref.db)
	[ "$(sqlite3 ref.db 'SELECT count(*) FROM person')" = "$n" ]
	mkdir prefix
	RANDOM=$SEED
	mid=0
	for TRIAL in $(seq 1 "$TRIALS"); do
		DELAY=$((RANDOM % span))
		fresh k "$TAXID_DB"
		killed "$DELAY" in.ndjson k.out taxid-register import --db k.db --batch-size 8
		sound k.db || trial_fail "unsound after the kill"
		# the state is exactly an uninterrupted import of the first p records
		p=$(sqlite3 k.db 'SELECT count(*) FROM person')
		if [ ! -f "prefix/$p" ]; then
			fresh p "$TAXID_DB"
			# from a file, as the killed run read it: a pipe that runs dry commits a batch early, and each batch's
			# audit row names the persons it created
			head -n "$p" in.ndjson >prefix.in
			taxid-register import --db p.db --batch-size 8 <prefix.in >/dev/null || [ "$p" = 0 ]
			import_dump p.db >"prefix/$p"
		fi
		[ "$(import_dump k.db)" = "$(cat "prefix/$p")" ] || trial_fail "the killed state is not a prefix of $p records"
		[ "$p" -gt 0 ] && [ "$p" -lt "$n" ] && mid=$((mid + 1))
		# the same input again completes it, to exactly the uninterrupted state
		taxid-register import --db k.db --batch-size 8 <in.ndjson >k2.out || trial_fail "the rerun failed"
		[ "$(jq -r .status k2.out | sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd,)" = \
			"$( { [ "$p" -lt "$n" ] && echo "created=$((n - p))"; [ "$p" -gt 0 ] && echo "unchanged=$p"; } | sort | paste -sd,)" ] ||
			trial_fail "the rerun's statuses are not created/unchanged as expected after $p"
		[ "$(import_dump k.db)" = "$full" ] || trial_fail "the rerun did not reach the uninterrupted state"
		sound k.db || trial_fail "unsound after the rerun"
	done
	echo "# import: $TRIALS kills, $mid left a partial import (seed $SEED)" >&3
	[ "$mid" -gt 0 ]
}

# ---- taxid-survival run ----

# gen N: N retirees of region 110105, each last certified in 2025-06, so that the run of 2026-11-25 suspends all.
gen() {
	awk -v n="$1" 'BEGIN {
		split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " "); cc = "10X98765432"
		for (i = 0; i < n; i++) {
			day = i % 28 + 1; mon = int(i / 28) % 12 + 1; yr = 1940 + int(i / 336) % 20
			body = sprintf("110105%04d%02d%02d%03d", yr, mon, day, 100 + i % 800)
			s = 0
			for (k = 1; k <= 17; k++) s += substr(body, k, 1) * w[k]
			printf "{\"kind\":\"retiree\",\"doc_type\":\"201\",\"doc_no\":\"%s%s\",\"name\":\"测试%d\",\"pension_account\":\"A%d\",", body, substr(cc, s % 11 + 1, 1), i, i
			printf "\"region\":\"110105\",\"insurance_type\":\"enterprise\",\"benefit_start\":\"2010-01\",\"last_certified\":\"2025-06-%02d\"}\n", day
		}
	}'
}

survival_dump() {
	sqlite3 "$1" 'SELECT id, person_id, doc_id, kind, relation, insured_person_id, length(account_enc) > 28, region,
			insurance_type, benefit_start, unable_to_work, early_retirement, state, reason, since_month, owed_months,
			owed_from, anchor, last_certified, valid_until, lapse_on, ends_on, face_failures, card_state, duplicate,
			enrolled_at, updated_at FROM pensioner ORDER BY id;
		SELECT * FROM survival_event ORDER BY id; SELECT * FROM survival_notice ORDER BY id;
		SELECT * FROM survival_cert ORDER BY id; SELECT * FROM survival_run;
		SELECT * FROM survival_ledger ORDER BY pensioner_id, month;
		SELECT id, at, tool, action, actor, subject, detail, hex(prev), hex(hash) FROM audit ORDER BY id;
		SELECT value FROM meta WHERE key = '"'audit_head'"
}

# batches_whole DB: every batch the run committed is whole: the lapse events, the suspended pensioners, the
# suspension notices, the pensioners the run's audit rows list and the run's own counter are the same set.
batches_whole() {
	local ev st no au ru
	ev=$(sqlite3 "$1" "SELECT group_concat(pensioner_id) FROM (SELECT pensioner_id FROM survival_event WHERE kind = 'lapse' ORDER BY 1)")
	st=$(sqlite3 "$1" "SELECT group_concat(id) FROM (SELECT id FROM pensioner WHERE state = 'suspended' ORDER BY 1)")
	no=$(sqlite3 "$1" "SELECT group_concat(pensioner_id) FROM (SELECT pensioner_id FROM survival_notice WHERE kind = 'suspension' ORDER BY 1)")
	au=$(sqlite3 "$1" "SELECT group_concat(p) FROM (SELECT json_extract(j.value, '\$[0]') AS p FROM audit,
		json_each(audit.detail, '\$.suspended') AS j WHERE audit.action = 'survival.run' ORDER BY 1)")
	ru=$(sqlite3 "$1" 'SELECT suspended FROM survival_run')
	[ "$ev" = "$st" ] && [ "$ev" = "$no" ] && [ "$ev" = "$au" ] || {
		printf 'events %s\nsuspended %s\nnotices %s\naudit %s\n' "$ev" "$st" "$no" "$au" >&2
		return 1
	}
	local n=0
	[ -z "$ev" ] || n=$(tr ',' '\n' <<<"$ev" | wc -l)
	[ "${ru:-0}" = "$n" ] || { echo "run counter ${ru:-none}, $n suspended" >&2; return 1; }
}

@test "SIGKILL during taxid-survival run: sound, whole batches, and the rerun reaches the uninterrupted state" {
	skip_on_pg "compares a killed-and-rerun database with an uninterrupted one row for row, ids included, and PostgreSQL's sequences do not give back the ids a killed transaction took (51-survival-run's four killed workers run there)"
	n=1000
	gen "$n" | taxid-survival enroll - 'operator:={"id":"op-test","role":"specialist"}' >enrolled.ndjson
	[ "$(grep -c '"ok":true' enrolled.ndjson)" = "$n" ]
	db_checkpoint
	fresh ref "$TAXID_DB"
	t0=$(now_ms)
	taxid-survival run --db ref.db --as-of 2026-11-25 --batch 10 >ref.out
	span=$(($(now_ms) - t0 + 10))
	[ "$(tail -n 1 ref.out | jq -c '[.processed, .suspended]')" = "[$n,$n]" ]
	full=$(survival_dump ref.db)
	RANDOM=$((SEED + 1))
	mid=0
	for TRIAL in $(seq 1 "$TRIALS"); do
		DELAY=$((RANDOM % span))
		fresh k "$TAXID_DB"
		killed "$DELAY" /dev/null k1.out taxid-survival run --db k.db --as-of 2026-11-25 --batch 10
		sound k.db || trial_fail "unsound after the kill"
		batches_whole k.db || trial_fail "a half-applied batch after the kill"
		state=$(sqlite3 k.db 'SELECT state || ":" || processed FROM survival_run')
		[[ $state == running:* ]] && mid=$((mid + 1))
		taxid-survival run --db k.db --as-of 2026-11-25 --batch 10 </dev/null >k2.out || trial_fail "the rerun failed"
		[ "$(tail -n 1 k2.out | jq -c '[.processed, .suspended]')" = "[$n,$n]" ] || trial_fail "rerun summary: $(tail -n 1 k2.out)"
		[ "$(survival_dump k.db)" = "$full" ] || trial_fail "the rerun did not reach the uninterrupted state (killed at $state)"
		# every notice was printed at least once over the two attempts
		[ "$(cat k1.out k2.out | jq -R -r 'fromjson? | .notice_id // empty' | sort -un | wc -l)" = "$n" ] ||
			trial_fail "a notice was lost (killed at $state)"
		sound k.db || trial_fail "unsound after the rerun"
	done
	echo "# survival run: $TRIALS kills, $mid left a running batch (seed $SEED)" >&3
	[ "$mid" -gt 0 ]
}

# ---- a stream of logins ----

login_dump() {
	sqlite3 "$1" 'SELECT id, login_name, peppered, must_change, initial_expires_at, renamed_at FROM account ORDER BY id;
		SELECT id, account_id, kind, created_at, last_seen_at, expires_at, revoked_at, scope FROM session ORDER BY id;
		SELECT * FROM lock_counter ORDER BY scope, subject; SELECT issuer, nonce, expires_at FROM used_nonce ORDER BY 1, 2;
		SELECT id, purpose, subject, created_at, expires_at, attempts, max_attempts, state FROM challenge ORDER BY id;
		SELECT id, at, tool, action, actor, subject, detail, hex(prev), hex(hash) FROM audit ORDER BY id;
		SELECT value FROM meta WHERE key = '"'audit_head'"
}

@test "SIGKILL during a stream of logins: sound, a whole number of requests applied, resuming reaches the uninterrupted state" {
	skip_on_pg "compares a killed-and-rerun database with an uninterrupted one row for row, ids included, and PostgreSQL's sequences do not give back the ids a killed transaction took (51-survival-run's four killed workers run there)"
	account wang_wu 'Right#Pass1' 13800138000 11010519491231002X
	account li_si 'Right#Pass2' 13900139000 110105195001010039
	dbq "INSERT INTO setting(key, value) VALUES ('login.password_only', '1')"
	keygen cap
	trust cap captcha
	# 14 attempts: good and bad passwords, an unknown account, li_si locked by five failures then refused;
	# every attempt carries a fresh captcha verdict, as a captcha-solving front end would attach
	n=0
	while read -r acct pw; do
		jq -nc --arg a "$acct" --arg p "$pw" --argjson c "$(verdict cap captcha "$acct")" --arg r "r$n" \
			'{ref:$r, account:$a, password:$p, captcha:$c}'
		n=$((n + 1))
	done >in.ndjson <<-'EOF'
		wang_wu Right#Pass1
		wang_wu Wrong#Pass1
		li_si Wrong#Pass2
		nobody_here Wrong#Pass3
		wang_wu Right#Pass1
		li_si Wrong#Pass2
		li_si Wrong#Pass2
		li_si Wrong#Pass2
		li_si Wrong#Pass2
		li_si Right#Pass2
		wang_wu Wrong#Pass1
		nobody_here Wrong#Pass3
		13800138000 Right#Pass1
		wang_wu Right#Pass1
	EOF
	[ "$n" = 14 ]
	db_checkpoint
	# the state after each prefix of k attempts, from uninterrupted runs
	for k in $(seq 0 "$n"); do
		fresh p "$TAXID_DB"
		[ "$k" = 0 ] || head -n "$k" in.ndjson | taxid-login --db p.db >"p$k.out" || true
		login_dump p.db >"prefix.$k"
	done
	# li_si ends locked, and the stream saw sessions and refusals
	codes=$(jq -r '.error.code // "ok"' "p$n.out" | sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd,)
	[ "$codes" = 'bad_credentials=8,locked=2,ok=4' ]
	fresh ref "$TAXID_DB"
	t0=$(now_ms)
	taxid-login --db ref.db <in.ndjson >/dev/null || true
	span=$(($(now_ms) - t0 + 10))
	cmp <(login_dump ref.db) "prefix.$n"
	RANDOM=$((SEED + 2))
	mid=0
	for TRIAL in $(seq 1 "$TRIALS"); do
		DELAY=$((RANDOM % span))
		fresh k "$TAXID_DB"
		killed "$DELAY" in.ndjson k1.out taxid-login --db k.db
		sound k.db || trial_fail "unsound after the kill"
		login_dump k.db >k.dump
		applied= # the longest prefix with that state (a refusal that changes nothing leaves the state as it was)
		for j in $(seq "$n" -1 0); do
			if cmp -s k.dump "prefix.$j"; then
				applied=$j
				break
			fi
		done
		[ -n "$applied" ] || trial_fail "the killed state is no prefix of the stream: a half-applied request"
		cmp -s k.dump prefix.0 || cmp -s k.dump "prefix.$n" || mid=$((mid + 1))
		# every printed result is of an applied request
		[ "$(wc -l <k1.out)" -le "$applied" ] || trial_fail "$(wc -l <k1.out) results printed, $applied applied"
		tail -n +"$((applied + 1))" in.ndjson | taxid-login --db k.db >k2.out || true
		cmp -s <(login_dump k.db) "prefix.$n" || trial_fail "resuming after $applied did not reach the uninterrupted state"
		sound k.db || trial_fail "unsound after resuming"
	done
	echo "# logins: $TRIALS kills, $mid left a partial stream (seed $SEED)" >&3
	[ "$mid" -gt 0 ]
}

# ---- a stream of grants ----

# canon_dump DB: every table in a canonical order, every column but the random ones: encrypted values (fresh
# nonces) become whether they are there, keyed hashes of random tokens and salted hashes are left out, blobs in hex.
canon_sql() {
	local t cols
	for t in $(sqlite3 "$1" "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"); do
		cols=$(sqlite3 "$1" "SELECT group_concat(CASE
				WHEN name LIKE '%\\_enc' ESCAPE '\\' THEN 'length(' || name || ') > 0'
				WHEN name IN ('token_hash', 'secret_hash', 'password_hash', 'declpw_hash') THEN NULL
				WHEN type = 'BLOB' THEN 'hex(' || name || ')' ELSE name END, ', ')
			FROM pragma_table_info('$t')")
		echo "SELECT '== $t'; SELECT $cols FROM $t ORDER BY 1, 2;"
	done
}
canon_dump() { sqlite3 "$1" "$CANON_SQL"; }

@test "SIGKILL during a stream of grants: sound, a whole number of requests applied, resuming reaches the uninterrupted state" {
	skip_on_pg "compares a killed-and-rerun database with an uninterrupted one row for row, ids included, and PostgreSQL's sequences do not give back the ids a killed transaction took (51-survival-run's four killed workers run there)"
	command -v taxid-bind >/dev/null || skip "taxid-bind is not built"
	pw='Secr3t!pass'
	hash=$(phc "$pw")
	jq -nc --arg h "$hash" '{doc_type:"201", doc_no:"110105198001010016", name:"王法人", login_name:"wang_rep",
		phone:"13800138001", password_hash:$h, face_verified:true}' | taxid-register import >/dev/null
	taxid-register fixture --count 8 --seed 74 --password "$pw" | taxid-register import >/dev/null
	taxid-bind enterprise add tin=91310115MA27Y4U47J name=上海测试有限公司 \
		legal_rep:='{"doc_type":"201","doc_no":"110105198001010016","name":"王法人"}' operator=op1 >/dev/null
	R=$(login_sms wang_rep "$pw" 13800138001 | jq -r .session.token)
	[ "${#R}" -eq 43 ]
	mapfile -t logins < <(dbq "SELECT login_name FROM account WHERE login_name != 'wang_rep' ORDER BY id")
	[ "${#logins[@]}" -eq 8 ]
	# 13 grants that change something (each person a tax handler, half an invoice clerk too), each after 20 that
	# are refused (a repeat, unknown persons, bad roles), so that the changes are spread over a longer stream
	echo "${logins[0]} tax_handler" >grants.txt
	for i in 0 1 2 3 4 5 6 7; do
		for role in tax_handler invoice_clerk; do
			[ "$i$role" != 0tax_handler ] || continue
			[ "$role" = tax_handler ] || [ $((i % 2)) = 0 ] || [ "$i" = 3 ] || continue
			for _ in 1 2 3 4; do
				printf '%s\n' "${logins[0]} tax_handler" "nobody_at_all tax_handler" "${logins[1]} emperor" \
					"nobody_at_all invoice_clerk" "${logins[3]} king"
			done
			echo "${logins[$i]} $role"
		done
	done >>grants.txt
	n=0
	while read -r l role; do
		jq -nc --arg s "$R" --arg l "$l" --arg r "$role" --arg ref "g$n" \
			'{ref:$ref, session:$s, tin:"91310115MA27Y4U47J", role:$r, login_name:$l}'
		n=$((n + 1))
	done <grants.txt >in.ndjson
	[ "$n" = 253 ]
	db_checkpoint
	CANON_SQL=$(canon_sql "$TAXID_DB")
	[[ $CANON_SQL == *"length(rep_enc) > 0"* && $CANON_SQL != *token_hash* && $CANON_SQL == *"hex(no_index)"* ]]
	# the state after each prefix: the stream applied one request per process, the dump hashed after each; a
	# state maps to the longest prefix that has it (a refusal changes nothing)
	declare -A prefix
	fresh p "$TAXID_DB"
	h0=$(canon_dump p.db | sha256sum | cut -c1-64)
	prefix[$h0]=0
	k=0
	while IFS= read -r line; do
		k=$((k + 1))
		printf '%s\n' "$line" | taxid-bind --db p.db grant >>p.out || true
		h=$(canon_dump p.db | sha256sum | cut -c1-64)
		prefix[$h]=$k
	done <in.ndjson
	codes=$(jq -r '.error.code // "ok"' p.out | sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd,)
	[ "$codes" = 'bad_value=96,not_found=96,ok=13,relation_exists=48' ]
	[ "$(sqlite3 p.db "SELECT count(*) FROM relation WHERE state = 'pending'")" = 13 ]
	[ "${#prefix[@]}" = 14 ] # the empty state and one per grant
	# one process for the whole stream reaches the same state
	fresh ref "$TAXID_DB"
	t0=$(now_ms)
	taxid-bind --db ref.db grant <in.ndjson >/dev/null || true
	span=$(($(now_ms) - t0 + 10))
	[ "$(canon_dump ref.db | sha256sum | cut -c1-64)" = "$h" ]
	RANDOM=$((SEED + 3))
	mid=0
	for TRIAL in $(seq 1 "$TRIALS"); do
		DELAY=$((RANDOM % span))
		fresh k "$TAXID_DB"
		killed "$DELAY" in.ndjson k1.out taxid-bind --db k.db grant
		sound k.db || trial_fail "unsound after the kill"
		hk=$(canon_dump k.db | sha256sum | cut -c1-64)
		applied=${prefix[$hk]:-}
		[ -n "$applied" ] || trial_fail "the killed state is no prefix of the stream: a half-applied request"
		[ "$hk" = "$h0" ] || [ "$hk" = "$h" ] || mid=$((mid + 1))
		[ "$(wc -l <k1.out)" -le "$applied" ] || trial_fail "$(wc -l <k1.out) results printed, $applied applied"
		tail -n +"$((applied + 1))" in.ndjson | taxid-bind --db k.db grant >k2.out || true
		[ "$(canon_dump k.db | sha256sum | cut -c1-64)" = "$h" ] ||
			trial_fail "resuming after $applied did not reach the uninterrupted state"
		sound k.db || trial_fail "unsound after resuming"
	done
	echo "# grants: $TRIALS kills in ${span}ms, $mid left a partial stream (seed $SEED)" >&3
	[ "$mid" -gt 0 ]
}

# ---- a full disk ----

local_teardown() {
	if mountpoint -q "$BATS_TEST_TMPDIR/mnt" 2>/dev/null; then
		umount "$BATS_TEST_TMPDIR/mnt"
	fi
}

# full_then_whole DB OUT: after a run stopped by a full disk, the results printed are exactly the records
# committed; the file is sound; and the same input completes it once there is room.
full_then_whole() {
	local db=$1 out=$2
	sound "$db"
	[ "$(sqlite3 "$db" 'SELECT count(*) FROM account')" = "$(($(grep -c '"ok":true' "$out") + 10))" ]
	taxid-register import --db "$db" <big.ndjson >again.out
	[ "$(sqlite3 "$db" 'SELECT count(*) FROM account')" = 2010 ]
	sound "$db"
}

@test "a file size limit (ulimit -f) stops an import with a clear message and exit 74; the database stays sound" {
	skip_on_pg "a file size limit binds the tool writing a SQLite file, not a server"
	taxid-register fixture --count 2000 --seed 71 --password 'Fault#Pass71' >big.ndjson
	taxid-register fixture --count 10 --seed 72 --password 'Fault#Pass72' | taxid-register import >/dev/null
	db_checkpoint
	# SIGXFSZ ignored, so that a write past the limit fails with EFBIG instead of killing the process
	run --separate-stderr bash -c 'trap "" XFSZ; ulimit -f 400; exec taxid-register import <big.ndjson'
	assert_failure 74
	[[ $stderr == *"cannot write '$TAXID_DB'"* ]]
	[[ $stderr == *"disk I/O error"* ]]
	printf '%s\n' "$output" >full.out
	[ "$(wc -l <full.out)" -lt 2000 ]
	full_then_whole "$TAXID_DB" full.out
}

@test "a full file system stops an import with 'database or disk is full' and exit 74; the database stays sound" {
	skip_on_pg "a full tmpfs under a SQLite file"
	mkdir mnt
	mount -t tmpfs -o size=640k,mode=0700 tmpfs mnt 2>/dev/null || skip "cannot mount a tmpfs here"
	taxid-register fixture --count 2000 --seed 71 --password 'Fault#Pass71' >big.ndjson
	taxid-register fixture --count 10 --seed 72 --password 'Fault#Pass72' | taxid-register import --db mnt/f.db >/dev/null
	run --separate-stderr taxid-register import --db mnt/f.db <big.ndjson
	assert_failure 74
	[[ $stderr == *"cannot write 'mnt/f.db': database or disk is full"* ]]
	# the batch whose commit failed is named as such, not as results that could not be written
	[[ $stderr =~ "the last "[0-9]+" requests were not committed (io_error: input/output error)" ]]
	[[ $stderr != *"cannot write results"* ]]
	printf '%s\n' "$output" >full.out
	[ "$(wc -l <full.out)" -lt 2000 ]
	sound mnt/f.db
	# a survival enrolment and a login on the full disk: the same, and still sound
	run --separate-stderr bash -c 'taxid-register fixture --count 300 --seed 73 | jq -c "{kind:\"retiree\", doc_type, doc_no, name,
		pension_account:\"P1\", region:\"110105\", insurance_type:\"enterprise\", benefit_start:\"2010-01\"}" |
		taxid-survival enroll --db mnt/f.db - "operator:={\"id\":\"op-test\",\"role\":\"specialist\"}"'
	assert_failure 74
	[[ $stderr == *"database or disk is full"* ]]
	[ "$(grep -c '"ok":true' <<<"$output")" = "$(sqlite3 mnt/f.db 'SELECT count(*) FROM pensioner')" ]
	# the failed request's result is its error alone: nothing it would have made is described
	# a failed request's result, if one was printed, is its error alone
	[ -z "$(jq -c 'select(.ok | not) | select(.error.code != "io_error" or (keys - ["ok", "error", "line", "ref"]) != [])' <<<"$output")" ]
	sound mnt/f.db
	# with room again (the disk made bigger), the same input completes
	mount -o remount,size=8m mnt
	full_then_whole mnt/f.db full.out
}

@test "a first write on a full file system exits 74 and a later run on a disk with room still works" {
	skip_on_pg "a full tmpfs under a SQLite file"
	mkdir mnt
	mount -t tmpfs -o size=2m,mode=0700 tmpfs mnt 2>/dev/null || skip "cannot mount a tmpfs here"
	dd if=/dev/zero of=mnt/filler bs=1k count=4096 2>/dev/null || true
	run --separate-stderr taxid-verify --db mnt/n.db sms send phone=13800138000 purpose=register
	assert_failure 74
	[[ $stderr == *"database or disk is full"* ]]
	assert_output ''
	rm mnt/filler
	run taxid-verify --db mnt/n.db sms send phone=13800138000 purpose=register
	assert_success
	sound mnt/n.db
	# full again but for 36 KiB (room for the -shm, not for the -wal): the request fails as it writes, and its
	# result describes no challenge, since none was kept
	dd if=/dev/zero of=mnt/filler bs=1k count=4096 2>/dev/null || true
	truncate -s -36K mnt/filler
	run --separate-stderr taxid-verify --db mnt/n.db sms send phone=13900139000 purpose=register
	assert_failure 74
	[[ $stderr == *"database or disk is full"* ]]
	json_eq '{"ok":false,"error":{"code":"io_error","message":"input/output error"}}' "$output"
	rm mnt/filler
	sound mnt/n.db
	[ "$(sqlite3 mnt/n.db 'SELECT count(*) FROM challenge')" = 1 ]
}

@test "results that cannot be written (stdout on a full device) exit 74 with a message" {
	run --separate-stderr bash -c 'taxid-verify doc_type=201 doc_no=11010519491231002X >/dev/full'
	assert_failure 74
	[[ $stderr == *"cannot write results"* ]]
	run --separate-stderr bash -c 'taxid-register fixture --count 5 | taxid-register import >/dev/full'
	assert_failure 74
	[[ $stderr == *"cannot write results"* ]]
}

# ---- bad database and key files, for every tool that writes ----

M_DOC=110105195001010039
M_PHONE=13912345678
M_PW='Marker#Pw1x'
M_HASH='$argon2id$v=19$m=19456,t=2,p=1$c2FsdC1tYXJrZXItMDEyMzQ1Njc4OQ$i2ZJ5ec0mE16t4jMI7HFHMczGVX6y0lTp1D6S4eijLE' # the marker password, by the argon2 CLI

unprivileged() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --inh-caps=-dac_override,-dac_read_search,-fowner \
			--bounding-set=-dac_override,-dac_read_search,-fowner "$@"
	else
		"$@"
	fi
}

# writers: one request with marker personal data and secrets for each tool that writes, as "name<TAB>command".
# The register code goes before the login's: an open code waits for any code sent to the phone in the last 60 s,
# a holder's code only for holder codes (SECURITY rule 27), and they all run at the same pinned instant.
writers() {
	cat <<-EOF
		import	jq -nc '{doc_type:"201", doc_no:"$M_DOC", name:"标记人", login_name:"marker_login", phone:"$M_PHONE", password_hash:"$M_HASH"}' | taxid-register import
		sms	taxid-verify sms send phone=$M_PHONE purpose=register
		login	taxid-login account=$M_PHONE password='$M_PW'
		enroll	jq -nc '{kind:"retiree", doc_type:"201", doc_no:"$M_DOC", name:"标记人", pension_account:"$M_PHONE", region:"110105", insurance_type:"enterprise", benefit_start:"2010-01", operator:{id:"op-test", role:"specialist"}}' | taxid-survival enroll
		lockout	taxid-lockout policy set operator=op-test scope=sms threshold:=4
	EOF
}

# files_state: every file in the directory with its mode and digest; a -wal and -shm that SQLite may make on
# opening count only by their content, and an empty -wal as none.
files_state() {
	find . -maxdepth 2 -type f ! -name '*.out' ! -name '*.err' ! -name '*-shm' ! -name '*-wal' -printf '%p %m\n' |
		sort | while read -r f m; do echo "$f $m $(sha256sum <"$f" | cut -c1-16)"; done
	find . -maxdepth 2 -name '*-wal' -size +0 -printf '%p\n'
}

# refused CONDITION STATUS PATTERN [unprivileged]: every writer is refused with STATUS and a message matching
# PATTERN, and leaves every file as it was and no marker anywhere.
refused() {
	local cond=$1 want=$2 pat=$3 priv=${4:-}
	local before name cmd
	before=$(files_state)
	while IFS=$'\t' read -r name cmd; do
		local rc=0
		if [ -n "$priv" ]; then
			unprivileged bash -c "$cmd" >"$name.out" 2>"$name.err" || rc=$?
		else
			bash -c "$cmd" >"$name.out" 2>"$name.err" || rc=$?
		fi
		[ "$rc" = "$want" ] || { echo "$cond: $name exited $rc, not $want: $(cat "$name.err")" >&2; return 1; }
		grep -Eq "$pat" "$name.err" || { echo "$cond: $name said: $(cat "$name.err")" >&2; return 1; }
		# nothing on stdout, but for an I/O error met by a request: its io_error result
		[ ! -s "$name.out" ] || { [ "$want" = 74 ] && [ -z "$(jq -c 'select(.ok or .error.code != "io_error")' "$name.out")" ]; } ||
			{ echo "$cond: $name printed: $(cat "$name.out")" >&2; return 1; }
	done < <(writers)
	[ "$(files_state)" = "$before" ] || { diff <(echo "$before") <(files_state) >&2; return 1; }
	! grep -rlaF -e "$M_DOC" -e "$M_PHONE" -e "$M_PW" -e "${M_PW#Marker}" . || { echo "$cond: marker in clear" >&2; return 1; }
}

# a bound database with one account, checkpointed (no -wal left), as every condition's starting point
base_db() {
	account zhang_san 'Right#Pass1' 13800138000 11010519491231002X
	[ "$(db_engine)" = pg ] ||
		dbq 'PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE; PRAGMA journal_mode = WAL' >/dev/null
	rm -f "$TAXID_DB-wal" "$TAXID_DB-shm"
}

@test "every writing tool's marker request succeeds on a sound database and leaves no marker in clear" {
	base_db
	while IFS=$'\t' read -r name cmd; do
		run --separate-stderr bash -c "$cmd"
		[ "$status" = 0 ] || { echo "$name: $status $output $stderr" >&2; false; }
		printf '%s\n' "$output" >"$name.out"
		printf '%s\n' "$stderr" >"$name.err"
	done < <(writers)
	[ "$(dbq "SELECT count(*) FROM account WHERE login_name = 'marker_login'")" = 1 ]
	[ "$(jq -r .login_tx login.out | wc -c)" -gt 20 ]
	! grep -rlaF -e "$M_DOC" -e "$M_PHONE" -e "$M_PW" -e "${M_PW#Marker}" .
}

@test "every writing tool: a database in a missing directory exits 66 and creates nothing" {
	skip_on_pg "a SQLite file in a missing directory"
	export TAXID_DB="$BATS_TEST_TMPDIR/no/such/dir/t.db"
	refused "missing directory" 66 "cannot create '$TAXID_DB': No such file or directory"
	[ ! -e no ]
}

@test "every writing tool: a read-only database exits 74, says read-only and changes nothing" {
	skip_on_pg "a read-only SQLite file"
	command -v setpriv >/dev/null || skip "setpriv is needed to drop root's override"
	base_db
	chmod 400 "$TAXID_DB"
	refused "read-only database" 74 "'$TAXID_DB'.*(readonly|read-only)" unprivileged
}

@test "every writing tool: a missing key file exits 69 and no key is made" {
	base_db
	rm "$TAXID_KEY"
	refused "missing key file" 69 "cannot read key file '$TAXID_KEY': No such file"
	[ ! -e "$TAXID_KEY" ]
}

@test "every writing tool: an unreadable key file exits 69" {
	skip_on_pg "an unprivileged user, who cannot reach the test cluster's socket"
	command -v setpriv >/dev/null || skip "setpriv is needed to drop root's override"
	base_db
	chmod 000 "$TAXID_KEY"
	refused "unreadable key file" 69 "cannot read key file '$TAXID_KEY': Permission denied" unprivileged
}

@test "every writing tool: the key file of another database exits 69" {
	base_db
	env $(db_env other) taxid-verify sms outbox >/dev/null
	cp -p other.db.key "$TAXID_KEY"
	rm -f other.db*
	# (a URI's query, after "?", is left out of the pattern: it is no regular expression)
	refused "wrong key" 69 "key file '$TAXID_KEY' does not belong to '${TAXID_DB%%\?*}"
}

@test "every writing tool: a world- or group-writable database or key file exits 69" {
	skip_on_pg "the SQLite file's mode"
	base_db
	for m in 602 620 666; do
		chmod "$m" "$TAXID_DB"
		refused "database $m" 69 "refusing '$TAXID_DB': readable or writable by group or others"
	done
	chmod 600 "$TAXID_DB"
	for m in 602 620 606; do
		chmod "$m" "$TAXID_KEY"
		refused "key file $m" 69 "refusing key file '$TAXID_KEY': readable or writable by group or others"
	done
}

@test "every writing tool: a database of a newer schema exits 78 and is not touched" {
	skip_on_pg "SQLite's PRAGMA user_version"
	base_db
	v=$(dbq 'PRAGMA user_version')
	dbq "PRAGMA user_version = $((v + 1))"
	refused "newer schema" 78 "has schema version $((v + 1)), newer than this program's $v"
}
