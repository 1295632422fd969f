/* Login: the password step, the second factor, sessions, password change/reset, rename, QR login.
 * Enumeration safety (SECURITY rule 11): unknown accounts take the same path — a shadow lock counter keyed by
 * the normalised account string, the same captcha rule, the same refusal, and one argon2 computation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "audit.h"
#include "challenge.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "ids.h"
#include "keys.h"
#include "lockout.h"
#include "login.h"
#include "person.h"
#include "operator.h"
#include "realname.h"
#include "record.h"
#include "verdict.h"
#include "verify.h"

/* A challenge subject for an account: 32 bytes that only this account maps to. */
static void account_subject(long long id, unsigned char out[32])
{
	char s[40];
	taxid_lock_subject_account(id, s);
	taxid_sha256(s, strlen(s), out);
}

void taxid_login_set_time(json_t *o, const char *key, int64_t t)
{
	char at[TAXID_TIME_LEN];
	taxid_time_format(t, at);
	json_object_set_new(o, key, json_string(at));
}

/* The resident-ID number of a person (the face subject), decrypted; NULL when they have none. */
char *taxid_login_resident_number(struct taxid_ctx *ctx, long long person_id)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_DOC_OF_PERSON);
	taxid_q_int(q, 1, person_id);
	taxid_q_int(q, 2, TAXID_DOC_RESIDENT_ID);
	long long doc = taxid_q_one_int(q, 0);
	int type;
	return doc ? taxid_person_doc_number(ctx, doc, &type) : NULL;
}

/* Rehash on success when the stored hash predates the pepper or the policy (SECURITY rule 2); h was made before
 * the transaction (NULL: nothing to do). */
static enum taxid_code store_rehash(struct taxid_ctx *ctx, const struct taxid_account *a, const char *h)
{
	if (!h)
		return TAXID_OK;
	enum taxid_code c = taxid_account_set_password(ctx, a->id, h, 1, a->must_change);
	if (!c)
		c = taxid_audit_new(ctx, "rehash", a->login_name, NULL, NULL);
	return c;
}

static enum taxid_code send_sms(struct taxid_ctx *ctx, const char *phone, const char *purpose, json_t *out)
{
	json_t *sms = json_object();
	enum taxid_code c = taxid_sms_send(ctx, phone, purpose, sms);
	if (!c)
		json_object_set_new(out, "sms", sms);
	else
		json_decref(sms);
	return c;
}

/* An expired document does not stop a login (seeds 000, 001): the result warns and says what renews it; key
 * business (taxid-bind's gates) is refused until then. */
static enum taxid_code expiry_warning(struct taxid_ctx *ctx, long long person_id, json_t *out)
{
	json_t *d;
	enum taxid_code c = taxid_realname_expired(ctx, person_id, &d);
	if (c || !d)
		return c;
	json_object_set_new(d, "message", json_string(taxid_error_message(TAXID_E_DOCUMENT_EXPIRED, ctx->zh)));
	json_object_set_new(out, "warnings", json_pack("[s]", "document_expired"));
	json_object_set_new(out, "document_expired", d);
	return TAXID_OK;
}

/* A session made with factor; parent (may be NULL) is the session a QR login derives from, whose kind and scope
 * the new one keeps (issue 14 item 5: a QR confirmed in an enterprise session opens the same enterprise); without
 * a parent, a personal one. */
static enum taxid_code issue_session(struct taxid_ctx *ctx, const struct taxid_account *a, const char *factor,
				     const struct taxid_session *parent, json_t *out)
{
	char token[TAXID_TOKEN_LEN];
	int64_t expires;
	const char *kind = parent && strcmp(parent->kind, "enterprise") == 0 ? "enterprise" : "personal";
	const char *scope = strcmp(kind, "enterprise") == 0 ? parent->scope : NULL;
	enum taxid_code c = taxid_session_issue(ctx, a->id, kind, factor, scope, parent, token, &expires);
	if (c)
		return c;
	json_t *s = json_pack("{s:s,s:s,s:s,s:s?}", "token", token, "kind", kind, "factor", factor, "scope", scope);
	int64_t idle = ctx->now + taxid_setting_int(ctx, "session.idle_seconds", 1800);
	taxid_login_set_time(s, "expires_at", expires);
	taxid_login_set_time(s, "idle_expires_at", idle < expires ? idle : expires);
	json_object_set_new(out, "session", s);
	json_object_set_new(out, "must_change_password", json_false());
	json_object_set_new(out, "login_name", json_string(a->login_name));
	taxid_wipe(token, sizeof token);
	if ((c = expiry_warning(ctx, a->person_id, out)))
		return c;
	return taxid_audit_new(ctx, "login", a->login_name, NULL, json_pack("{s:s,s:s?}", "kind", factor, "scope", scope));
}

/* What the password step carries from its first part (outside the lock) to its second. */
struct attempt {
	const char *account, *pw;
	struct taxid_account a; /* loaded while known (cleared between the two parts) */
	char norm[80], subject[80];
	int known, ok;
	char *verified; /* the hash verified in the first part */
	char *rehash;   /* a new hash to store on success (rule 2), made outside the lock too */
};

static void attempt_clear(struct attempt *t)
{
	free(t->verified);
	t->verified = NULL;
	if (t->rehash) {
		taxid_wipe(t->rehash, strlen(t->rehash));
		free(t->rehash);
		t->rehash = NULL;
	}
}

/* 1. Outside the transaction: read the account and verify (or do the dummy work). */
static enum taxid_code attempt_verify(struct taxid_ctx *ctx, struct attempt *t)
{
	enum taxid_code c = taxid_account_resolve(ctx, t->account, &t->a, t->norm);
	t->known = c == TAXID_OK;
	if (c && c != TAXID_E_NOT_FOUND)
		return c;
	t->ok = t->known ? taxid_password_verify(ctx, t->a.password_hash, t->a.peppered, t->pw) == 1
			 : (taxid_password_dummy(ctx, t->pw), 0);
	t->verified = t->known ? strdup(t->a.password_hash) : NULL;
	if (t->ok) {
		struct taxid_argon2_params p;
		taxid_password_params(ctx, &p);
		if (!t->a.peppered || taxid_argon2_needs_rehash(t->a.password_hash, &p))
			t->rehash = taxid_password_hash(ctx, t->pw);
	}
	if (t->known)
		taxid_account_clear(&t->a);
	return t->known && !t->verified ? TAXID_E_INTERNAL : TAXID_OK;
}

/* 2. Inside the transaction: the account again (it may have changed meanwhile), and the subject of its locks. */
static enum taxid_code attempt_recheck(struct taxid_ctx *ctx, struct attempt *t)
{
	enum taxid_code c = taxid_account_resolve(ctx, t->account, &t->a, t->norm);
	int still = c == TAXID_OK;
	if (c && c != TAXID_E_NOT_FOUND)
		return c;
	if (still != t->known || (still && (strlen(t->a.password_hash) != strlen(t->verified) ||
					     !taxid_ct_equal(t->a.password_hash, t->verified, strlen(t->verified))))) {
		/* created, removed or given a new password between the two steps: decide on what is stored now */
		t->ok = still && taxid_password_verify(ctx, t->a.password_hash, t->a.peppered, t->pw) == 1;
		if (t->rehash) {
			taxid_wipe(t->rehash, strlen(t->rehash));
			free(t->rehash);
			t->rehash = NULL;
		}
		t->known = still;
	}
	free(t->verified);
	t->verified = NULL;
	if (t->known)
		taxid_lock_subject_account(t->a.id, t->subject);
	else
		taxid_lock_subject_shadow(ctx, t->norm, t->subject);
	return TAXID_OK;
}

/* A password lock just reached kills the account's login transactions in flight (rule 15; account_id 0, an
 * unknown account, has none); the refusal has the same shape as one while locked. */
static enum taxid_code locked_now(struct taxid_ctx *ctx, long long account_id, const struct taxid_lock_state *ls)
{
	if (account_id) {
		unsigned char sub[32];
		enum taxid_code c;
		account_subject(account_id, sub);
		if ((c = taxid_challenge_kill(ctx, "login_tx", sub)))
			return c;
	}
	json_t *d = json_pack("{s:s}", "scope", TAXID_LOGIN_SCOPE_PASSWORD);
	taxid_login_set_time(d, "locked_until", ls->locked_until);
	return taxid_fail_detail(ctx, TAXID_E_LOCKED, "password", d);
}

/* A wrong password: counted; locked now, or refused with a captcha required from now on. */
static enum taxid_code wrong_password(struct taxid_ctx *ctx, const struct attempt *t, struct taxid_lock_state *ls)
{
	enum taxid_code c = taxid_lock_fail(ctx, TAXID_LOGIN_SCOPE_PASSWORD, t->subject, "password", ls);
	if (c)
		return c;
	if (ls->locked)
		return locked_now(ctx, t->known ? t->a.id : 0, ls);
	return taxid_fail_detail(ctx, TAXID_E_BAD_CREDENTIALS, "password", json_pack("{s:b}", "captcha_required", 1));
}

/* A refusal whose changes (counters reset, a nonce spent) are kept. */
static enum taxid_code refuse_kept(struct taxid_ctx *ctx, enum taxid_code code, const char *field)
{
	enum taxid_code c = taxid_fail(ctx, code, field);
	taxid_keep_changes(ctx);
	return c;
}

/* A single-use transaction of purpose for the account, ttl seconds (data: its members, consumed). */
static enum taxid_code account_tx(struct taxid_ctx *ctx, long long account_id, const char *purpose, int ttl, json_t *data,
				  char id[TAXID_CHALLENGE_ID_LEN], int64_t *exp)
{
	unsigned char sub[32];
	account_subject(account_id, sub);
	enum taxid_code c = taxid_challenge_create(ctx, purpose, sub, NULL, ttl, 1, data, id, exp);
	json_decref(data);
	return c;
}

/* An initial password only ever leads to a password change (rule 18): a change_tx, as a refusal. */
static enum taxid_code must_change(struct taxid_ctx *ctx, const struct taxid_account *a)
{
	if (a->initial_expires_at && ctx->now >= a->initial_expires_at)
		return refuse_kept(ctx, TAXID_E_INITIAL_PASSWORD_EXPIRED, "password");
	char id[TAXID_CHALLENGE_ID_LEN];
	int64_t exp;
	enum taxid_code c = account_tx(ctx, a->id, "passwd", 600, json_pack("{s:I}", "account_id", (json_int_t)a->id), id, &exp);
	if (!c)
		c = taxid_audit_new(ctx, "login_initial", a->login_name, NULL, NULL);
	if (!c) {
		json_t *d = json_pack("{s:s}", "change_tx", id);
		taxid_login_set_time(d, "expires_at", exp);
		c = taxid_fail_detail(ctx, TAXID_E_MUST_CHANGE_PASSWORD, "password", d);
		taxid_keep_changes(ctx);
	}
	return c;
}

/* The password passed: a login transaction for the second factor (factor NULL: sms when there is a phone). */
static enum taxid_code next_factor(struct taxid_ctx *ctx, const struct taxid_account *a, const char *factor, json_t *out)
{
	if (!factor)
		factor = a->phone ? "sms" : "face";
	if (strcmp(factor, "sms") == 0 && !a->phone)
		return refuse_kept(ctx, TAXID_E_SECOND_FACTOR_FAILED, "second_factor");
	char id[TAXID_CHALLENGE_ID_LEN];
	int64_t exp;
	json_t *data = json_pack("{s:I,s:s}", "account_id", (json_int_t)a->id, "factor", factor);
	enum taxid_code c = account_tx(ctx, a->id, "login_tx", 600, data, id, &exp);
	if (!c && strcmp(factor, "sms") == 0)
		c = send_sms(ctx, a->phone, "login", out);
	if (!c)
		c = taxid_audit_new(ctx, "login_password", a->login_name, NULL, json_pack("{s:s}", "next", factor));
	if (!c) {
		json_object_set_new(out, "next", json_string(factor));
		json_object_set_new(out, "login_tx", json_string(id));
		taxid_login_set_time(out, "expires_at", exp);
	}
	return c;
}

/* 2, continued: the lock state, the captcha, then the decision, counted and audited. */
static enum taxid_code decide(struct taxid_ctx *ctx, json_t *req, struct attempt *t, const char *factor, json_t *out)
{
	struct taxid_lock_state ls;
	enum taxid_code c = taxid_lock_check(ctx, TAXID_LOGIN_SCOPE_PASSWORD, t->subject, &ls);
	if (!c && ls.captcha) {
		json_t *cap = json_object_get(req, "captcha");
		if (!cap) {
			c = taxid_fail(ctx, TAXID_E_CAPTCHA_REQUIRED, "captcha");
		} else {
			struct taxid_verdict v;
			c = taxid_verdict_check(ctx, cap, "captcha", t->account, 1, "captcha", &v);
			if (!c && !taxid_verdict_passed(ctx, &v))
				c = taxid_fail(ctx, TAXID_E_CAPTCHA_REQUIRED, "captcha");
			if (!c || c == TAXID_E_CAPTCHA_REQUIRED)
				taxid_keep_changes(ctx); /* the captcha's nonce is spent either way */
		}
	}
	if (c) /* locked or captcha missing: not evaluated, not counted (the same work was done above) */
		return c;
	if (!t->ok)
		return wrong_password(ctx, t, &ls);
	if (t->a.abnormal)
		return taxid_fail(ctx, TAXID_E_IDENTITY_ABNORMAL, "account");
	if ((c = taxid_lock_success(ctx, TAXID_LOGIN_SCOPE_PASSWORD, t->subject)) || (c = store_rehash(ctx, &t->a, t->rehash)))
		return c;
	if (t->a.must_change)
		return must_change(ctx, &t->a);
	if (taxid_setting_int(ctx, "login.password_only", 0))
		return issue_session(ctx, &t->a, "password", NULL, out);
	return next_factor(ctx, &t->a, factor, out);
}

/* The password step (SECURITY rules 2, 7-11, 15, 18). Rule 7: the argon2 work is done first, outside any write
 * lock (one computation on every path, so known, unknown, locked and captcha-less attempts cost the same); then one
 * short write transaction re-reads the account and the lock state, decides, counts and audits. */
enum taxid_code taxid_login_password(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *account = taxid_req_str(ctx, req, "account", 1, &c);
	const char *pw = c ? NULL : taxid_req_str(ctx, req, "password", 1, &c);
	const char *factor = c ? NULL : taxid_req_str(ctx, req, "second_factor", 0, &c);
	if (c)
		return c;
	if (factor && strcmp(factor, "sms") != 0 && strcmp(factor, "face") != 0)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "second_factor");
	struct attempt t = {.account = account, .pw = pw};
	if (!(c = attempt_verify(ctx, &t)) && !(c = taxid_db_begin(ctx)) && !(c = attempt_recheck(ctx, &t))) {
		c = decide(ctx, req, &t, factor, out);
		if (t.known)
			taxid_account_clear(&t.a);
	}
	attempt_clear(&t);
	return c;
}

/* Open a login transaction without using it up; *account_id and the factor chosen at the password step. */
static enum taxid_code open_tx(struct taxid_ctx *ctx, const char *id, const char *purpose, long long *account_id,
			       char factor[8], const char *field)
{
	json_t *data = NULL;
	enum taxid_code c = taxid_challenge_check(ctx, id, purpose, NULL, NULL, 0, field, &data);
	if (c) {
		ctx->err_detail = (json_decref(ctx->err_detail), NULL);
		return taxid_fail(ctx, TAXID_E_LOGIN_TX_INVALID, field);
	}
	*account_id = json_integer_value(json_object_get(data, "account_id"));
	if (factor)
	{
		const char *f = json_string_value(json_object_get(data, "factor"));
		snprintf(factor, 8, "%s", f ? f : "");
	}
	json_decref(data);
	return TAXID_OK;
}

static enum taxid_code use_tx(struct taxid_ctx *ctx, const char *id, const char *purpose)
{
	return taxid_challenge_check(ctx, id, purpose, NULL, NULL, 1, "login_tx", NULL);
}

enum taxid_code taxid_login_2fa(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *tx = taxid_req_str(ctx, req, "login_tx", 1, &c);
	if (c)
		return c;
	long long aid;
	char factor[8];
	if ((c = open_tx(ctx, tx, "login_tx", &aid, factor, "login_tx")))
		return c;
	/* The factor presented decides, if the password step's choice allows it. */
	if (json_object_get(req, "face"))
		snprintf(factor, sizeof factor, "face");
	else if (json_object_get(req, "sms"))
		snprintf(factor, sizeof factor, "sms");
	struct taxid_account a;
	if ((c = taxid_account_load(ctx, aid, &a)))
		return c == TAXID_E_NOT_FOUND ? taxid_fail(ctx, TAXID_E_LOGIN_TX_INVALID, "login_tx") : c;
	char subject[40];
	taxid_lock_subject_account(a.id, subject);
	struct taxid_lock_state ls;
	if ((c = taxid_lock_check(ctx, factor, subject, &ls)) ||
	    (c = taxid_lock_check(ctx, TAXID_LOGIN_SCOPE_PASSWORD, subject, &ls)))
		goto out;
	int passed = 0;
	if (strcmp(factor, "sms") == 0) {
		if (!a.phone) {
			c = taxid_fail(ctx, TAXID_E_SECOND_FACTOR_FAILED, "sms");
			goto out;
		}
		c = taxid_sms_check(ctx, json_object_get(req, "sms"), a.phone, "login", "sms");
		passed = c == TAXID_OK;
		if (c == TAXID_E_MISSING_FIELD || c == TAXID_E_BAD_TYPE)
			goto out;
	} else {
		char *doc = taxid_login_resident_number(ctx, a.person_id);
		struct taxid_verdict v;
		if (!doc) {
			c = taxid_fail(ctx, TAXID_E_DOC_TYPE_NOT_ALLOWED, "face");
			goto out;
		}
		c = taxid_verdict_check(ctx, json_object_get(req, "face"), "face", doc, 1, "face", &v);
		free(doc);
		if (c == TAXID_E_MISSING_FIELD)
			goto out;
		passed = c == TAXID_OK && taxid_verdict_passed(ctx, &v);
	}
	if (!passed) {
		json_t *why = json_pack("{s:s,s:s}", "factor", factor, "reason", taxid_error_code(c ? c : TAXID_E_VERDICT_FAILED));
		json_decref(ctx->err_detail);
		ctx->err_detail = NULL;
		if ((c = taxid_lock_fail(ctx, factor, subject, factor, &ls))) {
			json_decref(why);
			goto out;
		}
		if (ls.locked) {
			unsigned char sub[32];
			account_subject(a.id, sub);
			if ((c = taxid_challenge_kill(ctx, "login_tx", sub))) {
				json_decref(why);
				goto out;
			}
			json_object_set_new(why, "scope", json_string(factor));
			taxid_login_set_time(why, "locked_until", ls.locked_until);
			c = taxid_fail_detail(ctx, TAXID_E_LOCKED, factor, why);
		} else {
			c = taxid_fail_detail(ctx, TAXID_E_SECOND_FACTOR_FAILED, factor, why);
		}
		taxid_keep_changes(ctx);
		goto out;
	}
	if ((c = use_tx(ctx, tx, "login_tx")) || (c = taxid_lock_success(ctx, factor, subject)))
		goto out;
	if (strcmp(factor, "face") == 0 && (c = taxid_person_raise_level(ctx, a.person_id, 4)))
		goto out; /* a face check raises a level-3 user to 4 (DOMAIN §2) */
	c = issue_session(ctx, &a, factor, NULL, out);
out:
	taxid_account_clear(&a);
	return c;
}

enum taxid_code taxid_login_set_password(struct taxid_ctx *ctx, struct taxid_account *a, const char *new_pw,
					const char *field)
{
	char *doc = taxid_login_resident_number(ctx, a->person_id);
	enum taxid_code c = taxid_password_check(ctx, new_pw, doc, a->phone, a->login_name, field);
	free(doc);
	if (c)
		return c;
	if (taxid_password_verify(ctx, a->password_hash, a->peppered, new_pw) == 1)
		return taxid_fail(ctx, TAXID_E_PASSWORD_REUSED, field);
	char *h = taxid_password_hash(ctx, new_pw);
	if (!h)
		return TAXID_E_INTERNAL;
	c = taxid_account_set_password(ctx, a->id, h, 1, 0);
	free(h);
	return c;
}

/* Replacing an initial password proves the bound phone or face (rule 18): anyone who knows a document number
 * knows its last six characters. With neither member, the first step: a code to the bound phone (*sent set).
 * A failed face verdict is counted under the face lock. */
static enum taxid_code initial_second_factor(struct taxid_ctx *ctx, json_t *req, struct taxid_account *a,
					     const char *new_pw, json_t *out, int *sent)
{
	json_t *sms = json_object_get(req, "sms"), *face = json_object_get(req, "face");
	char subject[40];
	struct taxid_lock_state ls;
	enum taxid_code c;
	*sent = 0;
	taxid_lock_subject_account(a->id, subject);
	if (!face && !sms) {
		if (!a->phone)
			return taxid_fail_detail(ctx, TAXID_E_SECOND_FACTOR_REQUIRED, "face",
						 json_pack("{s:[s]}", "one_of", "face"));
		char *doc = taxid_login_resident_number(ctx, a->person_id);
		c = taxid_password_check(ctx, new_pw, doc, a->phone, a->login_name, "new_password");
		free(doc);
		if (c || (c = taxid_lock_check(ctx, "sms", subject, &ls)) || (c = send_sms(ctx, a->phone, "passwd", out)))
			return c;
		json_object_set_new(out, "next", json_string("sms"));
		*sent = 1;
		return TAXID_OK;
	}
	if (!face) {
		if (!a->phone)
			return taxid_fail_detail(ctx, TAXID_E_SECOND_FACTOR_REQUIRED, "face",
						 json_pack("{s:[s]}", "one_of", "face"));
		if ((c = taxid_lock_check(ctx, "sms", subject, &ls)))
			return c;
		return taxid_sms_check(ctx, sms, a->phone, "passwd", "sms");
	}
	if ((c = taxid_lock_check(ctx, "face", subject, &ls)))
		return c;
	char *doc = taxid_login_resident_number(ctx, a->person_id);
	if (!doc)
		return taxid_fail(ctx, TAXID_E_DOC_TYPE_NOT_ALLOWED, "face");
	struct taxid_verdict v;
	c = taxid_verdict_check(ctx, face, "face", doc, 1, "face", &v);
	free(doc);
	if (c == TAXID_OK && taxid_verdict_passed(ctx, &v))
		return taxid_lock_success(ctx, "face", subject);
	if (c == TAXID_E_MISSING_FIELD || c == TAXID_E_BAD_TYPE)
		return c;
	json_decref(ctx->err_detail);
	ctx->err_detail = NULL;
	if ((c = taxid_lock_fail(ctx, "face", subject, "passwd", &ls)))
		return c;
	taxid_keep_changes(ctx); /* the verdict's nonce is spent and the failure counted */
	return taxid_fail(ctx, TAXID_E_IDENTITY_FAILED, "face");
}

enum taxid_code taxid_login_passwd(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *change_tx = taxid_req_str(ctx, req, "change_tx", 0, &c);
	const char *new_pw = c ? NULL : taxid_req_str(ctx, req, "new_password", 1, &c);
	if (c)
		return c;
	long long aid, sid = 0;
	if (change_tx) {
		if ((c = open_tx(ctx, change_tx, "passwd", &aid, NULL, "change_tx")))
			return c;
	} else {
		const char *pw = taxid_req_str(ctx, req, "password", 1, &c);
		if (c || (c = taxid_session_check(ctx, req, "session", &aid, &sid)))
			return c;
		char subject[40];
		struct taxid_lock_state ls;
		taxid_lock_subject_account(aid, subject);
		/* rule 8: while locked even the correct current password is refused */
		if ((c = taxid_lock_check(ctx, TAXID_LOGIN_SCOPE_PASSWORD, subject, &ls)))
			return c;
		struct taxid_account cur;
		if ((c = taxid_account_load(ctx, aid, &cur)))
			return c;
		int ok = taxid_password_verify(ctx, cur.password_hash, cur.peppered, pw) == 1;
		taxid_account_clear(&cur);
		if (!ok) {
			if ((c = taxid_lock_fail(ctx, TAXID_LOGIN_SCOPE_PASSWORD, subject, "passwd", &ls)))
				return c;
			return taxid_fail(ctx, TAXID_E_BAD_CREDENTIALS, "password");
		}
	}
	struct taxid_account a;
	if ((c = taxid_account_load(ctx, aid, &a)))
		return c;
	if (change_tx) {
		int sent;
		if ((c = initial_second_factor(ctx, req, &a, new_pw, out, &sent)) || sent)
			goto out;
	}
	if ((c = taxid_login_set_password(ctx, &a, new_pw, "new_password")))
		goto out;
	if (change_tx && (c = use_tx(ctx, change_tx, "passwd")))
		goto out;
	int revoked = 0;
	/* A change revokes the other sessions (rule 17); from an initial password there is no session to keep. */
	if ((c = taxid_session_revoke_all(ctx, a.id, sid, &revoked)))
		goto out;
	json_object_set_new(out, "login_name", json_string(a.login_name));
	json_object_set_new(out, "sessions_revoked", json_integer(revoked));
	c = taxid_audit_new(ctx, "passwd", a.login_name, NULL, json_pack("{s:b}", "from_initial", change_tx != NULL));
out:
	taxid_account_clear(&a);
	return c;
}

/* Login-name change: fresh authentication, once per 365 days; locks and sessions follow the account id. */
enum taxid_code taxid_login_rename(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *pw = taxid_req_str(ctx, req, "password", 1, &c);
	const char *name = c ? NULL : taxid_req_str(ctx, req, "new_login_name", 1, &c);
	long long aid;
	if (c || (c = taxid_session_check(ctx, req, "session", &aid, NULL)))
		return c;
	struct taxid_account a;
	if ((c = taxid_account_load(ctx, aid, &a)))
		return c;
	/* Rule 19 (issue 10): the password check is a login's — refused while locked (even the right password),
	 * counted toward the password lock, audited, and the count kept although the rename is refused. */
	char subject[40];
	struct taxid_lock_state ls;
	taxid_lock_subject_account(a.id, subject);
	if ((c = taxid_lock_check(ctx, TAXID_LOGIN_SCOPE_PASSWORD, subject, &ls)))
		goto out;
	if (taxid_password_verify(ctx, a.password_hash, a.peppered, pw) != 1) {
		if ((c = taxid_lock_fail(ctx, TAXID_LOGIN_SCOPE_PASSWORD, subject, "rename", &ls)))
			goto out;
		taxid_keep_changes(ctx);
		c = ls.locked ? locked_now(ctx, a.id, &ls) : taxid_fail(ctx, TAXID_E_REAUTH_REQUIRED, "password");
		goto out;
	}
	if ((c = taxid_lock_success(ctx, TAXID_LOGIN_SCOPE_PASSWORD, subject)))
		goto out;
	long long period = taxid_setting_int(ctx, "login.rename_days", 365) * 86400;
	if (a.renamed_at && ctx->now < a.renamed_at + period) {
		json_t *d = json_object();
		taxid_login_set_time(d, "next_allowed_at", a.renamed_at + period);
		c = taxid_fail_detail(ctx, TAXID_E_RENAME_TOO_SOON, "new_login_name", d);
		goto out;
	}
	if ((c = taxid_login_name_check(ctx, name, "new_login_name")))
		goto out;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ACCOUNT_LOGIN_TAKEN);
	taxid_q_text(q, 1, name);
	taxid_q_int(q, 2, a.id); /* its own name in another case is no clash */
	if (taxid_q_exists(q)) {
		c = taxid_fail(ctx, TAXID_E_LOGIN_NAME_TAKEN, "new_login_name");
		goto out;
	}
	q = taxid_q(ctx, TAXID_SQL_ACCOUNT_RENAME);
	taxid_q_int(q, 1, a.id);
	taxid_q_text(q, 2, name);
	taxid_q_int(q, 3, ctx->now);
	if ((c = taxid_q_exec(q)))
		goto out;
	json_object_set_new(out, "login_name", json_string(name));
	taxid_login_set_time(out, "next_rename_at", ctx->now + period);
	c = taxid_audit_new(ctx, "rename", name, NULL, json_pack("{s:s}", "from", a.login_name));
out:
	taxid_account_clear(&a);
	return c;
}

enum taxid_code taxid_login_session_check(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_session s;
	enum taxid_code c = taxid_session_open(ctx, req, "token", 0, &s);
	struct taxid_account a;
	if (c || (c = taxid_account_load(ctx, s.account_id, &a)))
		return c;
	int64_t idle = ctx->now + taxid_setting_int(ctx, "session.idle_seconds", 1800);
	json_object_set_new(out, "login_name", json_string(a.login_name));
	json_object_set_new(out, "level", json_integer(a.level));
	json_object_set_new(out, "kind", json_string(s.kind));
	json_object_set_new(out, "factor", json_string(s.factor));
	taxid_login_set_time(out, "expires_at", s.expires_at);
	taxid_login_set_time(out, "idle_expires_at", idle < s.expires_at ? idle : s.expires_at);
	taxid_account_clear(&a);
	return TAXID_OK;
}

/* Logging out is the one thing an enterprise-scoped session may do with this tool. */
enum taxid_code taxid_login_logout(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_session s;
	enum taxid_code c = taxid_session_open(ctx, req, "token", 1, &s);
	if (!c)
		c = taxid_session_revoke(ctx, s.id);
	if (!c)
		c = taxid_audit_new(ctx, "logout", NULL, NULL, json_pack("{s:I}", "account", (json_int_t)s.account_id));
	return c;
}

enum taxid_code taxid_login_revoke_all(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	long long aid;
	int n = 0;
	enum taxid_code c = taxid_session_check(ctx, req, "token", &aid, NULL);
	if (!c)
		c = taxid_session_revoke_all(ctx, aid, 0, &n);
	if (!c) {
		json_object_set_new(out, "sessions_revoked", json_integer(n));
		c = taxid_audit_new(ctx, "revoke_all", NULL, NULL, json_pack("{s:I,s:i}", "account", (json_int_t)aid, "sessions", n));
	}
	return c;
}

static const unsigned char no_subject[32];

enum taxid_code taxid_login_qr_issue(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	char id[TAXID_CHALLENGE_ID_LEN];
	int64_t exp;
	enum taxid_code c = taxid_challenge_create(ctx, "qr", no_subject, NULL,
						   (int)taxid_setting_int(ctx, "qr.ttl_seconds", 120), 1, NULL, id, &exp);
	if (c)
		return c;
	json_object_set_new(out, "qr", json_string(id));
	taxid_login_set_time(out, "expires_at", exp);
	return TAXID_OK;
}

/* Deriving a session checks the account as a login would: not abnormal, no lock on password or a second factor
 * (rule 25). */
enum taxid_code taxid_login_account_ok(struct taxid_ctx *ctx, long long aid, struct taxid_account *a)
{
	enum taxid_code c = taxid_account_load(ctx, aid, a);
	if (c)
		return c;
	char subject[40];
	struct taxid_lock_state ls;
	taxid_lock_subject_account(aid, subject);
	static const char *const scopes[] = {TAXID_LOGIN_SCOPE_PASSWORD, "sms", "face"};
	for (size_t i = 0; !c && i < sizeof scopes / sizeof *scopes; i++)
		c = taxid_lock_check(ctx, scopes[i], subject, &ls);
	if (!c && a->abnormal)
		c = taxid_fail(ctx, TAXID_E_IDENTITY_ABNORMAL, "session");
	if (c)
		taxid_account_clear(a);
	return c;
}

enum taxid_code taxid_login_qr_confirm(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *qr = taxid_req_str(ctx, req, "qr", 1, &c);
	struct taxid_session s;
	struct taxid_account a;
	if (c || (c = taxid_session_open(ctx, req, "session", 1, &s)) || (c = taxid_login_account_ok(ctx, s.account_id, &a)))
		return c;
	taxid_account_clear(&a);
	json_t *data = NULL;
	if ((c = taxid_challenge_check(ctx, qr, "qr", no_subject, NULL, 0, "qr", &data)))
		return c;
	int confirmed = json_object_get(data, "account_id") != NULL;
	json_decref(data);
	if (confirmed)
		return taxid_fail(ctx, TAXID_E_CHALLENGE_INVALID, "qr");
	/* The business goes with the confirmation: the kind and scope are the confirming session's, read from the
	 * database, never from the request. */
	int ent = strcmp(s.kind, "enterprise") == 0;
	json_t *d = json_pack("{s:I,s:I,s:s,s:s?}", "account_id", (json_int_t)s.account_id, "parent", (json_int_t)s.id,
			      "kind", ent ? "enterprise" : "personal", "scope", ent ? s.scope : NULL);
	c = taxid_challenge_set_data(ctx, qr, d);
	json_decref(d);
	if (c)
		return c;
	json_object_set_new(out, "confirmed", json_true());
	json_object_set_new(out, "kind", json_string(ent ? "enterprise" : "personal"));
	if (ent)
		json_object_set_new(out, "scope", json_string(s.scope));
	return taxid_audit_new(ctx, "qr_confirm", NULL, NULL,
			       json_pack("{s:I,s:s?}", "account", (json_int_t)s.account_id, "scope", ent ? s.scope : NULL));
}

/* The session a QR login makes derives from the confirming one: it ends no later than that one's absolute expiry,
 * and is refused once that one is revoked or expired, or the account locked (rule 25). */
enum taxid_code taxid_login_qr_poll(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *qr = taxid_req_str(ctx, req, "qr", 1, &c);
	if (c)
		return c;
	json_t *data = NULL;
	if ((c = taxid_challenge_check(ctx, qr, "qr", no_subject, NULL, 0, "qr", &data)))
		return c;
	json_t *jid = json_object_get(data, "account_id");
	long long aid = jid ? json_integer_value(jid) : 0;
	struct taxid_session parent = {.id = json_integer_value(json_object_get(data, "parent")), .account_id = aid};
	const char *kind = json_string_value(json_object_get(data, "kind")), *scope = json_string_value(json_object_get(data, "scope"));
	if (kind && strcmp(kind, "enterprise") == 0 && scope && strlen(scope) < sizeof parent.scope) {
		snprintf(parent.kind, sizeof parent.kind, "enterprise");
		snprintf(parent.scope, sizeof parent.scope, "%s", scope);
	} else {
		snprintf(parent.kind, sizeof parent.kind, "personal");
	}
	json_decref(data);
	if (!aid)
		return taxid_fail(ctx, TAXID_E_QR_PENDING, "qr");
	if (!taxid_session_alive(ctx, parent.id, &parent.expires_at))
		return taxid_fail(ctx, TAXID_E_CHALLENGE_INVALID, "qr");
	struct taxid_account a;
	if ((c = taxid_challenge_check(ctx, qr, "qr", no_subject, NULL, 1, "qr", NULL)) || (c = taxid_login_account_ok(ctx, aid, &a)))
		return c;
	c = issue_session(ctx, &a, "qr", &parent, out);
	taxid_account_clear(&a);
	return c;
}
