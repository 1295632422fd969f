/* Life events (death, imprisonment, release, missing, reappearance, a dependant's 18th birthday, ...), recovery of
 * overpaid months, duplicate pensions, the card and the reference photo (taxid-survival(1), "Events"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "holiday.h"
#include "ledger.h"
#include "record.h"
#include "survival.h"
#include "survival_certify.h"
#include "survival_pay.h"
#include "survival_policy.h"
#include "survival_request.h"

enum effect { EV_END, EV_PRISON, EV_RELEASE, EV_MISSING, EV_REAPPEAR };

static const struct event_rule {
	const char *name, *alias;
	enum effect effect;
	int dependant_only;
	const char *relation; /* only for dependants of this relation */
} event_rules[] = {
	{"death", NULL, EV_END, 0, NULL},
	{"declared_dead", NULL, EV_END, 0, NULL},
	{"missing", NULL, EV_MISSING, 0, NULL},
	{"imprisonment", NULL, EV_PRISON, 0, NULL},
	{"release", NULL, EV_RELEASE, 0, NULL},
	{"reappeared", NULL, EV_REAPPEAR, 0, NULL}, /* issue 13: a person declared dead is alive after all */
	{"nationality_lost", "loss_of_nationality", EV_END, 0, NULL},
	{"age_18", "18th_birthday", EV_END, 1, "child"},
	{"employment", NULL, EV_END, 1, NULL},
	{"enlistment", NULL, EV_END, 1, NULL},
	{"remarriage", NULL, EV_END, 1, "spouse"},
	{"adoption", NULL, EV_END, 1, "child"},
	{NULL, NULL, EV_END, 0, NULL},
};

static enum taxid_code not_applicable(struct taxid_ctx *ctx, const char *reason)
{
	return taxid_fail_detail(ctx, TAXID_E_EVENT_NOT_APPLICABLE, "event", json_pack("{s:s}", "reason", reason));
}

static int ended_by_death(const struct taxid_pensioner *p)
{
	return strcmp(p->state, "terminated") == 0 && (strcmp(p->reason, "death") == 0 || strcmp(p->reason, "declared_dead") == 0);
}

/* A person whose pension ended by death, or a declaration of death, is alive after all (issue 13). The termination
 * ends; the months paid since the end are theirs (overpaid becomes paid: nothing to recover), the months not paid
 * or recovered since are owed, as are the months withheld for a lapse or while missing before it: all back paid up
 * to today's month, and payment resumes from the month after. The officer's finding counts as a certification on
 * the day of the event. */
static enum taxid_code event_reappeared(struct taxid_ctx *ctx, struct taxid_subject *s, taxid_day on, const struct taxid_op *op,
					json_t *out)
{
	struct taxid_pensioner *p = &s->p;
	int cur = taxid_day_month(taxid_survival_today(ctx)), end = taxid_month_or_none(p->since), restored = 0, back = 0;
	char ended_by[24];
	snprintf(ended_by, sizeof ended_by, "%s", p->reason);
	const char *const owed[] = {"lapse", "missing", ended_by, NULL};
	struct taxid_ledger l;
	enum taxid_code c = taxid_pay_open(ctx, p, cur, &l);
	if (c)
		return c;
	json_t *months = json_array();
	int bs = taxid_month_or_none(p->benefit_start);
	if (end == TAXID_MONTH_NONE)
		end = cur + 1;
	if (bs != TAXID_MONTH_NONE && end < bs)
		end = bs; /* nothing was due before the benefit start */
	restored = taxid_ledger_convert(&l, end, cur, TAXID_PAY_OVERPAID, NULL, TAXID_PAY_PAID, "reappeared");
	back = taxid_ledger_convert(&l, end, cur, TAXID_PAY_RECOVERED, NULL, TAXID_PAY_BACK_PAID, "reappeared") +
	       taxid_ledger_convert(&l, INT_MIN, cur, TAXID_PAY_WITHHELD, owed, TAXID_PAY_BACK_PAID, "reappeared");
	for (int k = end; k <= cur && !c; k++) {
		if (taxid_ledger_find(&l, k))
			continue;
		int before = taxid_pay_before_origin(ctx, p, k); /* paid by the previous system: theirs */
		if (taxid_ledger_set(&l, k, before ? TAXID_PAY_PAID : TAXID_PAY_BACK_PAID, "reappeared"))
			c = TAXID_E_INTERNAL;
		restored += before;
		back += !before;
	}
	for (size_t i = 0; i < l.n; i++)
		if (l.rows[i].state == TAXID_PAY_BACK_PAID && l.rows[i].dirty) {
			char mb[TAXID_MONTH_LEN];
			taxid_month_format(l.rows[i].month, mb);
			json_array_append_new(months, json_string(mb));
		}
	if ((c = taxid_pay_close(ctx, &l, c))) {
		json_decref(months);
		return c;
	}
	snprintf(p->state, sizeof p->state, "active");
	p->reason[0] = p->since[0] = 0;
	p->owed_months = 0;
	p->owed_from[0] = 0;
	json_t *d = json_pack("{s:s,s:i,s:i,s:O}", "ended_by", ended_by, "back_pay_months", back, "restored_months", restored,
			      "months", months);
	taxid_json_set_month(d, "payment_from", cur + 1);
	if ((c = taxid_pensioner_event(ctx, p->id, "reappeared", on, cur + 1, "resumed", json_deep_copy(d), op->id)) ||
	    (c = taxid_pensioner_audit(ctx, "survival.event", p->id, op->id,
				 json_pack("{s:s,s:s,s:O}", "event", "reappeared", "state", "active", "owed", d))) ||
	    (c = taxid_survival_certify_apply(ctx, s, "reappeared", on, NULL, op->id, json_pack("{s:s}", "event", "reappeared"), out))) {
		json_decref(d);
		json_decref(months);
		return c;
	}
	json_object_set_new(out, "ended_by", json_string(ended_by));
	json_object_set_new(out, "payment_resumes", json_true());
	taxid_json_set_month(out, "payment_from", cur + 1);
	json_object_set_new(out, "back_pay_months", json_integer(back));
	json_object_set_new(out, "back_paid", months);
	json_object_set_new(out, "restored_months", json_integer(restored));
	json_decref(d);
	return TAXID_OK;
}

/* Whether the event applies to this pensioner, and its date and paid_through (the month the payment system says it
 * paid through, TAXID_MONTH_NONE when not given). */
static enum taxid_code event_check(struct taxid_ctx *ctx, json_t *req, const struct event_rule *r, const struct taxid_subject *s,
				   taxid_day *on, int *paid_through)
{
	enum taxid_code c = TAXID_OK;
	const struct taxid_pensioner *p = &s->p;
	taxid_day born;
	const char *pt = NULL;
	if (r->dependant_only && strcmp(p->kind, "dependant") != 0)
		return not_applicable(ctx, "not_a_dependant");
	if (r->relation && strcmp(p->relation, r->relation) != 0)
		return not_applicable(ctx, "relation");
	if (strcmp(p->state, "terminated") == 0 && !(r->effect == EV_REAPPEAR && ended_by_death(p)))
		return taxid_fail_detail(ctx, TAXID_E_PENSION_ENDED, "doc_no", json_pack("{s:s}", "ended_by", p->reason));
	if (r->effect == EV_REAPPEAR && strcmp(p->state, "terminated") != 0)
		return not_applicable(ctx, "not_dead");
	if (strcmp(r->name, "age_18") == 0 && p->unable_to_work)
		return not_applicable(ctx, "unable_to_work");
	/* The 18th birthday's date defaults to the one the birth date gives. */
	int dflt = strcmp(r->name, "age_18") == 0 && taxid_day_parse(s->birth, &born) == 0;
	c = taxid_survival_req_past_day(ctx, req, "date", !dflt, dflt ? taxid_birthday_at(born, 18) : 0, on);
	if (!c && dflt && *on > taxid_survival_today(ctx))
		c = not_applicable(ctx, "not_yet_18");
	if (!c)
		pt = taxid_req_str(ctx, req, "paid_through", 0, &c);
	if (!c && pt && taxid_month_parse(pt, paid_through))
		c = taxid_fail(ctx, TAXID_E_BAD_VALUE, "paid_through");
	/* A pension is paid at the start of a month: no month after today's can have been paid yet. */
	if (!c && pt && *paid_through > taxid_day_month(taxid_survival_today(ctx)))
		c = taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "paid_through", json_pack("{s:s}", "reason", "in_the_future"));
	return c;
}

/* An event that ends the pension; a death reported late (in working days, by the State Council's calendar, issue
 * 13.7) says so. */
static enum taxid_code event_end(struct taxid_ctx *ctx, const struct event_rule *r, struct taxid_pensioner *p, taxid_day on,
				 int paid_through, const struct taxid_op *op, json_t *out)
{
	enum taxid_code c = taxid_pay_end(ctx, p, r->name, on, paid_through, taxid_day_month(taxid_survival_today(ctx)), op->id,
					  out, 1);
	if (c || (strcmp(r->name, "death") != 0 && strcmp(r->name, "declared_dead") != 0))
		return c;
	int unknown[TAXID_HOLIDAY_MAX_UNKNOWN], nunknown;
	int wd = taxid_working_days(on, taxid_survival_today(ctx), unknown, &nunknown);
	int limit = (int)taxid_setting_int(ctx, "survival.death_report_working_days", TAXID_SURVIVAL_DEATH_REPORT_WORKING_DAYS);
	json_object_set_new(out, "reported_after_working_days", json_integer(wd));
	json_object_set_new(out, "late_report", json_boolean(wd > limit));
	if (nunknown) {
		json_t *years = json_array();
		for (int i = 0; i < nunknown; i++)
			json_array_append_new(years, json_integer(unknown[i]));
		json_object_set_new(out, "calendar_unknown_years", years);
	}
	return TAXID_OK;
}

/* Imprisonment: no pension from the month after: what was paid after it is overpaid; months withheld after it (for a
 * lapse) are not owed any more, those before stay owed. */
static enum taxid_code event_prison(struct taxid_ctx *ctx, const struct event_rule *r, struct taxid_pensioner *p, taxid_day on,
				    int paid_through, const struct taxid_op *op, json_t *out)
{
	enum taxid_code c;
	int m = taxid_day_month(on), was_active = strcmp(p->state, "active") == 0, over = 0;
	if (strcmp(p->reason, "imprisonment") == 0)
		return not_applicable(ctx, "already_imprisoned");
	if (strcmp(p->state, "pending") != 0) {
		struct taxid_ledger l;
		if ((c = taxid_pay_open(ctx, p, taxid_day_month(taxid_survival_today(ctx)), &l)))
			return c;
		over = taxid_pay_overpay(ctx, p, &l, m, paid_through, "imprisonment");
		if (over >= 0)
			taxid_ledger_convert(&l, m + 1, INT_MAX, TAXID_PAY_WITHHELD, taxid_pay_owed_reasons, TAXID_PAY_WITHHELD,
					     "imprisonment");
		if ((c = taxid_pay_close(ctx, &l, over < 0 ? TAXID_E_INTERNAL : TAXID_OK)))
			return c;
		json_object_set_new(out, "overpaid_months", json_integer(over));
	}
	if (was_active) {
		snprintf(p->state, sizeof p->state, "suspended");
		taxid_month_format(m + 1, p->since);
	}
	if (strcmp(p->state, "pending") != 0)
		snprintf(p->reason, sizeof p->reason, "imprisonment");
	c = taxid_pensioner_event(ctx, p->id, r->name, on, m + 1, was_active ? "suspended" : NULL,
				  json_pack("{s:i}", "overpaid_months", over), op->id);
	json_object_set_new(out, "state", json_string(p->state));
	if (strcmp(p->state, "suspended") == 0)
		json_object_set_new(out, "suspended_from", json_string(p->since));
	json_object_set_new(out, "back_pay", json_false());
	return c;
}

/* Missing: payment stops from the first month not yet paid (the month after the event at the earliest). */
static enum taxid_code event_missing(struct taxid_ctx *ctx, const struct event_rule *r, struct taxid_pensioner *p, taxid_day on,
				     const struct taxid_op *op, json_t *out)
{
	enum taxid_code c;
	int m = taxid_day_month(on), was_active = strcmp(p->state, "active") == 0;
	if (was_active) {
		struct taxid_ledger l;
		if ((c = taxid_pay_open(ctx, p, taxid_day_month(taxid_survival_today(ctx)), &l)))
			return c;
		int lp = taxid_pay_last_paid(ctx, p, &l), since = lp != TAXID_MONTH_NONE && lp >= m + 1 ? lp + 1 : m + 1;
		if ((c = taxid_pay_close(ctx, &l, TAXID_OK)))
			return c;
		snprintf(p->state, sizeof p->state, "suspended");
		taxid_month_format(since, p->since);
	} else if (strcmp(p->reason, "imprisonment") == 0) {
		return not_applicable(ctx, "imprisoned");
	}
	if (strcmp(p->state, "suspended") == 0)
		snprintf(p->reason, sizeof p->reason, "missing");
	c = taxid_pensioner_event(ctx, p->id, r->name, on, was_active ? taxid_month_or_none(p->since) : m + 1,
				  was_active ? "suspended" : NULL, NULL, op->id);
	json_object_set_new(out, "state", json_string(p->state));
	taxid_json_set_str(out, "suspended_from", p->since);
	return c;
}

/* Release: from the month after it the pension is due again: months paid after it are not overpaid; with a
 * certification still valid, the months withheld after it and those withheld for a lapse before the imprisonment are
 * back paid, and payment resumes from the month after today's; otherwise the pensioner is suspended for the lapse
 * from the first month not yet paid. */
static enum taxid_code event_release(struct taxid_ctx *ctx, const struct event_rule *r, struct taxid_pensioner *p, taxid_day on,
				     const struct taxid_op *op, json_t *out)
{
	static const char *const prison[] = {"imprisonment", NULL};
	enum taxid_code c;
	int m = taxid_day_month(on), cur = taxid_day_month(taxid_survival_today(ctx)), back = 0;
	if (strcmp(p->reason, "imprisonment") != 0)
		return not_applicable(ctx, "not_imprisoned");
	taxid_day lapse;
	int valid = taxid_day_parse(p->lapse_on, &lapse) == 0 && on < lapse;
	struct taxid_ledger l;
	if ((c = taxid_pay_open(ctx, p, cur, &l)))
		return c;
	taxid_ledger_convert(&l, m + 1, INT_MAX, TAXID_PAY_OVERPAID, prison, TAXID_PAY_PAID, "released");
	if (valid) {
		back = taxid_ledger_convert(&l, m + 1, cur, TAXID_PAY_WITHHELD, prison, TAXID_PAY_BACK_PAID, "release") +
		       taxid_ledger_convert(&l, INT_MIN, cur, TAXID_PAY_WITHHELD, taxid_pay_owed_reasons, TAXID_PAY_BACK_PAID, "release");
		snprintf(p->state, sizeof p->state, "active");
		p->reason[0] = p->since[0] = 0;
		p->owed_months = 0;
		if (!(c = taxid_pay_close(ctx, &l, TAXID_OK)))
			c = taxid_pensioner_event(ctx, p->id, r->name, on, cur + 1, "resumed",
						  json_pack("{s:i}", "back_pay_months", back), op->id);
		json_object_set_new(out, "payment_resumes", json_true());
		taxid_json_set_month(out, "payment_from", cur + 1);
		json_object_set_new(out, "back_pay_months", json_integer(back));
	} else {
		/* The certification ran out meanwhile: suspended for the lapse. */
		taxid_ledger_convert(&l, m + 1, INT_MAX, TAXID_PAY_WITHHELD, prison, TAXID_PAY_WITHHELD, "lapse");
		int lp = taxid_pay_last_paid(ctx, p, &l), since = lp != TAXID_MONTH_NONE && lp >= m + 1 ? lp + 1 : m + 1;
		snprintf(p->reason, sizeof p->reason, "lapse");
		taxid_month_format(since, p->since);
		if (!(c = taxid_pay_close(ctx, &l, TAXID_OK)))
			c = taxid_pensioner_event(ctx, p->id, r->name, on, since, NULL, json_pack("{s:s}", "still_suspended", "lapse"),
						  op->id);
		json_object_set_new(out, "payment_resumes", json_false());
		json_object_set_new(out, "suspended_for", json_string("lapse"));
		json_object_set_new(out, "suspended_from", json_string(p->since));
	}
	json_object_set_new(out, "state", json_string(p->state));
	return c;
}

/* The event's rule applied; the effects other than an end and a reappearance save and audit here. */
static enum taxid_code event_apply(struct taxid_ctx *ctx, const struct event_rule *r, struct taxid_subject *s, taxid_day on,
				   int paid_through, const struct taxid_op *op, json_t *out)
{
	struct taxid_pensioner *p = &s->p;
	enum taxid_code c = TAXID_OK;
	switch (r->effect) {
	case EV_END:
		return event_end(ctx, r, p, on, paid_through, op, out);
	case EV_REAPPEAR:
		return event_reappeared(ctx, s, on, op, out);
	case EV_PRISON:
		c = event_prison(ctx, r, p, on, paid_through, op, out);
		break;
	case EV_MISSING:
		c = event_missing(ctx, r, p, on, op, out);
		break;
	case EV_RELEASE:
		c = event_release(ctx, r, p, on, op, out);
		break;
	}
	if (!c)
		c = taxid_pensioner_save(ctx, p);
	if (!c)
		c = taxid_pensioner_audit(ctx, "survival.event", p->id, op->id,
					  json_pack("{s:s,s:s,s:s}", "event", r->name, "state", p->state, "reason", p->reason));
	return c;
}

enum taxid_code taxid_survival_event(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	struct taxid_op op;
	struct taxid_subject s;
	if ((c = taxid_policies_load(ctx)) || (c = taxid_survival_operator_need(ctx, req, NULL, &op)))
		return c;
	const char *ename = taxid_req_str(ctx, req, "event", 1, &c);
	if (c)
		return c;
	const struct event_rule *r = event_rules;
	while (r->name && strcmp(r->name, ename) != 0 && !(r->alias && strcmp(r->alias, ename) == 0))
		r++;
	if (!r->name)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "event");
	if (r->effect == EV_REAPPEAR && (c = taxid_survival_operator_get(ctx, req, "officer", &op)))
		return c;
	json_object_set_new(out, "event", json_string(r->name));
	taxid_day on = 0;
	int paid_through = TAXID_MONTH_NONE;
	if (!(c = taxid_subject_load(ctx, req, out, 0, TAXID_E_NOT_FOUND, &s)) &&
	    !(c = event_check(ctx, req, r, &s, &on, &paid_through))) {
		taxid_json_set_day(out, "date", on);
		c = event_apply(ctx, r, &s, on, paid_through, &op, out);
	}
	taxid_subject_clear(&s);
	return c;
}

/* ==== recovery of overpaid months (issue 13) ==== */

static const char *const recover_ways[] = {"repayment", "offset", NULL};

/* Record that overpaid months were recovered, the oldest first: repaid, or offset against funeral or survivor
 * payments. */
enum taxid_code taxid_survival_recover(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	struct taxid_op op;
	struct taxid_subject s;
	const char *via;
	if ((c = taxid_policies_load(ctx)) || (c = taxid_survival_operator_get(ctx, req, "officer", &op)) ||
	    (c = taxid_survival_req_word(ctx, req, "via", recover_ways, "repayment", &via)))
		return c;
	json_t *jm = json_object_get(req, "months");
	long long want = taxid_req_int(ctx, req, "months", 0, &c);
	if (c)
		return c;
	if (jm && want < 1)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "months");
	if ((c = taxid_subject_load(ctx, req, out, 0, TAXID_E_NOT_FOUND, &s))) {
		taxid_subject_clear(&s);
		return c;
	}
	struct taxid_ledger l;
	if ((c = taxid_pay_open(ctx, &s.p, taxid_day_month(taxid_survival_today(ctx)), &l))) {
		taxid_subject_clear(&s);
		return c;
	}
	int have = taxid_ledger_count(&l, INT_MIN, INT_MAX, TAXID_PAY_OVERPAID, NULL);
	if (!have)
		c = taxid_fail_detail(ctx, TAXID_E_NOT_FOUND, "doc_no", json_pack("{s:s}", "reason", "nothing_overpaid"));
	else if (want > have)
		c = taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "months", json_pack("{s:i}", "overpaid_months", have));
	json_t *months = json_array();
	int n = 0;
	for (size_t i = 0; !c && i < l.n && (!want || n < want); i++) {
		if (l.rows[i].state != TAXID_PAY_OVERPAID)
			continue;
		char mb[TAXID_MONTH_LEN];
		taxid_month_format(l.rows[i].month, mb);
		json_array_append_new(months, json_string(mb));
		taxid_ledger_set(&l, l.rows[i].month, TAXID_PAY_RECOVERED, via);
		n++;
	}
	if (!(c = taxid_pay_close(ctx, &l, c))) {
		json_t *d = json_pack("{s:s,s:i,s:O,s:i}", "via", via, "recovered", n, "months", months, "overpaid_left", have - n);
		if (!(c = taxid_pensioner_event(ctx, s.p.id, "recovered", taxid_survival_today(ctx), TAXID_MONTH_NONE, NULL, json_deep_copy(d), op.id)))
			c = taxid_pensioner_audit(ctx, "survival.recover", s.p.id, op.id, json_incref(d));
		json_object_update(out, d);
		json_decref(d);
	}
	json_decref(months);
	taxid_subject_clear(&s);
	return c;
}

/* ==== duplicates, card, photo ==== */

enum taxid_code taxid_survival_duplicate_flag(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	struct taxid_op op;
	struct taxid_subject s;
	if ((c = taxid_survival_operator_need(ctx, req, NULL, &op)))
		return c;
	if ((c = taxid_subject_load(ctx, req, out, 0, TAXID_E_NOT_FOUND, &s)))
		goto out;
	json_t *other = json_object_get(req, "other");
	if (!json_is_object(other)) {
		c = taxid_fail(ctx, other ? TAXID_E_BAD_TYPE : TAXID_E_MISSING_FIELD, "other");
		goto out;
	}
	const char *itype = taxid_req_str(ctx, other, "insurance_type", 1, &c);
	const char *region = c ? NULL : taxid_req_str(ctx, other, "region", 1, &c);
	const char *bstart = c ? NULL : taxid_req_str(ctx, other, "benefit_start", 0, &c);
	const struct taxid_insurance *ins = c ? NULL : taxid_insurance_find(itype);
	int bs;
	if (!c && (!ins || !taxid_survival_region_ok(region) || (bstart && taxid_month_parse(bstart, &bs))))
		c = taxid_fail(ctx, TAXID_E_BAD_VALUE, "other");
	if (c) {
		ctx->err_field = "other";
		goto out;
	}
	json_t *o = json_pack("{s:s,s:s}", "insurance_type", ins->code, "region", region);
	if (bstart)
		json_object_set_new(o, "benefit_start", json_string(bstart));
	free(s.p.duplicate);
	s.p.duplicate = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!(c = taxid_pensioner_save(ctx, &s.p)) &&
	    !(c = taxid_pensioner_event(ctx, s.p.id, "duplicate_flag", taxid_survival_today(ctx), TAXID_MONTH_NONE, NULL, json_deep_copy(o), op.id)))
		c = taxid_pensioner_audit(ctx, "survival.duplicate", s.p.id, op.id, json_pack("{s:s,s:O}", "flag", "set", "other", o));
	json_object_set_new(out, "duplicate", o);
out:
	taxid_subject_clear(&s);
	return c;
}

enum taxid_code taxid_survival_duplicate_clear(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	struct taxid_op op;
	struct taxid_subject s;
	if ((c = taxid_policies_load(ctx)) || (c = taxid_survival_operator_need(ctx, req, NULL, &op)))
		return c;
	if ((c = taxid_subject_load(ctx, req, out, 0, TAXID_E_NOT_FOUND, &s)))
		goto out;
	if (!s.p.duplicate) {
		c = taxid_fail(ctx, TAXID_E_NO_DUPLICATE, "doc_no");
		goto out;
	}
	json_t *o = json_loads(s.p.duplicate, 0, NULL);
	const struct taxid_insurance *mine = taxid_insurance_find(s.p.insurance);
	const struct taxid_insurance *theirs = taxid_insurance_find(json_string_value(json_object_get(o, "insurance_type")));
	int my_start = taxid_month_or_none(s.p.benefit_start), their_start = taxid_month_or_none(json_string_value(json_object_get(o, "benefit_start")));
	int keep_this;
	const char *rule;
	if (mine && theirs && strcmp(mine->cls, theirs->cls) != 0) {
		keep_this = strcmp(mine->cls, "employee") == 0;
		rule = "employee_over_resident";
	} else {
		/* Two of the same class (two resident pensions, or two employee ones): the first is kept. */
		keep_this = their_start == TAXID_MONTH_NONE || my_start <= their_start;
		rule = "first_region";
	}
	int cur = taxid_day_month(taxid_survival_today(ctx));
	int overlap = taxid_months_incl(my_start > their_start ? my_start : their_start, cur);
	free(s.p.duplicate);
	s.p.duplicate = NULL;
	json_object_set_new(out, "kept", json_string(keep_this ? "this" : "other"));
	json_object_set_new(out, "rule", json_string(rule));
	json_object_set_new(out, "other", json_incref(o));
	json_object_set_new(out, "overlap_months", json_integer(their_start == TAXID_MONTH_NONE ? 0 : overlap));
	json_t *d = json_pack("{s:s,s:s,s:O}", "kept", keep_this ? "this" : "other", "rule", rule, "other", o);
	json_decref(o);
	if (!(c = taxid_pensioner_save(ctx, &s.p)) &&
	    !(c = taxid_pensioner_event(ctx, s.p.id, "duplicate_clear", taxid_survival_today(ctx), TAXID_MONTH_NONE, NULL, json_deep_copy(d), op.id)) &&
	    !(c = taxid_pensioner_audit(ctx, "survival.duplicate", s.p.id, op.id, json_incref(d))) && !keep_this &&
	    strcmp(s.p.state, "terminated") != 0) {
		/* This pension goes: ended after the current month; the months drawn twice are to recover. */
		c = taxid_pay_end(ctx, &s.p, "duplicate", taxid_survival_today(ctx), TAXID_MONTH_NONE, cur, op.id, out, 1);
		if (!c && their_start != TAXID_MONTH_NONE)
			json_object_set_new(out, "recover", json_pack("{s:i,s:s}", "months", overlap, "reason", "drawn_twice"));
	}
	json_decref(d);
out:
	taxid_subject_clear(&s);
	return c;
}

static const char *const card_states[] = {"normal", "lost", "frozen", NULL};

enum taxid_code taxid_survival_card(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	struct taxid_op op;
	struct taxid_subject s;
	const char *state;
	if ((c = taxid_survival_operator_need(ctx, req, NULL, &op)) || (c = taxid_survival_req_word(ctx, req, "state", card_states, NULL, &state)))
		return c;
	if (!(c = taxid_subject_load(ctx, req, out, 0, TAXID_E_NOT_FOUND, &s))) {
		json_t *d = json_pack("{s:s,s:s}", "from", s.p.card, "to", state);
		snprintf(s.p.card, sizeof s.p.card, "%s", state);
		if (!(c = taxid_pensioner_save(ctx, &s.p)) &&
		    !(c = taxid_pensioner_event(ctx, s.p.id, "card", taxid_survival_today(ctx), TAXID_MONTH_NONE, NULL, json_deep_copy(d), op.id)))
			c = taxid_pensioner_audit(ctx, "survival.card", s.p.id, op.id, json_incref(d));
		json_decref(d);
		json_object_set_new(out, "card", json_string(state));
	}
	taxid_subject_clear(&s);
	return c;
}

enum taxid_code taxid_survival_photo(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	struct taxid_op op;
	struct taxid_subject s;
	if ((c = taxid_survival_operator_need(ctx, req, NULL, &op)))
		return c;
	int present = taxid_req_bool(ctx, req, "present", 1, &c);
	const char *source = c ? NULL : taxid_req_str(ctx, req, "source", 0, &c);
	if (c)
		return c;
	if (!(c = taxid_subject_load(ctx, req, out, 0, TAXID_E_NOT_FOUND, &s))) {
		char at[TAXID_TIME_LEN];
		taxid_time_format(ctx->now, at);
		struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_PERSON_PHOTO);
		taxid_q_int(q, 1, s.person.id);
		if (present)
			taxid_q_text(q, 2, source ? source : "on_file");
		taxid_q_text(q, 3, at);
		c = taxid_q_exec(q);
		json_t *d = json_pack("{s:b,s:s?}", "present", present, "source", source);
		if (!c && !(c = taxid_pensioner_event(ctx, s.p.id, "photo", taxid_survival_today(ctx), TAXID_MONTH_NONE, NULL, json_deep_copy(d), op.id)))
			c = taxid_pensioner_audit(ctx, "survival.photo", s.p.id, op.id, json_incref(d));
		json_decref(d);
		json_object_set_new(out, "photo", json_boolean(present));
	}
	taxid_subject_clear(&s);
	return c;
}
