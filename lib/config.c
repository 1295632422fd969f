/* Settings: the one table of the keys the code reads, their defaults and the ranges taxid-config accepts.
 * To add a setting, add a row here (and its paragraph in taxid-db(5)); the code reads it with
 * taxid_setting_int(ctx, key, default) as before. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "config.h"
#include "db.h"
#include "record.h"

#define DAY 86400LL

static const struct taxid_setting_def table[] = {
	{"ids.strict_region", 0, 0, 1, "1: an unknown or abolished county code is an error"},
	{"ids.strict_segment", 0, 0, 1, "1: a mobile number outside the strict segment list is an error"},
	{"ids.luhn_warning_only", 0, 0, 1, "1: a bank-card Luhn failure is a warning"},
	{"verdict.max_age", 600, 1, DAY, "seconds a signed verdict stays fresh"},
	{"verdict.clock_skew", 60, 0, 3600, "seconds a verdict may be issued in the future"},
	{"verdict.face.min_score_permille", 800, 0, 1000, "score in thousandths a face verdict must reach"},
	{"verdict.captcha.min_score_permille", 0, 0, 1000, "score in thousandths a captcha verdict must reach"},
	{"verdict.bank.min_score_permille", 0, 0, 1000, "score in thousandths a bank verdict must reach"},
	{"verdict.registry.min_score_permille", 0, 0, 1000, "score in thousandths a registry verdict must reach"},
	{"verdict.survival.min_score_permille", 0, 0, 1000, "score in thousandths a survival verdict must reach"},
	{"sms.ttl_seconds", 300, 60, 3600, "seconds an SMS code is valid"},
	{"sms.max_attempts", 5, 1, 10, "wrong codes that kill a challenge"},
	{"sms.resend_seconds", 60, 30, 3600, "seconds before another code to the same phone"},
	{"sms.daily_cap", 10, 1, 100, "codes a phone may be sent per calendar day"},
	{"sms.open_daily_cap", 5, 1, 100, "codes a phone may be sent per day for purposes anyone may ask for"},
	{"reset.daily_cap", 5, 1, 100, "password-reset requests per account string per day"},
	{"reset.phone_change_days", 7, 0, 365, "days after a phone change during which a reset needs face or a hall"},
	{"password.m_kib", 19456, 19456, 1048576, "argon2id memory (KiB) for new password hashes"},
	{"password.t_cost", 2, 2, 16, "argon2id passes for new password hashes"},
	{"password.parallelism", 1, 1, 16, "argon2id lanes for new password hashes"},
	{"password.min_length", 8, 8, 64, "shortest password"},
	{"password.max_length", 15, 8, 128, "longest password"},
	{"password.min_classes", 3, 1, 4, "character classes a password needs"},
	{"password.initial_days", 30, 1, 365, "days an initial password may be used"},
	{"session.idle_seconds", 1800, 60, DAY, "idle seconds that end a session"},
	{"session.absolute_seconds", 43200, 300, 7 * DAY, "seconds after which a session ends in any case"},
	{"login.password_only", 0, 0, 1, "1: a password alone opens a session"},
	{"login.rename_days", 365, 0, 3650, "days between two changes of a login name"},
	{"qr.ttl_seconds", 120, 30, 600, "seconds a login QR code is valid"},
	{"regcode.ttl_seconds", 7 * DAY, 3600, 30 * DAY, "seconds a hall registration code is valid"},
	{"regcode.max_attempts", 5, 1, 10, "wrong tries that kill a registration code"},
	{"bind.min_level", 4, 0, 5, "real-name level needed for enterprise business"},
	{"bind.cap_default", 20, 1, 1000, "persons who may hold a permission at one enterprise"},
	{"bind.cap_agency_filing", 100, 1, 10000, "persons who may hold agency_filing at one enterprise"},
	{"declpw.min_length", 8, 6, 64, "shortest declaration password"},
	{"declpw.max_length", 20, 8, 128, "longest declaration password"},
	{"declpw.min_classes", 2, 1, 2, "character classes a declaration password needs"},
	{"declpw.enterprise_daily_cap", 20, 1, 1000, "wrong declaration passwords a day, from all persons, that lock an enterprise"},
	{"survival.death_report_working_days", 20, 1, 365, "working days within which a death is reported"},
	{"survival.retirement_age.male", 60, 40, 70, "age below which a male retiree needs early retirement"},
	{"survival.retirement_age.female", 50, 40, 70, "age below which a female retiree needs early retirement"},
	{NULL, 0, 0, 0, NULL},
};

const struct taxid_setting_def *taxid_config_table(void)
{
	return table;
}

const struct taxid_setting_def *taxid_config_find(const char *key)
{
	for (const struct taxid_setting_def *d = table; key && d->key; d++)
		if (strcmp(d->key, key) == 0)
			return d;
	return NULL;
}

/* The stored text of a setting (malloc'd), or NULL when it is not set (or there is no database). */
static char *stored(struct taxid_ctx *ctx, const char *key)
{
	if (!ctx->db)
		return NULL;
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SETTING_GET);
	taxid_q_text(q, 1, key);
	return taxid_q_one_text(q);
}

static void describe(struct taxid_ctx *ctx, const struct taxid_setting_def *d, json_t *o)
{
	char *s = stored(ctx, d->key);
	json_object_set_new(o, "key", json_string(d->key));
	json_object_set_new(o, "value", json_integer(taxid_setting_int(ctx, d->key, d->def)));
	json_object_set_new(o, "default", json_integer(d->def));
	json_object_set_new(o, "min", json_integer(d->min));
	json_object_set_new(o, "max", json_integer(d->max));
	json_object_set_new(o, "set", json_boolean(s != NULL));
	json_object_set_new(o, "help", json_string(d->help));
	free(s);
}

/* The known setting named by the request's "key", or a refusal. */
static const struct taxid_setting_def *wanted(struct taxid_ctx *ctx, json_t *req, enum taxid_code *c)
{
	const char *key = taxid_req_str(ctx, req, "key", 1, c);
	const struct taxid_setting_def *d = key ? taxid_config_find(key) : NULL;
	if (key && !d)
		*c = taxid_fail(ctx, TAXID_E_UNKNOWN_SETTING, "key");
	return d;
}

enum taxid_code taxid_config_list(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	for (const struct taxid_setting_def *d = table; d->key && !c; d++) {
		json_t *row = json_object();
		describe(ctx, d, row);
		c = taxid_emit(ctx, row);
	}
	return c;
}

enum taxid_code taxid_config_get(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const struct taxid_setting_def *d = wanted(ctx, req, &c);
	if (d)
		describe(ctx, d, out);
	return c;
}

enum taxid_code taxid_config_set(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const struct taxid_setting_def *d = wanted(ctx, req, &c);
	if (c)
		return c;
	const char *operator = taxid_req_str(ctx, req, "operator", 0, &c);
	const char *reason = c ? NULL : taxid_req_str(ctx, req, "reason", 0, &c);
	if (c)
		return c;
	if (!operator || !*operator)
		return taxid_fail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator");
	json_t *v = json_object_get(req, "value");
	if (!v || json_is_null(v))
		return taxid_fail(ctx, TAXID_E_MISSING_FIELD, "value");
	long long x = taxid_req_int(ctx, req, "value", 0, &c);
	if (c)
		return c;
	if (x < d->min || x > d->max)
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "value",
					 json_pack("{s:I,s:I}", "min", (json_int_t)d->min, "max", (json_int_t)d->max));
	long long old = taxid_setting_int(ctx, d->key, d->def);
	char *was = stored(ctx, d->key);
	char buf[32];
	snprintf(buf, sizeof buf, "%lld", x);
	if ((c = taxid_setting_set(ctx, d->key, buf))) {
		free(was);
		return c;
	}
	json_t *detail = json_pack("{s:s,s:o,s:I}", "key", d->key, "old", was ? json_integer(old) : json_null(), "new",
				   (json_int_t)x);
	if (reason)
		json_object_set_new(detail, "reason", json_string(reason));
	free(was);
	if ((c = taxid_audit_new(ctx, "config_set", d->key, operator, detail)))
		return c;
	describe(ctx, d, out);
	json_object_set_new(out, "previous", json_integer(old));
	return TAXID_OK;
}
