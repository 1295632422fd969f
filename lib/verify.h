/* verify.c: taxid-verify's work — identity claims against the validators and the registry, single identifiers,
 * the bank-card 3/4-factor check, verdict checks, SMS codes and the outbox. */
#ifndef TAXID_VERIFY_H
#define TAXID_VERIFY_H

#include <jansson.h>
#include "errors.h"
#include "ids.h"

struct taxid_ctx;

/* Validator options for this run: today's local date, and strictness from the request or settings. */
void taxid_verify_opts(struct taxid_ctx *ctx, json_t *req, struct taxid_ids_opts *o);
/* Validate the document named by the request members type_field/no_field; on success *t and *info are set.
 * Refusals name the field at fault. */
enum taxid_code taxid_verify_document(struct taxid_ctx *ctx, json_t *req, const char *type_field, const char *no_field,
				      enum taxid_doc_type *t, struct taxid_id_info *info);
/* Put the facts a validator derived into out (masked number unless --reveal). */
void taxid_verify_describe(struct taxid_ctx *ctx, enum taxid_doc_type t, const struct taxid_id_info *info, json_t *out);

struct taxid_verdict;
/* Check a bank verdict (request member field) for a document, card and optional bank-reserved phone (all
 * normalised): signature and freshness, then that it judged this card (card_sha256) and, with a phone, four
 * factors including this phone (phone_sha256). TAXID_OK means the verdict is about these factors; whether the
 * bank said pass is taxid_verdict_passed. */
enum taxid_code taxid_verify_bank_verdict(struct taxid_ctx *ctx, json_t *wire, const char *field, const char *doc_no,
					  const char *card, const char *phone, struct taxid_verdict *v);

/* Actions. */
enum taxid_code taxid_verify_identity(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_verify_uscc(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_verify_tin(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_verify_bank_card(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_verify_mobile(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_verify_bank(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_verify_attest(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_verify_sms_send(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_verify_sms_check(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_verify_sms_outbox(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_verify_audit(struct taxid_ctx *ctx, json_t *req, json_t *out);

#endif
