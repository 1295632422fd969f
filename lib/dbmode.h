/* dbmode.c: a database is created normal or for tests (SECURITY rule 29); only a test database lets a pinned
 * clock (--now, $TAXID_NOW) reach an action that writes. */
#ifndef TAXID_DBMODE_H
#define TAXID_DBMODE_H

#include <jansson.h>
#include "db.h" /* taxid_dbmode_env_test, taxid_dbmode_check_write: where a write begins, in lib/db.c */
#include "errors.h"

struct taxid_ctx;

/* Record the mode of a new database (test when $TAXID_TEST_DB is 1, else normal), then read the mode of any
 * database into ctx->test_db; a test mark not sealed under the key file counts as normal. */
enum taxid_code taxid_dbmode_load(struct taxid_ctx *ctx, int db_is_new);
/* taxid-verify db: the file's schema version, mode and audit chain. */
enum taxid_code taxid_dbmode_report(struct taxid_ctx *ctx, json_t *req, json_t *out);

#endif
