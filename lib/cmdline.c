/* The command line every tool shares: common options, the action, its options, KEY=VALUE operands, help and
 * shell completion, all from the tool's tables. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cmdline.h"
#include "crypto.h"
#include "record.h"

static const struct {
	const char *opt, *help;
} common_opts[] = {
	{"-d, --db FILE", "database (default $TAXID_DB, else ./taxid.db)"},
	{"    --now TIME", "pin the clock to an RFC 3339 instant (default $TAXID_NOW, else the clock)"},
	{"    --tz ZONE", "calendar zone: Asia/Shanghai (default, $TAXID_TZ) or +HH:MM"},
	{"    --reveal", "print personal data unmasked (audited)"},
	{"    --progress", "progress on stderr even when it is not a terminal"},
	{"    --no-progress", "no progress even on a terminal"},
	{"    --input FORMAT", "requests on standard input: ndjson (default) or csv (a header row names the members)"},
	{"-j, --jobs N", "answer a read-only stream with N processes (default: one per processor)"},
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

/* The first word of an action's fields ("file operator [force]" -> "file"). */
static const char *first_field(const char *fields)
{
	static char buf[64];
	snprintf(buf, sizeof buf, "%.*s", (int)strcspn(fields, " []"), fields);
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
	} else if (secret && eq[1] == '@' && eq[2] == '@') {
		/* KEY=@@VALUE: a secret that itself begins with '@' (VALUE with one '@' before it) */
		v = json_string(eq + 2);
		if (!v) {
			int rc = usage_error(tool, "operand %d ('%s=...') is not valid UTF-8", pos, key);
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

/* "TOOL __complete WORD...": the candidates for the next word, from the same tables that parse the command
 * line, so completion cannot drift from the tools. */
int taxid_cmdline_complete(const struct taxid_tool *tool, int argc, char **argv)
{
	static const char *const common[] = {"--db", "--now", "--tz", "--reveal", "--progress", "--no-progress", "--input",
					     "--jobs", "--help", "--version", NULL};
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

/* The clock (--now, $TAXID_NOW, else the system's) and the calendar zone (--tz, $TAXID_TZ, else +08:00): 0, or
 * the exit status of a usage error. */
static int set_clock(struct taxid_ctx *ctx, const char *now, const char *tz)
{
	if (now) {
		if (taxid_time_parse(now, &ctx->now))
			return usage_error(ctx->tool, "bad time '%s' (expected RFC 3339, e.g. 2026-11-25T08:00:00Z)", now);
		ctx->now_pinned = 1;
	} else {
		ctx->now = (int64_t)time(NULL);
	}
	ctx->tz_offset = 8 * 3600;
	if (tz && *tz && taxid_tz_parse(tz, &ctx->tz_offset))
		return usage_error(ctx->tool, "unknown time zone '%s' (use Asia/Shanghai, UTC or +HH:MM)", tz);
	return 0;
}

/* Drop the request being built and pass a status on (the early returns of taxid_main). */
static int leave(json_t *req, int status)
{
	json_decref(req);
	return status;
}

/* A PostgreSQL URI (issue 16): connect with it, print it without its password, and keep the keys in the local
 * file TAXID_KEYFILE names (there is no "beside the database" for a server). 0, or a usage error's status. */
static int set_db(struct taxid_ctx *ctx)
{
	static char *shown;
	const char *k = getenv("TAXID_KEYFILE");
	if (!taxid_db_is_uri(ctx->db_path))
		return 0;
	free(shown);
	if (!(shown = taxid_db_display(ctx->db_path)))
		return 70;
	ctx->db_uri = ctx->db_path;
	ctx->db_path = shown;
	if ((!k || !*k) && ctx->action->flags & (TAXID_ACT_DB_READ | TAXID_ACT_DB_WRITE | TAXID_ACT_BATCH | TAXID_ACT_DB_OPTIONAL))
		return usage_error(ctx->tool, "a PostgreSQL database ('%s') needs TAXID_KEYFILE: its keys stay in a local file",
				   shown);
	return 0;
}

int taxid_cmdline_parse(struct taxid_ctx *ctx, int argc, char **argv, json_t **request, int *single)
{
	const struct taxid_tool *tool = ctx->tool;
	const char *now = getenv("TAXID_NOW"), *tz = getenv("TAXID_TZ");
	ctx->out = stdout;
	ctx->input_csv = 0;
	ctx->jobs = 0;
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
		} else if (IS("--input")) {
			NEED_ARG();
			if (strcmp(val, "csv") != 0 && strcmp(val, "ndjson") != 0)
				return leave(req, usage_error(tool, "unknown input format '%s' (ndjson or csv)", val));
			ctx->input_csv = strcmp(val, "csv") == 0;
		} else if (IS("--jobs") || strcmp(a, "-j") == 0) {
			NEED_ARG();
			char *end;
			errno = 0;
			long n = strtol(val, &end, 10);
			if (errno || end == val || *end || n < 1 || n > TAXID_MAX_JOBS)
				return leave(req, usage_error(tool, "--jobs needs a number from 1 to %d, not '%s'", TAXID_MAX_JOBS,
							      val));
			ctx->jobs = (int)n;
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
		} else if (act && (act->flags & TAXID_ACT_FIRST_OPERAND) && !strchr(a, '=') && act->fields &&
			   !json_object_get(req, first_field(act->fields))) {
			/* issue 18: 'taxid-db backup FILE' — a bare first operand is the first field's value */
			json_object_set_new(req, first_field(act->fields), json_string(a));
			operands++;
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
	if ((rc = set_clock(ctx, now, tz)) || (rc = set_db(ctx)))
		return leave(req, rc);
	*single = (operands && !from_stdin) || (act->flags & TAXID_ACT_NO_INPUT);
	*request = req;
	return -1;
}
