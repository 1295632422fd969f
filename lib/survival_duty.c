/* What a survival certification leaves behind beyond its window (taxid-survival(1), "Reports and duties"):
 * the offline device's reference photo, the fingerprint report to the certification system and the app
 * certification still owed that year; and the employer a pensioner is enrolled under. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "keys.h"
#include "record.h"
#include "survival.h"
#include "survival_duty.h"
#include "verify.h"

/* ==== the employer ==== */

enum taxid_code taxid_survival_employer(struct taxid_ctx *ctx, json_t *req, const char *key,
					char out[TAXID_EMPLOYER_LEN], int *present)
{
	enum taxid_code c = TAXID_OK;
	const char *v = taxid_req_str(ctx, req, key, 0, &c);
	out[0] = 0;
	*present = 0;
	if (c || !v)
		return c;
	struct taxid_ids_opts o;
	struct taxid_id_info info;
	memset(&info, 0, sizeof info);
	taxid_verify_opts(ctx, req, &o);
	if ((c = taxid_ids_check_uscc(v, strlen(v), &o, &info)))
		return taxid_fail(ctx, c, key);
	if (strlen(info.normalized) >= TAXID_EMPLOYER_LEN)
		return taxid_fail(ctx, TAXID_E_BAD_FORMAT, key);
	snprintf(out, TAXID_EMPLOYER_LEN, "%s", info.normalized);
	*present = 1;
	return TAXID_OK;
}

enum taxid_code taxid_survival_employer_of(struct taxid_ctx *ctx, long long pid, char out[TAXID_EMPLOYER_LEN])
{
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_PROFILE_GET);
	out[0] = 0;
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, pid);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 2) != SQLITE_NULL)
		snprintf(out, TAXID_EMPLOYER_LEN, "%s", (const char *)sqlite3_column_text(st, 2));
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? TAXID_OK : rc == SQLITE_DONE ? TAXID_E_NOT_FOUND : taxid_db_fail(ctx, rc);
}

/* ==== after a certification ==== */

static enum taxid_code event_row(struct taxid_ctx *ctx, long long pid, const char *kind, const char *day, json_t *detail,
				 const char *actor)
{
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	char *det = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_EVENT_INSERT);
	if (!det || !st) {
		free(det);
		return TAXID_E_INTERNAL;
	}
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, day, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, det, -1, SQLITE_STATIC);
	if (actor)
		sqlite3_bind_text(st, 7, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, at, -1, SQLITE_STATIC);
	enum taxid_code c = taxid_db_exec(ctx, st);
	free(det);
	return c;
}

static enum taxid_code audit_row(struct taxid_ctx *ctx, const char *action, long long pid, const char *actor, json_t *detail)
{
	char subject[40];
	snprintf(subject, sizeof subject, "pensioner:%lld", pid);
	return taxid_audit_new(ctx, action, subject, actor, detail);
}

/* Seed 004 (二, 五): the offline device builds a new model, so next year's face certification has a reference photo. */
static enum taxid_code device_photo(struct taxid_ctx *ctx, long long pid, long long person_id, const char *day,
				    const char *actor, json_t *out)
{
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_PERSON_PHOTO);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, person_id);
	sqlite3_bind_text(st, 2, "offline_device", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
	enum taxid_code c = taxid_db_exec(ctx, st);
	json_t *d = json_pack("{s:b,s:s}", "present", 1, "source", "offline_device");
	if (!c)
		c = event_row(ctx, pid, "photo", day, d, actor);
	if (!c)
		c = audit_row(ctx, "survival.photo", pid, actor, json_incref(d));
	json_decref(d);
	if (!c)
		json_object_set_new(out, "photo", json_pack("{s:b,s:s}", "recorded", 1, "source", "offline_device"));
	return c;
}

/* Seed 004 (九): a fingerprint counts, is reported to the certification system, and the app is still owed that year. */
static enum taxid_code fingerprint_duty(struct taxid_ctx *ctx, long long pid, const char *day, const char *actor,
					json_t *out)
{
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	int year = atoi(day);
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_FP_INSERT);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_text(st, 2, day, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, year);
	if (actor)
		sqlite3_bind_text(st, 4, actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, at, -1, SQLITE_STATIC);
	long long id = 0;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return taxid_db_fail(ctx, rc);
	enum taxid_code c = audit_row(ctx, "survival.report_queued", pid, actor,
				      json_pack("{s:I,s:s,s:i}", "report", (json_int_t)id, "certified_on", day, "app_required", year));
	if (!c) {
		json_object_set_new(out, "report_queued", json_integer(id));
		json_object_set_new(out, "app_required", json_integer(year));
	}
	return c;
}

/* The app (face) certification settles the year's duties of fingerprints on or before it. */
static enum taxid_code app_done(struct taxid_ctx *ctx, long long pid, const char *day, const char *actor, json_t *out)
{
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_FP_APP_DONE);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_text(st, 2, day, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, atoi(day));
	enum taxid_code c = taxid_db_exec(ctx, st);
	int n = c ? 0 : (int)taxid_db_changes(ctx);
	if (!c && n) {
		c = audit_row(ctx, "survival.app_certified", pid, actor, json_pack("{s:s,s:i}", "certified_on", day, "duties", n));
		json_object_set_new(out, "app_requirement_met", json_true());
	}
	return c;
}

enum taxid_code taxid_survival_after_certify(struct taxid_ctx *ctx, long long pid, long long person_id, const char *method,
					     const char *day, const char *actor, json_t *out)
{
	if (strcmp(method, "offline_device") == 0)
		return device_photo(ctx, pid, person_id, day, actor, out);
	if (strcmp(method, "fingerprint") == 0)
		return fingerprint_duty(ctx, pid, day, actor, out);
	if (strcmp(method, "face") == 0)
		return app_done(ctx, pid, day, actor, out);
	return TAXID_OK;
}

/* ==== the report outbox ==== */

enum taxid_code taxid_survival_report_outbox(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	long long limit = taxid_req_int(ctx, req, "limit", 1000, &c);
	if (c)
		return c;
	if (limit < 1 || limit > 100000)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "limit");
	/* Collect first, then mark: the statement cache holds one cursor per statement. */
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_FP_PENDING);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, limit);
	json_t *rows = json_array();
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int t = sqlite3_column_int(st, 7);
		char kind[16];
		snprintf(kind, sizeof kind, "doc:%d", t);
		char *no = taxid_pii_open(ctx->keys, kind, sqlite3_column_blob(st, 8), (size_t)sqlite3_column_bytes(st, 8));
		char *name = taxid_pii_open(ctx->keys, "person.name", sqlite3_column_blob(st, 9),
					    (size_t)sqlite3_column_bytes(st, 9));
		json_t *row = json_pack("{s:I,s:I,s:s,s:s,s:s?,s:s,s:s,s:s?}", "report", (json_int_t)sqlite3_column_int64(st, 0),
					"pensioner", (json_int_t)sqlite3_column_int64(st, 1), "method", "fingerprint",
					"certified_on", sqlite3_column_text(st, 2), "operator", sqlite3_column_text(st, 3),
					"queued_at", sqlite3_column_text(st, 4), "region", sqlite3_column_text(st, 5),
					"employer", sqlite3_column_text(st, 6));
		json_object_set_new(row, "doc_type", json_string(taxid_ids_doc_name((enum taxid_doc_type)t)));
		json_object_set_new(row, "doc_no", no ? taxid_survival_doc_json(ctx, no) : json_null());
		json_object_set_new(row, "name", taxid_survival_name_json(ctx, name));
		if (no)
			taxid_wipe(no, strlen(no));
		if (name)
			taxid_wipe(name, strlen(name));
		free(no);
		free(name);
		json_array_append_new(rows, row);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(rows);
		return taxid_db_fail(ctx, rc);
	}
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		if (!(st = taxid_sql(ctx, TAXID_SQL_SURV_FP_REPORTED))) {
			c = TAXID_E_INTERNAL;
			break;
		}
		sqlite3_bind_int64(st, 1, json_integer_value(json_object_get(row, "report")));
		sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
		if ((c = taxid_db_exec(ctx, st)))
			break;
	}
	if (!c && json_array_size(rows))
		c = taxid_audit_new(ctx, "survival.report_outbox", NULL, NULL,
				    json_pack("{s:I}", "reports", (json_int_t)json_array_size(rows)));
	/* Rows are printed only once their reporting is recorded in this transaction. */
	json_array_foreach(rows, i, row) if (!c) c = taxid_emit(ctx, json_incref(row));
	json_decref(rows);
	(void)out;
	return c;
}

/* ==== status ==== */

static json_t *correction_value(struct taxid_ctx *ctx, const char *field, const void *blob, int len)
{
	if (!blob)
		return json_null();
	char *v = taxid_pii_open(ctx->keys, "survival.correction", blob, (size_t)len);
	json_t *j;
	if (!v)
		j = json_null();
	else if (strcmp(field, "name") == 0)
		j = taxid_survival_name_json(ctx, v);
	else if (strcmp(field, "document") == 0) { /* "TYPECODE:number" */
		const char *colon = strchr(v, ':');
		j = taxid_survival_doc_json(ctx, colon ? colon + 1 : v);
	} else
		j = json_string(v);
	if (v) {
		taxid_wipe(v, strlen(v));
		free(v);
	}
	return j;
}

enum taxid_code taxid_survival_status_extra(struct taxid_ctx *ctx, long long pid, long long person_id, json_t *out)
{
	char employer[TAXID_EMPLOYER_LEN];
	enum taxid_code c = taxid_survival_employer_of(ctx, pid, employer);
	if (c)
		return c;
	json_object_set_new(out, "employer", employer[0] ? json_string(employer) : json_null());
	sqlite3_stmt *st = taxid_sql(ctx, TAXID_SQL_SURV_PERSON_FACTS);
	if (!st)
		return TAXID_E_INTERNAL;
	sqlite3_bind_int64(st, 1, person_id);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 2) != SQLITE_NULL)
		json_object_set_new(out, "photo_source", json_string((const char *)sqlite3_column_text(st, 2)));
	sqlite3_reset(st);

	json_t *fps = json_array(), *cors = json_array();
	if ((st = taxid_sql(ctx, TAXID_SQL_SURV_FP_LIST))) {
		sqlite3_bind_int64(st, 1, pid);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(fps, json_pack("{s:s,s:s?,s:s?}", "certified_on", sqlite3_column_text(st, 0),
							     "reported_at", sqlite3_column_text(st, 1), "app_certified_on",
							     sqlite3_column_text(st, 2)));
		sqlite3_reset(st);
	}
	if ((st = taxid_sql(ctx, TAXID_SQL_SURV_CORRECTION_LIST))) {
		sqlite3_bind_int64(st, 1, pid);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *field = (const char *)sqlite3_column_text(st, 1);
			json_array_append_new(
				cors, json_pack("{s:I,s:s,s:o,s:o,s:s?,s:s}", "correction", (json_int_t)sqlite3_column_int64(st, 0),
						"field", field, "old",
						correction_value(ctx, field, sqlite3_column_blob(st, 2), sqlite3_column_bytes(st, 2)),
						"new",
						correction_value(ctx, field, sqlite3_column_blob(st, 3), sqlite3_column_bytes(st, 3)),
						"operator", sqlite3_column_text(st, 4), "at", sqlite3_column_text(st, 5)));
		}
		sqlite3_reset(st);
	}
	json_object_set_new(out, "fingerprints", fps);
	json_object_set_new(out, "corrections", cors);
	return TAXID_OK;
}
