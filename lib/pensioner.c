/* The pensioner store: a pensioner row in and out, its window, its events and audit rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "pensioner.h"
#include "record.h"
#include "survival_policy.h"

void taxid_bind_opt(struct taxid_q *q, int i, const char *s)
{
	taxid_q_text(q, i, s && *s ? s : NULL);
}

void taxid_col_copy(struct taxid_q *q, int j, char *buf, size_t n)
{
	const char *t = taxid_q_col_text(q, j);
	size_t len = t ? taxid_q_col_bytes(q, j) : 0;
	if (len >= n)
		len = n - 1;
	if (len)
		memcpy(buf, t, len);
	buf[len] = 0;
}

const char *taxid_survival_now(const struct taxid_ctx *ctx)
{
	static int64_t at = INT64_MIN;
	static char buf[TAXID_TIME_LEN];
	if (at != ctx->now) {
		taxid_time_format(ctx->now, buf);
		at = ctx->now;
	}
	return buf;
}

void taxid_pensioner_read(struct taxid_q *q, struct taxid_pensioner *p)
{
	memset(p, 0, sizeof *p);
	p->id = taxid_q_col_int(q, 0);
	p->person_id = taxid_q_col_int(q, 1);
	p->doc_id = taxid_q_col_int(q, 2);
	taxid_col_copy(q, 3, p->kind, sizeof p->kind);
	taxid_col_copy(q, 4, p->relation, sizeof p->relation);
	p->insured_id = taxid_q_col_int(q, 5);
	taxid_col_copy(q, 6, p->region, sizeof p->region);
	taxid_col_copy(q, 7, p->insurance, sizeof p->insurance);
	taxid_col_copy(q, 8, p->benefit_start, sizeof p->benefit_start);
	p->unable_to_work = (int)taxid_q_col_int(q, 9);
	p->early = (int)taxid_q_col_int(q, 10);
	taxid_col_copy(q, 11, p->state, sizeof p->state);
	taxid_col_copy(q, 12, p->reason, sizeof p->reason);
	taxid_col_copy(q, 13, p->since, sizeof p->since);
	p->owed_months = (int)taxid_q_col_int(q, 14);
	taxid_col_copy(q, 15, p->owed_from, sizeof p->owed_from);
	taxid_col_copy(q, 16, p->anchor, sizeof p->anchor);
	taxid_col_copy(q, 17, p->last_certified, sizeof p->last_certified);
	taxid_col_copy(q, 18, p->valid_until, sizeof p->valid_until);
	taxid_col_copy(q, 19, p->lapse_on, sizeof p->lapse_on);
	taxid_col_copy(q, 20, p->ends_on, sizeof p->ends_on);
	p->face_failures = (int)taxid_q_col_int(q, 21);
	taxid_col_copy(q, 22, p->card, sizeof p->card);
	if (!taxid_q_is_null(q, 23))
		p->duplicate = strdup(taxid_q_col_text(q, 23));
	taxid_col_copy(q, 24, p->enrolled_at, sizeof p->enrolled_at);
}

void taxid_pensioner_clear(struct taxid_pensioner *p)
{
	free(p->duplicate);
	p->duplicate = NULL;
}

enum taxid_code taxid_pensioner_load(struct taxid_ctx *ctx, enum taxid_stmt id, long long key, struct taxid_pensioner *p)
{
	struct taxid_q *q = taxid_q(ctx, id);
	taxid_q_int(q, 1, key);
	int row = taxid_q_step(q);
	if (row)
		taxid_pensioner_read(q, p);
	enum taxid_code c = taxid_q_end(q);
	if (c && row)
		taxid_pensioner_clear(p);
	return c ? c : row ? TAXID_OK : TAXID_E_NOT_FOUND;
}

enum taxid_code taxid_pensioner_save(struct taxid_ctx *ctx, const struct taxid_pensioner *p)
{
	const char *at = taxid_survival_now(ctx);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_PENSIONER_SAVE);
	taxid_q_int(q, 1, p->id);
	taxid_q_text(q, 2, p->state);
	taxid_bind_opt(q, 3, p->reason);
	taxid_bind_opt(q, 4, p->since);
	taxid_q_int(q, 5, p->owed_months);
	taxid_bind_opt(q, 6, p->owed_from);
	taxid_q_text(q, 7, p->anchor);
	taxid_bind_opt(q, 8, p->last_certified);
	taxid_bind_opt(q, 9, p->valid_until);
	taxid_bind_opt(q, 10, p->lapse_on);
	taxid_bind_opt(q, 11, p->ends_on);
	taxid_q_int(q, 12, p->face_failures);
	taxid_q_text(q, 13, p->card);
	taxid_bind_opt(q, 14, p->duplicate);
	taxid_q_text(q, 15, at);
	return taxid_q_exec(q);
}

void taxid_pensioner_window(struct taxid_pensioner *p, const struct taxid_policy *pol, taxid_day c, int birth_month)
{
	taxid_day until = taxid_policy_until(pol, c, birth_month);
	taxid_day_format(until, p->valid_until);
	taxid_day_format(until + pol->grace + 1, p->lapse_on);
}

/* An event row; det is its detail as JSON text (or NULL). */
static enum taxid_code event_text(struct taxid_ctx *ctx, long long pid, const char *kind, taxid_day on, int month,
				  const char *payment, const char *det, const char *actor)
{
	char d[TAXID_DATE_LEN], m[TAXID_MONTH_LEN];
	taxid_day_format(on, d);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_EVENT_INSERT);
	taxid_q_int(q, 1, pid);
	taxid_q_text(q, 2, kind);
	taxid_q_text(q, 3, d);
	if (month != TAXID_MONTH_NONE) {
		taxid_month_format(month, m);
		taxid_q_text(q, 4, m);
	}
	taxid_bind_opt(q, 5, payment);
	taxid_bind_opt(q, 6, det);
	taxid_bind_opt(q, 7, actor);
	taxid_q_text(q, 8, taxid_survival_now(ctx));
	return taxid_q_exec(q);
}

/* An event row with a JSON detail (stolen, may be NULL). */
enum taxid_code taxid_pensioner_event(struct taxid_ctx *ctx, long long pid, const char *kind, taxid_day on, int month,
				      const char *payment, json_t *detail, const char *actor)
{
	char *det = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(detail);
	if (detail && !det)
		return TAXID_E_INTERNAL;
	enum taxid_code c = event_text(ctx, pid, kind, on, month, payment, det, actor);
	free(det);
	return c;
}

/* Audit a change to a pensioner (subject "pensioner:ID", never personal data); detail is stolen. */
enum taxid_code taxid_pensioner_audit(struct taxid_ctx *ctx, const char *action, long long pid, const char *actor,
				      json_t *detail)
{
	char subject[40];
	snprintf(subject, sizeof subject, "pensioner:%lld", pid);
	enum taxid_code c = taxid_audit(ctx, action, subject, actor, detail);
	json_decref(detail);
	return c;
}
