/* Pension survival certification: who must prove being alive, by when, and what follows when they do not. The rules
 * are written out in taxid-survival(1); each part has its own file (survival.h lists the actions):
 *   calendar.c          days and months
 *   survival_policy.c   window policies (the 12-month window, birthdays, deadlines)
 *   pensioner.c         the pensioner store: rows, windows, events, audit
 *   survival_pay.c      the payment rules over the ledger (ledger.c)
 *   survival_request.c  operators, request members, the subject, masking
 *   survival_certify.c  certification and appeals
 *   survival_enroll.c   enrolment
 *   survival_event.c    life events, recovery, duplicates, card, photo
 *   survival_run.c      the due list, the monthly run and its notices
 *   survival_report.c   the coverage report (survival_html.c: its page)
 *   survival_duty.c, survival_update.c  issue 13's duties and corrections
 * This file: a pensioner's status, and what the sibling modules share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ledger.h"
#include "record.h"
#include "survival.h"
#include "survival_duty.h"
#include "survival_pay.h"
#include "survival_policy.h"
#include "survival_request.h"

/* status: the ledger as recorded, and the months since then through today's as the pensioner's state makes them
 * ("recorded": false): what a certification would back pay is what it shows as withheld for a lapse. */
static enum taxid_code status_ledger(struct taxid_ctx *ctx, const struct taxid_pensioner *p, taxid_day now, json_t *out)
{
	struct taxid_ledger l;
	enum taxid_code c = taxid_pay_open(ctx, p, taxid_day_month(now), &l);
	if (c)
		return c;
	int owed = taxid_ledger_count(&l, INT_MIN, INT_MAX, TAXID_PAY_WITHHELD, taxid_pay_owed_reasons);
	int suspended_owing = strcmp(p->state, "suspended") == 0 && (strcmp(p->reason, "lapse") == 0 || strcmp(p->reason, "missing") == 0);
	if (owed || suspended_owing)
		json_object_set_new(out, "owed", json_pack("{s:i,s:s?}", "months", owed, "open_from", suspended_owing ? p->since : NULL));
	json_t *sum = json_object();
	for (int k = TAXID_PAY_PAID; k <= TAXID_PAY_RECOVERED; k++)
		json_object_set_new(sum, taxid_ledger_state_name((enum taxid_pay)k),
				    json_integer(taxid_ledger_count(&l, INT_MIN, INT_MAX, (enum taxid_pay)k, NULL)));
	json_object_set_new(out, "payments", sum);
	json_object_set_new(out, "ledger", taxid_ledger_json(&l));
	taxid_ledger_free(&l);
	return TAXID_OK;
}

/* status: the last certifications and events, the open appeals. */
static enum taxid_code status_history(struct taxid_ctx *ctx, long long pid, json_t *out)
{
	json_t *certs = json_array(), *events = json_array(), *appeals = json_array();
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_CERT_RECENT);
	taxid_q_int(q, 1, pid);
	taxid_q_int(q, 2, 5);
	while (taxid_q_step(q))
		json_array_append_new(certs, json_pack("{s:s,s:s,s:s?,s:s,s:b,s:s?}", "method", taxid_q_col_text(q, 0),
						       "certified_on", taxid_q_col_text(q, 1), "deadline", taxid_q_col_text(q, 2),
						       "valid_until", taxid_q_col_text(q, 3), "late", (int)taxid_q_col_int(q, 4),
						       "issuer", taxid_q_col_text(q, 5)));
	enum taxid_code c = taxid_q_end(q);
	q = c ? NULL : taxid_q(ctx, TAXID_SQL_SURV_EVENT_RECENT);
	taxid_q_int(q, 1, pid);
	taxid_q_int(q, 2, 10);
	while (!c && taxid_q_step(q)) {
		const char *d = taxid_q_col_text(q, 4);
		json_array_append_new(events, json_pack("{s:s,s:s,s:s?,s:s?,s:o?}", "event", taxid_q_col_text(q, 0), "date",
							taxid_q_col_text(q, 1), "month", taxid_q_col_text(q, 2), "payment",
							taxid_q_col_text(q, 3), "detail", d ? json_loads(d, 0, NULL) : NULL));
	}
	if (!c)
		c = taxid_q_end(q);
	q = c ? NULL : taxid_q(ctx, TAXID_SQL_SURV_APPEAL_OPEN);
	taxid_q_int(q, 1, pid);
	while (!c && taxid_q_step(q))
		json_array_append_new(appeals, json_pack("{s:I,s:s,s:s?}", "appeal", (json_int_t)taxid_q_col_int(q, 0), "filed_at",
							 taxid_q_col_text(q, 1), "reason", taxid_q_col_text(q, 2)));
	if (!c)
		c = taxid_q_end(q);
	json_object_set_new(out, "certifications", certs);
	json_object_set_new(out, "events", events);
	json_object_set_new(out, "open_appeals", appeals);
	return c;
}

enum taxid_code taxid_survival_status(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	struct taxid_subject s;
	if ((c = taxid_policies_load(ctx)))
		return c;
	if ((c = taxid_subject_load(ctx, req, out, 0, TAXID_E_NOT_FOUND, &s))) {
		taxid_subject_clear(&s);
		return c;
	}
	struct taxid_pensioner *p = &s.p;
	const struct taxid_policy *pol = taxid_policy_for(p->region);
	taxid_day now = taxid_survival_today(ctx), vu, lapse;
	json_object_set_new(out, "name", taxid_survival_name_json(ctx, s.person.name));
	json_object_set_new(out, "kind", json_string(p->kind));
	if (p->relation[0])
		json_object_set_new(out, "relation", json_string(p->relation));
	json_object_set_new(out, "region", json_string(p->region));
	json_object_set_new(out, "insurance_type", json_string(p->insurance));
	json_object_set_new(out, "benefit_start", json_string(p->benefit_start));
	json_object_set_new(out, "state", json_string(p->state));
	taxid_json_set_str(out, "reason", p->reason);
	if (strcmp(p->state, "suspended") == 0)
		json_object_set_new(out, "suspended_from", json_string(p->since));
	if (strcmp(p->state, "terminated") == 0)
		json_object_set_new(out, "ended_from", json_string(p->since));
	if ((c = status_ledger(ctx, p, now, out))) {
		taxid_subject_clear(&s);
		return c;
	}
	taxid_json_set_str(out, "last_certified", p->last_certified);
	taxid_json_set_str(out, "valid_until", p->valid_until);
	taxid_json_set_str(out, "lapses_on", p->lapse_on);
	if (!taxid_day_parse(p->valid_until, &vu)) {
		json_object_set_new(out, "days_left", json_integer((json_int_t)(vu - now)));
		json_object_set_new(out, "lapsed", json_boolean(!taxid_day_parse(p->lapse_on, &lapse) && lapse <= now));
	}
	if (p->ends_on[0])
		json_object_set_new(out, "ends_on", json_string(p->ends_on));
	json_object_set_new(out, "window", taxid_policy_json(pol));
	json_object_set_new(out, "face_failures", json_integer(p->face_failures));
	json_object_set_new(out, "manual_review_available", json_boolean(p->face_failures >= TAXID_SURVIVAL_FACE_FAILURES_REVIEW));
	json_object_set_new(out, "card", json_string(p->card));
	json_object_set_new(out, "photo", json_boolean(s.has_photo));
	if ((c = taxid_survival_status_extra(ctx, p->id, s.person.id, out))) {
		taxid_subject_clear(&s);
		return c;
	}
	json_object_set_new(out, "duplicate", p->duplicate ? json_loads(p->duplicate, 0, NULL) : json_null());
	json_object_set_new(out, "unable_to_work", json_boolean(p->unable_to_work));

	c = status_history(ctx, p->id, out);
	taxid_subject_clear(&s);
	return c;
}

/* ==== for the sibling modules (survival_duty.c, survival_update.c): operators, the window, insurance ==== */

enum taxid_code taxid_survival_operator(struct taxid_ctx *ctx, json_t *req, const char **id, const char **role)
{
	struct taxid_op op;
	enum taxid_code c = taxid_survival_operator_get(ctx, req, NULL, &op);
	*id = op.id;
	*role = op.role;
	return c;
}

/* Recompute a pensioner's window from its anchor when its region moved from old_region to a region whose policy
 * differs; out gets "policy_changed" and, when it did, the new "valid_until", "lapses_on" and "window". */
enum taxid_code taxid_survival_rewindow(struct taxid_ctx *ctx, long long pid, const char *old_region, json_t *out)
{
	enum taxid_code c;
	if ((c = taxid_policies_load(ctx)))
		return c;
	struct taxid_subject s;
	memset(&s, 0, sizeof s);
	if ((c = taxid_pensioner_load(ctx, TAXID_SQL_SURV_PENSIONER_GET, pid, &s.p)))
		return c;
	struct taxid_pensioner *p = &s.p;
	json_t *was = taxid_policy_json(taxid_policy_for(old_region)), *now = taxid_policy_json(taxid_policy_for(p->region));
	const char *const not_window[] = {"region", "reminders", "builtin"}; /* what does not move a deadline */
	for (size_t i = 0; i < sizeof not_window / sizeof *not_window; i++) {
		json_object_del(was, not_window[i]);
		json_object_del(now, not_window[i]);
	}
	int differs = !json_equal(was, now);
	json_decref(was);
	json_decref(now);
	json_object_set_new(out, "policy_changed", json_boolean(differs));
	taxid_day anchor;
	if (differs && p->valid_until[0] && !taxid_day_parse(p->anchor, &anchor) && !(c = taxid_subject_facts(ctx, p->person_id, &s))) {
		const struct taxid_policy *pol = taxid_policy_for(p->region);
		taxid_pensioner_window(p, pol, anchor, taxid_subject_birth_month(&s));
		c = taxid_pensioner_save(ctx, p);
		json_object_set_new(out, "valid_until", json_string(p->valid_until));
		json_object_set_new(out, "lapses_on", json_string(p->lapse_on));
		json_object_set_new(out, "window", taxid_policy_json(pol));
	}
	taxid_pensioner_clear(p);
	return c;
}

/* The stored code of an insurance type given as a code or its Chinese name, or NULL. */
const char *taxid_survival_insurance_code(const char *s)
{
	const struct taxid_insurance *i = taxid_insurance_find(s);
	return i ? i->code : NULL;
}
