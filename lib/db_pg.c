/* The PostgreSQL engine (issue 16, docs/PG-PLAN.md): a `postgresql://` or `postgres://` URI in TAXID_DB / --db.
 * The schema is the SQLite one of lib/sql.c translated at open (one source of truth); a statement is sql.def's
 * text with ?N as $N, or its PostgreSQL text in lib/sql_pg.def under the same name. A write transaction is
 * SERIALIZABLE (no database-wide lock): a serialization failure or deadlock is DB_BUSY noted as a conflict
 * (taxid_db_conflict), which the record loop retries. A password in the URI is never printed: the URI shown is taxid_db_display(). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db_engine.h"
#include "record.h"
#include "sql.h"

/* Type OIDs of the parameters and columns this engine looks at (catalog/pg_type_d.h, stable since 7.x). */
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_TEXT 25

/* The key of the advisory lock a migration takes ("taxid" in ASCII). */
#define MIGRATE_LOCK "469786618212"

#define MAX_PARAMS 32

/* PostgreSQL's own texts of the statements whose sql.def text it does not accept. */
static const char *const pg_text[TAXID_SQL_COUNT] = {
#define S(name, sql) [TAXID_SQL_##name] = sql,
#include "sql_pg.def"
#undef S
};

struct pg_q {
	struct taxid_q base;
	int id;
	int nparams;
	Oid types[MAX_PARAMS];
	char *vals[MAX_PARAMS]; /* owned copies (text, or the raw bytes of a bytea) */
	int lens[MAX_PARAMS], fmts[MAX_PARAMS];
	PGresult *res;
	int row, ran;
	char *err;      /* the first error's message (scrubbed), NULL when none */
	char state[6];  /* its SQLSTATE */
	unsigned char *blob[MAX_PARAMS]; /* decoded bytea of the current row, by column (first MAX_PARAMS) */
	size_t blob_n[MAX_PARAMS];
};

/* The plain INSERTs whose new id taxid_q_insert_id reads (SQLite gives it without RETURNING, which costs it a
 * temporary b-tree per row): here they return it, instead of a second round trip for lastval(). */
static int returns_id(int id)
{
	return id == TAXID_SQL_PERSON_INSERT || id == TAXID_SQL_DOC_INSERT || id == TAXID_SQL_ACCOUNT_INSERT;
}

struct taxid_db_conn {
	PGconn *h;
	char *secret;                     /* the URI's password, to scrub from libpq's messages */
	char *text[TAXID_SQL_COUNT];      /* the statement texts with $N, made on first use */
	int prepared[TAXID_SQL_COUNT];    /* 1: prepared as "sN" with the types below */
	Oid ptypes[TAXID_SQL_COUNT][MAX_PARAMS];
	int pn[TAXID_SQL_COUNT];
	struct pg_q qs[TAXID_SQL_COUNT];
	long long changes;
};

static struct pg_q *PQ_(struct taxid_q *q)
{
	return (struct pg_q *)q;
}

static PGconn *conn_of(struct taxid_ctx *ctx)
{
	struct taxid_db_conn *c = ctx->db ? taxid_db_conn(ctx) : NULL;
	return c ? c->h : NULL;
}

/* ---- the URI ---- */

int taxid_db_is_uri(const char *s)
{
	return s && (strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0);
}

/* The URI with any password replaced by ***: the userinfo password and every password= parameter. */
char *taxid_db_display(const char *uri)
{
	size_t n = strlen(uri);
	char *out = malloc(n + 8 * 4 + 1), *o = out;
	if (!out)
		return NULL;
	const char *p = strstr(uri, "://") + 3;
	memcpy(o, uri, (size_t)(p - uri));
	o += p - uri;
	const char *host_end = p + strcspn(p, "/?");
	const char *at = NULL;
	for (const char *s = p; s < host_end; s++)
		if (*s == '@')
			at = s;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (colon) {
			memcpy(o, p, (size_t)(colon - p + 1));
			o += colon - p + 1;
			memcpy(o, "***", 3);
			o += 3;
			p = at;
		}
	}
	/* the rest: copy, masking the value of any password= parameter after '?' or '&' */
	const char *q = strchr(p, '?');
	if (!q) {
		strcpy(o, p);
		return out;
	}
	memcpy(o, p, (size_t)(q - p));
	o += q - p;
	p = q;
	while (*p) {
		*o++ = *p++; /* '?' or '&' */
		size_t len = strcspn(p, "&");
		if (strncasecmp(p, "password=", 9) == 0) {
			memcpy(o, p, 9);
			o += 9;
			memcpy(o, "***", 3);
			o += 3;
		} else {
			memcpy(o, p, len);
			o += len;
		}
		p += len;
	}
	*o = 0;
	return out;
}

/* ---- messages ---- */

/* A libpq message with the URI's password cut out (libpq may echo the connection string), on one line. */
static char *scrub(const struct taxid_db_conn *c, const char *msg)
{
	char *s = strdup(msg ? msg : "unknown error");
	if (!s)
		return NULL;
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = 0;
	for (char *p = s; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (c && c->secret && *c->secret)
		for (char *p; (p = strstr(s, c->secret));) {
			size_t k = strlen(c->secret);
			memset(p, '*', 3);
			memmove(p + 3, p + k, strlen(p + k) + 1);
		}
	return s;
}

static void say(const struct taxid_ctx *ctx, const char *what, const char *why)
{
	fprintf(stderr, "%s: %s '%s': %s\n", ctx->tool->name, what, ctx->db_path, why);
}

/* SQLSTATE to a taxid code: what the SQLite engine maps its result codes to. */
static enum taxid_code map_state(const char *st)
{
	if (!st || !*st)
		return TAXID_E_IO_ERROR; /* no SQLSTATE: the connection is gone */
	if (strcmp(st, "55P03") == 0 || strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 || strcmp(st, "57014") == 0)
		return TAXID_E_DB_BUSY;
	if (strncmp(st, "08", 2) == 0 || strncmp(st, "53", 2) == 0 || strncmp(st, "58", 2) == 0 ||
	    strcmp(st, "25006") == 0 || strcmp(st, "57P01") == 0)
		return TAXID_E_IO_ERROR;
	return TAXID_E_INTERNAL;
}

static enum taxid_code fail(struct taxid_ctx *ctx, const char *state, const char *msg)
{
	enum taxid_code c = map_state(state);
	if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)) {
		taxid_db_note_conflict(ctx); /* the record loop runs the request again: nothing to say yet */
		return c;
	}
	if (state && strcmp(state, "25P02") == 0)
		return c; /* a statement after the transaction's first error, which was said (or is a conflict) */
	char *m = scrub(taxid_db_conn(ctx), msg);
	say(ctx, c == TAXID_E_DB_BUSY ? "database busy" : c == TAXID_E_IO_ERROR ? "cannot write" : "database error", m);
	free(m);
	return c;
}

static enum taxid_code fail_res(struct taxid_ctx *ctx, PGresult *r)
{
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	return fail(ctx, st, r ? PQresultErrorMessage(r) : PQerrorMessage(conn_of(ctx)));
}

/* Run SQL of no parameters and no rows. */
static enum taxid_code exec_sql(struct taxid_ctx *ctx, const char *sql)
{
	PGresult *r = PQexec(conn_of(ctx), sql);
	ExecStatusType s = PQresultStatus(r);
	enum taxid_code c = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY ? TAXID_OK
															    : fail_res(ctx, r);
	PQclear(r);
	return c;
}

static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg; /* NOTICEs (an IF EXISTS that did nothing) are not the operator's business */
}

/* ---- the schema: lib/sql.c's SQLite DDL translated ---- */

struct buf {
	char *p;
	size_t n, cap;
};

static int put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
	return 0;
}

static int puts_(struct buf *b, const char *s)
{
	return put(b, s, strlen(s));
}

static int word_at(const char *s, const char *start, const char *w)
{
	size_t n = strlen(w);
	return strncmp(s, w, n) == 0 && (s == start || !(isalnum((unsigned char)s[-1]) || s[-1] == '_')) &&
	       !(isalnum((unsigned char)s[n]) || s[n] == '_');
}

/* One statement (no trailing ';'): the words and clauses PostgreSQL spells otherwise. */
static int translate_stmt(struct buf *b, const char *s, size_t n)
{
	char *t = strndup(s, n);
	if (!t)
		return -1;
	const char *p = t;
	while (*p == ' ')
		p++;
	/* SQLite's own business (PRAGMA, the schema table): nothing to do here */
	if (strncmp(p, "PRAGMA", 6) == 0 || strstr(p, "sqlite_schema")) {
		free(t);
		return 0;
	}
	int rc = 0;
	/* CREATE TRIGGER name BEFORE op ON tab BEGIN SELECT RAISE(ABORT, 'msg'); END */
	if (strncmp(p, "CREATE TRIGGER ", 15) == 0) {
		const char *beg = strstr(p, " BEGIN SELECT RAISE(ABORT, ");
		const char *msg = beg ? beg + strlen(" BEGIN SELECT RAISE(ABORT, ") : NULL;
		const char *close = msg ? strchr(msg + 1, '\'') : NULL;
		if (!close) {
			free(t);
			return -1;
		}
		const char *head_end = beg;
		while (head_end > p && head_end[-1] == ' ')
			head_end--;
		rc = put(b, p, (size_t)(head_end - p)) || puts_(b, " FOR EACH ROW EXECUTE FUNCTION taxid_refuse(") ||
		     put(b, msg, (size_t)(close + 1 - msg)) || puts_(b, ");");
		free(t);
		return rc ? -1 : 0;
	}
	for (const char *q = p; *q && !rc;) {
		if (*q == '\'') { /* a literal: as it is */
			const char *e = q + 1;
			while (*e && !(*e == '\'' && e[1] != '\''))
				e += *e == '\'' ? 2 : 1;
			if (*e)
				e++;
			rc = put(b, q, (size_t)(e - q));
			q = e;
		} else if (word_at(q, p, "INTEGER") && strncmp(q, "INTEGER PRIMARY KEY", 19) == 0) {
			rc = puts_(b, "bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
			q += 19;
		} else if (word_at(q, p, "INTEGER")) {
			rc = puts_(b, "bigint");
			q += 7;
		} else if (word_at(q, p, "BLOB")) {
			rc = puts_(b, "bytea");
			q += 4;
		} else if (word_at(q, p, "window")) {
			rc = puts_(b, "\"window\"");
			q += 6;
		} else if (strncmp(q, ") STRICT, WITHOUT ROWID", 23) == 0) {
			rc = puts_(b, ")");
			q += 23;
		} else if (strncmp(q, ") STRICT", 8) == 0) {
			rc = puts_(b, ")");
			q += 8;
		} else if (strncmp(q, "(login_name COLLATE NOCASE)", 27) == 0) {
			rc = puts_(b, "(lower(login_name))");
			q += 27;
		} else {
			rc = put(b, q, 1);
			q++;
		}
	}
	rc = rc || puts_(b, ";");
	free(t);
	return rc ? -1 : 0;
}

/* A migration of lib/sql.c as PostgreSQL DDL (malloc'd), split into statements at ';' outside literals (a
 * trigger's body runs to its END). */
static char *translate(const char *sql)
{
	struct buf b = {0};
	if (puts_(&b, ""))
		return NULL;
	const char *s = sql;
	while (*s) {
		while (*s == ' ' || *s == ';')
			s++;
		if (!*s)
			break;
		int trigger = strncmp(s, "CREATE TRIGGER ", 15) == 0;
		const char *e = s;
		for (;;) {
			if (!*e)
				break;
			if (*e == '\'') {
				e++;
				while (*e && !(*e == '\'' && e[1] != '\''))
					e += *e == '\'' ? 2 : 1;
				if (*e)
					e++;
				continue;
			}
			if (*e == ';' && (!trigger || strncmp(e + 1, " END", 4) != 0))
				break;
			if (*e == ';')
				e += 5; /* "; END" of a trigger: its end is the next ';' */
			else
				e++;
		}
		if (translate_stmt(&b, s, (size_t)(e - s))) {
			free(b.p);
			return NULL;
		}
		s = e;
	}
	return b.p;
}

/* What every schema version has before migration 1 runs. */
static const char *const prelude =
	"CREATE OR REPLACE FUNCTION taxid_refuse() RETURNS trigger LANGUAGE plpgsql AS "
	"$$ BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation'; END $$;";

/* The schema version: 0 before migration 1 (no meta table). -1 on error (said). */
static int schema_version(struct taxid_ctx *ctx)
{
	PGresult *r = PQexec(conn_of(ctx), "SELECT to_regclass('meta') IS NOT NULL");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fail_res(ctx, r);
		PQclear(r);
		return -1;
	}
	int has = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (!has)
		return 0;
	r = PQexec(conn_of(ctx), "SELECT value FROM meta WHERE key = 'schema_version'");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		fail_res(ctx, r);
		PQclear(r);
		return -1;
	}
	int v = PQntuples(r) == 1 ? atoi(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	return v;
}

static enum taxid_code newer(struct taxid_ctx *ctx, int v)
{
	fprintf(stderr, "%s: '%s' has schema version %d, newer than this program's %d\n", ctx->tool->name,
		ctx->db_path, v, taxid_db_schema_version());
	return TAXID_E_SCHEMA_NEWER;
}

/* All steps in one transaction under the advisory lock, re-reading the version inside it: two tools migrate
 * once. */
static enum taxid_code migrate(struct taxid_ctx *ctx)
{
	enum taxid_code c = exec_sql(ctx, "BEGIN");
	if (c)
		return c;
	c = exec_sql(ctx, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")");
	int v = c ? -1 : schema_version(ctx);
	if (v < 0)
		c = c ? c : TAXID_E_INTERNAL;
	else if (v > taxid_db_schema_version())
		c = newer(ctx, v);
	else if (v == 0)
		c = exec_sql(ctx, prelude);
	for (int n = v + 1; !c && v >= 0 && n <= taxid_db_schema_version(); n++) {
		char *ddl = translate(taxid_sql_migration(n));
		c = ddl ? exec_sql(ctx, ddl) : TAXID_E_INTERNAL;
		free(ddl);
	}
	if (!c && v < taxid_db_schema_version()) {
		char put_v[160];
		snprintf(put_v, sizeof put_v,
			 "INSERT INTO meta(key, value) VALUES ('schema_version', '%d') "
			 "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
			 taxid_db_schema_version());
		c = exec_sql(ctx, put_v);
	}
	if (!c)
		c = exec_sql(ctx, "COMMIT");
	if (c)
		PQclear(PQexec(conn_of(ctx), "ROLLBACK"));
	return c;
}

static char *uri_password(const char *uri)
{
	char *err = NULL, *pw = NULL;
	PQconninfoOption *o = PQconninfoParse(uri, &err);
	PQfreemem(err);
	for (PQconninfoOption *i = o; i && i->keyword; i++)
		if (strcmp(i->keyword, "password") == 0 && i->val)
			pw = strdup(i->val);
	PQconninfoFree(o);
	return pw;
}

static enum taxid_code pg_open(struct taxid_ctx *ctx, int create, struct taxid_db_conn **conn, int *fresh)
{
	struct taxid_db_conn *db = calloc(1, sizeof *db);
	if (!db)
		return TAXID_E_INTERNAL;
	db->secret = uri_password(ctx->db_uri);
	db->h = PQconnectdb(ctx->db_uri);
	*conn = db;
	if (PQstatus(db->h) != CONNECTION_OK) {
		char *m = scrub(db, PQerrorMessage(db->h));
		say(ctx, "cannot open", m);
		free(m);
		return TAXID_E_IO_ERROR;
	}
	PQsetNoticeProcessor(db->h, quiet, NULL);
	enum taxid_code c;
	const char *env = getenv("TAXID_BUSY_TIMEOUT_MS");
	char set[160];
	snprintf(set, sizeof set, "SET lock_timeout = %d; SET client_min_messages = warning; SET TimeZone = 'UTC'",
		 env && atoi(env) > 0 ? atoi(env) : 10000);
	if ((c = exec_sql(ctx, set)))
		return c;
	int v = schema_version(ctx);
	if (v < 0)
		return TAXID_E_IO_ERROR;
	if (v > taxid_db_schema_version())
		return newer(ctx, v);
	if (v == 0 && create <= 0) {
		if (!create)
			say(ctx, "cannot open", "no taxid schema in it (it is created by the actions that write)");
		return TAXID_E_DB_MISSING;
	}
	if (v == 0 && ctx->now_pinned && !taxid_dbmode_env_test()) {
		fprintf(stderr, "%s: not creating '%s' with a pinned clock (--now or TAXID_NOW): set TAXID_TEST_DB=1 to "
				"create a test database, or leave the clock alone\n", ctx->tool->name, ctx->db_path);
		return TAXID_E_CLOCK_PINNED;
	}
	if (v < taxid_db_schema_version() && (c = migrate(ctx)))
		return c;
	*fresh = v == 0;
	return TAXID_OK;
}

static void drop_blobs(struct pg_q *g)
{
	for (int i = 0; i < MAX_PARAMS; i++) {
		PQfreemem(g->blob[i]);
		g->blob[i] = NULL;
	}
}

static void q_clear(struct pg_q *q)
{
	for (int i = 0; i < MAX_PARAMS; i++) {
		free(q->vals[i]);
		q->vals[i] = NULL;
	}
	drop_blobs(q);
	PQclear(q->res);
	q->res = NULL;
	free(q->err);
	q->err = NULL;
}

static void pg_close(struct taxid_db_conn *db)
{
	for (int i = 0; i < TAXID_SQL_COUNT; i++) {
		q_clear(&db->qs[i]);
		free(db->text[i]);
	}
	PQfinish(db->h);
	if (db->secret)
		memset(db->secret, 0, strlen(db->secret));
	free(db->secret);
	free(db);
}

/* sql.def's text with ?N as $N (outside literals), "IS [NOT] ?N" as "IS [NOT] DISTINCT FROM", json_each(x) as
 * json_array_elements_text(CAST(x AS json)) (its column is also named value), and the number of parameters. */
static char *dollar(const char *sql, int *np)
{
	struct buf b = {0};
	int n = 0, depth = 0, json_depth = -1; /* json_depth: the depth of json_each's own parenthesis */
	if (puts_(&b, ""))
		return NULL;
	for (const char *p = sql; *p;) {
		if (*p == '\'') {
			const char *e = p + 1;
			while (*e && !(*e == '\'' && e[1] != '\''))
				e += *e == '\'' ? 2 : 1;
			if (*e)
				e++;
			if (put(&b, p, (size_t)(e - p)))
				goto oom;
			p = e;
		} else if (strncmp(p, "json_each(", 10) == 0 && json_depth < 0) {
			if (puts_(&b, "json_array_elements_text(CAST("))
				goto oom;
			json_depth = depth++;
			p += 10;
		} else if (*p == '(' || *p == ')') {
			depth += *p == '(' ? 1 : -1;
			if (*p == ')' && depth == json_depth) {
				if (puts_(&b, " AS json)"))
					goto oom;
				json_depth = -1;
			}
			if (put(&b, p, 1))
				goto oom;
			p++;
		} else if (strncmp(p, " IS NOT ?", 9) == 0 && isdigit((unsigned char)p[9])) {
			if (puts_(&b, " IS DISTINCT FROM "))
				goto oom;
			p += 8;
		} else if (strncmp(p, " IS ?", 5) == 0 && isdigit((unsigned char)p[5])) {
			if (puts_(&b, " IS NOT DISTINCT FROM "))
				goto oom;
			p += 4;
		} else if (*p == '?' && isdigit((unsigned char)p[1])) {
			int k = atoi(p + 1);
			if (k > n)
				n = k;
			if (put(&b, "$", 1))
				goto oom;
			p++;
		} else {
			if (put(&b, p, 1))
				goto oom;
			p++;
		}
	}
	*np = n;
	return b.p;
oom:
	free(b.p);
	return NULL;
}

static struct taxid_q *pg_q(struct taxid_ctx *ctx, enum taxid_stmt id)
{
	struct taxid_db_conn *db = taxid_db_conn(ctx);
	if (!db->text[id]) {
		int np = 0;
		db->text[id] = dollar(pg_text[id] ? pg_text[id] : taxid_sql_text(id), &np);
		if (db->text[id] && returns_id(id)) {
			char *t = realloc(db->text[id], strlen(db->text[id]) + sizeof " RETURNING id");
			if (t)
				strcat(t, " RETURNING id");
			else
				free(db->text[id]);
			db->text[id] = t;
		}
		if (!db->text[id] || np > MAX_PARAMS) {
			fprintf(stderr, "%s: cannot prepare statement %d\n", ctx->tool->name, (int)id);
			free(db->text[id]);
			db->text[id] = NULL;
			return NULL;
		}
		db->pn[id] = np;
	}
	struct pg_q *q = &db->qs[id];
	q_clear(q);
	q->base = (struct taxid_q){&taxid_db_pg, ctx};
	q->id = id;
	q->nparams = db->pn[id];
	for (int i = 0; i < MAX_PARAMS; i++) {
		q->types[i] = 0;
		q->lens[i] = 0;
		q->fmts[i] = 0;
	}
	q->row = -1;
	q->ran = 0;
	q->state[0] = 0;
	return &q->base;
}

static void set_param(struct taxid_q *q, int i, Oid type, const void *p, size_t n, int binary)
{
	struct pg_q *g = PQ_(q);
	if (i < 1 || i > MAX_PARAMS)
		return;
	free(g->vals[i - 1]);
	g->vals[i - 1] = NULL;
	g->types[i - 1] = type;
	g->fmts[i - 1] = binary;
	g->lens[i - 1] = (int)n;
	if (p) {
		char *v = malloc(n + 1);
		if (v) {
			memcpy(v, p, n);
			v[n] = 0;
		}
		g->vals[i - 1] = v;
	}
	if (i > g->nparams)
		g->nparams = i;
}

static void pg_bind_int(struct taxid_q *q, int i, long long v)
{
	char s[24];
	int n = snprintf(s, sizeof s, "%lld", v);
	set_param(q, i, OID_INT8, s, (size_t)n, 0);
}

static void pg_bind_text(struct taxid_q *q, int i, const char *s, size_t n)
{
	set_param(q, i, 0, s, n, 0);
}

static void pg_bind_blob(struct taxid_q *q, int i, const void *p, size_t n)
{
	set_param(q, i, OID_BYTEA, p, p ? n : 0, 1);
}

static const void *pg_col_blob(struct taxid_q *q, int j);
static size_t pg_col_bytes(struct taxid_q *q, int j);

static void pg_bind_col(struct taxid_q *q, int i, struct taxid_q *src, int j)
{
	struct pg_q *s = PQ_(src);
	if (!s->res || PQgetisnull(s->res, s->row, j)) {
		pg_bind_text(q, i, NULL, 0);
		return;
	}
	Oid t = PQftype(s->res, j);
	if (t == OID_BYTEA)
		pg_bind_blob(q, i, pg_col_blob(src, j), pg_col_bytes(src, j));
	else if (t == OID_INT8 || t == OID_INT4 || t == OID_INT2)
		set_param(q, i, t == OID_INT8 ? OID_INT8 : t, PQgetvalue(s->res, s->row, j),
			  (size_t)PQgetlength(s->res, s->row, j), 0);
	else
		pg_bind_text(q, i, PQgetvalue(s->res, s->row, j), (size_t)PQgetlength(s->res, s->row, j));
}

static void note(struct pg_q *g, PGresult *r, PGconn *h)
{
	if (g->err)
		return;
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	snprintf(g->state, sizeof g->state, "%s", st ? st : "");
	g->err = strdup(r ? PQresultErrorMessage(r) : PQerrorMessage(h));
	if (!g->err)
		g->err = strdup("");
}

/* 1 when $k appears in the statement text. */
static int uses_param(const char *text, int k)
{
	char tag[16];
	int n = snprintf(tag, sizeof tag, "$%d", k);
	for (const char *p = text; (p = strstr(p, tag)); p += n)
		if (!isdigit((unsigned char)p[n]))
			return 1;
	return 0;
}

/* Run the statement: prepared once per connection (as "sN" with the types of its first run), then executed. */
static int run(struct pg_q *g)
{
	struct taxid_ctx *ctx = g->base.ctx;
	struct taxid_db_conn *db = taxid_db_conn(ctx);
	int id = g->id;
	/* a value bound to a parameter the text does not use (one statement of a family that takes them all) has
	 * no type PostgreSQL could infer: call it text */
	for (int i = 0; i < g->nparams; i++)
		if (!g->types[i] && !uses_param(db->text[id], i + 1))
			g->types[i] = OID_TEXT;
	g->ran = 1;
	if (!*db->text[id])
		return 0; /* SQLite's business only: no rows, nothing changed */
	int same = db->prepared[id] && db->pn[id] == g->nparams &&
		   memcmp(db->ptypes[id], g->types, sizeof(Oid) * (size_t)g->nparams) == 0;
	char name[16];
	snprintf(name, sizeof name, "s%d", id);
	if (!same) {
		if (db->prepared[id]) {
			char dealloc[32];
			snprintf(dealloc, sizeof dealloc, "DEALLOCATE s%d", id);
			PQclear(PQexec(db->h, dealloc));
			db->prepared[id] = 0;
		}
		PGresult *r = PQprepare(db->h, name, db->text[id], g->nparams, g->types);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			note(g, r, db->h);
			PQclear(r);
			return -1;
		}
		PQclear(r);
		db->prepared[id] = 1;
		db->pn[id] = g->nparams;
		memcpy(db->ptypes[id], g->types, sizeof(Oid) * (size_t)g->nparams);
	}
	g->res = PQexecPrepared(db->h, name, g->nparams, (const char *const *)g->vals, g->lens, g->fmts, 0);
	ExecStatusType s = PQresultStatus(g->res);
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		const char *n = PQcmdTuples(g->res);
		db->changes = n && *n ? atoll(n) : 0;
		return 0;
	}
	note(g, g->res, db->h);
	PQclear(g->res);
	g->res = NULL;
	return -1;
}

static int pg_step(struct taxid_q *q)
{
	struct pg_q *g = PQ_(q);
	if (g->err)
		return 0;
	if (!g->ran && run(g))
		return 0;
	if (!g->res)
		return 0;
	drop_blobs(g);
	g->row++;
	return g->row < PQntuples(g->res);
}

static enum taxid_code pg_end(struct taxid_q *q)
{
	struct pg_q *g = PQ_(q);
	enum taxid_code c = TAXID_OK;
	if (g->err) {
		c = fail(q->ctx, g->state, g->err);
		taxid_db_note_error(q->ctx, c);
	}
	q_clear(g);
	g->ran = 0;
	g->row = -1;
	return c;
}

static int pg_is_null(struct taxid_q *q, int j)
{
	struct pg_q *g = PQ_(q);
	return !g->res || g->row < 0 || g->row >= PQntuples(g->res) || j >= PQnfields(g->res) ||
	       PQgetisnull(g->res, g->row, j);
}

static long long pg_col_int(struct taxid_q *q, int j)
{
	if (pg_is_null(q, j))
		return 0;
	const char *s = PQgetvalue(PQ_(q)->res, PQ_(q)->row, j);
	if (*s == 't')
		return 1;
	if (*s == 'f')
		return 0;
	return strtoll(s, NULL, 10);
}

static const char *pg_col_text(struct taxid_q *q, int j)
{
	return pg_is_null(q, j) ? NULL : PQgetvalue(PQ_(q)->res, PQ_(q)->row, j);
}

static const void *pg_col_blob(struct taxid_q *q, int j)
{
	struct pg_q *g = PQ_(q);
	if (pg_is_null(q, j))
		return NULL;
	const char *s = PQgetvalue(g->res, g->row, j);
	if (PQftype(g->res, j) != OID_BYTEA || j >= MAX_PARAMS) {
		if (j < MAX_PARAMS)
			g->blob_n[j] = (size_t)PQgetlength(g->res, g->row, j);
		return s;
	}
	if (!g->blob[j])
		g->blob[j] = PQunescapeBytea((const unsigned char *)s, &g->blob_n[j]);
	return g->blob[j];
}

static size_t pg_col_bytes(struct taxid_q *q, int j)
{
	struct pg_q *g = PQ_(q);
	if (pg_is_null(q, j) || j >= MAX_PARAMS)
		return 0;
	if (PQftype(g->res, j) == OID_BYTEA) {
		pg_col_blob(q, j);
		return g->blob_n[j];
	}
	return (size_t)PQgetlength(g->res, g->row, j);
}

static int pg_col_count(struct taxid_q *q)
{
	struct pg_q *g = PQ_(q);
	if (!g->ran && !g->err)
		run(g);
	return g->res ? PQnfields(g->res) : 0;
}

static long long pg_changes(struct taxid_ctx *ctx)
{
	return taxid_db_conn(ctx)->changes;
}

static long long pg_last_id(struct taxid_ctx *ctx)
{
	PGresult *r = PQexec(conn_of(ctx), "SELECT lastval()");
	long long v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 ? atoll(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	return v;
}

static int pg_in_tx(struct taxid_ctx *ctx)
{
	PGconn *h = conn_of(ctx);
	return h && PQtransactionStatus(h) != PQTRANS_IDLE && PQtransactionStatus(h) != PQTRANS_UNKNOWN;
}

static enum taxid_code pg_begin(struct taxid_ctx *ctx)
{
	return exec_sql(ctx, "BEGIN ISOLATION LEVEL SERIALIZABLE");
}

static enum taxid_code pg_commit(struct taxid_ctx *ctx)
{
	PGresult *r = PQexec(conn_of(ctx), "COMMIT");
	enum taxid_code c = TAXID_OK;
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		c = fail_res(ctx, r);
	else if (strcmp(PQcmdStatus(r), "ROLLBACK") == 0) /* a transaction that had failed: nothing was written */
		c = fail(ctx, "XX000", "the transaction had failed and was rolled back");
	PQclear(r);
	return c;
}

static void pg_rollback(struct taxid_ctx *ctx)
{
	if (pg_in_tx(ctx))
		PQclear(PQexec(conn_of(ctx), "ROLLBACK"));
}

static enum taxid_code pg_savepoint(struct taxid_ctx *ctx)
{
	return exec_sql(ctx, "SAVEPOINT request");
}

static enum taxid_code pg_release(struct taxid_ctx *ctx)
{
	return exec_sql(ctx, "RELEASE SAVEPOINT request");
}

static void pg_rollback_savepoint(struct taxid_ctx *ctx)
{
	PQclear(PQexec(conn_of(ctx), "ROLLBACK TO SAVEPOINT request; RELEASE SAVEPOINT request"));
}

const struct taxid_db_engine taxid_db_pg = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.q = pg_q,
	.bind_int = pg_bind_int,
	.bind_text = pg_bind_text,
	.bind_blob = pg_bind_blob,
	.bind_col = pg_bind_col,
	.step = pg_step,
	.end = pg_end,
	.is_null = pg_is_null,
	.col_int = pg_col_int,
	.col_text = pg_col_text,
	.col_blob = pg_col_blob,
	.col_bytes = pg_col_bytes,
	.col_count = pg_col_count,
	.changes = pg_changes,
	.last_id = pg_last_id,
	.in_tx = pg_in_tx,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.savepoint = pg_savepoint,
	.release = pg_release,
	.rollback_savepoint = pg_rollback_savepoint,
};
