#!/usr/bin/env bats
# 82-examples: the operator scripts of examples/ run against a real database and do what they say: the
# survival run's exception list as CSV (mailed or kept in the outbox), the nightly unlock report, the CI
# fixture step. They are shellcheck clean.
load helper

EX="$TAXID_ROOT/examples"

# ric BODY17: a resident ID number with its check character.
# enrol NAME DOC LAST_CERTIFIED: enrol a retiree of region 110105.
enrol() {
	jq -nc --arg n "$1" --arg d "$2" --arg l "$3" \
		'{kind:"retiree", doc_type:"201", doc_no:$d, name:$n, pension_account:"P-1", region:"110105",
		  insurance_type:"enterprise", benefit_start:"2010-01", last_certified:$l, operator:{id:"op-test", role:"specialist"}}' | taxid-survival enroll >/dev/null
}

@test "the examples are shellcheck clean and executable" {
	local f n=0
	for f in "$EX"/*.sh; do
		n=$((n + 1))
		[ -x "$f" ] || { echo "not executable: $f"; return 1; }
	done
	[ "$n" -ge 3 ]
	run shellcheck -s bash "$EX"/*.sh
	assert_success
}

@test "survival-annual: runs the batch and writes the exceptions as CSV to the outbox" {
	enrol 甲 "$(ric 11010519500101001)" 2025-06-10 # lapsed in June: suspended
	enrol 乙 "$(ric 11010519500101002)" 2025-11-20 # lapses 2026-11-21: suspended by the run
	enrol 丙 "$(ric 11010519500101003)" 2026-01-10 # fine
	run --separate-stderr "$EX/survival-annual.sh" 2026-11-25
	assert_success
	[ "$(jfield .as_of)" = 2026-11-25 ]
	[ "$(jfield .run.state)" = done ]
	[ "$(jfield .exceptions)" = 2 ]
	[ "$(jfield .mailed_to)" = null ]
	local csv
	csv=$(jfield .csv)
	[ "$csv" = ./outbox/survival-exceptions-2026-11-25.csv ]
	[ -f "$csv" ]
	run cat "$csv"
	assert_line --index 0 '"status","region","doc_type","doc_no","name","valid_until","lapses_on","days_left","suspended_from","reason"'
	# issue 13: suspended from December, the first month not yet paid on the run's day (not July: the pension was
	# in payment until the run, and 甲 was enrolled only on 2026-11-25)
	assert_line --index 1 --regexp '^"suspended","110105","resident_id","110105\*{8}[0-9X]{4}","[^"]*","2026-06-10","2026-06-11",-168,"2026-12","lapse"$'
	[ "${#lines[@]}" -eq 3 ]
	# every row parses back as CSV with 10 fields, masked unless asked
	run python3 -c 'import csv,sys; rows=list(csv.reader(open(sys.argv[1]))); assert all(len(r)==10 for r in rows); print(rows[1][3])' "$csv"
	assert_success
	assert_output --regexp '^110105\*{8}[0-9X]{4}$'
	# a rerun of the same day changes nothing and says so
	run --separate-stderr "$EX/survival-annual.sh" 2026-11-25
	assert_success
	[ "$(jfield .run.already_done)" = true ]
	[ "$(jfield .exceptions)" = 2 ]
}

@test "survival-annual: mails the CSV with mail(1) when a recipient is set; leaves a message when mail is missing" {
	enrol 甲 "$(ric 11010519500101001)" 2025-06-10
	mkdir -p fakebin
	cat >fakebin/mail <<'EOF'
#!/bin/sh
{ echo "ARGS: $*"; cat; } >"$MAILBOX"
EOF
	chmod +x fakebin/mail
	run --separate-stderr env PATH="$PWD/fakebin:$PATH" MAILBOX="$PWD/mailbox" SURVIVAL_MAIL_TO=desk@example.org \
		SURVIVAL_OUTBOX="$PWD/out" SURVIVAL_REVEAL=1 TAXID_OPERATOR=op-test "$EX/survival-annual.sh" 2026-11-25
	assert_success
	[ "$(jfield .mailed_to)" = desk@example.org ]
	run cat mailbox
	assert_line 'ARGS: -s taxid survival run 2026-11-25: 1 exceptions desk@example.org'
	assert_line --partial '"status","region"'
	assert_line --partial "\"$(ric 11010519500101001)\",\"甲\""
	# the reveal is audited
	[ "$(dbq "SELECT count(*) FROM audit WHERE action = 'reveal'")" -ge 1 ]
	# no mail(1) on PATH: a ready-to-send message in the outbox
	mkdir -p nomail
	local t
	for t in taxid-survival jq mktemp rm mkdir mv wc date cat tail bash; do ln -sf "$(command -v "$t")" nomail/; done
	# (a run may not be dated after today, issue 13: the clock moves on to that day)
	run --separate-stderr env PATH="$PWD/nomail" SURVIVAL_MAIL_TO=desk@example.org SURVIVAL_OUTBOX="$PWD/out2" \
		TAXID_NOW=2026-11-26T08:00:00Z "$EX/survival-annual.sh" 2026-11-26
	assert_success
	[ "$(jfield .mailed_to)" = null ]
	run cat out2/survival-exceptions-2026-11-26.eml
	assert_line 'To: desk@example.org'
	assert_line 'Subject: taxid survival run 2026-11-26: 1 exceptions'
}

@test "unlock-report: who is locked now, then the unlock with who and why on the next night" {
	keygen cap
	trust cap captcha
	account zhang_san 'Secr3t!pass'
	local i t
	for i in 1 2 3 4 5; do
		t=$(at "$i")
		taxid-login --now "$t" account=zhang_san password=Wrong-pass1 \
			captcha:="$(TAXID_NOW=$t verdict cap captcha zhang_san)" >/dev/null || true
	done
	run --separate-stderr env TAXID_NOW="$(at 10)" "$EX/unlock-report.sh"
	assert_success
	assert_line 'locked now: 1'
	assert_line --regexp '^  zhang_san	password	locked 2026-11-25T08:05:00Z until '
	assert_line 'locks in the period: 1'
	assert_line 'unlocks in the period: 0'
	taxid-lockout --now "$(at 60)" clear account=zhang_san reason='owner called' operator=op-7 >/dev/null
	# the next run: no longer locked, but the unlock is reported
	run --separate-stderr env TAXID_NOW="$(at 600)" REPORT_FORMAT=json "$EX/unlock-report.sh"
	assert_success
	[ "$(jfield '.locked_now | length')" = 0 ]
	[ "$(jq -c '.unlocks' <<<"$output")" = '[{"account":"zhang_san","at":"2026-11-25T09:00:00Z","by":"op-7","reason":"owner called"}]' ]
	[ "$(jfield '.locks | length')" = 1 ]
	# two days later nothing happened in the period: the account is dropped from the watch list
	run --separate-stderr env TAXID_NOW="$(at 3000)" "$EX/unlock-report.sh"
	assert_line 'unlocks in the period: 0'
	[ ! -s unlock-report.accounts ]
	run "$EX/unlock-report.sh" x
	assert_failure 64
}

@test "ci-fixture: N people with a known password; enterprises when taxid-bind is there; same seed, same people" {
	unset TAXID_DB
	run --separate-stderr env TAXID_DB=a.db FIXTURE_OUT=people.ndjson "$EX/ci-fixture.sh" 30 3
	assert_success
	[ "$(jfield .people)" = 30 ]
	[ "$(jfield .imported)" = 30 ]
	if [ -x "$TAXID_BIN/taxid-bind" ]; then
		[ "$(jfield .enterprises_imported)" = 3 ]
	else
		[ "$(jfield .enterprises)" = null ]
	fi
	[ "$(wc -l <people.ndjson)" -eq 30 ]
	# a test logs in as one of them with the fixture password
	local login pw
	login=$(jq -r 'select(.login_name) | .login_name' people.ndjson | head -n 1)
	pw=$(head -n 1 people.ndjson | jq -r .password)
	run env TAXID_DB=a.db taxid-login account="$login" password="$pw"
	assert_success
	# the same seed gives the same people
	env TAXID_DB=b.db FIXTURE_OUT=again.ndjson "$EX/ci-fixture.sh" 30 3 >/dev/null
	cmp people.ndjson again.ndjson
	# an existing database is refused
	run --separate-stderr env TAXID_DB=a.db "$EX/ci-fixture.sh" 5
	assert_failure 73
}
