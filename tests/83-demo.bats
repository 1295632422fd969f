#!/usr/bin/env bats
# 83-demo: the main job (scripts/demo.sh, what 'make demo' runs) succeeds end to end on a fresh database and
# prints its steps with their JSON results.
load helper

@test "make demo runs scripts/demo.sh with the built tools" {
	run make -C "$TAXID_ROOT" -n demo
	assert_success
	assert_line --regexp '^TAXID_BIN=.*/bin scripts/demo.sh$'
}

@test "scripts/demo.sh runs the main job on DIR/demo.db and succeeds" {
	unset TAXID_DB TAXID_NOW
	run --separate-stderr "$TAXID_ROOT/scripts/demo.sh" "$BATS_TEST_TMPDIR/d"
	if [ "$status" -ne 0 ]; then
		echo "$output" | tail -n 20
		echo "$stderr"
	fi
	assert_success
	[ -f d/demo.db ] && [ -f d/demo.db.key ]
	[ "$(stat -c %a d/demo.db)" = 600 ]
	assert_line --regexp '^== 1\. '
	assert_line --partial '"login_name":"zhang_san","level":4,"method":"code"'
	assert_line --partial '"login_name":"wang_wu","level":4,"method":"face"'
	assert_line --partial '"session":{"token":'
	assert_line --partial '"code":"locked"'
	assert_line --partial '"unlocked":["password"]'
	assert_line --partial '"method":"passive"'
	assert_line --partial '"notice":"suspension"'
	assert_line --partial '"status":"suspended"'
	# issue 13: June-November had been paid when the run suspended him from December: nothing to pay back (was 5)
	assert_line --partial '"payment_resumes":true,"payment_from":"2026-12","back_pay_months":0'
	assert_line --partial '"chain":"intact"'
	assert_line --regexp '^demo: done'
	if [ -x "$TAXID_BIN/taxid-bind" ]; then
		assert_line --partial '"role":"tax_handler","permissions":["declaration","inquiry","payment"],"state":"active"'
	fi
	# every result line is JSON; no secret of the demo's verdict keys is left behind
	grep '^{' <<<"$output" | jq -e . >/dev/null
	[ -z "$(find d -name '*.pem')" ]
}

@test "the demo runs again from scratch on the same directory, and prints the same results" {
	unset TAXID_DB TAXID_NOW
	"$TAXID_ROOT/scripts/demo.sh" d >one.txt
	"$TAXID_ROOT/scripts/demo.sh" d >two.txt
	# the same, up to random challenges, codes, tokens, keys and nonces
	norm() { sed -E 's/"(challenge|code|token|login_tx|public_key|fingerprint)":"[^"]*"/"\1":"…"/g; s/(code )[0-9]{6}/\1…/; s/(code=|login_tx=|token=)[^ ]*/\1…/g' "$1"; }
	diff <(norm one.txt) <(norm two.txt)
}
