/* survival_report.c: the coverage report of taxid-survival — by region and month, certifications, deadlines due and
 * missed, suspensions and resumptions — as a JSON row; survival_html.c: the same as a self-contained HTML page. */
#ifndef TAXID_SURVIVAL_REPORT_H
#define TAXID_SURVIVAL_REPORT_H

#include <stddef.h>

#include "calendar.h"
#include "survival_duty.h"

struct taxid_ctx;

/* The columns of a month, and the pensioner states counted. */
enum { TAXID_REPORT_CERTIFIED, TAXID_REPORT_DUE, TAXID_REPORT_OVERDUE, TAXID_REPORT_SUSPENDED, TAXID_REPORT_RESUMED,
       TAXID_REPORT_NCOLS };
extern const char *const taxid_report_columns[TAXID_REPORT_NCOLS];
enum { TAXID_REPORT_PENDING, TAXID_REPORT_ACTIVE, TAXID_REPORT_SUSPENDED_STATE, TAXID_REPORT_TERMINATED, TAXID_REPORT_NSTATES };

struct taxid_region_stats {
	char region[8];
	long long states[TAXID_REPORT_NSTATES];
	long long *cells; /* months x TAXID_REPORT_NCOLS */
};

struct taxid_report {
	taxid_day as_of;
	int first, months; /* the first month covered, and how many */
	struct taxid_region_stats *r; /* ascending by region */
	size_t n;
	long long *total; /* months x TAXID_REPORT_NCOLS */
	long long total_states[TAXID_REPORT_NSTATES];
	char employer[TAXID_EMPLOYER_LEN]; /* only this employer's pensioners, when set (issue 13.6) */
};

/* The report as an XHTML-compatible page with an SVG chart, on ctx->out (region: the one asked for, or NULL). */
void taxid_survival_report_html(struct taxid_ctx *ctx, const struct taxid_report *rep, const char *region);

#endif
