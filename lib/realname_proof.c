/* The online proofs of identity of a registration or a supplement: face, a bank's four-factor verdict, a registry
 * verdict. The bank verdict is checked by taxid-verify bank's own code (taxid_verify_bank_verdict). */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "realname_proof.h"
#include "record.h"
#include "verdict.h"
#include "verify.h"

static const char *const methods[] = {"face", "bank", "registry", NULL};

int taxid_proof_method(const char *method)
{
	for (int i = 0; methods[i]; i++)
		if (strcmp(method, methods[i]) == 0)
			return 1;
	return 0;
}

/* face_any: a face for every document type (a supplement's reference photo), else for resident ID cards only. */
static enum taxid_code read_method(struct taxid_ctx *ctx, json_t *req, const char *method, const struct taxid_claim *cl,
				   int face_any, struct taxid_proof *p)
{
	memset(p, 0, sizeof *p);
	p->method = method;
	/* Face registration compares with the police portraits of resident ID cards; a bank or the registry knows
	 * every document that registers online (seed 003 Q6); the four hall-only types stay hall-only. */
	int face = strcmp(method, "face") == 0;
	if (face ? !face_any && cl->type != TAXID_DOC_RESIDENT_ID : taxid_ids_hall_only(cl->type))
		return taxid_fail_detail(ctx, TAXID_E_DOC_TYPE_NOT_ALLOWED, "doc_type", json_pack("{s:s}", "method", method));
	p->wire = json_object_get(req, method);
	if (!p->wire || json_is_null(p->wire))
		return taxid_fail(ctx, TAXID_E_MISSING_FIELD, method);
	if (strcmp(method, "bank") != 0)
		return TAXID_OK;
	enum taxid_code c = TAXID_OK;
	const char *card = taxid_req_str(ctx, req, "card", 1, &c);
	if (c)
		return c;
	struct taxid_ids_opts o;
	taxid_verify_opts(ctx, req, &o);
	c = taxid_ids_check_bank_card(card, strlen(card), &o, &p->card);
	return c ? taxid_fail(ctx, c, "card") : TAXID_OK;
}

enum taxid_code taxid_proof_read(struct taxid_ctx *ctx, json_t *req, const char *method, const struct taxid_claim *cl,
				 struct taxid_proof *p)
{
	return read_method(ctx, req, method, cl, 0, p);
}

enum taxid_code taxid_proof_read_any(struct taxid_ctx *ctx, json_t *req, const struct taxid_claim *cl,
				     struct taxid_proof *p)
{
	const char *given = NULL;
	memset(p, 0, sizeof *p);
	for (int i = 0; methods[i]; i++) {
		json_t *v = json_object_get(req, methods[i]);
		if (!v || json_is_null(v))
			continue;
		if (given)
			return taxid_fail_detail(ctx, TAXID_E_BAD_VALUE, methods[i],
						 json_pack("{s:[sss]}", "one_of", "face", "bank", "registry"));
		given = methods[i];
	}
	return given ? read_method(ctx, req, given, cl, 1, p) : TAXID_OK;
}

enum taxid_code taxid_proof_check(struct taxid_ctx *ctx, const struct taxid_proof *p, const struct taxid_claim *cl,
				  const char *phone, const char *action, char photo[TAXID_PHOTO_REF_LEN])
{
	struct taxid_verdict v;
	int bank = strcmp(p->method, "bank") == 0;
	const char *doc = cl->info.normalized;
	photo[0] = 0;
	/* A bank's word binds the card and the bank-reserved phone: four factors, always. */
	enum taxid_code c = bank ? taxid_verify_bank_verdict(ctx, p->wire, "bank", doc, p->card.normalized, phone, &v)
				 : taxid_verdict_check(ctx, p->wire, p->method, doc, 1, p->method, &v);
	if (c)
		return c;
	if (!taxid_verdict_passed(ctx, &v)) {
		char what[24];
		snprintf(what, sizeof what, "%s_failed", p->method);
		json_t *d = json_pack("{s:s,s:s,s:s}", "action", action, "issuer", v.issuer, "result", v.result);
		c = taxid_audit(ctx, what, cl->masked, NULL, d); /* detail is borrowed */
		json_decref(d);
		if (c)
			return c;
		taxid_keep_changes(ctx); /* the nonce stays spent, the failure audited */
		if (bank)
			return taxid_fail_detail(ctx, TAXID_E_BANK_MISMATCH, "bank",
						 v.mismatch[0] ? json_pack("{s:s}", "mismatch", v.mismatch) : NULL);
		return taxid_fail(ctx, TAXID_E_IDENTITY_FAILED, p->method);
	}
	if (!bank && strcmp(p->method, "face") == 0)
		snprintf(photo, TAXID_PHOTO_REF_LEN, "face:%s:%s", v.issuer, v.nonce);
	return TAXID_OK;
}
