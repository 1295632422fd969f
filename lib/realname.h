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

#endif
