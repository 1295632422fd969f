#!/usr/bin/env bats
# The record protocol every tool shares (CONTRACT.md "Records in, records out").
load helper

@test "one result per request, in order, with line and ref echoed" {
	run taxid-verify <<<'{"doc_type":"201","doc_no":"11010519491231002X","ref":{"k":[1]}}
{"doc_type":"201","doc_no":"11010519491231002X","ref":"b"}'
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -c .ref <<<"${lines[0]}")" = '{"k":[1]}' ]
	[ "$(jq -r .line <<<"${lines[1]}")" = 2 ]
	[ "$(jq -r .ref <<<"${lines[1]}")" = b ]
}

@test "bad JSON and non-objects are refused and the stream goes on" {
	run taxid-verify <<<'not json
[1,2]
{"doc_type":"201","doc_no":"11010519491231002X"}
{"a":
{"doc_type":"201","doc_no":"11010519491231002X"}'
	assert_failure 1
	[ "$(jq -r .error.code <<<"${lines[0]}")" = bad_json ]
	[ "$(jq -r .error.code <<<"${lines[1]}")" = bad_request ]
	[ "$(jq -r .ok <<<"${lines[2]}")" = true ]
	[ "$(jq -r .error.code <<<"${lines[3]}")" = bad_json ]
	[ "$(jq -r '.ok,.line' <<<"${lines[4]}" | tr '\n' ' ')" = "true 5 " ]
}

@test "objects may span lines and share a line" {
	run taxid-verify <<<'{"doc_type":"201",
  "doc_no":"11010519491231002X"} {"doc_type":"201","doc_no":"11010519491231002X","ref":2}'
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -r .line <<<"${lines[0]}")" = 1 ]
	[ "$(jq -r .ref <<<"${lines[1]}")" = 2 ]
}

@test "KEY=VALUE and KEY:=JSON operands build one request" {
	run taxid-verify doc_type=201 doc_no=11010519491231002X 'ref:={"a":1}'
	assert_success
	[ "$(jfield .ref.a)" = 1 ]
	run taxid-verify uscc value=91350100M000100Y43
	assert_success
	[ "$(jfield .value)" = 91350100M000100Y43 ]
}

@test "a request over 1 MiB is refused with request_too_large and the next one is answered" {
	{ printf '{"doc_type":"201","doc_no":"%s"}\n' "$(head -c 1200000 /dev/zero | tr '\0' a)"
	  echo '{"doc_type":"201","doc_no":"11010519491231002X"}'; } >big.ndjson
	run taxid-verify <big.ndjson
	assert_failure 1
	[ "$(jq -r .error.code <<<"${lines[0]}")" = request_too_large ]
	[ "$(jq -r .ok <<<"${lines[1]}")" = true ]
}

@test "duplicate keys, deep nesting and invalid UTF-8 get stable codes" {
	{ echo '{"doc_type":"201","doc_type":"201","doc_no":"11010519491231002X"}'
	  printf '%0.s[' $(seq 1 5000); echo
	  printf '{"doc_type":"201","doc_no":"\xff\xfe"}\n'
	  echo '{"doc_type":"201","doc_no":"11010519491231002X"}'; } >hostile.ndjson
	run taxid-verify <hostile.ndjson
	assert_failure 1
	[ "$(jq -r .error.code <<<"${lines[0]}")" = bad_json ]
	[ "$(jq -r .error.code <<<"${lines[1]}")" = bad_json ]
	[ "$(jq -r .error.code <<<"${lines[2]}")" = bad_json ]
	[ "$(jq -r .ok <<<"${lines[3]}")" = true ]
}

@test "control characters and bidi overrides in text fields are refused" {
	run taxid-verify doc_type=201 doc_no=11010519491231002X "$(printf 'name=a\xe2\x80\xaeb')"
	assert_failure 1
	[ "$(jfield .error.code)" = bad_utf8 ]
	[ "$(jfield .error.field)" = name ]
}

@test "usage errors exit 64; --help and --version exit 0" {
	run taxid-verify --bogus
	assert_failure 64
	run taxid-verify frobnicate
	assert_failure 64
	run taxid-verify trust
	assert_failure 64
	run taxid-verify --now yesterday uscc value=x
	assert_failure 64
	run taxid-verify --help
	assert_success
	assert_output --partial 'usage: taxid-verify'
	run taxid-verify uscc --help
	assert_success
	assert_output --partial 'request: value'
	run taxid-verify --version
	assert_success
	assert_output --regexp '^taxid-verify [0-9a-z.-]+'
}

@test "messages follow the locale: Chinese under zh_CN, English otherwise" {
	run env LANG=zh_CN.UTF-8 LC_ALL= taxid-verify uscc value=12345
	[ "$(jfield .error.code)" = bad_format ]
	[ "$(jfield .error.message)" = "号码长度或字符不符合规则" ]
	run env LANG=C LC_ALL= taxid-verify uscc value=12345
	[ "$(jfield .error.message)" = "the number has the wrong length or characters" ]
}

@test "output is flushed per request so pipelines stream" {
	coproc V { taxid-verify uscc; }
	echo '{"value":"91350100M000100Y43"}' >&"${V[1]}"
	read -r -t 5 first <&"${V[0]}"
	exec {V[1]}>&-
	[ "$(jq -r .ok <<<"$first")" = true ]
}

# errmsg CODE LANG: the message of CODE in lib/errors.def, English (en) or Chinese (zh).
errmsg() {
	sed -nE "s/^X\([A-Z0-9_]+, *\"$1\", *[A-Z]+, *\"([^\"]*)\", *\"([^\"]*)\"\).*/\\$([ "$2" = en ] && echo 1 || echo 2)/p" \
		"$TAXID_ROOT/lib/errors.def"
}

@test "every tool's refusals follow the locale: Chinese under zh_CN, English under C, same code" {
	taxid-verify sms send phone=1 purpose=login >/dev/null || true # creates the database
	# TOOL and a request it refuses (beyond the bad JSON every tool refuses)
	local -a cases=(
		"taxid-verify uscc value=12345"
		"taxid-register register method=hall"
		"taxid-login account=nobody"
		"taxid-lockout clear account=nobody"
		"taxid-survival status doc_type=201 doc_no=11010519491231002X"
		"taxid-bind"
	)
	local bin tool c n=0 zh en code
	for bin in "$TAXID_BIN"/taxid-*; do
		tool=$(basename "$bin")
		local -a reqs=("echo oops | $tool")
		for c in "${cases[@]}"; do
			if [ "${c%% *}" = "$tool" ] && [ "$c" != "$tool" ]; then reqs+=("$c"); fi
		done
		for c in "${reqs[@]}"; do
			n=$((n + 1))
			zh=$(env LANG=zh_CN.UTF-8 LC_ALL= LC_MESSAGES= bash -c "$c" | head -n 1) || true
			en=$(env LANG=C LC_ALL= LC_MESSAGES= bash -c "$c" | head -n 1) || true
			code=$(jq -r '.error.code' <<<"$en")
			[ "$(jq -r .ok <<<"$en")" = false ] || { echo "$c: not refused: $en"; return 1; }
			[ "$(jq -r .error.code <<<"$zh")" = "$code" ] || { echo "$c: $zh"; return 1; }
			[ "$(jq -r .error.message <<<"$en")" = "$(errmsg "$code" en)" ] || { echo "$c (C): $en"; return 1; }
			[ "$(jq -r .error.message <<<"$zh")" = "$(errmsg "$code" zh)" ] || { echo "$c (zh_CN): $zh"; return 1; }
			jq -r .error.message <<<"$zh" | grep -qP '[^\x00-\x7F]' || { echo "$c: not Chinese: $zh"; return 1; }
		done
	done
	[ "$n" -ge 10 ]
}

@test "every error code has a Chinese message and an English one" {
	local n=0 code
	while IFS= read -r code; do
		n=$((n + 1))
		[ -n "$(errmsg "$code" en)" ] || { echo "no English message: $code"; return 1; }
		errmsg "$code" zh | grep -qP '[^\x00-\x7F]' || { echo "no Chinese message: $code"; return 1; }
	done < <(sed -nE 's/^X\([A-Z0-9_]+, *"([a-z0-9_]+)".*/\1/p' "$TAXID_ROOT/lib/errors.def")
	[ "$n" -eq "$(grep -c '^X(' "$TAXID_ROOT/lib/errors.def")" ]
}
