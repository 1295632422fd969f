/* Requests from CSV (--input csv): libcsv splits the bytes into cells (strict RFC 4180: a stray quote is an
 * error, spaces are data); each row becomes the JSON object the NDJSON line would be, so no handler knows. */
#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_in.h"
#include "record.h"

#define MAX_ROW (1 << 20) /* as for an NDJSON request: a larger row is refused, not buffered */
#define OPTIONS (CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)

struct taxid_csv_in {
	int fd, eof, skip, header_bad;
	size_t bom;      /* bytes of a byte-order mark seen at the start so far; 3 once past it (or there is none) */
	struct csv_parser p;
	json_t *header;  /* column names (":=" removed) */
	json_t *raw;     /* per column: true when the cell is JSON */
	json_t *cells;   /* the row being read: strings, null for an empty cell, false for a cell not UTF-8 */
	size_t row_bytes;
	long row;        /* rows finished, the header included */
	json_t *queue;   /* finished rows not yet handed out: {"line","req"} or {"line","code","field","detail"} */
	size_t next;
	json_t *current; /* the entry handed out last (ctx->err_field points into it) */
	char buf[1 << 16];
};

/* libcsv grows a cell's buffer through this: a cell over the limit fails as CSV_ENOMEM (request_too_large). */
static void *capped_realloc(void *p, size_t n)
{
	return n > MAX_ROW + 64 ? NULL : realloc(p, n);
}

static int no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static void parser_init(struct taxid_csv_in *in)
{
	csv_init(&in->p, OPTIONS);
	csv_set_space_func(&in->p, no_space);
	csv_set_realloc_func(&in->p, capped_realloc);
}

struct taxid_csv_in *taxid_csv_in_open(int fd)
{
	struct taxid_csv_in *in = calloc(1, sizeof *in);
	if (!in)
		return NULL;
	in->fd = fd;
	in->queue = json_array();
	in->cells = json_array();
	parser_init(in);
	return in;
}

void taxid_csv_in_close(struct taxid_csv_in *in)
{
	if (!in)
		return;
	csv_free(&in->p);
	json_decref(in->header);
	json_decref(in->raw);
	json_decref(in->cells);
	json_decref(in->queue);
	json_decref(in->current);
	free(in);
}

static void refuse(struct taxid_csv_in *in, long line, enum taxid_code code, const char *field, json_t *detail)
{
	json_t *e = json_pack("{s:I,s:i}", "line", (json_int_t)line, "code", (int)code);
	if (field)
		json_object_set_new(e, "field", json_string(field));
	if (detail)
		json_object_set_new(e, "detail", detail);
	json_array_append_new(in->queue, e);
}

static void on_cell(void *s, size_t n, void *data)
{
	struct taxid_csv_in *in = data;
	in->row_bytes += n + 1;
	if (in->row_bytes > MAX_ROW)
		return;
	/* as in a JSON request, no string holds U+0000 (jansson refuses it in NDJSON input) */
	json_t *v = n == 0 ? json_null() : memchr(s, 0, n) ? NULL : json_stringn((const char *)s, n);
	json_array_append_new(in->cells, v ? v : json_false());
}

/* Put v at the dotted name in req ("a.b" is member b of object a); 0, or -1 when a name is both a value and an
 * object. */
static int put_path(json_t *req, const char *name, json_t *v)
{
	json_t *o = req;
	const char *p = name, *dot;
	while ((dot = strchr(p, '.')) != NULL) {
		json_t *sub = json_object_getn(o, p, (size_t)(dot - p));
		if (!sub) {
			sub = json_object();
			json_object_setn_new(o, p, (size_t)(dot - p), sub);
		} else if (!json_is_object(sub)) {
			json_decref(v);
			return -1;
		}
		o = sub;
		p = dot + 1;
	}
	if (json_object_get(o, p)) {
		json_decref(v);
		return -1;
	}
	return json_object_set_new(o, p, v);
}

/* The header row: names, unique, not empty, no name both a member and an object of members. */
static void read_header(struct taxid_csv_in *in)
{
	size_t i, n = json_array_size(in->cells);
	json_t *v, *probe = json_object();
	in->header = json_array();
	in->raw = json_array();
	json_array_foreach(in->cells, i, v) {
		const char *s = json_is_string(v) ? json_string_value(v) : "";
		size_t len = strlen(s);
		int raw = len > 2 && strcmp(s + len - 2, ":=") == 0;
		char *name = strndup(s, len - (raw ? 2 : 0));
		int bad = !name || !*name || name[0] == '.' || name[strlen(name) - 1] == '.' || strstr(name, "..") ||
			  put_path(probe, name, json_null());
		if (bad) {
			refuse(in, 1, TAXID_E_BAD_CSV, NULL, json_pack("{s:s,s:I}", "reason", "bad_header", "column", (json_int_t)i + 1));
			in->header_bad = 1;
			free(name);
			break;
		}
		json_array_append_new(in->header, json_string(name));
		json_array_append_new(in->raw, json_boolean(raw));
		free(name);
	}
	if (!n && !in->header_bad) {
		refuse(in, 1, TAXID_E_BAD_CSV, NULL, json_pack("{s:s}", "reason", "bad_header"));
		in->header_bad = 1;
	}
	json_decref(probe);
}

/* A data row into the request it makes, or its refusal. */
static void read_row(struct taxid_csv_in *in, long line)
{
	size_t cols = json_array_size(in->header), n = json_array_size(in->cells), i;
	if (in->row_bytes > MAX_ROW) {
		refuse(in, line, TAXID_E_REQUEST_TOO_LARGE, NULL, NULL);
		return;
	}
	if (n != cols) {
		refuse(in, line, TAXID_E_BAD_CSV, NULL,
		       json_pack("{s:s,s:I,s:I}", "reason", "cell_count", "cells", (json_int_t)n, "columns", (json_int_t)cols));
		return;
	}
	json_t *req = json_object(), *v;
	json_array_foreach(in->cells, i, v) {
		const char *name = json_string_value(json_array_get(in->header, i));
		if (json_is_null(v))
			continue;
		if (json_is_false(v)) {
			refuse(in, line, TAXID_E_BAD_UTF8, name, NULL);
			json_decref(req);
			return;
		}
		json_t *val;
		if (json_is_true(json_array_get(in->raw, i))) {
			json_error_t je;
			val = json_loads(json_string_value(v), JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
			if (!val) {
				refuse(in, line, TAXID_E_BAD_JSON, name, NULL);
				json_decref(req);
				return;
			}
		} else {
			val = json_incref(v);
		}
		put_path(req, name, val);
	}
	json_array_append_new(in->queue, json_pack("{s:I,s:o}", "line", (json_int_t)line, "req", req));
}

static void on_row(int c, void *data)
{
	struct taxid_csv_in *in = data;
	(void)c;
	in->row++;
	if (in->row == 1)
		read_header(in);
	else if (!in->header_bad)
		read_row(in, in->row);
	json_array_clear(in->cells);
	in->row_bytes = 0;
}

/* A row libcsv could not split: refused, and reading goes on after the end of the line where it failed. */
static void broken_row(struct taxid_csv_in *in)
{
	int e = csv_error(&in->p);
	in->row++;
	if (in->row == 1) {
		in->header_bad = 1;
		refuse(in, 1, TAXID_E_BAD_CSV, NULL, json_pack("{s:s}", "reason", "bad_header"));
	} else if (!in->header_bad) {
		refuse(in, in->row, e == CSV_ENOMEM ? TAXID_E_REQUEST_TOO_LARGE : TAXID_E_BAD_CSV, NULL,
		       e == CSV_ENOMEM ? NULL : json_pack("{s:s}", "reason", "quoting"));
	}
	json_array_clear(in->cells);
	in->row_bytes = 0;
	csv_free(&in->p);
	parser_init(in);
}

static void parse(struct taxid_csv_in *in, const char *s, size_t n);

/* A spreadsheet's byte-order mark is skipped, however the reads cut it. */
static void feed(struct taxid_csv_in *in, const char *s, size_t n)
{
	static const char mark[] = "\xef\xbb\xbf";
	size_t off = 0;
	while (in->bom < 3 && off < n) {
		if (s[off] != mark[in->bom]) {
			parse(in, mark, in->bom); /* the bytes held back were data after all */
			in->bom = 3;
			break;
		}
		in->bom++;
		off++;
	}
	if (off < n)
		parse(in, s + off, n - off);
}

static void parse(struct taxid_csv_in *in, const char *s, size_t n)
{
	size_t off = 0;
	while (off < n && !in->header_bad) {
		if (in->skip) {
			const char *nl = memchr(s + off, '\n', n - off);
			if (!nl)
				return;
			off = (size_t)(nl - s) + 1;
			in->skip = 0;
			continue;
		}
		size_t used = csv_parse(&in->p, s + off, n - off, on_cell, on_row, in);
		if (used == n - off && csv_error(&in->p) == CSV_SUCCESS)
			return;
		off += used;
		broken_row(in);
		in->skip = 1;
	}
}

enum taxid_scan taxid_csv_next(struct taxid_ctx *ctx, struct taxid_csv_in *in, int (*before_block)(struct taxid_ctx *),
			       json_t **req, long *line, enum taxid_code *refusal)
{
	*req = NULL;
	*refusal = TAXID_OK;
	json_decref(in->current);
	in->current = NULL;
	while (in->next >= json_array_size(in->queue)) {
		json_array_clear(in->queue);
		in->next = 0;
		if (in->eof || in->header_bad)
			return TAXID_SCAN_EOF;
		if (before_block && before_block(ctx))
			return TAXID_SCAN_ERROR;
		ssize_t n;
		do
			n = read(in->fd, in->buf, sizeof in->buf);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			fprintf(stderr, "%s: cannot read standard input: %s\n", ctx->tool->name, strerror(errno));
			return TAXID_SCAN_ERROR;
		}
		if (n == 0) {
			in->eof = 1;
			if (in->bom < 3) /* input that was the start of a byte-order mark and no more */
				parse(in, "\xef\xbb\xbf", in->bom);
			if (!in->skip && !in->header_bad && csv_fini(&in->p, on_cell, on_row, in) != 0)
				broken_row(in);
		} else {
			feed(in, in->buf, (size_t)n);
		}
	}
	json_t *e = in->current = json_incref(json_array_get(in->queue, in->next++));
	*line = (long)json_integer_value(json_object_get(e, "line"));
	json_t *r = json_object_get(e, "req");
	if (r) {
		*req = json_incref(r);
		return TAXID_SCAN_OK;
	}
	*refusal = (enum taxid_code)json_integer_value(json_object_get(e, "code"));
	ctx->err_field = json_string_value(json_object_get(e, "field"));
	json_decref(ctx->err_detail);
	ctx->err_detail = json_incref(json_object_get(e, "detail"));
	return TAXID_SCAN_OK;
}
