/* taxid-db restore: check a backup copy (integrity, schema, key, audit chain, not older than the database),
 * audit the restore in it, and put it in place in one rename, keeping the replaced file. */
#include <errno.h>
#include <fcntl.h>
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
#include "keys.h"
#include "operator.h"
#include "record.h"

/* Copy src to a new file dst (0600), synced. 0, or -1 with errno. */
static int copy_file(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		int e = errno;
		close(in);
		errno = e;
		return -1;
	}
	char buf[1 << 16];
	ssize_t n = 0;
	int rc = 0;
	while (rc == 0 && (n = read(in, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno != EINTR)
				rc = -1;
			continue;
		}
		for (ssize_t off = 0; rc == 0 && off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno != EINTR)
				rc = -1;
			else if (w > 0)
				off += w;
		}
	}
	int e = errno;
	if (rc == 0 && fsync(out))
		rc = -1, e = errno;
	close(in);
	if (close(out) && rc == 0)
		rc = -1, e = errno;
	errno = e;
	return rc;
}

static void sync_path(const char *path, int dir)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s", path);
	if (dir) {
		char *slash = strrchr(buf, '/');
		if (slash == buf)
			slash[1] = 0;
		else if (slash)
			*slash = 0;
		else
			snprintf(buf, sizeof buf, ".");
	}
	int fd = open(buf, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* A refusal of the copy: backup_invalid with the check that failed and why. */
static enum taxid_code invalid(struct taxid_ctx *ctx, const char *check, const char *why)
{
	return taxid_fail_detail(ctx, TAXID_E_BACKUP_INVALID, "file", json_pack("{s:s,s:s}", "check", check, "reason", why));
}

/* What a restore knows of the two databases. */
struct restore {
	const char *op, *file;
	int force;
	char tmp[PATH_MAX], replaced[PATH_MAX];
	char target_head[96]; /* "" when there is no target or its chain is empty */
	struct taxid_audit_check copy;
	struct taxid_ctx c2; /* the copy, opened as a taxid database (its keys are the target's key file) */
	char *key;           /* that key file's path (c2.key_path) */
};

/* Check the copy at r->tmp: integrity, schema, bound to the key file, its chain intact. */
static enum taxid_code check_copy(struct taxid_ctx *ctx, struct restore *r)
{
	char why[512];
	int version = 0;
	if (taxid_db_file_check(r->tmp, &version, why, sizeof why))
		return invalid(ctx, "integrity", why);
	if (version > taxid_db_schema_version() || version < 1) {
		snprintf(why, sizeof why, "schema version %d, this program's %d", version, taxid_db_schema_version());
		return invalid(ctx, "schema", why);
	}
	r->c2 = *ctx;
	r->c2.db = NULL;
	r->c2.keys = NULL;
	r->c2.db_path = r->tmp;
	r->c2.key_path = r->key = taxid_key_path(ctx);
	if (!r->key)
		return TAXID_E_INTERNAL;
	enum taxid_code c = taxid_db_open(&r->c2, 0);
	if (c)
		return invalid(ctx, "open", taxid_error_code(c));
	struct taxid_q *q = taxid_q(&r->c2, TAXID_SQL_META_GET);
	taxid_q_text(q, 1, "key_check");
	char *kcv = taxid_q_one_text(q);
	if (!kcv)
		return invalid(ctx, "key", "the copy is bound to no key file");
	free(kcv);
	if (taxid_backup_open_keys(&r->c2))
		return invalid(ctx, "key", "the key file does not open the copy (key check value differs)");
	if ((c = taxid_audit_verify(&r->c2, NULL, &r->copy)))
		return c;
	if (r->copy.broken)
		return invalid(ctx, "audit", r->copy.why ? r->copy.why : "the audit chain is broken");
	return TAXID_OK;
}

/* Whether the target holds nothing the copy lacks: the copy's chain holds the target's head, or the target's
 * chain holds the copy's head and only db_backup rows follow it (the backup's own row). */
static int target_not_newer(struct taxid_ctx *ctx, struct restore *r)
{
	struct taxid_audit_check w;
	if (!taxid_audit_verify(&r->c2, r->target_head, &w) && w.anchor_found)
		return 1;
	char copy_head[96];
	taxid_backup_head_text(&r->copy, copy_head);
	if (!copy_head[0] || taxid_audit_verify(ctx, copy_head, &w) || !w.anchor_found)
		return 0;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_AUDIT_COUNT_AFTER);
	taxid_q_int(q, 1, r->copy.last_id);
	return taxid_q_one_int(q, -1) == 0;
}

/* The target as it is: refused when it holds audit rows the copy lacks (unless force); then checkpointed
 * (the replaced file whole, without its -wal) and closed. */
static enum taxid_code check_target(struct taxid_ctx *ctx, struct restore *r)
{
	if (access(ctx->db_path, F_OK) != 0)
		return TAXID_OK;
	enum taxid_code c = taxid_backup_open(ctx);
	if (c)
		return r->force ? TAXID_OK : c; /* force: a database that does not open is replaced as it is */
	struct taxid_audit_check w;
	if (!(c = taxid_audit_verify(ctx, NULL, &w)))
		taxid_backup_head_text(&w, r->target_head);
	if (!c && r->target_head[0] && !r->force && !target_not_newer(ctx, r)) {
		char copy_head[96];
		taxid_backup_head_text(&r->copy, copy_head);
		c = taxid_fail_detail(ctx, TAXID_E_TARGET_NEWER, "file",
				      json_pack("{s:s,s:s}", "target_head", r->target_head, "copy_head", copy_head));
	}
	if (!c)
		c = taxid_db_checkpoint(ctx);
	taxid_db_close(ctx);
	return c;
}

/* The restore's audit row, in the restored database (the copy, before it is put in place). */
static enum taxid_code audit_restore(struct taxid_ctx *ctx, struct restore *r, json_t *copy_head)
{
	enum taxid_code c = taxid_db_begin(&r->c2);
	if (!c)
		c = taxid_audit_new(&r->c2, "db_restore", NULL, r->op,
				    json_pack("{s:s,s:O,s:o,s:o,s:b}", "file", r->file, "copy_head", copy_head, "target_head",
					      r->target_head[0] ? json_string(r->target_head) : json_null(), "replaced",
					      r->replaced[0] ? json_string(r->replaced) : json_null(), "force", r->force));
	if (!c)
		c = taxid_db_commit(&r->c2);
	else
		taxid_db_rollback(&r->c2);
	if (!c)
		c = taxid_db_checkpoint(&r->c2);
	(void)ctx;
	return c;
}

/* Name the file that keeps the replaced database: DB.replaced-YYYYMMDDTHHMMSSZ (then -2, -3, ... if taken). */
static void replaced_name(struct taxid_ctx *ctx, struct restore *r)
{
	char at[TAXID_TIME_LEN], stamp[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	size_t j = 0;
	for (const char *p = at; *p && j + 1 < sizeof stamp; p++)
		if (*p != '-' && *p != ':')
			stamp[j++] = *p;
	stamp[j] = 0;
	snprintf(r->replaced, sizeof r->replaced, "%s.replaced-%s", ctx->db_path, stamp);
	for (int i = 2; access(r->replaced, F_OK) == 0 && i < 1000; i++)
		snprintf(r->replaced, sizeof r->replaced, "%s.replaced-%s-%d", ctx->db_path, stamp, i);
}

/* Keep the target as r->replaced (a second name of the same file, 0600), then rename the checked copy over it. */
static enum taxid_code put_in_place(struct taxid_ctx *ctx, struct restore *r)
{
	if (r->replaced[0]) {
		if (link(ctx->db_path, r->replaced) || chmod(r->replaced, 0600)) {
			fprintf(stderr, "%s: cannot keep '%s' as '%s': %s\n", ctx->tool->name, ctx->db_path, r->replaced,
				strerror(errno));
			return TAXID_E_IO_ERROR;
		}
	}
	taxid_db_remove_sidecars(ctx->db_path); /* the old file's, checkpointed and empty */
	if (rename(r->tmp, ctx->db_path)) {
		fprintf(stderr, "%s: cannot rename '%s' to '%s': %s\n", ctx->tool->name, r->tmp, ctx->db_path,
			strerror(errno));
		return TAXID_E_IO_ERROR;
	}
	sync_path(ctx->db_path, 1);
	return TAXID_OK;
}

static enum taxid_code restore_run(struct taxid_ctx *ctx, struct restore *r, json_t *out)
{
	if (copy_file(r->file, r->tmp)) {
		char why[256];
		snprintf(why, sizeof why, "cannot read: %s", strerror(errno));
		return invalid(ctx, "read", why);
	}
	enum taxid_code c = check_copy(ctx, r);
	if (!c)
		c = check_target(ctx, r);
	if (c)
		return c;
	if (access(ctx->db_path, F_OK) == 0)
		replaced_name(ctx, r);
	json_t *head = taxid_backup_head_json(&r->copy);
	c = audit_restore(ctx, r, head);
	taxid_db_close(&r->c2);
	taxid_db_remove_sidecars(r->tmp);
	sync_path(r->tmp, 0);
	if (!c)
		c = put_in_place(ctx, r);
	if (!c) {
		json_object_set_new(out, "restored", json_string(ctx->db_path));
		json_object_set_new(out, "file", json_string(r->file));
		json_object_set_new(out, "audit_head", json_incref(head));
		json_object_set_new(out, "replaced", r->replaced[0] ? json_string(r->replaced) : json_null());
		json_object_set_new(out, "key_file", json_string(r->c2.key_path));
	}
	json_decref(head);
	return c;
}

enum taxid_code taxid_restore(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct restore r;
	memset(&r, 0, sizeof r);
	enum taxid_code c = TAXID_OK;
	if (ctx->db_uri)
		return taxid_backup_sqlite_only(ctx, "restore");
	r.op = taxid_operator(ctx, req, &c);
	if (!r.op)
		return c;
	r.file = taxid_req_str(ctx, req, "file", 1, &c);
	r.force = c ? 0 : taxid_req_bool(ctx, req, "force", 0, &c);
	if (c)
		return c;
	snprintf(r.tmp, sizeof r.tmp, "%s.restore.%ld", ctx->db_path, (long)getpid());
	unlink(r.tmp);
	taxid_db_remove_sidecars(r.tmp);
	c = restore_run(ctx, &r, out);
	taxid_db_close(&r.c2);
	if (c) { /* never a half-written database: the target is untouched until the one rename */
		unlink(r.tmp);
		taxid_db_remove_sidecars(r.tmp);
	}
	free(r.key);
	return c;
}
