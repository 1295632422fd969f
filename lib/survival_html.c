/* The coverage report as a self-contained page: an SVG bar chart of all regions, then a table per region. */
#include <stdio.h>

#include "record.h"
#include "survival_report.h"

static const char *const col_colors[TAXID_REPORT_NCOLS] = {"#2e7d32", "#1565c0", "#c62828", "#ef6c00", "#6a1b9a"};

/* The page is XHTML-compatible (every element closed, text escaped) so XML tools can check it. */
static void html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			putc(*s, f);
	}
}

static void html_table(FILE *f, const struct taxid_report *rep, const long long *cells)
{
	fputs("<table>\n<thead><tr><th scope=\"col\">month</th>", f);
	for (int k = 0; k < TAXID_REPORT_NCOLS; k++)
		fprintf(f, "<th scope=\"col\">%s</th>", taxid_report_columns[k]);
	fputs("</tr></thead>\n<tbody>\n", f);
	for (int m = 0; m < rep->months; m++) {
		char mb[TAXID_MONTH_LEN];
		taxid_month_format(rep->first + m, mb);
		fprintf(f, "<tr><th scope=\"row\">%s</th>", mb);
		for (int k = 0; k < TAXID_REPORT_NCOLS; k++)
			fprintf(f, "<td>%lld</td>", cells[m * TAXID_REPORT_NCOLS + k]);
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n", f);
}

static void html_chart(FILE *f, const struct taxid_report *rep)
{
	const int bar = 9, gap = 16, left = 56, top = 36, h = 200;
	int group = TAXID_REPORT_NCOLS * bar + gap, width = left + rep->months * group + 20, height = top + h + 48;
	/* the legend (100 pixels a column) is wider than a chart of a few months: it set no width of its own and was
	 * cut off after the second column (found by rendering the page in Chromium, tests/54) */
	if (width < left + TAXID_REPORT_NCOLS * 100 + 20)
		width = left + TAXID_REPORT_NCOLS * 100 + 20;
	long long max = 1;
	for (int k = 0; k < rep->months * TAXID_REPORT_NCOLS; k++)
		if (rep->total[k] > max)
			max = rep->total[k];
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		"aria-labelledby=\"chart-title\">\n<title id=\"chart-title\">Certification coverage by month, all regions</title>\n",
		width, height, width, height);
	for (int k = 0; k < TAXID_REPORT_NCOLS; k++)
		fprintf(f, "<rect x=\"%d\" y=\"8\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"17\">%s</text>\n",
			left + k * 100, col_colors[k], left + k * 100 + 14, taxid_report_columns[k]);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#444\"/>\n", left - 4, top + h, width - 10, top + h);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%lld</text>\n", left - 8, top + 10, max);
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", left - 8, top + h);
	for (int m = 0; m < rep->months; m++) {
		char mb[TAXID_MONTH_LEN];
		taxid_month_format(rep->first + m, mb);
		int x0 = left + m * group;
		for (int k = 0; k < TAXID_REPORT_NCOLS; k++) {
			long long v = rep->total[m * TAXID_REPORT_NCOLS + k];
			/* a figure too small for a pixel at this scale still gets a visible bar: a month with one
			 * overdue pensioner beside thousands due must not look like a month with none */
			int bh = (int)(v * h / max);
			if (v > 0 && bh < 2)
				bh = 2;
			fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s %s: %lld</title></rect>\n",
				x0 + k * bar, top + h - bh, bar - 1, bh, col_colors[k], mb, taxid_report_columns[k], v);
		}
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\">%s</text>\n", x0 + TAXID_REPORT_NCOLS * bar / 2,
			top + h + 16, mb);
	}
	fputs("</svg>\n", f);
}

void taxid_survival_report_html(struct taxid_ctx *ctx, const struct taxid_report *rep, const char *region)
{
	FILE *f = ctx->out;
	char asof[TAXID_DATE_LEN];
	taxid_day_format(rep->as_of, asof);
	fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
	      "<title>Survival certification coverage as of ",
	      f);
	html_text(f, asof);
	fputs("</title>\n<style>\nbody{font-family:sans-serif;margin:2em;color:#222}\n"
	      "table{border-collapse:collapse;margin:0.5em 0 1.5em}\nth,td{border:1px solid #bbb;padding:2px 8px;text-align:right}\n"
	      "thead th{background:#eee}\nsvg text{font-size:12px;fill:#222}\n</style>\n</head>\n<body>\n",
	      f);
	fputs("<h1>Survival certification coverage</h1>\n<p>As of ", f);
	html_text(f, asof);
	if (region) {
		fputs(", region ", f);
		html_text(f, region);
	}
	if (rep->employer[0]) {
		fputs(", employer ", f);
		html_text(f, rep->employer);
	}
	fprintf(f, ". Pensioners: %lld active, %lld suspended, %lld awaiting approval, %lld ended.</p>\n",
		rep->total_states[1], rep->total_states[2], rep->total_states[0], rep->total_states[3]);
	fputs("<p>certified: certifications in the month; due: deadlines falling in the month; overdue: those deadlines "
	      "missed (past the grace days); suspended: payments suspended by a lapse or an event that month; resumed: "
	      "payments resumed that month.</p>\n",
	      f);
	html_chart(f, rep);
	fputs("<h2>All regions</h2>\n", f);
	html_table(f, rep, rep->total);
	for (size_t i = 0; i < rep->n; i++) {
		fputs("<h2>Region ", f);
		html_text(f, rep->r[i].region);
		fputs("</h2>\n", f);
		fprintf(f, "<p>%lld active, %lld suspended, %lld awaiting approval, %lld ended.</p>\n", rep->r[i].states[1],
			rep->r[i].states[2], rep->r[i].states[0], rep->r[i].states[3]);
		html_table(f, rep, rep->r[i].cells);
	}
	fputs("</body>\n</html>\n", f);
}
