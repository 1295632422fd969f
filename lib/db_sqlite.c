/* The SQLite engine: the file created 0600, WAL, busy timeout, foreign keys, migrations in BEGIN IMMEDIATE, one
 * statement cache, and BEGIN IMMEDIATE for every write (one writer at a time). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_engine.h"
#include "db_sqlite.h"
#include "record.h"
#include "sql.h"

/* A statement in use: the cached handle and its first error. */
struct sqlite_q {
	struct taxid_q base;
	sqlite3_stmt *st;
	int rc;
};

struct taxid_db_conn {
	sqlite3 *h;
	sqlite3_stmt *cache[TAXID_SQL_COUNT]; /* prepared once, on first use */
	struct sqlite_q qs[TAXID_SQL_COUNT];
};

static sqlite3 *handle(struct taxid_ctx *ctx)
{
	struct taxid_db_conn *c = ctx->db ? taxid_db_conn(ctx) : NULL;
	return c ? c->h : NULL;
}

static void say(const struct taxid_ctx *ctx, const char *what, const char *why)
{
	fprintf(stderr, "%s: %s '%s': %s\n", ctx->tool->name, what, ctx->db_path, why);
}

enum taxid_code taxid_db_fail(struct taxid_ctx *ctx, int rc)
{
	int prim = rc & 0xff;
	sqlite3 *h = handle(ctx);
	const char *msg = h ? sqlite3_errmsg(h) : sqlite3_errstr(rc);
	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) {
		say(ctx, "database busy", msg);
		return TAXID_E_DB_BUSY;
	}
	if (prim == SQLITE_FULL || prim == SQLITE_IOERR || prim == SQLITE_READONLY || prim == SQLITE_CANTOPEN ||
	    prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB || prim == SQLITE_PERM) {
		say(ctx, "cannot write", msg);
		return TAXID_E_IO_ERROR;
	}
	say(ctx, "database error", msg);
	return TAXID_E_INTERNAL;
}

sqlite3 *taxid_db_handle(struct taxid_ctx *ctx)
{
	return handle(ctx);
}

static enum taxid_code exec_sql(struct taxid_ctx *ctx, const char *sql)
{
	int rc = sqlite3_exec(handle(ctx), sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? TAXID_OK : taxid_db_fail(ctx, rc);
}

static int user_version(struct taxid_ctx *ctx, int *v)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(handle(ctx), "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

static int in_tx(struct taxid_ctx *ctx)
{
	sqlite3 *h = handle(ctx);
	return h && !sqlite3_get_autocommit(h);
}

static void rollback(struct taxid_ctx *ctx)
{
	if (in_tx(ctx))
		sqlite3_exec(handle(ctx), "ROLLBACK", NULL, NULL, NULL);
}

/* Each step in its own BEGIN IMMEDIATE, re-reading the version inside it so two processes cannot both migrate. */
static enum taxid_code migrate(struct taxid_ctx *ctx)
{
	for (;;) {
		int v = 0, rc;
		enum taxid_code c = exec_sql(ctx, "BEGIN IMMEDIATE");
		if (c)
			return c;
		if ((rc = user_version(ctx, &v)) != SQLITE_OK) {
			rollback(ctx);
			return taxid_db_fail(ctx, rc);
		}
		if (v > taxid_db_schema_version()) {
			rollback(ctx);
			fprintf(stderr, "%s: '%s' has schema version %d, newer than this program's %d\n", ctx->tool->name,
				ctx->db_path, v, taxid_db_schema_version());
			return TAXID_E_SCHEMA_NEWER;
		}
		if (v == taxid_db_schema_version()) {
			rollback(ctx);
			return TAXID_OK;
		}
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
		if ((c = exec_sql(ctx, taxid_sql_migration(v + 1))) || (c = exec_sql(ctx, pragma)) ||
		    (c = exec_sql(ctx, "COMMIT"))) {
			rollback(ctx);
			return c;
		}
	}
}

static enum taxid_code check_mode(struct taxid_ctx *ctx, const char *path)
{
	struct stat sb;
	/* issue 10: readable is refused too — a copy of the file is a copy of every hash, index and bearer id in it */
	if (stat(path, &sb) == 0 && (sb.st_mode & (S_IWGRP | S_IWOTH | S_IRGRP | S_IROTH))) {
		fprintf(stderr, "%s: refusing '%s': readable or writable by group or others (chmod 600 it)\n", ctx->tool->name,
			path);
		return TAXID_E_INSECURE_FILE;
	}
	return TAXID_OK;
}

static enum taxid_code sq_open(struct taxid_ctx *ctx, int create, struct taxid_db_conn **conn, int *fresh)
{
	int is_new = access(ctx->db_path, F_OK) != 0;
	enum taxid_code c;
	if (is_new && create <= 0) {
		if (!create)
			say(ctx, "cannot open", "no such file (it is created by the actions that write)");
		return TAXID_E_DB_MISSING;
	}
	if (is_new && ctx->now_pinned && !taxid_dbmode_env_test()) {
		/* A database created here with a pinned clock would be a normal one that then refuses the clock. */
		fprintf(stderr, "%s: not creating '%s' with a pinned clock (--now or TAXID_NOW): set TAXID_TEST_DB=1 to "
				"create a test database, or leave the clock alone\n", ctx->tool->name, ctx->db_path);
		return TAXID_E_CLOCK_PINNED;
	}
	if (is_new) {
		/* Create it ourselves so the mode is 0600 whatever the umask. */
		int fd = open(ctx->db_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST) {
			say(ctx, "cannot create", strerror(errno));
			return errno == ENOENT ? TAXID_E_DB_MISSING : TAXID_E_IO_ERROR;
		}
		if (fd >= 0)
			close(fd);
	} else if ((c = check_mode(ctx, ctx->db_path))) {
		return c;
	}
	struct taxid_db_conn *db = calloc(1, sizeof *db);
	if (!db)
		return TAXID_E_INTERNAL;
	mode_t old = umask(077); /* the -wal and -shm files too */
	int rc = sqlite3_open_v2(ctx->db_path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	umask(old);
	if (rc != SQLITE_OK) {
		say(ctx, "cannot open", db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		sqlite3_close(db->h);
		free(db);
		return TAXID_E_IO_ERROR;
	}
	*conn = db;
	const char *env = getenv("TAXID_BUSY_TIMEOUT_MS");
	sqlite3_busy_timeout(db->h, env && atoi(env) > 0 ? atoi(env) : 10000);
	sqlite3_extended_result_codes(db->h, 1);
	int v = 0;
	if ((rc = user_version(ctx, &v)) != SQLITE_OK) {
		if (rc == SQLITE_NOTADB)
			say(ctx, "cannot open", "not a database");
		return rc == SQLITE_NOTADB ? TAXID_E_IO_ERROR : taxid_db_fail(ctx, rc);
	}
	if (v > taxid_db_schema_version()) {
		fprintf(stderr, "%s: '%s' has schema version %d, newer than this program's %d\n", ctx->tool->name,
			ctx->db_path, v, taxid_db_schema_version());
		return TAXID_E_SCHEMA_NEWER;
	}
	if ((c = exec_sql(ctx, "PRAGMA journal_mode = WAL")) || (c = exec_sql(ctx, "PRAGMA foreign_keys = ON")) ||
	    (c = exec_sql(ctx, "PRAGMA synchronous = NORMAL")) ||
	    (v < taxid_db_schema_version() && (c = migrate(ctx)))) /* up to date: no write lock just to look */
		return c;
	*fresh = v == 0;
	return TAXID_OK;
}

static void sq_close(struct taxid_db_conn *db)
{
	for (int i = 0; i < TAXID_SQL_COUNT; i++)
		sqlite3_finalize(db->cache[i]);
	sqlite3_close(db->h);
	free(db);
}

sqlite3_stmt *taxid_sql(struct taxid_ctx *ctx, enum taxid_stmt id)
{
	struct taxid_db_conn *db = taxid_db_conn(ctx);
	sqlite3_stmt **st = &db->cache[id];
	if (!*st) {
		int rc = sqlite3_prepare_v3(db->h, taxid_sql_text(id), -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
		if (rc != SQLITE_OK) {
			fprintf(stderr, "%s: cannot prepare statement %d: %s\n", ctx->tool->name, (int)id,
				sqlite3_errmsg(db->h));
			return NULL;
		}
	} else {
		sqlite3_reset(*st);
		sqlite3_clear_bindings(*st);
	}
	return *st;
}

static struct taxid_q *sq_q(struct taxid_ctx *ctx, enum taxid_stmt id)
{
	sqlite3_stmt *st = taxid_sql(ctx, id);
	if (!st)
		return NULL;
	struct sqlite_q *q = &taxid_db_conn(ctx)->qs[id];
	*q = (struct sqlite_q){{&taxid_db_sqlite, ctx}, st, SQLITE_OK};
	return &q->base;
}

static struct sqlite_q *SQ(struct taxid_q *q)
{
	return (struct sqlite_q *)q;
}

static void bound(struct taxid_q *q, int rc)
{
	if (rc != SQLITE_OK && SQ(q)->rc == SQLITE_OK)
		SQ(q)->rc = rc;
}

static void sq_bind_int(struct taxid_q *q, int i, long long v)
{
	bound(q, sqlite3_bind_int64(SQ(q)->st, i, v));
}

static void sq_bind_text(struct taxid_q *q, int i, const char *s, size_t n)
{
	sqlite3_stmt *st = SQ(q)->st;
	bound(q, s ? sqlite3_bind_text(st, i, s, (int)n, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i));
}

static void sq_bind_blob(struct taxid_q *q, int i, const void *p, size_t n)
{
	sqlite3_stmt *st = SQ(q)->st;
	bound(q, p ? sqlite3_bind_blob(st, i, p, (int)n, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i));
}

static void sq_bind_col(struct taxid_q *q, int i, struct taxid_q *src, int j)
{
	bound(q, sqlite3_bind_value(SQ(q)->st, i, sqlite3_column_value(SQ(src)->st, j)));
}

static int sq_step(struct taxid_q *q)
{
	if (SQ(q)->rc != SQLITE_OK)
		return 0; /* a failed bind: the statement does not run */
	int rc = sqlite3_step(SQ(q)->st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		SQ(q)->rc = rc;
	return 0;
}

static enum taxid_code sq_end(struct taxid_q *q)
{
	sqlite3_reset(SQ(q)->st);
	if (SQ(q)->rc == SQLITE_OK)
		return TAXID_OK;
	enum taxid_code c = taxid_db_fail(q->ctx, SQ(q)->rc);
	taxid_db_note_error(q->ctx, c);
	SQ(q)->rc = SQLITE_OK;
	return c;
}

static int sq_is_null(struct taxid_q *q, int j)
{
	return sqlite3_column_type(SQ(q)->st, j) == SQLITE_NULL;
}

static long long sq_col_int(struct taxid_q *q, int j)
{
	return sqlite3_column_int64(SQ(q)->st, j);
}

static const char *sq_col_text(struct taxid_q *q, int j)
{
	return (const char *)sqlite3_column_text(SQ(q)->st, j);
}

static const void *sq_col_blob(struct taxid_q *q, int j)
{
	return sqlite3_column_blob(SQ(q)->st, j);
}

static size_t sq_col_bytes(struct taxid_q *q, int j)
{
	return (size_t)sqlite3_column_bytes(SQ(q)->st, j);
}

static int sq_col_count(struct taxid_q *q)
{
	return sqlite3_column_count(SQ(q)->st);
}

static long long sq_changes(struct taxid_ctx *ctx)
{
	return sqlite3_changes64(handle(ctx));
}

static long long sq_last_id(struct taxid_ctx *ctx)
{
	return sqlite3_last_insert_rowid(handle(ctx));
}

static enum taxid_code sq_begin(struct taxid_ctx *ctx)
{
	return exec_sql(ctx, "BEGIN IMMEDIATE");
}

static enum taxid_code sq_commit(struct taxid_ctx *ctx)
{
	return exec_sql(ctx, "COMMIT");
}

/* A statement of no values run from the cache: a batch opens and releases a savepoint per request, and
 * sqlite3_exec would parse it every time. */
static enum taxid_code exec_cached(struct taxid_ctx *ctx, enum taxid_stmt id)
{
	sqlite3_stmt *st = taxid_sql(ctx, id);
	if (!st)
		return TAXID_E_INTERNAL;
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? TAXID_OK : taxid_db_fail(ctx, rc);
}

static enum taxid_code sq_savepoint(struct taxid_ctx *ctx)
{
	return exec_cached(ctx, TAXID_SQL_TX_SAVEPOINT);
}

static enum taxid_code sq_release(struct taxid_ctx *ctx)
{
	return exec_cached(ctx, TAXID_SQL_TX_RELEASE);
}

static void sq_rollback_savepoint(struct taxid_ctx *ctx)
{
	sqlite3_exec(handle(ctx), "ROLLBACK TO request; RELEASE request", NULL, NULL, NULL);
}

const struct taxid_db_engine taxid_db_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.q = sq_q,
	.bind_int = sq_bind_int,
	.bind_text = sq_bind_text,
	.bind_blob = sq_bind_blob,
	.bind_col = sq_bind_col,
	.step = sq_step,
	.end = sq_end,
	.is_null = sq_is_null,
	.col_int = sq_col_int,
	.col_text = sq_col_text,
	.col_blob = sq_col_blob,
	.col_bytes = sq_col_bytes,
	.col_count = sq_col_count,
	.changes = sq_changes,
	.last_id = sq_last_id,
	.in_tx = in_tx,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = rollback,
	.savepoint = sq_savepoint,
	.release = sq_release,
	.rollback_savepoint = sq_rollback_savepoint,
};
