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
	TAXID_DB=$1 dbq 'SELECT * FROM pensioner ORDER BY id; SELECT * FROM survival_event ORDER BY id;
		SELECT * FROM survival_notice ORDER BY id; SELECT * FROM survival_cert ORDER BY id; SELECT * FROM survival_run;
		SELECT * FROM survival_ledger ORDER BY pensioner_id, month;
		SELECT id, at, action, actor, subject, detail, hex(prev), hex(hash) FROM audit ORDER BY id;
		SELECT value FROM meta WHERE key = '"'audit_head'"
}

@test "a run killed with SIGKILL mid-way finishes on the rerun with the same final state as an uninterrupted run" {
	skip_on_pg "compares a killed-and-rerun database with an uninterrupted one row for row, ids included, and PostgreSQL's sequences do not give back the ids a killed transaction took (the four killed workers below compare without ids)"
	gen 20000 2025-06 | taxid-survival enroll - 'operator:={"id":"op-test","role":"specialist"}' >enrolled.ndjson
	[ "$(grep -c '"ok":true' enrolled.ndjson)" = 20000 ]
	db_checkpoint
	for x in a b; do
		db_copy $x
	done
	TAXID_DB=$(db_path a) taxid-survival run --as-of 2026-11-25 --batch 100 >a.out
	[ "$(tail -n 1 a.out | jq -c '[.processed, .suspended]')" = '[20000,20000]' ]

	TAXID_DB=$(db_path b) taxid-survival run --as-of 2026-11-25 --batch 100 >b1.out 2>/dev/null &
	pid=$!
	for _ in $(seq 1 3000); do
		n=$(TAXID_DB=$(db_path b) dbq 'SELECT processed FROM survival_run' 2>/dev/null || true)
		[ "${n:-0}" -gt 0 ] && break
		sleep 0.01
	done
	kill -KILL "$pid"
	wait "$pid" || true
	state=$(TAXID_DB=$(db_path b) dbq "SELECT state || ' ' || processed FROM survival_run")
	echo "killed at: $state" >&3
	[[ $state == running* ]]
	[ "${state#running }" -lt 20000 ]

	TAXID_DB=$(db_path b) run taxid-survival run --as-of 2026-11-25 --batch 100
	assert_success
	[ "$(tail -n 1 <<<"$output" | jq -c '[.processed, .suspended, .already_done]')" = '[20000,20000,false]' ]
	printf '%s\n' "$output" >b2.out
	[ "$(dump "$(db_path a)" | sha256sum)" = "$(dump "$(db_path b)" | sha256sum)" ]
	# every notice was printed at least once over the two attempts, none lost
	[ "$(cat b1.out b2.out | jq -R -r 'fromjson? | .notice_id // empty' | sort -un | wc -l)" = 20000 ]
	# and a third run changes nothing
	TAXID_DB=$(db_path b) run taxid-survival run --as-of 2026-11-25
	[ "$(jfield .already_done)" = true ]
	[ "$(dump "$(db_path a)" | sha256sum)" = "$(dump "$(db_path b)" | sha256sum)" ]
	TAXID_DB=$(db_path b) run taxid-verify audit
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
	[ "$(dbq "SELECT state, processed, suspended FROM survival_run")" = 'done|3000|3000' ]
	[ "$(dbq "SELECT count(*), count(DISTINCT pensioner_id) FROM survival_event WHERE kind = 'lapse'")" = '3000|3000' ]
	[ "$(cat one.out two.out | jq -r '.notice_id // empty' | sort -un | wc -l)" = 3000 ]
}

# genr N: N retirees spread over regions of four provinces (11, 12, 13, 31), their prefectures and counties and
# 110000 itself; one in three lapsed (suspended by a run on 2026-11-25), one in three due within 30 days (reminded),
# the others not yet due (and those certified on the 26th to 28th not within 30 days either).
genr() {
	gen "$1" 2025-06 | jq -c -n '["110000", "110105", "110108", "110229", "120000", "120101", "130102", "130200",
		"310101", "310115"] as $reg | ["2025-06", "2025-12", "2026-05"] as $last |
		foreach inputs as $p (-1; . + 1; . as $i |
			$p + {region: $reg[$i % 10], last_certified: ($last[($i / 10 | floor) % 3] + $p.last_certified[7:])})'
}

# outcome DB: what a run leaves, without row ids and without the runs' own bookkeeping (cursors, audit rows):
# pensioner states, events, notices (printed or not), the payment ledger.
outcome() {
	TAXID_DB=$1 dbq "SELECT id, region, state, reason, since_month, owed_from, valid_until, lapse_on FROM pensioner ORDER BY id;
		SELECT pensioner_id, kind, on_date, month, payment, detail, actor, created_at FROM survival_event
			ORDER BY pensioner_id, kind, on_date, month, detail;
		SELECT pensioner_id, kind, key, run, body, created_at, emitted_at IS NOT NULL FROM survival_notice
			ORDER BY pensioner_id, kind, key;
		SELECT pensioner_id, month, state, reason FROM survival_ledger ORDER BY pensioner_id, month;"
}

@test "run --region: the four provinces run one after the other end where one whole run ends; a whole run after them changes nothing" {
	genr 600 | taxid-survival enroll - 'operator:={"id":"op-test","role":"specialist"}' >enrolled.ndjson
	[ "$(grep -c '"ok":true' enrolled.ndjson)" = 600 ]
	for x in whole parts; do
		db_copy $x
	done
	TAXID_DB=$(db_path whole) run taxid-survival run --as-of 2026-11-25 --batch 7
	assert_success
	[ "$(tail -n 1 <<<"$output" | jq -c '[.region, .processed, .suspended, .reminders]')" = '[null,378,200,178]' ]
	[ "$(grep -c '"notice"' <<<"$output")" = 378 ]
	total=0
	for p in 11 12 13 31; do
		TAXID_DB=$(db_path parts) run taxid-survival run --as-of 2026-11-25 --region $p --batch 7
		assert_success
		last=$(tail -n 1 <<<"$output")
		[ "$(jq -r .region <<<"$last")" = $p ]
		# each notice printed belongs to the part
		[ "$(jq -r 'select(.notice) | .region[0:2]' <<<"$output" | sort -u)" = $p ]
		total=$((total + $(jq .processed <<<"$last")))
	done
	[ $total = 378 ]
	[ "$(outcome "$(db_path whole)")" = "$(outcome "$(db_path parts)")" ]
	[ "$(TAXID_DB=$(db_path parts) dbq "SELECT region, state FROM survival_run ORDER BY region" | tr '\n' ' ')" = '11|done 12|done 13|done 31|done ' ]
	# the whole run of the same day still does everything: here nothing is left to do, no notice twice
	TAXID_DB=$(db_path parts) run taxid-survival run --as-of 2026-11-25
	assert_success
	[ "$(jq -c '[.processed, .suspended, .reminders, .already_done]' <<<"$output")" = '[178,0,0,false]' ]
	[ "$(outcome "$(db_path whole)")" = "$(outcome "$(db_path parts)")" ]
	# and a part again is already done
	TAXID_DB=$(db_path parts) run taxid-survival run --as-of 2026-11-25 --region 12
	[ "$(jq -c '[.region, .already_done]' <<<"$output")" = '["12",true]' ]
	TAXID_DB=$(db_path parts) run taxid-verify audit
	[ "$(jfield .chain)" = intact ]
}

@test "run --region: four workers on four provinces at once, killed with SIGKILL at random and restarted, end as one uninterrupted run" {
	genr 4000 | taxid-survival enroll - 'operator:={"id":"op-test","role":"specialist"}' >/dev/null
	db_checkpoint
	for x in one w; do
		db_copy $x
	done
	TAXID_DB=$(db_path one) taxid-survival run --as-of 2026-11-25 >one.out

	regions=(11 12 13 31)
	declare -A pid
	start() { TAXID_DB=$(db_path w) taxid-survival run --as-of 2026-11-25 --region "$1" --batch 2 >>"w.$1.out" 2>>"w.$1.err" & pid[$1]=$!; }
	for p in "${regions[@]}"; do start "$p"; done
	kills=0
	# while any worker runs: kill one of those running at a random moment, and start it again (twelve times at most)
	while [ $kills -lt 12 ]; do
		alive=()
		for p in "${regions[@]}"; do
			if kill -0 "${pid[$p]}" 2>/dev/null; then alive+=("$p"); fi
		done
		[ ${#alive[@]} -gt 0 ] || break
		p=${alive[RANDOM % ${#alive[@]}]}
		sleep "0.0$((RANDOM % 6))"
		if kill -KILL "${pid[$p]}" 2>/dev/null; then
			kills=$((kills + 1))
		fi
		wait "${pid[$p]}" || true
		start "$p"
	done
	for p in "${regions[@]}"; do
		wait "${pid[$p]}"
	done
	echo "killed $kills times" >&3
	[ "$kills" -gt 0 ]
	[ "$(TAXID_DB=$(db_path w) dbq "SELECT region, state FROM survival_run ORDER BY region" | tr '\n' ' ')" = '11|done 12|done 13|done 31|done ' ]
	[ "$(outcome "$(db_path one)")" = "$(outcome "$(db_path w)")" ]
	# every notice was printed at least once by the worker of its province, each under its id
	n=$(TAXID_DB=$(db_path w) dbq "SELECT count(*) FROM survival_notice")
	[ "$(cat w.*.out | jq -R -r 'fromjson? | .notice_id // empty' | sort -un | wc -l)" = "$n" ]
	for p in "${regions[@]}"; do
		[ "$(jq -R -r 'fromjson? | select(.notice) | .region[0:2]' "w.$p.out" | sort -u)" = "$p" ]
	done
	TAXID_DB=$(db_path w) run taxid-verify audit
	[ "$(jfield .chain)" = intact ]
}

@test "run --region: a prefix is 2, 4 or 6 digits; 110000 is that one code, 11 the province; 12 is never touched by 11" {
	genr 10 | taxid-survival enroll - 'operator:={"id":"op-test","role":"specialist"}' >/dev/null
	# the first ten are all lapsed, one in each region
	suspended() { dbq "SELECT group_concat(region, ' ') FROM (SELECT region FROM pensioner WHERE state = 'suspended' ORDER BY region) AS s"; }
	db_copy fresh
	run taxid-survival run --as-of 2026-11-25 --region 110105
	assert_success
	[ "$(suspended)" = 110105 ]
	run taxid-survival run --as-of 2026-11-25 --region 1101
	[ "$(tail -n 1 <<<"$output" | jq -c '[.region, .processed, .suspended]')" = '["1101",1,1]' ]
	[ "$(suspended)" = '110105 110108' ]
	run taxid-survival run --as-of 2026-11-25 --region 11
	[ "$(tail -n 1 <<<"$output" | jq -c '[.region, .processed, .suspended]')" = '["11",2,2]' ]
	[ "$(suspended)" = '110000 110105 110108 110229' ]
	[ "$(dbq "SELECT state FROM pensioner WHERE region LIKE '12%'" | sort -u)" = active ]
	# 110000 as a six-digit code is that region only, not the province
	TAXID_DB=$(db_path fresh) run taxid-survival run --as-of 2026-11-25 --region 110000
	[ "$(tail -n 1 <<<"$output" | jq -c '[.region, .processed, .suspended]')" = '["110000",1,1]' ]
	[ "$(TAXID_DB=$(db_path fresh) suspended)" = 110000 ]
	# the top of a range: 31 takes 310101 and 310115, and nothing of 32 or above
	TAXID_DB=$(db_path fresh) run taxid-survival run --as-of 2026-11-25 --region 31
	[ "$(TAXID_DB=$(db_path fresh) suspended)" = '110000 310101 310115' ]
}

@test "run --region: a region that is not a 2, 4 or 6-digit prefix of a mainland province is refused and changes nothing" {
	genr 10 | taxid-survival enroll - 'operator:={"id":"op-test","role":"specialist"}' >/dev/null
	before=$(outcome "$TAXID_DB")
	for bad in 1 110 11010 1101051 10 99 00 1a 11x1 '' ' 11' 11.0; do
		run taxid-survival run --as-of 2026-11-25 --region "$bad"
		assert_failure 1
		[ "$(jq -c '[.error.code, .error.field]' <<<"$output")" = '["bad_value","region"]' ]
	done
	run taxid-survival run as_of=2026-11-25 region:=11
	assert_failure
	[ "$(jfield .error.code)" = bad_value ] || [ "$(jfield .error.code)" = bad_type ]
	[ "$(outcome "$TAXID_DB")" = "$before" ]
	[ "$(dbq 'SELECT count(*) FROM survival_run')" = 0 ]
}
