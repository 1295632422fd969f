#!/usr/bin/env bats
# taxid-survival, the money rules of issue 13: a run may not be dated in the future; a payment ledger per pension
# (paid, withheld, back_paid, overpaid, recovered) from which back pay and overpayments follow; a person declared
# dead who reappears. Every figure below is worked out by hand in the comment before it. A pension is paid on the
# first day of each month: on a given day, every month up to that day's month has been paid unless withheld.
load helper

# enrol NAME DOC LAST_CERTIFIED [EXTRA-JSON]: enrol a retiree of region 110105 (benefit since 2010-01).
enrol() {
	jq -nc --arg n "$1" --arg d "$2" --arg l "$3" --argjson x "${4:-{\}}" \
		'{kind:"retiree", doc_type:"201", doc_no:$d, name:$n, pension_account:"P-1", region:"110105",
		  insurance_type:"enterprise", benefit_start:"2010-01", last_certified:$l,
		  operator:{id:"op-test", role:"specialist"}} + $x' | taxid-survival enroll
}

status() { taxid-survival status doc_type=201 "doc_no=$1"; }

# months STATE: the months of the ledger in $output (a status line) in that state, as a compact JSON array.
months() { jq -c --arg s "$1" '[.ledger[] | select(.state == $s) | .month]' <<<"$output"; }

OFFICER='operator:={"id":"of-01","role":"officer"}'
SPECIALIST='operator:={"id":"sp-07","role":"specialist"}'

# The issue's pensioner: enrolled on 2026-01-05, last certified 2025-05-10, so valid until 2026-05-10 and lapsed on
# 2026-05-11; the first run that sees it is the one of 2026-11-25.
lapsed_in_may() {
	TAXID_NOW=2026-01-05T08:00:00Z enrol 张三 "$1" 2025-05-10 >/dev/null
	taxid-survival run --as-of 2026-11-25 >/dev/null
}

@test "run --as-of after today (the operator's calendar) is refused and changes nothing; due and report may look ahead" {
	a=$(ric 11010519500101001)
	enrol 甲 "$a" 2025-10-15 >/dev/null # lapsed on 2026-10-16: any run from that day suspends
	dump() { dbq 'SELECT * FROM pensioner; SELECT * FROM survival_run; SELECT * FROM survival_ledger;
		SELECT count(*) FROM survival_notice; SELECT count(*) FROM audit'; }
	before=$(dump)
	# now is 2026-11-25T08:00Z, 16:00 in Shanghai: today is 2026-11-25; the day after is refused
	run taxid-survival run --as-of 2026-11-26
	assert_failure 1
	[ "$(jq -c '[.error.code, .error.field, .error.reason]' <<<"$output")" = '["bad_value","as_of","in_the_future"]' ]
	run taxid-survival run --as-of 2027-06-01
	[ "$(jfield .error.reason)" = in_the_future ]
	[ "$(dump)" = "$before" ]
	[ "$(status "$a" | jq -r .state)" = active ]
	# looking ahead is what due and report are for
	run taxid-survival due --as-of 2027-06-01 --within 0
	assert_success
	[ "$(jfield .status)" = overdue ]
	run taxid-survival report --as-of 2027-06-01 --months 1
	assert_success
	# today itself is accepted
	run taxid-survival run --as-of 2026-11-25
	assert_success
	[ "$(jq -s -c '.[-1] | [.suspended, .already_done]' <<<"$output")" = '[1,false]' ]
	# the calendar is the operator's: at 2026-11-25T16:30Z it is already 2026-11-26 in Shanghai, still the 25th in UTC
	run taxid-survival --now 2026-11-25T16:30:00Z --tz UTC run --as-of 2026-11-26
	[ "$(jfield .error.reason)" = in_the_future ]
	run taxid-survival --now 2026-11-25T16:30:00Z run --as-of 2026-11-26
	assert_success
	[ "$(jq -s -c '.[-1].run' <<<"$output")" = '"2026-11-26"' ]
}

@test "the issue's case: lapsed 2026-05-11, first run 2026-11-25, certified 2026-12-10: one month of back pay, not 7" {
	a=$(ric 11010519491231002)
	TAXID_NOW=2026-01-05T08:00:00Z enrol 张三 "$a" 2025-05-10 >/dev/null
	# The run of 2026-11-25: January to November began (and were paid) while the pension was in payment, the months
	# after the lapse (June-November) included; the first month not yet paid is December.
	run taxid-survival run --as-of 2026-11-25
	[ "$(jq -s -c '[.[] | select(.notice == "suspension") | [.lapsed_on, .suspended_from]]' <<<"$output")" = '[["2026-05-11","2026-12"]]' ]
	output=$(status "$a")
	[ "$(months paid)" = '["2026-01","2026-02","2026-03","2026-04","2026-05","2026-06","2026-07","2026-08","2026-09","2026-10","2026-11"]' ]
	[ "$(jq -c '[.suspended_from, .owed.months]' <<<"$output")" = '["2026-12",0]' ]
	# On 2026-12-10, before certifying: December began while suspended, so it is withheld (shown, not yet recorded)
	output=$(taxid-survival --now 2026-12-10T02:00:00Z status doc_type=201 doc_no="$a")
	[ "$(jq -c '[.ledger[-1], .owed.months]' <<<"$output")" = '[{"month":"2026-12","state":"withheld","reason":"lapse","recorded":false},1]' ]
	db_copy b
	# Certified on 2026-12-10: back pay for the months withheld — December only, 1 — and payment from January 2027.
	# June-November were paid to someone who proves alive: owed to nobody, they stay paid.
	run taxid-survival --now 2026-12-10T02:00:00Z certify doc_type=201 doc_no="$a" name=张三 method=offline_device "$SPECIALIST"
	assert_success
	[ "$(jq -c '[.payment_resumes, .payment_from, .back_pay_months]' <<<"$output")" = '[true,"2027-01",1]' ]
	output=$(taxid-survival --now 2026-12-10T02:00:00Z status doc_type=201 doc_no="$a")
	[ "$(jq -c '.payments' <<<"$output")" = '{"paid":11,"withheld":0,"back_paid":1,"overpaid":0,"recovered":0}' ]
	[ "$(months back_paid)" = '["2026-12"]' ]
	today=$(jq -c '.ledger' <<<"$output")
	# The same certification dated 2026-11-20 (before the suspension), entered on 2026-12-10: December had begun
	# withheld all the same, so the same 1 month and the same next payment, January; the same ledger
	run taxid-survival --db "$(db_path b)" --now 2026-12-10T02:00:00Z certify doc_type=201 doc_no="$a" name=张三 \
		method=offline_device "$SPECIALIST" at=2026-11-20
	assert_success
	[ "$(jq -c '[.certified_on, .payment_from, .back_pay_months]' <<<"$output")" = '["2026-11-20","2027-01",1]' ]
	[ "$(taxid-survival --db "$(db_path b)" --now 2026-12-10T02:00:00Z status doc_type=201 doc_no="$a" | jq -c .ledger)" = "$today" ]
}

@test "an enrolment with an old last_certified never creates back pay for months before the enrolment" {
	a=$(ric 11010519500101001)
	# enrolled on 2026-11-25, lapsed on 2026-05-11 in the previous system: the ledger starts with November (paid);
	# the run of that day suspends from December
	run enrol 甲 "$a" 2025-05-10
	[ "$(jq -c '[.valid_until, .lapses_on]' <<<"$output")" = '["2026-05-10","2026-05-11"]' ]
	run taxid-survival run --as-of 2026-11-25
	[ "$(jq -s -c '[.[] | select(.notice == "suspension") | .suspended_from]' <<<"$output")" = '["2026-12"]' ]
	# certified on 2027-01-15: December and January began while suspended: 2 months back pay (not the 8 from June)
	run taxid-survival --now 2027-01-15T02:00:00Z certify doc_type=201 doc_no="$a" name=甲 method=offline_device "$SPECIALIST"
	[ "$(jq -c '[.payment_from, .back_pay_months]' <<<"$output")" = '["2027-02",2]' ]
	output=$(taxid-survival --now 2027-01-15T02:00:00Z status doc_type=201 doc_no="$a")
	[ "$(jq -c '[.ledger[0].month, .payments.paid, .payments.back_paid]' <<<"$output")" = '["2026-11",1,2]' ]
	[ "$(months back_paid)" = '["2026-12","2027-01"]' ]
}

@test "missing reported late: payment stops from the first month not yet paid, and comes back with the months withheld" {
	a=$(ric 11010519500101001)
	TAXID_NOW=2026-01-05T08:00:00Z enrol 甲 "$a" 2026-01-05 >/dev/null
	# missing since 2026-08-15, reported on 2026-11-25: September-November were paid already: suspended from December
	run taxid-survival event doc_type=201 doc_no="$a" event=missing date=2026-08-15 "$OFFICER"
	[ "$(jq -c '[.state, .suspended_from]' <<<"$output")" = '["suspended","2026-12"]' ]
	# found and certified on 2027-01-15: December and January withheld, 2 months back pay, payment from February
	run taxid-survival --now 2027-01-15T02:00:00Z certify doc_type=201 doc_no="$a" name=甲 method=offline_device "$SPECIALIST"
	[ "$(jq -c '[.payment_from, .back_pay_months]' <<<"$output")" = '["2027-02",2]' ]
}

@test "death after a lapse: the months paid after it are an overpayment to recover, and the recovery is recorded" {
	a=$(ric 11010519491231002)
	lapsed_in_may "$a"
	# Died on 2026-06-20, reported on 2026-12-10. June, the month of death, is paid; July-November were paid (the
	# pension was in payment until the run): 5 months overpaid, to recover; December was withheld, never paid.
	run taxid-survival --now 2026-12-10T02:00:00Z event doc_type=201 doc_no="$a" event=death date=2026-06-20 "$OFFICER"
	assert_success
	[ "$(jq -c '[.paid_until, .payment_stops_from, .overpaid_months, .recover]' <<<"$output")" = \
		'["2026-06","2026-07",5,{"from":"2026-07","through":"2026-11","months":5}]' ]
	export TAXID_NOW=2026-12-10T02:00:00Z
	output=$(status "$a")
	[ "$(months overpaid)" = '["2026-07","2026-08","2026-09","2026-10","2026-11"]' ]
	[ "$(months withheld)" = '["2026-12"]' ]
	[ "$(jq -c '.payments' <<<"$output")" = '{"paid":6,"withheld":1,"back_paid":0,"overpaid":5,"recovered":0}' ]
	# recovery is an officer's: the oldest months first; 2 offset against the funeral grant leave 3
	run taxid-survival recover doc_type=201 doc_no="$a" months:=2 via=offset
	[ "$(jq -c '[.error.code, .error.role]' <<<"$output")" = '["operator_required","officer"]' ]
	run taxid-survival recover doc_type=201 doc_no="$a" months:=2 via=offset "$SPECIALIST"
	[ "$(jfield .error.code)" = operator_required ]
	run taxid-survival recover doc_type=201 doc_no="$a" months:=2 via=offset "$OFFICER"
	assert_success
	[ "$(jq -c '[.recovered, .months, .overpaid_left, .via]' <<<"$output")" = '[2,["2026-07","2026-08"],3,"offset"]' ]
	# more than is left is refused, with what is left; the rest (3) recovered; then there is nothing to recover
	run taxid-survival recover doc_type=201 doc_no="$a" months:=4 "$OFFICER"
	[ "$(jq -c '[.error.code, .error.field, .error.overpaid_months]' <<<"$output")" = '["bad_value","months",3]' ]
	run taxid-survival recover doc_type=201 doc_no="$a" "$OFFICER"
	[ "$(jq -c '[.recovered, .overpaid_left, .via]' <<<"$output")" = '[3,0,"repayment"]' ]
	run taxid-survival recover doc_type=201 doc_no="$a" "$OFFICER"
	[ "$(jq -c '[.error.code, .error.reason]' <<<"$output")" = '["not_found","nothing_overpaid"]' ]
	output=$(status "$a")
	[ "$(jq -c '[.payments.overpaid, .payments.recovered, [.ledger[] | select(.state == "recovered") | .reason]]' <<<"$output")" = \
		'[0,5,["offset","offset","repayment","repayment","repayment"]]' ]
	[ "$(dbq "SELECT count(*) FROM audit WHERE action = 'survival.recover' AND actor = 'of-01'")" = 2 ]
	run taxid-verify audit
	[ "$(jfield .chain)" = intact ]
}

@test "a death after the suspension began reports paid_until as the last month actually paid" {
	a=$(ric 11010519491231002)
	lapsed_in_may "$a"
	# suspended from December; died on 2026-12-05: December was never paid, so paid until November; nothing after
	# the death was paid, nothing to recover (the event month, December, is not what was paid)
	run taxid-survival --now 2026-12-10T02:00:00Z event doc_type=201 doc_no="$a" event=death date=2026-12-05 "$OFFICER"
	assert_success
	[ "$(jq -c '[.paid_until, .payment_stops_from, .overpaid_months, .recover]' <<<"$output")" = '["2026-11","2027-01",0,null]' ]
	# the payment system's figure: paid through a month after the current one cannot be
	b=$(ric 11010519500101001)
	enrol 乙 "$b" 2026-01-05 >/dev/null
	run taxid-survival event doc_type=201 doc_no="$b" event=death date=2026-10-03 paid_through=2026-12 "$OFFICER"
	[ "$(jq -c '[.error.code, .error.field, .error.reason]' <<<"$output")" = '["bad_value","paid_through","in_the_future"]' ]
	# through the current month is accepted: November, paid after an October death, is 1 month overpaid
	run taxid-survival event doc_type=201 doc_no="$b" event=death date=2026-10-03 paid_through=2026-11 "$OFFICER"
	[ "$(jq -c '[.paid_until, .overpaid_months, .recover.months]' <<<"$output")" = '["2026-10",1,1]' ]
}

@test "reappeared: an officer ends a termination for death; the months not paid since are owed, audited" {
	a=$(ric 11010519491231002) b=$(ric 11010519500101001) c=$(ric 11010519500101002)
	for x in "$a 甲" "$b 乙" "$c 丙"; do
		set -- $x
		TAXID_NOW=2026-01-05T08:00:00Z enrol "$2" "$1" 2026-01-05 >/dev/null
	done
	# declared dead on 2026-06-20, reported 2026-07-10: July (paid on the 1st) is overpaid, 1 month
	for d in "$a" "$b"; do
		run taxid-survival --now 2026-07-10T02:00:00Z event doc_type=201 doc_no="$d" event=declared_dead date=2026-06-20 "$OFFICER"
		[ "$(jq -c '[.paid_until, .overpaid_months]' <<<"$output")" = '["2026-06",1]' ]
	done
	# 甲's July is recovered on 2026-08-03
	taxid-survival --now 2026-08-03T02:00:00Z recover doc_type=201 doc_no="$a" "$OFFICER" >/dev/null
	export TAXID_NOW=2026-10-15T02:00:00Z
	run taxid-survival event doc_type=201 doc_no="$a" event=reappeared date=2026-10-14
	[ "$(jfield .error.code)" = operator_required ]
	run taxid-survival event doc_type=201 doc_no="$a" event=reappeared date=2026-10-14 "$SPECIALIST"
	[ "$(jfield .error.code)" = operator_required ]
	run taxid-survival event doc_type=201 doc_no="$a" event=reappeared date=2026-10-16 "$OFFICER"
	[ "$(jfield .error.reason)" = in_the_future ]
	# 甲 on 2026-10-15: since the end (July): July was recovered, August-October never paid: 4 months owed;
	# payment from November
	run taxid-survival event doc_type=201 doc_no="$a" event=reappeared date=2026-10-14 "$OFFICER"
	assert_success
	[ "$(jq -c '[.state, .ended_by, .payment_from, .back_pay_months, .back_paid, .restored_months]' <<<"$output")" = \
		'["active","declared_dead","2026-11",4,["2026-07","2026-08","2026-09","2026-10"],0]' ]
	# the officer's finding counts as a certification that day: valid for 12 months
	[ "$(jq -c '[.method, .certified_on, .valid_until]' <<<"$output")" = '["reappeared","2026-10-14","2027-10-14"]' ]
	# 乙: July was paid and not recovered: it is his (restored, nothing to recover); August-October owed: 3
	run taxid-survival event doc_type=201 doc_no="$b" event=reappeared date=2026-10-14 "$OFFICER"
	[ "$(jq -c '[.payment_from, .back_pay_months, .restored_months]' <<<"$output")" = '["2026-11",3,1]' ]
	output=$(status "$b")
	[ "$(jq -c '[.state, .payments.overpaid, .payments.back_paid, .payments.paid]' <<<"$output")" = '["active",0,3,7]' ]
	# the months owed are audited, by the officer
	[ "$(dbq "SELECT json_extract(detail, '$.owed.back_pay_months') FROM audit WHERE action = 'survival.event'
		AND json_extract(detail, '$.event') = 'reappeared' AND actor = 'of-01' ORDER BY id")" = "$(printf '4\n3')" ]
	# 甲 certifies again like anyone alive
	run taxid-survival certify doc_type=201 doc_no="$a" name=甲 method=offline_device "$SPECIALIST"
	assert_success
	# only a death ends that way: not for someone alive, nor for a pension ended otherwise
	run taxid-survival event doc_type=201 doc_no="$c" event=reappeared date=2026-10-14 "$OFFICER"
	[ "$(jq -c '[.error.code, .error.reason]' <<<"$output")" = '["event_not_applicable","not_dead"]' ]
	taxid-survival event doc_type=201 doc_no="$c" event=nationality_lost date=2026-09-01 "$OFFICER" >/dev/null
	run taxid-survival event doc_type=201 doc_no="$c" event=reappeared date=2026-10-14 "$OFFICER"
	[ "$(jq -c '[.error.code, .error.ended_by]' <<<"$output")" = '["pension_ended","nationality_lost"]' ]
	run taxid-verify audit
	[ "$(jfield .chain)" = intact ]
}

@test "a new retiree's arrears are the months withheld for the approval, back paid by the first certification" {
	a=$(ric 11010519660101002)
	# benefit from 2026-09, enrolled 2026-11-25 awaiting approval: September, October and November (begun) are
	# withheld for the approval; nothing is paid yet
	enrol 新退休 "$a" 2026-01-01 '{"new_retiree":true,"benefit_start":"2026-09","last_certified":null}' >/dev/null
	output=$(status "$a")
	[ "$(months withheld)" = '["2026-09","2026-10","2026-11"]' ]
	[ "$(jq -c '[.ledger[].reason] | unique' <<<"$output")" = '["approval"]' ]
	# approved by the certification of 2026-11-25: those 3 months back paid (arrears), payment from December
	run taxid-survival certify doc_type=201 doc_no="$a" name=新退休 method=offline_device "$SPECIALIST"
	[ "$(jq -c '[.approved, .payment_from, .back_pay_months]' <<<"$output")" = '[true,"2026-12",3]' ]
	output=$(status "$a")
	[ "$(months back_paid)" = '["2026-09","2026-10","2026-11"]' ]
	# December, once begun, is paid
	output=$(taxid-survival --now 2026-12-02T02:00:00Z status doc_type=201 doc_no="$a")
	[ "$(jq -c '.ledger[-1]' <<<"$output")" = '{"month":"2026-12","state":"paid","recorded":false}' ]
}
