/* The payment rules over the ledger (issue 13): which months were paid, withheld, back paid, overpaid, recovered. */
#include <stdio.h>
#include <string.h>

#include "record.h"
#include "survival_pay.h"
#include "survival_request.h"

/* The first month this system pays: the enrolment month (the months before it were paid by the previous system),
 * or the benefit start when that is later; for a new retiree awaiting approval, the benefit start (arrears are owed
 * from it). */
static int ledger_origin(const struct taxid_ctx *ctx, const struct taxid_pensioner *p)
{
	int bs = taxid_month_or_none(p->benefit_start), em = TAXID_MONTH_NONE;
	int64_t t;
	if (strcmp(p->state, "pending") == 0)
		return bs;
	if (p->enrolled_at[0] && taxid_time_parse(p->enrolled_at, &t) == 0) {
		int ymd = taxid_local_ymd(t, ctx->tz_offset);
		em = ymd / 10000 * 12 + ymd / 100 % 100 - 1;
	}
	return em == TAXID_MONTH_NONE ? bs : bs != TAXID_MONTH_NONE && bs > em ? bs : em;
}

/* Bring the ledger up to month `through` under the pensioner's present state: in payment, paid; suspended, paid
 * before the suspension and withheld (for its reason) from it; ended, paid before the end and nothing after;
 * awaiting approval, withheld from the benefit start. */
static int ledger_bring(const struct taxid_ctx *ctx, const struct taxid_pensioner *p, struct taxid_ledger *l, int through)
{
	int origin = ledger_origin(ctx, p), since = taxid_month_or_none(p->since);
	if (since == TAXID_MONTH_NONE)
		since = origin;
	if (strcmp(p->state, "active") == 0)
		return taxid_ledger_extend(l, origin, through, INT_MAX, TAXID_PAY_NONE, NULL);
	if (strcmp(p->state, "pending") == 0)
		return taxid_ledger_extend(l, origin, through, origin, TAXID_PAY_WITHHELD, "approval");
	if (strcmp(p->state, "suspended") == 0)
		return taxid_ledger_extend(l, origin, through, since, TAXID_PAY_WITHHELD, p->reason);
	return taxid_ledger_extend(l, origin, through, since, TAXID_PAY_NONE, NULL);
}

/* Load a pensioner's ledger and bring it up to month `through`. */
enum taxid_code taxid_pay_open(struct taxid_ctx *ctx, const struct taxid_pensioner *p, int through, struct taxid_ledger *l)
{
	enum taxid_code c = taxid_ledger_load(ctx, p->id, l);
	if (!c && ledger_bring(ctx, p, l, through)) {
		taxid_ledger_free(l);
		c = TAXID_E_INTERNAL;
	}
	return c;
}

enum taxid_code taxid_pay_close(struct taxid_ctx *ctx, struct taxid_ledger *l, enum taxid_code c)
{
	if (!c)
		c = taxid_ledger_save(ctx, l, taxid_survival_now(ctx));
	taxid_ledger_free(l);
	return c;
}

/* A month before the ledger's origin, from the benefit start on, was paid by the previous system. */
int taxid_pay_before_origin(const struct taxid_ctx *ctx, const struct taxid_pensioner *p, int k)
{
	int bs = taxid_month_or_none(p->benefit_start), origin = ledger_origin(ctx, p);
	return strcmp(p->state, "pending") != 0 && bs != TAXID_MONTH_NONE && origin != TAXID_MONTH_NONE && k >= bs && k < origin;
}

/* The last month money went out for: the ledger's, else the month before its origin. */
int taxid_pay_last_paid(const struct taxid_ctx *ctx, const struct taxid_pensioner *p, const struct taxid_ledger *l)
{
	int last = taxid_ledger_last_paid(l), origin = ledger_origin(ctx, p);
	if (last == TAXID_MONTH_NONE && origin != TAXID_MONTH_NONE && taxid_pay_before_origin(ctx, p, origin - 1))
		last = origin - 1;
	return last;
}

static int row_paid(const struct taxid_ledger_row *r)
{
	return r->state == TAXID_PAY_PAID || r->state == TAXID_PAY_BACK_PAID;
}

/* After an event in month m that ends the right to the pension (death, imprisonment, ...): every month after m that
 * was paid becomes overpaid (why) — through paid_through when the payment system gives it, else through the last
 * month paid, the months before the ledger's origin included; months after paid_through that the ledger has as
 * paid were not, and are withheld. Returns the overpaid months after m, or -1 when out of memory. */
int taxid_pay_overpay(const struct taxid_ctx *ctx, const struct taxid_pensioner *p, struct taxid_ledger *l, int m,
			  int paid_through, const char *why)
{
	int last = paid_through != TAXID_MONTH_NONE ? paid_through : taxid_pay_last_paid(ctx, p, l), bs = taxid_month_or_none(p->benefit_start);
	int k = bs != TAXID_MONTH_NONE && bs > m + 1 ? bs : m + 1;
	for (; last != TAXID_MONTH_NONE && k <= last; k++) {
		struct taxid_ledger_row *r = taxid_ledger_find(l, k);
		int paid = r ? row_paid(r) || (paid_through != TAXID_MONTH_NONE && r->state == TAXID_PAY_WITHHELD)
			     : paid_through != TAXID_MONTH_NONE || taxid_pay_before_origin(ctx, p, k);
		if (paid && taxid_ledger_set(l, k, TAXID_PAY_OVERPAID, why))
			return -1;
	}
	for (size_t i = 0; paid_through != TAXID_MONTH_NONE && i < l->n; i++)
		if (l->rows[i].month > paid_through && row_paid(&l->rows[i]) &&
		    taxid_ledger_set(l, l->rows[i].month, TAXID_PAY_WITHHELD, why))
			return -1;
	return taxid_ledger_count(l, m + 1, INT_MAX, TAXID_PAY_OVERPAID, NULL);
}

/* The last month actually paid up to month m (the ledger's, or one the previous system paid), or TAXID_MONTH_NONE. */
int taxid_pay_paid_until(const struct taxid_ctx *ctx, const struct taxid_pensioner *p, const struct taxid_ledger *l, int m,
			     int paid_through)
{
	int best = TAXID_MONTH_NONE, origin = ledger_origin(ctx, p);
	for (size_t i = 0; i < l->n && l->rows[i].month <= m; i++)
		if (taxid_ledger_was_paid(l->rows[i].state))
			best = l->rows[i].month;
	int before = origin != TAXID_MONTH_NONE && m >= origin ? origin - 1 : m;
	if (paid_through != TAXID_MONTH_NONE && before > paid_through)
		before = paid_through;
	if (best == TAXID_MONTH_NONE && before != TAXID_MONTH_NONE && taxid_pay_before_origin(ctx, p, before))
		best = before;
	return best;
}

const char *const taxid_pay_owed_reasons[] = {"lapse", "missing", NULL};

/* End a pension after the month of the event: terminated from the next month; what was paid after is overpaid
 * (recorded in the ledger, up to month cur: today's, or the run's). */
enum taxid_code taxid_pay_end(struct taxid_ctx *ctx, struct taxid_pensioner *p, const char *why, taxid_day on, int paid_through,
				   int cur, const char *actor, json_t *out, int audit)
{
	int m = taxid_day_month(on), first, lastover;
	struct taxid_ledger l;
	enum taxid_code c = taxid_pay_open(ctx, p, cur, &l);
	if (c)
		return c;
	int last = paid_through != TAXID_MONTH_NONE ? paid_through : taxid_pay_last_paid(ctx, p, &l);
	int over = taxid_pay_overpay(ctx, p, &l, m, paid_through, why);
	if (over < 0) {
		taxid_ledger_free(&l);
		return TAXID_E_INTERNAL;
	}
	/* Months withheld after the event are owed to nobody now: withheld for this reason. */
	for (size_t i = 0; i < l.n; i++)
		if (l.rows[i].month > m && l.rows[i].state == TAXID_PAY_WITHHELD &&
		    taxid_ledger_set(&l, l.rows[i].month, TAXID_PAY_WITHHELD, why)) {
			taxid_ledger_free(&l);
			return TAXID_E_INTERNAL;
		}
	int until = taxid_pay_paid_until(ctx, p, &l, m, paid_through);
	taxid_ledger_span(&l, m + 1, INT_MAX, TAXID_PAY_OVERPAID, &first, &lastover);
	if ((c = taxid_pay_close(ctx, &l, TAXID_OK)))
		return c;
	snprintf(p->state, sizeof p->state, "terminated");
	snprintf(p->reason, sizeof p->reason, "%s", why);
	taxid_month_format(m + 1, p->since);
	p->owed_months = 0;
	p->owed_from[0] = 0;
	c = taxid_pensioner_save(ctx, p);
	json_t *d = json_pack("{s:i}", "overpaid_months", over);
	if (last != TAXID_MONTH_NONE)
		taxid_json_set_month(d, "paid_through", last);
	if (!c)
		c = taxid_pensioner_event(ctx, p->id, why, on, m + 1, "terminated", json_deep_copy(d), actor);
	if (!c && audit)
		c = taxid_pensioner_audit(ctx, "survival.terminate", p->id, actor, json_pack("{s:s,s:O}", "reason", why, "detail", d));
	if (out) {
		json_object_set_new(out, "state", json_string("terminated"));
		taxid_json_set_month(out, "paid_until", until);
		taxid_json_set_month(out, "payment_stops_from", m + 1);
		json_object_set_new(out, "overpaid_months", json_integer(over));
		if (over) {
			json_t *rec = json_object();
			taxid_json_set_month(rec, "from", first);
			taxid_json_set_month(rec, "through", lastover);
			json_object_set_new(rec, "months", json_integer(over));
			json_object_set_new(out, "recover", rec);
		}
	}
	json_decref(d);
	return c;
}
