/* Certification that a pensioner is alive, by every method, and appeals for manual review (taxid-survival(1)). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "ledger.h"
#include "record.h"
#include "survival.h"
#include "survival_certify.h"
#include "survival_duty.h"
#include "survival_pay.h"
#include "survival_policy.h"
#include "verdict.h"
#include "verify.h"

/* Who may certify at all: not ended, of retirement age (retirees), no duplicate pension. */
enum taxid_code taxid_survival_certify_gate(struct taxid_ctx *ctx, struct taxid_subject *s, taxid_day day)
{
	struct taxid_pensioner *p = &s->p;
	/* The registry's word first: a person marked abnormal there (taxid-register mark) certifies nothing. */
	if (s->person.abnormal) {
		const char *why = s->person.abnormal_reason;
		if (why && strcmp(why, "deceased") == 0)
			return taxid_fail(ctx, TAXID_E_PERSON_DECEASED, "doc_no");
		return taxid_fail_detail(ctx, TAXID_E_IDENTITY_ABNORMAL, "doc_no", why ? json_pack("{s:s}", "reason", why) : NULL);
	}
	if (strcmp(p->state, "terminated") == 0) {
		if (strcmp(p->reason, "death") == 0 || strcmp(p->reason, "declared_dead") == 0)
			return taxid_fail(ctx, TAXID_E_PERSON_DECEASED, "doc_no");
		return taxid_fail_detail(ctx, TAXID_E_NO_CERTIFICATION_NEEDED, "doc_no",
					 json_pack("{s:s,s:s}", "reason", "pension_ended", "ended_by", p->reason));
	}
	taxid_day b;
	if (strcmp(p->kind, "retiree") == 0 && !p->early && !taxid_day_parse(s->birth, &b) && (s->sex == 'M' || s->sex == 'F')) {
		int need = (int)taxid_setting_int(ctx, s->sex == 'M' ? "survival.retirement_age.male" : "survival.retirement_age.female",
						  s->sex == 'M' ? TAXID_SURVIVAL_RETIREMENT_AGE_MALE : TAXID_SURVIVAL_RETIREMENT_AGE_FEMALE);
		int age = taxid_age_years(taxid_day_ymd(b), taxid_day_ymd(day));
		if (age < need)
			return taxid_fail_detail(ctx, TAXID_E_NO_CERTIFICATION_NEEDED, "doc_no",
						 json_pack("{s:s,s:i,s:i}", "reason", "below_retirement_age", "age", age,
							   "retirement_age", need));
	}
	if (p->duplicate) {
		json_t *other = json_loads(p->duplicate, 0, NULL);
		return taxid_fail_detail(ctx, TAXID_E_DUPLICATE_PENSION, "doc_no",
					 json_pack("{s:o*}", "other", other));
	}
	return TAXID_OK;
}

struct method {
	const char *name;
	const char *verdict; /* kind of the signed verdict required in "evidence" */
	int photo, card;     /* needs a reference photo / a usable social-security card */
	const char *role;    /* operator role required */
};

static const struct method methods[] = {
	{"face", "face", 1, 1, NULL},
	{"fingerprint", NULL, 0, 1, NULL},
	{"finger_vein", NULL, 0, 1, NULL},
	{"offline_device", NULL, 0, 0, NULL},
	{"appeal", NULL, 0, 0, "officer"},
	{"special", NULL, 0, 0, "officer"},
	{"consular", "survival", 0, 0, NULL},
	{"official_proof", NULL, 0, 0, NULL},
	{"passive", "survival", 0, 0, NULL},
	{NULL, NULL, 0, 0, NULL},
};

static const char *const proof_bodies[] = {"hk_home_affairs", "hk_ftu", "macao_iacm", "macao_ftu", "tw_notary", NULL};

/* The certification row: the deadline it answered (the one before it), the new window, late or not; detail stolen. */
static enum taxid_code cert_row(struct taxid_ctx *ctx, const struct taxid_pensioner *p, const char *method, const char *day,
				const char *deadline, int late, const char *issuer, const char *actor, json_t *detail)
{
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	char *det = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(detail);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_CERT_INSERT);
	taxid_q_int(q, 1, p->id);
	taxid_q_text(q, 2, method);
	taxid_q_text(q, 3, day);
	taxid_bind_opt(q, 4, deadline);
	taxid_q_text(q, 5, p->valid_until);
	taxid_q_int(q, 6, late);
	taxid_bind_opt(q, 7, issuer);
	taxid_bind_opt(q, 8, actor);
	taxid_bind_opt(q, 9, det);
	taxid_q_text(q, 10, at);
	enum taxid_code c = taxid_q_exec(q);
	free(det);
	return c;
}

/* What a certification does to the payment: a new retiree's starts (arrears from the benefit start), one suspended
 * for a lapse or while missing resumes; otherwise nothing (*ev stays NULL). Payment starts or resumes from the first
 * month not yet paid, the month after today's: every month the ledger has as withheld up to then is back paid (the
 * certification may be dated earlier; the figures are the same). */
static enum taxid_code cert_resume(struct taxid_ctx *ctx, struct taxid_pensioner *p, const char *method, taxid_day day,
				   const char *actor, const char **ev, int *from, int *back)
{
	static const char *const approval[] = {"approval", NULL};
	int cur = taxid_day_month(taxid_survival_today(ctx));
	const char *payment;
	*ev = NULL;
	if (strcmp(p->state, "pending") == 0) {
		int bs = taxid_month_or_none(p->benefit_start);
		*from = bs != TAXID_MONTH_NONE && bs > cur ? bs : cur + 1;
		payment = "started";
		*ev = "approve";
	} else if (strcmp(p->state, "suspended") == 0 &&
		   (strcmp(p->reason, "lapse") == 0 || strcmp(p->reason, "missing") == 0)) {
		*from = cur + 1;
		payment = "resumed";
		*ev = "resume";
	} else {
		return TAXID_OK;
	}
	struct taxid_ledger l;
	enum taxid_code c;
	if ((c = taxid_pay_open(ctx, p, cur, &l)))
		return c;
	*back = taxid_ledger_convert(&l, INT_MIN, cur, TAXID_PAY_WITHHELD, strcmp(*ev, "approve") == 0 ? approval : taxid_pay_owed_reasons,
				     TAXID_PAY_BACK_PAID, *ev);
	if ((c = taxid_pay_close(ctx, &l, TAXID_OK)))
		return c;
	snprintf(p->state, sizeof p->state, "active");
	p->reason[0] = p->since[0] = p->owed_from[0] = 0;
	p->owed_months = 0;
	return taxid_pensioner_event(ctx, p->id, *ev, day, *from, payment,
				     json_pack("{s:i,s:s}", "back_pay_months", *back, "method", method), actor);
}

/* Record a successful certification on day and apply what follows: a new window, and the payment started
 * (awaiting approval), resumed (suspended for a lapse or while missing) or left as it is. */
enum taxid_code taxid_survival_certify_apply(struct taxid_ctx *ctx, struct taxid_subject *s, const char *method, taxid_day day,
					     const char *issuer, const char *actor, json_t *detail, json_t *out)
{
	struct taxid_pensioner *p = &s->p;
	const struct taxid_policy *pol = taxid_policy_for(p->region);
	char deadline[TAXID_DATE_LEN], day_s[TAXID_DATE_LEN];
	snprintf(deadline, sizeof deadline, "%s", p->valid_until);
	taxid_day_format(day, day_s);
	taxid_day old_until, lapse, last;
	int had = taxid_day_parse(p->valid_until, &old_until) == 0;
	int late = taxid_day_parse(p->lapse_on, &lapse) == 0 && day >= lapse;
	taxid_day until = taxid_policy_until(pol, day, taxid_subject_birth_month(s));
	if (!had || until > old_until)
		taxid_pensioner_window(p, pol, day, taxid_subject_birth_month(s));
	if (taxid_day_parse(p->last_certified, &last) || day > last) {
		snprintf(p->last_certified, sizeof p->last_certified, "%s", day_s);
		snprintf(p->anchor, sizeof p->anchor, "%s", day_s);
	}
	p->face_failures = 0;
	const char *ev;
	int from = TAXID_MONTH_NONE, back = 0;
	enum taxid_code c;
	if ((c = cert_row(ctx, p, method, day_s, deadline, late, issuer, actor, detail)) ||
	    (c = cert_resume(ctx, p, method, day, actor, &ev, &from, &back)) || (c = taxid_pensioner_save(ctx, p)))
		return c;
	json_t *ad = json_pack("{s:s,s:s,s:s,s:b}", "method", method, "certified_on", day_s, "valid_until", p->valid_until,
			       "late", late);
	if (ev)
		json_object_set_new(ad, "back_pay_months", json_integer(back));
	if ((c = taxid_pensioner_audit(ctx, "survival.certify", p->id, actor, ad)))
		return c;

	json_object_set_new(out, "method", json_string(method));
	json_object_set_new(out, "certified_on", json_string(day_s));
	json_object_set_new(out, "valid_until", json_string(p->valid_until));
	json_object_set_new(out, "lapses_on", json_string(p->lapse_on));
	json_object_set_new(out, "window", taxid_policy_json(pol));
	json_object_set_new(out, "late", json_boolean(late));
	json_object_set_new(out, "state", json_string(p->state));
	json_object_set_new(out, "payment_resumes", json_boolean(ev != NULL));
	if (ev) {
		taxid_json_set_month(out, "payment_from", from);
		json_object_set_new(out, "back_pay_months", json_integer(back));
		if (strcmp(ev, "approve") == 0)
			json_object_set_new(out, "approved", json_true());
	} else if (strcmp(p->state, "suspended") == 0) {
		json_object_set_new(out, "suspended_for", json_string(p->reason));
	}
	return TAXID_OK;
}

/* The photo and card conditions of a method (照片信息不完善). */
static enum taxid_code photo_gate(struct taxid_ctx *ctx, const struct method *m, const struct taxid_subject *s)
{
	if (m->photo && !s->has_photo)
		return taxid_fail_detail(ctx, TAXID_E_PHOTO_INCOMPLETE, "doc_no", json_pack("{s:s}", "reason", "no_reference_photo"));
	if (m->card && strcmp(s->p.card, "normal") != 0)
		return taxid_fail_detail(ctx, TAXID_E_PHOTO_INCOMPLETE, "doc_no",
					 json_pack("{s:s}", "reason", strcmp(s->p.card, "lost") == 0 ? "card_lost" : "card_frozen"));
	return TAXID_OK;
}

static enum taxid_code face_failed(struct taxid_ctx *ctx, struct taxid_subject *s, const struct taxid_verdict *v,
				   const char *actor, taxid_day day)
{
	s->p.face_failures++;
	enum taxid_code c = taxid_pensioner_save(ctx, &s->p);
	int review = s->p.face_failures >= TAXID_SURVIVAL_FACE_FAILURES_REVIEW;
	if (!c)
		c = taxid_pensioner_event(ctx, s->p.id, "face_failed", day, TAXID_MONTH_NONE, NULL,
			      json_pack("{s:i,s:s}", "face_failures", s->p.face_failures, "issuer", v->issuer), actor);
	if (!c)
		c = taxid_pensioner_audit(ctx, "survival.face_failed", s->p.id, actor,
				    json_pack("{s:i}", "face_failures", s->p.face_failures));
	if (c)
		return c;
	taxid_keep_changes(ctx); /* the verdict is spent and the failure counted */
	return taxid_fail_detail(ctx, TAXID_E_FACE_FAILED, "evidence",
				 json_pack("{s:i,s:b}", "face_failures", s->p.face_failures, "manual_review_available", review));
}

static enum taxid_code certify_request(struct taxid_ctx *ctx, json_t *req, json_t *out, const char *forced)
{
	enum taxid_code c = TAXID_OK;
	const char *mname = forced ? forced : taxid_req_str(ctx, req, "method", 1, &c);
	if (c)
		return c;
	const struct method *m = methods;
	while (m->name && strcmp(m->name, mname) != 0)
		m++;
	if (!m->name)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "method");
	if (strcmp(m->name, "appeal") == 0)
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "method", json_pack("{s:s}", "use", "appeal decide"));
	struct taxid_op op;
	struct taxid_subject s;
	taxid_day day;
	if ((c = taxid_survival_operator_get(ctx, req, m->role, &op)))
		return c;
	/* Issue 11.4: a method with no signed verdict of its own rests on the word of the device's or counter's operator
	 * (either role), or on the device's signed verdict of kind survival. */
	const char *vkind = m->verdict;
	if (!vkind && !m->role && !op.id) {
		if (!json_object_get(req, "evidence"))
			return taxid_fail_detail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator",
						 json_pack("{s:[s,s],s:s}", "role", "specialist", "officer", "or", "evidence"));
		vkind = "survival";
	}
	c = taxid_subject_load(ctx, req, out, 1, TAXID_E_NO_CERTIFICATION_NEEDED, &s);
	if (!c)
		c = taxid_survival_req_past_day(ctx, req, "at", 0, taxid_survival_today(ctx), &day);
	if (!c)
		c = taxid_survival_certify_gate(ctx, &s, day);
	if (!c)
		c = photo_gate(ctx, m, &s);
	struct taxid_verdict v;
	json_t *detail = NULL;
	const char *issuer = NULL, *actor = op.id;
	char device[160];
	if (!c && vkind) {
		c = taxid_verdict_check(ctx, json_object_get(req, "evidence"), vkind, s.info.normalized, 1, "evidence", &v);
		if (!c && !taxid_verdict_passed(ctx, &v)) {
			if (strcmp(m->name, "face") == 0) {
				c = face_failed(ctx, &s, &v, op.id, day);
			} else {
				taxid_keep_changes(ctx);
				c = taxid_fail(ctx, TAXID_E_VERDICT_FAILED, "evidence");
			}
		}
		if (!c) {
			issuer = v.issuer;
			if (!actor) { /* the device that signed is who certified */
				snprintf(device, sizeof device, "device:%s", v.issuer);
				actor = device;
			}
			json_object_set_new(out, "verdict", taxid_verdict_json(&v));
			detail = json_pack("{s:s}", "nonce", v.nonce);
		}
	}
	if (!c && strcmp(m->name, "official_proof") == 0) {
		const char *body;
		if (!(c = taxid_survival_req_word(ctx, req, "body", proof_bodies, NULL, &body)))
			detail = json_pack("{s:s}", "body", body);
	}
	if (!c) {
		json_t *reason = json_object_get(req, "reason");
		if (json_is_string(reason) && strcmp(m->name, "special") == 0)
			detail = json_pack("{s:O}", "reason", reason);
		c = taxid_survival_certify_apply(ctx, &s, m->name, day, issuer, actor, detail, out);
		detail = NULL;
		char day_s[TAXID_DATE_LEN];
		taxid_day_format(day, day_s);
		if (!c) /* issue 13.3, 13.5: the device's reference photo, the fingerprint report and the app duty */
			c = taxid_survival_after_certify(ctx, s.p.id, s.person.id, m->name, day_s, actor, out);
	}
	json_decref(detail);
	if (!c && strcmp(m->name, "passive") == 0)
		json_object_set_new(out, "notify", json_string("sms")); /* people are told when passive certification worked */
	if (!c && strcmp(m->name, "fingerprint") == 0)
		json_object_set_new(out, "must_report", json_true()); /* fingerprint results go to the certification system */
	taxid_subject_clear(&s);
	return c;
}

enum taxid_code taxid_survival_certify(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	if (taxid_policies_load(ctx))
		return TAXID_E_INTERNAL;
	return certify_request(ctx, req, out, NULL);
}

enum taxid_code taxid_survival_special(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	if (taxid_policies_load(ctx))
		return TAXID_E_INTERNAL;
	return certify_request(ctx, req, out, "special");
}

/* ==== appeals: manual review when certification keeps failing ==== */

enum taxid_code taxid_survival_appeal_file(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	struct taxid_subject s;
	struct taxid_op op;
	memset(&s, 0, sizeof s);
	if ((c = taxid_survival_operator_get(ctx, req, NULL, &op)))
		return c;
	if (!op.id) /* issue 13.6: the employer's specialist files it (or an agency officer) */
		return taxid_fail_detail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator",
					 json_pack("{s:[s,s]}", "role", "specialist", "officer"));
	if ((c = taxid_subject_load(ctx, req, out, 1, TAXID_E_NO_CERTIFICATION_NEEDED, &s)))
		goto out;
	const char *reason = taxid_req_str(ctx, req, "reason", 0, &c);
	if (c || (c = taxid_survival_certify_gate(ctx, &s, taxid_survival_today(ctx))))
		goto out;
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_APPEAL_INSERT);
	taxid_q_int(q, 1, s.p.id);
	taxid_bind_opt(q, 2, reason);
	taxid_q_text(q, 3, at);
	long long id = 0;
	if ((c = taxid_q_insert_id(q, &id)))
		goto out;
	if (!(c = taxid_pensioner_event(ctx, s.p.id, "appeal_filed", taxid_survival_today(ctx), TAXID_MONTH_NONE, NULL,
			    json_pack("{s:I,s:s}", "appeal", (json_int_t)id, "role", op.role), op.id)))
		c = taxid_pensioner_audit(ctx, "survival.appeal", s.p.id, op.id,
				    json_pack("{s:s,s:I,s:s}", "step", "filed", "appeal", (json_int_t)id, "role", op.role));
	json_object_set_new(out, "appeal", json_integer(id));
	json_object_set_new(out, "state", json_string("filed"));
	json_object_set_new(out, "filed_by", json_string(op.id));
	json_object_set_new(out, "face_failures", json_integer(s.p.face_failures));
out:
	taxid_subject_clear(&s);
	return c;
}

static const char *const decisions[] = {"approve", "reject", NULL};

enum taxid_code taxid_survival_appeal_decide(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	struct taxid_op op;
	const char *decision, *note;
	if ((c = taxid_policies_load(ctx)) || (c = taxid_survival_operator_get(ctx, req, "officer", &op)) ||
	    (c = taxid_survival_req_word(ctx, req, "decision", decisions, NULL, &decision)))
		return c;
	long long id = taxid_req_int(ctx, req, "appeal", 0, &c);
	note = c ? NULL : taxid_req_str(ctx, req, "note", 0, &c);
	if (c)
		return c;
	if (id <= 0)
		return taxid_fail(ctx, json_object_get(req, "appeal") ? TAXID_E_BAD_VALUE : TAXID_E_MISSING_FIELD, "appeal");
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_APPEAL_GET);
	taxid_q_int(q, 1, id);
	int row = taxid_q_step(q);
	long long pid = 0;
	int filed = 0;
	if (row) {
		pid = taxid_q_col_int(q, 0);
		filed = strcmp(taxid_q_col_text(q, 1), "filed") == 0;
	}
	if ((c = taxid_q_end(q)))
		return c;
	if (!row)
		return taxid_fail(ctx, TAXID_E_NOT_FOUND, "appeal");
	if (!filed)
		return taxid_fail(ctx, TAXID_E_APPEAL_DECIDED, "appeal");
	struct taxid_subject s;
	memset(&s, 0, sizeof s);
	if ((c = taxid_pensioner_load(ctx, TAXID_SQL_SURV_PENSIONER_GET, pid, &s.p)) || (c = taxid_subject_facts(ctx, s.p.person_id, &s)))
		goto out;
	int t;
	char *no = taxid_person_doc_number(ctx, s.p.doc_id, &t);
	if (no) {
		json_object_set_new(out, "doc_type", json_string(taxid_ids_doc_name((enum taxid_doc_type)t)));
		json_object_set_new(out, "doc_no", taxid_survival_doc_json(ctx, no));
		free(no);
	}
	json_object_set_new(out, "appeal", json_integer(id));
	json_object_set_new(out, "pensioner", json_integer(pid));
	int approve = strcmp(decision, "approve") == 0;
	taxid_day day;
	if ((c = taxid_survival_req_past_day(ctx, req, "at", 0, taxid_survival_today(ctx), &day)))
		goto out;
	if (approve && (c = taxid_survival_certify_gate(ctx, &s, day)))
		goto out;
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	q = taxid_q(ctx, TAXID_SQL_SURV_APPEAL_DECIDE);
	taxid_q_int(q, 1, id);
	taxid_q_text(q, 2, approve ? "approved" : "rejected");
	taxid_q_text(q, 3, at);
	taxid_q_text(q, 4, op.id);
	taxid_bind_opt(q, 5, note);
	if ((c = taxid_q_exec(q)))
		goto out;
	json_object_set_new(out, "decision", json_string(approve ? "approved" : "rejected"));
	if ((c = taxid_pensioner_audit(ctx, "survival.appeal", pid, op.id,
				 json_pack("{s:s,s:I}", "step", approve ? "approved" : "rejected", "appeal", (json_int_t)id))))
		goto out;
	if (approve)
		c = taxid_survival_certify_apply(ctx, &s, "appeal", day, NULL, op.id, json_pack("{s:I}", "appeal", (json_int_t)id), out);
	else
		c = taxid_pensioner_event(ctx, pid, "appeal_rejected", day, TAXID_MONTH_NONE, NULL, json_pack("{s:I}", "appeal", (json_int_t)id), op.id);
out:
	taxid_subject_clear(&s);
	return c;
}
