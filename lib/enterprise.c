/* Enterprises: the core record (taxpayer number, name, status, credit, risk flags, legal representative and
 * finance manager by document) and its operator actions; the core links follow the record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "enterprise.h"
#include "ids.h"
#include "keys.h"
#include "person.h"
#include "operator.h"
#include "record.h"
#include "register.h"
#include "verify.h"

/* ---- shared with bind's files ---- */

void taxid_bind_today(struct taxid_ctx *ctx, char out[11])
{
	unsigned ymd = (unsigned)taxid_local_ymd(ctx->now, ctx->tz_offset) % 100000000u;
	snprintf(out, 11, "%04u-%02u-%02u", ymd / 10000, ymd / 100 % 100, ymd % 100);
}

int taxid_bind_one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

json_t *taxid_bind_allowed(const char *const *list)
{
	json_t *a = json_array();
	for (; *list; list++)
		json_array_append_new(a, json_string(*list));
	return json_pack("{s:o}", "allowed", a);
}

void taxid_enterprise_clear(struct taxid_enterprise *e)
{
	free(e->name);
	if (e->declpw_hash)
		taxid_wipe(e->declpw_hash, strlen(e->declpw_hash));
	free(e->declpw_hash);
	memset(e, 0, sizeof *e);
}

static void col_text(struct taxid_q *q, int i, char *buf, size_t n)
{
	const char *s = taxid_q_col_text(q, i);
	snprintf(buf, n, "%s", s ? s : "");
}

/* Step q (ENT_GET or ENT_GET_ID, bound) once into e: TAXID_E_NOT_FOUND when no row. Ends q. */
/* During a key rotation a row may still hold the previous key's blind index: take both from the sealed number. */
static void reindex(struct taxid_ctx *ctx, struct taxid_q *q, int col, int type, unsigned char index[32],
		    unsigned char old[32])
{
	char kind[16];
	size_t n;
	const void *blob = taxid_q_col_blob(q, col, &n);
	snprintf(kind, sizeof kind, "doc:%d", type);
	char *no = taxid_pii_open(ctx->keys, kind, blob, n);
	if (!no)
		return;
	taxid_pii_index(ctx->keys, kind, no, index);
	taxid_pii_index_old(ctx->keys, kind, no, old);
	taxid_wipe(no, strlen(no));
	free(no);
}

static enum taxid_code load_row(struct taxid_ctx *ctx, struct taxid_q *q, struct taxid_enterprise *e)
{
	memset(e, 0, sizeof *e);
	if (!taxid_q_step(q)) {
		enum taxid_code c = taxid_q_end(q);
		return c ? c : TAXID_E_NOT_FOUND;
	}
	e->id = taxid_q_col_int(q, 0);
	col_text(q, 1, e->tin, sizeof e->tin);
	e->name = strdup(taxid_q_col_text(q, 2));
	col_text(q, 3, e->status, sizeof e->status);
	col_text(q, 4, e->credit, sizeof e->credit);
	e->blacklist = (int)taxid_q_col_int(q, 5);
	e->realname_risk = (int)taxid_q_col_int(q, 6);
	e->rep_type = (int)taxid_q_col_int(q, 7);
	size_t n;
	const void *idx = taxid_q_col_blob(q, 8, &n);
	if (n == 32)
		memcpy(e->rep_index, idx, 32);
	idx = taxid_q_col_blob(q, 12, &n);
	if (!taxid_q_is_null(q, 11) && n == 32) {
		e->fin_type = (int)taxid_q_col_int(q, 11);
		memcpy(e->fin_index, idx, 32);
	}
	if (ctx->keys->rotating) {
		reindex(ctx, q, 9, e->rep_type, e->rep_index, e->rep_index_old);
		if (e->fin_type)
			reindex(ctx, q, 13, e->fin_type, e->fin_index, e->fin_index_old);
	}
	if (!taxid_q_is_null(q, 15))
		e->declpw_hash = strdup(taxid_q_col_text(q, 15));
	col_text(q, 16, e->declpw_set_at, sizeof e->declpw_set_at);
	col_text(q, 17, e->created_at, sizeof e->created_at);
	col_text(q, 18, e->updated_at, sizeof e->updated_at);
	taxid_q_end(q);
	return e->name ? TAXID_OK : TAXID_E_INTERNAL;
}

/* Validate a taxpayer number from the request: the validator's reason names the field. */
static enum taxid_code read_tin(struct taxid_ctx *ctx, json_t *req, const char *field, char tin[40])
{
	enum taxid_code c = TAXID_OK;
	const char *s = taxid_req_str(ctx, req, field, 1, &c);
	if (c)
		return c;
	struct taxid_ids_opts o;
	struct taxid_id_info info;
	taxid_verify_opts(ctx, req, &o);
	memset(&info, 0, sizeof info);
	if ((c = taxid_ids_check_tin(s, strlen(s), &o, &info)))
		return taxid_fail(ctx, c, field);
	/* The legacy 20-character number is a resident ID number and two digits: the enterprise's key would put
	 * a person's document number in clear in the enterprise table, lock scopes, sessions and the audit.
	 * Such businesses are recorded under their unified social credit code instead. */
	if (strlen(info.normalized) == 20)
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, field, json_pack("{s:s}", "reason", "embeds_personal_id"));
	snprintf(tin, 40, "%s", info.normalized);
	return TAXID_OK;
}

enum taxid_code taxid_enterprise_load(struct taxid_ctx *ctx, json_t *req, const char *field, struct taxid_enterprise *e)
{
	char tin[40];
	enum taxid_code c = read_tin(ctx, req, field, tin);
	memset(e, 0, sizeof *e);
	if (c)
		return c;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ENT_GET);
	taxid_q_text(q, 1, tin);
	c = load_row(ctx, q, e);
	return c == TAXID_E_NOT_FOUND ? taxid_fail(ctx, c, field) : c;
}

enum taxid_code taxid_enterprise_load_id(struct taxid_ctx *ctx, long long id, struct taxid_enterprise *e)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ENT_GET_ID);
	taxid_q_int(q, 1, id);
	return load_row(ctx, q, e);
}

enum taxid_code taxid_relation_event(struct taxid_ctx *ctx, long long relation_id, const char *event, long long by_person,
				     const char *by_operator, const char *note)
{
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REL_EVENT);
	taxid_q_int(q, 1, relation_id);
	taxid_q_text(q, 2, at);
	taxid_q_text(q, 3, event);
	if (by_person)
		taxid_q_int(q, 4, by_person);
	taxid_q_text(q, 5, by_operator);
	taxid_q_text(q, 6, note);
	return taxid_q_exec(q);
}

enum taxid_code taxid_relation_create(struct taxid_ctx *ctx, long long enterprise_id, long long person_id, const char *role,
				      json_t *permissions, const char *origin, const char *state, const char *valid_from,
				      const char *valid_until, long long by_person, const char *by_operator, long long *id)
{
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	char *perms = json_dumps(permissions, JSON_COMPACT);
	if (!perms)
		return TAXID_E_INTERNAL;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REL_INSERT);
	taxid_q_int(q, 1, enterprise_id);
	taxid_q_int(q, 2, person_id);
	taxid_q_text(q, 3, role);
	taxid_q_text(q, 4, perms);
	taxid_q_text(q, 5, origin);
	taxid_q_text(q, 6, state);
	taxid_q_text(q, 7, valid_from);
	taxid_q_text(q, 8, valid_until);
	taxid_q_text(q, 9, at);
	if (by_person)
		taxid_q_int(q, 10, by_person);
	free(perms);
	enum taxid_code c = taxid_q_insert_id(q, id);
	if (c)
		return c;
	const char *event = strcmp(origin, "request") == 0 ? "requested"
			    : strcmp(origin, "grant") == 0 ? "granted"
			    : by_person                    ? "bound"
			    : strcmp(state, "active") == 0 ? "linked"
							   : "linked_pending";
	return taxid_relation_event(ctx, *id, event, by_person, by_operator, NULL);
}

enum taxid_code taxid_relation_set_state(struct taxid_ctx *ctx, long long relation_id, const char *state, const char *event,
					 long long by_person, const char *by_operator, const char *note)
{
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REL_SET_STATE);
	taxid_q_int(q, 1, relation_id);
	taxid_q_text(q, 2, state);
	taxid_q_text(q, 3, at);
	enum taxid_code c = taxid_q_exec(q);
	return c ? c : taxid_relation_event(ctx, relation_id, event, by_person, by_operator, note);
}

/* ---- the core record ---- */

/* A role holder named by the core record: document and name as the request gives them. */
struct holder {
	int present;
	enum taxid_doc_type type;
	char no[40];
	char *name;
	unsigned char index[32];
	int has_old; /* during a key rotation: index_old is the previous key's */
	unsigned char index_old[32];
};

static void holder_clear(struct holder *h)
{
	free(h->name);
	memset(h, 0, sizeof *h);
}

/* The fields of a holder object, named for refusals ("legal_rep.doc_no"). */
static const char *const holder_fields[2][4] = {
	{"legal_rep", "legal_rep.doc_type", "legal_rep.doc_no", "legal_rep.name"},
	{"finance_manager", "finance_manager.doc_type", "finance_manager.doc_no", "finance_manager.name"},
};

/* Read holder which (0 legal_rep, 1 finance_manager) from the request. *null_given tells an explicit null. */
static enum taxid_code read_holder(struct taxid_ctx *ctx, json_t *req, int which, int required, struct holder *h,
				   int *null_given)
{
	const char *const *f = holder_fields[which];
	json_t *v = json_object_get(req, f[0]);
	memset(h, 0, sizeof *h);
	if (null_given)
		*null_given = v && json_is_null(v);
	if (!v || json_is_null(v))
		return required ? taxid_fail(ctx, TAXID_E_MISSING_FIELD, f[0]) : TAXID_OK;
	if (!json_is_object(v))
		return taxid_fail(ctx, TAXID_E_BAD_TYPE, f[0]);
	struct taxid_id_info info;
	enum taxid_code c = taxid_verify_document(ctx, v, "doc_type", "doc_no", &h->type, &info);
	if (c)
		return taxid_fail(ctx, c, ctx->err_field && strcmp(ctx->err_field, "doc_type") == 0 ? f[1] : f[2]);
	const char *name = taxid_req_str(ctx, v, "name", 1, &c);
	if (c)
		return taxid_fail(ctx, c, f[3]);
	h->name = taxid_name_normalize(name);
	if (!h->name)
		return TAXID_E_INTERNAL;
	if (!*h->name)
		return taxid_fail(ctx, TAXID_E_MISSING_FIELD, f[3]);
	snprintf(h->no, sizeof h->no, "%s", info.normalized);
	taxid_person_doc_index(ctx, h->type, h->no, h->index);
	h->has_old = taxid_person_doc_index_old(ctx, h->type, h->no, h->index_old);
	/* A person the registry knows must be named as the registry names them. */
	struct taxid_person p;
	c = taxid_person_find_doc(ctx, h->type, h->no, &p);
	if (c == TAXID_E_NOT_FOUND)
		return TAXID_OK;
	if (c)
		return c;
	int same = taxid_name_equal(p.name, h->name);
	taxid_person_clear(&p);
	h->present = 1;
	return same ? TAXID_OK : taxid_fail(ctx, TAXID_E_NAME_MISMATCH, f[3]);
}

/* Everything an add, import or update may set. */
struct core {
	char tin[40];
	const char *name;
	const char *status;
	const char *credit;      /* NULL: unrated */
	int blacklist, realname_risk;
	struct holder rep, fin;
	int has_name, has_status, has_credit, has_flags, has_rep, has_fin, fin_null;
};

static void core_clear(struct core *k)
{
	holder_clear(&k->rep);
	holder_clear(&k->fin);
}

static const char *const statuses[] = {"normal", "suspended", "deregistered", NULL};
static const char *const credits[] = {"A", "B", "M", "C", "D", NULL};
static const char *const flag_names[] = {"blacklist", "realname_risk", NULL};

/* Read the core members; full: an add (tin, name, legal_rep required). */
static enum taxid_code read_core(struct taxid_ctx *ctx, json_t *req, int full, struct core *k)
{
	enum taxid_code c;
	memset(k, 0, sizeof *k);
	if ((c = read_tin(ctx, req, "tin", k->tin)))
		return c;
	k->name = taxid_req_str(ctx, req, "name", full, &c);
	if (c)
		return c;
	k->has_name = k->name != NULL;
	if (k->name && strlen(k->name) > 200)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "name");
	k->status = taxid_req_str(ctx, req, "status", 0, &c);
	if (c)
		return c;
	k->has_status = k->status != NULL;
	if (k->status && !taxid_bind_one_of(k->status, statuses))
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "status", taxid_bind_allowed(statuses));
	json_t *cr = json_object_get(req, "credit");
	k->has_credit = cr != NULL;
	if (cr && !json_is_null(cr)) {
		k->credit = taxid_req_str(ctx, req, "credit", 0, &c);
		if (c)
			return c;
		if (!taxid_bind_one_of(k->credit, credits))
			return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "credit", taxid_bind_allowed(credits));
	}
	json_t *fl = json_object_get(req, "flags");
	if (fl && !json_is_null(fl)) {
		size_t i;
		json_t *f;
		if (!json_is_array(fl))
			return taxid_fail(ctx, TAXID_E_BAD_TYPE, "flags");
		k->has_flags = 1;
		json_array_foreach(fl, i, f) {
			if (!json_is_string(f) || !taxid_bind_one_of(json_string_value(f), flag_names))
				return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "flags", taxid_bind_allowed(flag_names));
			if (strcmp(json_string_value(f), "blacklist") == 0)
				k->blacklist = 1;
			else
				k->realname_risk = 1;
		}
	} else if (fl) {
		k->has_flags = 1; /* null: no flags */
	}
	if ((c = read_holder(ctx, req, 0, full, &k->rep, NULL)))
		return c;
	k->has_rep = k->rep.name != NULL;
	if ((c = read_holder(ctx, req, 1, 0, &k->fin, &k->fin_null)))
		return c;
	k->has_fin = k->fin.name != NULL || k->fin_null;
	return TAXID_OK;
}

static const char *read_operator(struct taxid_ctx *ctx, json_t *req, enum taxid_code *c)
{
	return taxid_operator(ctx, req, c);
}

enum taxid_code taxid_enterprise_holder(struct taxid_ctx *ctx, const unsigned char index[32], const unsigned char *old,
				       long long *person_id, int *level)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ENT_PERSON_BY_INDEX);
	taxid_q_blob(q, 1, index, 32);
	if (old)
		taxid_q_blob(q, 2, old, 32);
	*person_id = 0;
	if (level)
		*level = 0;
	if (taxid_q_step(q)) {
		*person_id = taxid_q_col_int(q, 0);
		if (level)
			*level = (int)taxid_q_col_int(q, 1);
	}
	return taxid_q_end(q);
}

enum taxid_code taxid_enterprise_holder_of(struct taxid_ctx *ctx, const struct taxid_enterprise *e, int which,
					   long long *person_id, int *level)
{
	const unsigned char *old = which ? e->fin_index_old : e->rep_index_old;
	return taxid_enterprise_holder(ctx, which ? e->fin_index : e->rep_index, ctx->keys->rotating ? old : NULL,
				       person_id, level);
}

/* The legal representative is linked at once; the finance manager's link waits for the person (DOMAIN §8). */
static enum taxid_code link_core(struct taxid_ctx *ctx, long long enterprise_id, const char *role,
				 const struct holder *h, const char *op, json_t *links)
{
	long long pid, rid;
	enum taxid_code c = taxid_enterprise_holder(ctx, h->index, h->has_old ? h->index_old : NULL, &pid, NULL);
	if (c || !pid)
		return c;
	const char *state = strcmp(role, "legal_rep") == 0 ? "active" : "pending";
	char today[11];
	taxid_bind_today(ctx, today);
	json_t *none = json_array();
	c = taxid_relation_create(ctx, enterprise_id, pid, role, none, "core", state, today, NULL, 0, op, &rid);
	json_decref(none);
	if (!c && links)
		json_array_append_new(links, json_pack("{s:I,s:s,s:s}", "relation", (json_int_t)rid, "role", role, "state", state));
	return c;
}

/* A new holder for a role ends the old holder's core link. */
static enum taxid_code end_core(struct taxid_ctx *ctx, long long enterprise_id, const char *role, const char *op)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REL_CORE_OPEN);
	taxid_q_int(q, 1, enterprise_id);
	taxid_q_text(q, 2, role);
	long long ids[64];
	int n = 0;
	while (n < 64 && taxid_q_step(q))
		ids[n++] = taxid_q_col_int(q, 0);
	enum taxid_code c = taxid_q_end(q);
	if (c)
		return c;
	for (int i = 0; i < n && !c; i++)
		c = taxid_relation_set_state(ctx, ids[i], "ended", "replaced", 0, op, "the core record names another person");
	return c;
}

static enum taxid_code seal_holder(struct taxid_ctx *ctx, struct taxid_q *q, int col, const struct holder *h,
				   unsigned char **enc, unsigned char **name_enc)
{
	char kind[16];
	size_t el, nl;
	snprintf(kind, sizeof kind, "doc:%d", (int)h->type);
	*enc = taxid_pii_seal(ctx->keys, kind, h->no, &el);
	*name_enc = taxid_pii_seal(ctx->keys, "enterprise.person_name", h->name, &nl);
	if (!*enc || !*name_enc)
		return TAXID_E_INTERNAL;
	taxid_q_int(q, col, (int)h->type);
	taxid_q_blob(q, col + 1, h->index, 32);
	taxid_q_blob(q, col + 2, *enc, el);
	taxid_q_blob(q, col + 3, *name_enc, nl);
	return TAXID_OK;
}

static json_t *flags_json(int blacklist, int realname_risk)
{
	json_t *a = json_array();
	if (blacklist)
		json_array_append_new(a, json_string("blacklist"));
	if (realname_risk)
		json_array_append_new(a, json_string("realname_risk"));
	return a;
}

static enum taxid_code insert(struct taxid_ctx *ctx, struct core *k, const char *op, json_t *out)
{
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ENT_INSERT);
	if (!q)
		return TAXID_E_INTERNAL;
	unsigned char *re = NULL, *rn = NULL, *fe = NULL, *fn = NULL;
	enum taxid_code c;
	taxid_q_text(q, 1, k->tin);
	taxid_q_text(q, 2, k->name);
	taxid_q_text(q, 3, k->status ? k->status : "normal");
	taxid_q_text(q, 4, k->credit);
	taxid_q_int(q, 5, k->blacklist);
	taxid_q_int(q, 6, k->realname_risk);
	if ((c = seal_holder(ctx, q, 7, &k->rep, &re, &rn)) || (k->fin.name && (c = seal_holder(ctx, q, 11, &k->fin, &fe, &fn)))) {
		taxid_q_end(q);
		goto out;
	}
	taxid_q_text(q, 15, at);
	long long id = 0;
	if ((c = taxid_q_insert_id(q, &id)))
		goto out;
	json_t *links = json_array();
	char subj[64];
	snprintf(subj, sizeof subj, "enterprise:%s", k->tin);
	if (!(c = link_core(ctx, id, "legal_rep", &k->rep, op, links)) &&
	    !(k->fin.name && (c = link_core(ctx, id, "finance_manager", &k->fin, op, links))))
		c = taxid_audit_new(ctx, "enterprise_add", subj, op,
				    json_pack("{s:s,s:s?,s:O}", "status", k->status ? k->status : "normal", "credit", k->credit,
					      "links", links));
	json_object_set_new(out, "links", links);
out:
	free(re);
	free(rn);
	free(fe);
	free(fn);
	return c;
}

static void put_core_summary(json_t *out, const char *tin, const char *name, const char *status)
{
	json_object_set_new(out, "tin", json_string(tin));
	json_object_set_new(out, "name", json_string(name));
	json_object_set_new(out, "status", json_string(status));
}

enum taxid_code taxid_enterprise_add(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct core k;
	enum taxid_code c = TAXID_OK;
	const char *op = read_operator(ctx, req, &c);
	if (c)
		return c;
	if ((c = read_core(ctx, req, 1, &k)))
		goto out;
	struct taxid_enterprise e;
	c = taxid_enterprise_load(ctx, req, "tin", &e);
	taxid_enterprise_clear(&e);
	if (c == TAXID_OK) {
		c = taxid_fail(ctx, TAXID_E_ENTERPRISE_EXISTS, "tin");
		goto out;
	}
	if (c != TAXID_E_NOT_FOUND)
		goto out;
	ctx->err_field = NULL;
	if ((c = insert(ctx, &k, op, out)))
		goto out;
	put_core_summary(out, k.tin, k.name, k.status ? k.status : "normal");
out:
	core_clear(&k);
	return c;
}

/* Apply an update or an import record to an existing enterprise; *changed tells whether anything differed. */
static enum taxid_code apply(struct taxid_ctx *ctx, struct taxid_enterprise *e, struct core *k, const char *op, json_t *out,
			     int *changed)
{
	enum taxid_code c;
	const char *name = k->has_name ? k->name : e->name;
	const char *status = k->has_status ? k->status : e->status;
	const char *credit = k->has_credit ? k->credit : (e->credit[0] ? e->credit : NULL);
	int bl = k->has_flags ? k->blacklist : e->blacklist, rr = k->has_flags ? k->realname_risk : e->realname_risk;
	int rep_changed = k->has_rep && ((int)k->rep.type != e->rep_type || memcmp(k->rep.index, e->rep_index, 32) != 0);
	int fin_changed = k->has_fin && (k->fin_null ? e->fin_type != 0
						     : ((int)k->fin.type != e->fin_type || memcmp(k->fin.index, e->fin_index, 32) != 0));
	json_t *what = json_array();
	if (strcmp(name, e->name) != 0)
		json_array_append_new(what, json_string("name"));
	if (strcmp(status, e->status) != 0)
		json_array_append_new(what, json_string("status"));
	if (strcmp(credit ? credit : "", e->credit) != 0)
		json_array_append_new(what, json_string("credit"));
	if (bl != e->blacklist || rr != e->realname_risk)
		json_array_append_new(what, json_string("flags"));
	if (rep_changed)
		json_array_append_new(what, json_string("legal_rep"));
	if (fin_changed)
		json_array_append_new(what, json_string("finance_manager"));
	*changed = json_array_size(what) > 0;
	put_core_summary(out, e->tin, name, status);
	json_object_set_new(out, "changed", what);
	if (!*changed)
		return TAXID_OK;

	/* Rewrite the row: the holders not changed keep their sealed values, re-read from the stored row. */
	struct taxid_q *cur = taxid_q(ctx, TAXID_SQL_ENT_GET_ID);
	taxid_q_int(cur, 1, e->id);
	if (!taxid_q_step(cur)) {
		taxid_q_end(cur);
		return TAXID_E_INTERNAL;
	}
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ENT_UPDATE);
	unsigned char *re = NULL, *rn = NULL, *fe = NULL, *fn = NULL;
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	c = TAXID_OK;
	if (!q) {
		taxid_q_end(cur);
		return TAXID_E_INTERNAL;
	}
	taxid_q_int(q, 1, e->id);
	taxid_q_text(q, 2, name);
	taxid_q_text(q, 3, status);
	taxid_q_text(q, 4, credit);
	taxid_q_int(q, 5, bl);
	taxid_q_int(q, 6, rr);
	if (rep_changed)
		c = seal_holder(ctx, q, 7, &k->rep, &re, &rn);
	else
		for (int i = 0; i < 4; i++)
			taxid_q_bind_col(q, 7 + i, cur, 7 + i);
	if (!c && fin_changed && !k->fin_null)
		c = seal_holder(ctx, q, 11, &k->fin, &fe, &fn);
	else if (!c && !fin_changed)
		for (int i = 0; i < 4; i++)
			taxid_q_bind_col(q, 11 + i, cur, 11 + i);
	taxid_q_text(q, 15, at);
	if (!c)
		c = taxid_q_exec(q);
	else
		taxid_q_end(q);
	taxid_q_end(cur);
	free(re);
	free(rn);
	free(fe);
	free(fn);
	if (c)
		return c;
	json_t *links = json_array();
	if (rep_changed && !(c = end_core(ctx, e->id, "legal_rep", op)))
		c = link_core(ctx, e->id, "legal_rep", &k->rep, op, links);
	if (!c && fin_changed && !(c = end_core(ctx, e->id, "finance_manager", op)) && !k->fin_null)
		c = link_core(ctx, e->id, "finance_manager", &k->fin, op, links);
	char subj[64];
	snprintf(subj, sizeof subj, "enterprise:%s", e->tin);
	if (!c)
		c = taxid_audit_new(ctx, "enterprise_update", subj, op,
				    json_pack("{s:O,s:O}", "changed", json_object_get(out, "changed"), "links", links));
	json_object_set_new(out, "links", links);
	return c;
}

enum taxid_code taxid_enterprise_update(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct core k;
	struct taxid_enterprise e;
	enum taxid_code c = TAXID_OK;
	int changed;
	memset(&e, 0, sizeof e);
	const char *op = read_operator(ctx, req, &c);
	if (c)
		return c;
	if (!(c = read_core(ctx, req, 0, &k)) && !(c = taxid_enterprise_load(ctx, req, "tin", &e)))
		c = apply(ctx, &e, &k, op, out, &changed);
	core_clear(&k);
	taxid_enterprise_clear(&e);
	return c;
}

enum taxid_code taxid_enterprise_import(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct core k;
	struct taxid_enterprise e;
	enum taxid_code c = TAXID_OK;
	int changed = 0;
	memset(&e, 0, sizeof e);
	const char *op = read_operator(ctx, req, &c);
	if (c)
		return c;
	if ((c = read_core(ctx, req, 1, &k)))
		goto out;
	c = taxid_enterprise_load(ctx, req, "tin", &e);
	if (c == TAXID_E_NOT_FOUND) {
		ctx->err_field = NULL;
		if (!(c = insert(ctx, &k, op, out))) {
			put_core_summary(out, k.tin, k.name, k.status ? k.status : "normal");
			json_object_set_new(out, "import", json_string("created"));
		}
	} else if (!c && !(c = apply(ctx, &e, &k, op, out, &changed))) {
		json_object_set_new(out, "import", json_string(changed ? "updated" : "unchanged"));
	}
out:
	core_clear(&k);
	taxid_enterprise_clear(&e);
	return c;
}

/* A holder as shown: document type, masked number and name, and whether the registry knows the person. */
static json_t *holder_json(struct taxid_ctx *ctx, struct taxid_q *q, int col)
{
	int type = (int)taxid_q_col_int(q, col);
	char kind[16];
	size_t nn, mn;
	snprintf(kind, sizeof kind, "doc:%d", type);
	const void *sealed_no = taxid_q_col_blob(q, col + 2, &nn), *sealed_name = taxid_q_col_blob(q, col + 3, &mn);
	char *no = taxid_pii_open(ctx->keys, kind, sealed_no, nn);
	char *name = taxid_pii_open(ctx->keys, "enterprise.person_name", sealed_name, mn);
	if (!no || !name) {
		free(no);
		free(name);
		return NULL;
	}
	char *mno = malloc(strlen(no) + 1), *mname = malloc(strlen(name) + 2);
	json_t *o = NULL;
	if (mno && mname) {
		taxid_mask_doc(no, mno);
		taxid_mask_name(name, mname);
		taxid_reveal_subject(ctx, mno);
		o = json_pack("{s:s,s:i,s:s,s:s}", "doc_type", taxid_ids_doc_name((enum taxid_doc_type)type) ? taxid_ids_doc_name((enum taxid_doc_type)type) : "other",
			      "doc_type_code", type, "doc_no", ctx->reveal ? no : mno, "name", ctx->reveal ? name : mname);
	}
	free(mno);
	free(mname);
	free(no);
	free(name);
	return o;
}

enum taxid_code taxid_enterprise_show(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_enterprise e;
	enum taxid_code c = taxid_enterprise_load(ctx, req, "tin", &e);
	if (c)
		return c;
	put_core_summary(out, e.tin, e.name, e.status);
	json_object_set_new(out, "credit", e.credit[0] ? json_string(e.credit) : json_null());
	json_object_set_new(out, "flags", flags_json(e.blacklist, e.realname_risk));
	json_object_set_new(out, "declaration_password_set", json_boolean(e.declpw_hash != NULL));
	if (e.declpw_set_at[0])
		json_object_set_new(out, "declaration_password_set_at", json_string(e.declpw_set_at));
	json_object_set_new(out, "created_at", json_string(e.created_at));
	json_object_set_new(out, "updated_at", json_string(e.updated_at));
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ENT_GET_ID);
	if (!q) {
		taxid_enterprise_clear(&e);
		return TAXID_E_INTERNAL;
	}
	taxid_q_int(q, 1, e.id);
	if (taxid_q_step(q)) {
		json_t *rep = holder_json(ctx, q, 7);
		json_object_set_new(out, "legal_rep", rep ? rep : json_null());
		json_object_set_new(out, "finance_manager", !taxid_q_is_null(q, 11) ? holder_json(ctx, q, 11) : json_null());
	}
	taxid_q_end(q);
	json_t *counts = json_object();
	q = taxid_q(ctx, TAXID_SQL_ENT_COUNTS);
	taxid_q_int(q, 1, e.id);
	while (taxid_q_step(q))
		json_object_set_new(counts, taxid_q_col_text(q, 0), json_integer(taxid_q_col_int(q, 1)));
	taxid_q_end(q);
	json_object_set_new(out, "relations", counts);
	taxid_enterprise_clear(&e);
	return TAXID_OK;
}

enum taxid_code taxid_enterprise_list(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *status = taxid_req_str(ctx, req, "status", 0, &c);
	if (c)
		return c;
	if (status && !taxid_bind_one_of(status, statuses))
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "status", taxid_bind_allowed(statuses));
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ENT_LIST);
	if (!q)
		return TAXID_E_INTERNAL;
	taxid_q_text(q, 1, status);
	while (!c && taxid_q_step(q)) {
		const char *credit = taxid_q_col_text(q, 3);
		json_t *row = json_pack("{s:s,s:s,s:s,s:o,s:o,s:b,s:s,s:s}", "tin", taxid_q_col_text(q, 0), "name",
					taxid_q_col_text(q, 1), "status", taxid_q_col_text(q, 2), "credit",
					credit ? json_string(credit) : json_null(), "flags",
					flags_json((int)taxid_q_col_int(q, 4), (int)taxid_q_col_int(q, 5)),
					"declaration_password_set", (int)taxid_q_col_int(q, 6), "created_at",
					taxid_q_col_text(q, 7), "updated_at", taxid_q_col_text(q, 8));
		c = taxid_emit(ctx, row);
	}
	enum taxid_code ended = taxid_q_end(q);
	return c ? c : ended;
}

char *taxid_enterprise_holder_name(struct taxid_ctx *ctx, long long enterprise_id, int which)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ENT_GET_ID);
	taxid_q_int(q, 1, enterprise_id);
	char *name = NULL;
	int col = which ? 14 : 10;
	if (taxid_q_step(q) && !taxid_q_is_null(q, col)) {
		size_t n;
		const void *sealed = taxid_q_col_blob(q, col, &n);
		name = taxid_pii_open(ctx->keys, "enterprise.person_name", sealed, n);
	}
	taxid_q_end(q);
	return name;
}
