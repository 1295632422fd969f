/* The payment ledger of a pension: one row per month and its payment state (issue 13). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ledger.h"

static const char *const state_names[] = {"paid", "withheld", "back_paid", "overpaid", "recovered"};

const char *taxid_ledger_state_name(enum taxid_pay s)
{
	return s >= TAXID_PAY_PAID && s <= TAXID_PAY_RECOVERED ? state_names[s] : "none";
}

int taxid_ledger_was_paid(enum taxid_pay s)
{
	return s == TAXID_PAY_PAID || s == TAXID_PAY_BACK_PAID || s == TAXID_PAY_OVERPAID || s == TAXID_PAY_RECOVERED;
}

static enum taxid_pay state_parse(const char *s)
{
	for (int i = 0; s && i <= TAXID_PAY_RECOVERED; i++)
		if (strcmp(state_names[i], s) == 0)
			return (enum taxid_pay)i;
	return TAXID_PAY_NONE;
}

void taxid_ledger_month_format(int month, char out[12])
{
	snprintf(out, 12, "%04d-%02d", (month / 12) % 10000, month % 12 + 1);
}

static int month_parse(const char *s)
{
	if (!s || strlen(s) != 7 || s[4] != '-')
		return TAXID_MONTH_NONE;
	int y = atoi(s), m = atoi(s + 5);
	return y < 1 || m < 1 || m > 12 ? TAXID_MONTH_NONE : y * 12 + m - 1;
}

/* The row of a month, or where it would go. */
static size_t row_index(const struct taxid_ledger *l, int month)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->rows[mid].month < month)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct taxid_ledger_row *taxid_ledger_find(struct taxid_ledger *l, int month)
{
	size_t i = row_index(l, month);
	return i < l->n && l->rows[i].month == month ? &l->rows[i] : NULL;
}

static void row_fill(struct taxid_ledger_row *r, enum taxid_pay state, const char *reason)
{
	r->state = state;
	snprintf(r->reason, sizeof r->reason, "%s", reason ? reason : "");
	r->dirty = 1;
}

int taxid_ledger_set(struct taxid_ledger *l, int month, enum taxid_pay state, const char *reason)
{
	size_t i = row_index(l, month);
	if (i < l->n && l->rows[i].month == month) {
		if (l->rows[i].state != state || strcmp(l->rows[i].reason, reason ? reason : "") != 0)
			row_fill(&l->rows[i], state, reason);
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct taxid_ledger_row *nr = realloc(l->rows, cap * sizeof *nr);
		if (!nr)
			return -1;
		l->rows = nr;
		l->cap = cap;
	}
	memmove(&l->rows[i + 1], &l->rows[i], (l->n - i) * sizeof *l->rows);
	l->n++;
	l->rows[i].month = month;
	row_fill(&l->rows[i], state, reason);
	return 0;
}

int taxid_ledger_last(const struct taxid_ledger *l)
{
	return l->n ? l->rows[l->n - 1].month : TAXID_MONTH_NONE;
}

int taxid_ledger_last_paid(const struct taxid_ledger *l)
{
	for (size_t i = l->n; i > 0; i--)
		if (taxid_ledger_was_paid(l->rows[i - 1].state))
			return l->rows[i - 1].month;
	return TAXID_MONTH_NONE;
}

int taxid_ledger_extend(struct taxid_ledger *l, int origin, int through, int split, enum taxid_pay after_state,
			const char *after_reason)
{
	int from = l->n ? taxid_ledger_last(l) + 1 : origin;
	if (from == TAXID_MONTH_NONE)
		return 0;
	for (int m = from; m <= through; m++) {
		if (m >= split && after_state == TAXID_PAY_NONE)
			break;
		if (taxid_ledger_set(l, m, m < split ? TAXID_PAY_PAID : after_state, m < split ? NULL : after_reason))
			return -1;
	}
	return 0;
}

static int reason_in(const char *reason, const char *const *reasons)
{
	if (!reasons)
		return 1;
	for (; *reasons; reasons++)
		if (strcmp(*reasons, reason) == 0)
			return 1;
	return 0;
}

int taxid_ledger_count(const struct taxid_ledger *l, int from, int through, enum taxid_pay state,
		       const char *const *reasons)
{
	int n = 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct taxid_ledger_row *r = &l->rows[i];
		n += r->month >= from && r->month <= through && r->state == state && reason_in(r->reason, reasons);
	}
	return n;
}

int taxid_ledger_convert(struct taxid_ledger *l, int from, int through, enum taxid_pay state, const char *const *reasons,
			 enum taxid_pay to, const char *to_reason)
{
	int n = 0;
	for (size_t i = 0; i < l->n; i++) {
		struct taxid_ledger_row *r = &l->rows[i];
		if (r->month >= from && r->month <= through && r->state == state && reason_in(r->reason, reasons)) {
			row_fill(r, to, to_reason);
			n++;
		}
	}
	return n;
}

void taxid_ledger_span(const struct taxid_ledger *l, int from, int through, enum taxid_pay s, int *first, int *last)
{
	*first = *last = TAXID_MONTH_NONE;
	for (size_t i = 0; i < l->n; i++) {
		const struct taxid_ledger_row *r = &l->rows[i];
		if (r->month < from || r->month > through || r->state != s)
			continue;
		if (*first == TAXID_MONTH_NONE)
			*first = r->month;
		*last = r->month;
	}
}

enum taxid_code taxid_ledger_load(struct taxid_ctx *ctx, long long pensioner, struct taxid_ledger *l)
{
	memset(l, 0, sizeof *l);
	l->pensioner = pensioner;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_LEDGER_ALL);
	taxid_q_int(q, 1, pensioner);
	enum taxid_code c = TAXID_OK;
	while (taxid_q_step(q)) {
		int m = month_parse(taxid_q_col_text(q, 0));
		enum taxid_pay s = state_parse(taxid_q_col_text(q, 1));
		if (m == TAXID_MONTH_NONE || s == TAXID_PAY_NONE)
			continue; /* the CHECK constraint keeps these out */
		if (taxid_ledger_set(l, m, s, taxid_q_col_text(q, 2))) {
			c = TAXID_E_INTERNAL;
			break;
		}
	}
	enum taxid_code e = taxid_q_end(q);
	if (!c)
		c = e;
	for (size_t i = 0; i < l->n; i++)
		l->rows[i].dirty = 0;
	if (c)
		taxid_ledger_free(l);
	return c;
}

enum taxid_code taxid_ledger_save(struct taxid_ctx *ctx, struct taxid_ledger *l, const char *at)
{
	for (size_t i = 0; i < l->n; i++) {
		struct taxid_ledger_row *r = &l->rows[i];
		if (!r->dirty)
			continue;
		char mb[12];
		taxid_ledger_month_format(r->month, mb);
		struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_LEDGER_PUT);
		taxid_q_int(q, 1, l->pensioner);
		taxid_q_text(q, 2, mb);
		taxid_q_text(q, 3, state_names[r->state]);
		taxid_q_text(q, 4, r->reason[0] ? r->reason : NULL);
		taxid_q_text(q, 5, at);
		enum taxid_code c = taxid_q_exec(q);
		if (c)
			return c;
		r->dirty = 0;
	}
	return TAXID_OK;
}

void taxid_ledger_free(struct taxid_ledger *l)
{
	free(l->rows);
	l->rows = NULL;
	l->n = l->cap = 0;
}

json_t *taxid_ledger_json(const struct taxid_ledger *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++) {
		const struct taxid_ledger_row *r = &l->rows[i];
		char mb[12];
		taxid_ledger_month_format(r->month, mb);
		json_t *o = json_pack("{s:s,s:s}", "month", mb, "state", state_names[r->state]);
		if (r->reason[0])
			json_object_set_new(o, "reason", json_string(r->reason));
		if (r->dirty)
			json_object_set_new(o, "recorded", json_false());
		json_array_append_new(a, o);
	}
	return a;
}
