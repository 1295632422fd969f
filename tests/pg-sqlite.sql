-- The SQLite functions the tests' own SQL uses (dbq in tests/helper.bash), for the PostgreSQL suite: make check-pg
-- loads this file into template1 of its throwaway cluster, so every test database has them. They live in a schema
-- of their own, taxid_sqlite, which only dbq puts on its search_path: the tools never see them, so no statement
-- of lib/sql.def can come to rely on them. Results are text as sqlite3 prints them: hex() upper-case, a JSON true
-- as 1, group_concat skipping NULLs with "," unless told. What no function can bridge stays for the test to write
-- in SQL both accept: a boolean is printed t or f (select CAST(x IS NULL AS INTEGER)), a subquery in FROM needs
-- an alias, json_extract gives text (CAST(... AS INTEGER) = 4), LIKE is case-sensitive.
CREATE SCHEMA taxid_sqlite;

CREATE FUNCTION taxid_sqlite.hex(bytea) RETURNS text LANGUAGE sql IMMUTABLE STRICT
	AS $$ SELECT upper(encode($1, 'hex')) $$;
CREATE FUNCTION taxid_sqlite.hex(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT
	AS $$ SELECT upper(encode(convert_to($1, 'UTF8'), 'hex')) $$;

CREATE FUNCTION taxid_sqlite.zeroblob(integer) RETURNS bytea LANGUAGE sql IMMUTABLE STRICT
	AS $$ SELECT decode(repeat('00', $1), 'hex') $$;

CREATE FUNCTION taxid_sqlite.group_concat_step(acc text, v anyelement, sep text) RETURNS text LANGUAGE sql IMMUTABLE
	AS $$ SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v::text ELSE acc || sep || v::text END $$;
CREATE FUNCTION taxid_sqlite.group_concat_step(acc text, v anyelement) RETURNS text LANGUAGE sql IMMUTABLE
	AS $$ SELECT taxid_sqlite.group_concat_step(acc, v, ',') $$;
CREATE AGGREGATE taxid_sqlite.group_concat(anyelement) (SFUNC = taxid_sqlite.group_concat_step, STYPE = text);
CREATE AGGREGATE taxid_sqlite.group_concat(anyelement, text) (SFUNC = taxid_sqlite.group_concat_step, STYPE = text);

-- json_path('$.a.b[0]') = '{a,b,0}'
CREATE FUNCTION taxid_sqlite.json_path(text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT
	AS $$ SELECT coalesce(array_agg(coalesce(m[1], m[2]) ORDER BY n), '{}')
		FROM regexp_matches(substr($1, 2), '\.([^.\[]+)|\[([0-9]+)\]', 'g') WITH ORDINALITY AS r(m, n) $$;
-- json_extract(JSON, PATH): a string as its text, a number as written, true/false as 1/0, null as NULL, an object
-- or array as its JSON text as stored.
CREATE FUNCTION taxid_sqlite.json_extract(json, text) RETURNS text LANGUAGE sql IMMUTABLE STRICT
	AS $$ SELECT CASE json_typeof(v) WHEN 'boolean' THEN CASE WHEN v::text = 'true' THEN '1' ELSE '0' END
		WHEN 'null' THEN NULL WHEN 'string' THEN v #>> '{}' ELSE v::text END
		FROM (SELECT $1 #> taxid_sqlite.json_path($2) AS v) AS s $$;
CREATE FUNCTION taxid_sqlite.json_extract(text, text) RETURNS text LANGUAGE sql IMMUTABLE STRICT
	AS $$ SELECT taxid_sqlite.json_extract($1::json, $2) $$;
CREATE FUNCTION taxid_sqlite.json_extract(jsonb, text) RETURNS text LANGUAGE sql IMMUTABLE STRICT
	AS $$ SELECT taxid_sqlite.json_extract($1::json, $2) $$;

CREATE FUNCTION taxid_sqlite.randomblob(integer) RETURNS bytea LANGUAGE sql VOLATILE STRICT
	AS $$ SELECT decode(string_agg(lpad(to_hex(floor(random() * 256)::integer), 2, '0'), ''), 'hex')
		FROM generate_series(1, $1) $$;

-- json_set(JSON, PATH, VALUE): the JSON with PATH set (jsonb's text: keys reordered, spaced, unlike SQLite's; a
-- test that edits a row by hand needs it changed, not in one spelling).
CREATE FUNCTION taxid_sqlite.json_set(text, text, anyelement) RETURNS text LANGUAGE sql IMMUTABLE
	AS $$ SELECT jsonb_set($1::jsonb, taxid_sqlite.json_path($2), to_jsonb($3), true)::text $$;

-- json_each(JSON[, PATH]) over an array: key its index from 0, value a string's text or a number as written;
-- json_array_length(JSON, PATH).
CREATE FUNCTION taxid_sqlite.json_each(text, text) RETURNS TABLE (key bigint, value text) LANGUAGE sql IMMUTABLE STRICT
	AS $$ SELECT n - 1, v FROM json_array_elements_text(CAST($1 AS json) #> taxid_sqlite.json_path($2))
		WITH ORDINALITY AS t(v, n) $$;
CREATE FUNCTION taxid_sqlite.json_each(text) RETURNS TABLE (key bigint, value text) LANGUAGE sql IMMUTABLE STRICT
	AS $$ SELECT * FROM taxid_sqlite.json_each($1, '$') $$;
CREATE FUNCTION taxid_sqlite.json_array_length(text, text) RETURNS integer LANGUAGE sql IMMUTABLE STRICT
	AS $$ SELECT json_array_length(CAST($1 AS json) #> taxid_sqlite.json_path($2)) $$;

-- db_integrity (tests/helper.bash): PRAGMA integrity_check's counterpart, amcheck (shipped with the server).
CREATE EXTENSION amcheck SCHEMA taxid_sqlite;
