/* Operators: every action an operator (not the person) performs names its operator, who is audited as the
 * actor (SECURITY rule 31). --reveal is such an action too: its audit row names who revealed and whom. */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "operator.h"
#include "record.h"

#define REVEAL_SUBJECTS_MAX 1000

const char *taxid_operator(struct taxid_ctx *ctx, json_t *req, enum taxid_code *err)
{
	json_t *v = json_object_get(req, "operator");
	if (!v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0)) {
		*err = taxid_fail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator");
		return NULL;
	}
	const char *op = taxid_req_str(ctx, req, "operator", 1, err);
	if (op && strlen(op) > TAXID_OPERATOR_MAX) {
		*err = taxid_fail(ctx, TAXID_E_BAD_VALUE, "operator");
		return NULL;
	}
	return op;
}

static int operator_text_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > TAXID_OPERATOR_MAX)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

const char *taxid_reveal_operator(struct taxid_ctx *ctx, json_t *req, enum taxid_code *err)
{
	json_t *v = json_object_get(req, "operator");
	if (json_is_object(v)) /* taxid-survival's {"id": ..., "role": ...} */
		v = json_object_get(v, "id");
	const char *op = json_is_string(v) ? json_string_value(v) : NULL;
	if (!op || !*op)
		op = getenv("TAXID_OPERATOR");
	if (!op || !*op) {
		*err = taxid_fail_detail(ctx, TAXID_E_OPERATOR_REQUIRED, "operator", json_pack("{s:s}", "for", "reveal"));
		return NULL;
	}
	json_t *utf8 = json_string(op); /* NULL unless valid UTF-8 */
	int ok = utf8 && operator_text_ok(op);
	json_decref(utf8);
	if (!ok) {
		*err = taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, "operator", json_pack("{s:s}", "for", "reveal"));
		return NULL;
	}
	return op;
}

void taxid_reveal_subject(struct taxid_ctx *ctx, const char *masked)
{
	if (!ctx->reveal || !masked || !*masked)
		return;
	if (!ctx->reveal_subjects)
		ctx->reveal_subjects = json_array();
	size_t i;
	json_t *e;
	if (json_array_size(ctx->reveal_subjects) >= REVEAL_SUBJECTS_MAX) { /* a long list: the rest are counted */
		ctx->reveal_more++;
		return;
	}
	json_array_foreach(ctx->reveal_subjects, i, e) if (strcmp(json_string_value(e), masked) == 0) return;
	json_array_append_new(ctx->reveal_subjects, json_string(masked));
}

enum taxid_code taxid_reveal_audit(struct taxid_ctx *ctx, const char *operator, const char *action, long line)
{
	json_t *subjects = ctx->reveal_subjects ? ctx->reveal_subjects : json_array();
	ctx->reveal_subjects = NULL;
	size_t n = json_array_size(subjects);
	/* one subject names the row; several (a list) are all in the detail */
	const char *subject = n == 1 ? json_string_value(json_array_get(subjects, 0)) : NULL;
	json_t *d = json_pack("{s:s,s:I,s:O}", "action", action, "line", (json_int_t)line, "subjects", subjects);
	if (ctx->reveal_more)
		json_object_set_new(d, "more_subjects", json_integer(ctx->reveal_more));
	ctx->reveal_more = 0;
	enum taxid_code c = taxid_audit_new(ctx, "reveal", subject, operator, d);
	json_decref(subjects);
	return c;
}
