/* The audit chain: each row hashes the previous row's hash and its own fields; the head is kept in meta so
 * that removing rows at the end is detected too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "record.h"

static void put_field(unsigned char **p, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	/* Length-prefixed so that moving a byte between fields changes the hash. */
	memcpy(*p, &(uint32_t){(uint32_t)n}, 4);
	*p += 4;
	if (n)
		memcpy(*p, s, n);
	*p += n;
}

static int row_hash(const unsigned char prev[32], long long id, const char *at, const char *tool, const char *action,
		    const char *actor, const char *subject, const char *detail, unsigned char out[32])
{
	char idbuf[24];
	snprintf(idbuf, sizeof idbuf, "%lld", id);
	const char *fields[] = {idbuf, at, tool, action, actor, subject, detail};
	size_t n = 32;
	for (size_t i = 0; i < 7; i++)
		n += 4 + (fields[i] ? strlen(fields[i]) : 0);
	unsigned char *buf = malloc(n), *p = buf;
	if (!buf)
		return -1;
	memcpy(p, prev, 32);
	p += 32;
	for (size_t i = 0; i < 7; i++)
		put_field(&p, fields[i]);
	taxid_sha256(buf, n, out);
	free(buf);
	return 0;
}

static enum taxid_code put_head(struct taxid_ctx *ctx, long long id, const unsigned char hash[32])
{
	char *hex = taxid_hex_encode(hash, 32);
	char head[96];
	if (!hex)
		return TAXID_E_INTERNAL;
	snprintf(head, sizeof head, "%lld:%s", id, hex);
	free(hex);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_META_PUT);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_text(st, 1, "audit_head", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, head, -1, SQLITE_TRANSIENT);
	return taxid_db_exec(ctx, st);
}

/* The head in meta ("ID:HEX"): 1 when present and well-formed, 0 otherwise. */
static int get_head(struct taxid_ctx *ctx, long long *id, unsigned char hash[32])
{
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_META_GET);
	int ok = 0;
	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, "audit_head", -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
		const char *h = (const char *)sqlite3_column_text(st, 0);
		char *end;
		long long v = strtoll(h, &end, 10);
		if (v > 0 && *end == ':' && strlen(end + 1) == 64) {
			ok = 1;
			for (int i = 0; i < 32 && ok; i++) {
				unsigned x = 0;
				if (sscanf(end + 1 + 2 * i, "%2x", &x) != 1)
					ok = 0;
				hash[i] = (unsigned char)x;
			}
			*id = v;
		}
	}
	sqlite3_reset(st);
	return ok;
}

enum taxid_code taxid_audit(struct taxid_ctx *ctx, const char *action, const char *subject, const char *actor,
			    json_t *detail)
{
	unsigned char prev[32] = {0}, hash[32], head_hash[32];
	long long id = 1, head_id = 0;
	sqlite3_stmt *st;
	int rc;
	if (ctx->audit_head.valid) { /* a transaction that already appended: its head is in memory */
		id = ctx->audit_head.id + 1;
		memcpy(prev, ctx->audit_head.hash, 32);
		goto append;
	}
	if (!(st = taxid_sql(ctx, TAXID_SQL_AUDIT_LAST)))
		return TAXID_E_INTERNAL;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0) + 1;
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(prev, sqlite3_column_blob(st, 1), 32);
	} else if (rc != SQLITE_DONE) {
		sqlite3_reset(st);
		return taxid_db_fail(ctx, rc);
	}
	sqlite3_reset(st);
	/* Chain onto the head, not onto whatever row is last now: rows removed from the end must stay missing
	 * after the next append instead of being papered over. */
	if (get_head(ctx, &head_id, head_hash) && head_id >= id - 1) {
		id = head_id + 1;
		memcpy(prev, head_hash, 32);
	}
append:;
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	char *d = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
	if (!d)
		return TAXID_E_INTERNAL;
	const char *tool = ctx->tool->name;
	if (row_hash(prev, id, at, tool, action, actor, subject, d, hash)) {
		free(d);
		return TAXID_E_INTERNAL;
	}
	st = taxid_sql(ctx, TAXID_SQL_AUDIT_INSERT);
	if (!st) {
		free(d);
		return TAXID_E_INTERNAL;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, tool, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, d, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, prev, 32, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 9, hash, 32, SQLITE_TRANSIENT);
	enum taxid_code c = taxid_db_exec(ctx, st);
	free(d);
	if (c)
		return c;
	if (sqlite3_get_autocommit(ctx->db))
		return put_head(ctx, id, hash);
	/* Inside a transaction the head goes to meta once, at commit: the write lock is held until then, so no
	 * other writer can append in between. */
	ctx->audit_head.valid = ctx->audit_head.dirty = 1;
	ctx->audit_head.id = id;
	memcpy(ctx->audit_head.hash, hash, 32);
	return TAXID_OK;
}

enum taxid_code taxid_audit_flush(struct taxid_ctx *ctx)
{
	if (!ctx->audit_head.dirty)
		return TAXID_OK;
	enum taxid_code c = put_head(ctx, ctx->audit_head.id, ctx->audit_head.hash);
	if (!c)
		ctx->audit_head.dirty = 0;
	return c;
}

enum taxid_code taxid_audit_new(struct taxid_ctx *ctx, const char *action, const char *subject, const char *actor,
				json_t *detail)
{
	enum taxid_code c = taxid_audit(ctx, action, subject, actor, detail);
	json_decref(detail);
	return c;
}

static const char *col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

enum taxid_code taxid_audit_verify(struct taxid_ctx *ctx, json_t *out)
{
	unsigned char prev[32] = {0}, hash[32];
	long long expect_id = 1, rows = 0, broken = 0;
	const char *why = NULL;
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_AUDIT_ALL);
	if (!st)
		return TAXID_E_INTERNAL;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(st, 0);
		rows++;
		if (id != expect_id) {
			broken = expect_id;
			why = "row missing";
			break;
		}
		if (sqlite3_column_bytes(st, 7) != 32 || memcmp(sqlite3_column_blob(st, 7), prev, 32) != 0) {
			broken = id;
			why = "link to the previous row does not match";
			break;
		}
		if (row_hash(prev, id, col(st, 1), col(st, 2), col(st, 3), col(st, 4), col(st, 5), col(st, 6), hash)) {
			sqlite3_reset(st);
			return TAXID_E_INTERNAL;
		}
		if (sqlite3_column_bytes(st, 8) != 32 || !taxid_ct_equal(sqlite3_column_blob(st, 8), hash, 32)) {
			broken = id;
			why = "row was altered";
			break;
		}
		memcpy(prev, hash, 32);
		expect_id++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return taxid_db_fail(ctx, rc);
	if (!broken) {
		/* The head in meta catches rows removed from the end of the chain. */
		st = taxid_sql(ctx, TAXID_SQL_META_GET);
		if (!st)
			return TAXID_E_INTERNAL;
		sqlite3_bind_text(st, 1, "audit_head", -1, SQLITE_STATIC);
		char want[96] = "";
		if (sqlite3_step(st) == SQLITE_ROW && col(st, 0))
			snprintf(want, sizeof want, "%s", col(st, 0));
		sqlite3_reset(st);
		char have[96] = "";
		if (rows) {
			char *hex = taxid_hex_encode(prev, 32);
			snprintf(have, sizeof have, "%lld:%s", expect_id - 1, hex ? hex : "");
			free(hex);
		}
		if (strcmp(want, have) != 0) {
			broken = expect_id;
			why = "rows missing at the end of the chain";
		}
	}
	json_object_set_new(out, "rows", json_integer(rows));
	if (broken) {
		json_t *d = json_pack("{s:I,s:s}", "broken_at", (json_int_t)broken, "reason", why);
		return taxid_fail_detail(ctx, TAXID_E_AUDIT_BROKEN, NULL, d);
	}
	json_object_set_new(out, "chain", json_string("intact"));
	return TAXID_OK;
}
