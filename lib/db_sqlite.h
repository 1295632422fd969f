/* db.c, engine side: what lib/db*.c may say in sqlite3's own terms. No other file includes this one
 * (scripts/lint-layers.sh checks). */
#ifndef TAXID_DB_SQLITE_H
#define TAXID_DB_SQLITE_H

#include <sqlite3.h>

#include "db.h"

/* The cached prepared statement for id, reset and with bindings cleared; NULL (and stderr) on failure. */
sqlite3_stmt *taxid_sql(struct taxid_ctx *ctx, enum taxid_stmt id);
/* Map an SQLite result code to a taxid code (BUSY -> DB_BUSY, FULL/IOERR -> IO_ERROR, else INTERNAL) and say why on stderr. */
enum taxid_code taxid_db_fail(struct taxid_ctx *ctx, int rc);

/* The connection of the open database (lib/db_admin.c: backup, checks). */
sqlite3 *taxid_db_handle(struct taxid_ctx *ctx);

#endif
