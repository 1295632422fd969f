/* survival_policy.c: the window policies of taxid-survival(1) — how long a certification keeps a pension in payment
 * in a region (rolling months, the birthday month, a yearly deadline), the grace days and the reminder offsets;
 * `policy set` and `policy list`. */
#ifndef TAXID_SURVIVAL_POLICY_H
#define TAXID_SURVIVAL_POLICY_H

#include <jansson.h>

#include "calendar.h"
#include "errors.h"

struct taxid_ctx;

/* DOMAIN.md §7: one certification every 12 months. The built-in window, the length of a birthday or fixed-deadline
 * period, and the months a rolling policy gets when a request names none. */
#define TAXID_SURVIVAL_WINDOW_MONTHS 12
/* The rolling window "cycle6" names when a request gives no months. */
#define TAXID_SURVIVAL_CYCLE6_MONTHS 6
/* The built-in policy's grace days and reminder offsets (days before the deadline). */
#define TAXID_SURVIVAL_GRACE_DAYS 0
#define TAXID_SURVIVAL_REMINDERS {7, 30}
#define TAXID_POLICY_MAX_REMINDERS 8

/* Defaults of the survival settings (taxid-config; setting keys survival.*): the retirement ages below which a
 * retiree need not certify, and the working days within which a death should be reported. */
#define TAXID_SURVIVAL_RETIREMENT_AGE_MALE 60
#define TAXID_SURVIVAL_RETIREMENT_AGE_FEMALE 50
#define TAXID_SURVIVAL_DEATH_REPORT_WORKING_DAYS 20
/* Failed face comparisons after which manual review (an appeal) is offered. */
#define TAXID_SURVIVAL_FACE_FAILURES_REVIEW 3

enum taxid_window { TAXID_W_ROLLING, TAXID_W_BIRTHDAY, TAXID_W_FIXED };

struct taxid_policy {
	char region[8];         /* a region code, or "default" */
	enum taxid_window kind;
	int months;             /* rolling: the window length */
	int dl_month, dl_day;   /* fixed: the yearly deadline */
	int grace;              /* days after the deadline before the lapse */
	int reminders[TAXID_POLICY_MAX_REMINDERS], nrem; /* days before the deadline, ascending */
	int builtin;
};

/* Read the stored policies once per process (again after policy set). */
enum taxid_code taxid_policies_load(struct taxid_ctx *ctx);
/* The policy of a region: its own, else its prefecture's, else its province's, else "default", else the built-in. */
const struct taxid_policy *taxid_policy_for(const char *region);
/* The last day a certification on day c keeps the pension in payment (birth_month 1-12, or 0 when unknown). */
taxid_day taxid_policy_until(const struct taxid_policy *p, taxid_day c, int birth_month);
/* The policy as policy list prints it. */
json_t *taxid_policy_json(const struct taxid_policy *p);
/* The largest reminder offset of any policy (how far ahead a run looks). */
int taxid_policy_max_reminder(void);

#endif
