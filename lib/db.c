/* The SQLite file: created 0600, WAL, busy timeout, foreign keys, migrations, one statement cache. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "db_sqlite.h"
#include "keys.h"
#include "record.h"
#include "sql.h"

/* A statement in use: the cached handle, the request it serves and its first error. */
struct taxid_q {
	sqlite3_stmt *st;
	struct taxid_ctx *ctx;
	int rc;
};

struct taxid_db {
	sqlite3 *h;
	int fresh;                           /* schema version 0 when opened */
	sqlite3_stmt *cache[TAXID_SQL_COUNT]; /* prepared once, on first use */
	struct taxid_q qs[TAXID_SQL_COUNT];
	enum taxid_code request_error;       /* the first database error of the current request */
	struct taxid_keys keys;
	struct taxid_audit_head audit_head, audit_head_sp;
	json_t *settings;                    /* settings read in the open transaction, NULL outside */
	taxid_db_hook before_commit;
};

static void tx_forget(struct taxid_ctx *ctx);

static void say(const struct taxid_ctx *ctx, const char *what, const char *why)
{
	fprintf(stderr, "%s: %s '%s': %s\n", ctx->tool->name, what, ctx->db_path, why);
}

enum taxid_code taxid_db_fail(struct taxid_ctx *ctx, int rc)
{
	int prim = rc & 0xff;
	const char *msg = ctx->db ? sqlite3_errmsg(ctx->db->h) : sqlite3_errstr(rc);
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

static enum taxid_code exec_sql(struct taxid_ctx *ctx, const char *sql)
{
	int rc = sqlite3_exec(ctx->db->h, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? TAXID_OK : taxid_db_fail(ctx, rc);
}

static int user_version(struct taxid_ctx *ctx, int *v)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(ctx->db->h, "PRAGMA user_version", -1, &st, NULL);
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

/* Each step in its own BEGIN IMMEDIATE, re-reading the version inside it so two processes cannot both migrate. */
static enum taxid_code migrate(struct taxid_ctx *ctx)
{
	for (;;) {
		int v = 0, rc;
		enum taxid_code c = exec_sql(ctx, "BEGIN IMMEDIATE");
		if (c)
			return c;
		if ((rc = user_version(ctx, &v)) != SQLITE_OK) {
			taxid_db_rollback(ctx);
			return taxid_db_fail(ctx, rc);
		}
		if (v > taxid_db_schema_version()) {
			taxid_db_rollback(ctx);
			fprintf(stderr, "%s: '%s' has schema version %d, newer than this program's %d\n", ctx->tool->name,
				ctx->db_path, v, taxid_db_schema_version());
			return TAXID_E_SCHEMA_NEWER;
		}
		if (v == taxid_db_schema_version()) {
			taxid_db_rollback(ctx);
			return TAXID_OK;
		}
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
		if ((c = exec_sql(ctx, taxid_sql_migration(v + 1))) || (c = exec_sql(ctx, pragma)) ||
		    (c = exec_sql(ctx, "COMMIT"))) {
			taxid_db_rollback(ctx);
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

enum taxid_code taxid_db_open(struct taxid_ctx *ctx, int create)
{
	int is_new = access(ctx->db_path, F_OK) != 0;
	enum taxid_code c;
	if (is_new && !create) {
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
	struct taxid_db *db = calloc(1, sizeof *db);
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
	ctx->db = db;
	const char *env = getenv("TAXID_BUSY_TIMEOUT_MS");
	sqlite3_busy_timeout(db->h, env && atoi(env) > 0 ? atoi(env) : 10000);
	sqlite3_extended_result_codes(db->h, 1);
	int v = 0;
	if ((rc = user_version(ctx, &v)) != SQLITE_OK) {
		c = rc == SQLITE_NOTADB ? TAXID_E_IO_ERROR : taxid_db_fail(ctx, rc);
		if (rc == SQLITE_NOTADB)
			say(ctx, "cannot open", "not a database");
		goto fail;
	}
	if (v > taxid_db_schema_version()) {
		fprintf(stderr, "%s: '%s' has schema version %d, newer than this program's %d\n", ctx->tool->name,
			ctx->db_path, v, taxid_db_schema_version());
		c = TAXID_E_SCHEMA_NEWER;
		goto fail;
	}
	if ((c = exec_sql(ctx, "PRAGMA journal_mode = WAL")) || (c = exec_sql(ctx, "PRAGMA foreign_keys = ON")) ||
	    (c = exec_sql(ctx, "PRAGMA synchronous = NORMAL")) ||
	    (v < taxid_db_schema_version() && (c = migrate(ctx)))) /* up to date: no write lock just to look */
		goto fail;
	db->fresh = v == 0;
	return TAXID_OK;
fail:
	taxid_db_close(ctx);
	return c;
}

int taxid_db_fresh(struct taxid_ctx *ctx)
{
	return ctx->db && ctx->db->fresh;
}

sqlite3 *taxid_db_handle(struct taxid_ctx *ctx)
{
	return ctx->db ? ctx->db->h : NULL;
}

struct taxid_keys *taxid_db_keys(struct taxid_ctx *ctx)
{
	return ctx->db ? &ctx->db->keys : NULL;
}

struct taxid_audit_head *taxid_db_audit_head(struct taxid_ctx *ctx)
{
	return &ctx->db->audit_head;
}

void taxid_db_before_commit(struct taxid_ctx *ctx, taxid_db_hook hook)
{
	ctx->db->before_commit = hook;
}

void taxid_db_close(struct taxid_ctx *ctx)
{
	struct taxid_db *db = ctx->db;
	if (!db)
		return;
	tx_forget(ctx);
	for (int i = 0; i < TAXID_SQL_COUNT; i++)
		sqlite3_finalize(db->cache[i]);
	sqlite3_close(db->h);
	taxid_wipe(&db->keys, sizeof db->keys);
	free(db);
	ctx->db = NULL;
	ctx->keys = NULL;
}

sqlite3_stmt *taxid_sql(struct taxid_ctx *ctx, enum taxid_stmt id)
{
	sqlite3_stmt **st = &ctx->db->cache[id];
	if (!*st) {
		int rc = sqlite3_prepare_v3(ctx->db->h, taxid_sql_text(id), -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
		if (rc != SQLITE_OK) {
			fprintf(stderr, "%s: cannot prepare statement %d: %s\n", ctx->tool->name, (int)id,
				sqlite3_errmsg(ctx->db->h));
			return NULL;
		}
	} else {
		sqlite3_reset(*st);
		sqlite3_clear_bindings(*st);
	}
	return *st;
}

struct taxid_q *taxid_q(struct taxid_ctx *ctx, enum taxid_stmt id)
{
	sqlite3_stmt *st = ctx->db ? taxid_sql(ctx, id) : NULL;
	if (!st) {
		if (ctx->db && !ctx->db->request_error)
			ctx->db->request_error = TAXID_E_INTERNAL;
		return NULL;
	}
	ctx->db->qs[id] = (struct taxid_q){st, ctx, SQLITE_OK};
	return &ctx->db->qs[id];
}

static void q_bound(struct taxid_q *q, int rc)
{
	if (rc != SQLITE_OK && q->rc == SQLITE_OK)
		q->rc = rc;
}

void taxid_q_int(struct taxid_q *q, int i, long long v)
{
	if (q)
		q_bound(q, sqlite3_bind_int64(q->st, i, v));
}

void taxid_q_text(struct taxid_q *q, int i, const char *s)
{
	if (q)
		q_bound(q, s ? sqlite3_bind_text(q->st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(q->st, i));
}

void taxid_q_textn(struct taxid_q *q, int i, const char *s, size_t n)
{
	if (q)
		q_bound(q, s ? sqlite3_bind_text(q->st, i, s, (int)n, SQLITE_TRANSIENT) : sqlite3_bind_null(q->st, i));
}

void taxid_q_blob(struct taxid_q *q, int i, const void *p, size_t n)
{
	if (q)
		q_bound(q, p ? sqlite3_bind_blob(q->st, i, p, (int)n, SQLITE_TRANSIENT) : sqlite3_bind_null(q->st, i));
}

void taxid_q_null(struct taxid_q *q, int i)
{
	if (q)
		q_bound(q, sqlite3_bind_null(q->st, i));
}

void taxid_q_bind_col(struct taxid_q *q, int i, struct taxid_q *src, int j)
{
	if (q && src)
		q_bound(q, sqlite3_bind_value(q->st, i, sqlite3_column_value(src->st, j)));
}

int taxid_q_step(struct taxid_q *q)
{
	if (!q || q->rc != SQLITE_OK)
		return 0; /* a failed bind: the statement does not run */
	int rc = sqlite3_step(q->st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		q->rc = rc;
	return 0;
}

enum taxid_code taxid_q_end(struct taxid_q *q)
{
	if (!q)
		return TAXID_E_INTERNAL;
	sqlite3_reset(q->st);
	if (q->rc == SQLITE_OK)
		return TAXID_OK;
	enum taxid_code c = taxid_db_fail(q->ctx, q->rc);
	if (!q->ctx->db->request_error)
		q->ctx->db->request_error = c;
	q->rc = SQLITE_OK;
	return c;
}

enum taxid_code taxid_q_exec(struct taxid_q *q)
{
	while (taxid_q_step(q))
		;
	return taxid_q_end(q);
}

enum taxid_code taxid_q_insert_id(struct taxid_q *q, long long *id)
{
	int row = taxid_q_step(q);
	if (row)
		*id = sqlite3_column_int64(q->st, 0);
	enum taxid_code c = taxid_q_end(q);
	return c ? c : row ? TAXID_OK : TAXID_E_INTERNAL;
}

int taxid_q_exists(struct taxid_q *q)
{
	int row = taxid_q_step(q);
	return taxid_q_end(q) == TAXID_OK && row;
}

long long taxid_q_one_int(struct taxid_q *q, long long def)
{
	long long v = def;
	if (taxid_q_step(q) && sqlite3_column_type(q->st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(q->st, 0);
	return taxid_q_end(q) == TAXID_OK ? v : def;
}

char *taxid_q_one_text(struct taxid_q *q)
{
	char *v = NULL;
	if (taxid_q_step(q)) {
		const char *s = (const char *)sqlite3_column_text(q->st, 0);
		v = s ? strdup(s) : NULL;
	}
	if (taxid_q_end(q) != TAXID_OK) {
		free(v);
		v = NULL;
	}
	return v;
}

int taxid_q_is_null(struct taxid_q *q, int j)
{
	return !q || sqlite3_column_type(q->st, j) == SQLITE_NULL;
}

long long taxid_q_col_int(struct taxid_q *q, int j)
{
	return q ? sqlite3_column_int64(q->st, j) : 0;
}

const char *taxid_q_col_text(struct taxid_q *q, int j)
{
	return q ? (const char *)sqlite3_column_text(q->st, j) : NULL;
}

const void *taxid_q_col_blob(struct taxid_q *q, int j, size_t *n)
{
	const void *p = q ? sqlite3_column_blob(q->st, j) : NULL;
	if (n)
		*n = p ? (size_t)sqlite3_column_bytes(q->st, j) : 0;
	return p;
}

size_t taxid_q_col_bytes(struct taxid_q *q, int j)
{
	return q ? (size_t)sqlite3_column_bytes(q->st, j) : 0;
}

long long taxid_db_changes(struct taxid_ctx *ctx)
{
	return ctx->db ? sqlite3_changes64(ctx->db->h) : 0;
}

long long taxid_db_last_id(struct taxid_ctx *ctx)
{
	return ctx->db ? sqlite3_last_insert_rowid(ctx->db->h) : 0;
}

int taxid_db_in_tx(struct taxid_ctx *ctx)
{
	return ctx->db && !sqlite3_get_autocommit(ctx->db->h);
}

enum taxid_code taxid_db_request_error(struct taxid_ctx *ctx)
{
	return ctx->db ? ctx->db->request_error : TAXID_OK;
}

void taxid_db_request_reset(struct taxid_ctx *ctx)
{
	if (ctx->db)
		ctx->db->request_error = TAXID_OK;
}

/* What a transaction keeps in memory (the audit head, settings read) lives as long as the transaction. */
static void tx_forget(struct taxid_ctx *ctx)
{
	struct taxid_db *db = ctx->db;
	memset(&db->audit_head, 0, sizeof db->audit_head);
	memset(&db->audit_head_sp, 0, sizeof db->audit_head_sp);
	json_decref(db->settings);
	db->settings = NULL;
}

enum taxid_code taxid_db_begin(struct taxid_ctx *ctx)
{
	tx_forget(ctx);
	enum taxid_code c = taxid_dbmode_check_write(ctx);
	return c ? c : exec_sql(ctx, "BEGIN IMMEDIATE");
}

enum taxid_code taxid_db_commit(struct taxid_ctx *ctx)
{
	enum taxid_code c = ctx->db->before_commit ? ctx->db->before_commit(ctx) : TAXID_OK;
	if (!c)
		c = exec_sql(ctx, "COMMIT");
	if (!c)
		tx_forget(ctx);
	return c;
}

void taxid_db_rollback(struct taxid_ctx *ctx)
{
	if (!ctx->db)
		return;
	if (!sqlite3_get_autocommit(ctx->db->h))
		sqlite3_exec(ctx->db->h, "ROLLBACK", NULL, NULL, NULL);
	tx_forget(ctx);
}

enum taxid_code taxid_db_savepoint(struct taxid_ctx *ctx)
{
	ctx->db->audit_head_sp = ctx->db->audit_head;
	return exec_sql(ctx, "SAVEPOINT request");
}

enum taxid_code taxid_db_release(struct taxid_ctx *ctx)
{
	return exec_sql(ctx, "RELEASE request");
}

void taxid_db_rollback_savepoint(struct taxid_ctx *ctx)
{
	struct taxid_db *db = ctx->db;
	sqlite3_exec(db->h, "ROLLBACK TO request; RELEASE request", NULL, NULL, NULL);
	db->audit_head = db->audit_head_sp; /* the request's audit rows are gone with it */
	json_decref(db->settings);          /* and so are any settings it wrote */
	db->settings = NULL;
}

long long taxid_setting_int(struct taxid_ctx *ctx, const char *key, long long def)
{
	struct taxid_db *db = ctx->db;
	if (!db)
		return def;
	/* Inside a transaction a setting is read once: the write lock keeps others from changing it. */
	int tx = !sqlite3_get_autocommit(db->h);
	json_t *hit = tx && db->settings ? json_object_get(db->settings, key) : NULL;
	if (hit)
		return json_is_integer(hit) ? (long long)json_integer_value(hit) : def;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SETTING_GET);
	if (!q)
		return def;
	taxid_q_text(q, 1, key);
	long long v = def;
	int found = 0;
	if (taxid_q_step(q)) {
		const char *s = taxid_q_col_text(q, 0);
		char *end;
		long long x = s ? strtoll(s, &end, 10) : 0;
		if (s && *s && !*end) {
			v = x;
			found = 1;
		}
	}
	if (taxid_q_end(q))
		return def;
	if (tx) {
		if (!db->settings)
			db->settings = json_object();
		/* null: absent or not an integer, so the caller's default applies */
		json_object_set_new(db->settings, key, found ? json_integer(v) : json_null());
	}
	return v;
}

enum taxid_code taxid_setting_set(struct taxid_ctx *ctx, const char *key, const char *value)
{
	json_decref(ctx->db->settings);
	ctx->db->settings = NULL;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SETTING_PUT);
	taxid_q_text(q, 1, key);
	taxid_q_text(q, 2, value);
	return taxid_q_exec(q);
}

int taxid_dbmode_env_test(void)
{
	const char *e = getenv(TAXID_TEST_DB_ENV);
	return e && strcmp(e, "1") == 0;
}

enum taxid_code taxid_dbmode_check_write(struct taxid_ctx *ctx)
{
	static int told;
	if (!ctx->now_pinned || ctx->test_db)
		return TAXID_OK;
	if (!told++)
		fprintf(stderr,
			"%s: the clock is pinned (--now or TAXID_NOW) but '%s' is a normal database: only a database "
			"created for tests (TAXID_TEST_DB=1 when it is first created) accepts a pinned clock on an "
			"action that writes\n",
			ctx->tool->name, ctx->db_path);
	return TAXID_E_CLOCK_PINNED;
}

char *taxid_db_meta_get(struct taxid_ctx *ctx, const char *key)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_META_GET);
	taxid_q_text(q, 1, key);
	return taxid_q_one_text(q);
}

enum taxid_code taxid_db_meta_put(struct taxid_ctx *ctx, const char *key, const char *value)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_META_PUT);
	taxid_q_text(q, 1, key);
	taxid_q_text(q, 2, value);
	return taxid_q_exec(q);
}
