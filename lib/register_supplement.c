/* taxid-register supplement (DOMAIN §3, seed 001 实名信息补录): complete a real-name record — the reference photo it
 * lacks, a renewed document — and, when face keeps failing (seed 000 第四步), raise a level-3 person to 4 by a bank
 * card or the registry instead. */
#include <string.h>

#include "account.h"
#include "challenge.h"
#include "db.h"
#include "person.h"
#include "realname.h"
#include "realname_proof.h"
#include "record.h"
#include "register.h"

/* What the record of a supplement lacks, and what the request brings of it. */
struct supplement {
	int need_photo, expired, need_level;   /* the record lacks a reference photo / its document expired / level 4 */
	int take_photo, take_doc, take_level;  /* the request brings a face / a renewed expiry / a proof that raises */
	char renewed[11];
	char photo[TAXID_PHOTO_REF_LEN];
	struct taxid_proof proof;              /* face, bank or registry; proof.method NULL when none */
	struct taxid_id_info ph;               /* method bank: the bank-reserved phone, proven by an SMS code */
};

/* Refuse a supplement that brings nothing the record lacks, naming what is missing (and, below level 4, the
 * methods that raise it). */
static enum taxid_code supplement_nothing(struct taxid_ctx *ctx, const struct supplement *s, const char *expires_on)
{
	json_t *missing = json_array();
	if (s->need_photo)
		json_array_append_new(missing, json_string("photo"));
	if (s->expired)
		json_array_append_new(missing, json_string("document"));
	json_t *d = json_pack("{s:o}", "missing", missing);
	if (s->need_level)
		json_object_set_new(d, "methods", taxid_realname_methods(4));
	if (s->expired) {
		json_object_set_new(d, "expires_on", json_string(expires_on));
		return taxid_fail_detail(ctx, TAXID_E_DOCUMENT_EXPIRED, "expires_on", d);
	}
	return taxid_fail_detail(ctx, TAXID_E_MISSING_FIELD, "face", d);
}

/* Plan the supplement of person p: refused when the record is complete, the renewed document already expired, or
 * nothing the record lacks is brought. */
static enum taxid_code supplement_plan(struct taxid_ctx *ctx, const struct taxid_person *p, const struct taxid_claim *cl,
				       struct supplement *s)
{
	struct taxid_person_extra x;
	char now_date[11];
	enum taxid_code c;
	if ((c = taxid_claim_matches(ctx, p, cl)) || (c = taxid_person_extra(ctx, p->id, p->doc_id, &x)))
		return c;
	taxid_register_today(ctx, now_date);
	s->need_photo = !x.has_photo;
	s->expired = x.expires_on[0] && strcmp(x.expires_on, now_date) < 0;
	s->need_level = p->level < 4;
	if (!s->need_photo && !s->expired && !s->need_level)
		return taxid_fail(ctx, TAXID_E_ALREADY_COMPLETE, "doc_no");
	s->take_photo = s->need_photo && s->proof.method && strcmp(s->proof.method, "face") == 0;
	s->take_level = s->need_level && s->proof.method;
	s->take_doc = s->expired && s->renewed[0];
	if (s->take_doc && strcmp(s->renewed, now_date) < 0)
		return taxid_fail(ctx, TAXID_E_DOCUMENT_EXPIRED, "expires_on");
	if (!s->take_photo && !s->take_doc && !s->take_level)
		return supplement_nothing(ctx, s, x.expires_on);
	return TAXID_OK;
}

/* Take what the request brings; done and left get what was supplemented and what is still missing. */
static enum taxid_code supplement_apply(struct taxid_ctx *ctx, const struct taxid_person *p, const struct supplement *s,
					json_t *done, json_t *left)
{
	enum taxid_code c = TAXID_OK;
	if (s->take_photo) {
		c = taxid_register_set_photo(ctx, p->id, s->photo);
		json_array_append_new(done, json_string("photo"));
	} else if (s->need_photo) {
		json_array_append_new(left, json_string("photo"));
	}
	if (!c && s->take_level) {
		/* A passed face check, bank card or registry verdict lifts level 3 to 4 (DOMAIN §2, seed 000 第四步). */
		c = taxid_person_raise_level(ctx, p->id, 4);
		json_array_append_new(done, json_string("level"));
	}
	if (!c && s->take_doc) {
		struct taxid_q *q = taxid_q(ctx, TAXID_SQL_REG_DOC_EXPIRES);
		taxid_q_int(q, 1, p->doc_id);
		taxid_q_text(q, 2, s->renewed);
		c = taxid_q_exec(q);
		json_array_append_new(done, json_string("document"));
	} else if (s->expired) {
		json_array_append_new(left, json_string("document"));
	}
	return c;
}

/* Everything of the request, checked before anything is written: the claim, a renewed expiry, the proof (for a
 * bank, the phone the bank holds and its SMS code, checked here: a wrong one commits its attempt and nothing else),
 * the consent. */
static enum taxid_code supplement_read(struct taxid_ctx *ctx, json_t *req, struct taxid_claim *cl, struct supplement *s,
				       json_t **consent)
{
	enum taxid_code c;
	if ((c = taxid_claim_read(ctx, req, TAXID_CLAIM_NAME, cl)) ||
	    (c = taxid_register_read_date(ctx, req, "expires_on", s->renewed)) ||
	    (c = taxid_proof_read_any(ctx, req, cl, &s->proof)))
		return c;
	int bank = s->proof.method && strcmp(s->proof.method, "bank") == 0;
	int face = s->proof.method && strcmp(s->proof.method, "face") == 0;
	if ((bank && (c = taxid_register_read_phone(ctx, req, 1, &s->ph))) ||
	    (c = taxid_register_read_consent(ctx, req, face, consent)))
		return c;
	return bank ? taxid_sms_check(ctx, json_object_get(req, "sms"), s->ph.normalized, "supplement", "sms") : TAXID_OK;
}

enum taxid_code taxid_register_supplement(struct taxid_ctx *ctx, json_t *req, json_t *out)
{
	struct taxid_claim cl;
	struct taxid_person p = {0};
	struct supplement s;
	enum taxid_code c = TAXID_OK;
	json_t *done = json_array(), *left = json_array(), *consent = NULL;
	char subj[32];
	int found = 0;
	const char *op = taxid_req_str(ctx, req, "operator", 0, &c);
	memset(&cl, 0, sizeof cl);
	memset(&s, 0, sizeof s);
	if (c || (c = supplement_read(ctx, req, &cl, &s, &consent)) ||
	    (c = taxid_person_find(ctx, cl.type, cl.info.normalized, &p, &found)))
		goto out;
	if (!found)
		c = taxid_fail(ctx, TAXID_E_NOT_COLLECTED, "doc_no");
	else if (!(c = supplement_plan(ctx, &p, &cl, &s)) &&
		 !((s.take_photo || s.take_level) &&
		   (c = taxid_proof_check(ctx, &s.proof, &cl, s.ph.normalized, "supplement", s.photo))))
		c = supplement_apply(ctx, &p, &s, done, left);
	taxid_register_subject(subj, sizeof subj, "person", p.id);
	if (c || (c = taxid_register_record_consent(ctx, p.id, consent)) ||
	    (c = taxid_register_audit(ctx, "supplement", subj, op,
				      json_pack("{s:O,s:s,s:s?,s:O}", "supplemented", done, "doc_type",
						taxid_ids_doc_name(cl.type), "method", s.proof.method, "consent", consent))))
		goto out;
	json_object_set_new(out, "person", json_integer(p.id));
	taxid_claim_put_doc(ctx, out, &cl);
	json_object_set_new(out, "supplemented", json_incref(done));
	json_object_set_new(out, "missing", json_incref(left));
	json_object_set_new(out, "level", json_integer(s.take_level ? 4 : p.level));
	if (s.proof.method && (s.take_photo || s.take_level))
		json_object_set_new(out, "method", json_string(s.proof.method));
out:
	json_decref(consent);
	json_decref(done);
	json_decref(left);
	taxid_claim_free(&cl);
	taxid_person_clear(&p);
	return c;
}
