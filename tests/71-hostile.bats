#!/usr/bin/env bats
# Bad input (issue 7): the hostile-request corpus of tests/data/hostile/ (made by gen.py there), streamed through
# each tool with a valid request after every hostile one. Every hostile request gets its stable error code, every
# valid one still succeeds, one result per request, and the run ends with status 1 (refusals), never a crash.
load helper

HOSTILE="$TAXID_ROOT/tests/data/hostile"

# Values for the @DOC, @PHONE and @LOGIN placeholders: every request that would create something gets its own.
pool() {
	taxid-register fixture --count 400 --seed 71 >pool.ndjson
	mapfile -t DOCS < <(jq -r .doc_no pool.ndjson)
	mapfile -t PHONES < <(jq -r .phone pool.ndjson)
	mapfile -t LOGINS < <(jq -r .login_name pool.ndjson)
	NEXT=0
}

# subst TEXT: TEXT with its placeholders replaced by the next unused person of the pool.
subst() {
	local s=$1
	if [[ $s == *@* ]]; then
		s=${s//@DOC/${DOCS[$NEXT]}}
		s=${s//@PHONE/${PHONES[$NEXT]}}
		s=${s//@LOGIN/${LOGINS[$NEXT]}}
		NEXT=$((NEXT + 1))
	fi
	SUBST=$s
}

# hostile TARGET VALID CMD...: stream TARGET's corpus through CMD, VALID (escaped like the corpus) after each case.
hostile() {
	local target=$1 valid=$2
	shift 2
	local id codes req code n=0
	: >in.bin
	: >expect.txt
	while IFS=$'\t' read -r id codes req; do
		[[ $id == '#'* || -z $id ]] && continue
		subst "$req"
		printf '%b\n' "$SUBST" >>in.bin
		for code in ${codes//,/ }; do
			printf '%s\t%s\n' "$id" "$code" >>expect.txt
		done
		subst "$valid"
		printf '%b\n' "$SUBST" >>in.bin
		printf 'valid-after-%s\tok\n' "$id" >>expect.txt
		n=$((n + 1))
	done <"$HOSTILE/$target.tsv"
	[ "$n" -gt 0 ]
	local rc=0
	"$@" <in.bin >out.ndjson 2>err.txt || rc=$?
	# one result per request, each a JSON object, in order
	jq -r '.error.code // (if .ok then "ok" else "NO-CODE" end)' out.ndjson >got.txt
	if ! diff <(cut -f2 expect.txt) got.txt >/dev/null; then
		paste expect.txt got.txt | awk -F'\t' '$2 != $3 { print "  " $1 ": expected " $2 ", got " $3 }' >&2
		[ "$(wc -l <got.txt)" = "$(wc -l <expect.txt)" ] || echo "  $(wc -l <got.txt) results for $(wc -l <expect.txt) requests" >&2
		return 1
	fi
	# refusals, no crash: status 1, and nothing on stderr
	[ "$rc" = 1 ] || { echo "exit status $rc: $(cat err.txt)" >&2; return 1; }
	[ ! -s err.txt ] || { echo "stderr: $(cat err.txt)" >&2; return 1; }
	echo "# $target: $n hostile requests, $n valid" >&3
}

@test "the corpus holds at least 200 hostile requests and matches its generator" {
	command -v python3 >/dev/null || skip "python3 is needed to regenerate the corpus"
	run python3 "$HOSTILE/gen.py" --check
	assert_success
	[ "$(cat "$HOSTILE"/*.tsv | grep -vc '^#')" -ge 200 ]
	# every class the issue names is there
	for class in nul invalid-utf8 overlong deep huge negative number duplicate-key sql-injection bel bidi \
		path-traversal date-2026-02-30; do
		grep -q "^[^#]*$class" "$HOSTILE"/*.tsv || { echo "no $class case" >&2; false; }
	done
}

@test "hostile requests to taxid-verify identity" {
	hostile verify-identity '{"doc_type":"201","doc_no":"11010519491231002X","name":"张三"}' taxid-verify identity
}

@test "hostile requests to taxid-verify uscc, mobile and bank-card" {
	hostile verify-uscc '{"value":"91350100M000100Y43"}' taxid-verify uscc
	hostile verify-mobile '{"value":"13800138000"}' taxid-verify mobile
	hostile verify-bank-card '{"value":"6222020200112233446"}' taxid-verify bank-card
}

@test "hostile requests to taxid-register import: refused in the batch, the valid ones imported" {
	pool
	hostile register-import '{"doc_type":"201","doc_no":"@DOC","name":"测试人","login_name":"@LOGIN","phone":"@PHONE","initial_password":"doc_tail6"}' \
		taxid-register import --batch-size 7
	# the valid ones and the hostile ones accepted as data (names with quotes and slashes, no phone): one person each
	n=$(grep -cx ok got.txt)
	[ "$n" -gt "$(grep -c '^valid-after' expect.txt)" ]
	[ "$(dbq 'SELECT count(*) FROM account')" = "$n" ]
	[ "$(dbq 'SELECT count(*) FROM person')" = "$n" ]
	run taxid-verify audit
	assert_success
	[ "$(jfield .chain)" = intact ]
	# each person named once by its batch's audit row
	[ "$(dbq "SELECT count(DISTINCT j.value) || ' ' || count(*) FROM audit, json_each(audit.detail, '\$.persons') AS j
		WHERE audit.action = 'import_batch'")" = "$n $n" ]
	# the injection strings were data, never SQL: nothing was dropped, and the names read back as given
	[ "$(db_integrity)" = ok ]
	login=$(sed -n "$(grep -n '^name.sql-injection-2' expect.txt | cut -d: -f1)p" out.ndjson | jq -r .login_name)
	run env TAXID_OPERATOR=op-test taxid-register --reveal show login_name="$login"
	assert_success
	[ "$(jfield .name)" = '1; DROP TABLE person; --' ]
}

@test "hostile requests to taxid-login: the valid login still succeeds after each" {
	account valid_user 'Right#Pass1'
	dbq "INSERT INTO setting(key, value) VALUES ('login.password_only', '1')"
	hostile login-password '{"account":"valid_user","password":"Right#Pass1"}' taxid-login
	# no failure was counted against the valid account
	[ "$(dbq "SELECT count(*) FROM lock_counter WHERE subject = 'account:1'")" = 0 ]
}

@test "hostile requests to taxid-survival enroll" {
	pool
	hostile survival-enroll '{"kind":"retiree","doc_type":"201","doc_no":"@DOC","name":"测试人","pension_account":"P1","region":"110105","insurance_type":"enterprise","benefit_start":"2010-01"}' \
		taxid-survival enroll - 'operator:={"id":"op-test","role":"specialist"}'
	[ "$(dbq 'SELECT count(*) FROM pensioner')" = "$(grep -cx ok got.txt)" ]
}

@test "hostile requests to the survival window policy parser (taxid-survival policy set)" {
	hostile survival-policy '{"region":"110105","kind":"fixed","deadline":"06-30","grace_days":10,"reminders":[30,7]}' \
		taxid-survival policy set - 'operator:={"id":"op-test","role":"officer"}'
	run taxid-survival policy list
	assert_success
	[ "$(jq -sc 'map(select(.region == "110105")) | .[0] | [.kind, .deadline, .grace_days, .reminders]' <<<"$output")" = \
		'["fixed","06-30",10,[30,7]]' ]
}

@test "hostile requests to the lock policy parser (taxid-lockout policy set)" {
	hostile lockout-policy '{"scope":"sms","threshold":5,"window":"sliding","window_seconds":3600,"duration":"seconds","duration_seconds":7200}' \
		taxid-lockout policy set - operator=op-test
	run taxid-lockout policy show
	assert_success
	[ "$(jq -c 'select(.scope == "sms") | [.threshold, .window, .window_seconds, .duration, .duration_seconds]' <<<"$output")" = \
		'[5,"sliding",3600,"seconds",7200]' ]
}

@test "a request over the 1 MiB limit is refused as request_too_large and the stream goes on" {
	{
		echo '{"doc_type":"201","doc_no":"11010519491231002X"}'
		printf '{"doc_type":"201","doc_no":"11010519491231002X","pad":"%s"}\n' "$(head -c 1100000 /dev/zero | tr '\0' a)"
		printf '%s' "$(head -c 2000000 /dev/zero | tr '\0' x)"
		echo
		echo '{"doc_type":"201","doc_no":"11010519491231002X"}'
	} >big.ndjson
	run taxid-verify identity <big.ndjson
	assert_failure 1
	[ "$(jq -r '.error.code // "ok"' <<<"$output" | paste -sd,)" = ok,request_too_large,request_too_large,ok ]
}

@test "path traversal in file options and action options is refused as a bad value, never opened" {
	taxid-verify sms send phone=13800138000 purpose=register >/dev/null
	run taxid-survival report --format ../../../../etc/passwd
	assert_failure 1
	[ "$(jfield .error.code)/$(jfield .error.field)" = bad_value/format ]
	run taxid-survival report --format html --region ../../../../etc
	assert_failure 1
	[ "$(jfield .error.code)/$(jfield .error.field)" = bad_value/region ]
	run taxid-survival due --as-of ../../../etc/passwd
	assert_failure 1
	[ "$(jfield .error.field)" = as_of ]
	# a --db path with .. is the operator's own path: used as given, and a missing one is not created
	run --separate-stderr taxid-verify --db ../../../../nonexistent/../t.db audit
	assert_failure 66
	[ ! -e /nonexistent ]
}
