#!/usr/bin/env bats
# 21-stdnum: differential test of taxid's check characters against Debian's python3-stdnum 1.18
# (stdnum.cn.ric, stdnum.cn.uscc). Seeded random bodies whose other parts are valid, so only the check
# character is under test; stdnum computes it, taxid-verify judges the whole number.

load helper

PY=/usr/bin/python3
COUNT=10000
SEED=20261125

# Debian's stdnum imports only with the system python (pyenv's python3 on PATH lacks it, IDS.md §3.1).
need_stdnum() {
	if ! [ -x "$PY" ] || ! "$PY" -c 'import stdnum.cn.ric, stdnum.cn.uscc' 2>/dev/null; then
		skip "python3-stdnum is not importable by $PY"
	fi
}

# judge ACTION IN OUT: run taxid-verify over a file of requests; 0 (all valid) and 1 (some refused) are fine.
judge() {
	local st=0
	if [ "$1" = identity ]; then
		"$TAXID_BIN/taxid-verify" <"$2" >"$3" 2>"$BATS_TEST_TMPDIR/err" || st=$?
	else
		"$TAXID_BIN/taxid-verify" "$1" <"$2" >"$3" 2>"$BATS_TEST_TMPDIR/err" || st=$?
	fi
	[ "$st" -le 1 ] || { echo "taxid-verify $1 exited $st"; head -c 2000 "$BATS_TEST_TMPDIR/err"; return 1; }
	[ "$(wc -l <"$3")" -eq "$(wc -l <"$2")" ] ||
		{ echo "taxid-verify $1: $(wc -l <"$2") requests, $(wc -l <"$3") results"; return 1; }
}

# disagreements IN OUT EARLIER: refs g* must be valid; refs b* must be refused with bad_checksum or one of the
# reasons (a jq array) that taxid checks before the check character. Prints the first disagreements, fails on any.
disagreements() {
	jq -nc --slurpfile req "$1" --slurpfile res "$2" --argjson earlier "$3" '
		($req | map({key: .ref, value: .}) | from_entries) as $in
		| $res[] | . as $r | $in[$r.ref] as $q
		| if $q == null then {problem: "unknown ref", got: $r}
		  elif ($r.ref | startswith("g")) then
			(if $r.valid == true then empty else {problem: "stdnum check character refused", sent: $q, got: $r} end)
		  elif $r.valid != true and (["bad_checksum"] + $earlier | index($r.error.code)) != null then empty
		  else {problem: "wrong check character not refused as bad_checksum", sent: $q, got: $r} end' >"$BATS_TEST_TMPDIR/bad.ndjson"
	if [ -s "$BATS_TEST_TMPDIR/bad.ndjson" ]; then
		echo "$(wc -l <"$BATS_TEST_TMPDIR/bad.ndjson") disagreements with stdnum; the first ones:"
		head -n 20 "$BATS_TEST_TMPDIR/bad.ndjson"
		return 1
	fi
}

@test "stdnum: resident ID check characters agree with stdnum.cn.ric" {
	need_stdnum
	local in="$BATS_TEST_TMPDIR/ric.in" out="$BATS_TEST_TMPDIR/ric.out"
	"$PY" - "$SEED" "$COUNT" >"$in" <<-'EOF'
		import datetime, json, random, sys
		from stdnum.cn import ric
		rng = random.Random(int(sys.argv[1]))
		provinces = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
		             50, 51, 52, 53, 54, 61, 62, 63, 64, 65]
		lo, hi = datetime.date(1900, 1, 1).toordinal(), datetime.date(2020, 12, 31).toordinal()
		for i in range(int(sys.argv[2])):
		    born = datetime.date.fromordinal(rng.randint(lo, hi)).strftime('%Y%m%d')
		    body = '%02d%04d%s%03d' % (rng.choice(provinces), rng.randint(0, 9999), born, rng.randint(0, 999))
		    check = ric.calc_check_digit(body + '0')  # stdnum expects the check position present
		    wrong = rng.choice([c for c in '0123456789X' if c != check])
		    print(json.dumps({'ref': 'g%d' % i, 'doc_type': '201', 'doc_no': body + check}))
		    print(json.dumps({'ref': 'b%d' % i, 'doc_type': '201', 'doc_no': body + wrong}))
	EOF
	[ "$(wc -l <"$in")" -eq $((2 * COUNT)) ]
	judge identity "$in" "$out"
	disagreements "$in" "$out" '["bad_format","wrong_doc_type","unknown_province","bad_birth_date","future_birth_date"]'
}

@test "stdnum: USCC check characters agree with stdnum.cn.uscc" {
	need_stdnum
	local in="$BATS_TEST_TMPDIR/uscc.in" out="$BATS_TEST_TMPDIR/uscc.out"
	"$PY" - "$SEED" "$COUNT" >"$in" <<-'EOF'
		import json, random, sys
		from stdnum.cn import uscc
		rng = random.Random(int(sys.argv[1]))
		alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY'  # GB 32100: no I, O, S, V, Z
		provinces = [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
		             50, 51, 52, 53, 54, 61, 62, 63, 64, 65]

		def org_check(body):
		    # GB 11714: full alphabet A=10 .. Z=35; 10 -> X, 11 -> 0
		    total = sum((int(c) if c.isdigit() else ord(c) - ord('A') + 10) * w
		                for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2)))
		    c = 11 - total % 11
		    return 'X' if c == 10 else '0' if c == 11 else str(c)

		for i in range(int(sys.argv[2])):
		    org = ''.join(rng.choice(alphabet) for _ in range(8))
		    # authority 9, category 1; stdnum insists on 8 leading digits
		    body = '91%02d%04d%s%s' % (rng.choice(provinces), rng.randint(0, 9999), org, org_check(org))
		    check = uscc.calc_check_digit(body)
		    wrong = rng.choice([c for c in alphabet if c != check])
		    assert uscc.is_valid(body + check) and not uscc.is_valid(body + wrong)
		    print(json.dumps({'ref': 'g%d' % i, 'value': body + check}))
		    print(json.dumps({'ref': 'b%d' % i, 'value': body + wrong}))
	EOF
	[ "$(wc -l <"$in")" -eq $((2 * COUNT)) ]
	judge uscc "$in" "$out"
	disagreements "$in" "$out" '["bad_format","bad_authority","unknown_province"]'
}
