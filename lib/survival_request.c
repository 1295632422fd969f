/* What every taxid-survival action reads from its request, the subject it names, and how a person is shown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "keys.h"
#include "operator.h"
#include "record.h"
#include "survival_request.h"
#include "verify.h"

taxid_day taxid_survival_today(const struct taxid_ctx *ctx)
{
	return taxid_day_local(ctx->now, ctx->tz_offset);
}

json_t *taxid_survival_doc_json(struct taxid_ctx *ctx, const char *normalized)
{
	char masked[64] = "********";
	if (strlen(normalized) < sizeof masked)
		taxid_mask_doc(normalized, masked);
	if (ctx->reveal) {
		taxid_reveal_subject(ctx, masked);
		return json_string(normalized);
	}
	return json_string(masked);
}

/* A name masked to its first character ("张*", "欧***"), malloc'd: names are personal data too. A one-character
 * name shows nothing of itself ("*"). */
char *taxid_survival_name_mask(const char *name)
{
	size_t n = strlen(name), first = 1, chars = 0;
	while (first < n && ((unsigned char)name[first] & 0xc0) == 0x80)
		first++;
	for (size_t i = first; i < n; i++)
		chars += ((unsigned char)name[i] & 0xc0) != 0x80;
	char *s = malloc(first + chars + 2);
	if (!s)
		return NULL;
	if (chars == 0)
		return strcpy(s, "*");
	memcpy(s, name, first);
	memset(s + first, '*', chars);
	s[first + chars] = 0;
	return s;
}

json_t *taxid_survival_name_json(const struct taxid_ctx *ctx, const char *name)
{
	if (!name)
		return json_null();
	if (ctx->reveal)
		return json_string(name);
	char *s = taxid_survival_name_mask(name);
	json_t *j = s ? json_string(s) : json_null();
	free(s);
	return j;
}

char *taxid_survival_open_doc(const struct taxid_ctx *ctx, int doc_type, const void *blob, size_t len)
{
	char kind[16];
	snprintf(kind, sizeof kind, "doc:%d", doc_type);
	return taxid_pii_open(ctx->keys, kind, blob, len);
}

void taxid_json_set_str(json_t *o, const char *key, const char *s)
{
	json_object_set_new(o, key, s && *s ? json_string(s) : json_null());
}

void taxid_json_set_day(json_t *o, const char *key, taxid_day d)
{
	char b[TAXID_DATE_LEN];
	taxid_day_format(d, b);
	json_object_set_new(o, key, json_string(b));
}

void taxid_json_set_month(json_t *o, const char *key, int m)
{
	char b[TAXID_MONTH_LEN];
	if (m == TAXID_MONTH_NONE) {
		json_object_set_new(o, key, json_null());
		return;
	}
	taxid_month_format(m, b);
	json_object_set_new(o, key, json_string(b));
}

/* The operator of a request: {"id": "...", "role": "specialist" | "officer"}; need_role makes it required. */
enum taxid_code taxid_survival_operator_get(struct taxid_ctx *ctx, json_t *req, const char *need_role, struct taxid_op *op)
{
	enum taxid_code c = TAXID_OK;
	json_t *o = json_object_get(req, "operator");
	op->id = op->role = NULL;
	if (!o || json_is_null(o)) {
		if (need_role)
			return taxid_fail_detail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator", json_pack("{s:s}", "role", need_role));
		return TAXID_OK;
	}
	if (!json_is_object(o))
		return taxid_fail(ctx, TAXID_E_BAD_TYPE, "operator");
	op->id = taxid_req_str(ctx, o, "id", 1, &c);
	op->role = c ? NULL : taxid_req_str(ctx, o, "role", 1, &c);
	if (c) {
		ctx->err_field = "operator";
		return c;
	}
	if (strcmp(op->role, "specialist") != 0 && strcmp(op->role, "officer") != 0)
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "operator", json_pack("{s:s}", "member", "role"));
	if (need_role && strcmp(op->role, need_role) != 0)
		return taxid_fail_detail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator", json_pack("{s:s}", "role", need_role));
	return TAXID_OK;
}

/* An operator action (SECURITY rule 31): the operator is required, with need_role when given, else any role. */
enum taxid_code taxid_survival_operator_need(struct taxid_ctx *ctx, json_t *req, const char *need_role, struct taxid_op *op)
{
	enum taxid_code c = taxid_survival_operator_get(ctx, req, need_role, op);
	if (!c && !op->id)
		c = taxid_fail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator");
	return c;
}

/* A calendar day member: "YYYY-MM-DD", or an RFC 3339 instant taken in the operator's zone. */
enum taxid_code taxid_survival_req_day(struct taxid_ctx *ctx, json_t *req, const char *key, int required, int *present, taxid_day *d)
{
	enum taxid_code c = TAXID_OK;
	const char *s = taxid_req_str(ctx, req, key, required, &c);
	*present = s != NULL;
	if (!s)
		return c;
	int64_t t;
	if (strlen(s) == 10 ? taxid_day_parse(s, d) == 0 : taxid_time_parse(s, &t) == 0) {
		if (strlen(s) != 10) {
			*d = taxid_day_local(t, ctx->tz_offset);
		}
		return TAXID_OK;
	}
	return taxid_fail(ctx, TAXID_E_BAD_VALUE, key);
}

/* A day member that may not be in the future; def when absent. */
enum taxid_code taxid_survival_req_past_day(struct taxid_ctx *ctx, json_t *req, const char *key, int required, taxid_day def,
				    taxid_day *d)
{
	int present;
	enum taxid_code c = taxid_survival_req_day(ctx, req, key, required, &present, d);
	if (c)
		return c;
	if (!present)
		*d = def;
	else if (*d > taxid_survival_today(ctx))
		return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, key, json_pack("{s:s}", "reason", "in_the_future"));
	return TAXID_OK;
}

/* One of words[], or def when absent. */
enum taxid_code taxid_survival_req_word(struct taxid_ctx *ctx, json_t *req, const char *key, const char *const *words,
				const char *def, const char **out)
{
	enum taxid_code c = TAXID_OK;
	const char *s = taxid_req_str(ctx, req, key, def == NULL, &c);
	if (c)
		return c;
	if (!s) {
		*out = def;
		return TAXID_OK;
	}
	for (int i = 0; words[i]; i++)
		if (strcmp(words[i], s) == 0) {
			*out = words[i];
			return TAXID_OK;
		}
	json_t *allowed = json_array();
	for (int i = 0; words[i]; i++)
		json_array_append_new(allowed, json_string(words[i]));
	return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, key, json_pack("{s:o}", "allowed", allowed));
}

int taxid_survival_region_ok(const char *r)
{
	return r && strlen(r) == 6 && strspn(r, "0123456789") == 6 && taxid_region_province_ok(r);
}

/* Insurance types: a code or its Chinese name; class "employee" or "resident" decides duplicates. */
static const struct taxid_insurance insurances[] = {
	{"enterprise", "employee", {"企业职工基本养老保险", "企业职工养老保险", "enterprise_employee"}},
	{"institution", "employee", {"机关事业单位养老保险", "机关事业单位基本养老保险", "public_institution"}},
	{"resident", "resident", {"城乡居民基本养老保险", "城乡居民养老保险", "urban_rural_resident"}},
	{NULL, NULL, {NULL, NULL, NULL}},
};

const struct taxid_insurance *taxid_insurance_find(const char *s)
{
	for (const struct taxid_insurance *i = insurances; s && i->code; i++) {
		if (strcmp(i->code, s) == 0)
			return i;
		for (int k = 0; k < 3; k++)
			if (strcmp(i->zh[k], s) == 0)
				return i;
	}
	return NULL;
}

void taxid_subject_clear(struct taxid_subject *s)
{
	taxid_person_clear(&s->person);
	taxid_pensioner_clear(&s->p);
}

enum taxid_code taxid_subject_facts(struct taxid_ctx *ctx, long long person_id, struct taxid_subject *s)
{
	struct taxid_q *q = taxid_q(ctx, TAXID_SQL_SURV_PERSON_FACTS);
	taxid_q_int(q, 1, person_id);
	int row = taxid_q_step(q);
	if (row) {
		taxid_col_copy(q, 0, s->birth, sizeof s->birth);
		const char *sx = taxid_q_col_text(q, 1);
		s->sex = sx ? sx[0] : 0;
		s->has_photo = !taxid_q_is_null(q, 2);
	}
	enum taxid_code c = taxid_q_end(q);
	return c ? c : row ? TAXID_OK : TAXID_E_NOT_FOUND;
}

int taxid_subject_birth_month(const struct taxid_subject *s)
{
	taxid_day b;
	return taxid_day_parse(s->birth, &b) ? 0 : taxid_day_month(b) % 12 + 1;
}

/* Find the enrolled pensioner a request names by doc_type/doc_no (and name, compared exactly after safe
 * normalisation). Not enrolled: missing (no_certification_needed for the person's own actions, not_found for an
 * operator's). The masked document goes into out. */
enum taxid_code taxid_subject_load(struct taxid_ctx *ctx, json_t *req, json_t *out, int name_required,
				    enum taxid_code missing, struct taxid_subject *s)
{
	memset(s, 0, sizeof *s);
	enum taxid_code c = taxid_verify_document(ctx, req, "doc_type", "doc_no", &s->t, &s->info);
	if (c)
		return c;
	json_object_set_new(out, "doc_type", json_string(taxid_ids_doc_name(s->t)));
	json_object_set_new(out, "doc_no", taxid_survival_doc_json(ctx, s->info.normalized));
	const char *name = taxid_req_str(ctx, req, "name", name_required, &c);
	if (c)
		return c;
	c = taxid_person_find_doc(ctx, s->t, s->info.normalized, &s->person);
	if (c == TAXID_E_NOT_FOUND)
		return taxid_fail_detail(ctx, missing, "doc_no", json_pack("{s:s}", "reason", "not_enrolled"));
	if (c)
		return c;
	c = taxid_pensioner_load(ctx, TAXID_SQL_SURV_PENSIONER_BY_PERSON, s->person.id, &s->p);
	if (c == TAXID_E_NOT_FOUND)
		return taxid_fail_detail(ctx, missing, "doc_no", json_pack("{s:s}", "reason", "not_enrolled"));
	if (c)
		return c;
	/* Enrolment first, then the name: who is not enrolled learns nothing about the registry's names. */
	if (name && !taxid_name_equal(name, s->person.name))
		return taxid_fail(ctx, TAXID_E_IDENTITY_MISMATCH, "name");
	json_object_set_new(out, "pensioner", json_integer(s->p.id));
	return taxid_subject_facts(ctx, s->person.id, s);
}

enum taxid_code taxid_survival_req_as_of(struct taxid_ctx *ctx, json_t *req, taxid_day *d)
{
	int present;
	enum taxid_code c = taxid_survival_req_day(ctx, req, "as_of", 0, &present, d);
	if (!c && !present)
		*d = taxid_survival_today(ctx);
	return c;
}

enum taxid_code taxid_survival_req_region(struct taxid_ctx *ctx, json_t *req, const char **region)
{
	enum taxid_code c = TAXID_OK;
	*region = taxid_req_str(ctx, req, "region", 0, &c);
	if (!c && *region && !taxid_survival_region_ok(*region))
		c = taxid_fail(ctx, TAXID_E_BAD_VALUE, "region");
	return c;
}
