/* survival_pay.c: the payment rules of taxid-survival(1) over the ledger (ledger.c stores the months): from which month
 * this system pays, what a pensioner's state makes of the months since, what an event that ends the right to the
 * pension makes overpaid, and ending a pension. Months are counted as in calendar.h. */
#ifndef TAXID_SURVIVAL_PAY_H
#define TAXID_SURVIVAL_PAY_H

#include <jansson.h>

#include "calendar.h"
#include "errors.h"
#include "ledger.h"
#include "pensioner.h"

struct taxid_ctx;

/* The withholding reasons whose months are owed to the pensioner (a lapse, missing): back paid when they certify. */
extern const char *const taxid_pay_owed_reasons[];

/* Load a pensioner's ledger and bring it up to month `through` under the pensioner's present state. */
enum taxid_code taxid_pay_open(struct taxid_ctx *ctx, const struct taxid_pensioner *p, int through, struct taxid_ledger *l);
/* Save the ledger's changed rows when c is TAXID_OK, free it; the first error. */
enum taxid_code taxid_pay_close(struct taxid_ctx *ctx, struct taxid_ledger *l, enum taxid_code c);
/* 1 when month k, before the ledger's origin and from the benefit start on, was paid by the previous system. */
int taxid_pay_before_origin(const struct taxid_ctx *ctx, const struct taxid_pensioner *p, int k);
/* The last month money went out for: the ledger's, else the month before its origin. */
int taxid_pay_last_paid(const struct taxid_ctx *ctx, const struct taxid_pensioner *p, const struct taxid_ledger *l);
/* After an event in month m that ends the right to the pension: the months paid after m become overpaid (why);
 * the overpaid months after m, or -1 when out of memory. */
int taxid_pay_overpay(const struct taxid_ctx *ctx, const struct taxid_pensioner *p, struct taxid_ledger *l, int m,
		      int paid_through, const char *why);
/* The last month actually paid up to month m, or TAXID_MONTH_NONE. */
int taxid_pay_paid_until(const struct taxid_ctx *ctx, const struct taxid_pensioner *p, const struct taxid_ledger *l, int m,
			 int paid_through);
/* End a pension after the month of the event on (why: death, age_18, duplicate, ...): terminated from the next
 * month; the ledger up to month cur; what was paid after is overpaid. out (may be NULL) gets what changed; audit
 * says whether to write the audit row (a run audits its batch instead). */
enum taxid_code taxid_pay_end(struct taxid_ctx *ctx, struct taxid_pensioner *p, const char *why, taxid_day on,
			      int paid_through, int cur, const char *actor, json_t *out, int audit);

#endif
