/* realname.c: a person's real-name standing as login and bind see it — an expired identity document (issue 14
 * item 3: a login warns, key business is refused until the document is renewed by taxid-register supplement). */
#ifndef TAXID_REALNAME_H
#define TAXID_REALNAME_H

#include <jansson.h>

#include "errors.h"

struct taxid_ctx;

/* What to do about an expired document: the action that renews it. */
#define TAXID_REALNAME_RENEW "taxid-register supplement"

/* *detail: NULL when none of the person's documents has expired (expires_on before today in the tool's local
 * calendar: a document is valid through its expiry day); else a new object {doc_type, expires_on, action} of the
 * earliest expired one. */
enum taxid_code taxid_realname_expired(struct taxid_ctx *ctx, long long person_id, json_t **detail);

/* The online methods that raise a level-3 person to 4 at taxid-register supplement (DOMAIN §2, seed 000 第四步):
 * face, bank, registry; for level 5 only on-site collection at a hall. */
#define TAXID_REALNAME_RAISE "taxid-register supplement"
#define TAXID_REALNAME_COLLECT "taxid-register collect"
/* A new array of the methods that reach level required: ["face","bank","registry"] up to 4, ["collect"] for 5. */
json_t *taxid_realname_methods(long long required);
/* The detail of a refusal for a real-name level below required: {level, required, methods, action}, action the
 * taxid-register action that raises it. */
json_t *taxid_realname_level_detail(int level, long long required);

#endif
