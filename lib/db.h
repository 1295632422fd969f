/* db.c: the open database over its engine (lib/db_engine.h; the SQLite engine is lib/db_sqlite.c) — open,
 * migrations, the statement API, transactions, meta and settings. */
#ifndef TAXID_DB_H
#define TAXID_DB_H

#include <stddef.h>

#include "errors.h"

struct taxid_ctx;
struct taxid_keys;

/* The open database: the connection, the statement cache, the keys and what an open transaction keeps in
 * memory (the audit head, the settings read). Opaque outside lib/db.c; ctx->db is NULL when no database is
 * open. Nothing outside lib/db*.c sees the engine (issue 15). */
struct taxid_db;

/* The audit chain's head while a transaction is open: appends chain on it in memory and lib/audit.c writes it
 * to meta once, at commit (its pre-commit hook). db keeps it with the transaction: forgotten when the
 * transaction ends, restored when a request's savepoint is rolled back. */
struct taxid_audit_head {
	int valid, dirty;
	long long id;
	unsigned char hash[32];
};

/* Every SQL statement has a name here; the text lives in sql.def (the one place for SQL). */
enum taxid_stmt {
#define S(name, sql) TAXID_SQL_##name,
#include "sql.def"
#undef S
	TAXID_SQL_COUNT
};

/* The schema version this binary writes (PRAGMA user_version). */
int taxid_db_schema_version(void);
/* 1 when s names a PostgreSQL database (postgresql://... or postgres://...), not a SQLite file. */
int taxid_db_is_uri(const char *s);
/* The URI as it may be printed: any password replaced by *** (malloc'd). */
char *taxid_db_display(const char *uri);
/* 1 when the current request lost a write conflict to another transaction (PostgreSQL): roll back, run again. */
int taxid_db_conflict(struct taxid_ctx *ctx);
/* How many times work that lost a write conflict (PostgreSQL) runs before it fails with db_busy. */
#define TAXID_DB_CONFLICT_TRIES 20
/* The pause before attempt+1 of work that lost a write conflict: growing (2 ms to 256 ms), with jitter, so that
 * two writers that keep meeting part. */
void taxid_db_conflict_pause(int attempt);
/* Open ctx->db_path into ctx->db: create (mode 0600) when create is set, else fail with DB_MISSING; check
 * permissions, WAL, busy timeout, foreign keys, migrate forward, refuse a newer schema. The keys are not
 * loaded here: whoever opens loads them next (lib/record.c: keys, mode, audit). */
enum taxid_code taxid_db_open(struct taxid_ctx *ctx, int create);
/* create < 0: open the database if it exists (ctx->db stays NULL, and nothing is said, when it does not). */
/* 1 when the file had schema version 0 when it was opened (made by this open or by a run that stopped early). */
int taxid_db_fresh(struct taxid_ctx *ctx);
/* Where the keys of the open database live (filled by taxid_keys_load, wiped by taxid_db_close). */
struct taxid_keys *taxid_db_keys(struct taxid_ctx *ctx);
/* The audit head of the open transaction (see struct taxid_audit_head). */
struct taxid_audit_head *taxid_db_audit_head(struct taxid_ctx *ctx);
/* A hook run by taxid_db_commit before COMMIT (lib/audit.c writes its head); an error stops the commit.
 * One hook per database; registering again replaces it. */
typedef enum taxid_code (*taxid_db_hook)(struct taxid_ctx *ctx);
void taxid_db_before_commit(struct taxid_ctx *ctx, taxid_db_hook hook);
/* The statement API every module above lib/db uses (issue 15): no sqlite3_ outside lib/db*.c.
 * A struct taxid_q is one named statement of sql.def in use: taxid_q() hands it out reset and unbound; bind
 * its parameters by position (1-based, ?1 ?2 ... in sql.def); step through the rows reading typed columns
 * (0-based); taxid_q_end() resets it and says how it went. The first error of a statement (a bind, a step) is
 * kept on it and reported by taxid_q_end / _exec / _insert_id, and also on the request (ctx): the record loop
 * turns a request whose handler ignored a database error into that error, rolled back. Text and blobs are
 * copied when bound; a column's text or blob is valid until the next step or end of the same statement.
 * Every function accepts the NULL that taxid_q() returns when a statement cannot be prepared. */
struct taxid_q;
struct taxid_q *taxid_q(struct taxid_ctx *ctx, enum taxid_stmt id);
void taxid_q_int(struct taxid_q *q, int i, long long v);
void taxid_q_text(struct taxid_q *q, int i, const char *s); /* NULL binds NULL */
void taxid_q_textn(struct taxid_q *q, int i, const char *s, size_t n);
void taxid_q_blob(struct taxid_q *q, int i, const void *p, size_t n); /* NULL binds NULL */
void taxid_q_null(struct taxid_q *q, int i);
/* Bind parameter i of q to column j of the current row of src (any type, NULL included). */
void taxid_q_bind_col(struct taxid_q *q, int i, struct taxid_q *src, int j);
/* 1: a row is ready; 0: no more rows, or an error (taxid_q_end tells). */
int taxid_q_step(struct taxid_q *q);
/* Reset the statement: TAXID_OK, or its first error mapped (taxid_db_fail) and said on stderr. */
enum taxid_code taxid_q_end(struct taxid_q *q);
/* Run to completion (rows, if any, are skipped) and end. */
enum taxid_code taxid_q_exec(struct taxid_q *q);
/* Step once: the first column of the row (INSERT ... RETURNING id) into *id, or for a plain INSERT the row id it
 * made; a RETURNING statement that gives no row is TAXID_E_INTERNAL. Ends the statement. */
enum taxid_code taxid_q_insert_id(struct taxid_q *q, long long *id);
/* Step once and end: 1 when there was a row (an error is 0, kept on the request). */
int taxid_q_exists(struct taxid_q *q);
/* Step once and end: the first column of the first row as an integer, def when no row or NULL. */
long long taxid_q_one_int(struct taxid_q *q, long long def);
/* Step once and end: the first column of the first row as a malloc'd string, NULL when no row or NULL. */
char *taxid_q_one_text(struct taxid_q *q);
/* Columns of the current row. */
int taxid_q_is_null(struct taxid_q *q, int j);
long long taxid_q_col_int(struct taxid_q *q, int j);
const char *taxid_q_col_text(struct taxid_q *q, int j); /* NULL for NULL */
const void *taxid_q_col_blob(struct taxid_q *q, int j, size_t *n); /* NULL and 0 for NULL or empty */
size_t taxid_q_col_bytes(struct taxid_q *q, int j);
/* Rows changed by the last INSERT, UPDATE or DELETE of this connection. */
long long taxid_db_changes(struct taxid_ctx *ctx);
/* The rowid of the last row this connection inserted (no RETURNING: SQLite stages its rows in a temporary table). */
long long taxid_db_last_id(struct taxid_ctx *ctx);
/* 1 inside a transaction. */
int taxid_db_in_tx(struct taxid_ctx *ctx);
/* The first database error since the request began (TAXID_OK when none); the record loop resets it. */
enum taxid_code taxid_db_request_error(struct taxid_ctx *ctx);
void taxid_db_request_reset(struct taxid_ctx *ctx);

/* Finalize cached statements, wipe the keys and close; ctx->db and ctx->keys become NULL. */
void taxid_db_close(struct taxid_ctx *ctx);
/* Transactions: BEGIN IMMEDIATE (after taxid_dbmode_check_write) / COMMIT (after the pre-commit hook) /
 * ROLLBACK, and named savepoints for batches. */
enum taxid_code taxid_db_begin(struct taxid_ctx *ctx);
enum taxid_code taxid_db_commit(struct taxid_ctx *ctx);
void taxid_db_rollback(struct taxid_ctx *ctx);
enum taxid_code taxid_db_savepoint(struct taxid_ctx *ctx);
enum taxid_code taxid_db_release(struct taxid_ctx *ctx);
void taxid_db_rollback_savepoint(struct taxid_ctx *ctx);
/* The meta table: a value (malloc'd, NULL when absent), and storing one (inside the caller's transaction). */
char *taxid_db_meta_get(struct taxid_ctx *ctx, const char *key);
enum taxid_code taxid_db_meta_put(struct taxid_ctx *ctx, const char *key, const char *value);
/* A setting from the setting table, or def when unset. */
long long taxid_setting_int(struct taxid_ctx *ctx, const char *key, long long def);
/* Store a setting (inside the caller's transaction). */
enum taxid_code taxid_setting_set(struct taxid_ctx *ctx, const char *key, const char *value);

/* Normal and test databases (SECURITY rule 29; the mode itself is kept by lib/dbmode.c): the environment
 * variable that makes a new database a test database when it is "1". */
#define TAXID_TEST_DB_ENV "TAXID_TEST_DB"
/* 1 when $TAXID_TEST_DB asks for a test database. */
int taxid_dbmode_env_test(void);
/* Where a write begins: refuse a pinned clock on a normal database (a usage error, explained on stderr). */
enum taxid_code taxid_dbmode_check_write(struct taxid_ctx *ctx);

#endif
