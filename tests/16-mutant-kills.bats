#!/usr/bin/env bats
# Tests written for the mutants of tests/mutants.tsv that the suite let survive (issue 12; make mutate,
# tests/MUTANTS.md). Each pins a rule at its boundary, on both sides, through the real binaries.
load helper

local_setup() {
	account zhang_san 'Secr3t!pass'
}

# check T TOKEN: a session check at instant T
check() { taxid-login --now "$1" session check token="$2"; }

@test "session idle: valid 29:59 after its last use, gone exactly 30:00 after it" {
	tok=$(login_sms zhang_san 'Secr3t!pass' | jq -r .session.token)
	[ -n "$tok" ] && [ "$tok" != null ]
	run check 2026-11-25T08:29:59Z "$tok"
	assert_success
	# the check at 08:29:59 is the last use: 29:59 later it is still valid (and that use counts too)
	run check 2026-11-25T08:59:58Z "$tok"
	assert_success
	run check 2026-11-25T09:29:57Z "$tok"
	assert_success
	# exactly 30:00 after the last use (09:29:57) it is gone, and stays gone
	run check 2026-11-25T09:59:57Z "$tok"
	[ "$(jfield .error.code)" = session_invalid ]
	run check 2026-11-25T09:59:58Z "$tok"
	[ "$(jfield .error.code)" = session_invalid ]
}

@test "session idle: 29:59 after the login it is valid, 30:00 after the login (unused) it is not" {
	tok1=$(login_sms zhang_san 'Secr3t!pass' | jq -r .session.token)
	tok2=$(TAXID_NOW=2026-11-25T08:01:01Z login_sms zhang_san 'Secr3t!pass' | jq -r .session.token)
	# tok1 was issued at 08:00:00 and never used: idle 29:59 at 08:29:59
	run check 2026-11-25T08:29:59Z "$tok1"
	assert_success
	# tok2 was issued at 08:01:01 and never used: idle 30:00 at 08:31:01
	run check 2026-11-25T08:31:01Z "$tok2"
	[ "$(jfield .error.code)" = session_invalid ]
}
