/* taxid-verify's work: identifiers, identity claims against the registry, bank checks, verdicts, SMS codes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "challenge.h"
#include "clock.h"
#include "crypto.h"
#include "db.h"
#include "keys.h"
#include "person.h"
#include "operator.h"
#include "record.h"
#include "verdict.h"
#include "verify.h"

void taxid_verify_opts(struct taxid_ctx *ctx, json_t *req, struct taxid_ids_opts *o)
{
	enum taxid_code ignore = TAXID_OK;
	memset(o, 0, sizeof *o);
	o->today = taxid_local_ymd(ctx->now, ctx->tz_offset);
	o->strict_region = taxid_req_bool(ctx, req, "strict_region", (int)taxid_setting_int(ctx, "ids.strict_region", 0), &ignore);
	o->strict_segment =
		taxid_req_bool(ctx, req, "strict_segment", (int)taxid_setting_int(ctx, "ids.strict_segment", 0), &ignore);
	o->luhn_warning_only =
		taxid_req_bool(ctx, req, "luhn_warning", (int)taxid_setting_int(ctx, "ids.luhn_warning_only", 0), &ignore);
}

static json_t *warnings(const struct taxid_id_info *info)
{
	json_t *a = json_array();
	for (int i = 0; i < info->nwarnings; i++)
		json_array_append_new(a, json_string(info->warnings[i]));
	return a;
}

static json_t *region_build(const char *code, const struct taxid_region *r)
{
	json_t *o = json_pack("{s:s}", "code", code);
	if (!r)
		return o;
	json_object_set_new(o, "province", json_string(r->province));
	json_t *names = json_array();
	const char *s = r->names;
	while (*s) {
		const char *e = strchr(s, ',');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		json_array_append_new(names, json_stringn(s, n));
		s += n + (e != NULL);
	}
	json_object_set_new(o, "names", names);
	return o;
}

/* A region's description, built once per known region and shared by every result that names it (results are
 * only written out, never changed; issue 17: building it for each request was 7% of taxid-verify's time). */
static json_t **region_cache;

static json_t *region_json(const char *code)
{
	const struct taxid_region *r = taxid_region_find(code);
	if (!r)
		return region_build(code, NULL);
	size_t i = (size_t)(r - taxid_region_at(0));
	if (!region_cache)
		region_cache = calloc(taxid_region_count(), sizeof *region_cache);
	if (!region_cache)
		return region_build(code, r);
	if (!region_cache[i])
		region_cache[i] = region_build(code, r);
	return json_incref(region_cache[i]);
}

enum taxid_code taxid_verify_document(struct taxid_ctx *ctx, json_t *req, const char *type_field, const char *no_field,
				      enum taxid_doc_type *t, struct taxid_id_info *info)
{
	enum taxid_code c = TAXID_OK;
	json_t *jt = json_object_get(req, type_field);
	char tbuf[16];
	const char *ts = NULL;
	if (json_is_integer(jt)) { /* 201 as a number is as good as "201" */
		snprintf(tbuf, sizeof tbuf, "%lld", (long long)json_integer_value(jt));
		ts = tbuf;
	} else {
		ts = taxid_req_str(ctx, req, type_field, 1, &c);
	}
	const char *no = ts ? taxid_req_str(ctx, req, no_field, 1, &c) : NULL;
	if (c)
		return c;
	*t = taxid_ids_doc_type(ts);
	if (*t == TAXID_DOC_UNKNOWN)
		return taxid_fail(ctx, TAXID_E_UNKNOWN_DOC_TYPE, type_field);
	struct taxid_ids_opts o;
	taxid_verify_opts(ctx, req, &o);
	memset(info, 0, sizeof *info);
	c = taxid_ids_check_document(*t, no, strlen(no), &o, info);
	return c ? taxid_fail(ctx, c, no_field) : TAXID_OK;
}

/* The values most results share, each made once like the regions' (a result is only written out): the
 * document type's name and code, the sex, the age, the mainland nationality, no warnings. */
#define SHARED(slot, make) ((slot) ? json_incref(slot) : json_incref((slot) = (make)))
static json_t *doc_names[100], *doc_codes[100], *sexes[2], *ages[151], *chn, *no_warnings;

void taxid_verify_describe(struct taxid_ctx *ctx, enum taxid_doc_type t, const struct taxid_id_info *info, json_t *out)
{
	char masked[sizeof info->normalized];
	int ti = t > 200 && t < 300 ? t - 200 : 0;
	taxid_mask_doc(info->normalized, masked);
	json_object_set_new_nocheck(out, "valid", json_true());
	json_object_set_new_nocheck(out, "doc_type", ti ? SHARED(doc_names[ti], json_string(taxid_ids_doc_name(t)))
							: json_string(taxid_ids_doc_name(t)));
	json_object_set_new_nocheck(out, "doc_type_code",
				    ti ? SHARED(doc_codes[ti], json_integer((json_int_t)t)) : json_integer((json_int_t)t));
	json_object_set_new_nocheck(out, "doc_no", json_string(ctx->reveal ? info->normalized : masked));
	taxid_reveal_subject(ctx, masked);
	if (info->birth_date[0]) {
		int y, m, d;
		json_object_set_new_nocheck(out, "birth_date", json_string(info->birth_date));
		if (!taxid_date_parse(info->birth_date, &y, &m, &d)) {
			int age = taxid_age_years(y * 10000 + m * 100 + d, taxid_local_ymd(ctx->now, ctx->tz_offset));
			json_object_set_new_nocheck(out, "age", age >= 0 && age <= 150 ? SHARED(ages[age], json_integer(age))
										    : json_integer(age));
		}
	}
	if (info->sex == 'M' || info->sex == 'F')
		json_object_set_new_nocheck(out, "sex", SHARED(sexes[info->sex == 'F'], json_stringn(&info->sex, 1)));
	else if (info->sex)
		json_object_set_new_nocheck(out, "sex", json_stringn(&info->sex, 1));
	if (info->region[0])
		json_object_set_new_nocheck(out, "region", region_json(info->region));
	if (strcmp(info->nationality, "CHN") == 0)
		json_object_set_new_nocheck(out, "nationality", SHARED(chn, json_string("CHN")));
	else if (info->nationality[0])
		json_object_set_new_nocheck(out, "nationality", json_string(info->nationality));
	json_object_set_new_nocheck(out, "warnings", info->nwarnings ? warnings(info) : SHARED(no_warnings, json_array()));
}

enum taxid_code taxid_verify_identity(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_doc_type t;
	struct taxid_id_info info;
	enum taxid_code c = taxid_verify_document(ctx, req, "doc_type", "doc_no", &t, &info);
	const char *name = c ? NULL : taxid_req_str(ctx, req, "name", 0, &c);
	const char *nat = c ? NULL : taxid_req_str(ctx, req, "nationality", 0, &c);
	if (c) {
		json_object_set_new(out, "valid", json_false());
		return c;
	}
	if (nat) {
		char up[4] = {0};
		for (int i = 0; i < 3 && nat[i]; i++)
			up[i] = (char)(nat[i] >= 'a' && nat[i] <= 'z' ? nat[i] - 32 : nat[i]);
		if (strlen(nat) != 3 || !taxid_country_known_alpha3(up)) {
			json_object_set_new(out, "valid", json_false());
			return taxid_fail(ctx, TAXID_E_UNKNOWN_COUNTRY, "nationality");
		}
		if (info.nationality[0] && strcmp(up, info.nationality) != 0) {
			json_object_set_new(out, "valid", json_false());
			return taxid_fail_detail(ctx, TAXID_E_WRONG_DOC_TYPE, "nationality",
						 json_pack("{s:s}", "number_carries", info.nationality));
		}
		if (!info.nationality[0])
			memcpy(info.nationality, up, 4);
	}
	taxid_verify_describe(ctx, t, &info, out);
	if (!ctx->db)
		return TAXID_OK;
	struct taxid_person p;
	c = taxid_person_find_doc(ctx, t, info.normalized, &p);
	if (c == TAXID_E_NOT_FOUND) {
		json_object_set_new(out, "known", json_false());
		return TAXID_OK;
	}
	if (c)
		return c;
	json_object_set_new(out, "known", json_true());
	json_object_set_new(out, "registered", json_boolean(p.has_account));
	json_object_set_new(out, "level", json_integer(p.level));
	if (p.abnormal) {
		json_object_set_new(out, "valid", json_false());
		c = taxid_fail_detail(ctx, TAXID_E_IDENTITY_ABNORMAL, "doc_no",
				      p.abnormal_reason ? json_pack("{s:s}", "reason", p.abnormal_reason) : NULL);
	} else if (name && !taxid_name_equal(name, p.name)) {
		json_object_set_new(out, "valid", json_false());
		c = taxid_fail(ctx, TAXID_E_NAME_MISMATCH, "name");
	}
	taxid_person_clear(&p);
	return c;
}

typedef enum taxid_code (*value_check)(const char *, size_t, const struct taxid_ids_opts *, struct taxid_id_info *);

static enum taxid_code check_value(struct taxid_ctx *ctx, json_t *req, json_t *out, value_check fn,
				   void (*mask)(const char *, char *))
{
	enum taxid_code c = TAXID_OK;
	const char *v = taxid_req_str(ctx, req, "value", 1, &c);
	struct taxid_id_info info;
	struct taxid_ids_opts o;
	memset(&info, 0, sizeof info);
	if (!c) {
		taxid_verify_opts(ctx, req, &o);
		c = fn(v, strlen(v), &o, &info);
		if (c)
			c = taxid_fail(ctx, c, "value");
	}
	json_object_set_new(out, "valid", json_boolean(!c));
	if (c)
		return c;
	char masked[sizeof info.normalized];
	if (mask) {
		mask(info.normalized, masked);
		taxid_reveal_subject(ctx, masked);
	}
	json_object_set_new(out, "value", json_string(mask && !ctx->reveal ? masked : info.normalized));
	if (info.region[0])
		json_object_set_new(out, "region", region_json(info.region));
	json_object_set_new(out, "warnings", warnings(&info));
	return TAXID_OK;
}

enum taxid_code taxid_verify_uscc(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	return check_value(ctx, req, out, taxid_ids_check_uscc, NULL);
}

/* A taxpayer number is an enterprise's, except the legacy 20-character one: a resident ID number and two
 * digits, masked as the document it holds. */
static void mask_tin(const char *in, char *out)
{
	size_t n = strlen(in);
	if (n != 20) {
		memcpy(out, in, n + 1);
		return;
	}
	char ric[19];
	memcpy(ric, in, 18);
	ric[18] = '\0';
	taxid_mask_doc(ric, out);
	strcat(out, in + 18);
}

enum taxid_code taxid_verify_tin(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	return check_value(ctx, req, out, taxid_ids_check_tin, mask_tin);
}

enum taxid_code taxid_verify_bank_card(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	return check_value(ctx, req, out, taxid_ids_check_bank_card, taxid_mask_card);
}

enum taxid_code taxid_verify_mobile(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	return check_value(ctx, req, out, taxid_ids_check_mobile, taxid_mask_phone);
}

static int same_digest(const char *hex, const char *value)
{
	unsigned char h[32];
	char mine[65];
	taxid_sha256(value, strlen(value), h);
	for (int i = 0; i < 32; i++)
		snprintf(mine + 2 * i, 3, "%02x", h[i]);
	return strlen(hex) == 64 && strncasecmp(hex, mine, 64) == 0;
}

enum taxid_code taxid_verify_bank_verdict(struct taxid_ctx *ctx, json_t *wire, const char *field, const char *doc_no,
					  const char *card, const char *phone, struct taxid_verdict *v)
{
	enum taxid_code c = taxid_verdict_check(ctx, wire, "bank", doc_no, 1, field, v);
	if (c)
		return c;
	/* A bank's word counts only for the card (and phone) it judged: one verdict must not pass any card. */
	if (!same_digest(v->card_sha256, card))
		return taxid_fail_detail(ctx, TAXID_E_BANK_MISMATCH, "card", json_pack("{s:s}", "reason", "verdict_not_for_this_card"));
	if (phone) {
		int factors = v->factors ? v->factors : 3;
		if (factors < 4)
			return taxid_fail_detail(ctx, TAXID_E_BANK_MISMATCH, "phone",
						 json_pack("{s:i,s:i}", "factors_checked", factors, "factors_needed", 4));
		if (!same_digest(v->phone_sha256, phone))
			return taxid_fail_detail(ctx, TAXID_E_BANK_MISMATCH, "phone",
						 json_pack("{s:s}", "reason", "verdict_not_for_this_phone"));
	}
	return TAXID_OK;
}

/* The 3/4-factor bank-card check: every factor is validated here, the bank's signed verdict decides. */
enum taxid_code taxid_verify_bank(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *name = taxid_req_str(ctx, req, "name", 1, &c);
	const char *card = c ? NULL : taxid_req_str(ctx, req, "card", 1, &c);
	const char *phone = c ? NULL : taxid_req_str(ctx, req, "phone", 0, &c);
	if (c)
		return c;
	if (!json_object_get(req, "doc_type"))
		json_object_set_new(req, "doc_type", json_string("resident_id"));
	enum taxid_doc_type t;
	struct taxid_id_info doc, cd, ph;
	struct taxid_ids_opts o;
	if ((c = taxid_verify_document(ctx, req, "doc_type", "doc_no", &t, &doc)))
		return c;
	taxid_verify_opts(ctx, req, &o);
	memset(&cd, 0, sizeof cd);
	memset(&ph, 0, sizeof ph);
	if ((c = taxid_ids_check_bank_card(card, strlen(card), &o, &cd)))
		return taxid_fail(ctx, c, "card");
	if (phone && (c = taxid_ids_check_mobile(phone, strlen(phone), &o, &ph)))
		return taxid_fail(ctx, c, "phone");
	int factors = phone ? 4 : 3;
	struct taxid_person p;
	c = taxid_person_find_doc(ctx, t, doc.normalized, &p);
	if (c == TAXID_OK) {
		int abnormal = p.abnormal, same = taxid_name_equal(name, p.name);
		taxid_person_clear(&p);
		if (abnormal)
			return taxid_fail(ctx, TAXID_E_IDENTITY_ABNORMAL, "doc_no");
		if (!same)
			return taxid_fail(ctx, TAXID_E_NAME_MISMATCH, "name");
	} else if (c != TAXID_E_NOT_FOUND) {
		return c;
	}
	struct taxid_verdict v;
	if ((c = taxid_verify_bank_verdict(ctx, json_object_get(req, "bank"), "bank", doc.normalized, cd.normalized,
					   phone ? ph.normalized : NULL, &v)))
		return c;
	char masked[sizeof cd.normalized];
	taxid_mask_card(cd.normalized, masked);
	json_object_set_new(out, "factors", json_integer(factors));
	json_object_set_new(out, "card", json_string(ctx->reveal ? cd.normalized : masked));
	taxid_reveal_subject(ctx, masked);
	json_object_set_new(out, "verdict", taxid_verdict_json(&v));
	json_t *d = json_pack("{s:i,s:s,s:s}", "factors", factors, "result", v.result, "issuer", v.issuer);
	c = taxid_audit(ctx, "bank_check", masked, NULL, d); /* detail is borrowed */
	json_decref(d);
	if (c)
		return c;
	if (!taxid_verdict_passed(ctx, &v)) {
		static const char *const known[] = {"name", "doc_no", "card", "phone", NULL};
		const char *field = "card";
		for (int i = 0; known[i]; i++)
			if (strcmp(v.mismatch, known[i]) == 0)
				field = known[i];
		taxid_keep_changes(ctx); /* the verdict's nonce is spent and the failure audited */
		return taxid_fail(ctx, TAXID_E_BANK_MISMATCH, field);
	}
	return TAXID_OK;
}

enum taxid_code taxid_verify_attest(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	const char *kind = taxid_req_str(ctx, req, "kind", 1, &c);
	const char *subject = c ? NULL : taxid_req_str(ctx, req, "subject", 0, &c);
	int consume = c ? 0 : taxid_req_bool(ctx, req, "consume", 0, &c);
	if (c)
		return c;
	struct taxid_verdict v;
	if ((c = taxid_verdict_check(ctx, json_object_get(req, "verdict"), kind, subject, consume, "verdict", &v)))
		return c;
	json_object_set_new(out, "verdict", taxid_verdict_json(&v));
	json_object_set_new(out, "passed", json_boolean(taxid_verdict_passed(ctx, &v)));
	json_object_set_new(out, "consumed", json_boolean(consume));
	if (!consume)
		return TAXID_OK;
	json_t *d = json_pack("{s:s}", "kind", v.kind);
	c = taxid_audit(ctx, "verdict_consume", v.issuer, NULL, d); /* detail is borrowed */
	json_decref(d);
	return c;
}

static enum taxid_code sms_phone(struct taxid_ctx *ctx, json_t *req, int required, struct taxid_id_info *ph)
{
	enum taxid_code c = TAXID_OK;
	const char *phone = taxid_req_str(ctx, req, "phone", required, &c);
	if (c || !phone)
		return c;
	struct taxid_ids_opts o;
	taxid_verify_opts(ctx, req, &o);
	memset(ph, 0, sizeof *ph);
	c = taxid_ids_check_mobile(phone, strlen(phone), &o, ph);
	return c ? taxid_fail(ctx, c, "phone") : TAXID_OK;
}

static enum taxid_code sms_purpose(struct taxid_ctx *ctx, json_t *req, const char **purpose)
{
	enum taxid_code c = TAXID_OK;
	*purpose = taxid_req_str(ctx, req, "purpose", 1, &c);
	if (c)
		return c;
	size_t n = strlen(*purpose);
	if (n > 32 || strspn(*purpose, "abcdefghijklmnopqrstuvwxyz_") != n || taxid_sms_purpose_class(*purpose) < 0)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "purpose"); /* unknown purposes too (issue 10) */
	return TAXID_OK;
}

enum taxid_code taxid_verify_sms_send(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_id_info ph;
	const char *purpose;
	enum taxid_code c = sms_purpose(ctx, req, &purpose);
	if (!c)
		c = sms_phone(ctx, req, 1, &ph);
	return c ? c : taxid_sms_send(ctx, ph.normalized, purpose, out);
}

enum taxid_code taxid_verify_sms_check(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_id_info ph;
	const char *purpose;
	ph.normalized[0] = 0;
	enum taxid_code c = sms_purpose(ctx, req, &purpose);
	if (!c)
		c = sms_phone(ctx, req, 0, &ph);
	/* Type-check the members here so a refusal names the right one (a number is not a code: 012345). */
	if (!c)
		taxid_req_str(ctx, req, "challenge", 1, &c);
	if (!c)
		taxid_req_str(ctx, req, "code", 1, &c);
	if (c)
		return c;
	json_t *sms = json_pack("{s:O?,s:O?}", "challenge", json_object_get(req, "challenge"), "code",
				json_object_get(req, "code"));
	c = taxid_sms_check(ctx, sms, ph.normalized[0] ? ph.normalized : NULL, purpose, "code");
	json_decref(sms);
	if (!c)
		json_object_set_new(out, "purpose", json_string(purpose));
	return c;
}

enum taxid_code taxid_verify_sms_outbox(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	long long limit = taxid_req_int(ctx, req, "limit", 1000, &c);
	if (c)
		return c;
	if (limit < 1)
		return taxid_fail(ctx, TAXID_E_BAD_VALUE, "limit");
	/* Collect first, then mark: the statement cache holds one cursor per statement. */
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_OUTBOX_PENDING);
	taxid_q_int(q, 1, limit);
	json_t *rows = json_array();
	while (taxid_q_step(q)) {
		size_t n;
		const void *blob = taxid_q_col_blob(q, 2, &n);
		char *to = taxid_pii_open(ctx->keys, "outbox.to", blob, n);
		blob = taxid_q_col_blob(q, 3, &n);
		char *body = taxid_pii_open(ctx->keys, "outbox.body", blob, n);
		char at[TAXID_TIME_LEN];
		taxid_time_format(taxid_q_col_int(q, 4), at);
		if (to && body)
			json_array_append_new(rows, json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)taxid_q_col_int(q, 0),
							      "channel", taxid_q_col_text(q, 1), "to", to, "body", body,
							      "created_at", at));
		if (body)
			taxid_wipe(body, strlen(body));
		free(to);
		free(body);
	}
	if ((c = taxid_q_end(q))) {
		json_decref(rows);
		return c;
	}
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		q = taxid_q(ctx, TAXID_SQL_OUTBOX_DELIVERED);
		taxid_q_int(q, 1, json_integer_value(json_object_get(row, "id")));
		taxid_q_int(q, 2, ctx->now);
		if ((c = taxid_q_exec(q)))
			break;
	}
	if (!c && json_array_size(rows)) {
		json_t *d = json_pack("{s:I}", "messages", (json_int_t)json_array_size(rows));
		c = taxid_audit(ctx, "outbox_drain", NULL, NULL, d); /* detail is borrowed */
		json_decref(d);
	}
	/* Rows are printed only once their delivery is recorded in this transaction; the loop commits after. */
	json_array_foreach(rows, i, row) if (!c) c = taxid_emit(ctx, json_incref(row));
	json_decref(rows);
	return c;
}

/* taxid-verify audit: the chain's check turned into the answer; req may ask for the head ("head": true) or
 * prove an anchor is still there ("anchor": "ID:HEX"). */
enum taxid_code taxid_verify_audit(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	enum taxid_code c = TAXID_OK;
	int want_head = taxid_req_bool(ctx, req, "head", 0, &c);
	const char *anchor = c ? NULL : taxid_req_str(ctx, req, "anchor", 0, &c);
	struct taxid_audit_check w;
	if (c)
		return c;
	if ((c = taxid_audit_verify(ctx, anchor, &w)))
		return c == TAXID_E_BAD_VALUE ? taxid_fail(ctx, c, "anchor") : c;
	json_object_set_new(out, "rows", json_integer(w.rows));
	if (w.broken) {
		json_t *d = json_pack("{s:I,s:s}", "broken_at", (json_int_t)w.broken, "reason", w.why);
		return taxid_fail_detail(ctx, TAXID_E_AUDIT_BROKEN, NULL, d);
	}
	json_object_set_new(out, "chain", json_string("intact"));
	if (anchor && !w.anchor_found) {
		json_t *d = json_pack("{s:I}", "anchor_id", (json_int_t)w.anchor_id);
		return taxid_fail_detail(ctx, TAXID_E_ANCHOR_MISMATCH, "anchor", d);
	}
	if (anchor)
		json_object_set_new(out, "anchor", json_string("present"));
	if (want_head) {
		char *hex = w.rows ? taxid_hex_encode(w.head, 32) : NULL;
		json_object_set_new(out, "id", json_integer(w.last_id));
		json_object_set_new(out, "hash", hex ? json_string(hex) : json_null());
		free(hex);
	}
	return TAXID_OK;
}
