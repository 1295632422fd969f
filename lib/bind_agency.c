/* taxid-bind agency: agency agreements (DOMAIN §8, tax-agent staff 涉税服务人员) — a client enterprise lets a tax
 * agency's staff act for it (agency_filing): granted by the client, listed on both sides, revoked by either, kept
 * with their history; and entering the client through one. */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "bind.h"
#include "bind_actor.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "record.h"

/* Who speaks for an enterprise in an agency agreement: its legal representative or administrator. */
static const char *const agency_deciders[] = {"legal_rep", "administrator", NULL};

/* What an agreement lets the agency's staff do: this one permission. */
static json_t *agency_permissions(void)
{
	return json_pack("[s]", "agency_filing");
}

/* The scope of a session entered through an agency: the client's, naming the agency (account.c checks it again on
 * every request: taxid_session_open). */
static void agency_scope(const char *client_tin, const char *agency_tin, char scope[64])
{
	snprintf(scope, 64, "enterprise:%.20s/agency:%.20s", client_tin, agency_tin); /* a TIN is at most 20 */
}

static enum taxid_code agency_event(struct taxid_ctx *ctx, long long id, const char *event, long long by_person,
				    const char *note)
{
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_AGENCY_EVENT);
	taxid_q_int(q, 1, id);
	taxid_q_text(q, 2, at);
	taxid_q_text(q, 3, event);
	taxid_q_int(q, 4, by_person);
	taxid_q_text(q, 5, note);
	return taxid_q_exec(q);
}

static enum taxid_code agency_audit(struct taxid_ctx *ctx, const char *action, long long id, const char *actor,
				    json_t *detail)
{
	char subj[40];
	snprintf(subj, sizeof subj, "agency:%lld", id);
	return taxid_audit_new(ctx, action, subj, actor, detail);
}

/* The agency enterprise named by member "agency": in normal status, not the client itself. */
static enum taxid_code load_agency(struct taxid_ctx *ctx, json_t *req, const struct taxid_enterprise *client,
				   struct taxid_enterprise *a)
{
	enum taxid_code c = taxid_enterprise_load(ctx, req, "agency", a);
	if (c)
		return c;
	if (strcmp(a->status, "normal") != 0)
		return taxid_fail_detail(ctx, TAXID_E_ENTERPRISE_INACTIVE, "agency", json_pack("{s:s}", "status", a->status));
	if (a->id == client->id)
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "agency", json_pack("{s:s}", "reason", "same_as_client"));
	return TAXID_OK;
}

static void put_agreement(json_t *out, long long id, const char *client_tin, const char *agency_tin, const char *state,
			  const char *from, const char *until)
{
	json_object_set_new(out, "agreement", json_integer(id));
	json_object_set_new(out, "tin", json_string(client_tin));
	json_object_set_new(out, "agency", json_string(agency_tin));
	json_object_set_new(out, "permissions", agency_permissions());
	json_object_set_new(out, "state", json_string(state));
	json_object_set_new(out, "valid_from", json_string(from));
	json_object_set_new(out, "valid_until", until && until[0] ? json_string(until) : json_null());
}

/* ---- grant: the client's legal representative or administrator, for the client (member "tin") ---- */

enum taxid_code taxid_bind_agency_grant(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_bind_actor w;
	struct taxid_enterprise e, a = {0};
	struct taxid_bind_standing s = {0};
	char from[11], until[11], today[11];
	enum taxid_code c = taxid_bind_begin(ctx, req, &w, &e, 1);
	if (c || (c = taxid_bind_need_role(ctx, &w, &e, agency_deciders, &s)) || (c = load_agency(ctx, req, &e, &a)) ||
	    (c = taxid_bind_read_validity(ctx, req, from, until)))
		goto out;
	taxid_bind_today(ctx, today);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_AGENCY_OPEN);
	taxid_q_int(q, 1, e.id);
	taxid_q_int(q, 2, a.id);
	taxid_q_text(q, 3, today);
	long long open = taxid_q_one_int(q, 0);
	if (open) {
		c = taxid_fail_detail(ctx, TAXID_E_RELATION_EXISTS, "agency", json_pack("{s:I}", "agreement", (json_int_t)open));
		goto out;
	}
	char at[TAXID_TIME_LEN];
	long long id;
	taxid_time_format(ctx->now, at);
	q = taxid_q(ctx, TAXID_SQL_AGENCY_INSERT);
	taxid_q_int(q, 1, e.id);
	taxid_q_int(q, 2, a.id);
	taxid_q_text(q, 3, from);
	taxid_q_text(q, 4, until[0] ? until : NULL);
	taxid_q_text(q, 5, at);
	taxid_q_int(q, 6, w.a.person_id);
	if ((c = taxid_q_insert_id(q, &id)) || (c = agency_event(ctx, id, "granted", w.a.person_id, NULL)) ||
	    (c = agency_audit(ctx, "agency_grant", id, w.id,
			      json_pack("{s:s,s:s,s:s,s:s,s:s?}", "tin", e.tin, "agency", a.tin, "role", s.role, "valid_from",
					from, "valid_until", until[0] ? until : NULL))))
		goto out;
	put_agreement(out, id, e.tin, a.tin, strcmp(from, today) > 0 ? "scheduled" : "active", from, until);
	json_object_set_new(out, "enterprise", json_string(e.name));
	json_object_set_new(out, "agency_name", json_string(a.name));
out:
	json_decref(s.permissions);
	taxid_enterprise_clear(&a);
	taxid_bind_end(&w, &e);
	return c;
}

/* ---- list: both sides see an agreement, each from its own enterprise (member "tin") ---- */

static json_t *agency_history(struct taxid_ctx *ctx, long long id)
{
	json_t *h = json_array();
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_AGENCY_EVENTS);
	taxid_q_int(q, 1, id);
	while (taxid_q_step(q))
		json_array_append_new(h, json_pack("{s:s,s:s,s:s?,s:s?}", "at", taxid_q_col_text(q, 0), "event",
						   taxid_q_col_text(q, 1), "by", taxid_q_col_text(q, 2), "note",
						   taxid_q_col_text(q, 3)));
	taxid_q_end(q);
	return h;
}

/* The state of an agreement today: active ones are scheduled before valid_from, expired after valid_until. */
static const char *agency_state(const char *state, const char *from, const char *until, const char *today)
{
	if (strcmp(state, "active") != 0)
		return state;
	if (until && until[0] && strcmp(until, today) < 0)
		return "expired";
	return strcmp(from, today) > 0 ? "scheduled" : "active";
}

enum taxid_code taxid_bind_agency_list(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	(void)out;
	struct taxid_bind_actor w;
	struct taxid_enterprise e;
	struct taxid_bind_standing s = {0};
	char today[11];
	enum taxid_code c = taxid_bind_begin(ctx, req, &w, &e, 0);
	if (c || (c = taxid_bind_standing_of(ctx, e.id, w.a.person_id, &s)))
		goto out;
	if (!s.role[0]) { /* anyone with a current role at the enterprise sees who acts for it, or for whom it acts */
		c = taxid_fail(ctx, TAXID_E_NOT_AUTHORIZED, "session");
		goto out;
	}
	taxid_bind_today(ctx, today);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_AGENCY_LIST);
	if (!q) {
		c = TAXID_E_INTERNAL;
		goto out;
	}
	taxid_q_int(q, 1, e.id);
	while (!c && taxid_q_step(q)) {
		long long id = taxid_q_col_int(q, 0);
		json_t *row = json_object();
		put_agreement(row, id, taxid_q_col_text(q, 1), taxid_q_col_text(q, 3),
			      agency_state(taxid_q_col_text(q, 5), taxid_q_col_text(q, 6), taxid_q_col_text(q, 7), today),
			      taxid_q_col_text(q, 6), taxid_q_col_text(q, 7));
		json_object_set_new(row, "side", json_string(taxid_q_col_int(q, 10) ? "client" : "agency"));
		json_object_set_new(row, "enterprise", json_string(taxid_q_col_text(q, 2)));
		json_object_set_new(row, "agency_name", json_string(taxid_q_col_text(q, 4)));
		json_object_set_new(row, "created_at", json_string(taxid_q_col_text(q, 8)));
		json_object_set_new(row, "updated_at", json_string(taxid_q_col_text(q, 9)));
		json_object_set_new(row, "history", agency_history(ctx, id));
		c = taxid_emit(ctx, row);
	}
	enum taxid_code ended = taxid_q_end(q);
	if (!c)
		c = ended;
out:
	json_decref(s.permissions);
	taxid_bind_end(&w, &e);
	return c;
}

/* ---- revoke: the legal representative or administrator of either side; sessions entered through it end ---- */

struct agreement {
	long long id, client_id, agency_id;
	char state[16], valid_from[11], valid_until[11], client_tin[40], agency_tin[40];
};

static enum taxid_code load_agreement(struct taxid_ctx *ctx, json_t *req, struct agreement *g)
{
	enum taxid_code c = TAXID_OK;
	memset(g, 0, sizeof *g);
	struct taxid_q *q = taxid_req_row(ctx, req, "agreement", TAXID_SQL_AGENCY_GET, &c);
	if (!q)
		return c;
	g->id = taxid_q_col_int(q, 0);
	g->client_id = taxid_q_col_int(q, 1);
	g->agency_id = taxid_q_col_int(q, 2);
	snprintf(g->state, sizeof g->state, "%s", taxid_q_col_text(q, 3));
	snprintf(g->valid_from, sizeof g->valid_from, "%s", taxid_q_col_text(q, 4));
	if (!taxid_q_is_null(q, 5))
		snprintf(g->valid_until, sizeof g->valid_until, "%s", taxid_q_col_text(q, 5));
	snprintf(g->client_tin, sizeof g->client_tin, "%s", taxid_q_col_text(q, 6));
	snprintf(g->agency_tin, sizeof g->agency_tin, "%s", taxid_q_col_text(q, 7));
	return taxid_q_end(q);
}

/* Which side the asker decides for: "client", "agency", or NULL. */
static enum taxid_code agency_side(struct taxid_ctx *ctx, const struct taxid_bind_actor *w, const struct agreement *g,
				   const char **side)
{
	struct taxid_bind_standing s;
	*side = NULL;
	enum taxid_code c = taxid_bind_standing_of(ctx, g->client_id, w->a.person_id, &s);
	if (!c && taxid_bind_one_of(s.role, agency_deciders))
		*side = "client";
	json_decref(s.permissions);
	if (c || *side)
		return c;
	c = taxid_bind_standing_of(ctx, g->agency_id, w->a.person_id, &s);
	if (!c && taxid_bind_one_of(s.role, agency_deciders))
		*side = "agency";
	json_decref(s.permissions);
	return c;
}

enum taxid_code taxid_bind_agency_revoke(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_bind_actor w;
	struct agreement g;
	const char *side;
	char today[11], note[32], scope[64];
	enum taxid_code c = taxid_bind_actor_load(ctx, req, &w);
	if (c || (c = load_agreement(ctx, req, &g)) || (c = agency_side(ctx, &w, &g, &side)))
		goto out;
	if (!side) {
		c = taxid_fail(ctx, TAXID_E_NOT_AUTHORIZED, "agreement");
		goto out;
	}
	taxid_bind_today(ctx, today);
	const char *now_state = agency_state(g.state, g.valid_from, g.valid_until, today);
	if (strcmp(now_state, "revoked") == 0 || strcmp(now_state, "expired") == 0) {
		c = taxid_fail_detail(ctx, TAXID_E_RELATION_STATE, "agreement", json_pack("{s:s}", "state", now_state));
		goto out;
	}
	snprintf(note, sizeof note, "by the %s", side);
	agency_scope(g.client_tin, g.agency_tin, scope);
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_AGENCY_SET_STATE);
	taxid_q_int(q, 1, g.id);
	taxid_q_text(q, 2, "revoked");
	taxid_q_text(q, 3, at);
	if ((c = taxid_q_exec(q)) || (c = agency_event(ctx, g.id, "revoked", w.a.person_id, note)))
		goto out;
	/* every session entered through it ends now (and account.c refuses any it might miss, per request) */
	q = taxid_q(ctx, TAXID_SQL_SESSION_REVOKE_SCOPE);
	taxid_q_text(q, 1, scope);
	taxid_q_int(q, 2, ctx->now);
	if ((c = taxid_q_exec(q)))
		goto out;
	int ended = taxid_db_changes(ctx);
	if ((c = agency_audit(ctx, "agency_revoke", g.id, w.id,
			      json_pack("{s:s,s:s,s:s,s:i}", "tin", g.client_tin, "agency", g.agency_tin, "side", side,
					"sessions_revoked", ended))))
		goto out;
	put_agreement(out, g.id, g.client_tin, g.agency_tin, "revoked", g.valid_from, g.valid_until);
	json_object_set_new(out, "side", json_string(side));
	json_object_set_new(out, "sessions_revoked", json_integer(ended));
out:
	taxid_account_clear(&w.a);
	return c;
}

/* ---- enter through an agency (taxid-bind enter agency=...) ---- */

enum taxid_code taxid_bind_enter_agency(struct taxid_ctx *ctx, json_t *req, const struct taxid_bind_actor *w,
					const struct taxid_enterprise *e, json_t *out)
{
	struct taxid_enterprise a = {0};
	char today[11], scope[64];
	/* the agency's staff act by the agreement alone: never with the client's declaration password, nor for one of
	 * its tax authorities */
	static const char *const not_with[] = {"declaration_password", "authority", NULL};
	for (const char *const *m = not_with; *m; m++)
		if (json_object_get(req, *m))
			return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, *m, json_pack("{s:s}", "reason", "not_with_agency"));
	enum taxid_code c = load_agency(ctx, req, e, &a);
	if (c)
		goto out;
	taxid_bind_today(ctx, today);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_AGENCY_STAFF);
	taxid_q_int(q, 1, a.id);
	taxid_q_int(q, 2, w->a.person_id);
	taxid_q_text(q, 3, today);
	if (taxid_q_one_int(q, 0) != 1) {
		c = taxid_fail_detail(ctx, TAXID_E_NOT_AUTHORIZED, "agency", json_pack("{s:s}", "reason", "not_agency_staff"));
		goto out;
	}
	q = taxid_q(ctx, TAXID_SQL_AGENCY_CURRENT_ID);
	taxid_q_int(q, 1, e->id);
	taxid_q_int(q, 2, a.id);
	taxid_q_text(q, 3, today);
	long long id = taxid_q_one_int(q, 0);
	if (!id) {
		c = taxid_fail_detail(ctx, TAXID_E_NOT_AUTHORIZED, "agency", json_pack("{s:s}", "reason", "no_agreement"));
		goto out;
	}
	agency_scope(e->tin, a.tin, scope);
	if ((c = taxid_bind_issue(ctx, w, scope, out)))
		goto out;
	if ((c = taxid_audit_new(ctx, "enter", w->id, w->id,
				 json_pack("{s:s,s:s,s:s,s:I}", "tin", e->tin, "via", "agency", "agency", a.tin, "agreement",
					   (json_int_t)id))))
		goto out;
	json_object_set_new(out, "via", json_string("agency"));
	json_object_set_new(out, "agency", json_string(a.tin));
	json_object_set_new(out, "agreement", json_integer(id));
	json_object_set_new(out, "role", json_null());
	json_object_set_new(out, "permissions", agency_permissions());
out:
	taxid_enterprise_clear(&a);
	return c;
}
