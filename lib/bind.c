/* Persons and enterprises: binding by role, two-way authorisation with caps and validity, revocation,
 * unbinding, entering an enterprise (authorisation or declaration password under its own lock scope),
 * the declaration password itself, and maintenance of a related person's phone. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "audit.h"
#include "bind.h"
#include "challenge.h"
#include "verdict.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "ids.h"
#include "keys.h"
#include "lockout.h"
#include "person.h"
#include "operator.h"
#include "record.h"
#include "register.h"
#include "verify.h"

static const char *const granted_roles[] = {"administrator", "tax_handler", "invoice_clerk", "invoice_purchaser", NULL};
#define DECL_ALL_SUBJECT "enterprise" /* the subject of the enterprise's own declaration counter */

static const char *const permission_names[] = {"declaration", "invoices", "inquiry", "payment", "agency_filing", NULL};

static int one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static json_t *allowed(const char *const *list)
{
	json_t *a = json_array();
	for (; *list; list++)
		json_array_append_new(a, json_string(*list));
	return json_pack("{s:o}", "allowed", a);
}

/* Wipe a secret request member in place once it is no longer needed (SECURITY rule 21). */
static void wipe_member(json_t *req, const char *key)
{
	json_t *v = json_object_get(req, key);
	if (json_is_string(v) && json_string_length(v))
		taxid_wipe((char *)(uintptr_t)json_string_value(v), json_string_length(v));
}

/* ---- who is asking ---- */

struct actor {
	struct taxid_account a;
	struct taxid_session sess; /* a personal session: every action here is the person's (SECURITY rule 25) */
	char id[40]; /* "account:<id>", the audit's actor */
};

static enum taxid_code actor_load(struct taxid_ctx *ctx, json_t *req, struct actor *w)
{
	memset(w, 0, sizeof *w);
	enum taxid_code c = taxid_session_open(ctx, req, "session", 0, &w->sess);
	long long aid = w->sess.account_id;
	if (c || (c = taxid_account_load(ctx, aid, &w->a)))
		return c;
	snprintf(w->id, sizeof w->id, "account:%lld", aid);
	return w->a.abnormal ? taxid_fail(ctx, TAXID_E_IDENTITY_ABNORMAL, "session") : TAXID_OK;
}

/* The gates before any business for an enterprise: its status, the person's real-name level (policy), and for
 * an enterprise rated D, blacklisted or on the real-name risk list, its legal representative's collection. */
static enum taxid_code gate(struct taxid_ctx *ctx, const struct actor *w, const struct taxid_enterprise *e)
{
	if (strcmp(e->status, "normal") != 0)
		return taxid_fail_detail(ctx, TAXID_E_ENTERPRISE_INACTIVE, "tin", json_pack("{s:s}", "status", e->status));
	long long need = taxid_setting_int(ctx, "bind.min_level", 4);
	if (w->a.level < need)
		return taxid_fail_detail(ctx, TAXID_E_REALNAME_LEVEL_REQUIRED, "session",
					 json_pack("{s:i,s:I}", "level", w->a.level, "required", (json_int_t)need));
	if (strcmp(e->credit, "D") == 0 || e->blacklist || e->realname_risk) {
		long long pid;
		int level;
		enum taxid_code c = taxid_enterprise_holder(ctx, e->rep_index, &pid, &level);
		if (c)
			return c;
		if (!pid || level < 5) {
			json_t *why = json_array();
			if (strcmp(e->credit, "D") == 0)
				json_array_append_new(why, json_string("credit_d"));
			if (e->blacklist)
				json_array_append_new(why, json_string("blacklist"));
			if (e->realname_risk)
				json_array_append_new(why, json_string("realname_risk"));
			return taxid_fail_detail(ctx, TAXID_E_REALNAME_COLLECTION_REQUIRED, "tin", json_pack("{s:o}", "reasons", why));
		}
	}
	return TAXID_OK;
}

/* Session, enterprise ("tin") and, when gated, the gates. */
static enum taxid_code begin(struct taxid_ctx *ctx, json_t *req, struct actor *w, struct taxid_enterprise *e, int gated)
{
	memset(e, 0, sizeof *e);
	enum taxid_code c = actor_load(ctx, req, w);
	if (c || (c = taxid_enterprise_load(ctx, req, "tin", e)))
		return c;
	return gated ? gate(ctx, w, e) : TAXID_OK;
}

static void end(struct actor *w, struct taxid_enterprise *e)
{
	taxid_account_clear(&w->a);
	taxid_enterprise_clear(e);
}

/* The strongest active, current role of a person at an enterprise today: role "" when none. */
struct standing {
	long long relation;
	char role[24];
	json_t *permissions;
	char valid_until[11];
};

static enum taxid_code standing_of(struct taxid_ctx *ctx, long long enterprise_id, long long person_id, struct standing *s)
{
	char today[11];
	taxid_bind_today(ctx, today);
	memset(s, 0, sizeof *s);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_REL_ACTIVE);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, enterprise_id);
	sqlite3_bind_int64(st, 2, person_id);
	sqlite3_bind_text(st, 3, today, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s->relation = sqlite3_column_int64(st, 0);
		snprintf(s->role, sizeof s->role, "%s", sqlite3_column_text(st, 1));
		s->permissions = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
		if (sqlite3_column_type(st, 3) != SQLITE_NULL)
			snprintf(s->valid_until, sizeof s->valid_until, "%s", sqlite3_column_text(st, 3));
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? TAXID_OK : taxid_db_fail(ctx, rc);
}

static int is_core(const char *role)
{
	return strcmp(role, "legal_rep") == 0 || strcmp(role, "finance_manager") == 0;
}

/* May a person of this standing authorise others in role? Legal representative and finance manager: every role;
 * an administrator: every role but administrator (DOMAIN §8). */
static int can_manage(const struct standing *s, const char *role)
{
	if (is_core(s->role))
		return 1;
	return strcmp(s->role, "administrator") == 0 && strcmp(role, "administrator") != 0;
}

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
	return one_of(*role, roles) ? TAXID_OK : taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "role", allowed(roles));
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
		if (!json_is_string(p) || !one_of(json_string_value(p), list))
			return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "permissions", allowed(list));
		int dup = 0;
		json_array_foreach(*perms, j, q) dup |= strcmp(json_string_value(q), json_string_value(p)) == 0;
		if (!dup)
			json_array_append(*perms, p);
	}
	return TAXID_OK;
}

static enum taxid_code read_date(struct taxid_ctx *ctx, json_t *req, const char *field, char out[11])
{
	enum taxid_code c = TAXID_OK;
	const char *s = taxid_req_str(ctx, req, field, 0, &c);
	int y, m, d;
	out[0] = 0;
	if (c || !s)
		return c;
	if (strlen(s) != 10 || taxid_date_parse(s, &y, &m, &d))
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, field, json_pack("{s:s}", "expected", "YYYY-MM-DD"));
	memcpy(out, s, 11);
	return TAXID_OK;
}

/* valid_from (default today) and an optional valid_until, both calendar dates, inclusive. */
static enum taxid_code read_validity(struct taxid_ctx *ctx, json_t *req, char from[11], char until[11])
{
	char today[11];
	enum taxid_code c;
	taxid_bind_today(ctx, today);
	if ((c = read_date(ctx, req, "valid_from", from)) || (c = read_date(ctx, req, "valid_until", until)))
		return c;
	if (!from[0])
		memcpy(from, today, 11);
	if (until[0] && (strcmp(until, from) < 0 || strcmp(until, today) < 0))
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "valid_until",
					 json_pack("{s:s}", "reason", strcmp(until, today) < 0 ? "past" : "before_valid_from"));
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
		sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_REL_CAP_COUNT);
		if (!st)
			return TAXID_E_INTERNAL;
		sqlite3_bind_int64(st, 1, enterprise_id);
		sqlite3_bind_text(st, 2, today, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, perm, -1, SQLITE_TRANSIENT);
		int rc = sqlite3_step(st);
		long long n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
		if (rc != SQLITE_ROW)
			return taxid_db_fail(ctx, rc);
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
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_REL_OPEN_ROLE);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, enterprise_id);
	sqlite3_bind_int64(st, 2, person_id);
	sqlite3_bind_text(st, 3, role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, today, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	*id = 0;
	state[0] = 0;
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		snprintf(state, 16, "%s", sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? TAXID_OK : taxid_db_fail(ctx, rc);
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
	struct actor w;
	struct taxid_enterprise e;
	const char *role;
	enum taxid_code c = begin(ctx, req, &w, &e, 1);
	if (c || (c = read_role(ctx, req, core_roles, &role)))
		goto out;
	int which = strcmp(role, "finance_manager") == 0;
	const unsigned char *index = which ? e.fin_index : e.rep_index;
	int named = 0;
	if (!which || e.fin_type) {
		sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_ENT_PERSON_HAS_DOC);
		if (!st) {
			c = TAXID_E_INTERNAL;
			goto out;
		}
		sqlite3_bind_int64(st, 1, w.a.person_id);
		sqlite3_bind_blob(st, 2, index, 32, SQLITE_TRANSIENT);
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			c = taxid_db_fail(ctx, rc);
			goto out;
		}
		named = rc == SQLITE_ROW;
	}
	if (named) { /* the document is the person's: the name on the record must be the registry's too */
		char *recorded = taxid_enterprise_holder_name(ctx, e.id, which), *mine = NULL;
		sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_ENT_PERSON_NAME);
		if (st) {
			sqlite3_bind_int64(st, 1, w.a.person_id);
			if (sqlite3_step(st) == SQLITE_ROW)
				mine = taxid_pii_open(ctx->keys, "person.name", sqlite3_column_blob(st, 0),
						      (size_t)sqlite3_column_bytes(st, 0));
			sqlite3_reset(st);
		}
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
	end(&w, &e);
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
	struct actor w;
	struct taxid_enterprise e;
	struct taxid_account g = {0};
	struct standing s = {0};
	const char *role;
	json_t *perms = NULL;
	char from[11], until[11];
	enum taxid_code c = begin(ctx, req, &w, &e, 1);
	if (c || (c = read_role(ctx, req, granted_roles, &role)) || (c = read_permissions(ctx, req, role, &perms)) ||
	    (c = read_validity(ctx, req, from, until)))
		goto out;
	long long person = w.a.person_id;
	if (!is_request) {
		if ((c = standing_of(ctx, e.id, w.a.person_id, &s)))
			goto out;
		if (!can_manage(&s, role)) {
			c = taxid_fail_detail(ctx, TAXID_E_NOT_AUTHORIZED, "session",
					      json_pack("{s:s?}", "your_role", s.role[0] ? s.role : NULL));
			goto out;
		}
		if ((c = read_person(ctx, req, &g)))
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
	end(&w, &e);
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
	if (!json_object_get(req, "relation"))
		return taxid_fail(ctx, TAXID_E_MISSING_FIELD, "relation");
	long long id = taxid_req_int(ctx, req, "relation", 0, &c);
	if (c)
		return c;
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_REL_GET);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? taxid_fail(ctx, TAXID_E_NOT_FOUND, "relation") : taxid_db_fail(ctx, rc);
	}
	r->id = sqlite3_column_int64(st, 0);
	r->enterprise_id = sqlite3_column_int64(st, 1);
	r->person_id = sqlite3_column_int64(st, 2);
	snprintf(r->role, sizeof r->role, "%s", sqlite3_column_text(st, 3));
	r->permissions = json_loads((const char *)sqlite3_column_text(st, 4), 0, NULL);
	if (!r->permissions)
		r->permissions = json_array();
	snprintf(r->origin, sizeof r->origin, "%s", sqlite3_column_text(st, 5));
	snprintf(r->state, sizeof r->state, "%s", sqlite3_column_text(st, 6));
	snprintf(r->valid_from, sizeof r->valid_from, "%s", sqlite3_column_text(st, 7));
	if (sqlite3_column_type(st, 8) != SQLITE_NULL)
		snprintf(r->valid_until, sizeof r->valid_until, "%s", sqlite3_column_text(st, 8));
	snprintf(r->tin, sizeof r->tin, "%s", sqlite3_column_text(st, 10));
	sqlite3_reset(st);
	return TAXID_OK;
}

enum taxid_code taxid_bind_confirm(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct actor w;
	struct taxid_enterprise e = {0};
	struct relation r = {0};
	struct standing s = {0};
	char today[11];
	taxid_bind_today(ctx, today);
	enum taxid_code c = actor_load(ctx, req, &w);
	if (c || (c = load_relation(ctx, req, &r)) || (c = taxid_enterprise_load_id(ctx, r.enterprise_id, &e)) ||
	    (c = gate(ctx, &w, &e)))
		goto out;
	const char *now_state = effective(r.state, r.valid_from, r.valid_until, today);
	if (strcmp(now_state, "pending") != 0) {
		c = taxid_fail_detail(ctx, TAXID_E_RELATION_STATE, "relation", json_pack("{s:s}", "state", now_state));
		goto out;
	}
	/* A grant (and the finance manager's link) is confirmed by the person; a request by the enterprise side. */
	int may;
	if (strcmp(r.origin, "request") == 0) {
		if ((c = standing_of(ctx, e.id, w.a.person_id, &s)))
			goto out;
		may = w.a.person_id != r.person_id && can_manage(&s, r.role);
	} else {
		may = w.a.person_id == r.person_id;
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
	end(&w, &e);
	return c;
}

enum taxid_code taxid_bind_revoke(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct actor w;
	struct taxid_enterprise e = {0};
	struct relation r = {0};
	struct standing s = {0};
	enum taxid_code c = actor_load(ctx, req, &w);
	if (c || (c = load_relation(ctx, req, &r)) || (c = taxid_enterprise_load_id(ctx, r.enterprise_id, &e)))
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
	if (w.a.person_id == r.person_id) {
		side = "person";
	} else {
		if ((c = standing_of(ctx, e.id, w.a.person_id, &s)))
			goto out;
		if (can_manage(&s, r.role))
			side = "enterprise";
	}
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
	end(&w, &e);
	return c;
}

/* ---- unbind (DOMAIN §5: enter the number, query, confirm) ---- */

enum taxid_code taxid_bind_unbind(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct actor w;
	struct taxid_enterprise e;
	enum taxid_code c = begin(ctx, req, &w, &e, 0);
	int confirm = c ? 0 : taxid_req_bool(ctx, req, "confirm", 0, &c);
	if (c)
		goto out;
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_REL_TAX_HANDLER);
	if (!st) {
		c = TAXID_E_INTERNAL;
		goto out;
	}
	char today[11];
	taxid_bind_today(ctx, today);
	sqlite3_bind_int64(st, 1, e.id);
	sqlite3_bind_int64(st, 2, w.a.person_id);
	json_t *rels = json_array();
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *until = sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL : (const char *)sqlite3_column_text(st, 3);
		json_array_append_new(rels, json_pack("{s:I,s:s,s:s,s:s?,s:o}", "relation", (json_int_t)sqlite3_column_int64(st, 0),
						      "state", effective((const char *)sqlite3_column_text(st, 1),
									 (const char *)sqlite3_column_text(st, 2), until, today),
						      "valid_from", sqlite3_column_text(st, 2), "valid_until", until, "permissions",
						      json_loads((const char *)sqlite3_column_text(st, 4), 0, NULL)));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(rels);
		c = taxid_db_fail(ctx, rc);
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
	end(&w, &e);
	return c;
}

/* ---- list ---- */

static json_t *history(struct taxid_ctx *ctx, long long rid)
{
	json_t *h = json_array();
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_REL_EVENTS);
	if (!st)
		return h;
	sqlite3_bind_int64(st, 1, rid);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *by = sqlite3_column_type(st, 2) != SQLITE_NULL ? (const char *)sqlite3_column_text(st, 2) : NULL;
		char op[80];
		if (!by && sqlite3_column_type(st, 3) != SQLITE_NULL) {
			snprintf(op, sizeof op, "operator:%s", sqlite3_column_text(st, 3));
			by = op;
		}
		json_t *ev = json_pack("{s:s,s:s,s:s?}", "at", sqlite3_column_text(st, 0), "event", sqlite3_column_text(st, 1), "by", by);
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			json_object_set_new(ev, "note", json_string((const char *)sqlite3_column_text(st, 4)));
		json_array_append_new(h, ev);
	}
	sqlite3_reset(st);
	return h;
}

enum taxid_code taxid_bind_list(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct actor w = {0};
	struct taxid_enterprise e = {0};
	struct standing s = {0};
	enum taxid_code c = TAXID_OK;
	long long only_enterprise = 0, only_person = 0;
	const char *want = taxid_req_str(ctx, req, "state", 0, &c);
	const char *op = c ? NULL : taxid_req_str(ctx, req, "operator", 0, &c);
	if (c)
		return c;
	static const char *const states[] = {"pending", "active", "scheduled", "expired", "revoked", "unbound", "ended", NULL};
	if (want && !one_of(want, states))
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "state", allowed(states));
	int has_tin = json_object_get(req, "tin") != NULL;
	if (json_object_get(req, "session")) {
		if ((c = actor_load(ctx, req, &w)) || (has_tin && (c = taxid_enterprise_load(ctx, req, "tin", &e))))
			goto out;
		only_person = w.a.person_id;
		if (has_tin) {
			only_enterprise = e.id;
			if ((c = standing_of(ctx, e.id, w.a.person_id, &s)))
				goto out;
			if (is_core(s.role) || strcmp(s.role, "administrator") == 0)
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
	char today[11];
	taxid_bind_today(ctx, today);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_REL_LIST);
	if (!st) {
		c = TAXID_E_INTERNAL;
		goto out;
	}
	if (only_enterprise)
		sqlite3_bind_int64(st, 1, only_enterprise);
	if (only_person)
		sqlite3_bind_int64(st, 2, only_person);
	int rc;
	while (!c && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *until = sqlite3_column_type(st, 8) == SQLITE_NULL ? NULL : (const char *)sqlite3_column_text(st, 8);
		const char *state = effective((const char *)sqlite3_column_text(st, 6), (const char *)sqlite3_column_text(st, 7),
					      until, today);
		if (want && strcmp(want, state) != 0)
			continue;
		long long rid = sqlite3_column_int64(st, 0);
		char *name = taxid_pii_open(ctx->keys, "person.name", sqlite3_column_blob(st, 13), (size_t)sqlite3_column_bytes(st, 13));
		char *masked = name ? malloc(strlen(name) + 2) : NULL;
		if (masked)
			taxid_mask_name(name, masked);
		json_t *person = json_pack("{s:I,s:s?,s:s?}", "id", (json_int_t)sqlite3_column_int64(st, 11), "login_name",
					   sqlite3_column_type(st, 12) == SQLITE_NULL ? NULL : (const char *)sqlite3_column_text(st, 12),
					   "name", ctx->reveal ? name : masked);
		free(name);
		free(masked);
		if (ctx->reveal) {
			char who[32];
			snprintf(who, sizeof who, "person:%lld", (long long)sqlite3_column_int64(st, 11));
			taxid_reveal_subject(ctx, who);
		}
		json_t *row = json_pack("{s:I,s:s,s:s,s:s,s:o,s:s,s:s,s:s,s:s?,s:s,s:s,s:o,s:o}", "relation", (json_int_t)rid, "tin",
					sqlite3_column_text(st, 1), "enterprise", sqlite3_column_text(st, 2), "role",
					sqlite3_column_text(st, 3), "permissions",
					json_loads((const char *)sqlite3_column_text(st, 4), 0, NULL), "origin",
					sqlite3_column_text(st, 5), "state", state, "valid_from", sqlite3_column_text(st, 7),
					"valid_until", until, "created_at", sqlite3_column_text(st, 9), "updated_at",
					sqlite3_column_text(st, 10), "person", person, "history", history(ctx, rid));
		if (row && sqlite3_column_type(st, 14) != SQLITE_NULL) { /* the contact phone maintain keeps (issue 10) */
			char *cp = taxid_pii_open(ctx->keys, "relation.contact_phone", sqlite3_column_blob(st, 14),
						  (size_t)sqlite3_column_bytes(st, 14)), cm[16];
			if (cp) {
				taxid_mask_phone(cp, cm);
				json_object_set_new(row, "contact_phone", json_string(ctx->reveal ? cp : cm));
				taxid_wipe(cp, strlen(cp));
				free(cp);
			}
		}
		c = row ? taxid_emit(ctx, row) : TAXID_E_INTERNAL;
	}
	sqlite3_reset(st);
out:
	json_decref(s.permissions);
	end(&w, &e);
	return c;
}

/* ---- enter (单位办税验证) ---- */

static enum taxid_code issue(struct taxid_ctx *ctx, const struct actor *w, const struct taxid_enterprise *e, json_t *out)
{
	char token[TAXID_TOKEN_LEN], scope[64], at[TAXID_TIME_LEN];
	int64_t expires;
	snprintf(scope, sizeof scope, "enterprise:%s", e->tin);
	/* Deriving a session checks the account's locks (SECURITY rule 25). */
	static const char *const scopes[] = {"password", "sms", "face"};
	struct taxid_lock_state ls;
	for (size_t i = 0; i < sizeof scopes / sizeof *scopes; i++) {
		enum taxid_code lc = taxid_lock_check(ctx, scopes[i], w->id, &ls);
		if (lc)
			return lc;
	}
	/* derived from the person's session: its factor, and never past its absolute expiry */
	enum taxid_code c = taxid_session_issue(ctx, w->a.id, "enterprise", w->sess.factor, scope, &w->sess, token, &expires);
	if (c)
		return c;
	taxid_time_format(expires, at);
	json_object_set_new(out, "session", json_pack("{s:s,s:s,s:s}", "token", token, "scope", scope, "expires_at", at));
	taxid_wipe(token, sizeof token);
	return TAXID_OK;
}

enum taxid_code taxid_bind_enter(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct actor w;
	struct taxid_enterprise e;
	struct standing s = {0};
	enum taxid_code c = begin(ctx, req, &w, &e, 1);
	const char *pw = c ? NULL : taxid_req_str(ctx, req, "declaration_password", 0, &c);
	if (c || (c = standing_of(ctx, e.id, w.a.person_id, &s)))
		goto out;
	json_object_set_new(out, "tin", json_string(e.tin));
	json_object_set_new(out, "enterprise", json_string(e.name));
	if (s.role[0]) { /* an active authorisation: no declaration password (DOMAIN §5) */
		if ((c = issue(ctx, &w, &e, out)) ||
		    (c = taxid_audit_new(ctx, "enter", w.id, w.id,
					 json_pack("{s:s,s:s,s:s,s:I}", "tin", e.tin, "via", "authorisation", "role", s.role,
						   "relation", (json_int_t)s.relation))))
			goto out;
		json_object_set_new(out, "via", json_string("authorisation"));
		json_object_set_new(out, "role", json_string(s.role));
		json_object_set_new(out, "relation", json_integer(s.relation));
		json_object_set_new(out, "permissions", s.permissions ? json_incref(s.permissions) : json_array());
		json_object_set_new(out, "valid_until", s.valid_until[0] ? json_string(s.valid_until) : json_null());
		goto out;
	}
	/* The declaration password, under its own lock scope: per enterprise, per account, apart from the login lock;
	 * and the enterprise's own counter over every person (issue 10 item 8, SECURITY rule 28). */
	char scope[64], all[64];
	struct taxid_lock_state ls, la;
	snprintf(scope, sizeof scope, "declaration:%s", e.tin);
	snprintf(all, sizeof all, "declaration_all:%s", e.tin);
	if ((c = taxid_lock_check(ctx, scope, w.id, &ls)) || (c = taxid_lock_check(ctx, all, DECL_ALL_SUBJECT, &la))) {
		if (pw)
			taxid_password_dummy(ctx, pw); /* locked: not evaluated, not counted, the same work */
		if (c == TAXID_E_LOCKED)
			ctx->err_field = "declaration_password";
		goto out;
	}
	if (!pw) {
		c = taxid_fail(ctx, TAXID_E_DECLARATION_PASSWORD_REQUIRED, "declaration_password");
		goto out;
	}
	if (ls.captcha) { /* after a wrong one, a captcha verdict (subject: the enterprise's TIN), as for login */
		json_t *cap = json_object_get(req, "captcha");
		struct taxid_verdict v;
		if (!cap) {
			c = taxid_fail(ctx, TAXID_E_CAPTCHA_REQUIRED, "captcha");
		} else {
			c = taxid_verdict_check(ctx, cap, "captcha", e.tin, 1, "captcha", &v);
			if (!c && !taxid_verdict_passed(ctx, &v))
				c = taxid_fail(ctx, TAXID_E_CAPTCHA_REQUIRED, "captcha");
			if (!c || c == TAXID_E_CAPTCHA_REQUIRED)
				taxid_keep_changes(ctx); /* the captcha's nonce is spent either way */
		}
		if (c) { /* not evaluated, not counted */
			taxid_password_dummy(ctx, pw);
			goto out;
		}
	}
	if (!e.declpw_hash) {
		taxid_password_dummy(ctx, pw);
		c = taxid_fail(ctx, TAXID_E_DECLARATION_PASSWORD_NOT_SET, "declaration_password");
		goto out;
	}
	if (taxid_password_verify(ctx, e.declpw_hash, 1, pw) != 1) {
		if ((c = taxid_lock_fail(ctx, scope, w.id, "declaration", &ls)) ||
		    (c = taxid_lock_fail(ctx, all, DECL_ALL_SUBJECT, "declaration", &la)))
			goto out;
		if (ls.locked || la.locked) {
			char until[TAXID_TIME_LEN];
			taxid_time_format(la.locked ? la.locked_until : ls.locked_until, until);
			c = taxid_fail_detail(ctx, TAXID_E_LOCKED, "declaration_password",
					      json_pack("{s:s,s:s}", "scope", la.locked ? all : scope, "locked_until", until));
		} else {
			c = taxid_fail_detail(ctx, TAXID_E_DECLARATION_PASSWORD_WRONG, "declaration_password",
					      json_pack("{s:i,s:i,s:b}", "failures", ls.failures, "threshold", ls.threshold,
							"captcha_required", 1));
		}
		goto out;
	}
	if ((c = taxid_lock_success(ctx, scope, w.id)) || (c = issue(ctx, &w, &e, out)) ||
	    (c = taxid_audit_new(ctx, "enter", w.id, w.id, json_pack("{s:s,s:s}", "tin", e.tin, "via", "declaration_password"))))
		goto out;
	json_object_set_new(out, "via", json_string("declaration_password"));
	json_object_set_new(out, "role", json_null());
	json_object_set_new(out, "permissions", json_pack("[s]", "declaration"));
out:
	wipe_member(req, "declaration_password");
	json_decref(s.permissions);
	end(&w, &e);
	return c;
}

/* ---- the declaration password ---- */

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
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_LOCK_SUBJECTS_OF_SCOPE);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	json_t *subjects = json_array(); /* collected first: the statement cache holds one cursor per statement */
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(subjects, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_reset(st);
	enum taxid_code c = rc == SQLITE_DONE ? TAXID_OK : taxid_db_fail(ctx, rc);
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
	char scope[64];
	int c2 = 0, u2 = 0;
	snprintf(scope, sizeof scope, "declaration:%s", tin);
	enum taxid_code c = clear_locks(ctx, scope, actor, cleared, unlocked);
	snprintf(scope, sizeof scope, "declaration_all:%s", tin);
	if (!c)
		c = clear_locks(ctx, scope, actor, &c2, &u2);
	*cleared += c2;
	*unlocked += u2;
	return c;
}

static enum taxid_code declpw(struct taxid_ctx *ctx, json_t *req, json_t *out, int reset)
{
	struct actor w;
	struct taxid_enterprise e;
	struct standing s = {0};
	enum taxid_code c = begin(ctx, req, &w, &e, 1);
	const char *pw = c ? NULL : taxid_req_str(ctx, req, "declaration_password", 1, &c);
	if (c || (c = standing_of(ctx, e.id, w.a.person_id, &s)))
		goto out;
	if (!is_core(s.role)) {
		c = taxid_fail_detail(ctx, TAXID_E_NOT_AUTHORIZED, "session", json_pack("{s:s?}", "your_role", s.role[0] ? s.role : NULL));
		goto out;
	}
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
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_ENT_SET_DECLPW);
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	if (!hash || !st) {
		free(hash);
		c = TAXID_E_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, e.id);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, at, -1, SQLITE_TRANSIENT);
	c = taxid_db_exec(ctx, st);
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
	wipe_member(req, "declaration_password");
	json_decref(s.permissions);
	end(&w, &e);
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
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_ENT_SET_DECLPW);
	if (!st) {
		c = TAXID_E_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, e.id);
	sqlite3_bind_null(st, 2);
	sqlite3_bind_text(st, 3, at, -1, SQLITE_TRANSIENT);
	int cleared = 0, unlocked = 0;
	snprintf(subj, sizeof subj, "enterprise:%s", e.tin);
	if ((c = taxid_db_exec(ctx, st)) || (c = clear_both(ctx, e.tin, op, &cleared, &unlocked)) ||
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

/* ---- maintain (DOMAIN §3: a related person's phone) ----
 * What an enterprise maintains is the contact phone of its relation with the person (its staff record), never
 * the phone that authenticates the person's account (SECURITY rule 23): that one changes only by its holder
 * (taxid-register change) or at a hall. Maintaining needs a session whose second factor was face (seed 001). */

enum taxid_code taxid_bind_maintain(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	static const char *const maintainers[] = {"legal_rep", "finance_manager", "tax_handler", NULL};
	struct actor w;
	struct taxid_enterprise e;
	struct standing s = {0};
	struct taxid_account t = {0};
	enum taxid_code c = begin(ctx, req, &w, &e, 1);
	const char *phone = c ? NULL : taxid_req_str(ctx, req, "phone", 1, &c);
	if (c || (c = standing_of(ctx, e.id, w.a.person_id, &s)))
		goto out;
	if (!s.role[0] || !one_of(s.role, maintainers)) {
		c = taxid_fail_detail(ctx, TAXID_E_NOT_AUTHORIZED, "session", json_pack("{s:s?}", "your_role", s.role[0] ? s.role : NULL));
		goto out;
	}
	if (strcmp(w.sess.factor, "face") != 0) {
		c = taxid_fail_detail(ctx, TAXID_E_SECOND_FACTOR_REQUIRED, "session",
				      json_pack("{s:[s],s:s}", "one_of", "face", "session_factor", w.sess.factor));
		goto out;
	}
	if ((c = read_person(ctx, req, &t)))
		goto out;
	char today[11];
	taxid_bind_today(ctx, today);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_REL_RELATED);
	if (!st) {
		c = TAXID_E_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, e.id);
	sqlite3_bind_int64(st, 2, t.person_id);
	sqlite3_bind_text(st, 3, today, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		c = rc == SQLITE_DONE ? taxid_fail(ctx, TAXID_E_NOT_RELATED, json_object_get(req, "login_name") ? "login_name" : "doc_no")
				      : taxid_db_fail(ctx, rc);
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
	st = taxid_sql(ctx, TAXID_SQL_REL_SET_CONTACT);
	if (!enc || !st) {
		free(enc);
		c = TAXID_E_INTERNAL;
		goto out;
	}
	sqlite3_bind_int64(st, 1, e.id);
	sqlite3_bind_int64(st, 2, t.person_id);
	sqlite3_bind_blob(st, 3, enc, (int)el, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, at, -1, SQLITE_TRANSIENT);
	c = taxid_db_exec(ctx, st);
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
	end(&w, &e);
	return c;
}
