/* Persons and enterprises: binding by role, two-way authorisation with caps and validity, revocation,
 * unbinding, the list, and maintenance of a related person's phone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "audit.h"
#include "bind.h"
#include "bind_actor.h"
#include "challenge.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "ids.h"
#include "keys.h"
#include "operator.h"
#include "person.h"
#include "register.h"
#include "record.h"
#include "verify.h"

static const char *const granted_roles[] = {"administrator", "tax_handler", "invoice_clerk", "invoice_purchaser", NULL};

static const char *const permission_names[] = {"declaration", "invoices", "inquiry", "payment", "agency_filing", NULL};

/* The state a relation is in today: expired and scheduled are derived from the validity dates. */
static const char *effective(const char *state, const char *from, const char *until, const char *today)
{
	if (strcmp(state, "active") == 0 || strcmp(state, "pending") == 0) {
		if (until && until[0] && strcmp(until, today) < 0)
			return "expired";
		if (strcmp(state, "active") == 0 && strcmp(from, today) > 0)
			return "scheduled";
	}
	return state;
}

/* ---- request members ---- */

/* A registered person by "login_name" (or phone), else by "doc_type" and "doc_no". */
static enum taxid_code read_person(struct taxid_ctx *ctx, json_t *req, struct taxid_account *a)
{
	enum taxid_code c = TAXID_OK;
	const char *login = taxid_req_str(ctx, req, "login_name", 0, &c);
	memset(a, 0, sizeof *a);
	if (c)
		return c;
	if (login) {
		char norm[80];
		c = taxid_account_resolve(ctx, login, a, norm);
		return c == TAXID_E_NOT_FOUND ? taxid_fail(ctx, c, "login_name") : c;
	}
	if (!json_object_get(req, "doc_no"))
		return taxid_fail_detail(ctx, TAXID_E_MISSING_FIELD, "login_name",
					 json_pack("{s:[ss]}", "one_of", "login_name", "doc_no"));
	enum taxid_doc_type t;
	struct taxid_id_info info;
	struct taxid_person p;
	if ((c = taxid_verify_document(ctx, req, "doc_type", "doc_no", &t, &info)))
		return c;
	if ((c = taxid_person_find_doc(ctx, t, info.normalized, &p)))
		return c == TAXID_E_NOT_FOUND ? taxid_fail(ctx, c, "doc_no") : c;
	long long pid = p.id;
	taxid_person_clear(&p);
	c = taxid_account_by_person(ctx, pid, a); /* only a registered person can be authorised */
	return c == TAXID_E_NOT_FOUND ? taxid_fail(ctx, c, "doc_no") : c;
}

static enum taxid_code read_role(struct taxid_ctx *ctx, json_t *req, const char *const *roles, const char **role)
{
	enum taxid_code c = TAXID_OK;
	*role = taxid_req_str(ctx, req, "role", 1, &c);
	if (c)
		return c;
	return taxid_bind_one_of(*role, roles) ? TAXID_OK : taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "role", taxid_bind_allowed(roles));
}

/* Permissions of a grant: the request's, or the role's defaults; invoice roles hold invoices only. */
static enum taxid_code read_permissions(struct taxid_ctx *ctx, json_t *req, const char *role, json_t **perms)
{
	static const char *const invoices_only[] = {"invoices", NULL};
	int invoice_role = strncmp(role, "invoice_", 8) == 0;
	json_t *v = json_object_get(req, "permissions");
	*perms = json_array();
	if (!v || json_is_null(v)) {
		if (invoice_role)
			json_array_append_new(*perms, json_string("invoices"));
		else {
			json_array_append_new(*perms, json_string("declaration"));
			if (strcmp(role, "administrator") == 0)
				json_array_append_new(*perms, json_string("invoices"));
			json_array_append_new(*perms, json_string("inquiry"));
			json_array_append_new(*perms, json_string("payment"));
		}
		return TAXID_OK;
	}
	if (!json_is_array(v))
		return taxid_fail(ctx, TAXID_E_BAD_TYPE, "permissions");
	if (json_array_size(v) == 0)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "permissions");
	size_t i, j;
	json_t *p, *q;
	json_array_foreach(v, i, p) {
		const char *const *list = invoice_role ? invoices_only : permission_names;
		if (!json_is_string(p) || !taxid_bind_one_of(json_string_value(p), list))
			return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "permissions", taxid_bind_allowed(list));
		int dup = 0;
		json_array_foreach(*perms, j, q) dup |= strcmp(json_string_value(q), json_string_value(p)) == 0;
		if (!dup)
			json_array_append(*perms, p);
	}
	return TAXID_OK;
}

/* Caps per enterprise and permission (policy): 20 by default, 100 for agency filing. */
static enum taxid_code check_caps(struct taxid_ctx *ctx, long long enterprise_id, json_t *perms)
{
	char today[11];
	taxid_bind_today(ctx, today);
	size_t i;
	json_t *p;
	json_array_foreach(perms, i, p) {
		const char *perm = json_string_value(p);
		long long cap = strcmp(perm, "agency_filing") == 0 ? taxid_setting_int(ctx, "bind.cap_agency_filing", 100)
								    : taxid_setting_int(ctx, "bind.cap_default", 20);
		struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REL_CAP_COUNT);
		taxid_q_int(q, 1, enterprise_id);
		taxid_q_text(q, 2, today);
		taxid_q_text(q, 3, perm);
		int row = taxid_q_step(q);
		long long n = row ? taxid_q_col_int(q, 0) : 0;
		enum taxid_code c = taxid_q_end(q);
		if (c || !row)
			return c ? c : TAXID_E_INTERNAL;
		if (n >= cap)
			return taxid_fail_detail(ctx, TAXID_E_CAP_REACHED, "permissions",
						 json_pack("{s:s,s:I,s:I}", "permission", perm, "cap", (json_int_t)cap, "holders",
							   (json_int_t)n));
	}
	return TAXID_OK;
}

/* The open relation of a person in a role: *id 0 when none; state "pending" or "active". */
static enum taxid_code open_relation(struct taxid_ctx *ctx, long long enterprise_id, long long person_id, const char *role,
				     long long *id, char state[16])
{
	char today[11];
	taxid_bind_today(ctx, today);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REL_OPEN_ROLE);
	taxid_q_int(q, 1, enterprise_id);
	taxid_q_int(q, 2, person_id);
	taxid_q_text(q, 3, role);
	taxid_q_text(q, 4, today);
	*id = 0;
	state[0] = 0;
	if (taxid_q_step(q)) {
		*id = taxid_q_col_int(q, 0);
		snprintf(state, 16, "%s", taxid_q_col_text(q, 1));
	}
	return taxid_q_end(q);
}

static enum taxid_code audit_relation(struct taxid_ctx *ctx, const char *action, long long relation_id, const char *actor,
				      json_t *detail)
{
	char subj[40];
	snprintf(subj, sizeof subj, "relation:%lld", relation_id);
	return taxid_audit_new(ctx, action, subj, actor, detail);
}

/* ---- bind ---- */

enum taxid_code taxid_bind_bind(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	static const char *const core_roles[] = {"legal_rep", "finance_manager", NULL};
	struct taxid_bind_actor w;
	struct taxid_enterprise e;
	const char *role;
	enum taxid_code c = taxid_bind_begin(ctx, req, &w, &e, 1);
	if (c || (c = read_role(ctx, req, core_roles, &role)))
		goto out;
	int which = strcmp(role, "finance_manager") == 0;
	const unsigned char *index = which ? e.fin_index : e.rep_index, *old = which ? e.fin_index_old : e.rep_index_old;
	int named = 0;
	if (!which || e.fin_type) {
		struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ENT_PERSON_HAS_DOC);
		taxid_q_int(q, 1, w.a.person_id);
		taxid_q_blob(q, 2, index, 32);
		if (ctx->keys->rotating)
			taxid_q_blob(q, 3, old, 32);
		named = taxid_q_step(q);
		if ((c = taxid_q_end(q)))
			goto out;
	}
	if (named) { /* the document is the person's: the name on the record must be the registry's too */
		char *recorded = taxid_enterprise_holder_name(ctx, e.id, which), *mine = NULL;
		struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ENT_PERSON_NAME);
		taxid_q_int(q, 1, w.a.person_id);
		if (taxid_q_step(q)) {
			size_t n;
			const void *sealed = taxid_q_col_blob(q, 0, &n);
			mine = taxid_pii_open(ctx->keys, "person.name", sealed, n);
		}
		taxid_q_end(q);
		named = recorded && mine && taxid_name_equal(recorded, mine);
		free(recorded);
		free(mine);
	}
	if (!named) {
		c = taxid_fail(ctx, TAXID_E_ROLE_MISMATCH, "role");
		goto out;
	}
	long long rid;
	char state[16];
	const char *did = "bound";
	if ((c = open_relation(ctx, e.id, w.a.person_id, role, &rid, state)))
		goto out;
	if (rid && strcmp(state, "active") == 0) {
		did = "already_bound";
	} else if (rid) { /* the finance manager's pending link: binding is the person's confirmation */
		did = "confirmed";
		c = taxid_relation_set_state(ctx, rid, "active", "confirmed", w.a.person_id, NULL, NULL);
	} else {
		char today[11];
		json_t *none = json_array();
		taxid_bind_today(ctx, today);
		c = taxid_relation_create(ctx, e.id, w.a.person_id, role, none, "core", "active", today, NULL, w.a.person_id,
					  NULL, &rid);
		json_decref(none);
	}
	if (!c && strcmp(did, "already_bound") != 0)
		c = audit_relation(ctx, "bind", rid, w.id, json_pack("{s:s,s:s,s:s}", "tin", e.tin, "role", role, "did", did));
	if (c)
		goto out;
	json_object_set_new(out, "relation", json_integer(rid));
	json_object_set_new(out, "tin", json_string(e.tin));
	json_object_set_new(out, "enterprise", json_string(e.name));
	json_object_set_new(out, "role", json_string(role));
	json_object_set_new(out, "state", json_string("active"));
	json_object_set_new(out, "did", json_string(did));
out:
	taxid_bind_end(&w, &e);
	return c;
}

/* ---- grant and request ---- */

static void put_relation(json_t *out, long long rid, const char *tin, const char *role, json_t *perms, const char *state,
			 const char *from, const char *until)
{
	json_object_set_new(out, "relation", json_integer(rid));
	json_object_set_new(out, "tin", json_string(tin));
	json_object_set_new(out, "role", json_string(role));
	json_object_set_new(out, "permissions", json_incref(perms));
	json_object_set_new(out, "state", json_string(state));
	json_object_set_new(out, "valid_from", json_string(from));
	json_object_set_new(out, "valid_until", until[0] ? json_string(until) : json_null());
}

/* grant (the enterprise side authorises a person) and request (a person asks; the enterprise confirms). */
static enum taxid_code authorise(struct taxid_ctx *ctx, json_t *req, json_t *out, int is_request)
{
	struct taxid_bind_actor w;
	struct taxid_enterprise e;
	struct taxid_account g = {0};
	struct taxid_bind_standing s = {0};
	const char *role;
	json_t *perms = NULL;
	char from[11], until[11];
	enum taxid_code c = taxid_bind_begin(ctx, req, &w, &e, 1);
	if (c || (c = read_role(ctx, req, granted_roles, &role)) || (c = read_permissions(ctx, req, role, &perms)) ||
	    (c = taxid_bind_read_validity(ctx, req, from, until)))
		goto out;
	long long person = w.a.person_id;
	if (!is_request) {
		if ((c = taxid_bind_need_role(ctx, &w, &e, taxid_bind_managers(role), &s)) || (c = read_person(ctx, req, &g)))
			goto out;
		person = g.person_id;
	}
	long long rid;
	char state[16];
	if ((c = open_relation(ctx, e.id, person, role, &rid, state)))
		goto out;
	if (rid) {
		c = taxid_fail_detail(ctx, TAXID_E_RELATION_EXISTS, "role",
				      json_pack("{s:I,s:s}", "relation", (json_int_t)rid, "state", state));
		goto out;
	}
	if ((c = check_caps(ctx, e.id, perms)) ||
	    (c = taxid_relation_create(ctx, e.id, person, role, perms, is_request ? "request" : "grant", "pending", from,
				       until[0] ? until : NULL, w.a.person_id, NULL, &rid)) ||
	    (c = audit_relation(ctx, is_request ? "request" : "grant", rid, w.id,
				json_pack("{s:s,s:s,s:O,s:I,s:s,s:s?}", "tin", e.tin, "role", role, "permissions", perms, "person",
					  (json_int_t)person, "valid_from", from, "valid_until", until[0] ? until : NULL))))
		goto out;
	put_relation(out, rid, e.tin, role, perms, "pending", from, until);
	if (!is_request)
		json_object_set_new(out, "grantee", json_string(g.login_name));
out:
	json_decref(perms);
	json_decref(s.permissions);
	taxid_account_clear(&g);
	taxid_bind_end(&w, &e);
	return c;
}

enum taxid_code taxid_bind_grant(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	return authorise(ctx, req, out, 0);
}

enum taxid_code taxid_bind_request(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	return authorise(ctx, req, out, 1);
}

/* ---- confirm and revoke ---- */

struct relation {
	long long id, enterprise_id, person_id;
	char role[24], origin[12], state[16], valid_from[11], valid_until[11], tin[40];
	json_t *permissions;
};

static enum taxid_code load_relation(struct taxid_ctx *ctx, json_t *req, struct relation *r)
{
	enum taxid_code c = TAXID_OK;
	memset(r, 0, sizeof *r);
	struct taxid_q *q = taxid_req_row(ctx, req, "relation", TAXID_SQL_REL_GET, &c);
	if (!q)
		return c;
	r->id = taxid_q_col_int(q, 0);
	r->enterprise_id = taxid_q_col_int(q, 1);
	r->person_id = taxid_q_col_int(q, 2);
	snprintf(r->role, sizeof r->role, "%s", taxid_q_col_text(q, 3));
	r->permissions = json_loads(taxid_q_col_text(q, 4), 0, NULL);
	if (!r->permissions)
		r->permissions = json_array();
	snprintf(r->origin, sizeof r->origin, "%s", taxid_q_col_text(q, 5));
	snprintf(r->state, sizeof r->state, "%s", taxid_q_col_text(q, 6));
	snprintf(r->valid_from, sizeof r->valid_from, "%s", taxid_q_col_text(q, 7));
	if (!taxid_q_is_null(q, 8))
		snprintf(r->valid_until, sizeof r->valid_until, "%s", taxid_q_col_text(q, 8));
	snprintf(r->tin, sizeof r->tin, "%s", taxid_q_col_text(q, 10));
	return taxid_q_end(q);
}

/* Session, relation (member "relation") and its enterprise; when gated, the gates. */
static enum taxid_code begin_relation(struct taxid_ctx *ctx, json_t *req, struct taxid_bind_actor *w, struct relation *r,
				      struct taxid_enterprise *e, int gated)
{
	enum taxid_code c = taxid_bind_actor_load(ctx, req, w);
	if (c || (c = load_relation(ctx, req, r)) || (c = taxid_enterprise_load_id(ctx, r->enterprise_id, e)))
		return c;
	return gated ? taxid_bind_gate(ctx, w, e) : TAXID_OK;
}

/* Does the asker manage staff in role at e (DOMAIN §8)? Their standing goes into *s. */
static enum taxid_code manages(struct taxid_ctx *ctx, const struct taxid_bind_actor *w, const struct taxid_enterprise *e,
			       const char *role, struct taxid_bind_standing *s, int *yes)
{
	enum taxid_code c = taxid_bind_standing_of(ctx, e->id, w->a.person_id, s);
	*yes = !c && taxid_bind_one_of(s->role, taxid_bind_managers(role));
	return c;
}

enum taxid_code taxid_bind_confirm(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_bind_actor w;
	struct taxid_enterprise e = {0};
	struct relation r = {0};
	struct taxid_bind_standing s = {0};
	char today[11];
	taxid_bind_today(ctx, today);
	enum taxid_code c = begin_relation(ctx, req, &w, &r, &e, 1);
	if (c)
		goto out;
	const char *now_state = effective(r.state, r.valid_from, r.valid_until, today);
	if (strcmp(now_state, "pending") != 0) {
		c = taxid_fail_detail(ctx, TAXID_E_RELATION_STATE, "relation", json_pack("{s:s}", "state", now_state));
		goto out;
	}
	/* A grant (and the finance manager's link) is confirmed by the person; a request by the enterprise side. */
	int may = w.a.person_id == r.person_id;
	if (strcmp(r.origin, "request") == 0) {
		if ((c = manages(ctx, &w, &e, r.role, &s, &may)))
			goto out;
		may = may && w.a.person_id != r.person_id;
	}
	if (!may) {
		c = taxid_fail(ctx, TAXID_E_NOT_AUTHORIZED, "relation");
		goto out;
	}
	if ((c = taxid_relation_set_state(ctx, r.id, "active", "confirmed", w.a.person_id, NULL, NULL)) ||
	    (c = audit_relation(ctx, "confirm", r.id, w.id, json_pack("{s:s,s:s,s:s}", "tin", e.tin, "role", r.role, "origin", r.origin))))
		goto out;
	put_relation(out, r.id, e.tin, r.role, r.permissions, effective("active", r.valid_from, r.valid_until, today),
		     r.valid_from, r.valid_until);
out:
	json_decref(r.permissions);
	json_decref(s.permissions);
	taxid_bind_end(&w, &e);
	return c;
}

enum taxid_code taxid_bind_revoke(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_bind_actor w;
	struct taxid_enterprise e = {0};
	struct relation r = {0};
	struct taxid_bind_standing s = {0};
	enum taxid_code c = begin_relation(ctx, req, &w, &r, &e, 0);
	if (c)
		goto out;
	if (strcmp(r.state, "pending") != 0 && strcmp(r.state, "active") != 0) {
		c = taxid_fail_detail(ctx, TAXID_E_RELATION_STATE, "relation", json_pack("{s:s}", "state", r.state));
		goto out;
	}
	if (strcmp(r.origin, "core") == 0) { /* the core record decides these: enterprise update */
		c = taxid_fail_detail(ctx, TAXID_E_NOT_AUTHORIZED, "relation", json_pack("{s:s}", "reason", "core_relation"));
		goto out;
	}
	const char *side = NULL;
	int may;
	if (w.a.person_id == r.person_id)
		side = "person";
	else if ((c = manages(ctx, &w, &e, r.role, &s, &may)))
		goto out;
	else if (may)
		side = "enterprise";
	if (!side) {
		c = taxid_fail(ctx, TAXID_E_NOT_AUTHORIZED, "relation");
		goto out;
	}
	char note[32];
	snprintf(note, sizeof note, "by the %s", side);
	if ((c = taxid_relation_set_state(ctx, r.id, "revoked", "revoked", w.a.person_id, NULL, note)) ||
	    (c = audit_relation(ctx, "revoke", r.id, w.id, json_pack("{s:s,s:s,s:s}", "tin", e.tin, "role", r.role, "side", side))))
		goto out;
	put_relation(out, r.id, e.tin, r.role, r.permissions, "revoked", r.valid_from, r.valid_until);
	json_object_set_new(out, "side", json_string(side));
out:
	json_decref(r.permissions);
	json_decref(s.permissions);
	taxid_bind_end(&w, &e);
	return c;
}

/* ---- unbind (DOMAIN §5: enter the number, query, confirm) ---- */

enum taxid_code taxid_bind_unbind(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_bind_actor w;
	struct taxid_enterprise e;
	enum taxid_code c = taxid_bind_begin(ctx, req, &w, &e, 0);
	int confirm = c ? 0 : taxid_req_bool(ctx, req, "confirm", 0, &c);
	if (c)
		goto out;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REL_TAX_HANDLER);
	if (!q) {
		c = TAXID_E_INTERNAL;
		goto out;
	}
	char today[11];
	taxid_bind_today(ctx, today);
	taxid_q_int(q, 1, e.id);
	taxid_q_int(q, 2, w.a.person_id);
	json_t *rels = json_array();
	while (taxid_q_step(q)) {
		const char *until = taxid_q_col_text(q, 3), *from = taxid_q_col_text(q, 2);
		json_array_append_new(rels, json_pack("{s:I,s:s,s:s,s:s?,s:o}", "relation", (json_int_t)taxid_q_col_int(q, 0),
						      "state", effective(taxid_q_col_text(q, 1), from, until, today),
						      "valid_from", from, "valid_until", until, "permissions",
						      json_loads(taxid_q_col_text(q, 4), 0, NULL)));
	}
	if ((c = taxid_q_end(q))) {
		json_decref(rels);
		goto out;
	}
	if (json_array_size(rels) == 0) {
		json_decref(rels);
		c = taxid_fail(ctx, TAXID_E_NOT_TAX_HANDLER, "tin");
		goto out;
	}
	json_object_set_new(out, "tin", json_string(e.tin));
	json_object_set_new(out, "enterprise", json_string(e.name));
	json_object_set_new(out, "relations", rels);
	if (!confirm) { /* the query step: what would be unbound; nothing changes */
		json_object_set_new(out, "confirm_required", json_true());
		goto out;
	}
	size_t i;
	json_t *r;
	json_array_foreach(rels, i, r) {
		long long rid = json_integer_value(json_object_get(r, "relation"));
		if ((c = taxid_relation_set_state(ctx, rid, "unbound", "unbound", w.a.person_id, NULL, NULL)) ||
		    (c = audit_relation(ctx, "unbind", rid, w.id, json_pack("{s:s,s:s}", "tin", e.tin, "role", "tax_handler"))))
			goto out;
		json_object_set_new(r, "state", json_string("unbound"));
	}
	json_object_set_new(out, "unbound", json_integer((json_int_t)json_array_size(rels)));
out:
	taxid_bind_end(&w, &e);
	return c;
}

/* ---- list ---- */

static json_t *history(struct taxid_ctx *ctx, long long rid)
{
	json_t *h = json_array();
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REL_EVENTS);
	taxid_q_int(q, 1, rid);
	while (taxid_q_step(q)) {
		const char *by = taxid_q_col_text(q, 2);
		char op[80];
		if (!by && !taxid_q_is_null(q, 3)) {
			snprintf(op, sizeof op, "operator:%s", taxid_q_col_text(q, 3));
			by = op;
		}
		json_t *ev = json_pack("{s:s,s:s,s:s?}", "at", taxid_q_col_text(q, 0), "event", taxid_q_col_text(q, 1), "by", by);
		if (!taxid_q_is_null(q, 4))
			json_object_set_new(ev, "note", json_string(taxid_q_col_text(q, 4)));
		json_array_append_new(h, ev);
	}
	taxid_q_end(q);
	return h;
}

/* One relation of REL_LIST's current row as list shows it (NULL when it cannot be built); state is its effective
 * state today. The person's name is masked unless revealed; the contact phone maintain keeps likewise. */
static json_t *list_row(struct taxid_ctx *ctx, struct taxid_q *q, const char *state)
{
	long long rid = taxid_q_col_int(q, 0), pid = taxid_q_col_int(q, 11);
	size_t n;
	const void *sealed = taxid_q_col_blob(q, 13, &n);
	char *name = taxid_pii_open(ctx->keys, "person.name", sealed, n);
	char *masked = name ? malloc(strlen(name) + 2) : NULL;
	if (masked)
		taxid_mask_name(name, masked);
	json_t *person = json_pack("{s:I,s:s?,s:s?}", "id", (json_int_t)pid, "login_name", taxid_q_col_text(q, 12), "name",
				   ctx->reveal ? name : masked);
	free(name);
	free(masked);
	if (ctx->reveal) {
		char who[32];
		snprintf(who, sizeof who, "person:%lld", pid);
		taxid_reveal_subject(ctx, who);
	}
	json_t *row = json_pack("{s:I,s:s,s:s,s:s,s:o,s:s,s:s,s:s,s:s?,s:s,s:s,s:o,s:o}", "relation", (json_int_t)rid, "tin",
				taxid_q_col_text(q, 1), "enterprise", taxid_q_col_text(q, 2), "role", taxid_q_col_text(q, 3),
				"permissions", json_loads(taxid_q_col_text(q, 4), 0, NULL), "origin", taxid_q_col_text(q, 5),
				"state", state, "valid_from", taxid_q_col_text(q, 7), "valid_until", taxid_q_col_text(q, 8),
				"created_at", taxid_q_col_text(q, 9), "updated_at", taxid_q_col_text(q, 10), "person", person,
				"history", history(ctx, rid));
	if (row && !taxid_q_is_null(q, 14)) { /* the contact phone maintain keeps (issue 10) */
		sealed = taxid_q_col_blob(q, 14, &n);
		char *cp = taxid_pii_open(ctx->keys, "relation.contact_phone", sealed, n), cm[16];
		if (cp) {
			taxid_mask_phone(cp, cm);
			json_object_set_new(row, "contact_phone", json_string(ctx->reveal ? cp : cm));
			taxid_wipe(cp, strlen(cp));
			free(cp);
		}
	}
	return row;
}

/* list's rows as a spreadsheet (--format csv); permissions and history are JSON in their cells. */
static const char *const list_columns[] = {"relation", "tin", "enterprise", "role", "permissions", "origin", "state",
					   "valid_from", "valid_until", "created_at", "updated_at", "person.id",
					   "person.login_name", "person.name", "contact_phone", "history", NULL};

enum taxid_code taxid_bind_list(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_bind_actor w = {0};
	struct taxid_enterprise e = {0};
	struct taxid_bind_standing s = {0};
	enum taxid_code c = TAXID_OK;
	long long only_enterprise = 0, only_person = 0;
	const char *want = taxid_req_str(ctx, req, "state", 0, &c);
	const char *op = c ? NULL : taxid_req_str(ctx, req, "operator", 0, &c);
	if (c)
		return c;
	static const char *const states[] = {"pending", "active", "scheduled", "expired", "revoked", "unbound", "ended", NULL};
	if (want && !taxid_bind_one_of(want, states))
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "state", taxid_bind_allowed(states));
	int has_tin = json_object_get(req, "tin") != NULL;
	if (json_object_get(req, "session")) {
		if ((c = taxid_bind_actor_load(ctx, req, &w)) || (has_tin && (c = taxid_enterprise_load(ctx, req, "tin", &e))))
			goto out;
		only_person = w.a.person_id;
		if (has_tin) {
			only_enterprise = e.id;
			if ((c = taxid_bind_standing_of(ctx, e.id, w.a.person_id, &s)))
				goto out;
			if (taxid_bind_is_core(s.role) || strcmp(s.role, "administrator") == 0)
				only_person = 0; /* who manages staff sees all of the enterprise's relations */
		}
	} else if (op) { /* an operator's view of one enterprise */
		if (!has_tin) {
			c = taxid_fail(ctx, TAXID_E_MISSING_FIELD, "tin");
			goto out;
		}
		if ((c = taxid_enterprise_load(ctx, req, "tin", &e)))
			goto out;
		only_enterprise = e.id;
	} else {
		c = taxid_fail_detail(ctx, TAXID_E_MISSING_FIELD, "session", json_pack("{s:[ss]}", "one_of", "session", "operator"));
		goto out;
	}
	if ((c = taxid_req_format(ctx, req, list_columns)))
		goto out;
	char today[11];
	taxid_bind_today(ctx, today);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REL_LIST);
	if (!q) {
		c = TAXID_E_INTERNAL;
		goto out;
	}
	if (only_enterprise)
		taxid_q_int(q, 1, only_enterprise);
	if (only_person)
		taxid_q_int(q, 2, only_person);
	while (!c && taxid_q_step(q)) {
		const char *until = taxid_q_col_text(q, 8);
		const char *state = effective(taxid_q_col_text(q, 6), taxid_q_col_text(q, 7), until, today);
		if (want && strcmp(want, state) != 0)
			continue;
		json_t *row = list_row(ctx, q, state);
		c = row ? taxid_emit(ctx, row) : TAXID_E_INTERNAL;
	}
	enum taxid_code ended = taxid_q_end(q);
	if (!c)
		c = ended;
out:
	json_decref(s.permissions);
	taxid_bind_end(&w, &e);
	return c;
}

/* ---- maintain (DOMAIN §3: a related person's phone) ----
 * What an enterprise maintains is the contact phone of its relation with the person (its staff record), never
 * the phone that authenticates the person's account (SECURITY rule 23): that one changes only by its holder
 * (taxid-register change) or at a hall. Maintaining needs a session whose second factor was face (seed 001). */

enum taxid_code taxid_bind_maintain(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	static const char *const maintainers[] = {"legal_rep", "finance_manager", "tax_handler", NULL};
	struct taxid_bind_actor w;
	struct taxid_enterprise e;
	struct taxid_bind_standing s = {0};
	struct taxid_account t = {0};
	enum taxid_code c = taxid_bind_begin(ctx, req, &w, &e, 1);
	const char *phone = c ? NULL : taxid_req_str(ctx, req, "phone", 1, &c);
	if (c || (c = taxid_bind_need_role(ctx, &w, &e, maintainers, &s)))
		goto out;
	if (strcmp(w.sess.factor, "face") != 0) {
		c = taxid_fail_detail(ctx, TAXID_E_SECOND_FACTOR_REQUIRED, "session",
				      json_pack("{s:[s],s:s}", "one_of", "face", "session_factor", w.sess.factor));
		goto out;
	}
	if ((c = read_person(ctx, req, &t)))
		goto out;
	char today[11];
	taxid_bind_today(ctx, today);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REL_RELATED);
	taxid_q_int(q, 1, e.id);
	taxid_q_int(q, 2, t.person_id);
	taxid_q_text(q, 3, today);
	int related = taxid_q_step(q);
	if ((c = taxid_q_end(q)))
		goto out;
	if (!related) {
		c = taxid_fail(ctx, TAXID_E_NOT_RELATED, json_object_get(req, "login_name") ? "login_name" : "doc_no");
		goto out;
	}
	struct taxid_ids_opts o;
	struct taxid_id_info ph;
	taxid_verify_opts(ctx, req, &o);
	memset(&ph, 0, sizeof ph);
	if ((c = taxid_ids_check_mobile(phone, strlen(phone), &o, &ph))) {
		c = taxid_fail(ctx, c, "phone");
		goto out;
	}
	char masked[16];
	taxid_mask_phone(ph.normalized, masked);
	json_object_set_new(out, "tin", json_string(e.tin));
	json_object_set_new(out, "person", json_pack("{s:I,s:s}", "id", (json_int_t)t.person_id, "login_name", t.login_name));
	json_object_set_new(out, "contact_phone", json_string(ctx->reveal ? ph.normalized : masked));
	taxid_reveal_subject(ctx, masked);
	json_t *sms = json_object_get(req, "sms");
	if (!sms) { /* first step: a code to the new phone, which proves it */
		json_t *sent = json_object();
		if (!(c = taxid_sms_send(ctx, ph.normalized, "maintain", sent))) {
			json_object_set_new(out, "next", json_string("sms"));
			json_object_set_new(out, "sms", sent);
		} else {
			json_decref(sent);
		}
		goto out;
	}
	if ((c = taxid_sms_check(ctx, sms, ph.normalized, "maintain", "sms")))
		goto out;
	size_t el;
	char at[TAXID_TIME_LEN];
	unsigned char *enc = taxid_pii_seal(ctx->keys, "relation.contact_phone", ph.normalized, &el);
	taxid_time_format(ctx->now, at);
	if (!enc) {
		c = TAXID_E_INTERNAL;
		goto out;
	}
	q = taxid_q(ctx, TAXID_SQL_REL_SET_CONTACT);
	taxid_q_int(q, 1, e.id);
	taxid_q_int(q, 2, t.person_id);
	taxid_q_blob(q, 3, enc, el);
	taxid_q_text(q, 4, at);
	c = taxid_q_exec(q);
	free(enc);
	int relations = c ? 0 : (int)taxid_db_changes(ctx);
	char subj[40];
	snprintf(subj, sizeof subj, "person:%lld", t.person_id);
	if (c || (c = taxid_audit_new(ctx, "maintain_contact", subj, w.id,
				      json_pack("{s:s,s:s,s:s,s:i}", "tin", e.tin, "role", s.role, "contact_phone", masked,
						"relations", relations))))
		goto out;
	json_object_set_new(out, "changed", json_true());
	json_object_set_new(out, "relations", json_integer(relations));
out:
	json_decref(s.permissions);
	taxid_account_clear(&t);
	taxid_bind_end(&w, &e);
	return c;
}
