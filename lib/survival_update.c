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
#include "verify.h"

struct profile {
	char region[8], insurance[16], employer[TAXID_EMPLOYER_LEN], state[12];
	long long person_id, doc_id;
};

static enum taxid_code profile_get(struct taxid_ctx *ctx, long long pid, struct profile *p)
{
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_PROFILE_GET);
	memset(p, 0, sizeof *p);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, pid);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(p->region, sizeof p->region, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(p->insurance, sizeof p->insurance, "%s", (const char *)sqlite3_column_text(st, 1));
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			snprintf(p->employer, sizeof p->employer, "%s", (const char *)sqlite3_column_text(st, 2));
		snprintf(p->state, sizeof p->state, "%s", (const char *)sqlite3_column_text(st, 3));
		p->person_id = sqlite3_column_int64(st, 5);
		p->doc_id = sqlite3_column_int64(st, 6);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? TAXID_OK : rc == SQLITE_DONE ? TAXID_E_NOT_FOUND : taxid_db_fail(ctx, rc);
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
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_CORRECTION_INSERT);
	enum taxid_code c = TAXID_E_INTERNAL;
	if (!ne || (old_v && !oe) || !st)
		goto out;
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_text(st, 2, field, -1, SQLITE_STATIC);
	if (oe)
		sqlite3_bind_blob(st, 3, oe, (int)ol, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, ne, (int)nl, SQLITE_STATIC);
	if (actor)
		sqlite3_bind_text(st, 5, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, at, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	long long id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW) {
		c = taxid_db_fail(ctx, rc);
		goto out;
	}
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

enum taxid_code taxid_survival_update(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *op_id, *op_role;
	if ((c = taxid_survival_operator(ctx, req, &op_id, &op_role)))
		return c;
	const char *new_name = taxid_req_str(ctx, req, "new_name", 0, &c);
	const char *region = c ? NULL : taxid_req_str(ctx, req, "region", 0, &c);
	const char *itype = c ? NULL : taxid_req_str(ctx, req, "insurance_type", 0, &c);
	const char *reason = c ? NULL : taxid_req_str(ctx, req, "reason", 0, &c);
	if (c)
		return c;
	int new_doc = json_object_get(req, "new_doc_no") != NULL || json_object_get(req, "new_doc_type") != NULL;
	char employer[TAXID_EMPLOYER_LEN];
	int has_employer;
	if ((c = taxid_survival_employer(ctx, req, "employer", employer, &has_employer)))
		return c;
	if (!new_name && !new_doc && !region && !itype && !has_employer)
		return taxid_fail_detail(ctx, TAXID_E_MISSING_FIELD, "new_name",
					 json_pack("{s:[s,s,s,s,s]}", "one_of", "new_name", "new_doc_no", "region",
						   "insurance_type", "employer"));
	/* Who may change what: corrections of identity by an agency officer; the employer by an operator; region and
	 * insurance type by the person (who names themself) or an operator. */
	if (new_name && (c = need_officer(ctx, op_role, "new_name")))
		return c;
	if (new_doc && (c = need_officer(ctx, op_role, "new_doc_no")))
		return c;
	if (has_employer && !op_id)
		return taxid_fail_detail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator",
					 json_pack("{s:[s,s],s:s}", "role", "specialist", "officer", "for", "employer"));
	if (region && !(strlen(region) == 6 && strspn(region, "0123456789") == 6 && taxid_region_province_ok(region)))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "region");
	const char *icode = itype ? taxid_survival_insurance_code(itype) : NULL;
	if (itype && !icode)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "insurance_type");

	/* The pensioner, by the document on file (and the name on file, required from the person). */
	enum taxid_doc_type t;
	struct taxid_id_info info;
	if ((c = taxid_verify_document(ctx, req, "doc_type", "doc_no", &t, &info)))
		return c;
	json_object_set_new(out, "doc_type", json_string(taxid_ids_doc_name(t)));
	json_object_set_new(out, "doc_no", taxid_survival_doc_json(ctx, info.normalized));
	const char *name = taxid_req_str(ctx, req, "name", op_id == NULL, &c);
	if (c)
		return c;
	enum taxid_code missing = op_id ? TAXID_E_NOT_FOUND : TAXID_E_NO_CERTIFICATION_NEEDED;
	struct taxid_person person;
	long long pid = 0;
	c = taxid_person_find_doc(ctx, t, info.normalized, &person);
	if (c == TAXID_E_NOT_FOUND)
		return taxid_fail_detail(ctx, missing, "doc_no", json_pack("{s:s}", "reason", "not_enrolled"));
	if (c)
		return c;
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_PENSIONER_BY_PERSON);
	if (!st) {
		taxid_person_clear(&person);
		return TAXID_E_INTERNAL;
	}
	sqlite3_bind_int64(st, 1, person.id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		pid = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	struct profile pr;
	json_t *changes = json_array();
	if (rc != SQLITE_ROW) {
		c = rc == SQLITE_DONE ? taxid_fail_detail(ctx, missing, "doc_no", json_pack("{s:s}", "reason", "not_enrolled"))
				      : taxid_db_fail(ctx, rc);
		goto out;
	}
	if (name && !taxid_name_equal(name, person.name)) {
		c = taxid_fail(ctx, TAXID_E_IDENTITY_MISMATCH, "name");
		goto out;
	}
	json_object_set_new(out, "pensioner", json_integer(pid));
	if ((c = profile_get(ctx, pid, &pr)))
		goto out;
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);

	if (new_name && !taxid_name_equal(new_name, person.name)) {
		size_t nl;
		unsigned char *ne = taxid_pii_seal(ctx->keys, "person.name", new_name, &nl);
		if (!ne || !(st = taxid_sql(ctx, TAXID_SQL_SURV_PERSON_NAME_SET))) {
			free(ne);
			c = TAXID_E_INTERNAL;
			goto out;
		}
		sqlite3_bind_int64(st, 1, person.id);
		sqlite3_bind_blob(st, 2, ne, (int)nl, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
		c = taxid_db_exec(ctx, st);
		free(ne);
		if (c || (c = correction(ctx, pid, "name", person.name, new_name, masked_name(person.name),
					 masked_name(new_name), op_id, changes)))
			goto out;
	}
	if (new_doc) {
		enum taxid_doc_type nt;
		struct taxid_id_info ni;
		if ((c = new_document(ctx, req, (int)t, &nt, &ni)))
			goto out;
		if (nt != t || strcmp(ni.normalized, info.normalized) != 0) {
			struct taxid_person other;
			c = taxid_person_find_doc(ctx, nt, ni.normalized, &other);
			if (c == TAXID_OK) {
				taxid_person_clear(&other);
				c = taxid_fail(ctx, TAXID_E_IDENTITY_OCCUPIED, "new_doc_no");
				goto out;
			}
			if (c != TAXID_E_NOT_FOUND)
				goto out;
			char kind[16], oldv[64], newv[64];
			unsigned char idx[32];
			size_t dl;
			snprintf(kind, sizeof kind, "doc:%d", (int)nt);
			unsigned char *de = taxid_pii_seal(ctx->keys, kind, ni.normalized, &dl);
			taxid_person_doc_index(ctx, nt, ni.normalized, idx);
			if (!de || !(st = taxid_sql(ctx, TAXID_SQL_SURV_DOC_SET))) {
				free(de);
				c = TAXID_E_INTERNAL;
				goto out;
			}
			sqlite3_bind_int64(st, 1, person.doc_id);
			sqlite3_bind_int(st, 2, (int)nt);
			sqlite3_bind_blob(st, 3, idx, 32, SQLITE_STATIC);
			sqlite3_bind_blob(st, 4, de, (int)dl, SQLITE_STATIC);
			c = taxid_db_exec(ctx, st);
			free(de);
			if (c)
				goto out;
			/* The birth date, sex and region the registry derives from the number follow it. */
			if (!(st = taxid_sql(ctx, TAXID_SQL_SURV_PERSON_DOC_FACTS))) {
				c = TAXID_E_INTERNAL;
				goto out;
			}
			sqlite3_bind_int64(st, 1, person.id);
			if (ni.birth_date[0])
				sqlite3_bind_text(st, 2, ni.birth_date, -1, SQLITE_STATIC);
			if (ni.sex)
				sqlite3_bind_text(st, 3, &ni.sex, 1, SQLITE_STATIC);
			if (ni.region[0])
				sqlite3_bind_text(st, 4, ni.region, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 5, at, -1, SQLITE_STATIC);
			if ((c = taxid_db_exec(ctx, st)))
				goto out;
			snprintf(oldv, sizeof oldv, "%d:%s", (int)t, info.normalized);
			snprintf(newv, sizeof newv, "%d:%s", (int)nt, ni.normalized);
			if ((c = correction(ctx, pid, "document", oldv, newv, masked_doc(info.normalized),
					    masked_doc(ni.normalized), op_id, changes)))
				goto out;
			json_object_set_new(out, "doc_type", json_string(taxid_ids_doc_name(nt)));
			json_object_set_new(out, "doc_no", taxid_survival_doc_json(ctx, ni.normalized));
		}
	}
	char old_region[8];
	snprintf(old_region, sizeof old_region, "%s", pr.region);
	int profile = 0;
	if (region && strcmp(region, pr.region) != 0) {
		if ((c = correction(ctx, pid, "region", pr.region, region, json_string(pr.region), json_string(region), op_id,
				    changes)))
			goto out;
		snprintf(pr.region, sizeof pr.region, "%s", region);
		profile = 1;
	}
	if (icode && strcmp(icode, pr.insurance) != 0) {
		if ((c = correction(ctx, pid, "insurance_type", pr.insurance, icode, json_string(pr.insurance),
				    json_string(icode), op_id, changes)))
			goto out;
		snprintf(pr.insurance, sizeof pr.insurance, "%s", icode);
		profile = 1;
	}
	if (has_employer && strcmp(employer, pr.employer) != 0) {
		if ((c = correction(ctx, pid, "employer", pr.employer[0] ? pr.employer : NULL, employer,
				    pr.employer[0] ? json_string(pr.employer) : json_null(), json_string(employer), op_id,
				    changes)))
			goto out;
		snprintf(pr.employer, sizeof pr.employer, "%s", employer);
		profile = 1;
	}
	if (profile) {
		if (!(st = taxid_sql(ctx, TAXID_SQL_SURV_PROFILE_SET))) {
			c = TAXID_E_INTERNAL;
			goto out;
		}
		sqlite3_bind_int64(st, 1, pid);
		sqlite3_bind_text(st, 2, pr.region, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, pr.insurance, -1, SQLITE_STATIC);
		if (pr.employer[0])
			sqlite3_bind_text(st, 4, pr.employer, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, at, -1, SQLITE_STATIC);
		if ((c = taxid_db_exec(ctx, st)))
			goto out;
	}
	if (strcmp(old_region, pr.region) != 0 && (c = taxid_survival_rewindow(ctx, pid, old_region, out)))
		goto out;
	json_t *fields = json_array();
	size_t i;
	json_t *ch;
	json_array_foreach(changes, i, ch) json_array_append(fields, json_object_get(ch, "field"));
	json_object_set_new(out, "changed", fields);
	json_object_set_new(out, "region", json_string(pr.region));
	json_object_set_new(out, "insurance_type", json_string(pr.insurance));
	json_object_set_new(out, "employer", pr.employer[0] ? json_string(pr.employer) : json_null());
	if (json_array_size(changes)) {
		char subject[40];
		snprintf(subject, sizeof subject, "pensioner:%lld", pid);
		json_t *d = json_pack("{s:O,s:s,s:s?}", "changes", changes, "by", op_id ? op_role : "person", "reason", reason);
		c = taxid_audit_new(ctx, "survival.update", subject, op_id, d);
	}
out:
	json_decref(changes);
	taxid_person_clear(&person);
	return c;
}
