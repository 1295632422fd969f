#!/usr/bin/env bats
# A PostgreSQL URI in TAXID_DB / --db (issue 16): what holds without a server — the password in it is never
# printed, the key file must be named, and a server that cannot be reached is a clear error. The rest of the
# suite runs on a server under make check-pg.
load helper

# A server nobody listens on: a socket directory with no socket in it.
local_setup() {
	mkdir -p "$BATS_TEST_TMPDIR/nosock"
	export TAXID_KEYFILE="$BATS_TEST_TMPDIR/uri.key"
}

@test "a URI's password is never printed: not in the user part, not as a parameter, not percent-encoded" {
	for uri in "postgresql://taxid:S3cretPW@/taxid?host=$BATS_TEST_TMPDIR/nosock" \
		"postgres:///taxid?host=$BATS_TEST_TMPDIR/nosock&password=S3cretPW" \
		"postgresql://taxid:S3cret%50W@/taxid?host=$BATS_TEST_TMPDIR/nosock&connect_timeout=2"; do
		run -74 taxid-lockout status --db "$uri" scope=password subject=x
		assert_output --partial 'cannot open'
		refute_output --partial S3cret
		assert_output --partial '***'
		TAXID_DB=$uri run -74 taxid-register show person=1
		refute_output --partial S3cret
	done
}

@test "the user part without a password, and other parameters, are printed as they are" {
	run -74 taxid-lockout status --db "postgresql://clerk@/taxid?host=$BATS_TEST_TMPDIR/nosock&application_name=hall" \
		scope=password subject=x
	assert_output --partial "'postgresql://clerk@/taxid?host=$BATS_TEST_TMPDIR/nosock&application_name=hall'"
}

@test "a URI needs TAXID_KEYFILE: the keys stay in a local file, and nothing is tried without it" {
	unset TAXID_KEYFILE
	run -64 taxid-register show person=1 --db "postgresql://u:S3cretPW@/taxid?host=$BATS_TEST_TMPDIR/nosock"
	assert_output --partial 'needs TAXID_KEYFILE'
	refute_output --partial S3cret
	run -64 taxid-verify doc_type=201 doc_no=11010519491231002X --db "postgresql:///taxid?host=$BATS_TEST_TMPDIR/nosock"
	assert_output --partial 'needs TAXID_KEYFILE'
	run taxid-verify --version --db "postgresql:///taxid?host=$BATS_TEST_TMPDIR/nosock"
	assert_success
	# any other value is a SQLite file, as before
	run taxid-verify claim --db "postgresqlx://nothing" </dev/null
	[ ! -e "$BATS_TEST_TMPDIR/postgresqlx:" ]
}

@test "eight tools that make the same new database at once create its tables once, and all eight succeed" {
	# on SQLite each migration step is its own BEGIN IMMEDIATE; on PostgreSQL all of them are one transaction under
	# an advisory lock (taxid-db(5)): either way the version is read again under the lock
	for i in 1 2 3 4 5 6 7 8; do
		taxid-verify sms send phone=1380013800$i purpose=login >"out.$i" 2>"err.$i" &
	done
	wait
	for i in 1 2 3 4 5 6 7 8; do
		[ "$(jq -r .ok "out.$i")" = true ]
		[ ! -s "err.$i" ]
	done
	[ "$(taxid-verify audit | jq -r .rows)" = 8 ]
	[ "$(dbq "SELECT count(*) FROM lock_policy")" = 4 ]
	[ "$(dbq "SELECT count(*) FROM meta WHERE key = 'key_check'")" = 1 ]
}
