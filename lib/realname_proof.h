/* realname_proof.c: the online proofs of identity a registration or a supplement brings (seed 000 第四步, seed 003
 * Q5-Q7): a face check, a bank's four-factor verdict bound to card and phone, or a registry verdict (social-insurance
 * data, an earlier registration). Each is a signed verdict (CONTRACT.md), used up once checked. */
#ifndef TAXID_REALNAME_PROOF_H
#define TAXID_REALNAME_PROOF_H

#include <jansson.h>

#include "errors.h"
#include "ids.h"
#include "person.h"

struct taxid_ctx;

/* The size of a reference photo's handle, "face:<issuer>:<nonce>". */
#define TAXID_PHOTO_REF_LEN 208

/* A proof as a request brings it, read and validated before anything is written. */
struct taxid_proof {
	const char *method;        /* "face", "bank" or "registry"; NULL when the request brings none */
	json_t *wire;              /* the verdict: request member named as the method (borrowed) */
	struct taxid_id_info card; /* method bank: member "card", validated */
};

/* 1 when method is one of the online proofs (face, bank, registry). */
int taxid_proof_method(const char *method);
/* Read the members of method for claim cl: the verdict (member named as the method), and for bank the card.
 * Face is for resident ID cards only; bank and registry for every type but the four hall-only ones
 * (doc_type_not_allowed, with "method"). */
enum taxid_code taxid_proof_read(struct taxid_ctx *ctx, json_t *req, const char *method, const struct taxid_claim *cl,
				 struct taxid_proof *p);
/* The proof among members face, bank and registry of a supplement: none (p->method NULL) or exactly one (more is
 * bad_value, with "one_of"); read as by taxid_proof_read, but a face for every document type. */
enum taxid_code taxid_proof_read_any(struct taxid_ctx *ctx, json_t *req, const struct taxid_claim *cl,
				     struct taxid_proof *p);
/* Check and use up the proof about the claim's document: a face verdict; a bank verdict that judged four factors,
 * this card and phone (the phone the person proved by an SMS code); a registry verdict. A verdict that does not pass
 * is audited as "<method>_failed" (with action), stays spent, and is refused: identity_failed, bank_mismatch for a
 * bank. photo gets a passed face's reference "face:<issuer>:<nonce>" ("" for the other methods). */
enum taxid_code taxid_proof_check(struct taxid_ctx *ctx, const struct taxid_proof *p, const struct taxid_claim *cl,
				  const char *phone, const char *action, char photo[TAXID_PHOTO_REF_LEN]);

#endif
