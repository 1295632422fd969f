/* The one read-handle-write loop: options, operands, a stream of JSON objects in, one result line out each. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "operator.h"
#include "record.h"

#define MAX_REQUEST (1 << 20) /* a request larger than 1 MiB is refused, not buffered */
#define MAX_DEPTH 256
#define MAX_TEXT 4096

/* ---- results ---- */

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

/* ---- result lines ----
 * Results are written by a small serializer of our own into a buffer kept for the run, then one fwrite per
 * line: jansson's dumper calls back for every token (through fwrite and the stream's lock with json_dumpf),
 * which was half the time of taxid-verify. The output is byte for byte jansson's JSON_COMPACT: members in
 * insertion order, UTF-8 as is, the same escapes; reals are left to jansson. */
struct obuf {
	char *p;
	size_t n, cap;
	int bad;
};

static void ob_grow(struct obuf *b, size_t more)
{
	if (b->bad || b->n + more <= b->cap)
		return;
	size_t want = b->cap ? b->cap : 4096;
	while (want < b->n + more)
		want *= 2;
	char *p = realloc(b->p, want);
	if (!p) {
		b->bad = 1;
		return;
	}
	b->p = p;
	b->cap = want;
}

static void ob_put(struct obuf *b, const char *s, size_t n)
{
	if (n == 0)
		return;
	ob_grow(b, n);
	if (!b->bad) {
		memcpy(b->p + b->n, s, n);
		b->n += n;
	}
}

static void ob_string(struct obuf *b, const char *s, size_t n)
{
	ob_put(b, "\"", 1);
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch != '"' && ch != '\\' && ch != 0x7f)
			continue;
		ob_put(b, s + run, i - run);
		run = i + 1;
		char esc[8];
		switch (ch) {
		case '"': ob_put(b, "\\\"", 2); break;
		case '\\': ob_put(b, "\\\\", 2); break;
		case '\b': ob_put(b, "\\b", 2); break;
		case '\f': ob_put(b, "\\f", 2); break;
		case '\n': ob_put(b, "\\n", 2); break;
		case '\r': ob_put(b, "\\r", 2); break;
		case '\t': ob_put(b, "\\t", 2); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04X", ch);
			ob_put(b, esc, 6);
		}
	}
	ob_put(b, s + run, n - run);
	ob_put(b, "\"", 1);
}

static void ob_json(struct obuf *b, json_t *v)
{
	char num[32];
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *m;
		int first = 1;
		ob_put(b, "{", 1);
		json_object_foreach(v, k, m) {
			if (!first)
				ob_put(b, ",", 1);
			first = 0;
			ob_string(b, k, strlen(k));
			ob_put(b, ":", 1);
			ob_json(b, m);
		}
		ob_put(b, "}", 1);
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *m;
		ob_put(b, "[", 1);
		json_array_foreach(v, i, m) {
			if (i)
				ob_put(b, ",", 1);
			ob_json(b, m);
		}
		ob_put(b, "]", 1);
		break;
	}
	case JSON_STRING:
		ob_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		ob_put(b, num, (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v)));
		break;
	case JSON_REAL: {
		size_t n = json_dumpb(v, num, sizeof num, JSON_ENCODE_ANY | JSON_COMPACT);
		if (n == 0 || n > sizeof num)
			b->bad = 1;
		else
			ob_put(b, num, n);
		break;
	}
	case JSON_TRUE: ob_put(b, "true", 4); break;
	case JSON_FALSE: ob_put(b, "false", 5); break;
	case JSON_NULL: ob_put(b, "null", 4); break;
	}
}

/* The members of o after others already written, except the names in skip (NULL-terminated): the parts of
 * a result are joined here instead of being merged into one new object. */
static void ob_members(struct obuf *b, json_t *o, const char *const *skip)
{
	const char *k;
	json_t *m;
	json_object_foreach(o, k, m) {
		int skipped = 0;
		for (const char *const *x = skip; x && *x && !skipped; x++)
			skipped = strcmp(k, *x) == 0;
		if (skipped)
			continue;
		ob_put(b, ",", 1);
		ob_string(b, k, strlen(k));
		ob_put(b, ":", 1);
		ob_json(b, m);
	}
}

/* One result line into b: {"ok":…,"error":{…},<the handler's members>,"ref":…,"line":N}. */
static void ob_result(struct obuf *b, struct taxid_ctx *ctx, enum taxid_code code, json_t *out, json_t *ref, long line)
{
	static const char *const taken[] = {"ok", "error", "ref", "line", NULL};
	if (code == TAXID_OK) {
		ob_put(b, "{\"ok\":true", 10);
	} else {
		json_t *e = json_pack("{s:s,s:s}", "code", taxid_error_code(code), "message",
				      taxid_error_message(code, ctx->zh));
		if (ctx->err_field)
			json_object_set_new(e, "field", json_string(ctx->err_field));
		if (ctx->err_detail)
			json_object_update(e, ctx->err_detail);
		ob_put(b, "{\"ok\":false,\"error\":", 20);
		ob_json(b, e);
		json_decref(e);
	}
	if (out)
		ob_members(b, out, taken);
	if (ref) {
		ob_put(b, ",\"ref\":", 7);
		ob_json(b, ref);
	}
	if (line > 0) {
		char num[32];
		ob_put(b, num, (size_t)snprintf(num, sizeof num, ",\"line\":%ld", line));
	}
	ob_put(b, "}\n", 2);
}

/* Results waiting for their batch to commit, and the line being written now. */
static struct obuf pending, now_line;

static int ob_write(struct taxid_ctx *ctx, struct obuf *b)
{
	int bad = b->bad || (b->n && fwrite(b->p, 1, b->n, ctx->out) != b->n);
	b->n = 0;
	b->bad = 0;
	return bad ? -1 : 0;
}

/* A request's result: written now, or (batch) kept until its batch commits. */
static int put_result(struct taxid_ctx *ctx, enum taxid_code code, json_t *out, json_t *ref, long line, int batch)
{
	ob_result(batch ? &pending : &now_line, ctx, code, out, ref, line);
	return batch ? (pending.bad ? -1 : 0) : ob_write(ctx, &now_line);
}

enum taxid_code taxid_emit(struct taxid_ctx *ctx, json_t *row)
{
	ob_put(&now_line, "{\"ok\":true", 10);
	static const char *const taken[] = {"ok", NULL};
	ob_members(&now_line, row, taken);
	ob_put(&now_line, "}\n", 2);
	json_decref(row);
	return ob_write(ctx, &now_line) ? TAXID_E_IO_ERROR : TAXID_OK;
}

/* ---- request fields ---- */

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

/* ---- progress ---- */

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

static void progress_end(struct taxid_ctx *ctx)
{
	if (ctx->progress && progress_last > 0) {
		double el = mono() - progress_start;
		long n = progress_count > ctx->done ? progress_count : ctx->done;
		fprintf(stderr, "\r%s: %ld records, %.0f/s, %.1fs elapsed, done\n", ctx->tool->name, n, el > 0 ? n / el : 0.0,
			el);
	}
}

/* ---- help ---- */

static const struct {
	const char *opt, *help;
} common_opts[] = {
	{"-d, --db FILE", "database (default $TAXID_DB, else ./taxid.db)"},
	{"    --now TIME", "pin the clock to an RFC 3339 instant (default $TAXID_NOW, else the clock)"},
	{"    --tz ZONE", "calendar zone: Asia/Shanghai (default, $TAXID_TZ) or +HH:MM"},
	{"    --reveal", "print personal data unmasked (audited)"},
	{"    --progress", "progress on stderr even when it is not a terminal"},
	{"    --no-progress", "no progress even on a terminal"},
	{"-h, --help", "this help; after an action, that action's help"},
	{"-V, --version", "print the version"},
};

static void opt_name(char *buf, size_t n, const struct taxid_opt *o)
{
	snprintf(buf, n, "--%s%s%s", o->name, o->type == TAXID_OPT_BOOL ? "" : " ", o->type == TAXID_OPT_BOOL ? "" : o->arg);
}

static void usage(const struct taxid_tool *tool, const struct taxid_action *only, FILE *f)
{
	char buf[64];
	if (only) {
		fprintf(f, "usage: %s [options] %s [--option ...] [KEY=VALUE | KEY:=JSON ...]\n%s\n", tool->name, only->name,
			only->help);
		if (only->fields && *only->fields)
			fprintf(f, "request: %s\n", only->fields);
		for (const struct taxid_opt *o = only->opts; o && o->name; o++) {
			opt_name(buf, sizeof buf, o);
			fprintf(f, "  %-22s %s\n", buf, o->help);
		}
		fprintf(f, "See %s(1).\n", tool->name);
		return;
	}
	fprintf(f, "usage: %s [options] [action] [--option ...] [KEY=VALUE | KEY:=JSON ...] < requests\n%s\n\nactions:\n",
		tool->name, tool->purpose);
	for (const struct taxid_action *a = tool->actions; a->name; a++)
		fprintf(f, "  %-16s %s%s\n", a->name, a->help, a == tool->actions ? " (default)" : "");
	fprintf(f, "\noptions:\n");
	for (size_t i = 0; i < sizeof common_opts / sizeof *common_opts; i++)
		fprintf(f, "  %-18s %s\n", common_opts[i].opt, common_opts[i].help);
	fprintf(f, "\n'%s ACTION --help' describes an action. See %s(1).\n", tool->name, tool->name);
}

__attribute__((format(printf, 2, 3))) static int usage_error(const struct taxid_tool *tool, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", tool->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", tool->name);
	return TAXID_EXIT_USAGE;
}

/* ---- arguments ---- */

static const struct taxid_action *find_action(const struct taxid_tool *tool, char **argv, int argc, int i, int *used)
{
	for (const struct taxid_action *a = tool->actions; a->name; a++) {
		const char *sp = strchr(a->name, ' ');
		if (sp && i + 1 < argc && strncmp(a->name, argv[i], (size_t)(sp - a->name)) == 0 &&
		    argv[i][sp - a->name] == 0 && strcmp(sp + 1, argv[i + 1]) == 0) {
			*used = 2;
			return a;
		}
		if (!sp && strcmp(a->name, argv[i]) == 0) {
			*used = 1;
			return a;
		}
	}
	return NULL;
}

static int is_group(const struct taxid_tool *tool, const char *w)
{
	size_t n = strlen(w);
	for (const struct taxid_action *a = tool->actions; a->name; a++)
		if (strncmp(a->name, w, n) == 0 && a->name[n] == ' ')
			return 1;
	return 0;
}

static char *member_name(const char *opt)
{
	char *m = strdup(opt);
	for (char *p = m; p && *p; p++)
		if (*p == '-')
			*p = '_';
	return m;
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

/* What the operands did that the run must know: secrets seen in argv, and whether @- took standard input. */
struct operands {
	char warned[256];
	int stdin_taken;
};

#define MAX_SECRET_FILE 4096

/* Read a secret for member key from a file, or from standard input for "-"; one trailing newline is dropped.
 * Returns a malloc'd string (to be wiped) or NULL after saying why on stderr. */
static char *read_secret(const struct taxid_tool *tool, const char *key, const char *path)
{
	int is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "re");
	if (!f) {
		fprintf(stderr, "%s: cannot read %s from '%s': %s\n", tool->name, key, path, strerror(errno));
		return NULL;
	}
	char *buf = calloc(1, MAX_SECRET_FILE + 2);
	size_t n = buf ? fread(buf, 1, MAX_SECRET_FILE + 1, f) : 0;
	int bad = !buf || ferror(f) || n > MAX_SECRET_FILE;
	if (!is_stdin)
		fclose(f);
	if (bad) {
		fprintf(stderr, "%s: cannot read %s from '%s': %s\n", tool->name, key, is_stdin ? "standard input" : path,
			buf && n > MAX_SECRET_FILE ? "longer than 4096 bytes" : "read error");
		if (buf)
			taxid_wipe(buf, MAX_SECRET_FILE + 2);
		free(buf);
		return NULL;
	}
	if (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	if (n && buf[n - 1] == '\r')
		buf[--n] = 0;
	return buf;
}

/* Add one KEY=VALUE or KEY:=JSON operand to req. No message repeats what follows the '=': it may be a secret. */
static int add_operand(const struct taxid_tool *tool, json_t *req, const char *arg, int pos, struct operands *ops)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		return usage_error(tool, "bad operand %d (expected KEY=VALUE or KEY:=JSON; its text is not repeated here)", pos);
	int raw = eq > arg && eq[-1] == ':';
	size_t klen = (size_t)(eq - arg) - (size_t)raw;
	if (klen == 0)
		return usage_error(tool, "bad operand %d (an empty KEY)", pos);
	char *key = strndup(arg, klen);
	int secret = taxid_is_secret_member(key);
	json_t *v;
	if (raw) {
		json_error_t je;
		v = json_loads(eq + 1, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
		if (!v) {
			int rc = usage_error(tool, "operand %d ('%s:=...') is not valid JSON", pos, key);
			free(key);
			return rc;
		}
	} else if (secret && eq[1] == '@' && eq[2]) {
		if (strcmp(eq + 2, "-") == 0 && ops->stdin_taken++) {
			int rc = usage_error(tool, "only one operand may read standard input (%s=@-)", key);
			free(key);
			return rc;
		}
		char *text = read_secret(tool, key, eq + 2);
		v = text ? json_string(text) : NULL;
		if (text) {
			taxid_wipe(text, strlen(text));
			free(text);
		}
		if (!v) {
			int rc = text ? usage_error(tool, "%s read from '%s' is not valid UTF-8", key, eq + 2) : TAXID_EXIT_USAGE;
			free(key);
			return rc;
		}
		secret = 0; /* not in argv */
	} else {
		v = json_string(eq + 1);
		if (!v) {
			int rc = usage_error(tool, "operand %d ('%s=...') is not valid UTF-8", pos, key);
			free(key);
			return rc;
		}
	}
	if (secret && strlen(ops->warned) + klen + 3 < sizeof ops->warned) {
		if (*ops->warned)
			strcat(ops->warned, ", ");
		strncat(ops->warned, key, klen);
	}
	json_object_set_new(req, key, v);
	free(key);
	return 0;
}

/* One line on stderr when secrets came as operands, unless $TAXID_QUIET_ARGV_SECRETS is 1 (the test suite,
 * which passes throwaway secrets as operands on purpose). */
static void warn_argv_secrets(const struct taxid_tool *tool, const struct operands *ops)
{
	const char *q = getenv("TAXID_QUIET_ARGV_SECRETS");
	if (!*ops->warned || (q && strcmp(q, "1") == 0))
		return;
	fprintf(stderr,
		"%s: warning: %s given as an operand can be read by other users of this host (ps, /proc); send it "
		"in the request on standard input, or as KEY=@FILE or KEY=@-\n",
		tool->name, ops->warned);
}

static int set_option(const struct taxid_tool *tool, json_t *req, const struct taxid_opt *o, const char *val)
{
	char *m = member_name(o->name);
	json_t *v = NULL;
	if (o->type == TAXID_OPT_BOOL) {
		v = json_true();
	} else if (o->type == TAXID_OPT_INT) {
		char *end;
		errno = 0;
		long long x = strtoll(val, &end, 10);
		if (errno || !*val || *end) {
			free(m);
			return usage_error(tool, "option needs an integer: '%s'", val);
		}
		v = json_integer(x);
	} else {
		v = json_string(val);
	}
	json_object_set_new(req, m, v);
	free(m);
	return 0;
}

/* ---- the stream reader ---- */

struct reader {
	int fd;
	char *buf;
	size_t cap, start, end; /* unread bytes are buf[start..end) */
	int eof;
	long line;              /* line number at buf[start] */
};

static int fill(struct taxid_ctx *ctx, struct reader *r, int (*before_block)(struct taxid_ctx *))
{
	if (r->eof)
		return 0;
	if (r->start > 0 && r->start == r->end)
		r->start = r->end = 0;
	if (r->end == r->cap) {
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		} else {
			size_t ncap = r->cap * 2;
			char *nb = realloc(r->buf, ncap);
			if (!nb)
				return -1;
			r->buf = nb;
			r->cap = ncap;
		}
	}
	/* Before a read that may block, hand over what is done: pipelines stream, batches commit. */
	if (before_block && before_block(ctx))
		return -1;
	ssize_t n;
	do
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		fprintf(stderr, "%s: cannot read standard input: %s\n", ctx->tool->name, strerror(errno));
		return -1;
	}
	if (n == 0)
		r->eof = 1;
	r->end += (size_t)n;
	return (int)n;
}

enum scan { SCAN_OK, SCAN_EOF, SCAN_ERROR };

/* Find the next value: [*vs, *ve) within r->buf, its starting line, and whether it overflowed the limit
 * (then its bytes are gone, but its extent was still found so the stream resynchronises). */
static enum scan next_value(struct taxid_ctx *ctx, struct reader *r, int (*bb)(struct taxid_ctx *), size_t *vs,
			    size_t *ve, long *line, int *too_large, int *cut)
{
	char stack[MAX_DEPTH];
	int depth = 0, in_str = 0, esc = 0, bol = 0;
	*too_large = *cut = 0;
	/* skip whitespace */
	for (;;) {
		while (r->start < r->end) {
			char c = r->buf[r->start];
			if (c == '\n')
				r->line++;
			else if (c != ' ' && c != '\t' && c != '\r')
				goto found;
			r->start++;
		}
		int n = fill(ctx, r, bb);
		if (n < 0)
			return SCAN_ERROR;
		if (n == 0)
			return SCAN_EOF;
	}
found:
	*line = r->line;
	size_t i = r->start;
	/* Only an object can be a request: anything else, arrays included, is taken to the end of its line. */
	int scalar = r->buf[i] != '{';
	long nl = 0;
	for (;;) {
		for (; i < r->end; i++) {
			char c = r->buf[i];
			if (scalar) {
				if (c == '\n')
					goto done;
				continue;
			}
			if (in_str) {
				if (esc)
					esc = 0;
				else if (c == '\\')
					esc = 1;
				else if (c == '"')
					in_str = 0;
				else if (c == '\n') { /* a raw newline cannot be inside a JSON string: the record was cut */
					*cut = 1;
					goto done;
				}
				continue;
			}
			if (c == '\n') {
				nl++;
				bol = 1;
				continue;
			}
			if (c == ' ' || c == '\t' || c == '\r')
				continue;
			if (bol && c == '{' && depth > 0 && stack[depth - 1] == '{') {
				/* '{' opening a line inside an object cannot continue it: the previous record was cut short */
				*cut = 1;
				goto done;
			}
			bol = 0;
			if (c == '"') {
				in_str = 1;
			} else if (c == '{' || c == '[') {
				if (depth == MAX_DEPTH) { /* too deep to be a request: refuse the rest of the line */
					*cut = 1;
					scalar = 1;
					continue;
				}
				stack[depth++] = c;
			} else if (c == '}' || c == ']') {
				depth--;
				if (depth == 0) {
					i++;
					goto done;
				}
			}
		}
		if (i - r->start > MAX_REQUEST) {
			/* Keep scanning to find the end, but let the bytes go. */
			*too_large = 1;
			r->start = i;
		}
		size_t off = i - r->start;
		int n = fill(ctx, r, bb);
		if (n < 0)
			return SCAN_ERROR;
		i = r->start + off;
		if (n == 0) {
			*cut = !scalar; /* end of input inside a value */
			goto done;
		}
	}
done:
	*vs = r->start;
	*ve = i;
	if (i - r->start > MAX_REQUEST)
		*too_large = 1;
	/* lines inside the value are counted by the caller when it consumes it */
	r->line += nl;
	r->start = i;
	return SCAN_OK;
}

/* ---- the loop ---- */

struct loop {
	int in_tx;
	long in_batch;
};

static struct loop L;

static int flush_batch(struct taxid_ctx *ctx)
{
	if (L.in_tx) {
		enum taxid_code c = taxid_db_commit(ctx);
		if (c)
			return -1;
		L.in_tx = 0;
		L.in_batch = 0;
	}
	return ob_write(ctx, &pending);
}

static int before_block(struct taxid_ctx *ctx)
{
	if (ctx->action->flags & TAXID_ACT_BATCH && flush_batch(ctx))
		return -1;
	return fflush(ctx->out) == EOF ? -1 : 0;
}

static enum taxid_exit worst = TAXID_EXIT_OK;

static void note_exit(enum taxid_exit e)
{
	if (e > worst)
		worst = e;
}

/* Run one request through the action's handler inside the transaction it needs; returns 0 to go on. */
static int run_one(struct taxid_ctx *ctx, json_t *req, long line)
{
	const struct taxid_action *a = ctx->action;
	json_t *out = json_object(), *ref = json_object_get(req, "ref");
	enum taxid_code c = TAXID_OK;
	int writes = ctx->db && ((a->flags & (TAXID_ACT_DB_WRITE | TAXID_ACT_BATCH)) || ctx->reveal);
	int batch = (a->flags & TAXID_ACT_BATCH) != 0;
	ctx->err_field = NULL;
	json_decref(ctx->err_detail);
	ctx->err_detail = NULL;
	ctx->keep_on_error = 0;
	ctx->line = line;
	json_incref(ref);

	int own = writes && !batch && (a->flags & TAXID_ACT_OWN_TX);
	if (writes && !own) {
		if (batch) {
			if (!L.in_tx && !(c = taxid_db_begin(ctx)))
				L.in_tx = 1;
			if (!c)
				c = taxid_db_savepoint(ctx);
		} else {
			c = taxid_db_begin(ctx);
		}
	}
	int began = writes && !own && !c;
	/* --reveal is an operator's action: it names who reveals before anything is shown (SECURITY rule 31) */
	const char *revealer = NULL;
	json_decref(ctx->reveal_subjects);
	ctx->reveal_subjects = NULL;
	ctx->reveal_more = 0;
	if (!c && ctx->reveal && ctx->db)
		revealer = taxid_reveal_operator(ctx, req, &c);
	taxid_db_request_reset(ctx);
	if (!c)
		c = a->fn(ctx, req, out);
	/* a database error the handler did not pass on still decides the request (issue 15: taxid_q keeps it) */
	enum taxid_code dberr = taxid_db_request_error(ctx);
	if (dberr && taxid_error_exit(c) <= TAXID_EXIT_REFUSED)
		c = dberr;
	if (own) /* the handler opened its transaction (or returned before it needed one) */
		began = taxid_db_in_tx(ctx);
	if (!c && ctx->reveal && ctx->db && began)
		c = taxid_reveal_audit(ctx, revealer, a->name, line);
	if (began) {
		int keep = c == TAXID_OK || (ctx->keep_on_error && taxid_error_exit(c) == TAXID_EXIT_REFUSED);
		if (batch) {
			if (keep) {
				enum taxid_code k = taxid_db_release(ctx);
				if (k)
					c = k;
			} else {
				taxid_db_rollback_savepoint(ctx);
			}
			L.in_batch++;
		} else if (keep) {
			enum taxid_code k = taxid_db_commit(ctx);
			if (k) {
				taxid_db_rollback(ctx);
				c = k;
			}
		} else {
			taxid_db_rollback(ctx);
		}
	}
	ctx->done++;
	if (c)
		ctx->refused++;
	enum taxid_exit e = taxid_error_exit(c);
	note_exit(e);
	if (e > TAXID_EXIT_REFUSED)
		json_object_clear(out); /* a stopping error (I/O, busy, ...): nothing the handler described was kept */
	int rc = 0;
	if (!(c == TAXID_OK && (a->flags & TAXID_ACT_ROWS))) {
		if (put_result(ctx, c, out, ref, line, batch))
			rc = -1;
	}
	json_decref(out);
	json_decref(ref);
	if (batch && L.in_batch >= ctx->batch_size && flush_batch(ctx))
		rc = -1;
	if (rc) {
		fprintf(stderr, "%s: cannot write results: %s\n", ctx->tool->name, strerror(errno));
		note_exit(TAXID_EXIT_IOERR);
		return -1;
	}
	taxid_progress(ctx, ctx->done);
	return e > TAXID_EXIT_REFUSED ? -1 : 0;
}

static void refuse_record(struct taxid_ctx *ctx, enum taxid_code c, long line)
{
	put_result(ctx, c, NULL, NULL, line, (ctx->action->flags & TAXID_ACT_BATCH) != 0);
	ctx->done++;
	ctx->refused++;
	note_exit(TAXID_EXIT_REFUSED);
}

static void stream(struct taxid_ctx *ctx, json_t *base)
{
	struct reader r = {.fd = 0, .cap = 1 << 16, .line = 1};
	r.buf = malloc(r.cap);
	if (!r.buf) {
		note_exit(TAXID_EXIT_SOFTWARE);
		return;
	}
	for (;;) {
		size_t vs, ve;
		long line;
		int too_large, cut;
		enum scan s = next_value(ctx, &r, before_block, &vs, &ve, &line, &too_large, &cut);
		if (s == SCAN_EOF)
			break;
		if (s == SCAN_ERROR) {
			note_exit(TAXID_EXIT_IOERR);
			break;
		}
		ctx->err_field = NULL;
		json_decref(ctx->err_detail);
		ctx->err_detail = NULL;
		if (too_large) {
			refuse_record(ctx, TAXID_E_REQUEST_TOO_LARGE, line);
			continue;
		}
		json_error_t je;
		json_t *req = cut ? NULL
				  : json_loadb(r.buf + vs, ve - vs, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
		if (!req) {
			refuse_record(ctx, TAXID_E_BAD_JSON, line);
			continue;
		}
		if (!json_is_object(req)) {
			json_decref(req);
			refuse_record(ctx, TAXID_E_BAD_REQUEST, line);
			continue;
		}
		if (base)
			json_object_update_missing(req, base);
		int stop = run_one(ctx, req, line);
		json_decref(req);
		if (stop)
			break;
	}
	free(r.buf);
}

/* "TOOL __complete WORD...": the candidates for the next word, from the same tables that parse the command
 * line, so completion cannot drift from the tools. */
static int complete(const struct taxid_tool *tool, int argc, char **argv)
{
	static const char *const common[] = {"--db", "--now", "--tz", "--reveal", "--progress", "--no-progress", "--help",
					     "--version", NULL};
	const struct taxid_action *act = NULL;
	const char *group = NULL;
	for (int i = 0; i < argc && !act; i++) {
		int used = 0;
		if (argv[i][0] == '-')
			continue;
		if ((act = find_action(tool, argv, argc, i, &used)) == NULL && is_group(tool, argv[i]))
			group = argv[i];
	}
	if (act) {
		for (const struct taxid_opt *o = act->opts; o && o->name; o++)
			printf("--%s\n", o->name);
		const char *f = act->fields ? act->fields : "";
		while (*f) {
			size_t n = strcspn(f, " ");
			const char *w = f[0] == '[' ? f + 1 : f;
			size_t wn = n - (size_t)(w - f) - (f[n - 1] == ']');
			if (n)
				printf("%.*s=\n", (int)wn, w);
			f += n + (f[n] == ' ');
		}
	} else {
		for (const struct taxid_action *a = tool->actions; a->name; a++) {
			const char *sp = strchr(a->name, ' ');
			if (group && sp && strncmp(a->name, group, (size_t)(sp - a->name)) == 0 && group[sp - a->name] == 0)
				printf("%s\n", sp + 1);
			else if (!group && (!sp || a == tool->actions || strncmp(a->name, a[-1].name, (size_t)(sp - a->name + 1)) != 0))
				printf("%.*s\n", sp ? (int)(sp - a->name) : (int)strlen(a->name), a->name);
		}
	}
	if (!group)
		for (int i = 0; common[i]; i++)
			printf("%s\n", common[i]);
	return 0;
}

/* Drop the request being built and pass a status on (the early returns of taxid_main). */
static int leave(json_t *req, int status)
{
	json_decref(req);
	return status;
}

int taxid_main(const struct taxid_tool *tool, int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "__complete") == 0)
		return complete(tool, argc - 2, argv + 2);
	static struct taxid_ctx C;
	struct taxid_ctx *ctx = &C;
	const char *now = getenv("TAXID_NOW"), *tz = getenv("TAXID_TZ");
	ctx->tool = tool;
	ctx->out = stdout;
	ctx->db_path = getenv("TAXID_DB");
	if (!ctx->db_path || !*ctx->db_path)
		ctx->db_path = "taxid.db";
	ctx->zh = taxid_locale_is_zh();
	ctx->progress = isatty(2);
	ctx->batch_size = 1000;

	json_t *req = json_object();
	int operands = 0, want_help = 0, from_stdin = 0, rc;
	struct operands ops = {{0}, 0};
	const struct taxid_action *act = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
#define NEED_ARG()                                                                       \
	do {                                                                                 \
		const char *eq_ = strchr(a, '=');                                                \
		if (a[1] == '-' && eq_)                                                          \
			val = eq_ + 1;                                                               \
		else if (i + 1 < argc)                                                           \
			val = argv[++i];                                                             \
		else                                                                             \
			return leave(req, usage_error(tool, "option '%s' needs an argument", a)); \
	} while (0)
#define IS(longname) (strcmp(a, longname) == 0 || (strncmp(a, longname "=", strlen(longname) + 1) == 0))
		if (strcmp(a, "--") == 0) {
			continue;
		} else if (IS("--db") || strcmp(a, "-d") == 0) {
			NEED_ARG();
			ctx->db_path = val;
		} else if (IS("--now")) {
			NEED_ARG();
			now = val;
		} else if (IS("--tz")) {
			NEED_ARG();
			tz = val;
		} else if (strcmp(a, "--reveal") == 0) {
			ctx->reveal = 1;
		} else if (strcmp(a, "--progress") == 0) {
			ctx->progress = 1;
		} else if (strcmp(a, "--no-progress") == 0) {
			ctx->progress = 0;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			want_help = 1;
		} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			printf("%s %s\nLicense: Apache-2.0\n", tool->name, TAXID_VERSION);
			return leave(req, 0);
		} else if (a[0] == '-' && a[1] == '-' && act) {
			const struct taxid_opt *o = act->opts;
			char name[64];
			const char *eq = strchr(a + 2, '=');
			snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - a - 2) : (int)strlen(a + 2), a + 2);
			while (o && o->name && strcmp(o->name, name) != 0)
				o++;
			if (!o || !o->name)
				return leave(req, usage_error(tool, "unknown option '--%s'", name));
			if (o->type != TAXID_OPT_BOOL)
				NEED_ARG();
			if ((rc = set_option(tool, req, o, val)))
				return leave(req, rc);
			/* An option makes a single request, except for batch actions, whose options are run settings
			 * and defaults for every record read. */
			if (!(act->flags & TAXID_ACT_BATCH))
				operands++;
		} else if (strcmp(a, "-") == 0) {
			from_stdin = 1; /* options and operands become defaults for every request read */
		} else if (a[0] == '-' && a[1]) {
			return leave(req, usage_error(tool, "unknown option '%.*s'", (int)strcspn(a, "="), a));
		} else if (!act && !operands && json_object_size(req) == 0 && !strchr(a, '=')) {
			int used = 0;
			act = find_action(tool, argv, argc, i, &used);
			if (!act)
				return leave(req, is_group(tool, a) ? usage_error(tool, "'%s' needs a sub-action (see --help)", a)
						 : usage_error(tool, "unknown action (argument %d, not repeated here)", i));
			i += used - 1;
		} else if ((rc = add_operand(tool, req, a, i, &ops))) {
			return leave(req, rc);
		} else {
			operands++;
		}
#undef NEED_ARG
#undef IS
	}
	if (want_help) {
		usage(tool, act, stdout);
		return leave(req, 0);
	}
	if (ops.stdin_taken && from_stdin)
		return leave(req, usage_error(tool, "standard input cannot carry both requests ('-') and a secret (KEY=@-)"));
	warn_argv_secrets(tool, &ops);
	if (!act)
		act = tool->actions;
	ctx->action = act;
	if (now) {
		if (taxid_time_parse(now, &ctx->now))
			return leave(req, usage_error(tool, "bad time '%s' (expected RFC 3339, e.g. 2026-11-25T08:00:00Z)",
						      now));
		ctx->now_pinned = 1;
	} else {
		ctx->now = (int64_t)time(NULL);
	}
	ctx->tz_offset = 8 * 3600;
	if (tz && *tz && taxid_tz_parse(tz, &ctx->tz_offset))
		return leave(req, usage_error(tool, "unknown time zone '%s' (use Asia/Shanghai, UTC or +HH:MM)", tz));

	enum taxid_code c = TAXID_OK;
	if (act->flags & TAXID_ACT_DB_READ)
		c = taxid_db_open(ctx, 0);
	else if (act->flags & (TAXID_ACT_DB_WRITE | TAXID_ACT_BATCH))
		c = taxid_db_open(ctx, 1);
	else if ((act->flags & TAXID_ACT_DB_OPTIONAL || ctx->reveal) && access(ctx->db_path, F_OK) == 0)
		/* with --reveal an existing database is opened so that the reveal is audited */
		c = taxid_db_open(ctx, 0);
	if (c) {
		json_decref(req);
		return taxid_error_exit(c);
	}

	progress_start = mono();
	if ((operands && !from_stdin) || (act->flags & TAXID_ACT_NO_INPUT))
		run_one(ctx, req, 0);
	else
		stream(ctx, json_object_size(req) ? req : NULL);
	json_decref(req);
	if (L.in_tx || pending.n) {
		if (worst > TAXID_EXIT_REFUSED && L.in_tx) {
			/* A stopping error: what was not committed is not reported as done. */
			taxid_db_rollback(ctx);
			L.in_tx = 0;
			pending.n = 0;
		} else if (flush_batch(ctx)) {
			note_exit(TAXID_EXIT_IOERR);
		}
	}
	progress_end(ctx);
	if (fflush(ctx->out) == EOF || ferror(ctx->out)) {
		fprintf(stderr, "%s: cannot write results: %s\n", tool->name, strerror(errno));
		note_exit(TAXID_EXIT_IOERR);
	}
	free(pending.p);
	free(now_line.p);
	/* taxid_main may run again in the same process (the fuzzer calls it once per input) */
	memset(&pending, 0, sizeof pending);
	memset(&now_line, 0, sizeof now_line);
	json_decref(ctx->err_detail);
	json_decref(ctx->reveal_subjects);
	ctx->reveal_subjects = NULL;
	taxid_db_close(ctx);
	return worst;
}
