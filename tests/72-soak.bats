#!/usr/bin/env bats
# Soak: 8 concurrent processes run mixed requests (verifications, imports, logins good and bad, grants,
# certifications) against one database for a bounded time
# (SOAK_SECONDS, default 20). Nothing busy reaches a result, every lock counter is exact,
# the audit chain holds, and the throughput is printed.
load helper

WORKERS=8
VICTIMS=4 # victims 1-3 take wrong passwords from everyone; victim 4 exactly one from each of workers 1-4

local_setup() {
	keygen cap
	trust cap captcha
	# one good account per worker, and the shared victims of wrong passwords
	h=$(phc 'Good!pass1')
	for w in $(seq 1 $WORKERS); do
		jq -nc --arg d "$(ric "11010519800101$((100 + w))")" --arg l "good_$w" --arg p "1380013$((8000 + w))" --arg h "$h" \
			'{doc_type:"201", doc_no:$d, name:"好人", login_name:$l, phone:$p, password_hash:$h, face_verified:true}'
	done >accounts.ndjson
	for v in $(seq 1 $VICTIMS); do
		jq -nc --arg d "$(ric "11010519700201$((100 + v))")" --arg l "victim_$v" --arg p "1390013$((8000 + v))" --arg h "$h" \
			'{doc_type:"201", doc_no:$d, name:"受害", login_name:$l, phone:$p, password_hash:$h}'
	done >>accounts.ndjson
	taxid-register import <accounts.ndjson >/dev/null
	# one enterprise per worker with its good account as legal representative, and that account's session
	uscc $WORKERS 5 >tins
	for w in $(seq 1 $WORKERS); do
		jq -nc --arg t "$(sed -n "${w}p" tins)" --arg d "$(ric "11010519800101$((100 + w))")" \
			'{tin:$t, name:"浸泡测试有限公司", legal_rep:{doc_type:"201", doc_no:$d, name:"好人"}, operator:"soak"}'
	done | taxid-bind enterprise import >/dev/null
	for w in $(seq 1 $WORKERS); do
		login_sms "good_$w" 'Good!pass1' "1380013$((8000 + w))" | jq -r .session.token >"session.$w"
	done
	# 20 pensioners per worker, certified by that worker only
	for w in $(seq 1 $WORKERS); do
		for k in $(seq 10 29); do
			d=$(ric "11010519450$w$((10 + w))0$k")
			echo "$w $d"
			jq -nc --arg d "$d" '{kind:"retiree", doc_type:"201", doc_no:$d, name:"老王", pension_account:"1",
				region:"110105", insurance_type:"enterprise", benefit_start:"2005-01", last_certified:"2025-12-01"}' >>pensioners.ndjson
		done
	done >pensioners.txt
	taxid-survival enroll - 'operator:={"id":"op-test","role":"specialist"}' <pensioners.ndjson >/dev/null
	# identity requests to verify, and fixture people to import (disjoint per worker by seed)
	taxid-register fixture --count 200 --seed 77 | jq -c '{doc_type, doc_no, name}' >verify.ndjson
	# a pool of captcha verdicts (each can be used once), per victim
	for v in $(seq 1 $VICTIMS); do
		for n in $(seq 1 40); do verdict cap captcha "victim_$v"; done >"cap.$v"
	done
}

# worker W DEADLINE: loop over the mix until the deadline; every result line goes to out.W, stderr to err.W,
# every wrong-password attempt to bad.W as "victim result-code".
worker() {
	set +e # refusals are expected results here, not reasons to stop
	local w=$1 deadline=$2 round=0 v cap
	while [ "$(date +%s)" -lt "$deadline" ]; do
		round=$((round + 1))
		taxid-verify <verify.ndjson >>"out.$w" 2>>"err.$w"
		taxid-register fixture --count 20 --seed "$((w * 1000 + round))" --password 'Fixture!pw1' |
			jq -c --arg p "w${w}r${round}x" '.login_name = $p + (.ref | ltrimstr("fx-"))' | taxid-register import >>"out.$w" 2>>"err.$w"
		# a fresh day each round, so neither the SMS cooldown nor the daily cap of the second factor refuses it
		taxid-login --now "$(at $((round * 1440)))" account="good_$w" password='Good!pass1' >>"out.$w" 2>>"err.$w"
		if [ "$round" = 1 ] && [ "$w" -le 4 ]; then
			taxid-login account=victim_4 password='Wrong!pass1' captcha:="$(sed -n "${w}p" cap.4)" >"try.$w.0" 2>>"err.$w"
			echo "4 $(jq -r .error.code "try.$w.0")" >>"bad.$w"
			cat "try.$w.0" >>"out.$w"
		fi
		v=$(( (w + round) % 3 + 1 ))
		# each worker takes its own captcha verdicts from the victim's pool: line (w-1)*5 + round, at most 5 rounds
		if [ "$round" -le 5 ]; then
			cap=$(sed -n "$(( (w - 1) * 5 + round ))p" "cap.$v")
			taxid-login account="victim_$v" password='Wrong!pass1' captcha:="$cap" >"try.$w.$round" 2>>"err.$w"
			echo "$v $(jq -r .error.code "try.$w.$round")" >>"bad.$w"
			cat "try.$w.$round" >>"out.$w"
		fi
		# grants: odd rounds authorise the next worker's account as tax handler, even rounds revoke it
		if [ $((round % 2)) = 1 ]; then
			taxid-bind grant session="$(cat "session.$w")" tin="$(sed -n "${w}p" tins)" role=tax_handler \
				login_name="good_$((w % WORKERS + 1))" >"grant.$w" 2>>"err.$w"
			cat "grant.$w" >>"out.$w"
		else
			taxid-bind revoke session="$(cat "session.$w")" relation="$(jq -r .relation "grant.$w")" >>"out.$w" 2>>"err.$w"
		fi
		awk -v w="$w" '$1 == w {print $2}' pensioners.txt | sed -n "$(( (round - 1) % 20 + 1 ))p" |
			while read -r d; do
				taxid-survival certify doc_type=201 doc_no="$d" name=老王 method=offline_device \
					'operator:={"id":"op-test","role":"officer"}' >>"out.$w" 2>>"err.$w"
			done
	done
	echo "$round" >"rounds.$w"
}

@test "8 concurrent mixed workers: no busy error surfaces, lock counters are exact, the audit chain holds" {
	secs=${SOAK_SECONDS:-20}
	start=$(date +%s)
	deadline=$((start + secs))
	for w in $(seq 1 $WORKERS); do
		worker "$w" "$deadline" &
	done
	wait
	elapsed=$(($(date +%s) - start))
	cat out.* >all.ndjson
	requests=$(wc -l <all.ndjson)
	echo "# soak: $WORKERS workers, ${elapsed}s, $requests results, $((requests / (elapsed > 0 ? elapsed : 1))) results/s" >&3

	# nothing busy or locked-database reached a result or stderr, and nothing crashed
	! grep -qiE 'database is locked|busy|SQLITE_' err.* all.ndjson || false
	[ -z "$(cat err.*)" ]
	# every line is one JSON result; the only refusals are the expected wrong passwords
	jq -e -s 'length > 0' all.ndjson >/dev/null
	[ "$(jq -r 'select(.ok == false) | .error.code' all.ndjson | sort -u | tr '\n' ' ')" = "$(cat bad.* | awk '{print $2}' | sort -u | tr '\n' ' ')" ]
	[ "$(jq -r 'select(.ok == false) | .error.code' all.ndjson | grep -cvE '^(bad_credentials|locked)$')" = 0 ]

	# each victim's counter is exactly min(attempts, 5), and its results are bad_credentials until the 5th
	for v in $(seq 1 $VICTIMS); do
		n=$(cat bad.* | awk -v v="$v" '$1 == v' | wc -l)
		exp=$((n < 5 ? n : 5))
		got=$(taxid-lockout status account="victim_$v" | jq -r '.scopes[] | select(.scope == "password") | .failures')
		echo "# victim_$v: $n wrong attempts, $got counted" >&3
		[ "$got" = "$exp" ]
		[ "$(cat bad.* | awk -v v="$v" '$1 == v && $2 == "bad_credentials"' | wc -l)" = "$((n < 4 ? n : 4))" ]
	done
	# the good accounts were never locked by the victims' traffic
	for w in $(seq 1 $WORKERS); do
		[ "$(taxid-lockout status account="good_$w" | jq -r '.scopes[] | select(.scope == "password") | .failures')" = 0 ]
	done

	# every import result was committed: the accounts in the database are the ones reported created
	created=$(jq -r 'select(.status == "created") | .line' all.ndjson | wc -l)
	[ "$(dbq 'SELECT count(*) FROM account')" = "$((created + WORKERS + VICTIMS))" ]
	# every grant and revoke reported is in the database, and nothing else
	granted=$(jq -r 'select(.ok and .state == "pending") | .relation' all.ndjson | wc -l)
	revoked=$(jq -r 'select(.ok and .state == "revoked") | .relation' all.ndjson | wc -l)
	[ "$granted" -gt 0 ]
	[ "$(dbq "SELECT count(*) FROM relation WHERE role = 'tax_handler'")" = "$granted" ]
	[ "$(dbq "SELECT count(*) FROM relation WHERE role = 'tax_handler' AND state = 'revoked'")" = "$revoked" ]
	[ "$(db_integrity)" = ok ]
	run taxid-verify audit
	assert_success
}
