/* operator.c: who performs an operator action (SECURITY rule 31), and what a --reveal showed to whom. */
#ifndef TAXID_OPERATOR_H
#define TAXID_OPERATOR_H

#include <jansson.h>
#include "errors.h"

struct taxid_ctx;

#define TAXID_OPERATOR_MAX 64

/* The required "operator" member of an operator action: a string of 1..64 characters. Absent, null or empty
 * it is refused as operator_required (field "operator"); another type as bad_type; longer as bad_value.
 * On refusal returns NULL with *err set. */
const char *taxid_operator(struct taxid_ctx *ctx, json_t *req, enum taxid_code *err);

/* The operator who asks for --reveal on this request: the request's "operator" (a string, or an object's
 * "id"), else $TAXID_OPERATOR. NULL with *err set (operator_required, bad_value) when there is none. */
const char *taxid_reveal_operator(struct taxid_ctx *ctx, json_t *req, enum taxid_code *err);

/* Note a subject whose personal data this request printed in clear (masked value or an id, never clear
 * personal data). A no-op without --reveal. The reveal audit row names them. */
void taxid_reveal_subject(struct taxid_ctx *ctx, const char *masked);

/* The reveal audit row of the request just handled (record.c calls it inside the request's transaction). */
enum taxid_code taxid_reveal_audit(struct taxid_ctx *ctx, const char *operator, const char *action, long line);

#endif
