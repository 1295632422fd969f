/* ledger.c: the payment ledger of a pension (issue 13) — one row per month with its payment state, so that back pay,
 * overpayments and recoveries follow from recorded months rather than from formulas: paid, withheld (and why),
 * back_paid, overpaid (to recover), recovered. The rules that decide the states are taxid-survival(1)'s and live in
 * survival_pay.c; this module stores, walks and prints the months. Months are counted as year * 12 + month - 1. */
#ifndef TAXID_LEDGER_H
#define TAXID_LEDGER_H

#include <stddef.h>
#include <jansson.h>
#include "calendar.h"
#include "errors.h"

struct taxid_ctx;

#define TAXID_LEDGER_REASON 20

enum taxid_pay { TAXID_PAY_NONE = -1, TAXID_PAY_PAID, TAXID_PAY_WITHHELD, TAXID_PAY_BACK_PAID, TAXID_PAY_OVERPAID,
		 TAXID_PAY_RECOVERED };

struct taxid_ledger_row {
	int month;
	enum taxid_pay state;
	char reason[TAXID_LEDGER_REASON];
	int dirty; /* changed (or added) since the load: saved by taxid_ledger_save */
};

struct taxid_ledger {
	long long pensioner;
	struct taxid_ledger_row *rows; /* ascending by month */
	size_t n, cap;
};

/* The state's name ("paid", ...). */
const char *taxid_ledger_state_name(enum taxid_pay s);
/* 1 when money went out for the month (paid, back_paid, overpaid, recovered). */
int taxid_ledger_was_paid(enum taxid_pay s);

/* Read a pensioner's ledger; write back the rows changed since (inside the caller's transaction). */
enum taxid_code taxid_ledger_load(struct taxid_ctx *ctx, long long pensioner, struct taxid_ledger *l);
enum taxid_code taxid_ledger_save(struct taxid_ctx *ctx, struct taxid_ledger *l, const char *at);
void taxid_ledger_free(struct taxid_ledger *l);

struct taxid_ledger_row *taxid_ledger_find(struct taxid_ledger *l, int month);
/* Record a month's state (reason may be NULL); -1 when out of memory. */
int taxid_ledger_set(struct taxid_ledger *l, int month, enum taxid_pay state, const char *reason);
/* The last month recorded, and the last month money went out for; TAXID_MONTH_NONE when there is none. */
int taxid_ledger_last(const struct taxid_ledger *l);
int taxid_ledger_last_paid(const struct taxid_ledger *l);
/* Record the months after the last one (from origin when the ledger is empty) through `through`: those before
 * `split` as paid, those from `split` on as after_state with after_reason, or not at all when after_state is
 * TAXID_PAY_NONE. -1 when out of memory. */
int taxid_ledger_extend(struct taxid_ledger *l, int origin, int through, int split, enum taxid_pay after_state,
			const char *after_reason);
/* The rows of months from..through in state `from` whose reason is one of reasons (NULL-terminated; NULL: any):
 * counted, or changed to `to` with to_reason. */
int taxid_ledger_count(const struct taxid_ledger *l, int from, int through, enum taxid_pay state,
		       const char *const *reasons);
int taxid_ledger_convert(struct taxid_ledger *l, int from, int through, enum taxid_pay state, const char *const *reasons,
			 enum taxid_pay to, const char *to_reason);
/* The first and last month in from..through in state s (TAXID_MONTH_NONE when none). */
void taxid_ledger_span(const struct taxid_ledger *l, int from, int through, enum taxid_pay s, int *first, int *last);
/* The rows as a JSON array of {"month", "state", "reason"}; rows not yet saved carry "recorded": false. */
json_t *taxid_ledger_json(const struct taxid_ledger *l);

#endif
