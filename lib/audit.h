/* audit.c: the append-only audit table chained by HMAC-SHA-256 under a key from the key file. */
#ifndef TAXID_AUDIT_H
#define TAXID_AUDIT_H

#include <jansson.h>
#include "errors.h"

struct taxid_ctx;

/* Append one row inside the caller's transaction: what happened (action), to whom (subject: an id or a
 * masked value, never personal data in clear), by whom (actor, may be NULL) and details (borrowed, may be NULL). */
enum taxid_code taxid_audit(struct taxid_ctx *ctx, const char *action, const char *subject, const char *actor,
			    json_t *detail);
/* The same, taking over the reference to detail (for details built in the call). */
enum taxid_code taxid_audit_new(struct taxid_ctx *ctx, const char *action, const char *subject, const char *actor,
				json_t *detail);
/* What taxid_audit_verify found: rows read, and where the chain breaks (broken: the first broken row id, 0
 * when intact; why: in English); the last row's id and hash (the head); whether the anchor asked for is there. */
struct taxid_audit_check {
	long long rows, last_id, broken;
	const char *why;
	unsigned char head[32];
	long long anchor_id;        /* 0: no anchor to look for */
	unsigned char anchor_hash[32];
	int anchor_found;           /* the anchor row is there with that very hash */
};
/* Verify the whole chain and the head in meta (taxid-verify audit, which turns the result into its answer);
 * anchor (NULL: none) is "ID:HEX" to prove still there. TAXID_E_BAD_VALUE for a malformed anchor, a database
 * error, or TAXID_OK with the result in *r. */
enum taxid_code taxid_audit_verify(struct taxid_ctx *ctx, const char *anchor, struct taxid_audit_check *r);
/* Right after the keys are loaded: register the pre-commit hook that writes the head kept in memory during a
 * transaction to meta; then, once per database, re-link a chain made before the key (plain SHA-256) under the
 * key, with an "audit_keyed" row saying how many rows and whether the old chain was intact. */
enum taxid_code taxid_audit_attach(struct taxid_ctx *ctx);

#endif
