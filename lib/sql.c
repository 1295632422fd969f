/* The schema, as an ordered list of migrations ({version, sql}); statements are in sql.def. */
#include <stddef.h>

#include "db.h"
#include "rules.h"
#include "sql.h"

/* The national lock (SECURITY rule 6) each shipped scope starts with. */
#define LOCK_ROW(scope) \
	"('" scope "', " TAXID_STR(TAXID_LOCK_THRESHOLD) ", 'none', 0, 'seconds', " TAXID_STR(TAXID_LOCK_SECONDS) ")"

static const char *const migrations[] = {
	/* 1: the foundation — meta, settings, audit, persons and documents, accounts, trust, challenges, outbox */
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;"
	"CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY, at TEXT NOT NULL, tool TEXT NOT NULL, action TEXT NOT NULL,"
	"  actor TEXT, subject TEXT, detail TEXT NOT NULL, prev BLOB NOT NULL, hash BLOB NOT NULL) STRICT;"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;"
	"CREATE TABLE person ("
	"  id INTEGER PRIMARY KEY, name_enc BLOB NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'normal' CHECK (state IN ('normal', 'abnormal')),"
	"  abnormal_reason TEXT, level INTEGER NOT NULL DEFAULT 0 CHECK (level BETWEEN 0 AND 5),"
	"  nationality TEXT, birth_date TEXT, sex TEXT, region TEXT, photo_ref TEXT,"
	"  created_at TEXT NOT NULL, updated_at TEXT NOT NULL) STRICT;"
	"CREATE TABLE document ("
	"  id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL REFERENCES person(id),"
	"  doc_type INTEGER NOT NULL, no_index BLOB NOT NULL UNIQUE, no_enc BLOB NOT NULL,"
	"  expires_on TEXT, paired_with INTEGER REFERENCES document(id), created_at TEXT NOT NULL) STRICT;"
	"CREATE INDEX document_person ON document(person_id);"
	"CREATE TABLE account ("
	"  id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL UNIQUE REFERENCES person(id),"
	"  login_name TEXT NOT NULL UNIQUE, phone_index BLOB UNIQUE, phone_enc BLOB,"
	"  password_hash TEXT NOT NULL, peppered INTEGER NOT NULL DEFAULT 1,"
	"  must_change INTEGER NOT NULL DEFAULT 0, initial_expires_at INTEGER,"
	"  region TEXT, consent TEXT, created_at TEXT NOT NULL, renamed_at INTEGER) STRICT;"
	"CREATE TABLE session ("
	"  id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES account(id),"
	"  token_hash BLOB NOT NULL UNIQUE, kind TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  last_seen_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked_at INTEGER, scope TEXT) STRICT;"
	"CREATE INDEX session_account ON session(account_id);"
	"CREATE TABLE lock_policy ("
	"  scope TEXT PRIMARY KEY, threshold INTEGER NOT NULL CHECK (threshold > 0),"
	"  window TEXT NOT NULL CHECK (window IN ('none', 'sliding', 'day')), window_seconds INTEGER NOT NULL DEFAULT 0,"
	"  duration TEXT NOT NULL CHECK (duration IN ('seconds', 'midnight', 'permanent')),"
	"  duration_seconds INTEGER NOT NULL DEFAULT 0) STRICT;"
	"INSERT INTO lock_policy VALUES " LOCK_ROW("password") ", " LOCK_ROW("declaration") ","
	"  " LOCK_ROW("sms") ", " LOCK_ROW("face") ";"
	"CREATE TABLE lock_counter ("
	"  scope TEXT NOT NULL, subject TEXT NOT NULL, failures INTEGER NOT NULL DEFAULT 0,"
	"  first_failure_at INTEGER, last_failure_at INTEGER, locked_until INTEGER, locked_at INTEGER,"
	"  captcha INTEGER NOT NULL DEFAULT 0, last_source TEXT, PRIMARY KEY (scope, subject)) STRICT, WITHOUT ROWID;"
	"CREATE TABLE issuer ("
	"  name TEXT PRIMARY KEY, kinds TEXT NOT NULL, public_key TEXT NOT NULL, added_at TEXT NOT NULL) STRICT;"
	"CREATE TABLE used_nonce ("
	"  issuer TEXT NOT NULL, nonce TEXT NOT NULL, expires_at INTEGER NOT NULL,"
	"  PRIMARY KEY (issuer, nonce)) STRICT, WITHOUT ROWID;"
	"CREATE TABLE challenge ("
	"  id TEXT PRIMARY KEY, purpose TEXT NOT NULL, subject BLOB NOT NULL, secret_hash BLOB,"
	"  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'used', 'dead', 'superseded')),"
	"  data TEXT) STRICT;"
	"CREATE INDEX challenge_subject ON challenge(subject, purpose, created_at);"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY, channel TEXT NOT NULL, to_enc BLOB NOT NULL, body_enc BLOB,"
	"  created_at INTEGER NOT NULL, delivered_at INTEGER) STRICT;",
	/* survival certification (taxid-survival): pensioners, window policies, certifications, events, appeals,
	 * batch runs and their notices */
	"CREATE TABLE survival_policy ("
	"  region TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('rolling', 'birthday', 'fixed')),"
	"  months INTEGER NOT NULL DEFAULT 12 CHECK (months BETWEEN 1 AND 60), deadline TEXT,"
	"  grace_days INTEGER NOT NULL DEFAULT 0 CHECK (grace_days BETWEEN 0 AND 366),"
	"  reminders TEXT NOT NULL DEFAULT '[30,7]', updated_at TEXT NOT NULL) STRICT;"
	"CREATE TABLE pensioner ("
	"  id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL UNIQUE REFERENCES person(id),"
	"  doc_id INTEGER NOT NULL REFERENCES document(id),"
	"  kind TEXT NOT NULL CHECK (kind IN ('retiree', 'dependant')),"
	"  relation TEXT CHECK (relation IN ('child', 'spouse', 'parent', 'other')),"
	"  insured_person_id INTEGER REFERENCES person(id), account_enc BLOB,"
	"  region TEXT NOT NULL, insurance_type TEXT NOT NULL, benefit_start TEXT NOT NULL,"
	"  unable_to_work INTEGER NOT NULL DEFAULT 0, early_retirement INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'suspended', 'terminated')),"
	"  reason TEXT, since_month TEXT, owed_months INTEGER NOT NULL DEFAULT 0, owed_from TEXT,"
	"  anchor TEXT NOT NULL, last_certified TEXT, valid_until TEXT, lapse_on TEXT, ends_on TEXT,"
	"  face_failures INTEGER NOT NULL DEFAULT 0,"
	"  card_state TEXT NOT NULL DEFAULT 'normal' CHECK (card_state IN ('normal', 'lost', 'frozen')),"
	"  duplicate TEXT, enrolled_at TEXT NOT NULL, updated_at TEXT NOT NULL) STRICT;"
	"CREATE INDEX pensioner_due ON pensioner(state, valid_until);"
	"CREATE INDEX pensioner_ends ON pensioner(ends_on) WHERE ends_on IS NOT NULL;"
	"CREATE INDEX pensioner_region ON pensioner(region);"
	"CREATE TABLE survival_cert ("
	"  id INTEGER PRIMARY KEY, pensioner_id INTEGER NOT NULL REFERENCES pensioner(id),"
	"  method TEXT NOT NULL, certified_on TEXT NOT NULL, deadline TEXT, valid_until TEXT NOT NULL,"
	"  late INTEGER NOT NULL DEFAULT 0, issuer TEXT, actor TEXT, detail TEXT, created_at TEXT NOT NULL) STRICT;"
	"CREATE INDEX survival_cert_pensioner ON survival_cert(pensioner_id, certified_on);"
	"CREATE TABLE survival_event ("
	"  id INTEGER PRIMARY KEY, pensioner_id INTEGER NOT NULL REFERENCES pensioner(id),"
	"  kind TEXT NOT NULL, on_date TEXT NOT NULL, month TEXT,"
	"  payment TEXT CHECK (payment IN ('suspended', 'resumed', 'started', 'terminated')),"
	"  detail TEXT, actor TEXT, created_at TEXT NOT NULL) STRICT;"
	"CREATE INDEX survival_event_pensioner ON survival_event(pensioner_id);"
	"CREATE TABLE survival_appeal ("
	"  id INTEGER PRIMARY KEY, pensioner_id INTEGER NOT NULL REFERENCES pensioner(id), reason TEXT,"
	"  state TEXT NOT NULL DEFAULT 'filed' CHECK (state IN ('filed', 'approved', 'rejected')),"
	"  filed_at TEXT NOT NULL, decided_at TEXT, decided_by TEXT, note TEXT) STRICT;"
	"CREATE INDEX survival_appeal_pensioner ON survival_appeal(pensioner_id);"
	"CREATE TABLE survival_run ("
	"  as_of TEXT PRIMARY KEY, state TEXT NOT NULL CHECK (state IN ('running', 'done')),"
	"  phase INTEGER NOT NULL DEFAULT 0, cursor_date TEXT NOT NULL DEFAULT '', cursor_id INTEGER NOT NULL DEFAULT 0,"
	"  processed INTEGER NOT NULL DEFAULT 0, suspended INTEGER NOT NULL DEFAULT 0,"
	"  reminded INTEGER NOT NULL DEFAULT 0, terminated INTEGER NOT NULL DEFAULT 0,"
	"  started_at TEXT NOT NULL, finished_at TEXT) STRICT;"
	"CREATE TABLE survival_notice ("
	"  id INTEGER PRIMARY KEY, pensioner_id INTEGER NOT NULL REFERENCES pensioner(id),"
	"  kind TEXT NOT NULL, key TEXT NOT NULL, run TEXT, body TEXT NOT NULL,"
	"  created_at TEXT NOT NULL, emitted_at TEXT, UNIQUE (pensioner_id, kind, key)) STRICT;"
	"CREATE INDEX survival_notice_pending ON survival_notice(run, id) WHERE emitted_at IS NULL;",
	/* enterprises (taxid-bind): the core record, relations of persons to enterprises, and their history,
	 * which is never deleted */
	"CREATE TABLE enterprise ("
	"  id INTEGER PRIMARY KEY, tin TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
	"  status TEXT NOT NULL DEFAULT 'normal' CHECK (status IN ('normal', 'suspended', 'deregistered')),"
	"  credit TEXT CHECK (credit IN ('A', 'B', 'M', 'C', 'D')),"
	"  blacklist INTEGER NOT NULL DEFAULT 0, realname_risk INTEGER NOT NULL DEFAULT 0,"
	"  rep_type INTEGER NOT NULL, rep_index BLOB NOT NULL, rep_enc BLOB NOT NULL, rep_name_enc BLOB NOT NULL,"
	"  fin_type INTEGER, fin_index BLOB, fin_enc BLOB, fin_name_enc BLOB,"
	"  declpw_hash TEXT, declpw_set_at TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL) STRICT;"
	"CREATE TABLE relation ("
	"  id INTEGER PRIMARY KEY, enterprise_id INTEGER NOT NULL REFERENCES enterprise(id),"
	"  person_id INTEGER NOT NULL REFERENCES person(id),"
	"  role TEXT NOT NULL CHECK (role IN ('legal_rep', 'finance_manager', 'administrator', 'tax_handler',"
	"    'invoice_clerk', 'invoice_purchaser')),"
	"  permissions TEXT NOT NULL DEFAULT '[]',"
	"  origin TEXT NOT NULL CHECK (origin IN ('core', 'grant', 'request')),"
	"  state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'revoked', 'unbound', 'ended')),"
	"  valid_from TEXT NOT NULL, valid_until TEXT, created_at TEXT NOT NULL, created_by INTEGER REFERENCES person(id),"
	"  updated_at TEXT NOT NULL) STRICT;"
	"CREATE INDEX relation_enterprise ON relation(enterprise_id, state);"
	"CREATE INDEX relation_person ON relation(person_id, state);"
	"CREATE TABLE relation_event ("
	"  id INTEGER PRIMARY KEY, relation_id INTEGER NOT NULL REFERENCES relation(id), at TEXT NOT NULL,"
	"  event TEXT NOT NULL, by_person INTEGER REFERENCES person(id), by_operator TEXT, note TEXT) STRICT;"
	"CREATE INDEX relation_event_relation ON relation_event(relation_id);"
	"CREATE TRIGGER relation_no_delete BEFORE DELETE ON relation BEGIN SELECT RAISE(ABORT, 'relation history is kept'); END;"
	"CREATE TRIGGER relation_event_no_delete BEFORE DELETE ON relation_event"
	"  BEGIN SELECT RAISE(ABORT, 'relation history is kept'); END;"
	"CREATE TRIGGER relation_event_no_update BEFORE UPDATE ON relation_event"
	"  BEGIN SELECT RAISE(ABORT, 'relation history is kept'); END;",
	/* issue 10 item 10: login names are unique regardless of case (SECURITY rule 33); the check is in code
	 * (inside the write transaction), this index makes it cheap. Lookups for login stay exact. */
	"CREATE INDEX account_login_nocase ON account(login_name COLLATE NOCASE);",
	/* issue 10 (account security): a session's kind (personal | enterprise) and the second factor it was made
	 * with, and the session it was derived from; the contact phone an enterprise keeps for a relation (never the
	 * account's); when an account's phone last changed; reset requests counted per account string */
	"ALTER TABLE session ADD COLUMN factor TEXT;"
	"ALTER TABLE session ADD COLUMN parent_id INTEGER REFERENCES session(id);"
	"UPDATE session SET factor = kind, kind = 'personal' WHERE kind <> 'enterprise';"
	"ALTER TABLE relation ADD COLUMN contact_phone_enc BLOB;"
	"ALTER TABLE relation ADD COLUMN contact_phone_at TEXT;"
	"ALTER TABLE account ADD COLUMN phone_changed_at INTEGER;"
	"CREATE TABLE reset_request (subject BLOB NOT NULL, at INTEGER NOT NULL) STRICT;"
	"CREATE INDEX reset_request_subject ON reset_request(subject, at);",
	/* issue 13: the payment ledger of each pension, one row per month (taxid-survival status shows it) */
	"CREATE TABLE survival_ledger ("
	"  pensioner_id INTEGER NOT NULL REFERENCES pensioner(id), month TEXT NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('paid', 'withheld', 'back_paid', 'overpaid', 'recovered')),"
	"  reason TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (pensioner_id, month)) STRICT, WITHOUT ROWID;",
	/* issue 13 items 3-6 (taxid-survival): a pensioner's employer (USCC); corrections of a name or document, their
	 * old and new values encrypted; fingerprint certifications to report to the certification system, and the
	 * app certification each still owes that year */
	"ALTER TABLE pensioner ADD COLUMN employer TEXT;"
	"CREATE INDEX pensioner_employer ON pensioner(employer) WHERE employer IS NOT NULL;"
	"CREATE TABLE survival_correction ("
	"  id INTEGER PRIMARY KEY, pensioner_id INTEGER NOT NULL REFERENCES pensioner(id),"
	"  field TEXT NOT NULL CHECK (field IN ('name', 'document', 'region', 'insurance_type', 'employer')),"
	"  old_enc BLOB, new_enc BLOB, actor TEXT, at TEXT NOT NULL) STRICT;"
	"CREATE INDEX survival_correction_pensioner ON survival_correction(pensioner_id);"
	"CREATE TABLE survival_fingerprint ("
	"  id INTEGER PRIMARY KEY, pensioner_id INTEGER NOT NULL REFERENCES pensioner(id),"
	"  certified_on TEXT NOT NULL, year INTEGER NOT NULL, actor TEXT, created_at TEXT NOT NULL,"
	"  reported_at TEXT, app_certified_on TEXT) STRICT;"
	"CREATE INDEX survival_fingerprint_unreported ON survival_fingerprint(id) WHERE reported_at IS NULL;"
	"CREATE INDEX survival_fingerprint_app ON survival_fingerprint(pensioner_id, year) WHERE app_certified_on IS NULL;",
	/* issue 14 item 6 (taxid-bind): the tax authorities an enterprise is registered with — its own (home) and the
	 * ones it reports to across regions (跨区域报验户) */
	"CREATE TABLE enterprise_authority ("
	"  enterprise_id INTEGER NOT NULL REFERENCES enterprise(id), authority TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('home', 'cross_region')),"
	"  registered_at TEXT NOT NULL, registered_by TEXT, PRIMARY KEY (enterprise_id, authority)) STRICT;"
	"CREATE UNIQUE INDEX enterprise_authority_home ON enterprise_authority(enterprise_id) WHERE kind = 'home';",
	/* issue 14 item 7 (taxid-bind agency): agency agreements — a client enterprise lets a tax agency's staff
	 * (涉税服务人员) act for it (agency_filing); rows and their history are kept like relations */
	"CREATE TABLE agency_agreement ("
	"  id INTEGER PRIMARY KEY, client_id INTEGER NOT NULL REFERENCES enterprise(id),"
	"  agency_id INTEGER NOT NULL REFERENCES enterprise(id),"
	"  state TEXT NOT NULL CHECK (state IN ('active', 'revoked')),"
	"  valid_from TEXT NOT NULL, valid_until TEXT, created_at TEXT NOT NULL, created_by INTEGER REFERENCES person(id),"
	"  updated_at TEXT NOT NULL, CHECK (client_id <> agency_id)) STRICT;"
	"CREATE INDEX agency_agreement_client ON agency_agreement(client_id, state);"
	"CREATE INDEX agency_agreement_agency ON agency_agreement(agency_id, state);"
	"CREATE TABLE agency_event ("
	"  id INTEGER PRIMARY KEY, agreement_id INTEGER NOT NULL REFERENCES agency_agreement(id), at TEXT NOT NULL,"
	"  event TEXT NOT NULL, by_person INTEGER REFERENCES person(id), note TEXT) STRICT;"
	"CREATE INDEX agency_event_agreement ON agency_event(agreement_id);"
	"CREATE TRIGGER agency_agreement_no_delete BEFORE DELETE ON agency_agreement"
	"  BEGIN SELECT RAISE(ABORT, 'agency history is kept'); END;"
	"CREATE TRIGGER agency_event_no_delete BEFORE DELETE ON agency_event"
	"  BEGIN SELECT RAISE(ABORT, 'agency history is kept'); END;"
	"CREATE TRIGGER agency_event_no_update BEFORE UPDATE ON agency_event"
	"  BEGIN SELECT RAISE(ABORT, 'agency history is kept'); END;",
	/* issue 16 (taxid-survival run --region): a run is keyed by its day and a region prefix ('' for the whole
	 * run), so that workers running disjoint parts of one day each keep their own cursor. Copied aside and back,
	 * not renamed: ALTER TABLE RENAME opens the TEMP database, after which the connection may no longer change
	 * temp_store (taxid-register import does) */
	"CREATE TABLE survival_run_old AS SELECT * FROM survival_run;"
	"DROP TABLE survival_run;"
	"CREATE TABLE survival_run ("
	"  as_of TEXT NOT NULL, region TEXT NOT NULL DEFAULT '',"
	"  state TEXT NOT NULL CHECK (state IN ('running', 'done')),"
	"  phase INTEGER NOT NULL DEFAULT 0, cursor_date TEXT NOT NULL DEFAULT '', cursor_id INTEGER NOT NULL DEFAULT 0,"
	"  processed INTEGER NOT NULL DEFAULT 0, suspended INTEGER NOT NULL DEFAULT 0,"
	"  reminded INTEGER NOT NULL DEFAULT 0, terminated INTEGER NOT NULL DEFAULT 0,"
	"  started_at TEXT NOT NULL, finished_at TEXT, PRIMARY KEY (as_of, region)) STRICT;"
	"INSERT INTO survival_run(as_of, state, phase, cursor_date, cursor_id, processed, suspended, reminded, terminated,"
	"  started_at, finished_at) SELECT as_of, state, phase, cursor_date, cursor_id, processed, suspended, reminded,"
	"  terminated, started_at, finished_at FROM survival_run_old;"
	"DROP TABLE survival_run_old;",
	/* issue 17 item 3: SQLite (3.40) checks "x IN (a, b, c, ...)" of a CHECK constraint by building a temporary
	 * b-tree of the list on every row written — a tenth of the survival run's time. The same constraints as
	 * comparisons (the same truth for every value, NULL included), changed in place as SQLite documents for
	 * CHECK constraints (https://sqlite.org/lang_altertable.html#otheralter): no row moves. */
	"PRAGMA main.writable_schema = ON;"
	"UPDATE main.sqlite_schema SET sql = replace(sql, 'CHECK (state IN (''pending'', ''active'', ''suspended'', ''terminated''))',"
	"  'CHECK (state = ''pending'' OR state = ''active'' OR state = ''suspended'' OR state = ''terminated'')') WHERE type = 'table' AND name = 'pensioner';"
	"UPDATE main.sqlite_schema SET sql = replace(sql, 'CHECK (relation IN (''child'', ''spouse'', ''parent'', ''other''))',"
	"  'CHECK (relation = ''child'' OR relation = ''spouse'' OR relation = ''parent'' OR relation = ''other'')') WHERE type = 'table' AND name = 'pensioner';"
	"UPDATE main.sqlite_schema SET sql = replace(sql, 'CHECK (card_state IN (''normal'', ''lost'', ''frozen''))',"
	"  'CHECK (card_state = ''normal'' OR card_state = ''lost'' OR card_state = ''frozen'')') WHERE type = 'table' AND name = 'pensioner';"
	"UPDATE main.sqlite_schema SET sql = replace(sql, 'CHECK (payment IN (''suspended'', ''resumed'', ''started'', ''terminated''))',"
	"  'CHECK (payment = ''suspended'' OR payment = ''resumed'' OR payment = ''started'' OR payment = ''terminated'')') WHERE type = 'table' AND name = 'survival_event';"
	"UPDATE main.sqlite_schema SET sql = replace(sql, 'CHECK (state IN (''paid'', ''withheld'', ''back_paid'', ''overpaid'', ''recovered''))',"
	"  'CHECK (state = ''paid'' OR state = ''withheld'' OR state = ''back_paid'' OR state = ''overpaid'' OR state = ''recovered'')') WHERE type = 'table' AND name = 'survival_ledger';"
	"PRAGMA writable_schema = RESET;",
};

int taxid_db_schema_version(void)
{
	return (int)(sizeof migrations / sizeof *migrations);
}

const char *taxid_sql_migration(int version)
{
	if (version < 1 || version > taxid_db_schema_version())
		return NULL;
	return migrations[version - 1];
}

static const char *const statements[] = {
#define S(name, sql) sql,
#include "sql.def"
#undef S
};

const char *taxid_sql_text(int id)
{
	return statements[id];
}
