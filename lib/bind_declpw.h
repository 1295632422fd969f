/* bind_declpw.c: the enterprise's declaration password — its policy, setting and resetting it (the bound phone of a
 * legal representative or finance manager), the hall's clear, and checking it when a person enters without an
 * authorisation, under its own lock scopes (SECURITY rule 28). Its actions are declared in bind.h. */
#ifndef TAXID_BIND_DECLPW_H
#define TAXID_BIND_DECLPW_H

#include <jansson.h>

#include "bind_actor.h"
#include "errors.h"

struct taxid_ctx;

/* Check pw (NULL: not given) as the declaration password of e for w: the per-person and the enterprise's own lock
 * scopes, the captcha after a wrong one, the hash. TAXID_OK when it passed (the person's counter is reset). */
enum taxid_code taxid_bind_declpw_verify(struct taxid_ctx *ctx, json_t *req, const struct taxid_bind_actor *w,
					 const struct taxid_enterprise *e, const char *pw);

#endif
