/* taxid-bind enter (单位办税验证): an enterprise session for a person, by an active authorisation or else by the
 * enterprise's declaration password (DOMAIN §5); through an agency agreement, bind_agency.c's. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "bind.h"
#include "bind_actor.h"
#include "bind_declpw.h"
#include "clock.h"
#include "crypto.h"
#include "lockout.h"
#include "record.h"

/* The enterprise session of scope, derived from the person's: its factor, and never past its absolute expiry. */
enum taxid_code taxid_bind_issue(struct taxid_ctx *ctx, const struct taxid_bind_actor *w, const char *scope, json_t *out)
{
	char token[TAXID_TOKEN_LEN], at[TAXID_TIME_LEN];
	int64_t expires;
	/* Deriving a session checks the account's locks (SECURITY rule 25). */
	static const char *const scopes[] = {"password", "sms", "face"};
	struct taxid_lock_state ls;
	for (size_t i = 0; i < sizeof scopes / sizeof *scopes; i++) {
		enum taxid_code lc = taxid_lock_check(ctx, scopes[i], w->id, &ls);
		if (lc)
			return lc;
	}
	enum taxid_code c = taxid_session_issue(ctx, w->a.id, "enterprise", w->sess.factor, scope, &w->sess, token, &expires);
	if (c)
		return c;
	taxid_time_format(expires, at);
	json_object_set_new(out, "session", json_pack("{s:s,s:s,s:s}", "token", token, "scope", scope, "expires_at", at));
	taxid_wipe(token, sizeof token);
	return TAXID_OK;
}

/* The session for e itself; entered for one of its tax authorities (a cross-region taxpayer), the scope names
 * it: enterprise:TIN@AUTHORITY. */
static enum taxid_code issue(struct taxid_ctx *ctx, const struct taxid_bind_actor *w, const struct taxid_enterprise *e,
			     const char *authority, json_t *out)
{
	char scope[64];
	if (authority)
		snprintf(scope, sizeof scope, "enterprise:%s@%s", e->tin, authority);
	else
		snprintf(scope, sizeof scope, "enterprise:%s", e->tin);
	return taxid_bind_issue(ctx, w, scope, out);
}

/* An active authorisation: no declaration password (DOMAIN §5). */
static enum taxid_code by_authorisation(struct taxid_ctx *ctx, const struct taxid_bind_actor *w,
					const struct taxid_enterprise *e, const struct taxid_bind_standing *s,
					const char *authority, json_t *out)
{
	enum taxid_code c;
	if ((c = issue(ctx, w, e, authority, out)) ||
	    (c = taxid_audit_new(ctx, "enter", w->id, w->id,
				 json_pack("{s:s,s:s,s:s,s:I,s:s?}", "tin", e->tin, "via", "authorisation", "role", s->role, "relation",
					   (json_int_t)s->relation, "authority", authority))))
		return c;
	json_object_set_new(out, "via", json_string("authorisation"));
	json_object_set_new(out, "role", json_string(s->role));
	json_object_set_new(out, "relation", json_integer(s->relation));
	json_object_set_new(out, "permissions", s->permissions ? json_incref(s->permissions) : json_array());
	json_object_set_new(out, "valid_until", s->valid_until[0] ? json_string(s->valid_until) : json_null());
	return TAXID_OK;
}

/* No authorisation: the declaration password, which lets the person declare only. */
static enum taxid_code by_declaration_password(struct taxid_ctx *ctx, json_t *req, const struct taxid_bind_actor *w,
					       const struct taxid_enterprise *e, const char *pw, const char *authority, json_t *out)
{
	enum taxid_code c;
	if ((c = taxid_bind_declpw_verify(ctx, req, w, e, pw)) || (c = issue(ctx, w, e, authority, out)) ||
	    (c = taxid_audit_new(ctx, "enter", w->id, w->id,
				 json_pack("{s:s,s:s,s:s?}", "tin", e->tin, "via", "declaration_password", "authority", authority))))
		return c;
	json_object_set_new(out, "via", json_string("declaration_password"));
	json_object_set_new(out, "role", json_null());
	json_object_set_new(out, "permissions", json_pack("[s]", "declaration"));
	return TAXID_OK;
}

enum taxid_code taxid_bind_enter(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_bind_actor w;
	struct taxid_enterprise e;
	struct taxid_bind_standing s = {0};
	enum taxid_code c = taxid_bind_begin(ctx, req, &w, &e, 1);
	const char *pw = c ? NULL : taxid_req_str(ctx, req, "declaration_password", 0, &c);
	const char *authority = NULL;
	if (!c && json_object_get(req, "agency")) { /* a tax agency's staff, by the client's agreement */
		json_object_set_new(out, "tin", json_string(e.tin));
		json_object_set_new(out, "enterprise", json_string(e.name));
		c = taxid_bind_enter_agency(ctx, req, &w, &e, out);
	} else if (!c && !(c = taxid_bind_authority_check(ctx, req, e.id, &authority)) &&
	    !(c = taxid_bind_standing_of(ctx, e.id, w.a.person_id, &s))) {
		json_object_set_new(out, "tin", json_string(e.tin));
		json_object_set_new(out, "enterprise", json_string(e.name));
		if (authority)
			json_object_set_new(out, "authority", json_string(authority));
		c = s.role[0] ? by_authorisation(ctx, &w, &e, &s, authority, out)
			      : by_declaration_password(ctx, req, &w, &e, pw, authority, out);
	}
	taxid_bind_wipe_member(req, "declaration_password");
	json_decref(s.permissions);
	taxid_bind_end(&w, &e);
	return c;
}
