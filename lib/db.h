/* db.c: the SQLite file — open, permissions, migrations, the prepared-statement cache, transactions. */
#ifndef TAXID_DB_H
#define TAXID_DB_H

#include <sqlite3.h>
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
