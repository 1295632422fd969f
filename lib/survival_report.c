/* The coverage report by region and month (taxid-survival(1), "Reports"): the counting; survival_html.c draws it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "pensioner.h"
#include "record.h"
#include "survival.h"
#include "survival_report.h"
#include "survival_request.h"

const char *const taxid_report_columns[TAXID_REPORT_NCOLS] = {"certified", "due", "overdue", "suspended", "resumed"};
static const char *const state_names[TAXID_REPORT_NSTATES] = {"pending", "active", "suspended", "terminated"};

static int region_cmp(const void *a, const void *b)
{
	return strcmp(((const struct taxid_region_stats *)a)->region, ((const struct taxid_region_stats *)b)->region);
}

static long long *report_cell(struct taxid_report *rep, const char *region, const char *month, int col)
{
	int m;
	if (!region || taxid_month_parse(month, &m) || m < rep->first || m >= rep->first + rep->months)
		return NULL;
	struct taxid_region_stats key;
	snprintf(key.region, sizeof key.region, "%s", region);
	struct taxid_region_stats *r = bsearch(&key, rep->r, rep->n, sizeof *rep->r, region_cmp);
	return r ? &r->cells[(m - rep->first) * TAXID_REPORT_NCOLS + col] : NULL;
}

static enum taxid_code report_query(struct taxid_ctx *ctx, struct taxid_report *rep, enum taxid_stmt id, const char *lo,
				    const char *hi, const char *region, int col, int second)
{
	char asof[TAXID_DATE_LEN];
	taxid_day_format(rep->as_of, asof);
	struct taxid_q *q = taxid_q(ctx, id);
	taxid_q_text(q, 1, lo);
	taxid_q_text(q, 2, hi);
	taxid_bind_opt(q, 3, region);
	if (id == TAXID_SQL_SURV_REPORT_OPEN)
		taxid_q_text(q, 4, asof);
	taxid_bind_opt(q, 5, rep->employer[0] ? rep->employer : NULL);
	while (taxid_q_step(q)) {
		const char *reg = taxid_q_col_text(q, 0), *mon = taxid_q_col_text(q, 1);
		if (id == TAXID_SQL_SURV_REPORT_EVENTS) {
			const char *pay = taxid_q_col_text(q, 2);
			long long *cell = report_cell(rep, reg, mon, strcmp(pay, "suspended") == 0 ? TAXID_REPORT_SUSPENDED : TAXID_REPORT_RESUMED);
			if (cell)
				*cell += taxid_q_col_int(q, 3);
			continue;
		}
		long long *cell = report_cell(rep, reg, mon, col);
		if (cell)
			*cell += taxid_q_col_int(q, 2);
		if (second >= 0 && (cell = report_cell(rep, reg, mon, second)))
			*cell += taxid_q_col_int(q, 3);
	}
	return taxid_q_end(q);
}

static void report_free(struct taxid_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		free(rep->r[i].cells);
	free(rep->r);
	free(rep->total);
}

static enum taxid_code report_build(struct taxid_ctx *ctx, struct taxid_report *rep, const char *region)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_REPORT_STATES);
	taxid_bind_opt(q, 1, region);
	taxid_bind_opt(q, 2, rep->employer[0] ? rep->employer : NULL);
	size_t cap = 0;
	enum taxid_code c = TAXID_OK;
	while (!c && taxid_q_step(q)) {
		const char *reg = taxid_q_col_text(q, 0), *state = taxid_q_col_text(q, 1);
		if (!rep->n || strcmp(rep->r[rep->n - 1].region, reg) != 0) {
			if (rep->n == cap) {
				cap = cap ? cap * 2 : 64;
				struct taxid_region_stats *nr = realloc(rep->r, cap * sizeof *rep->r);
				if (!nr) {
					c = TAXID_E_INTERNAL;
					break;
				}
				rep->r = nr;
			}
			struct taxid_region_stats *r = &rep->r[rep->n];
			memset(r, 0, sizeof *r);
			snprintf(r->region, sizeof r->region, "%s", reg);
			r->cells = calloc((size_t)rep->months * TAXID_REPORT_NCOLS, sizeof *r->cells);
			if (!r->cells) {
				c = TAXID_E_INTERNAL;
				break;
			}
			rep->n++;
		}
		for (int k = 0; k < TAXID_REPORT_NSTATES; k++)
			if (strcmp(state, state_names[k]) == 0)
				rep->r[rep->n - 1].states[k] += taxid_q_col_int(q, 2);
	}
	enum taxid_code e = taxid_q_end(q);
	if (c || e)
		return c ? c : e;
	qsort(rep->r, rep->n, sizeof *rep->r, region_cmp);
	char lo[TAXID_DATE_LEN], hi[TAXID_DATE_LEN], end[TAXID_DATE_LEN];
	taxid_day_format(taxid_month_first(rep->first), lo);
	taxid_day_format(rep->as_of, hi);
	taxid_day_format(taxid_month_last(rep->first + rep->months - 1), end);
	if ((c = report_query(ctx, rep, TAXID_SQL_SURV_REPORT_CERTIFIED, lo, hi, region, TAXID_REPORT_CERTIFIED, -1)) ||
	    (c = report_query(ctx, rep, TAXID_SQL_SURV_REPORT_ANSWERED, lo, end, region, TAXID_REPORT_DUE, TAXID_REPORT_OVERDUE)) ||
	    (c = report_query(ctx, rep, TAXID_SQL_SURV_REPORT_OPEN, lo, end, region, TAXID_REPORT_DUE, TAXID_REPORT_OVERDUE)) ||
	    (c = report_query(ctx, rep, TAXID_SQL_SURV_REPORT_EVENTS, lo, hi, region, 0, -1)))
		return c;
	rep->total = calloc((size_t)rep->months * TAXID_REPORT_NCOLS, sizeof *rep->total);
	if (!rep->total)
		return TAXID_E_INTERNAL;
	for (size_t i = 0; i < rep->n; i++) {
		for (int k = 0; k < rep->months * TAXID_REPORT_NCOLS; k++)
			rep->total[k] += rep->r[i].cells[k];
		for (int k = 0; k < TAXID_REPORT_NSTATES; k++)
			rep->total_states[k] += rep->r[i].states[k];
	}
	return TAXID_OK;
}

static json_t *report_months_json(const struct taxid_report *rep, const long long *cells)
{
	json_t *a = json_array();
	for (int m = 0; m < rep->months; m++) {
		char mb[TAXID_MONTH_LEN];
		taxid_month_format(rep->first + m, mb);
		json_t *o = json_pack("{s:s}", "month", mb);
		for (int k = 0; k < TAXID_REPORT_NCOLS; k++)
			json_object_set_new(o, taxid_report_columns[k], json_integer(cells[m * TAXID_REPORT_NCOLS + k]));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *states_json(const long long *states)
{
	json_t *o = json_object();
	for (int k = 0; k < TAXID_REPORT_NSTATES; k++)
		json_object_set_new(o, state_names[k], json_integer(states[k]));
	return o;
}


static const char *const formats[] = {"json", "html", "csv", NULL};

/* The report as a spreadsheet: one row per region and month, then the totals (region "total"). */

static enum taxid_code report_csv_rows(struct taxid_ctx *ctx, const struct taxid_report *rep, const char *region,
				       const long long *cells)
{
	enum taxid_code c = TAXID_OK;
	for (int m = 0; m < rep->months && !c; m++) {
		char mb[TAXID_MONTH_LEN];
		taxid_month_format(rep->first + m, mb);
		json_t *row = json_pack("{s:s,s:s}", "region", region, "month", mb);
		for (int k = 0; k < TAXID_REPORT_NCOLS; k++)
			json_object_set_new(row, taxid_report_columns[k], json_integer(cells[m * TAXID_REPORT_NCOLS + k]));
		c = taxid_emit(ctx, row);
	}
	return c;
}

static enum taxid_code report_csv(struct taxid_ctx *ctx, const struct taxid_report *rep)
{
	static const char *csv_columns[2 + TAXID_REPORT_NCOLS + 1] = {"region", "month"};
	enum taxid_code c = TAXID_OK;
	for (int k = 0; k < TAXID_REPORT_NCOLS; k++)
		csv_columns[2 + k] = taxid_report_columns[k];
	c = taxid_csv_begin(ctx, csv_columns);
	for (size_t i = 0; i < rep->n && !c; i++)
		c = report_csv_rows(ctx, rep, rep->r[i].region, rep->r[i].cells);
	return c ? c : report_csv_rows(ctx, rep, "total", rep->total);
}

enum taxid_code taxid_survival_report(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c;
	struct taxid_report rep;
	const char *region, *format;
	memset(&rep, 0, sizeof rep);
	int has_employer;
	if ((c = taxid_survival_req_as_of(ctx, req, &rep.as_of)) || (c = taxid_survival_req_region(ctx, req, &region)) ||
	    (c = taxid_survival_employer(ctx, req, "employer", rep.employer, &has_employer)) ||
	    (c = taxid_survival_req_word(ctx, req, "format", formats, "json", &format)))
		return c;
	long long months = taxid_req_int(ctx, req, "months", 12, &c);
	if (c)
		return c;
	if (months < 1 || months > 120)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "months");
	rep.months = (int)months;
	rep.first = taxid_day_month(rep.as_of) - rep.months + 1;
	if ((c = report_build(ctx, &rep, region))) {
		report_free(&rep);
		return c;
	}
	if (strcmp(format, "csv") == 0) {
		c = report_csv(ctx, &rep);
		report_free(&rep);
		return c;
	}
	if (strcmp(format, "html") == 0) {
		taxid_survival_report_html(ctx, &rep, region);
		report_free(&rep);
		return ferror(ctx->out) ? TAXID_E_IO_ERROR : TAXID_OK;
	}
	char asof[TAXID_DATE_LEN];
	taxid_day_format(rep.as_of, asof);
	json_t *regions = json_array();
	for (size_t i = 0; i < rep.n; i++)
		json_array_append_new(regions, json_pack("{s:s,s:o,s:o}", "region", rep.r[i].region, "pensioners",
							 states_json(rep.r[i].states), "months",
							 report_months_json(&rep, rep.r[i].cells)));
	json_t *row = json_pack("{s:s,s:i,s:o,s:o,s:o}", "as_of", asof, "months_covered", rep.months, "total",
				json_pack("{s:o,s:o}", "pensioners", states_json(rep.total_states), "months",
					  report_months_json(&rep, rep.total)),
				"regions", regions, "columns", json_pack("[s,s,s,s,s]", taxid_report_columns[0], taxid_report_columns[1],
									 taxid_report_columns[2], taxid_report_columns[3], taxid_report_columns[4]));
	if (region)
		json_object_set_new(row, "region", json_string(region));
	if (has_employer)
		json_object_set_new(row, "employer", json_string(rep.employer));
	report_free(&rep);
	return taxid_emit(ctx, row);
}
