#!/usr/bin/env bats
# 85-systemd: the example systemd units of examples/systemd (issue 18 item 4) pass 'systemd-analyze verify', are
# hardened, and their ExecStart= command lines, run as systemd would run them against a database in a scratch
# /var/lib/taxid, do what the units say: the monthly survival run writes its notices and its exception list, the
# outbox drain spools the SMS codes and the fingerprint reports.
load helper

SD="$TAXID_ROOT/examples/systemd"

local_setup() {
	R=$BATS_TEST_TMPDIR/root # stands for / in the units' paths
	mkdir -p "$R/var/lib/taxid" "$R/etc/taxid"
	export R
}

# unit_env UNIT: the unit's Environment= assignments, one NAME=VALUE a line, its /var/lib/taxid and /etc/taxid
# moved under $R.
unit_env() {
	sed -nE 's/^Environment=//p' "$1" | sed -E "s#(=|^)/(var/lib/taxid|etc/taxid)#\\1$R/\\2#"
}

# unit_script UNIT: the shell script of the unit's 'ExecStart=/bin/sh -c '...'', as systemd hands it to sh:
# continuation lines joined, "$$" and "%%" unescaped.
unit_script() {
	awk '/^ExecStart=/ { on = 1 } on { line = line $0; if (!sub(/\\$/, " ", line)) { print line; exit } }' "$1" |
		sed -E "s/^ExecStart=\/bin\/sh -c '//; s/'\$//; s/\\\$\\\$/\$/g; s/%%/%/g"
}

# unit_run UNIT: run the unit's ExecStart= script with its environment (on top of the test's clock) and UMask.
unit_run() {
	local env=()
	mapfile -t env < <(unit_env "$1")
	(umask 077 && env "${env[@]}" sh -c "$(unit_script "$1")")
}

# enrol NAME DOC LAST_CERTIFIED [EMPLOYER]: enrol a retiree of region 110105.
enrol() {
	jq -nc --arg n "$1" --arg d "$2" --arg l "$3" --arg e "${4:-}" \
		'{kind:"retiree", doc_type:"201", doc_no:$d, name:$n, pension_account:"P-1", region:"110105",
		  insurance_type:"enterprise", benefit_start:"2010-01", last_certified:$l,
		  operator:{id:"sp-07", role:"specialist"}} + (if $e == "" then {} else {employer:$e} end)' |
		taxid-survival enroll >/dev/null
}

@test "systemd-analyze verify accepts every unit, and their Documentation= pages are the project's" {
	local units=("$SD"/*.service "$SD"/*.timer) m s
	[ "${#units[@]}" -eq 4 ]
	# man:PAGE(N) links are checked with man(1): give it the project's pages, as installed
	for m in "$TAXID_ROOT"/man/*.[157]; do
		s=${m##*.}
		mkdir -p "$BATS_TEST_TMPDIR/man/man$s"
		ln -s "$m" "$BATS_TEST_TMPDIR/man/man$s/"
	done
	run env MANPATH="$BATS_TEST_TMPDIR/man" systemd-analyze verify "${units[@]}"
	assert_success
	# it warns (and still succeeds) about an unknown key or a bad value: none of that
	assert_output ''
	# and it does fail on a unit that is wrong
	printf '[Timer]\nOnCalendar=*-*-45 02:00\n' >"$BATS_TEST_TMPDIR/bad.timer"
	run systemd-analyze verify --man=no "$BATS_TEST_TMPDIR/bad.timer"
	assert_failure
}

@test "the services are hardened, run as taxid and write only under /var/lib/taxid; each timer starts its service" {
	local svc line
	for svc in "$SD"/*.service; do
		for line in Type=oneshot User=taxid Group=taxid ProtectSystem=strict ReadWritePaths=/var/lib/taxid \
			NoNewPrivileges=yes PrivateTmp=yes ProtectHome=yes PrivateNetwork=yes UMask=0077 CapabilityBoundingSet= \
			Environment=TAXID_DB=/var/lib/taxid/taxid.db Environment=TAXID_KEYFILE=/etc/taxid/taxid.db.key \
			ConditionPathExists=/var/lib/taxid/taxid.db; do
			grep -qxF -- "$line" "$svc" || { echo "$(basename "$svc"): no $line"; return 1; }
		done
		grep -qE '^Environment=TAXID_OPERATOR=[a-z-]+$' "$svc"
		grep -qE '^ExecStart=/bin/sh -c ' "$svc"
		# systemd's exposure score: 0 is best, 10 worst; these score "SAFE" (below 2)
		run systemd-analyze security --offline=yes "$svc"
		assert_success
		assert_output --regexp "Overall exposure level for $(basename "$svc"): [01]\.[0-9] SAFE"
	done
	grep -qxF Unit=taxid-survival-run.service "$SD/taxid-survival-run.timer"
	grep -qxF 'OnCalendar=*-*-25 02:00:00 Asia/Shanghai' "$SD/taxid-survival-run.timer"
	grep -qxF Persistent=yes "$SD/taxid-survival-run.timer"
	grep -qxF Unit=taxid-outbox-drain.service "$SD/taxid-outbox-drain.timer"
	grep -qxF WantedBy=timers.target "$SD/taxid-survival-run.timer"
	grep -qxF WantedBy=timers.target "$SD/taxid-outbox-drain.timer"
	# the monthly timer's next elapse is a 25th, 02:00 in Beijing (18:00 UTC the day before)
	run env TZ=UTC systemd-analyze calendar --iterations=2 '*-*-25 02:00:00 Asia/Shanghai'
	assert_success
	assert_line --regexp '^ +Next elapse: [A-Z][a-z]{2} [0-9]{4}-[0-9]{2}-24 18:00:00 UTC$'
	assert_line --regexp '^ +Iter. #2: [A-Z][a-z]{2} [0-9]{4}-[0-9]{2}-24 18:00:00 UTC$'
}

@test "taxid-survival-run.service: its command runs the month's batch and writes notices and exception list" {
	local unit=$SD/taxid-survival-run.service
	run unit_script "$unit"
	assert_output --partial 'taxid-survival --no-progress run --as-of "$d"'
	refute_output --partial '$$'
	export TAXID_DB=$R/var/lib/taxid/taxid.db TAXID_KEYFILE=$R/etc/taxid/taxid.db.key
	enrol 甲 "$(ric 11010519500101001)" 2025-06-10 # lapsed in June: suspended
	enrol 乙 "$(ric 11010519500101002)" 2025-11-20 # lapses 2026-11-21: suspended by the run
	enrol 丙 "$(ric 11010519500101003)" 2026-01-10 # fine
	[ -f "$R/etc/taxid/taxid.db.key" ]
	unset TAXID_DB TAXID_KEYFILE
	run --separate-stderr unit_run "$unit"
	assert_success
	local dir=$R/var/lib/taxid/survival
	run jq -c 'select(.run) | {state, suspended, already_done}' "$dir/run-2026-11-25.ndjson"
	assert_output '{"state":"done","suspended":2,"already_done":false}'
	run jq -r 'select(.notice) | .notice' "$dir/run-2026-11-25.ndjson"
	assert_output "suspension
suspension"
	run jq -r 'select(.ok) | .status' "$dir/exceptions-2026-11-25.ndjson"
	assert_output "suspended
suspended"
	[ ! -e "$dir/exceptions-2026-11-25.ndjson.tmp" ]
	[ "$(stat -c %a "$dir/run-2026-11-25.ndjson")" = 600 ]
	# started again the same day (a restart, a Persistent= catch-up): nothing changes, the summary says so
	run --separate-stderr unit_run "$unit"
	assert_success
	run jq -c 'select(.run) | .already_done' "$dir/run-2026-11-25.ndjson"
	assert_output "false
true"
	# the audit chain names the run
	run env TAXID_DB="$R/var/lib/taxid/taxid.db" TAXID_KEYFILE="$R/etc/taxid/taxid.db.key" taxid-verify audit
	assert_success
	[ "$(jfield .chain)" = intact ]
}

@test "taxid-outbox-drain.service: its command spools the SMS codes and the fingerprint reports once each" {
	local unit=$SD/taxid-outbox-drain.service
	run unit_script "$unit"
	assert_output --partial 'taxid-verify sms outbox --limit 1000'
	assert_output --partial 'taxid-survival --reveal report outbox --limit 1000'
	export TAXID_DB=$R/var/lib/taxid/taxid.db TAXID_KEYFILE=$R/etc/taxid/taxid.db.key
	taxid-verify sms send phone=13800138000 purpose=register >/dev/null
	enrol 张三 11010519491231002X 2025-12-01 91110105000079193B
	run taxid-survival certify doc_type=201 doc_no=11010519491231002X name=张三 method=fingerprint \
		'operator:={"id":"sp-07","role":"specialist"}'
	[ "$(jfield .report_queued)" = 1 ]
	unset TAXID_DB TAXID_KEYFILE
	run --separate-stderr unit_run "$unit"
	assert_success
	local spool=$R/var/lib/taxid/spool
	run jq -r '[.to, (.body | test("[0-9]{6}"))] | @tsv' "$spool/sms.ndjson"
	assert_output "13800138000	true"
	# the feed to the certification system is unmasked, and the reveal is audited under TAXID_OPERATOR
	run jq -r '[.method, .doc_no, .name] | @tsv' "$spool/fingerprint-reports.ndjson"
	assert_output "fingerprint	11010519491231002X	张三"
	[ "$(stat -c %a "$spool/sms.ndjson")" = 600 ]
	run sqlite3 "$R/var/lib/taxid/taxid.db" "SELECT count(*) FROM audit WHERE actor = 'outbox-drain'"
	assert_success
	[ "$output" -ge 1 ]
	# drained: the next start spools nothing more
	run --separate-stderr unit_run "$unit"
	assert_success
	[ "$(wc -l <"$spool/sms.ndjson")" -eq 1 ]
	[ "$(wc -l <"$spool/fingerprint-reports.ndjson")" -eq 1 ]
}
