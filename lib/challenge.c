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
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_CHALLENGE_INSERT);
	char *dj = data ? json_dumps(data, JSON_COMPACT) : NULL;
	taxid_q_text(q, 1, key);
	taxid_q_text(q, 2, purpose);
	taxid_q_blob(q, 3, subject, 32);
	if (secret) {
		secret_of(ctx, key, purpose, secret, h);
		taxid_q_blob(q, 4, h, 32);
	}
	taxid_q_int(q, 5, ctx->now);
	taxid_q_int(q, 6, *expires_at);
	taxid_q_int(q, 7, max_attempts);
	taxid_q_text(q, 8, dj); /* NULL: no data */
	free(dj);
	return taxid_q_exec(q);
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
	if (!dj)
		return TAXID_E_INTERNAL;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_CHALLENGE_SET_DATA);
	taxid_q_text(q, 1, key);
	taxid_q_text(q, 2, dj);
	free(dj);
	return taxid_q_exec(q);
}

enum taxid_code taxid_challenge_check_key(struct taxid_ctx *ctx, const char *id, const char *purpose,
					  const unsigned char subject[32], const char *secret, int consume,
					  const char *field, json_t **data)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_CHALLENGE_GET);
	taxid_q_text(q, 1, id);
	if (!taxid_q_step(q)) {
		enum taxid_code e = taxid_q_end(q);
		return e ? e : taxid_fail(ctx, TAXID_E_CHALLENGE_INVALID, field);
	}
	size_t n;
	const void *who = taxid_q_col_blob(q, 1, &n);
	int same_purpose = strcmp(taxid_q_col_text(q, 0), purpose) == 0;
	int same_subject = !subject || (n == 32 && taxid_ct_equal(who, subject, 32));
	const void *hash = taxid_q_col_blob(q, 2, &n);
	int has_secret = n == 32;
	unsigned char stored[32] = {0};
	if (has_secret)
		memcpy(stored, hash, 32);
	int64_t expires = taxid_q_col_int(q, 3);
	int open = strcmp(taxid_q_col_text(q, 6), "open") == 0;
	const char *dj = taxid_q_col_text(q, 7);
	json_t *d = dj ? json_loads(dj, 0, NULL) : NULL;
	enum taxid_code c = taxid_q_end(q);
	if (c) {
		json_decref(d);
		return c;
	}

	if (!same_purpose || !same_subject || !open) {
		c = taxid_fail(ctx, TAXID_E_CHALLENGE_INVALID, field);
	} else if (ctx->now >= expires) {
		c = taxid_fail(ctx, TAXID_E_CHALLENGE_EXPIRED, field);
	} else if (has_secret) {
		unsigned char h[32];
		secret_of(ctx, id, purpose, secret ? secret : "", h);
		if (!secret || !taxid_ct_equal(h, stored, 32)) {
			/* A wrong code is counted, and the count must survive the refusal. */
			q = taxid_q(ctx, TAXID_SQL_CHALLENGE_ATTEMPT);
			taxid_q_text(q, 1, id);
			int row = taxid_q_step(q), dead = row && strcmp(taxid_q_col_text(q, 0), "dead") == 0;
			if ((c = taxid_q_end(q)) || !row) {
				c = c ? c : TAXID_E_INTERNAL; /* the challenge was read a moment ago */
			} else {
				taxid_keep_changes(ctx);
				c = taxid_fail(ctx, dead ? TAXID_E_CHALLENGE_EXHAUSTED : TAXID_E_SMS_CODE_INVALID, field);
			}
		}
	}
	if (!c && consume) {
		q = taxid_q(ctx, TAXID_SQL_CHALLENGE_USE);
		taxid_q_text(q, 1, id);
		c = taxid_q_exec(q);
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
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_CHALLENGE_KILL);
	taxid_q_text(q, 1, purpose);
	taxid_q_blob(q, 2, subject, 32);
	return taxid_q_exec(q);
}

enum taxid_code taxid_outbox_put(struct taxid_ctx *ctx, const char *channel, const char *to, const char *body)
{
	size_t tl, bl;
	unsigned char *te = taxid_pii_seal(ctx->keys, "outbox.to", to, &tl);
	unsigned char *be = taxid_pii_seal(ctx->keys, "outbox.body", body, &bl);
	enum taxid_code c = TAXID_E_INTERNAL;
	if (te && be) {
		struct taxid_q *q = taxid_q(ctx, TAXID_SQL_OUTBOX_PUT);
		taxid_q_text(q, 1, channel);
		taxid_q_blob(q, 2, te, tl);
		taxid_q_blob(q, 3, be, bl);
		taxid_q_int(q, 4, ctx->now);
		c = taxid_q_exec(q);
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
	{"supplement", 1}, /* the bank-reserved phone of a supplement by bank card (issue 14) */
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
	if (!sj || !aj) {
		free(sj);
		free(aj);
		return TAXID_E_INTERNAL;
	}
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SMS_LAST);
	taxid_q_blob(q, 1, subject, 32);
	taxid_q_text(q, 2, aj);
	free(aj);
	int64_t last = taxid_q_one_int(q, -1);
	long long cooldown = sms_policy(ctx, "resend_seconds", 60);
	if (last >= 0 && ctx->now < last + cooldown) {
		free(sj);
		return taxid_fail_detail(ctx, TAXID_E_SMS_COOLDOWN, "phone",
					 json_pack("{s:I}", "retry_after", (json_int_t)(last + cooldown - ctx->now)));
	}

	/* the day's cap of this purpose's class */
	int64_t midnight = taxid_next_local_midnight(ctx->now, ctx->tz_offset) - 86400;
	q = taxid_q(ctx, TAXID_SQL_SMS_COUNT_SINCE);
	taxid_q_blob(q, 1, subject, 32);
	taxid_q_text(q, 2, sj);
	taxid_q_int(q, 3, midnight);
	free(sj);
	long long today = taxid_q_one_int(q, 0);
	if (today >= (open ? sms_policy(ctx, "open_daily_cap", 5) : sms_policy(ctx, "daily_cap", 10)))
		return taxid_fail(ctx, TAXID_E_SMS_DAILY_CAP, "phone");

	/* A new code supersedes the open ones of the same purpose for this phone. */
	enum taxid_code c;
	q = taxid_q(ctx, TAXID_SQL_CHALLENGE_SUPERSEDE);
	taxid_q_blob(q, 1, subject, 32);
	taxid_q_text(q, 2, full);
	if ((c = taxid_q_exec(q)))
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
