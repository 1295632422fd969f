/* The engine side of taxid-db: SQLite's online backup, integrity checks, the WAL's size and sidecar files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_admin.h"
#include "db_sqlite.h"
#include "record.h"
#include "sql.h"

enum taxid_code taxid_db_snapshot(struct taxid_ctx *ctx)
{
	sqlite3 *h = taxid_db_handle(ctx);
	/* a deferred BEGIN takes its snapshot at the first read: read once now */
	int rc = sqlite3_exec(h, "BEGIN; SELECT count(*) FROM meta;", NULL, NULL, NULL);
	return rc == SQLITE_OK ? TAXID_OK : taxid_db_fail(ctx, rc);
}

static int put_meta(sqlite3 *d, const char *const *meta)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(d, taxid_sql_text(TAXID_SQL_META_PUT), -1, &st, NULL);
	for (; rc == SQLITE_OK && meta && meta[0] && meta[1]; meta += 2) {
		sqlite3_bind_text(st, 1, meta[0], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, meta[1], -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(d);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

enum taxid_code taxid_db_backup_to(struct taxid_ctx *ctx, const char *path, const char *const *meta)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot create '%s': %s\n", ctx->tool->name, path, strerror(errno));
		return errno == EEXIST ? TAXID_E_FILE_EXISTS : TAXID_E_IO_ERROR;
	}
	close(fd);
	sqlite3 *d = NULL;
	mode_t old = umask(077);
	int rc = sqlite3_open_v2(path, &d, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_backup *b = sqlite3_backup_init(d, "main", taxid_db_handle(ctx), "main");
		if (!b) {
			rc = sqlite3_errcode(d);
		} else {
			/* one step: the whole file from the snapshot of the read transaction the caller holds */
			rc = sqlite3_backup_step(b, -1);
			int fin = sqlite3_backup_finish(b);
			rc = rc == SQLITE_DONE ? fin : rc;
		}
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(d, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = put_meta(d, meta);
	if (rc == SQLITE_OK) /* the copy alone, no -wal beside it */
		rc = sqlite3_exec(d, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: cannot back up to '%s': %s\n", ctx->tool->name, path,
			d ? sqlite3_errmsg(d) : sqlite3_errstr(rc));
	if (sqlite3_close(d) != SQLITE_OK && rc == SQLITE_OK)
		rc = SQLITE_IOERR;
	umask(old);
	if (rc == SQLITE_OK && (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		if (fsync(fd))
			rc = SQLITE_IOERR;
		close(fd);
	}
	if (rc != SQLITE_OK) {
		unlink(path);
		taxid_db_remove_sidecars(path);
		return (rc & 0xff) == SQLITE_BUSY ? TAXID_E_DB_BUSY : TAXID_E_IO_ERROR;
	}
	return TAXID_OK;
}

/* The first row of a one-column statement as text into buf; the sqlite result code. */
static int first_text(sqlite3 *h, int id, char *buf, size_t n)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(h, taxid_sql_text(id), -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		snprintf(buf, n, "%s", t ? (const char *)t : "");
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

int taxid_db_file_check(const char *path, int *version, char *why, size_t n)
{
	sqlite3 *h = NULL;
	char v[32] = "";
	int rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = first_text(h, TAXID_SQL_DB_SCHEMA_VERSION, v, sizeof v);
	if (rc == SQLITE_OK)
		rc = first_text(h, TAXID_SQL_DB_INTEGRITY, why, n);
	if (rc != SQLITE_OK)
		snprintf(why, n, "%s", h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
	sqlite3_close(h);
	*version = atoi(v);
	return rc == SQLITE_OK && strcmp(why, "ok") == 0 ? 0 : -1;
}

int taxid_db_integrity(struct taxid_ctx *ctx, char *why, size_t n)
{
	int rc = first_text(taxid_db_handle(ctx), TAXID_SQL_DB_INTEGRITY, why, n);
	if (rc != SQLITE_OK)
		snprintf(why, n, "%s", sqlite3_errmsg(taxid_db_handle(ctx)));
	return rc == SQLITE_OK && strcmp(why, "ok") == 0;
}

enum taxid_code taxid_db_checkpoint(struct taxid_ctx *ctx)
{
	char r[64];
	int rc = first_text(taxid_db_handle(ctx), TAXID_SQL_DB_CHECKPOINT, r, sizeof r);
	return rc == SQLITE_OK ? TAXID_OK : taxid_db_fail(ctx, rc);
}

long long taxid_db_wal_bytes(const char *path)
{
	char wal[4096];
	struct stat sb;
	snprintf(wal, sizeof wal, "%s-wal", path);
	return stat(wal, &sb) == 0 ? (long long)sb.st_size : 0;
}

void taxid_db_remove_sidecars(const char *path)
{
	char p[4096];
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-journal", path);
	unlink(p);
}
