/* Who asks in taxid-bind: the session's person, the gates before business for an enterprise, their standing there. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bind_actor.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "realname.h"
#include "record.h"

const char *const taxid_bind_core_roles[] = {"legal_rep", "finance_manager", NULL};

void taxid_bind_wipe_member(json_t *req, const char *key)
{
	json_t *v = json_object_get(req, key);
	if (json_is_string(v) && json_string_length(v))
		taxid_wipe((char *)(uintptr_t)json_string_value(v), json_string_length(v));
}

enum taxid_code taxid_bind_actor_load(struct taxid_ctx *ctx, json_t *req, struct taxid_bind_actor *w)
{
	memset(w, 0, sizeof *w);
	enum taxid_code c = taxid_session_open(ctx, req, "session", 0, &w->sess);
	long long aid = w->sess.account_id;
	if (c || (c = taxid_account_load(ctx, aid, &w->a)))
		return c;
	snprintf(w->id, sizeof w->id, "account:%lld", aid);
	return w->a.abnormal ? taxid_fail(ctx, TAXID_E_IDENTITY_ABNORMAL, "session") : TAXID_OK;
}

enum taxid_code taxid_bind_gate(struct taxid_ctx *ctx, const struct taxid_bind_actor *w, const struct taxid_enterprise *e)
{
	if (strcmp(e->status, "normal") != 0)
		return taxid_fail_detail(ctx, TAXID_E_ENTERPRISE_INACTIVE, "tin", json_pack("{s:s}", "status", e->status));
	long long need = taxid_setting_int(ctx, "bind.min_level", 4);
	if (w->a.level < need)
		return taxid_fail_detail(ctx, TAXID_E_REALNAME_LEVEL_REQUIRED, "session",
					 taxid_realname_level_detail(w->a.level, need));
	json_t *expired;
	enum taxid_code ec = taxid_realname_expired(ctx, w->a.person_id, &expired);
	if (ec)
		return ec;
	if (expired) /* until renewed at taxid-register supplement (issue 14 item 3) */
		return taxid_fail_detail(ctx, TAXID_E_DOCUMENT_EXPIRED, "session", expired);
	if (strcmp(e->credit, "D") == 0 || e->blacklist || e->realname_risk) {
		long long pid;
		int level;
		enum taxid_code c = taxid_enterprise_holder_of(ctx, e, 0, &pid, &level);
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

enum taxid_code taxid_bind_begin(struct taxid_ctx *ctx, json_t *req, struct taxid_bind_actor *w, struct taxid_enterprise *e,
				 int gated)
{
	memset(e, 0, sizeof *e);
	enum taxid_code c = taxid_bind_actor_load(ctx, req, w);
	if (c || (c = taxid_enterprise_load(ctx, req, "tin", e)))
		return c;
	return gated ? taxid_bind_gate(ctx, w, e) : TAXID_OK;
}

void taxid_bind_end(struct taxid_bind_actor *w, struct taxid_enterprise *e)
{
	taxid_account_clear(&w->a);
	taxid_enterprise_clear(e);
}

enum taxid_code taxid_bind_standing_of(struct taxid_ctx *ctx, long long enterprise_id, long long person_id,
				       struct taxid_bind_standing *s)
{
	char today[11];
	taxid_bind_today(ctx, today);
	memset(s, 0, sizeof *s);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REL_ACTIVE);
	taxid_q_int(q, 1, enterprise_id);
	taxid_q_int(q, 2, person_id);
	taxid_q_text(q, 3, today);
	if (taxid_q_step(q)) {
		s->relation = taxid_q_col_int(q, 0);
		snprintf(s->role, sizeof s->role, "%s", taxid_q_col_text(q, 1));
		s->permissions = json_loads(taxid_q_col_text(q, 2), 0, NULL);
		if (!taxid_q_is_null(q, 3))
			snprintf(s->valid_until, sizeof s->valid_until, "%s", taxid_q_col_text(q, 3));
	}
	return taxid_q_end(q);
}

enum taxid_code taxid_bind_need_role(struct taxid_ctx *ctx, const struct taxid_bind_actor *w, const struct taxid_enterprise *e,
				     const char *const *roles, struct taxid_bind_standing *s)
{
	enum taxid_code c = taxid_bind_standing_of(ctx, e->id, w->a.person_id, s);
	if (c || taxid_bind_one_of(s->role, roles))
		return c;
	return taxid_fail_detail(ctx, TAXID_E_NOT_AUTHORIZED, "session", json_pack("{s:s?}", "your_role", s->role[0] ? s->role : NULL));
}

int taxid_bind_is_core(const char *role)
{
	return taxid_bind_one_of(role, taxid_bind_core_roles);
}

const char *const *taxid_bind_managers(const char *role)
{
	static const char *const all[] = {"legal_rep", "finance_manager", "administrator", NULL};
	return strcmp(role, "administrator") == 0 ? taxid_bind_core_roles : all;
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
enum taxid_code taxid_bind_read_validity(struct taxid_ctx *ctx, json_t *req, char from[11], char until[11])
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
