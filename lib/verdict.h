/* verdict.c: signed verdicts from outside services (CONTRACT.md "Verdicts from outside") and the trust store. */
#ifndef TAXID_VERDICT_H
#define TAXID_VERDICT_H

#include <stdint.h>
#include <jansson.h>
#include "errors.h"

struct taxid_ctx;

/* A checked verdict's payload. */
struct taxid_verdict {
	char issuer[64];
	char kind[24];
	char subject[128];
	char result[8];     /* "pass" or "fail" */
	double score;       /* -1 when absent */
	int liveness;       /* -1 absent, 0 false, 1 true */
	int64_t issued_at;
	char nonce[129];
	int factors;        /* bank verdicts: 3 or 4 factors checked; 0 when absent */
	char mismatch[16];  /* bank verdicts: the factor the bank reported wrong (name, doc_no, card, phone), or "" */
	char card_sha256[65];  /* bank verdicts: hex SHA-256 of the card number judged, binding the verdict to it */
	char phone_sha256[65]; /* bank verdicts: hex SHA-256 of the bank-reserved phone judged (4 factors) */
};

/* Check a wire verdict {issuer, payload, sig}: trusted issuer for kind, Ed25519 signature over the exact
 * payload bytes, kind, freshness window, subject (when subject is not NULL) and an unused nonce. With consume
 * the nonce is recorded (inside the caller's transaction) so the verdict cannot be used again. field names the
 * request member for refusals. */
enum taxid_code taxid_verdict_check(struct taxid_ctx *ctx, json_t *wire, const char *kind, const char *subject,
				    int consume, const char *field, struct taxid_verdict *v);
/* Parse a verdict's payload (the exact bytes an issuer signed) into v, without the database or the signature:
 * kind, subject, result, nonce and issued_at required, types and sizes checked; refusals are
 * verdict_malformed (with field). On success *parsed holds the payload object (the caller decrefs it).
 * taxid_verdict_check calls it once the signature is verified; the fuzzer calls it directly. v must be
 * zeroed with score and liveness at -1, as taxid_verdict_check does. */
enum taxid_code taxid_verdict_parse(struct taxid_ctx *ctx, const void *payload, size_t len, const char *field,
				    struct taxid_verdict *v, json_t **parsed);
/* 1 when the verdict says pass, liveness is not false and the score (if any) reaches the policy threshold for its kind. */
int taxid_verdict_passed(struct taxid_ctx *ctx, const struct taxid_verdict *v);
/* Describe a checked verdict as JSON (issuer, kind, result, score, liveness, issued_at). */
json_t *taxid_verdict_json(const struct taxid_verdict *v);

/* Trust store actions: add {issuer, kinds[], public_key PEM}, remove {issuer}, list. */
enum taxid_code taxid_trust_add(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_trust_remove(struct taxid_ctx *ctx, json_t *req, json_t *out);
enum taxid_code taxid_trust_list(struct taxid_ctx *ctx, json_t *req, json_t *out);

#endif
