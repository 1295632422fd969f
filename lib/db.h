/* db.c: the SQLite file — open, permissions, migrations, the prepared-statement cache, transactions. */
#ifndef TAXID_DB_H
#define TAXID_DB_H

#include <sqlite3.h>
#include <stddef.h>

#include "errors.h"

struct taxid_ctx;

/* Every SQL statement has a name here; the text lives in sql.def (the one place for SQL). */
enum taxid_stmt {
#define S(name, sql) TAXID_SQL_##name,
#include "sql.def"
#undef S
	TAXID_SQL_COUNT
};

/* The schema version this binary writes (PRAGMA user_version). */
int taxid_db_schema_version(void);
/* Open ctx->db_path: create (mode 0600) when create is set, else fail with DB_MISSING; check permissions,
 * WAL, busy timeout, foreign keys, migrate forward, refuse a newer schema; load the keys. */
enum taxid_code taxid_db_open(struct taxid_ctx *ctx, int create);
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
/* Step once: the first column of the row (INSERT ... RETURNING id) into *id; a statement that gives no row is
 * TAXID_E_INTERNAL. Ends the statement. */
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
/* 1 inside a transaction. */
int taxid_db_in_tx(struct taxid_ctx *ctx);
/* The first database error since the request began (TAXID_OK when none); the record loop resets it. */
enum taxid_code taxid_db_request_error(struct taxid_ctx *ctx);
void taxid_db_request_reset(struct taxid_ctx *ctx);

/* Finalize cached statements and close. */
void taxid_db_close(struct taxid_ctx *ctx);
/* The cached prepared statement for id, reset and with bindings cleared; NULL (and stderr) on failure. */
sqlite3_stmt *taxid_sql(struct taxid_ctx *ctx, enum taxid_stmt id);
/* Map an SQLite result code to a taxid code (BUSY -> DB_BUSY, FULL/IOERR -> IO_ERROR, else INTERNAL) and say why on stderr. */
enum taxid_code taxid_db_fail(struct taxid_ctx *ctx, int rc);
/* Run a statement to completion (no rows expected); TAXID_OK or the mapped error. */
enum taxid_code taxid_db_exec(struct taxid_ctx *ctx, sqlite3_stmt *st);
/* Transactions: BEGIN IMMEDIATE / COMMIT / ROLLBACK, and named savepoints for batches. */
enum taxid_code taxid_db_begin(struct taxid_ctx *ctx);
enum taxid_code taxid_db_commit(struct taxid_ctx *ctx);
void taxid_db_rollback(struct taxid_ctx *ctx);
enum taxid_code taxid_db_savepoint(struct taxid_ctx *ctx);
enum taxid_code taxid_db_release(struct taxid_ctx *ctx);
void taxid_db_rollback_savepoint(struct taxid_ctx *ctx);
/* A setting from the setting table, or def when unset. */
long long taxid_setting_int(struct taxid_ctx *ctx, const char *key, long long def);
/* Store a setting (inside the caller's transaction). */
enum taxid_code taxid_setting_set(struct taxid_ctx *ctx, const char *key, const char *value);

#endif
