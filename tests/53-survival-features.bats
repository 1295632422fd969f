#!/usr/bin/env bats
# taxid-survival: issue 13 items 3-7 and issue 11 item 4 — an operator or a device's signed verdict behind every
# method without a verdict of its own, the offline device's reference photo, corrections (update), fingerprint
# reports and the app certification they leave owing, the employer's view, and working days by the State
# Council's holiday calendar. Every figure is worked out by hand in the comments.
load helper

# enrol NAME DOC [LAST_CERTIFIED [EXTRA-JSON]]: a retiree of region 110105 (or as EXTRA says).
enrol() {
	jq -nc --arg n "$1" --arg d "$2" --arg l "${3:-}" --argjson x "${4:-{\}}" \
		'{kind:"retiree", doc_type:"201", doc_no:$d, name:$n, pension_account:"6222020200112233",
		  region:"110105", insurance_type:"enterprise", benefit_start:"2010-01", operator:{id:"op-test", role:"specialist"}}
		 + (if $l == "" then {} else {last_certified:$l} end) + $x' | taxid-survival enroll
}

status() { taxid-survival status doc_type=201 "doc_no=$1"; }
count() { dbq "$1"; }

SPECIALIST='operator:={"id":"sp-07","role":"specialist"}'
OFFICER='operator:={"id":"of-01","role":"officer"}'

@test "11.4: a method without a signed verdict needs the operator's word or the device's signed verdict" {
	a=$(ric 11010519491231002)
	enrol 张三 "$a" 2026-01-10 '{"photo":true}' >/dev/null
	certs0=$(count 'SELECT count(*) FROM survival_cert')
	for m in offline_device fingerprint finger_vein 'official_proof body=hk_home_affairs'; do
		# shellcheck disable=SC2086
		run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=$m
		assert_failure 1
		[ "$(jq -c '[.error.code, .error.role, .error.or]' <<<"$output")" = '["operator_required",["specialist","officer"],"evidence"]' ]
	done
	# nothing was recorded by the refusals
	[ "$(count 'SELECT count(*) FROM survival_cert')" = "$certs0" ]
	[ "$(count "SELECT count(*) FROM audit WHERE action = 'survival.certify'")" = 0 ]
	# the counter's operator: the audit names them
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=official_proof body=macao_iacm "$OFFICER"
	assert_success
	[ "$(count "SELECT actor FROM audit WHERE action = 'survival.certify' ORDER BY id DESC LIMIT 1")" = of-01 ]
	# an operator with no role, or another role, is not an operator
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=fingerprint 'operator:={"id":"x"}'
	[ "$(jfield .error.code)" = missing_field ]
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=fingerprint 'operator:={"id":"x","role":"pensioner"}'
	[ "$(jfield .error.code)" = bad_value ]
	# the device's own signed verdict (kind survival) instead: the audit names the device
	keygen dev-01 && trust dev-01 survival
	keygen face-svc && trust face-svc face
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=finger_vein "evidence:=$(verdict dev-01 survival "$a")"
	assert_success
	[ "$(jfield .verdict.issuer)" = dev-01 ]
	[ "$(count "SELECT actor FROM audit WHERE action = 'survival.certify' ORDER BY id DESC LIMIT 1")" = device:dev-01 ]
	# ... of the kind survival from an issuer trusted for it, passing, about this person
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=offline_device "evidence:=$(verdict face-svc face "$a")"
	[ "$(jfield .error.code)" = verdict_untrusted ]
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=offline_device "evidence:=$(verdict dev-01 survival 110105194912310038)"
	[ "$(jfield .error.code)" = verdict_subject_mismatch ]
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=offline_device "evidence:=$(verdict dev-01 survival "$a" fail 0.1)"
	[ "$(jfield .error.code)" = verdict_failed ]
	# face, passive and consular keep their verdicts: an operator does not replace them
	for m in face passive consular; do
		run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=$m "$OFFICER"
		[ "$(jq -c '[.error.code, .error.field]' <<<"$output")" = '["missing_field","evidence"]' ]
	done
}

@test "13.3: an offline-device certification records a reference photo, so next year's face certification works" {
	a=$(ric 11010519491231002)
	enrol 张三 "$a" 2025-12-01 >/dev/null
	keygen face-svc && trust face-svc face
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=face "evidence:=$(verdict face-svc face "$a")"
	[ "$(jq -c '[.error.code, .error.reason]' <<<"$output")" = '["photo_incomplete","no_reference_photo"]' ]
	[ "$(status "$a" | jq -c '[.photo, .photo_source]')" = '[false,null]' ]
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=offline_device "$SPECIALIST"
	assert_success
	[ "$(jq -c .photo <<<"$output")" = '{"recorded":true,"source":"offline_device"}' ]
	[ "$(status "$a" | jq -c '[.photo, .photo_source, .events[0].event, .events[0].detail.source]')" = \
		'[true,"offline_device","photo","offline_device"]' ]
	[ "$(count "SELECT actor FROM audit WHERE action = 'survival.photo'")" = sp-07 ]
	# a year later, in the app: certified 2026-11-25, so valid until 2027-11-25
	export TAXID_NOW=2027-11-20T08:00:00Z
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=face "evidence:=$(verdict face-svc face "$a")"
	assert_success
	[ "$(jq -c '[.method, .late, .valid_until]' <<<"$output")" = '["face",false,"2028-11-20"]' ]
}

@test "13.4: an officer corrects the name; old and new values are audited masked and kept only encrypted" {
	a=$(ric 11010519491231002)
	enrol 欧阳锋 "$a" 2026-01-10 >/dev/null
	# neither the person nor the employer's specialist corrects the name
	run taxid-survival update doc_type=201 doc_no="$a" name=欧阳锋 new_name=欧阳峰
	[ "$(jq -c '[.error.code, .error.role]' <<<"$output")" = '["operator_required","officer"]' ]
	run taxid-survival update doc_type=201 doc_no="$a" new_name=欧阳峰 "$SPECIALIST"
	[ "$(jq -c '[.error.code, .error.role]' <<<"$output")" = '["operator_required","officer"]' ]
	[ "$(count 'SELECT count(*) FROM survival_correction')" = 0 ]
	run taxid-survival update doc_type=201 doc_no="$a" new_name=欧阳峰 reason='ID card shows 峰' "$OFFICER"
	assert_success
	[ "$(jq -c .changed <<<"$output")" = '["name"]' ]
	# the corrected name certifies, the old one no longer does
	run taxid-survival certify doc_type=201 doc_no="$a" name=欧阳锋 method=offline_device "$OFFICER"
	[ "$(jfield .error.code)" = identity_mismatch ]
	run taxid-survival certify doc_type=201 doc_no="$a" name=欧阳峰 method=offline_device "$OFFICER"
	assert_success
	# audited by the officer, masked (first character and a star each); stored only encrypted
	[ "$(count "SELECT actor || ' ' || json_extract(detail, '\$.changes[0].old') || ' ' || json_extract(detail, '\$.changes[0].new') || ' ' || json_extract(detail, '\$.reason') FROM audit WHERE action = 'survival.update'")" = \
		'of-01 欧** 欧** ID card shows 峰' ]
	run db_dump
	refute_output --partial 欧阳锋
	refute_output --partial 欧阳峰
	[ "$(status "$a" | jq -c '.corrections | map([.field, .old, .new, .operator])')" = '[["name","欧**","欧**","of-01"]]' ]
	run env TAXID_OPERATOR=op-test taxid-survival --reveal status doc_type=201 doc_no="$a"
	[ "$(jq -c '[.name, .corrections[0].old, .corrections[0].new]' <<<"$output")" = '["欧阳峰","欧阳锋","欧阳峰"]' ]
}

@test "13.4: an officer corrects the document number; one held by another person is refused" {
	a=$(ric 11010519491231002) b=$(ric 11010519500101001)
	right=$(ric 11010519491213002) # the birth date was typed 1949-12-31 for 1949-12-13
	enrol 张三 "$a" 2026-01-10 >/dev/null
	enrol 李四 "$b" 2026-01-10 >/dev/null
	run taxid-survival update doc_type=201 doc_no="$a" new_doc_no="$b" "$OFFICER"
	[ "$(jq -c '[.error.code, .error.field]' <<<"$output")" = '["identity_occupied","new_doc_no"]' ]
	run taxid-survival update doc_type=201 doc_no="$a" new_doc_no=110105194912130021 "$OFFICER"
	[ "$(jq -c '[.error.code, .error.field]' <<<"$output")" = '["bad_checksum","new_doc_no"]' ]
	run taxid-survival update doc_type=201 doc_no="$a" new_doc_no="$right" "$OFFICER"
	assert_success
	[ "$(jq -c '[.changed, .doc_no]' <<<"$output")" = '[["document"],"110105********002'"${right: -1}"'"]' ]
	run status "$a"
	[ "$(jfield .error.code)" = not_found ]
	[ "$(status "$right" | jq -c '[.name, .state, .corrections[0].field]')" = '["张*","active","document"]' ]
	[ "$(count "SELECT birth_date FROM person p JOIN pensioner x ON x.person_id = p.id WHERE x.id = 1")" = 1949-12-13 ]
	run db_dump
	refute_output --partial "$a"
	refute_output --partial "$right"
}

@test "13.4: region and insurance type by the person or a specialist; a region with another policy moves the deadline" {
	a=$(ric 11010519491231002)
	enrol 张三 "$a" 2026-03-10 >/dev/null # default rolling 12 months: valid until 2027-03-10
	taxid-survival policy set region=320000 kind=fixed deadline=06-30 'operator:={"id":"of-01","role":"officer"}' >/dev/null
	# the person's own change names them
	run taxid-survival update doc_type=201 doc_no="$a" region=320102
	[ "$(jq -c '[.error.code, .error.field]' <<<"$output")" = '["missing_field","name"]' ]
	run taxid-survival update doc_type=201 doc_no="$a" name=张叁 region=320102
	[ "$(jfield .error.code)" = identity_mismatch ]
	run taxid-survival update doc_type=201 doc_no="$a" name=张三 region=990000
	[ "$(jq -c '[.error.code, .error.field]' <<<"$output")" = '["bad_value","region"]' ]
	# a region of the same (default) policy keeps the deadline
	run taxid-survival update doc_type=201 doc_no="$a" name=张三 region=110106
	assert_success
	[ "$(jq -c '[.changed, .policy_changed]' <<<"$output")" = '[["region"],false]' ]
	[ "$(status "$a" | jq -r .valid_until)" = 2027-03-10 ]
	# Jiangsu's fixed 30 June: the first 06-30 on or after 2026-03-10 + 12 months = 2027-03-10 is 2027-06-30
	run taxid-survival update doc_type=201 doc_no="$a" name=张三 region=320102
	assert_success
	[ "$(jq -c '[.policy_changed, .valid_until, .lapses_on, .window.kind]' <<<"$output")" = '[true,"2027-06-30","2027-07-01","fixed"]' ]
	[ "$(status "$a" | jq -c '[.region, .valid_until]')" = '["320102","2027-06-30"]' ]
	# the person's own change has no actor in the audit and says so
	[ "$(count "SELECT coalesce(actor, '-') || ' ' || json_extract(detail, '\$.by') FROM audit WHERE action = 'survival.update' ORDER BY id DESC LIMIT 1")" = '- person' ]
	# insurance type, by the specialist (no name needed), by code or Chinese name
	run taxid-survival update doc_type=201 doc_no="$a" insurance_type=城乡居民基本养老保险 "$SPECIALIST"
	[ "$(jq -c '[.changed, .insurance_type]' <<<"$output")" = '[["insurance_type"],"resident"]' ]
	run taxid-survival update doc_type=201 doc_no="$a" insurance_type=resident "$SPECIALIST"
	[ "$(jq -c .changed <<<"$output")" = '[]' ]
	run taxid-survival update doc_type=201 doc_no="$a" "$SPECIALIST"
	[ "$(jfield .error.code)" = missing_field ]
	# the region moved back to Beijing: back to rolling 12 months from 2026-03-10
	run taxid-survival update doc_type=201 doc_no="$a" region=110105 "$SPECIALIST"
	[ "$(jq -c '[.policy_changed, .valid_until]' <<<"$output")" = '[true,"2027-03-10"]' ]
}

@test "13.5: a fingerprint is reported through the outbox and leaves the app certification owing that year" {
	a=$(ric 11010519491231002) b=$(ric 11010519500101001)
	enrol 张三 "$a" 2026-01-10 '{"photo":true}' >/dev/null
	enrol 李四 "$b" 2026-06-10 >/dev/null
	keygen face-svc && trust face-svc face
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=fingerprint at=2026-11-20 "$OFFICER"
	assert_success
	[ "$(jq -c '[.must_report, .report_queued, .app_required, .valid_until]' <<<"$output")" = '[true,1,2026,"2027-11-20"]' ]
	# no deadline falls on or before 2026-11-25 (--within 0): 张三 is listed only for the app certification he owes
	run taxid-survival due --within 0
	[ "$(jq -s -c 'map([.pensioner, .status, .app_required, .fingerprint_on])' <<<"$output")" = '[[1,"app_required",true,"2026-11-20"]]' ]
	# on the deadline list anyway (2027-06-10 and 2027-11-20 are within 365 days), he carries the flag there
	[ "$(taxid-survival due --within 365 | jq -s -c 'map([.pensioner, .status, .app_required])')" = '[[2,"due",null],[1,"due",true]]' ]
	# a day before the fingerprint, nothing was owed yet; in 2027 the 2026 duty is no longer listed
	[ "$(taxid-survival due --as-of 2026-11-19 --within 0 | wc -l)" = 0 ]
	[ "$(taxid-survival due --as-of 2027-01-04 --within 0 | wc -l)" = 0 ]
	# the office drains the report queue once
	run taxid-survival report outbox
	assert_success
	[ "$(jq -s -c 'map([.report, .pensioner, .method, .certified_on, .operator, .doc_no, .name])' <<<"$output")" = \
		'[[1,1,"fingerprint","2026-11-20","of-01","110105********002X","张*"]]' ]
	run taxid-survival report outbox
	assert_success
	assert_output ''
	[ "$(count "SELECT json_extract(detail, '\$.reports') FROM audit WHERE action = 'survival.report_outbox'")" = 1 ]
	# a face certification before the fingerprint does not settle it, one on or after does
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=face at=2026-11-19 "evidence:=$(verdict face-svc face "$a")"
	assert_success
	[ "$(jfield .app_requirement_met)" = null ]
	[ "$(taxid-survival due --within 0 | jq -r .status)" = app_required ]
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=face at=2026-11-20 "evidence:=$(verdict face-svc face "$a")"
	[ "$(jfield .app_requirement_met)" = true ]
	[ "$(taxid-survival due --within 0 | wc -l)" = 0 ]
	[ "$(status "$a" | jq -c '.fingerprints | map([.certified_on, .app_certified_on, (.reported_at != null)])')" = \
		'[["2026-11-20","2026-11-20",true]]' ]
}

@test "13.6: the employer's view: enrolment by USCC, due and report per employer, appeals filed by the specialist" {
	read -r u1 u2 <<<"$(uscc 2 5 | tr '\n' ' ')"
	a=$(ric 11010519491231002) b=$(ric 11010519500101001) c=$(ric 11010519510101001)
	run enrol 张三 "$a" 2025-12-01 '{"employer":"91110105000000000X"}'
	[ "$(jq -c '[.error.code, .error.field]' <<<"$output")" = '["bad_checksum","employer"]' ]
	run enrol 张三 "$a" 2025-12-01 "{\"employer\":\"${u1,,}\"}"
	assert_success
	[ "$(jfield .employer)" = "$u1" ]
	enrol 李四 "$b" 2025-12-10 "{\"employer\":\"$u2\"}" >/dev/null
	enrol 王五 "$c" 2025-12-20 >/dev/null
	# the same enrolment under another employer changes nothing and says so
	run enrol 张三 "$a" 2025-12-01 "{\"employer\":\"$u2\"}"
	[ "$(jq -c '[.already_enrolled, .differs]' <<<"$output")" = '[true,["employer"]]' ]
	# deadlines 2026-12-01, -10 and -20 are all within 30 days of 2026-11-25; per employer one each
	[ "$(taxid-survival due | jq -s -c 'map(.pensioner)')" = '[1,2,3]' ]
	[ "$(taxid-survival due --employer "$u1" | jq -s -c 'map(.pensioner)')" = '[1]' ]
	[ "$(taxid-survival due --employer "$u2" | jq -s -c 'map(.pensioner)')" = '[2]' ]
	run taxid-survival due --employer 91110105000000000X
	[ "$(jq -c '[.error.code, .error.field]' <<<"$output")" = '["bad_checksum","employer"]' ]
	run taxid-survival report --employer "$u1" --months 1
	assert_success
	[ "$(jq -c '[.employer, .total.pensioners.active, .total.months[0].due]' <<<"$output")" = "[\"$u1\",1,0]" ]
	[ "$(taxid-survival report --months 1 | jq -c .total.pensioners.active)" = 3 ]
	# the specialist files the appeal; the pensioner alone does not
	run taxid-survival appeal file doc_type=201 doc_no="$a" name=张三 reason='device cannot read the face'
	[ "$(jq -c '[.error.code, .error.role]' <<<"$output")" = '["operator_required",["specialist","officer"]]' ]
	run taxid-survival appeal file doc_type=201 doc_no="$a" name=张三 reason='device cannot read the face' "$SPECIALIST"
	assert_success
	[ "$(jfield .filed_by)" = sp-07 ]
	[ "$(count "SELECT actor FROM audit WHERE action = 'survival.appeal'")" = sp-07 ]
	# an agency officer may enrol a dependant too
	run taxid-survival enroll <<<"$(jq -nc --arg d "$(ric 11010520100101002)" --arg o "$a" \
		'{kind:"dependant",doc_type:"201",doc_no:$d,name:"张小",pension_account:"9",region:"110105",
		  insurance_type:"enterprise",benefit_start:"2026-01",of:{doc_type:"201",doc_no:$o},
		  operator:{id:"of-01",role:"officer"}}')"
	assert_success
	[ "$(count "SELECT actor FROM audit WHERE action = 'survival.enroll' ORDER BY id DESC LIMIT 1")" = of-01 ]
	# the specialist moves a pensioner to another employer
	run taxid-survival update doc_type=201 doc_no="$c" employer="$u1" "$SPECIALIST"
	[ "$(jq -c '[.changed, .employer]' <<<"$output")" = "[[\"employer\"],\"$u1\"]" ]
	[ "$(taxid-survival due --employer "$u1" | jq -s -c 'map(.pensioner)')" = '[1,3]' ]
	run taxid-survival update doc_type=201 doc_no="$c" name=王五 employer="$u2"
	[ "$(jfield .error.code)" = operator_required ]
}

@test "13.7: working days follow the State Council's calendar: a death reported after National Day" {
	a=$(ric 11010519491231002)
	enrol 张三 "$a" 2026-03-01 >/dev/null
	db_copy base
	# death on Friday 2026-09-25, reported on Monday 2026-10-26; the days after the death:
	#   Sep 26 Sat, Sep 27 Sun (Mid-Autumn)             0
	#   Sep 28 Mon, 29 Tue, 30 Wed                      3  (3)
	#   Oct 1-7 National Day holiday                    0
	#   Oct 8 Thu, 9 Fri, 10 Sat (adjusted working day) 3  (6)
	#   Oct 12-16, Oct 19-23                           10  (16)
	#   Oct 26 Mon                                      1  (17)
	# Monday to Friday alone would have been 21 (the issue's figure), over the 20-day limit.
	export TAXID_NOW=2026-10-26T08:00:00Z
	run taxid-survival event doc_type=201 doc_no="$a" event=death date=2026-09-25 'operator:={"id":"of-01","role":"officer"}'
	assert_success
	[ "$(jq -c '[.reported_after_working_days, .late_report, .calendar_unknown_years]' <<<"$output")" = '[17,false,null]' ]
	# the limit at its boundary: Oct 27, 28, 29 are days 18, 19, 20 (in time); Oct 30 is day 21 (late)
	for now in 2026-10-29:20:false 2026-10-30:21:true; do
		db_restore base
		export TAXID_NOW=${now%%:*}T08:00:00Z
		run taxid-survival event doc_type=201 doc_no="$a" event=death date=2026-09-25 'operator:={"id":"of-01","role":"officer"}'
		[ "$(jq -c '[.reported_after_working_days, .late_report]' <<<"$output")" = "[$(cut -d: -f2 <<<"$now"),$(cut -d: -f3 <<<"$now")]" ]
	done
	# an adjusted working day counts: Fri 2026-09-18 to Mon 2026-09-21 is Sun 20 (worked) and Mon 21 = 2
	db_restore base
	export TAXID_NOW=2026-09-21T08:00:00Z
	run taxid-survival event doc_type=201 doc_no="$a" event=declared_dead date=2026-09-18 'operator:={"id":"of-01","role":"officer"}'
	[ "$(jfield .reported_after_working_days)" = 2 ]
}

@test "13.7: a day outside the calendar counts Monday to Friday and the result names its year" {
	a=$(ric 11010519491231002)
	export TAXID_NOW=2019-12-01T08:00:00Z
	enrol 张三 "$a" 2019-11-01 >/dev/null
	# death on Friday 2019-12-20, reported on Monday 2020-01-06:
	#   2019 (unknown): Dec 23-27 and Dec 30, 31, Monday to Friday   7
	#   2020: Jan 1 New Year holiday, Jan 2 Thu, 3 Fri, 6 Mon          3  (10)
	export TAXID_NOW=2020-01-06T08:00:00Z
	run taxid-survival event doc_type=201 doc_no="$a" event=death date=2019-12-20 'operator:={"id":"of-01","role":"officer"}'
	assert_success
	[ "$(jq -c '[.reported_after_working_days, .calendar_unknown_years]' <<<"$output")" = '[10,[2019]]' ]
}

@test "13.7: the calendar data: every year 2020-2026, and the build refuses a malformed file" {
	f=$TAXID_ROOT/data/holidays-cn.tsv
	[ "$(grep -v '^#' "$f" | cut -c1-4 | sort -u | tr '\n' ' ')" = '2020 2021 2022 2023 2024 2025 2026 ' ]
	# 2026: New Year 3 + Spring Festival 9 + Qingming 3 + Labour Day 5 + Dragon Boat 3 + Mid-Autumn 3 + National Day 7
	# = 33 holidays; working days Jan 4, Feb 14, Feb 28, May 9, Sep 20, Oct 10 = 6
	[ "$(grep -c '^2026-..-..	holiday' "$f")" = 33 ]
	[ "$(grep '^2026-..-..	workday' "$f" | cut -f1 | tr '\n' ' ')" = '2026-01-04 2026-02-14 2026-02-28 2026-05-09 2026-09-20 2026-10-10 ' ]
	# every adjusted working day is a Saturday or a Sunday
	while IFS=$'\t' read -r d k _; do
		[ "$k" = workday ] || continue
		case $(date -u -d "$d" +%u) in 6 | 7) ;; *) echo "$d is not a weekend day" >&2; false ;; esac
	done < <(grep -v '^#' "$f")
	printf '2026-01-01\tholiday\t元旦\n2026-01-01\tholiday\t元旦\n' >dup.tsv
	run awk -f "$TAXID_ROOT/scripts/gen-holidays.awk" dup.tsv
	assert_failure
	assert_output --partial 'not after'
	printf '2026-01-01\tvacation\t元旦\n' >bad.tsv
	run awk -f "$TAXID_ROOT/scripts/gen-holidays.awk" bad.tsv
	assert_failure
}
