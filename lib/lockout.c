/* The one lock mechanism: a counter per (scope, subject), policy rows per scope, one place that decides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "keys.h"
#include "lockout.h"
#include "record.h"
#include "rules.h"

struct policy {
	int threshold;
	char window[8];
	long long window_seconds;
	char duration[12];
	long long duration_seconds;
};

struct counter {
	int exists, failures, captcha;
	int64_t first, last, locked_until, locked_at; /* locked_until 0: not locked */
	char source[24];
};

void taxid_lock_subject_account(long long account_id, char out[40])
{
	snprintf(out, 40, "account:%lld", account_id);
}

void taxid_lock_subject_shadow(struct taxid_ctx *ctx, const char *account_string, char out[80])
{
	unsigned char h[32];
	taxid_secret_hash(ctx->keys, "lock/shadow", account_string, strlen(account_string), h);
	char *hex = taxid_hex_encode(h, 16);
	snprintf(out, 80, "shadow:%s", hex ? hex : "");
	free(hex);
}

/* "declaration:<tin>" takes the "declaration" policy. */
static enum taxid_code load_policy(struct taxid_ctx *ctx, const char *scope, struct policy *p)
{
	char base[32];
	size_t n = strcspn(scope, ":");
	snprintf(base, sizeof base, "%.*s", (int)n, scope);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_LOCK_POLICY_GET);
	taxid_q_text(q, 1, base);
	if (taxid_q_step(q)) {
		p->threshold = (int)taxid_q_col_int(q, 0);
		snprintf(p->window, sizeof p->window, "%s", taxid_q_col_text(q, 1));
		p->window_seconds = taxid_q_col_int(q, 2);
		snprintf(p->duration, sizeof p->duration, "%s", taxid_q_col_text(q, 3));
		p->duration_seconds = taxid_q_col_int(q, 4);
		return taxid_q_end(q);
	}
	enum taxid_code c = taxid_q_end(q);
	if (c)
		return c;
	if (strcmp(base, "declaration_all") == 0) {
		/* issue 10 item 8: the enterprise's own counter over every person's wrong declaration passwords — so
		 * several accounts cannot multiply the guesses — N a local day (a setting) lock password entry for
		 * everyone until local midnight */
		long long cap = taxid_setting_int(ctx, "declpw.enterprise_daily_cap", 20);
		p->threshold = cap > 0 ? (int)cap : 20;
		strcpy(p->window, "day");
		p->window_seconds = 0;
		strcpy(p->duration, "midnight");
		p->duration_seconds = 0;
	} else { /* a scope without a row gets the national rule */
		p->threshold = TAXID_LOCK_THRESHOLD;
		strcpy(p->window, "none");
		p->window_seconds = 0;
		strcpy(p->duration, "seconds");
		p->duration_seconds = TAXID_LOCK_SECONDS;
	}
	return TAXID_OK;
}

static enum taxid_code load_counter(struct taxid_ctx *ctx, const char *scope, const char *subject, struct counter *k)
{
	memset(k, 0, sizeof *k);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_LOCK_GET);
	taxid_q_text(q, 1, scope);
	taxid_q_text(q, 2, subject);
	if (taxid_q_step(q)) {
		k->exists = 1;
		k->failures = (int)taxid_q_col_int(q, 0);
		k->first = taxid_q_col_int(q, 1);
		k->last = taxid_q_col_int(q, 2);
		k->locked_until = taxid_q_col_int(q, 3);
		k->captcha = (int)taxid_q_col_int(q, 4);
		if (!taxid_q_is_null(q, 5))
			snprintf(k->source, sizeof k->source, "%s", taxid_q_col_text(q, 5));
		k->locked_at = taxid_q_col_int(q, 6);
	}
	return taxid_q_end(q);
}

static enum taxid_code store_counter(struct taxid_ctx *ctx, const char *scope, const char *subject,
				     const struct counter *k)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_LOCK_PUT);
	taxid_q_text(q, 1, scope);
	taxid_q_text(q, 2, subject);
	taxid_q_int(q, 3, k->failures);
	if (k->first) /* an unbound parameter is NULL */
		taxid_q_int(q, 4, k->first);
	if (k->last)
		taxid_q_int(q, 5, k->last);
	if (k->locked_until)
		taxid_q_int(q, 6, k->locked_until);
	taxid_q_int(q, 7, k->captcha);
	if (k->source[0])
		taxid_q_text(q, 8, k->source);
	if (k->locked_at)
		taxid_q_int(q, 9, k->locked_at);
	return taxid_q_exec(q);
}

static enum taxid_code delete_counter(struct taxid_ctx *ctx, const char *scope, const char *subject)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_LOCK_DELETE);
	taxid_q_text(q, 1, scope);
	taxid_q_text(q, 2, subject);
	return taxid_q_exec(q);
}

static void fill_state(const struct counter *k, const struct policy *p, struct taxid_lock_state *s)
{
	if (!s)
		return;
	s->failures = k->failures;
	s->locked = k->locked_until != 0;
	s->locked_until = k->locked_until;
	s->captcha = k->captcha;
	s->threshold = p->threshold;
}

static json_t *until_json(int64_t t)
{
	char at[TAXID_TIME_LEN];
	if (t >= TAXID_LOCK_PERMANENT)
		return json_string("permanent");
	taxid_time_format(t, at);
	return json_string(at);
}

/* Has the window that the counted failures belong to passed? Then they no longer count. */
static int window_over(struct taxid_ctx *ctx, const struct policy *p, const struct counter *k)
{
	if (!k->failures)
		return 0;
	if (strcmp(p->window, "sliding") == 0)
		return ctx->now - k->first >= p->window_seconds;
	if (strcmp(p->window, "day") == 0)
		return taxid_local_ymd(k->first, ctx->tz_offset) != taxid_local_ymd(ctx->now, ctx->tz_offset);
	return 0;
}

enum taxid_code taxid_lock_check(struct taxid_ctx *ctx, const char *scope, const char *subject,
				 struct taxid_lock_state *s)
{
	struct policy p;
	struct counter k;
	enum taxid_code c;
	if ((c = load_policy(ctx, scope, &p)) || (c = load_counter(ctx, scope, subject, &k)))
		return c;
	if (k.locked_until && ctx->now >= k.locked_until) {
		/* The first read after a timed expiry lifts the lock, once, and says so in the audit. */
		char until[TAXID_TIME_LEN];
		taxid_time_format(k.locked_until, until);
		memset(&k, 0, sizeof k);
		if ((c = delete_counter(ctx, scope, subject)) ||
		    (c = taxid_audit_new(ctx, "unlock_time", subject, NULL, json_pack("{s:s,s:s}", "scope", scope, "locked_until", until))))
			return c;
		taxid_keep_changes(ctx);
	} else if (!k.locked_until && window_over(ctx, &p, &k)) {
		/* the failures have left the window: neither they nor the captcha they asked for count any more */
		k.failures = 0;
		k.first = 0;
		k.captcha = 0;
	}
	fill_state(&k, &p, s);
	if (k.locked_until)
		return taxid_fail_detail(ctx, TAXID_E_LOCKED, NULL,
					 json_pack("{s:s,s:o}", "scope", scope, "locked_until", until_json(k.locked_until)));
	return TAXID_OK;
}

enum taxid_code taxid_lock_fail(struct taxid_ctx *ctx, const char *scope, const char *subject, const char *source,
				struct taxid_lock_state *s)
{
	struct policy p;
	struct counter k;
	enum taxid_code c;
	if ((c = load_policy(ctx, scope, &p)) || (c = load_counter(ctx, scope, subject, &k)))
		return c;
	if (k.locked_until && ctx->now < k.locked_until) { /* locked: not counted, not extended */
		fill_state(&k, &p, s);
		return TAXID_OK;
	}
	if (k.locked_until || window_over(ctx, &p, &k)) {
		k.failures = 0;
		k.locked_until = 0;
	}
	if (k.failures == 0)
		k.first = ctx->now;
	k.failures++;
	k.last = ctx->now;
	/* a wrong password makes the next attempt need a captcha: the login's and a declaration password's (issue 10) */
	k.captcha = strncmp(scope, "password", 8) == 0 || strncmp(scope, "declaration:", 12) == 0;
	snprintf(k.source, sizeof k.source, "%s", source ? source : scope);
	int locks = k.failures >= p.threshold;
	if (locks) {
		if (strcmp(p.duration, "midnight") == 0)
			k.locked_until = taxid_next_local_midnight(ctx->now, ctx->tz_offset);
		else if (strcmp(p.duration, "permanent") == 0)
			k.locked_until = TAXID_LOCK_PERMANENT;
		else
			k.locked_until = ctx->now + p.duration_seconds;
		k.locked_at = ctx->now;
	}
	if ((c = store_counter(ctx, scope, subject, &k)))
		return c;
	c = taxid_audit_new(ctx, locks ? "lock" : "failure", subject, NULL,
			json_pack("{s:s,s:i,s:s}", "scope", scope, "failures", k.failures, "source", k.source));
	taxid_keep_changes(ctx);
	fill_state(&k, &p, s);
	return c;
}

enum taxid_code taxid_lock_success(struct taxid_ctx *ctx, const char *scope, const char *subject)
{
	struct counter k;
	enum taxid_code c = load_counter(ctx, scope, subject, &k);
	if (c || !k.exists)
		return c;
	return delete_counter(ctx, scope, subject);
}

enum taxid_code taxid_lock_clear(struct taxid_ctx *ctx, const char *scope, const char *subject, const char *reason,
				 const char *actor, int *was_locked)
{
	struct counter k;
	enum taxid_code c = load_counter(ctx, scope, subject, &k);
	if (c)
		return c;
	*was_locked = k.locked_until != 0 && ctx->now < k.locked_until;
	if (!k.exists)
		return TAXID_OK; /* nothing to clear: idempotent, and no audit row for nothing */
	if ((c = delete_counter(ctx, scope, subject)))
		return c;
	return taxid_audit_new(ctx, "unlock", subject, actor,
			   json_pack("{s:s,s:s,s:b,s:i}", "scope", scope, "reason", reason ? reason : "", "was_locked",
				     *was_locked, "failures", k.failures));
}

json_t *taxid_lock_json(struct taxid_ctx *ctx, const char *scope, const char *subject)
{
	struct policy p;
	struct counter k;
	if (load_policy(ctx, scope, &p) || load_counter(ctx, scope, subject, &k))
		return NULL;
	int locked = k.locked_until && ctx->now < k.locked_until;
	int failures = k.failures;
	if (!locked && (k.locked_until || window_over(ctx, &p, &k)))
		failures = 0;
	json_t *o = json_pack("{s:s,s:i,s:i,s:b,s:b}", "scope", scope, "failures", failures, "threshold", p.threshold,
			      "locked", locked, "captcha_required", k.captcha && !locked && failures > 0);
	if (locked)
		json_object_set_new(o, "locked_until", until_json(k.locked_until));
	if (k.source[0])
		json_object_set_new(o, "last_source", json_string(k.source));
	if (k.last) {
		char at[TAXID_TIME_LEN];
		taxid_time_format(k.last, at);
		json_object_set_new(o, "last_failure_at", json_string(at));
	}
	return o;
}
