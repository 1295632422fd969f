#!/usr/bin/env bats
# The helpers that let one test file serve both engines (tests/helper.bash, issue 16): dbq prints rows as sqlite3's
# list mode does, with the SQLite functions the tests use (tests/pg-sqlite.sql on PostgreSQL); db_copy, db_path
# and db_restore keep and put back a copy; db_dump, db_file and db_files show what is at rest. Run by make check
# (SQLite) and make check-pg (PostgreSQL) alike.
load helper

# a table of no tool's, made by hand on either engine
table() {
	if [ "$(db_engine)" = pg ]; then
		dbq "CREATE TABLE helper_check (id bigint, detail text, hash bytea, tool text)"
		dbq "INSERT INTO helper_check VALUES (1, '{\"a\":{\"b\":[1,true,\"x\"]},\"n\":null}', '\\x00ff', NULL),
			(2, '{}', NULL, 'v')"
	else
		touch "$TAXID_KEY" # db_copy keeps the key file beside the copy
		dbq "CREATE TABLE helper_check (id INTEGER, detail TEXT, hash BLOB, tool TEXT)"
		dbq "INSERT INTO helper_check VALUES (1, '{\"a\":{\"b\":[1,true,\"x\"]},\"n\":null}', X'00ff', NULL),
			(2, '{}', NULL, 'v')"
	fi
}

@test "dbq prints rows as sqlite3 does, statement after statement, and fails on an error" {
	table
	run dbq "SELECT id, hex(hash), tool FROM helper_check ORDER BY id"
	assert_success
	assert_output $'1|00FF|\n2||v'
	run dbq "SELECT json_extract(detail, '\$.a.b[1]'), json_extract(detail, '\$.a.b[2]'),
		json_extract(detail, '\$.a.b'), json_extract(detail, '\$.n') FROM helper_check WHERE id = 1"
	assert_output '1|x|[1,true,"x"]|'
	run dbq "SELECT json_extract(json_set(detail, '\$.a.c', 7), '\$.a.c') FROM helper_check WHERE id = 1"
	assert_output 7
	run dbq "SELECT group_concat(id), group_concat(tool, ' ') FROM (SELECT id, tool FROM helper_check ORDER BY id) AS s"
	assert_output '1,2|v'
	run dbq "SELECT length(zeroblob(32)), length(randomblob(32)), CAST(randomblob(8) = randomblob(8) AS INTEGER)"
	assert_output '32|32|0'
	run dbq "SELECT 1" "SELECT 2"
	assert_output $'1\n2'
	run ! dbq "SELECT nosuch FROM helper_check"
}

@test "db_copy keeps a copy that db_path names and db_restore puts back" {
	table
	db_copy base
	dbq "DELETE FROM helper_check"
	[ "$(dbq 'SELECT count(*) FROM helper_check')" = 0 ]
	[ "$(TAXID_DB=$(db_path base) dbq 'SELECT count(*) FROM helper_check')" = 2 ]
	db_restore base
	[ "$(dbq 'SELECT count(*) FROM helper_check')" = 2 ]
	# a second copy under the same name replaces the first
	dbq "DELETE FROM helper_check WHERE id = 1"
	db_copy base
	[ "$(TAXID_DB=$(db_path base) dbq 'SELECT count(*) FROM helper_check')" = 1 ]
}

@test "db_dump, db_file and db_files show the data at rest" {
	table
	db_checkpoint
	db_dump | grep -q helper_check
	files=$(db_files)
	[ -n "$files" ]
	main=$(db_file)
	[ -s "$main" ]
	grep -aq '"b":\[1,true' "$main"
}

@test "skip_on_pg skips on PostgreSQL only" {
	skip_on_pg "an example of a SQLite-only test"
	[ "$(db_engine)" = sqlite ]
	[ -z "${TAXID_TEST_PG:-}" ]
}
