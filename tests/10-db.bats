#!/usr/bin/env bats
# The database file and its key file (CONTRACT.md "Processes", "Personal data and secrets"; SECURITY.md rule 22).
load helper

# A write action that touches nothing else: queue one SMS code.
write_one() { taxid-verify "$@" sms send phone=13800138000 purpose=register; }

# Run a command without the root override of file modes (a no-op for an ordinary user), so chmod 400 binds.
unprivileged() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --inh-caps=-dac_override,-dac_read_search,-fowner \
			--bounding-set=-dac_override,-dac_read_search,-fowner "$@"
	else
		"$@"
	fi
}

mode() { stat -c %a "$1"; }

# Fingerprint of the database as sqlite3 sees it after a checkpoint: file bytes and the rows that matter.
fingerprint() { sha256sum "$TAXID_DB" | cut -d' ' -f1; }

@test "a new database is created 0600 with a 0600 key file beside it, whatever the umask" {
	skip_on_pg "the modes of the SQLite file and of a key file beside it"
	umask 000
	run write_one
	assert_success
	[ "$(mode "$TAXID_DB")" = 600 ]
	[ "$(mode "$TAXID_KEY")" = 600 ]
	for f in "$TAXID_DB-wal" "$TAXID_DB-shm"; do
		[ ! -e "$f" ] || [ "$(mode "$f")" = 600 ]
	done
	# the key file holds a key, the database does not
	[ -s "$TAXID_KEY" ]
	run dbq "SELECT count(*) FROM meta WHERE key = 'key_check'"
	assert_output 1
}

@test "\$TAXID_KEYFILE overrides the key file path, and that key is the one in use" {
	mkdir keys
	export TAXID_KEYFILE="$BATS_TEST_TMPDIR/keys/site.key"
	run write_one
	assert_success
	[ -f "$TAXID_KEYFILE" ]
	[ "$(mode "$TAXID_KEYFILE")" = 600 ]
	[ ! -e "$TAXID_KEY" ]
	run taxid-verify audit
	assert_success
	# without the variable, the default <db>.key is missing: refused, and not silently created (a URI has no
	# default: without the variable it is a usage error, tests/10-db-uri.bats)
	unset TAXID_KEYFILE
	run --separate-stderr taxid-verify audit
	if [ "$(db_engine)" = pg ]; then assert_failure 64; else assert_failure 69; fi
	[ ! -e "$TAXID_KEY" ]
}

@test "the database is in WAL mode" {
	skip_on_pg "SQLite's WAL"
	run write_one
	assert_success
	run dbq 'PRAGMA journal_mode'
	assert_output wal
}

@test "PRAGMA user_version is the schema version of the binary" {
	skip_on_pg "SQLite's PRAGMA user_version"
	run write_one
	assert_success
	v=$(dbq 'PRAGMA user_version')
	[ "$v" -ge 1 ]
	# the binary names its own schema version when it refuses a newer one
	sqlite3 other.db 'PRAGMA user_version = 100000'
	chmod 600 other.db
	run --separate-stderr taxid-verify --db other.db audit
	assert_failure 78
	[[ "$stderr" =~ newer\ than\ this\ program\'s\ ([0-9]+) ]]
	[ "${BASH_REMATCH[1]}" = "$v" ]
	# and a second run neither migrates again nor changes the version
	run write_one --now 2026-11-25T08:02:00Z
	assert_success
	[ "$(dbq 'PRAGMA user_version')" = "$v" ]
}

@test "every table is STRICT" {
	skip_on_pg "SQLite's STRICT tables"
	run write_one
	assert_success
	[ "$(dbq "SELECT count(*) FROM sqlite_schema WHERE type = 'table'")" -ge 8 ]
	run dbq "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE '%STRICT%'"
	assert_success
	assert_output ''
}

@test "a database with a newer schema is refused with 78 and nothing is written" {
	skip_on_pg "SQLite's PRAGMA user_version"
	run write_one
	assert_success
	v=$(dbq 'PRAGMA user_version')
	dbq "PRAGMA user_version = $((v + 1))"
	before=$(fingerprint)
	key=$(sha256sum <"$TAXID_KEY")
	run --separate-stderr write_one --now 2026-11-25T09:00:00Z
	assert_failure 78
	assert_output ''
	[[ "$stderr" == *"newer than this program"* ]]
	run --separate-stderr taxid-verify audit
	assert_failure 78
	db_checkpoint
	[ "$(fingerprint)" = "$before" ]
	[ "$(sha256sum <"$TAXID_KEY")" = "$key" ]
	[ "$(dbq 'PRAGMA user_version')" = $((v + 1)) ]
	[ "$(dbq 'SELECT count(*) FROM challenge')" = 1 ]
}

@test "a foreign database with a newer schema gets no key file and no tables" {
	skip_on_pg "SQLite's PRAGMA user_version"
	dbq 'PRAGMA user_version = 99'
	chmod 600 "$TAXID_DB"
	run --separate-stderr write_one
	assert_failure 78
	[ ! -e "$TAXID_KEY" ]
	run dbq 'SELECT count(*) FROM sqlite_schema'
	assert_output 0
}

@test "a read action on a missing database exits 66 and creates nothing" {
	skip_on_pg "a missing SQLite file"
	run --separate-stderr taxid-verify audit
	assert_failure 66
	assert_output ''
	[[ "$stderr" == *"$TAXID_DB"* ]]
	[ ! -e "$TAXID_DB" ]
	[ ! -e "$TAXID_KEY" ]
	run --separate-stderr taxid-verify trust list
	assert_failure 66
	[ ! -e "$TAXID_DB" ]
	# attest may not create the database either
	run --separate-stderr taxid-verify attest kind=face 'verdict:={}'
	assert_failure 66
	[ ! -e "$TAXID_DB" ]
}

@test "a group- or world-writable database is refused with 69 and a message" {
	skip_on_pg "the SQLite file's mode"
	run write_one
	assert_success
	for m in 620 602 660 666; do
		chmod "$m" "$TAXID_DB"
		run --separate-stderr taxid-verify audit
		assert_failure 69
		[[ "$stderr" == *"$TAXID_DB"* ]]
		[[ "$stderr" == *"writable by group or others"* ]]
		run --separate-stderr write_one --now 2026-11-25T09:00:00Z
		assert_failure 69
	done
	chmod 600 "$TAXID_DB"
	# nothing was sent while the file was refused
	[ "$(dbq 'SELECT count(*) FROM challenge')" = 1 ]
	run taxid-verify audit
	assert_success
}

@test "a group- or world-writable key file is refused with 69 and a message" {
	run write_one
	assert_success
	for m in 620 602; do
		chmod "$m" "$TAXID_KEY"
		run --separate-stderr taxid-verify audit
		assert_failure 69
		[[ "$stderr" == *"$TAXID_KEY"* ]]
	done
}

@test "a group- or world-readable key file is refused with 69" {
	run write_one
	assert_success
	for m in 640 604 644; do
		chmod "$m" "$TAXID_KEY"
		run --separate-stderr taxid-verify audit
		assert_failure 69
		[[ "$stderr" == *"$TAXID_KEY"* ]]
	done
	chmod 600 "$TAXID_KEY"
	run taxid-verify audit
	assert_success
}

@test "an existing database without its key file is refused with 69 and no new key is made" {
	run write_one
	assert_success
	rm "$TAXID_KEY"
	run --separate-stderr taxid-verify audit
	assert_failure 69
	[[ "$stderr" == *"$TAXID_KEY"* ]]
	run --separate-stderr write_one --now 2026-11-25T09:00:00Z
	assert_failure 69
	[ ! -e "$TAXID_KEY" ]
}

@test "the key file of another database is refused with 69" {
	run write_one
	assert_success
	db_new other
	# its own key: beside it on SQLite, named on PostgreSQL
	run env ${TAXID_TEST_PG:+TAXID_KEYFILE=$PWD/other.db.key} taxid-verify --db "$(db_path other)" sms send \
		phone=13800138000 purpose=register
	assert_success
	cp "$TAXID_KEY" mine.key
	cp other.db.key "$TAXID_KEY"
	run --separate-stderr taxid-verify audit
	assert_failure 69
	[[ "$stderr" == *"does not belong"* ]]
	# nor is it adopted: the right key still works afterwards
	cp mine.key "$TAXID_KEY"
	run taxid-verify audit
	assert_success
}

@test "a first run that cannot create the key file does not brick the new database" {
	TAXID_KEYFILE="$BATS_TEST_TMPDIR/no/such/dir/k" run --separate-stderr write_one
	assert_failure 69
	[[ "$stderr" == *"cannot create key file"* ]]
	# the database was made but never bound to a key: the next run may still create one
	run write_one
	assert_success
	[ -f "$TAXID_KEY" ]
	# once bound, a lost key is never replaced
	rm "$TAXID_KEY"
	run --separate-stderr taxid-verify audit
	assert_failure 69
	[ ! -e "$TAXID_KEY" ]
}

@test "a file that is not a database is refused with 74 and left untouched" {
	skip_on_pg "a SQLite file that is not a database"
	head -c 8192 /dev/urandom >"$TAXID_DB"
	chmod 600 "$TAXID_DB"
	before=$(fingerprint)
	run --separate-stderr write_one
	assert_failure 74
	[[ "$stderr" == *"not a database"* ]]
	run --separate-stderr taxid-verify audit
	assert_failure 74
	[ "$(fingerprint)" = "$before" ]
	[ ! -e "$TAXID_KEY" ]
}

@test "a key file that is not a key file is refused with 69" {
	run write_one
	assert_success
	printf 'taxid-key-v1 %s\n' "$(printf 'z%.0s' $(seq 64))" >"$TAXID_KEY"
	run --separate-stderr taxid-verify audit
	assert_failure 69
	[[ "$stderr" == *"not a taxid key file"* ]]
}

@test "a read-only database refuses a writing action with 74 and says why" {
	skip_on_pg "a read-only SQLite file"
	command -v setpriv >/dev/null || skip "setpriv is needed to drop root's override"
	run write_one
	assert_success
	chmod 400 "$TAXID_DB"
	before=$(fingerprint)
	run --separate-stderr unprivileged taxid-verify sms send phone=13900139000 purpose=register
	assert_failure 74
	[[ "$stderr" == *"$TAXID_DB"* ]]
	[[ "$stderr" == *readonly* || "$stderr" == *read-only* ]]
	[ "$(fingerprint)" = "$before" ]
	# reading still works
	run unprivileged taxid-verify audit
	assert_success
	json_eq '{"ok":true,"rows":1,"chain":"intact"}' "$output"
}

@test "--db, --db=, -d and \$TAXID_DB all choose the database" {
	skip_on_pg "SQLite files with their key files beside them"
	run write_one --db a.db
	assert_success
	run write_one --db=b.db
	assert_success
	run write_one -d c.db
	assert_success
	TAXID_DB=d.db run write_one
	assert_success
	for f in a b c d; do
		[ -f "$f.db" ] && [ -f "$f.db.key" ]
		[ "$(sqlite3 "$f.db" 'SELECT count(*) FROM challenge')" = 1 ]
	done
	[ ! -e "$TAXID_DB" ]
	# the option wins over the variable
	TAXID_DB=d.db run taxid-verify --db a.db audit
	assert_success
	[ "$(jfield .rows)" = 1 ]
}

@test "without --db or \$TAXID_DB the database is ./taxid.db" {
	skip_on_pg "SQLite files with their key files beside them"
	unset TAXID_DB
	run write_one
	assert_success
	[ -f taxid.db ] && [ -f taxid.db.key ]
}

@test "--now and \$TAXID_NOW pin the clock; --now wins" {
	run write_one
	assert_success
	[ "$(jfield .expires_at)" = 2026-11-25T08:05:00Z ]
	run taxid-verify --now 2027-01-02T03:04:05Z sms send phone=13900139000 purpose=register
	assert_success
	[ "$(jfield .expires_at)" = 2027-01-02T03:09:05Z ]
	TAXID_NOW=2028-02-29T23:58:00Z run taxid-verify sms send phone=13700137000 purpose=register
	assert_success
	[ "$(jfield .expires_at)" = 2028-03-01T00:03:00Z ]
	run dbq 'SELECT at FROM audit ORDER BY id'
	assert_output "2026-11-25T08:00:00Z
2027-01-02T03:04:05Z
2028-02-29T23:58:00Z"
	# an offset is accepted and turned into UTC
	run taxid-verify --now 2026-11-26T09:00:00+08:00 sms send phone=13600136000 purpose=register
	assert_success
	[ "$(jfield .expires_at)" = 2026-11-26T01:05:00Z ]
}
