#!/usr/bin/env bats
# 34-register-fixture: synthetic people — deterministic per seed, every number valid for taxid-verify and for
# Debian's python3-stdnum check functions, names with rare characters and middle dots.
load helper

PY=/usr/bin/python3
ALL=201,208,210,213,227,233,237,238,239,240,241

need_stdnum() {
	if ! [ -x "$PY" ] || ! "$PY" -c 'import stdnum.cn.ric, stdnum.luhn' 2>/dev/null; then
		skip "python3-stdnum is not importable by $PY"
	fi
}

@test "fixture: the same seed gives the same bytes, another seed other bytes; a shorter run is a prefix" {
	taxid-register fixture --count 300 --seed 7 --doc-types $ALL >a
	taxid-register fixture --count 300 --seed 7 --doc-types $ALL >b
	cmp a b
	taxid-register fixture --count 300 --seed 8 --doc-types $ALL >c
	run cmp -s a c
	assert_failure
	[ "$(jq -r .doc_no a | sort | comm -12 - <(jq -r .doc_no c | sort) | wc -l)" -lt 5 ]
	taxid-register fixture --count 100 --seed 7 --doc-types $ALL >d
	[ "$(head -n 100 a | sha256sum)" = "$(sha256sum <d)" ]
	# no database is needed or made
	[ ! -e "$TAXID_DB" ]
	# raw records: no "ok" member, one object per line
	[ "$(jq -s 'map(select(has("ok"))) | length' a)" = 0 ]
	[ "$(wc -l <a)" -eq 300 ]
	# defaults: 10 resident-ID records
	run taxid-register fixture
	assert_success
	[ "${#lines[@]}" -eq 10 ]
	[ "$(jq -r .doc_type <<<"$output" | sort -u)" = 201 ]
}

@test "fixture: every number passes taxid-verify (strict region and segment), documents are unique" {
	taxid-register fixture --count 1100 --seed 11 --doc-types $ALL >people
	jq -c '{ref, doc_type, doc_no, name, nationality, strict_region:true}' people >ids
	jq -c '.paired // empty | . + {strict_region:true}' people >>ids
	run taxid-verify <ids
	[ "$status" -eq 0 ] || { grep -m3 '"ok":false' <<<"$output"; return 1; }
	[ "${#lines[@]}" -eq 1700 ]
	# birth date and sex as the numbers carry them
	jq -c 'select(.doc_type == "201") | {doc_type, doc_no}' people | taxid-verify | jq -r '[.birth_date, .sex] | join(" ")' >got
	jq -r 'select(.doc_type == "201") | [.birth_date, .sex] | join(" ")' people >want
	cmp got want
	jq -c '{value: .phone, strict_segment: true}' people | taxid-verify mobile >/dev/null
	jq -c '{value: .bank_card}' people | taxid-verify bank-card >/dev/null
	[ "$(jq -r '.doc_type + ":" + .doc_no' people | sort | uniq -d | wc -l)" -eq 0 ]
	[ "$(jq -r .phone people | sort | uniq -d | wc -l)" -eq 0 ]
	[ "$(jq -r .login_name people | sort | uniq -d | wc -l)" -eq 0 ]
	# resident IDs: birth years 1940-2005, county-level region codes (never ending in 00)
	[ "$(jq -r 'select(.doc_type == "201") | .birth_date[0:4] | tonumber | select(. < 1940 or . > 2005)' people | wc -l)" -eq 0 ]
	[ "$(jq -r 'select(.doc_type == "201") | .doc_no[4:6]' people | grep -c '^00$' || true)" -eq 0 ]
}

@test "fixture: check characters agree with python3-stdnum for more than 1000 records" {
	need_stdnum
	taxid-register fixture --count 1500 --seed 2026 --doc-types 201,233,237,238,201 >people
	run "$PY" - people <<-'EOF'
		import json, sys
		from stdnum.cn import ric
		from stdnum import luhn
		checked = cards = 0
		for line in open(sys.argv[1], encoding='utf-8'):
		    r = json.loads(line)
		    no = r['doc_no']
		    if ric.calc_check_digit(no) != no[-1]:
		        print('check character disagrees:', no); sys.exit(1)
		    if r['doc_type'] == '201' and str(ric.get_birth_date(no)) != r['birth_date']:
		        print('birth date disagrees:', no, r['birth_date']); sys.exit(1)
		    checked += 1
		    card = r['bank_card']
		    if luhn.calc_check_digit(card[:-1]) != card[-1] or not luhn.is_valid(card):
		        print('Luhn disagrees:', card); sys.exit(1)
		    if not (card.startswith('62') and len(card) in (16, 19)):
		        print('card shape:', card); sys.exit(1)
		    cards += 1
		print(checked, cards)
	EOF
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$output" = '1500 1500' ]
}

@test "fixture: names keep rare characters (4-byte UTF-8) and middle dots; login names follow the rules" {
	taxid-register fixture --count 1000 --seed 3 --password 'Fixture!pw1' >people # one hash, not 1000 argon2 runs
	# at least one name with a character outside the BMP, and several middle-dot names
	[ "$(jq -r .name people | LC_ALL=C grep -c $'\xf0')" -gt 5 ]
	[ "$(jq -r .name people | grep -c '·')" -gt 5 ]
	[ "$(jq -r .login_name people | LC_ALL=C.UTF-8 grep -cP '\p{Han}')" -gt 5 ]
	# every record imports: names, login names and phones pass the rules
	taxid-register import <people >out
	[ "$(jq -r .status out | sort -u)" = created ]
	# names are stored exactly: a 4-byte name shows back unchanged with --reveal
	local rec
	rec=$(jq -c 'select(.name | test("[\\x{20000}-\\x{323AF}]"))' people | head -n 1)
	run env TAXID_OPERATOR=op-test taxid-register --reveal show doc_type=201 doc_no="$(jq -r .doc_no <<<"$rec")"
	[ "$(jfield .name)" = "$(jq -r .name <<<"$rec")" ]
}

@test "fixture --password: one argon2id hash for the whole run, imported unpeppered; a weak password is refused" {
	run taxid-register fixture --count 20 --password 'Fixture!pw1'
	assert_success
	[ "$(jq -r .password_hash <<<"$output" | sort -u | wc -l)" -eq 1 ]
	[[ $(jq -r .password_hash <<<"${lines[0]}") == '$argon2id$v=19$m=19456,t=2,p=1$'* ]]
	[ "$(jq -s 'map(select(has("initial_password"))) | length' <<<"$output")" = 0 ]
	taxid-register import <<<"$output" >/dev/null
	login=$(jq -r .login_name <<<"${lines[3]}")
	run taxid-login account="$login" password='Fixture!pw1'
	assert_success
	run taxid-register fixture --count 2 --password short
	assert_failure 1
	[ "$(jfield .error.code)/$(jfield .error.rule)" = password_policy/length ]
	run taxid-register fixture --count 2 --doc-types 201,999
	[ "$(jfield .error.code)" = unknown_doc_type ]
	run taxid-register fixture --count -1
	[ "$(jfield .error.code)" = bad_value ]
}

@test "fixture: login names stay within 16 characters past record 1,679,616, where the index takes five base-36 digits" {
	# The records after the 4-digit base-36 indexes run out (36^4 = 1,679,616): at 10M, 6,419 names had 17
	# characters and their import was refused. Only the tail is kept; every one of them must import.
	taxid-register fixture --no-progress --count 1680000 --seed 1 --password 'Fixture!pw1' | tail -n 384 >tail.ndjson
	[ "$(wc -l <tail.ndjson)" = 384 ]
	[ "$(jq -r .ref tail.ndjson | head -n 1)" = fx-1679617 ]
	# the longest kind of name is there: two syllables and a 5-digit index, shortened to one syllable
	[ "$(jq -r .login_name tail.ndjson | grep -E '^[a-z]+_[0-9a-z]{5}$' | grep -vc '^tax_')" -gt 0 ]
	[ "$(jq -r '.login_name | length' tail.ndjson | sort -n | tail -n 1)" -le 16 ]
	taxid-register import <tail.ndjson >out
	[ "$(jq -r .status out | sort -u)" = created ]
}
