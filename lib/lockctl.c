/* Lock administration: policy rows, who is locked now (computed, unlike faillock), history from the audit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "audit.h"
#include "clock.h"
#include "db.h"
#include "lockctl.h"
#include "lockout.h"
#include "operator.h"
#include "record.h"
#include "rules.h"

static const char *const base_scopes[] = {"password", "declaration", "sms", "face", NULL};

static int scope_ok(const char *s)
{
	for (int i = 0; base_scopes[i]; i++)
		if (strcmp(s, base_scopes[i]) == 0)
			return 1;
	return 0;
}

static json_t *policy_row(struct taxid_q *q)
{
	return json_pack("{s:s,s:i,s:s,s:I,s:s,s:I}", "scope", taxid_q_col_text(q, 0), "threshold",
			 (int)taxid_q_col_int(q, 1), "window", taxid_q_col_text(q, 2), "window_seconds",
			 (json_int_t)taxid_q_col_int(q, 3), "duration", taxid_q_col_text(q, 4), "duration_seconds",
			 (json_int_t)taxid_q_col_int(q, 5));
}

enum taxid_code taxid_lockctl_policy_show(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_LOCK_POLICY_ALL);
	enum taxid_code c = TAXID_OK;
	while (!c && taxid_q_step(q))
		c = taxid_emit(ctx, policy_row(q));
	enum taxid_code e = taxid_q_end(q);
	return c ? c : e;
}

static enum taxid_code put_policy(struct taxid_ctx *ctx, const char *scope, long long threshold, const char *window,
				  long long window_seconds, const char *duration, long long duration_seconds)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_LOCK_POLICY_PUT);
	taxid_q_text(q, 1, scope);
	taxid_q_int(q, 2, threshold);
	taxid_q_text(q, 3, window);
	taxid_q_int(q, 4, window_seconds);
	taxid_q_text(q, 5, duration);
	taxid_q_int(q, 6, duration_seconds);
	return taxid_q_exec(q);
}

enum taxid_code taxid_lockctl_policy_parse(struct taxid_ctx *ctx, json_t *req, json_t **row)
{
	enum taxid_code c = TAXID_OK;
	*row = NULL;
	const char *scope = taxid_req_str(ctx, req, "scope", 1, &c);
	const char *window = c ? NULL : taxid_req_str(ctx, req, "window", 0, &c);
	const char *duration = c ? NULL : taxid_req_str(ctx, req, "duration", 0, &c);
	long long threshold = c ? 0 : taxid_req_int(ctx, req, "threshold", TAXID_LOCK_THRESHOLD, &c);
	long long ws = c ? 0 : taxid_req_int(ctx, req, "window_seconds", 0, &c);
	long long ds = c ? 0 : taxid_req_int(ctx, req, "duration_seconds", TAXID_LOCK_SECONDS, &c);
	if (c)
		return c;
	if (!window)
		window = "none";
	if (!duration)
		duration = "seconds";
	if (!scope_ok(scope))
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "scope",
					 json_pack("{s:[s,s,s,s]}", "allowed", "password", "declaration", "sms", "face"));
	if (threshold < 1 || threshold > 1000)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "threshold");
	if (strcmp(window, "none") && strcmp(window, "sliding") && strcmp(window, "day"))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "window");
	if (strcmp(window, "sliding") == 0 && (ws < 1 || ws > 366LL * 86400))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "window_seconds");
	if (strcmp(duration, "seconds") && strcmp(duration, "midnight") && strcmp(duration, "permanent"))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "duration");
	if (strcmp(duration, "seconds") == 0 && (ds < 1 || ds > 366LL * 86400))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "duration_seconds");
	*row = json_pack("{s:s,s:I,s:s,s:I,s:s,s:I}", "scope", scope, "threshold", (json_int_t)threshold, "window", window,
			 "window_seconds", (json_int_t)ws, "duration", duration, "duration_seconds", (json_int_t)ds);
	return *row ? TAXID_OK : TAXID_E_INTERNAL;
}

enum taxid_code taxid_lockctl_policy_set(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	json_t *row;
	enum taxid_code c = TAXID_OK;
	const char *op = taxid_operator(ctx, req, &c);
	if (c || (c = taxid_lockctl_policy_parse(ctx, req, &row)))
		return c;
	const char *scope = json_string_value(json_object_get(row, "scope"));
	if ((c = put_policy(ctx, scope, json_integer_value(json_object_get(row, "threshold")),
			    json_string_value(json_object_get(row, "window")),
			    json_integer_value(json_object_get(row, "window_seconds")),
			    json_string_value(json_object_get(row, "duration")),
			    json_integer_value(json_object_get(row, "duration_seconds")))))
		goto out;
	c = taxid_audit(ctx, "lock_policy", scope, op, row);
	json_object_update(out, row);
out:
	json_decref(row);
	return c;
}

/* The two shipped profiles (SECURITY rule 6): national — 5 consecutive failures lock 120 minutes; municipal —
 * 5 failures of one method within one local day lock it until local midnight. */
enum taxid_code taxid_lockctl_policy_profile(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *op = taxid_operator(ctx, req, &c);
	const char *name = c ? NULL : taxid_req_str(ctx, req, "name", 1, &c);
	if (c)
		return c;
	int national = strcmp(name, "national") == 0;
	if (!national && strcmp(name, "municipal") != 0)
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "name", json_pack("{s:[s,s]}", "allowed", "national", "municipal"));
	for (int i = 0; base_scopes[i] && !c; i++)
		c = national ? put_policy(ctx, base_scopes[i], TAXID_LOCK_THRESHOLD, "none", 0, "seconds", TAXID_LOCK_SECONDS)
			     : put_policy(ctx, base_scopes[i], TAXID_LOCK_THRESHOLD, "day", 0, "midnight", 0);
	if (!c)
		c = taxid_audit(ctx, "lock_profile", name, op, NULL);
	json_object_set_new(out, "profile", json_string(name));
	return c;
}

/* The lock subject of an account string: the account id when known, the shadow key otherwise. */
static enum taxid_code subject_of(struct taxid_ctx *ctx, json_t *req, char subject[80], char **login)
{
	enum taxid_code c = TAXID_OK;
	const char *account = taxid_req_str(ctx, req, "account", 1, &c);
	if (c)
		return c;
	struct taxid_account a;
	char norm[80];
	c = taxid_account_resolve(ctx, account, &a, norm);
	if (c == TAXID_OK) {
		taxid_lock_subject_account(a.id, subject);
		*login = strdup(a.login_name);
		taxid_account_clear(&a);
	} else if (c == TAXID_E_NOT_FOUND) {
		taxid_lock_subject_shadow(ctx, norm, subject);
		*login = NULL;
		c = TAXID_OK;
	}
	return c;
}

static json_t *scopes_of(struct taxid_ctx *ctx, const char *subject)
{
	json_t *scopes = json_array();
	for (int i = 0; base_scopes[i]; i++)
		if (strcmp(base_scopes[i], "declaration") != 0)
			json_array_append_new(scopes, json_string(base_scopes[i]));
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_LOCK_OF_SUBJECT);
	taxid_q_text(q, 1, subject);
	while (taxid_q_step(q))
		if (strncmp(taxid_q_col_text(q, 0), "declaration:", 12) == 0)
			json_array_append_new(scopes, json_string(taxid_q_col_text(q, 0)));
	taxid_q_end(q); /* an error is kept on the request */
	return scopes;
}

enum taxid_code taxid_lockctl_status(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	char subject[80], *login = NULL;
	enum taxid_code c = subject_of(ctx, req, subject, &login);
	if (c)
		return c;
	json_t *scopes = scopes_of(ctx, subject), *list = json_array(), *s;
	size_t i;
	json_array_foreach(scopes, i, s) {
		json_t *one = taxid_lock_json(ctx, json_string_value(s), subject);
		if (one)
			json_array_append_new(list, one);
	}
	json_decref(scopes);
	json_object_set_new(out, "known", json_boolean(login != NULL));
	if (login)
		json_object_set_new(out, "login_name", json_string(login));
	json_object_set_new(out, "scopes", list);
	free(login);
	return TAXID_OK;
}

static json_t *who(struct taxid_ctx *ctx, const char *subject)
{
	long long id;
	if (sscanf(subject, "account:%lld", &id) == 1) {
		struct taxid_account a;
		if (taxid_account_load(ctx, id, &a) == TAXID_OK) {
			json_t *s = json_string(a.login_name);
			taxid_account_clear(&a);
			return s;
		}
	}
	return json_null(); /* a shadow counter: nobody's account */
}

/* The columns of list and history as spreadsheets (--format csv). */
static const char *const list_columns[] = {"scope", "subject", "login_name", "failures", "locked_at", "locked_until",
					   "last_source", NULL};
static const char *const history_columns[] = {"id", "at", "tool", "event", "actor", "detail", NULL};

enum taxid_code taxid_lockctl_list(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code fc = taxid_req_format(ctx, req, list_columns);
	if (fc)
		return fc;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_LOCK_LOCKED);
	taxid_q_int(q, 1, ctx->now);
	json_t *rows = json_array();
	while (taxid_q_step(q)) {
		char until[TAXID_TIME_LEN], at[TAXID_TIME_LEN];
		int64_t u = taxid_q_col_int(q, 3);
		taxid_time_format(u, until);
		taxid_time_format(taxid_q_col_int(q, 5), at);
		json_array_append_new(rows, json_pack("{s:s,s:s,s:i,s:s,s:s,s:s?}", "scope", taxid_q_col_text(q, 0),
						      "subject", taxid_q_col_text(q, 1), "failures",
						      (int)taxid_q_col_int(q, 2), "locked_at", at, "locked_until",
						      u >= TAXID_LOCK_PERMANENT ? "permanent" : until, "last_source",
						      taxid_q_col_text(q, 4)));
	}
	enum taxid_code c = taxid_q_end(q);
	if (c) {
		json_decref(rows);
		return c;
	}
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		if (c)
			break;
		json_object_set_new(r, "login_name", who(ctx, json_string_value(json_object_get(r, "subject"))));
		c = taxid_emit(ctx, json_incref(r));
	}
	json_decref(rows);
	return c;
}

enum taxid_code taxid_lockctl_history(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	char subject[80], *login = NULL;
	enum taxid_code c = subject_of(ctx, req, subject, &login);
	if (!c)
		c = taxid_req_format(ctx, req, history_columns);
	if (c) {
		free(login);
		return c;
	}
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_AUDIT_OF_SUBJECT);
	taxid_q_text(q, 1, subject);
	while (!c && taxid_q_step(q)) {
		json_t *row = json_pack("{s:I,s:s,s:s,s:s,s:s?,s:o}", "id", (json_int_t)taxid_q_col_int(q, 0), "at",
					taxid_q_col_text(q, 1), "tool", taxid_q_col_text(q, 2), "event", taxid_q_col_text(q, 3),
					"actor", taxid_q_col_text(q, 4), "detail", json_loads(taxid_q_col_text(q, 5), 0, NULL));
		c = taxid_emit(ctx, row);
	}
	enum taxid_code e = taxid_q_end(q);
	free(login);
	return c ? c : e;
}

enum taxid_code taxid_lockctl_clear(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *operator = taxid_operator(ctx, req, &c);
	const char *reason = c ? NULL : taxid_req_str(ctx, req, "reason", 1, &c);
	const char *scope = c ? NULL : taxid_req_str(ctx, req, "scope", 0, &c);
	int all = c ? 0 : taxid_req_bool(ctx, req, "all", 0, &c);
	if (c)
		return c;
	if (all) {
		/* A bulk unlock needs the operator to say how many they expect to unlock. */
		long long confirm = taxid_req_int(ctx, req, "confirm", -1, &c);
		if (c)
			return c;
		struct taxid_q *q = taxid_q(ctx, TAXID_SQL_LOCK_LOCKED);
		taxid_q_int(q, 1, ctx->now);
		json_t *locked = json_array();
		while (taxid_q_step(q))
			json_array_append_new(locked, json_pack("[s,s]", taxid_q_col_text(q, 0), taxid_q_col_text(q, 1)));
		if ((c = taxid_q_end(q))) {
			json_decref(locked);
			return c;
		}
		if (confirm != (long long)json_array_size(locked)) {
			json_t *d = json_pack("{s:I}", "locked_now", (json_int_t)json_array_size(locked));
			json_decref(locked);
			return taxid_fail_detail(ctx, TAXID_E_CONFIRMATION_MISMATCH, "confirm", d);
		}
		size_t i;
		json_t *e;
		int was;
		json_array_foreach(locked, i, e) if (!c) c = taxid_lock_clear(ctx, json_string_value(json_array_get(e, 0)),
								json_string_value(json_array_get(e, 1)), reason, operator, &was);
		json_object_set_new(out, "unlocked", json_integer((json_int_t)json_array_size(locked)));
		json_decref(locked);
		return c;
	}
	char subject[80], *login = NULL;
	if ((c = subject_of(ctx, req, subject, &login)))
		return c;
	json_t *scopes = scope ? json_pack("[s]", scope) : scopes_of(ctx, subject), *s;
	json_t *cleared = json_array();
	size_t i;
	json_array_foreach(scopes, i, s) {
		int was = 0;
		if (c)
			break;
		c = taxid_lock_clear(ctx, json_string_value(s), subject, reason, operator, &was);
		if (!c && was)
			json_array_append(cleared, s);
	}
	json_decref(scopes);
	if (login)
		json_object_set_new(out, "login_name", json_string(login));
	json_object_set_new(out, "unlocked", cleared);
	free(login);
	return c;
}
