/* dbmode.c: a database is created normal or for tests (SECURITY rule 29); only a test database lets a pinned
 * clock (--now, $TAXID_NOW) reach an action that writes. */
#ifndef TAXID_DBMODE_H
#define TAXID_DBMODE_H

#include <jansson.h>
#include "errors.h"

struct taxid_ctx;

/* The environment variable that makes a new database a test database when it is "1". */
#define TAXID_TEST_DB_ENV "TAXID_TEST_DB"

/* 1 when $TAXID_TEST_DB asks for a test database. */
int taxid_dbmode_env_test(void);
/* Record the mode of a new database (test when $TAXID_TEST_DB is 1, else normal), then read the mode of any
 * database into ctx->test_db; a test mark not sealed under the key file counts as normal. */
enum taxid_code taxid_dbmode_load(struct taxid_ctx *ctx, int db_is_new);
/* Where a write begins: refuse a pinned clock on a normal database (a usage error, explained on stderr). */
enum taxid_code taxid_dbmode_check_write(struct taxid_ctx *ctx);
/* taxid-verify db: the file's schema version, mode and audit chain. */
enum taxid_code taxid_dbmode_report(struct taxid_ctx *ctx, json_t *req, json_t *out);

#endif
