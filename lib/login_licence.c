/* Electronic business licence login (电子营业执照扫码, issue 14 item 5): a signed business_licence verdict naming
 * the enterprise and the person opens an enterprise session for a person with an active relation to it. */
#include <stdio.h>
#include <string.h>

#include "account.h"
#include "audit.h"
#include "bind_actor.h"
#include "clock.h"
#include "crypto.h"
#include "login.h"
#include "person.h"
#include "record.h"
#include "verdict.h"
#include "verify.h"

/* Once the verdict's nonce is spent, a refusal keeps it spent: the same verdict cannot be tried again. */
static enum taxid_code refuse(struct taxid_ctx *ctx, enum taxid_code code, const char *field)
{
	enum taxid_code c = taxid_fail(ctx, code, field);
	taxid_keep_changes(ctx);
	return c;
}

/* The person the verdict names, and their account (refusals keep the spent nonce). */
static enum taxid_code licence_holder(struct taxid_ctx *ctx, enum taxid_doc_type t, const char *doc, struct taxid_account *a)
{
	struct taxid_person p;
	enum taxid_code c = taxid_person_find_doc(ctx, t, doc, &p);
	if (c)
		return c == TAXID_E_NOT_FOUND ? refuse(ctx, TAXID_E_NOT_RELATED, "doc_no") : c;
	long long pid = p.id;
	taxid_person_clear(&p);
	if ((c = taxid_account_by_person(ctx, pid, a)))
		return c == TAXID_E_NOT_FOUND ? refuse(ctx, TAXID_E_NOT_RELATED, "doc_no") : c;
	long long aid = a->id;
	taxid_account_clear(a);
	if ((c = taxid_login_account_ok(ctx, aid, a))) /* locks and abnormal, as any login */
		taxid_keep_changes(ctx);
	return c;
}

static enum taxid_code issue(struct taxid_ctx *ctx, const struct taxid_bind_actor *w, const struct taxid_enterprise *e,
			     const struct taxid_bind_standing *s, json_t *out)
{
	char token[TAXID_TOKEN_LEN], scope[64], at[TAXID_TIME_LEN];
	int64_t expires;
	snprintf(scope, sizeof scope, "enterprise:%s", e->tin);
	enum taxid_code c = taxid_session_issue(ctx, w->a.id, "enterprise", "business_licence", scope, NULL, token, &expires);
	if (c)
		return c;
	taxid_time_format(expires, at);
	json_object_set_new(out, "session", json_pack("{s:s,s:s,s:s,s:s,s:s}", "token", token, "kind", "enterprise", "factor",
						      "business_licence", "scope", scope, "expires_at", at));
	taxid_wipe(token, sizeof token);
	json_object_set_new(out, "login_name", json_string(w->a.login_name));
	json_object_set_new(out, "tin", json_string(e->tin));
	json_object_set_new(out, "enterprise", json_string(e->name));
	json_object_set_new(out, "role", json_string(s->role));
	json_object_set_new(out, "relation", json_integer(s->relation));
	json_object_set_new(out, "permissions", s->permissions ? json_incref(s->permissions) : json_array());
	return TAXID_OK;
}

enum taxid_code taxid_login_licence(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_enterprise e;
	struct taxid_bind_actor w;
	struct taxid_bind_standing s = {0};
	enum taxid_doc_type t;
	struct taxid_id_info info;
	struct taxid_verdict v;
	char subject[sizeof v.subject];
	memset(&w, 0, sizeof w);
	enum taxid_code c = taxid_enterprise_load(ctx, req, "tin", &e);
	if (c || (c = taxid_verify_document(ctx, req, "doc_type", "doc_no", &t, &info)))
		goto out;
	/* The licence app signs "<TIN>/<document number>": the enterprise and the person who scanned. */
	snprintf(subject, sizeof subject, "%s/%s", e.tin, info.normalized);
	if ((c = taxid_verdict_check(ctx, json_object_get(req, "licence"), "business_licence", subject, 1, "licence", &v)))
		goto out;
	if (!taxid_verdict_passed(ctx, &v)) {
		c = refuse(ctx, TAXID_E_VERDICT_FAILED, "licence");
		goto out;
	}
	if ((c = licence_holder(ctx, t, info.normalized, &w.a)))
		goto out;
	snprintf(w.id, sizeof w.id, "account:%lld", w.a.id);
	/* The gates of key business (enterprise status, level, an expired document, a D-rated enterprise), then an
	 * active, current relation: a pending one, an ended one or none is refused. */
	if ((c = taxid_bind_gate(ctx, &w, &e)) || (c = taxid_bind_standing_of(ctx, e.id, w.a.person_id, &s))) {
		taxid_keep_changes(ctx);
		goto out;
	}
	if (!s.role[0]) {
		c = refuse(ctx, TAXID_E_NOT_RELATED, "tin");
		goto out;
	}
	if ((c = issue(ctx, &w, &e, &s, out)))
		goto out;
	c = taxid_audit_new(ctx, "login_licence", w.a.login_name, w.id,
			    json_pack("{s:s,s:s,s:I,s:s}", "tin", e.tin, "role", s.role, "relation", (json_int_t)s.relation,
				      "issuer", v.issuer));
out:
	json_decref(s.permissions);
	taxid_bind_end(&w, &e);
	return c;
}
