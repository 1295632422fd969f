#!/usr/bin/env bats
# 20-ids: identifier validation (IDS.md) through taxid-verify: every row of tests/data/id-vectors.tsv, then
# the rules the vectors do not pin down on their own.

load helper
bats_require_minimum_version 1.5.0

VECTORS="$BATS_TEST_DIRNAME/data/id-vectors.tsv"

# The vector rows as JSON objects {ref, kind, value, expected, reason}; ref is the TSV line number.
vector_rows() {
	awk -F'\t' 'NR > 1 && NF >= 4 { print NR "\t" $0 }' "$VECTORS" |
		jq -Rc 'split("\t") | {ref: .[0], kind: .[1], value: .[2], expected: .[3], reason: .[4]}'
}

# What each vector kind is sent as: a document type for the identity action, or another action.
KIND_MAP='
def route:
	if .kind == "ric" or .kind == "ric15" then {action: "identity", doc_type: "201"}
	elif .kind == "residence_permit" then {action: "identity", doc_type: (if (.value | test("^8[12]")) then "237" else "238" end)}
	elif .kind == "foreign_pr" then {action: "identity", doc_type: "233"}
	elif .kind == "hkmo_permit" then {action: "identity", doc_type: "210"}
	elif .kind == "tw_permit" then {action: "identity", doc_type: "213"}
	elif .kind == "passport_cn" then {action: "identity", doc_type: "227"}
	elif .kind == "uscc" then {action: "uscc"}
	elif .kind == "bank_card" then {action: "bank-card"}
	elif .kind == "mobile" then {action: "mobile"}
	else {action: null} end;
'

# verify_one JSON [ARGS...]: one request through taxid-verify; output in $output, status in $status.
verify_one() {
	local json=$1
	shift
	run --separate-stderr "$TAXID_BIN/taxid-verify" "$@" <<<"$json"
}

# has_warning WORD: the last result carries that warning (a string, or an object with that code).
has_warning() {
	jq -e --arg w "$1" '.warnings | map(if type == "object" then .code else . end) | index($w) != null' <<<"$output" >/dev/null
}

# error_is CODE: the last result was refused with that code.
error_is() {
	jq -e --arg c "$1" '.ok == false and .valid != true and .error.code == $c' <<<"$output" >/dev/null ||
		{ echo "expected error $1, got: $output"; return 1; }
}

# is_valid: the last result accepted the number.
is_valid() {
	jq -e '.ok == true and .valid == true' <<<"$output" >/dev/null || { echo "expected valid, got: $output"; return 1; }
}

@test "ids: every row of id-vectors.tsv gets the expected verdict" {
	local dir="$BATS_TEST_TMPDIR" action st
	vector_rows | jq -c "$KIND_MAP . + route" >"$dir/rows.ndjson"
	[ "$(wc -l <"$dir/rows.ndjson")" -gt 100 ]
	# A kind this test does not know must not pass silently.
	run jq -c 'select(.action == null)' "$dir/rows.ndjson"
	[ -z "$output" ] || { echo "vector kinds without a mapping: $output"; false; }

	: >"$dir/results.ndjson"
	for action in identity uscc bank-card mobile; do
		jq -c --arg a "$action" 'select(.action == $a) |
			if $a == "identity" then {ref, doc_type, doc_no: .value} else {ref, value} end' \
			"$dir/rows.ndjson" >"$dir/in.ndjson"
		st=0
		if [ "$action" = identity ]; then
			"$TAXID_BIN/taxid-verify" <"$dir/in.ndjson" >"$dir/out.ndjson" 2>"$dir/err" || st=$?
		else
			"$TAXID_BIN/taxid-verify" "$action" <"$dir/in.ndjson" >"$dir/out.ndjson" 2>"$dir/err" || st=$?
		fi
		# 0: all valid, 1: some refused; anything else stopped the run.
		[ "$st" -le 1 ] || { echo "taxid-verify $action exited $st"; cat "$dir/err" "$dir/out.ndjson"; false; }
		[ "$(wc -l <"$dir/out.ndjson")" -eq "$(wc -l <"$dir/in.ndjson")" ] ||
			{ echo "taxid-verify $action: $(wc -l <"$dir/in.ndjson") requests, $(wc -l <"$dir/out.ndjson") results"; false; }
		cat "$dir/out.ndjson" >>"$dir/results.ndjson"
	done

	# Join results to rows by ref and keep the disagreements, printed row and result together.
	jq -nc --slurpfile rows "$dir/rows.ndjson" --slurpfile res "$dir/results.ndjson" '
		($res | map({key: (.ref | tostring), value: .}) | from_entries) as $by
		| $rows[] | . as $row | $by[$row.ref] as $got
		| ($row.reason | test("STRICT-REGION|STRICT-SEGMENT")) as $strict
		| if $got == null then {problem: "no result", row: $row}
		  elif ($row.expected == "valid") != ($got.valid == true) then {problem: "verdict", row: $row, got: $got}
		  elif $strict and (($got.warnings // []) | length) == 0 then {problem: "strict row without warning", row: $row, got: $got}
		  else empty end' >"$dir/bad.ndjson"
	if [ -s "$dir/bad.ndjson" ]; then
		echo "$(wc -l <"$dir/bad.ndjson") of $(wc -l <"$dir/rows.ndjson") vector rows disagree:"
		cat "$dir/bad.ndjson"
		false
	fi
}

@test "ids: a 15-digit resident ID is upgraded to 18 characters" {
	verify_one '{"doc_type":"201","doc_no":"610104620927690"}' --reveal
	is_valid
	jq -e '.doc_no == "610104196209276908" and .birth_date == "1962-09-27" and .sex == "F"
		and .doc_type == "resident_id" and .doc_type_code == 201 and .nationality == "CHN"' <<<"$output"
}

@test "ids: lower-case x is normalised to X" {
	verify_one '{"doc_type":"201","doc_no":" 11010519491231002x "}' --reveal
	is_valid
	jq -e '.doc_no == "11010519491231002X" and .birth_date == "1949-12-31" and .sex == "F" and .region.code == "110105"' <<<"$output"
}

@test "ids: full-width digits and spaces are normalised" {
	verify_one '{"doc_type":"resident_id","doc_no":"　１１０１０５１９４９１２３１００２ｘ　"}' --reveal
	is_valid
	jq -e '.doc_no == "11010519491231002X"' <<<"$output"
	verify_one '{"value":"１３８１２３４５６７８"}' --reveal mobile
	is_valid
	jq -e '.value == "13812345678"' <<<"$output"
}

@test "ids: internal separators are rejected" {
	verify_one '{"doc_type":"201","doc_no":"110105 19491231002X"}'
	error_is bad_format
	verify_one '{"doc_type":"201","doc_no":"110105-19491231002X"}'
	error_is bad_format
	jq -e '.error.field == "doc_no"' <<<"$output"
}

@test "ids: a birth date after today is future_birth_date" {
	verify_one '{"doc_type":"201","doc_no":"110105207001010018"}'
	error_is future_birth_date
	# TAXID_NOW is 2026-11-25: born today is fine, tomorrow is not.
	verify_one '{"doc_type":"201","doc_no":"110105202611250024"}'
	is_valid
	verify_one '{"doc_type":"201","doc_no":"11010520261126002X"}'
	error_is future_birth_date
}

@test "ids: 1900-02-29 is bad_birth_date, 2000-02-29 is valid" {
	verify_one '{"doc_type":"201","doc_no":"110105190002290017"}'
	error_is bad_birth_date
	verify_one '{"doc_type":"201","doc_no":"110105200002290013"}'
	is_valid
	jq -e '.birth_date == "2000-02-29" and .sex == "M"' <<<"$output"
}

@test "ids: a residence permit or PR number given as a resident ID is wrong_doc_type" {
	verify_one '{"doc_type":"201","doc_no":"810000199408230021"}'
	error_is wrong_doc_type
	verify_one '{"doc_type":"201","doc_no":"830000199201300022"}'
	error_is wrong_doc_type
	verify_one '{"doc_type":"201","doc_no":"911398199012310021"}'
	error_is wrong_doc_type
	verify_one '{"doc_type":"237","doc_no":"830000199201300022"}'
	error_is wrong_doc_type
	verify_one '{"doc_type":"238","doc_no":"810000199408230021"}'
	error_is wrong_doc_type
	verify_one '{"doc_type":"237","doc_no":"11010519491231002X"}'
	error_is wrong_doc_type
}

@test "ids: an unknown county is a warning, not a refusal" {
	verify_one '{"doc_type":"201","doc_no":"235407195106112745"}'
	is_valid
	has_warning unknown_county
	# A known county carries no warning.
	verify_one '{"doc_type":"201","doc_no":"11010519491231002X"}'
	is_valid
	jq -e '.warnings == []' <<<"$output"
}

@test "ids: USCC pilot codes are allowed with a warning" {
	local code
	for code in 91350100M0001TGQXM 91350211M0000XUF46 91350203M0001FUE2P 91350211m00013fa1n; do
		verify_one "{\"value\":\"$code\"}" uscc
		is_valid
		has_warning pilot_code
	done
	jq -e '.value == "91350211M00013FA1N"' <<<"$output"
}

@test "ids: USCC embedded organisation-code failure is bad_org_checksum" {
	# 91330106MA27Y4U46N: mod-31 check right, GB 11714 check wrong (7 expected, 6 found).
	verify_one '{"value":"91330106MA27Y4U46N"}' uscc
	error_is bad_org_checksum
	jq -e '.error.field == "value"' <<<"$output"
	verify_one '{"value":"91330106MA27Y4U47R"}' uscc
	is_valid
	jq -e '.value == "91330106MA27Y4U47R" and .warnings == []' <<<"$output"
	verify_one '{"value":"B1350100M000100Y41"}' uscc
	error_is bad_authority
}

@test "ids: mobile segments outside the strict list carry contested_segment" {
	verify_one '{"value":"14899230918"}' mobile
	is_valid
	has_warning contested_segment
	verify_one '{"value":"+8613812345678"}' mobile
	is_valid
	jq -e '.warnings == []' <<<"$output"
}

@test "ids: every document type accepts one valid number" {
	local t no
	while read -r t no; do
		verify_one "{\"doc_type\":\"$t\",\"doc_no\":\"$no\"}" --reveal
		is_valid
		jq -e --arg t "$t" --arg no "$no" '.doc_type_code == ($t | tonumber) and .doc_no == $no' <<<"$output" ||
			{ echo "doc type $t: $output"; false; }
	done <<-'EOF'
		201 11010519491231002X
		208 X12345678
		210 H12345678
		213 12345678
		227 EA1234567
		233 932682198501010017
		237 810000199408230021
		238 830000199201300022
		239 WP1234567
		240 WP7654321
		241 2023ABC0001
		299 ABC12345
	EOF
}

@test "ids: document types are accepted by name" {
	local name code
	while read -r name code; do
		verify_one "{\"doc_type\":\"$name\",\"doc_no\":\"H12345678\"}"
		# Only the type matters here: a known type gets past type parsing.
		jq -e --arg c "$code" '.error.code != "unknown_doc_type" and (.ok == false or .doc_type_code == ($c | tonumber))' <<<"$output" ||
			{ echo "doc type $name: $output"; false; }
	done <<-'EOF'
		resident_id 201
		foreign_passport 208
		hkmo_permit 210
		tw_permit 213
		cn_passport 227
		foreign_pr 233
		hkmo_residence 237
		tw_residence 238
		work_permit_a 239
		work_permit_b 240
		work_permit_c 241
		other 299
	EOF
	verify_one '{"doc_type":"202","doc_no":"H12345678"}'
	error_is unknown_doc_type
}

@test "ids: foreign PR cards carry their nationality" {
	verify_one '{"doc_type":"233","doc_no":"932682198501010017"}'
	is_valid
	jq -e '.nationality == "SAU" and .birth_date == "1985-01-01" and .sex == "M"' <<<"$output"
	verify_one '{"doc_type":"233","doc_no":"KAZ110090123105"}'
	is_valid
	jq -e '.nationality == "KAZ"' <<<"$output"
	verify_one '{"doc_type":"233","doc_no":"911999199012310021"}'
	error_is unknown_country
}

@test "ids: bank cards are masked and Luhn-checked" {
	verify_one '{"value":"6228480402564890018"}' bank-card
	is_valid
	jq -e '.value != "6228480402564890018" and (.value | endswith("0018"))' <<<"$output"
	verify_one '{"value":"6228480402564890019"}' bank-card
	error_is bad_checksum
	verify_one '{"value":"622848040256489001"}' bank-card
	error_is bad_checksum
	verify_one '{"value":"375556917985515"}' bank-card
	error_is bad_format
}
