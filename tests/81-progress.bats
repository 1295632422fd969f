#!/usr/bin/env bats
# 81-progress: long work (import, fixture, survival run, due, taxid-verify over many records) prints a
# progress line on stderr when stderr is a terminal, nothing when it is not; --progress / --no-progress
# override. The terminal is a pseudo-terminal made by script(1) from util-linux.
load helper

local_setup() {
	command -v script >/dev/null || skip "no script(1)"
	export SHELL=/bin/bash
}

# pty COMMAND: run the shell COMMAND with its standard error (and output, unless COMMAND redirects it) on a
# pseudo-terminal; print what reached the terminal with each carriage return made a line break.
pty() {
	script -qec "$1" /dev/null </dev/null | tr '\r' '\n' | sed '/^$/d'
	return "${PIPESTATUS[0]}"
}

# final TOOL N: $output holds TOOL's progress lines, the last saying N records done.
final() {
	assert_line --regexp "^$1: [0-9]+ records, [0-9]+/s, [0-9.]+s elapsed *\$"
	assert_line --regexp "^$1: $2 records, [0-9]+/s, [0-9.]+s elapsed, done\$"
	[ "$(tail -n 1 <<<"$output")" = "$(grep ', done$' <<<"$output")" ]
}

# gen N: N retirees of region 110105 as enrolment NDJSON, last certified a year before TAXID_NOW.
gen() {
	awk -v n="$1" 'BEGIN {
		split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " "); cc = "10X98765432"
		for (i = 0; i < n; i++) {
			day = i % 28 + 1; mon = int(i / 28) % 12 + 1; yr = 1940 + int(i / 336) % 20
			body = sprintf("110105%04d%02d%02d%03d", yr, mon, day, 0)
			s = 0
			for (k = 1; k <= 17; k++) s += substr(body, k, 1) * w[k]
			printf "{\"kind\":\"retiree\",\"doc_type\":\"201\",\"doc_no\":\"%s%s\",\"name\":\"测试%d\",", body, substr(cc, s % 11 + 1, 1), i
			printf "\"pension_account\":\"A%d\",\"region\":\"110105\",\"insurance_type\":\"enterprise\",", i
			printf "\"benefit_start\":\"2010-01\",\"last_certified\":\"2025-11-%02d\"}\n", day
		}
	}'
}

@test "fixture: progress on a terminal, with the final count" {
	run pty 'taxid-register fixture --count 600 >people.ndjson'
	assert_success
	final taxid-register 600
	[ "$(wc -l <people.ndjson)" -eq 600 ]
	# the rows are not mixed with progress
	[ "$(jq -s length people.ndjson)" -eq 600 ]
}

@test "import: progress on a terminal; none when stderr is a file; --progress forces it" {
	taxid-register fixture --count 600 --password 'Fixture-pw-1' >people.ndjson
	run pty 'taxid-register import <people.ndjson >out.ndjson'
	assert_success
	final taxid-register 600
	[ "$(jq -s 'map(select(.ok)) | length' out.ndjson)" -eq 600 ]
	# not a terminal: nothing on stderr
	run --separate-stderr taxid-register import <people.ndjson
	assert_success
	[ -z "$stderr" ]
	# --progress forces it
	run --separate-stderr taxid-register import --progress <people.ndjson
	assert_success
	[[ $stderr == *"taxid-register: 600 records, "*", done"* ]]
}

@test "the --no-progress option silences a terminal" {
	taxid-register fixture --count 600 --password 'Fixture-pw-1' >people.ndjson
	run pty 'taxid-register import --no-progress <people.ndjson >/dev/null && taxid-register --no-progress fixture --count 600 >/dev/null'
	assert_success
	assert_output ''
}

@test "small inputs print nothing even on a terminal" {
	run pty 'taxid-register fixture --count 10 | taxid-register import >/dev/null'
	assert_success
	assert_output ''
}

@test "survival enroll, run and due: progress on a terminal with the rows counted" {
	gen 600 >retirees.ndjson
	run pty 'taxid-survival enroll - "operator:={\"id\":\"op-test\",\"role\":\"specialist\"}" <retirees.ndjson >/dev/null'
	assert_success
	final taxid-survival 600
	run pty 'taxid-survival run --as-of 2026-11-25 >run.ndjson'
	assert_success
	final taxid-survival 600
	[ "$(tail -n 1 run.ndjson | jq -r .processed)" = 600 ]
	run pty 'taxid-survival due --as-of 2026-11-25 --within 3660 >due.ndjson'
	assert_success
	local n
	n=$(wc -l <due.ndjson)
	[ "$n" -ge 256 ]
	final taxid-survival "$n"
	run --separate-stderr taxid-survival due --as-of 2026-11-25 --within 3660
	assert_success
	[ -z "$stderr" ]
}

@test "taxid-verify over a large input: progress on a terminal, none otherwise" {
	local i
	for ((i = 0; i < 700; i++)); do echo '{"value":"91350100M000100Y43"}'; done >codes.ndjson
	run pty 'taxid-verify uscc <codes.ndjson >out.ndjson'
	assert_success
	final taxid-verify 700
	[ "$(grep -c '"ok":true' out.ndjson)" -eq 700 ]
	run --separate-stderr taxid-verify uscc <codes.ndjson
	assert_success
	[ -z "$stderr" ]
	run pty 'taxid-verify --no-progress uscc <codes.ndjson >/dev/null'
	assert_output ''
}

@test "stdout on a terminal but stderr not: the results only, no progress among them" {
	taxid-register fixture --count 300 --password 'Fixture-pw-1' >people.ndjson
	run pty 'taxid-register import <people.ndjson 2>/dev/null'
	assert_success
	refute_output --partial 'records,'
	[ "${#lines[@]}" -eq 300 ]
}
