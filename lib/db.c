/* The open database, whatever its engine: the request's first error, the keys, what an open transaction keeps
 * in memory (the audit head, the settings read), the pre-commit hook, meta and settings, and the statement API
 * over the engine (lib/db_engine.h; lib/db_sqlite.c is the SQLite engine). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "db_engine.h"
#include "keys.h"
#include "record.h"
#include "sql.h"

struct taxid_db {
	const struct taxid_db_engine *e;
	struct taxid_db_conn *conn;
	int fresh;                     /* schema version 0 when opened */
	enum taxid_code request_error; /* the first database error of the current request */
	int conflict;                  /* the current request lost a write conflict (PostgreSQL): run it again */
	struct taxid_keys keys;
	struct taxid_audit_head audit_head, audit_head_sp;
	json_t *settings;              /* settings read in the open transaction, NULL outside */
	taxid_db_hook before_commit;
};

static void tx_forget(struct taxid_ctx *ctx);

enum taxid_code taxid_db_open(struct taxid_ctx *ctx, int create)
{
	struct taxid_db *db = calloc(1, sizeof *db);
	if (!db)
		return TAXID_E_INTERNAL;
	db->e = ctx->db_uri ? &taxid_db_pg : &taxid_db_sqlite;
	ctx->db = db;
	enum taxid_code c = db->e->open(ctx, create, &db->conn, &db->fresh);
	if (c)
		taxid_db_close(ctx);
	return c == TAXID_E_DB_MISSING && create < 0 ? TAXID_OK : c;
}

struct taxid_db_conn *taxid_db_conn(struct taxid_ctx *ctx)
{
	return ctx->db->conn;
}

void taxid_db_note_conflict(struct taxid_ctx *ctx)
{
	if (ctx->db)
		ctx->db->conflict = 1;
}

int taxid_db_conflict(struct taxid_ctx *ctx)
{
	return ctx->db && ctx->db->conflict;
}

void taxid_db_conflict_pause(int attempt)
{
	struct timespec ts = {0, (long)(1000000L * (1 << (attempt < 8 ? attempt : 8)) * (50 + rand() % 100) / 100)};
	nanosleep(&ts, NULL);
}

void taxid_db_note_error(struct taxid_ctx *ctx, enum taxid_code c)
{
	if (ctx->db && !ctx->db->request_error)
		ctx->db->request_error = c;
}

int taxid_db_fresh(struct taxid_ctx *ctx)
{
	return ctx->db && ctx->db->fresh;
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
	if (db->conn)
		db->e->close(db->conn);
	taxid_wipe(&db->keys, sizeof db->keys);
	free(db);
	ctx->db = NULL;
	ctx->keys = NULL;
}

struct taxid_q *taxid_q(struct taxid_ctx *ctx, enum taxid_stmt id)
{
	struct taxid_q *q = ctx->db ? ctx->db->e->q(ctx, id) : NULL;
	if (!q)
		taxid_db_note_error(ctx, TAXID_E_INTERNAL);
	return q;
}

void taxid_q_int(struct taxid_q *q, int i, long long v)
{
	if (q)
		q->e->bind_int(q, i, v);
}

void taxid_q_text(struct taxid_q *q, int i, const char *s)
{
	if (q)
		q->e->bind_text(q, i, s, s ? strlen(s) : 0);
}

void taxid_q_textn(struct taxid_q *q, int i, const char *s, size_t n)
{
	if (q)
		q->e->bind_text(q, i, s, n);
}

void taxid_q_blob(struct taxid_q *q, int i, const void *p, size_t n)
{
	if (q)
		q->e->bind_blob(q, i, p, n);
}

void taxid_q_null(struct taxid_q *q, int i)
{
	if (q)
		q->e->bind_text(q, i, NULL, 0);
}

void taxid_q_bind_col(struct taxid_q *q, int i, struct taxid_q *src, int j)
{
	if (q && src)
		q->e->bind_col(q, i, src, j);
}

int taxid_q_step(struct taxid_q *q)
{
	return q ? q->e->step(q) : 0;
}

enum taxid_code taxid_q_end(struct taxid_q *q)
{
	return q ? q->e->end(q) : TAXID_E_INTERNAL;
}

enum taxid_code taxid_q_exec(struct taxid_q *q)
{
	while (taxid_q_step(q))
		;
	return taxid_q_end(q);
}

enum taxid_code taxid_q_insert_id(struct taxid_q *q, long long *id)
{
	/* A plain INSERT (no RETURNING: SQLite buffers a RETURNING row in a temporary b-tree it builds and drops on
	 * every run, the larger part of a bulk import's insert cost) gives the row id it made. */
	int plain = q && q->e->col_count(q) == 0;
	int row = taxid_q_step(q);
	if (row)
		*id = q->e->col_int(q, 0);
	else if (plain)
		*id = q->e->last_id(q->ctx); /* an error is reported by the end below */
	enum taxid_code c = taxid_q_end(q);
	return c ? c : row || plain ? TAXID_OK : TAXID_E_INTERNAL;
}

int taxid_q_exists(struct taxid_q *q)
{
	int row = taxid_q_step(q);
	return taxid_q_end(q) == TAXID_OK && row;
}

long long taxid_q_one_int(struct taxid_q *q, long long def)
{
	long long v = def;
	if (taxid_q_step(q) && !q->e->is_null(q, 0))
		v = q->e->col_int(q, 0);
	return taxid_q_end(q) == TAXID_OK ? v : def;
}

char *taxid_q_one_text(struct taxid_q *q)
{
	char *v = NULL;
	if (taxid_q_step(q)) {
		const char *s = q->e->col_text(q, 0);
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
	return !q || q->e->is_null(q, j);
}

long long taxid_q_col_int(struct taxid_q *q, int j)
{
	return q ? q->e->col_int(q, j) : 0;
}

const char *taxid_q_col_text(struct taxid_q *q, int j)
{
	return q ? q->e->col_text(q, j) : NULL;
}

const void *taxid_q_col_blob(struct taxid_q *q, int j, size_t *n)
{
	const void *p = q ? q->e->col_blob(q, j) : NULL;
	if (n)
		*n = p ? q->e->col_bytes(q, j) : 0;
	return p;
}

size_t taxid_q_col_bytes(struct taxid_q *q, int j)
{
	return q ? q->e->col_bytes(q, j) : 0;
}

long long taxid_db_changes(struct taxid_ctx *ctx)
{
	return ctx->db ? ctx->db->e->changes(ctx) : 0;
}

long long taxid_db_last_id(struct taxid_ctx *ctx)
{
	return ctx->db ? ctx->db->e->last_id(ctx) : 0;
}

int taxid_db_in_tx(struct taxid_ctx *ctx)
{
	return ctx->db && ctx->db->conn && ctx->db->e->in_tx(ctx);
}

enum taxid_code taxid_db_request_error(struct taxid_ctx *ctx)
{
	return ctx->db ? ctx->db->request_error : TAXID_OK;
}

void taxid_db_request_reset(struct taxid_ctx *ctx)
{
	if (ctx->db) {
		ctx->db->request_error = TAXID_OK;
		ctx->db->conflict = 0;
	}
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
	return c ? c : ctx->db->e->begin(ctx);
}

enum taxid_code taxid_db_commit(struct taxid_ctx *ctx)
{
	enum taxid_code c = ctx->db->before_commit ? ctx->db->before_commit(ctx) : TAXID_OK;
	if (!c)
		c = ctx->db->e->commit(ctx);
	if (!c)
		tx_forget(ctx);
	return c;
}

void taxid_db_rollback(struct taxid_ctx *ctx)
{
	if (!ctx->db)
		return;
	if (taxid_db_in_tx(ctx))
		ctx->db->e->rollback(ctx);
	tx_forget(ctx);
}

enum taxid_code taxid_db_savepoint(struct taxid_ctx *ctx)
{
	ctx->db->audit_head_sp = ctx->db->audit_head;
	return ctx->db->e->savepoint(ctx);
}

enum taxid_code taxid_db_release(struct taxid_ctx *ctx)
{
	return ctx->db->e->release(ctx);
}

void taxid_db_rollback_savepoint(struct taxid_ctx *ctx)
{
	struct taxid_db *db = ctx->db;
	db->e->rollback_savepoint(ctx);
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
	int tx = db->e->in_tx(ctx);
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
