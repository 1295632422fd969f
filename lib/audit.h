/* audit.c: the append-only audit table chained by SHA-256. */
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
/* Verify the whole chain; fills out with rows checked and, when broken, the first broken row id. */
enum taxid_code taxid_audit_verify(struct taxid_ctx *ctx, json_t *out);

/* Write the audit head kept in memory during a transaction to meta (before COMMIT; lib/db.c calls it). */
enum taxid_code taxid_audit_flush(struct taxid_ctx *ctx);

#endif
