/* The CSV writer: RFC 4180 (CRLF rows; a cell holding a comma, quote, CR or LF is quoted, its quotes doubled),
 * written by hand because the rules are four lines; reading CSV is libcsv's (lib/csv_in.c). */
#include <string.h>

#include "csv_out.h"

static void cell(struct taxid_json_buf *b, const char *s, size_t n, int text)
{
	/* OWASP "CSV Injection": a text cell that begins like a formula is shown as text, not evaluated */
	int neutral = text && n > 0 && strchr("=+-@\t\r", s[0]) != NULL;
	int quote = neutral;
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	if (!quote) {
		taxid_json_put(b, s, n);
		return;
	}
	taxid_json_put(b, "\"", 1);
	if (neutral)
		taxid_json_put(b, "'", 1);
	size_t from = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '"') {
			taxid_json_put(b, s + from, i + 1 - from);
			taxid_json_put(b, "\"", 1);
			from = i + 1;
		}
	taxid_json_put(b, s + from, n - from);
	taxid_json_put(b, "\"", 1);
}

void taxid_csv_header(struct taxid_json_buf *b, const char *const *columns)
{
	taxid_json_put(b, "\xef\xbb\xbf", 3);
	for (size_t i = 0; columns[i]; i++) {
		if (i)
			taxid_json_put(b, ",", 1);
		cell(b, columns[i], strlen(columns[i]), 1);
	}
	taxid_json_put(b, "\r\n", 2);
}

/* The member of row a dotted column names, or NULL. */
static json_t *lookup(json_t *row, const char *column)
{
	json_t *v = row;
	const char *p = column;
	for (;;) {
		size_t n = strcspn(p, ".");
		if (!json_is_object(v))
			return NULL;
		v = json_object_getn(v, p, n);
		if (!p[n] || !v)
			return v;
		p += n + 1;
	}
}

void taxid_csv_row(struct taxid_json_buf *b, const char *const *columns, json_t *row)
{
	struct taxid_json_buf tmp = {0};
	for (size_t i = 0; columns[i]; i++) {
		if (i)
			taxid_json_put(b, ",", 1);
		json_t *v = lookup(row, columns[i]);
		if (!v || json_is_null(v))
			continue;
		if (json_is_string(v)) {
			cell(b, json_string_value(v), json_string_length(v), 1);
			continue;
		}
		tmp.n = 0;
		taxid_json_value(&tmp, v);
		if (tmp.bad)
			b->bad = 1;
		else
			cell(b, tmp.p, tmp.n, 0);
	}
	taxid_json_free(&tmp);
	taxid_json_put(b, "\r\n", 2);
}
