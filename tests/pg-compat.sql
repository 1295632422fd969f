-- The SQLite functions the tests' own SQL (dbq) uses, for the PostgreSQL suite (make check-pg, issue 16): loaded
-- into the template every test database is made from, never into a production database. Each does what
-- SQLite's does for the values the tests give it.
CREATE FUNCTION json_extract(doc text, path text) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT CAST(doc AS jsonb) #>> string_to_array(substr(path, 3), '.') $$;
CREATE FUNCTION hex(b bytea) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper(encode(b, 'hex')) $$;
CREATE FUNCTION zeroblob(n integer) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$ SELECT decode(repeat('00', n), 'hex') $$;
CREATE FUNCTION randomblob(n integer) RETURNS bytea LANGUAGE sql VOLATILE AS
  $$ SELECT decode(string_agg(lpad(to_hex(floor(random() * 256)::int), 2, '0'), ''), 'hex') FROM generate_series(1, n) $$;
CREATE FUNCTION taxid_group_concat(acc text, v text, sep text) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v ELSE acc || sep || v END $$;
CREATE FUNCTION taxid_group_concat(acc text, v text) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT taxid_group_concat(acc, v, ',') $$;
CREATE AGGREGATE group_concat(text) (SFUNC = taxid_group_concat, STYPE = text);
CREATE AGGREGATE group_concat(text, text) (SFUNC = taxid_group_concat, STYPE = text);
CREATE FUNCTION taxid_group_concat(acc text, v bigint) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT taxid_group_concat(acc, CAST(v AS text), ',') $$;
CREATE AGGREGATE group_concat(bigint) (SFUNC = taxid_group_concat, STYPE = text);
