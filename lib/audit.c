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
	return taxid_db_meta_put(ctx, "audit_head", head);
}

/* The head in meta ("ID:HEX"): 1 when present and well-formed, 0 otherwise. */
static int get_head(struct taxid_ctx *ctx, long long *id, unsigned char hash[32])
{
	char *h = taxid_db_meta_get(ctx, "audit_head");
	int ok = 0;
	if (h) {
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
	free(h);
	return ok;
}

enum taxid_code taxid_audit(struct taxid_ctx *ctx, const char *action, const char *subject, const char *actor,
			    json_t *detail)
{
	unsigned char prev[32] = {0}, hash[32], head_hash[32];
	long long id = 1, head_id = 0;
	struct taxid_audit_head *h = taxid_db_audit_head(ctx);
	enum taxid_code c = taxid_dbmode_check_write(ctx); /* audit rows never carry a chosen time */
	if (c)
		return c;
	if (h->valid) { /* a transaction that already appended: its head is in memory */
		id = h->id + 1;
		memcpy(prev, h->hash, 32);
		goto append;
	}
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_AUDIT_LAST);
	if (taxid_q_step(q)) {
		id = taxid_q_col_int(q, 0) + 1;
		size_t n;
		const void *last = taxid_q_col_blob(q, 1, &n);
		if (n == 32)
			memcpy(prev, last, 32);
	}
	if ((c = taxid_q_end(q)))
		return c;
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
	q = taxid_q(ctx, TAXID_SQL_AUDIT_INSERT);
	taxid_q_int(q, 1, id);
	taxid_q_text(q, 2, at);
	taxid_q_text(q, 3, tool);
	taxid_q_text(q, 4, action);
	taxid_q_text(q, 5, actor);
	taxid_q_text(q, 6, subject);
	taxid_q_text(q, 7, d);
	taxid_q_blob(q, 8, prev, 32);
	taxid_q_blob(q, 9, hash, 32);
	c = taxid_q_exec(q);
	free(d);
	if (c)
		return c;
	if (!taxid_db_in_tx(ctx))
		return put_head(ctx, id, hash);
	/* Inside a transaction the head goes to meta once, at commit (flush_head, db's pre-commit hook): the
	 * write lock is held until then, so no other writer can append in between. */
	h->valid = h->dirty = 1;
	h->id = id;
	memcpy(h->hash, hash, 32);
	return TAXID_OK;
}

/* The pre-commit hook: write the head kept in memory during the transaction to meta. */
static enum taxid_code flush_head(struct taxid_ctx *ctx)
{
	struct taxid_audit_head *h = taxid_db_audit_head(ctx);
	/* nothing commits sealed with a key a rotation has replaced (issue 18 item 2) */
	enum taxid_code c = taxid_keys_current(ctx);
	if (c || !h->dirty)
		return c;
	c = put_head(ctx, h->id, h->hash);
	if (!c)
		h->dirty = 0;
	return c;
}

enum taxid_code taxid_audit_new(struct taxid_ctx *ctx, const char *action, const char *subject, const char *actor,
				json_t *detail)
{
	enum taxid_code c = taxid_audit(ctx, action, subject, actor, detail);
	json_decref(detail);
	return c;
}

static const char *col(struct taxid_q *q, int i)
{
	return taxid_q_col_text(q, i);
}

/* Column i of the row when it is a 32-byte hash, else NULL. */
static const void *col_hash(struct taxid_q *q, int i)
{
	size_t n;
	const void *p = taxid_q_col_blob(q, i, &n);
	return n == 32 ? p : NULL;
}

#define REKEY_ACTION "audit_keyed"

/* The row's action (an audit action name, no secret) is what. */
static int action_is(struct taxid_q *q, const char *what)
{
	return col(q, 3) && strcmp(col(q, 3), what) == 0;
}

/* Walk the chain in id order under key (NULL: the legacy SHA-256 links), stopping at the first broken row. */
static enum taxid_code walk_chain(struct taxid_ctx *ctx, const unsigned char *key, struct taxid_audit_check *w)
{
	unsigned char prev[32] = {0}, hash[32];
	long long expect_id = 1, keyings = 0;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_AUDIT_ALL);
	while (taxid_q_step(q)) {
		long long id = taxid_q_col_int(q, 0);
		w->rows++;
		if (id != expect_id) {
			w->broken = expect_id;
			w->why = "row missing";
			break;
		}
		const void *link = col_hash(q, 7), *stored = col_hash(q, 8);
		if (!link || memcmp(link, prev, 32) != 0) {
			w->broken = id;
			w->why = "link to the previous row does not match";
			break;
		}
		if (row_hash(key, prev, id, col(q, 1), col(q, 2), col(q, 3), col(q, 4), col(q, 5), col(q, 6), hash)) {
			taxid_q_end(q);
			return TAXID_E_INTERNAL;
		}
		if (!stored || !taxid_ct_equal(stored, hash, 32)) {
			w->broken = id;
			w->why = "row was altered";
			break;
		}
		if (action_is(q, REKEY_ACTION) && ++keyings > 1) {
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
	enum taxid_code c = taxid_q_end(q);
	if (c)
		return c;
	memcpy(w->head, prev, 32);
	return TAXID_OK;
}

/* "ID:HEX" of the walk's last row ("" for an empty chain) and whether meta's head says the same. */
static int head_matches(struct taxid_ctx *ctx, const struct taxid_audit_check *w, char want[96])
{
	char *stored = taxid_db_meta_get(ctx, "audit_head");
	snprintf(want, 96, "%s", stored ? stored : "");
	free(stored);
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

enum taxid_code taxid_audit_verify(struct taxid_ctx *ctx, const char *anchor, struct taxid_audit_check *w)
{
	char want[96];
	enum taxid_code c;
	memset(w, 0, sizeof *w);
	if (anchor && parse_anchor(anchor, &w->anchor_id, w->anchor_hash))
		return TAXID_E_BAD_VALUE;
	if ((c = walk_chain(ctx, ctx->keys->audit, w)))
		return c;
	if (!w->broken && !head_matches(ctx, w, want)) {
		/* The head in meta catches rows removed from the end of the chain. */
		w->broken = w->last_id + 1;
		w->why = "rows missing at the end of the chain";
	}
	return TAXID_OK;
}

#define KEYED_CHAIN "hmac-sha256"

/* Re-link every row under the key, inside the open transaction; the last link becomes the head. */
static enum taxid_code rechain(struct taxid_ctx *ctx)
{
	unsigned char prev[32] = {0}, hash[32];
	long long id = 0;
	enum taxid_code c = taxid_q_exec(taxid_q(ctx, TAXID_SQL_AUDIT_UNGUARD));
	if (c)
		return c;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_AUDIT_ALL);
	while (!c && taxid_q_step(q)) {
		id = taxid_q_col_int(q, 0);
		if (row_hash(ctx->keys->audit, prev, id, col(q, 1), col(q, 2), col(q, 3), col(q, 4), col(q, 5), col(q, 6),
			     hash)) {
			c = TAXID_E_INTERNAL;
			break;
		}
		struct taxid_q *up = taxid_q(ctx, TAXID_SQL_AUDIT_RELINK);
		taxid_q_int(up, 1, id);
		taxid_q_blob(up, 2, prev, 32);
		taxid_q_blob(up, 3, hash, 32);
		c = taxid_q_exec(up);
		memcpy(prev, hash, 32);
	}
	enum taxid_code e = taxid_q_end(q);
	if (!c)
		c = e;
	if (!c)
		c = taxid_q_exec(taxid_q(ctx, TAXID_SQL_AUDIT_GUARD));
	if (!c && id)
		c = put_head(ctx, id, prev);
	return c;
}

static int chain_is_keyed(struct taxid_ctx *ctx)
{
	char *chain = taxid_db_meta_get(ctx, "audit_chain");
	int keyed = chain && strcmp(chain, KEYED_CHAIN) == 0;
	free(chain);
	return keyed;
}

/* Once per database: re-link a chain made before the key under it (see taxid_audit_attach). */
static enum taxid_code rekey(struct taxid_ctx *ctx)
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
	struct taxid_audit_check w = {0};
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
		if (!c) {
			struct taxid_q *q = taxid_q(ctx, TAXID_SQL_META_PUT);
			taxid_q_text(q, 1, "audit_chain");
			taxid_q_text(q, 2, KEYED_CHAIN);
			c = taxid_q_exec(q);
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

enum taxid_code taxid_audit_attach(struct taxid_ctx *ctx)
{
	taxid_db_before_commit(ctx, flush_head);
	return rekey(ctx);
}
