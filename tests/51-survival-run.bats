#!/usr/bin/env bats
# taxid-survival run at scale: restartable after SIGKILL, notices at least once, progress on stderr.
load helper

# gen N MONTH: N retirees of region 110105 as enrolment NDJSON (resident IDs with their check characters), each
# last certified on a day of MONTH.
gen() {
	awk -v n="$1" -v last="$2" 'BEGIN {
		split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " "); cc = "10X98765432"
		for (i = 0; i < n; i++) {
			day = i % 28 + 1; mon = int(i / 28) % 12 + 1; yr = 1940 + int(i / 336) % 20; seq = int(i / 6720) % 1000
			body = sprintf("110105%04d%02d%02d%03d", yr, mon, day, seq)
			s = 0
			for (k = 1; k <= 17; k++) s += substr(body, k, 1) * w[k]
			printf "{\"kind\":\"retiree\",\"doc_type\":\"201\",\"doc_no\":\"%s%s\",\"name\":\"测试%d\",\"pension_account\":\"A%d\",", body, substr(cc, s % 11 + 1, 1), i, i
			printf "\"region\":\"110105\",\"insurance_type\":\"enterprise\",\"benefit_start\":\"2010-01\",\"last_certified\":\"%s-%02d\"}\n", last, day
		}
	}'
}

# dump DB: the survival state and the audit chain, canonically ordered.
dump() {
	sqlite3 "$1" 'SELECT * FROM pensioner ORDER BY id; SELECT * FROM survival_event ORDER BY id;
		SELECT * FROM survival_notice ORDER BY id; SELECT * FROM survival_cert ORDER BY id; SELECT * FROM survival_run;
		SELECT * FROM survival_ledger ORDER BY pensioner_id, month;
		SELECT id, at, action, actor, subject, detail, hex(prev), hex(hash) FROM audit ORDER BY id;
		SELECT value FROM meta WHERE key = '"'audit_head'"
}

@test "a run killed with SIGKILL mid-way finishes on the rerun with the same final state as an uninterrupted run" {
	gen 20000 2025-06 | taxid-survival enroll - 'operator:={"id":"op-test","role":"specialist"}' >enrolled.ndjson
	[ "$(grep -c '"ok":true' enrolled.ndjson)" = 20000 ]
	sqlite3 "$TAXID_DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	for x in a b; do
		cp "$TAXID_DB" $x.db
		cp "$TAXID_DB.key" $x.db.key
	done
	TAXID_DB=a.db taxid-survival run --as-of 2026-11-25 --batch 100 >a.out
	[ "$(tail -n 1 a.out | jq -c '[.processed, .suspended]')" = '[20000,20000]' ]

	TAXID_DB=b.db taxid-survival run --as-of 2026-11-25 --batch 100 >b1.out 2>/dev/null &
	pid=$!
	for _ in $(seq 1 3000); do
		n=$(sqlite3 b.db 'SELECT processed FROM survival_run' 2>/dev/null || true)
		[ "${n:-0}" -gt 0 ] && break
		sleep 0.01
	done
	kill -KILL "$pid"
	wait "$pid" || true
	state=$(sqlite3 b.db "SELECT state || ' ' || processed FROM survival_run")
	echo "killed at: $state" >&3
	[[ $state == running* ]]
	[ "${state#running }" -lt 20000 ]

	TAXID_DB=b.db run taxid-survival run --as-of 2026-11-25 --batch 100
	assert_success
	[ "$(tail -n 1 <<<"$output" | jq -c '[.processed, .suspended, .already_done]')" = '[20000,20000,false]' ]
	printf '%s\n' "$output" >b2.out
	[ "$(dump a.db | sha256sum)" = "$(dump b.db | sha256sum)" ]
	# every notice was printed at least once over the two attempts, none lost
	[ "$(cat b1.out b2.out | jq -R -r 'fromjson? | .notice_id // empty' | sort -un | wc -l)" = 20000 ]
	# and a third run changes nothing
	TAXID_DB=b.db run taxid-survival run --as-of 2026-11-25
	[ "$(jfield .already_done)" = true ]
	[ "$(dump a.db | sha256sum)" = "$(dump b.db | sha256sum)" ]
	TAXID_DB=b.db run taxid-verify audit
	[ "$(jfield .chain)" = intact ]
}

@test "the run reports progress on stderr with --progress, and not without it when stderr is not a terminal" {
	gen 1200 2025-11 | taxid-survival enroll - 'operator:={"id":"op-test","role":"specialist"}' >/dev/null
	run --separate-stderr taxid-survival run --as-of 2026-11-25 --progress
	assert_success
	[[ $stderr == *"taxid-survival: "*"records"* ]]
	[ "$(tail -n 1 <<<"$output" | jq -r .processed)" = 1200 ]
	# (a run may not be dated after today, issue 13: the clock moves on to that day)
	run --separate-stderr taxid-survival --now 2026-11-26T08:00:00Z run --as-of 2026-11-26
	assert_success
	[ -z "$stderr" ]
}

@test "two runs of the same date at once share the work and agree" {
	gen 3000 2025-06 | taxid-survival enroll - 'operator:={"id":"op-test","role":"specialist"}' >/dev/null
	taxid-survival run --as-of 2026-11-25 --batch 50 >one.out &
	taxid-survival run --as-of 2026-11-25 --batch 50 >two.out &
	wait
	[ "$(sqlite3 "$TAXID_DB" "SELECT state, processed, suspended FROM survival_run")" = 'done|3000|3000' ]
	[ "$(sqlite3 "$TAXID_DB" "SELECT count(*), count(DISTINCT pensioner_id) FROM survival_event WHERE kind = 'lapse'")" = '3000|3000' ]
	[ "$(cat one.out two.out | jq -r '.notice_id // empty' | sort -un | wc -l)" = 3000 ]
}
