/* taxid-db backup and restore: a consistent copy with its audit head, and putting one back after checking it. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "backup.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "db_admin.h"
#include "dbmode.h"
#include "keys.h"
#include "operator.h"
#include "record.h"

#define KEY_NOTE "keep the key file apart from the backup (another medium, another place): without it the backup " \
		 "cannot be read or restored, and whoever holds both holds every personal field"

/* Open the database of ctx with what every tool opens with: keys, mode, the audit chain's hook. */
enum taxid_code taxid_backup_open(struct taxid_ctx *ctx)
{
	enum taxid_code c = taxid_db_open(ctx, 0);
	return c ? c : taxid_backup_open_keys(ctx);
}

enum taxid_code taxid_backup_open_keys(struct taxid_ctx *ctx)
{
	int unbound = 0;
	enum taxid_code c;
	if ((c = taxid_keys_load(ctx, &unbound)) || (c = taxid_dbmode_load(ctx, unbound)) || (c = taxid_audit_attach(ctx)))
		taxid_db_close(ctx);
	return c;
}

/* "ID:HEX" of a verified chain's head into buf ("" for an empty chain). */
void taxid_backup_head_text(const struct taxid_audit_check *w, char buf[96])
{
	buf[0] = 0;
	if (!w->rows)
		return;
	char *hex = taxid_hex_encode(w->head, 32);
	snprintf(buf, 96, "%lld:%s", w->last_id, hex ? hex : "");
	free(hex);
}

/* The head as taxid-verify audit --head prints it: {"id":N,"hash":"HEX"} (hash null for an empty chain). */
json_t *taxid_backup_head_json(const struct taxid_audit_check *w)
{
	char *hex = w->rows ? taxid_hex_encode(w->head, 32) : NULL;
	json_t *o = json_pack("{s:I,s:o}", "id", (json_int_t)w->last_id, "hash", hex ? json_string(hex) : json_null());
	free(hex);
	return o;
}

/* Sync the directory holding path, so that a rename in it lasts. */
static void sync_dir(const char *path)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s", path);
	int fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* A file name beside path: path + suffix + ".PID" (a temporary file of this process). */
static void beside(const char *path, const char *suffix, char buf[PATH_MAX])
{
	snprintf(buf, PATH_MAX, "%s%s.%ld", path, suffix, (long)getpid());
}

static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The request's operator, file and force. */
static enum taxid_code read_request(struct taxid_ctx *ctx, json_t *req, const char **op, const char **file, int *force)
{
	enum taxid_code c = TAXID_OK;
	*op = taxid_operator(ctx, req, &c);
	if (!*op)
		return c;
	*file = taxid_req_str(ctx, req, "file", 1, &c);
	*force = c ? 0 : taxid_req_bool(ctx, req, "force", 0, &c);
	if (!c && !**file)
		c = taxid_fail(ctx, TAXID_E_BAD_VALUE, "file");
	return c;
}

/* Snapshot, verify the chain in it, copy it to tmp with the head in the copy's meta. */
static enum taxid_code snapshot_copy(struct taxid_ctx *ctx, const char *tmp, struct taxid_audit_check *w)
{
	enum taxid_code c = taxid_db_snapshot(ctx);
	if (!c)
		c = taxid_audit_verify(ctx, NULL, w);
	if (!c) {
		char head[96], at[TAXID_TIME_LEN];
		taxid_backup_head_text(w, head);
		taxid_time_format(ctx->now, at);
		const char *meta[] = {"backup_audit_head", head, "backup_at", at, NULL};
		c = taxid_db_backup_to(ctx, tmp, meta);
	}
	taxid_db_rollback(ctx); /* ends the read transaction */
	return c;
}

enum taxid_code taxid_backup_sqlite_only(struct taxid_ctx *ctx, const char *action)
{
	fprintf(stderr, "%s: %s works on a SQLite file; a PostgreSQL database ('%s') is backed up and restored with the "
			"server's own tools (pg_dump and pg_restore, or a base backup with WAL archiving), and its key file "
			"'%s' is kept apart from them as with a file\n",
		ctx->tool->name, action, ctx->db_path, getenv("TAXID_KEYFILE") ? getenv("TAXID_KEYFILE") : "");
	return taxid_fail(ctx, TAXID_E_USAGE, NULL);
}

enum taxid_code taxid_backup(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	const char *op = NULL, *file = NULL;
	int force = 0;
	if (ctx->db_uri)
		return taxid_backup_sqlite_only(ctx, "backup");
	enum taxid_code c = read_request(ctx, req, &op, &file, &force);
	if (c)
		return c;
	if (same_file(file, ctx->db_path))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "file");
	if (!force && access(file, F_OK) == 0)
		return taxid_fail(ctx, TAXID_E_FILE_EXISTS, "file");
	char tmp[PATH_MAX];
	beside(file, ".tmp", tmp);
	unlink(tmp); /* a leftover of a process that had this pid */
	struct taxid_audit_check w;
	if ((c = snapshot_copy(ctx, tmp, &w)))
		return c == TAXID_E_FILE_EXISTS ? taxid_fail(ctx, c, "file") : c;
	/* without force, link refuses a FILE that appeared meanwhile; with it, rename replaces it in one step */
	int rc = force ? rename(tmp, file) : link(tmp, file);
	int err = errno;
	if (!force)
		unlink(tmp);
	if (rc) {
		unlink(tmp);
		fprintf(stderr, "%s: cannot write '%s': %s\n", ctx->tool->name, file, strerror(err));
		return err == EEXIST ? taxid_fail(ctx, TAXID_E_FILE_EXISTS, "file") : TAXID_E_IO_ERROR;
	}
	sync_dir(file);
	char *key = taxid_key_path(ctx);
	json_t *head = taxid_backup_head_json(&w);
	if (!(c = taxid_db_begin(ctx)))
		c = taxid_audit_new(ctx, "db_backup", NULL, op,
				    json_pack("{s:s,s:O,s:b,s:b}", "file", file, "audit_head", head, "chain_intact", !w.broken,
					      "force", force));
	json_object_set_new(out, "file", json_string(file));
	json_object_set_new(out, "audit_head", head);
	json_object_set_new(out, "chain", json_string(w.broken ? "broken" : "intact"));
	json_object_set_new(out, "key_file", json_string(key ? key : ""));
	json_object_set_new(out, "key_note", json_string(KEY_NOTE));
	free(key);
	return c;
}
