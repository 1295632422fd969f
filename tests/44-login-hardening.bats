#!/usr/bin/env bats
# Issue 10 items 2, 6, 7, 9, 10 (SECURITY.md rules 7, 19, 22, 26, 27, 33): the login side hardened against a
# hostile tester, each attack carried out through the real binaries.
load helper

PW='Secr3t!pass'

local_setup() {
	export TAXID_TEST_DB=1
	account zhang_san "$PW"
	keygen cap
	trust cap captcha
}

# storm N: N concurrent wrong passwords for zhang_san (each with its own captcha verdict) and, in the middle of
# them, one correct login of li_si; out.I / rc.I for each, ok.out / ok.rc for li_si.
storm() {
	local n=$1 i
	for i in $(seq 1 "$n"); do verdict cap captcha zhang_san >"cap.$i"; done
	for i in $(seq 1 "$n"); do
		( rc=0; taxid-login account=zhang_san password=Wrong-pass1 captcha:="$(cat "cap.$i")" >"out.$i" 2>"err.$i" || rc=$?
		  echo $rc >"rc.$i" ) &
		if [ "$i" -eq $((n / 2)) ]; then
			( rc=0; taxid-login account=li_si password="$PW" >ok.out 2>ok.err || rc=$?; echo $rc >ok.rc ) &
		fi
	done
	wait
}

@test "rule 7: 50 concurrent wrong passwords: every caller a result line, none exits 75, exactly 5 counted; another account logs in meanwhile" {
	account li_si "$PW" 13700137000 440524188001010014 李四
	storm 50
	# every caller got exactly one result line and a per-request exit status (1), never 75 or another
	for i in $(seq 1 50); do
		[ "$(wc -l <"out.$i")" -eq 1 ] || { echo "caller $i: no result line: $(cat "err.$i")"; false; }
		[ "$(cat "rc.$i")" = 1 ] || { echo "caller $i exited $(cat "rc.$i")"; false; }
	done
	cat out.* >all
	run ! grep -qi 'database is locked\|busy' err.* all
	[ "$(jq -r .error.code all | sort | uniq -c | awk '{print $2"="$1}' | tr '\n' ' ')" = "bad_credentials=4 locked=46 " ]
	[ "$(sqlite3 "$TAXID_DB" "select failures from lock_counter where scope = 'password'")" = 5 ]
	[ "$(sqlite3 "$TAXID_DB" "select count(*) from audit where action in ('failure', 'lock')")" = 5 ]
	# the other account's correct password went through during the storm
	[ "$(cat ok.rc)" = 0 ]
	[ "$(jq -r .next ok.out)" = sms ]
	[ "$(jq -r '.login_tx | length' ok.out)" -ge 22 ]
}
