#!/usr/bin/env bats
# --jobs N (issue 17): a read-only NDJSON stream answered by worker processes gives the same bytes, in the same
# order, as one process; actions that write ignore it.
load helper

# A stream of 2000 identity requests (lib/record_jobs.c hands out chunks of 256 records, so workers start) with,
# every 97th line, one of: bad JSON, a non-object, a cut record, an object over two lines, two on one line, a
# request over 1 MiB, a duplicate member, a bad member type.
mixed() {
	"$TAXID_ROOT/bench/gen-identity.sh" 2000 7 | awk '
	BEGIN { big = "a"; while (length(big) < 1100000) big = big big }
	NR % 97 == 0 {
		k = (NR / 97) % 8
		if (k == 0) print "not json"
		else if (k == 1) print "[1,2]"
		else if (k == 2) print "{\"doc_type\":\"201\",\"doc_no\":\"11010519491231002X\""
		else if (k == 3) { print "{\"doc_type\":\"201\","; print "\"doc_no\":\"11010519491231002X\",\"ref\":\"two lines\"}" }
		else if (k == 4) print "{\"doc_type\":\"201\",\"doc_no\":\"11010519491231002X\",\"ref\":\"a\"} {\"ref\":\"b\"}"
		else if (k == 5) print "{\"doc_type\":\"201\",\"doc_no\":\"" big "\"}"
		else if (k == 6) print "{\"doc_type\":\"201\",\"doc_type\":\"201\"}"
		else print "{\"doc_type\":\"201\",\"doc_no\":201}"
	}
	{ print }'
}

@test "--jobs 2 gives the bytes and exit status of --jobs 1 on a mixed stream, in input order" {
	mixed >in.ndjson
	local one=0 two=0
	taxid-verify --no-progress --jobs 1 <in.ndjson >one.out || one=$?
	taxid-verify --no-progress --jobs 2 <in.ndjson >two.out || two=$?
	[ "$one" -eq 1 ]
	[ "$two" -eq 1 ]
	cmp one.out two.out
	# every request answered, in input order (line numbers and the generator's refs rising), every kind of
	# refusal there
	[ "$(wc -l <two.out)" -ge 2000 ]
	jq -r .line two.out | awk 'NR > 1 && $1 < prev { bad = 1 } { prev = $1 } END { exit bad }'
	[ "$(jq -r '.ref | numbers' two.out | wc -l)" -ge 1800 ]
	jq -r '.ref | numbers' two.out | awk 'NR > 1 && $1 <= prev { bad = 1 } { prev = $1 } END { exit bad }'
	for code in bad_json bad_request request_too_large bad_type bad_checksum; do
		grep -q "\"code\":\"$code\"" two.out || { echo "no $code" >&2; return 1; }
	done
}

@test "--jobs 3 and the default (one per processor) agree with --jobs 1, also through a pipe" {
	"$TAXID_ROOT/bench/gen-identity.sh" 1500 3 >in.ndjson
	taxid-verify --no-progress --jobs 1 <in.ndjson >one.out || [ $? -eq 1 ]
	taxid-verify --no-progress --jobs 3 <in.ndjson >three.out || [ $? -eq 1 ]
	cat in.ndjson | taxid-verify --no-progress >default.out || [ $? -eq 1 ]
	cmp one.out three.out
	cmp one.out default.out
}

@test "with a registry, workers open their own connection and answer as one process does" {
	taxid-register fixture --no-progress --count 300 --seed 1 --password 'Bench!pass1' >people.ndjson
	taxid-register --no-progress import <people.ndjson >/dev/null
	{
		jq -c '{doc_type, doc_no, name, ref}' people.ndjson
		jq -c '{doc_type, doc_no, name: "王五"}' people.ndjson
	} >in.ndjson
	taxid-verify --no-progress --jobs 1 <in.ndjson >one.out || [ $? -eq 1 ]
	taxid-verify --no-progress --jobs 2 <in.ndjson >two.out || [ $? -eq 1 ]
	cmp one.out two.out
	[ "$(grep -c '"known":true' two.out)" -eq 600 ]
	[ "$(grep -c '"code":"name_mismatch"' two.out)" -eq 300 ]
}

@test "a conversation on a pipe: with --jobs 2 each request is answered before the next is sent" {
	coproc V { taxid-verify --no-progress --jobs 2; }
	# bash unsets V_PID once it reaps the finished coprocess, which may be before the wait below: keep it
	local i ans pid=$V_PID
	for i in 1 2 3; do
		echo "{\"doc_type\":\"201\",\"doc_no\":\"11010519491231002X\",\"ref\":$i}" >&"${V[1]}"
		read -t 10 -r ans <&"${V[0]}"
		[ "$(jq -r .ref <<<"$ans")" = "$i" ]
	done
	exec {V[1]}>&-
	wait "$pid"
}

@test "an action that writes ignores --jobs: an import gives the same results and database" {
	taxid-register fixture --no-progress --count 300 --seed 2 --password 'Bench!pass1' >people.ndjson
	TAXID_DB=$BATS_TEST_TMPDIR/one.db taxid-register --no-progress --jobs 1 import <people.ndjson >one.out
	TAXID_DB=$BATS_TEST_TMPDIR/two.db taxid-register --no-progress --jobs 2 import <people.ndjson >two.out
	cmp one.out two.out
	[ "$(grep -c '"ok":true' two.out)" -eq 300 ]
	run taxid-verify --db "$BATS_TEST_TMPDIR/two.db" audit
	assert_success
}

@test "--jobs takes 1 to 64" {
	for n in 1 64; do
		run taxid-verify --jobs "$n" doc_type=201 doc_no=11010519491231002X
		assert_success
	done
	run taxid-verify -j 2 doc_type=201 doc_no=11010519491231002X
	assert_success
	for n in 0 65 -1 two 2x ''; do
		run -64 taxid-verify --jobs "$n" doc_type=201 doc_no=11010519491231002X
		assert_output --partial 'needs a number from 1 to 64'
	done
}
