#!/usr/bin/env bats
# taxid-survival: enrolment, windows, suspension and resumption, life events, refusals (DOMAIN §7, §8 "Survival side").
load helper

# enrol NAME DOC [LAST_CERTIFIED [EXTRA-JSON]]: enrol a retiree of region 110105 (or as EXTRA says).
enrol() {
	jq -nc --arg n "$1" --arg d "$2" --arg l "${3:-}" --argjson x "${4:-{\}}" \
		'{kind:"retiree", doc_type:"201", doc_no:$d, name:$n, pension_account:"6222020200112233",
		  region:"110105", insurance_type:"enterprise", benefit_start:"2010-01"}
		 + (if $l == "" then {} else {last_certified:$l} end) + $x' | taxid-survival enroll - "$SPECIALIST"
}

# certify DOC NAME [KEY=VALUE...]: an offline-device certification today, by the device's operator, unless the
# operands say otherwise.
certify() {
	taxid-survival certify doc_type=201 "doc_no=$1" "name=$2" method=offline_device \
		'operator:={"id":"op-test","role":"specialist"}' "${@:3}"
}

status() { taxid-survival status doc_type=201 "doc_no=$1"; }

SPECIALIST='operator:={"id":"sp-07","role":"specialist"}'
OFFICER='operator:={"id":"of-01","role":"officer"}'

@test "enrolment in bulk is idempotent: the same document again changes nothing and says so" {
	a=$(ric 11010519491231002) b=$(ric 11010519500101001)
	jq -nc --arg a "$a" --arg b "$b" '
	  {kind:"retiree",doc_type:"201",doc_no:$a,name:"张三",pension_account:"1",region:"110105",insurance_type:"企业职工基本养老保险",benefit_start:"2009-12"},
	  {kind:"retiree",doc_type:"201",doc_no:$b,name:"李四",pension_account:"2",region:"110105",insurance_type:"resident",benefit_start:"2010-01"},
	  {kind:"retiree",doc_type:"201",doc_no:$a,name:"张三",pension_account:"1",region:"110105",insurance_type:"enterprise",benefit_start:"2009-12"}' >in.ndjson
	run taxid-survival enroll - "$SPECIALIST" <in.ndjson
	assert_success
	[ "$(jq -r .enrolled <<<"${lines[0]}")" = true ]
	[ "$(jq -r .enrolled <<<"${lines[1]}")" = true ]
	[ "$(jq -c '[.enrolled,.already_enrolled,.changed,.differs]' <<<"${lines[2]}")" = '[false,true,false,[]]' ]
	before=$(dbq 'SELECT count(*) FROM pensioner; SELECT count(*) FROM audit')
	run taxid-survival enroll - "$SPECIALIST" <in.ndjson
	assert_success
	[ "$(jq -s -c 'map(.already_enrolled)' <<<"$output")" = '[true,true,true]' ]
	[ "$(dbq 'SELECT count(*) FROM pensioner; SELECT count(*) FROM audit')" = "$before" ]
	# the same document under another name is not the same person
	run enrol 张叁 "$a"
	assert_failure 1
	[ "$(jfield .error.code)" = identity_mismatch ]
}

@test "document numbers and names are masked unless --reveal, which is audited" {
	a=$(ric 11010519491231002)
	enrol 张三丰 "$a" >/dev/null
	run status "$a"
	assert_success
	[ "$(jfield .doc_no)" = 110105********002X ]
	[ "$(jfield .name)" = '张**' ]
	! grep -q 6222020200112233 <<<"$output" || false
	run env TAXID_OPERATOR=op-test taxid-survival --reveal status doc_type=201 doc_no="$a"
	[ "$(jfield .doc_no)" = "$a" ]
	[ "$(jfield .name)" = 张三丰 ]
	[ "$(dbq "SELECT count(*) FROM audit WHERE action = 'reveal'")" = 1 ]
	# the name is stored only encrypted
	! db_dump | grep -q 张三丰
}

@test "the rolling window: 29 February falls back to 28 February, month ends clamp, grace days" {
	a=$(ric 11010519491231002)
	enrol 张三 "$a" 2024-01-10 >/dev/null
	run certify "$a" 张三 at=2024-02-29
	assert_success
	[ "$(jfield .valid_until)" = 2025-02-28 ]
	[ "$(jfield .lapses_on)" = 2025-03-01 ]
	# a leap year to a leap year keeps the 29th
	b=$(ric 11010619500101001)
	enrol 李四 "$b" 2023-01-01 '{"region":"110106"}' >/dev/null
	taxid-survival policy set "$OFFICER" region=110106 kind=rolling months:=48 >/dev/null
	run certify "$b" 李四 at=2024-02-29
	[ "$(jfield .valid_until)" = 2028-02-29 ]
	# month ends: 31 August + 6 months is 28 February; 31 January + 1 month is 28 February
	c=$(ric 11010819500101002)
	enrol 王五 "$c" 2025-01-01 '{"region":"110108"}' >/dev/null
	taxid-survival policy set "$OFFICER" region=110108 kind=cycle6 >/dev/null
	run certify "$c" 王五 at=2025-08-31
	[ "$(jfield .valid_until)" = 2026-02-28 ]
	[ "$(jfield .window.months)" = 6 ]
	taxid-survival policy set "$OFFICER" region=110108 kind=rolling months:=1 grace_days:=5 >/dev/null
	run certify "$c" 王五 at=2026-01-31
	[ "$(jfield .valid_until)" = 2026-02-28 ]
	[ "$(jfield .lapses_on)" = 2026-03-06 ]
	# an earlier certification never shortens the window
	run certify "$a" 张三 at=2024-02-01
	assert_success
	[ "$(jfield .valid_until)" = 2025-02-28 ]
}

@test "birthday-month and fixed-deadline windows: one certification in every period" {
	taxid-survival policy set "$OFFICER" region=110101 kind=birthday >/dev/null
	taxid-survival policy set "$OFFICER" 'region=110102' kind=fixed deadline=12-31 grace_days:=5 'reminders:=[60,14]' >/dev/null
	taxid-survival policy set "$OFFICER" 'region=110000' kind=fixed deadline=02-29 >/dev/null
	a=$(ric 11010119490515002)
	enrol 赵六 "$a" 2025-01-01 '{"region":"110101"}' >/dev/null
	run certify "$a" 赵六 at=2026-03-10
	[ "$(jfield .valid_until)" = 2027-05-31 ]
	run certify "$a" 赵六 at=2026-06-02
	[ "$(jfield .valid_until)" = 2028-05-31 ]
	b=$(ric 11010219500101001)
	enrol 钱七 "$b" 2024-06-01 '{"region":"110102"}' >/dev/null
	run certify "$b" 钱七 at=2026-01-05
	[ "$(jfield .valid_until)" = 2027-12-31 ]
	[ "$(jfield .lapses_on)" = 2028-01-06 ]
	[ "$(jfield .window.reminders)" = "$(jq . <<<'[60,14]')" ]
	run certify "$b" 钱七 at=2026-11-20
	[ "$(jfield .valid_until)" = 2027-12-31 ]
	# 110103 has no policy of its own: the province's (110000) applies; 29 February deadlines fall on the 28th
	c=$(ric 11010319500101002)
	enrol 孙八 "$c" 2024-06-01 '{"region":"110103"}' >/dev/null
	run certify "$c" 孙八 at=2026-03-01
	[ "$(jfield .window.region)" = 110000 ]
	[ "$(jfield .valid_until)" = 2028-02-29 ]
	run certify "$c" 孙八 at=2026-02-28
	[ "$(jfield .valid_until)" = 2028-02-29 ]
	run taxid-survival policy list
	[ "$(jq -s -c 'map(.region)' <<<"$output")" = '["110000","110101","110102","default"]' ]
}

@test "a policy change moves existing deadlines from each pensioner's last certification" {
	a=$(ric 11010519500101001)
	enrol 张三 "$a" 2026-01-15 >/dev/null
	[ "$(status "$a" | jq -r .valid_until)" = 2027-01-15 ]
	run taxid-survival policy set "$OFFICER" region=110105 kind=cycle6
	assert_success
	[ "$(jfield .recomputed)" = 1 ]
	[ "$(status "$a" | jq -r .valid_until)" = 2026-07-15 ]
}

@test "a lapse suspends payment from the month after the lapse" {
	a=$(ric 11010519500101001) b=$(ric 11010519500101002) c=$(ric 11010519500101003)
	# issue 13: payment stops from the first month not yet paid on the run's day. 甲 lapsed on 10-16, but the run
	# comes on 11-25, when November (paid on its first day) has been paid: suspended from December (the old figure,
	# November, suspended a month already paid). 乙 lapses on the run's day: the month after, December.
	enrol 甲 "$a" 2025-10-15 >/dev/null   # valid to 2026-10-15, lapsed 10-16: suspended from December
	enrol 乙 "$b" 2025-11-24 >/dev/null   # lapses on the run's day: suspended from December
	enrol 丙 "$c" 2025-11-25 >/dev/null   # due today, not lapsed
	run taxid-survival run --as-of 2026-11-25
	assert_success
	[ "$(jq -s -c '[.[] | select(.notice == "suspension") | [.pensioner, .suspended_from]]' <<<"$output")" = '[[1,"2026-12"],[2,"2026-12"]]' ]
	[ "$(jq -s -c '[.[] | select(.notice == "reminder") | [.pensioner, .offset, .days_left]]' <<<"$output")" = '[[3,7,0]]' ]
	[ "$(jq -s -c '.[-1] | [.processed, .suspended, .reminders]' <<<"$output")" = '[3,2,1]' ]
	[ "$(status "$a" | jq -c '[.state, .reason, .suspended_from]')" = '["suspended","lapse","2026-12"]' ]
	[ "$(status "$b" | jq -r .suspended_from)" = 2026-12 ]
	[ "$(status "$c" | jq -r .state)" = active ]
	# the exception list: everyone overdue or suspended
	run taxid-survival due --as-of 2026-11-25 --within 0
	[ "$(jq -s -c 'map([.pensioner, .status])' <<<"$output")" = '[[1,"suspended"],[2,"suspended"],[3,"due"]]' ]
	# the grace period: due, then in grace, then lapsed
	taxid-survival policy set "$OFFICER" region=110105 kind=rolling grace_days:=5 >/dev/null
	d=$(ric 11010519500101004)
	enrol 丁 "$d" 2025-11-20 >/dev/null
	run taxid-survival due --as-of 2026-11-23 --within 0
	[ "$(jq -s -c 'map(select(.pensioner == 4) | [.status, .lapses_on])' <<<"$output")" = '[["grace","2026-11-26"]]' ]
}

@test "certifying a suspended pensioner resumes payment next month with the months of back pay" {
	a=$(ric 11010519500101001) b=$(ric 11010519500101002)
	# issue 13: the old figures (back pay 5 for 甲, 1 for 乙) paid again months that had been paid: both were in
	# payment until the run of 2026-11-25, which suspends from December, the first month not yet paid.
	enrol 甲 "$a" 2025-06-10 >/dev/null    # lapsed 2026-06-11; suspended by the run from December
	enrol 乙 "$b" 2025-10-15 >/dev/null    # lapsed 2026-10-16; suspended from December too
	taxid-survival run --as-of 2026-11-25 >/dev/null
	# 甲 certifies on 2027-02-10: December, January and February began while suspended (withheld): 3 months back
	# pay, payment from March
	run taxid-survival --now 2027-02-10T02:00:00Z certify doc_type=201 doc_no="$a" name=甲 method=offline_device \
		'operator:={"id":"op-test","role":"specialist"}'
	assert_success
	[ "$(jq -c '[.payment_resumes, .payment_from, .back_pay_months, .late, .state]' <<<"$output")" = '[true,"2027-03",3,true,"active"]' ]
	# 乙 certifies (dated 2026-11-02) before December began: nothing was withheld, payment goes on from December
	run certify "$b" 乙 at=2026-11-02
	[ "$(jq -c '[.payment_resumes, .payment_from, .back_pay_months]' <<<"$output")" = '[true,"2026-12",0]' ]
	# (the newest event is the offline device's new reference photo; the resumption comes before it)
	[ "$(status "$a" | jq -c '[.state, .valid_until, .events[0].event, .events[1].event, .events[1].detail.back_pay_months]')" = \
		'["active","2028-02-10","photo","resume",3]' ]
}

@test "imprisonment suspends payment with no back pay for the time inside" {
	a=$(ric 11010519500101001) b=$(ric 11010519500101002)
	enrol 甲 "$a" >/dev/null
	run taxid-survival event "$OFFICER" doc_type=201 doc_no="$a" event=imprisonment date=2026-03-10
	assert_success
	[ "$(jq -c '[.state, .suspended_from, .overpaid_months, .back_pay]' <<<"$output")" = '["suspended","2026-04",8,false]' ]
	# a certification while inside is recorded but does not resume payment
	run certify "$a" 甲 at=2026-06-01
	[ "$(jq -c '[.payment_resumes, .suspended_for]' <<<"$output")" = '[false,"imprisonment"]' ]
	# issue 13: the imprisonment, reported on 2026-11-25, made April-November (paid) overpaid; released in
	# September, October and November were due after all: they stay paid and are not overpaid, and payment goes on
	# from December (the old figure, October, paid October and November twice)
	run taxid-survival event "$OFFICER" doc_type=201 doc_no="$a" event=release date=2026-09-20
	[ "$(jq -c '[.payment_resumes, .payment_from, .back_pay_months]' <<<"$output")" = '[true,"2026-12",0]' ]
	[ "$(status "$a" | jq -c '[.payments.overpaid, [.ledger[] | select(.state == "overpaid") | .month][0, -1]]')" = '[6,"2026-04","2026-09"]' ]
	# lapsed before prison: the lapse months up to the imprisonment stay owed, none after; a lapsed release stays suspended
	enrol 乙 "$b" 2025-06-10 >/dev/null
	taxid-survival run --as-of 2026-08-01 >/dev/null   # suspended from December: November, the enrolment month, was paid
	taxid-survival event "$OFFICER" doc_type=201 doc_no="$b" event=imprisonment date=2026-09-03 >/dev/null
	run taxid-survival event "$OFFICER" doc_type=201 doc_no="$b" event=release date=2026-11-10
	[ "$(jq -c '[.payment_resumes, .suspended_for]' <<<"$output")" = '[false,"lapse"]' ]
	# issue 13: 乙 was enrolled on 2026-11-25: June-October were paid by the previous system and November by this
	# one, so nothing was withheld for the lapse (the old figure, 3, paid July-September again); October and
	# November, paid while imprisoned, are overpaid
	run certify "$b" 乙
	[ "$(jq -c '[.payment_from, .back_pay_months]' <<<"$output")" = '["2026-12",0]' ]
	[ "$(status "$b" | jq -c '[.ledger[] | select(.state == "overpaid") | .month]')" = '["2026-10","2026-11"]' ]
}

@test "death: paid for the month of death, the months after are an overpayment to recover" {
	a=$(ric 11010519500101001) b=$(ric 11010519500101002)
	enrol 甲 "$a" >/dev/null
	enrol 乙 "$b" >/dev/null
	run taxid-survival event "$OFFICER" doc_type=201 doc_no="$a" event=death date=2026-08-10
	assert_success
	[ "$(jq -c '[.state, .paid_until, .payment_stops_from, .overpaid_months, .recover, .late_report]' <<<"$output")" = \
		'["terminated","2026-08","2026-09",3,{"from":"2026-09","through":"2026-11","months":3},true]' ]
	# the payment system's own figure wins; a death reported within 20 working days is not late
	run taxid-survival event "$OFFICER" doc_type=201 doc_no="$b" event=death date=2026-11-02 paid_through=2026-11
	[ "$(jq -c '[.overpaid_months, .late_report, .reported_after_working_days]' <<<"$output")" = '[0,false,17]' ]
	run certify "$a" 甲
	assert_failure 1
	[ "$(jfield .error.code)" = person_deceased ]
	run taxid-survival event "$OFFICER" doc_type=201 doc_no="$a" event=missing date=2026-09-01
	[ "$(jfield .error.code)" = pension_ended ]
	run taxid-verify audit
	[ "$(jfield .chain)" = intact ]
}

@test "a dependant child ends at 18 in the run unless unable to work; only a specialist adds dependants" {
	insured='{"doc_type":"201","doc_no":"'$(ric 11010519600101001)'","name":"已故职工"}'
	c1=$(ric 11010520081120002) c2=$(ric 11010520080505002) c3=$(ric 11010520080229002)
	dep() { jq -nc --arg d "$1" --argjson of "$insured" --argjson x "${2:-{\}}" \
		'{kind:"dependant",doc_type:"201",doc_no:$d,name:"遗属",pension_account:"9",region:"110105",
		  insurance_type:"enterprise",benefit_start:"2020-01",of:$of,operator:{id:"sp-07",role:"specialist"}} + $x'; }
	export TAXID_NOW=2026-01-10T08:00:00Z
	run taxid-survival enroll <<<"$(dep "$c1" '{"operator":null}')"
	[ "$(jfield .error.code)" = operator_required ]
	[ "$(jq -c .error.role <<<"$output")" = '["specialist","officer"]' ]
	run taxid-survival enroll <<<"$(dep "$c1" '{"operator":{"id":"x","role":"clerk"}}')"
	[ "$(jfield .error.code)" = bad_value ]
	{ dep "$c1"; dep "$c2" '{"unable_to_work":true}'; dep "$c3"; } | taxid-survival enroll >out.ndjson
	[ "$(jq -s -c 'map(.ends_on)' out.ndjson)" = '["2026-11-20",null,"2026-03-01"]' ]
	export TAXID_NOW=2026-11-25T08:00:00Z
	run taxid-survival enroll - "$SPECIALIST" <<<"$(dep "$(ric 11010520080101002)")"
	[ "$(jfield .error.code)" = dependant_not_eligible ]
	run taxid-survival run --as-of 2026-11-25
	assert_success
	[ "$(jq -s -c '[.[] | select(.notice == "termination") | [.pensioner, .birthday, .payment_stops_from]]' <<<"$output")" = \
		'[[1,"2026-11-20","2026-12"],[3,"2026-03-01","2026-04"]]' ]
	[ "$(status "$c1" | jq -c '[.state, .reason, .ended_from]')" = '["terminated","age_18","2026-12"]' ]
	[ "$(status "$c2" | jq -r .state)" = active ]
	# the March ending was found late: March was paid, April to November were not due
	[ "$(status "$c3" | jq -c '.events[0].detail')" = '{"overpaid_months":8,"paid_through":"2026-11"}' ]
	# the insured worker is in the registry but has nothing to certify
	run certify "$(ric 11010519600101001)" 已故职工
	[ "$(jfield .error.code)" = no_certification_needed ]
	[ "$(jfield .error.reason)" = not_enrolled ]
}

@test "dependant events follow their rule: remarriage ends a spouse's pension, not a child's" {
	insured='{"doc_type":"201","doc_no":"'$(ric 11010519600101001)'","name":"已故职工"}'
	s=$(ric 11010519620101002) k=$(ric 11010520150101002) r=$(ric 11010519500101001)
	for x in "$s spouse" "$k child"; do
		set -- $x
		jq -nc --arg d "$1" --arg rel "$2" --argjson of "$insured" \
			'{kind:"dependant",relation:$rel,doc_type:"201",doc_no:$d,name:"遗属",pension_account:"9",region:"110105",
			  insurance_type:"enterprise",benefit_start:"2020-01",of:$of,operator:{id:"sp-07",role:"specialist"}}'
	done | taxid-survival enroll - "$SPECIALIST" >/dev/null
	enrol 退休 "$r" >/dev/null
	run taxid-survival event "$OFFICER" doc_type=201 doc_no="$k" event=remarriage date=2026-10-01
	[ "$(jq -c '[.error.code, .error.reason]' <<<"$output")" = '["event_not_applicable","relation"]' ]
	run taxid-survival event "$OFFICER" doc_type=201 doc_no="$r" event=employment date=2026-10-01
	[ "$(jq -c '[.error.code, .error.reason]' <<<"$output")" = '["event_not_applicable","not_a_dependant"]' ]
	run taxid-survival event "$OFFICER" doc_type=201 doc_no="$s" event=remarriage date=2026-10-01
	[ "$(jq -c '[.state, .payment_stops_from, .overpaid_months]' <<<"$output")" = '["terminated","2026-11",1]' ]
	run taxid-survival event "$OFFICER" doc_type=201 doc_no="$k" event=enlistment date=2026-11-03
	[ "$(jq -c '[.state, .payment_stops_from, .overpaid_months]' <<<"$output")" = '["terminated","2026-12",0]' ]
	run certify "$k" 遗属
	[ "$(jq -c '[.error.code, .error.reason, .error.ended_by]' <<<"$output")" = '["no_certification_needed","pension_ended","enlistment"]' ]
}

@test "every refusal names its cause" {
	a=$(ric 11010519491231002) young=$(ric 11010519700101001) woman=$(ric 11010519750101002)
	enrol 张三 "$a" >/dev/null
	enrol 青年 "$young" >/dev/null
	enrol 女士 "$woman" >/dev/null
	run certify "$(ric 11010519500101003)" 无名
	assert_failure 1
	[ "$(jq -c '[.error.code, .error.reason, .error.field]' <<<"$output")" = '["no_certification_needed","not_enrolled","doc_no"]' ]
	# retirement age from the birth date: 60 for men, 50 for women by default (settings)
	run certify "$young" 青年
	[ "$(jq -c '[.error.code, .error.reason, .error.age, .error.retirement_age]' <<<"$output")" = '["no_certification_needed","below_retirement_age",56,60]' ]
	run certify "$woman" 女士
	assert_success
	dbq "INSERT INTO setting VALUES ('survival.retirement_age.female', '55')"
	run certify "$woman" 女士
	[ "$(jfield .error.reason)" = below_retirement_age ]
	# the name exactly: traditional for simplified is another name
	run certify "$a" 張三
	[ "$(jq -c '[.error.code, .error.field]' <<<"$output")" = '["identity_mismatch","name"]' ]
	# no reference photo for face; a lost or frozen card for the card-based methods
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=face
	[ "$(jq -c '[.error.code, .error.reason]' <<<"$output")" = '["photo_incomplete","no_reference_photo"]' ]
	taxid-survival card "$OFFICER" doc_type=201 doc_no="$a" state=lost >/dev/null
	run certify "$a" 张三 method=fingerprint
	[ "$(jq -c '[.error.code, .error.reason]' <<<"$output")" = '["photo_incomplete","card_lost"]' ]
	taxid-survival card "$OFFICER" doc_type=201 doc_no="$a" state=frozen >/dev/null
	run certify "$a" 张三 method=finger_vein
	[ "$(jfield .error.reason)" = card_frozen ]
	# a consular certificate does not need the card
	run certify "$a" 张三 method=official_proof body=hk_home_affairs
	assert_success
	# a duplicate pension must be cleared first
	taxid-survival duplicate flag "$OFFICER" doc_type=201 doc_no="$a" 'other:={"insurance_type":"resident","region":"310101"}' >/dev/null
	run certify "$a" 张三
	[ "$(jq -c '[.error.code, .error.other.region]' <<<"$output")" = '["duplicate_pension","310101"]' ]
	run taxid-survival duplicate clear "$OFFICER" doc_type=201 doc_no="$a"
	[ "$(jq -c '[.kept, .rule]' <<<"$output")" = '["this","employee_over_resident"]' ]
	run certify "$a" 张三
	assert_success
	taxid-survival event "$OFFICER" doc_type=201 doc_no="$a" event=death date=2026-11-20 >/dev/null
	run certify "$a" 张三
	[ "$(jfield .error.code)" = person_deceased ]
	# the messages people see, in Chinese
	dbq "DELETE FROM setting WHERE key = 'survival.retirement_age.female'"
	zh() {
		env LC_ALL=zh_CN.UTF-8 taxid-survival certify doc_type=201 "doc_no=$1" "name=$2" "method=$3" \
			'operator:={"id":"op-test","role":"officer"}'
	}
	run zh "$young" 青年 offline_device
	[ "$(jfield .error.message)" = 您没有需要认证的业务 ]
	run zh "$woman" 女仕 offline_device
	[ "$(jfield .error.message)" = 您的姓名或身份证号码有误 ]
	taxid-survival card "$OFFICER" doc_type=201 doc_no="$woman" state=lost >/dev/null
	run zh "$woman" 女士 fingerprint
	[ "$(jfield .error.message)" = '照片信息不完善，请联系专管员' ]
}

@test "face and passive certification need a signed verdict; three face failures offer manual review" {
	a=$(ric 11010519491231002)
	enrol 张三 "$a" 2025-06-10 '{"photo":"fetched:province-portal"}' >/dev/null
	taxid-survival run --as-of 2026-11-01 >/dev/null
	keygen face-svc && trust face-svc face
	keygen data-svc && trust data-svc survival
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=face
	[ "$(jq -c '[.error.code, .error.field]' <<<"$output")" = '["missing_field","evidence"]' ]
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=face "evidence:=$(verdict data-svc face "$a")"
	[ "$(jfield .error.code)" = verdict_untrusted ]
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=face "evidence:=$(verdict face-svc face 110105194912310038)"
	[ "$(jfield .error.code)" = verdict_subject_mismatch ]
	for n in 1 2 3; do
		run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=face "evidence:=$(verdict face-svc face "$a" fail 0.3)"
		assert_failure 1
		[ "$(jq -c '[.error.code, .error.face_failures]' <<<"$output")" = "[\"face_failed\",$n]" ]
	done
	[ "$(jfield .error.manual_review_available)" = true ]
	[ "$(status "$a" | jq -c '[.face_failures, .manual_review_available]')" = '[3,true]' ]
	ev=$(verdict face-svc face "$a")
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=face "evidence:=$ev"
	assert_success
	# issue 13: enrolled on 2026-11-25 and suspended from December: nothing withheld yet (the old 5 paid July-November twice)
	[ "$(jq -c '[.verdict.issuer, .payment_resumes, .back_pay_months]' <<<"$output")" = '["face-svc",true,0]' ]
	[ "$(status "$a" | jq -r .face_failures)" = 0 ]
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=face "evidence:=$ev"
	[ "$(jfield .error.code)" = verdict_replayed ]
	# passive data comparison and consular certificates: verdicts of kind "survival"
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=passive "evidence:=$(verdict data-svc survival "$a")"
	assert_success
	[ "$(jfield .notify)" = sms ]
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=consular "evidence:=$(verdict face-svc face "$a")"
	[ "$(jfield .error.code)" = verdict_untrusted ]
}

@test "appeals: an approved appeal counts as one certification; only an officer decides" {
	a=$(ric 11010519491231002)
	enrol 张三 "$a" 2025-06-10 >/dev/null
	taxid-survival run --as-of 2026-11-01 >/dev/null
	run taxid-survival appeal file doc_type=201 doc_no="$a" name=张三 reason='face check keeps failing' "$SPECIALIST"
	assert_success
	id=$(jfield .appeal)
	run taxid-survival appeal decide appeal="$id" decision=approve 'operator:={"id":"sp-07","role":"specialist"}'
	[ "$(jq -c '[.error.code, .error.role]' <<<"$output")" = '["operator_required","officer"]' ]
	run taxid-survival appeal decide appeal="$id" decision=approve "$OFFICER"
	assert_success
	# issue 13: nothing was withheld before December, the first month not yet paid (the old 5 paid months twice)
	[ "$(jq -c '[.decision, .method, .payment_resumes, .back_pay_months, .valid_until]' <<<"$output")" = '["approved","appeal",true,0,"2027-11-25"]' ]
	run taxid-survival appeal decide appeal="$id" decision=reject "$OFFICER"
	[ "$(jfield .error.code)" = appeal_decided ]
	run taxid-survival certify doc_type=201 doc_no="$a" name=张三 method=appeal
	[ "$(jfield .error.code)" = bad_value ]
	# special certification: an agency officer only
	run taxid-survival special doc_type=201 doc_no="$a" name=张三
	[ "$(jfield .error.code)" = operator_required ]
	run taxid-survival special doc_type=201 doc_no="$a" name=张三 "$OFFICER" reason='bedridden, home visit'
	assert_success
	[ "$(jfield .method)" = special ]
	[ "$(dbq "SELECT actor FROM survival_cert WHERE method = 'special'")" = of-01 ]
}

@test "a new retiree awaits approval; the first certification starts payment with arrears" {
	a=$(ric 11010519660101002)
	run enrol 新退休 "$a" '' '{"new_retiree":true,"benefit_start":"2026-09"}'
	[ "$(jq -c '[.state, .valid_until]' <<<"$output")" = '["pending",null]' ]
	run taxid-survival run --as-of 2026-11-25
	[ "$(jq -s -c '.[-1].processed' <<<"$output")" = 0 ]
	run certify "$a" 新退休
	assert_success
	[ "$(jq -c '[.approved, .payment_from, .back_pay_months, .state, .valid_until]' <<<"$output")" = '[true,"2026-12",3,"active","2027-11-25"]' ]
}

@test "duplicate pensions: the employee pension is kept over a resident one; of two resident pensions the first" {
	a=$(ric 11010519500101001) b=$(ric 11010519500101002)
	enrol 甲 "$a" '' '{"insurance_type":"resident","benefit_start":"2015-01"}' >/dev/null
	enrol 乙 "$b" '' '{"insurance_type":"城乡居民基本养老保险","benefit_start":"2012-01"}' >/dev/null
	taxid-survival duplicate flag "$OFFICER" doc_type=201 doc_no="$a" 'other:={"insurance_type":"enterprise","region":"310101","benefit_start":"2016-01"}' >/dev/null
	run taxid-survival duplicate clear "$OFFICER" doc_type=201 doc_no="$a"
	assert_success
	[ "$(jq -c '[.kept, .rule, .state, .payment_stops_from, .recover.months]' <<<"$output")" = '["other","employee_over_resident","terminated","2026-12",131]' ]
	taxid-survival duplicate flag "$OFFICER" doc_type=201 doc_no="$b" 'other:={"insurance_type":"resident","region":"320102","benefit_start":"2010-05"}' >/dev/null
	run taxid-survival duplicate clear "$OFFICER" doc_type=201 doc_no="$b"
	[ "$(jq -c '[.kept, .rule, .state]' <<<"$output")" = '["other","first_region","terminated"]' ]
	run taxid-survival duplicate clear "$OFFICER" doc_type=201 doc_no="$b"
	[ "$(jfield .error.code)" = no_duplicate ]
}

@test "the run is idempotent: the same date twice changes nothing the second time" {
	# three lapsed in October, three due on 1, 3 and 5 December
	for i in 1 2 3 4 5 6; do enrol "人$i" "$(ric 1101051950010100$i)" "2025-1$((i % 2 ? 2 : 0))-0$i" >/dev/null; done
	run taxid-survival run --as-of 2026-11-25
	assert_success
	first=$output
	dump() { dbq 'SELECT * FROM pensioner; SELECT * FROM survival_event; SELECT * FROM survival_notice;
		SELECT * FROM survival_run; SELECT id, hex(hash) FROM audit'; }
	before=$(dump)
	run taxid-survival run --as-of 2026-11-25
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jfield .already_done)" = true ]
	[ "$(jq -c '[.suspended, .reminders]' <<<"${lines[0]}")" = "$(jq -s -c '.[-1] | [.suspended, .reminders]' <<<"$first")" ]
	[ "$(dump)" = "$before" ]
	[ "$(jq -s -c '.[-1] | [.processed, .suspended, .reminders]' <<<"$first")" = '[6,3,3]' ]
	# a later date reminds again only where a nearer offset is reached (1 Dec had its 7-day reminder already)
	# (issue 13: a run may not be dated after today, so the clock moves on to that day)
	run taxid-survival --now 2026-11-26T08:00:00Z run --as-of 2026-11-26
	[ "$(jq -s -c '.[-1] | [.processed, .suspended, .reminders]' <<<"$output")" = '[3,0,1]' ]
	[ "$(jq -s -c '.[0] | [.notice, .valid_until, .offset]' <<<"$output")" = '["reminder","2026-12-03",7]' ]
}

@test "the report counts by region and month, as JSON and as a well-formed HTML page with an SVG chart" {
	a=$(ric 11010519500101001) b=$(ric 31010119500101002)
	enrol 甲 "$a" 2025-10-15 >/dev/null
	enrol 乙 "$b" 2025-11-30 '{"region":"310101"}' >/dev/null
	taxid-survival run --as-of 2026-11-01 >/dev/null
	certify "$a" 甲 at=2026-11-20 >/dev/null
	run taxid-survival report --as-of 2026-11-25 --months 3
	assert_success
	[ "$(jq -c '[.regions[].region]' <<<"$output")" = '["110105","310101"]' ]
	[ "$(jq -c '.regions[0].months | map([.month, .certified, .due, .overdue, .suspended, .resumed])' <<<"$output")" = \
		'[["2026-09",0,0,0,0,0],["2026-10",0,1,1,1,0],["2026-11",1,0,0,0,1]]' ]
	[ "$(jq -c '.regions[1].months[2] | [.due, .overdue]' <<<"$output")" = '[1,0]' ]
	[ "$(jq -c '.total.pensioners' <<<"$output")" = '{"pending":0,"active":2,"suspended":0,"terminated":0}' ]
	taxid-survival report --as-of 2026-11-25 --format html >report.html
	grep -q '<svg' report.html
	grep -q '</svg>' report.html
	grep -q 'Region 310101' report.html
	if command -v xmllint >/dev/null; then
		xmllint --noout report.html
	else
		[ "$(grep -c '<table>' report.html)" = "$(grep -c '</table>' report.html)" ]
		tail -n 1 report.html | grep -q '</html>'
	fi
	! grep -q '110105195001010012' report.html
}

@test "card, photo and policy changes are audited and the chain stays intact" {
	a=$(ric 11010519500101001)
	enrol 甲 "$a" >/dev/null
	taxid-survival card doc_type=201 doc_no="$a" state=lost "$SPECIALIST" >/dev/null
	taxid-survival photo "$OFFICER" doc_type=201 doc_no="$a" source=fetched:other-province >/dev/null
	taxid-survival policy set region=110105 kind=birthday "$OFFICER" >/dev/null
	[ "$(dbq "SELECT group_concat(action || '/' || coalesce(actor, '-'), ' ') FROM audit")" = \
		'survival.enroll/sp-07 survival.card/sp-07 survival.photo/of-01 survival.policy/of-01' ]
	[ "$(status "$a" | jq -c '[.card, .photo, .window.kind]')" = '["lost",true,"birthday"]' ]
	run taxid-verify audit
	[ "$(jfield .chain)" = intact ]
	run taxid-survival card "$OFFICER" doc_type=201 doc_no="$a" state=stolen
	[ "$(jq -c '[.error.code, .error.allowed]' <<<"$output")" = '["bad_value",["normal","lost","frozen"]]' ]
}

@test "a person marked abnormal in the registry is not enrolled and does not certify; deceased is person_deceased" {
	a=$(ric 11010519491231002) b=$(ric 11010519500101001) d=$(ric 11010519450303001)
	enrol 张三 "$a" 2025-12-01 >/dev/null
	enrol 李四 "$b" 2025-12-01 >/dev/null
	taxid-register mark doc_type=201 doc_no="$a" reason=deceased operator=op7 >/dev/null
	taxid-register mark doc_type=201 doc_no="$b" reason=suspected_fraud operator=op7 >/dev/null
	run certify "$a" 张三
	assert_failure 1
	[ "$(jfield .error.code)" = person_deceased ]
	run certify "$b" 李四
	[ "$(jfield .error.code)/$(jfield .error.reason)" = identity_abnormal/suspected_fraud ]
	# a registered person marked abnormal before enrolment is refused at enrolment
	jq -nc --arg d "$d" '{doc_type:"201", doc_no:$d, name:"王五", login_name:"wang_wu", initial_password:"doc_tail6"}' | taxid-register import >/dev/null
	taxid-register mark doc_type=201 doc_no="$d" reason=household_cancelled operator=op7 >/dev/null
	run enrol 王五 "$d"
	assert_failure 1
	[ "$(jfield .error.code)/$(jfield .error.reason)" = identity_abnormal/household_cancelled ]
	[ "$(dbq 'SELECT count(*) FROM pensioner')" = 2 ]
}
