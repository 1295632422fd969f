/* The audit chain: each row is an HMAC-SHA-256, under a key derived from the key file, of the previous row's
 * hash and its own fields, so that someone who can write the file but has no key cannot rebuild it; the head
 * is kept in meta so that removing rows at the end is detected too, and can be kept outside (an anchor). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "dbmode.h"
#include "keys.h"
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

/* The link of one row: HMAC-SHA-256 under the audit key (keyed) or plain SHA-256 (the chain of databases from
 * before the key, read once to re-chain them). */
static int row_hash(const unsigned char *key, const unsigned char prev[32], long long id, const char *at,
		    const char *tool, const char *action, const char *actor, const char *subject, const char *detail,
		    unsigned char out[32])
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
	if (key)
		taxid_hmac_sha256(key, 32, buf, n, out);
	else
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
	enum taxid_code pinned = taxid_dbmode_check_write(ctx); /* audit rows never carry a chosen time */
	if (pinned)
		return pinned;
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
	if (row_hash(ctx->keys->audit, prev, id, at, tool, action, actor, subject, d, hash)) {
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

#define REKEY_ACTION "audit_keyed"

/* The row's action (an audit action name, no secret) is what. */
static int action_is(sqlite3_stmt *st, const char *what)
{
	return col(st, 3) && strcmp(col(st, 3), what) == 0;
}

/* What one pass over the chain found. */
struct walk {
	long long rows, last_id, broken, keyings;
	const char *why;
	unsigned char head[32];           /* the last row's hash */
	long long anchor_id;              /* 0: no anchor to look for */
	unsigned char anchor_hash[32];
	int anchor_found;                 /* the anchor row is there with that very hash */
};

/* Walk the chain in id order under key (NULL: the legacy SHA-256 links), stopping at the first broken row. */
static enum taxid_code walk_chain(struct taxid_ctx *ctx, const unsigned char *key, struct walk *w)
{
	unsigned char prev[32] = {0}, hash[32];
	long long expect_id = 1;
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_AUDIT_ALL);
	if (!st)
		return TAXID_E_INTERNAL;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(st, 0);
		w->rows++;
		if (id != expect_id) {
			w->broken = expect_id;
			w->why = "row missing";
			break;
		}
		if (sqlite3_column_bytes(st, 7) != 32 || memcmp(sqlite3_column_blob(st, 7), prev, 32) != 0) {
			w->broken = id;
			w->why = "link to the previous row does not match";
			break;
		}
		if (row_hash(key, prev, id, col(st, 1), col(st, 2), col(st, 3), col(st, 4), col(st, 5), col(st, 6), hash)) {
			sqlite3_reset(st);
			return TAXID_E_INTERNAL;
		}
		if (sqlite3_column_bytes(st, 8) != 32 || !taxid_ct_equal(sqlite3_column_blob(st, 8), hash, 32)) {
			w->broken = id;
			w->why = "row was altered";
			break;
		}
		if (action_is(st, REKEY_ACTION) && ++w->keyings > 1) {
			w->broken = id;
			w->why = "the chain was keyed a second time (the file was made to look older)";
			break;
		}
		if (id == w->anchor_id && taxid_ct_equal(hash, w->anchor_hash, 32))
			w->anchor_found = 1;
		memcpy(prev, hash, 32);
		w->last_id = id;
		expect_id++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return taxid_db_fail(ctx, rc);
	memcpy(w->head, prev, 32);
	return TAXID_OK;
}

/* "ID:HEX" of the walk's last row ("" for an empty chain) and whether meta's head says the same. */
static int head_matches(struct taxid_ctx *ctx, const struct walk *w, char want[96])
{
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_META_GET);
	want[0] = 0;
	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, "audit_head", -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && col(st, 0))
		snprintf(want, 96, "%s", col(st, 0));
	sqlite3_reset(st);
	char have[96] = "";
	if (w->rows) {
		char *hex = taxid_hex_encode(w->head, 32);
		snprintf(have, sizeof have, "%lld:%s", w->last_id, hex ? hex : "");
		free(hex);
	}
	return strcmp(want, have) == 0;
}

/* Parse an anchor "ID:HEX" (64 hex digits, either case); 0 on success. */
static int parse_anchor(const char *s, long long *id, unsigned char hash[32])
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (v <= 0 || *end != ':' || strlen(end + 1) != 64 || s[0] < '1' || s[0] > '9')
		return -1;
	for (int i = 0; i < 32; i++) {
		unsigned x = 0;
		for (int j = 0; j < 2; j++) {
			char c = end[1 + 2 * i + j];
			x <<= 4;
			if (c >= '0' && c <= '9')
				x |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				x |= (unsigned)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				x |= (unsigned)(c - 'A' + 10);
			else
				return -1;
		}
		hash[i] = (unsigned char)x;
	}
	*id = v;
	return 0;
}

enum taxid_code taxid_audit_verify(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	int want_head = taxid_req_bool(ctx, req, "head", 0, &c);
	const char *anchor = c ? NULL : taxid_req_str(ctx, req, "anchor", 0, &c);
	struct walk w = {0};
	char want[96];
	if (c)
		return c;
	if (anchor && parse_anchor(anchor, &w.anchor_id, w.anchor_hash))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "anchor");
	if ((c = walk_chain(ctx, ctx->keys->audit, &w)))
		return c;
	if (!w.broken && !head_matches(ctx, &w, want)) {
		/* The head in meta catches rows removed from the end of the chain. */
		w.broken = w.last_id + 1;
		w.why = "rows missing at the end of the chain";
	}
	json_object_set_new(out, "rows", json_integer(w.rows));
	if (w.broken) {
		json_t *d = json_pack("{s:I,s:s}", "broken_at", (json_int_t)w.broken, "reason", w.why);
		return taxid_fail_detail(ctx, TAXID_E_AUDIT_BROKEN, NULL, d);
	}
	json_object_set_new(out, "chain", json_string("intact"));
	if (anchor && !w.anchor_found) {
		json_t *d = json_pack("{s:I}", "anchor_id", (json_int_t)w.anchor_id);
		return taxid_fail_detail(ctx, TAXID_E_ANCHOR_MISMATCH, "anchor", d);
	}
	if (anchor)
		json_object_set_new(out, "anchor", json_string("present"));
	if (want_head) {
		char *hex = w.rows ? taxid_hex_encode(w.head, 32) : NULL;
		json_object_set_new(out, "id", json_integer(w.last_id));
		json_object_set_new(out, "hash", hex ? json_string(hex) : json_null());
		free(hex);
	}
	return TAXID_OK;
}

#define KEYED_CHAIN "hmac-sha256"

/* Re-link every row under the key, inside the open transaction; the last link becomes the head. */
static enum taxid_code rechain(struct taxid_ctx *ctx)
{
	unsigned char prev[32] = {0}, hash[32];
	long long id = 0;
	enum taxid_code c = taxid_db_exec(ctx, taxid_sql(ctx, TAXID_SQL_AUDIT_UNGUARD));
	sqlite3_stmt *st = c ? NULL : taxid_sql(ctx, TAXID_SQL_AUDIT_ALL);
	int rc = SQLITE_DONE;
	if (c || !st)
		return c ? c : TAXID_E_INTERNAL;
	while (!c && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if (row_hash(ctx->keys->audit, prev, id, col(st, 1), col(st, 2), col(st, 3), col(st, 4), col(st, 5),
			     col(st, 6), hash)) {
			c = TAXID_E_INTERNAL;
			break;
		}
		sqlite3_stmt *up = taxid_sql(ctx, TAXID_SQL_AUDIT_RELINK);
		if (!up) {
			c = TAXID_E_INTERNAL;
			break;
		}
		sqlite3_bind_int64(up, 1, id);
		sqlite3_bind_blob(up, 2, prev, 32, SQLITE_TRANSIENT);
		sqlite3_bind_blob(up, 3, hash, 32, SQLITE_TRANSIENT);
		c = taxid_db_exec(ctx, up);
		memcpy(prev, hash, 32);
	}
	sqlite3_reset(st);
	if (!c && rc != SQLITE_DONE)
		c = taxid_db_fail(ctx, rc);
	if (!c)
		c = taxid_db_exec(ctx, taxid_sql(ctx, TAXID_SQL_AUDIT_GUARD));
	if (!c && id)
		c = put_head(ctx, id, prev);
	return c;
}

static int chain_is_keyed(struct taxid_ctx *ctx)
{
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_META_GET);
	int keyed = 0;
	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, "audit_chain", -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && col(st, 0))
		keyed = strcmp(col(st, 0), KEYED_CHAIN) == 0;
	sqlite3_reset(st);
	return keyed;
}

enum taxid_code taxid_audit_rekey(struct taxid_ctx *ctx)
{
	if (chain_is_keyed(ctx))
		return TAXID_OK;
	/* Once per database, whatever the action: on a normal database the migration's row takes the real time
	 * even when the action was given a pinned clock (which a read-only action may take). */
	int64_t now = ctx->now;
	int pinned = ctx->now_pinned;
	if (!ctx->test_db) {
		ctx->now = (int64_t)time(NULL);
		ctx->now_pinned = 0;
	}
	enum taxid_code c = taxid_db_begin(ctx);
	struct walk w = {0};
	char legacy_head[96] = "";
	if (!c && !chain_is_keyed(ctx) && !(c = walk_chain(ctx, NULL, &w))) {
		int intact = !w.broken && head_matches(ctx, &w, legacy_head);
		if (w.rows && !(c = rechain(ctx))) {
			json_t *d = json_pack("{s:I,s:o,s:b}", "rows", (json_int_t)w.rows, "legacy_head",
					      legacy_head[0] ? json_string(legacy_head) : json_null(), "legacy_intact", intact);
			if (!intact)
				json_object_set_new(d, "legacy_broken_at",
						    json_integer(w.broken ? w.broken : w.last_id + 1));
			c = taxid_audit_new(ctx, "audit_keyed", NULL, NULL, d);
		}
		sqlite3_stmt *st = c ? NULL : taxid_sql(ctx, TAXID_SQL_META_PUT);
		if (st) {
			sqlite3_bind_text(st, 1, "audit_chain", -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, KEYED_CHAIN, -1, SQLITE_STATIC);
			c = taxid_db_exec(ctx, st);
		} else if (!c) {
			c = TAXID_E_INTERNAL;
		}
	}
	if (!c)
		c = taxid_db_commit(ctx);
	if (c)
		taxid_db_rollback(ctx);
	ctx->now = now;
	ctx->now_pinned = pinned;
	return c;
}
