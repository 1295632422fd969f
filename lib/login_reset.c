/* Forgotten passwords: the person's reset through a second channel (SMS, face, bank), with the same answers for
 * unknown accounts (SECURITY rules 11, 12, 17, 23, 24); and a hall's initial password (rule 18). */
#include <stdint.h>
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
#include "operator.h"
#include "record.h"
#include "verdict.h"
#include "verify.h"

/* Reset requests are counted per account string, known or not (rule 24): the same cooldown (sms.resend_seconds)
 * and daily cap (reset.daily_cap) for both, so a refusal never tells an account apart. */
static enum taxid_code reset_throttle(struct taxid_ctx *ctx, const unsigned char rsub[32])
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_RESET_REQ_LAST);
	if (!q)
		return TAXID_E_INTERNAL;
	taxid_q_blob(q, 1, rsub, 32);
	int64_t last = taxid_q_one_int(q, -1);
	long long cooldown = taxid_setting_int(ctx, "sms.resend_seconds", 60);
	if (last >= 0 && ctx->now < last + cooldown)
		return taxid_fail_detail(ctx, TAXID_E_SMS_COOLDOWN, "account",
					 json_pack("{s:I}", "retry_after", (json_int_t)(last + cooldown - ctx->now)));
	q = taxid_q(ctx, TAXID_SQL_RESET_REQ_COUNT_SINCE);
	if (!q)
		return TAXID_E_INTERNAL;
	taxid_q_blob(q, 1, rsub, 32);
	taxid_q_int(q, 2, taxid_next_local_midnight(ctx->now, ctx->tz_offset) - 86400);
	long long today = taxid_q_one_int(q, 0);
	if (today >= taxid_setting_int(ctx, "reset.daily_cap", 5))
		return taxid_fail(ctx, TAXID_E_SMS_DAILY_CAP, "account");
	q = taxid_q(ctx, TAXID_SQL_RESET_REQ_ADD);
	taxid_q_blob(q, 1, rsub, 32);
	taxid_q_int(q, 2, ctx->now);
	return taxid_q_exec(q);
}

/* A code that goes nowhere, for an account string that is unknown (or whose phone refuses another message):
 * the same answer, and a second step that fails as a wrong code does. */
static enum taxid_code reset_decoy(struct taxid_ctx *ctx, const unsigned char rsub[32], json_t *sms)
{
	char code[8], id[TAXID_CHALLENGE_ID_LEN];
	int64_t n = taxid_random_uniform(1000000), exp;
	if (n < 0)
		return TAXID_E_INTERNAL;
	snprintf(code, sizeof code, "%06d", (int)n);
	enum taxid_code c = taxid_challenge_create(ctx, "sms:reset", rsub, code,
						   (int)taxid_setting_int(ctx, "sms.ttl_seconds", 300),
						   (int)taxid_setting_int(ctx, "sms.max_attempts", 5), NULL, id, &exp);
	taxid_wipe(code, sizeof code);
	if (c)
		return c;
	json_object_set_new(sms, "challenge", json_string(id));
	json_object_set_new(sms, "purpose", json_string("reset"));
	taxid_login_set_time(sms, "expires_at", exp);
	return TAXID_OK;
}

/* Check the second step's code: the real one to phone (NULL for an unknown account), else a decoy, which can
 * only fail. */
static enum taxid_code reset_code_check(struct taxid_ctx *ctx, json_t *req, const char *phone, const unsigned char rsub[32])
{
	json_t *sms = json_object_get(req, "sms");
	enum taxid_code c = TAXID_E_CHALLENGE_INVALID;
	if (phone && (c = taxid_sms_check(ctx, sms, phone, "reset", "sms")) != TAXID_E_CHALLENGE_INVALID)
		return c;
	const char *id = json_string_value(json_object_get(sms, "challenge"));
	const char *code = json_string_value(json_object_get(sms, "code"));
	if (!json_is_object(sms) || !id || !code)
		return taxid_sms_check(ctx, sms, NULL, "reset", "sms"); /* the same shape refusal */
	c = taxid_challenge_check(ctx, id, "sms:reset", rsub, code, 1, "sms", NULL);
	return c ? c : taxid_fail(ctx, TAXID_E_SMS_CODE_INVALID, "sms"); /* a decoy never passes */
}

/* A reset in progress: what the account string and the method give. */
struct reset {
	const char *method;    /* sms, face or bank */
	int known;             /* the account string names an account */
	struct taxid_account a; /* when known */
	char subject[80];      /* the password lock's subject: the account, or the shadow of an unknown string */
	unsigned char rsub[32]; /* the subject of the reset counters and decoys */
	const char *bank_phone; /* method bank: the phone the bank holds (bp) and the card (cd), validated */
	struct taxid_id_info bp, cd;
};

/* Method bank: the bank_phone and card members, validated. */
static enum taxid_code reset_bank_members(struct taxid_ctx *ctx, json_t *req, struct reset *r)
{
	if (strcmp(r->method, "bank") != 0)
		return TAXID_OK;
	enum taxid_code c = TAXID_OK;
	struct taxid_ids_opts o = {.today = taxid_local_ymd(ctx->now, ctx->tz_offset)};
	r->bank_phone = taxid_req_str(ctx, req, "bank_phone", 1, &c);
	if (!c && (c = taxid_ids_check_mobile(r->bank_phone, strlen(r->bank_phone), &o, &r->bp)))
		return taxid_fail(ctx, c, "bank_phone");
	const char *card = c ? NULL : taxid_req_str(ctx, req, "card", 1, &c);
	if (!c && (c = taxid_ids_check_bank_card(card, strlen(card), &o, &r->cd)))
		return taxid_fail(ctx, c, "card");
	return c;
}

/* Step 1 for the SMS channels: send the code. An unknown account gets the same answer and no message. */
static enum taxid_code reset_send(struct taxid_ctx *ctx, const struct reset *r, json_t *out)
{
	enum taxid_code c = reset_throttle(ctx, r->rsub);
	if (c)
		return c;
	/* an unknown account sends nothing, not even to a bank phone it names */
	const char *to = !r->known ? NULL : r->bank_phone ? r->bp.normalized : r->a.phone;
	json_t *sms = json_object();
	c = to ? taxid_sms_send(ctx, to, "reset", sms) : TAXID_E_NOT_FOUND;
	if (c) { /* the phone's own limits answer as an unknown account would: no message */
		json_decref(ctx->err_detail);
		ctx->err_detail = NULL;
		json_object_clear(sms);
		c = reset_decoy(ctx, r->rsub, sms);
	}
	json_object_del(sms, "phone"); /* no phone hint before the code is proven */
	if (c) {
		json_decref(sms);
		return c;
	}
	json_object_set_new(out, "sms", sms);
	json_object_set_new(out, "next", json_string("sms"));
	return TAXID_OK;
}

/* The code sent to the bound phone (or the bank's); for reset.phone_change_days after the account's phone changed,
 * that phone is not yet trusted for a reset (rule 23). */
static enum taxid_code reset_code_proof(struct taxid_ctx *ctx, json_t *req, const struct reset *r)
{
	enum taxid_code c = reset_code_check(ctx, req, r->bank_phone ? r->bp.normalized : r->a.phone, r->rsub);
	if (c)
		return c;
	int64_t hold = taxid_setting_int(ctx, "reset.phone_change_days", 7) * 86400;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ACCOUNT_PHONE_CHANGED_AT);
	taxid_q_int(q, 1, r->a.id);
	int64_t changed = taxid_q_one_int(q, 0);
	if (changed && ctx->now < changed + hold) {
		json_t *d = json_pack("{s:[ss]}", "one_of", "face", "hall");
		taxid_login_set_time(d, "until", changed + hold);
		return taxid_fail_detail(ctx, TAXID_E_SECOND_FACTOR_REQUIRED, "method", d);
	}
	return TAXID_OK;
}

/* Face, or the bank's verdict on card and phone, for the person's resident-ID number doc (NULL: they have none). */
static enum taxid_code reset_verdict(struct taxid_ctx *ctx, json_t *req, const struct reset *r, const char *doc)
{
	const char *kind = strcmp(r->method, "face") == 0 ? "face" : "bank";
	if (!doc)
		return taxid_fail(ctx, TAXID_E_DOC_TYPE_NOT_ALLOWED, "method");
	struct taxid_verdict v;
	json_t *given = json_object_get(req, kind);
	enum taxid_code c = kind[0] == 'b'
				    ? taxid_verify_bank_verdict(ctx, given, kind, doc, r->cd.normalized, r->bp.normalized, &v)
				    : taxid_verdict_check(ctx, given, kind, doc, 1, kind, &v);
	if (c || taxid_verdict_passed(ctx, &v))
		return c;
	c = taxid_fail(ctx, kind[0] == 'b' ? TAXID_E_BANK_MISMATCH : TAXID_E_IDENTITY_FAILED, kind);
	taxid_keep_changes(ctx);
	return c;
}

/* Proven: the new password; the password lock cleared, every session revoked, never a login (rules 12, 17). */
static enum taxid_code reset_finish(struct taxid_ctx *ctx, struct reset *r, const char *new_pw, json_t *out)
{
	enum taxid_code c;
	int was_locked = 0, revoked = 0;
	if ((c = taxid_login_set_password(ctx, &r->a, new_pw, "new_password")) ||
	    (c = taxid_lock_clear(ctx, TAXID_LOGIN_SCOPE_PASSWORD, r->subject, "password reset", r->a.login_name, &was_locked)) ||
	    (c = taxid_session_revoke_all(ctx, r->a.id, 0, &revoked)))
		return c;
	json_object_set_new(out, "login_name", json_string(r->a.login_name));
	json_object_set_new(out, "unlocked", json_boolean(was_locked));
	json_object_set_new(out, "sessions_revoked", json_integer(revoked));
	return taxid_audit_new(ctx, "reset", r->a.login_name, NULL, json_pack("{s:s}", "method", r->method));
}

/* Step 2: the second channel proves the person, then the new password. */
static enum taxid_code reset_prove(struct taxid_ctx *ctx, json_t *req, struct reset *r, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *new_pw = taxid_req_str(ctx, req, "new_password", 1, &c);
	if (c)
		return c;
	if (!r->known) /* answered as a known account's failed second channel would be (rule 11) */
		return strcmp(r->method, "face") == 0 ? taxid_fail(ctx, TAXID_E_IDENTITY_FAILED, "face")
						       : reset_code_check(ctx, req, NULL, r->rsub);
	char *doc = taxid_login_resident_number(ctx, r->a.person_id);
	if (strcmp(r->method, "sms") == 0 || r->bank_phone)
		c = reset_code_proof(ctx, req, r);
	if (!c && strcmp(r->method, "sms") != 0)
		c = reset_verdict(ctx, req, r, doc);
	free(doc);
	return c ? c : reset_finish(ctx, r, new_pw, out);
}

/* Forgot password: identity through a second channel, then a new password; clears the password lock, revokes
 * every session, never logs in (rules 12, 17). Before the code is proven, known and unknown accounts get the
 * same members and refusals and no phone hint (rule 24); for reset.phone_change_days after the account's phone
 * changed, only face (or a hall) will do (rule 23). */
enum taxid_code taxid_login_reset(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *account = taxid_req_str(ctx, req, "account", 1, &c);
	const char *method = c ? NULL : taxid_req_str(ctx, req, "method", 1, &c);
	if (c)
		return c;
	if (strcmp(method, "sms") && strcmp(method, "face") && strcmp(method, "bank"))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "method");
	struct reset r = {.method = method};
	char norm[80];
	c = taxid_account_resolve(ctx, account, &r.a, norm);
	r.known = c == TAXID_OK;
	if (c && c != TAXID_E_NOT_FOUND)
		return c;
	if (r.known)
		taxid_lock_subject_account(r.a.id, r.subject);
	else
		taxid_lock_subject_shadow(ctx, norm, r.subject);
	taxid_pii_index(ctx->keys, "reset", r.subject, r.rsub);
	if (!(c = reset_bank_members(ctx, req, &r)))
		c = strcmp(method, "face") != 0 && !json_object_get(req, "sms") ? reset_send(ctx, &r, out)
										 : reset_prove(ctx, req, &r, out);
	if (r.known)
		taxid_account_clear(&r.a);
	return c;
}

/* An operator at a hall resets a password to a random initial one: sent to the bound phone; an account without
 * one gets it handed to the operator, once, in this result ("initial_password", "handed_to": "operator"), since
 * nothing else can reach the person: it is stored only as its hash, never in the outbox or the audit. */
enum taxid_code taxid_login_initial(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *account = taxid_req_str(ctx, req, "account", 1, &c);
	const char *operator = c ? NULL : taxid_operator(ctx, req, &c);
	if (c)
		return c;
	struct taxid_account a;
	char norm[80];
	if ((c = taxid_account_resolve(ctx, account, &a, norm)))
		return c == TAXID_E_NOT_FOUND ? taxid_fail(ctx, TAXID_E_NOT_FOUND, "account") : c;
	char pw[13], body[128] = "";
	if (taxid_random_password(pw, 12))
		return TAXID_E_INTERNAL;
	char *h = taxid_password_hash(ctx, pw);
	int64_t expires = ctx->now + taxid_setting_int(ctx, "password.initial_days", 30) * 86400;
	if (a.phone)
		snprintf(body, sizeof body, "[taxid] your initial password is %s; change it at first login", pw);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ACCOUNT_SET_INITIAL);
	if (!h || !q) {
		free(h);
		c = TAXID_E_INTERNAL;
		goto out;
	}
	taxid_q_int(q, 1, a.id);
	taxid_q_text(q, 2, h);
	taxid_q_int(q, 3, expires);
	c = taxid_q_exec(q);
	free(h);
	char subject[40];
	int was_locked = 0, revoked = 0;
	taxid_lock_subject_account(a.id, subject);
	if (!c && a.phone)
		c = taxid_outbox_put(ctx, "sms", a.phone, body);
	if (!c)
		c = taxid_lock_clear(ctx, TAXID_LOGIN_SCOPE_PASSWORD, subject, "hall reset", operator, &was_locked);
	if (!c)
		c = taxid_session_revoke_all(ctx, a.id, 0, &revoked);
	if (!c)
		c = taxid_audit_new(ctx, "initial_password", a.login_name, operator,
				    a.phone ? NULL : json_pack("{s:s}", "handed_to", "operator"));
	if (!c) {
		json_object_set_new(out, "login_name", json_string(a.login_name));
		if (a.phone) {
			char masked[16];
			taxid_mask_phone(a.phone, masked);
			json_object_set_new(out, "sent_to", json_string(masked));
		} else { /* the one copy in clear there will ever be */
			json_object_set_new(out, "initial_password", json_string(pw));
			json_object_set_new(out, "handed_to", json_string("operator"));
		}
		taxid_login_set_time(out, "initial_expires_at", expires);
		json_object_set_new(out, "unlocked", json_boolean(was_locked));
	}
out:
	taxid_wipe(pw, sizeof pw);
	taxid_wipe(body, sizeof body);
	taxid_account_clear(&a);
	return c;
}
