/* Cross-region taxpayers (跨区域报验户, issue 14 item 6): the tax authorities an enterprise is registered with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "bind.h"
#include "clock.h"
#include "db.h"
#include "enterprise.h"
#include "operator.h"
#include "record.h"

/* A tax authority code (税务机关代码): 11 digits, the first 1. */
static enum taxid_code read_authority(struct taxid_ctx *ctx, json_t *req, int required, const char **out)
{
	enum taxid_code c = TAXID_OK;
	const char *a = taxid_req_str(ctx, req, "authority", required, &c);
	*out = a;
	if (c || !a)
		return c;
	int ok = strlen(a) == 11 && a[0] == '1';
	for (size_t i = 0; ok && i < 11; i++)
		ok = a[i] >= '0' && a[i] <= '9';
	return ok ? TAXID_OK : taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "authority", json_pack("{s:s}", "expected", "11 digits"));
}

enum taxid_code taxid_bind_authority_check(struct taxid_ctx *ctx, json_t *req, long long enterprise_id, const char **authority)
{
	enum taxid_code c = read_authority(ctx, req, 0, authority);
	if (c || !*authority)
		return c;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ENT_AUTH_GET);
	taxid_q_int(q, 1, enterprise_id);
	taxid_q_text(q, 2, *authority);
	if (taxid_q_exists(q))
		return TAXID_OK;
	if ((c = taxid_q_end(q)))
		return c;
	return taxid_fail(ctx, TAXID_E_AUTHORITY_NOT_REGISTERED, "authority");
}

static json_t *registrations(struct taxid_ctx *ctx, long long enterprise_id, enum taxid_code *c)
{
	json_t *a = json_array();
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ENT_AUTH_LIST);
	taxid_q_int(q, 1, enterprise_id);
	while (taxid_q_step(q))
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "authority", taxid_q_col_text(q, 0), "kind",
						   taxid_q_col_text(q, 1), "registered_at", taxid_q_col_text(q, 2)));
	*c = taxid_q_end(q);
	return a;
}

/* enterprise register: an operator records a registration with an authority, home (one) or cross_region. */
enum taxid_code taxid_enterprise_register(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	static const char *const kinds[] = {"home", "cross_region", NULL};
	struct taxid_enterprise e;
	const char *authority, *kind;
	enum taxid_code c = TAXID_OK;
	const char *op = taxid_operator(ctx, req, &c);
	if (c || (c = taxid_enterprise_load(ctx, req, "tin", &e)))
		return c;
	kind = taxid_req_str(ctx, req, "kind", 0, &c);
	if (c || (c = read_authority(ctx, req, 1, &authority)))
		goto out;
	if (!kind)
		kind = "cross_region";
	if (!taxid_bind_one_of(kind, kinds)) {
		c = taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "kind", taxid_bind_allowed(kinds));
		goto out;
	}
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ENT_AUTH_GET);
	taxid_q_int(q, 1, e.id);
	taxid_q_text(q, 2, authority);
	char *had = taxid_q_one_text(q);
	const char *did = "registered";
	if (had) {
		int same = strcmp(had, kind) == 0;
		free(had);
		if (!same) {
			c = taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "kind", json_pack("{s:s}", "reason", "registered_as_other_kind"));
			goto out;
		}
		did = "already_registered";
	} else {
		if (strcmp(kind, "home") == 0) {
			q = taxid_q(ctx, TAXID_SQL_ENT_AUTH_HOME);
			taxid_q_int(q, 1, e.id);
			if (taxid_q_exists(q)) {
				c = taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "kind", json_pack("{s:s}", "reason", "home_already_registered"));
				goto out;
			}
		}
		char at[TAXID_TIME_LEN];
		taxid_time_format(ctx->now, at);
		q = taxid_q(ctx, TAXID_SQL_ENT_AUTH_INSERT);
		taxid_q_int(q, 1, e.id);
		taxid_q_text(q, 2, authority);
		taxid_q_text(q, 3, kind);
		taxid_q_text(q, 4, at);
		taxid_q_text(q, 5, op);
		char subj[64];
		snprintf(subj, sizeof subj, "enterprise:%s", e.tin);
		if ((c = taxid_q_exec(q)) ||
		    (c = taxid_audit_new(ctx, "enterprise_register", subj, op,
					 json_pack("{s:s,s:s}", "authority", authority, "kind", kind))))
			goto out;
	}
	json_object_set_new(out, "tin", json_string(e.tin));
	json_object_set_new(out, "authority", json_string(authority));
	json_object_set_new(out, "kind", json_string(kind));
	json_object_set_new(out, "did", json_string(did));
	json_object_set_new(out, "registrations", registrations(ctx, e.id, &c));
out:
	taxid_enterprise_clear(&e);
	return c;
}

/* enterprise registrations: the authorities an enterprise is registered with, home first. */
enum taxid_code taxid_enterprise_registrations(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_enterprise e;
	enum taxid_code c = taxid_enterprise_load(ctx, req, "tin", &e);
	if (c)
		return c;
	json_object_set_new(out, "tin", json_string(e.tin));
	json_object_set_new(out, "registrations", registrations(ctx, e.id, &c));
	taxid_enterprise_clear(&e);
	return c;
}
