/* taxid-survival update (issue 13 item 4, seed 004 三, 四, 十, 十六): the employer's specialist has the agency correct a
 * pensioner's name or document number at the window (an officer records it); the pensioner changes region or
 * insurance type in the app profile (or a specialist does). Old and new values are kept encrypted, audited masked;
 * a new region whose window policy differs moves the deadline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "keys.h"
#include "record.h"
#include "person.h"
#include "survival.h"
#include "survival_duty.h"
#include "survival_request.h"
#include "verify.h"

struct profile {
	char region[8], insurance[16], employer[TAXID_EMPLOYER_LEN], state[12];
	long long person_id, doc_id;
};

static enum taxid_code profile_get(struct taxid_ctx *ctx, long long pid, struct profile *p)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_PROFILE_GET);
	memset(p, 0, sizeof *p);
	taxid_q_int(q, 1, pid);
	int row = taxid_q_step(q);
	if (row) {
		snprintf(p->region, sizeof p->region, "%s", taxid_q_col_text(q, 0));
		snprintf(p->insurance, sizeof p->insurance, "%s", taxid_q_col_text(q, 1));
		if (!taxid_q_is_null(q, 2))
			snprintf(p->employer, sizeof p->employer, "%s", taxid_q_col_text(q, 2));
		snprintf(p->state, sizeof p->state, "%s", taxid_q_col_text(q, 3));
		p->person_id = taxid_q_col_int(q, 5);
		p->doc_id = taxid_q_col_int(q, 6);
	}
	enum taxid_code c = taxid_q_end(q);
	return c ? c : row ? TAXID_OK : TAXID_E_NOT_FOUND;
}

/* One correction row (values sealed) and its masked entry in the audit detail. */
static enum taxid_code correction(struct taxid_ctx *ctx, long long pid, const char *field, const char *old_v,
				  const char *new_v, json_t *old_shown, json_t *new_shown, const char *actor, json_t *changes)
{
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	size_t ol = 0, nl = 0;
	unsigned char *oe = old_v ? taxid_pii_seal(ctx->keys, "survival.correction", old_v, &ol) : NULL;
	unsigned char *ne = taxid_pii_seal(ctx->keys, "survival.correction", new_v, &nl);
	enum taxid_code c = TAXID_E_INTERNAL;
	if (!ne || (old_v && !oe))
		goto out;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_CORRECTION_INSERT);
	taxid_q_int(q, 1, pid);
	taxid_q_text(q, 2, field);
	taxid_q_blob(q, 3, oe, ol);
	taxid_q_blob(q, 4, ne, nl);
	taxid_q_text(q, 5, actor);
	taxid_q_text(q, 6, at);
	long long id = 0;
	if ((c = taxid_q_insert_id(q, &id)))
		goto out;
	json_array_append_new(changes, json_pack("{s:I,s:s,s:O,s:O}", "correction", (json_int_t)id, "field", field, "old",
						 old_shown, "new", new_shown));
	c = TAXID_OK;
out:
	json_decref(old_shown);
	json_decref(new_shown);
	free(oe);
	free(ne);
	return c;
}

/* The audit's masked form of a value: names and document numbers masked even under --reveal. */
static json_t *masked_name(const char *name)
{
	struct taxid_ctx quiet;
	memset(&quiet, 0, sizeof quiet);
	return taxid_survival_name_json(&quiet, name);
}

static json_t *masked_doc(const char *no)
{
	struct taxid_ctx quiet;
	memset(&quiet, 0, sizeof quiet);
	return taxid_survival_doc_json(&quiet, no);
}

static enum taxid_code need_officer(struct taxid_ctx *ctx, const char *role, const char *field)
{
	if (role && strcmp(role, "officer") == 0)
		return TAXID_OK;
	return taxid_fail_detail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator",
				 json_pack("{s:s,s:s}", "role", "officer", "for", field));
}

/* A new document: validated as by taxid-verify, held by no one else. */
static enum taxid_code new_document(struct taxid_ctx *ctx, json_t *req, int cur_type, enum taxid_doc_type *t,
				    struct taxid_id_info *info)
{
	json_t *type = json_object_get(req, "new_doc_type"), *no = json_object_get(req, "new_doc_no");
	json_t *d = json_object();
	if (type)
		json_object_set(d, "doc_type", type);
	else
		json_object_set_new(d, "doc_type", json_sprintf("%d", cur_type));
	if (no)
		json_object_set(d, "doc_no", no);
	enum taxid_code c = taxid_verify_document(ctx, d, "doc_type", "doc_no", t, info);
	json_decref(d);
	if (c) {
		ctx->err_field = ctx->err_field && strcmp(ctx->err_field, "doc_type") == 0 ? "new_doc_type" : "new_doc_no";
		return c;
	}
	return TAXID_OK;
}

/* An update request: who asks, and what it would change. */
struct update {
	const char *op_id, *op_role, *new_name, *region, *icode, *reason;
	int new_doc, has_employer;
	char employer[TAXID_EMPLOYER_LEN];
};

/* The members of the request and who may change what: corrections of identity by an agency officer; the employer by
 * an operator; region and insurance type by the person (who names themself) or an operator. */
static enum taxid_code update_read(struct taxid_ctx *ctx, json_t *req, struct update *u)
{
	enum taxid_code c = TAXID_OK;
	if ((c = taxid_survival_operator(ctx, req, &u->op_id, &u->op_role)))
		return c;
	u->new_name = taxid_req_str(ctx, req, "new_name", 0, &c);
	u->region = c ? NULL : taxid_req_str(ctx, req, "region", 0, &c);
	const char *itype = c ? NULL : taxid_req_str(ctx, req, "insurance_type", 0, &c);
	u->reason = c ? NULL : taxid_req_str(ctx, req, "reason", 0, &c);
	if (c)
		return c;
	u->new_doc = json_object_get(req, "new_doc_no") != NULL || json_object_get(req, "new_doc_type") != NULL;
	if ((c = taxid_survival_employer(ctx, req, "employer", u->employer, &u->has_employer)))
		return c;
	if (!u->new_name && !u->new_doc && !u->region && !itype && !u->has_employer)
		return taxid_fail_detail(ctx, TAXID_E_MISSING_FIELD, "new_name",
					 json_pack("{s:[s,s,s,s,s]}", "one_of", "new_name", "new_doc_no", "region",
						   "insurance_type", "employer"));
	if (u->new_name && (c = need_officer(ctx, u->op_role, "new_name")))
		return c;
	if (u->new_doc && (c = need_officer(ctx, u->op_role, "new_doc_no")))
		return c;
	if (u->has_employer && !u->op_id)
		return taxid_fail_detail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator",
					 json_pack("{s:[s,s],s:s}", "role", "specialist", "officer", "for", "employer"));
	if (u->region && !taxid_survival_region_ok(u->region))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "region");
	u->icode = itype ? taxid_survival_insurance_code(itype) : NULL;
	if (itype && !u->icode)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "insurance_type");
	return TAXID_OK;
}

/* The pensioner, by the document on file (and the name on file, required from the person); the masked document
 * into out. person is filled (clear it) whatever this returns. */
static enum taxid_code update_find(struct taxid_ctx *ctx, json_t *req, const struct update *u, json_t *out,
				   enum taxid_doc_type *t, struct taxid_id_info *info, struct taxid_person *person, long long *pid)
{
	enum taxid_code c;
	memset(person, 0, sizeof *person);
	if ((c = taxid_verify_document(ctx, req, "doc_type", "doc_no", t, info)))
		return c;
	json_object_set_new(out, "doc_type", json_string(taxid_ids_doc_name(*t)));
	json_object_set_new(out, "doc_no", taxid_survival_doc_json(ctx, info->normalized));
	const char *name = taxid_req_str(ctx, req, "name", u->op_id == NULL, &c);
	if (c)
		return c;
	enum taxid_code missing = u->op_id ? TAXID_E_NOT_FOUND : TAXID_E_NO_CERTIFICATION_NEEDED;
	c = taxid_person_find_doc(ctx, *t, info->normalized, person);
	if (c)
		memset(person, 0, sizeof *person);
	if (c == TAXID_E_NOT_FOUND)
		return taxid_fail_detail(ctx, missing, "doc_no", json_pack("{s:s}", "reason", "not_enrolled"));
	if (c)
		return c;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_PENSIONER_BY_PERSON);
	taxid_q_int(q, 1, person->id);
	int row = taxid_q_step(q);
	if (row)
		*pid = taxid_q_col_int(q, 0);
	if ((c = taxid_q_end(q)))
		return c;
	if (!row)
		return taxid_fail_detail(ctx, missing, "doc_no", json_pack("{s:s}", "reason", "not_enrolled"));
	if (name && !taxid_name_equal(name, person->name))
		return taxid_fail(ctx, TAXID_E_IDENTITY_MISMATCH, "name");
	json_object_set_new(out, "pensioner", json_integer(*pid));
	return TAXID_OK;
}

/* A corrected name, sealed. */
static enum taxid_code update_name(struct taxid_ctx *ctx, const struct update *u, const struct taxid_person *person,
				   long long pid, const char *at, json_t *changes)
{
	size_t nl;
	unsigned char *ne = taxid_pii_seal(ctx->keys, "person.name", u->new_name, &nl);
	if (!ne)
		return TAXID_E_INTERNAL;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_PERSON_NAME_SET);
	taxid_q_int(q, 1, person->id);
	taxid_q_blob(q, 2, ne, nl);
	taxid_q_text(q, 3, at);
	enum taxid_code c = taxid_q_exec(q);
	free(ne);
	if (c)
		return c;
	return correction(ctx, pid, "name", person->name, u->new_name, masked_name(person->name), masked_name(u->new_name),
			  u->op_id, changes);
}

/* A corrected document: held by no one else; the birth date, sex and region the registry derives from the number
 * follow it. */
static enum taxid_code update_document(struct taxid_ctx *ctx, json_t *req, const struct update *u, enum taxid_doc_type t,
				       const struct taxid_id_info *info, const struct taxid_person *person, long long pid,
				       const char *at, json_t *changes, json_t *out)
{
	enum taxid_doc_type nt;
	struct taxid_id_info ni;
	enum taxid_code c;
	if ((c = new_document(ctx, req, (int)t, &nt, &ni)))
		return c;
	if (nt == t && strcmp(ni.normalized, info->normalized) == 0)
		return TAXID_OK;
	struct taxid_person other;
	c = taxid_person_find_doc(ctx, nt, ni.normalized, &other);
	if (c == TAXID_OK) {
		taxid_person_clear(&other);
		return taxid_fail(ctx, TAXID_E_IDENTITY_OCCUPIED, "new_doc_no");
	}
	if (c != TAXID_E_NOT_FOUND)
		return c;
	char kind[16], oldv[64], newv[64];
	unsigned char idx[32];
	size_t dl;
	snprintf(kind, sizeof kind, "doc:%d", (int)nt);
	unsigned char *de = taxid_pii_seal(ctx->keys, kind, ni.normalized, &dl);
	if (!de)
		return TAXID_E_INTERNAL;
	taxid_person_doc_index(ctx, nt, ni.normalized, idx);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_DOC_SET);
	taxid_q_int(q, 1, person->doc_id);
	taxid_q_int(q, 2, (int)nt);
	taxid_q_blob(q, 3, idx, 32);
	taxid_q_blob(q, 4, de, dl);
	c = taxid_q_exec(q);
	free(de);
	if (c)
		return c;
	q = taxid_q(ctx, TAXID_SQL_SURV_PERSON_DOC_FACTS);
	taxid_q_int(q, 1, person->id);
	if (ni.birth_date[0])
		taxid_q_text(q, 2, ni.birth_date);
	if (ni.sex)
		taxid_q_textn(q, 3, &ni.sex, 1);
	if (ni.region[0])
		taxid_q_text(q, 4, ni.region);
	taxid_q_text(q, 5, at);
	if ((c = taxid_q_exec(q)))
		return c;
	snprintf(oldv, sizeof oldv, "%d:%s", (int)t, info->normalized);
	snprintf(newv, sizeof newv, "%d:%s", (int)nt, ni.normalized);
	if ((c = correction(ctx, pid, "document", oldv, newv, masked_doc(info->normalized), masked_doc(ni.normalized), u->op_id,
			    changes)))
		return c;
	json_object_set_new(out, "doc_type", json_string(taxid_ids_doc_name(nt)));
	json_object_set_new(out, "doc_no", taxid_survival_doc_json(ctx, ni.normalized));
	return TAXID_OK;
}

/* Region, insurance type and employer: each change a correction row, then the profile written once. */
static enum taxid_code update_profile(struct taxid_ctx *ctx, const struct update *u, long long pid, struct profile *pr,
				      const char *at, json_t *changes)
{
	enum taxid_code c;
	int profile = 0;
	if (u->region && strcmp(u->region, pr->region) != 0) {
		if ((c = correction(ctx, pid, "region", pr->region, u->region, json_string(pr->region), json_string(u->region),
				    u->op_id, changes)))
			return c;
		snprintf(pr->region, sizeof pr->region, "%s", u->region);
		profile = 1;
	}
	if (u->icode && strcmp(u->icode, pr->insurance) != 0) {
		if ((c = correction(ctx, pid, "insurance_type", pr->insurance, u->icode, json_string(pr->insurance),
				    json_string(u->icode), u->op_id, changes)))
			return c;
		snprintf(pr->insurance, sizeof pr->insurance, "%s", u->icode);
		profile = 1;
	}
	if (u->has_employer && strcmp(u->employer, pr->employer) != 0) {
		if ((c = correction(ctx, pid, "employer", pr->employer[0] ? pr->employer : NULL, u->employer,
				    pr->employer[0] ? json_string(pr->employer) : json_null(), json_string(u->employer), u->op_id,
				    changes)))
			return c;
		snprintf(pr->employer, sizeof pr->employer, "%s", u->employer);
		profile = 1;
	}
	if (!profile)
		return TAXID_OK;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_PROFILE_SET);
	taxid_q_int(q, 1, pid);
	taxid_q_text(q, 2, pr->region);
	taxid_q_text(q, 3, pr->insurance);
	taxid_bind_opt(q, 4, pr->employer);
	taxid_q_text(q, 5, at);
	return taxid_q_exec(q);
}

/* What changed, into out and (when anything did) the audit row. */
static enum taxid_code update_done(struct taxid_ctx *ctx, const struct update *u, long long pid, const struct profile *pr,
				   json_t *changes, json_t *out)
{
	json_t *fields = json_array();
	size_t i;
	json_t *ch;
	json_array_foreach(changes, i, ch) json_array_append(fields, json_object_get(ch, "field"));
	json_object_set_new(out, "changed", fields);
	json_object_set_new(out, "region", json_string(pr->region));
	json_object_set_new(out, "insurance_type", json_string(pr->insurance));
	json_object_set_new(out, "employer", pr->employer[0] ? json_string(pr->employer) : json_null());
	if (!json_array_size(changes))
		return TAXID_OK;
	char subject[40];
	snprintf(subject, sizeof subject, "pensioner:%lld", pid);
	json_t *d = json_pack("{s:O,s:s,s:s?}", "changes", changes, "by", u->op_id ? u->op_role : "person", "reason", u->reason);
	return taxid_audit_new(ctx, "survival.update", subject, u->op_id, d);
}

enum taxid_code taxid_survival_update(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct update u;
	enum taxid_doc_type t;
	struct taxid_id_info info;
	struct taxid_person person;
	struct profile pr;
	long long pid = 0;
	enum taxid_code c;
	memset(&u, 0, sizeof u);
	if ((c = update_read(ctx, req, &u)))
		return c;
	json_t *changes = json_array();
	if ((c = update_find(ctx, req, &u, out, &t, &info, &person, &pid)) || (c = profile_get(ctx, pid, &pr)))
		goto out;
	char at[TAXID_TIME_LEN], old_region[8];
	taxid_time_format(ctx->now, at);
	if (u.new_name && !taxid_name_equal(u.new_name, person.name) &&
	    (c = update_name(ctx, &u, &person, pid, at, changes)))
		goto out;
	if (u.new_doc && (c = update_document(ctx, req, &u, t, &info, &person, pid, at, changes, out)))
		goto out;
	snprintf(old_region, sizeof old_region, "%s", pr.region);
	if ((c = update_profile(ctx, &u, pid, &pr, at, changes)))
		goto out;
	if (strcmp(old_region, pr.region) != 0 && (c = taxid_survival_rewindow(ctx, pid, old_region, out)))
		goto out;
	c = update_done(ctx, &u, pid, &pr, changes, out);
out:
	json_decref(changes);
	taxid_person_clear(&person);
	return c;
}
