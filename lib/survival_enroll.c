/* Enrolment of a retiree or a dependant (taxid-survival(1), "Enrolment"): idempotent by document. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "keys.h"
#include "ledger.h"
#include "record.h"
#include "survival.h"
#include "survival_duty.h"
#include "survival_pay.h"
#include "survival_policy.h"
#include "survival_request.h"
#include "verify.h"

static const char *const kinds[] = {"retiree", "dependant", NULL};
static const char *const relations[] = {"child", "spouse", "parent", "other", NULL};

/* An enrolment request, read and checked. */
struct enrolment {
	const char *kind, *relation, *name, *region, *bstart, *account;
	int dependant, new_retiree, unable, early;
	const struct taxid_insurance *ins;
	enum taxid_doc_type t;
	struct taxid_id_info info;
	struct taxid_op op;
	char employer[TAXID_EMPLOYER_LEN];
	int has_employer;
	taxid_day now, last_cert; /* last_cert: a certification the previous system recorded (has_last) */
	int has_last;
	json_t *photo;
};

/* Who enrols: an agency action (rule 31); a dependant: the employer's specialist or an agency officer (13.6). */
static enum taxid_code enrol_who(struct taxid_ctx *ctx, json_t *req, struct enrolment *e)
{
	enum taxid_code c;
	if ((c = taxid_policies_load(ctx)) || (c = taxid_survival_req_word(ctx, req, "kind", kinds, NULL, &e->kind)))
		return c;
	e->dependant = strcmp(e->kind, "dependant") == 0;
	if ((c = taxid_survival_operator_get(ctx, req, NULL, &e->op)))
		return c;
	if (!e->op.id)
		return e->dependant ? taxid_fail_detail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator",
							json_pack("{s:[s,s]}", "role", "specialist", "officer"))
				    : taxid_fail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator");
	return taxid_survival_employer(ctx, req, "employer", e->employer, &e->has_employer);
}

/* The members of the request: the document (shown masked in out), the person, the pension. */
static enum taxid_code enrol_read(struct taxid_ctx *ctx, json_t *req, json_t *out, struct enrolment *e)
{
	enum taxid_code c = taxid_verify_document(ctx, req, "doc_type", "doc_no", &e->t, &e->info);
	if (c)
		return c;
	json_object_set_new(out, "doc_type", json_string(taxid_ids_doc_name(e->t)));
	json_object_set_new(out, "doc_no", taxid_survival_doc_json(ctx, e->info.normalized));
	e->name = taxid_req_str(ctx, req, "name", 1, &c);
	e->region = c ? NULL : taxid_req_str(ctx, req, "region", 1, &c);
	const char *itype = c ? NULL : taxid_req_str(ctx, req, "insurance_type", 1, &c);
	e->bstart = c ? NULL : taxid_req_str(ctx, req, "benefit_start", 1, &c);
	e->account = c ? NULL : taxid_req_str(ctx, req, "pension_account", 1, &c);
	e->new_retiree = c ? 0 : taxid_req_bool(ctx, req, "new_retiree", 0, &c);
	e->unable = c ? 0 : taxid_req_bool(ctx, req, "unable_to_work", 0, &c);
	e->early = c ? 0 : taxid_req_bool(ctx, req, "early_retirement", 0, &c);
	if (c)
		return c;
	if (e->dependant && (c = taxid_survival_req_word(ctx, req, "relation", relations, "child", &e->relation)))
		return c;
	int bs;
	if (!taxid_survival_region_ok(e->region))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "region");
	if (!(e->ins = taxid_insurance_find(itype)))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "insurance_type");
	if (taxid_month_parse(e->bstart, &bs))
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "benefit_start");
	if (strlen(e->account) > 40)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "pension_account");
	if (e->new_retiree && e->dependant)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "new_retiree");
	e->now = taxid_survival_today(ctx);
	if ((c = taxid_survival_req_day(ctx, req, "last_certified", 0, &e->has_last, &e->last_cert)))
		return c;
	if (e->has_last && e->last_cert > e->now)
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "last_certified", json_pack("{s:s}", "reason", "in_the_future"));
	e->photo = json_object_get(req, "photo");
	if (e->photo && !json_is_boolean(e->photo) && !json_is_string(e->photo) && !json_is_null(e->photo))
		return taxid_fail(ctx, TAXID_E_BAD_TYPE, "photo");
	return TAXID_OK;
}

/* The same document enrolled again changes nothing, and says what differs. */
static enum taxid_code enrol_again(struct taxid_ctx *ctx, const struct enrolment *e, const struct taxid_pensioner *p,
				   json_t *out)
{
	json_t *differs = json_array();
	if (strcmp(p->kind, e->kind) != 0)
		json_array_append_new(differs, json_string("kind"));
	if (strcmp(p->region, e->region) != 0)
		json_array_append_new(differs, json_string("region"));
	if (strcmp(p->insurance, e->ins->code) != 0)
		json_array_append_new(differs, json_string("insurance_type"));
	if (strcmp(p->benefit_start, e->bstart) != 0)
		json_array_append_new(differs, json_string("benefit_start"));
	char was[TAXID_EMPLOYER_LEN];
	if (e->has_employer && (taxid_survival_employer_of(ctx, p->id, was) || strcmp(was, e->employer) != 0))
		json_array_append_new(differs, json_string("employer"));
	json_object_set_new(out, "pensioner", json_integer(p->id));
	json_object_set_new(out, "enrolled", json_false());
	json_object_set_new(out, "already_enrolled", json_true());
	json_object_set_new(out, "changed", json_false());
	json_object_set_new(out, "state", json_string(p->state));
	json_object_set_new(out, "differs", differs);
	return TAXID_OK;
}

/* A person the registry already has: a different name is a mismatch, an abnormal person (deceased, cancelled, fraud,
 * stolen document) is not enrolled, an enrolled one is enrolled again (*done). */
static enum taxid_code enrol_known(struct taxid_ctx *ctx, const struct enrolment *e, json_t *out, int *done)
{
	struct taxid_person existing;
	enum taxid_code c = taxid_person_find_doc(ctx, e->t, e->info.normalized, &existing);
	*done = 0;
	if (c == TAXID_E_NOT_FOUND)
		return TAXID_OK;
	if (c)
		return c;
	int same = taxid_name_equal(e->name, existing.name);
	long long pid = existing.id;
	char *why = existing.abnormal ? strdup(existing.abnormal_reason ? existing.abnormal_reason : "abnormal") : NULL;
	taxid_person_clear(&existing);
	if (!same) {
		free(why);
		return taxid_fail(ctx, TAXID_E_IDENTITY_MISMATCH, "name");
	}
	if (why) {
		c = taxid_fail_detail(ctx, TAXID_E_IDENTITY_ABNORMAL, "doc_no", json_pack("{s:s}", "reason", why));
		free(why);
		return c;
	}
	struct taxid_pensioner p;
	c = taxid_pensioner_load(ctx, TAXID_SQL_SURV_PENSIONER_BY_PERSON, pid, &p);
	if (c == TAXID_E_NOT_FOUND)
		return TAXID_OK;
	if (c)
		return c;
	*done = 1;
	c = enrol_again(ctx, e, &p, out);
	taxid_pensioner_clear(&p);
	return c;
}

/* The insured worker a dependant draws from: found by document, created when new (then "name" is needed). */
static enum taxid_code insured_ensure(struct taxid_ctx *ctx, json_t *of, long long *id)
{
	enum taxid_code c = TAXID_OK;
	enum taxid_doc_type t;
	struct taxid_id_info info;
	struct taxid_person p;
	if (!json_is_object(of))
		return taxid_fail(ctx, of ? TAXID_E_BAD_TYPE : TAXID_E_MISSING_FIELD, "of");
	if ((c = taxid_verify_document(ctx, of, "doc_type", "doc_no", &t, &info))) {
		ctx->err_field = "of";
		return c;
	}
	const char *name = taxid_req_str(ctx, of, "name", 0, &c);
	if (c) {
		ctx->err_field = "of";
		return c;
	}
	c = taxid_person_find_doc(ctx, t, info.normalized, &p);
	if (c == TAXID_OK) {
		int same = !name || taxid_name_equal(name, p.name);
		*id = p.id;
		taxid_person_clear(&p);
		return same ? TAXID_OK : taxid_fail(ctx, TAXID_E_IDENTITY_MISMATCH, "of");
	}
	if (c != TAXID_E_NOT_FOUND)
		return c;
	if (!name)
		return taxid_fail_detail(ctx, TAXID_E_MISSING_FIELD, "of", json_pack("{s:s}", "member", "name"));
	int created;
	struct taxid_person_new n = {.doc_type = t, .info = &info, .name = name};
	return taxid_person_ensure(ctx, &n, id, &created);
}

/* The pensioner row, sealed account and all; p->id is set. */
static enum taxid_code enrol_insert(struct taxid_ctx *ctx, const struct enrolment *e, long long person_id, long long doc_id,
				    long long insured, struct taxid_pensioner *p, const char *at)
{
	size_t alen;
	unsigned char *acc = taxid_pii_seal(ctx->keys, "pension.account", e->account, &alen);
	if (!acc)
		return TAXID_E_INTERNAL;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_PENSIONER_INSERT);
	taxid_q_int(q, 1, person_id);
	taxid_q_int(q, 2, doc_id);
	taxid_q_text(q, 3, e->kind);
	taxid_bind_opt(q, 4, e->relation);
	if (e->dependant)
		taxid_q_int(q, 5, insured);
	taxid_q_blob(q, 6, acc, alen);
	taxid_q_text(q, 7, e->region);
	taxid_q_text(q, 8, e->ins->code);
	taxid_q_text(q, 9, e->bstart);
	taxid_q_int(q, 10, e->unable);
	taxid_q_int(q, 11, e->early);
	taxid_q_text(q, 12, p->state);
	taxid_q_text(q, 13, p->anchor);
	taxid_bind_opt(q, 14, p->last_certified);
	taxid_bind_opt(q, 15, p->valid_until);
	taxid_bind_opt(q, 16, p->lapse_on);
	taxid_bind_opt(q, 17, p->ends_on);
	taxid_q_text(q, 18, at);
	enum taxid_code c = taxid_q_insert_id(q, &p->id);
	free(acc);
	return c;
}

/* What comes with the row: the reference photo, the employer, the certification the previous system recorded. */
static enum taxid_code enrol_extras(struct taxid_ctx *ctx, const struct enrolment *e, const struct taxid_pensioner *p,
				    long long person_id, int has_photo, const char *at)
{
	enum taxid_code c;
	struct taxid_q *q;
	if (e->photo && (json_is_string(e->photo) || json_is_true(e->photo)) && !has_photo) {
		q = taxid_q(ctx, TAXID_SQL_SURV_PERSON_PHOTO);
		taxid_q_int(q, 1, person_id);
		taxid_q_text(q, 2, json_is_string(e->photo) ? json_string_value(e->photo) : "on_file");
		taxid_q_text(q, 3, at);
		if ((c = taxid_q_exec(q)))
			return c;
	}
	if (e->has_employer) {
		q = taxid_q(ctx, TAXID_SQL_SURV_EMPLOYER_SET);
		taxid_q_int(q, 1, p->id);
		taxid_q_text(q, 2, e->employer);
		taxid_q_text(q, 3, at);
		if ((c = taxid_q_exec(q)))
			return c;
	}
	if (e->has_last) {
		q = taxid_q(ctx, TAXID_SQL_SURV_CERT_INSERT);
		taxid_q_int(q, 1, p->id);
		taxid_q_text(q, 2, "imported");
		taxid_q_text(q, 3, p->last_certified);
		taxid_q_text(q, 5, p->valid_until);
		taxid_q_int(q, 6, 0);
		taxid_bind_opt(q, 8, e->op.id);
		taxid_q_text(q, 10, at);
		if ((c = taxid_q_exec(q)))
			return c;
	}
	return TAXID_OK;
}

/* Enrol a person the request makes sure exists (and for a dependant, the insured worker): the pensioner row and what
 * comes with it, the ledger's first months, the event and the audit row. */
static enum taxid_code enrol_new(struct taxid_ctx *ctx, json_t *req, const struct enrolment *e, taxid_day ends, int has_ends,
				 json_t *out)
{
	enum taxid_code c;
	long long insured = 0, person_id;
	if (e->dependant && (c = insured_ensure(ctx, json_object_get(req, "of"), &insured)))
		return c;
	int created;
	struct taxid_person_new n = {.doc_type = e->t, .info = &e->info, .name = e->name};
	if ((c = taxid_person_ensure(ctx, &n, &person_id, &created)))
		return c;
	if (e->dependant && insured == person_id)
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "of", json_pack("{s:s}", "reason", "same_person"));
	struct taxid_subject s;
	memset(&s, 0, sizeof s);
	if ((c = taxid_subject_facts(ctx, person_id, &s)))
		return c;
	struct taxid_person found;
	if ((c = taxid_person_find_doc(ctx, e->t, e->info.normalized, &found)))
		return c;
	long long doc_id = found.doc_id;
	taxid_person_clear(&found);

	struct taxid_pensioner p;
	memset(&p, 0, sizeof p);
	taxid_day anchor = e->has_last ? e->last_cert : e->now;
	taxid_day_format(anchor, p.anchor);
	if (e->has_last)
		taxid_day_format(e->last_cert, p.last_certified);
	if (!e->new_retiree)
		taxid_pensioner_window(&p, taxid_policy_for(e->region), anchor, taxid_subject_birth_month(&s));
	if (has_ends)
		taxid_day_format(ends, p.ends_on);
	snprintf(p.state, sizeof p.state, "%s", e->new_retiree ? "pending" : "active");
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	if ((c = enrol_insert(ctx, e, person_id, doc_id, insured, &p, at)) ||
	    (c = enrol_extras(ctx, e, &p, person_id, s.has_photo, at)))
		return c;
	/* The ledger starts with the enrolment month (paid: a pension in payment has been paid for the current month),
	 * or for a new retiree with the months awaiting approval from the benefit start. */
	snprintf(p.benefit_start, sizeof p.benefit_start, "%s", e->bstart);
	snprintf(p.enrolled_at, sizeof p.enrolled_at, "%s", at);
	struct taxid_ledger l;
	if ((c = taxid_pay_open(ctx, &p, taxid_day_month(e->now), &l)) || (c = taxid_pay_close(ctx, &l, TAXID_OK)))
		return c;
	if ((c = taxid_pensioner_event(ctx, p.id, "enroll", e->now, TAXID_MONTH_NONE, NULL,
				       json_pack("{s:s,s:s,s:b}", "kind", e->kind, "region", e->region, "new_retiree",
						 e->new_retiree),
				       e->op.id)) ||
	    (c = taxid_pensioner_audit(ctx, "survival.enroll", p.id, e->op.id,
				       json_pack("{s:s,s:s,s:s,s:b,s:b,s:s?}", "kind", e->kind, "region", e->region,
						 "insurance_type", e->ins->code, "new_retiree", e->new_retiree, "person_created",
						 created, "employer", e->has_employer ? e->employer : NULL))))
		return c;
	json_object_set_new(out, "pensioner", json_integer(p.id));
	json_object_set_new(out, "enrolled", json_true());
	json_object_set_new(out, "kind", json_string(e->kind));
	json_object_set_new(out, "state", json_string(p.state));
	if (e->has_employer)
		json_object_set_new(out, "employer", json_string(e->employer));
	taxid_json_set_str(out, "valid_until", p.valid_until);
	taxid_json_set_str(out, "lapses_on", p.lapse_on);
	if (has_ends)
		json_object_set_new(out, "ends_on", json_string(p.ends_on));
	return TAXID_OK;
}

enum taxid_code taxid_survival_enroll(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct enrolment e;
	enum taxid_code c;
	int done = 0;
	memset(&e, 0, sizeof e);
	if ((c = enrol_who(ctx, req, &e)) || (c = enrol_read(ctx, req, out, &e)) || (c = enrol_known(ctx, &e, out, &done)) ||
	    done)
		return c;
	/* Dependants (children) stop at 18 unless unable to work: one already 18 cannot be added. */
	taxid_day birth = 0, ends = 0;
	int has_birth = taxid_day_parse(e.info.birth_date, &birth) == 0, has_ends = 0;
	if (e.dependant && strcmp(e.relation, "child") == 0 && !e.unable && has_birth) {
		ends = taxid_birthday_at(birth, 18);
		has_ends = 1;
		if (ends <= e.now)
			return taxid_fail_detail(ctx, TAXID_E_DEPENDANT_NOT_ELIGIBLE, "doc_no", json_pack("{s:s}", "reason", "age_18"));
	}
	return enrol_new(ctx, req, &e, ends, has_ends, out);
}
