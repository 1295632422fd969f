/* What a handler uses to answer a request: refusals, request members, rows, progress (below the record loop). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv_out.h"
#include "json_out.h"
#include "record.h"
#include "request.h"

#define MAX_TEXT 4096

enum taxid_code taxid_fail(struct taxid_ctx *ctx, enum taxid_code code, const char *field)
{
	ctx->err_field = field;
	return code;
}

enum taxid_code taxid_fail_detail(struct taxid_ctx *ctx, enum taxid_code code, const char *field, json_t *detail)
{
	ctx->err_field = field;
	json_decref(ctx->err_detail);
	ctx->err_detail = detail;
	return code;
}

void taxid_keep_changes(struct taxid_ctx *ctx)
{
	ctx->keep_on_error = 1;
}

/* Rows of ROWS actions: one line each, written at once. */
static struct taxid_json_buf row_line;

enum taxid_code taxid_emit(struct taxid_ctx *ctx, json_t *row)
{
	if (ctx->csv_columns) {
		taxid_csv_row(&row_line, ctx->csv_columns, row);
		json_decref(row);
		return taxid_json_write(&row_line, ctx->out) ? TAXID_E_IO_ERROR : TAXID_OK;
	}
	taxid_json_put(&row_line, "{\"ok\":true", 10);
	static const char *const taken[] = {"ok", NULL};
	taxid_json_members(&row_line, row, taken);
	taxid_json_put(&row_line, "}\n", 2);
	json_decref(row);
	return taxid_json_write(&row_line, ctx->out) ? TAXID_E_IO_ERROR : TAXID_OK;
}

enum taxid_code taxid_csv_begin(struct taxid_ctx *ctx, const char *const *columns)
{
	ctx->csv_columns = columns;
	if (ctx->csv_started) /* one header for the run, however many requests print rows */
		return TAXID_OK;
	ctx->csv_started = 1;
	taxid_csv_header(&row_line, columns);
	return taxid_json_write(&row_line, ctx->out) ? TAXID_E_IO_ERROR : TAXID_OK;
}

enum taxid_code taxid_req_format(struct taxid_ctx *ctx, json_t *req, const char *const *columns)
{
	enum taxid_code c = TAXID_OK;
	const char *f = taxid_req_str(ctx, req, "format", 0, &c);
	if (c || !f || strcmp(f, "json") == 0)
		return c;
	if (strcmp(f, "csv") != 0)
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "format", json_pack("{s:[ss]}", "allowed", "json", "csv"));
	return taxid_csv_begin(ctx, columns);
}

void taxid_emit_free(void)
{
	taxid_json_free(&row_line);
}

static int text_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		/* C2 controls, and the bidi embeddings/overrides/isolates that make text display as something else */
		if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return 0;
		if (p[i] == 0xe2 && i + 2 < n &&
		    ((p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae) ||
		     (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9)))
			return 0;
	}
	return 1;
}

const char *taxid_req_str(struct taxid_ctx *ctx, json_t *req, const char *key, int required, enum taxid_code *err)
{
	json_t *v = json_object_get(req, key);
	if (!v || json_is_null(v)) {
		if (required)
			*err = taxid_fail(ctx, TAXID_E_MISSING_FIELD, key);
		return NULL;
	}
	if (!json_is_string(v)) {
		*err = taxid_fail(ctx, TAXID_E_BAD_TYPE, key);
		return NULL;
	}
	size_t n = json_string_length(v);
	if (n > MAX_TEXT) {
		*err = taxid_fail(ctx, TAXID_E_BAD_VALUE, key);
		return NULL;
	}
	if (!text_ok(json_string_value(v), n)) {
		*err = taxid_fail(ctx, TAXID_E_BAD_UTF8, key);
		return NULL;
	}
	if (required && n == 0) {
		*err = taxid_fail(ctx, TAXID_E_MISSING_FIELD, key);
		return NULL;
	}
	return json_string_value(v);
}

long long taxid_req_int(struct taxid_ctx *ctx, json_t *req, const char *key, long long def, enum taxid_code *err)
{
	json_t *v = json_object_get(req, key);
	if (!v || json_is_null(v))
		return def;
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v)) {
		char *end;
		errno = 0;
		long long x = strtoll(json_string_value(v), &end, 10);
		if (!errno && *json_string_value(v) && !*end)
			return x;
	}
	*err = taxid_fail(ctx, TAXID_E_BAD_TYPE, key);
	return def;
}

struct taxid_q *taxid_req_row(struct taxid_ctx *ctx, json_t *req, const char *key, enum taxid_stmt id,
			      enum taxid_code *err)
{
	enum taxid_code c = TAXID_OK;
	if (!json_object_get(req, key)) {
		*err = taxid_fail(ctx, TAXID_E_MISSING_FIELD, key);
		return NULL;
	}
	long long v = taxid_req_int(ctx, req, key, 0, &c);
	if (c) {
		*err = c;
		return NULL;
	}
	struct taxid_q *q = taxid_q(ctx, id);
	taxid_q_int(q, 1, v);
	if (taxid_q_step(q))
		return q;
	c = taxid_q_end(q);
	*err = c ? c : taxid_fail(ctx, TAXID_E_NOT_FOUND, key);
	return NULL;
}

int taxid_req_bool(struct taxid_ctx *ctx, json_t *req, const char *key, int def, enum taxid_code *err)
{
	json_t *v = json_object_get(req, key);
	if (!v || json_is_null(v))
		return def;
	if (json_is_boolean(v))
		return json_is_true(v);
	if (json_is_string(v)) {
		if (!strcmp(json_string_value(v), "true") || !strcmp(json_string_value(v), "1"))
			return 1;
		if (!strcmp(json_string_value(v), "false") || !strcmp(json_string_value(v), "0"))
			return 0;
	}
	*err = taxid_fail(ctx, TAXID_E_BAD_TYPE, key);
	return def;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double progress_start, progress_last;
static long progress_count; /* the most reported: a NO_INPUT action counts its rows, not its one request */

void taxid_progress(struct taxid_ctx *ctx, long done)
{
	if (done > progress_count)
		progress_count = done;
	if (!ctx->progress || (done & 255))
		return;
	double t = mono();
	if (t - progress_last < 0.5)
		return;
	progress_last = t;
	double el = t - progress_start;
	fprintf(stderr, "\r%s: %ld records, %.0f/s, %.1fs elapsed ", ctx->tool->name, done, el > 0 ? done / el : 0.0,
		el);
}

void taxid_progress_end(struct taxid_ctx *ctx)
{
	if (ctx->progress && progress_last > 0) {
		double el = mono() - progress_start;
		long n = progress_count > ctx->done ? progress_count : ctx->done;
		fprintf(stderr, "\r%s: %ld records, %.0f/s, %.1fs elapsed, done\n", ctx->tool->name, n, el > 0 ? n / el : 0.0,
			el);
	}
}

void taxid_progress_start(void)
{
	progress_start = mono();
}

/* Members that carry a secret (SECURITY rule 32). An operand is visible to every user of the host (ps,
 * /proc/PID/cmdline), so such an operand draws a warning, and KEY=@FILE / KEY=@- read the value instead. */
static const char *const secret_members[] = {
	"password", "new_password", "initial_password", "password_hash", "declaration_password",
	"new_declaration_password", "code", "sms", "session", "token", "login_tx", "change_tx", "reset_tx", "qr",
	NULL,
};

int taxid_is_secret_member(const char *key)
{
	for (const char *const *m = secret_members; *m; m++)
		if (strcmp(*m, key) == 0)
			return 1;
	return 0;
}
