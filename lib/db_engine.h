/* db.c and its engines: what lib/db.c (the engine-neutral part: the request's first error, the keys, what an
 * open transaction keeps in memory) asks of a storage engine, and what an engine may ask of db.c. Only lib/db*.c
 * include this file. lib/db_sqlite.c is the SQLite engine; docs/PG-PLAN.md says how PostgreSQL joins. */
#ifndef TAXID_DB_ENGINE_H
#define TAXID_DB_ENGINE_H

#include <stddef.h>

#include "db.h"

struct taxid_db_conn; /* an engine's connection and statement cache */

/* The part of a statement in use that every engine shares; the engine's own fields follow it. */
struct taxid_q {
	const struct taxid_db_engine *e;
	struct taxid_ctx *ctx;
};

struct taxid_db_engine {
	const char *name;
	/* Open (creating when create is set and the engine can) ctx->db_path, check it, migrate it forward and refuse
	 * a newer schema; *fresh: its schema version was 0 when opened. ctx->db is set, with conn NULL, while it
	 * runs. create < 0: a database that does not exist is DB_MISSING without a word. */
	enum taxid_code (*open)(struct taxid_ctx *ctx, int create, struct taxid_db_conn **conn, int *fresh);
	void (*close)(struct taxid_db_conn *conn);
	/* Statement id, reset and unbound (NULL, said on stderr, when it cannot be prepared). */
	struct taxid_q *(*q)(struct taxid_ctx *ctx, enum taxid_stmt id);
	void (*bind_int)(struct taxid_q *q, int i, long long v);
	void (*bind_text)(struct taxid_q *q, int i, const char *s, size_t n); /* s NULL binds NULL */
	void (*bind_blob)(struct taxid_q *q, int i, const void *p, size_t n); /* p NULL binds NULL */
	void (*bind_col)(struct taxid_q *q, int i, struct taxid_q *src, int j);
	int (*step)(struct taxid_q *q);
	/* Reset: TAXID_OK, or the statement's first error mapped, said on stderr and noted on the request. */
	enum taxid_code (*end)(struct taxid_q *q);
	int (*is_null)(struct taxid_q *q, int j);
	long long (*col_int)(struct taxid_q *q, int j);
	const char *(*col_text)(struct taxid_q *q, int j);
	const void *(*col_blob)(struct taxid_q *q, int j);
	size_t (*col_bytes)(struct taxid_q *q, int j);
	int (*col_count)(struct taxid_q *q); /* columns a row of the statement has (0: no rows, a plain INSERT) */
	long long (*changes)(struct taxid_ctx *ctx);
	long long (*last_id)(struct taxid_ctx *ctx); /* the id of the row the last plain INSERT made */
	int (*in_tx)(struct taxid_ctx *ctx);
	/* A write transaction that no other writer interleaves with, and its end. */
	enum taxid_code (*begin)(struct taxid_ctx *ctx);
	enum taxid_code (*commit)(struct taxid_ctx *ctx);
	void (*rollback)(struct taxid_ctx *ctx); /* only called inside a transaction */
	/* The one named savepoint of a request inside a batch. */
	enum taxid_code (*savepoint)(struct taxid_ctx *ctx);
	enum taxid_code (*release)(struct taxid_ctx *ctx);
	void (*rollback_savepoint)(struct taxid_ctx *ctx);
};

extern const struct taxid_db_engine taxid_db_sqlite;
extern const struct taxid_db_engine taxid_db_pg;

/* The engine's connection of the open database. */
struct taxid_db_conn *taxid_db_conn(struct taxid_ctx *ctx);
/* A write conflict another transaction won (PostgreSQL's serialization failure or deadlock): the request is
 * rolled back and run again (taxid_db_conflict). */
void taxid_db_note_conflict(struct taxid_ctx *ctx);
/* Note c as the request's database error unless one is noted already. */
void taxid_db_note_error(struct taxid_ctx *ctx, enum taxid_code c);

#endif
