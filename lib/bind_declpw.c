/* The declaration password: its policy, set and reset by a core role holder's bound phone, cleared at a hall, and
 * checked when a person enters an enterprise without an authorisation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "bind.h"
#include "bind_actor.h"
#include "bind_declpw.h"
#include "challenge.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "ids.h"
#include "keys.h"
#include "lockout.h"
#include "operator.h"
#include "person.h"
#include "record.h"
#include "verdict.h"
#include "verify.h"

#define DECL_ALL_SUBJECT "enterprise" /* the subject of the enterprise's own declaration counter */

/* The lock scopes of the declaration password (issue 10 item 8, SECURITY rule 28): per enterprise and account,
 * apart from the login lock; and the enterprise's own counter over every person. */
static void scopes(const char *tin, char scope[64], char all[64])
{
	snprintf(scope, 64, "declaration:%s", tin);
	snprintf(all, 64, "declaration_all:%s", tin);
}

/* After a wrong password, a captcha verdict (subject: the enterprise's TIN), as for login. */
static enum taxid_code captcha(struct taxid_ctx *ctx, json_t *req, const char *tin)
{
	json_t *cap = json_object_get(req, "captcha");
	struct taxid_verdict v;
	if (!cap)
		return taxid_fail(ctx, TAXID_E_CAPTCHA_REQUIRED, "captcha");
	enum taxid_code c = taxid_verdict_check(ctx, cap, "captcha", tin, 1, "captcha", &v);
	if (!c && !taxid_verdict_passed(ctx, &v))
		c = taxid_fail(ctx, TAXID_E_CAPTCHA_REQUIRED, "captcha");
	if (!c || c == TAXID_E_CAPTCHA_REQUIRED)
		taxid_keep_changes(ctx); /* the captcha's nonce is spent either way */
	return c;
}

/* A wrong password counts on both scopes: locked, or wrong with the count so far. */
static enum taxid_code wrong(struct taxid_ctx *ctx, const char *actor, const char *scope, const char *all,
			     struct taxid_lock_state *ls, struct taxid_lock_state *la)
{
	enum taxid_code c;
	if ((c = taxid_lock_fail(ctx, scope, actor, "declaration", ls)) ||
	    (c = taxid_lock_fail(ctx, all, DECL_ALL_SUBJECT, "declaration", la)))
		return c;
	if (ls->locked || la->locked) {
		char until[TAXID_TIME_LEN];
		taxid_time_format(la->locked ? la->locked_until : ls->locked_until, until);
		return taxid_fail_detail(ctx, TAXID_E_LOCKED, "declaration_password",
					 json_pack("{s:s,s:s}", "scope", la->locked ? all : scope, "locked_until", until));
	}
	return taxid_fail_detail(ctx, TAXID_E_DECLARATION_PASSWORD_WRONG, "declaration_password",
				 json_pack("{s:i,s:i,s:b}", "failures", ls->failures, "threshold", ls->threshold,
					   "captcha_required", 1));
}

enum taxid_code taxid_bind_declpw_verify(struct taxid_ctx *ctx, json_t *req, const struct taxid_bind_actor *w,
					 const struct taxid_enterprise *e, const char *pw)
{
	char scope[64], all[64];
	struct taxid_lock_state ls, la;
	enum taxid_code c;
	scopes(e->tin, scope, all);
	if ((c = taxid_lock_check(ctx, scope, w->id, &ls)) || (c = taxid_lock_check(ctx, all, DECL_ALL_SUBJECT, &la))) {
		if (pw)
			taxid_password_dummy(ctx, pw); /* locked: not evaluated, not counted, the same work */
		if (c == TAXID_E_LOCKED)
			ctx->err_field = "declaration_password";
		return c;
	}
	if (!pw)
		return taxid_fail(ctx, TAXID_E_DECLARATION_PASSWORD_REQUIRED, "declaration_password");
	if (ls.captcha && (c = captcha(ctx, req, e->tin))) { /* not evaluated, not counted */
		taxid_password_dummy(ctx, pw);
		return c;
	}
	if (!e->declpw_hash) {
		taxid_password_dummy(ctx, pw);
		return taxid_fail(ctx, TAXID_E_DECLARATION_PASSWORD_NOT_SET, "declaration_password");
	}
	if (taxid_password_verify(ctx, e->declpw_hash, 1, pw) != 1)
		return wrong(ctx, w->id, scope, all, &ls, &la);
	return taxid_lock_success(ctx, scope, w->id);
}

/* 8-20 letters and digits, no spaces; how many of the two classes are needed is policy (default both). */
static enum taxid_code declpw_check(struct taxid_ctx *ctx, const char *pw)
{
	long long min = taxid_setting_int(ctx, "declpw.min_length", 8), max = taxid_setting_int(ctx, "declpw.max_length", 20),
		  classes = taxid_setting_int(ctx, "declpw.min_classes", 2);
	int letters = 0, digits = 0, space = 0, other = 0;
	long long n = 0;
	for (const unsigned char *p = (const unsigned char *)pw; *p; p++, n++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			letters = 1;
		else if (*p >= '0' && *p <= '9')
			digits = 1;
		else if (*p == ' ' || *p == '\t')
			space = 1;
		else
			other = 1;
	}
	const char *rule = space ? "no_spaces" : other ? "characters" : (n < min || n > max) ? "length"
						     : letters + digits < classes     ? "classes"
										      : NULL;
	return rule ? taxid_fail_detail(ctx, TAXID_E_DECLARATION_PASSWORD_POLICY, "declaration_password",
					json_pack("{s:s}", "rule", rule))
		    : TAXID_OK;
}

static enum taxid_code clear_locks(struct taxid_ctx *ctx, const char *scope, const char *actor, int *cleared, int *unlocked)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_LOCK_SUBJECTS_OF_SCOPE);
	if (!q)
		return TAXID_E_INTERNAL;
	taxid_q_text(q, 1, scope);
	json_t *subjects = json_array(); /* collected first: the statement cache holds one cursor per statement */
	while (taxid_q_step(q))
		json_array_append_new(subjects, json_string(taxid_q_col_text(q, 0)));
	enum taxid_code c = taxid_q_end(q);
	size_t i;
	json_t *v;
	*cleared = *unlocked = 0;
	json_array_foreach(subjects, i, v) {
		int was;
		if (c || (c = taxid_lock_clear(ctx, scope, json_string_value(v), "declaration password reset", actor, &was)))
			break;
		(*cleared)++;
		*unlocked += was;
	}
	json_decref(subjects);
	return c;
}

/* A reset clears the per-person declaration counters and the enterprise's own counter. */
static enum taxid_code clear_both(struct taxid_ctx *ctx, const char *tin, const char *actor, int *cleared, int *unlocked)
{
	char scope[64], all[64];
	int c2 = 0, u2 = 0;
	scopes(tin, scope, all);
	enum taxid_code c = clear_locks(ctx, scope, actor, cleared, unlocked);
	if (!c)
		c = clear_locks(ctx, all, actor, &c2, &u2);
	*cleared += c2;
	*unlocked += u2;
	return c;
}

static enum taxid_code declpw(struct taxid_ctx *ctx, json_t *req, json_t *out, int reset)
{
	struct taxid_bind_actor w;
	struct taxid_enterprise e;
	struct taxid_bind_standing s = {0};
	enum taxid_code c = taxid_bind_begin(ctx, req, &w, &e, 1);
	const char *pw = c ? NULL : taxid_req_str(ctx, req, "declaration_password", 1, &c);
	if (c || (c = taxid_bind_need_role(ctx, &w, &e, taxid_bind_core_roles, &s)))
		goto out;
	if (!w.a.phone) {
		c = taxid_fail(ctx, TAXID_E_PHONE_REQUIRED, "session");
		goto out;
	}
	if (!reset && e.declpw_hash) {
		c = taxid_fail(ctx, TAXID_E_DECLARATION_PASSWORD_EXISTS, "declaration_password");
		goto out;
	}
	if ((c = declpw_check(ctx, pw)))
		goto out;
	json_t *sms = json_object_get(req, "sms");
	json_object_set_new(out, "tin", json_string(e.tin));
	if (!sms) { /* first step: a code to the account's bound phone */
		json_t *sent = json_object();
		if (!(c = taxid_sms_send(ctx, w.a.phone, "declpw", sent))) {
			json_object_set_new(out, "next", json_string("sms"));
			json_object_set_new(out, "sms", sent);
		} else {
			json_decref(sent);
		}
		goto out;
	}
	if ((c = taxid_sms_check(ctx, sms, w.a.phone, "declpw", "sms")))
		goto out;
	char *hash = taxid_password_hash(ctx, pw);
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	if (!hash) {
		c = TAXID_E_INTERNAL;
		goto out;
	}
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ENT_SET_DECLPW);
	taxid_q_int(q, 1, e.id);
	taxid_q_text(q, 2, hash);
	taxid_q_text(q, 3, at);
	c = taxid_q_exec(q);
	taxid_wipe(hash, strlen(hash));
	free(hash);
	int cleared = 0, unlocked = 0;
	char scope[64], subj[64];
	snprintf(scope, sizeof scope, "declaration:%s", e.tin);
	snprintf(subj, sizeof subj, "enterprise:%s", e.tin);
	if (!c && reset)
		c = clear_both(ctx, e.tin, w.id, &cleared, &unlocked);
	if (!c)
		c = taxid_audit_new(ctx, reset ? "declpw_reset" : "declpw_set", subj, w.id,
				    json_pack("{s:s,s:i,s:i}", "role", s.role, "counters_cleared", cleared, "unlocked", unlocked));
	if (c)
		goto out;
	json_object_set_new(out, "declaration_password_set", json_true());
	json_object_set_new(out, "set_at", json_string(at));
	if (reset) {
		json_object_set_new(out, "counters_cleared", json_integer(cleared));
		json_object_set_new(out, "unlocked", json_integer(unlocked));
	}
out:
	taxid_bind_wipe_member(req, "declaration_password");
	json_decref(s.permissions);
	taxid_bind_end(&w, &e);
	return c;
}

enum taxid_code taxid_bind_declpw_set(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	return declpw(ctx, req, out, 0);
}

enum taxid_code taxid_bind_declpw_reset(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	return declpw(ctx, req, out, 1);
}

/* ---- declpw clear: the hall reset (seed 002: 到办税服务厅重置; SECURITY rule 28) ----
 * An operator at a hall who saw the legal representative's document (its type, number and name as the
 * enterprise's core record has them) clears the declaration password and both declaration counters. No password
 * passes the counter: the legal representative or the finance manager then sets a new one with declpw set, which
 * proves their bound phone. */
enum taxid_code taxid_bind_declpw_clear(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_enterprise e;
	struct taxid_id_info info;
	enum taxid_doc_type type;
	enum taxid_code c = TAXID_OK;
	char *recorded = NULL, *name = NULL;
	memset(&e, 0, sizeof e);
	const char *op = taxid_operator(ctx, req, &c);
	if (!op || (c = taxid_enterprise_load(ctx, req, "tin", &e)))
		goto out;
	if ((c = taxid_verify_document(ctx, req, "doc_type", "doc_no", &type, &info)))
		goto out;
	const char *given = taxid_req_str(ctx, req, "name", 1, &c);
	if (c)
		goto out;
	unsigned char idx[32];
	taxid_person_doc_index(ctx, type, info.normalized, idx);
	recorded = taxid_enterprise_holder_name(ctx, e.id, 0);
	name = taxid_name_normalize(given);
	if (!name) {
		c = TAXID_E_INTERNAL;
		goto out;
	}
	if ((int)type != e.rep_type || !taxid_ct_equal(idx, e.rep_index, 32) || !recorded ||
	    !taxid_name_equal(recorded, name)) {
		c = taxid_fail_detail(ctx, TAXID_E_ROLE_MISMATCH, "doc_no", json_pack("{s:s}", "role", "legal_rep"));
		goto out;
	}
	int had = e.declpw_hash != NULL;
	char at[TAXID_TIME_LEN], masked[64] = "********", subj[64];
	taxid_time_format(ctx->now, at);
	if (strlen(info.normalized) < sizeof masked)
		taxid_mask_doc(info.normalized, masked);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ENT_SET_DECLPW);
	taxid_q_int(q, 1, e.id);
	taxid_q_null(q, 2);
	taxid_q_text(q, 3, at);
	int cleared = 0, unlocked = 0;
	snprintf(subj, sizeof subj, "enterprise:%s", e.tin);
	if ((c = taxid_q_exec(q)) || (c = clear_both(ctx, e.tin, op, &cleared, &unlocked)) ||
	    (c = taxid_audit_new(ctx, "declpw_clear", subj, op,
				 json_pack("{s:s,s:s,s:b,s:i,s:i}", "legal_rep_doc_type", taxid_ids_doc_name(type),
					   "legal_rep_doc_no", masked, "had_password", had, "counters_cleared", cleared,
					   "unlocked", unlocked))))
		goto out;
	json_object_set_new(out, "tin", json_string(e.tin));
	json_object_set_new(out, "declaration_password_set", json_false());
	json_object_set_new(out, "had_password", json_boolean(had));
	json_object_set_new(out, "cleared_at", json_string(at));
	json_object_set_new(out, "counters_cleared", json_integer(cleared));
	json_object_set_new(out, "unlocked", json_integer(unlocked));
	json_object_set_new(out, "next", json_string("declpw set"));
out:
	free(recorded);
	free(name);
	taxid_enterprise_clear(&e);
	return c;
}

