/* taxid-db doctor: the health check of a database — one finding per line (severity ok, warning or error). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "backup.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "db_admin.h"
#include "keys.h"
#include "record.h"

#define WAL_WARN_BYTES (64LL * 1024 * 1024) /* a WAL this large: checkpoints are not keeping up */
#define ISSUER_KEY_DAYS 365                  /* a trusted issuer's key older than this should be renewed */
#define OUTBOX_LATE_SECONDS 3600             /* a message pending this long: the drain is not running */

struct findings {
	int errors, warnings;
	enum taxid_code c; /* the first failure to print a finding */
};

/* Print one finding {"severity","check","message", extra members...} (extra taken over, may be NULL). */
static void finding(struct taxid_ctx *ctx, struct findings *f, const char *severity, const char *check,
		    const char *message, json_t *extra)
{
	json_t *row = json_pack("{s:s,s:s,s:s}", "severity", severity, "check", check, "message", message);
	if (extra)
		json_object_update(row, extra);
	json_decref(extra);
	if (strcmp(severity, "error") == 0)
		f->errors++;
	else if (strcmp(severity, "warning") == 0)
		f->warnings++;
	enum taxid_code c = taxid_emit(ctx, row);
	if (c && !f->c)
		f->c = c;
}

/* A file's mode: group or others may read or write it is an error (SECURITY 22). 0 when it is fine. */
static int file_mode(struct taxid_ctx *ctx, struct findings *f, const char *check, const char *what, const char *path)
{
	struct stat sb;
	char msg[512];
	if (stat(path, &sb) != 0) {
		snprintf(msg, sizeof msg, "the %s '%s' is missing", what, path);
		finding(ctx, f, "error", check, msg, json_pack("{s:s}", "path", path));
		return -1;
	}
	char mode[8];
	snprintf(mode, sizeof mode, "%04o", (unsigned)(sb.st_mode & 07777));
	if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(msg, sizeof msg, "the %s is open to group or others: chmod 600 '%s'", what, path);
		finding(ctx, f, "error", check, msg, json_pack("{s:s,s:s}", "path", path, "mode", mode));
		return -1;
	}
	snprintf(msg, sizeof msg, "the %s is the owner's only", what);
	finding(ctx, f, "ok", check, msg, json_pack("{s:s,s:s}", "path", path, "mode", mode));
	return 0;
}

/* Schema version and integrity, with a connection of their own before taxid opens (and might migrate) it. */
static int file_checks(struct taxid_ctx *ctx, struct findings *f)
{
	char why[512], msg[640];
	int v = 0, bad = taxid_db_file_check(ctx->db_path, &v, why, sizeof why);
	json_t *x = json_pack("{s:i,s:i}", "version", v, "program", taxid_db_schema_version());
	if (v > taxid_db_schema_version())
		finding(ctx, f, "error", "schema", "the schema is newer than this program: use the newer program", x);
	else if (v < taxid_db_schema_version())
		finding(ctx, f, "warning", "schema", "the schema is older than this program: the next write migrates it", x);
	else
		finding(ctx, f, "ok", "schema", "the schema is this program's", x);
	snprintf(msg, sizeof msg, "integrity_check: %s", why);
	finding(ctx, f, bad ? "error" : "ok", "integrity", bad ? msg : "integrity_check: ok", NULL);
	return bad || v != taxid_db_schema_version() ? -1 : 0;
}

static void audit_check(struct taxid_ctx *ctx, struct findings *f, const char *anchor)
{
	struct taxid_audit_check w;
	enum taxid_code c = taxid_audit_verify(ctx, anchor, &w);
	if (c == TAXID_E_BAD_VALUE) {
		finding(ctx, f, "error", "audit_anchor", "the anchor is not ID:HASH", NULL);
		return;
	}
	if (c) {
		finding(ctx, f, "error", "audit", taxid_error_message(c, ctx->zh), NULL);
		return;
	}
	json_t *head = taxid_backup_head_json(&w);
	if (w.broken) {
		finding(ctx, f, "error", "audit", w.why ? w.why : "the audit chain is broken",
			json_pack("{s:I,s:I}", "rows", (json_int_t)w.rows, "broken_at", (json_int_t)w.broken));
		json_decref(head);
		return;
	}
	finding(ctx, f, "ok", "audit", "the audit chain is intact", json_pack("{s:I,s:O}", "rows", (json_int_t)w.rows, "head", head));
	if (anchor)
		finding(ctx, f, w.anchor_found ? "ok" : "error", "audit_anchor",
			w.anchor_found ? "the anchored head is in the chain unchanged" : "the anchored head is not in the chain",
			json_pack("{s:I}", "anchor_id", (json_int_t)w.anchor_id));
	json_decref(head);
}

static void wal_check(struct taxid_ctx *ctx, struct findings *f)
{
	long long n = taxid_db_wal_bytes(ctx->db_path);
	int big = n > WAL_WARN_BYTES;
	finding(ctx, f, big ? "warning" : "ok", "wal",
		big ? "the WAL is large: a reader keeps checkpoints from finishing" : "the WAL is small",
		json_pack("{s:I,s:I}", "bytes", (json_int_t)n, "limit", (json_int_t)WAL_WARN_BYTES));
}

/* Every stored setting is known, an integer, and within its range (lib/config.c's table). */
static void settings_check(struct taxid_ctx *ctx, struct findings *f)
{
	int bad = 0;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SETTING_ALL);
	while (taxid_q_step(q)) {
		const char *key = taxid_q_col_text(q, 0), *val = taxid_q_col_text(q, 1);
		const struct taxid_setting_def *d = taxid_config_find(key);
		char *end = NULL;
		long long v = val ? strtoll(val, &end, 10) : 0;
		if (!d) {
			finding(ctx, f, "warning", "settings", "an unknown setting is stored (no code reads it)",
				json_pack("{s:s?,s:s?}", "key", key, "value", val));
			continue;
		}
		if (!val || !*val || *end || v < d->min || v > d->max) {
			bad++;
			finding(ctx, f, "error", "settings", "a setting is out of its range",
				json_pack("{s:s,s:s?,s:I,s:I}", "key", key, "value", val, "min", (json_int_t)d->min, "max",
					  (json_int_t)d->max));
		}
	}
	enum taxid_code c = taxid_q_end(q);
	if (c)
		finding(ctx, f, "error", "settings", taxid_error_message(c, ctx->zh), NULL);
	else if (!bad)
		finding(ctx, f, "ok", "settings", "every stored setting is within its range", NULL);
}

static void issuer_check(struct taxid_ctx *ctx, struct findings *f)
{
	char before[TAXID_TIME_LEN];
	int n = 0;
	taxid_time_format(ctx->now - (int64_t)ISSUER_KEY_DAYS * 86400, before);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_ISSUER_OLDER);
	taxid_q_text(q, 1, before);
	while (taxid_q_step(q)) {
		n++;
		finding(ctx, f, "warning", "issuers", "a trusted issuer's key is older than a year: have it renewed",
			json_pack("{s:s?,s:s?}", "issuer", taxid_q_col_text(q, 0), "added_at", taxid_q_col_text(q, 1)));
	}
	if (!taxid_q_end(q) && !n)
		finding(ctx, f, "ok", "issuers", "no trusted issuer's key is older than a year", NULL);
}

static void outbox_check(struct taxid_ctx *ctx, struct findings *f)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_OUTBOX_OLDER);
	taxid_q_int(q, 1, ctx->now - OUTBOX_LATE_SECONDS);
	long long n = 0, oldest = 0;
	if (taxid_q_step(q)) {
		n = taxid_q_col_int(q, 0);
		oldest = taxid_q_col_int(q, 1);
	}
	if (taxid_q_end(q))
		return;
	if (n) {
		char at[TAXID_TIME_LEN];
		taxid_time_format(oldest, at);
		finding(ctx, f, "warning", "outbox", "messages have waited more than an hour: is the outbox drained?",
			json_pack("{s:I,s:s}", "pending", (json_int_t)n, "oldest", at));
	} else {
		finding(ctx, f, "ok", "outbox", "no message has waited more than an hour", NULL);
	}
}

enum taxid_code taxid_doctor(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *anchor = taxid_req_str(ctx, req, "anchor", 0, &c);
	if (c)
		return c;
	struct findings f = {0, 0, TAXID_OK};
	char *key = taxid_key_path(ctx);
	int pg = ctx->db_uri != NULL; /* a PostgreSQL database: no file of its own here, its storage is the server's */
	int modes = pg ? 0 : file_mode(ctx, &f, "file_mode", "database file", ctx->db_path);
	modes |= key ? file_mode(ctx, &f, "key_mode", "key file", key) : -1;
	free(key);
	if (pg)
		finding(ctx, &f, "ok", "engine",
			"a PostgreSQL database: its files, integrity and WAL are the server's to check (pg_amcheck, its logs)",
			json_pack("{s:s}", "database", ctx->db_path));
	if (modes)
		finding(ctx, &f, "error", "open", "not opened: the other checks need the files' modes fixed first", NULL);
	else if (!pg && file_checks(ctx, &f))
		finding(ctx, &f, "warning", "open", "not opened: the other checks need a sound file of this schema", NULL);
	else if ((c = taxid_backup_open(ctx)))
		finding(ctx, &f, "error", "open", taxid_error_message(c, ctx->zh),
			json_pack("{s:s}", "code", taxid_error_code(c)));
	else {
		audit_check(ctx, &f, anchor);
		if (!pg)
			wal_check(ctx, &f);
		settings_check(ctx, &f);
		issuer_check(ctx, &f);
		outbox_check(ctx, &f);
	}
	if (f.c)
		return f.c;
	json_object_set_new(out, "errors", json_integer(f.errors));
	json_object_set_new(out, "warnings", json_integer(f.warnings));
	return f.errors ? taxid_fail(ctx, TAXID_E_UNHEALTHY, NULL) : TAXID_OK;
}
