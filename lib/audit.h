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
/* Verify the whole chain (taxid-verify audit): fills out with rows checked and, when broken, the first broken
 * row id; req may ask for the head ("head": true) or prove an anchor is still there ("anchor": "ID:HEX"). */
enum taxid_code taxid_audit_verify(struct taxid_ctx *ctx, json_t *req, json_t *out);
/* Once per database (at open): re-link a chain made before the key (plain SHA-256) under the key, with an
 * "audit_keyed" row saying how many rows and whether the old chain was intact. */
enum taxid_code taxid_audit_rekey(struct taxid_ctx *ctx);

/* Write the audit head kept in memory during a transaction to meta (before COMMIT; lib/db.c calls it). */
enum taxid_code taxid_audit_flush(struct taxid_ctx *ctx);

#endif
