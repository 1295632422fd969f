/* backup.c, restore.c, doctor.c: taxid-db — backup and restore of the database, and its health check. */
#ifndef TAXID_BACKUP_H
#define TAXID_BACKUP_H

#include <jansson.h>
#include "errors.h"

struct taxid_ctx;
struct taxid_audit_check;

/* taxid-db backup: file operator [force]. A consistent copy (SQLite's online backup of one read snapshot while
 * others write), 0600, its audit head in the copy's meta (backup_audit_head) and in the result, with the key
 * file's path to keep apart; FILE is not replaced unless force. Audited (db_backup). */
enum taxid_code taxid_backup(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* taxid-db restore: file operator [force]. See lib/restore.c. Audited (db_restore) in the restored database. */
enum taxid_code taxid_restore(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* taxid-db doctor: [anchor]. One row per finding; unhealthy when a finding is an error. See lib/doctor.c. */
enum taxid_code taxid_doctor(struct taxid_ctx *ctx, json_t *req, json_t *out);

/* Open ctx's database as every tool does (then taxid_backup_open_keys); the open's refusal. */
enum taxid_code taxid_backup_open(struct taxid_ctx *ctx);
/* For an open database: its keys, its mode, the audit chain's hook; closes it on failure. */
enum taxid_code taxid_backup_open_keys(struct taxid_ctx *ctx);
/* backup and restore on a PostgreSQL database: said on stderr (the server's tools do it), a usage error. */
enum taxid_code taxid_backup_sqlite_only(struct taxid_ctx *ctx, const char *action);
/* A verified chain's head: "ID:HEX" into buf ("" when empty), or as {"id":N,"hash":"HEX"|null}. */
void taxid_backup_head_text(const struct taxid_audit_check *w, char buf[96]);
json_t *taxid_backup_head_json(const struct taxid_audit_check *w);

#endif
