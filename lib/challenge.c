/* Challenges: one table of short-lived keyed-hash secrets for every purpose; SMS codes and the outbox. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "challenge.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "keys.h"
#include "record.h"

/* The keyed hash of a challenge's own secret; key is the id as stored (below). */
static void secret_of(struct taxid_ctx *ctx, const char *key, const char *purpose, const char *secret,
		      unsigned char out[32])
{
	char context[160];
	snprintf(context, sizeof context, "challenge/%s/%s", purpose, key);
	taxid_secret_hash(ctx->keys, context, secret, strlen(secret), out);
}

/* What challenge.id holds for an id handed out (issue 10, SECURITY rule 26): its keyed hash, base64url, since
 * login_tx, change_tx and QR nonces are bearer secrets — whoever reads a backup must not be able to present them. */
static void key_of(struct taxid_ctx *ctx, const char *id, char key[TAXID_CHALLENGE_KEY_LEN])
{
	unsigned char h[32];
	taxid_secret_hash(ctx->keys, "challenge-id", id, strlen(id), h);
	char *s = taxid_base64url_encode(h, sizeof h);
	snprintf(key, TAXID_CHALLENGE_KEY_LEN, "%s", s ? s : "");
	free(s);
	taxid_wipe(h, sizeof h);
}

enum taxid_code taxid_challenge_create(struct taxid_ctx *ctx, const char *purpose, const unsigned char subject[32],
				       const char *secret, int ttl, int max_attempts, json_t *data,
				       char id[TAXID_CHALLENGE_ID_LEN], int64_t *expires_at)
{
	unsigned char raw[18], h[32];
	if (taxid_random_bytes(raw, sizeof raw))
		return TAXID_E_INTERNAL;
	char *s = taxid_base64url_encode(raw, sizeof raw);
	if (!s)
		return TAXID_E_INTERNAL;
	snprintf(id, TAXID_CHALLENGE_ID_LEN, "%s", s);
	taxid_wipe(s, strlen(s));
	free(s);
	taxid_wipe(raw, sizeof raw);
	char key[TAXID_CHALLENGE_KEY_LEN];
	key_of(ctx, id, key);
	if (!key[0])
		return TAXID_E_INTERNAL;
	*expires_at = ctx->now + ttl;
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_CHALLENGE_INSERT);
	if (!st)
		return TAXID_E_INTERNAL;
	char *dj = data ? json_dumps(data, JSON_COMPACT) : NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, purpose, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, subject, 32, SQLITE_STATIC);
	if (secret) {
		secret_of(ctx, key, purpose, secret, h);
		sqlite3_bind_blob(st, 4, h, 32, SQLITE_TRANSIENT);
	}
	sqlite3_bind_int64(st, 5, ctx->now);
	sqlite3_bind_int64(st, 6, *expires_at);
	sqlite3_bind_int(st, 7, max_attempts);
	if (dj)
		sqlite3_bind_text(st, 8, dj, -1, SQLITE_TRANSIENT);
	free(dj);
	return taxid_db_exec(ctx, st);
}

enum taxid_code taxid_challenge_check(struct taxid_ctx *ctx, const char *id, const char *purpose,
				      const unsigned char subject[32], const char *secret, int consume,
				      const char *field, json_t **data)
{
	char key[TAXID_CHALLENGE_KEY_LEN];
	key_of(ctx, id, key);
	return taxid_challenge_check_key(ctx, key, purpose, subject, secret, consume, field, data);
}

enum taxid_code taxid_challenge_set_data(struct taxid_ctx *ctx, const char *id, json_t *data)
{
	char key[TAXID_CHALLENGE_KEY_LEN];
	key_of(ctx, id, key);
	char *dj = json_dumps(data, JSON_COMPACT);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_CHALLENGE_SET_DATA);
	if (!st || !dj) {
		free(dj);
		return TAXID_E_INTERNAL;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, dj, -1, SQLITE_TRANSIENT);
	free(dj);
	return taxid_db_exec(ctx, st);
}

enum taxid_code taxid_challenge_check_key(struct taxid_ctx *ctx, const char *id, const char *purpose,
					  const unsigned char subject[32], const char *secret, int consume,
					  const char *field, json_t **data)
{
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_CHALLENGE_GET);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? taxid_fail(ctx, TAXID_E_CHALLENGE_INVALID, field) : taxid_db_fail(ctx, rc);
	}
	int same_purpose = strcmp((const char *)sqlite3_column_text(st, 0), purpose) == 0;
	int same_subject = !subject || (sqlite3_column_bytes(st, 1) == 32 &&
					taxid_ct_equal(sqlite3_column_blob(st, 1), subject, 32));
	int has_secret = sqlite3_column_bytes(st, 2) == 32;
	unsigned char stored[32] = {0};
	if (has_secret)
		memcpy(stored, sqlite3_column_blob(st, 2), 32);
	int64_t expires = sqlite3_column_int64(st, 3);
	int open = strcmp((const char *)sqlite3_column_text(st, 6), "open") == 0;
	const char *dj = (const char *)sqlite3_column_text(st, 7);
	json_t *d = dj ? json_loads(dj, 0, NULL) : NULL;
	sqlite3_reset(st);

	enum taxid_code c = TAXID_OK;
	if (!same_purpose || !same_subject || !open) {
		c = taxid_fail(ctx, TAXID_E_CHALLENGE_INVALID, field);
	} else if (ctx->now >= expires) {
		c = taxid_fail(ctx, TAXID_E_CHALLENGE_EXPIRED, field);
	} else if (has_secret) {
		unsigned char h[32];
		secret_of(ctx, id, purpose, secret ? secret : "", h);
		if (!secret || !taxid_ct_equal(h, stored, 32)) {
			/* A wrong code is counted, and the count must survive the refusal. */
			st = taxid_sql(ctx, TAXID_SQL_CHALLENGE_ATTEMPT);
			sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
			int dead = 0;
			if ((rc = sqlite3_step(st)) == SQLITE_ROW)
				dead = strcmp((const char *)sqlite3_column_text(st, 0), "dead") == 0;
			sqlite3_reset(st);
			if (rc != SQLITE_ROW)
				c = taxid_db_fail(ctx, rc);
			else {
				taxid_keep_changes(ctx);
				c = taxid_fail(ctx, dead ? TAXID_E_CHALLENGE_EXHAUSTED : TAXID_E_SMS_CODE_INVALID, field);
			}
		}
	}
	if (!c && consume) {
		st = taxid_sql(ctx, TAXID_SQL_CHALLENGE_USE);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		c = taxid_db_exec(ctx, st);
	}
	if (!c && data)
		*data = d;
	else
		json_decref(d);
	taxid_wipe(stored, sizeof stored);
	return c;
}

enum taxid_code taxid_challenge_kill(struct taxid_ctx *ctx, const char *purpose, const unsigned char subject[32])
{
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_CHALLENGE_KILL);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_text(st, 1, purpose, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, subject, 32, SQLITE_STATIC);
	return taxid_db_exec(ctx, st);
}

enum taxid_code taxid_outbox_put(struct taxid_ctx *ctx, const char *channel, const char *to, const char *body)
{
	size_t tl, bl;
	unsigned char *te = taxid_pii_seal(ctx->keys, "outbox.to", to, &tl);
	unsigned char *be = taxid_pii_seal(ctx->keys, "outbox.body", body, &bl);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_OUTBOX_PUT);
	enum taxid_code c = TAXID_E_INTERNAL;
	if (te && be && st) {
		sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, te, (int)tl, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, be, (int)bl, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, ctx->now);
		c = taxid_db_exec(ctx, st);
	}
	free(te);
	free(be);
	return c;
}

static long long sms_policy(struct taxid_ctx *ctx, const char *what, long long def)
{
	char key[40];
	snprintf(key, sizeof key, "sms.%s", what);
	return taxid_setting_int(ctx, key, def);
}

/* The purposes an SMS code may be sent for (issue 10, SECURITY rule 27). "holder": a step of the bound phone's
 * holder authenticating (login's second factor, reset, the declaration password's reset) — these share the daily
 * cap sms.daily_cap. "open": codes anyone may ask for to a phone they type in (registering, proving a new phone,
 * an enterprise proving a contact phone) — their own, smaller cap sms.open_daily_cap, so they never use up the
 * holder's allowance. Any other purpose is refused. A new purpose is added here. */
static const struct {
	const char *name;
	int open;
} sms_purposes[] = {
	{"login", 0}, {"reset", 0}, {"declpw", 0}, {"register", 1}, {"change", 1}, {"maintain", 1},
	{"passwd", 1}, /* replacing an initial password: whoever knows a document number can ask (issue 10) */
	{NULL, 0},
};

int taxid_sms_purpose_class(const char *purpose)
{
	for (int i = 0; sms_purposes[i].name; i++)
		if (strcmp(purpose, sms_purposes[i].name) == 0)
			return sms_purposes[i].open;
	return -1;
}

enum taxid_code taxid_sms_send(struct taxid_ctx *ctx, const char *phone, const char *purpose, json_t *out)
{
	int open = taxid_sms_purpose_class(purpose);
	if (open < 0)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "purpose");
	unsigned char subject[32];
	char full[64];
	snprintf(full, sizeof full, "sms:%s", purpose);
	taxid_pii_index(ctx->keys, "phone", phone, subject);

	/* The purposes that count: for the cooldown, every purpose (an open code waits for any code), but a holder's
	 * code waits only for holder codes — an open code never delays, nor counts toward, the holder's allowance. */
	json_t *same = json_array(), *all = json_array();
	for (int i = 0; sms_purposes[i].name; i++) {
		json_t *p = json_sprintf("sms:%s", sms_purposes[i].name);
		if (sms_purposes[i].open == open)
			json_array_append(same, p);
		json_array_append_new(all, p);
	}
	char *sj = json_dumps(same, JSON_COMPACT), *aj = json_dumps(open ? all : same, JSON_COMPACT);
	json_decref(same);
	json_decref(all);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SMS_LAST);
	if (!st || !sj || !aj) {
		free(sj);
		free(aj);
		return TAXID_E_INTERNAL;
	}
	sqlite3_bind_blob(st, 1, subject, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, aj, -1, SQLITE_TRANSIENT);
	free(aj);
	int64_t last = -1;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		last = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	long long cooldown = sms_policy(ctx, "resend_seconds", 60);
	if (last >= 0 && ctx->now < last + cooldown) {
		free(sj);
		return taxid_fail_detail(ctx, TAXID_E_SMS_COOLDOWN, "phone",
					 json_pack("{s:I}", "retry_after", (json_int_t)(last + cooldown - ctx->now)));
	}

	/* the day's cap of this purpose's class */
	int64_t midnight = taxid_next_local_midnight(ctx->now, ctx->tz_offset) - 86400;
	st = taxid_sql(ctx, TAXID_SQL_SMS_COUNT_SINCE);
	if (!st) {
		free(sj);
		return TAXID_E_INTERNAL;
	}
	sqlite3_bind_blob(st, 1, subject, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, sj, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, midnight);
	free(sj);
	long long today = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (today >= (open ? sms_policy(ctx, "open_daily_cap", 5) : sms_policy(ctx, "daily_cap", 10)))
		return taxid_fail(ctx, TAXID_E_SMS_DAILY_CAP, "phone");

	/* A new code supersedes the open ones of the same purpose for this phone. */
	enum taxid_code c;
	st = taxid_sql(ctx, TAXID_SQL_CHALLENGE_SUPERSEDE);
	sqlite3_bind_blob(st, 1, subject, 32, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, full, -1, SQLITE_STATIC);
	if ((c = taxid_db_exec(ctx, st)))
		return c;

	int64_t n = taxid_random_uniform(1000000);
	if (n < 0)
		return TAXID_E_INTERNAL;
	char code[8], body[96], id[TAXID_CHALLENGE_ID_LEN];
	snprintf(code, sizeof code, "%06d", (int)n);
	int64_t expires;
	c = taxid_challenge_create(ctx, full, subject, code, (int)sms_policy(ctx, "ttl_seconds", 300),
				   (int)sms_policy(ctx, "max_attempts", 5), NULL, id, &expires);
	snprintf(body, sizeof body, "[taxid] verification code %s (%s), valid %lld minutes", code, purpose,
		 sms_policy(ctx, "ttl_seconds", 300) / 60);
	if (!c)
		c = taxid_outbox_put(ctx, "sms", phone, body);
	taxid_wipe(code, sizeof code);
	taxid_wipe(body, sizeof body);
	if (c)
		return c;
	char at[TAXID_TIME_LEN], masked[16];
	taxid_time_format(expires, at);
	taxid_mask_phone(phone, masked);
	json_object_set_new(out, "challenge", json_string(id));
	json_object_set_new(out, "purpose", json_string(purpose));
	json_object_set_new(out, "phone", json_string(masked));
	json_object_set_new(out, "expires_at", json_string(at));
	json_t *d = json_pack("{s:s}", "purpose", purpose);
	c = taxid_audit(ctx, "sms_send", masked, NULL, d); /* detail is borrowed */
	json_decref(d);
	return c;
}

enum taxid_code taxid_sms_check(struct taxid_ctx *ctx, json_t *sms, const char *phone, const char *purpose,
				const char *field)
{
	if (!json_is_object(sms))
		return taxid_fail(ctx, sms ? TAXID_E_BAD_TYPE : TAXID_E_MISSING_FIELD, field);
	const char *id = json_string_value(json_object_get(sms, "challenge"));
	const char *code = json_string_value(json_object_get(sms, "code"));
	if (!id || !code)
		return taxid_fail(ctx, TAXID_E_MISSING_FIELD, field);
	char full[64];
	snprintf(full, sizeof full, "sms:%s", purpose);
	unsigned char subject[32];
	if (phone)
		taxid_pii_index(ctx->keys, "phone", phone, subject);
	return taxid_challenge_check(ctx, id, full, phone ? subject : NULL, code, 1, field, NULL);
}
