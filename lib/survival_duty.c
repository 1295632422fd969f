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
#include "survival_request.h"
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
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_PROFILE_GET);
	out[0] = 0;
	taxid_q_int(q, 1, pid);
	int row = taxid_q_step(q);
	if (row && !taxid_q_is_null(q, 2))
		snprintf(out, TAXID_EMPLOYER_LEN, "%s", taxid_q_col_text(q, 2));
	enum taxid_code c = taxid_q_end(q);
	return c ? c : row ? TAXID_OK : TAXID_E_NOT_FOUND;
}

/* ==== after a certification ==== */

static enum taxid_code event_row(struct taxid_ctx *ctx, long long pid, const char *kind, const char *day, json_t *detail,
				 const char *actor)
{
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	char *det = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_EVENT_INSERT);
	if (!det) {
		taxid_q_end(q);
		return TAXID_E_INTERNAL;
	}
	taxid_q_int(q, 1, pid);
	taxid_q_text(q, 2, kind);
	taxid_q_text(q, 3, day);
	taxid_q_text(q, 6, det);
	taxid_q_text(q, 7, actor);
	taxid_q_text(q, 8, at);
	enum taxid_code c = taxid_q_exec(q);
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
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_PERSON_PHOTO);
	taxid_q_int(q, 1, person_id);
	taxid_q_text(q, 2, "offline_device");
	taxid_q_text(q, 3, at);
	enum taxid_code c = taxid_q_exec(q);
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
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_FP_INSERT);
	taxid_q_int(q, 1, pid);
	taxid_q_text(q, 2, day);
	taxid_q_int(q, 3, year);
	taxid_q_text(q, 4, actor);
	taxid_q_text(q, 5, at);
	long long id = 0;
	enum taxid_code c = taxid_q_insert_id(q, &id);
	if (c)
		return c;
	c = audit_row(ctx, "survival.report_queued", pid, actor,
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
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_FP_APP_DONE);
	taxid_q_int(q, 1, pid);
	taxid_q_text(q, 2, day);
	taxid_q_int(q, 3, atoi(day));
	enum taxid_code c = taxid_q_exec(q);
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
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_FP_PENDING);
	taxid_q_int(q, 1, limit);
	json_t *rows = json_array();
	while (taxid_q_step(q)) {
		int t = (int)taxid_q_col_int(q, 7);
		char kind[16];
		snprintf(kind, sizeof kind, "doc:%d", t);
		size_t nol, namel;
		const void *noe = taxid_q_col_blob(q, 8, &nol), *namee = taxid_q_col_blob(q, 9, &namel);
		char *no = taxid_pii_open(ctx->keys, kind, noe, nol);
		char *name = taxid_pii_open(ctx->keys, "person.name", namee, namel);
		json_t *row = json_pack("{s:I,s:I,s:s,s:s,s:s?,s:s,s:s,s:s?}", "report", (json_int_t)taxid_q_col_int(q, 0),
					"pensioner", (json_int_t)taxid_q_col_int(q, 1), "method", "fingerprint",
					"certified_on", taxid_q_col_text(q, 2), "operator", taxid_q_col_text(q, 3),
					"queued_at", taxid_q_col_text(q, 4), "region", taxid_q_col_text(q, 5),
					"employer", taxid_q_col_text(q, 6));
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
	if ((c = taxid_q_end(q))) {
		json_decref(rows);
		return c;
	}
	char at[TAXID_TIME_LEN];
	taxid_time_format(ctx->now, at);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		q = taxid_q(ctx, TAXID_SQL_SURV_FP_REPORTED);
		taxid_q_int(q, 1, json_integer_value(json_object_get(row, "report")));
		taxid_q_text(q, 2, at);
		if ((c = taxid_q_exec(q)))
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

static json_t *correction_value(struct taxid_ctx *ctx, const char *field, const void *blob, size_t len)
{
	if (!blob)
		return json_null();
	char *v = taxid_pii_open(ctx->keys, "survival.correction", blob, len);
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
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_PERSON_FACTS);
	taxid_q_int(q, 1, person_id);
	if (taxid_q_step(q) && !taxid_q_is_null(q, 2))
		json_object_set_new(out, "photo_source", json_string(taxid_q_col_text(q, 2)));
	if ((c = taxid_q_end(q)))
		return c;

	json_t *fps = json_array(), *cors = json_array();
	q = taxid_q(ctx, TAXID_SQL_SURV_FP_LIST);
	taxid_q_int(q, 1, pid);
	while (taxid_q_step(q))
		json_array_append_new(fps, json_pack("{s:s,s:s?,s:s?}", "certified_on", taxid_q_col_text(q, 0), "reported_at",
						     taxid_q_col_text(q, 1), "app_certified_on", taxid_q_col_text(q, 2)));
	c = taxid_q_end(q);
	q = c ? NULL : taxid_q(ctx, TAXID_SQL_SURV_CORRECTION_LIST);
	taxid_q_int(q, 1, pid);
	while (!c && taxid_q_step(q)) {
		const char *field = taxid_q_col_text(q, 1);
		size_t on, nn;
		const void *ov = taxid_q_col_blob(q, 2, &on), *nv = taxid_q_col_blob(q, 3, &nn);
		json_array_append_new(cors, json_pack("{s:I,s:s,s:o,s:o,s:s?,s:s}", "correction",
						      (json_int_t)taxid_q_col_int(q, 0), "field", field, "old",
						      correction_value(ctx, field, ov, on), "new", correction_value(ctx, field, nv, nn),
						      "operator", taxid_q_col_text(q, 4), "at", taxid_q_col_text(q, 5)));
	}
	if (!c)
		c = taxid_q_end(q);
	json_object_set_new(out, "fingerprints", fps);
	json_object_set_new(out, "corrections", cors);
	return c;
}
