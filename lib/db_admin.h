/* db_admin.c: the engine side of taxid-db — online backup, a file's integrity check, the WAL and its sidecars. */
#ifndef TAXID_DB_ADMIN_H
#define TAXID_DB_ADMIN_H

#include <stddef.h>
#include "errors.h"

struct taxid_ctx;

/* Begin a read transaction on the open database: what is read next, and what taxid_db_backup_to copies, is
 * one snapshot while other processes go on writing. End it with taxid_db_rollback. */
enum taxid_code taxid_db_snapshot(struct taxid_ctx *ctx);
/* Copy the open database (inside taxid_db_snapshot: that snapshot) with SQLite's online backup into path, a
 * new file created 0600 here (refused when it exists); then put meta's key/value pairs (a NULL-terminated
 * list: key, value, key, value, ..., NULL) into the copy, and sync it. On failure path is removed. */
enum taxid_code taxid_db_backup_to(struct taxid_ctx *ctx, const char *path, const char *const *meta);
/* Check a database file with a connection of its own (no migration, no keys): PRAGMA integrity_check must
 * say "ok"; *version gets its schema version. 0 when it passes, else -1 with why (n bytes) saying what failed. */
int taxid_db_file_check(const char *path, int *version, char *why, size_t n);
/* The integrity check of the open database: 1 when "ok", 0 with why (n bytes) set to the first problem. */
int taxid_db_integrity(struct taxid_ctx *ctx, char *why, size_t n);
/* Checkpoint the open database's WAL into the main file and truncate it. */
enum taxid_code taxid_db_checkpoint(struct taxid_ctx *ctx);
/* The size in bytes of the WAL beside the database at path (0 when there is none). */
long long taxid_db_wal_bytes(const char *path);
/* Remove the -wal and -shm files beside path (a restored file's stale ones: they belong to the old file). */
void taxid_db_remove_sidecars(const char *path);

#endif
